/*
 * API keys in tokengate.db: the apikeys table and its apikey_hash index (format
 * at the top of store.c). Every operation is a body run by store_run(); never
 * begins or ends a transaction itself, never sees a key, only its hash.
 */
#include "store/store_db.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APIKEY_VERSION 1
#define APIKEY_FIXED (1 + 1 + 8 + TG_APIKEY_HASH_LEN)

/* One operation: its inputs, and the list that akop_reset empties before each attempt. */
struct akop {
	struct store_call call;
	const struct tg_apikey *a;
	const char *tenant, *id;
	const unsigned char *hash;
	struct tg_apikey **apikeys;
	size_t napikeys;
};

static void
akop_reset(struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);

	apikey_list_free(op->apikeys, op->napikeys);
	op->apikeys = NULL;
	op->napikeys = 0;
}

static void
append_apikey(struct akop *op, struct tg_apikey *a)
{
	op->apikeys = tg_xrealloc(op->apikeys, (op->napikeys + 1) * sizeof(*op->apikeys));
	op->apikeys[op->napikeys++] = a;
}

/* ------------------------------------------------------------ records */

static unsigned char *
apikey_encode(const struct tg_apikey *a, int64_t created, size_t *n)
{
	size_t tl = strlen(a->tenant);
	unsigned char *p = tg_xmalloc(APIKEY_FIXED + tl);

	p[0] = APIKEY_VERSION;
	p[1] = a->revoked ? 1 : 0;
	bytes_put_u64(p + 2, (uint64_t)created);
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
	a->created = (int64_t)bytes_get_u64(p + 2);
	memcpy(a->hash, p + 10, TG_APIKEY_HASH_LEN);
	a->tenant = tg_xstrndup((const char *)p + APIKEY_FIXED, data->size - APIKEY_FIXED);
	*out = a;
	return true;
}

/* ------------------------------------------------------------ add, list */

static int
add_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);
	const struct tg_apikey *a = op->a;
	unsigned char *rec;
	size_t reclen;
	bool is_found = false;
	int ret;

	ret = store_tenant_exists(s, txn, a->tenant, c);
	if (ret == 0 && c->rc == TG_OK)
		ret = store_exists(s, T_APIKEYS, txn, a->id, strlen(a->id), DB_RMW, &is_found);
	if (ret == 0 && !is_found && c->rc == TG_OK)
		ret = store_exists(s, T_APIKEY_HASH, txn, a->hash, TG_APIKEY_HASH_LEN, DB_RMW, &is_found);
	if (ret == 0 && is_found)
		c->rc = TG_ERR_EXISTS;
	if (ret != 0 || c->rc != TG_OK)
		return ret;
	rec = apikey_encode(a, a->created ? a->created : (int64_t)time(NULL), &reclen);
	ret = store_put(s, T_APIKEYS, txn, a->id, strlen(a->id), rec, reclen);
	free(rec);
	if (ret == 0)
		ret = store_put(s, T_APIKEY_HASH, txn, a->hash, TG_APIKEY_HASH_LEN, a->id, strlen(a->id));
	return ret;
}

enum tg_err
store_apikey_add(struct tg_store *s, const struct tg_apikey *a)
{
	struct akop op = { .call = { .body = add_body, .mode = STORE_WRITE }, .a = a };

	if (!tenant_id_is_valid(a->tenant) || !a->id || !a->id[0])
		return TG_ERR_INVALID;
	return store_run(s, &op.call);
}

static int
visit_apikey(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	     struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);
	struct tg_apikey *a;

	(void)txn;
	(void)cur;
	if (!apikey_decode(k, d, &a))
		return store_corrupt(s, c, "apikeys");
	if (op->tenant && strcmp(a->tenant, op->tenant) != 0)
		apikey_free(a);
	else
		append_apikey(op, a);
	return 0;
}

static int
list_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);
	int ret = 0;

	if (op->tenant)
		ret = store_tenant_exists(s, txn, op->tenant, c);
	if (ret != 0 || c->rc != TG_OK)
		return ret;
	return store_scan(s, T_APIKEYS, txn, NULL, 0, 0, visit_apikey, c);
}

