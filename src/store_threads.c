/*
 * The store handle's two background threads: the watchdog, which stops a
 * process wedged on a dead process's mutex, and the checkpointer, which keeps
 * checkpoints (and so the log's size) off the request path. Internal to the
 * store; never begins a transaction.
 */
#include "store_db.h"

#include "log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHECKPOINT_KBYTES 256
#define CHECKPOINT_SECONDS 1  /* how often the checkpointer thread looks */
#define WEDGED_SECONDS 30     /* no store call returns for this long: stop the process */
#define WEDGED_EXIT 2         /* tokengatectl's "environment" status */

/*
 * A process killed while it held one of BDB's shared-memory mutexes (inside
 * txn_begin, say) leaves every other process asleep on that mutex for good:
 * BDB 5.3's mutexes are not robust, and no timeout, failchk or recovery wakes
 * a thread already waiting. Stopping is then the only way out; the restarted
 * process's DB_REGISTER open recovers the environment. A call that makes no
 * progress (no attempt finishing) for WEDGED_SECONDS is taken to be such a wait.
 */
static void *
watchdog_main(void *arg)
{
	struct tg_store *s = arg;
	uint_fast64_t last = 0;
	int stalled = 0;

	pthread_mutex_lock(&s->wd_lock);
	while (!s->is_closing) {
		struct timespec ts;
		uint_fast64_t done;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->wd_wake, &s->wd_lock, &ts);
		done = atomic_load(&s->progress);
		if (atomic_load(&s->active) == 0 || done != last) {
			last = done;
			stalled = 0;
		} else if (++stalled >= WEDGED_SECONDS) {
			TG_LOG(TG_LOG_ERR, "%s: wedged: a process died inside Berkeley DB holding "
			       "shared memory; stopping so that a restart recovers the database",
			       s->errpfx);
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
 * counters (txn_checkpoint's own test reads the log file back). It counts as
 * a call under way, so the watchdog also covers a checkpoint that never returns.
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
	if (written >= CHECKPOINT_KBYTES * 1024u)
		(void)s->env->txn_checkpoint(s->env, CHECKPOINT_KBYTES, 0, 0);
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

bool
store_checkpointer_start(struct tg_store *s)
{
	return pthread_create(&s->checkpointer, NULL, checkpointer_main, s) == 0;
}

void
store_checkpointer_stop(struct tg_store *s)
{
	pthread_mutex_lock(&s->wd_lock);
	s->is_checkpointer_stopping = true;
	pthread_cond_broadcast(&s->wd_wake);
	pthread_mutex_unlock(&s->wd_lock);
	pthread_join(s->checkpointer, NULL);
	s->has_checkpointer = false;
}
