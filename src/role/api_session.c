/*
 * The backend's session endpoints (issue, show, list, new token, step-up,
 * end one session or a user's), the refresh-token grant and the access tokens
 * they answer, on top of api_request.c; the store's session check for the
 * authorizer. A session of another tenant is answered exactly like an
 * unknown one. Refresh tokens leave only in the answer that creates them.
 */
#include "role/api_internal.h"

#include "base/log.h"
#include "base/metrics.h"
#include "base/number.h"
#include "base/secret.h"
#include "join/keyring_sync.h"
#include "join/signing_key.h"
#include "jose/claims.h"
#include "jose/mint.h"
#include "role/grant.h"
#include "store/store.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tg_err
api_session_check(void *store, const char *tenant, const char *sid, int64_t now)
{
	return store_session_check(store, tenant, sid, now);
}

/* ------------------------------------------------------------ minting */

static const struct api_refusal ended_now = {
	TG_ERR_REJECTED, 409, "conflict", "the session ended a moment ago; start a new one",
};
static const struct api_refusal tenant_gone = {
	TG_ERR_NOT_FOUND, 404, "not_found", "the tenant no longer exists",
};
static const struct api_refusal bad_cursor = {
	TG_ERR_INVALID, 400, "invalid_request",
	"cursor is not a next_cursor of this user's listing; start again without it",
};

/*
 * The lifetime a token for tenant may have: the body's "expires_in" (o may
 * be NULL) capped to the tenant's max_lifetime, which is also the default.
 */
bool
api_session_lifetime(struct api_ctx *c, const struct json_object *o, const char *tenant,
		     int64_t *out)
{
	const struct tg_tenant *t = api_tenant(c, tenant);
	int64_t n;

	if (!t) {
		api_error(c, 404, "not_found", "the tenant no longer exists");
		return false;
	}
	if (!api_json_int(c, o, "expires_in", 1, INT32_MAX, t->max_lifetime, &n))
		return false;
	*out = n < t->max_lifetime ? n : t->max_lifetime;
	return true;
}

/* The tenant's newest signing key in its signing_alg; the first issuance makes one. */
static bool
signing_key(struct api_ctx *c, const char *tenant, const struct tg_tenant **t,
	    const struct tg_key **key)
{
	const struct api_env *env = c->env;
	enum tg_err rc;

	*t = api_tenant(c, tenant);
	*key = *t ? keyring_signing_key(env->kr, tenant) : NULL;
	if (!*t) {
		api_error(c, 404, "not_found", "the session's tenant no longer exists");
		return false;
	}
	if (*key && (*key)->alg == mint_signing_alg(*t))
		return true;
	rc = signing_key_rotate(env->store, *t, env->now, NULL);
	if (rc == TG_OK)
		rc = keyring_sync(env->kr, env->store, NULL);
	if (rc != TG_OK) {
		api_fail(c, rc, "creating the tenant's signing key");
		return false;
	}
	TG_LOG(TG_LOG_INFO, "api: tenant %s has a new gateway signing key", tenant);
	*t = api_tenant(c, tenant);
	*key = *t ? keyring_signing_key(env->kr, tenant) : NULL;
	if (!*key || (*key)->alg != mint_signing_alg(*t)) {
		api_fail(c, TG_ERR_NOT_FOUND, "loading the new signing key");
		return false;
	}
	return true;
}

/*
 * Signs an access token for s with its tenant's newest signing key in the
 * tenant's signing_alg (creating one on the tenant's first issuance and
 * reloading the keyring, so tenant pointers taken before are stale), and adds
 * access_token, token_type, expires_in and session_id to answer.
 */
bool
api_session_sign(struct api_ctx *c, const struct tg_session *s, int64_t lifetime,
		  struct json_object *answer)
{
	const struct tg_tenant *t;
	const struct tg_key *key;
	char *tok = NULL;
	int64_t exp = 0;
	enum tg_err rc;

