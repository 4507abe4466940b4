/*
 * The authorizer role's decision and its rendering. Order: find the token
 * (Authorization: Bearer, else the cookie; never the query string) -> HTTPS
 * rule -> CSRF rule -> the token's grant, cached or made from a fresh
 * verify_token -> tenant's origin list -> session -> required claims ->
 * required amr and authentication age (RFC 9470 step-up) -> variables; then
 * its rendering, and the authorizer's entry (decide, log, render). Never
 * parses JOSE (verify.c does), never echoes the token; the decision does no
 * I/O, so every rule is testable by calling it.
 */
#include "role/authz.h"

#include "role/grant.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/number.h"
#include "jose/verify.h"
#include "model/acr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum source { SRC_NONE, SRC_BEARER, SRC_COOKIE };

#define TG_INSUFFICIENT_AUTHN "insufficient_user_authentication" /* RFC 9470 section 3 */

/* a followed by b in out (size > 0), cut to fit: the per-request names, without printf. */
static void
join(char *out, size_t size, const char *a, const char *b)
{
	size_t na = strnlen(a, size - 1), nb = strnlen(b, size - 1 - na);

	memcpy(out, a, na);
	memcpy(out + na, b, nb);
	out[na + nb] = '\0';
}

/* ------------------------------------------------------------ requests and claims */

