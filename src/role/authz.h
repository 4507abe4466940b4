/*
 * The authorizer decision: request facts -> allow with variables, or a
 * refusal with its status and RFC 6750 error. A pure function of the request,
 * configuration, keyring, cache, time and the session-state callback (no
 * I/O); its rendering is apart. The program calls authz_answer for the
 * FastCGI authorizer role, the API for /v1/authorize (nginx auth_request).
 */
#ifndef TG_AUTHZ_H
#define TG_AUTHZ_H

#include "role/cache.h"
#include "role/grant.h"
#include "base/config.h"
#include "http/http.h"
#include "jose/keyring.h"

struct authz_var {
	char name[GRANT_VAR_NAME_SIZE]; /* after TOKENGATE_: "SUB", "CLAIM_ROLE" */
	char *value; /* sanitised: no control characters, valid UTF-8, bounded */
};

struct authz_decision {
	int status;         /* 200 allows; 400, 401, 403 or 500 refuse */
	const char *error;  /* RFC 6750 3.1 code; NULL when allowed or no token was sent */
	char description[TG_WHY_MAX];
	enum tg_reason reason;     /* the verdict's reason when verification refused */
	const char *log_reason;    /* the log's reason code when no verdict gave one (static) */
	const char *log_note;      /* what the log line tells the operator to do (static) */
	const char *source;        /* "bearer", "cookie" or NULL: for the log */
	char token_mask[TG_MASK_MAX]; /* log_mask() of the token, never more */
	/* insufficient_user_authentication (RFC 9470 3): what a step-up must achieve */
	char *acr_values;          /* space-separated; NULL when no method is missing */
	int64_t max_age;           /* seconds; 0 when the authentication's age is not at fault */
	bool is_cached;            /* the verification came from the cache */
	bool is_tenant_pinned;     /* the server named the tenant (TOKENGATE_TENANT) */
	char *user;                /* the subject (sanitised) when allowed */
	/* When allowed, for the API's self-service calls (/v1/logout, /v1/cookie): */
	char *tenant;              /* the token's tenant */
	char *sid;                 /* gateway-issued tokens: their session; NULL otherwise */
	int64_t exp;
	const char *token;         /* borrowed from the request */
	size_t token_len;
	struct authz_var *vars;
	size_t nvars;
};

/*
 * The request facts the decision reads, as the server gave them; NULL when
 * absent, all borrowed. No query string: a token is never read from one
 * (RFC 6750 2.3), so the decision is not handed it.
 */
struct authz_request {
	const char *method;
	const char *authorization;   /* the Authorization header */
	const char *cookie;          /* the Cookie header */
	const char *origin;
	const char *referer;
	const char *sec_fetch_site;  /* Sec-Fetch-Site */
	const char *host;            /* Host: with the scheme, the request's own origin */
	const char *remote_addr;     /* the peer, for trusted_proxies */
	const char *https;           /* HTTPS, as servers set it ("on") */
	const char *forwarded_proto; /* X-Forwarded-Proto, believed from trusted_proxies only */
	const char *tenant;          /* a tenant the server pinned (TOKENGATE_TENANT) */
	const char *require_amr;     /* the location's required amr, space-separated */
	const char *max_auth_age;    /* the location's TOKENGATE_MAX_AUTH_AGE, seconds as text */
	/*
	 * The API's second login step, there to add a method: the tenant's required
	 * methods and authentication age are not asked of the token it presents.
	 */
	bool is_step_up;
};

struct authz_env {
	const struct tg_config *cfg;
	const struct keyring *kr;
	struct tg_cache *cache; /* NULL: off */
	int64_t now;
	/*
	 * Gateway-issued tokens name a session that may have ended since they were
	 * signed, so every request asks (a cache hit too): TG_OK live,
	 * TG_ERR_NOT_FOUND or TG_ERR_REJECTED ended or unknown, anything else a
	 * failure (500). NULL: such tokens are refused with 500 (fail closed).
	 */
	enum tg_err (*session_check)(void *ctx, const char *tenant, const char *sid, int64_t now);
	void *session_ctx;
	/*
	 * A token whose kid its tenant does not know: the tenant's provider may have
	 * rotated. TG_OK when kr was reloaded and now holds the kid (the token is
	 * verified again); anything else leaves the refusal as it was. The callee
	 * bounds its own time. NULL: no such tenants (the CLI, tests).
	 */
	enum tg_err (*unknown_kid)(void *ctx, const char *tenant, const char *kid);
	void *unknown_kid_ctx;
};

