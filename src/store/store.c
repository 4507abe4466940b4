/*
 * Tenants, the issuer index, keys and the generation counter in the Berkeley
 * DB environment of store_env.c (API keys: store_apikey.c; sessions and
 * refresh tokens: store_session.c; the sweep and rate buckets: store_sweep.c).
 * Every operation is a body run by store_run(); this file never begins or
 * ends a transaction itself, never parses keys or tokens, never prints secrets.
 *
 * Layout, for every store*.c (the one place it is written down): one
 * environment directory holding tokengate.hint (the change counters,
 * store_hint.c) and tokengate.db with these B-trees
 *   tenants          id                      -> tenant JSON (tenant_to_json)
 *   issuers          issuer                  -> tenant id (unique)
 *   keys             tenant '\0' kid         -> key record v1 (below)
 *   apikeys          id                      -> API key record v1 (below)
 *   apikey_hash      SHA-256 hash (32)       -> API key id (unique)
 *   meta             "generation"            -> uint64, big-endian
 *                    "refresh_key"           -> u8 version=1, 32 random bytes (store_secret.c)
 *   sessions         session id              -> session record v2 (below)
 *   session_user     tenant '\0' user '\0' sid -> empty
 *   session_end      session_end key (below) -> empty
 *   session_refresh  sid, refresh hash (32)  -> empty
 *   refresh          refresh hash (32)       -> refresh record v1 (below)
 *   rate             bucket name             -> rate record v1 (below)
 *   users            tenant '\0' user id     -> user record v1 (model/user.h, store_user.c)
 *   user_email       tenant '\0' email       -> user id (normalised email, unique per tenant)
 *   login_throttle   throttle key (model/throttle.h) -> failed-login counter v1 (store_throttle.c)
 *   meta             "throttle_sweep"        -> the throttle key the counters' sweep goes on from
 * Key record v1: u8 version=1, u8 state, u8 use, u8 alg name length L,
 *   L bytes alg name, i64 created (BE), u32 material length M (BE), M bytes
 *   material (keys_export form). The alg is stored by name so that
 *   reordering enum tg_alg never reinterprets a stored key. Key record v2
 *   (written only for a key with a source or a certificate): the same with
 *   version=2, then u16 length (BE) + source, u16 length + certificate
 *   subject (0: none), i64 certificate notAfter (BE).
 * API key record v1: u8 version=1, u8 revoked, i64 created (BE), 32 bytes
 *   hash, tenant id (rest of the record, no NUL).
 * Session record v2: u8 version=2, u8 tenant length T, i64 expires (BE),
 *   i64 revoked (BE), i64 idle_expires (BE, 0: none), T bytes tenant, then
 *   session_encode() JSON in form 2 (which repeats the prefix's fields; a
 *   record where they disagree does not decode). Still read: v1, the same
 *   without idle_expires, its JSON in form 1 (a session without limits).
 * session_end key: u8 shard (the sid's first byte), i64 end (BE), sid; end
 *   is the earliest of expires, idle_expires (when set) and revoked (when set).
 * Refresh record v2: u8 version=2, u8 used, i64 expires (BE), i64 used at (BE,
 *   0 while unused), sid (22 bytes), the successor's hash (32, zeros while
 *   unused). Version 1 (u8 version=1, u8 used, i64 expires, sid) is still read.
 * Rate record v1: u8 version=1, i64 milli-tokens (BE), i64 updated_ms (BE).
 * Why sessions look like this: the comment at the top of store_session.c.
 * Strings are stored without their NUL. A created time of 0 handed to an
 * add means "now".
 */
#include "store/store_db.h"

#include "base/secret.h"

#include <json.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEYREC_VERSION 1
#define KEYREC_VERSION_2 2

struct op;
typedef int (*op_fn)(struct tg_store *s, DB_TXN *txn, struct op *op);

