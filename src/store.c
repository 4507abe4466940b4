/*
 * The Berkeley DB 5.3 environment and its tables, shared by many processes.
 * The only file that includes <db.h>: every transaction begins and ends in
 * txn_once(), and lock conflicts (DB_LOCK_DEADLOCK, DB_LOCK_NOTGRANTED) and a
 * panicked environment are retried only in run(); a process wedged on a dead
 * process's mutex stops itself (watchdog_main). Never parses keys or tokens,
 * never prints secrets.
 *
 * Layout: one environment directory holding tokengate.db with these B-trees
 *   tenants      id                    -> tenant JSON (tenant_to_json)
 *   issuers      issuer                -> tenant id (unique)
 *   keys         tenant '\0' kid       -> key record v1 (below)
 *   apikeys      id                    -> API key record v1 (below)
 *   apikey_hash  SHA-256 hash (32)     -> API key id (unique)
 *   meta         "generation"          -> uint64, big-endian
 * Key record v1: u8 version=1, u8 state, u8 use, u8 alg name length L,
 *   L bytes alg name, i64 created (BE), u32 material length M (BE), M bytes
 *   material (keys_export form). The alg is stored by name so that
 *   reordering enum tg_alg never reinterprets a stored key.
 * API key record v1: u8 version=1, u8 revoked, i64 created (BE), 32 bytes
 *   hash, tenant id (rest of the record, no NUL).
 * Strings are stored without their NUL. A created time of 0 handed to an
 * add means "now".
 *
 * One store handle per process (DB_REGISTER allows one environment handle per
 * process); open it after fork, never before.
 */
#include "store.h"

#include "log.h"

#include <db.h>
#include <errno.h>
#include <json.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DB_FILE "tokengate.db"
#define CACHE_BYTES (4u * 1024 * 1024)
#define LOG_FILE_MAX (1u * 1024 * 1024)
#define CHECKPOINT_KBYTES 256
#define THREAD_SLOTS 256
#define MAX_RETRIES 100       /* about four seconds of backoff in all */
#define FAILCHK_EVERY 10      /* conflicts in a row before asking whether the holder died */
#define MAX_REOPENS 3
#define OPEN_RETRIES 5        /* 1.5 s of spaced retries in all */
#define WEDGED_SECONDS 30     /* no store call returns for this long: stop the process */
#define WEDGED_EXIT 2         /* tokengatectl's "environment" status */
#define KEYREC_VERSION 1
#define APIKEY_VERSION 1
#define APIKEY_FIXED (1 + 1 + 8 + TG_APIKEY_HASH_LEN)

enum table { T_TENANTS, T_ISSUERS, T_KEYS, T_APIKEYS, T_APIKEY_HASH, T_META, T_COUNT };

static const char *const table_names[T_COUNT] = {
	[T_TENANTS] = "tenants", [T_ISSUERS] = "issuers", [T_KEYS] = "keys",
	[T_APIKEYS] = "apikeys", [T_APIKEY_HASH] = "apikey_hash", [T_META] = "meta",
};

struct tg_store {
	char *dir;
	char *errpfx; /* "database DIR"; BDB keeps the pointer, so it lives as long as the handle */
	DB_ENV *env;  /* NULL after a failed reopen; the next operation tries again */
	DB *db[T_COUNT];
	atomic_int active;       /* store calls under way */
	atomic_uint_fast64_t progress; /* attempts finished, by any thread */
	pthread_t watchdog;
	pthread_mutex_t wd_lock;
	pthread_cond_t wd_wake;
	bool has_watchdog;
	bool is_closing;         /* under wd_lock */
};

/* Results of one operation; run() empties the outputs before each attempt. */
struct op {
	enum tg_err rc; /* logical outcome of the body: anything but TG_OK aborts */
	const struct tg_tenant *t;
	const struct tg_key_record *k;
	const struct tg_apikey *a;
	const char *tenant, *name; /* tenant id; kid, API key id or issuer */
	const unsigned char *hash;
	enum tg_key_state state;
	uint64_t gen;
	char *id_out;
	struct tg_tenant **tenants;
	size_t ntenants;
	struct tg_key_record **keys;
	size_t nkeys;
	struct tg_apikey **apikeys;
	size_t napikeys;
};

enum run_mode { RUN_READ, RUN_WRITE };

typedef int (*body_fn)(struct tg_store *s, DB_TXN *txn, struct op *op);

static _Thread_local char why_buf[512];

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

/* ------------------------------------------------------------ encoding */

static void
dbt_in(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)(uintptr_t)p; /* BDB reads input DBTs only */
	d->size = (u_int32_t)n;
}

static void
dbt_out(DBT *d)
{
	memset(d, 0, sizeof(*d));
	d->flags = DB_DBT_MALLOC; /* required on DB_THREAD handles */
}

/* Record bytes may hold key material. BDB and tg_xmalloc allocate with malloc. */
static void
wipe_free(void *p, size_t n)
{
	if (p)
		OPENSSL_cleanse(p, n);
	free(p);
}

