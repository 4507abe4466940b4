/*
 * The authorizer role's decision and its rendering. Order: find the token
 * (Authorization: Bearer, else the cookie; never the query string) -> HTTPS
 * rule -> CSRF rule -> the token's grant, cached or made from a fresh
 * verify_token -> tenant's origin list -> session -> required claims and amr
 * -> variables. Never parses JOSE (verify.c does), never echoes the token, and
 * does no I/O so every rule is testable.
 */
#include "role/authz.h"

#include "jose/claims.h"
#include "jose/verify.h"

#include <ctype.h>
#include <json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum source { SRC_NONE, SRC_BEARER, SRC_COOKIE };

/* ------------------------------------------------------------ sanitising */

/* Length of the valid, non-control UTF-8 sequence at p, 0 if none. */
static size_t
utf8_seq(const unsigned char *p, size_t avail)
{
	/* C0 controls and DEL; C2 80..C2 9F encode U+0080..U+009F, the C1 controls. */
	if (p[0] < 0x20 || p[0] == 0x7f || (p[0] == 0xc2 && avail >= 2 && p[1] < 0xa0))
		return 0;
	return tg_utf8_len(p, avail);
}

size_t
authz_sanitize(const char *in, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;

	if (outsz == 0)
		return 0;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (o + (n ? n : 1) > outsz - 1)
			break;
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

/* Variable names: upper case letters, digits and '_', so they are safe environment names. */
static bool
var_name(const char *in, size_t len, char out[AUTHZ_NAME_MAX + 1])
{
	size_t n = len < AUTHZ_NAME_MAX ? len : AUTHZ_NAME_MAX;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = isalnum(c) && c < 0x80 ? (char)toupper(c) : '_';
	}
	out[n] = '\0';
	return n > 0;
}

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
	vsnprintf(d->description, sizeof(d->description), fmt, ap);
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
	memset(d, 0, sizeof(*d));
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
authz_is_https(const struct tg_config *cfg, const struct http_request *req)
{
	if (req->https && strcasecmp(req->https, "on") == 0)
		return true;
	return req->forwarded_proto && config_is_trusted_proxy(cfg, req->remote_addr) &&
	       forwarded_https(req->forwarded_proto);
}

/* RFC 6750 2.1 first, then the cookie (2.3, the query string, is never read). */
static bool
find_token(const struct tg_config *cfg, const struct http_request *req, const char **tok,
	   size_t *len, enum source *src, struct authz_decision *d)
{
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
	rc = http_cookie(req->cookie, cfg->cookie_name, tok, len);
	if (rc == TG_OK) {
		*src = SRC_COOKIE;
		d->source = "cookie";
		return true;
	}
	if (rc == TG_ERR_INVALID) {
		refuse(d, 400, "invalid_request", "the %s cookie is sent more than once",
		       cfg->cookie_name);
		return false;
	}
	/* RFC 6750 3.1: no error code when the request carried no credentials at all. */
	refuse(d, 401, NULL, "the request carries no access token");
	return false;
}

static bool
origin_allowed(const struct tg_tenant *t, const struct http_request *req)
{
	char *origin = NULL, *allowed = NULL;
	bool ok = false;

	if (http_origin_of(req->origin ? req->origin : req->referer, &origin) != TG_OK)
		return false;
	for (size_t i = 0; i < t->allowed_origins.n && !ok; i++) {
		if (http_origin_of(t->allowed_origins.v[i], &allowed) != TG_OK)
			continue;
		ok = strcmp(origin, allowed) == 0;
		free(allowed);
	}
	free(origin);
	return ok;
}

