/*
 * The gateway program: options, configuration, and the request dispatch
 * shared by its three ways of running (under a FastCGI server, as a --listen
 * supervisor, or as one CGI request). Roles: FastCGI AUTHORIZER answers with
 * Variable-* headers; the responder routes on PATH_INFO. Never parses tokens.
 */
#include "authz.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "store.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One per worker process. */
struct gate {
	const struct tg_config *cfg;
	struct tg_store *store;
	/* store.c may reopen its environment in place, so threads take turns with it. */
	pthread_mutex_t store_lock;
	size_t cache_entries; /* per thread: the configured total split between threads */
};

/* One per thread: nothing here is shared, so the request path takes no lock but the store's. */
struct worker {
	struct gate *g;
	struct keyring *kr;
	struct tg_cache *cache;
};

struct route {
	const char *method; /* NULL: any */
	const char *path;   /* http_path_match pattern, relative to the mount */
	void (*run)(struct worker *w, const struct http_request *req,
		    const struct http_path_args *args, struct http_response *r);
};

static void
authorize(struct worker *w, const struct http_request *req, enum http_role role,
	  struct http_response *r)
{
	struct authz_env env = {
		.cfg = w->g->cfg, .kr = w->kr, .cache = w->cache, .now = (int64_t)time(NULL),
	};
	struct authz_decision d;

	authz_decide(&env, req, &d);
	if (d.status == 200)
		TG_LOG(TG_LOG_DEBUG, "allow %s %s%s for \"%s\"", d.source, d.token_mask,
		       d.is_cached ? " (cached)" : "", d.user);
	else
		TG_LOG(d.status == 500 ? TG_LOG_ERR : TG_LOG_INFO, "refuse %d %s%s%s%s%s%s%s: %s",
		       d.status, d.error ? d.error : "no_token", d.reason ? " " : "",
		       d.reason ? tg_reason_code(d.reason) : "", d.source ? " " : "",
		       d.source ? d.source : "", d.source ? " " : "", d.source ? d.token_mask : "",
		       d.description);
	authz_render(&d, role, w->g->cfg->realm, r);
	authz_decision_fini(&d);
}

/* nginx auth_request: any method, since the subrequest keeps the original one. */
static void
route_authorize(struct worker *w, const struct http_request *req,
		const struct http_path_args *args, struct http_response *r)
{
	(void)args;
	authorize(w, req, HTTP_ROLE_RESPONDER, r);
}

/* The HTTP API; the next endpoints (/v1/sessions/{} ...) join this table. */
static const struct route routes[] = {
	{ NULL, "/v1/authorize", route_authorize },
};

static void
dispatch(struct worker *w, const struct http_request *req, struct http_response *r)
{
	struct http_path_args args;
	const struct route *path_hit = NULL;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];

		if (!http_path_match(rt->path, req->path_info, &args))
			continue;
		path_hit = rt;
		if (!rt->method || (req->method && strcmp(rt->method, req->method) == 0)) {
			rt->run(w, req, &args, r);
			return;
		}
	}
	if (path_hit) {
		http_response_init(r, 405);
		http_header_add(r, "Allow", path_hit->method);
		http_set_error(r, 405, "method_not_allowed", "this endpoint does not take that method");
		return;
	}
	http_response_init(r, 404);
	http_set_error(r, 404, "not_found", "no such endpoint (the API routes on PATH_INFO)");
}

/* The per-request generation read; keys are re-parsed only when it moved. */
static bool
refresh(struct worker *w)
{
	enum tg_err rc;

	pthread_mutex_lock(&w->g->store_lock);
	rc = keyring_refresh(w->kr, w->g->store, NULL);
	pthread_mutex_unlock(&w->g->store_lock);
	if (rc != TG_OK)
		TG_LOG(TG_LOG_ERR, "cannot read tenants and keys from %s: %s; refusing requests",
		       w->g->cfg->database, tg_err_str(rc));
	return rc == TG_OK;
}

static void
handle(void *thread, struct http_conn *c, const struct http_request *req)
{
	struct worker *w = thread;
	struct http_response r;

	if (!refresh(w)) {
		/* Fail closed: a stale keyring could still honour a removed key. */
		http_response_init(&r, 500);
		http_set_error(&r, 500, "server_error", "the gateway cannot read its database");
	} else if (req->role == HTTP_ROLE_AUTHORIZER) {
		authorize(w, req, HTTP_ROLE_AUTHORIZER, &r);
	} else {
		dispatch(w, req, &r);
	}
	if (http_send(c, &r) != TG_OK)
		TG_LOG(TG_LOG_INFO, "the server closed the connection before the answer was sent");
	http_response_fini(&r);
}