static void
dbt_free(DBT *d)
{
	if (d->flags & DB_DBT_MALLOC)
		wipe_free(d->data, d->size);
	d->data = NULL;
	d->size = 0;
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static unsigned char *
key_id(const char *tenant, const char *kid, size_t *n)
{
	size_t tl = strlen(tenant), kl = kid ? strlen(kid) : 0;
	unsigned char *p = tg_xmalloc(tl + 1 + kl);

	memcpy(p, tenant, tl);
	p[tl] = '\0';
	if (kl)
		memcpy(p + tl + 1, kid, kl);
	*n = tl + 1 + kl;
	return p;
}

static unsigned char *
keyrec_encode(const struct tg_key_record *k, int64_t created, size_t *n)
{
	const char *alg = alg_name(k->alg);
	size_t al = strlen(alg), len = 4 + al + 8 + 4 + k->material.len;
	unsigned char *p = tg_xmalloc(len), *q = p;

	*q++ = KEYREC_VERSION;
	*q++ = (unsigned char)k->state;
	*q++ = (unsigned char)k->use;
	*q++ = (unsigned char)al;
	memcpy(q, alg, al);
	q += al;
	put_u64(q, (uint64_t)created);
	q += 8;
	for (int i = 3; i >= 0; i--)
		*q++ = (unsigned char)(k->material.len >> (8 * i));
	if (k->material.len)
		memcpy(q, k->material.p, k->material.len);
	*n = len;
	return p;
}

static bool
keyrec_decode(const DBT *key, const DBT *data, struct tg_key_record **out)
{
	const unsigned char *p = data->data, *kp = key->data, *nul;
	struct tg_key_record *r;
	size_t al, ml;
	char alg[16];

	nul = key->size ? memchr(kp, '\0', key->size) : NULL;
	if (!nul || data->size < 4 || p[0] != KEYREC_VERSION || p[1] > TG_KEY_RETIRED ||
	    p[2] > TG_KEY_USE_SIGN)
		return false;
	al = p[3];
	if (al >= sizeof(alg) || data->size < 4 + al + 12)
		return false;
	memcpy(alg, p + 4, al);
	alg[al] = '\0';
	ml = (size_t)p[4 + al + 8] << 24 | (size_t)p[4 + al + 9] << 16 |
	     (size_t)p[4 + al + 10] << 8 | p[4 + al + 11];
	if (data->size != 4 + al + 12 + ml)
		return false;
	r = tg_xcalloc(1, sizeof(*r));
	if (alg_from_name(alg, &r->alg) != TG_OK) {
		free(r);
		return false;
	}
	r->tenant = tg_xstrndup((const char *)kp, (size_t)(nul - kp));
	r->kid = tg_xstrndup((const char *)nul + 1, key->size - (size_t)(nul - kp) - 1);
	r->state = (enum tg_key_state)p[1];
	r->use = (enum tg_key_use)p[2];
	r->created = (int64_t)get_u64(p + 4 + al);
	secret_set(&r->material, p + 4 + al + 12, ml);
	*out = r;
	return true;
}

static unsigned char *
apikey_encode(const struct tg_apikey *a, int64_t created, size_t *n)
{
	size_t tl = strlen(a->tenant);
	unsigned char *p = tg_xmalloc(APIKEY_FIXED + tl);

	p[0] = APIKEY_VERSION;
	p[1] = a->revoked ? 1 : 0;
	put_u64(p + 2, (uint64_t)created);
	memcpy(p + 10, a->hash, TG_APIKEY_HASH_LEN);
	memcpy(p + APIKEY_FIXED, a->tenant, tl);
	*n = APIKEY_FIXED + tl;
	return p;
}

static bool
apikey_decode(const DBT *key, const DBT *data, struct tg_apikey **out)
{
	const unsigned char *p = data->data;
	struct tg_apikey *a;

	if (data->size <= APIKEY_FIXED || p[0] != APIKEY_VERSION || p[1] > 1 || key->size == 0)
		return false;
	a = tg_xcalloc(1, sizeof(*a));
	a->id = tg_xstrndup(key->data, key->size);
	a->revoked = p[1] == 1;
	a->created = (int64_t)get_u64(p + 2);
	memcpy(a->hash, p + 10, TG_APIKEY_HASH_LEN);
	a->tenant = tg_xstrndup((const char *)p + APIKEY_FIXED, data->size - APIKEY_FIXED);
	*out = a;
	return true;
}

static bool
tenant_decode(const DBT *data, struct tg_tenant **out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	bool is_ok = false;

	o = json_tokener_parse_ex(tok, data->data, (int)data->size);
	if (o && json_tokener_get_error(tok) == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == data->size)
		is_ok = tenant_from_json(o, out) == TG_OK;
	json_object_put(o);
	json_tokener_free(tok);
	return is_ok;
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
	if (ret == 0)
		ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
	/*
	 * Transactions never wait for locks (DB_TXN_NOWAIT, see txn_once), so
	 * this only matters for BDB's own internal lockers, such as DB->open.
	 */
	if (ret == 0)
		ret = env->set_lk_detect(env, DB_LOCK_YOUNGEST);
	if (ret == 0)
		ret = env->set_thread_count(env, THREAD_SLOTS);
	if (ret == 0)
		ret = env->set_isalive(env, is_alive);
	return ret;
}

/*
 * DB_REGISTER notices a registered process that died, and DB_RECOVER then
 * recovers the environment, which makes the other processes see DB_RUNRECOVERY
 * and reopen through run(). Not DB_FAILCHK: its try-failchk-first path attaches
 * to the old regions and waits forever on any mutex the dead process held.
 */
static int
open_env_once(struct tg_store *s, bool create)
{
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
			  DB_REGISTER | DB_RECOVER | DB_THREAD;
	u_int32_t dbflags = DB_AUTO_COMMIT | DB_THREAD | (create ? DB_CREATE : 0);
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
		ret = s->db[i]->open(s->db[i], NULL, DB_FILE, table_names[i], DB_BTREE, dbflags,
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
	return 0;
}

/*
 * A panicked environment is recovered by the next DB_REGISTER open. Recovery
 * that races a dying process can fail (EBUSY destroying a mutex still marked
 * held); the registry then leaves the dead slot for the next open, so a few
 * spaced retries get there.
 */
static int
open_env(struct tg_store *s, bool create)
{
	int ret = open_env_once(s, create);

	for (int i = 1; i <= OPEN_RETRIES && (ret == DB_RUNRECOVERY || ret == EBUSY); i++) {
		usleep(100000u * (useconds_t)i);
		ret = open_env_once(s, create);
	}
	return ret;
}

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

static bool
watchdog_start(struct tg_store *s)
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

static void
watchdog_stop(struct tg_store *s)
{
	pthread_mutex_lock(&s->wd_lock);
	s->is_closing = true;
	pthread_cond_signal(&s->wd_wake);
	pthread_mutex_unlock(&s->wd_lock);
	pthread_join(s->watchdog, NULL);
	pthread_cond_destroy(&s->wd_wake);
	pthread_mutex_destroy(&s->wd_lock);
}

static enum tg_err
prepare_dir(const char *dir, bool create, const char **why)
{
	struct stat st;
	char *file = tg_xasprintf("%s/%s", dir, DB_FILE);
	enum tg_err rc = TG_OK;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why_buf, sizeof(why_buf), "cannot create database directory %s: %s", dir,
			 strerror(errno));
		rc = TG_ERR_IO;
	} else if (!create && stat(file, &st) != 0) {
		snprintf(why_buf, sizeof(why_buf),
			 "no tokengate database in %s: run `tokengatectl --db %s init` first", dir,
			 dir);
		rc = TG_ERR_NOT_FOUND;
	}
	if (rc != TG_OK && why)
		*why = why_buf;
	free(file);
	return rc;
}

