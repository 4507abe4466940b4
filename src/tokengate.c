/*
 * The gateway program: options, configuration, and the request dispatch
 * shared by its three ways of running (under a FastCGI server, as a --listen
 * supervisor, or as one CGI request): per-thread state, the keyring refresh
 * before each request, the dispatch by role (the FastCGI authorizer to
 * authz.c, every responder request to api.c's routes) and the sweep of ended
 * sessions. What a request gets is theirs to say. Never parses tokens or
 * request bodies.
 */
#include "role/api.h"
#include "base/config.h"
#include "http/listen.h"
#include "fetch/fetch.h"
#include "join/jwks_sync.h"
#include "join/keyring_sync.h"
#include "base/log.h"
#include "base/number.h"
#include "store/store.h"
#include "store/store_admin.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* One per worker process. */
struct gate {
	struct tg_config *cfg;  /* owned; a SIGHUP in the supervisor replaces it */
	struct tg_config *prev; /* the one replaced, until the reload's workers are ready */
	unsigned threads;
	struct tg_store *store; /* thread-safe: every thread calls it directly */
	size_t cache_entries;   /* per thread: the configured total split between threads */
	int64_t sweep_jitter;   /* this process's offset to SWEEP_INTERVAL */
};

/* One per thread: nothing here is shared, so the request path takes no lock. */
struct worker {
	struct gate *g;
	struct keyring *kr;
	struct tg_cache *cache;
	struct jwks_follow follow; /* this thread's keyring with the process's store */
	int64_t last_sweep;
};

/*
 * Ended and expired sessions and their refresh tokens are deleted by the
 * workers themselves, a bounded slice at a time, so the database stops
 * growing without a cron job. A thread sweeps after answering a request once
 * SWEEP_INTERVAL plus its process's jitter (so sibling processes spread out)
 * has passed since its last sweep: at most SWEEP_LIMIT records that ended
 * more than SWEEP_GRACE seconds ago (kept a while for `session show`). A CGI
 * process answers one request, so it sweeps with odds 1 in CGI_SWEEP_ODDS to
 * keep its cold start cheap; busy sites sweep often enough that way.
 */
#define SWEEP_INTERVAL 60
#define SWEEP_JITTER 30
#define SWEEP_GRACE 3600
#define SWEEP_LIMIT 256
#define CGI_SWEEP_ODDS 64

static void
sweep(struct worker *w, int64_t now)
{
	size_t removed = 0;
	enum tg_err rc;

	w->last_sweep = now;
	rc = store_sweep(w->g->store, now, SWEEP_GRACE, SWEEP_LIMIT, &removed);
	if (rc != TG_OK && rc != TG_ERR_BUSY)
		TG_LOG(TG_LOG_WARN, "sweeping ended sessions failed: %s; the next sweep retries",
		       tg_err_str(rc));
	else if (removed)
		TG_LOG(TG_LOG_DEBUG, "swept %zu ended sessions and refresh tokens", removed);
}

/*
 * Only spreads sweeps between processes, so nothing secret: the kernel's
 * getrandom rather than OpenSSL's DRBG, whose first use costs every worker
 * about 200 KB of memory and the CGI a seeding on its cold start. Secrets
 * (session ids, refresh tokens) still come from secret.c.
 */
static int64_t
random_below(int64_t n)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		return 0;
	return (int64_t)(r % (uint32_t)n);
}

/*
 * FCGI_ROLE=AUTHORIZER is the authorizer; anything else (the responder, nginx
 * auth_request's subrequest to /v1/authorize, a CGI request) is the API's.
 */
static void
dispatch(const struct api_env *env, const struct http_request *req, struct http_response *r)
{
	struct authz_env ae;

	api_authz_env(env, &ae);
	if (req->role == HTTP_ROLE_AUTHORIZER)
		authz_answer(&ae, req, r);
	else
		api_handle(env, req, r);
}

static void
answer(struct worker *w, struct http_conn *c, const struct http_request *req)
{
	struct timespec ts;
	struct api_env env = {
		.cfg = w->g->cfg, .store = w->g->store, .kr = w->kr, .cache = w->cache, .conn = c,
		.follow = &w->follow,
	};
	struct http_response r;
	enum tg_err rc;

	w->follow = (struct jwks_follow){ .store = w->g->store, .kr = w->kr, .cfg = w->g->cfg };
	clock_gettime(CLOCK_REALTIME, &ts);
	env.now = (int64_t)ts.tv_sec;
	env.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* The per-request generation read; keys are re-parsed only when it moved. */
	rc = keyring_refresh(w->kr, w->g->store, w->g->cfg->database);
	if (rc != TG_OK)
		authz_render_unread(rc, &r);
	else
		dispatch(&env, req, &r);
	if (http_send(c, &r) != TG_OK)
		TG_LOG(TG_LOG_INFO, "the server closed the connection before the answer was sent");
	http_response_fini(&r);
}

static void
handle(void *thread, struct http_conn *c, const struct http_request *req)
{
	answer(thread, c, req);
}

