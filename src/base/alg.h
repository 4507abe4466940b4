/*
 * The JWS algorithm allowlist (RFC 7518 section 3) and facts about each
 * algorithm: its exact name, digest, key family and signature size.
 * "none" is not an algorithm here and can never be represented.
 */
#ifndef TG_ALG_H
#define TG_ALG_H

#include "base/tokengate.h"

enum tg_alg {
	TG_ALG_INVALID = 0,
	TG_ALG_HS256, TG_ALG_HS384, TG_ALG_HS512,
	TG_ALG_RS256, TG_ALG_RS384, TG_ALG_RS512,
	TG_ALG_PS256, TG_ALG_PS384, TG_ALG_PS512,
	TG_ALG_ES256, TG_ALG_ES384, TG_ALG_ES512,
	TG_ALG_EDDSA,
	TG_ALG_ED25519, /* RFC 9864's fully-specified name for what EdDSA means here */
	TG_ALG_COUNT
};

enum tg_key_family { TG_FAMILY_NONE = 0, TG_FAMILY_HMAC, TG_FAMILY_RSA, TG_FAMILY_RSA_PSS, TG_FAMILY_EC, TG_FAMILY_OKP };

/* Exact, case-sensitive match against the allowlist; anything else is TG_ERR_UNSUPPORTED. */
enum tg_err alg_from_name(const char *name, enum tg_alg *out);
const char *alg_name(enum tg_alg a);
/*
 * Whether a token signed under b verifies with a key fixed to a: the same
 * algorithm, or EdDSA and Ed25519, two names of one signature here (EdDSA
 * keys are Ed25519 only, RFC 8037 and RFC 9864 section 2.2).
 */
bool alg_is_same(enum tg_alg a, enum tg_alg b);
enum tg_key_family alg_family(enum tg_alg a);
/* OpenSSL digest name ("SHA256" ...), NULL for EdDSA/Ed25519, which hash internally. */
const char *alg_digest(enum tg_alg a);
/* Digest output bytes; for HS* also the minimum secret length (RFC 7518 3.2). 0 for OKP. */
size_t alg_hash_len(enum tg_alg a);
/* ES*: raw R||S signature length (64/96/132, RFC 7518 3.4). 0 otherwise. */
size_t alg_ecdsa_sig_len(enum tg_alg a);
/* EC curve's OpenSSL group name for ES* ("prime256v1" ...), NULL otherwise. */
const char *alg_ec_group(enum tg_alg a);

#endif
