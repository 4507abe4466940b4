/*
 * API keys against a real environment in a mkdtemp directory: add, list, find
 * by hash and revoke with their error codes, the generation they leave alone,
 * their removal with their tenant (hash index too), and persistence across reopen.
 */
#include "../lib/store_fixture.h"

static enum tg_err
add_apikey(struct tg_store *s, const char *tenant_id, const char *id, unsigned char fill)
{
	struct tg_apikey a = { .tenant = (char *)(uintptr_t)tenant_id,
			       .id = (char *)(uintptr_t)id };

	memset(a.hash, fill, sizeof(a.hash));
	return store_apikey_add(s, &a);
}

static void
test_apikeys(struct tg_store *s)
{
	struct tg_apikey *a = NULL, **list = NULL;
	unsigned char h[TG_APIKEY_HASH_LEN];
	uint64_t g = gen(s);
	size_t n = 0;

	is_int(add_apikey(s, "acme", "ak1", 0x11), TG_OK, "API key added");
	is_int(add_apikey(s, "beta", "ak2", 0x22), TG_OK, "another tenant's API key added");
	is_int(add_apikey(s, "acme", "ak1", 0x33), TG_ERR_EXISTS, "duplicate id: exists");
	is_int(add_apikey(s, "acme", "ak3", 0x11), TG_ERR_EXISTS, "duplicate hash: exists");
	is_int(add_apikey(s, "nobody", "ak4", 0x44), TG_ERR_NOT_FOUND, "unknown tenant: not found");
	ok(gen(s) == g, "API keys are not keyring state: generation unchanged");

	is_int(store_apikey_list(s, "acme", &list, &n), TG_OK, "tenant's API keys listed");
	ok(n == 1 && strcmp(list[0]->id, "ak1") == 0, "only that tenant's API keys");
	apikey_list_free(list, n);
	is_int(store_apikey_list(s, NULL, &list, &n), TG_OK, "all API keys listed");
	is_int(n, 2, "both API keys");
	apikey_list_free(list, n);

	memset(h, 0x11, sizeof(h));
	is_int(store_apikey_find(s, h, &a), TG_OK, "API key found by hash");
	ok(a && strcmp(a->id, "ak1") == 0 && strcmp(a->tenant, "acme") == 0 && !a->revoked &&
		   a->hash[0] == 0x11,
	   "found record is complete");
	apikey_free(a);
	memset(h, 0x99, sizeof(h));
	is_int(store_apikey_find(s, h, &a), TG_ERR_NOT_FOUND, "unknown hash: not found");

	is_int(store_apikey_revoke(s, "beta", "ak1"), TG_ERR_NOT_FOUND,
	       "another tenant cannot revoke the key");
	is_int(store_apikey_revoke(s, "acme", "ak1"), TG_OK, "API key revoked");
	memset(h, 0x11, sizeof(h));
	a = NULL;
	store_apikey_find(s, h, &a);
	ok(a && a->revoked, "revoked key is still found, marked revoked");
	apikey_free(a);
	is_int(store_apikey_revoke(s, "acme", "nope"), TG_ERR_NOT_FOUND, "unknown id: not found");
}

/* Removing tenant acme takes its API keys with it and leaves beta's. */
static void
test_cascade(struct tg_store *s)
{
	struct tg_apikey *a = NULL, **list = NULL;
	unsigned char h[TG_APIKEY_HASH_LEN];
	size_t n = 0;

	if (store_tenant_remove(s, "acme") != TG_OK)
		diag("could not remove tenant acme");
	memset(h, 0x11, sizeof(h));
	is_int(store_apikey_find(s, h, &a), TG_ERR_NOT_FOUND,
	       "its API keys are gone, hash index too");
	store_apikey_list(s, NULL, &list, &n);
	ok(n == 1 && strcmp(list[0]->tenant, "beta") == 0, "other tenants' API keys stay");
	apikey_list_free(list, n);
	fixture_tenant(s, "acme");
	is_int(add_apikey(s, "acme", "ak1", 0x11), TG_OK, "removed API key id and hash are free");
}

static void
test_reopen(struct store_fixture *f)
{
	struct tg_apikey *a = NULL;
	unsigned char h[TG_APIKEY_HASH_LEN];
	enum tg_err rc;

	store_close(f->s);
	f->s = NULL;
	rc = store_open(f->dir, false, &f->s, NULL);
	memset(h, 0x22, sizeof(h));
	if (rc == TG_OK)
		rc = store_apikey_find(f->s, h, &a);
	is_int(rc, TG_OK, "API keys survive reopen");
	apikey_free(a);
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_apikey", "acme", "beta", NULL))
		return 1;
	test_apikeys(f.s);
	test_cascade(f.s);
	test_reopen(&f);
	fixture_close(&f);
	return done_testing();
}
