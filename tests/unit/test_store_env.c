/*
 * The store's environment and its one retry loop (store_env.c), through the
 * internal header: a body's lock conflicts are retried with its outputs
 * reset, a logical failure aborts unless the body says its writes must
 * stand, a panicked environment is reopened, and one handle serves many
 * threads while one of them reopens it. Prints what the two per-request
 * reads cost (store_generation, store_session_check); asserts no timing.
 */
#include "store/store_db.h"

#include "../lib/store_call.h"
#include "../lib/store_fixture.h"

#include <pthread.h>
#include <time.h>

#define THREADS 8
#define ROUNDS 300
#define SID "Aenv000000000000000000"

struct probe {
	struct store_call call;
	int fail_times; /* attempts that fail with fail_with before one succeeds */
	int fail_with;
	enum tg_err outcome;
	bool must_commit;
	const char *key; /* written to the meta table when set */
	int attempts, resets;
};

static void
probe_reset(struct store_call *c)
{
	STORE_OP_OF(c, struct probe)->resets++;
}

static int
probe_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct probe *p = STORE_OP_OF(c, struct probe);
	int ret = 0;

	if (p->attempts++ < p->fail_times)
		return p->fail_with;
	if (p->key)
		ret = store_put(s, T_META, txn, p->key, strlen(p->key), "x", 1);
	c->rc = p->outcome;
	c->must_commit = p->must_commit;
	return ret;
}

static enum tg_err
probe_run(struct tg_store *s, struct probe *p, enum store_mode mode)
{
	return call_run(s, &p->call, probe_body, probe_reset, mode);
}

static int
has_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct probe *p = STORE_OP_OF(c, struct probe);
	bool is_found = false;
	int ret = store_exists(s, T_META, txn, p->key, strlen(p->key), 0, &is_found);

	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	return ret;
}

static bool
has(struct tg_store *s, const char *key)
{
	struct probe p = { .key = key };

	return call_run(s, &p.call, has_body, NULL, STORE_READ) == TG_OK;
}

static void
test_run(struct tg_store *s)
{
	struct probe p = { .fail_times = 2, .fail_with = DB_LOCK_NOTGRANTED, .key = "k1" };

	is_int(probe_run(s, &p, STORE_WRITE), TG_OK, "two lock conflicts, then committed");
	ok(p.attempts == 3 && p.resets == 3, "three attempts, outputs reset before each");
	ok(has(s, "k1"), "the write is there");

	p = (struct probe){ .outcome = TG_ERR_REJECTED, .key = "k2" };
	is_int(probe_run(s, &p, STORE_WRITE), TG_ERR_REJECTED, "logical failure returned");
	ok(!has(s, "k2"), "and its writes aborted");

	p = (struct probe){ .outcome = TG_ERR_REJECTED, .must_commit = true, .key = "k3" };
	is_int(probe_run(s, &p, STORE_WRITE), TG_ERR_REJECTED, "failure that must stand returned");
	ok(has(s, "k3"), "and its writes committed");

	p = (struct probe){ .key = "k4" };
	is_int(probe_run(s, &p, STORE_WRITE_NOSYNC), TG_OK, "unsynced write");
	ok(has(s, "k4"), "is visible");

	p = (struct probe){ .fail_times = 1, .fail_with = DB_RUNRECOVERY, .key = "k5" };
	is_int(probe_run(s, &p, STORE_WRITE), TG_OK, "a panicked environment is reopened");
	ok(p.attempts == 2 && has(s, "k5") && has(s, "k1"),
	   "the retry ran on the reopened handles, earlier commits intact");

	p = (struct probe){ .fail_times = 1000, .fail_with = DB_LOCK_DEADLOCK };
	is_int(probe_run(s, &p, STORE_READ), TG_ERR_BUSY, "endless conflicts: busy");
	is_int(p.attempts, 101, "after the bounded retries");
}

struct worker {
	struct tg_store *s;
	int id;
	int failures;
};

/* The authorizer's reads, interleaved with writes and, in thread 0, reopens. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS; i++) {
		uint64_t g;
		int64_t retry;

		w->failures += store_generation(w->s, &g) != TG_OK;
		w->failures += store_session_check(w->s, "acme", SID, NOW) != TG_OK;
		w->failures += store_ratelimit_take(w->s, "threads", 1000, 1000000,
						    NOW * 1000LL + i, &retry) != TG_OK;
		if (i % 25 == 0) {
			char id[32];

			snprintf(id, sizeof(id), "t%d-%d", w->id, i);
			w->failures += setup_tenant(w->s, id, NULL) != TG_OK;
		}
		if (w->id == 0 && i % 50 == 10) {
			struct probe p = { .fail_times = 1, .fail_with = DB_RUNRECOVERY };

			w->failures += probe_run(w->s, &p, STORE_READ) != TG_OK;
		}
	}
	return NULL;
}

static void
test_threads(struct tg_store *s)
{
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct tg_tenant **v = NULL;
	size_t n = 0;
	int failures = 0;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .s = s, .id = i };
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	is_int(failures, 0, "%d threads on one handle, one of them reopening it: no failure",
	       THREADS);
	store_tenant_list(s, &v, &n);
	is_int(n, 1 + THREADS * (ROUNDS / 25), "every tenant a thread added is there");
	tenant_list_free(v, n);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
test_cost(struct tg_store *s)
{
	enum { N = 20000 };
	uint64_t g;
	double t0;
	int bad = 0;

	t0 = now_us();
	for (int i = 0; i < N; i++)
		bad += store_generation(s, &g) != TG_OK;
	diag("store_generation: %.2f us/call", (now_us() - t0) / N);
	t0 = now_us();
	for (int i = 0; i < N; i++)
		bad += store_session_check(s, "acme", SID, NOW) != TG_OK;
	diag("store_session_check: %.2f us/call", (now_us() - t0) / N);
	is_int(bad, 0, "%d generation reads and session checks", 2 * N);
}

int
main(void)
{
	struct store_fixture f;
	unsigned char h[TG_REFRESH_HASH_LEN] = { 1 };

	ok(fixture_open(&f, "test_store_env", "acme", NULL), "store created");
	if (f.s) {
		is_int(setup_session_put(f.s, setup_session_new(SID, "acme", "u", NOW, 3600), h),
		       TG_OK, "a session to check");
		test_run(f.s);
		test_threads(f.s);
		test_cost(f.s);
	}
	fixture_close(&f);
	return done_testing();
}
