/*
 * The sweep (ended sessions with their index entries, refresh tokens and "rt:"
 * bucket) and the shared rate buckets; formats at the top of store.c. Every
 * operation is a body run by store_run(): never begins or ends a transaction.
 */
#include "store/store_db.h"

#include "model/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_VERSION 1
#define RATE_LEN (1 + 8 + 8)
#define SWEEP_BATCH 64 /* sessions per sweep transaction: other writers wait at most that long */
/* An interrupted logout or tenant removal left for the sweep: this many batches a sweep. */
#define JOB_BATCHES_PER_SWEEP 16

/* One sweep batch: its inputs, and outputs that sweep_reset empties before each attempt. */
struct sweep_op {
	struct store_call call;
	int64_t cutoff;   /* sessions that ended before this go */
	size_t limit;     /* sessions this batch may still remove */
	unsigned shard;   /* where this batch starts */
	/* outputs */
	size_t count;        /* swept records (sessions and refresh tokens) */
	size_t swept;        /* sessions swept */
	unsigned next_shard; /* where the next batch starts, 256 when every shard is done */
};

/* One take from a bucket; retry_after is emptied before each attempt. */
struct rate_op {
	struct store_call call;
	const char *bucket;
	int64_t rate, burst, now_ms;
	int64_t retry_after;
};

/* ------------------------------------------------------------ sweep */

static void
sweep_reset(struct store_call *c)
{
	struct sweep_op *op = STORE_OP_OF(c, struct sweep_op);

	op->count = 0;
	op->swept = 0;
	op->next_shard = 256;
}

static int
sweep_session(struct tg_store *s, DB_TXN *txn, struct sweep_op *op, const char *sid)
{
	size_t records;
	bool is_gone;
	int ret = store_session_drop(s, txn, sid, false, &op->call, &records, &is_gone);

	op->count += records;
	op->swept += is_gone ? 1 : 0;
	return ret;
}

/*
 * One short transaction: at most SWEEP_BATCH sessions of the first shard at
 * or after op->shard whose end lies before op->cutoff, oldest first;
 * next_shard then says where the next batch starts.
 */
static int
sweep_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sweep_op *op = STORE_OP_OF(c, struct sweep_op);
	DB *db = store_db(s, T_SESSION_END);
	unsigned char start = (unsigned char)op->shard, *key;
	DBC *cur = NULL;
	DBT k, d;
	int ret;

	ret = db->cursor(db, txn, &cur, 0);
	if (ret != 0)
		return ret;
	store_dbt_out(&k);
	store_dbt_out(&d);
	k.data = &start; /* replaced by the found key */
	k.size = 1;
	ret = cur->get(cur, &k, &d, DB_SET_RANGE | DB_RMW);
	if (ret == 0)
		op->next_shard = *(unsigned char *)k.data + 1u;
	while (ret == 0) {
		char sid[TG_SESSION_ID_LEN + 1];

		key = k.data;
		if (k.size != STORE_END_KEY_LEN || key[0] + 1u != op->next_shard ||
		    (int64_t)bytes_get_u64(key + 1) >= op->cutoff)
			break;
		if (op->swept == SWEEP_BATCH || op->swept == op->limit) {
			op->next_shard = key[0]; /* this shard has more */
			break;
		}
		memcpy(sid, key + 9, TG_SESSION_ID_LEN);
		sid[TG_SESSION_ID_LEN] = '\0';
		ret = sweep_session(s, txn, op, sid);
		if (ret == 0)
			ret = cur->del(cur, 0);
		store_dbt_free(&k);
		store_dbt_free(&d);
		if (ret == 0)
			ret = cur->get(cur, &k, &d, DB_NEXT | DB_RMW);
	}
	if (ret != 0)
		k.data = NULL; /* still ours (start) or never allocated */
	return store_cursor_done(cur, &k, &d, ret);
}

enum tg_err
store_sweep(struct tg_store *s, int64_t now, int64_t grace, size_t limit, size_t *removed)
{
	struct sweep_op op = { .call = { .body = sweep_body, .reset = sweep_reset,
					 .mode = STORE_WRITE },
			       .cutoff = now - grace };
	enum tg_err rc = TG_OK;
	size_t records = 0, sessions = 0;

	while (rc == TG_OK && op.shard < 256 && sessions < limit) {
		op.limit = limit - sessions;
		rc = store_run(s, &op.call);
		records += op.count;
		sessions += op.swept;
		op.shard = op.next_shard;
	}
	if (rc == TG_OK) {
		size_t job_records = 0;

		rc = store_jobs_resume(s, now, JOB_BATCHES_PER_SWEEP, &job_records);
		records += job_records;
	}
	if (rc == TG_OK) {
		size_t counters = 0;

		rc = store_throttle_sweep(s, now * 1000, &counters);
		records += counters;
	}
	if (rc == TG_OK && removed)
		*removed = records;
	return rc;
}

/* ------------------------------------------------------------ rate limits */

static void
rate_reset(struct store_call *c)
{
	STORE_OP_OF(c, struct rate_op)->retry_after = 0;
}

static int
rate_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct rate_op *op = STORE_OP_OF(c, struct rate_op);
	unsigned char rec[RATE_LEN];
	struct tg_bucket b;
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_RATE, txn, op->bucket, strlen(op->bucket), DB_RMW, &d, &is_found);
	if (ret == 0 && is_found && (d.size != RATE_LEN || ((unsigned char *)d.data)[0] != RATE_VERSION))
		ret = store_corrupt(s, c, "rate");
	else if (ret == 0 && is_found) {
		b.milli = (int64_t)bytes_get_u64((unsigned char *)d.data + 1);
		b.updated_ms = (int64_t)bytes_get_u64((unsigned char *)d.data + 9);
	} else if (ret == 0)
		ratelimit_init(&b, op->burst, op->now_ms);
	store_dbt_free(&d);
	if (ret != 0 || c->rc != TG_OK)
		return ret;
	c->rc = ratelimit_take(&b, op->rate, op->burst, op->now_ms, &op->retry_after);
	if (c->rc != TG_OK)
		return 0; /* nothing taken: the refill alone need not be written */
	rec[0] = RATE_VERSION;
	bytes_put_u64(rec + 1, (uint64_t)b.milli);
	bytes_put_u64(rec + 9, (uint64_t)b.updated_ms);
	return store_put(s, T_RATE, txn, op->bucket, strlen(op->bucket), rec, sizeof(rec));
}

/*
 * STORE_WRITE_NOSYNC: a bucket is worth a log flush on every request only
 * if losing it mattered, and a crash merely forgets recent requests (the
 * buckets a crash rolls back are fuller, never emptier, than they were).
 */
enum tg_err
store_ratelimit_take(struct tg_store *s, const char *bucket, int64_t rate, int64_t burst,
		     int64_t now_ms, int64_t *retry_after)
{
	struct rate_op op = { .call = { .body = rate_body, .reset = rate_reset,
					.mode = STORE_WRITE_NOSYNC },
			      .bucket = bucket, .rate = rate, .burst = burst, .now_ms = now_ms };
	enum tg_err rc;

	if (rate < 0 || burst < 1 || !bucket || !bucket[0])
		return TG_ERR_INVALID;
	if (rate == 0)
		return TG_OK; /* rate_limit_per_key = 0: no limit */
	rc = store_run(s, &op.call);
	if (rc == TG_ERR_LIMITED && retry_after)
		*retry_after = op.retry_after;
	return rc;
}
