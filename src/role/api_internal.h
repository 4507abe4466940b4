/*
 * What the API's files share: api_request.c's helpers (answers, bodies,
 * the caller's tenant, rate limits) for every endpoint, and the endpoints of
 * api_token.c and api_session.c for api.c's route table. Not for any other
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

/*
 * The token the request carries (Bearer, else the cookie unless
 * is_bearer_only) as the authorizer decides it, CSRF rule included; it must
 * be a live gateway-issued one, whose tenant and session go into c. false
 * with the refusal answered. Release d with authz_decision_fini either way.
 */
bool api_self_token(struct api_ctx *c, bool is_bearer_only, struct authz_decision *d);
/* The handlers of api_token.c. */
void api_token_authorize(struct api_ctx *c);
void api_token_logout(struct api_ctx *c);
void api_token_cookie(struct api_ctx *c);
void api_token_introspect(struct api_ctx *c);
void api_token_jwks(struct api_ctx *c);

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

#endif
