/*
 * The gateway's own secret in tokengate.db's meta table: the refresh key that
 * refresh-token successors are derived under (model/session.c), made once by the
 * first process that needs it. Never logs it; every copy it hands out is the caller's to wipe.
 */
#include "store/store_db.h"

#include "base/secret.h"

#include <string.h>

#define REFRESH_KEY_NAME "refresh_key"
#define REFRESH_KEY_VERSION 1
#define REFRESH_KEY_LEN 32 /* the HMAC-SHA-256 output: RFC 2104's least key length */

struct key_op {
	struct store_call call;
	bool may_create;
	struct tg_secret key; /* output */
};

static void
key_op_reset(struct store_call *c)
{
	secret_free(&STORE_OP_OF(c, struct key_op)->key);
}

/* A fresh key, written where a moment ago there was none (the read was DB_RMW). */
static int
create_key(struct tg_store *s, DB_TXN *txn, struct key_op *op)
{
	unsigned char rec[1 + REFRESH_KEY_LEN];
	int ret = 0;

	rec[0] = REFRESH_KEY_VERSION;
	op->call.rc = secret_random(rec + 1, REFRESH_KEY_LEN);
	if (op->call.rc == TG_OK)
		ret = store_put(s, T_META, txn, REFRESH_KEY_NAME, strlen(REFRESH_KEY_NAME), rec,
				sizeof(rec));
	if (ret == 0 && op->call.rc == TG_OK)
		secret_set(&op->key, rec + 1, REFRESH_KEY_LEN);
	secret_wipe(rec, sizeof(rec));
	return ret;
}

static int
key_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct key_op *op = STORE_OP_OF(c, struct key_op);
	const unsigned char *p;
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_META, txn, REFRESH_KEY_NAME, strlen(REFRESH_KEY_NAME),
			  op->may_create ? DB_RMW : 0, &d, &is_found);
	p = d.data;
	if (ret == 0 && is_found && (d.size != 1 + REFRESH_KEY_LEN || p[0] != REFRESH_KEY_VERSION))
		ret = store_corrupt(s, c, "meta (refresh_key)");
	else if (ret == 0 && is_found)
		secret_set(&op->key, p + 1, REFRESH_KEY_LEN);
	else if (ret == 0 && op->may_create)
		ret = create_key(s, txn, op);
	else if (ret == 0)
		c->rc = TG_ERR_NOT_FOUND;
	store_dbt_free(&d);
	return ret;
}

enum tg_err
store_refresh_key(struct tg_store *s, struct tg_secret *out)
{
	struct key_op op = { .call = { .body = key_body, .reset = key_op_reset,
				       .mode = STORE_READ } };
	enum tg_err rc = store_run(s, &op.call);

	/* Only the first refresh of a database writes; two first ones agree through the lock. */
	if (rc == TG_ERR_NOT_FOUND) {
		op.may_create = true;
		op.call.mode = STORE_WRITE;
		rc = store_run(s, &op.call);
	}
	if (rc == TG_OK) {
		*out = op.key; /* ownership moves to the caller */
		op.key = (struct tg_secret){ 0 };
	}
	secret_free(&op.key);
	return rc;
}
