/*
 * The claims policy: RFC 7519 section 4.1 registered claims plus the product's
 * rule that tokens live about a minute. Pure: no I/O, no clock of its own
 * (the caller passes now), so every boundary is testable.
 */
#include "jose/claims.h"

#include <json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* NumericDate (RFC 7519 section 2): any JSON number; non-finite values are not dates. */
static bool
numeric_date(const struct json_object *o, double *out)
{
	double d;

	switch (json_object_get_type(o)) {
	case json_type_int:
		d = (double)json_object_get_int64(o);
		break;
	case json_type_double:
		d = json_object_get_double(o);
		break;
	default:
		return false;
	}
	if (!isfinite(d))
		return false;
	*out = d;
	return true;
}

static struct json_object *
member(const struct json_object *o, const char *name)
{
	struct json_object *m = NULL;

	if (!json_object_object_get_ex(o, name, &m))
		return NULL;
	return m;
}

/* A member whose value is JSON null is present (and invalid), not absent. */
static bool
has_member(const struct json_object *o, const char *name)
{
	return json_object_object_get_ex(o, name, NULL);
}

/* Optional date claim; TG_OK when absent (*present false) or a valid date. */
static enum tg_err
optional_date(const struct json_object *payload, const char *name, bool *present, double *out,
	      struct tg_verdict *v)
{
	struct json_object *m = member(payload, name);

	*present = has_member(payload, name);
	if (*present && !numeric_date(m, out))
		return tg_reject(v, TG_R_INVALID_CLAIM, "the \"%s\" claim is not a NumericDate", name);
	return TG_OK;
}

static enum tg_err
check_subject(const struct json_object *payload, const struct tg_tenant *t, struct tg_verdict *v)
{
	struct json_object *sub = member(payload, "sub");

	if (!has_member(payload, "sub"))
		return tg_reject(v, TG_R_MISSING_CLAIM, "the token has no \"sub\" claim");
	if (!json_object_is_type(sub, json_type_string) || json_object_get_string_len(sub) == 0)
		return tg_reject(v, TG_R_INVALID_CLAIM, "the \"sub\" claim is not a non-empty string");
	/* Cut to a limit, two subjects sharing a prefix would be one user for the app. */
	if (json_object_get_string_len(sub) > t->max_sub_length)
		return tg_reject(v, TG_R_SUB_TOO_LONG, "the \"sub\" claim is %d bytes, more than the "
				 "tenant's max_sub_length of %lld", json_object_get_string_len(sub),
				 (long long)t->max_sub_length);
	return TG_OK;
}

/* RFC 7519 4.1.4 (exp), 4.1.5 (nbf), 4.1.6 (iat), plus the tenant's lifetime cap. */
static enum tg_err
check_times(const struct json_object *payload, const struct tg_tenant *t, int64_t now,
	    struct tg_verdict *v)
{
	struct json_object *expo = member(payload, "exp");
	double exp, nbf = 0, iat = 0;
	double leeway = (double)t->leeway, max_life = (double)t->max_lifetime, n = (double)now;
	bool has_nbf, has_iat;
	enum tg_err rc;

	if (!has_member(payload, "exp"))
		return tg_reject(v, TG_R_MISSING_CLAIM, "the token has no \"exp\" claim");
	if (!numeric_date(expo, &exp))
		return tg_reject(v, TG_R_INVALID_CLAIM, "the \"exp\" claim is not a NumericDate");
	rc = optional_date(payload, "nbf", &has_nbf, &nbf, v);
	if (rc != TG_OK)
		return rc;
	rc = optional_date(payload, "iat", &has_iat, &iat, v);
	if (rc != TG_OK)
		return rc;

	if (exp <= n - leeway)
		return tg_reject(v, TG_R_EXPIRED, "the token expired %.0f s ago", n - exp);
	if (has_nbf && nbf > n + leeway)
		return tg_reject(v, TG_R_NOT_YET_VALID, "the token is not valid for another %.0f s",
				 nbf - n);
	if (has_iat && iat > n + leeway)
		return tg_reject(v, TG_R_ISSUED_IN_FUTURE, "the token was issued %.0f s in the future",
				 iat - n);
	if (exp > n + max_life + leeway)
		return tg_reject(v, TG_R_LIFETIME_TOO_LONG,
				 "the token expires more than %lld s from now, the tenant's maximum",
				 (long long)t->max_lifetime);
	if (has_iat && exp - iat > max_life)
		return tg_reject(v, TG_R_LIFETIME_TOO_LONG,
				 "the token lives %.0f s from iat to exp, more than the tenant's %lld s",
				 exp - iat, (long long)t->max_lifetime);
	return TG_OK;
}

/* OpenID Connect Core 2 / RFC 9470 3: auth_time is when the user last authenticated. */
static enum tg_err
check_auth_time(const struct json_object *payload, const struct tg_tenant *t, int64_t now,
		struct tg_verdict *v)
{
	bool has_auth_time;
	double at = 0;
	enum tg_err rc = optional_date(payload, "auth_time", &has_auth_time, &at, v);