	if (!signing_key(c, s->tenant, &t, &key))
		return false;
	rc = mint_access_token(key, t, s, c->env->now, lifetime, &tok, &exp);
	if (!api_rc_ok(c, rc, &ended_now, "signing the access token"))
		return false;
	json_object_object_add(answer, "access_token", json_object_new_string(tok));
	json_object_object_add(answer, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(answer, "expires_in", json_object_new_int64(exp - c->env->now));
	json_object_object_add(answer, "session_id", json_object_new_string(s->id));
	secret_free_str(tok);
	return true;
}

/* ------------------------------------------------------------ sessions */

static void
no_session(struct api_ctx *c)
{
	api_error(c, 404, "not_found", "no such session for this tenant");
}

static void
ended(struct api_ctx *c)
{
	api_error(c, 409, "conflict", "the session has ended (logged out, revoked, expired or idle "
		  "too long); start a new one with POST /v1/sessions");
}

/* The session named by the path, if it is the caller's tenant's. false with the error answered. */
static bool
own_session(struct api_ctx *c, struct tg_session **out)
{
	char *id = api_arg(c, 0);
	struct tg_session *s = NULL;
	enum tg_err rc = store_session_get(c->env->store, id, &s);

	free(id);
	if (rc == TG_ERR_NOT_FOUND || (rc == TG_OK && strcmp(s->tenant, c->tenant) != 0)) {
		no_session(c);
		session_free(s);
		return false;
	}
	if (rc != TG_OK) {
		api_fail(c, rc, "reading the session");
		return false;
	}
	*out = s;
	return true;
}

/* A user id: 1..TG_SESSION_USER_MAX bytes. */
static bool
user_ok(struct api_ctx *c, const char *user)
{
	if (user && *user && strlen(user) <= TG_SESSION_USER_MAX)
		return true;
	api_error(c, 400, "invalid_request", "\"user_id\" must be 1 to %d bytes", TG_SESSION_USER_MAX);
	return false;
}

/* A new session's user id becomes its tokens' sub: one the verifier would refuse is refused now. */
static bool
sub_ok(struct api_ctx *c, const char *user)
{
	const struct tg_tenant *t = api_tenant(c, c->tenant);

	if (!t || (int64_t)strlen(user) <= t->max_sub_length)
		return true;
	api_error(c, 400, "invalid_request", "\"user_id\" is %zu bytes, more than the tenant's "
		  "max_sub_length of %lld (it becomes the tokens' sub)", strlen(user),
		  (long long)t->max_sub_length);
	return false;
}

static bool
amr_from(struct api_ctx *c, const struct json_object *o, struct tg_strlist *amr)
{
	struct json_object *v;
	size_t n;

	if (!json_object_object_get_ex(o, "amr", &v))
		return true;
	n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : TG_AMR_MAX + 1;
	for (size_t i = 0; i < n && n <= TG_AMR_MAX; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) ||
		    !session_amr_is_valid(json_object_get_string(e)))
			break;
		strlist_add(amr, json_object_get_string(e));
	}
	if (n <= TG_AMR_MAX && amr->n == n)
		return true;
	api_error(c, 400, "invalid_request", "\"amr\" must be an array of at most %d method names "
		  "(1 to %d of A-Z a-z 0-9 _ . -, each once)", TG_AMR_MAX, TG_AMR_LEN_MAX);
	return false;
}

static bool
claims_from(struct api_ctx *c, const struct json_object *o, struct json_object **out)
{
	const struct tg_tenant *t = api_tenant(c, c->tenant);
	struct json_object *v, *payload;
	struct tg_why why = { "custom claims must be a JSON object" };
	struct tg_verdict verdict = { 0 };
	enum tg_err rc;

	if (!json_object_object_get_ex(o, "claims", &v))
		return true;
	if (!json_object_is_type(v, json_type_object) || mint_check_claims(t, v, &why) != TG_OK) {
		api_error(c, 400, "invalid_request", "\"claims\": %s", why.text);
		return false;
	}
	payload = mint_custom_payload(t, v);
	rc = grant_check_mapped(payload, t, &verdict);
	json_object_put(payload);
	if (rc != TG_OK) {
		api_error(c, 400, "invalid_request", "\"claims\": %s", verdict.why);
		return false;
	}
	*out = json_object_get(v);
	return true;
}