/* One operation: its inputs, and outputs that op_clear_outputs empties before each attempt. */
struct op {
	struct store_call call;
	op_fn fn;
	const struct tg_tenant *t;
	const struct tg_key_record *k;
	const char *tenant, *name; /* tenant id; kid or issuer */
	enum tg_key_state state;
	uint64_t gen;
	char *id_out;
	struct tg_tenant **tenants;
	size_t ntenants;
	struct tg_key_record **keys;
	size_t nkeys;
	struct store_key_sync *sync;
};
/* ------------------------------------------------------------ encoding */

static bool
keyrec_needs_v2(const struct tg_key_record *k)
{
	return k->source || k->cert_subject;
}

static unsigned char *
keyrec_encode(const struct tg_key_record *k, int64_t created, size_t *n)
{
	const char *alg = alg_name(k->alg);
	size_t al = strlen(alg), len = 4 + al + 8 + 4 + k->material.len;
	unsigned char *p, *q;

	/* Records without the v2 fields stay v1, which a binary before v2 still reads. */
	if (keyrec_needs_v2(k))
		len += 2 + (k->source ? strlen(k->source) : 0) + 2 +
		       (k->cert_subject ? strlen(k->cert_subject) : 0) + 8;
	p = tg_xmalloc(len);
	q = p;
	*q++ = keyrec_needs_v2(k) ? KEYREC_VERSION_2 : KEYREC_VERSION;
	*q++ = (unsigned char)k->state;
	*q++ = (unsigned char)k->use;
	*q++ = (unsigned char)al;
	memcpy(q, alg, al);
	q += al;
	bytes_put_u64(q, (uint64_t)created);
	q += 8;
	for (int i = 3; i >= 0; i--)
		*q++ = (unsigned char)(k->material.len >> (8 * i));
	if (k->material.len)
		memcpy(q, k->material.p, k->material.len);
	q += k->material.len;
	if (keyrec_needs_v2(k)) {
		q = bytes_put_str16(q, k->source);
		q = bytes_put_str16(q, k->cert_subject);
		bytes_put_u64(q, (uint64_t)k->cert_not_after);
	}
	*n = len;
	return p;
}

/* The v2 tail after the material: source, certificate subject and notAfter, nothing more. */
static bool
keyrec_decode_v2(const unsigned char *p, const unsigned char *end, struct tg_key_record *r)
{
	if (!bytes_get_str16(&p, end, &r->source) || !bytes_get_str16(&p, end, &r->cert_subject) ||
	    end - p != 8)
		return false;
	r->cert_not_after = (int64_t)bytes_get_u64(p);
	return true;
}

static bool
keyrec_decode(const DBT *key, const DBT *data, struct tg_key_record **out)
{
	const unsigned char *p = data->data, *kp = key->data, *nul;
	struct tg_key_record *r;
	size_t al, ml;
	char alg[16];

	nul = key->size ? memchr(kp, '\0', key->size) : NULL;
	if (!nul || data->size < 4 || (p[0] != KEYREC_VERSION && p[0] != KEYREC_VERSION_2) ||
	    p[1] > TG_KEY_RETIRED || p[2] > TG_KEY_USE_SIGN)
		return false;
	al = p[3];
	if (al >= sizeof(alg) || data->size < 4 + al + 12)
		return false;
	memcpy(alg, p + 4, al);
	alg[al] = '\0';
	ml = (size_t)p[4 + al + 8] << 24 | (size_t)p[4 + al + 9] << 16 |
	     (size_t)p[4 + al + 10] << 8 | p[4 + al + 11];
	if (p[0] == KEYREC_VERSION ? data->size != 4 + al + 12 + ml : data->size < 4 + al + 12 + ml)
		return false;
	r = tg_xcalloc(1, sizeof(*r));
	if (alg_from_name(alg, &r->alg) != TG_OK ||
	    (p[0] == KEYREC_VERSION_2 &&
	     !keyrec_decode_v2(p + 4 + al + 12 + ml, p + data->size, r))) {
		keyrec_free(r);
		return false;
	}
	r->tenant = tg_xstrndup((const char *)kp, (size_t)(nul - kp));
	r->kid = tg_xstrndup((const char *)nul + 1, key->size - (size_t)(nul - kp) - 1);
	r->state = (enum tg_key_state)p[1];
	r->use = (enum tg_key_use)p[2];
	r->created = (int64_t)bytes_get_u64(p + 4 + al);
	secret_set(&r->material, p + 4 + al + 12, ml);
	*out = r;
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

static void
op_clear_outputs(struct op *op)
{
	op->gen = 0;
	free(op->id_out);
	op->id_out = NULL;
	tenant_list_free(op->tenants, op->ntenants);
	op->tenants = NULL;
	op->ntenants = 0;
	keyrec_list_free(op->keys, op->nkeys);
	op->keys = NULL;
	op->nkeys = 0;
	if (op->sync)
		strlist_free(&op->sync->retired);
}

static void
op_reset(struct store_call *c)
{
	op_clear_outputs(STORE_OP_OF(c, struct op));
}

static int
op_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct op *op = STORE_OP_OF(c, struct op);

	return op->fn(s, txn, op);
}

