/*
 * Gateway-issued access tokens and the signing keys behind them: the claims a
 * session's token carries (signed through jws.c), the tenant's signing keys
 * (made by keys.c, stored as use SIGN by join/signing_key.c) and their public JWKS. Never logs or
 * returns a token, a key's bytes or a custom claim's value in an error.
 */
#include "jose/mint.h"

#include "base/b64url.h"
#include "base/secret.h"
#include "jose/claims.h"
#include "jose/jws.h"
#include "jose/verify.h"
#include "model/acr.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

#define STR(x) #x
#define XSTR(x) STR(x)

#define KID_RANDOM_BYTES 8 /* "gw-" + 16 hex digits */
#define JTI_BYTES 16       /* 128 bits: unique without coordination */

/*
 * Names the gateway itself writes, or that RFC 7519 4.1 registers: a custom
 * claim of that name at top level would forge or contradict the gateway's own.
 */
static const char *const reserved_claims[] = {
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "tid", "sid", "amr", "auth_time", "acr",
	NULL,
};

static bool
is_reserved_claim(const char *name)
{
	for (size_t i = 0; reserved_claims[i]; i++)
		if (strcmp(reserved_claims[i], name) == 0)
			return true;
	return false;
}

enum tg_alg
mint_signing_alg(const struct tg_tenant *t)
{
	static const enum tg_alg allowed[] = { TG_ALG_HS256, TG_ALG_ES256, TG_ALG_EDDSA,
						 TG_ALG_ED25519 };
	enum tg_alg alg;

	if (!t->signing_alg)
		return TG_ALG_HS256;
	if (alg_from_name(t->signing_alg, &alg) != TG_OK)
		return TG_ALG_INVALID;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i] == alg)
			return alg;
	return TG_ALG_INVALID;
}

char *
mint_issuer(const struct tg_tenant *t)
{
	if (t->issuer)
		return tg_xstrdup(t->issuer);
	return tg_xconcat(TG_GATEWAY_ISS_PREFIX, t->id);
}

/* ---------------------------------------------------------------- signing keys */

static enum tg_err
new_kid(char **out)
{
	char digits[2 * KID_RANDOM_BYTES + 1];
	enum tg_err rc = secret_random_hex(KID_RANDOM_BYTES, digits);

	if (rc == TG_OK)
		*out = tg_xconcat("gw-", digits);
	return rc;
}

/*
 * The keyring signs with the signing key created last (ties go to kid order,
 * which is random here), so a rotation must be strictly newer than every
 * earlier one even when two rotations fall in the same second.
 */
int64_t
mint_signing_key_created(struct tg_key_record *const *keys, size_t n, int64_t now)
{
	int64_t created = now;

	for (size_t i = 0; i < n; i++)
		if (keys[i]->use == TG_KEY_USE_SIGN && keys[i]->created >= created)
			created = keys[i]->created + 1;
	return created;
}

enum tg_err
mint_signing_key_new(const struct tg_tenant *t, int64_t created, struct tg_key_record **out)
{
	enum tg_alg alg = mint_signing_alg(t);
	struct tg_key_record *rec = NULL;
	struct tg_key *k = NULL;
	char *kid = NULL;
	enum tg_err rc;

	rc = alg == TG_ALG_INVALID ? TG_ERR_UNSUPPORTED : new_kid(&kid);
	if (rc == TG_OK)
		rc = keys_generate(kid, alg, &k);
	if (rc != TG_OK)
		goto out;
	rec = tg_xcalloc(1, sizeof(*rec));
	rec->tenant = tg_xstrdup(t->id);
	rec->kid = kid;
	kid = NULL;
	rec->alg = alg;
	rec->state = TG_KEY_ACTIVE;
	rec->use = TG_KEY_USE_SIGN;
	rec->created = created;
	rc = keys_export(k, &rec->material);
	if (rc != TG_OK)
		goto out;
	*out = rec; /* ownership moves to the caller */
	rec = NULL;
out:
	keyrec_free(rec);
	key_free(k);
	free(kid);
	return rc;
}

/* ---------------------------------------------------------------- access tokens */

static enum tg_err
new_jti(char **out)
{
	return b64url_random(JTI_BYTES, out);
}

static struct json_object *
amr_array(const struct tg_session *sess)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < sess->amr.n; i++)
		json_object_array_add(a, json_object_new_string(sess->amr.v[i]));
	return a;
}

static bool
amr_contains(const void *set, const char *word, size_t len)
{
	const struct tg_strlist *amr = set;

	for (size_t i = 0; i < amr->n; i++)
		if (strlen(amr->v[i]) == len && memcmp(amr->v[i], word, len) == 0)
			return true;
	return false;
}

/* RFC 9470 section 3 (OpenID Connect's claims): when and how strongly the user authenticated. */
static void
add_authn_claims(struct json_object *p, const struct tg_tenant *t, const struct tg_session *sess)
{
	const char *acr = acr_of_amr(&t->acr_map, amr_contains, &sess->amr);

	json_object_object_add(p, "amr", amr_array(sess));
	if (sess->auth_time)
		json_object_object_add(p, "auth_time", json_object_new_int64(sess->auth_time));
	if (acr)
		json_object_object_add(p, "acr", json_object_new_string(acr));
}

/*
 * Where a custom claim goes: the names claims_lookup() always reads at top
 * level stay there (so `require-claim scope=...` sees them); the rest go into
 * the namespace when the tenant has one.
 */
static bool
is_top_level_custom(const struct tg_tenant *t, const char *name)
{
	return !t->claims_ns || claims_is_top_level(name);
}

