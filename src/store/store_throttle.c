/*
 * Failed-login counters (issue 14 item 4), one table shared by every process:
 * the check before a login, a failure counted, a success that clears the
 * account, and the sweep of expired counters. The arithmetic is
 * model/throttle.c's; this file keeps records and never decides a wait
 * itself, never sees an email or a password (keys come hashed).
 *
 * Record v1 (login_throttle table): u8 version=1, i64 failures, i64 last
 * failure (ms), i64 expires (ms) (all BE). expires is written with each
 * failure, so the sweep needs no configuration and a counter outlives a
 * change of login_failure_ttl by its old value at most.
 */
#include "store/store_db.h"

#include <string.h>

#define THROTTLE_VERSION 1
#define THROTTLE_LEN (1 + 8 + 8 + 8)
#define THROTTLE_SWEEP_BATCH 256 /* counters looked at per sweep transaction */
#define THROTTLE_SWEEP_BATCHES 16
/* Where the sweep stopped (meta table): the next sweep, in any process, goes on from there. */
#define THROTTLE_SWEEP_AT "throttle_sweep"

/* The two counters of one login attempt, in a fixed order: account, then address. */
struct throttle_op {
	struct store_call call;
	const struct tg_throttle_key *key[2];
	int64_t free[2];
	const struct tg_throttle_policy *p;
	int64_t now_ms;
	/* outputs */
	int64_t retry_after;
	int64_t failures; /* the account's, after a failure was counted */
};

/* One sweep batch. */
struct throttle_sweep_op {
	struct store_call call;
	int64_t now_ms;
	unsigned char at[THROTTLE_KEY_MAX];
	size_t at_len; /* 0: from the start */
	/* outputs */
	size_t seen, removed;
	bool has_more;
	unsigned char next[THROTTLE_KEY_MAX];
	size_t next_len;
};

static void
throttle_reset(struct store_call *c)
{
	struct throttle_op *op = STORE_OP_OF(c, struct throttle_op);

	op->retry_after = 0;
	op->failures = 0;
}

/* Reads the counter under key into *t (empty when there is none). */
static int
throttle_read(struct tg_store *s, DB_TXN *txn, struct store_call *c,
	      const struct tg_throttle_key *key, u_int32_t flags, struct tg_throttle *t)
{
	bool is_found = false;
	const unsigned char *p;
	DBT d;
	int ret;

	*t = (struct tg_throttle){ 0 };
	ret = store_fetch(s, T_THROTTLE, txn, key->b, key->len, flags, &d, &is_found);
	p = d.data;
	if (ret == 0 && is_found && d.size == THROTTLE_LEN && p[0] == THROTTLE_VERSION) {
		t->failures = (int64_t)bytes_get_u64(p + 1);
		t->last_ms = (int64_t)bytes_get_u64(p + 9);
	}
	/* A count or time below zero was never written: the arithmetic on it could overflow. */
	if (ret == 0 && is_found && (d.size != THROTTLE_LEN || p[0] != THROTTLE_VERSION ||
				     t->failures < 0 || t->last_ms < 0)) {
		*t = (struct tg_throttle){ 0 };
		ret = store_corrupt(s, c, "login_throttle");
	}
	store_dbt_free(&d);
	return ret;
}

static int
check_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct throttle_op *op = STORE_OP_OF(c, struct throttle_op);
	struct tg_throttle t;
	int64_t wait = 0;
	int ret = 0;

	for (size_t i = 0; ret == 0 && c->rc == TG_OK && i < 2; i++) {
		if (op->key[i]->len == 0)
			continue;
		ret = throttle_read(s, txn, c, op->key[i], 0, &t);
		if (ret == 0 && c->rc == TG_OK &&
		    throttle_check(&t, op->free[i], op->p, op->now_ms, &wait) == TG_ERR_LIMITED &&
		    wait > op->retry_after)
			op->retry_after = wait;
	}
	if (ret == 0 && c->rc == TG_OK && op->retry_after > 0)
		c->rc = TG_ERR_LIMITED;
	return ret;
}

static int
fail_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct throttle_op *op = STORE_OP_OF(c, struct throttle_op);
	unsigned char rec[THROTTLE_LEN];
	struct tg_throttle t;
	int ret = 0;

	for (size_t i = 0; ret == 0 && c->rc == TG_OK && i < 2; i++) {
		if (op->key[i]->len == 0)
			continue;
		ret = throttle_read(s, txn, c, op->key[i], DB_RMW, &t);
		if (ret != 0 || c->rc != TG_OK)
			break;
		throttle_fail(&t, op->p, op->now_ms);
		if (i == 0)
			op->failures = t.failures;
		rec[0] = THROTTLE_VERSION;
		bytes_put_u64(rec + 1, (uint64_t)t.failures);
		bytes_put_u64(rec + 9, (uint64_t)t.last_ms);
		bytes_put_u64(rec + 17, (uint64_t)(t.last_ms + op->p->ttl * 1000));
		ret = store_put(s, T_THROTTLE, txn, op->key[i]->b, op->key[i]->len, rec, sizeof(rec));
	}
	return ret;
}

static int
succeed_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct throttle_op *op = STORE_OP_OF(c, struct throttle_op);
	int ret = store_del(s, T_THROTTLE, txn, op->key[0]->b, op->key[0]->len);

	return ret == DB_NOTFOUND ? 0 : ret;
}

