/*
 * The process model: worker threads serving one listening socket until a
 * stop signal, and the --listen supervisor that binds the socket, pre-forks
 * worker processes under an unprivileged user, replaces dead ones, replaces
 * them all on SIGHUP and drains them on SIGTERM. Never reads a configuration.
 */
#ifndef TG_LISTEN_H
#define TG_LISTEN_H

#include "http/http.h"

/* What a worker process runs; arg is handed back to every hook. */
struct listen_ops {
	/* In each worker process before its threads start: opens what must not cross fork. */
	enum tg_err (*process_init)(void *arg);
	void (*process_fini)(void *arg);
	/* Per thread state, never shared between threads. */
	void *(*thread_init)(void *arg);
	void (*thread_fini)(void *thread);
	/* Answers one request (http_send); the caller finishes it. */
	void (*handle)(void *thread, struct http_conn *conn, const struct http_request *req);
	/* After a request is finished, so housekeeping never delays an answer; may be NULL. */
	void (*after)(void *thread);
	/*
	 * In the supervisor on SIGHUP: makes arg what new workers start from (the
	 * configuration read again); on failure the running workers are kept.
	 */
	enum tg_err (*reload)(void *arg);
	/* Once the reload's workers are ready (is_kept) or failed to start (back to the old arg). */
	void (*reload_end)(void *arg, bool is_kept);
};

#define LISTEN_MAX_THREADS 64
#define LISTEN_MAX_WORKERS 256

/*
 * Serves the listening socket fd with nthreads threads until SIGTERM, SIGINT
 * or SIGHUP; requests in progress (accepted ones included) are finished
 * first. Returns an exit status.
 */
int listen_serve(int fd, unsigned nthreads, const struct listen_ops *ops, void *arg);

struct listen_opts {
	const char *addr;    /* unix socket path or IP:PORT */
	unsigned workers;
	unsigned threads;
	const char *pidfile; /* NULL: none */
	const char *user;    /* workers run as this user (NULL: as started) */
	const char *group;   /* and group (NULL: the user's login group) */
	int socket_mode;     /* a unix socket's mode; -1: as the umask leaves it */
	const char *socket_group; /* a unix socket's group; NULL: the supervisor's */
};

/*
 * Runs in the foreground until SIGTERM/SIGINT (drains, then returns an exit
 * status); SIGHUP replaces the workers with ones started from ops->reload.
 */
int listen_supervise(const struct listen_opts *o, const struct listen_ops *ops, void *arg);

#endif
