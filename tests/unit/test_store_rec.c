/*
 * The record helpers (store_rec.c) inside real transactions of a real
 * environment: put, fetch, exists and delete of one table; a scan that keeps
 * to its prefix, starts where it is told, and stops when its visit says so;
 * big-endian integers that sort as numbers; the tenant check; and a record
 * that does not decode reported as TG_ERR_DB.
 */
#include "store/store_db.h"

#include "../lib/store_call.h"
#include "../lib/store_fixture.h"

#include <string.h>

/* One operation: a body with what it was given and what it saw. */
struct rec_op {
	struct store_call call;
	const char *key, *value, *prefix, *start;
	char seen[256]; /* the keys a scan visited, each followed by ' ' */
	int stop_after; /* a scan's visit stops the walk after this many (0: never) */
	int visits;
	bool is_found;
	int ret;
};

static void
rec_reset(struct store_call *c)
{
	struct rec_op *op = STORE_OP_OF(c, struct rec_op);

	op->seen[0] = '\0';
	op->visits = 0;
	op->is_found = false;
}

static enum tg_err
rec_run(struct tg_store *s, store_body_fn body, struct rec_op *op, enum store_mode mode)
{
	return call_run(s, &op->call, body, rec_reset, mode);
}

static int
put_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct rec_op *op = STORE_OP_OF(c, struct rec_op);

	return store_put(s, T_META, txn, op->key, strlen(op->key), op->value, strlen(op->value));
}

static int
fetch_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct rec_op *op = STORE_OP_OF(c, struct rec_op);
	DBT d;
	int ret = store_fetch(s, T_META, txn, op->key, strlen(op->key), 0, &d, &op->is_found);

	if (ret == 0 && op->is_found && d.size < sizeof(op->seen)) {
		memcpy(op->seen, d.data, d.size);
		op->seen[d.size] = '\0';
	}
	store_dbt_free(&d);
	return ret;
}

static int
del_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct rec_op *op = STORE_OP_OF(c, struct rec_op);

	op->ret = store_del(s, T_META, txn, op->key, strlen(op->key));
	return op->ret == DB_NOTFOUND ? 0 : op->ret;
}

static int
visit_note(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	   struct store_call *c)
{
	struct rec_op *op = STORE_OP_OF(c, struct rec_op);
	size_t used = strlen(op->seen);

	(void)s;
	(void)txn;
	(void)cur;
	(void)d;
	if (used + k->size + 2 <= sizeof(op->seen)) {
		memcpy(op->seen + used, k->data, k->size);
		memcpy(op->seen + used + k->size, " ", 2);
	}
	return ++op->visits == op->stop_after ? STORE_SCAN_STOP : 0;
}

static int
scan_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct rec_op *op = STORE_OP_OF(c, struct rec_op);
	size_t plen = strlen(op->prefix);

	if (op->start)
		return store_scan_from(s, T_META, txn, op->prefix, plen, op->start,
				       strlen(op->start), 0, visit_note, c);
	return store_scan(s, T_META, txn, op->prefix, plen, 0, visit_note, c);
}

static int
tenant_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	return store_tenant_exists(s, txn, STORE_OP_OF(c, struct rec_op)->key, c);
}

static int
corrupt_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	(void)txn;
	return store_corrupt(s, c, "meta");
}

static const char *
scan(struct tg_store *s, const char *prefix, const char *start, int stop_after)
{
	static struct rec_op op;

	memset(&op, 0, sizeof(op));
	op.prefix = prefix;
	op.start = start;
	op.stop_after = stop_after;
	return rec_run(s, scan_body, &op, STORE_READ) == TG_OK ? op.seen : "(failed)";
}

int
main(void)
{
	struct store_fixture f;
	struct rec_op op = { .key = "t:b", .value = "two" };
	unsigned char be[8];
	const char *keys[] = { "t:a", "t:c", "t:d", "u:a" };

	if (!fixture_open(&f, "test_store_rec", "acme", NULL))
		return 1;
	is_int(rec_run(f.s, put_body, &op, STORE_WRITE), TG_OK, "store_put writes a record");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct rec_op more = { .key = keys[i], .value = "x" };

		rec_run(f.s, put_body, &more, STORE_WRITE);
	}
	memset(&op, 0, sizeof(op));
	op.key = "t:b";
	is_int(rec_run(f.s, fetch_body, &op, STORE_READ), TG_OK, "store_fetch reads it");
	ok(op.is_found && strcmp(op.seen, "two") == 0, "found, with its bytes (%s)", op.seen);
	op.key = "t:zz";
	is_int(rec_run(f.s, fetch_body, &op, STORE_READ), TG_OK, "a miss is not an error");
	ok(!op.is_found, "and is not found");

	is_str(scan(f.s, "t:", NULL, 0), "t:a t:b t:c t:d ", "a scan visits its prefix in key order");
	is_str(scan(f.s, "t:", "t:c", 0), "t:c t:d ", "store_scan_from starts at the key given");
	is_str(scan(f.s, "t:", NULL, 2), "t:a t:b ", "a visit returning STORE_SCAN_STOP ends the walk");
	is_str(scan(f.s, "v:", NULL, 0), "", "a prefix nothing has: no visit");

	memset(&op, 0, sizeof(op));
	op.key = "t:b";
	is_int(rec_run(f.s, del_body, &op, STORE_WRITE), TG_OK, "store_del deletes");
	is_int(op.ret, 0, "what was there");
	is_int(rec_run(f.s, del_body, &op, STORE_WRITE), TG_OK, "deleting again runs");
	is_int(op.ret, DB_NOTFOUND, "and says there was nothing (DB_NOTFOUND)");
	is_str(scan(f.s, "t:", NULL, 0), "t:a t:c t:d ", "the scan no longer sees it");

	bytes_put_u64(be, 0x0102030405060708ull);
	ok(be[0] == 1 && be[7] == 8, "integers are stored big-endian, so they sort as numbers");
	ok(bytes_get_u64(be) == 0x0102030405060708ull, "and read back");

	memset(&op, 0, sizeof(op));
	op.key = "acme";
	is_int(rec_run(f.s, tenant_body, &op, STORE_READ), TG_OK, "store_tenant_exists: acme is there");
	op.key = "initech";
	is_int(rec_run(f.s, tenant_body, &op, STORE_READ), TG_ERR_NOT_FOUND,
	       "a tenant that is not there is TG_ERR_NOT_FOUND");
	is_int(rec_run(f.s, corrupt_body, &op, STORE_READ), TG_ERR_DB,
	       "a record that does not decode is TG_ERR_DB for the call");
	fixture_close(&f);
	return done_testing();
}
