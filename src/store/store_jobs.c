/*
 * Jobs: work too large for one transaction (a user's logout, the sessions of
 * a removed tenant), done in batches of short transactions so that no
 * transaction's lock use grows with the number of sessions. The job record is
 * written, durably, before the first batch and moved forward in each batch's
 * own transaction, so an interrupted job is finished where it stopped by the
 * next sweep of any process. Batches commit without waiting for the disk; a
 * recovery that drops some of them drops the record's moves with them.
 * Starts a user's logout itself; a removed tenant's purge is started by
 * store.c in the removal's transaction. Knows the session_user index's order,
 * never a session's record format (store_session.c acts on each one).
 *
 *   jobs   kind (1) tenant '\0' user   -> u8 version=1, i64 cutoff (BE), i64 moved (BE:
 *                                         when a batch last moved it), the session_user
 *                                         key the job has done up to (empty: nothing yet)
 */
#include "store/store_db.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOB_VERSION 1
#define JOB_FIXED (1 + 8 + 8)
/* Index entries per batch: a batch's locks stay a few hundred whatever the job's size. */
#define JOB_BATCH 64
/*
 * The sweep takes over a job only when no batch has moved it for this long:
 * its runner died or gave up. Two runners of one job take turns on its record
 * batch by batch, and the one the caller waits for (a logout's 204, `tenant
 * remove`) could lose that race for longer than its retries last.
 */
#define JOB_IDLE_SECONDS 5

struct job_op {
	struct store_call call;
	enum store_job_kind kind;
	const char *tenant, *user;
	unsigned char *key; /* the job record's */
	size_t klen;
	/* the record as this attempt read it */
	int64_t cutoff;
	const unsigned char *after;
	size_t after_len;
	/* outputs */
	size_t seen;
	size_t count;
	bool has_more;
	bool is_done;
	unsigned char *last; /* the last index entry this batch handled */
	size_t last_len;
};

static void
job_reset(struct store_call *c)
{
	struct job_op *op = STORE_OP_OF(c, struct job_op);

	op->seen = 0;
	op->count = 0;
	op->has_more = false;
	op->is_done = false;
	free(op->last);
	op->last = NULL;
	op->last_len = 0;
	/* Only the batch that finishes the job must reach the disk before it returns. */
	c->mode = STORE_WRITE_NOSYNC;
}

static unsigned char *
job_key(enum store_job_kind kind, const char *tenant, const char *user, size_t *n)
{
	size_t tl = strlen(tenant), ul = user ? strlen(user) : 0;
	unsigned char *p = tg_xmalloc(1 + tl + 1 + ul);

	p[0] = (unsigned char)kind;
	memcpy(p + 1, tenant, tl);
	p[1 + tl] = '\0';
	if (ul)
		memcpy(p + 2 + tl, user, ul);
	*n = 1 + tl + 1 + ul;
	return p;
}

static int
job_record_put(struct tg_store *s, DB_TXN *txn, const unsigned char *key, size_t klen,
	       int64_t cutoff, const unsigned char *after, size_t after_len)
{
	unsigned char *rec = tg_xmalloc(JOB_FIXED + after_len);
	int ret;

	rec[0] = JOB_VERSION;
	bytes_put_u64(rec + 1, (uint64_t)cutoff);
	bytes_put_u64(rec + 9, (uint64_t)time(NULL));
	if (after_len)
		memcpy(rec + JOB_FIXED, after, after_len);
	ret = store_put(s, T_JOBS, txn, key, klen, rec, JOB_FIXED + after_len);
	free(rec);
	return ret;
}

int
store_job_put(struct tg_store *s, DB_TXN *txn, enum store_job_kind kind, const char *tenant,
	      const char *user, int64_t cutoff)
{
	size_t klen;
	unsigned char *key = job_key(kind, tenant, user, &klen);
	int ret = job_record_put(s, txn, key, klen, cutoff, NULL, 0);

	free(key);
	return ret;
}

