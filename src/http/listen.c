/*
 * Worker threads and the pre-fork supervisor (as php-fpm and fcgiwrap run).
 * A stop signal lets requests in progress finish, then ends threads waiting in
 * accept with a SIGUSR1 kick. Never opens the store: that happens after fork,
 * in the worker's process_init, because database handles must not cross fork.
 */
#include "http/listen.h"

#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_SEC 10     /* a worker's wait for requests in progress */
#define SUPERVISOR_GRACE_SEC 15
#define FAST_FAIL_SEC 2       /* a worker dying sooner than this failed at start-up */
#define FAST_FAIL_LIMIT 5     /* that many in a row: stop rather than crash-loop */
#define BACKLOG 1024

struct worker_thread {
	const struct listen_ops *ops;
	void *arg;
	int fd;
	pthread_t tid;
	atomic_bool is_waiting; /* inside http_accept: safe to interrupt */
	atomic_bool is_done;
};

static atomic_bool is_stopping;
static atomic_int nbusy;

static void
on_kick(int sig)
{
	(void)sig;
}

static void
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

static void *
serve_thread(void *p)
{
	struct worker_thread *wt = p;
	struct http_conn *c = http_conn_new(wt->fd);
	struct http_request req;
	void *st;

	if (!c) {
		TG_LOG(TG_LOG_ERR, "cannot set up a FastCGI request; stopping this thread");
		atomic_store(&wt->is_done, true);
		return NULL;
	}
	st = wt->ops->thread_init(wt->arg);
	for (;;) {
		atomic_store(&wt->is_waiting, true);
		if (atomic_load(&is_stopping) || http_accept(c, &req) != TG_OK)
			break;
		atomic_store(&wt->is_waiting, false);
		/* Paired with the stopper's store-then-read: either it waits for us or we drop. */
		atomic_fetch_add(&nbusy, 1);
		if (!atomic_load(&is_stopping))
			wt->ops->handle(st, c, &req);
		http_finish(c);
		if (wt->ops->after)
			wt->ops->after(st);
		atomic_fetch_sub(&nbusy, 1);
	}
	wt->ops->thread_fini(st);
	http_conn_free(c);
	atomic_store(&wt->is_done, true);
	return NULL;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits for a stop signal, or for every thread to have ended by itself. */
static void
wait_for_stop(struct worker_thread *wt, unsigned n)
{
	sigset_t set;
	struct timespec tick = { .tv_sec = 1 };

	stop_signals(&set);
	for (;;) {
		unsigned alive = 0;

		if (sigtimedwait(&set, NULL, &tick) > 0)
			return;
		for (unsigned i = 0; i < n; i++)
			alive += !atomic_load(&wt[i].is_done);
		if (alive == 0)
			return;
	}
}

/* True when every thread ended within the grace time. */
static bool
stop_threads(struct worker_thread *wt, unsigned n)
{
	double deadline = now_mono() + STOP_GRACE_SEC;

	atomic_store(&is_stopping, true);
	http_stop();
	while (now_mono() < deadline) {
		unsigned alive = 0;

		for (unsigned i = 0; i < n; i++) {
			if (atomic_load(&wt[i].is_done))
				continue;
			alive++;
			if (atomic_load(&wt[i].is_waiting))
				pthread_kill(wt[i].tid, SIGUSR1);
		}
		if (alive == 0 && atomic_load(&nbusy) == 0)
			return true;
		nap_ms(20);
	}
	return false;
}

int
listen_serve(int fd, unsigned nthreads, const struct listen_ops *ops, void *arg)
{
	struct worker_thread *wt = tg_xcalloc(nthreads, sizeof(*wt));
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART: accept must fail */
	sigset_t set;
	unsigned started = 0;
	int status = 1;
	bool is_clean;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	stop_signals(&set);
	/* Threads inherit the mask, so only this thread takes stop signals (sigtimedwait). */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ops->process_init(arg) != TG_OK)
		goto out;
	for (; started < nthreads; started++) {
		int rc;

		wt[started] = (struct worker_thread){ .ops = ops, .arg = arg, .fd = fd };
		rc = pthread_create(&wt[started].tid, NULL, serve_thread, &wt[started]);
		if (rc != 0) {
			TG_LOG(TG_LOG_ERR, "cannot start worker thread %u: %s; lower --threads",
			       started + 1, strerror(rc));
			break;
		}
	}
	if (started > 0)
		wait_for_stop(wt, started);
	is_clean = stop_threads(wt, started);
	if (!is_clean) {
		/* A thread stuck in a request holds store handles: leave them to exit(). */
		TG_LOG(TG_LOG_WARN, "requests still running after %d s; exiting anyway",
		       STOP_GRACE_SEC);
		_exit(0);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(wt[i].tid, NULL);
	ops->process_fini(arg);
	status = started == nthreads ? 0 : 1;
out:
	free(wt);
	return status;
}

/* ------------------------------------------------------------ supervisor */

struct slot {
	pid_t pid;
	double started;
	double next_start;
};

static bool
write_pidfile(const char *path)
{
	char *tmp = tg_xasprintf("%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	bool ok = f && fprintf(f, "%ld\n", (long)getpid()) > 0;

	if (f && fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		TG_LOG(TG_LOG_ERR, "cannot write the pid file %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok;
}

static pid_t
spawn(const struct listen_opts *o, int fd, const struct listen_ops *ops, void *arg)
{
	pid_t pid = fork();
	sigset_t chld;

	if (pid != 0)
		return pid;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	_exit(listen_serve(fd, o->threads, ops, arg));
}

static void
describe_exit(pid_t pid, int st, bool is_stopping_now)
{
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || is_stopping_now))
		TG_LOG(TG_LOG_INFO, "worker %ld exited with status %d", (long)pid, WEXITSTATUS(st));
	else if (WIFEXITED(st))
		TG_LOG(TG_LOG_ERR, "worker %ld exited with status %d (see its lines above); "
		       "starting another", (long)pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		TG_LOG(is_stopping_now ? TG_LOG_INFO : TG_LOG_ERR,
		       "worker %ld killed by signal %d%s", (long)pid, WTERMSIG(st),
		       is_stopping_now ? "" : "; starting another");
}

/* Reaps dead workers; returns false when they keep dying at start-up. */
static bool
reap(struct slot *slots, unsigned n, unsigned *fast_fails, bool is_stopping_now)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		double t = now_mono();

		for (unsigned i = 0; i < n; i++) {
			if (slots[i].pid != pid)
				continue;
			describe_exit(pid, st, is_stopping_now);
			slots[i].pid = 0;
			if (t - slots[i].started < FAST_FAIL_SEC) {
				(*fast_fails)++;
				slots[i].next_start = t + 1; /* no tight loop while failing */
			} else {
				*fast_fails = 0;
				slots[i].next_start = t;
			}
		}
	}
	return *fast_fails < FAST_FAIL_LIMIT;
}

static void
stop_workers(struct slot *slots, unsigned n)
{
	double deadline = now_mono() + SUPERVISOR_GRACE_SEC;
	unsigned fast = 0;
	bool any = true;

	for (unsigned i = 0; i < n; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, SIGTERM);
	while (any && now_mono() < deadline) {
		nap_ms(20);
		reap(slots, n, &fast, true);
		any = false;
		for (unsigned i = 0; i < n; i++)
			any |= slots[i].pid > 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if (slots[i].pid <= 0)
			continue;
		TG_LOG(TG_LOG_WARN, "worker %ld did not stop in %d s; killing it",
		       (long)slots[i].pid, SUPERVISOR_GRACE_SEC);
		kill(slots[i].pid, SIGKILL);
		waitpid(slots[i].pid, NULL, 0);
	}
}

static int
supervise(const struct listen_opts *o, int fd, const struct listen_ops *ops, void *arg)
{
	struct slot *slots = tg_xcalloc(o->workers, sizeof(*slots));
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 250000000L };
	unsigned fast_fails = 0;
	sigset_t set;
	int status = 0, sig;

	stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		double t = now_mono();

		for (unsigned i = 0; i < o->workers; i++) {
			if (slots[i].pid != 0 || t < slots[i].next_start)
				continue;
			slots[i].pid = spawn(o, fd, ops, arg);
			slots[i].started = t;
			if (slots[i].pid < 0) {
				TG_LOG(TG_LOG_ERR, "cannot fork a worker: %s", strerror(errno));
				slots[i].pid = 0;
				slots[i].next_start = t + 1;
			}
		}
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			TG_LOG(TG_LOG_INFO, "signal %d: stopping the workers", sig);
			break;
		}
		if (!reap(slots, o->workers, &fast_fails, false)) {
			TG_LOG(TG_LOG_ERR, "workers fail at start-up %d times in a row (see the lines "
			       "above); stopping", FAST_FAIL_LIMIT);
			status = 1;
			break;
		}
	}
	stop_workers(slots, o->workers);
	free(slots);
	return status;
}

int
listen_supervise(const struct listen_opts *o, const struct listen_ops *ops, void *arg)
{
	sigset_t set;
	struct tg_why why;
	int fd = -1, status = 1;
	bool is_unix = strchr(o->addr, '/') || !strchr(o->addr, ':');

	stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (http_listen(o->addr, BACKLOG, &fd, &why) != TG_OK) {
		TG_LOG(TG_LOG_ERR, "%s", why.text);
		fprintf(stderr, "tokengate: %s\n", why.text);
		goto out;
	}
	if (o->pidfile && !write_pidfile(o->pidfile))
		goto out;
	TG_LOG(TG_LOG_INFO, "listening on %s with %u workers of %u threads", o->addr, o->workers,
	       o->threads);
	status = supervise(o, fd, ops, arg);
	if (o->pidfile)
		unlink(o->pidfile);
	if (is_unix)
		unlink(o->addr);
out:
	if (fd >= 0)
		close(fd);
	return status;
}
