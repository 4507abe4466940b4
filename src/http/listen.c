/*
 * Worker threads and the pre-fork supervisor (as php-fpm and fcgiwrap run).
 * A stop signal lets requests in progress finish, then ends threads waiting in
 * accept with a SIGUSR1 kick. The supervisor keeps the user it was started as
 * (to re-read a root-only configuration and remove its socket); workers drop
 * to --user before they serve. Never opens the store: that happens after fork,
 * in the worker's process_init, because database handles must not cross fork.
 */
#include "http/listen.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_SEC 10     /* a worker's wait for requests in progress */
#define SUPERVISOR_GRACE_SEC 15
#define FAST_FAIL_SEC 2       /* a worker dying sooner than this failed at start-up */
#define FAST_FAIL_LIMIT 5     /* that many in a row: stop rather than crash-loop */
#define READY_SEC 10          /* a reload's wait for its new workers to be ready */
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
static int ready_fd = -1; /* a reload's pipe: one byte once this worker serves */

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
		/*
		 * Answered even when a stop came meanwhile: the stopper waits for this
		 * thread, and a request accepted then dropped is one a server sees cut.
		 */
		atomic_fetch_add(&nbusy, 1);
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
	if (started == nthreads && ready_fd >= 0) {
		/* Nothing to do on failure: the supervisor sees the pipe close without our byte. */
		if (write(ready_fd, "", 1) != 1)
			TG_LOG(TG_LOG_WARN, "cannot tell the supervisor this worker is ready: %s",
			       strerror(errno));
		close(ready_fd);
		ready_fd = -1;
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

/*
 * A worker's place. Retired slots hold workers replaced by a reload, which
 * finish their requests and are not restarted; a retired slot whose worker
 * is gone is free for the next reload's workers.
 */
struct slot {
	pid_t pid;
	double started;
	double next_start;
	bool is_retired;
};

/* Who the workers become; is_set false: they stay who the supervisor is. */
struct creds {
	bool is_set;
	const char *user;
	uid_t uid;
	gid_t gid;
};

struct supervisor {
	const struct listen_opts *o;
	const struct listen_ops *ops;
	void *arg;
	int fd;
	struct creds creds;
	struct slot *slots; /* o->workers live ones, any number retired */
	unsigned nslots;
	unsigned fast_fails;
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

/*
 * setgid, initgroups, then setuid: the group calls need root, so they come
 * before the uid is given up; then a setuid(0) that succeeds means the drop
 * did not hold, and such a worker must not serve.
 */
static void
drop_privileges(const struct creds *c)
{
	if (!c->is_set)
		return;
	if (setgid(c->gid) != 0 || initgroups(c->user, c->gid) != 0 || setuid(c->uid) != 0) {
		TG_LOG(TG_LOG_ERR, "cannot become user %s (uid %ld, gid %ld): %s; start tokengate "
		       "as root or leave out --user", c->user, (long)c->uid, (long)c->gid,
		       strerror(errno));
		_exit(1);
	}
	if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0) {
		TG_LOG(TG_LOG_ERR, "worker could keep root after becoming %s; refusing to serve",
		       c->user);
		_exit(1);
	}
}

static pid_t
spawn(const struct supervisor *s, int ready)
{
	pid_t pid = fork();
	sigset_t chld;

	if (pid != 0)
		return pid;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	drop_privileges(&s->creds);
	ready_fd = ready;
	_exit(listen_serve(s->fd, s->o->threads, s->ops, s->arg));
}

static void
describe_exit(pid_t pid, int st, bool is_expected)
{
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || is_expected))
		TG_LOG(TG_LOG_INFO, "worker %ld exited with status %d", (long)pid, WEXITSTATUS(st));
	else if (WIFEXITED(st))
		TG_LOG(TG_LOG_ERR, "worker %ld exited with status %d (see its lines above); "
		       "starting another", (long)pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		TG_LOG(is_expected ? TG_LOG_INFO : TG_LOG_ERR,
		       "worker %ld killed by signal %d%s", (long)pid, WTERMSIG(st),
		       is_expected ? "" : "; starting another");
}

/* Reaps dead workers; returns false when they keep dying at start-up. */
static bool
reap(struct supervisor *s, bool is_stopping_now)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		double t = now_mono();

		for (unsigned i = 0; i < s->nslots; i++) {
			struct slot *sl = &s->slots[i];

			if (sl->pid != pid)
				continue;
			describe_exit(pid, st, is_stopping_now || sl->is_retired);
			sl->pid = 0;
			if (sl->is_retired) {
				continue;
			} else if (t - sl->started < FAST_FAIL_SEC) {
				s->fast_fails++;
				sl->next_start = t + 1; /* no tight loop while failing */
			} else {
				s->fast_fails = 0;
				sl->next_start = t;
			}
		}
	}
	return s->fast_fails < FAST_FAIL_LIMIT;
}