static enum tg_err
run_op(struct tg_store *s, enum store_mode mode, op_fn fn, struct op *op)
{
	op->fn = fn;
	op->call.body = op_body;
	op->call.reset = op_reset;
	op->call.mode = mode;
	return store_run(s, &op->call);
}

/* ------------------------------------------------------------ generation */

static int
read_gen(struct tg_store *s, DB_TXN *txn, u_int32_t flags, uint64_t *gen)
{
	unsigned char buf[8];
	DBT k, d;
	int ret;

	store_dbt_in(&k, "generation", 10);
	memset(&d, 0, sizeof(d));
	d.data = buf;
	d.ulen = sizeof(buf);
	d.flags = DB_DBT_USERMEM;
	ret = store_db(s, T_META)->get(store_db(s, T_META), txn, &k, &d, flags);
	*gen = 0;
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == 0 && d.size == sizeof(buf))
		*gen = bytes_get_u64(buf);
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
	bytes_put_u64(buf, gen + 1);
	store_dbt_in(&k, "generation", 10);
	store_dbt_in(&d, buf, sizeof(buf));
	ret = store_db(s, T_META)->put(store_db(s, T_META), txn, &k, &d, 0);
	/* After the put: the record is write-locked until this transaction ends (store_hint.c). */
	if (ret == 0)
		ret = store_hint_bump(s, STORE_HINT_KEYS);
	return ret;
}

static int
gen_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	return read_gen(s, txn, 0, &op->gen);
}

/*
 * Asked on every request: answered from the handle's cache while the KEYS
 * counter has not moved since the generation was last read (store_hint.c).
 */
enum tg_err
store_generation(struct tg_store *s, uint64_t *out)
{
	struct store_cache *cache = store_cache_of(s);
	struct store_stamp stamp;
	bool has_hint = store_hint_peek(s, STORE_HINT_KEYS, &stamp);
	struct op op = { 0 };
	enum tg_err rc;

	if (has_hint && store_cache_generation(cache, &stamp, out))
		return TG_OK;
	store_cache_count_read(cache, STORE_HINT_KEYS);
	rc = run_op(s, STORE_READ, gen_body, &op);
	if (rc == TG_OK && has_hint)
		store_cache_keep_generation(cache, &stamp, op.gen);
	if (rc == TG_OK)
		*out = op.gen;
	op_clear_outputs(&op);
	return rc;
}

/*
 * An open environment answers from its cache long after tokengate.db lost its
 * owner or mode, and the next process to open it would fail: the file is
 * checked as an opening process would need it.
 */
enum tg_err
store_health(struct tg_store *s, struct tg_why *why)
{
	char *db = tg_xasprintf("%s/tokengate.db", s->dir);
	struct op op = { 0 };
	enum tg_err rc = TG_OK;

	if (access(db, R_OK | W_OK) != 0) {
		rc = tg_fail(why, TG_ERR_IO, "%s cannot be opened (%s): give it back to the "
			     "server's user with mode 0600 (tokengatectl doctor)", db,
			     strerror(errno));
		goto out;
	}
	rc = run_op(s, STORE_READ, gen_body, &op);
	if (rc != TG_OK)
		tg_fail(why, rc, "the database in %s does not answer (%s): see the error log",
			s->dir, tg_err_str(rc));
out:
	op_clear_outputs(&op);
	free(db);
	return rc;
}

