/*
 * The failed-login counters in a real store: the account and the address
 * each lock after their own free failures, the longer wait is answered, a
 * success clears the account but not the address, threads and processes
 * failing at once are each counted, and expired counters are swept (in
 * batches that go on where the last sweep stopped).
 */
#include "../lib/store_call.h"
#include "../lib/store_fixture.h"

#include "base/bytes.h"

#include "model/throttle.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 (INT64_C(1700000000) * 1000)

static const struct tg_throttle_policy pol = {
	.account_free = 2, .addr_free = 4, .max_backoff = 60, .ttl = 600,
};

static void
keys(const char *email, const char *addr, struct tg_throttle_key *a, struct tg_throttle_key *i)
{
	if (throttle_account_key("t1", email, a) != TG_OK || throttle_addr_key(addr, i) != TG_OK)
		diag("could not make the keys of %s from %s", email, addr ? addr : "-");
}

static int64_t
fails(struct tg_store *s, const char *email, const char *addr, int n, int64_t now_ms)
{
	struct tg_throttle_key a, i;
	int64_t count = -1;

	keys(email, addr, &a, &i);
	for (int k = 0; k < n; k++)
		if (store_throttle_fail(s, &a, &i, &pol, now_ms, &count) != TG_OK)
			diag("store_throttle_fail failed");
	return count;
}

static enum tg_err
check(struct tg_store *s, const char *email, const char *addr, int64_t now_ms, int64_t *retry)
{
	struct tg_throttle_key a, i;

	keys(email, addr, &a, &i);
	*retry = 0;
	return store_throttle_check(s, &a, &i, &pol, now_ms, retry);
}

static void
test_account_and_addr(struct tg_store *s)
{
	struct tg_throttle_key a, i;
	int64_t retry;

	is_int(check(s, "bob@example.com", "192.0.2.1", T0, &retry), TG_OK, "nothing counted: TG_OK");
	is_int(fails(s, "bob@example.com", "192.0.2.1", 2, T0), 2, "two failures counted");
	is_int(check(s, "bob@example.com", "192.0.2.1", T0, &retry), TG_OK, "two are free");
	fails(s, "bob@example.com", "192.0.2.1", 1, T0);
	is_int(check(s, "bob@example.com", "192.0.2.1", T0, &retry), TG_ERR_LIMITED,
	       "the third: the account waits");
	is_int(retry, 1, "1 s");
	is_int(check(s, "BOB@example.com", "198.51.100.9", T0, &retry), TG_ERR_LIMITED,
	       "from another address, spelt otherwise: the account still waits");
	is_int(check(s, "carol@example.com", "192.0.2.1", T0, &retry), TG_OK,
	       "another account from the address: the address has 3 of its 4 free");
	fails(s, "carol@example.com", "192.0.2.1", 3, T0);
	is_int(check(s, "dave@example.com", "192.0.2.1", T0, &retry), TG_ERR_LIMITED,
	       "six failures from the address: a fresh account from it waits too");
	is_int(retry, 2, "the address's wait: 2 s");
	is_int(check(s, "carol@example.com", "192.0.2.1", T0, &retry), TG_ERR_LIMITED,
	       "carol (3 failures: 1 s) from there");
	is_int(retry, 2, "answered with the longer wait");
	is_int(check(s, "dave@example.com", "2001:db8::1", T0, &retry), TG_OK,
	       "dave from elsewhere: no wait");
	keys("bob@example.com", "192.0.2.1", &a, &i);
	is_int(store_throttle_succeed(s, &a), TG_OK, "bob logs in (from elsewhere, after the wait)");
	is_int(check(s, "bob@example.com", "2001:db8::1", T0 + 1000, &retry), TG_OK,
	       "bob's counter is gone");
	is_int(fails(s, "bob@example.com", "2001:db8::1", 1, T0 + 1000), 1, "and starts again at one");
	is_int(check(s, "bob@example.com", "192.0.2.1", T0, &retry), TG_ERR_LIMITED,
	       "the address's counter stays after the success");
	is_int(store_throttle_succeed(s, &a), TG_OK, "a success with no counter is fine");
	a.len = 0;
	is_int(store_throttle_check(s, &a, &i, &pol, T0, &retry), TG_ERR_INVALID,
	       "an empty account key is refused");
}

struct racer {
	struct tg_store *s;
	const char *email;
	int n;
	enum tg_err rc;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	struct tg_throttle_key a, i;

	keys(r->email, "203.0.113.5", &a, &i);
	for (int k = 0; k < r->n && r->rc == TG_OK; k++)
		r->rc = store_throttle_fail(r->s, &a, &i, &pol, T0, NULL);
	return NULL;
}

/* Each failure is one read-modify-write under the record's lock: none is lost. */
static void
test_threads(struct tg_store *s)
{
	enum { THREADS = 6, EACH = 25 };
	struct racer r[THREADS];
	pthread_t th[THREADS];
	bool is_ok = true;

	for (int k = 0; k < THREADS; k++) {
		r[k] = (struct racer){ .s = s, .email = "threads@example.com", .n = EACH };
		pthread_create(&th[k], NULL, racer_main, &r[k]);
	}
	for (int k = 0; k < THREADS; k++) {
		pthread_join(th[k], NULL);
		is_ok = is_ok && r[k].rc == TG_OK;
	}
	ok(is_ok, "%d threads failing %d times each at once: every call TG_OK", THREADS, EACH);
	is_int(fails(s, "threads@example.com", "203.0.113.5", 1, T0), THREADS * EACH + 1,
	       "all %d failures counted, none lost", THREADS * EACH);
}