static void
stop_workers(struct supervisor *s)
{
	double deadline = now_mono() + SUPERVISOR_GRACE_SEC;
	bool any = true;

	for (unsigned i = 0; i < s->nslots; i++)
		if (s->slots[i].pid > 0)
			kill(s->slots[i].pid, SIGTERM);
	while (any && now_mono() < deadline) {
		nap_ms(20);
		reap(s, true);
		any = false;
		for (unsigned i = 0; i < s->nslots; i++)
			any |= s->slots[i].pid > 0;
	}
	for (unsigned i = 0; i < s->nslots; i++) {
		if (s->slots[i].pid <= 0)
			continue;
		TG_LOG(TG_LOG_WARN, "worker %ld did not stop in %d s; killing it",
		       (long)s->slots[i].pid, SUPERVISOR_GRACE_SEC);
		kill(s->slots[i].pid, SIGKILL);
		waitpid(s->slots[i].pid, NULL, 0);
	}
}

/* Starts the live slots that have no worker and are due. */
static void
fill_slots(struct supervisor *s)
{
	double t = now_mono();

	for (unsigned i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->is_retired || sl->pid != 0 || t < sl->next_start)
			continue;
		sl->pid = spawn(s, -1);
		sl->started = t;
		if (sl->pid < 0) {
			TG_LOG(TG_LOG_ERR, "cannot fork a worker: %s", strerror(errno));
			sl->pid = 0;
			sl->next_start = t + 1;
		}
	}
}

/* Waits for one byte from each of n new workers; false when one died or time ran out. */
static bool
await_ready(int fd, unsigned n)
{
	double deadline = now_mono() + READY_SEC;
	unsigned got = 0;

	while (got < n && now_mono() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[64];
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r == 0)
			break; /* every new worker has written its byte or died */
		if (r > 0)
			got += (unsigned)r;
	}
	return got >= n;
}

/* Marks the slots in [from, to) with is_retired true, asking their workers to drain. */
static void
retire(struct supervisor *s, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		s->slots[i].is_retired = true;
		if (s->slots[i].pid > 0)
			kill(s->slots[i].pid, SIGTERM);
	}
}

/*
 * SIGHUP: new workers on the same listening socket, then the old ones told to
 * finish their current request and exit; connections that arrive meanwhile
 * wait in the socket's backlog for whichever worker accepts first. New
 * workers that do not come up (a database the new configuration cannot
 * open, say) are stopped instead, and the old ones keep serving.
 */
static void
replace_workers(struct supervisor *s)
{
	unsigned n = s->o->workers, base = 0, live = 0;
	int p[2];
	bool is_ready;

	if (s->ops->reload(s->arg) != TG_OK) {
		TG_LOG(TG_LOG_ERR, "reload refused (see the line above): mend the configuration "
		       "and send SIGHUP again; the running workers keep "
		       "serving with the configuration they started with");
		return;
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		TG_LOG(TG_LOG_ERR, "cannot reload: pipe: %s; the running workers keep serving",
		       strerror(errno));
		s->ops->reload_end(s->arg, false);
		return;
	}
	/* Free slots go (the array stays as long as the workers alive), n new ones follow. */
	for (unsigned i = 0; i < s->nslots; i++)
		if (!s->slots[i].is_retired || s->slots[i].pid > 0)
			s->slots[base++] = s->slots[i];
	s->slots = tg_xrealloc(s->slots, (base + n) * sizeof(*s->slots));
	for (unsigned i = 0; i < n; i++) {
		struct slot *sl = &s->slots[base + i];

		*sl = (struct slot){ .pid = spawn(s, p[1]), .started = now_mono() };
		live += sl->pid > 0;
		if (sl->pid < 0)
			sl->pid = 0;
	}
	s->nslots = base + n;
	close(p[1]);
	is_ready = live == n && await_ready(p[0], n);
	close(p[0]);
	s->ops->reload_end(s->arg, is_ready);
	if (!is_ready) {
		TG_LOG(TG_LOG_ERR, "the reloaded workers did not all start within %d s (see the "
		       "lines above); the running workers keep serving with the configuration they "
		       "started with", READY_SEC);
		retire(s, base, base + n);
		return;
	}
	for (unsigned i = 0; i < base; i++)
		if (!s->slots[i].is_retired)
			retire(s, i, i + 1);
	TG_LOG(TG_LOG_INFO, "reloaded: %u new workers serve; the old ones finish their requests "
	       "and exit", n);
}

static int
supervise(struct supervisor *s)
{
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 250000000L };
	sigset_t set;
	int status = 0, sig;

	s->nslots = s->o->workers;
	s->slots = tg_xcalloc(s->nslots, sizeof(*s->slots));
	stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		fill_slots(s);
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGHUP && s->ops->reload) {
			TG_LOG(TG_LOG_INFO, "SIGHUP: reading the configuration again");
			replace_workers(s);
		} else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			TG_LOG(TG_LOG_INFO, "signal %d: stopping the workers once their requests are "
			       "answered", sig);
			break;
		}
		if (!reap(s, false)) {
			TG_LOG(TG_LOG_ERR, "workers fail at start-up %d times in a row (see the lines "
			       "above); stopping", FAST_FAIL_LIMIT);
			status = 1;
			break;
		}
	}
	stop_workers(s);
	free(s->slots);
	return status;
}

