/*
 * The change hint (store_hint.c) against real environments and real
 * processes: every write made through another process's handle is seen by
 * this handle's next store_generation / store_session_check, the kept
 * answers spare the database while nothing changed (counted), threads
 * checking while another process revokes never see a stale answer once the
 * revoke returned, an idle deadline moved by another process is seen without
 * any bump, and a handle without the hint file still answers right.
 */
#include "store/store_db.h"

#include "../lib/store_fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir; /* the environment every helper process opens */
static const char *self; /* this program, which the helper processes run again */

typedef enum tg_err (*other_fn)(struct tg_store *s, const char *arg);

static const char *other_name(other_fn fn);

/*
 * Runs fn(arg) in a new process with its own handle; returns what fn returned.
 * The child runs this program again (run_other) rather than going on from
 * fork: this process's store threads may hold a lock of the allocator's at
 * the fork, which a forked child would then wait on for good.
 */
static enum tg_err
in_other(other_fn fn, const char *arg)
{
	const char *name = other_name(fn);
	/* execv's argv is char *const[] for history's sake: it writes none of them. */
	char *argv[] = { (char *)(uintptr_t)self, (char *)(uintptr_t)"--other",
			 (char *)(uintptr_t)name, (char *)(uintptr_t)(arg ? arg : "-"),
			 (char *)(uintptr_t)dir, NULL };
	int status = 0;
	pid_t pid;

	if (!name)
		return TG_ERR_INVALID;
	pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(TG_ERR_IO);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return TG_ERR_IO;
	return (enum tg_err)WEXITSTATUS(status);
}

static enum tg_err
add_tenant(struct tg_store *s, const char *id)
{
	return setup_tenant(s, id, NULL);
}

static enum tg_err
create_live(struct tg_store *s, const char *id)
{
	return create(s, id, "acme", "carol", NOW, TTL, id[1], NULL);
}

static enum tg_err
revoke_one(struct tg_store *s, const char *id)
{
	return store_session_revoke(s, "acme", id, NOW + 5);
}

static enum tg_err
revoke_user(struct tg_store *s, const char *user)
{
	return store_session_revoke_user(s, "acme", user, NOW + 5, NULL);
}

/* A step-up at NOW + 50 moves expiry to NOW + 50 + the session's ttl. */
static enum tg_err
step_up(struct tg_store *s, const char *id)
{
	struct tg_session *out = NULL;
	enum tg_err rc = store_session_add_amr(s, "acme", id, "otp", NOW + 50, &out);

	session_free(out);
	return rc;
}

/* A session with a 600 s idle timeout, created at NOW. */
static enum tg_err
create_idle(struct tg_store *s, const char *id)
{
	struct tg_session *ss = setup_session_new(id, "acme", "ida", NOW, TTL);
	unsigned char h[TG_REFRESH_HASH_LEN];

	session_limit(ss, 600, 0);
	hash(h, 90);
	return setup_session_put(s, ss, h);
}

/* An access token handed out at NOW + 500: the idle deadline moves to NOW + 1100. */
static enum tg_err
touch(struct tg_store *s, const char *id)
{
	struct tg_session *out = NULL;
	enum tg_err rc = store_session_touch(s, "acme", id, NOW + 500, &out);

	session_free(out);
	return rc;
}

static enum tg_err
sweep(struct tg_store *s, const char *unused)
{
	(void)unused;
	return store_sweep(s, NOW, 600, 1000, NULL);
}

/* Refresh token 20 rotated once, then presented again: reuse ends its session. */
static enum tg_err
reuse(struct tg_store *s, const char *unused)
{
	(void)unused;
	if (rotate(s, 20, 21, NULL, NOW + 1, NULL) != TG_OK)
		return TG_ERR_IO;
	return rotate(s, 20, 22, NULL, NOW + 2, NULL);
}

static uint64_t
reads(struct tg_store *s, enum store_hint_counter c)
{
	return store_cache_reads(store_cache_of(s), c);
}

/* n checks of id at now that all answer want; returns how many read the database. */
static uint64_t
checks(struct tg_store *s, const char *id, int64_t now, enum tg_err want, int n, int *wrong)
{
	uint64_t r0 = reads(s, STORE_HINT_SESSIONS);

	for (int i = 0; i < n; i++)
		*wrong += store_session_check(s, "acme", id, now) != want;
	return reads(s, STORE_HINT_SESSIONS) - r0;
}

