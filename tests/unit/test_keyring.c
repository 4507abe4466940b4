/*
 * The keyring from records in memory: lookups by id and issuer, only active
 * keys in kid order whatever order they come in, the newest signing key, keys
 * parsed once on first use, and a load that replaces everything. The store
 * round trip is test_keyring_sync's.
 */
#include "jose/keyring.h"

#include "../lib/keyring_fixture.h"

#include <stdlib.h>

static struct keyring_fixture f;

static void
test_empty(void)
{
	ok(!keyring_is_current(f.kr, 0) && !keyring_is_current(f.kr, 1),
	   "a new keyring is current for no generation");
	kf_load(&f);
	ok(keyring_is_current(f.kr, f.generation) && keyring_generation(f.kr) == f.generation,
	   "a load records its generation");
	ok(!keyring_is_current(f.kr, f.generation + 1), "and is not current for the next one");
	ok(keyring_tenant(f.kr, "a") == NULL, "empty keyring has no tenants");
}

/* kf_three_tenants, and a key whose tenant is not loaded. */
static void
add_tenants(void)
{
	kf_three_tenants(&f);
	kf_new_key(&f, "gone", "k9", TG_ALG_HS256, TG_KEY_USE_VERIFY, 1, NULL);
	kf_load(&f);
}

static void
test_lookups(void)
{
	const struct keyring_key *keys;
	const struct tg_key *parsed;
	size_t n;

	ok(keyring_tenant(f.kr, "a") && keyring_tenant(f.kr, "zed") && keyring_tenant(f.kr, "m"),
	   "every tenant found by id");
	ok(keyring_tenant(f.kr, "b") == NULL, "unknown id");
	ok(keyring_tenant(f.kr, "gone") == NULL, "a key's tenant that is not loaded is no tenant");
	ok(keyring_tenant_by_issuer(f.kr, "https://zed.example") == keyring_tenant(f.kr, "zed"),
	   "tenant found by issuer");
	ok(keyring_tenant_by_issuer(f.kr, "https://zed.example/") == NULL,
	   "issuer must match exactly");

	keyring_keys(f.kr, "m", &keys, &n);
	is_int(n, 4, "retired key left out");
	if (n == 4) {
		is_str(keys[0].kid, "k1", "kid order 0");
		is_str(keys[1].kid, "k2", "kid order 1");
		is_str(keys[2].kid, "s-new", "kid order 2");
		is_str(keys[3].kid, "s-old", "kid order 3");
		ok(keys[0].alg == TG_ALG_ES256 && !keys[0].is_gateway && keys[2].is_gateway,
		   "alg and use are listed before parsing");
		parsed = keyring_key_parsed(&keys[0]);
		ok(parsed && strcmp(parsed->kid, "k1") == 0 && parsed->alg == TG_ALG_ES256 &&
			   !parsed->is_private && !parsed->is_gateway,
		   "a key parses on first use");
		ok(keyring_key_parsed(&keys[0]) == parsed, "and only once");
	}
	ok(keyring_signing_key(f.kr, "m") &&
		   strcmp(keyring_signing_key(f.kr, "m")->kid, "s-new") == 0,
	   "newest signing key");
	ok(keyring_signing_key(f.kr, "m")->is_private, "signing key holds its private half");
	keyring_keys(f.kr, "a", &keys, &n);
	is_int(n, 0, "tenant without keys");
	keyring_keys(f.kr, "nope", &keys, &n);
	is_int(n, 0, "unknown tenant has no keys");
	keyring_keys(f.kr, "gone", &keys, &n);
	is_int(n, 0, "keys of a tenant not loaded are dropped");
}

/* What a newer OpenSSL might refuse: material that is not a key at all. */
static void
test_unparsable(void)
{
	struct tg_key_record *bad = tg_xcalloc(1, sizeof(*bad));
	const struct keyring_key *keys;
	size_t n;

	bad->tenant = tg_xstrdup("a");
	bad->kid = tg_xstrdup("junk");
	bad->alg = TG_ALG_RS256;
	bad->state = TG_KEY_ACTIVE;
	bad->use = TG_KEY_USE_VERIFY;
	secret_set(&bad->material, "not DER", 7);
	kf_add_record(&f, bad);
	kf_load(&f);
	keyring_keys(f.kr, "a", &keys, &n);
	ok(n == 1 && keyring_key_parsed(&keys[0]) == NULL && keyring_key_parsed(&keys[0]) == NULL,
	   "it is listed but never parses, so it verifies nothing");
	ok(keyring_signing_key(f.kr, "m") &&
		   strcmp(keyring_signing_key(f.kr, "m")->kid, "s-new") == 0,
	   "other tenants' keys are unaffected");
	kf_remove_keys(&f, "a", "junk");
}

static void
test_reload(void)
{
	struct tg_tenant *m = kf_find_tenant(&f, "m");

	kf_find_key(&f, "m", "s-new")->state = TG_KEY_RETIRED;
	kf_load(&f);
	ok(strcmp(keyring_signing_key(f.kr, "m")->kid, "s-old") == 0,
	   "retiring the newest signing key falls back to the previous one");

	free(m->issuer);
	m->issuer = tg_xstrdup("https://moved.example");
	kf_load(&f);
	ok(keyring_tenant_by_issuer(f.kr, "https://moved.example") != NULL &&
		   keyring_tenant_by_issuer(f.kr, "https://m.example") == NULL,
	   "a load replaces the issuer index");
	kf_remove_tenant(&f, "m");
	kf_load(&f);
	ok(keyring_tenant(f.kr, "m") == NULL && keyring_signing_key(f.kr, "m") == NULL,
	   "a tenant missing from a load is gone, keys and all");
}

int
main(void)
{
	kf_init(&f);
	test_empty();
	add_tenants();
	test_lookups();
	test_unparsable();
	test_reload();
	kf_fini(&f);
	return done_testing();
}
