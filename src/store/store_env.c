/*
 * The Berkeley DB 5.3 environment shared by many processes and, through one
 * handle, by many threads, and the decision, at open, whether it needs
 * recovery first; and the one retry loop (store_run) in which every
 * transaction of store*.c begins and ends (the record helpers it runs are in
 * store_rec.c). Lock
 * conflicts and a panicked environment are retried only here; a process
 * wedged on a dead process's mutex stops itself (store_threads.c). Knows no
 * table's record format and never prints a record.
 */
#include "store/store_db.h"

#include "base/log.h"
#include "base/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_BYTES (4u * 1024 * 1024)
#define LOG_FILE_MAX (1u * 1024 * 1024)
#define THREAD_SLOTS 256
/*
 * BDB sizes its mutex region for about 1,900 mutexes up front, a third of them
 * in use; every process that attaches ends up mapping the whole region (fault-
 * around, and failchk reads it all). Starting at what one process uses and
 * letting BDB add more as processes and cache buffers need them costs each
 * worker 160 KB less resident memory.
 */
#define MUTEX_INIT 768
#define MAX_RETRIES 100       /* about four seconds of backoff in all */
#define PATIENT_RETRIES 500   /* about twenty */
#define FAILCHK_EVERY 10      /* conflicts in a row before asking whether the holder died */
#define MAX_REOPENS 3
#define OPEN_RETRIES 5        /* 1.5 s of spaced retries in all */
/*
 * Region sizes, set explicitly so that running out is a known limit rather
 * than whatever BDB derives. They only cap what the regions may grow to:
 * BDB starts with room for 100 locks and grows on demand, so an idle worker
 * maps no more than before. Running out of any of them answers ENOMEM for
 * that one call (TG_ERR_BUSY, see run_attempts); docs/operations.md lists them.
 *
 * LOCKS: a transaction holds one lock per B-tree page it touched. With every
 * walk done in short transactions, one holds a few dozen at most, so 20,000
 * leaves room for hundreds of transactions at once (256 thread slots, below)
 * and still stops a runaway scan (~100,000 records of a big table) with an
 * error instead of filling the region. OBJECTS: one per locked page, so as
 * many. LOCKERS: one per transaction, cursor and open table handle: 12 table
 * handles in each of up to ~100 processes plus the transactions. TXNS: twice
 * the thread slots, for the checkpointer and a reopen overlapping the calls.
 * LOCK_BUCKETS: the lock hash table; BDB would size it from LOCKS and so map
 * 1.5 MB more into every worker at start, for no gain at our lock counts.
 */
#define LOCKS 20000
#define LOCK_OBJECTS 20000
#define LOCKERS 2000
#define TXNS (2 * THREAD_SLOTS)
#define LOCK_BUCKETS 1031
#define FIRST_REGION "__db.001"
#define REGISTER_WAIT_US 100000

static const char *const table_names[T_COUNT] = {
	[T_TENANTS] = "tenants",
	[T_ISSUERS] = "issuers",
	[T_KEYS] = "keys",
	[T_APIKEYS] = "apikeys",
	[T_APIKEY_HASH] = "apikey_hash",
	[T_META] = "meta",
	[T_SESSIONS] = "sessions",
	[T_SESSION_USER] = "session_user",
	[T_SESSION_END] = "session_end",
	[T_SESSION_REFRESH] = "session_refresh",
	[T_REFRESH] = "refresh",
	[T_RATE] = "rate",
	[T_JOBS] = "jobs",
	[T_USERS] = "users",
	[T_USER_EMAIL] = "user_email",
	[T_THROTTLE] = "login_throttle",
};


/* BDB's own messages, one log line each so sibling processes never interleave. */
static void
errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	TG_LOG(TG_LOG_ERR, "%s: %s", pfx ? pfx : "database", msg);
}

/*
 * BDB's informational messages (failchk's "Freeing locks for process ...")
 * would otherwise go to stdout, which in CGI mode is the HTTP response.
 */
