/*
 * The store handle's two background threads: the watchdog, which stops a
 * process wedged on a dead process's mutex, and the checkpointer, which keeps
 * checkpoints (and so the log's size) off the request path, one process at a
 * time. Internal to the store; never begins a transaction.
 */
#include "store/store_db.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define CHECKPOINT_KBYTES 256
#define CHECKPOINT_SECONDS 1  /* how often the checkpointer thread looks */
#define WATCH_MS 100          /* how often the watchdog looks */
#define STUCK_MS 1000         /* no progress this long, with nothing left to wait for: wedged */
#define WEDGED_SECONDS 30     /* no progress this long, whatever the reason: wedged */
#define WEDGED_EXIT 2         /* tokengatectl's "environment" status */
#define REGISTRY_MAX 65536    /* 25 bytes a process: 2,600 processes */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Whether the regions this handle maps can no longer come back to life: a
 * process in BDB's registry (__db.register) died without leaving it, so the
 * next open recovers the environment, or this process is no longer listed,
 * because a recovery by another process cleared the registry and replaced
 * the regions. Read without BDB, so it cannot wait on BDB's mutexes. A
 * registry that cannot be read answers false: the 30 s rule still applies.
 */
static bool
is_abandoned(const struct tg_store *s)
{
	char buf[REGISTRY_MAX], path[PATH_MAX];
	bool is_listed = false, has_dead = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->dir, STORE_REGISTRY);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i + STORE_REGISTRY_SLOT <= n; i += STORE_REGISTRY_SLOT) {
		long pid = strtol(buf + i, NULL, 10);

		if (buf[i + STORE_REGISTRY_SLOT - 1] != '\n' || buf[i] == 'X' || pid <= 0)
			continue;
		if (pid == (long)getpid())
			is_listed = true;
		else if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			has_dead = true;
	}
	return has_dead || !is_listed;
}

/*
 * A process killed while it held one of BDB's shared-memory mutexes (inside
 * log_flush, say, or a page latch) leaves every thread that waits for it
 * asleep for good: BDB 5.3's mutexes are not robust, and no timeout, failchk
 * or recovery wakes a thread already waiting; a checkpoint loops for good on
 * a page the dead thread held. Stopping is then the only way out, and the
 * sooner the better: the restarted process joins the recovered environment.
 * So a call that makes no progress (no attempt finishing) is taken to be such
 * a wait after STUCK_MS when nothing legitimate can explain it (no open under
 * way, which may be waiting for another process's recovery) and either a
 * thread of this process waits to reopen or the environment is abandoned
 * (is_abandoned); after WEDGED_SECONDS whatever the reason. A process with no
 * call under way is never stopped: an idle worker has nothing stuck.
 */
static bool
is_wedged(struct tg_store *s, int64_t stalled_ms)
{
	if (stalled_ms >= WEDGED_SECONDS * 1000)
		return true;
	if (stalled_ms < STUCK_MS || atomic_load(&s->opening) > 0)
		return false;
	return atomic_load(&s->awaiting) > 0 || is_abandoned(s);
}

static void *
watchdog_main(void *arg)
{
	struct tg_store *s = arg;
	uint_fast64_t last = 0;
	int64_t since = now_ms();

	pthread_mutex_lock(&s->wd_lock);
	while (!s->is_closing) {
		struct timespec ts;
		uint_fast64_t done;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wd_wake, &s->wd_lock, &ts);
		done = atomic_load(&s->progress);
		if (atomic_load(&s->active) == 0 || done != last) {
			last = done;
			since = now_ms();
		} else if (is_wedged(s, now_ms() - since)) {
			TG_LOG(TG_LOG_ERR, "%s: wedged: a call has waited %lld ms inside Berkeley DB "
			       "on a process that died there; stopping so that a restart joins the "
			       "recovered database", s->errpfx, (long long)(now_ms() - since));
			_exit(WEDGED_EXIT);
		}
	}
	pthread_mutex_unlock(&s->wd_lock);
	return NULL;
}

bool
store_watchdog_start(struct tg_store *s)
{
	pthread_condattr_t ca;
	bool is_ok;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wd_wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->wd_lock, NULL);
	is_ok = pthread_create(&s->watchdog, NULL, watchdog_main, s) == 0;
	if (!is_ok) {
		pthread_cond_destroy(&s->wd_wake);
		pthread_mutex_destroy(&s->wd_lock);
	}
	return is_ok;
}

