/*
 * The single validation path for every entry point. Order (libjwt's, with the
 * signature before any claim is trusted): structure and header rules (jws.c),
 * tenant, kid -> key, alg pin and key type (jws.c), signature, type, claims (claims.c).
 * The unverified "iss" is read only to choose a tenant whose keys must then verify.
 */
#include "jose/verify.h"

#include "base/metrics.h"

#include "jose/claims.h"
#include "jose/jws.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
verified_free(struct tg_verified *v)
{
	if (!v)
		return;
	free(v->tenant);
	free(v->sub);
	free(v->kid);
	json_object_put(v->claims);
	json_object_put(v->header);
	free(v);
}

static enum tg_err
resolve_tenant(const struct keyring *kr, const char *tenant, const struct jws *j,
	       const struct tg_tenant **out, struct tg_verdict *v)
{
	struct json_object *iss = NULL;
	const struct tg_tenant *t;

	if (tenant) {
		t = keyring_tenant(kr, tenant);
		if (!t)
			return tg_reject(v, TG_R_UNKNOWN_TENANT, "no such tenant is configured");
		*out = t;
		return TG_OK;
	}
	if (!json_object_object_get_ex(j->payload, "iss", &iss) ||
	    !json_object_is_type(iss, json_type_string))
		return tg_reject(v, TG_R_UNKNOWN_TENANT,
				 "the token has no \"iss\" claim and no tenant was named for this location");
	t = keyring_tenant_by_issuer(kr, json_object_get_string(iss));
	/* Gateway tokens of a tenant without an issuer say "tokengate:<tenant id>" (mint.c). */
	if (!t && strncmp(json_object_get_string(iss), TG_GATEWAY_ISS_PREFIX,
			  strlen(TG_GATEWAY_ISS_PREFIX)) == 0)
		t = keyring_tenant(kr, json_object_get_string(iss) + strlen(TG_GATEWAY_ISS_PREFIX));
	if (!t)
		return tg_reject(v, TG_R_UNKNOWN_TENANT, "no tenant has the token's issuer");
	*out = t;
	return TG_OK;
}

/*
 * With a kid only that key may verify (RFC 7515 4.1.4); without, each active key
 * of the token's algorithm is tried. jku/x5u/jwk/x5c never contribute a key.
 */
static enum tg_err
check_signature(const struct keyring *kr, const struct tg_tenant *t, const struct jws *j,
		const char *token, const struct tg_key **used, struct tg_verdict *v)
{
	const struct keyring_key *keys;
	const struct tg_key *key;
	size_t n;
	bool has_alg_key = false;

	keyring_keys(kr, t->id, &keys, &n);
	for (size_t i = 0; i < n; i++) {
		if (j->kid ? strcmp(keys[i].kid, j->kid) != 0 : !alg_is_same(keys[i].alg, j->alg))
			continue;
		key = keyring_key_parsed(&keys[i]);
		if (!key)
			continue;
		if (j->kid) {
			if (jws_verify(j, token, key, v) != TG_OK)
				return TG_ERR_REJECTED;
			*used = key;
			return TG_OK;
		}
		has_alg_key = true;
		if (jws_verify(j, token, key, v) == TG_OK) {
			*used = key;
			return TG_OK;
		}
	}
	if (j->kid)
		return tg_reject(v, TG_R_UNKNOWN_KEY, "the token's kid names no active key of the tenant");
	if (!has_alg_key)
		return tg_reject(v, n ? TG_R_ALG_MISMATCH : TG_R_UNKNOWN_KEY,
				 "the tenant has no active key for the token's algorithm %s",
				 alg_name(j->alg));
	return tg_reject(v, TG_R_BAD_SIGNATURE, "the signature does not verify");
}

/* Whether the subtype of a media type ends in "+jwt": a named kind of JWT (RFC 8725 3.11). */
static bool
is_jwt_kind(const char *typ)
{
	size_t n = strlen(typ);

	return n >= 4 && strcasecmp(typ + n - 4, "+jwt") == 0;
}

