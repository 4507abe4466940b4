/*
 * The HTTP API of the responder role: the route table on PATH_INFO, API-key
 * and refresh-token authentication, rate limits, request bodies and every
 * endpoint's JSON in and out (docs/api.md). Builds on session.c, mint.c and
 * the store; never touches libfcgi (http.c) or Berkeley DB (store*.c).
 */
#ifndef TG_API_H
#define TG_API_H

#include "role/authz.h"

#include <netinet/in.h>

struct tg_store;
struct jwks_follow;

struct api_env {
	const struct tg_config *cfg;
	struct tg_store *store;
	struct keyring *kr;     /* refreshed for this request by the caller */
	struct tg_cache *cache; /* NULL: off */
	struct http_conn *conn; /* where the request body is read from */
	int64_t now;
	int64_t now_ms;         /* the same instant in milliseconds, for rate limits */
	struct jwks_follow *follow; /* unknown kids of tenants with a jwks_uri; NULL: never fetch */
};

/*
 * Answers one responder request routed on PATH_INFO (including /v1/authorize,
 * for nginx auth_request) and fills r. Logs one line per API request at info
 * (method, route, status, tenant, API key id). The FastCGI authorizer role is
 * not the API's: the program calls authz_answer for it.
 */
void api_handle(const struct api_env *env, const struct http_request *req, struct http_response *r);

/* The authz_env session_check for a struct tg_store (store_session_check); api_session.c. */
enum tg_err api_session_check(void *store, const char *tenant, const char *sid, int64_t now);
/*
 * The authorizer decision's inputs for a request of env: the store answers
 * whether a gateway session is live (api_session_check). One for the FastCGI
 * authorizer (src/tokengate.c) and nginx's /v1/authorize alike.
 */
void api_authz_env(const struct api_env *env, struct authz_env *ae);

/* The canonical text of an IPv4 or IPv6 literal (as inet_ntop writes it); false if none. */
bool api_ip_canonical(const char *in, char out[INET6_ADDRSTRLEN]);

#endif