static bool
bind_ip_from(struct api_ctx *c, const struct api_body *b, char **out)
{
	char ip[INET6_ADDRSTRLEN], *given = NULL;
	bool is_ok = api_body_string(c, b, "bind_ip", &given);

	if (is_ok && given && api_ip_canonical(given, ip))
		*out = tg_xstrdup(ip);
	else if (is_ok && given)
		api_error(c, 400, "invalid_request", "\"bind_ip\" must be an IPv4 or IPv6 address");
	is_ok = is_ok && (!given || *out);
	free(given);
	return is_ok;
}

struct tg_session *
api_session_new(struct api_ctx *c)
{
	struct tg_session *s = tg_xcalloc(1, sizeof(*s));
	char id[TG_SESSION_ID_LEN + 1];
	enum tg_err rc = session_id_new(id);

	if (rc != TG_OK) {
		api_fail(c, rc, "making a session id");
		session_free(s);
		return NULL;
	}
	s->id = tg_xstrdup(id);
	s->tenant = tg_xstrdup(c->tenant);
	s->created = c->env->now;
	s->auth_time = s->created; /* the user authenticated right before this call */
	s->ttl = TG_DEFAULT_SESSION_TTL;
	return s;
}

/* The new session a POST /v1/sessions body describes, with a fresh id. */
static bool
session_from(struct api_ctx *c, const struct api_body *b, struct tg_session **out)
{
	struct tg_session *s = api_session_new(c);

	if (!s)
		return false;
	if (!api_body_string(c, b, "user_id", &s->user) || !user_ok(c, s->user) ||
	    !sub_ok(c, s->user) ||
	    !api_json_int(c, b->json, "session_ttl", 1, TG_MAX_SESSION_TTL, TG_DEFAULT_SESSION_TTL,
			  &s->ttl) ||
	    !amr_from(c, b->json, &s->amr) || !claims_from(c, b->json, &s->claims) ||
	    !bind_ip_from(c, b, &s->bind_ip)) {
		session_free(s);
		return false;
	}
	*out = s;
	return true;
}

/*
 * Adds the refresh token and its remaining life to a token answer, and sends
 * it (a copy): unused, it ends with the session, at the idle deadline when that
 * comes first.
 */
static void
answer_with_refresh(struct api_ctx *c, int status, struct json_object *answer, const char *rt,
		    const struct tg_session *s)
{
	json_object_object_add(answer, "refresh_token", json_object_new_string(rt));
	json_object_object_add(answer, "refresh_expires_in",
			       json_object_new_int64(session_deadline(s) - c->env->now));
	api_json(c, status, json_object_get(answer));
}

bool
api_session_start(struct api_ctx *c, struct tg_session *s, int64_t lifetime,
		  struct json_object *answer, char rt[TG_REFRESH_TOKEN_LEN + 1])
{
	unsigned char hash[TG_REFRESH_HASH_LEN];
	const struct tg_tenant *t = api_tenant(c, s->tenant);
	enum tg_err rc;
	bool is_ok = false;

	if (!t) {
		api_error(c, 404, "not_found", "the tenant no longer exists");
		return false;
	}
	s->expires = s->created + s->ttl;
	/* The tenant's limits as they are now stay the session's own. */
	session_limit(s, t->session_idle_timeout, t->session_max_lifetime);
	rc = refresh_token_new(rt, hash);
	if (rc != TG_OK) {
		api_fail(c, rc, "making a refresh token");
		goto out;
	}
	/* Signed before it is stored: a failure leaves no live session nobody holds a token for. */
	if (!api_session_sign(c, s, lifetime, answer))
		goto out;
	rc = store_session_create(c->env->store, s, hash, s->expires);
	if (!api_rc_ok(c, rc, &tenant_gone, "storing the session"))
		goto out;
	metrics_add(METRICS_SESSION_ISSUED);
	c->sid = tg_xstrdup(s->id);
	is_ok = true;
out:
	secret_wipe(hash, sizeof(hash));
	return is_ok;
}