static void
msgcall(const DB_ENV *env, const char *msg)
{
	const struct tg_store *s = env->app_private;

	TG_LOG(TG_LOG_INFO, "%s: %s", s ? s->errpfx : "database", msg);
}

static void
report(const struct tg_store *s, const char *what, int ret)
{
	TG_LOG(TG_LOG_ERR, "%s: %s: %s", s->errpfx, what, db_strerror(ret));
	metrics_add(METRICS_DB_ERROR);
}

/* failchk asks whether the process behind a thread slot or registry entry still exists. */
static int
is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	(void)env;
	(void)tid;
	(void)flags;
	return pid == getpid() || kill(pid, 0) == 0 || errno == EPERM;
}

/* ------------------------------------------------------------ environment */

/*
 * DB_NOSYNC: the log already holds every commit, and a sync here could wait
 * forever on a log mutex that a killed process held.
 */
static void
close_handles(struct tg_store *s)
{
	for (int i = 0; i < T_COUNT; i++) {
		if (s->db[i])
			s->db[i]->close(s->db[i], DB_NOSYNC);
		s->db[i] = NULL;
	}
	if (s->env)
		s->env->close(s->env, 0);
	s->env = NULL;
	store_hint_close(s->hint);
	s->hint = NULL;
}

static int
configure_env(struct tg_store *s, DB_ENV *env)
{
	int ret;

	env->app_private = s;
	env->set_errcall(env, errcall);
	env->set_errpfx(env, s->errpfx);
	env->set_msgcall(env, msgcall);
	ret = env->set_cachesize(env, 0, CACHE_BYTES, 1);
	if (ret == 0)
		ret = env->set_lg_max(env, LOG_FILE_MAX);
	if (ret == 0)
		ret = env->set_lg_filemode(env, 0600);
	/*
	 * Transactions never wait for locks (DB_TXN_NOWAIT, see txn_once), so
	 * this only matters for BDB's own internal lockers, such as DB->open.
	 */
	if (ret == 0)
		ret = env->set_lk_detect(env, DB_LOCK_YOUNGEST);
	if (ret == 0)
		ret = env->set_lk_max_locks(env, LOCKS);
	if (ret == 0)
		ret = env->set_lk_max_objects(env, LOCK_OBJECTS);
	if (ret == 0)
		ret = env->set_lk_max_lockers(env, LOCKERS);
	if (ret == 0)
		ret = env->set_lk_tablesize(env, LOCK_BUCKETS);
	if (ret == 0)
		ret = env->set_tx_max(env, TXNS);
	if (ret == 0)
		ret = env->set_thread_count(env, THREAD_SLOTS);
	if (ret == 0)
		ret = env->mutex_set_init(env, MUTEX_INIT);
	if (ret == 0)
		ret = env->set_isalive(env, is_alive);
	/*
	 * A DB_REGISTER recovery panics the old regions and then, by default,
	 * recovers at once, while threads of live processes may still be inside
	 * a call that writes the log or a page (seen: BDB1520, recovery failing
	 * on its backward pass). It waits this long twice for them to leave.
	 */
	if (ret == 0)
		ret = env->set_timeout(env, REGISTER_WAIT_US, DB_SET_REG_TIMEOUT);
	return ret;
}

/*
 * Mapped anew with every set of handles, so a handle never keeps the mapping
 * of a file that a re-created environment replaced (kept answers carry the
 * epoch, see store_hint.c). Without it the handle only answers from the
 * database, which is slower but never wrong.
 */
static void
open_hint(struct tg_store *s)
{
	struct tg_why why;

	if (store_hint_open(s->dir, &s->hint, &why) != TG_OK && !s->has_warned_hint)
		TG_LOG(TG_LOG_WARN, "%s: %s; until then every request reads the database, and this "
		       "process's changes may be missed by the others' caches", s->errpfx,
		       why.text);
	s->has_warned_hint = s->has_warned_hint || !s->hint;
	/* the process's counters for /metrics, beside the hint; kept across reopens */
	if (metrics_open(s->dir, &why) != TG_OK)
		TG_LOG(TG_LOG_WARN, "%s: %s; until then GET /metrics answers 503", s->errpfx,
		       why.text);
}