/* ------------------------------------------------------------ lists */

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

/* ------------------------------------------------------------ tenants */

static int
tenant_put(struct tg_store *s, DB_TXN *txn, const struct tg_tenant *t, int64_t created)
{
	struct json_object *o = tenant_to_json(t);
	const char *js;
	int ret;

	json_object_object_add(o, "created", json_object_new_int64(created));
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = store_put(s, T_TENANTS, txn, t->id, strlen(t->id), js, strlen(js));
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

	ret = store_fetch(s, T_ISSUERS, txn, issuer, strlen(issuer), DB_RMW, &d, &is_found);
	if (ret == 0 && is_found && (d.size != strlen(id) || memcmp(d.data, id, d.size) != 0))
		op->call.rc = TG_ERR_EXISTS;
	store_dbt_free(&d);
	return ret;
}

static int
tenant_add_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	const struct tg_tenant *t = op->t;
	bool is_found = false;
	int ret;

	ret = store_exists(s, T_TENANTS, txn, t->id, strlen(t->id), DB_RMW, &is_found);
	if (ret == 0 && is_found)
		op->call.rc = TG_ERR_EXISTS;
	if (ret == 0 && op->call.rc == TG_OK && t->issuer)
		ret = issuer_check(s, txn, t->issuer, t->id, op);
	if (ret != 0 || op->call.rc != TG_OK)
		return ret;
	ret = tenant_put(s, txn, t, t->created ? t->created : (int64_t)time(NULL));
	if (ret == 0 && t->issuer)
		ret = store_put(s, T_ISSUERS, txn, t->issuer, strlen(t->issuer), t->id, strlen(t->id));
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

	ret = store_fetch(s, T_TENANTS, txn, t->id, strlen(t->id), DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	if (ret != 0 || op->call.rc != TG_OK)
		goto out;
	if (!tenant_decode(&d, &old)) {
		ret = store_corrupt(s, &op->call, "tenants");
		goto out;
	}
	if (t->issuer)
		ret = issuer_check(s, txn, t->issuer, t->id, op);
	if (ret != 0 || op->call.rc != TG_OK)
		goto out;
	if (old->issuer && !(t->issuer && strcmp(old->issuer, t->issuer) == 0)) {
		ret = store_del(s, T_ISSUERS, txn, old->issuer, strlen(old->issuer));
		if (ret == DB_NOTFOUND)
			ret = 0;
	}
	if (ret == 0 && t->issuer)
		ret = store_put(s, T_ISSUERS, txn, t->issuer, strlen(t->issuer), t->id, strlen(t->id));
	if (ret == 0)
		ret = tenant_put(s, txn, t, t->created ? t->created : old->created);
	if (ret == 0)
		ret = bump_gen(s, txn);
out:
	store_dbt_free(&d);
	tenant_free(old);
	return ret;
}

static enum tg_err
tenant_write(struct tg_store *s, const struct tg_tenant *t, op_fn body)
{
	struct op op = { .t = t };
	enum tg_err rc;

	if (!tenant_id_is_valid(t->id) || (t->issuer && !t->issuer[0]))
		return TG_ERR_INVALID;
	rc = run_op(s, STORE_WRITE, body, &op);
	op_clear_outputs(&op);
	return rc;
}

/* A tenant removed under the same id must have taken its sessions along first. */
enum tg_err
store_tenant_add(struct tg_store *s, const struct tg_tenant *t)
{
	enum tg_err rc;

	if (!tenant_id_is_valid(t->id))
		return TG_ERR_INVALID;
	rc = store_job_finish(s, STORE_JOB_PURGE, t->id, NULL, SIZE_MAX, NULL, NULL);
	if (rc != TG_OK)
		return rc;
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

	ret = store_fetch(s, T_TENANTS, txn, op->tenant, strlen(op->tenant), 0, &d, &is_found);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && tenant_decode(&d, &t))
		append_tenant(op, t);
	else if (ret == 0)
		ret = store_corrupt(s, &op->call, "tenants");
	store_dbt_free(&d);
	return ret;
}

