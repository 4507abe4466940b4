/*
 * A public JWK of a key made at test time, for the JWK Set tests: kid, alg
 * and use "sig" as keys_public_jwk writes them. Header-only; owns nothing.
 */
#ifndef TG_JWK_FIXTURE_H
#define TG_JWK_FIXTURE_H

#include "jose/keys.h"

#include <json-c/json.h>

/* The caller puts the object; NULL (with a diag) when OpenSSL could not make the key. */
static inline struct json_object *
fixture_jwk(enum tg_alg alg, const char *kid)
{
	struct tg_key *k = NULL;
	struct json_object *o = NULL;

	if (keys_generate(kid, alg, &k) != TG_OK || keys_public_jwk(k, &o) != TG_OK)
		fprintf(stderr, "# cannot make a %s JWK\n", alg_name(alg));
	key_free(k);
	return o;
}

#endif