/*
 * DB_REGISTER notices a registered process that died, and DB_RECOVER then
 * recovers the environment, which makes the other processes see DB_RUNRECOVERY
 * and reopen through store_run(). Not DB_FAILCHK: its try-failchk-first path
 * attaches to the old regions and waits forever on any mutex the dead process
 * held. Tables are always created when missing (prepare_dir has already
 * refused a directory without tokengate.db unless asked to create one), so a
 * tokengate.db from an older version gains the tables added since.
 */
static int
join_env(struct tg_store *s)
{
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
			  DB_REGISTER | DB_RECOVER | DB_THREAD;
	u_int32_t dbflags = DB_AUTO_COMMIT | DB_THREAD | DB_CREATE;
	char *reg;
	int ret;

	ret = db_env_create(&s->env, 0);
	if (ret != 0) {
		s->env = NULL;
		return ret;
	}
	ret = configure_env(s, s->env);
	if (ret == 0)
		ret = s->env->open(s->env, s->dir, flags, 0600);
	if (ret == 0)
		ret = s->env->failchk(s->env, 0);
	if (ret == DB_RUNRECOVERY)
		(void)s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1);
	for (int i = 0; ret == 0 && i < T_COUNT; i++) {
		ret = db_create(&s->db[i], s->env, 0);
		if (ret != 0) {
			s->db[i] = NULL;
			break;
		}
		ret = s->db[i]->open(s->db[i], NULL, STORE_DB_FILE, table_names[i], DB_BTREE, dbflags,
				     0600);
	}
	if (ret != 0) {
		close_handles(s);
		return ret;
	}
	/* BDB creates its registry 0660 whatever mode we ask for. */
	reg = tg_xasprintf("%s/__db.register", s->dir);
	(void)chmod(reg, 0600);
	free(reg);
	open_hint(s);
	return 0;
}

/*
 * The identity of the first region file (0 when there is none), to see
 * whether a join replaced it: inode and birth time, which, unlike the change
 * time, stay put while BDB grows the region.
 */
static uint64_t
region_id(const char *dir)
{
	char *path = tg_xasprintf("%s/%s", dir, FIRST_REGION);
	struct statx st;
	uint64_t id = 0;

	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_BTIME, &st) == 0)
		id = (st.stx_ino << 24) ^ ((uint64_t)st.stx_btime.tv_sec << 30) ^
		     st.stx_btime.tv_nsec ^ 1;
	free(path);
	return id;
}

int
store_env_recover(struct tg_store *s, bool is_catastrophic)
{
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
			  (is_catastrophic ? DB_RECOVER_FATAL : DB_RECOVER);
	DB_ENV *env = NULL;
	int ret;

	TG_LOG(TG_LOG_WARN, "%s: running %srecovery from the log", s->errpfx,
	       is_catastrophic ? "catastrophic " : "");
	ret = db_env_create(&env, 0);
	if (ret != 0)
		return ret;
	ret = configure_env(s, env);
	if (ret == 0)
		ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	if (ret == 0)
		ret = env->open(env, s->dir, flags, 0600);
	env->close(env, 0);
	if (ret == 0)
		TG_LOG(TG_LOG_INFO, "%s: recovery done", s->errpfx);
	return ret;
}

/*
 * Log files no checkpoint needs any more are removed, a setting the regions
 * keep for every process: set only when regions are made (here, and by
 * store_env_recover), never by a join, so that a process joining during a
 * backup, which turns it off meanwhile (store_backup), does not turn it on.
 */
static int
on_new_regions(struct tg_store *s, bool is_replacement)
{
	if (is_replacement)
		TG_LOG(TG_LOG_WARN, "%s: recovered the environment on joining it (a process had "
		       "died in it or panicked it)", s->errpfx);
	return s->env->log_set_config(s->env, DB_LOG_AUTO_REMOVE, 1);
}

