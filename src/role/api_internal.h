/*
 * What the API's files share: api_request.c's helpers (answers, bodies,
 * the caller's tenant, rate limits, cookies) for every endpoint, the session
 * machinery of api_session.c and the token check of api_token.c that
 * api_login.c builds on, and the endpoints of api_token.c, api_session.c,
 * api_login.c and login_page.c for api.c's route table. Not for any other
 * file: the public surface is api.h.
 */
#ifndef TG_API_INTERNAL_H
#define TG_API_INTERNAL_H

#include "role/api.h"
#include "model/session.h"
#include "model/throttle.h"

#include <time.h>

struct json_object;

/* One request on its way through the API. */
struct api_ctx {
	const struct api_env *env;
	const struct http_request *req;
	const struct http_path_args *args;
	struct http_response *r;
	char *tenant; /* the caller's tenant once known (API key, session or token): for the log */
	char *key_id; /* the API key's public id once authenticated: for the log */
	char *sid;    /* the session the call is about once known: for the log */
	const char *error; /* the error code answered (static), NULL on success: for the log */
	const char *reason; /* the log's reason when it says more than error (static), else NULL */
	const char *note;   /* what the log line tells the operator to do (static), else NULL */
};

/* Whether the request came over HTTPS (authz_is_https): it picks the cookies' names. */
bool api_is_https(const struct api_ctx *c);

enum api_cookie {
	API_COOKIE_SESSION, /* __Host-<cookie_name> (plain <cookie_name> over HTTP), Lax, Path=/ */
	API_COOKIE_REFRESH, /* __Secure-tg_refresh (tg_refresh), Strict, Path=SCRIPT_NAME/v1/token */
};

/*
 * Adds the Set-Cookie of which to the answer (value "" and max_age 0 clear
 * it). false with a 500 answered when it cannot be formatted.
 */
bool api_cookie_set(struct api_ctx *c, enum api_cookie which, const char *value, int64_t max_age);
/*
 * A browser's answer to a signed token answer (api_session_sign's): 303 to
 * location, or (NULL) 200 {"session_id", "expires_in"} with "next" when not
 * NULL; then the session cookie, and the refresh cookie when rt is not NULL.
 */
void api_cookie_answer(struct api_ctx *c, const struct json_object *answer, const char *rt,
		       const struct tg_session *s, const char *next, const char *location);

/* The refresh cookie's value, malloc'd: TG_ERR_NOT_FOUND none, TG_ERR_INVALID sent twice. */
enum tg_err api_refresh_cookie(const struct api_ctx *c, char **out);
/* The CSRF rule (authz_origin_allows) for tenant (unknown: NULL); false with 403 answered. */
bool api_origin_ok(struct api_ctx *c, const char *tenant);

/* A request body: JSON (an object), a form, or neither when none was sent. */
struct api_body {
	struct json_object *json;
	char *form;
	size_t len;
};

