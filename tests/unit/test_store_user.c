/*
 * Users against a real environment in a mkdtemp directory: add with the email
 * normalised and unique per tenant, get, list, disable/enable, set-hash,
 * remove, and removal with their tenant; the second factor: enrolment and its
 * replacement, TOTP codes used once (two threads, one step: one wins),
 * recovery codes marked used, all in the store's own transactions.
 */
#include "../lib/store_fixture.h"

#include "model/totp.h"

#include <pthread.h>

static enum tg_err
add(struct tg_store *s, const char *tenant, const char *id, const char *email)
{
	struct tg_user u = { .tenant = (char *)(uintptr_t)tenant, .id = (char *)(uintptr_t)id,
			     .email = (char *)(uintptr_t)email,
			     .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$x$y" };

	return store_user_add(s, &u);
}

static enum tg_err
totp_use(struct tg_store *s, const struct tg_secret *key, int64_t at, int64_t now, int64_t *step)
{
	char code[TOTP_DIGITS_MAX + 1];
	enum tg_err rc = totp_code(key, at, TOTP_DIGITS, code);

	if (rc == TG_OK)
		rc = store_user_totp_use(s, "beta", "u9", code, now, step);
	secret_wipe(code, sizeof(code));
	return rc;
}

struct racer {
	struct tg_store *s;
	pthread_barrier_t *start;
	char code[TOTP_DIGITS_MAX + 1];
	enum tg_err rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	int64_t step;

	pthread_barrier_wait(r->start);
	r->rc = store_user_totp_use(r->s, "beta", "u9", r->code, NOW + 300, &step);
	return NULL;
}

/* Two requests with the same fresh code at once: the record's lock lets exactly one through. */
static void
test_totp_race(struct tg_store *s, const struct tg_secret *key)
{
	struct racer r[2];
	pthread_t th[2];
	pthread_barrier_t start;

	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){ .s = s, .start = &start, .rc = TG_ERR_IO };
		(void)totp_code(key, NOW + 300, TOTP_DIGITS, r[i].code);
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	ok((r[0].rc == TG_OK) != (r[1].rc == TG_OK) &&
	   (r[0].rc == TG_ERR_REJECTED || r[1].rc == TG_ERR_REJECTED),
	   "same step from two threads at once: exactly one accepted (%d, %d)", r[0].rc, r[1].rc);
}

static void
test_totp(struct tg_store *s)
{
	struct tg_secret key = { 0 }, other = { 0 };
	char codes[RECOVERY_CODES][RECOVERY_CODE_LEN + 1];
	struct recovery_set set;
	struct tg_user *u = NULL;
	bool flag = true;
	int64_t step = 0;
	size_t left = 0;

	is_int(add(s, "beta", "u9", "totp@example.com"), TG_OK, "user for TOTP");
	(void)totp_secret_new(&key);
	(void)totp_secret_new(&other);
	(void)recovery_new(RECOVERY_CODES, codes, &set);
	is_int(totp_use(s, &key, NOW, NOW, &step), TG_ERR_NOT_FOUND, "no TOTP yet: not found");
	is_int(store_user_totp_set(s, "beta", "totp@example.com", &key, &set, &flag), TG_OK,
	       "enrolled");
	ok(!flag, "nothing replaced");
	is_int(store_user_get(s, "beta", "TOTP@example.com", &u), TG_OK, "read back");
	ok(u && user_has_totp(u) && u->totp_last_step == -1 && u->recovery.n == RECOVERY_CODES &&
	   secret_equal(u->totp_secret.p, u->totp_secret.len, key.p, key.len),
	   "secret and set stored, no step used");
	user_free(u);
	u = NULL;
	is_int(totp_use(s, &key, NOW, NOW, &step), TG_OK, "a current code accepted");
	is_int((int)(step - totp_step(NOW)), 0, "its step returned");
	is_int(totp_use(s, &key, NOW, NOW + 10, &step), TG_ERR_REJECTED, "the same code again: "
	       "replay refused");
	is_int(totp_use(s, &key, NOW - TOTP_PERIOD, NOW, &step), TG_ERR_REJECTED,
	       "the previous step's code after the current one: refused");
	is_int(totp_use(s, &other, NOW + TOTP_PERIOD, NOW + TOTP_PERIOD, &step), TG_ERR_REJECTED,
	       "another secret's code refused");
	is_int(totp_use(s, &key, NOW + TOTP_PERIOD, NOW + TOTP_PERIOD, &step), TG_OK,
	       "the next step's code accepted (the wrong one recorded nothing)");
	is_int(store_user_totp_use(s, "beta", "u9", "12345", NOW, &step), TG_ERR_INVALID,
	       "five digits: invalid");
	is_int(store_user_totp_use(s, "beta", "nobody", "123456", NOW, &step), TG_ERR_NOT_FOUND,
	       "unknown user id");
	test_totp_race(s, &key);
	is_int(store_user_recovery_use(s, "beta", "u9", codes[3], &left), TG_OK,
	       "a recovery code accepted");
	is_int((int)left, RECOVERY_CODES - 1, "one fewer left");
	is_int(store_user_recovery_use(s, "beta", "u9", codes[3], &left), TG_ERR_REJECTED,
	       "the same recovery code again refused");
	is_int(store_user_recovery_use(s, "beta", "u9", "aaaaa-aaaaa", &left), TG_ERR_REJECTED,
	       "an unknown recovery code refused");
	is_int(store_user_get(s, "beta", "totp@example.com", &u), TG_OK, "read back");
	ok(u && recovery_remaining(&u->recovery) == RECOVERY_CODES - 1 &&
	   u->totp_last_step == totp_step(NOW + 300), "the use and the last step are stored");
	user_free(u);
	u = NULL;
	(void)recovery_new(RECOVERY_CODES, codes, &set);
	is_int(store_user_totp_set(s, "beta", "totp@example.com", &other, &set, &flag), TG_OK,
	       "enrolled again");
	ok(flag, "said to replace the old factor");
	is_int(totp_use(s, &key, NOW + 600, NOW + 600, &step), TG_ERR_REJECTED,
	       "the old secret's codes refused");
	is_int(totp_use(s, &other, NOW, NOW, &step), TG_OK,
	       "the new secret starts with no used step");
	is_int(store_user_totp_clear(s, "beta", "totp@example.com", &flag), TG_OK, "cleared");
	ok(flag, "it was on");
	is_int(store_user_get(s, "beta", "totp@example.com", &u), TG_OK, "read back");
	ok(u && !user_has_totp(u) && u->recovery.n == 0, "no secret, no recovery set");
	user_free(u);
	is_int(store_user_recovery_use(s, "beta", "u9", codes[0], &left), TG_ERR_NOT_FOUND,
	       "no recovery set: not found");
	is_int(store_user_totp_set(s, "beta", "nobody@example.com", &key, &set, NULL),
	       TG_ERR_NOT_FOUND, "enrol of an unknown user");
	secret_wipe(codes, sizeof(codes));
	secret_free(&key);
	secret_free(&other);
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
	test_totp(f.s);
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