/* Whether word is in a space-separated string or an array of strings. */
static bool
in_set(struct json_object *claim, const char *word, size_t wlen)
{
	if (json_object_is_type(claim, json_type_string)) {
		const char *s = json_object_get_string(claim);

		while (*s) {
			size_t n = strcspn(s, " ");

			if (n == wlen && memcmp(s, word, n) == 0)
				return true;
			s += n;
			s += strspn(s, " ");
		}
		return false;
	}
	if (!json_object_is_type(claim, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(claim); i++) {
		struct json_object *e = json_object_array_get_idx(claim, i);

		if (json_object_is_type(e, json_type_string) &&
		    (size_t)json_object_get_string_len(e) == wlen &&
		    memcmp(json_object_get_string(e), word, wlen) == 0)
			return true;
	}
	return false;
}

/* Every space-separated word of words is in set, as contains() decides. */
static bool
has_all(const void *set, bool (*contains)(const void *set, const char *word, size_t wlen),
	const char *words)
{
	const char *s = words + strspn(words, " ");

	while (*s) {
		size_t n = strcspn(s, " ");

		if (!contains(set, s, n))
			return false;
		s += n;
		s += strspn(s, " ");
	}
	return true;
}

/* A json-c claim as has_all's set (json-c's getters take it non-const). */
struct claim_set {
	struct json_object *claim;
};

static bool
claim_contains(const void *set, const char *word, size_t wlen)
{
	return in_set(((const struct claim_set *)set)->claim, word, wlen);
}

/* A token's amr as a grant keeps it: n NUL-terminated words, one after another. */
struct grant_amr {
	const char *words;
	size_t n;
};

static bool
amr_contains(const void *set, const char *word, size_t wlen)
{
	const struct grant_amr *amr = set;
	const char *w = amr->words;

	for (size_t i = 0; i < amr->n; i++, w += strlen(w) + 1)
		if (strlen(w) == wlen && memcmp(w, word, wlen) == 0)
			return true;
	return false;
}

/* A number or boolean compared by its JSON text, a string by its value, an array by membership. */
static bool
claim_equals(struct json_object *c, const char *value)
{
	switch (json_object_get_type(c)) {
	case json_type_string:
		return strcmp(json_object_get_string(c), value) == 0;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(c); i++)
			if (claim_equals(json_object_array_get_idx(c, i), value))
				return true;
		return false;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return strcmp(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN), value) == 0;
	default:
		return false;
	}
}

/* "NAME" (present, not null) or "NAME=VALUE"; scope's VALUE is a set of words to contain. */
static bool
meets(const struct json_object *payload, const struct tg_tenant *t, const char *spec,
      char *name, size_t namesz)
{
	const char *eq = strchr(spec, '=');
	size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
	struct json_object *claim;

	snprintf(name, namesz, "%.*s", (int)n, spec);
	claim = claims_lookup(payload, t, name);
	if (!claim || json_object_is_type(claim, json_type_null))
		return false;
	if (!eq)
		return true;
	if (strcmp(name, "scope") == 0)
		return has_all(&(struct claim_set){ claim }, claim_contains, eq + 1);
	return claim_equals(claim, eq + 1);
}

/* The tenant's required claims and amr, in that order; *why names the first one missing. */
static bool
meets_tenant_rules(const struct json_object *payload, const struct tg_tenant *t,
		   const struct grant_amr *amr, char *why, size_t whysz)
{
	char name[128];

	for (size_t i = 0; i < t->require_claims.n; i++) {
		if (!meets(payload, t, t->require_claims.v[i], name, sizeof(name))) {
			snprintf(why, whysz, "the token does not carry the required \"%s\" claim value",
				 name);
			return false;
		}
	}
	for (size_t i = 0; i < t->require_amr.n; i++) {
		if (!has_all(amr, amr_contains, t->require_amr.v[i])) {
			snprintf(why, whysz, "the tenant requires the authentication method \"%s\"",
				 t->require_amr.v[i]);
			return false;
		}
	}
	return true;
}