enum tg_err
store_tenant_get(struct tg_store *s, const char *id, struct tg_tenant **out)
{
	struct op op = { .tenant = id };
	enum tg_err rc = run_op(s, STORE_READ, tenant_get_body, &op);

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

	ret = store_fetch(s, T_ISSUERS, txn, op->name, strlen(op->name), 0, &d, &is_found);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	else if (ret == 0)
		op->id_out = tg_xstrndup(d.data, d.size);
	store_dbt_free(&d);
	return ret;
}

enum tg_err
store_tenant_by_issuer(struct tg_store *s, const char *issuer, char **id_out)
{
	struct op op = { .name = issuer };
	enum tg_err rc = run_op(s, STORE_READ, by_issuer_body, &op);

	if (rc == TG_OK) {
		*id_out = op.id_out; /* ownership moves to the caller */
		op.id_out = NULL;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
visit_tenant(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d,
	     struct store_call *call)
{
	struct op *op = STORE_OP_OF(call, struct op);
	struct tg_tenant *t;

	(void)txn;
	(void)c;
	(void)k;
	if (!tenant_decode(d, &t))
		return store_corrupt(s, &op->call, "tenants");
	append_tenant(op, t);
	return 0;
}

static int
tenant_list_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	return store_scan(s, T_TENANTS, txn, NULL, 0, 0, visit_tenant, &op->call);
}

enum tg_err
store_tenant_list(struct tg_store *s, struct tg_tenant ***out, size_t *n)
{
	struct op op = { 0 };
	enum tg_err rc = run_op(s, STORE_READ, tenant_list_body, &op);

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
visit_delete(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d,
	     struct store_call *call)
{
	struct op *op = STORE_OP_OF(call, struct op);
	(void)s;
	(void)txn;
	(void)k;
	(void)d;
	(void)op;
	return c->del(c, 0);
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

	ret = store_fetch(s, T_TENANTS, txn, op->tenant, strlen(op->tenant), DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !tenant_decode(&d, &t))
		ret = store_corrupt(s, &op->call, "tenants");
	store_dbt_free(&d);
	if (ret != 0 || op->call.rc != TG_OK)
		return ret;
	if (t->issuer) {
		ret = store_del(s, T_ISSUERS, txn, t->issuer, strlen(t->issuer));
		if (ret == DB_NOTFOUND)
			ret = 0;
	}
	tenant_free(t);
	if (ret == 0)
		ret = store_del(s, T_TENANTS, txn, op->tenant, strlen(op->tenant));
	prefix = store_tenant_key(op->tenant, NULL, &plen);
	if (ret == 0)
		ret = store_scan(s, T_KEYS, txn, prefix, plen, DB_RMW, visit_delete, &op->call);
	free(prefix);
	if (ret == 0)
		ret = store_apikey_drop_tenant(s, txn, op->tenant, &op->call);
	if (ret == 0 && op->call.rc == TG_OK)
		ret = store_user_drop_tenant(s, txn, op->tenant, &op->call);
	if (ret == 0)
		ret = store_jwks_forget(s, txn, op->tenant);
	if (ret == 0)
		ret = store_job_put(s, txn, STORE_JOB_PURGE, op->tenant, NULL, (int64_t)time(NULL));
	if (ret == 0)
		ret = bump_gen(s, txn);
	return ret;
}

/* The sessions go in batches after the tenant: one transaction could not hold them all. */
enum tg_err
store_tenant_remove(struct tg_store *s, const char *id)
{
	struct op op = { .tenant = id };
	enum tg_err rc = run_op(s, STORE_WRITE, tenant_remove_body, &op);

	op_clear_outputs(&op);
	if (rc == TG_OK)
		rc = store_job_finish(s, STORE_JOB_PURGE, id, NULL, SIZE_MAX, NULL, NULL);
	return rc;
}

/* ------------------------------------------------------------ keys */

/* The v2 strings have u16 lengths: refused, never cut (callers check first, for a sentence). */
static bool
keyrec_is_valid(const struct tg_key_record *k)
{
	return tenant_id_is_valid(k->tenant) && k->kid && k->kid[0] && k->alg > TG_ALG_INVALID &&
	       k->alg < TG_ALG_COUNT && k->state <= TG_KEY_RETIRED && k->use <= TG_KEY_USE_SIGN &&
	       k->material.len <= UINT32_MAX &&
	       (!k->source || (k->source[0] && strlen(k->source) <= TG_KEYREC_STR_MAX)) &&
	       (!k->cert_subject || (k->cert_subject[0] &&
				     strlen(k->cert_subject) <= TG_KEYREC_STR_MAX));
}

static int
key_add_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	const struct tg_key_record *k = op->k;
	unsigned char *id, *rec = NULL;
	size_t idlen, reclen = 0;
	bool is_found = false;
	int ret;

	id = store_tenant_key(k->tenant, k->kid, &idlen);
	ret = store_tenant_exists(s, txn, k->tenant, &op->call);
	if (ret == 0 && op->call.rc == TG_OK)
		ret = store_exists(s, T_KEYS, txn, id, idlen, DB_RMW, &is_found);
	if (ret == 0 && is_found)
		op->call.rc = TG_ERR_EXISTS;
	if (ret != 0 || op->call.rc != TG_OK)
		goto out;
	rec = keyrec_encode(k, k->created ? k->created : (int64_t)time(NULL), &reclen);
	ret = store_put(s, T_KEYS, txn, id, idlen, rec, reclen);
	if (ret == 0)
		ret = bump_gen(s, txn);
out:
	secret_free_buf(rec, reclen);
	free(id);
	return ret;
}

enum tg_err
store_key_add(struct tg_store *s, const struct tg_key_record *k)
{
	struct op op = { .k = k };
	enum tg_err rc;

	if (!keyrec_is_valid(k))
		return TG_ERR_INVALID;
	rc = run_op(s, STORE_WRITE, key_add_body, &op);
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

	id = store_tenant_key(op->tenant, op->name, &idlen);
	ret = store_fetch(s, T_KEYS, txn, id, idlen, 0, &d, &is_found);
	store_dbt_in(&k, id, idlen);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && keyrec_decode(&k, &d, &r))
		append_key(op, r);
	else if (ret == 0)
		ret = store_corrupt(s, &op->call, "keys");
	store_dbt_free(&d);
	free(id);
	return ret;
}

