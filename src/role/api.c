/*
 * The API's front: the route table and dispatch, API-key authentication and
 * rate limits, request bodies, error answers and the per-request log line,
 * token minting for sessions, and the endpoints that are not a backend's
 * session calls (authorize, self-service logout/cookie, introspect, JWKS).
 * Never logs a token, refresh token or API key; never touches libfcgi or BDB.
 */
#include "role/api_internal.h"

#include "base/secret.h"
#include "jose/claims.h"
#include "base/json_strict.h"
#include "base/log.h"
#include "join/keyring_sync.h"
#include "join/signing_key.h"
#include "jose/mint.h"
#include "store/store.h"
#include "jose/verify.h"

#include <arpa/inet.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum api_auth { API_OPEN, API_KEY };

struct api_route {
	const char *method; /* NULL: any */
	const char *path;   /* http_path_match pattern, relative to the mount */
	enum api_auth auth;
	bool is_logged;     /* /v1/authorize logs its decision itself */
	void (*run)(struct api_ctx *c);
};

/* ------------------------------------------------------------ answers */

static void
challenge(struct api_ctx *c, const char *code)
{
	const char *realm = c->env->cfg->realm;
	char *h = strcmp(code, "invalid_token") == 0
			  ? tg_xasprintf("Bearer realm=\"%s\", error=\"invalid_token\"", realm)
			  : tg_xasprintf("Bearer realm=\"%s\"", realm);

	http_header_add(c->r, "WWW-Authenticate", h);
	free(h);
}

void
api_error(struct api_ctx *c, int status, const char *code, const char *fmt, ...)
{
	char desc[TG_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	http_response_fini(c->r);
	http_response_init(c->r, status);
	if (status == 401)
		challenge(c, code); /* RFC 9110 15.5.2: a 401 always carries a challenge */
	http_set_error(c->r, status, code, desc);
}

void
api_fail(struct api_ctx *c, enum tg_err rc, const char *what)
{
	if (rc == TG_ERR_BUSY) {
		api_error(c, 503, "temporarily_unavailable",
			  "the database is busy (%s); retry in a second", what);
		http_header_add(c->r, "Retry-After", "1");
		return;
	}
	TG_LOG(TG_LOG_ERR, "api: %s failed: %s", what, tg_err_str(rc));
	api_error(c, 500, "server_error", "%s failed (%s); the gateway's error log has the detail",
		  what, tg_err_str(rc));
}

void
api_json(struct api_ctx *c, int status, struct json_object *o_owned)
{
	http_response_fini(c->r);
	http_response_init(c->r, status);
	http_set_json(c->r, status, o_owned);
	json_object_put(o_owned);
}

void
api_no_content(struct api_ctx *c)
{
	http_response_fini(c->r);
	http_response_init(c->r, 204);
	http_header_add(c->r, "Cache-Control", "no-store");
}

/* ------------------------------------------------------------ small pure helpers */

bool
api_ip_canonical(const char *in, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[sizeof(struct in6_addr)];

	if (!in)
		return false;
	if (inet_pton(AF_INET, in, a) == 1)
		return inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN) != NULL;
	if (inet_pton(AF_INET6, in, a) == 1)
		return inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN) != NULL;
	return false;
}

/* ------------------------------------------------------------ context */

const struct tg_tenant *
api_tenant(const struct api_ctx *c, const char *id)
{
	return id ? keyring_tenant(c->env->kr, id) : NULL;
}

char *
api_arg(const struct api_ctx *c, size_t i)
{
	return tg_xstrndup(c->args->v[i].p, c->args->v[i].len);
}