/* POST /v1/sessions */
void
api_session_issue(struct api_ctx *c)
{
	static const char *const fields[] = { "user_id", "expires_in", "claims", "amr", "bind_ip",
					      "session_ttl", NULL };
	char rt[TG_REFRESH_TOKEN_LEN + 1];
	struct json_object *answer = json_object_new_object();
	struct tg_session *s = NULL;
	struct api_body b;
	int64_t lifetime;

	if (!api_body_read(c, false, &b))
		goto out;
	if (!b.json) {
		api_error(c, 400, "invalid_request", "send a JSON object with at least \"user_id\"");
		goto out;
	}
	if (!api_body_only(c, &b, fields) || !session_from(c, &b, &s) ||
	    !api_session_lifetime(c, b.json, c->tenant, &lifetime))
		goto out;
	if (api_session_start(c, s, lifetime, answer, rt))
		answer_with_refresh(c, 201, answer, rt, s);
out:
	secret_wipe(rt, sizeof(rt));
	json_object_put(answer);
	session_free(s);
	api_body_fini(&b);
}

#define LIST_LIMIT_DEFAULT 100

/* The query's limit: 1 to STORE_LIST_LIMIT_MAX in plain decimal digits, else false (answered). */
static bool
list_limit(struct api_ctx *c, const char *q, size_t *out)
{
	char *v = NULL;
	int64_t n = 0;
	enum tg_err rc = http_form_get(q, strlen(q), "limit", &v);
	bool is_ok;

	*out = LIST_LIMIT_DEFAULT;
	if (rc == TG_ERR_NOT_FOUND)
		return true;
	is_ok = rc == TG_OK && number_parse(v, 1, STORE_LIST_LIMIT_MAX, &n) == TG_OK;
	if (is_ok)
		*out = (size_t)n;
	else
		api_error(c, 400, "invalid_request", "limit must be a whole number from 1 to %d",
			  STORE_LIST_LIMIT_MAX);
	free(v);
	return is_ok;
}

/*
 * GET /v1/sessions?user_id=U[&limit=N][&cursor=C]: one page of the user's
 * live sessions; next_cursor names the next page, null on the last. A page
 * can hold fewer than limit (even none) and still have a next one.
 */
void
api_session_list(struct api_ctx *c)
{
	static const char *const fields[] = { "user_id", "limit", "cursor", NULL };
	const char *q = c->req->query_string ? c->req->query_string : "";
	struct store_session_page page = { 0 };
	struct json_object *arr;
	char *user = NULL, *cursor = NULL;
	size_t limit;
	enum tg_err rc;

	if (!api_form_ok(c, q, strlen(q)))
		goto out;
	if (http_form_has_other(q, strlen(q), fields) ||
	    http_form_get(q, strlen(q), "user_id", &user) != TG_OK) {
		api_error(c, 400, "invalid_request", "name the user: /v1/sessions?user_id=ID "
			  "(and optionally limit and cursor)");
		goto out;
	}
	if (!user_ok(c, user) || !list_limit(c, q, &limit))
		goto out;
	rc = http_form_get(q, strlen(q), "cursor", &cursor);
	if (rc == TG_ERR_NOT_FOUND) {
		cursor = NULL;
		rc = TG_OK;
	}
	if (rc == TG_OK)
		rc = store_session_list(c->env->store, c->tenant, user, cursor, limit, c->env->now,
					&page);
	if (!api_rc_ok(c, rc, &bad_cursor, "listing sessions"))
		goto out;
	arr = json_object_new_array();
	for (size_t i = 0; i < page.n; i++)
		json_object_array_add(arr, session_to_json(page.v[i], c->env->now));
	api_json_page(c, arr, page.next_cursor);
out:
	store_session_page_fini(&page);
	free(cursor);
	free(user);
}

/* GET /v1/sessions/{id} */
void
api_session_show(struct api_ctx *c)
{
	struct tg_session *s;

	if (!own_session(c, &s))
		return;
	api_json(c, 200, session_to_json(s, c->env->now));
	session_free(s);
}

/* A token answer for s, with the amr when is_amr. */
static void
answer_token(struct api_ctx *c, const struct tg_session *s, int64_t lifetime, bool is_amr)
{
	struct json_object *answer = json_object_new_object(), *amr;

	if (!api_session_sign(c, s, lifetime, answer)) {
		json_object_put(answer);
		return;
	}
	if (is_amr) {
		amr = json_object_new_array();
		for (size_t i = 0; i < s->amr.n; i++)
			json_object_array_add(amr, json_object_new_string(s->amr.v[i]));
		json_object_object_add(answer, "amr", amr);
	}
	api_json(c, 200, answer);
}

