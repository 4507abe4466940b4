/*
 * The JWS algorithm allowlist and per-algorithm facts (RFC 7518 section 3,
 * RFC 8037 for EdDSA, RFC 9864 for Ed25519). Matching is exact and case-sensitive so that "None",
 * "NONE" or "hs256" never reach a key.
 */
#include "base/alg.h"

#include <string.h>

struct alg_info {
	const char *name;
	enum tg_key_family family;
	const char *digest;
	size_t hash_len;
	const char *ec_group;
};

static const struct alg_info algs[TG_ALG_COUNT] = {
	[TG_ALG_HS256] = { "HS256", TG_FAMILY_HMAC, "SHA256", 32, NULL },
	[TG_ALG_HS384] = { "HS384", TG_FAMILY_HMAC, "SHA384", 48, NULL },
	[TG_ALG_HS512] = { "HS512", TG_FAMILY_HMAC, "SHA512", 64, NULL },
	[TG_ALG_RS256] = { "RS256", TG_FAMILY_RSA, "SHA256", 32, NULL },
	[TG_ALG_RS384] = { "RS384", TG_FAMILY_RSA, "SHA384", 48, NULL },
	[TG_ALG_RS512] = { "RS512", TG_FAMILY_RSA, "SHA512", 64, NULL },
	[TG_ALG_PS256] = { "PS256", TG_FAMILY_RSA_PSS, "SHA256", 32, NULL },
	[TG_ALG_PS384] = { "PS384", TG_FAMILY_RSA_PSS, "SHA384", 48, NULL },
	[TG_ALG_PS512] = { "PS512", TG_FAMILY_RSA_PSS, "SHA512", 64, NULL },
	[TG_ALG_ES256] = { "ES256", TG_FAMILY_EC, "SHA256", 32, "prime256v1" },
	[TG_ALG_ES384] = { "ES384", TG_FAMILY_EC, "SHA384", 48, "secp384r1" },
	[TG_ALG_ES512] = { "ES512", TG_FAMILY_EC, "SHA512", 64, "secp521r1" },
	[TG_ALG_EDDSA] = { "EdDSA", TG_FAMILY_OKP, NULL, 0, NULL },
	[TG_ALG_ED25519] = { "Ed25519", TG_FAMILY_OKP, NULL, 0, NULL },
};

enum tg_err
alg_from_name(const char *name, enum tg_alg *out)
{
	if (!name)
		return TG_ERR_UNSUPPORTED;
	for (int a = TG_ALG_INVALID + 1; a < TG_ALG_COUNT; a++) {
		if (strcmp(algs[a].name, name) == 0) {
			*out = (enum tg_alg)a;
			return TG_OK;
		}
	}
	return TG_ERR_UNSUPPORTED;
}

static bool
is_valid(enum tg_alg a)
{
	return a > TG_ALG_INVALID && a < TG_ALG_COUNT;
}

const char *
alg_name(enum tg_alg a)
{
	return is_valid(a) ? algs[a].name : "invalid";
}

bool
alg_is_same(enum tg_alg a, enum tg_alg b)
{
	/*
	 * The OKP family holds exactly EdDSA-over-Ed25519 under its two names
	 * (keys.c refuses Ed448), so no name of it lets a key sign another way.
	 */
	return is_valid(a) && is_valid(b) &&
	       (a == b || (algs[a].family == TG_FAMILY_OKP && algs[b].family == TG_FAMILY_OKP));
}

enum tg_key_family
alg_family(enum tg_alg a)
{
	return is_valid(a) ? algs[a].family : TG_FAMILY_NONE; /* fails closed */
}

const char *
alg_digest(enum tg_alg a)
{
	return is_valid(a) ? algs[a].digest : NULL;
}

size_t
alg_hash_len(enum tg_alg a)
{
	return is_valid(a) ? algs[a].hash_len : 0;
}

size_t
alg_ecdsa_sig_len(enum tg_alg a)
{
	switch (a) {
	case TG_ALG_ES256: return 64;
	case TG_ALG_ES384: return 96;
	case TG_ALG_ES512: return 132;
	default: return 0;
	}
}

const char *
alg_ec_group(enum tg_alg a)
{
	return is_valid(a) ? algs[a].ec_group : NULL;
}