bool
api_rate_take(struct api_ctx *c, const char *bucket, const char *tenant)
{
	const struct tg_tenant *t = api_tenant(c, tenant);
	int64_t rate = t && t->rate_limit_per_key ? t->rate_limit_per_key
						  : c->env->cfg->rate_limit_per_key;
	int64_t burst = t && t->rate_limit_burst ? t->rate_limit_burst : c->env->cfg->rate_limit_burst;
	int64_t retry = 1;
	char secs[24];
	enum tg_err rc;

	if (rate == 0)
		return true;
	rc = store_ratelimit_take(c->env->store, bucket, rate, burst, c->env->now_ms, &retry);
	if (rc == TG_OK)
		return true;
	if (rc != TG_ERR_LIMITED) {
		api_fail(c, rc, "the rate limit");
		return false;
	}
	api_error(c, 429, "rate_limited", "too many requests (%lld per second, burst %lld); retry "
		  "after %lld s", (long long)rate, (long long)burst, (long long)retry);
	snprintf(secs, sizeof(secs), "%lld", (long long)retry);
	http_header_add(c->r, "Retry-After", secs);
	return false;
}

/* The API key in Authorization: Bearer, its tenant and its rate limit. */
static bool
authenticate(struct api_ctx *c)
{
	unsigned char hash[TG_APIKEY_HASH_LEN];
	struct tg_apikey *a = NULL;
	const char *tok;
	size_t len;
	enum tg_err rc = http_bearer(c->req->authorization, &tok, &len);
	bool is_ok = false;

	if (rc != TG_OK) {
		api_error(c, 401, "invalid_client", rc == TG_ERR_NOT_FOUND
			  ? "this endpoint needs the tenant's API key: Authorization: Bearer <key>"
			  : "the Authorization header is not a valid Bearer credential");
		return false;
	}
	rc = apikey_hash(tok, len, hash);
	if (rc == TG_OK)
		rc = store_apikey_find(c->env->store, hash, &a);
	if (rc == TG_ERR_NOT_FOUND ||
	    (rc == TG_OK && !secret_equal(a->hash, sizeof(hash), hash, sizeof(hash)))) {
		api_error(c, 401, "invalid_client", "unknown API key (create one with "
			  "`tokengatectl apikey create TENANT`)");
		goto out;
	}
	if (rc != TG_OK) {
		api_fail(c, rc, "the API key lookup");
		goto out;
	}
	c->tenant = tg_xstrdup(a->tenant);
	c->key_id = tg_xstrdup(a->id);
	if (a->revoked || !api_tenant(c, a->tenant)) {
		api_error(c, 401, "invalid_client", "this API key is revoked or its tenant removed; "
			  "use another key of the tenant");
		goto out;
	}
	is_ok = api_rate_take(c, a->id, a->tenant);
out:
	secret_wipe(hash, sizeof(hash));
	apikey_free(a);
	return is_ok;
}

/* ------------------------------------------------------------ bodies */

bool
api_body_read(struct api_ctx *c, bool is_form_ok, struct api_body *b)
{
	const struct http_request *req = c->req;
	bool is_form = is_form_ok &&
		       http_content_type_is(req->content_type, "application/x-www-form-urlencoded");
	struct json_object *o = NULL;
	struct tg_why why;
	char *buf = NULL;
	size_t len = 0;
	enum tg_err rc;

	memset(b, 0, sizeof(*b));
	/* Without a length, a Content-Type says a body follows (read to its end). */
	if (req->content_length == 0 || (req->content_length < 0 && !req->content_type))
		return true;
	if (!is_form && !http_content_type_is(req->content_type, "application/json")) {
		api_error(c, 415, "unsupported_media_type", is_form_ok
			  ? "send the body as application/json or application/x-www-form-urlencoded"
			  : "send the body as application/json");
		return false;
	}
	rc = http_read_body(c->env->conn, req, (size_t)c->env->cfg->max_body_bytes, &buf, &len);
	if (rc == TG_ERR_TOO_LARGE) {
		api_error(c, 413, "request_too_large", "the body is larger than %lld bytes "
			  "(max_body_bytes)", (long long)c->env->cfg->max_body_bytes);
		return false;
	}
	if (rc != TG_OK) {
		api_error(c, 400, "invalid_request", "the request body could not be read (%s)",
			  tg_err_str(rc));
		return false;
	}
	if (is_form) {
		b->form = buf;
		b->len = len;
		return true;
	}
	rc = json_strict_parse(buf, len, &o, &why);
	free(buf);
	if (rc != TG_OK || !json_object_is_type(o, json_type_object)) {
		api_error(c, 400, "invalid_request", "the body must be one JSON object%s%s",
			  rc != TG_OK ? ": " : "", rc != TG_OK ? why.text : "");
		json_object_put(o);
		return false;
	}
	b->json = o;
	return true;
}