static int
visit_entry(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	    struct store_call *c)
{
	struct job_op *op = STORE_OP_OF(c, struct job_op);
	size_t changed = 0;
	int ret;

	(void)cur;
	(void)d;
	if (op->after_len && k->size == op->after_len && memcmp(k->data, op->after, k->size) == 0)
		return 0; /* done by the batch before */
	if (op->seen == JOB_BATCH) {
		op->has_more = true;
		return STORE_SCAN_STOP;
	}
	op->seen++;
	if (op->kind == STORE_JOB_LOGOUT)
		ret = store_session_end_indexed(s, txn, k, op->tenant, op->cutoff, c, &changed);
	else
		ret = store_session_drop_indexed(s, txn, k, c, &changed);
	op->count += changed;
	free(op->last);
	op->last = tg_xmalloc(k->size);
	memcpy(op->last, k->data, k->size);
	op->last_len = k->size;
	return ret;
}

static bool
job_decode(const DBT *d, struct job_op *op)
{
	const unsigned char *p = d->data;

	if (d->size < JOB_FIXED || p[0] != JOB_VERSION)
		return false;
	op->cutoff = (int64_t)bytes_get_u64(p + 1);
	op->after = d->size > JOB_FIXED ? p + JOB_FIXED : NULL;
	op->after_len = d->size - JOB_FIXED;
	return true;
}

/*
 * One batch: up to JOB_BATCH index entries after where the record says the
 * job got to, and the record moved past them (or removed, with a durable
 * commit, when none are left). A job whose record is gone is done.
 */
static int
job_batch_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct job_op *op = STORE_OP_OF(c, struct job_op);
	unsigned char *prefix;
	size_t plen;
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_JOBS, txn, op->key, op->klen, DB_RMW, &d, &is_found);
	if (ret != 0 || !is_found) {
		/*
		 * Finished by another runner, whose durable commit may not have
		 * been flushed yet: this one's flush covers it before anyone is told.
		 */
		op->is_done = ret == 0;
		c->mode = STORE_WRITE;
		store_dbt_free(&d);
		return ret;
	}
	if (!job_decode(&d, op)) {
		store_dbt_free(&d);
		return store_corrupt(s, c, "jobs");
	}
	prefix = store_session_user_key(op->tenant, op->user, NULL, &plen);
	ret = store_scan_from(s, T_SESSION_USER, txn, prefix, plen, op->after, op->after_len,
			      DB_RMW, visit_entry, c);
	free(prefix);
	if (ret == 0 && c->rc == TG_OK && op->has_more) {
		ret = job_record_put(s, txn, op->key, op->klen, op->cutoff, op->last, op->last_len);
	} else if (ret == 0 && c->rc == TG_OK) {
		ret = store_del(s, T_JOBS, txn, op->key, op->klen);
		op->is_done = true;
		c->mode = STORE_WRITE;
	}
	store_dbt_free(&d); /* op->after pointed into it */
	op->after = NULL;
	op->after_len = 0;
	return ret;
}

enum tg_err
store_job_finish(struct tg_store *s, enum store_job_kind kind, const char *tenant,
		 const char *user, size_t max_batches, size_t *count, bool *is_done)
{
	/*
	 * Patient: the sweeps of every worker delete ended sessions of the same tenant in batches
	 * of their own, and a large logout or removal must not fail for losing to them a while.
	 */
	struct job_op op = { .call = { .body = job_batch_body, .reset = job_reset,
				       .is_patient = true },
			     .kind = kind, .tenant = tenant, .user = user };
	enum tg_err rc = TG_OK;
	size_t total = 0, batches = 0;

	op.key = job_key(kind, tenant, user, &op.klen);
	while (rc == TG_OK && !op.is_done && batches++ < max_batches) {
		rc = store_run(s, &op.call);
		total += op.count;
	}
	if (rc == TG_OK && count)
		*count = total;
	if (rc == TG_OK && is_done)
		*is_done = op.is_done;
	job_reset(&op.call);
	free(op.key);
	return rc;
}

/* ------------------------------------------------------------ a user's logout */

struct start_op {
	struct store_call call;
	enum store_job_kind kind;
	const char *tenant, *user;
	int64_t cutoff;
};

static int
start_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct start_op *op = STORE_OP_OF(c, struct start_op);

	return store_job_put(s, txn, op->kind, op->tenant, op->user, op->cutoff);
}