/*
 * The first opener decides, under an flock that every tokengate process
 * takes before joining, whether the environment needs recovery; later ones
 * then find it recovered and just join. The join (DB_REGISTER|DB_RECOVER)
 * recovers by itself when a registered process died, and when the
 * environment is panicked (BDB retries the open with recovery); without the
 * flock every worker that found it panicked would do so at once, each
 * removing the regions the one before had just recovered. What the join
 * cannot see is regions gone while the log holds commits (removed by hand or
 * by a reboot): it would create empty ones and present the tables as of the
 * last checkpoint (issue 10), so that case is recovered here first. Regions
 * gone under live processes cannot be recovered: those processes would go on
 * writing through regions nobody else sees.
 */
static int
open_env_once(struct tg_store *s)
{
	uint64_t before;
	pid_t user = 0;
	int fd = -1;
	int ret = store_lock_dir(s->dir, true, &fd);

	if (ret != 0)
		return ret;
	before = region_id(s->dir);
	if (!before && store_dir_has(s->dir, "log.")) {
		if (store_env_users(s->dir, &user) > 0) {
			s->live_user = user;
			ret = TG_STORE_ORPHANED;
			goto out;
		}
		ret = store_env_recover(s, false);
		before = region_id(s->dir);
	}
	if (ret == 0)
		ret = join_env(s);
	if (ret == 0 && region_id(s->dir) != before)
		ret = on_new_regions(s, before != 0);
	if (ret == DB_RUNRECOVERY) {
		ret = store_env_recover(s, false);
		if (ret == 0)
			ret = join_env(s);
	}
out:
	close(fd); /* releases the flock */
	return ret;
}

/*
 * Recovery that races a dying process can fail (EBUSY destroying a mutex
 * still marked held); the registry then leaves the dead slot for the next
 * open, so a few spaced retries get there.
 */
static int
open_env(struct tg_store *s)
{
	int ret = open_env_once(s);

	for (int i = 1; i <= OPEN_RETRIES && (ret == DB_RUNRECOVERY || ret == EBUSY); i++) {
		usleep(100000u * (useconds_t)i);
		ret = open_env_once(s);
	}
	return ret;
}

/*
 * The watchdog sees these two counts: a wait for the exclusive hold that
 * outlasts every attempt is a reader stuck in a dead process's mutex, while an
 * open under way may be waiting, legitimately, for another process's recovery.
 */
static void
hold_exclusive(struct tg_store *s)
{
	atomic_fetch_add(&s->awaiting, 1);
	pthread_rwlock_wrlock(&s->lock);
	atomic_fetch_sub(&s->awaiting, 1);
}

/*
 * Counted for the watchdog: an open may wait, legitimately, for another
 * process's recovery under the open lock (open_env_once), which also makes
 * processes reopening together after a worker's death recover one at a time.
 */
static int
open_watched(struct tg_store *s)
{
	int ret;

	atomic_fetch_add(&s->opening, 1);
	ret = open_env(s);
	atomic_fetch_sub(&s->opening, 1);
	return ret;
}

/* Opens the handles if no other thread has (exclusive hold). */
static int
env_ensure(struct tg_store *s)
{
	int ret = 0;

	hold_exclusive(s);
	if (!s->env)
		ret = open_watched(s);
	pthread_rwlock_unlock(&s->lock);
	return ret;
}

/*
 * Closes the handles an attempt failed on, unless another thread already
 * replaced them (epoch moved): those may be a freshly recovered environment.
 */
static void
env_drop(struct tg_store *s, uint64_t epoch)
{
	hold_exclusive(s);
	if (s->env && s->epoch == epoch) {
		close_handles(s);
		s->epoch++;
	}
	pthread_rwlock_unlock(&s->lock);
}

/* Writer preference: a reopen must not wait behind an endless stream of readers. */
static void
lock_init(struct tg_store *s)
{
	pthread_rwlockattr_t la;

	pthread_rwlockattr_init(&la);
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->lock, &la);
	pthread_rwlockattr_destroy(&la);
}