void
api_body_fini(struct api_body *b)
{
	json_object_put(b->json);
	secret_free_buf(b->form, b->len); /* it may carry a refresh token */
	memset(b, 0, sizeof(*b));
}

static bool
is_listed(const char *name, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(name, allowed[i]) == 0)
			return true;
	return false;
}

bool
api_body_only(struct api_ctx *c, const struct api_body *b, const char *const *allowed)
{
	if (b->form && http_form_has_other(b->form, b->len, allowed)) {
		api_error(c, 400, "invalid_request", "the form has a field this endpoint does not take");
		return false;
	}
	if (!b->json)
		return true;
	json_object_object_foreach(b->json, name, value) {
		(void)value;
		if (!is_listed(name, allowed)) {
			api_error(c, 400, "invalid_request", "unknown member \"%.40s\" (docs/api.md "
				  "lists what this endpoint takes)", name);
			return false;
		}
	}
	return true;
}

bool
api_body_string(struct api_ctx *c, const struct api_body *b, const char *name, char **out)
{
	struct json_object *v;
	enum tg_err rc;

	*out = NULL;
	if (b->form) {
		rc = http_form_get(b->form, b->len, name, out);
		if (rc == TG_OK || rc == TG_ERR_NOT_FOUND)
			return true;
		api_error(c, 400, "invalid_request", "the form field \"%s\" is repeated or badly "
			  "encoded", name);
		return false;
	}
	if (!b->json || !json_object_object_get_ex(b->json, name, &v))
		return true;
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		api_error(c, 400, "invalid_request", "\"%s\" must be a string (without NUL)", name);
		return false;
	}
	*out = tg_xstrdup(json_object_get_string(v));
	return true;
}

bool
api_json_int(struct api_ctx *c, const struct json_object *o, const char *name, int64_t min,
	     int64_t max, int64_t dflt, int64_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!o || !json_object_object_get_ex(o, name, &v)) {
		*out = dflt;
		return true;
	}
	n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : min - 1;
	if (n < min || n > max) {
		api_error(c, 400, "invalid_request", "\"%s\" must be an integer from %lld to %lld",
			  name, (long long)min, (long long)max);
		return false;
	}
	*out = n;
	return true;
}

/* ------------------------------------------------------------ minting */

bool
api_lifetime(struct api_ctx *c, const struct json_object *o, const char *tenant, int64_t *out)
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