/* Runs once the answer is out, so no client waits for a sweep. */
static void
after(void *thread)
{
	struct worker *w = thread;
	int64_t now = (int64_t)time(NULL);

	if (now - w->last_sweep >= SWEEP_INTERVAL + w->g->sweep_jitter)
		sweep(w, now);
}

static enum tg_err
gate_init(void *arg)
{
	struct gate *g = arg;
	struct tg_why why;
	enum tg_err rc;

	g->sweep_jitter = random_below(SWEEP_JITTER);
	rc = store_open(g->cfg->database, false, &g->store, &why);
	if (rc != TG_OK)
		TG_LOG(TG_LOG_ERR, "%s", why.text);
	return rc;
}

static void
gate_fini(void *arg)
{
	struct gate *g = arg;

	store_close(g->store);
	g->store = NULL;
}

static void *
worker_init(void *arg)
{
	struct worker *w = tg_xcalloc(1, sizeof(*w));

	w->g = arg;
	w->kr = keyring_new();
	w->cache = cache_new(w->g->cache_entries);
	return w;
}

static void
worker_fini(void *thread)
{
	struct worker *w = thread;

	cache_free(w->cache);
	keyring_free(w->kr);
	free(w);
}

/* What workers started from now get: the configuration and its per-thread share of the cache. */
static void
gate_use(struct gate *g, struct tg_config *cfg)
{
	log_set_level(cfg->log_level);
	log_open(cfg->log_sink, cfg->log_facility);
	g->cfg = cfg;
	g->cache_entries = (size_t)cfg->token_cache_entries / g->threads;
	if (cfg->token_cache_entries > 0 && g->cache_entries == 0)
		g->cache_entries = 1;
}

/* SIGHUP in the --listen supervisor: the configuration read again, for new workers. */
static enum tg_err
gate_reload(void *arg)
{
	struct gate *g = arg;
	struct tg_config *next = NULL;
	struct tg_why why;
	enum tg_err rc = config_load(config_path(), &next, &why);

	if (rc != TG_OK) {
		TG_LOG(TG_LOG_ERR, "%s", why.text);
		return rc;
	}
	g->prev = g->cfg;
	gate_use(g, next);
	return TG_OK;
}

static void
gate_reload_end(void *arg, bool is_kept)
{
	struct gate *g = arg;

	if (!is_kept) {
		config_free(g->cfg);
		gate_use(g, g->prev);
	} else {
		config_free(g->prev);
	}
	g->prev = NULL;
}

static const struct listen_ops ops = {
	.reload = gate_reload,
	.reload_end = gate_reload_end,
	.process_init = gate_init,
	.process_fini = gate_fini,
	.thread_init = worker_init,
	.thread_fini = worker_fini,
	.handle = handle,
	.after = after,
};

/* Plain CGI: one request, then exit; cold start is the whole cost, so nothing extra is set up. */
static int
run_cgi(struct gate *g)
{
	struct http_conn *c = http_conn_cgi();
	struct http_request req;
	struct http_response r;
	void *w;

	http_accept(c, &req);
	if (gate_init(g) != TG_OK) {
		http_response_init(&r, 500);
		http_set_error(&r, 500, "server_error", "the gateway cannot open its database");
		http_send(c, &r);
		http_response_fini(&r);
		http_finish(c);
		http_conn_free(c);
		return 1;
	}
	w = worker_init(g);
	answer(w, c, &req);
	http_finish(c);
	http_conn_free(c);
	if (random_below(CGI_SWEEP_ODDS) == 0) {
		/* The server ends a CGI response at EOF: the client need not wait for the sweep. */
		fclose(stdout);
		sweep(w, (int64_t)time(NULL));
	}
	worker_fini(w);
	gate_fini(g);
	return 0;
}

/*
 * Looks at the database (directory, files, owner, modes) without joining
 * it: a check must not create, recover or remove anything in an environment
 * the running gateway uses, nor run as root into files its workers then
 * cannot open.
 */
static int
check_config(const struct tg_config *cfg)
{
	struct tg_why why;
	enum tg_err rc = store_check(cfg->database, &why);

	if (rc != TG_OK) {
		fprintf(stderr, "tokengate: %s: database: %s\n", cfg->file, why.text);
		return 1;
	}
	printf("configuration OK\n");
	return 0;
}