/*
 * The user and group workers become. Root is refused as a target (dropping to
 * it keeps everything), and a non-root start can only "become" itself.
 */
static enum tg_err
resolve_creds(const struct listen_opts *o, struct creds *c, struct tg_why *why)
{
	const struct passwd *pw;
	const struct group *gr;

	*c = (struct creds){ 0 };
	if (!o->user)
		return TG_OK;
	pw = getpwnam(o->user);
	if (!pw)
		return tg_fail(why, TG_ERR_INVALID, "--user %s: no such user; create it or name "
			       "another (www-data on Debian)", o->user);
	if (pw->pw_uid == 0)
		return tg_fail(why, TG_ERR_INVALID, "--user %s is root; name an unprivileged user "
			       "such as www-data", o->user);
	c->user = o->user;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	if (o->group) {
		gr = getgrnam(o->group);
		if (!gr)
			return tg_fail(why, TG_ERR_INVALID, "--group %s: no such group", o->group);
		c->gid = gr->gr_gid;
	}
	if (c->gid == 0)
		return tg_fail(why, TG_ERR_INVALID, "--user %s: the workers' group would be root's; "
			       "name another with --group", o->user);
	if (geteuid() != 0) {
		if (geteuid() != c->uid || getegid() != c->gid)
			return tg_fail(why, TG_ERR_INVALID, "--user %s needs tokengate started as "
				       "root (it runs as uid %ld)", o->user, (long)geteuid());
		return TG_OK; /* already that user: nothing to drop */
	}
	c->is_set = true;
	return TG_OK;
}

/* --socket-mode and --socket-group on the socket just bound at path. */
static enum tg_err
own_socket(const struct listen_opts *o, struct tg_why *why)
{
	const struct group *gr;

	if (o->socket_group) {
		gr = getgrnam(o->socket_group);
		if (!gr)
			return tg_fail(why, TG_ERR_INVALID, "--socket-group %s: no such group",
				       o->socket_group);
		if (chown(o->addr, (uid_t)-1, gr->gr_gid) != 0)
			return tg_fail(why, TG_ERR_IO, "%s: cannot give the socket to group %s: %s; "
				       "start tokengate as root or as a member of %s", o->addr,
				       o->socket_group, strerror(errno), o->socket_group);
	}
	if (o->socket_mode >= 0 && chmod(o->addr, (mode_t)o->socket_mode) != 0)
		return tg_fail(why, TG_ERR_IO, "%s: cannot set the socket's mode to %04o: %s",
			       o->addr, (unsigned)o->socket_mode, strerror(errno));
	return TG_OK;
}

/*
 * Binds addr; a unix socket with --socket-mode is made under umask 0177, so
 * nobody but its owner can connect before it has its mode and group.
 */
static enum tg_err
bind_socket(const struct listen_opts *o, bool is_unix, int *fd, struct tg_why *why)
{
	bool is_owned = is_unix && (o->socket_mode >= 0 || o->socket_group);
	mode_t old = 0;
	enum tg_err rc;

	if (!is_unix && (o->socket_mode >= 0 || o->socket_group))
		return tg_fail(why, TG_ERR_INVALID, "%s: --socket-mode and --socket-group apply to a "
			       "unix socket path only; leave them out for IP:PORT", o->addr);
	if (is_owned)
		old = umask(0177);
	rc = http_listen(o->addr, BACKLOG, fd, why);
	if (is_owned)
		umask(old);
	if (rc == TG_OK && is_owned) {
		rc = own_socket(o, why);
		if (rc != TG_OK) {
			close(*fd);
			*fd = -1;
			unlink(o->addr);
		}
	}
	return rc;
}

int
listen_supervise(const struct listen_opts *o, const struct listen_ops *ops, void *arg)
{
	struct supervisor s = { .o = o, .ops = ops, .arg = arg, .fd = -1 };
	sigset_t set;
	struct tg_why why;
	int status = 1;
	bool is_unix = strchr(o->addr, '/') || !strchr(o->addr, ':');

	stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (resolve_creds(o, &s.creds, &why) != TG_OK ||
	    bind_socket(o, is_unix, &s.fd, &why) != TG_OK) {
		TG_LOG(TG_LOG_ERR, "%s", why.text);
		fprintf(stderr, "tokengate: %s\n", why.text);
		goto out;
	}
	if (o->pidfile && !write_pidfile(o->pidfile))
		goto out;
	TG_LOG(TG_LOG_INFO, "listening on %s with %u workers of %u threads%s%s", o->addr,
	       o->workers, o->threads, s.creds.is_set ? " as " : "",
	       s.creds.is_set ? s.creds.user : "");
	status = supervise(&s);
	if (o->pidfile)
		unlink(o->pidfile);
	if (is_unix)
		unlink(o->addr);
out:
	if (s.fd >= 0)
		close(s.fd);
	return status;
}