static void
refuse(struct authz_decision *d, int status, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
refuse(struct authz_decision *d, int status, const char *error, const char *fmt, ...)
{
	va_list ap;

	d->status = status;
	d->error = error;
	va_start(ap, fmt);
	tg_vformat(d->description, sizeof(d->description), fmt, ap);
	va_end(ap);
}

void
authz_decision_fini(struct authz_decision *d)
{
	for (size_t i = 0; i < d->nvars; i++) {
		free(d->vars[i].value);
	}
	free(d->vars);
	free(d->user);
	free(d->tenant);
	free(d->sid);
	free(d->acr_values);
	memset(d, 0, sizeof(*d));
}

void
authz_request_of(const struct http_request *req, struct authz_request *out)
{
	*out = (struct authz_request){
		.method = req->method, .authorization = req->authorization, .cookie = req->cookie,
		.origin = req->origin, .referer = req->referer,
		.sec_fetch_site = req->sec_fetch_site, .host = req->host,
		.remote_addr = req->remote_addr,
		.https = req->https, .forwarded_proto = req->forwarded_proto, .tenant = req->tenant,
		.require_amr = req->require_amr, .max_auth_age = req->max_auth_age,
	};
}

/* The last hop's value: a proxy appends to what the client sent. */
static bool
forwarded_https(const char *xfp)
{
	const char *last = strrchr(xfp, ',');

	last = last ? last + 1 : xfp;
	while (*last == ' ' || *last == '\t')
		last++;
	return strncasecmp(last, "https", 5) == 0 && strspn(last + 5, " \t") == strlen(last + 5);
}

bool
authz_is_https(const struct tg_config *cfg, const struct authz_request *req)
{
	if (req->https && strcasecmp(req->https, "on") == 0)
		return true;
	return req->forwarded_proto && config_is_trusted_proxy(cfg, req->remote_addr) &&
	       forwarded_https(req->forwarded_proto);
}

bool
authz_https_allows(const struct tg_config *cfg, const struct authz_request *req, const char **why)
{
	bool is_proxy = config_is_trusted_proxy(cfg, req->remote_addr);

	if (cfg->require_https == TG_HTTPS_NO || authz_is_https(cfg, req))
		return true;
	/*
	 * A TLS proxy on this host is a loopback peer for every outside request,
	 * so a trusted proxy's word (X-Forwarded-Proto) decides, never its address.
	 */
	if (cfg->require_https == TG_HTTPS_EXCEPT_LOOPBACK && !is_proxy &&
	    config_is_loopback(req->remote_addr))
		return true;
	if (is_proxy)
		*why = "plain HTTP: a proxy in trusted_proxies sent this request without "
		       "X-Forwarded-Proto: https; make the proxy set it for the requests it took over TLS";
	else
		*why = "plain HTTP: require_https takes credentials over HTTPS only: the server sets "
		       "HTTPS=on, a proxy in trusted_proxies sends X-Forwarded-Proto: https, or "
		       "except_loopback lets this host's callers in";
	return false;
}

void
authz_cookie_name(const struct tg_config *cfg, bool is_https, char out[AUTHZ_COOKIE_NAME_SIZE])
{
	/* config.c holds cookie_name to TG_COOKIE_NAME_MAX bytes, so nothing is cut. */
	join(out, AUTHZ_COOKIE_NAME_SIZE, is_https ? AUTHZ_COOKIE_HOST_PREFIX : "",
	     cfg->cookie_name);
}

/*
 * The session cookie, __Host- first: a browser keeps that one from being set
 * by a sibling host or over plain HTTP, so it wins over a plain one planted
 * beside it. TG_ERR_INVALID when the one read is sent twice (*name says which).
 */
static enum tg_err
session_cookie(const struct tg_config *cfg, const char *header, const char **tok, size_t *len,
	       char name[AUTHZ_COOKIE_NAME_SIZE])
{
	enum tg_err rc;

	authz_cookie_name(cfg, true, name);
	rc = http_cookie(header, name, tok, len);
	if (rc != TG_ERR_NOT_FOUND)
		return rc;
	authz_cookie_name(cfg, false, name);
	return http_cookie(header, name, tok, len);
}

/* RFC 6750 2.1 first, then the cookie (2.3, the query string, is never read). */
static bool
find_token(const struct tg_config *cfg, const struct authz_request *req, const char **tok,
	   size_t *len, enum source *src, struct authz_decision *d)
{
	char name[AUTHZ_COOKIE_NAME_SIZE];
	enum tg_err rc = http_bearer(req->authorization, tok, len);

	if (rc == TG_OK) {
		*src = SRC_BEARER;
		d->source = "bearer";
		return true;
	}
	if (rc == TG_ERR_INVALID) {
		refuse(d, 400, "invalid_request",
		       "the Authorization header is not a valid Bearer credential");
		return false;
	}
	rc = session_cookie(cfg, req->cookie, tok, len, name);
	if (rc == TG_OK) {
		*src = SRC_COOKIE;
		d->source = "cookie";
		return true;
	}
	if (rc == TG_ERR_INVALID) {
		refuse(d, 400, "invalid_request", "the %s cookie is sent more than once", name);
		return false;
	}
	/* RFC 6750 3.1: no error code when the request carried no credentials at all. */
	refuse(d, 401, NULL, "the request carries no access token");
	return false;
}

/* Whether origin (serialised) is one of t's allowed origins or the request's own. */
static bool
is_allowed_origin(const struct tg_config *cfg, const struct tg_tenant *t,
		  const struct authz_request *req, const char *origin)
{
	char *allowed = NULL, *own;
	bool is_ok = false;

	for (size_t i = 0; t && i < t->allowed_origins.n && !is_ok; i++) {
		if (http_origin_of(t->allowed_origins.v[i], &allowed) != TG_OK)
			continue;
		is_ok = strcmp(origin, allowed) == 0;
		free(allowed);
	}
	/* Same-origin is never cross-site: the gateway's own login page, the app's own forms. */
	if (is_ok || !req->host)
		return is_ok;
	own = tg_xasprintf("%s://%s", authz_is_https(cfg, req) ? "https" : "http", req->host);
	/* Host is the client's text: serialised like the origin, or no match at all. */
	if (http_origin_of(own, &allowed) == TG_OK)
		is_ok = strcmp(origin, allowed) == 0;
	free(allowed);
	free(own);
	return is_ok;
}

bool
authz_origin_allows(const struct tg_config *cfg, const struct tg_tenant *t,
		    const struct authz_request *req)
{
	const char *claimed = req->origin ? req->origin : req->referer;
	bool is_cross_site = req->sec_fetch_site && strcmp(req->sec_fetch_site, "cross-site") == 0;
	char *origin = NULL;
	bool is_ok;

	if (!claimed)
		return !is_cross_site;
	/* "null" (an opaque origin) and anything but http(s) serialise to nothing: refused. */
	is_ok = http_origin_of(claimed, &origin) == TG_OK &&
		is_allowed_origin(cfg, t, req, origin);
	free(origin);
	return is_ok;
}

/* ------------------------------------------------------------ decisions */

/* A gateway-issued token is only as good as its session, whatever its exp says. */
static bool
check_session(const struct authz_env *env, const struct grant *g, struct authz_decision *d)
{
	enum tg_err rc;

	if (!*g->sid) {
		d->reason = TG_R_MISSING_CLAIM;
		refuse(d, 401, "invalid_token", "a gateway-issued token must name its session (sid)");
		return false;
	}
	if (!env->session_check) {
		d->reason = TG_R_INTERNAL;
		refuse(d, 500, "server_error", "this gateway cannot check session state here");
		return false;
	}
	rc = env->session_check(env->session_ctx, g->tenant, g->sid, env->now);
	if (rc == TG_ERR_NOT_FOUND || rc == TG_ERR_REJECTED) {
		d->reason = TG_R_SESSION_REVOKED;
		refuse(d, 401, "invalid_token", "the token's session has ended (logged out, revoked, "
		       "expired or idle too long)");
		return false;
	}
	if (rc == TG_ERR_BUSY) {
		d->reason = TG_R_INTERNAL;
		refuse(d, 503, "temporarily_unavailable", "the session state could not be read now "
		       "(the database is busy); retry in a second");
		return false;
	}
	if (rc != TG_OK) {
		d->reason = TG_R_INTERNAL;
		refuse(d, 500, "server_error", "the session state could not be read: %s", tg_err_str(rc));
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ step-up (RFC 9470) */

/* *list (malloc'd or NULL) with word appended, space-separated, unless already there. */
static void
add_word(char **list, const char *word)
{
	char *longer;
	size_t n = strlen(word);

	for (const char *w = *list; w && *w; w += strcspn(w, " "), w += strspn(w, " "))
		if (strcspn(w, " ") == n && strncmp(w, word, n) == 0)
			return;
	longer = *list ? tg_xasprintf("%s %s", *list, word) : tg_xstrdup(word);
	free(*list);
	*list = longer;
}

/* A required method the token lacks: named in *missing, its acr (else itself) in acr_values. */
static void
require_method(const struct tg_tenant *t, const struct grant *g, const char *method,
	       char **missing, struct authz_decision *d)
{
	const char *acr;

	if (grant_has_amr(&g->amr, method))
		return;
	acr = acr_of_method(&t->acr_map, method, strlen(method));
	add_word(missing, method);
	add_word(&d->acr_values, acr ? acr : method);
}

/* The tenant's required methods and the location's (space-separated words). */
static char *
missing_methods(const struct tg_tenant *t, const struct authz_request *req, const struct grant *g,
		struct authz_decision *d)
{
	const char *w = req->require_amr ? req->require_amr : "";
	char *missing = NULL;

	for (size_t i = 0; i < t->require_amr.n; i++)
		require_method(t, g, t->require_amr.v[i], &missing, d);
	for (w += strspn(w, " "); *w; w += strspn(w, " ")) {
		char *word = tg_xstrndup(w, strcspn(w, " "));

		require_method(t, g, word, &missing, d);
		w += strlen(word);
		free(word);
	}
	return missing;
}

/* The stricter of the location's TOKENGATE_MAX_AUTH_AGE and the tenant's max_auth_age; 0: none. */
static bool
max_auth_age(const struct authz_request *req, const struct tg_tenant *t, int64_t *out,
	     struct authz_decision *d)
{
	int64_t loc = 0;

	if (req->max_auth_age && *req->max_auth_age &&
	    number_parse(req->max_auth_age, 1, INT64_MAX, &loc) != TG_OK) {
		refuse(d, 500, "server_error", "the location's TOKENGATE_MAX_AUTH_AGE must be whole "
		       "seconds, 1 or more; fix the web server's configuration");
		return false;
	}
	*out = loc && (!t->max_auth_age || loc < t->max_auth_age) ? loc : t->max_auth_age;
	return true;
}

/*
 * RFC 9470 section 3: methods the tenant or location requires and the token
 * lacks, or an authentication older than the maximum age, answer 401
 * insufficient_user_authentication with what a step-up must achieve.
 */
static bool
check_authentication(const struct authz_env *env, const struct authz_request *req,
		     const struct tg_tenant *t, const struct grant *g, struct authz_decision *d)
{
	int64_t max_age = 0, age = env->now - g->head.auth_time;
	char *missing, *methods = NULL, *stale = NULL;
	bool is_stale, is_met;

	if (!max_auth_age(req, t, &max_age, d))
		return false;
	missing = missing_methods(t, req, g, d);
	is_stale = max_age && (!g->head.auth_time || age > max_age);
	if (missing)
		methods = tg_xasprintf("the token lacks the authentication methods \"%s\" required "
				       "here", missing);
	if (is_stale && g->head.auth_time)
		stale = tg_xasprintf("the user authenticated %lld s ago, more than the %lld s "
				     "allowed here", (long long)age, (long long)max_age);
	else if (is_stale)
		stale = tg_xasprintf("the token has no auth_time and at most %lld s may have passed "
				     "since the user authenticated", (long long)max_age);
	d->max_age = is_stale ? max_age : 0;
	if (missing || is_stale)
		refuse(d, 401, TG_INSUFFICIENT_AUTHN, "%s%s%s; authenticate again (step up)",
		       methods ? methods : "", methods && stale ? ", and " : "",
		       stale ? stale : "");
	is_met = !missing && !is_stale;
	free(missing);
	free(methods);
	free(stale);
	return is_met;
}

static void
add_var(struct authz_decision *d, const char *name, const char *value)
{
	struct authz_var *v = &d->vars[d->nvars++];

	join(v->name, sizeof(v->name), name, "");
	v->value = tg_xstrdup(value);
}

/* The rules that need the request as well as the token's grant, then the variables. */
static void
decide_granted(const struct authz_env *env, const struct authz_request *req, enum source src,
	       const struct grant *g, struct authz_decision *d)
{
	const struct tg_tenant *t = keyring_tenant(env->kr, g->tenant);
	const char *var = g->vars;

	if (!t) {
		refuse(d, 500, "server_error", "the token's tenant vanished from the keyring");
		return;
	}
	/* CSRF: a browser attaches the cookie to cross-site requests too. */
	if (src == SRC_COOKIE && !http_method_is_safe(req->method) &&
	    !authz_origin_allows(env->cfg, t, req)) {
		refuse(d, 403, "invalid_request", "the request comes from another site: its Origin "
		       "is not one of the tenant's allowed origins (tenant set --allowed-origin)");
		return;
	}
	if (g->head.is_gateway && !check_session(env, g, d))
		return;
	if (*g->refusal) {
		refuse(d, 403, "insufficient_scope", "%s", g->refusal);
		return;
	}
	if (!req->is_step_up && !check_authentication(env, req, t, g, d))
		return;
	d->status = 200;
	d->tenant = tg_xstrdup(g->tenant);
	d->sid = g->head.is_gateway ? tg_xstrdup(g->sid) : NULL;
	d->exp = g->head.exp;
	d->user = tg_xstrdup(g->user);
	d->vars = tg_xcalloc(4 + (size_t)g->head.nvars, sizeof(*d->vars));
	add_var(d, "SUB", g->user);
	add_var(d, "TENANT", g->tenant); /* tenant ids are [A-Za-z0-9._-]: nothing to sanitise */
	add_var(d, "EXP", g->exp);
	add_var(d, "KID", g->kid);
	for (uint32_t i = 0; i < g->head.nvars; i++) {
		const char *name = var;

		var += strlen(var) + 1;
		add_var(d, name, var);
		var += strlen(var) + 1;
	}
}

/*
 * An unknown kid of a tenant that follows its provider: whether the keyring
 * was reloaded with it. The cache key moves to the new generation, so the
 * grant is kept under the keyring it was verified with.
 */
static bool
follow_provider(const struct authz_env *env, struct cache_key *key)
{
	char *tenant = NULL, *kid = NULL;
	bool is_reloaded = false;

	if (!env->unknown_kid ||
	    verify_token_kid(env->kr, key->tenant_pin, key->token, key->len, &tenant, &kid) != TG_OK)
		goto out;
	is_reloaded = env->unknown_kid(env->unknown_kid_ctx, tenant, kid) == TG_OK;
	if (is_reloaded)
		key->generation = keyring_generation(env->kr);
out:
	free(tenant);
	free(kid);
	return is_reloaded;
}

/*
 * Verifies the token and caches its grant, *data malloc'd. False with d filled when refused:
 * by verification, or by the grant when a variable could only pass a cut value.
 */
static bool
verify_and_grant(const struct authz_env *env, struct cache_key *key, char **data, size_t *size,
		 struct authz_decision *d)
{
	struct tg_verified *v = NULL;
	struct tg_verdict verdict = { 0 };
	const struct tg_tenant *t = NULL;
	bool is_ok = false;
	enum tg_err rc;

	rc = verify_token(env->kr, key->tenant_pin, key->token, key->len, env->now, &v, &verdict);
	if (rc == TG_ERR_REJECTED && verdict.reason == TG_R_UNKNOWN_KEY && follow_provider(env, key))
		rc = verify_token(env->kr, key->tenant_pin, key->token, key->len, env->now, &v,
				  &verdict);
	if (rc == TG_OK) {
		t = keyring_tenant(env->kr, v->tenant);
		if (!t) {
			refuse(d, 500, "server_error", "the token's tenant vanished from the keyring");
			goto out;
		}
		rc = grant_encode(v, t, data, size, &verdict);
	}
	if (rc == TG_ERR_REJECTED && verdict.reason != TG_R_INTERNAL) {
		d->reason = verdict.reason;
		refuse(d, 401, "invalid_token", "%s", verdict.why);
	} else if (rc != TG_OK) {
		d->reason = TG_R_INTERNAL;
		refuse(d, 500, "server_error", "the token could not be checked: %s",
		       rc == TG_ERR_REJECTED ? verdict.why : tg_err_str(rc));
	} else {
		cache_put(env->cache, key, env->now, v->exp, *data, *size);
		is_ok = true;
	}
out:
	verified_free(v);
	return is_ok;
}

void
authz_decide(const struct authz_env *env, const struct authz_request *req,
	     struct authz_decision *d)
{
	const char *pin = req->tenant && *req->tenant ? req->tenant : NULL;
	struct cache_key key = { .tenant_pin = pin, .generation = keyring_generation(env->kr) };
	enum source src = SRC_NONE;
	char *fresh = NULL;
	const char *why;
	const void *cached;
	struct grant g;
	size_t size = 0;

	memset(d, 0, sizeof(*d));
	d->is_tenant_pinned = pin != NULL;
	if (!find_token(env->cfg, req, &key.token, &key.len, &src, d))
		return;
	log_mask(key.token, key.len, d->token_mask);
	d->token = key.token;
	d->token_len = key.len;
	if (!authz_https_allows(env->cfg, req, &why)) {
		refuse(d, 403, "invalid_request", "%s", why);
		d->log_reason = "https_required";
		d->log_note = "the token crossed the network in clear and is usable until it "
			      "expires: end its session if the gateway issued it (tokengatectl "
			      "session revoke TENANT SID)";
		return;
	}
	cached = cache_get(env->cache, &key, env->now, &size);
	d->is_cached = cached != NULL;
	if (env->cache)
		metrics_add(cached ? METRICS_CACHE_HIT : METRICS_CACHE_MISS);
	if (!cached) {
		if (!verify_and_grant(env, &key, &fresh, &size, d))
			goto out;
		cached = fresh;
	}
	if (grant_decode(cached, size, &g) != TG_OK) {
		refuse(d, 500, "server_error", "the gateway's token cache holds a damaged entry");
		goto out;
	}
	decide_granted(env, req, src, &g, d);
out:
	free(fresh);
}

/* ------------------------------------------------------------ rendering */

/* "CLAIM_ORG_ID" -> "Claim-Org-Id" in h (as large as an authz_var name). */
static void
header_case(const char *name, char h[GRANT_VAR_NAME_SIZE])
{
	bool is_start = true;

	join(h, GRANT_VAR_NAME_SIZE, name, "");
	for (char *p = h; *p; p++) {
		if (*p == '_') {
			*p = '-';
			is_start = true;
			continue;
		}
		*p = is_start ? (char)toupper((unsigned char)*p) : (char)tolower((unsigned char)*p);
		is_start = false;
	}
}

/* RFC 6750 3: error_description (and acr_values) may hold %x20-21 / %x23-5B / %x5D-7E only. */
static char *
quotable(const char *s)
{
	char *q = tg_xstrdup(s);

	for (char *p = q; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
			*p = '\'';
	return q;
}

static void
challenge(const struct authz_decision *d, const char *realm, struct http_response *r)
{
	char *desc = quotable(d->description), *acr = NULL, *acr_param = NULL, *h;
	char age[48] = "";

	if (d->max_age)
		snprintf(age, sizeof(age), ", max_age=\"%lld\"", (long long)d->max_age);
	if (d->acr_values) {
		acr = quotable(d->acr_values);
		acr_param = tg_xasprintf(", acr_values=\"%s\"", acr);
	}
	if (d->error)
		h = tg_xasprintf("Bearer realm=\"%s\", error=\"%s\", error_description=\"%s\"%s%s",
				 realm, d->error, desc, acr_param ? acr_param : "", age);
	else
		h = tg_xasprintf("Bearer realm=\"%s\"", realm);
	http_header_add(r, "WWW-Authenticate", h);
	free(h);
	free(acr_param);
	free(acr);
	free(desc);
}

void
authz_render(const struct authz_decision *d, enum http_role role, const char *realm,
	     struct http_response *r)
{
	http_response_init(r, d->status);
	if (d->status != 200) {
		if (d->status < 500)
			challenge(d, realm, r);
		if (d->status == 503)
			http_header_add(r, "Retry-After", "1");
		http_set_error(r, d->status, d->error ? d->error : "unauthorized", d->description);
		return;
	}
	/* An embedding module hands the app d's variables in its server's own way. */
	for (size_t i = 0; role != HTTP_ROLE_EMBEDDED && i < d->nvars; i++) {
		char name[sizeof("Variable-TOKENGATE_") + GRANT_VAR_NAME_SIZE];

		if (role == HTTP_ROLE_AUTHORIZER && d->is_tenant_pinned &&
		    strcmp(d->vars[i].name, "TENANT") == 0)
			continue;
		if (role == HTTP_ROLE_AUTHORIZER) {
			join(name, sizeof(name), "Variable-TOKENGATE_", d->vars[i].name);
		} else {
			char hc[GRANT_VAR_NAME_SIZE];

			header_case(d->vars[i].name, hc);
			join(name, sizeof(name), "X-Tokengate-", hc);
		}
		http_header_add(r, name, d->vars[i].value);
	}
	if (role == HTTP_ROLE_AUTHORIZER && d->user)
		http_header_add(r, "Variable-REMOTE_USER", d->user);
	if (role == HTTP_ROLE_RESPONDER)
		http_header_add(r, "Cache-Control", "no-store");
}

/* ------------------------------------------------------------ the authorizer's entry */

/*
 * One line per decision, `key=value` for grep and log shippers: the token
 * only as log_mask() shows it, the subject quotable (it is the token's, not
 * ours). Refusals go under the denial rate limit, so a storm of bad tokens
 * cannot fill the disk.
 */
static void
log_decision(const struct authz_decision *d, const struct authz_request *facts, long long us)
{
	char when[TG_LOG_TIME_MAX];
	char *sub = d->user ? quotable(d->user) : NULL;
	const char *tenant = d->tenant ? d->tenant : facts->tenant ? facts->tenant : "-";
	const char *reason = d->reason ? tg_reason_code(d->reason) : d->log_reason ? d->log_reason
			     : d->error ? d->error : "no_token";

	if (d->status == 200)
		TG_LOG(TG_LOG_INFO, "time=%s decision=allow status=200 tenant=%s sub=\"%s\" sid=%s "
		       "reason=- latency_us=%lld source=%s token=%s%s", log_time(when), tenant,
		       sub ? sub : "", d->sid ? d->sid : "-", us, d->source ? d->source : "-",
		       d->token_mask, d->is_cached ? " cached=yes" : "");
	else
		tg_log_denial(d->status == 500 ? TG_LOG_ERR : TG_LOG_INFO, (int64_t)time(NULL),
			      __FILE__, __LINE__, "time=%s decision=refuse status=%d tenant=%s sub=- "
			      "sid=- reason=%s error=%s latency_us=%lld source=%s token=%s: %s%s%s",
			      log_time(when), d->status, tenant, reason, d->error ? d->error : "-", us,
			      d->source ? d->source : "-", d->source ? d->token_mask : "-",
			      d->description, d->log_note ? "; " : "", d->log_note ? d->log_note : "");
	free(sub);
}

void
authz_run(const struct authz_env *env, const struct authz_request *facts, enum http_role role,
	  struct authz_decision *d, struct http_response *r)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	authz_decide(env, facts, d);
	/* A refused token's tenant is not vouched for: it counts under the pinned one, or "". */
	metrics_decision(d->status == 200 ? d->tenant : facts->tenant, d->reason, d->status == 200);
	log_decision(d, facts, log_elapsed_us(&start));
	authz_render(d, role, env->cfg->realm, r);
}

void
authz_answer(const struct authz_env *env, const struct http_request *req, struct http_response *r)
{
	struct authz_request facts;
	struct authz_decision d;

	authz_request_of(req, &facts);
	authz_run(env, &facts, req->role, &d, r);
	authz_decision_fini(&d);
}

void
authz_render_unread(enum tg_err rc, struct http_response *r)
{
	if (rc == TG_ERR_BUSY) {
		http_response_init(r, 503);
		http_header_add(r, "Retry-After", "1");
		http_set_error(r, 503, "temporarily_unavailable",
			       "the gateway's database is busy; retry in a second");
		return;
	}
	http_response_init(r, 500);
	http_set_error(r, 500, "server_error", "the gateway cannot read its database");
}
