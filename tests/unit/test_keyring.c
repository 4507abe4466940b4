/*
 * The keyring against a real store: lookups by id and issuer, only active
 * keys in kid order, the newest signing key, and reloads that happen exactly
 * when the store's generation moves.
 */
#include "jose/keyring.h"
#include "store/store.h"

#include "../lib/tap.h"

#include <stdlib.h>
#include <unistd.h>

static struct tg_store *st;

static void
add_key(const char *tenant, const char *kid, enum tg_alg alg, enum tg_key_use use, int64_t created)
{
	struct tg_key *k = NULL, *pub = NULL;
	struct tg_key_record r = { .tenant = (char *)(uintptr_t)tenant, .kid = (char *)(uintptr_t)kid,
				   .alg = alg, .state = TG_KEY_ACTIVE, .use = use,
				   .created = created };

	if (keys_generate(kid, alg, &k) != TG_OK)
		diag("cannot make key %s", kid);
	/* Verification keys are stored public-only, as `tokengatectl key add` stores them. */
	if (use == TG_KEY_USE_VERIFY && k->is_private && keys_public_half(k, &pub) == TG_OK) {
		key_free(k);
		k = pub;
	}
	if (keys_export(k, &r.material) != TG_OK)
		diag("cannot export key %s", kid);
	if (store_key_add(st, &r) != TG_OK)
		diag("cannot store key %s", kid);
	secret_free(&r.material);
	key_free(k);
}

int
main(void)
{
	char dir[] = "/tmp/tg-test-keyring-XXXXXX";
	struct keyring *kr = keyring_new();
	struct tg_tenant *t;
	const struct keyring_key *keys;
	const struct tg_key *parsed;
	size_t n;
	bool changed;
	const char *why = NULL;
	uint64_t gen;

	if (!mkdtemp(dir) || store_open(dir, true, &st, &why) != TG_OK) {
		ok(0, "store opens: %s", why ? why : "mkdtemp failed");
		return done_testing();
	}
	ok(keyring_refresh(kr, st, &changed) == TG_OK && changed, "first refresh loads");
	ok(keyring_tenant(kr, "a") == NULL, "empty keyring has no tenants");

	for (const char *const *id = (const char *const[]){ "zed", "a", "m", NULL }; *id; id++) {
		t = tenant_new(*id);
		t->issuer = tg_xasprintf("https://%s.example", *id);
		store_tenant_add(st, t);
		tenant_free(t);
	}
	add_key("m", "k2", TG_ALG_HS256, TG_KEY_USE_VERIFY, 1);
	add_key("m", "k1", TG_ALG_ES256, TG_KEY_USE_VERIFY, 1);
	add_key("m", "s-old", TG_ALG_ES256, TG_KEY_USE_SIGN, 100);
	add_key("m", "s-new", TG_ALG_EDDSA, TG_KEY_USE_SIGN, 200);
	add_key("m", "k0", TG_ALG_HS256, TG_KEY_USE_VERIFY, 1);
	store_key_set_state(st, "m", "k0", TG_KEY_RETIRED);

	ok(keyring_refresh(kr, st, &changed) == TG_OK && changed, "refresh after changes reloads");
	store_generation(st, &gen);
	is_int(keyring_generation(kr), gen, "keyring records the store generation");
	ok(keyring_refresh(kr, st, &changed) == TG_OK && !changed, "unchanged store: no reload");
	ok(keyring_tenant(kr, "a") && keyring_tenant(kr, "zed") && keyring_tenant(kr, "m"),
	   "every tenant found by id");
	ok(keyring_tenant(kr, "b") == NULL, "unknown id");
	ok(keyring_tenant_by_issuer(kr, "https://zed.example") == keyring_tenant(kr, "zed"),
	   "tenant found by issuer");
	ok(keyring_tenant_by_issuer(kr, "https://zed.example/") == NULL, "issuer must match exactly");

	keyring_keys(kr, "m", &keys, &n);
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
	ok(keyring_signing_key(kr, "m") && strcmp(keyring_signing_key(kr, "m")->kid, "s-new") == 0,
	   "newest signing key");
	ok(keyring_signing_key(kr, "m")->is_private, "signing key holds its private half");
	keyring_keys(kr, "a", &keys, &n);
	is_int(n, 0, "tenant without keys");
	keyring_keys(kr, "nope", &keys, &n);
	is_int(n, 0, "unknown tenant has no keys");

	{
		/* What a newer OpenSSL might refuse: material that is not a key at all. */
		struct tg_key_record bad = { .tenant = (char *)(uintptr_t)"a",
					     .kid = (char *)(uintptr_t)"junk", .alg = TG_ALG_RS256,
					     .state = TG_KEY_ACTIVE, .use = TG_KEY_USE_VERIFY };

		secret_set(&bad.material, (const unsigned char *)"not DER", 7);
		ok(store_key_add(st, &bad) == TG_OK, "a key that no longer parses is stored");
		secret_free(&bad.material);
		ok(keyring_refresh(kr, st, &changed) == TG_OK && changed,
		   "and the reload does not fail on it");
		keyring_keys(kr, "a", &keys, &n);
		ok(n == 1 && keyring_key_parsed(&keys[0]) == NULL && keyring_key_parsed(&keys[0]) == NULL,
		   "it is listed but never parses, so it verifies nothing");
		ok(keyring_signing_key(kr, "m") && strcmp(keyring_signing_key(kr, "m")->kid, "s-new") == 0,
		   "other tenants' keys are unaffected");
		store_key_remove(st, "a", "junk");
	}

	store_key_set_state(st, "m", "s-new", TG_KEY_RETIRED);
	keyring_refresh(kr, st, &changed);
	ok(changed && strcmp(keyring_signing_key(kr, "m")->kid, "s-old") == 0,
	   "retiring the newest signing key falls back to the previous one");

	t = tenant_new("m");
	t->issuer = tg_xstrdup("https://moved.example");
	store_tenant_update(st, t);
	tenant_free(t);
	keyring_refresh(kr, st, &changed);
	ok(changed && keyring_tenant_by_issuer(kr, "https://moved.example") != NULL &&
		   keyring_tenant_by_issuer(kr, "https://m.example") == NULL,
	   "issuer change seen after refresh");

	keyring_free(kr);
	store_close(st);
	tap_rmtree(dir);
	return done_testing();
}