/*
 * An access token is about to be handed out for *s: its idle deadline moves
 * (*s is replaced by the stored record). false with the error answered.
 */
static bool
touched(struct api_ctx *c, struct tg_session **s)
{
	struct tg_session *fresh = NULL;
	enum tg_err rc;

	rc = store_session_touch(c->env->store, c->tenant, (*s)->id, c->env->now, &fresh);

	if (rc == TG_ERR_NOT_FOUND)
		no_session(c);
	else if (rc == TG_ERR_REJECTED)
		ended(c);
	else if (rc != TG_OK)
		api_fail(c, rc, "recording the session's new token");
	if (rc != TG_OK)
		return false;
	session_free(*s);
	*s = fresh;
	return true;
}

/*
 * POST /v1/sessions/{id}/tokens: a fresh access token for a live session. A
 * session without an idle timeout is not written: a token changes nothing of it.
 */
void
api_session_token(struct api_ctx *c)
{
	static const char *const fields[] = { "expires_in", NULL };
	struct tg_session *s = NULL;
	struct api_body b;
	int64_t lifetime;

	if (!api_body_read(c, false, &b))
		return;
	if (!api_body_only(c, &b, fields) || !api_session_lifetime(c, b.json, c->tenant, &lifetime) ||
	    !own_session(c, &s))
		goto out;
	if (!session_is_live(s, c->env->now))
		ended(c);
	else if (!s->idle_timeout || touched(c, &s))
		answer_token(c, s, lifetime, false);
out:
	session_free(s);
	api_body_fini(&b);
}

bool
api_session_add_method(struct api_ctx *c, const char *id, const char *method,
		       struct tg_session **out)
{
	enum tg_err rc = store_session_add_amr(c->env->store, c->tenant, id, method, c->env->now,
					       out);

	if (rc == TG_ERR_NOT_FOUND)
		no_session(c);
	else if (rc == TG_ERR_REJECTED)
		ended(c);
	else if (rc == TG_ERR_TOO_LARGE)
		api_error(c, 409, "conflict", "the session already holds %d authentication methods, "
			  "the most it can; start a new session", TG_AMR_MAX);
	else if (rc != TG_OK)
		api_fail(c, rc, "recording the authentication");
	return rc == TG_OK;
}

/* POST /v1/sessions/{id}/authentications: a step-up adds a method and answers a token with it. */
void
api_session_step_up(struct api_ctx *c)
{
	static const char *const fields[] = { "method", "expires_in", NULL };
	struct tg_session *s = NULL;
	struct api_body b;
	char *method = NULL, *id = NULL;
	int64_t lifetime;

	if (!api_body_read(c, false, &b))
		return;
	if (!api_body_only(c, &b, fields) || !api_body_string(c, &b, "method", &method) ||
	    !api_session_lifetime(c, b.json, c->tenant, &lifetime))
		goto out;
	if (!method || !session_amr_is_valid(method)) {
		api_error(c, 400, "invalid_request", "\"method\" must name the method (1 to %d of "
			  "A-Z a-z 0-9 _ . -), e.g. \"otp\"", TG_AMR_LEN_MAX);
		goto out;
	}
	id = api_arg(c, 0);
	if (api_session_add_method(c, id, method, &s))
		answer_token(c, s, lifetime, true);
out:
	free(id);
	free(method);
	session_free(s);
	api_body_fini(&b);
}

/* DELETE /v1/sessions/{id}, POST /v1/sessions/{id}/logout: idempotent on an ended session. */
void
api_session_end(struct api_ctx *c)
{
	char *id = api_arg(c, 0);
	enum tg_err rc = store_session_revoke(c->env->store, c->tenant, id, c->env->now);

	if (rc == TG_OK)
		metrics_add(METRICS_SESSION_REVOKED);
	if (rc == TG_OK)
		api_no_content(c);
	else if (rc == TG_ERR_NOT_FOUND)
		no_session(c);
	else
		api_fail(c, rc, "ending the session");
	free(id);
}

/*
 * A "/" in a path-form user id reaches us decoded into two segments (404 before
 * this) or, where the server keeps "%2F" or the client sent "%252F", as a
 * literal "%2F": either way the user meant is not the one named, and a 204
 * would say a logout happened that did not.
 */