static enum tg_err
gate_init(void *arg)
{
	struct gate *g = arg;
	const char *why = NULL;
	enum tg_err rc;

	rc = store_open(g->cfg->database, false, &g->store, &why);
	if (rc != TG_OK)
		TG_LOG(TG_LOG_ERR, "%s", why ? why : tg_err_str(rc));
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

static const struct listen_ops ops = {
	.process_init = gate_init,
	.process_fini = gate_fini,
	.thread_init = worker_init,
	.thread_fini = worker_fini,
	.handle = handle,
};

/* Plain CGI: one request, then exit; cold start is the whole cost, so nothing extra is set up. */
static int
run_cgi(struct gate *g)
{
	struct http_conn *c = http_conn_cgi();
	struct http_request req;
	struct http_response r;
	void *w;
	int status = 0;

	http_accept(c, &req);
	if (gate_init(g) == TG_OK) {
		w = worker_init(g);
		handle(w, c, &req);
		worker_fini(w);
		gate_fini(g);
	} else {
		http_response_init(&r, 500);
		http_set_error(&r, 500, "server_error", "the gateway cannot open its database");
		http_send(c, &r);
		http_response_fini(&r);
		status = 1;
	}
	http_finish(c);
	http_conn_free(c);
	return status;
}

static int
check_config(const struct tg_config *cfg)
{
	struct tg_store *s = NULL;
	const char *why = NULL;
	enum tg_err rc = store_open(cfg->database, false, &s, &why);

	if (rc != TG_OK) {
		fprintf(stderr, "tokengate: %s: database: %s\n", cfg->file,
			why ? why : tg_err_str(rc));
		return 1;
	}
	store_close(s);
	printf("configuration OK\n");
	return 0;
}

static void
usage(FILE *f)
{
	fputs("usage: tokengate [-t] [--listen ADDR --workers N] [--threads M] [--pidfile FILE]\n"
	      "\n"
	      "Session-token gateway. Started by a FastCGI server (lighttpd, Apache mod_fcgid,\n"
	      "spawn-fcgi) it serves FastCGI on file descriptor 0; started by a web server as a\n"
	      "CGI program it answers one request; with --listen it binds ADDR itself.\n"
	      "\n"
	      "  -t, --test            check the configuration and database, print\n"
	      "                        \"configuration OK\" or the first error, and exit\n"
	      "  --listen ADDR         bind a unix socket path or IP:PORT (127.0.0.1:9000),\n"
	      "                        pre-fork workers, replace dead ones, stop on SIGTERM;\n"
	      "                        stays in the foreground\n"
	      "  --workers N           worker processes with --listen (default 2)\n"
	      "  --threads M           requests served at once per process (default 1); use\n"
	      "                        M >= kept-alive upstream connections per worker\n"
	      "  --pidfile FILE        write the supervisor's pid to FILE\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Configuration: $TOKENGATE_CONFIG, else " TG_SYSCONFDIR "/tokengate/tokengate.conf;\n"
	      "TOKENGATE_DB overrides its `database`.\n", f);
}

static bool
parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end;
	long n;

	if (!s || *s < '0' || *s > '9')
		return false;
	n = strtol(s, &end, 10);
	if (*end || n < 1 || (unsigned long)n > max)
		return false;
	*out = (unsigned)n;
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct listen_opts lo = { .workers = 2, .threads = 1 };
	struct tg_config *cfg = NULL;
	struct gate g = { 0 };
	bool is_test = false, has_workers = false;
	char *why = NULL;
	int opt, status = 2;

	while ((opt = getopt_long(argc, argv, "th", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': is_test = true; break;
		case 'l': lo.addr = optarg; break;
		case 'p': lo.pidfile = optarg; break;
		case 'h': usage(stdout); return 0;
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
	if (optind < argc || ((has_workers || lo.pidfile) && !lo.addr)) {
		usage(stderr);
		return 2;
	}
	if (config_load(config_path(), &cfg, &why) != TG_OK) {
		/* One line on stderr, which lands in the server's error log. */
		fprintf(stderr, "tokengate: %s\n", why);
		free(why);
		return 1;
	}
	log_set_level(cfg->log_level);
	g.cfg = cfg;
	pthread_mutex_init(&g.store_lock, NULL);
	g.cache_entries = (size_t)cfg->token_cache_entries / lo.threads;
	if (cfg->token_cache_entries > 0 && g.cache_entries == 0)
		g.cache_entries = 1;
	if (is_test) {
		status = check_config(cfg);
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
	pthread_mutex_destroy(&g.store_lock);
	config_free(cfg);
	return status;
}