static const struct {
	const char *name;
	other_fn fn;
} others[] = {
	{ "add_tenant", add_tenant },
	{ "create_idle", create_idle },
	{ "create_live", create_live },
	{ "reuse", reuse },
	{ "revoke_one", revoke_one },
	{ "revoke_user", revoke_user },
	{ "step_up", step_up },
	{ "sweep", sweep },
	{ "touch", touch },
};

static const char *
other_name(other_fn fn)
{
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (others[i].fn == fn)
			return others[i].name;
	return NULL;
}

/* The helper process's side of in_other: its exit status is fn's result. */
static int
run_other(const char *name, const char *arg, const char *envdir)
{
	struct tg_store *s = NULL;
	enum tg_err rc = TG_ERR_IO;

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (strcmp(others[i].name, name) != 0)
			continue;
		if (store_open(envdir, false, &s, NULL) == TG_OK)
			rc = others[i].fn(s, strcmp(arg, "-") == 0 ? NULL : arg);
		store_close(s);
	}
	return rc;
}

static void
test_generation(struct tg_store *a)
{
	uint64_t g0 = gen(a), r0 = reads(a, STORE_HINT_KEYS), g = 0;
	int wrong = 0;

	for (int i = 0; i < 100; i++)
		wrong += gen(a) != g0;
	is_int(wrong, 0, "100 generation reads: unchanged");
	is_int(reads(a, STORE_HINT_KEYS) - r0, 0, "and none of them read the database");
	is_int(in_other(add_tenant, "other"), TG_OK, "another process adds a tenant");
	is_int(gen(a), g0 + 1, "the next read here sees the new generation");
	is_int(reads(a, STORE_HINT_KEYS) - r0, 1, "by reading the database once");
	store_generation(a, &g);
	is_int(reads(a, STORE_HINT_KEYS) - r0, 1, "after which the cache answers again");
	is_int(in_other(add_tenant, "other"), TG_ERR_EXISTS, "a write that fails changes nothing");
	is_int(gen(a), g0 + 1, "generation unchanged");
}

static void
test_sessions(struct tg_store *a)
{
	char s1[TG_SESSION_ID_LEN + 1], s2[TG_SESSION_ID_LEN + 1], s3[TG_SESSION_ID_LEN + 1];
	int wrong = 0;

	sid(s1, 'h', 1);
	is_int(store_session_check(a, "acme", s1, NOW), TG_ERR_NOT_FOUND, "unknown session");
	is_int(in_other(create_live, s1), TG_OK, "another process creates it");
	is_int(store_session_check(a, "acme", s1, NOW), TG_OK, "found at once: misses are not kept");
	is_int(checks(a, s1, NOW, TG_OK, 100, &wrong), 0, "100 more checks: none reads the database");
	is_int(checks(a, s1, NOW + TTL, TG_ERR_REJECTED, 3, &wrong), 0,
	       "expiry is worked out from the kept head, no read");
	is_int(store_session_check(a, "beta", s1, NOW), TG_ERR_NOT_FOUND,
	       "another tenant's kept session: not found");
	is_int(in_other(revoke_one, s1), TG_OK, "another process revokes it");
	is_int(checks(a, s1, NOW, TG_ERR_REJECTED, 1, &wrong), 1,
	       "the next check reads the database and answers rejected");
	is_int(checks(a, s1, NOW, TG_ERR_REJECTED, 50, &wrong), 0, "and keeps that answer");

	/* created NOW, ttl 60: expired at NOW + 100 until a step-up at NOW + 50 moves it */
	sid(s2, 'h', 2);
	create(a, s2, "acme", "dave", NOW, 60, 30, NULL);
	is_int(checks(a, s2, NOW + 100, TG_ERR_REJECTED, 2, &wrong), 1, "expired at NOW + 100");
	is_int(in_other(step_up, s2), TG_OK, "another process steps it up at NOW + 50");
	is_int(store_session_check(a, "acme", s2, NOW + 100), TG_OK, "live again at NOW + 100");
	is_int(store_session_check(a, "acme", s2, NOW + 110), TG_ERR_REJECTED,
	       "until the new expiry");

	sid(s3, 'h', 3);
	create(a, s3, "acme", "erin", NOW, TTL, 20, NULL);
	is_int(checks(a, s3, NOW, TG_OK, 2, &wrong), 1, "a session with refresh token 20");
	is_int(in_other(reuse, NULL), TG_ERR_REJECTED, "another process reuses the token");
	is_int(store_session_check(a, "acme", s3, NOW + 3), TG_ERR_REJECTED,
	       "the reuse revocation is seen at once");

	create(a, sid(s3, 'h', 4), "acme", "frank", NOW, TTL, 40, NULL);
	create(a, sid(s2, 'h', 5), "acme", "frank", NOW, TTL, 41, NULL);
	is_int(checks(a, s3, NOW, TG_OK, 1, &wrong) + checks(a, s2, NOW, TG_OK, 1, &wrong), 2,
	       "two sessions of frank, both kept");
	is_int(in_other(revoke_user, "frank"), TG_OK, "another process logs frank out");
	ok(store_session_check(a, "acme", s3, NOW + 6) == TG_ERR_REJECTED &&
	   store_session_check(a, "acme", s2, NOW + 6) == TG_ERR_REJECTED,
	   "both are rejected at once");

	create(a, sid(s3, 'h', 6), "acme", "gina", NOW - 10000, 100, 50, NULL);
	is_int(checks(a, s3, NOW, TG_ERR_REJECTED, 2, &wrong), 1, "a long-expired session, kept");
	is_int(in_other(sweep, NULL), TG_OK, "another process sweeps it away");
	is_int(store_session_check(a, "acme", s3, NOW), TG_ERR_NOT_FOUND, "not found at once");
	is_int(wrong, 0, "every repeated check answered what it should");
}