enum tg_err
store_open(const char *dir, bool create, struct tg_store **out, const char **why)
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
	/* Opening can wait on a mutex a dead process holds, too: the watchdog covers it. */
	s->has_watchdog = watchdog_start(s);
	if (!s->has_watchdog) {
		rc = TG_ERR_IO;
		snprintf(why_buf, sizeof(why_buf), "cannot start a thread for the database in %s",
			 dir);
		goto out;
	}
	atomic_fetch_add(&s->active, 1);
	ret = open_env(s, create);
	atomic_fetch_sub(&s->active, 1);
	if (ret == DB_RUNRECOVERY) {
		rc = TG_ERR_DB;
		snprintf(why_buf, sizeof(why_buf),
			 "recovery of the database in %s failed: restore it from a backup, "
			 "or run `db5.3_recover -c -h %s` as its owner", dir, dir);
	} else if (ret != 0) {
		rc = TG_ERR_DB;
		snprintf(why_buf, sizeof(why_buf), "cannot open the database in %s: %s", dir,
			 db_strerror(ret));
	}
	if (rc != TG_OK)
		goto out;
	*out = s; /* ownership moves to the caller */
	s = NULL;
out:
	if (rc != TG_OK && s && why)
		*why = why_buf;
	store_close(s);
	return rc;
}

void
store_close(struct tg_store *s)
{
	if (!s)
		return;
	atomic_fetch_add(&s->active, 1);
	close_handles(s);
	if (s->has_watchdog)
		watchdog_stop(s);
	free(s->dir);
	free(s->errpfx);
	free(s);
}

/* ------------------------------------------------------------ transactions */

static void
op_clear_outputs(struct op *op)
{
	op->rc = TG_OK;
	op->gen = 0;
	free(op->id_out);
	op->id_out = NULL;
	tenant_list_free(op->tenants, op->ntenants);
	op->tenants = NULL;
	op->ntenants = 0;
	keyrec_list_free(op->keys, op->nkeys);
	op->keys = NULL;
	op->nkeys = 0;
	apikey_list_free(op->apikeys, op->napikeys);
	op->apikeys = NULL;
	op->napikeys = 0;
}

/*
 * One attempt: the only place a transaction begins and ends. A body error or
 * a logical failure (op->rc) aborts.
 *
 * DB_TXN_NOWAIT: a lock conflict returns at once instead of sleeping inside
 * BDB. BDB 5.3 only times a lock wait out when its deadlock detector happens
 * to run again, so a process killed while holding locks would leave every
 * waiter asleep for good, and a waiter asleep in BDB never sees the panic
 * that recovery raises. Waiting in run() instead keeps every process able to
 * notice a dead holder (failchk) or a recovered environment (DB_RUNRECOVERY).
 */
static int
txn_once(struct tg_store *s, enum run_mode mode, body_fn body, struct op *op, bool *is_committing)
{
	DB_TXN *txn = NULL;
	int ret;

	*is_committing = false;
	ret = s->env->txn_begin(s->env, NULL, &txn, DB_TXN_NOWAIT);
	if (ret != 0)
		return ret;
	ret = body(s, txn, op);
	if (ret != 0 || op->rc != TG_OK) {
		int aret = txn->abort(txn);

		return ret != 0 ? ret : aret;
	}
	*is_committing = true;
	ret = txn->commit(txn, 0);
	if (ret == 0 && mode == RUN_WRITE)
		(void)s->env->txn_checkpoint(s->env, CHECKPOINT_KBYTES, 0, 0);
	return ret;
}

/* Exponential backoff up to 50 ms with jitter, so conflicting processes fall out of step. */
static void
backoff(int attempt)
{
	static uint32_t x;
	useconds_t cap = attempt < 6 ? 1000u << attempt : 50000u;

	if (!x)
		x = (uint32_t)getpid() * 2654435761u | 1;
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
 * to reopen it, the first of them running recovery (DB_REGISTER).
 */
static int
after_conflict(struct tg_store *s, int attempt)
{
	if (attempt % FAILCHK_EVERY == FAILCHK_EVERY - 1 &&
	    s->env->failchk(s->env, 0) == DB_RUNRECOVERY) {
		(void)s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1);
		return DB_RUNRECOVERY;
	}
	backoff(attempt);
	return 0;
}

