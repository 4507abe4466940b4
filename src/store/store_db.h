/*
 * Internal to the store (the files of src/store/), the only files that may include this
 * header or <db.h>: the directory's file names, the table list, the one retry loop that runs every
 * transaction (store_run), the record helpers, and the few record functions
 * one of those files lends another. Nothing outside store*.c sees a DB_TXN or
 * a DBT.
 */
#ifndef TG_STORE_DB_H
#define TG_STORE_DB_H

#include "base/bytes.h"
#include "store/store.h"
#include "store/store_admin.h"

#include <db.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_DB_FILE "tokengate.db"     /* the tables */
#define STORE_LOCK_FILE "tokengate.lock" /* the open lock (store_lock_dir) */
#define STORE_HINT_FILE "tokengate.hint" /* the change hint (store_hint.c) */
#define STORE_REGISTRY "__db.register"   /* BDB's registry of processes (DB_REGISTER) */
/* A registry line: BDB's env_register.c writes "%24lu\n", or "X" padding once the slot is free. */
#define STORE_REGISTRY_SLOT 25

/* The B-trees of tokengate.db; their record formats are listed at the top of store.c. */
enum store_table {
	T_TENANTS,
	T_ISSUERS,
	T_KEYS,
	T_APIKEYS,
	T_APIKEY_HASH,
	T_META,
	T_SESSIONS,
	T_SESSION_USER,
	T_SESSION_END,
	T_SESSION_REFRESH,
	T_REFRESH,
	T_RATE,
	T_JOBS,
	T_USERS,
	T_USER_EMAIL,
	T_THROTTLE,
	T_COUNT
};

enum store_mode {
	STORE_READ,
	STORE_WRITE,        /* the commit waits for the log to reach the disk */
	STORE_WRITE_NOSYNC, /* the commit does not wait: only for state a crash may lose */
};

struct store_call;

/*
 * One attempt's work inside transaction txn. Returns a Berkeley DB error
 * (retried or reported by store_run); a logical outcome goes to c->rc.
 */
typedef int (*store_body_fn)(struct tg_store *s, DB_TXN *txn, struct store_call *c);

/*
 * The head of every operation: each file embeds it as the member `call` of
 * its own operation struct and gets back to that struct with STORE_OP_OF.
 */
struct store_call {
	store_body_fn body;
	void (*reset)(struct store_call *c); /* empties outputs; NULL: none */
	enum store_mode mode; /* read when the commit is made: a body may make its own durable */
	enum tg_err rc;   /* set by body: anything but TG_OK aborts the transaction... */
	bool must_commit; /* ...unless body also sets this (a failure whose writes must stand) */
	bool is_patient;  /* conflicts retry five times as long (about 20 s): see store_jobs.c */
};

#define STORE_OP_OF(c, type) ((type *)(void *)((char *)(c) - offsetof(type, call)))

/*
 * Runs c->body in a transaction until it commits, aborts on a logical
 * outcome, or fails: lock conflicts back off and retry, a panicked
 * environment is reopened. Before each attempt c->rc is TG_OK and c->reset
 * has emptied the outputs. Safe from many threads at once.
 */
enum tg_err store_run(struct tg_store *s, struct store_call *c);

/* A record that no longer decodes: logs which table and sets c->rc to TG_ERR_DB. */
int store_corrupt(struct tg_store *s, struct store_call *c, const char *table);

/* The handle of a table, for reads the helpers below do not cover. */
DB *store_db(struct tg_store *s, enum store_table t);

/* ---- records */

void store_dbt_in(DBT *d, const void *p, size_t n);
void store_dbt_out(DBT *d);
/* Wipes and frees what store_dbt_out received (record bytes may hold key material). */
void store_dbt_free(DBT *d);

/*
 * The key "tenant \0 rest" of a tenant's record, malloc'd, *n bytes (rest NULL: the prefix
 * of all the tenant's keys in that table).
 */
unsigned char *store_tenant_key(const char *tenant, const char *rest, size_t *n);
/* Reads one record into d (release with store_dbt_free); a miss is not an error. */
int store_fetch(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t n,
		u_int32_t flags, DBT *d, bool *is_found);
int store_exists(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t n,
		 u_int32_t flags, bool *is_found);
int store_put(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t kn,
	      const void *data, size_t dn);
/* DB_NOTFOUND when there was nothing to delete. */
int store_del(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t n);

typedef int (*store_visit_fn)(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k,
			      const DBT *d, struct store_call *c);

/* A visit that returns this ends its walk early without an error. */
#define STORE_SCAN_STOP DB_NOTFOUND

/*
 * Calls visit for every record whose key starts with prefix (every record
 * when plen is 0), in key order, until visit fails, sets c->rc or returns
 * STORE_SCAN_STOP. flags go to each get, except DB_READ_COMMITTED, which makes
 * the cursor keep a read lock only on the page it stands on: a walk whose
 * lock use must not grow with the number of records it passes.
 */
int store_scan(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *prefix,
	       size_t plen, u_int32_t flags, store_visit_fn visit, struct store_call *c);