/*
 * RFC 8725 3.11 explicit typing: an access token must not be confused with the
 * other JWTs a tenant's keys sign (ID tokens, logout tokens, other SETs).
 */
static enum tg_err
check_type(const struct tg_tenant *t, const struct jws *j, const struct tg_key *key,
	   struct tg_verdict *v)
{
	if (j->typ && is_jwt_kind(j->typ) && !jws_typ_is(j->typ, TG_JWS_TYP_ACCESS))
		return tg_reject(v, TG_R_WRONG_TYPE, "the token's typ names another kind of JWT "
				 "than an access token (at+jwt, RFC 9068)");
	/* RFC 8417 2.2 registers events for security event tokens, logout tokens among them. */
	if (json_object_object_get_ex(j->payload, "events", NULL))
		return tg_reject(v, TG_R_WRONG_TYPE, "the token carries events: it is a security "
				 "event token (a logout token, say), not an access token");
	if (!key->is_gateway && t->require_typ && !jws_typ_is(j->typ, t->require_typ))
		return tg_reject(v, TG_R_WRONG_TYPE, "tenant %s requires typ \"%s\" in the token "
				 "header and the token's typ is %s", t->id, t->require_typ,
				 j->typ ? "another" : "missing");
	return TG_OK;
}

enum tg_err
verify_token(const struct keyring *kr, const char *tenant, const char *token, size_t len,
	     int64_t now, struct tg_verified **out, struct tg_verdict *verdict)
{
	struct jws *j = NULL;
	const struct tg_tenant *t = NULL;
	const struct tg_key *key = NULL;
	struct tg_verified *res;
	struct json_object *sub = NULL, *exp = NULL;
	uint64_t start = metrics_clock();
	enum tg_err rc;

	rc = jws_parse(token, len, &j, verdict);
	if (rc != TG_OK)
		goto out;
	rc = resolve_tenant(kr, tenant, j, &t, verdict);
	if (rc != TG_OK)
		goto out;
	rc = check_signature(kr, t, j, token, &key, verdict);
	if (rc != TG_OK)
		goto out;
	rc = check_type(t, j, key, verdict);
	if (rc != TG_OK)
		goto out;
	rc = claims_check(j->payload, t, now, verdict);
	if (rc != TG_OK)
		goto out;

	json_object_object_get_ex(j->payload, "sub", &sub);
	json_object_object_get_ex(j->payload, "exp", &exp);
	res = tg_xcalloc(1, sizeof(*res));
	res->tenant = tg_xstrdup(t->id);
	res->sub = tg_xstrdup(json_object_get_string(sub));
	res->kid = tg_xstrdup(key->kid);
	res->alg = key->alg;
	res->is_gateway = key->is_gateway;
	/* json-c saturates on conversion, and claims_check bounded exp near now. */
	res->exp = json_object_get_int64(exp);
	res->claims = j->payload;
	res->header = j->header;
	j->payload = NULL; /* ownership moves to the result */
	j->header = NULL;
	*out = res;
out:
	/* by the key's algorithm: a token refused before one was chosen has none to count under */
	if (key)
		metrics_verify_time(key->alg, metrics_clock() - start);
	jws_free(j);
	return rc;
}

enum tg_err
verify_token_kid(const struct keyring *kr, const char *tenant, const char *token, size_t len,
		 char **tenant_out, char **kid_out)
{
	struct tg_verdict verdict = { 0 };
	const struct tg_tenant *t = NULL;
	struct jws *j = NULL;
	enum tg_err rc;

	rc = jws_parse(token, len, &j, &verdict);
	if (rc == TG_OK)
		rc = resolve_tenant(kr, tenant, j, &t, &verdict);
	if (rc != TG_OK || !j->kid) {
		rc = TG_ERR_NOT_FOUND;
		goto out;
	}
	*tenant_out = tg_xstrdup(t->id);
	*kid_out = tg_xstrdup(j->kid);
out:
	jws_free(j);
	return rc;
}
