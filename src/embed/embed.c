/*
 * A web server module's handle on the authorizer: the configuration, the
 * database opened in this worker (with signals blocked in its threads, which
 * belong to the host), and a free list of keyrings and caches, one per
 * thread deciding at once. Owns no rule of its own: every decision is
 * authz_run's. Never writes the database, never fetches.
 */
#include "embed/embed.h"

#include "base/log.h"
#include "join/keyring_sync.h"
#include "store/store.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REOPEN_SECONDS 1 /* a database that would not open is tried again this often */

/* One thread's keyring and cache, taken for a decision and put back. */
struct slot {
	struct keyring *kr;
	struct tg_cache *cache;
	struct slot *next;
};

struct embed {
	struct tg_config *cfg;
	pthread_mutex_t lock;   /* store (while NULL), next_open and free */
	struct tg_store *store; /* NULL until it opens */
	int64_t next_open;
	struct slot *free;
};

/*
 * The store's watchdog and checkpointer threads start with every signal
 * blocked: a signal the host's workers expect (nginx's SIGQUIT, Apache's
 * SIGTERM) must reach the thread that waits for it.
 */
static void
open_store(struct embed *e, int64_t now)
{
	sigset_t all, old;
	struct tg_why why;
	enum tg_err rc;

	e->next_open = now + REOPEN_SECONDS;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = store_open(e->cfg->database, false, &e->store, &why);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != TG_OK)
		TG_LOG(TG_LOG_ERR, "%s; requests are refused with 500 until it opens (tried again "
		       "every %d s)", why.text, REOPEN_SECONDS);
}

enum tg_err
embed_open(const char *path, struct embed **out, struct tg_why *why)
{
	struct tg_config *cfg = NULL;
	struct embed *e;
	enum tg_err rc;

	rc = config_load(path ? path : config_path(), &cfg, why);
	if (rc != TG_OK)
		return rc;
	log_set_level(cfg->log_level);
	log_open(cfg->log_sink, cfg->log_facility);
	e = tg_xcalloc(1, sizeof(*e));
	e->cfg = cfg;
	pthread_mutex_init(&e->lock, NULL);
	open_store(e, (int64_t)time(NULL));
	*out = e; /* ownership moves to the caller */
	return TG_OK;
}

void
embed_close(struct embed *e)
{
	struct slot *next;

	if (!e)
		return;
	for (struct slot *s = e->free; s; s = next) {
		next = s->next;
		cache_free(s->cache);
		keyring_free(s->kr);
		free(s);
	}
	store_close(e->store);
	pthread_mutex_destroy(&e->lock);
	config_free(e->cfg);
	free(e);
}

/* A free slot (a new one when every slot is in use), and the store if it is open. */
static struct slot *
take(struct embed *e, int64_t now, struct tg_store **store)
{
	struct slot *s;

	pthread_mutex_lock(&e->lock);
	if (!e->store && now >= e->next_open)
		open_store(e, now);
	*store = e->store;
	s = e->free;
	if (s)
		e->free = s->next;
	pthread_mutex_unlock(&e->lock);
	if (!s) {
		s = tg_xcalloc(1, sizeof(*s));
		s->kr = keyring_new();
		/* The whole configured size: a worker thread's share, as a FastCGI worker's. */
		s->cache = cache_new((size_t)e->cfg->token_cache_entries);
	}
	return s;
}

static void
put_back(struct embed *e, struct slot *s)
{
	pthread_mutex_lock(&e->lock);
	s->next = e->free;
	e->free = s;
	pthread_mutex_unlock(&e->lock);
}

/*
 * authz_env's session check, as api_session_check answers it for the FastCGI
 * workers; not that one, whose file would bring the whole API (and libfcgi)
 * into the module.
 */
static enum tg_err
session_live(void *store, const char *tenant, const char *sid, int64_t now)
{
	return store_session_check(store, tenant, sid, now);
}

/* Fail closed: no decision without a configuration and a database. */
static void
refuse_unopened(const char *why, struct authz_decision *d, struct http_response *r)
{
	http_response_init(r, 500);
	http_set_error(r, 500, "server_error", why);
	d->status = 500;
}

void
embed_decide(struct embed *e, const struct authz_request *req, struct authz_decision *d,
	     struct http_response *r)
{
	struct tg_store *store;
	struct authz_env ae;
	int64_t now = (int64_t)time(NULL);
	struct slot *s;
	enum tg_err rc;

	memset(d, 0, sizeof(*d));
	if (!e) {
		refuse_unopened("the gateway's configuration did not load in this worker; the web "
				"server's error log says why", d, r);
		return;
	}
	s = take(e, now, &store);
	if (!store) {
		refuse_unopened("the gateway cannot open its database; the error log says why", d, r);
		goto out;
	}
	rc = keyring_refresh(s->kr, store, e->cfg->database);
	if (rc != TG_OK) {
		authz_render_unread(rc, r);
		d->status = r->status;
		goto out;
	}
	/* No unknown_kid: a module never fetches a key set (docs/servers.md). */
	ae = (struct authz_env){
		.cfg = e->cfg, .kr = s->kr, .cache = s->cache, .now = now,
		.session_check = session_live, .session_ctx = store,
	};
	authz_run(&ae, req, HTTP_ROLE_EMBEDDED, d, r);
out:
	put_back(e, s);
}

void
embed_done(struct authz_decision *d, struct http_response *r)
{
	authz_decision_fini(d);
	http_response_fini(r);
}