void
api_session_user_slash(struct api_ctx *c)
{
	api_error(c, 400, "invalid_request", "a user id with \"/\" (or \"%%2F\") cannot go in the "
		  "path; send POST /v1/users/logout with {\"user_id\": \"...\"} instead");
}

/* The user of a logout: the path's segment, or the JSON body's "user_id" (POST /v1/users/logout). */
static bool
logout_user(struct api_ctx *c, char **out)
{
	static const char *const fields[] = { "user_id", NULL };
	struct api_body b;
	bool is_ok;

	if (c->args->n == 1) {
		*out = api_arg(c, 0);
		if (!strstr(*out, "%2F") && !strstr(*out, "%2f"))
			return user_ok(c, *out);
		api_session_user_slash(c);
		return false;
	}
	if (!api_body_read(c, false, &b))
		return false;
	is_ok = b.json && api_body_only(c, &b, fields) && api_body_string(c, &b, "user_id", out);
	if (!b.json)
		api_error(c, 400, "invalid_request", "send {\"user_id\": \"...\"} as JSON");
	api_body_fini(&b);
	return is_ok && user_ok(c, *out);
}

/*
 * POST /v1/users/{user_id}/logout and POST /v1/users/logout {"user_id"}:
 * every live session of the user. The web server has already percent-decoded
 * PATH_INFO (RFC 3875 4.1.5), so the segment is taken as it is: decoding it
 * again would turn "%2541" into "A".
 */
void
api_session_end_user(struct api_ctx *c)
{
	char *user = NULL;
	size_t ended = 0;
	enum tg_err rc;

	if (logout_user(c, &user)) {
		rc = store_session_revoke_user(c->env->store, c->tenant, user, c->env->now, &ended);
		if (rc == TG_OK)
			metrics_add_n(METRICS_SESSION_REVOKED, ended);
		if (rc == TG_OK)
			api_no_content(c);
		else
			api_fail(c, rc, "ending the user's sessions");
	}
	free(user);
}

#define GRANT_TYPE "refresh_token" /* the only grant /v1/token serves */

/* What tokengate reads of a /v1/token request (RFC 6749 6). */
struct refresh_grant {
	char *refresh_token;
	char *scope;    /* NULL: the session's whole scope */
	char *resource; /* RFC 8707; NULL: none named */
};

static void
grant_fini(struct refresh_grant *g)
{
	secret_free_str(g->refresh_token);
	free(g->scope);
	free(g->resource);
}

/* A request parameter; RFC 6749 3.2: one sent without a value is as if omitted. */
static bool
grant_param(struct api_ctx *c, const struct api_body *b, const char *name, char **out)
{
	if (!api_body_string(c, b, name, out))
		return false;
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	return true;
}

/* RFC 6749 3.3: scope-token *( SP scope-token ), a token of %x21 / %x23-5B / %x5D-7E. */
static bool
is_scope_syntax(const char *scope)
{
	for (const char *p = scope; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ' ? p == scope || p[1] == '\0' || p[1] == ' '
			      : ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\')
			return false;
	}
	return true;
}

/*
 * The grant of a request, with the RFC's refusals: grant_type first, so any
 * other grant is unsupported_grant_type whatever else it carries. client_id
 * and client_secret are read (a repeated or mistyped one is malformed) and
 * not checked: the endpoint has public clients only, the refresh token being
 * the credential (docs/api.md).
 */