/*
 * The one retry loop: lock conflicts back off and retry (after_conflict),
 * a panicked environment is closed and reopened, which recovers it. A commit
 * that failed is not retried: it may have reached the log, and repeating it
 * could act twice.
 */
static enum tg_err
run_attempts(struct tg_store *s, enum run_mode mode, body_fn body, struct op *op)
{
	int reopens = 0;

	for (int attempt = 0;; attempt++) {
		bool is_committing = false;
		int ret = 0;

		op_clear_outputs(op);
		if (!s->env)
			ret = open_env(s, false);
		if (ret == 0)
			ret = txn_once(s, mode, body, op, &is_committing);
		atomic_fetch_add(&s->progress, 1);
		if (ret == 0)
			return op->rc;
		if (is_committing) {
			report(s, "commit failed", ret);
			if (ret == DB_RUNRECOVERY)
				close_handles(s);
			return TG_ERR_DB;
		}
		if (is_conflict(ret) && attempt < MAX_RETRIES) {
			ret = after_conflict(s, attempt);
			if (ret == 0)
				continue;
		}
		if (ret == DB_RUNRECOVERY && reopens++ < MAX_REOPENS) {
			report(s, "a process died inside Berkeley DB; reopening to recover", ret);
			close_handles(s);
			attempt = -1;
			continue;
		}
		if (is_conflict(ret)) {
			report(s, "gave up after retries: another process holds the records", ret);
			return TG_ERR_BUSY;
		}
		report(s, "operation failed", ret);
		if (ret == DB_RUNRECOVERY)
			close_handles(s);
		return TG_ERR_DB;
	}
}

/* The watchdog counts calls under way; see watchdog_main. */
static enum tg_err
run(struct tg_store *s, enum run_mode mode, body_fn body, struct op *op)
{
	enum tg_err rc;

	atomic_fetch_add(&s->active, 1);
	rc = run_attempts(s, mode, body, op);
	atomic_fetch_sub(&s->active, 1);
	return rc;
}

/* A record we wrote no longer decodes: say which, and fail the operation. */
static int
corrupt(struct tg_store *s, struct op *op, const char *table)
{
	TG_LOG(TG_LOG_ERR, "%s: a record in table %s does not decode; restore it from a backup",
	       s->errpfx, table);
	op->rc = TG_ERR_DB;
	return 0;
}

/* ------------------------------------------------------------ generation */

static int
read_gen(struct tg_store *s, DB_TXN *txn, u_int32_t flags, uint64_t *gen)
{
	unsigned char buf[8];
	DBT k, d;
	int ret;

	dbt_in(&k, "generation", 10);
	memset(&d, 0, sizeof(d));
	d.data = buf;
	d.ulen = sizeof(buf);
	d.flags = DB_DBT_USERMEM;
	ret = s->db[T_META]->get(s->db[T_META], txn, &k, &d, flags);
	*gen = 0;
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == 0 && d.size == sizeof(buf))
		*gen = get_u64(buf);
	return ret;
}

static int
bump_gen(struct tg_store *s, DB_TXN *txn)
{
	unsigned char buf[8];
	uint64_t gen;
	DBT k, d;
	int ret;

	ret = read_gen(s, txn, DB_RMW, &gen);
	if (ret != 0)
		return ret;
	put_u64(buf, gen + 1);
	dbt_in(&k, "generation", 10);
	dbt_in(&d, buf, sizeof(buf));
	return s->db[T_META]->put(s->db[T_META], txn, &k, &d, 0);
}

static int
gen_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	return read_gen(s, txn, 0, &op->gen);
}

enum tg_err
store_generation(struct tg_store *s, uint64_t *out)
{
	struct op op = { 0 };
	enum tg_err rc = run(s, RUN_READ, gen_body, &op);

	if (rc == TG_OK)
		*out = op.gen;
	op_clear_outputs(&op);
	return rc;
}

/* ------------------------------------------------------------ record helpers */

/* Reads one record into d (DB_DBT_MALLOC, release with dbt_free); a miss is not an error. */
static int
fetch(struct tg_store *s, enum table t, DB_TXN *txn, const void *key, size_t n, u_int32_t flags,
      DBT *d, bool *is_found)
{
	DBT k;
	int ret;

	dbt_in(&k, key, n);
	dbt_out(d);
	ret = s->db[t]->get(s->db[t], txn, &k, d, flags);
	*is_found = ret == 0;
	return ret == DB_NOTFOUND ? 0 : ret;
}

static int
exists(struct tg_store *s, enum table t, DB_TXN *txn, const void *key, size_t n, u_int32_t flags,
       bool *is_found)
{
	DBT d;
	int ret = fetch(s, t, txn, key, n, flags, &d, is_found);

	dbt_free(&d);
	return ret;
}

static int
put(struct tg_store *s, enum table t, DB_TXN *txn, const void *key, size_t kn, const void *data,
    size_t dn)
{
	DBT k, d;

	dbt_in(&k, key, kn);
	dbt_in(&d, data, dn);
	return s->db[t]->put(s->db[t], txn, &k, &d, 0);
}

static int
del(struct tg_store *s, enum table t, DB_TXN *txn, const void *key, size_t n)
{
	DBT k;

	dbt_in(&k, key, n);
	return s->db[t]->del(s->db[t], txn, &k, 0);
}

typedef int (*visit_fn)(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d,
			struct op *op);

