/*
 * When a tenant's key set was last fetched and is next due: a small record per
 * tenant ("jwks:" + id) in the meta table, written without a flush (a crash
 * only allows one more fetch). Never fetches; never holds a lock past its call.
 */
#include "store/store_db.h"

#include "model/tenant.h"

#include <stdio.h>
#include <string.h>

#define JWKS_PREFIX "jwks:"
#define JWKS_VERSION 1
#define JWKS_REC_LEN (1 + 8 + 8) /* version, last attempt, next scheduled sync */

struct jwks_op {
	struct store_call call;
	char key[sizeof(JWKS_PREFIX) + TG_TENANT_ID_MAX];
	int64_t now, min_interval; /* a claim's inputs */
	int64_t next_sync;         /* a schedule's input */
	bool is_claim;
	int64_t last, next;        /* outputs: what the record said before */
	bool is_claimed;
};

static void
jwks_op_reset(struct store_call *c)
{
	struct jwks_op *op = STORE_OP_OF(c, struct jwks_op);

	op->last = op->next = 0;
	op->is_claimed = false;
}

static int
jwks_read(struct tg_store *s, DB_TXN *txn, struct jwks_op *op, u_int32_t flags)
{
	const unsigned char *p;
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_META, txn, op->key, strlen(op->key), flags, &d, &is_found);
	p = d.data;
	if (ret == 0 && is_found && (d.size != JWKS_REC_LEN || p[0] != JWKS_VERSION)) {
		ret = store_corrupt(s, &op->call, "meta (jwks)");
	} else if (ret == 0 && is_found) {
		op->last = (int64_t)bytes_get_u64(p + 1);
		op->next = (int64_t)bytes_get_u64(p + 9);
	}
	store_dbt_free(&d);
	return ret;
}

static int
jwks_write(struct tg_store *s, DB_TXN *txn, const struct jwks_op *op, int64_t last, int64_t next)
{
	unsigned char rec[JWKS_REC_LEN];

	rec[0] = JWKS_VERSION;
	bytes_put_u64(rec + 1, (uint64_t)last);
	bytes_put_u64(rec + 9, (uint64_t)next);
	return store_put(s, T_META, txn, op->key, strlen(op->key), rec, sizeof(rec));
}

/* The slot is free when no attempt was made within min_interval (or the clock went back). */
static bool
is_due(const struct jwks_op *op)
{
	return op->last == 0 || op->now - op->last >= op->min_interval || op->now < op->last;
}

static int
jwks_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct jwks_op *op = STORE_OP_OF(c, struct jwks_op);
	bool is_write = c->mode != STORE_READ;
	int ret;

	/* DB_RMW: the write lock from the read on, so a second claimant waits for this one. */
	ret = jwks_read(s, txn, op, is_write ? DB_RMW : 0);
	if (ret != 0 || c->rc != TG_OK || !is_write)
		return ret;
	if (!op->is_claim)
		return jwks_write(s, txn, op, op->last, op->next_sync);
	if (!is_due(op))
		return 0;
	op->is_claimed = true;
	return jwks_write(s, txn, op, op->now, op->next);
}

static void
jwks_op_init(struct jwks_op *op, const char *tenant, enum store_mode mode)
{
	*op = (struct jwks_op){ .call = { .body = jwks_body, .reset = jwks_op_reset, .mode = mode } };
	snprintf(op->key, sizeof(op->key), "%s%s", JWKS_PREFIX, tenant);
}

int
store_jwks_forget(struct tg_store *s, DB_TXN *txn, const char *tenant)
{
	struct jwks_op op;
	int ret;

	jwks_op_init(&op, tenant, STORE_WRITE);
	ret = store_del(s, T_META, txn, op.key, strlen(op.key));
	return ret == DB_NOTFOUND ? 0 : ret;
}

enum tg_err
store_jwks_claim(struct tg_store *s, const char *tenant, int64_t now, int64_t min_interval,
		 bool *is_claimed)
{
	struct jwks_op op;
	enum tg_err rc;

	if (!tenant_id_is_valid(tenant))
		return TG_ERR_INVALID;
	jwks_op_init(&op, tenant, STORE_READ);
	op.is_claim = true;
	op.now = now;
	op.min_interval = min_interval;
	/* A flood of unknown kids reads; only a request that may win the slot writes. */
	rc = store_run(s, &op.call);
	if (rc == TG_OK && is_due(&op)) {
		op.call.mode = STORE_WRITE_NOSYNC;
		rc = store_run(s, &op.call);
	}
	if (rc == TG_OK)
		*is_claimed = op.is_claimed;
	return rc;
}

enum tg_err
store_jwks_schedule(struct tg_store *s, const char *tenant, int64_t next_sync)
{
	struct jwks_op op;

	if (!tenant_id_is_valid(tenant))
		return TG_ERR_INVALID;
	jwks_op_init(&op, tenant, STORE_WRITE_NOSYNC);
	op.next_sync = next_sync;
	return store_run(s, &op.call);
}

enum tg_err
store_jwks_state(struct tg_store *s, const char *tenant, int64_t *last_attempt, int64_t *next_sync)
{
	struct jwks_op op;
	enum tg_err rc;

	if (!tenant_id_is_valid(tenant))
		return TG_ERR_INVALID;
	jwks_op_init(&op, tenant, STORE_READ);
	rc = store_run(s, &op.call);
	if (rc == TG_OK) {
		*last_attempt = op.last;
		*next_sync = op.next;
	}
	return rc;
}