enum tg_err
store_key_get(struct tg_store *s, const char *tenant, const char *kid, struct tg_key_record **out)
{
	struct op op = { .tenant = tenant, .name = kid };
	enum tg_err rc = run_op(s, STORE_READ, key_get_body, &op);

	if (rc == TG_OK) {
		*out = op.keys[0]; /* ownership moves to the caller */
		op.nkeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

static int
visit_key(struct tg_store *s, DB_TXN *txn, DBC *c, const DBT *k, const DBT *d,
	  struct store_call *call)
{
	struct op *op = STORE_OP_OF(call, struct op);
	struct tg_key_record *r;

	(void)txn;
	(void)c;
	if (!keyrec_decode(k, d, &r))
		return store_corrupt(s, &op->call, "keys");
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
		prefix = store_tenant_key(tenant, NULL, &plen);
	ret = store_scan(s, T_KEYS, txn, prefix, plen, 0, visit_key, &op->call);
	free(prefix);
	return ret;
}

static int
key_list_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	int ret = 0;

	if (op->tenant)
		ret = store_tenant_exists(s, txn, op->tenant, &op->call);
	if (ret != 0 || op->call.rc != TG_OK)
		return ret;
	return list_keys(s, txn, op->tenant, op);
}

enum tg_err
store_key_list(struct tg_store *s, const char *tenant, struct tg_key_record ***out, size_t *n)
{
	struct op op = { .tenant = tenant };
	enum tg_err rc = run_op(s, STORE_READ, key_list_body, &op);

	if (rc == TG_OK) {
		*out = op.keys; /* ownership moves to the caller */
		*n = op.nkeys;
		op.keys = NULL;
		op.nkeys = 0;
	}
	op_clear_outputs(&op);
	return rc;
}

/* A key record read for update (write-locked until the transaction ends); *out NULL if absent. */
static int
key_fetch_rmw(struct tg_store *s, DB_TXN *txn, const char *tenant, const char *kid,
	      struct op *op, struct tg_key_record **out)
{
	unsigned char *id;
	size_t idlen;
	bool is_found = false;
	DBT k, d;
	int ret;

	*out = NULL;
	id = store_tenant_key(tenant, kid, &idlen);
	store_dbt_in(&k, id, idlen);
	ret = store_fetch(s, T_KEYS, txn, id, idlen, DB_RMW, &d, &is_found);
	if (ret == 0 && is_found && !keyrec_decode(&k, &d, out))
		ret = store_corrupt(s, &op->call, "keys");
	store_dbt_free(&d);
	free(id);
	return ret;
}

/* Writes r back under its own tenant and kid. */
static int
key_put(struct tg_store *s, DB_TXN *txn, const struct tg_key_record *r, int64_t created)
{
	unsigned char *id, *rec;
	size_t idlen, reclen;
	int ret;

	id = store_tenant_key(r->tenant, r->kid, &idlen);
	rec = keyrec_encode(r, created, &reclen);
	ret = store_put(s, T_KEYS, txn, id, idlen, rec, reclen);
	secret_free_buf(rec, reclen);
	free(id);
	return ret;
}

static int
key_state_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct tg_key_record *r = NULL;
	int ret = key_fetch_rmw(s, txn, op->tenant, op->name, op, &r);

	if (ret == 0 && !r)
		op->call.rc = TG_ERR_NOT_FOUND;
	if (ret != 0 || !r || r->state == op->state)
		goto out;
	r->state = op->state;
	ret = key_put(s, txn, r, r->created);
	if (ret == 0)
		ret = bump_gen(s, txn);
out:
	keyrec_free(r);
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
	rc = run_op(s, STORE_WRITE, key_state_body, &op);
	op_clear_outputs(&op);
	return rc;
}