/*
 * The idle deadline moves with every token handed out, without a bump: a
 * kept head answers "live" as before, and "idled out" only after reading again.
 */
static void
test_idle(struct tg_store *a)
{
	char s1[TG_SESSION_ID_LEN + 1], s2[TG_SESSION_ID_LEN + 1];
	int wrong = 0;

	sid(s1, 'i', 1);
	sid(s2, 'i', 2);
	is_int(in_other(create_idle, s1), TG_OK, "another process creates a session, idle 600 s");
	create(a, s2, "acme", "dave", NOW, TTL, 91, NULL);
	is_int(checks(a, s1, NOW, TG_OK, 2, &wrong) + checks(a, s2, NOW, TG_OK, 2, &wrong), 2,
	       "both kept");
	is_int(checks(a, s1, NOW + 599, TG_OK, 20, &wrong), 0,
	       "live until the idle deadline from the kept head, no read");
	is_int(checks(a, s1, NOW + 600, TG_ERR_REJECTED, 3, &wrong), 3,
	       "idled out: each such answer is read again, it may be stale");
	is_int(in_other(touch, s1), TG_OK, "another process hands out a token at NOW + 500");
	is_int(checks(a, s2, NOW, TG_OK, 20, &wrong), 0,
	       "that bumped nothing: the other session's kept answer stands");
	is_int(checks(a, s1, NOW + 600, TG_OK, 1, &wrong), 1,
	       "the session is live again at NOW + 600 after one read");
	is_int(checks(a, s1, NOW + 1000, TG_OK, 20, &wrong), 0, "and kept");
	is_int(checks(a, s1, NOW + 1100, TG_ERR_REJECTED, 1, &wrong), 1,
	       "until its new idle deadline");
	is_int(wrong, 0, "every repeated check answered what it should");
}

/* ------------------------------------------------------------ threads */

struct checker {
	struct tg_store *s;
	const char *id;
	atomic_int *phase; /* 1 revoking, 2 the revoke returned, 3 stop */
	int stale;         /* OK answers to checks begun after the revoke returned */
	int oks;
};

static void *
checker_main(void *arg)
{
	struct checker *k = arg;
	int phase;

	do {
		phase = atomic_load(k->phase);
		enum tg_err rc = store_session_check(k->s, "acme", k->id, NOW);

		k->oks += rc == TG_OK;
		k->stale += phase >= 2 && rc != TG_ERR_REJECTED;
	} while (phase < 3);
	return NULL;
}

