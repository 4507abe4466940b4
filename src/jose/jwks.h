/*
 * A JWK Set (RFC 7517 section 5) as identity providers publish it, read under
 * the import rules: each member usable, skipped (not a signature key, alg off
 * the allowlist) or failed, named by its kid. Pure: knows no store.
 */
#ifndef TG_JWKS_H
#define TG_JWKS_H

#include "jose/keys.h"

enum jwks_verdict { JWKS_USABLE, JWKS_SKIPPED, JWKS_FAILED };

struct jwks_member {
	char *kid;                 /* NULL when the member has no kid string */
	size_t index;              /* its place in "keys", for a member without a kid */
	enum jwks_verdict verdict;
	struct tg_key *key;        /* JWKS_USABLE: the public key, kid set */
	char *reason;              /* SKIPPED, FAILED: why, without key bytes */
};

struct jwks_set {
	struct jwks_member *v;
	size_t n;
};

/*
 * json: the set's bytes (strict JSON, no NUL). default_alg: TG_ALG_INVALID,
 * or the alg of members that name none (refused for a kty that cannot serve
 * it). A member's own problem is its verdict; an error (with why) only when
 * the document is not a JWK Set, and then *out is untouched.
 */
enum tg_err jwks_read(const char *json, size_t len, enum tg_alg default_alg,
		      struct jwks_set *out, struct tg_why *why);
void jwks_set_fini(struct jwks_set *set);

#endif
