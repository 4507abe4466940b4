/*
 * signing_key_rotate against a real store: the new key is stored as the
 * tenant's active signing key, ordered after the ones before it even within
 * one second (so a keyring synced from the store signs with it), and the
 * refusals: an algorithm the gateway does not sign with, an unknown tenant.
 */
#include "join/keyring_sync.h"
#include "join/signing_key.h"

#include "jose/mint.h"

#include "../lib/store_fixture.h"

static struct store_fixture sf;

static size_t
stored_keys(const char *tenant)
{
	struct tg_key_record **v = NULL;
	size_t n = 0;

	if (store_key_list(sf.s, tenant, &v, &n) != TG_OK)
		diag("store_key_list %s failed", tenant);
	keyrec_list_free(v, n);
	return n;
}

static void
test_rotate(void)
{
	struct tg_tenant *t = tenant_new("ed");
	struct tg_key_record *first = NULL, *second = NULL, *got = NULL;
	struct keyring *kr = keyring_new();

	t->signing_alg = tg_xstrdup("EdDSA");
	if (store_tenant_add(sf.s, t) != TG_OK)
		diag("cannot store tenant ed");
	ok(signing_key_rotate(sf.s, t, NOW, &first) == TG_OK && first, "rotate");
	ok(first && first->use == TG_KEY_USE_SIGN && first->alg == TG_ALG_EDDSA &&
		   first->state == TG_KEY_ACTIVE && first->created == NOW &&
		   strncmp(first->kid, "gw-", 3) == 0 && strlen(first->kid) == 19,
	   "the record: an active EdDSA signing key, created now, kid gw-<16 hex>");
	ok(first && store_key_get(sf.s, "ed", first->kid, &got) == TG_OK &&
		   secret_equal(got->material.p, got->material.len, first->material.p,
				first->material.len),
	   "it is stored as returned");
	ok(signing_key_rotate(sf.s, t, NOW, &second) == TG_OK && second,
	   "rotate again in the same second");
	ok(first && second && second->created > first->created,
	   "created after the previous key, to order them");
	ok(keyring_sync(kr, sf.s, NULL) == TG_OK && second && keyring_signing_key(kr, "ed") &&
		   strcmp(keyring_signing_key(kr, "ed")->kid, second->kid) == 0,
	   "the new key is the signer of a keyring synced from the store");
	ok(signing_key_rotate(sf.s, t, NOW, NULL) == TG_OK, "rotate with out NULL");
	is_int(stored_keys("ed"), 3, "and that key is stored too");
	keyrec_free(got);
	keyrec_free(first);
	keyrec_free(second);
	keyring_free(kr);
	tenant_free(t);
}

static void
test_refusals(void)
{
	struct tg_tenant *t = tenant_new("x");
	struct tg_key_record *rec = NULL;

	fixture_tenant(sf.s, "x");
	t->signing_alg = tg_xstrdup("RS256");
	ok(signing_key_rotate(sf.s, t, NOW, &rec) == TG_ERR_UNSUPPORTED && !rec,
	   "no key is made in an algorithm the gateway does not sign with");
	is_int(stored_keys("x"), 0, "and nothing is stored");
	free(t->signing_alg);
	t->signing_alg = NULL;
	free(t->id);
	t->id = tg_xstrdup("nobody");
	ok(signing_key_rotate(sf.s, t, NOW, &rec) == TG_ERR_NOT_FOUND && !rec,
	   "rotating for an unknown tenant: not found");
	tenant_free(t);
}

int
main(void)
{
	if (!fixture_open(&sf, "test_signing_key", NULL)) {
		ok(0, "store opens");
		return done_testing();
	}
	test_rotate();
	test_refusals();
	fixture_close(&sf);
	return done_testing();
}