static int
key_remove_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	unsigned char *id;
	size_t idlen;
	int ret;

	id = store_tenant_key(op->tenant, op->name, &idlen);
	ret = store_del(s, T_KEYS, txn, id, idlen);
	free(id);
	if (ret == DB_NOTFOUND) {
		op->call.rc = TG_ERR_NOT_FOUND;
		return 0;
	}
	return ret != 0 ? ret : bump_gen(s, txn);
}

enum tg_err
store_key_remove(struct tg_store *s, const char *tenant, const char *kid)
{
	struct op op = { .tenant = tenant, .name = kid };
	enum tg_err rc = run_op(s, STORE_WRITE, key_remove_body, &op);

	op_clear_outputs(&op);
	return rc;
}

/* ------------------------------------------------------------ key sets */

static bool
is_same_key(const struct tg_key_record *a, const struct tg_key_record *b)
{
	return a->alg == b->alg && a->use == b->use &&
	       secret_equal(a->material.p, a->material.len, b->material.p, b->material.len);
}

/* One key of the set against what its kid holds: added, unchanged, reactivated or differs. */
static int
sync_one(struct tg_store *s, DB_TXN *txn, const struct tg_key_record *k, int64_t now,
	 enum store_key_outcome *outcome, struct op *op)
{
	struct tg_key_record *old = NULL;
	int ret = key_fetch_rmw(s, txn, k->tenant, k->kid, op, &old);

