/*
 * keyring_sync against a real store: the first call loads, a call reloads
 * exactly when the store's generation moved and says so, and what the store
 * holds (tenants, issuers, active keys in kid order, a key that no longer
 * parses) is what the keyring shows after the call.
 */
#include "join/keyring_sync.h"

#include "../lib/keyring_fixture.h"
#include "../lib/store_fixture.h"

static struct store_fixture sf;
static struct keyring *kr;

/* kf_three_tenants' records, stored. */
static void
fill_store(void)
{
	struct keyring_fixture recs;

	kf_init(&recs);
	kf_three_tenants(&recs);
	for (size_t i = 0; i < recs.ntenants; i++)
		if (store_tenant_add(sf.s, recs.tenants[i]) != TG_OK)
			diag("cannot store tenant %s", recs.tenants[i]->id);
	for (size_t i = 0; i < recs.nkeys; i++)
		if (store_key_add(sf.s, recs.keys[i]) != TG_OK)
			diag("cannot store key %s", recs.keys[i]->kid);
	kf_fini(&recs);
}

static void
test_generation(void)
{
	bool changed = false;

	ok(keyring_sync(kr, sf.s, &changed) == TG_OK && changed, "first sync loads");
	ok(keyring_tenant(kr, "a") == NULL, "empty keyring has no tenants");
	ok(keyring_sync(kr, sf.s, &changed) == TG_OK && !changed, "empty and unchanged: no reload");
	fill_store();
	ok(keyring_sync(kr, sf.s, &changed) == TG_OK && changed, "sync after changes reloads");
	is_int(keyring_generation(kr), gen(sf.s), "keyring records the store generation");
	ok(keyring_sync(kr, sf.s, &changed) == TG_OK && !changed, "unchanged store: no reload");
	ok(keyring_sync(kr, sf.s, NULL) == TG_OK, "changed may be NULL");
}

static void
test_contents(void)
{
	const struct keyring_key *keys;
	size_t n;

	ok(keyring_tenant(kr, "a") && keyring_tenant(kr, "zed") && keyring_tenant(kr, "m") &&
		   keyring_tenant_by_issuer(kr, "https://zed.example") == keyring_tenant(kr, "zed"),
	   "the store's tenants, found by id and by issuer");
	keyring_keys(kr, "m", &keys, &n);
	ok(n == 4 && strcmp(keys[0].kid, "k1") == 0 && strcmp(keys[3].kid, "s-old") == 0,
	   "the store's active keys, retired one left out, in kid order");
	ok(keyring_signing_key(kr, "m") && strcmp(keyring_signing_key(kr, "m")->kid, "s-new") == 0,
	   "newest signing key");
}

static void
test_changes(void)
{
	struct tg_key_record bad = { .tenant = (char *)(uintptr_t)"a",
				     .kid = (char *)(uintptr_t)"junk", .alg = TG_ALG_RS256,
				     .state = TG_KEY_ACTIVE, .use = TG_KEY_USE_VERIFY };
	const struct keyring_key *keys;
	struct tg_tenant *t;
	bool changed = false;
	size_t n;

	/* What a newer OpenSSL might refuse: material that is not a key at all. */
	secret_set(&bad.material, (const unsigned char *)"not DER", 7);
	ok(store_key_add(sf.s, &bad) == TG_OK, "a key that no longer parses is stored");
	secret_free(&bad.material);
	ok(keyring_sync(kr, sf.s, &changed) == TG_OK && changed,
	   "and the reload does not fail on it");
	keyring_keys(kr, "a", &keys, &n);
	ok(n == 1 && keyring_key_parsed(&keys[0]) == NULL,
	   "it is listed but never parses, so it verifies nothing");
	store_key_remove(sf.s, "a", "junk");

	store_key_set_state(sf.s, "m", "s-new", TG_KEY_RETIRED);
	keyring_sync(kr, sf.s, &changed);
	ok(changed && strcmp(keyring_signing_key(kr, "m")->kid, "s-old") == 0,
	   "retiring the newest signing key falls back to the previous one");

	t = tenant_new("m");
	t->issuer = tg_xstrdup("https://moved.example");
	store_tenant_update(sf.s, t);
	tenant_free(t);
	keyring_sync(kr, sf.s, &changed);
	ok(changed && keyring_tenant_by_issuer(kr, "https://moved.example") != NULL &&
		   keyring_tenant_by_issuer(kr, "https://m.example") == NULL,
	   "issuer change seen after sync");
}

int
main(void)
{
	if (!fixture_open(&sf, "test_keyring_sync", NULL)) {
		ok(0, "store opens");
		return done_testing();
	}
	kr = keyring_new();
	test_generation();
	test_contents();
	test_changes();
	keyring_free(kr);
	fixture_close(&sf);
	return done_testing();
}
