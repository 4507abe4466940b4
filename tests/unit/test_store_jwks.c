/*
 * store_jwks.c in a real environment: the fetch slot is claimed once per
 * interval, by exactly one of many threads asking at once, again after the
 * interval or a clock that went back; the schedule is kept beside it.
 */
#include "../lib/store_fixture.h"

#include <pthread.h>

#define RACERS 6
#define INTERVAL 60

struct racer {
	struct tg_store *s;
	enum tg_err rc;
	bool is_claimed;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	r->rc = store_jwks_claim(r->s, "acme", NOW, INTERVAL, &r->is_claimed);
	return NULL;
}

/* The gap: two workers meeting the same new kid must not both fetch. */
static void
test_race(struct store_fixture *f)
{
	struct racer r[RACERS];
	pthread_t t[RACERS];
	bool is_started[RACERS];
	size_t claimed = 0;

	for (size_t i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ .s = f->s, .rc = TG_ERR_IO };
		is_started[i] = pthread_create(&t[i], NULL, race, &r[i]) == 0;
	}
	for (size_t i = 0; i < RACERS; i++)
		if (is_started[i])
			pthread_join(t[i], NULL);
	for (size_t i = 0; i < RACERS; i++) {
		is_int(r[i].rc, TG_OK, "racer %zu asked", i);
		claimed += r[i].is_claimed;
	}
	is_int(claimed, 1, "exactly one of %d racers claimed the slot", RACERS);
}

static void
test_interval(struct store_fixture *f)
{
	int64_t last = -1, next = -1;
	bool is_claimed = true;

	is_int(store_jwks_claim(f->s, "acme", NOW + INTERVAL - 1, INTERVAL, &is_claimed), TG_OK,
	       "asked again within the interval");
	ok(!is_claimed, "not claimed within the interval");
	is_int(store_jwks_claim(f->s, "globex", NOW + 1, INTERVAL, &is_claimed), TG_OK,
	       "another tenant asks");
	ok(is_claimed, "another tenant's slot is its own");
	is_int(store_jwks_claim(f->s, "acme", NOW + INTERVAL, INTERVAL, &is_claimed), TG_OK,
	       "asked once the interval passed");
	ok(is_claimed, "claimed after the interval");
	is_int(store_jwks_claim(f->s, "acme", NOW + 10, INTERVAL, &is_claimed), TG_OK,
	       "asked with a clock that went back");
	ok(is_claimed, "a clock that went back does not lock the slot for good");
	is_int(store_jwks_claim(f->s, "acme", NOW + 11, 0, &is_claimed), TG_OK,
	       "interval 0 (tokengatectl jwks sync)");
	ok(is_claimed, "interval 0 always claims");
	is_int(store_jwks_state(f->s, "acme", &last, &next), TG_OK, "the state is read");
	ok(last == NOW + 11 && next == 0, "last attempt recorded, nothing scheduled yet");
}

static void
test_schedule(struct store_fixture *f)
{
	int64_t last = -1, next = -1;
	bool is_claimed = false;

	is_int(store_jwks_state(f->s, "initech", &last, &next), TG_OK, "a tenant never fetched");
	ok(last == 0 && next == 0, "reads zeros");
	is_int(store_jwks_schedule(f->s, "acme", NOW + 3600), TG_OK, "a max-age is scheduled");
	is_int(store_jwks_state(f->s, "acme", &last, &next), TG_OK, "read back");
	ok(next == NOW + 3600 && last == NOW + 11, "the schedule is kept, the last attempt too");
	is_int(store_jwks_claim(f->s, "acme", NOW + 20 + INTERVAL, INTERVAL, &is_claimed), TG_OK,
	       "a claim after the schedule");
	is_int(store_jwks_state(f->s, "acme", &last, &next), TG_OK, "read again");
	ok(is_claimed && next == NOW + 3600, "a claim keeps the schedule");
	is_int(store_jwks_claim(f->s, "../x", NOW, INTERVAL, &is_claimed), TG_ERR_INVALID,
	       "a malformed tenant id is refused");
}

/* A tenant added again under a removed one's id starts with no fetch history. */
static void
test_tenant_removed(struct store_fixture *f)
{
	int64_t last = -1, next = -1;

	is_int(store_tenant_remove(f->s, "acme"), TG_OK, "acme, fetched and scheduled, removed");
	is_int(setup_tenant(f->s, "acme", NULL), TG_OK, "and added again");
	is_int(store_jwks_state(f->s, "acme", &last, &next), TG_OK, "its fetch record read");
	ok(last == 0 && next == 0, "the removal took the old record along");
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_jwks", "acme", "globex", "initech", NULL))
		return 1;
	test_race(&f);
	test_interval(&f);
	test_schedule(&f);
	test_tenant_removed(&f);
	fixture_close(&f);
	return done_testing();
}