/* Calls visit for every record whose key starts with prefix (all records when plen is 0). */
static int
scan(struct tg_store *s, enum table t, DB_TXN *txn, const void *prefix, size_t plen,
     u_int32_t flags, visit_fn visit, struct op *op)
{
	u_int32_t how = plen ? DB_SET_RANGE : DB_FIRST;
	DBC *c = NULL;
	DBT k, d;
	int ret, cret;

	ret = s->db[t]->cursor(s->db[t], txn, &c, 0);
	if (ret != 0)
		return ret;
	dbt_out(&k);
	dbt_out(&d);
	if (plen) {
		k.data = (void *)(uintptr_t)prefix; /* replaced by the found key on success */
		k.size = (u_int32_t)plen;
	}
	for (;;) {
		ret = c->get(c, &k, &d, how | flags);
		if (ret != 0) {
			k.data = NULL; /* still ours (the prefix) or never allocated */
			break;
		}
		how = DB_NEXT;
		if (plen && (k.size < plen || memcmp(k.data, prefix, plen) != 0))
			break;
		ret = visit(s, txn, c, &k, &d, op);
		dbt_free(&k);
		dbt_free(&d);
		if (ret != 0 || op->rc != TG_OK)
			break;
	}
	dbt_free(&k);
	dbt_free(&d);
	cret = c->close(c);
	if (ret == DB_NOTFOUND)
		ret = 0;
	return ret != 0 ? ret : cret;
}

static void
append_tenant(struct op *op, struct tg_tenant *t)
{
	op->tenants = tg_xrealloc(op->tenants, (op->ntenants + 1) * sizeof(*op->tenants));
	op->tenants[op->ntenants++] = t;
}

static void
append_key(struct op *op, struct tg_key_record *r)
{
	op->keys = tg_xrealloc(op->keys, (op->nkeys + 1) * sizeof(*op->keys));
	op->keys[op->nkeys++] = r;
}

static void
append_apikey(struct op *op, struct tg_apikey *a)
{
	op->apikeys = tg_xrealloc(op->apikeys, (op->napikeys + 1) * sizeof(*op->apikeys));
	op->apikeys[op->napikeys++] = a;
}

static int
tenant_exists(struct tg_store *s, DB_TXN *txn, const char *id, struct op *op)
{
	bool is_found = false;
	int ret = exists(s, T_TENANTS, txn, id, strlen(id), 0, &is_found);

	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	return ret;
}

/* ------------------------------------------------------------ tenants */

static int
tenant_put(struct tg_store *s, DB_TXN *txn, const struct tg_tenant *t, int64_t created)
{
	struct json_object *o = tenant_to_json(t);
	const char *js;
	int ret;

	json_object_object_add(o, "created", json_object_new_int64(created));
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = put(s, T_TENANTS, txn, t->id, strlen(t->id), js, strlen(js));
	json_object_put(o);
	return ret;
}

/* Issuers are unique: an issuer may be free or already belong to tenant id. */
static int
issuer_check(struct tg_store *s, DB_TXN *txn, const char *issuer, const char *id, struct op *op)
{
	bool is_found = false;
	DBT d;
	int ret;

	ret = fetch(s, T_ISSUERS, txn, issuer, strlen(issuer), DB_RMW, &d, &is_found);
	if (ret == 0 && is_found && (d.size != strlen(id) || memcmp(d.data, id, d.size) != 0))
		op->rc = TG_ERR_EXISTS;
	dbt_free(&d);
	return ret;
}

static int
tenant_add_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	const struct tg_tenant *t = op->t;
	bool is_found = false;
	int ret;

	ret = exists(s, T_TENANTS, txn, t->id, strlen(t->id), DB_RMW, &is_found);
	if (ret == 0 && is_found)
		op->rc = TG_ERR_EXISTS;
	if (ret == 0 && op->rc == TG_OK && t->issuer)
		ret = issuer_check(s, txn, t->issuer, t->id, op);
	if (ret != 0 || op->rc != TG_OK)
		return ret;
	ret = tenant_put(s, txn, t, t->created ? t->created : (int64_t)time(NULL));
	if (ret == 0 && t->issuer)
		ret = put(s, T_ISSUERS, txn, t->issuer, strlen(t->issuer), t->id, strlen(t->id));
	if (ret == 0)
		ret = bump_gen(s, txn);
	return ret;
}

static int
tenant_update_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	const struct tg_tenant *t = op->t;
	struct tg_tenant *old = NULL;
	bool is_found = false;
	DBT d;
	int ret;

	ret = fetch(s, T_TENANTS, txn, t->id, strlen(t->id), DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	if (ret != 0 || op->rc != TG_OK)
		goto out;
	if (!tenant_decode(&d, &old)) {
		ret = corrupt(s, op, "tenants");
		goto out;
	}
	if (t->issuer)
		ret = issuer_check(s, txn, t->issuer, t->id, op);
	if (ret != 0 || op->rc != TG_OK)
		goto out;
	if (old->issuer && !(t->issuer && strcmp(old->issuer, t->issuer) == 0)) {
		ret = del(s, T_ISSUERS, txn, old->issuer, strlen(old->issuer));
		if (ret == DB_NOTFOUND)
			ret = 0;
	}
	if (ret == 0 && t->issuer)
		ret = put(s, T_ISSUERS, txn, t->issuer, strlen(t->issuer), t->id, strlen(t->id));
	if (ret == 0)
		ret = tenant_put(s, txn, t, t->created ? t->created : old->created);
	if (ret == 0)
		ret = bump_gen(s, txn);
out:
	dbt_free(&d);
	tenant_free(old);
	return ret;
}

static enum tg_err
tenant_write(struct tg_store *s, const struct tg_tenant *t, body_fn body)
{
	struct op op = { .t = t };
	enum tg_err rc;

	if (!tenant_id_is_valid(t->id) || (t->issuer && !t->issuer[0]))
		return TG_ERR_INVALID;
	rc = run(s, RUN_WRITE, body, &op);
	op_clear_outputs(&op);
	return rc;
}