static bool
grant_read(struct api_ctx *c, const struct api_body *b, struct refresh_grant *g)
{
	static const char *const fields[] = { "grant_type", "refresh_token", "client_id",
					      "client_secret", "scope", "resource", NULL };
	char *type = NULL, *client_id = NULL, *client_secret = NULL;
	bool is_ok = false;

	if (!b->json && !b->form) {
		api_error(c, 400, "invalid_request", "send grant_type=refresh_token and the "
			  "refresh_token (JSON or a form)");
		return false;
	}
	if (!grant_param(c, b, "grant_type", &type))
		goto out;
	if (!type) {
		api_error(c, 400, "invalid_request", "grant_type is required (refresh_token)");
		goto out;
	}
	if (strcmp(type, GRANT_TYPE) != 0) {
		api_error(c, 400, "unsupported_grant_type", "only grant_type=refresh_token is "
			  "served; sessions start with the backend's POST /v1/sessions");
		goto out;
	}
	/* RFC 6749 3.2: a form's unknown parameters are ignored; JSON is tokengate's, and strict. */
	if ((b->json && !api_body_only(c, b, fields)) ||
	    !grant_param(c, b, "refresh_token", &g->refresh_token) ||
	    !grant_param(c, b, "client_id", &client_id) ||
	    !grant_param(c, b, "client_secret", &client_secret) ||
	    !grant_param(c, b, "scope", &g->scope) || !grant_param(c, b, "resource", &g->resource))
		goto out;
	if (!g->refresh_token)
		api_error(c, 400, "invalid_request", "refresh_token is required");
	else if (g->scope && !is_scope_syntax(g->scope))
		api_error(c, 400, "invalid_scope", "scope must be names of printable ASCII (no \" "
			  "or \\) separated by single spaces (RFC 6749 3.3)");
	else
		is_ok = true;
out:
	free(type);
	free(client_id);
	secret_free_str(client_secret);
	return is_ok;
}

/* RFC 6749 5.2: a grant that is no good is 400 invalid_grant (a 401 is for client authentication). */
static void
refresh_refused(struct api_ctx *c, enum tg_err rc)
{
	if (rc == TG_ERR_NOT_FOUND) {
		api_error(c, 400, "invalid_grant", "the refresh token is unknown or expired, or its "
			  "session has ended; sign in again");
	} else if (rc == TG_ERR_REJECTED) {
		TG_LOG(TG_LOG_WARN, "api: a used refresh token came back; its session is ended as a "
		       "precaution");
		api_error(c, 400, "invalid_grant", "this refresh token was already used, so its "
			  "session has been ended as a precaution; sign in again");
	} else if (rc == TG_ERR_DENIED) {
		api_error(c, 400, "invalid_grant", "this session's refresh tokens are bound to "
			  "another client address (bind_ip)");
	} else {
		api_fail(c, rc, "refreshing the session");
	}
}

/*
 * The refresh token's session (its id at sid) takes from its own bucket, with
 * its tenant's per-key limits, before anything rotates: a client stuck in a
 * refresh loop is slowed down without its token being used up. An unknown
 * token takes nothing (400), so it cannot drain anyone's bucket. false with
 * the answer sent.
 */
static bool
refresh_rate_take(struct api_ctx *c, const unsigned char hash[TG_REFRESH_HASH_LEN],
		  char sid[TG_SESSION_ID_LEN + 1])
{
	char tenant[TG_TENANT_ID_MAX + 1];
	char bucket[sizeof(TG_RATE_SESSION_PREFIX) + TG_SESSION_ID_LEN];
	enum tg_err rc = store_refresh_session(c->env->store, hash, sid, tenant);

	if (rc != TG_OK) {
		refresh_refused(c, rc);
		return false;
	}
	c->tenant = tg_xstrdup(tenant);
	c->sid = tg_xstrdup(sid);
	snprintf(bucket, sizeof(bucket), "%s%s", TG_RATE_SESSION_PREFIX, sid);
	return api_rate_take(c, bucket, tenant);
}

/* The tenant's refresh_reuse_grace, or the configuration's when it sets none. */
static int64_t
reuse_grace(struct api_ctx *c, const char *tenant)
{
	const struct tg_tenant *t = api_tenant(c, tenant);

	return t && t->refresh_reuse_grace >= 0 ? t->refresh_reuse_grace
						: c->env->cfg->refresh_reuse_grace;
}

/* tok's successor and its hash, under the store's refresh key, which is wiped at once. */
static enum tg_err
successor_of(struct api_ctx *c, const char *tok, char rt[TG_REFRESH_TOKEN_LEN + 1],
	     unsigned char hash[TG_REFRESH_HASH_LEN])
{
	struct tg_secret key = { 0 };
	enum tg_err rc = store_refresh_key(c->env->store, &key);

	if (rc == TG_OK)
		rc = refresh_token_successor(&key, tok, strlen(tok), rt, hash);
	secret_free(&key);
	return rc;
}

/*
 * Whether g asks only for what session sid has, before anything rotates.
 * RFC 6749 6: a scope may narrow the session's, the "scope" of its custom
 * claims (a space-separated string or an array; none: nothing to ask for),
 * never widen it. RFC 8707 2: a resource must be the tenant's audience, the
 * one resource its tokens are for. false with the refusal answered.
 */