static enum tg_err
prepare_dir(const char *dir, bool create, struct tg_why *why)
{
	struct stat st;
	char *file = tg_xasprintf("%s/%s", dir, STORE_DB_FILE);
	enum tg_err rc = TG_OK;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		rc = tg_fail(why, TG_ERR_IO, "cannot create database directory %s: %s", dir,
			     strerror(errno));
	else if (!create && stat(file, &st) != 0 && errno == EACCES)
		rc = store_check(dir, why);
	else if (!create && stat(file, &st) != 0)
		rc = tg_fail(why, TG_ERR_NOT_FOUND,
			     "no tokengate database in %s: run `tokengatectl --db %s init` first",
			     dir, dir);
	free(file);
	return rc;
}

/* The error and the sentence for an open that failed with ret. */
static enum tg_err
explain_open(const struct tg_store *s, int ret, struct tg_why *why)
{
	const char *dir = s->dir;
	enum tg_err rc = ret == EACCES || ret == EPERM ? TG_ERR_DENIED : TG_ERR_DB;

	if (ret == DB_RUNRECOVERY)
		return tg_fail(why, rc,
			       "recovery of the database in %s failed: run `tokengatectl --db %s "
			       "recover --catastrophic`, or put a backup back with `tokengatectl "
			       "--db %s restore BACKUP`", dir, dir, dir);
	if (ret == TG_STORE_ORPHANED)
		return tg_fail(why, rc,
			       "the region files (__db.*) of the database in %s are gone while "
			       "process %ld still has it open: stop every process using it (the "
			       "web server), then run `tokengatectl --db %s recover`", dir,
			       (long)s->live_user, dir);
	if (rc == TG_ERR_DENIED && store_check(dir, why) != TG_OK)
		return rc;
	return tg_fail(why, rc, "cannot open the database in %s: %s", dir, db_strerror(ret));
}

enum tg_err
store_open(const char *dir, bool create, struct tg_store **out, struct tg_why *why)
{
	struct tg_store *s = NULL;
	enum tg_err rc;
	int ret;

	rc = prepare_dir(dir, create, why);
	if (rc != TG_OK)
		goto out;
	s = tg_xcalloc(1, sizeof(*s));
	s->dir = tg_xstrdup(dir);
	s->errpfx = tg_xasprintf("database %s", dir);
	s->cache = store_cache_new();
	lock_init(s);
	/* Opening can wait on a mutex a dead process holds, too: the watchdog covers it. */
	s->has_watchdog = store_watchdog_start(s);
	if (!s->has_watchdog) {
		rc = tg_fail(why, TG_ERR_IO, "cannot start a thread for the database in %s", dir);
		goto out;
	}
	atomic_fetch_add(&s->active, 1);
	ret = open_watched(s);
	atomic_fetch_sub(&s->active, 1);
	if (ret == 0) {
		s->has_checkpointer = store_checkpointer_start(s);
		if (!s->has_checkpointer)
			TG_LOG(TG_LOG_WARN, "%s: cannot start the checkpoint thread; the log grows "
			       "until this process restarts", s->errpfx);
	} else {
		rc = explain_open(s, ret, why);
		goto out;
	}
	*out = s; /* ownership moves to the caller */
	s = NULL;
out:
	store_close(s);
	return rc;
}

void
store_close(struct tg_store *s)
{
	if (!s)
		return;
	if (s->has_checkpointer)
		store_checkpointer_stop(s);
	/*
	 * Counted as an open too: the environment's close takes this process out of the registry
	 * on its way, and the watchdog would read the unlisted process as abandoned and stop it
	 * after a second (seen under load, exit 2 at the end of a test). A close stuck on a dead
	 * process's mutex is still stopped, by the 30 s rule.
	 */
	atomic_fetch_add(&s->opening, 1);
	atomic_fetch_add(&s->active, 1);
	close_handles(s);
	if (s->has_watchdog)
		store_watchdog_stop(s);
	pthread_rwlock_destroy(&s->lock);
	store_cache_free(s->cache);
	free(s->dir);
	free(s->errpfx);
	free(s);
}