bool
api_mint(struct api_ctx *c, const struct tg_session *s, int64_t lifetime,
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
	if (rc == TG_ERR_REJECTED) {
		api_error(c, 409, "conflict", "the session ended a moment ago; start a new one");
		return false;
	}
	if (rc != TG_OK) {
		api_fail(c, rc, "signing the access token");
		return false;
	}
	json_object_object_add(answer, "access_token", json_object_new_string(tok));
	json_object_object_add(answer, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(answer, "expires_in", json_object_new_int64(exp - c->env->now));
	json_object_object_add(answer, "session_id", json_object_new_string(s->id));
	secret_free_str(tok);
	return true;
}

/* ------------------------------------------------------------ tokens presented to the API */

enum tg_err
api_session_check(void *store, const char *tenant, const char *sid, int64_t now)
{
	return store_session_check(store, tenant, sid, now);
}

static void
decide(const struct api_ctx *c, const struct http_request *req, struct authz_decision *d)
{
	const struct api_env *env = c->env;
	struct authz_env ae = {
		.cfg = env->cfg, .kr = env->kr, .cache = env->cache, .now = env->now,
		.session_check = api_session_check, .session_ctx = env->store,
	};

	authz_decide(&ae, req, d);
}

static void
authorize(struct api_ctx *c)
{
	struct authz_decision d;

	decide(c, c->req, &d);
	if (d.status == 200)
		TG_LOG(TG_LOG_DEBUG, "allow %s %s%s for \"%s\"", d.source, d.token_mask,
		       d.is_cached ? " (cached)" : "", d.user);
	else
		TG_LOG(d.status == 500 ? TG_LOG_ERR : TG_LOG_INFO, "refuse %d %s%s%s%s%s%s%s: %s",
		       d.status, d.error ? d.error : "no_token", d.reason ? " " : "",
		       d.reason ? tg_reason_code(d.reason) : "", d.source ? " " : "",
		       d.source ? d.source : "", d.source ? " " : "", d.source ? d.token_mask : "",
		       d.description);
	http_response_fini(c->r);
	authz_render(&d, c->req->role, c->env->cfg->realm, c->r);
	authz_decision_fini(&d);
}

/*
 * The self-service calls act on the session of the token they carry, so only
 * a live gateway-issued token will do. false with the refusal answered.
 */
static bool
self_token(struct api_ctx *c, const struct http_request *req, struct authz_decision *d)
{
	decide(c, req, d);
	if (d->status == 401) {
		api_error(c, 401, "invalid_token", "%s", d->description);
		return false;
	}
	if (d->status != 200) {
		http_response_fini(c->r);
		authz_render(d, HTTP_ROLE_RESPONDER, c->env->cfg->realm, c->r);
		return false;
	}
	c->tenant = tg_xstrdup(d->tenant);
	if (!d->sid) {
		api_error(c, 403, "access_denied", "only tokens the gateway issued for a session "
			  "can end it or become a cookie");
		return false;
	}
	return true;
}

/* The configuration checks cookie_name, so a refusal here is a value that cannot be one. */
static enum tg_err
set_cookie(struct api_ctx *c, const char *value, int64_t max_age)
{
	char *h = NULL;
	enum tg_err rc = http_cookie_format(c->env->cfg->cookie_name, value, max_age, &h);

	if (rc != TG_OK)
		return rc;
	http_header_add(c->r, "Set-Cookie", h);
	secret_free_str(h);
	return TG_OK;
}

/* POST /v1/logout: the token from Bearer or the cookie ends its own session. */
static void
self_logout(struct api_ctx *c)
{
	struct authz_decision d;
	enum tg_err rc;

	if (self_token(c, c->req, &d)) {
		rc = store_session_revoke(c->env->store, d.tenant, d.sid, c->env->now);
		if (rc == TG_OK || rc == TG_ERR_NOT_FOUND) {
			api_no_content(c);
			if (set_cookie(c, "", 0) != TG_OK)
				api_fail(c, TG_ERR_INVALID, "clearing the session cookie");
		} else {
			api_fail(c, rc, "ending the session");
		}
	}
	authz_decision_fini(&d);
}

/* POST /v1/cookie: a Bearer token (never a cookie) becomes the HttpOnly cookie. */
static void
self_cookie(struct api_ctx *c)
{
	struct http_request bearer_only = *c->req;
	struct authz_decision d;
	char *tok;

	bearer_only.cookie = NULL;
	if (self_token(c, &bearer_only, &d)) {
		tok = tg_xstrndup(d.token, d.token_len);
		api_no_content(c);
		/*
		 * A token accepted inside the clock leeway after its exp has no
		 * lifetime left to give a cookie (Max-Age 0 would delete it).
		 */
		if (d.exp <= c->env->now)
			api_error(c, 401, "invalid_token", "the token has expired; refresh it "
				  "before making it a cookie");
		else if (set_cookie(c, tok, d.exp - c->env->now) != TG_OK)
			api_fail(c, TG_ERR_INVALID, "making the token a cookie");
		secret_free_str(tok);
	}
	authz_decision_fini(&d);
}

static void
add_claim(struct json_object *answer, const struct json_object *payload, const char *name,
	  json_type type)
{
	struct json_object *v;

	if (json_object_object_get_ex(payload, name, &v) && json_object_is_type(v, type))
		json_object_object_add(answer, name, json_object_get(v));
}

/* Whether v (verified against the caller's tenant) is still good: a gateway token's session. */
static bool
is_active(struct api_ctx *c, const struct tg_verified *v, bool *is_ok)
{
	struct json_object *sid;
	enum tg_err rc;

	*is_ok = true;
	if (!v->is_gateway)
		return true;
	if (!json_object_object_get_ex(v->claims, "sid", &sid) ||
	    !json_object_is_type(sid, json_type_string))
		return false;
	rc = store_session_check(c->env->store, v->tenant, json_object_get_string(sid), c->env->now);
	if (rc == TG_OK)
		return true;
	if (rc != TG_ERR_NOT_FOUND && rc != TG_ERR_REJECTED) {
		api_fail(c, rc, "the session check");
		*is_ok = false;
	}
	return false;
}

static struct json_object *
introspection(const struct tg_verified *v, const struct tg_tenant *t)
{
	struct json_object *o = json_object_new_object(), *amr = claims_lookup(v->claims, t, "amr");

	json_object_object_add(o, "active", json_object_new_boolean(1));
	json_object_object_add(o, "sub", json_object_new_string(v->sub));
	json_object_object_add(o, "exp", json_object_new_int64(v->exp));
	add_claim(o, v->claims, "iat", json_type_int);
	if (v->is_gateway)
		add_claim(o, v->claims, "sid", json_type_string);
	json_object_object_add(o, "tid", json_object_new_string(v->tenant));
	add_claim(o, v->claims, "iss", json_type_string);
	if (amr && json_object_is_type(amr, json_type_array))
		json_object_object_add(o, "amr", json_object_get(amr));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	add_claim(o, v->claims, "client_id", json_type_string);
	return o;
}

/* POST /v1/introspect (RFC 7662): only ever against the API key's own tenant. */
static void
introspect(struct api_ctx *c)
{
	static const char *const fields[] = { "token", "token_type_hint", NULL };
	struct tg_verified *v = NULL;
	struct tg_verdict verdict = { 0 };
	struct api_body b;
	struct json_object *o;
	char *tok = NULL;
	bool is_ok = true;
	enum tg_err rc;

	if (!api_body_read(c, true, &b))
		return;
	if (!api_body_only(c, &b, fields) || !api_body_string(c, &b, "token", &tok))
		goto out;
	if (!tok || !*tok) {
		api_error(c, 400, "invalid_request", "send the token to introspect as \"token\"");
		goto out;
	}
	rc = verify_token(c->env->kr, c->tenant, tok, strlen(tok), c->env->now, &v, &verdict);
	if (rc == TG_ERR_REJECTED && verdict.reason == TG_R_INTERNAL)
		rc = TG_ERR_CRYPTO;
	if (rc != TG_OK && rc != TG_ERR_REJECTED) {
		api_fail(c, rc, "verifying the token");
		goto out;
	}
	if (rc == TG_OK && is_active(c, v, &is_ok)) {
		o = introspection(v, api_tenant(c, c->tenant));
	} else if (rc == TG_OK && !is_ok) {
		goto out;
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "active", json_object_new_boolean(0));
	}
	api_json(c, 200, o);
out:
	secret_free_str(tok);
	verified_free(v);
	api_body_fini(&b);
}