/* A claim as one line of text: arrays joined by spaces, objects as compact JSON. */
static char *
claim_text(struct json_object *o)
{
	size_t n;
	char *s = NULL;

	switch (json_object_get_type(o)) {
	case json_type_null:
		return NULL;
	case json_type_string:
		return tg_xstrdup(json_object_get_string(o));
	case json_type_array:
		n = json_object_array_length(o);
		s = tg_xstrdup("");
		for (size_t i = 0; i < n && strlen(s) <= AUTHZ_VALUE_MAX; i++) {
			char *e = claim_text(json_object_array_get_idx(o, i)), *joined;

			joined = tg_xasprintf("%s%s%s", s, *s ? " " : "", e ? e : "null");
			free(e);
			free(s);
			s = joined;
		}
		return s;
	default:
		return tg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

/* ------------------------------------------------------------ grants */

/*
 * A grant is what a verified token decides whatever the request carrying it:
 * its tenant, user, session, amr, whether it meets the tenant's required
 * claims and amr, and its variables, sanitised. It is computed once per token
 * from the claims and kept in the cache as bytes (a few hundred, where the
 * claims as a json-c tree cost well over a kilobyte); the rules that depend
 * on the request (origins, the session's state, a location's amr) are applied
 * to it on every request, cached or not.
 *
 * The bytes: struct grant_head, then NUL-terminated strings: tenant, user,
 * sid ("" when none), refusal ("" when the tenant's rules are met), kid and
 * exp (sanitised, as their variables say them), head.namr amr values, then
 * head.nvars pairs of name and value for the variables after SUB TENANT EXP
 * KID, which are made from the strings before (an entry is then about 100
 * bytes for a token with no mapped claims).
 */
struct grant_head {
	int64_t exp;
	uint32_t namr;
	uint32_t nvars;
	bool is_gateway; /* signed by a gateway key: the session must be live */
};

struct grant {
	struct grant_head head;
	const char *tenant, *user, *sid, *refusal, *kid, *exp;
	struct grant_amr amr;
	const char *vars; /* nvars name/value pairs */
};

struct grant_buf {
	char *p;
	size_t len, cap;
};

static void
put_bytes(struct grant_buf *b, const void *x, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = tg_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, x, n);
	b->len += n;
}

static void
put_str(struct grant_buf *b, const char *s)
{
	put_bytes(b, s, strlen(s) + 1);
}

static void
put_sanitized(struct grant_buf *b, const char *s)
{
	char buf[AUTHZ_VALUE_MAX + 1];

	authz_sanitize(s, strlen(s), buf, sizeof(buf));
	put_str(b, buf);
}

/* The next string of the grant's bytes, or NULL past their end. */
static const char *
next_str(const char **at, const char *end)
{
	const char *s = *at, *nul;

	if (s >= end || !(nul = memchr(s, '\0', (size_t)(end - s))))
		return NULL;
	*at = nul + 1;
	return s;
}

static const char *
skip_strs(const char **at, const char *end, size_t n)
{
	const char *first = *at;

	for (size_t i = 0; i < n; i++)
		if (!next_str(at, end))
			return NULL;
	return first;
}

/* False when the bytes are not a whole grant (never for put_grant's own). */
static bool
read_grant(const void *data, size_t size, struct grant *g)
{
	const char *at = data, *end = (const char *)data + size;
	unsigned char is_gateway;

	if (size < sizeof(g->head))
		return false;
	/* Any byte but 0 or 1 read as a bool is undefined: refuse it before the copy. */
	memcpy(&is_gateway, at + offsetof(struct grant_head, is_gateway), 1);
	if (is_gateway > 1)
		return false;
	memcpy(&g->head, data, sizeof(g->head));
	at += sizeof(g->head);
	g->tenant = next_str(&at, end);
	g->user = next_str(&at, end);
	g->sid = next_str(&at, end);
	g->refusal = next_str(&at, end);
	g->kid = next_str(&at, end);
	g->exp = next_str(&at, end);
	g->amr.n = g->head.namr;
	g->amr.words = skip_strs(&at, end, g->head.namr);
	g->vars = skip_strs(&at, end, 2 * (size_t)g->head.nvars);
	return g->tenant && g->user && g->sid && g->refusal && g->kid && g->exp && g->amr.words &&
	       g->vars;
}

/* amr as a list of words: an array's strings, or a string's space-separated words. */
static void
put_amr(struct grant_buf *b, struct json_object *claim, uint32_t *n)
{
	if (json_object_is_type(claim, json_type_string)) {
		const char *s = json_object_get_string(claim);

		s += strspn(s, " ");
		while (*s) {
			size_t len = strcspn(s, " ");
			char nul = '\0';

			put_bytes(b, s, len);
			put_bytes(b, &nul, 1);
			(*n)++;
			s += len;
			s += strspn(s, " ");
		}
		return;
	}
	for (size_t i = 0; json_object_is_type(claim, json_type_array) &&
			   i < json_object_array_length(claim); i++) {
		struct json_object *e = json_object_array_get_idx(claim, i);

		if (json_object_is_type(e, json_type_string)) {
			put_str(b, json_object_get_string(e));
			(*n)++;
		}
	}
}

static void
put_var(struct grant_buf *b, const char *prefix, const char *name, const char *value)
{
	char full[AUTHZ_VAR_NAME_SIZE];

	join(full, sizeof(full), prefix, name);
	put_str(b, full);
	put_sanitized(b, value);
}

static void
put_claim_var(struct grant_buf *b, uint32_t *n, const char *prefix, const char *name,
	      struct json_object *o)
{
	char *text = o ? claim_text(o) : NULL;

	if (text) {
		put_var(b, prefix, name, text);
		(*n)++;
	}
	free(text);
}

/* The variables after SUB TENANT EXP KID: SID and AMR when present, then the mapped claims. */
static uint32_t
put_vars(struct grant_buf *b, const struct tg_verified *v, const struct tg_tenant *t,
	 struct json_object *sid, struct json_object *amr)
{
	char name[AUTHZ_NAME_MAX + 1];
	uint32_t n = 0;

	if (sid && json_object_is_type(sid, json_type_string))
		put_claim_var(b, &n, "", "SID", sid);
	put_claim_var(b, &n, "", "AMR", amr);
	for (size_t i = 0; i < t->map_claims.n; i++) {
		const char *spec = t->map_claims.v[i], *eq = strrchr(spec, '=');
		char *path;

		if (!eq || eq == spec || !var_name(eq + 1, strlen(eq + 1), name))
			continue;
		path = tg_xstrndup(spec, (size_t)(eq - spec));
		put_claim_var(b, &n, "CLAIM_", name, claims_lookup(v->claims, t, path));
		free(path);
	}
	return n;
}

/* The grant of a verified token of tenant t, as bytes in b (the caller frees b->p). */
static void
put_grant(struct grant_buf *b, const struct tg_verified *v, const struct tg_tenant *t)
{
	struct grant_head head = { .exp = v->exp, .is_gateway = v->is_gateway };
	struct json_object *sid = claims_lookup(v->claims, t, "sid");
	struct json_object *amr_claim = claims_lookup(v->claims, t, "amr");
	struct grant_buf amr = { 0 }, vars = { 0 };
	struct grant_amr amr_set;
	char why[TG_WHY_MAX] = "", exp[24];

	put_amr(&amr, amr_claim, &head.namr);
	amr_set.n = head.namr;
	amr_set.words = amr.p;
	(void)meets_tenant_rules(v->claims, t, &amr_set, why, sizeof(why));
	head.nvars = put_vars(&vars, v, t, sid, amr_claim);
	put_bytes(b, &head, sizeof(head));
	put_str(b, v->tenant);
	put_sanitized(b, v->sub);
	put_str(b, json_object_is_type(sid, json_type_string) ? json_object_get_string(sid) : "");
	put_str(b, why);
	put_sanitized(b, v->kid);
	snprintf(exp, sizeof(exp), "%lld", (long long)v->exp);
	put_str(b, exp);
	put_bytes(b, amr.p, amr.len);
	put_bytes(b, vars.p, vars.len);
	free(amr.p);
	free(vars.p);
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
		refuse(d, 401, "invalid_token", "the token's session has ended (logged out, revoked or expired)");
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

static void
add_var(struct authz_decision *d, const char *name, const char *value)
{
	struct authz_var *v = &d->vars[d->nvars++];

	join(v->name, sizeof(v->name), name, "");
	v->value = tg_xstrdup(value);
}

/* The rules that need the request as well as the token's grant, then the variables. */
static void
decide_granted(const struct authz_env *env, const struct http_request *req, enum source src,
	       const struct grant *g, struct authz_decision *d)
{
	const struct tg_tenant *t = keyring_tenant(env->kr, g->tenant);
	const char *var = g->vars;

	if (!t) {
		refuse(d, 500, "server_error", "the token's tenant vanished from the keyring");
		return;
	}
	/* CSRF: a browser attaches the cookie to cross-site requests too. */
	if (src == SRC_COOKIE && !http_method_is_safe(req->method) && t->allowed_origins.n &&
	    !origin_allowed(t, req)) {
		refuse(d, 403, "invalid_request",
		       "the request's Origin is not one of the tenant's allowed origins");
		return;
	}
	if (g->head.is_gateway && !check_session(env, g, d))
		return;
	if (*g->refusal) {
		refuse(d, 403, "insufficient_scope", "%s", g->refusal);
		return;
	}
	if (req->require_amr && !has_all(&g->amr, amr_contains, req->require_amr)) {
		refuse(d, 403, "insufficient_scope",
		       "this location requires the authentication methods \"%s\"", req->require_amr);
		return;
	}
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

/* Verifies the token and caches its grant. False with d filled when it is refused. */
static bool
verify_and_grant(const struct authz_env *env, struct cache_key *key, struct grant_buf *b,
		 struct authz_decision *d)
{
	struct tg_verified *v = NULL;
	struct tg_verdict verdict = { 0 };
	const struct tg_tenant *t;
	enum tg_err rc;

	rc = verify_token(env->kr, key->tenant_pin, key->token, key->len, env->now, &v, &verdict);
	if (rc == TG_ERR_REJECTED && verdict.reason != TG_R_INTERNAL) {
		d->reason = verdict.reason;
		refuse(d, 401, "invalid_token", "%s", verdict.why);
		return false;
	}
	if (rc != TG_OK) {
		d->reason = TG_R_INTERNAL;
		refuse(d, 500, "server_error", "the token could not be checked: %s",
		       rc == TG_ERR_REJECTED ? verdict.why : tg_err_str(rc));
		return false;
	}
	t = keyring_tenant(env->kr, v->tenant);
	if (!t) {
		verified_free(v);
		refuse(d, 500, "server_error", "the token's tenant vanished from the keyring");
		return false;
	}
	put_grant(b, v, t);
	cache_put(env->cache, key, env->now, v->exp, b->p, b->len);
	verified_free(v);
	return true;
}

void
authz_decide(const struct authz_env *env, const struct http_request *req,
	     struct authz_decision *d)
{
	const char *pin = req->tenant && *req->tenant ? req->tenant : NULL;
	struct cache_key key = { .tenant_pin = pin, .generation = keyring_generation(env->kr) };
	struct grant_buf fresh = { 0 };
	enum source src = SRC_NONE;
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
	if (env->cfg->require_https && !authz_is_https(env->cfg, req)) {
		refuse(d, 403, "invalid_request",
		       "the token arrived over plain HTTP and this gateway requires HTTPS");
		return;
	}
	if (src == SRC_COOKIE && !http_method_is_safe(req->method) && !req->origin &&
	    !req->referer) {
		refuse(d, 403, "invalid_request",
		       "a cookie-carried token on an unsafe method needs an Origin or Referer header");
		return;
	}
	cached = cache_get(env->cache, &key, env->now, &size);
	d->is_cached = cached != NULL;
	if (!cached) {
		if (!verify_and_grant(env, &key, &fresh, d))
			goto out;
		cached = fresh.p;
		size = fresh.len;
	}
	if (!read_grant(cached, size, &g)) {
		refuse(d, 500, "server_error", "the gateway's token cache holds a damaged entry");
		goto out;
	}
	decide_granted(env, req, src, &g, d);
out:
	free(fresh.p);
}

/* ------------------------------------------------------------ rendering */

/* "CLAIM_ORG_ID" -> "Claim-Org-Id" in h (as large as an authz_var name). */
static void
header_case(const char *name, char h[AUTHZ_VAR_NAME_SIZE])
{
	bool is_start = true;

	join(h, AUTHZ_VAR_NAME_SIZE, name, "");
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

/* RFC 6750 3: error_description may hold %x20-21 / %x23-5B / %x5D-7E only. */
static void
challenge(const struct authz_decision *d, const char *realm, struct http_response *r)
{
	char desc[TG_WHY_MAX], *h;
	size_t i;

	for (i = 0; d->description[i] && i < sizeof(desc) - 1; i++) {
		unsigned char c = (unsigned char)d->description[i];

		desc[i] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '\'' : (char)c;
	}
	desc[i] = '\0';
	if (d->error)
		h = tg_xasprintf("Bearer realm=\"%s\", error=\"%s\", error_description=\"%s\"", realm,
				 d->error, desc);
	else
		h = tg_xasprintf("Bearer realm=\"%s\"", realm);
	http_header_add(r, "WWW-Authenticate", h);
	free(h);
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
	for (size_t i = 0; i < d->nvars; i++) {
		char name[sizeof("Variable-TOKENGATE_") + AUTHZ_VAR_NAME_SIZE];

		if (role == HTTP_ROLE_AUTHORIZER && d->is_tenant_pinned &&
		    strcmp(d->vars[i].name, "TENANT") == 0)
			continue;
		if (role == HTTP_ROLE_AUTHORIZER) {
			join(name, sizeof(name), "Variable-TOKENGATE_", d->vars[i].name);
		} else {
			char hc[AUTHZ_VAR_NAME_SIZE];

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