enum tg_err
store_tenant_add(struct tg_store *s, const struct tg_tenant *t)
{
	return tenant_write(s, t, tenant_add_body);
}

enum tg_err
store_tenant_update(struct tg_store *s, const struct tg_tenant *t)
{
	return tenant_write(s, t, tenant_update_body);
}

static int
tenant_get_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_tenant *t;
	bool is_found = false;
	DBT d;
	int ret;

	ret = fetch(s, T_TENANTS, txn, op->tenant, strlen(op->tenant), 0, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && tenant_decode(&d, &t))
		append_tenant(op, t);
	else if (ret == 0)
		ret = corrupt(s, op, "tenants");
	dbt_free(&d);
	return ret;
}

enum tg_err
store_tenant_get(struct tg_store *s, const char *id, struct tg_tenant **out)
{
	struct op op = { .tenant = id };
	enum tg_err rc = run(s, RUN_READ, tenant_get_body, &op);

	if (rc == TG_OK) {
		*out = op.tenants[0]; /* ownership moves to the caller */
		op.ntenants = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
by_issuer_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	bool is_found = false;
	DBT d;
	int ret;

	ret = fetch(s, T_ISSUERS, txn, op->name, strlen(op->name), 0, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0)
		op->id_out = tg_xstrndup(d.data, d.size);
	dbt_free(&d);
	return ret;
}

enum tg_err
store_tenant_by_issuer(struct tg_store *s, const char *issuer, char **id_out)
{
	struct op op = { .name = issuer };
	enum tg_err rc = run(s, RUN_READ, by_issuer_body, &op);

	if (rc == TG_OK) {
		*id_out = op.id_out; /* ownership moves to the caller */
		op.id_out = NULL;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
visit_tenant(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d, struct op *op)
{
	struct tg_tenant *t;

	(void)txn;
	(void)c;
	(void)k;
	if (!tenant_decode(d, &t))
		return corrupt(s, op, "tenants");
	append_tenant(op, t);
	return 0;
}

static int
tenant_list_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	return scan(s, T_TENANTS, txn, NULL, 0, 0, visit_tenant, op);
}

enum tg_err
store_tenant_list(struct tg_store *s, struct tg_tenant ***out, size_t *n)
{
	struct op op = { 0 };
	enum tg_err rc = run(s, RUN_READ, tenant_list_body, &op);

	if (rc == TG_OK) {
		*out = op.tenants; /* ownership moves to the caller */
		*n = op.ntenants;
		op.tenants = NULL;
		op.ntenants = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
visit_delete(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d, struct op *op)
{
	(void)s;
	(void)txn;
	(void)k;
	(void)d;
	(void)op;
	return c->del(c, 0);
}

static int
visit_delete_apikey(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d,
		    struct op *op)
{
	struct tg_apikey *a = NULL;
	int ret = 0;

	if (!apikey_decode(k, d, &a))
		return corrupt(s, op, "apikeys");
	if (strcmp(a->tenant, op->tenant) == 0) {
		ret = del(s, T_APIKEY_HASH, txn, a->hash, TG_APIKEY_HASH_LEN);
		if (ret == 0 || ret == DB_NOTFOUND)
			ret = c->del(c, 0);
	}
	apikey_free(a);
	return ret;
}

static int
tenant_remove_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_tenant *t = NULL;
	bool is_found = false;
	unsigned char *prefix;
	size_t plen;
	DBT d;
	int ret;

	ret = fetch(s, T_TENANTS, txn, op->tenant, strlen(op->tenant), DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !tenant_decode(&d, &t))
		ret = corrupt(s, op, "tenants");
	dbt_free(&d);
	if (ret != 0 || op->rc != TG_OK)
		return ret;
	if (t->issuer) {
		ret = del(s, T_ISSUERS, txn, t->issuer, strlen(t->issuer));
		if (ret == DB_NOTFOUND)
			ret = 0;
	}
	tenant_free(t);
	if (ret == 0)
		ret = del(s, T_TENANTS, txn, op->tenant, strlen(op->tenant));
	prefix = key_id(op->tenant, NULL, &plen);
	if (ret == 0)
		ret = scan(s, T_KEYS, txn, prefix, plen, DB_RMW, visit_delete, op);
	free(prefix);
	if (ret == 0)
		ret = scan(s, T_APIKEYS, txn, NULL, 0, DB_RMW, visit_delete_apikey, op);
	if (ret == 0)
		ret = bump_gen(s, txn);
	return ret;
}

enum tg_err
store_tenant_remove(struct tg_store *s, const char *id)
{
	struct op op = { .tenant = id };
	enum tg_err rc = run(s, RUN_WRITE, tenant_remove_body, &op);

	op_clear_outputs(&op);
	return rc;
}

/* ------------------------------------------------------------ keys */

static int
key_add_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	const struct tg_key_record *k = op->k;
	unsigned char *id, *rec = NULL;
	size_t idlen, reclen = 0;
	bool is_found = false;
	int ret;

	id = key_id(k->tenant, k->kid, &idlen);
	ret = tenant_exists(s, txn, k->tenant, op);
	if (ret == 0 && op->rc == TG_OK)
		ret = exists(s, T_KEYS, txn, id, idlen, DB_RMW, &is_found);
	if (ret == 0 && is_found)
		op->rc = TG_ERR_EXISTS;
	if (ret != 0 || op->rc != TG_OK)
		goto out;
	rec = keyrec_encode(k, k->created ? k->created : (int64_t)time(NULL), &reclen);
	ret = put(s, T_KEYS, txn, id, idlen, rec, reclen);
	if (ret == 0)
		ret = bump_gen(s, txn);
out:
	wipe_free(rec, reclen);
	free(id);
	return ret;
}

enum tg_err
store_key_add(struct tg_store *s, const struct tg_key_record *k)
{
	struct op op = { .k = k };
	enum tg_err rc;

	if (!tenant_id_is_valid(k->tenant) || !k->kid || !k->kid[0] ||
	    k->alg <= TG_ALG_INVALID || k->alg >= TG_ALG_COUNT || k->state > TG_KEY_RETIRED ||
	    k->use > TG_KEY_USE_SIGN || k->material.len > UINT32_MAX)
		return TG_ERR_INVALID;
	rc = run(s, RUN_WRITE, key_add_body, &op);
	op_clear_outputs(&op);
	return rc;
}

static int
key_get_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_key_record *r;
	unsigned char *id;
	size_t idlen;
	bool is_found = false;
	DBT k, d;
	int ret;

	id = key_id(op->tenant, op->name, &idlen);
	ret = fetch(s, T_KEYS, txn, id, idlen, 0, &d, &is_found);
	dbt_in(&k, id, idlen);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && keyrec_decode(&k, &d, &r))
		append_key(op, r);
	else if (ret == 0)
		ret = corrupt(s, op, "keys");
	dbt_free(&d);
	free(id);
	return ret;
}