/* GET /.well-known/jwks.json?tenant=T: the public halves of T's gateway signing keys. */
static void
jwks(struct api_ctx *c)
{
	static const char *const fields[] = { "tenant", NULL };
	const char *q = c->req->query_string ? c->req->query_string : "";
	const struct keyring_key *keys;
	const struct tg_key **gw;
	char *tenant = NULL;
	size_t n, ngw = 0;

	if (http_form_has_other(q, strlen(q), fields) ||
	    http_form_get(q, strlen(q), "tenant", &tenant) != TG_OK) {
		api_error(c, 400, "invalid_request", "name the tenant: /.well-known/jwks.json?tenant=ID");
		goto out;
	}
	if (!api_tenant(c, tenant)) {
		api_error(c, 404, "unknown_tenant", "there is no such tenant");
		goto out;
	}
	c->tenant = tg_xstrdup(tenant);
	keyring_keys(c->env->kr, tenant, &keys, &n);
	gw = tg_xcalloc(n + 1, sizeof(*gw));
	for (size_t i = 0; i < n; i++)
		if (keys[i].is_gateway && keyring_key_parsed(&keys[i]))
			gw[ngw++] = keyring_key_parsed(&keys[i]);
	api_json(c, 200, mint_jwks(gw, ngw));
	free(gw);
	/* Public keys: caches may keep them a while (a rotated-in key is published before use). */
	for (size_t i = 0; i < c->r->nheaders; i++) {
		if (strcmp(c->r->headers[i].name, "Cache-Control") == 0) {
			free(c->r->headers[i].value);
			c->r->headers[i].value = tg_xstrdup("public, max-age=300");
		}
	}
out:
	free(tenant);
}