/* The facts of a request the server sent. */
void authz_request_of(const struct http_request *req, struct authz_request *out);

/* Always fills d; release with authz_decision_fini. */
void authz_decide(const struct authz_env *env, const struct authz_request *req,
		  struct authz_decision *d);
void authz_decision_fini(struct authz_decision *d);

/*
 * The decision as a response: the authorizer role gets Variable-TOKENGATE_*
 * (and Variable-REMOTE_USER) headers, except TENANT when the server pinned it
 * (lighttpd appends, so the app would see "acme, acme"); the responder gets
 * X-Tokengate-* headers. A refusal gets WWW-Authenticate and a JSON body,
 * never the token.
 */
void authz_render(const struct authz_decision *d, enum http_role role, const char *realm,
		  struct http_response *r);

/*
 * The one decision path of every front (the FastCGI authorizer,
 * /v1/authorize, a module embedded in the web server): the decision, counted
 * in the metrics, one log line (never the token, only its mask), and the
 * response for role in r. d stays filled for the caller, who releases it
 * with authz_decision_fini.
 */
void authz_run(const struct authz_env *env, const struct authz_request *facts,
	       enum http_role role, struct authz_decision *d, struct http_response *r);

/* authz_run for a request the server sent, as req->role wants it answered. */
void authz_answer(const struct authz_env *env, const struct http_request *req,
		  struct http_response *r);

/*
 * The refusal when the keyring could not be read from the database (rc):
 * 503 with Retry-After when it was busy, 500 otherwise (fail closed: a stale
 * keyring could still honour a removed key).
 */
void authz_render_unread(enum tg_err rc, struct http_response *r);

/*
 * The require_https rule, one for the authorizer and the API: true when the
 * rule is `no`, the request came over HTTPS (HTTPS=on, or X-Forwarded-Proto:
 * https from a peer in trusted_proxies), or the rule is except_loopback and
 * the peer is a loopback address not in trusted_proxies. Otherwise false, with
 * *why a static sentence: what was plain HTTP and how the server says HTTPS.
 */
bool authz_https_allows(const struct tg_config *cfg, const struct authz_request *req,
			const char **why);
/* Whether the request came over HTTPS: HTTPS=on, or X-Forwarded-Proto from a trusted proxy. */
bool authz_is_https(const struct tg_config *cfg, const struct authz_request *req);

/* RFC 6265bis 4.1.3.2: a cookie only an HTTPS answer for the whole host can set. */
#define AUTHZ_COOKIE_HOST_PREFIX "__Host-"
#define AUTHZ_COOKIE_NAME_SIZE (sizeof(AUTHZ_COOKIE_HOST_PREFIX) + TG_COOKIE_NAME_MAX)
/* The session cookie's name: __Host-<cookie_name> when is_https, the plain one otherwise. */
void authz_cookie_name(const struct tg_config *cfg, bool is_https,
		       char out[AUTHZ_COOKIE_NAME_SIZE]);

/*
 * The CSRF rule, one for the authorizer's cookie-carried unsafe requests and
 * the API's login, logout and cookie calls: a browser says where a request
 * comes from with Origin (else Referer) and Sec-Fetch-Site. true when it
 * says neither (a non-browser client), or its origin is one of t's allowed
 * origins or the request's own (scheme://Host: same-origin is never CSRF); a
 * Sec-Fetch-Site of cross-site needs such an origin too. Otherwise false.
 */
bool authz_origin_allows(const struct tg_config *cfg, const struct tg_tenant *t,
			 const struct authz_request *req);

#endif