	if (ret != 0)
		return ret;
	if (!old) {
		*outcome = STORE_KEY_ADDED;
		ret = key_put(s, txn, k, now);
	} else if (!is_same_key(old, k)) {
		*outcome = STORE_KEY_DIFFERS;
	} else if (old->state == TG_KEY_RETIRED && old->source && op->sync->is_sync &&
		   strcmp(old->source, op->sync->source) == 0) {
		*outcome = STORE_KEY_REACTIVATED;
		old->state = TG_KEY_ACTIVE;
		ret = key_put(s, txn, old, old->created);
	} else {
		*outcome = STORE_KEY_UNCHANGED;
	}
	keyrec_free(old);
	return ret;
}

/* The tenant's active keys of the source that the set no longer names. */
static int
sync_retire(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct store_key_sync *sy = op->sync;
	int ret = list_keys(s, txn, sy->tenant, op);

	for (size_t i = 0; i < op->nkeys && ret == 0; i++) {
		struct tg_key_record *r = op->keys[i];

		if (r->state != TG_KEY_ACTIVE || r->use != TG_KEY_USE_VERIFY || !r->source ||
		    strcmp(r->source, sy->source) != 0 || strlist_contains(sy->keep, r->kid))
			continue;
		r->state = TG_KEY_RETIRED;
		ret = key_put(s, txn, r, r->created);
		strlist_add(&sy->retired, r->kid);
	}
	return ret;
}

static int
keys_sync_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	struct store_key_sync *sy = op->sync;
	int64_t now = (int64_t)time(NULL);
	bool is_changed = false, has_conflict = false;
	int ret = store_tenant_exists(s, txn, sy->tenant, &op->call);

	for (size_t i = 0; i < sy->nadd && ret == 0 && op->call.rc == TG_OK; i++) {
		ret = sync_one(s, txn, sy->add[i], now, &sy->outcome[i], op);
		is_changed |= sy->outcome[i] == STORE_KEY_ADDED ||
			      sy->outcome[i] == STORE_KEY_REACTIVATED;
		has_conflict |= sy->outcome[i] == STORE_KEY_DIFFERS;
	}
	if (ret != 0 || op->call.rc != TG_OK)
		return ret;
	/* A set that cannot be made equal is not half-applied: the caller's lines say why. */
	if (sy->is_sync && has_conflict) {
		op->call.rc = TG_ERR_EXISTS;
		return 0;
	}
	if (sy->is_sync)
		ret = sync_retire(s, txn, op);
	if (ret == 0 && (is_changed || sy->retired.n > 0))
		ret = bump_gen(s, txn);
	return ret;
}

enum tg_err
store_keys_sync(struct tg_store *s, struct store_key_sync *sync)
{
	struct op op = { .sync = sync };
	enum tg_err rc;

	if (!tenant_id_is_valid(sync->tenant) || !sync->source || !sync->source[0])
		return TG_ERR_INVALID;
	for (size_t i = 0; i < sync->nadd; i++) {
		const struct tg_key_record *k = sync->add[i];

		if (!keyrec_is_valid(k) || strcmp(k->tenant, sync->tenant) != 0 || !k->source ||
		    strcmp(k->source, sync->source) != 0)
			return TG_ERR_INVALID;
	}
	rc = run_op(s, STORE_WRITE, keys_sync_body, &op);
	/* Kept for the caller (op_clear_outputs empties it only between attempts). */
	if (rc != TG_OK)
		strlist_free(&sync->retired);
	op.sync = NULL;
	op_clear_outputs(&op);
	return rc;
}

static int
snapshot_body(struct tg_store *s, DB_TXN *txn, struct op *op)
{
	int ret = read_gen(s, txn, 0, &op->gen);

	if (ret == 0)
		ret = store_scan(s, T_TENANTS, txn, NULL, 0, 0, visit_tenant, &op->call);
	if (ret == 0 && op->call.rc == TG_OK)
		ret = list_keys(s, txn, NULL, op);
	return ret;
}

enum tg_err
store_snapshot(struct tg_store *s, uint64_t *gen, struct tg_tenant ***tenants, size_t *ntenants,
	       struct tg_key_record ***keys, size_t *nkeys)
{
	struct op op = { 0 };
	enum tg_err rc = run_op(s, STORE_READ, snapshot_body, &op);

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
