/*
 * The endpoints a token is presented to: /v1/authorize (nginx auth_request,
 * decided as the authorizer decides), the self-service /v1/logout and
 * /v1/cookie, /v1/introspect (RFC 7662) and the JWKS of gateway keys. Never
 * logs or echoes a token; never touches libfcgi or BDB itself.
 */
#include "role/api_internal.h"

#include "base/metrics.h"
#include "base/secret.h"
#include "jose/claims.h"
#include "jose/mint.h"
#include "join/jwks_sync.h"
#include "store/store.h"
#include "jose/verify.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

void
api_authz_env(const struct api_env *env, struct authz_env *ae)
{
	*ae = (struct authz_env){
		.cfg = env->cfg, .kr = env->kr, .cache = env->cache, .now = env->now,
		.session_check = api_session_check, .session_ctx = env->store,
		.unknown_kid = env->follow ? jwks_follow_unknown_kid : NULL,
		.unknown_kid_ctx = env->follow,
	};
}

/* /v1/authorize: nginx auth_request's subrequest, answered as the authorizer decides. */
void
api_token_authorize(struct api_ctx *c)
{
	struct authz_env ae;

	api_authz_env(c->env, &ae);
	http_response_fini(c->r);
	authz_answer(&ae, c->req, c->r);
}

bool
api_self_token(struct api_ctx *c, unsigned how, struct authz_decision *d)
{
	struct authz_request facts;
	struct authz_env ae;

	api_authz_env(c->env, &ae);
	authz_request_of(c->req, &facts);
	if (how & API_SELF_BEARER_ONLY)
		facts.cookie = NULL;
	facts.is_step_up = how & API_SELF_STEP_UP;
	authz_decide(&ae, &facts, d);
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
	c->sid = d->sid ? tg_xstrdup(d->sid) : NULL;
	if (!d->sid) {
		api_error(c, 403, "access_denied", "only tokens the gateway issued for a session "
			  "can be used here");
		return false;
	}
	return true;
}

/* POST /v1/logout: the token (Bearer or cookie) ends its own session; both cookies are cleared. */
void
api_token_logout(struct api_ctx *c)
{
	struct authz_decision d;
	enum tg_err rc;

	if (api_self_token(c, 0, &d)) {
		rc = store_session_revoke(c->env->store, d.tenant, d.sid, c->env->now);
		if (rc == TG_OK)
			metrics_add(METRICS_SESSION_REVOKED);
		if (rc == TG_OK || rc == TG_ERR_NOT_FOUND) {
			api_no_content(c);
			if (api_cookie_set(c, API_COOKIE_SESSION, "", 0))
				api_cookie_set(c, API_COOKIE_REFRESH, "", 0);
		} else {
			api_fail(c, rc, "ending the session");
		}
	}
	authz_decision_fini(&d);
}

/* POST /v1/cookie: a Bearer token (never a cookie) becomes the HttpOnly cookie. */
void
api_token_cookie(struct api_ctx *c)
{
	struct authz_decision d;
	char *tok;

	if (api_self_token(c, API_SELF_BEARER_ONLY, &d)) {
		tok = tg_xstrndup(d.token, d.token_len);
		api_no_content(c);
		/*
		 * A token accepted inside the clock leeway after its exp has no
		 * lifetime left to give a cookie (Max-Age 0 would delete it).
		 */
		if (d.exp <= c->env->now)
			api_error(c, 401, "invalid_token", "the token has expired; refresh it "
				  "before making it a cookie");
		else
			api_cookie_set(c, API_COOKIE_SESSION, tok, d.exp - c->env->now);
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
	add_claim(o, v->claims, "nbf", json_type_int);
	add_claim(o, v->claims, "jti", json_type_string);
	/* RFC 7662 2.2: a string or an array of strings, as the token has it */
	add_claim(o, v->claims, "aud", json_type_string);
	add_claim(o, v->claims, "aud", json_type_array);
	if (v->is_gateway)
		add_claim(o, v->claims, "sid", json_type_string);
	json_object_object_add(o, "tid", json_object_new_string(v->tenant));
	add_claim(o, v->claims, "iss", json_type_string);
	if (amr && json_object_is_type(amr, json_type_array))
		json_object_object_add(o, "amr", json_object_get(amr));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	add_claim(o, v->claims, "scope", json_type_string);
	add_claim(o, v->claims, "client_id", json_type_string);
	return o;
}

/*
 * POST /v1/introspect (RFC 7662): only ever against the API key's own tenant.
 * token_type_hint is read for its syntax and otherwise unused (RFC 7662 2.1
 * lets a server ignore it): only access tokens are introspected, and
 * anything else, a refresh token included, is inactive.
 */
void
api_token_introspect(struct api_ctx *c)
{
	static const char *const fields[] = { "token", "token_type_hint", NULL };
	struct tg_verified *v = NULL;
	struct tg_verdict verdict = { 0 };
	struct api_body b;
	struct json_object *o;
	char *tok = NULL, *hint = NULL;
	bool is_ok = true;
	enum tg_err rc;

	if (!api_body_read(c, true, &b))
		return;
	if (!api_body_only(c, &b, fields) || !api_body_string(c, &b, "token", &tok) ||
	    !api_body_string(c, &b, "token_type_hint", &hint))
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
	free(hint);
	secret_free_str(tok);
	verified_free(v);
	api_body_fini(&b);
}

/* GET /.well-known/jwks.json?tenant=T: the public halves of T's gateway signing keys. */
void
api_token_jwks(struct api_ctx *c)
{
	static const char *const fields[] = { "tenant", NULL };
	const char *q = c->req->query_string ? c->req->query_string : "";
	const struct keyring_key *keys;
	const struct tg_key **gw;
	char *tenant = NULL;
	size_t n, ngw = 0;

	if (!api_form_ok(c, q, strlen(q)))
		goto out;
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