DB *
store_db(struct tg_store *s, enum store_table t)
{
	return s->db[t];
}

/* Under the shared hold: the mapping and the epoch change only under the exclusive one. */
bool
store_hint_peek(struct tg_store *s, enum store_hint_counter c, struct store_stamp *out)
{
	bool has_hint;

	pthread_rwlock_rdlock(&s->lock);
	has_hint = s->env && s->hint;
	if (has_hint) {
		out->epoch = s->epoch;
		out->value = store_hint_load(s->hint, c);
	}
	pthread_rwlock_unlock(&s->lock);
	return has_hint;
}

/*
 * Bodies run under the shared hold (attempt), so s->hint is this attempt's.
 * Without a mapping the write is refused (EACCES aborts the transaction): the
 * other processes would keep trusting answers this change makes stale.
 */
int
store_hint_bump(struct tg_store *s, enum store_hint_counter c)
{
	if (!s->hint)
		return EACCES;
	store_hint_add(s->hint, c);
	return 0;
}

struct store_cache *
store_cache_of(struct tg_store *s)
{
	return s->cache;
}

/* ------------------------------------------------------------ transactions */

/*
 * One attempt: the only place a transaction begins and ends. A body error or
 * a logical failure (c->rc, unless c->must_commit) aborts. Runs under the
 * shared hold of s->lock.
 *
 * DB_TXN_NOWAIT: a lock conflict returns at once instead of sleeping inside
 * BDB. BDB 5.3 only times a lock wait out when its deadlock detector happens
 * to run again, so a process killed while holding locks would leave every
 * waiter asleep for good, and a waiter asleep in BDB never sees the panic
 * that recovery raises. Waiting in store_run() instead keeps every process
 * able to notice a dead holder (failchk) or a recovered environment
 * (DB_RUNRECOVERY).
 */
static int
txn_once(struct tg_store *s, struct store_call *c, bool *is_committing)
{
	DB_TXN *txn = NULL;
	int ret;

	*is_committing = false;
	ret = s->env->txn_begin(s->env, NULL, &txn, DB_TXN_NOWAIT);
	if (ret != 0)
		return ret;
	ret = c->body(s, txn, c);
	if (ret != 0 || (c->rc != TG_OK && !c->must_commit)) {
		int aret = txn->abort(txn);

		return ret != 0 ? ret : aret;
	}
	*is_committing = true;
	/*
	 * Early lock release: a durable write commits to the log buffer, which
	 * frees its locks at once, and is then flushed before the call returns, so
	 * nobody is told "done" before the commit is on disk. Concurrent callers
	 * share one flush (group commit) instead of queueing behind page locks
	 * held through each other's fsync. A crash between the two loses only a
	 * commit that no caller was told about; the log is sequential, so a later
	 * transaction that read it cannot reach the disk without it.
	 */
	ret = txn->commit(txn, c->mode == STORE_WRITE_NOSYNC ? DB_TXN_NOSYNC : DB_TXN_WRITE_NOSYNC);
	if (ret == 0 && c->mode == STORE_WRITE)
		ret = s->env->log_flush(s->env, NULL);
	return ret;
}

/*
 * Takes the shared hold (opening the handles first when a failed reopen left
 * none) and runs one attempt; *epoch names the handles it ran on.
 */
static int
attempt(struct tg_store *s, struct store_call *c, bool *is_committing, uint64_t *epoch)
{
	int ret;

	*is_committing = false;
	pthread_rwlock_rdlock(&s->lock);
	while (!s->env) {
		pthread_rwlock_unlock(&s->lock);
		ret = env_ensure(s);
		if (ret != 0)
			return ret;
		pthread_rwlock_rdlock(&s->lock);
	}
	*epoch = s->epoch;
	ret = txn_once(s, c, is_committing);
	pthread_rwlock_unlock(&s->lock);
	return ret;
}