/* A reserved name is skipped even if mint_check_claims was not called: never replaced. */
static void
add_custom_claims(struct json_object *p, const struct tg_tenant *t,
		  const struct json_object *claims)
{
	struct json_object *ns = NULL;

	json_object_object_foreach((struct json_object *)(uintptr_t)claims, name, val) {
		struct json_object *copy = NULL;

		if (is_reserved_claim(name))
			continue;
		if (json_object_deep_copy(val, &copy, NULL) != 0)
			abort(); /* only out of memory: fail closed like tg_xmalloc */
		if (is_top_level_custom(t, name)) {
			json_object_object_add(p, name, copy);
			continue;
		}
		if (!ns)
			ns = json_object_new_object();
		json_object_object_add(ns, name, copy);
	}
	if (ns)
		json_object_object_add(p, t->claims_ns, ns);
}

struct json_object *
mint_custom_payload(const struct tg_tenant *t, const struct json_object *claims)
{
	struct json_object *p = json_object_new_object();

	add_custom_claims(p, t, claims);
	return p;
}

static enum tg_err
build_payload(const struct tg_tenant *t, const struct tg_session *sess, int64_t now, int64_t exp,
	      struct json_object **out)
{
	struct json_object *p;
	char *jti = NULL, *iss;
	enum tg_err rc;

	rc = new_jti(&jti);
	if (rc != TG_OK)
		return rc;
	iss = mint_issuer(t);
	p = json_object_new_object();
	json_object_object_add(p, "iss", json_object_new_string(iss));
	json_object_object_add(p, "sub", json_object_new_string(sess->user));
	/* The verifier demands the tenant's audience, so a token without it would never pass. */
	if (t->audience)
		json_object_object_add(p, "aud", json_object_new_string(t->audience));
	json_object_object_add(p, "tid", json_object_new_string(t->id));
	json_object_object_add(p, "sid", json_object_new_string(sess->id));
	json_object_object_add(p, "iat", json_object_new_int64(now));
	json_object_object_add(p, "exp", json_object_new_int64(exp));
	json_object_object_add(p, "jti", json_object_new_string(jti));
	add_authn_claims(p, t, sess);
	if (sess->claims)
		add_custom_claims(p, t, sess->claims);
	free(iss);
	free(jti);
	*out = p;
	return TG_OK;
}

enum tg_err
mint_access_token(const struct tg_key *key, const struct tg_tenant *t,
		  const struct tg_session *sess, int64_t now, int64_t lifetime, char **token,
		  int64_t *exp_out)
{
	struct json_object *p = NULL;
	char *tok = NULL;
	int64_t exp;
	enum tg_err rc = TG_ERR_INVALID;

	/* A token of one tenant's session signed with another's key would cross tenants. */
	if (!key || !key->is_gateway || !sess->tenant || strcmp(sess->tenant, t->id) != 0 ||
	    lifetime <= 0 || lifetime > t->max_lifetime)
		goto out;
	rc = TG_ERR_REJECTED;
	if (!session_is_live(sess, now))
		goto out;
	/* The session's end by either deadline: the token never outlives it. */
	exp = session_deadline(sess) - now < lifetime ? session_deadline(sess) : now + lifetime;
	rc = build_payload(t, sess, now, exp, &p);
	if (rc == TG_OK)
		rc = jws_sign_typed(key, TG_JWS_TYP_ACCESS, p, &tok);
	if (rc != TG_OK)
		goto out;
	/* The verifier refuses longer tokens: fail here, where the caller can say why. */
	if (strlen(tok) > TG_JWS_MAX_LEN) {
		rc = TG_ERR_TOO_LARGE;
		goto out;
	}
	*token = tok; /* ownership moves to the caller */
	tok = NULL;
	*exp_out = exp;
out:
	secret_free_str(tok);
	json_object_put(p);
	return rc;
}

enum tg_err
mint_check_claims(const struct tg_tenant *t, const struct json_object *claims,
		  struct tg_why *why)
{
	size_t len;

	if (!claims)
		return TG_OK;
	if (!json_object_is_type(claims, json_type_object))
		return tg_fail(why, TG_ERR_INVALID, "claims must be a JSON object");
	json_object_object_foreach((struct json_object *)(uintptr_t)claims, name, val) {
		(void)val;
		if (name[0] == '\0' || strlen(name) > TG_MINT_CLAIM_NAME_MAX)
			return tg_fail(why, TG_ERR_INVALID, "a custom claim name must be 1 to "
				       XSTR(TG_MINT_CLAIM_NAME_MAX) " bytes");
		if (is_top_level_custom(t, name) && is_reserved_claim(name))
			return tg_fail(why, TG_ERR_INVALID, "custom claims may not use the names "
				       "the gateway writes (iss sub aud exp nbf iat jti tid sid "
				       "amr auth_time acr)");
	}
	len = strlen(json_object_to_json_string_ext((struct json_object *)(uintptr_t)claims,
						    JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	if (len > TG_MINT_CLAIMS_MAX)
		return tg_fail(why, TG_ERR_INVALID, "custom claims may take at most "
			       XSTR(TG_MINT_CLAIMS_MAX) " bytes as JSON, so the token stays within "
			       "the verifier's size limit");
	return TG_OK;
}

/* ---------------------------------------------------------------- JWKS */

struct json_object *
mint_jwks(const struct tg_key *const *keys, size_t n)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *jwk = NULL;

		/* HMAC keys have no public half; verification keys are the tenant's, not ours. */
		if (!keys[i]->is_gateway || alg_family(keys[i]->alg) == TG_FAMILY_HMAC)
			continue;
		if (keys_public_jwk(keys[i], &jwk) == TG_OK)
			json_object_array_add(arr, jwk);
	}
	json_object_object_add(doc, "keys", arr);
	return doc;
}
