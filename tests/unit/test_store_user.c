/*
 * Users against a real environment in a mkdtemp directory: add with the email
 * normalised and unique per tenant, get, list, disable/enable, set-hash,
 * remove, and removal with their tenant.
 */
#include "../lib/store_fixture.h"

static enum tg_err
add(struct tg_store *s, const char *tenant, const char *id, const char *email)
{
	struct tg_user u = { .tenant = (char *)(uintptr_t)tenant, .id = (char *)(uintptr_t)id,
			     .email = (char *)(uintptr_t)email,
			     .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$x$y" };

	return store_user_add(s, &u);
}

int
main(void)
{
	struct store_fixture f;
	struct tg_user *u = NULL, **v = NULL;
	size_t n = 0;

	if (!fixture_open(&f, "test_store_user", "acme", "beta", NULL))
		return 1;
	is_int(add(f.s, "acme", "u1", " Alice@Example.com"), TG_OK, "user added");
	is_int(add(f.s, "acme", "u2", "ALICE@example.COM"), TG_ERR_EXISTS,
	       "same email after normalisation: exists");
	is_int(add(f.s, "acme", "u1", "bob@example.com"), TG_ERR_EXISTS, "same id: exists");
	is_int(add(f.s, "beta", "u3", "alice@example.com"), TG_OK, "same email, other tenant");
	is_int(add(f.s, "nobody", "u4", "a@example.com"), TG_ERR_NOT_FOUND, "unknown tenant");
	is_int(add(f.s, "acme", "u5", "not-an-email"), TG_ERR_INVALID, "malformed email");
	is_int(add(f.s, "acme", "u6", "bob@example.com"), TG_OK, "second user");
	is_int(store_user_get(f.s, "acme", "alice@EXAMPLE.com", &u), TG_OK, "found by any case");
	ok(u && strcmp(u->id, "u1") == 0 && strcmp(u->email, "alice@example.com") == 0 &&
	   !u->is_disabled && u->created > 0, "stored normalised, enabled, created set");
	user_free(u);
	u = NULL;
	is_int(store_user_disable(f.s, "acme", "alice@example.com"), TG_OK, "disabled");
	is_int(store_user_get(f.s, "acme", "alice@example.com", &u), TG_OK, "read back");
	ok(u && u->is_disabled, "is disabled");
	user_free(u);
	u = NULL;
	is_int(store_user_enable(f.s, "acme", "alice@example.com"), TG_OK, "enabled");
	is_int(store_user_set_hash(f.s, "acme", "alice@example.com", "$argon2id$new"), TG_OK,
	       "hash replaced");
	is_int(store_user_get(f.s, "acme", "alice@example.com", &u), TG_OK, "read back");
	ok(u && !u->is_disabled && strcmp(u->password_hash, "$argon2id$new") == 0, "new hash, enabled");
	user_free(u);
	u = NULL;
	is_int(store_user_list(f.s, "acme", &v, &n), TG_OK, "listed");
	ok(n == 2 && strcmp(v[0]->email, "alice@example.com") == 0 &&
	   strcmp(v[1]->email, "bob@example.com") == 0, "two users, by email");
	user_list_free(v, n);
	is_int(store_user_remove(f.s, "acme", "bob@example.com"), TG_OK, "removed");
	is_int(store_user_get(f.s, "acme", "bob@example.com", &u), TG_ERR_NOT_FOUND, "gone");
	is_int(add(f.s, "acme", "u7", "bob@example.com"), TG_OK, "its email is free again");
	is_int(store_user_disable(f.s, "acme", "carol@example.com"), TG_ERR_NOT_FOUND, "no such user");
	is_int(store_tenant_remove(f.s, "acme"), TG_OK, "tenant removed");
	fixture_tenant(f.s, "acme");
	is_int(store_user_list(f.s, "acme", &v, &n), TG_OK, "listed");
	is_int((int)n, 0, "its users went with the old tenant");
	user_list_free(v, n);
	is_int(store_user_get(f.s, "beta", "alice@example.com", &u), TG_OK, "other tenant's user stays");
	user_free(u);
	fixture_close(&f);
	return done_testing();
}