/*
 * The job is recorded first, so that a logout interrupted between its
 * batches (a killed worker, a full disk) is still finished, by the sweep.
 * Durably: the batches commit without waiting for the disk, and a recovery
 * in between (another process died) drops what was not flushed. A record
 * that survives brings the job back to where its flushed batches got; one
 * that did not would read as a job already done.
 */
enum tg_err
store_session_revoke_user(struct tg_store *s, const char *tenant, const char *user, int64_t now,
			  size_t *count)
{
	struct start_op op = { .call = { .body = start_body, .mode = STORE_WRITE },
			       .kind = STORE_JOB_LOGOUT, .tenant = tenant, .user = user, .cutoff = now };
	enum tg_err rc;

	if (!tenant || !user)
		return TG_ERR_INVALID;
	rc = store_run(s, &op.call);
	if (rc == TG_OK)
		rc = store_job_finish(s, STORE_JOB_LOGOUT, tenant, user, SIZE_MAX, count, NULL);
	return rc;
}

/* ------------------------------------------------------------ resuming */

struct pending_op {
	struct store_call call;
	int64_t idle_before; /* a job last moved before this is left to the sweep */
	unsigned char *key;  /* output: the first such job's record key, NULL when none */
	size_t klen;
};

static void
pending_reset(struct store_call *c)
{
	struct pending_op *op = STORE_OP_OF(c, struct pending_op);

	free(op->key);
	op->key = NULL;
}

static int
visit_idle(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	   struct store_call *c)
{
	struct pending_op *op = STORE_OP_OF(c, struct pending_op);
	const unsigned char *p = d->data;

	(void)s;
	(void)txn;
	(void)cur;
	/* One that does not decode is the batch's to report (job_batch_body). */
	if (d->size >= JOB_FIXED && p[0] == JOB_VERSION &&
	    (int64_t)bytes_get_u64(p + 9) >= op->idle_before)
		return 0;
	op->key = tg_xmalloc(k->size + 1);
	memcpy(op->key, k->data, k->size);
	op->key[k->size] = '\0'; /* the user part ends the key: a string once terminated */
	op->klen = k->size;
	return STORE_SCAN_STOP;
}

static int
idle_job_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	return store_scan(s, T_JOBS, txn, NULL, 0, DB_READ_COMMITTED, visit_idle, c);
}

/*
 * A key the store wrote: kind, tenant, NUL, user. Anything else would make
 * every sweep stop on it, so it is reported and left for an operator.
 */
static bool
job_key_parse(const unsigned char *key, size_t klen, enum store_job_kind *kind,
	      const char **tenant, const char **user)
{
	const char *t = (const char *)key + 1;
	size_t tl;

	if (klen < 3 || (key[0] != STORE_JOB_LOGOUT && key[0] != STORE_JOB_PURGE))
		return false;
	tl = strnlen(t, klen - 1);
	if (tl == 0 || tl >= klen - 1)
		return false;
	*kind = (enum store_job_kind)key[0];
	*tenant = t;
	*user = key[0] == STORE_JOB_LOGOUT ? t + tl + 1 : NULL;
	return key[0] == STORE_JOB_PURGE || **user != '\0';
}

enum tg_err
store_jobs_resume(struct tg_store *s, int64_t now, size_t max_batches, size_t *count)
{
	struct pending_op op = { .call = { .body = idle_job_body, .reset = pending_reset,
					   .mode = STORE_READ },
				 .idle_before = now - JOB_IDLE_SECONDS };
	enum store_job_kind kind;
	const char *tenant, *user;
	enum tg_err rc;

	*count = 0;
	rc = store_run(s, &op.call);
	if (rc == TG_OK && op.key && !job_key_parse(op.key, op.klen, &kind, &tenant, &user)) {
		TG_LOG(TG_LOG_ERR, "%s: a record in table jobs does not decode; restore the "
		       "database from a backup", s->errpfx);
		rc = TG_ERR_DB;
	} else if (rc == TG_OK && op.key) {
		rc = store_job_finish(s, kind, tenant, user, max_batches, count, NULL);
	}
	pending_reset(&op.call);
	return rc;
}