static void
usage(FILE *f)
{
	fputs("usage: tokengate [-t] [--listen ADDR --workers N] [--threads M] [--pidfile FILE]\n"
	      "                 [--user USER [--group GROUP]] [--socket-mode MODE]\n"
	      "                 [--socket-group GROUP]\n"
	      "       tokengate --version | --help\n"
	      "\n"
	      "Session-token gateway. Started by a FastCGI server (lighttpd, Apache mod_fcgid,\n"
	      "spawn-fcgi) it serves FastCGI on file descriptor 0; started by a web server as a\n"
	      "CGI program it answers one request; with --listen it binds ADDR itself.\n"
	      "\n"
	      "  -t, --test            check the configuration and the database's files\n"
	      "                        (owner, modes; without opening it), print\n"
	      "                        \"configuration OK\" or the first error, and exit\n"
	      "  --listen ADDR         bind a unix socket path or IP:PORT (127.0.0.1:9000),\n"
	      "                        pre-fork workers, replace dead ones; SIGHUP reads the\n"
	      "                        configuration again and replaces the workers, SIGTERM\n"
	      "                        lets them answer what they hold and stops; stays in\n"
	      "                        the foreground\n"
	      "  --workers N           worker processes with --listen (default 2)\n"
	      "  --threads M           requests served at once per process (default 1); use\n"
	      "                        M >= kept-alive upstream connections per worker\n"
	      "  --pidfile FILE        write the supervisor's pid to FILE\n"
	      "  --user USER           workers run as USER (not root) once the socket is bound;\n"
	      "                        needs tokengate started as root\n"
	      "  --group GROUP         and as GROUP (default: USER's login group)\n"
	      "  --socket-mode MODE    the unix socket's octal mode (0660: owner and group)\n"
	      "  --socket-group GROUP  the unix socket's group (www-data: nginx may connect)\n"
	      "  -V, --version         print the name and version, and exit\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Configuration: $TOKENGATE_CONFIG, else " TG_SYSCONFDIR "/tokengate/tokengate.conf;\n"
	      "TOKENGATE_DB overrides its `database`.\n", f);
}

static bool
parse_count(const char *s, unsigned max, unsigned *out)
{
	int64_t n;

	if (number_parse(s, 1, max, &n) != TG_OK)
		return false;
	*out = (unsigned)n;
	return true;
}

/* An octal file mode, 0 to 0777 (the bits chmod takes for a socket), as chmod(1) writes it. */
static bool
parse_mode(const char *s, int *out)
{
	size_t len = strlen(s);
	int mode = 0;

	if (len == 0 || len > 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return false;
		mode = mode * 8 + (s[i] - '0');
	}
	if (mode > 0777)
		return false;
	*out = mode;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "test", no_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 'T' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct listen_opts lo = { .workers = 2, .threads = 1, .socket_mode = -1 };
	struct tg_config *cfg = NULL;
	struct gate g = { 0 };
	bool is_test = false, has_workers = false;
	struct tg_why why;
	int opt, status = 2;

	while ((opt = getopt_long(argc, argv, "thV", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': is_test = true; break;
		case 'l': lo.addr = optarg; break;
		case 'p': lo.pidfile = optarg; break;
		case 'u': lo.user = optarg; break;
		case 'g': lo.group = optarg; break;
		case 'G': lo.socket_group = optarg; break;
		case 'm':
			if (!parse_mode(optarg, &lo.socket_mode)) {
				fprintf(stderr, "tokengate: --socket-mode takes an octal mode from 0000 "
					"to 0777, such as 0660 (owner and group read and write)\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("tokengate " PACKAGE_VERSION); return 0;
		case 'w':
			has_workers = true;
			if (!parse_count(optarg, LISTEN_MAX_WORKERS, &lo.workers)) {
				fprintf(stderr, "tokengate: --workers takes 1 to %d\n", LISTEN_MAX_WORKERS);
				return 2;
			}
			break;
		case 'T':
			if (!parse_count(optarg, LISTEN_MAX_THREADS, &lo.threads)) {
				fprintf(stderr, "tokengate: --threads takes 1 to %d\n", LISTEN_MAX_THREADS);
				return 2;
			}
			break;
		default: usage(stderr); return 2;
		}
	}
	if (lo.group && !lo.user) {
		fprintf(stderr, "tokengate: --group needs --user (the workers' user; root is refused)\n");
		return 2;
	}
	if (optind < argc ||
	    ((has_workers || lo.pidfile || lo.user || lo.socket_mode >= 0 || lo.socket_group) &&
	     !lo.addr)) {
		usage(stderr);
		return 2;
	}
	/* A person at a terminal: no server's socket on stdin and no CGI request to answer. */
	if (!is_test && !lo.addr && http_is_cgi() && !getenv("GATEWAY_INTERFACE")) {
		fputs("tokengate: not started by a web server (no FastCGI socket on stdin, no "
		      "GATEWAY_INTERFACE); run it from one, or with --listen or -t\n\n", stderr);
		usage(stderr);
		return 2;
	}
	if (config_load(config_path(), &cfg, &why) != TG_OK) {
		/* One line on stderr, which lands in the server's error log. */
		fprintf(stderr, "tokengate: %s\n", why.text);
		return 1;
	}
	g.threads = lo.threads;
	gate_use(&g, cfg);
	if (is_test) {
		status = check_config(cfg);
	} else if (fetch_global_init(&why) != TG_OK) {
		fprintf(stderr, "tokengate: %s\n", why.text);
		status = 1;
	} else if (http_init() != TG_OK) {
		fprintf(stderr, "tokengate: cannot initialise libfcgi\n");
		status = 1;
	} else if (lo.addr) {
		status = listen_supervise(&lo, &ops, &g);
	} else if (http_is_cgi()) {
		status = run_cgi(&g);
	} else {
		status = listen_serve(0, lo.threads, &ops, &g);
	}
	config_free(g.cfg);
	return status;
}