/*
 * Two processes fail the same account at once. They are forked while this
 * process has no store open (a fork beside the store's threads could inherit
 * a held lock).
 */
static void
test_processes(const char *dir)
{
	enum { PROCS = 2, EACH = 40 };
	struct tg_store *s = NULL;
	pid_t pid[PROCS];
	int good = 0, status;

	for (int k = 0; k < PROCS; k++) {
		pid[k] = fork();
		if (pid[k] == 0) {
			struct tg_store *cs = NULL;
			struct racer r = { .email = "procs@example.com", .n = EACH };

			if (store_open(dir, false, &cs, NULL) != TG_OK)
				_exit(2);
			r.s = cs;
			r.rc = TG_OK;
			racer_main(&r);
			store_close(cs);
			_exit(r.rc == TG_OK ? 0 : 1);
		}
	}
	for (int k = 0; k < PROCS; k++) {
		status = -1;
		waitpid(pid[k], &status, 0);
		good += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	is_int(good, PROCS, "%d processes failing %d times each at once", PROCS, EACH);
	if (store_open(dir, false, &s, NULL) != TG_OK) {
		ok(0, "reopen the store");
		return;
	}
	is_int(fails(s, "procs@example.com", "203.0.113.5", 1, T0), PROCS * EACH + 1,
	       "every failure of both processes counted");
	store_close(s);
}

static void
test_sweep(struct tg_store *s)
{
	int64_t retry, later = T0 + pol.ttl * 1000;
	size_t removed = 0, total = 0;
	char email[64];

	/* 600 accounts (three sweep batches) expire; one more fails later and stays. */
	for (int k = 0; k < 600; k++) {
		snprintf(email, sizeof(email), "user%d@example.com", k);
		fails(s, email, NULL, 1, T0);
	}
	fails(s, "late@example.com", NULL, 3, later);
	is_int(store_throttle_sweep(s, later - 1, &removed), TG_OK, "a sweep before expiry");
	is_int((long long)removed, 0, "removes nothing");
	is_int(store_throttle_sweep(s, later, &removed), TG_OK, "a sweep at the ttl");
	total = removed;
	ok(total >= 600, "removes the 600 expired accounts (and the earlier tests': %zu)", total);
	is_int(check(s, "late@example.com", NULL, later, &retry), TG_ERR_LIMITED,
	       "the counter that failed later stays, still locking");
	is_int(fails(s, "user7@example.com", NULL, 1, later), 1, "a swept account starts again at one");
	is_int(store_sweep(s, later / 1000 + pol.ttl * 2, 0, 100, &removed), TG_OK,
	       "store_sweep sweeps the counters too");
	ok(removed >= 2, "both left went (%zu records)", removed);
	is_int(check(s, "late@example.com", NULL, later, &retry), TG_OK, "late's counter is gone");
}

/* A counter record as a damaged file could hold it: a version, a count and a time. */
struct raw_op {
	struct store_call call;
	const struct tg_throttle_key *key;
	int64_t failures, last_ms;
};

static int
raw_put_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct raw_op *op = STORE_OP_OF(c, struct raw_op);
	unsigned char rec[1 + 8 + 8 + 8] = { 1 };

	bytes_put_u64(rec + 1, (uint64_t)op->failures);
	bytes_put_u64(rec + 9, (uint64_t)op->last_ms);
	bytes_put_u64(rec + 17, (uint64_t)INT64_MAX);
	return store_put(s, T_THROTTLE, txn, op->key->b, op->key->len, rec, sizeof(rec));
}

/* Values the store never writes are refused as damage, never used in the wait's arithmetic. */
static void
test_damaged(struct tg_store *s)
{
	static const int64_t bad[][2] = { { 9, INT64_MIN }, { -1, T0 }, { INT64_MIN, T0 } };
	struct tg_throttle_key a, i;
	int64_t retry;

	keys("damaged@example.com", "192.0.2.77", &a, &i);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct raw_op op = { .key = &a, .failures = bad[k][0], .last_ms = bad[k][1] };

		if (call_run(s, &op.call, raw_put_body, NULL, STORE_WRITE) != TG_OK)
			diag("could not write the damaged counter");
		is_int(store_throttle_check(s, &a, &i, &pol, T0, &retry), TG_ERR_DB,
		       "a counter of %lld failures at %lld ms: damage, TG_ERR_DB",
		       (long long)bad[k][0], (long long)bad[k][1]);
	}
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "throttle", "t1", NULL))
		return done_testing();
	test_account_and_addr(f.s);
	test_threads(f.s);
	test_damaged(f.s);
	store_close(f.s);
	f.s = NULL;
	test_processes(f.dir);
	if (store_open(f.dir, false, &f.s, NULL) == TG_OK)
		test_sweep(f.s);
	fixture_close(&f);
	return done_testing();
}
