/*
 * The record helpers every table's file uses (store_db.h): DBTs, fixed-width
 * integers, get/put/delete/scan of one table inside the caller's transaction,
 * the check that a tenant exists, and the report of a record that does not
 * decode. Runs inside store_run's bodies: never begins or ends a transaction,
 * and knows no table's record format.
 */
#include "store/store_db.h"

#include "base/log.h"
#include "base/secret.h"

#include <stdlib.h>
#include <string.h>

int
store_corrupt(struct tg_store *s, struct store_call *c, const char *table)
{
	TG_LOG(TG_LOG_ERR, "%s: a record in table %s does not decode; restore it from a backup",
	       s->errpfx, table);
	c->rc = TG_ERR_DB;
	return 0;
}

/* ------------------------------------------------------------ records */

void
store_dbt_in(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)(uintptr_t)p; /* BDB reads input DBTs only */
	d->size = (u_int32_t)n;
}

void
store_dbt_out(DBT *d)
{
	memset(d, 0, sizeof(*d));
	d->flags = DB_DBT_MALLOC; /* required on DB_THREAD handles */
}

void
store_dbt_free(DBT *d)
{
	if (d->flags & DB_DBT_MALLOC)
		secret_free_buf(d->data, d->size);
	d->data = NULL;
	d->size = 0;
}


unsigned char *
store_tenant_key(const char *tenant, const char *rest, size_t *n)
{
	size_t tl = strlen(tenant), rl = rest ? strlen(rest) : 0;
	unsigned char *p = tg_xmalloc(tl + 1 + rl);

	memcpy(p, tenant, tl);
	p[tl] = '\0';
	if (rl)
		memcpy(p + tl + 1, rest, rl);
	*n = tl + 1 + rl;
	return p;
}

int
store_fetch(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t n,
	    u_int32_t flags, DBT *d, bool *is_found)
{
	DBT k;
	int ret;

	store_dbt_in(&k, key, n);
	store_dbt_out(d);
	ret = s->db[t]->get(s->db[t], txn, &k, d, flags);
	*is_found = ret == 0;
	return ret == DB_NOTFOUND ? 0 : ret;
}

int
store_exists(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t n,
	     u_int32_t flags, bool *is_found)
{
	DBT d;
	int ret = store_fetch(s, t, txn, key, n, flags, &d, is_found);

	store_dbt_free(&d);
	return ret;
}

int
store_put(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t kn,
	  const void *data, size_t dn)
{
	DBT k, d;

	store_dbt_in(&k, key, kn);
	store_dbt_in(&d, data, dn);
	return s->db[t]->put(s->db[t], txn, &k, &d, 0);
}

int
store_del(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *key, size_t n)
{
	DBT k;

	store_dbt_in(&k, key, n);
	return s->db[t]->del(s->db[t], txn, &k, 0);
}

int
store_scan(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *prefix, size_t plen,
	   u_int32_t flags, store_visit_fn visit, struct store_call *c)
{
	return store_scan_from(s, t, txn, prefix, plen, NULL, 0, flags, visit, c);
}

int
store_scan_from(struct tg_store *s, enum store_table t, DB_TXN *txn, const void *prefix,
		size_t plen, const void *start, size_t slen, u_int32_t flags, store_visit_fn visit,
		struct store_call *c)
{
	/* Degree 2 is a property of the cursor, not of each get. */
	u_int32_t copen = flags & DB_READ_COMMITTED, cget = flags & ~(u_int32_t)DB_READ_COMMITTED;
	u_int32_t how;
	DBC *cur = NULL;
	DBT k, d;
	int ret;

	if (!start || slen < plen) {
		start = prefix;
		slen = plen;
	}
	how = slen ? DB_SET_RANGE : DB_FIRST;
	ret = s->db[t]->cursor(s->db[t], txn, &cur, copen);
	if (ret != 0)
		return ret;
	store_dbt_out(&k);
	store_dbt_out(&d);
	if (slen) {
		k.data = (void *)(uintptr_t)start; /* replaced by the found key on success */
		k.size = (u_int32_t)slen;
	}
	for (;;) {
		ret = cur->get(cur, &k, &d, how | cget);
		if (ret != 0) {
			/*
			 * The start is the caller's; anything else BDB allocated before it
			 * failed (a key found, then a lock refused: 33 bytes leaked under
			 * the sweeps' conflicts) is freed by store_cursor_done.
			 */
			if (k.data == start)
				k.data = NULL;
			break;
		}
		how = DB_NEXT;
		if (plen && (k.size < plen || memcmp(k.data, prefix, plen) != 0))
			break;
		ret = visit(s, txn, cur, &k, &d, c);
		store_dbt_free(&k);
		store_dbt_free(&d);
		if (ret != 0 || c->rc != TG_OK)
			break;
	}
	return store_cursor_done(cur, &k, &d, ret == STORE_SCAN_STOP ? 0 : ret);
}

int
store_cursor_done(DBC *cur, DBT *k, DBT *d, int ret)
{
	int cret;

	store_dbt_free(k);
	store_dbt_free(d);
	cret = cur->close(cur);
	if (ret == DB_NOTFOUND)
		ret = 0;
	return ret != 0 ? ret : cret;
}

/* Lent to every file whose records belong to a tenant: writing for one that is gone leaks. */
int
store_tenant_exists(struct tg_store *s, DB_TXN *txn, const char *id, struct store_call *c)
{
	bool is_found = false;
	int ret = store_exists(s, T_TENANTS, txn, id, strlen(id), 0, &is_found);

	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	return ret;
}