/*
 * Exponential backoff from 100 µs up to 50 ms with jitter, so conflicting
 * threads fall out of step. It starts short because a holder now keeps its
 * locks only for the transaction's own work, never for a disk flush.
 */
static void
backoff(int attempt_no)
{
	static _Thread_local uint32_t x;
	useconds_t cap = attempt_no < 9 ? 100u << attempt_no : 50000u;

	if (!x)
		x = ((uint32_t)getpid() ^ (uint32_t)(uintptr_t)&x) * 2654435761u | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	usleep(cap / 2 + x % (cap / 2));
}

static bool
is_conflict(int ret)
{
	return ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED;
}

/*
 * A conflict that outlasts FAILCHK_EVERY backoffs may be held by a dead
 * process. failchk releases what a process that died outside BDB held; one
 * that died inside BDB may have left shared memory half-changed, so failchk
 * answers DB_RUNRECOVERY, and panicking the environment sends every process
 * to reopen it, the first of them running recovery (DB_REGISTER). The
 * backoff sleeps without the shared hold, so a reopen never waits for it.
 */
static int
after_conflict(struct tg_store *s, int attempt_no)
{
	int ret = 0;

	if (attempt_no % FAILCHK_EVERY == FAILCHK_EVERY - 1) {
		pthread_rwlock_rdlock(&s->lock);
		if (s->env && s->env->failchk(s->env, 0) == DB_RUNRECOVERY) {
			(void)s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1);
			ret = DB_RUNRECOVERY;
		}
		pthread_rwlock_unlock(&s->lock);
	}
	if (ret == 0)
		backoff(attempt_no);
	return ret;
}

/*
 * The one retry loop: lock conflicts back off and retry (after_conflict),
 * a panicked environment is closed and reopened, which recovers it. A commit
 * that failed is not retried: it may have reached the log, and repeating it
 * could act twice.
 */
static enum tg_err
run_attempts(struct tg_store *s, struct store_call *c)
{
	int reopens = 0;

	for (int n = 0;; n++) {
		bool is_committing = false;
		uint64_t epoch = UINT64_MAX;
		int ret;

		c->rc = TG_OK;
		c->must_commit = false;
		if (c->reset)
			c->reset(c);
		ret = attempt(s, c, &is_committing, &epoch);
		atomic_fetch_add(&s->progress, 1);
		if (ret == 0)
			return c->rc;
		if (is_committing) {
			report(s, "commit failed", ret);
			if (ret == DB_RUNRECOVERY)
				env_drop(s, epoch);
			return TG_ERR_DB;
		}
		if (is_conflict(ret) && n < (c->is_patient ? PATIENT_RETRIES : MAX_RETRIES)) {
			ret = after_conflict(s, n);
			metrics_add(METRICS_DB_RETRY);
			if (ret == 0)
				continue;
		}
		if (ret == DB_RUNRECOVERY && reopens++ < MAX_REOPENS) {
			report(s, "a process died inside Berkeley DB; reopening to recover", ret);
			env_drop(s, epoch);
			n = -1;
			continue;
		}
		if (is_conflict(ret)) {
			report(s, "gave up after retries: another process holds the records", ret);
			return TG_ERR_BUSY;
		}
		if (ret == ENOMEM) {
			report(s, "this call needed more locks or transactions than the environment "
			       "has room for (sizes in docs/operations.md); it was undone", ret);
			return TG_ERR_BUSY;
		}
		report(s, "operation failed", ret);
		if (ret == DB_RUNRECOVERY)
			env_drop(s, epoch);
		return TG_ERR_DB;
	}
}

/* The watchdog counts calls under way; see watchdog_main. */
enum tg_err
store_run(struct tg_store *s, struct store_call *c)
{
	enum tg_err rc;

	atomic_fetch_add(&s->active, 1);
	rc = run_attempts(s, c);
	atomic_fetch_sub(&s->active, 1);
	return rc;
}