static enum tg_err
throttle_run(struct tg_store *s, struct throttle_op *op)
{
	if (!op->key[0] || op->key[0]->len == 0 || op->key[0]->len > THROTTLE_KEY_MAX ||
	    !op->key[1] || op->key[1]->len > THROTTLE_KEY_MAX || !op->p)
		return TG_ERR_INVALID;
	return store_run(s, &op->call);
}

enum tg_err
store_throttle_check(struct tg_store *s, const struct tg_throttle_key *account,
		     const struct tg_throttle_key *addr, const struct tg_throttle_policy *p,
		     int64_t now_ms, int64_t *retry_after)
{
	struct throttle_op op = {
		.call = { .body = check_body, .reset = throttle_reset, .mode = STORE_READ },
		.key = { account, addr }, .free = { p ? p->account_free : 0, p ? p->addr_free : 0 },
		.p = p, .now_ms = now_ms,
	};
	enum tg_err rc = throttle_run(s, &op);

	if (rc == TG_ERR_LIMITED && retry_after)
		*retry_after = op.retry_after;
	return rc;
}

/*
 * STORE_WRITE_NOSYNC, as the rate buckets: a crash forgets the last failures,
 * which gives an attacker back at most what the log had not flushed, and a
 * flush per wrong password would let failures alone load the disk.
 */
enum tg_err
store_throttle_fail(struct tg_store *s, const struct tg_throttle_key *account,
		    const struct tg_throttle_key *addr, const struct tg_throttle_policy *p,
		    int64_t now_ms, int64_t *failures)
{
	struct throttle_op op = {
		.call = { .body = fail_body, .reset = throttle_reset, .mode = STORE_WRITE_NOSYNC },
		.key = { account, addr }, .p = p, .now_ms = now_ms,
	};
	enum tg_err rc = throttle_run(s, &op);

	if (rc == TG_OK && failures)
		*failures = op.failures;
	return rc;
}

enum tg_err
store_throttle_succeed(struct tg_store *s, const struct tg_throttle_key *account)
{
	static const struct tg_throttle_key none = { .len = 0 };
	static const struct tg_throttle_policy unused = { 0 };
	struct throttle_op op = {
		.call = { .body = succeed_body, .reset = throttle_reset,
			  .mode = STORE_WRITE_NOSYNC },
		.key = { account, &none }, .p = &unused,
	};

	return throttle_run(s, &op);
}

/* ------------------------------------------------------------ sweep */

static void
sweep_reset(struct store_call *c)
{
	struct throttle_sweep_op *op = STORE_OP_OF(c, struct throttle_sweep_op);

	op->seen = 0;
	op->removed = 0;
	op->has_more = false;
	op->next_len = 0;
}

static int
visit_counter(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	      struct store_call *c)
{
	struct throttle_sweep_op *op = STORE_OP_OF(c, struct throttle_sweep_op);
	const unsigned char *p = d->data;
	int ret = 0;

	(void)txn;
	if (op->seen == THROTTLE_SWEEP_BATCH && k->size <= THROTTLE_KEY_MAX) {
		memcpy(op->next, k->data, k->size);
		op->next_len = k->size;
		op->has_more = true;
		return STORE_SCAN_STOP;
	}
	op->seen++;
	if (d->size != THROTTLE_LEN || p[0] != THROTTLE_VERSION)
		return store_corrupt(s, c, "login_throttle");
	if ((int64_t)bytes_get_u64(p + 17) <= op->now_ms) {
		ret = cur->del(cur, 0);
		op->removed += ret == 0;
	}
	return ret;
}

/* One batch from where the last one stopped (meta THROTTLE_SWEEP_AT), which it moves on. */
static int
sweep_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct throttle_sweep_op *op = STORE_OP_OF(c, struct throttle_sweep_op);
	const char *at = THROTTLE_SWEEP_AT;
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_META, txn, at, strlen(at), DB_RMW, &d, &is_found);
	op->at_len = 0;
	if (ret == 0 && is_found && d.size <= THROTTLE_KEY_MAX) {
		memcpy(op->at, d.data, d.size);
		op->at_len = d.size;
	}
	store_dbt_free(&d);
	if (ret == 0)
		ret = store_scan_from(s, T_THROTTLE, txn, NULL, 0, op->at_len ? op->at : NULL,
				      op->at_len, DB_RMW, visit_counter, c);
	if (ret != 0 || c->rc != TG_OK)
		return ret;
	if (op->has_more)
		return store_put(s, T_META, txn, at, strlen(at), op->next, op->next_len);
	ret = store_del(s, T_META, txn, at, strlen(at));
	return ret == DB_NOTFOUND ? 0 : ret;
}

enum tg_err
store_throttle_sweep(struct tg_store *s, int64_t now_ms, size_t *removed)
{
	struct throttle_sweep_op op = {
		.call = { .body = sweep_body, .reset = sweep_reset, .mode = STORE_WRITE_NOSYNC },
		.now_ms = now_ms,
	};
	enum tg_err rc = TG_OK;
	size_t total = 0;

	for (size_t i = 0; rc == TG_OK && i < THROTTLE_SWEEP_BATCHES; i++) {
		rc = store_run(s, &op.call);
		total += op.removed;
		if (!op.has_more)
			break;
	}
	if (rc == TG_OK && removed)
		*removed = total;
	return rc;
}