void
store_watchdog_stop(struct tg_store *s)
{
	pthread_mutex_lock(&s->wd_lock);
	s->is_closing = true;
	pthread_cond_broadcast(&s->wd_wake);
	pthread_mutex_unlock(&s->wd_lock);
	pthread_join(s->watchdog, NULL);
	pthread_cond_destroy(&s->wd_wake);
	pthread_mutex_destroy(&s->wd_lock);
}

/*
 * Checkpoints run here, in their own thread, never on a request: BDB's
 * memp_sync sleeps a whole second (__os_yield) when a page it must write is
 * pinned by another process, and every writer that asked for a checkpoint
 * queued behind that sleep (measured: 1 s stalls of all writers). One is due
 * once CHECKPOINT_KBYTES of log accumulated, read from the log region's
 * counters (txn_checkpoint's own test reads the log file back), and one
 * process takes it: the others skip while the lock on tokengate.db is held.
 * With every process checkpointing the same pages at once, a killed worker
 * that held one of them stopped every checkpointer for good (memp_sync loops
 * on that page), idle authorizer workers included. It counts as a call under
 * way, so the watchdog also covers a checkpoint that never returns.
 */
static void
checkpoint_if_due(struct tg_store *s)
{
	DB_LOG_STAT *st = NULL;
	uint64_t written = 0;

	atomic_fetch_add(&s->active, 1);
	pthread_rwlock_rdlock(&s->lock);
	if (s->env && s->env->log_stat(s->env, &st, 0) == 0) {
		written = (uint64_t)st->st_wc_mbytes * 1024 * 1024 + st->st_wc_bytes;
		free(st);
	}
	if (written >= CHECKPOINT_KBYTES * 1024u &&
	    (s->checkpoint_fd < 0 || flock(s->checkpoint_fd, LOCK_EX | LOCK_NB) == 0)) {
		(void)s->env->txn_checkpoint(s->env, CHECKPOINT_KBYTES, 0, 0);
		if (s->checkpoint_fd >= 0)
			(void)flock(s->checkpoint_fd, LOCK_UN);
	}
	pthread_rwlock_unlock(&s->lock);
	/*
	 * Not counted as progress: a checkpoint that returns says nothing about a
	 * call stuck on a dead process's mutex, and must not hide it from the
	 * watchdog (it once did, and a killed process wedged the others for good).
	 */
	atomic_fetch_sub(&s->active, 1);
}

static void *
checkpointer_main(void *arg)
{
	struct tg_store *s = arg;

	pthread_mutex_lock(&s->wd_lock);
	while (!s->is_checkpointer_stopping) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += CHECKPOINT_SECONDS;
		pthread_cond_timedwait(&s->wd_wake, &s->wd_lock, &ts);
		if (s->is_checkpointer_stopping)
			break;
		pthread_mutex_unlock(&s->wd_lock);
		checkpoint_if_due(s);
		pthread_mutex_lock(&s->wd_lock);
	}
	pthread_mutex_unlock(&s->wd_lock);
	return NULL;
}

/* Without tokengate.db open for the lock, this process checkpoints whenever one is due. */
bool
store_checkpointer_start(struct tg_store *s)
{
	char path[PATH_MAX];
	bool is_ok;

	snprintf(path, sizeof(path), "%s/tokengate.db", s->dir);
	s->checkpoint_fd = open(path, O_RDONLY | O_CLOEXEC);
	is_ok = pthread_create(&s->checkpointer, NULL, checkpointer_main, s) == 0;
	if (!is_ok && s->checkpoint_fd >= 0)
		close(s->checkpoint_fd);
	return is_ok;
}

void
store_checkpointer_stop(struct tg_store *s)
{
	pthread_mutex_lock(&s->wd_lock);
	s->is_checkpointer_stopping = true;
	pthread_cond_broadcast(&s->wd_wake);
	pthread_mutex_unlock(&s->wd_lock);
	pthread_join(s->checkpointer, NULL);
	if (s->checkpoint_fd >= 0)
		close(s->checkpoint_fd);
	s->has_checkpointer = false;
}