enum tg_err
store_apikey_list(struct tg_store *s, const char *tenant, struct tg_apikey ***out, size_t *n)
{
	struct akop op = { .call = { .body = list_body, .reset = akop_reset, .mode = STORE_READ },
			   .tenant = tenant };
	enum tg_err rc = store_run(s, &op.call);

	if (rc == TG_OK) {
		*out = op.apikeys; /* ownership moves to the caller */
		*n = op.napikeys;
		op.apikeys = NULL;
		op.napikeys = 0;
	}
	akop_reset(&op.call);
	return rc;
}

/* ------------------------------------------------------------ revoke, find */

static int
revoke_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);
	struct tg_apikey *a = NULL;
	unsigned char *rec = NULL;
	size_t reclen;
	bool is_found = false;
	DBT k, d;
	int ret;

	store_dbt_in(&k, op->id, strlen(op->id));
	ret = store_fetch(s, T_APIKEYS, txn, op->id, strlen(op->id), DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !apikey_decode(&k, &d, &a))
		ret = store_corrupt(s, c, "apikeys");
	else if (ret == 0 && strcmp(a->tenant, op->tenant) != 0)
		c->rc = TG_ERR_NOT_FOUND; /* another tenant's key is not this tenant's to revoke */
	if (ret == 0 && c->rc == TG_OK && !a->revoked) {
		a->revoked = true;
		rec = apikey_encode(a, a->created, &reclen);
		ret = store_put(s, T_APIKEYS, txn, op->id, strlen(op->id), rec, reclen);
	}
	free(rec);
	apikey_free(a);
	store_dbt_free(&d);
	return ret;
}

enum tg_err
store_apikey_revoke(struct tg_store *s, const char *tenant, const char *id)
{
	struct akop op = { .call = { .body = revoke_body, .mode = STORE_WRITE }, .tenant = tenant,
			   .id = id };

	return store_run(s, &op.call);
}

static int
find_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);
	struct tg_apikey *a;
	bool is_found = false;
	DBT id, d;
	int ret;

	store_dbt_out(&d);
	ret = store_fetch(s, T_APIKEY_HASH, txn, op->hash, TG_APIKEY_HASH_LEN, 0, &id, &is_found);
	if (ret == 0 && is_found)
		ret = store_fetch(s, T_APIKEYS, txn, id.data, id.size, 0, &d, &is_found);
	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && apikey_decode(&id, &d, &a))
		append_apikey(op, a);
	else if (ret == 0)
		ret = store_corrupt(s, c, "apikeys");
	store_dbt_free(&id);
	store_dbt_free(&d);
	return ret;
}

enum tg_err
store_apikey_find(struct tg_store *s, const unsigned char hash[TG_APIKEY_HASH_LEN],
		  struct tg_apikey **out)
{
	struct akop op = { .call = { .body = find_body, .reset = akop_reset, .mode = STORE_READ },
			   .hash = hash };
	enum tg_err rc = store_run(s, &op.call);

	if (rc == TG_OK) {
		*out = op.apikeys[0]; /* ownership moves to the caller */
		op.napikeys = 0;
	}
	akop_reset(&op.call);
	return rc;
}

/* ------------------------------------------------------------ a tenant's removal */

static int
visit_drop(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	   struct store_call *c)
{
	struct akop *op = STORE_OP_OF(c, struct akop);
	struct tg_apikey *a = NULL;
	int ret = 0;

	if (!apikey_decode(k, d, &a))
		return store_corrupt(s, c, "apikeys");
	if (strcmp(a->tenant, op->tenant) == 0) {
		ret = store_del(s, T_APIKEY_HASH, txn, a->hash, TG_APIKEY_HASH_LEN);
		if (ret == 0 || ret == DB_NOTFOUND)
			ret = cur->del(cur, 0);
	}
	apikey_free(a);
	return ret;
}

int
store_apikey_drop_tenant(struct tg_store *s, DB_TXN *txn, const char *tenant,
			 struct store_call *c)
{
	struct akop op = { .tenant = tenant };
	int ret = store_scan(s, T_APIKEYS, txn, NULL, 0, DB_RMW, visit_drop, &op.call);

	if (op.call.rc != TG_OK)
		c->rc = op.call.rc; /* the caller's transaction ends as if it had scanned itself */
	return ret;
}