void api_error(struct api_ctx *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A store or crypto failure: TG_ERR_BUSY is 503 with Retry-After: 1, the rest 500. */
void api_fail(struct api_ctx *c, enum tg_err rc, const char *what);
/* A store or signing result the caller foresees as a refusal (rc), and its answer. */
struct api_refusal {
	enum tg_err rc;
	int status;
	const char *code;
	const char *description;
};

/*
 * True when rc is TG_OK. Otherwise answers it and returns false: as refusal
 * says when rc is refusal->rc, anything else as api_fail(c, rc, what).
 */
bool api_rc_ok(struct api_ctx *c, enum tg_err rc, const struct api_refusal *refusal,
	       const char *what);
/* Takes ownership of o. */
void api_json(struct api_ctx *c, int status, struct json_object *o_owned);
void api_no_content(struct api_ctx *c);
/* 303 See Other to location (a path or an absolute URL the caller checked), uncached. */
void api_redirect(struct api_ctx *c, const char *location);

/* The caller's tenant from the keyring (refreshed per request), NULL once removed. */
const struct tg_tenant *api_tenant(const struct api_ctx *c, const char *id);
/* Path argument i (a "{}" of the route), malloc'd. */
char *api_arg(const struct api_ctx *c, size_t i);
/* The bucket's token, or false with 429 (or 503/500) answered. */
bool api_rate_take(struct api_ctx *c, const char *bucket, const char *tenant);
/* Retry-After: seconds, on a 429 just answered. */
void api_retry_after(struct api_ctx *c, int64_t seconds);
/* 200 {"sessions": sessions_owned, "next_cursor": next_cursor or null}: a listing's page. */
void api_json_page(struct api_ctx *c, struct json_object *sessions_owned, const char *next_cursor);

/*
 * Reads the body: false with 415, 413 or 400 answered. No body (no or zero
 * Content-Length) leaves b empty. A form is taken only when is_form_ok.
 */
bool api_body_read(struct api_ctx *c, bool is_form_ok, struct api_body *b);
void api_body_fini(struct api_body *b);
/*
 * A form (a body or a query string) whose every field decodes: false with 400
 * naming the first field with a bad %-escape, a NUL byte or invalid UTF-8.
 */
bool api_form_ok(struct api_ctx *c, const char *form, size_t len);
/* 400 unless every member (JSON) or field (form) is one of the NULL-terminated allowed. */
bool api_body_only(struct api_ctx *c, const struct api_body *b, const char *const *allowed);
/* A string member or form field: *out malloc'd, NULL when absent; false with 400 answered. */
bool api_body_string(struct api_ctx *c, const struct api_body *b, const char *name, char **out);
/* An integer member in [min, max], else dflt when absent; false with 400 answered. */
bool api_json_int(struct api_ctx *c, const struct json_object *o, const char *name, int64_t min,
		  int64_t max, int64_t dflt, int64_t *out);

enum api_self {
	API_SELF_BEARER_ONLY = 1, /* the cookie is not read */
	API_SELF_STEP_UP = 2,     /* authz_request's is_step_up: methods required are not asked */
};

/*
 * The token the request carries (Bearer, else the cookie) as the authorizer
 * decides it, CSRF rule included, with how (enum api_self bits); it must be a
 * live gateway-issued one, whose tenant and session go into c. false with the
 * refusal answered. Release d with authz_decision_fini either way.
 */
bool api_self_token(struct api_ctx *c, unsigned how, struct authz_decision *d);
/* The handlers of api_token.c. */
void api_token_authorize(struct api_ctx *c);
void api_token_logout(struct api_ctx *c);
void api_token_cookie(struct api_ctx *c);
void api_token_introspect(struct api_ctx *c);
void api_token_jwks(struct api_ctx *c);

/* The handlers of api_login.c. */
void api_login(struct api_ctx *c);
void api_login_otp(struct api_ctx *c);

/* ---- api_session.c's session machinery, shared with api_login.c */

/*
 * The lifetime a token for tenant may have: the body's "expires_in" (o may
 * be NULL) capped to the tenant's max_lifetime, which is also the default.
 */
bool api_session_lifetime(struct api_ctx *c, const struct json_object *o, const char *tenant,
			  int64_t *out);
/* A session of c->tenant made now, with a fresh id and the default ttl; NULL with 500 answered. */
struct tg_session *api_session_new(struct api_ctx *c);
/*
 * Starts s: its expiry and the tenant's limits, a refresh token in rt, an
 * access token signed into answer (api_session_sign), the record stored and
 * c->sid set. false with the failure answered.
 */
bool api_session_start(struct api_ctx *c, struct tg_session *s, int64_t lifetime,
		       struct json_object *answer, char rt[TG_REFRESH_TOKEN_LEN + 1]);
/* Adds access_token, token_type, expires_in and session_id for s to answer; false answered. */
bool api_session_sign(struct api_ctx *c, const struct tg_session *s, int64_t lifetime,
		      struct json_object *answer);
/* A step-up: method added to c->tenant's session id, *out the new record; false answered. */
bool api_session_add_method(struct api_ctx *c, const char *id, const char *method,
			    struct tg_session **out);
/* The handlers of api_session.c. */
void api_session_issue(struct api_ctx *c);
void api_session_list(struct api_ctx *c);
void api_session_show(struct api_ctx *c);
void api_session_token(struct api_ctx *c);
void api_session_step_up(struct api_ctx *c);
void api_session_end(struct api_ctx *c);
void api_session_end_user(struct api_ctx *c);
/* 400: a user id with "/" in a logout's path, naming the body form. */
void api_session_user_slash(struct api_ctx *c);
void api_session_refresh(struct api_ctx *c);

/* The handlers of api_me.c: a user's own sessions (the caller's token or cookie). */
void api_me_sessions(struct api_ctx *c);
void api_me_session_logout(struct api_ctx *c);
void api_me_logout_others(struct api_ctx *c);

/*
 * The failed-login throttle around a login (api_throttle.c). Before the
 * password is looked at: api_throttle_begin, which answers 429 with
 * Retry-After (or 503/500) and returns false when the account (tenant and
 * email, as typed: normalised here) or the client address must still wait.
 * After it: api_throttle_failed for every refusal the caller answers alike
 * (unknown email, wrong password, disabled user, wrong second factor),
 * reason naming which for the audit line only, or api_throttle_succeeded.
 * tenant (any text; one that is no tenant counts as none) and email are
 * borrowed and must outlive th.
 */
struct api_throttle {
	const char *tenant; /* NULL: not a tenant of the keyring */
	const char *email;
	struct tg_throttle_key account, addr;
	struct timespec begun; /* CLOCK_MONOTONIC at the check */
};
bool api_throttle_begin(struct api_ctx *c, const char *tenant, const char *email,
			struct api_throttle *th);
void api_throttle_failed(struct api_ctx *c, const struct api_throttle *th, const char *reason);
void api_throttle_succeeded(struct api_ctx *c, const struct api_throttle *th);

/* The handlers of login_page.c. */
void api_login_page(struct api_ctx *c);
void api_login_otp_page(struct api_ctx *c);
void api_login_css(struct api_ctx *c);

#endif
