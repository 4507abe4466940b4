/*
 * Sessions issued through the API for the unit tests that act on them
 * (test_api_session.c, test_api_me.c, test_api_throttle.c), on top of
 * api_store_call.h's calls: a tenant API key's POST /v1/sessions, a token as
 * Bearer, the authorizer's answer to it, and a response header by name.
 * Header-only, like tap.h; asserts nothing itself.
 */
#ifndef TG_API_ISSUE_H
#define TG_API_ISSUE_H

#include "api_store_call.h"
#include "find_named.h"

TG_DEFINE_FIND_NAMED(header, struct http_response, headers, nheaders)

static inline char *
bearer(const char *tok)
{
	return tg_xasprintf("Bearer %s", tok);
}

/* GET /v1/authorize with the token: its status. */
static inline int
authorize(const char *tok)
{
	char *auth = bearer(tok);
	struct result res;
	int status;

	call(&(struct call){ "GET", "/v1/authorize", .authorization = auth }, &res);
	status = res.status;
	result_fini(&res);
	free(auth);
	return status;
}

struct issued {
	char *sid, *access, *refresh;
};

static inline void
issued_fini(struct issued *i)
{
	free(i->sid);
	free(i->access);
	free(i->refresh);
}

static inline bool
issue(const char *key, const char *body, struct issued *out)
{
	char *auth = bearer(key);
	struct result res;
	bool is_ok;

	call(&(struct call){ "POST", "/v1/sessions", .authorization = auth, .body = body }, &res);
	is_ok = res.status == 201 && str(&res, "session_id") && str(&res, "access_token") &&
		str(&res, "refresh_token");
	if (is_ok) {
		out->sid = tg_xstrdup(str(&res, "session_id"));
		out->access = tg_xstrdup(str(&res, "access_token"));
		out->refresh = tg_xstrdup(str(&res, "refresh_token"));
	} else {
		diag("issue: %d %s", res.status, res.r.body ? res.r.body : "");
	}
	result_fini(&res);
	free(auth);
	return is_ok;
}

#endif