static void
test_threads(struct tg_store *a)
{
	enum { THREADS = 4 };
	struct checker k[THREADS];
	pthread_t th[THREADS];
	char id[TG_SESSION_ID_LEN + 1];
	atomic_int phase = 0;
	int stale = 0, oks = 0;

	create(a, sid(id, 'T', 1), "acme", "hank", NOW, TTL, 60, NULL);
	for (int i = 0; i < THREADS; i++) {
		k[i] = (struct checker){ .s = a, .id = id, .phase = &phase };
		pthread_create(&th[i], NULL, checker_main, &k[i]);
	}
	usleep(20000);
	atomic_store(&phase, 1);
	is_int(in_other(revoke_one, id), TG_OK, "another process revokes while %d threads check",
	       THREADS);
	atomic_store(&phase, 2);
	usleep(50000);
	atomic_store(&phase, 3);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		stale += k[i].stale;
		oks += k[i].oks;
	}
	ok(oks > 0, "the threads saw the session live before (%d checks)", oks);
	is_int(stale, 0, "no check begun after the revoke returned answered live");
}

/* ------------------------------------------------------------ reopen, fallback */

struct probe {
	struct store_call call;
	int attempts;
};

static int
panic_once(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	(void)s;
	(void)txn;
	return STORE_OP_OF(c, struct probe)->attempts++ == 0 ? DB_RUNRECOVERY : 0;
}

/* A reopen maps the file again; the answers kept under the old mapping are not used. */
static void
test_reopen(struct tg_store *a, const char *dir_)
{
	struct probe p = { .call = { .body = panic_once, .mode = STORE_READ } };
	char path[256], id[TG_SESSION_ID_LEN + 1];
	uint64_t g0 = gen(a);

	create(a, sid(id, 'R', 1), "acme", "ivan", NOW, TTL, 70, NULL);
	is_int(store_session_check(a, "acme", id, NOW), TG_OK, "kept before the reopen");
	snprintf(path, sizeof(path), "%s/tokengate.hint", dir_);
	unlink(path); /* what a re-created environment looks like to this handle */
	is_int(store_run(a, &p.call), TG_OK, "a panicked environment is reopened");
	is_int(in_other(revoke_one, id), TG_OK, "another process revokes, through the new file");
	is_int(in_other(add_tenant, "after-reopen"), TG_OK, "and adds a tenant");
	is_int(store_session_check(a, "acme", id, NOW), TG_ERR_REJECTED, "seen after the reopen");
	is_int(gen(a), g0 + 1, "so is the generation");
}

static void
test_fallback(void)
{
	struct store_fixture f;
	char path[256], id[TG_SESSION_ID_LEN + 1];
	struct stat st;
	uint64_t g0, r0;
	int wrong = 0;

	if (!fixture_open(&f, "test_store_hint-fb", "acme", NULL))
		return;
	dir = f.dir;
	create(f.s, sid(id, 'F', 1), "acme", "jo", NOW, TTL, 80, NULL);
	snprintf(path, sizeof(path), "%s/tokengate.hint", f.dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 4096,
	   "the hint file is made with the database's mode, 0600");
	store_close(f.s);
	unlink(path);
	mkdir(path, 0700); /* a hint file that cannot be opened */
	f.s = NULL;
	if (!ok(store_open(f.dir, false, &f.s, NULL) == TG_OK,
		"the store opens without its hint file (a warning says what to fix)")) {
		fixture_close(&f);
		return;
	}
	g0 = gen(f.s);
	r0 = reads(f.s, STORE_HINT_KEYS);
	for (int i = 0; i < 10; i++)
		wrong += gen(f.s) != g0;
	is_int(reads(f.s, STORE_HINT_KEYS) - r0, 10, "every generation read goes to the database");
	is_int(checks(f.s, id, NOW, TG_OK, 10, &wrong), 10, "every check goes to the database");
	/* Processes that keep answers could not be told: such changes are refused, not made. */
	is_int(in_other(add_tenant, "fb"), TG_ERR_DB, "without the hint a tenant cannot be added");
	is_int(gen(f.s), g0, "and the generation did not move");
	is_int(in_other(revoke_one, id), TG_ERR_DB, "without the hint a session cannot be revoked");
	is_int(store_session_check(f.s, "acme", id, NOW), TG_OK, "and it is still live");
	is_int(wrong, 0, "every answer right");
	fixture_close(&f);
}

int
main(int argc, char **argv)
{
	struct store_fixture f;

	if (argc == 5 && strcmp(argv[1], "--other") == 0)
		return run_other(argv[2], argv[3], argv[4]);
	self = argv[0];

	if (fixture_open(&f, "test_store_hint", "acme", NULL)) {
		dir = f.dir;
		test_generation(f.s);
		test_sessions(f.s);
		test_idle(f.s);
		test_threads(f.s);
		test_reopen(f.s, f.dir);
		fixture_close(&f);
	}
	test_fallback();
	return done_testing();
}