	if (rc == TG_OK && has_auth_time && (at < 0 || at > (double)now + (double)t->leeway))
		return tg_reject(v, TG_R_INVALID_CLAIM, "the \"auth_time\" claim is before 1970 or "
				 "in the future");
	return rc;
}

static enum tg_err
check_issuer(const struct json_object *payload, const struct tg_tenant *t, struct tg_verdict *v)
{
	struct json_object *iss = member(payload, "iss");

	if (has_member(payload, "iss") && !json_object_is_type(iss, json_type_string))
		return tg_reject(v, TG_R_INVALID_CLAIM, "the \"iss\" claim is not a string");
	if (!t->issuer)
		return TG_OK;
	if (!iss || strcmp(json_object_get_string(iss), t->issuer) != 0)
		return tg_reject(v, TG_R_WRONG_ISSUER, "the token's issuer is not the tenant's issuer");
	return TG_OK;
}

/* RFC 7519 4.1.3: a principal that does not identify itself with the aud value must reject. */
static enum tg_err
check_audience(const struct json_object *payload, const struct tg_tenant *t, struct tg_verdict *v)
{
	struct json_object *aud = member(payload, "aud");
	size_t n;

	if (!has_member(payload, "aud")) {
		if (t->audience)
			return tg_reject(v, TG_R_WRONG_AUDIENCE, "the token has no \"aud\" claim");
		return TG_OK;
	}
	if (!t->audience)
		return tg_reject(v, TG_R_WRONG_AUDIENCE,
				 "the token names an audience but the tenant has none configured");
	if (json_object_is_type(aud, json_type_string)) {
		if (strcmp(json_object_get_string(aud), t->audience) == 0)
			return TG_OK;
		return tg_reject(v, TG_R_WRONG_AUDIENCE, "the token is for another audience");
	}
	if (!json_object_is_type(aud, json_type_array))
		return tg_reject(v, TG_R_INVALID_CLAIM, "the \"aud\" claim is neither string nor array");
	n = json_object_array_length(aud);
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(aud, i);

		if (!json_object_is_type(a, json_type_string))
			return tg_reject(v, TG_R_INVALID_CLAIM, "the \"aud\" array holds a non-string");
		if (strcmp(json_object_get_string(a), t->audience) == 0)
			return TG_OK;
	}
	return tg_reject(v, TG_R_WRONG_AUDIENCE, "the token is for another audience");
}

enum tg_err
claims_check(const struct json_object *payload, const struct tg_tenant *t, int64_t now,
	     struct tg_verdict *v)
{
	enum tg_err rc;

	rc = check_subject(payload, t, v);
	if (rc == TG_OK)
		rc = check_times(payload, t, now, v);
	if (rc == TG_OK)
		rc = check_auth_time(payload, t, now, v);
	if (rc == TG_OK)
		rc = check_issuer(payload, t, v);
	if (rc == TG_OK)
		rc = check_audience(payload, t, v);
	return rc;
}

bool
claims_is_top_level(const char *name)
{
	static const char *const names[] = { "iss", "sub", "aud", "exp", "nbf", "iat", "jti",
					     "scope", "sid", "tid", "amr", "azp", "auth_time", "acr",
					     NULL };

	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

struct json_object *
claims_lookup(const struct json_object *payload, const struct tg_tenant *t, const char *path)
{
	const struct json_object *cur = payload;
	const char *p = path, *dot;
	char seg[256];

	if (claims_is_top_level(path))
		return member(payload, path);
	if (t->claims_ns) {
		cur = member(payload, t->claims_ns);
		if (!cur)
			return NULL;
	}
	for (;;) {
		struct json_object *next;
		size_t n;

		if (!json_object_is_type(cur, json_type_object))
			return NULL;
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		next = member(cur, seg);
		if (!next || !dot)
			return next;
		cur = next;
		p = dot + 1;
	}
}

bool
claims_has_words(const char *words, bool (*contains)(const void *set, const char *word, size_t len),
		 const void *set)
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

/* Whether word is in a space-separated string or an array of strings. */
static bool
in_set(const void *set, const char *word, size_t wlen)
{
	/* json-c's getters take the claim non-const; it is only read. */
	struct json_object *claim = (struct json_object *)(uintptr_t)set;

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

bool
claims_scope_has(const struct json_object *scope, const char *words)
{
	return claims_has_words(words, in_set, scope);
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
		return claims_has_words(eq + 1, in_set, claim);
	return claim_equals(claim, eq + 1);
}

enum tg_err
claims_require(const struct json_object *payload, const struct tg_tenant *t, struct tg_verdict *v)
{
	char name[128];

	for (size_t i = 0; i < t->require_claims.n; i++)
		if (!meets(payload, t, t->require_claims.v[i], name, sizeof(name)))
			return tg_reject(v, TG_R_MISSING_CLAIM,
					 "the token does not carry the required \"%s\" claim value", name);
	return TG_OK;
}