enum tg_err
store_key_get(struct tg_store *s, const char *tenant, const char *kid, struct tg_key_record **out)
{
	struct op op = { .tenant = tenant, .name = kid };
	enum tg_err rc = run(s, RUN_READ, key_get_body, &op);

	if (rc == TG_OK) {
		*out = op.keys[0]; /* ownership moves to the caller */
		op.nkeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
visit_key(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d, struct op *op)
{
	struct tg_key_record *r;

	(void)txn;
	(void)c;
	if (!keyrec_decode(k, d, &r))
		return corrupt(s, op, "keys");
	append_key(op, r);
	return 0;
}

static int
list_keys(struct tg_store *s, DB_TXN *txn, const char *tenant, struct op *op)
{
	unsigned char *prefix = NULL;
	size_t plen = 0;
	int ret;

	if (tenant)
		prefix = key_id(tenant, NULL, &plen);
	ret = scan(s, T_KEYS, txn, prefix, plen, 0, visit_key, op);
	free(prefix);
	return ret;
}

static int
key_list_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	int ret = 0;

	if (op->tenant)
		ret = tenant_exists(s, txn, op->tenant, op);
	if (ret != 0 || op->rc != TG_OK)
		return ret;
	return list_keys(s, txn, op->tenant, op);
}

enum tg_err
store_key_list(struct tg_store *s, const char *tenant, struct tg_key_record ***out, size_t *n)
{
	struct op op = { .tenant = tenant };
	enum tg_err rc = run(s, RUN_READ, key_list_body, &op);

	if (rc == TG_OK) {
		*out = op.keys; /* ownership moves to the caller */
		*n = op.nkeys;
		op.keys = NULL;
		op.nkeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
key_state_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_key_record *r = NULL;
	unsigned char *id, *rec = NULL;
	size_t idlen, reclen = 0;
	bool is_found = false;
	DBT k, d;
	int ret;

	id = key_id(op->tenant, op->name, &idlen);
	dbt_in(&k, id, idlen);
	ret = fetch(s, T_KEYS, txn, id, idlen, DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !keyrec_decode(&k, &d, &r))
		ret = corrupt(s, op, "keys");
	if (ret != 0 || op->rc != TG_OK || r->state == op->state)
		goto out;
	r->state = op->state;
	rec = keyrec_encode(r, r->created, &reclen);
	ret = put(s, T_KEYS, txn, id, idlen, rec, reclen);
	if (ret == 0)
		ret = bump_gen(s, txn);
out:
	wipe_free(rec, reclen);
	keyrec_free(r);
	dbt_free(&d);
	free(id);
	return ret;
}

enum tg_err
store_key_set_state(struct tg_store *s, const char *tenant, const char *kid,
		    enum tg_key_state state)
{
	struct op op = { .tenant = tenant, .name = kid, .state = state };
	enum tg_err rc;

	if (state > TG_KEY_RETIRED)
		return TG_ERR_INVALID;
	rc = run(s, RUN_WRITE, key_state_body, &op);
	op_clear_outputs(&op);
	return rc;
}

static int
key_remove_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	unsigned char *id;
	size_t idlen;
	int ret;

	id = key_id(op->tenant, op->name, &idlen);
	ret = del(s, T_KEYS, txn, id, idlen);
	free(id);
	if (ret == DB_NOTFOUND) {
		op->rc = TG_ERR_NOT_FOUND;
		return 0;
	}
	return ret != 0 ? ret : bump_gen(s, txn);
}

enum tg_err
store_key_remove(struct tg_store *s, const char *tenant, const char *kid)
{
	struct op op = { .tenant = tenant, .name = kid };
	enum tg_err rc = run(s, RUN_WRITE, key_remove_body, &op);

	op_clear_outputs(&op);
	return rc;
}

static int
snapshot_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	int ret = read_gen(s, txn, 0, &op->gen);

	if (ret == 0)
		ret = scan(s, T_TENANTS, txn, NULL, 0, 0, visit_tenant, op);
	if (ret == 0 && op->rc == TG_OK)
		ret = list_keys(s, txn, NULL, op);
	return ret;
}