static bool
grant_fits(struct api_ctx *c, const struct refresh_grant *g, const char *sid)
{
	const struct tg_tenant *t = api_tenant(c, c->tenant);
	struct tg_session *s = NULL;
	struct json_object *have = NULL;
	enum tg_err rc;
	bool is_ok = false;

	if (g->resource && (!t || !t->audience || strcmp(g->resource, t->audience) != 0)) {
		api_error(c, 400, "invalid_target", "resource must be the tenant's audience (tenant "
			  "set --audience), the one resource its tokens are for; omit it otherwise");
		return false;
	}
	if (!g->scope)
		return true;
	rc = store_session_get(c->env->store, sid, &s);
	if (rc != TG_OK) {
		refresh_refused(c, rc);
		return false;
	}
	if (s->claims)
		json_object_object_get_ex(s->claims, "scope", &have);
	is_ok = have && claims_scope_has(have, g->scope);
	if (!is_ok)
		api_error(c, 400, "invalid_scope", have ? "scope asks for more than the session's "
			  "scope; ask for some of it, or omit scope for all of it"
			  : "the session was issued without a \"scope\" claim; omit scope");
	session_free(s);
	return is_ok;
}

/*
 * POST /v1/token: the refresh token is the credential; it is used up and a
 * new one answered with the access token (rotation). The new one is derived
 * from it, so a repeat within the grace is answered with the very same one.
 * A narrower scope goes into this access token only; the session keeps its
 * own (RFC 6749 6). With no body, the refresh cookie is the token, and the
 * answer sets both cookies again instead of carrying the tokens.
 */
void
api_session_refresh(struct api_ctx *c)
{
	unsigned char old[TG_REFRESH_HASH_LEN], new[TG_REFRESH_HASH_LEN];
	char rt[TG_REFRESH_TOKEN_LEN + 1], addr[INET6_ADDRSTRLEN], sid[TG_SESSION_ID_LEN + 1];
	struct json_object *answer = NULL;
	struct tg_session *s = NULL;
	struct refresh_grant g = { 0 };
	struct api_body b;
	int64_t lifetime;
	enum tg_err rc;
	bool is_cookie = false;

	if (!api_body_read(c, true, &b))
		return;
	/* A browser's refresh: no body, the HttpOnly refresh cookie login set. */
	if (!b.json && !b.form && api_refresh_cookie(c, &g.refresh_token) == TG_OK)
		is_cookie = true;
	else if (!grant_read(c, &b, &g))
		goto out;
	if (!api_ip_canonical(c->req->remote_addr, addr))
		addr[0] = '\0';
	rc = refresh_token_hash(g.refresh_token, strlen(g.refresh_token), old);
	if (rc != TG_OK) {
		refresh_refused(c, rc);
		goto out;
	}
	if (!refresh_rate_take(c, old, sid) || (is_cookie && !api_origin_ok(c, c->tenant)) ||
	    !grant_fits(c, &g, sid))
		goto out;
	rc = successor_of(c, g.refresh_token, rt, new);
	if (rc == TG_OK)
		rc = store_refresh_rotate(c->env->store, old, new, addr, c->env->now,
					  reuse_grace(c, c->tenant), &s);
	if (rc != TG_OK) {
		refresh_refused(c, rc);
		goto out;
	}
	if (g.scope && s->claims)
		json_object_object_add(s->claims, "scope", json_object_new_string(g.scope));
	answer = json_object_new_object();
	if (!api_session_lifetime(c, NULL, s->tenant, &lifetime) || !api_session_sign(c, s, lifetime, answer))
		goto out;
	metrics_add(METRICS_SESSION_REFRESHED);
	if (is_cookie)
		api_cookie_answer(c, answer, rt, s, NULL, NULL);
	else
		answer_with_refresh(c, 200, answer, rt, s);
out:
	secret_wipe(rt, sizeof(rt));
	secret_wipe(old, sizeof(old));
	secret_wipe(new, sizeof(new));
	grant_fini(&g);
	json_object_put(answer);
	session_free(s);
	api_body_fini(&b);
}
