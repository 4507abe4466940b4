/*
 * The refresh key in a real environment in a mkdtemp directory: made on first
 * use, the same bytes ever after (across a reopen, and for threads that all ask
 * first at once), and only ever handed out as a secret the caller wipes.
 */
#include "../lib/store_fixture.h"

#include <pthread.h>

#define RACERS 4

struct racer {
	struct tg_store *s;
	enum tg_err rc;
	struct tg_secret key;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	r->rc = store_refresh_key(r->s, &r->key);
	return NULL;
}

/* The gap: two first refreshes each storing a key of their own would split a chain. */
static void
test_first_use_race(struct store_fixture *f)
{
	struct racer r[RACERS];
	pthread_t t[RACERS];
	bool is_same = true, is_started[RACERS];

	for (size_t i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ .s = f->s, .rc = TG_ERR_IO };
		is_started[i] = pthread_create(&t[i], NULL, race, &r[i]) == 0;
	}
	for (size_t i = 0; i < RACERS; i++)
		if (is_started[i])
			pthread_join(t[i], NULL);
	for (size_t i = 0; i < RACERS; i++) {
		is_int(r[i].rc, TG_OK, "racer %zu got the key", i);
		is_same = is_same &&
			  secret_equal(r[i].key.p, r[i].key.len, r[0].key.p, r[0].key.len);
	}
	ok(is_same && r[0].key.len == 32, "every first asker got the same 32 bytes");
	for (size_t i = 0; i < RACERS; i++)
		secret_free(&r[i].key);
}

static void
test_kept(struct store_fixture *f)
{
	struct tg_secret a = { 0 }, b = { 0 };
	unsigned char zero[32] = { 0 };
	struct tg_why why;

	is_int(store_refresh_key(f->s, &a), TG_OK, "the key is read");
	ok(!secret_equal(a.p, a.len, zero, sizeof(zero)), "it is not zeros");
	store_close(f->s);
	f->s = NULL;
	if (store_open(f->dir, false, &f->s, &why) != TG_OK)
		diag("reopen: %s", why.text);
	is_int(store_refresh_key(f->s, &b), TG_OK, "read again after a reopen");
	ok(secret_equal(a.p, a.len, b.p, b.len), "the same key: it was stored, not remade");
	secret_free(&a);
	secret_free(&b);
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_secret", NULL))
		return 1;
	test_first_use_race(&f);
	test_kept(&f);
	fixture_close(&f);
	return done_testing();
}