enum tg_err
store_snapshot(struct tg_store *s, uint64_t *gen, struct tg_tenant ***tenants, size_t *ntenants,
	       struct tg_key_record ***keys, size_t *nkeys)
{
	struct op op = { 0 };
	enum tg_err rc = run(s, RUN_READ, snapshot_body, &op);

	if (rc == TG_OK) {
		*gen = op.gen; /* ownership of both lists moves to the caller */
		*tenants = op.tenants;
		*ntenants = op.ntenants;
		*keys = op.keys;
		*nkeys = op.nkeys;
		op.tenants = NULL;
		op.ntenants = 0;
		op.keys = NULL;
		op.nkeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

/* ------------------------------------------------------------ API keys */

static int
apikey_add_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	const struct tg_apikey *a = op->a;
	unsigned char *rec;
	size_t reclen;
	bool is_found = false;
	int ret;

	ret = tenant_exists(s, txn, a->tenant, op);
	if (ret == 0 && op->rc == TG_OK)
		ret = exists(s, T_APIKEYS, txn, a->id, strlen(a->id), DB_RMW, &is_found);
	if (ret == 0 && !is_found && op->rc == TG_OK)
		ret = exists(s, T_APIKEY_HASH, txn, a->hash, TG_APIKEY_HASH_LEN, DB_RMW, &is_found);
	if (ret == 0 && is_found)
		op->rc = TG_ERR_EXISTS;
	if (ret != 0 || op->rc != TG_OK)
		return ret;
	rec = apikey_encode(a, a->created ? a->created : (int64_t)time(NULL), &reclen);
	ret = put(s, T_APIKEYS, txn, a->id, strlen(a->id), rec, reclen);
	free(rec);
	if (ret == 0)
		ret = put(s, T_APIKEY_HASH, txn, a->hash, TG_APIKEY_HASH_LEN, a->id, strlen(a->id));
	return ret;
}

enum tg_err
store_apikey_add(struct tg_store *s, const struct tg_apikey *a)
{
	struct op op = { .a = a };
	enum tg_err rc;

	if (!tenant_id_is_valid(a->tenant) || !a->id || !a->id[0])
		return TG_ERR_INVALID;
	rc = run(s, RUN_WRITE, apikey_add_body, &op);
	op_clear_outputs(&op);
	return rc;
}

static int
visit_apikey(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d, struct op *op)
{
	struct tg_apikey *a;

	(void)txn;
	(void)c;
	if (!apikey_decode(k, d, &a))
		return corrupt(s, op, "apikeys");
	if (op->tenant && strcmp(a->tenant, op->tenant) != 0)
		apikey_free(a);
	else
		append_apikey(op, a);
	return 0;
}

static int
apikey_list_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	int ret = 0;

	if (op->tenant)
		ret = tenant_exists(s, txn, op->tenant, op);
	if (ret != 0 || op->rc != TG_OK)
		return ret;
	return scan(s, T_APIKEYS, txn, NULL, 0, 0, visit_apikey, op);
}

enum tg_err
store_apikey_list(struct tg_store *s, const char *tenant, struct tg_apikey ***out, size_t *n)
{
	struct op op = { .tenant = tenant };
	enum tg_err rc = run(s, RUN_READ, apikey_list_body, &op);

	if (rc == TG_OK) {
		*out = op.apikeys; /* ownership moves to the caller */
		*n = op.napikeys;
		op.apikeys = NULL;
		op.napikeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
apikey_revoke_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_apikey *a = NULL;
	unsigned char *rec = NULL;
	size_t reclen;
	bool is_found = false;
	DBT k, d;
	int ret;

	dbt_in(&k, op->name, strlen(op->name));
	ret = fetch(s, T_APIKEYS, txn, op->name, strlen(op->name), DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !apikey_decode(&k, &d, &a))
		ret = corrupt(s, op, "apikeys");
	else if (ret == 0 && strcmp(a->tenant, op->tenant) != 0)
		op->rc = TG_ERR_NOT_FOUND; /* another tenant's key is not this tenant's to revoke */
	if (ret == 0 && op->rc == TG_OK && !a->revoked) {
		a->revoked = true;
		rec = apikey_encode(a, a->created, &reclen);
		ret = put(s, T_APIKEYS, txn, op->name, strlen(op->name), rec, reclen);
	}
	free(rec);
	apikey_free(a);
	dbt_free(&d);
	return ret;
}

enum tg_err
store_apikey_revoke(struct tg_store *s, const char *tenant, const char *id)
{
	struct op op = { .tenant = tenant, .name = id };
	enum tg_err rc = run(s, RUN_WRITE, apikey_revoke_body, &op);

	op_clear_outputs(&op);
	return rc;
}

static int
apikey_find_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_apikey *a;
	bool is_found = false;
	DBT id, d;
	int ret;

	dbt_out(&d);
	ret = fetch(s, T_APIKEY_HASH, txn, op->hash, TG_APIKEY_HASH_LEN, 0, &id, &is_found);
	if (ret == 0 && is_found)
		ret = fetch(s, T_APIKEYS, txn, id.data, id.size, 0, &d, &is_found);
	if (ret == 0 && !is_found)
		op->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && apikey_decode(&id, &d, &a))
		append_apikey(op, a);
	else if (ret == 0)
		ret = corrupt(s, op, "apikeys");
	dbt_free(&id);
	dbt_free(&d);
	return ret;
}

enum tg_err
store_apikey_find(struct tg_store *s, const unsigned char hash[TG_APIKEY_HASH_LEN],
		  struct tg_apikey **out)
{
	struct op op = { .hash = hash };
	enum tg_err rc = run(s, RUN_READ, apikey_find_body, &op);

	if (rc == TG_OK) {
		*out = op.apikeys[0]; /* ownership moves to the caller */
		op.napikeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}