/* ------------------------------------------------------------ routing */

static const struct api_route routes[] = {
	/* nginx auth_request: any method, since the subrequest keeps the original one. */
	{ NULL, "/v1/authorize", API_OPEN, false, authorize },
	{ "POST", "/v1/sessions", API_KEY, true, api_session_issue },
	{ "GET", "/v1/sessions", API_KEY, true, api_session_list },
	{ "GET", "/v1/sessions/{}", API_KEY, true, api_session_show },
	{ "DELETE", "/v1/sessions/{}", API_KEY, true, api_session_end },
	{ "POST", "/v1/sessions/{}/logout", API_KEY, true, api_session_end },
	{ "POST", "/v1/sessions/{}/tokens", API_KEY, true, api_session_token },
	{ "POST", "/v1/sessions/{}/authentications", API_KEY, true, api_session_step_up },
	{ "POST", "/v1/users/{}/logout", API_KEY, true, api_session_end_user },
	{ "POST", "/v1/token", API_OPEN, true, api_session_refresh },
	{ "POST", "/v1/logout", API_OPEN, true, self_logout },
	{ "POST", "/v1/cookie", API_OPEN, true, self_cookie },
	{ "POST", "/v1/introspect", API_KEY, true, introspect },
	{ "GET", "/.well-known/jwks.json", API_OPEN, true, jwks },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* 405 with every method the path takes, or 404. */
static void
no_route(struct api_ctx *c)
{
	struct http_path_args args;
	char allow[64] = "";

	for (size_t i = 0; i < NROUTES; i++) {
		if (!routes[i].method || !http_path_match(routes[i].path, c->req->path_info, &args))
			continue;
		if (*allow)
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, routes[i].method, sizeof(allow) - strlen(allow) - 1);
	}
	if (!*allow) {
		api_error(c, 404, "not_found", "no such endpoint (the API routes on PATH_INFO)");
		return;
	}
	api_error(c, 405, "method_not_allowed", "this endpoint takes %s only", allow);
	http_header_add(c->r, "Allow", allow);
}

static const struct api_route *
find_route(const struct http_request *req, struct http_path_args *args)
{
	for (size_t i = 0; i < NROUTES; i++) {
		const struct api_route *rt = &routes[i];

		if (http_path_match(rt->path, req->path_info, args) &&
		    (!rt->method || (req->method && strcmp(rt->method, req->method) == 0)))
			return rt;
	}
	return NULL;
}

void
api_handle(const struct api_env *env, const struct http_request *req, struct http_response *r)
{
	struct http_path_args args = { 0 };
	struct api_ctx c = { .env = env, .req = req, .args = &args, .r = r };
	const struct api_route *rt = req->role == HTTP_ROLE_AUTHORIZER ? &routes[0]
								       : find_route(req, &args);

	http_response_init(r, 500);
	if (!rt)
		no_route(&c);
	else if (rt->auth == API_OPEN || authenticate(&c))
		rt->run(&c);
	if (!rt || rt->is_logged)
		TG_LOG(TG_LOG_INFO, "api %s %s %d tenant=%s key=%s", req->method ? req->method : "-",
		       rt ? rt->path : "(no route)", r->status, c.tenant ? c.tenant : "-",
		       c.key_id ? c.key_id : "-");
	free(c.tenant);
	free(c.key_id);
}