/* store_scan from the first key at or after start (which starts with prefix; NULL: prefix). */
int store_scan_from(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *prefix,
		    size_t plen, const void *start, size_t slen, u_int32_t flags,
		    store_visit_fn visit, struct store_call *c);
/*
 * Ends a cursor walk: frees k and d, closes cur, and returns the walk's error
 * (DB_NOTFOUND, the end of the records, is none) or else the close's.
 */
int store_cursor_done(DBC *cur, DBT *k, DBT *d, int ret);

/* ---- the handle itself: store_env.c owns it, store_threads.c runs its threads */

struct tg_store {
	char *dir;
	char *errpfx; /* "database DIR"; BDB keeps the pointer, so it lives as long as the handle */
	/*
	 * Shared by every attempt for its whole transaction; exclusive to
	 * close and reopen the handles below, so no thread is inside BDB then.
	 */
	pthread_rwlock_t lock;
	DB_ENV *env;    /* NULL after a failed reopen; the next operation tries again */
	DB *db[T_COUNT];
	uint64_t epoch; /* handles closed so far: a thread drops only the handles it failed on */
	struct store_hint *hint;   /* this epoch's mapping of tokengate.hint; NULL: none */
	struct store_cache *cache; /* answers kept across epochs, each stamped with its own */
	bool has_warned_hint;      /* under the exclusive hold */
	pid_t live_user;           /* the process an open found still using a region-less environment */
	atomic_int active;       /* store calls under way */
	atomic_uint_fast64_t progress; /* attempts finished, by any thread */
	atomic_int opening;      /* threads opening (may wait on a recovery) or closing the handles */
	atomic_int awaiting;     /* threads waiting for the exclusive hold (to close or open handles) */
	pthread_t watchdog;
	pthread_mutex_t wd_lock;
	pthread_cond_t wd_wake;
	bool has_watchdog;
	bool is_closing;         /* under wd_lock */
	pthread_t checkpointer;  /* shares wd_lock and wd_wake with the watchdog */
	bool has_checkpointer;
	bool is_checkpointer_stopping; /* under wd_lock */
	int checkpoint_fd;       /* tokengate.db, for the lock that lets one process checkpoint */
};

/*
 * store_env.c: recovers the environment in s->dir from its log (is_catastrophic:
 * from every log file, DB_RECOVER_FATAL), leaving fresh regions. Only under the
 * open lock, with no process attached or every attached one panicked.
 */
int store_env_recover(struct tg_store *s, bool is_catastrophic);
/*
 * store_admin.c: takes the flock on dir's tokengate.lock (waiting for it, or
 * EWOULDBLOCK) that every opener holds while it decides whether to recover and
 * joins; closing *fd releases it. An errno on failure.
 */
int store_lock_dir(const char *dir, bool is_waiting, int *fd);
/* store_admin.c: whether dir has an entry whose name starts with prefix ("" for any). */
bool store_dir_has(const char *dir, const char *prefix);
/* open_env's answer when regions are gone under a live process (never a BDB code). */
#define TG_STORE_ORPHANED (-29999)

/* store_threads.c; each start answers whether the thread runs. */
bool store_watchdog_start(struct tg_store *s);
void store_watchdog_stop(struct tg_store *s);
bool store_checkpointer_start(struct tg_store *s);
void store_checkpointer_stop(struct tg_store *s);

/* ---- lent by one table's file to another */

/* Sets c->rc to TG_ERR_NOT_FOUND when tenant id does not exist (store_rec.c). */
int store_tenant_exists(struct tg_store *s, DB_TXN *txn, const char *id, struct store_call *c);

/* Deletes every API key of tenant and its hash index entry, for its removal (store_apikey.c). */
int store_apikey_drop_tenant(struct tg_store *s, DB_TXN *txn, const char *tenant,
			     struct store_call *c);
/* Deletes every user of tenant with its email index entries, for its removal (store_user.c). */
int store_user_drop_tenant(struct tg_store *s, DB_TXN *txn, const char *tenant,
			   struct store_call *c);
/* A removed tenant's key-set fetch record (store_jwks.c), in the removal's transaction. */
int store_jwks_forget(struct tg_store *s, DB_TXN *txn, const char *tenant);

/* Key lengths of session_end and session_refresh (formats at the top of store.c). */
#define STORE_END_KEY_LEN (1 + 8 + TG_SESSION_ID_LEN)
#define STORE_SESSION_REFRESH_LEN (TG_SESSION_ID_LEN + TG_REFRESH_HASH_LEN)

/*
 * The session_user key tenant '\0' user '\0' sid, or the prefix of it that
 * ends after user (sid NULL) or tenant (user NULL too). Caller frees (store_session.c).
 */
unsigned char *store_session_user_key(const char *tenant, const char *user, const char *sid,
				      size_t *n);

/*
 * Ends the session that session_user entry k names when it was created at or
 * before cutoff and was live then (revoked = cutoff); *changed gets 1 when it
 * ended, else 0. An entry whose session is gone is corrupt (store_session.c).
 */
int store_session_end_indexed(struct tg_store *s, DB_TXN *txn, const DBT *k, const char *tenant,
			      int64_t cutoff, struct store_call *c, size_t *changed);
