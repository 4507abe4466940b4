/*
 * libFuzzer target for the token parser and verifier: every input goes through
 * jws_parse, and a parsed token through signature verification with a fixed
 * HMAC key of its algorithm and the claims policy. Never crashes, leaks or hangs.
 */
#include "fuzz.h"
#include "jose/claims.h"
#include "jose/jws.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char fuzz_secret[64] = "tokengate fuzzing secret, 64 bytes long, enough for HS512 keys.";

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tg_tenant tenant = { .id = (char *)(uintptr_t)"fuzz", .issuer = (char *)(uintptr_t)"iss",
				    .audience = (char *)(uintptr_t)"aud", .max_lifetime = 60,
				    .leeway = 5, .claims_ns = (char *)(uintptr_t)"ns" };
	struct tg_verdict v = { 0 };
	struct tg_key *key = NULL;
	struct jws *j = NULL;
	char *token = malloc(size + 1);

	if (!token)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	if (jws_parse(token, size, &j, &v) != TG_OK)
		goto out;
	if (keys_from_secret("k", TG_ALG_HS256, fuzz_secret, sizeof(fuzz_secret), &key,
			     NULL) != TG_OK)
		abort();
	(void)jws_verify(j, token, key, &v);
	(void)claims_check(j->payload, &tenant, 1700000000, &v);
	(void)claims_lookup(j->payload, &tenant, "a.b.c");
out:
	key_free(key);
	jws_free(j);
	free(token);
	return 0;
}