/*
 * Deletes the session that session_user entry k names, with its index
 * entries, refresh tokens and rate bucket (or only the entry when its session
 * is gone); *changed gets the records deleted (store_session.c).
 */
int store_session_drop_indexed(struct tg_store *s, DB_TXN *txn, const DBT *k,
			       struct store_call *c, size_t *changed);
/*
 * Deletes session sid with its session_user entry, refresh tokens and rate
 * bucket, and its session_end entry when is_end_dropped (the sweep's cursor
 * deletes that one itself); *records gets what went, *is_gone whether the
 * session was there. A missing or undecodable session is left to the caller's
 * entry (store_session.c).
 */
int store_session_drop(struct tg_store *s, DB_TXN *txn, const char *sid, bool is_end_dropped,
		       struct store_call *c, size_t *records, bool *is_gone);

/* ---- jobs: work too large for one transaction (store_jobs.c) */

enum store_job_kind {
	STORE_JOB_LOGOUT = 'L', /* end a user's sessions created by cutoff and live then */
	STORE_JOB_PURGE = 'P',  /* delete every session of a removed tenant */
};

/* Records a job (user NULL for a purge) inside txn, to run from its start. */
int store_job_put(struct tg_store *s, DB_TXN *txn, enum store_job_kind kind, const char *tenant,
		  const char *user, int64_t cutoff);
/*
 * Runs at most max_batches of the job's batches, each its own transaction,
 * the last of them durable; *count (may be NULL) gets the sessions ended or
 * records deleted, *is_done (may be NULL) whether no job record is left.
 * A job that is not recorded is done at once.
 */
enum tg_err store_job_finish(struct tg_store *s, enum store_job_kind kind, const char *tenant,
			     const char *user, size_t max_batches, size_t *count, bool *is_done);
/*
 * What the sweep finishes: at most max_batches of the first recorded job that
 * no batch has moved for a few seconds before now (its runner died or gave
 * up), if any.
 */
enum tg_err store_jobs_resume(struct tg_store *s, int64_t now, size_t max_batches,
			      size_t *count);

/* ---- the change hint and the answers it keeps fresh (store_hint.c; the argument is there) */

enum store_hint_counter {
	STORE_HINT_KEYS,     /* bumped with the generation record */
	STORE_HINT_SESSIONS, /* bumped by every write that can change a session check's answer */
	STORE_HINT_COUNT
};

/* A counter's value, and the handles (store_env.c's epoch) whose mapping it was read from. */
struct store_stamp {
	uint64_t epoch;
	uint64_t value;
};

/* What store_session_check needs of a session: its record's fixed prefix. */
struct store_session_head {
	int64_t expires;
	int64_t revoked;
	int64_t idle_expires; /* 0: none (and in every version 1 record) */
	unsigned char tenant_len;
	char tenant[TG_TENANT_ID_MAX]; /* not NUL-terminated */
};

struct store_hint;
struct store_cache;

/*
 * Maps DIR/tokengate.hint MAP_SHARED, creating it (mode 0600, owned like
 * tokengate.db) when missing. On failure (TG_ERR_IO) why gets a sentence an
 * operator can act on.
 */
enum tg_err store_hint_open(const char *dir, struct store_hint **out, struct tg_why *why);
void store_hint_close(struct store_hint *h);
/* Loads a counter; what the caller reads next is ordered after the load. */
uint64_t store_hint_load(const struct store_hint *h, enum store_hint_counter c);
/* Bumps a counter; the writes before it are ordered before the bump. */
void store_hint_add(struct store_hint *h, enum store_hint_counter c);

/*
 * store_env.c: the counter of the handle's current mapping, false when the
 * handle has none (then every read goes to the database).
 */
bool store_hint_peek(struct tg_store *s, enum store_hint_counter c, struct store_stamp *out);
/*
 * store_env.c: for a body, after it wrote (and so locked) the records the
 * counter covers. Without a mapping it answers EACCES, which the body returns:
 * a change other processes cannot be told about is not made.
 */
int store_hint_bump(struct tg_store *s, enum store_hint_counter c);
struct store_cache *store_cache_of(struct tg_store *s);

/* A handle's kept answers, safe from many threads; a reader never waits. */
struct store_cache *store_cache_new(void);
void store_cache_free(struct store_cache *c);
/* The generation kept under stamp now, if any. */
bool store_cache_generation(struct store_cache *c, const struct store_stamp *now, uint64_t *gen);
/* Keeps gen, read from the database after the counter read_at was loaded. */
void store_cache_keep_generation(struct store_cache *c, const struct store_stamp *read_at,
				 uint64_t gen);
bool store_cache_session(struct store_cache *c, const char *sid, const struct store_stamp *now,
			 struct store_session_head *out);
/* Only a session that exists is kept: one created later must be found. */
void store_cache_keep_session(struct store_cache *c, const char *sid,
			      const struct store_stamp *read_at,
			      const struct store_session_head *head);
/* Reads that went to the database, for tests and diagnostics. */
void store_cache_count_read(struct store_cache *c, enum store_hint_counter which);
uint64_t store_cache_reads(struct store_cache *c, enum store_hint_counter which);

#endif
