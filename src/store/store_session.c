/*
 * Sessions and refresh tokens in tokengate.db (store.h, bottom half; record
 * formats at the top of store.c; the sweep and rate buckets: store_sweep.c).
 * Every operation is one body run by store_run(); this file never begins or
 * ends a transaction itself, and never sees a refresh token, only its hash.
 *
 * Why the records look as they do:
 * - The session record's fixed binary prefix (tenant, expires, revoked,
 *   idle_expires) serves store_session_check, run on every authorizer
 *   request: a partial read of SESSION_HEAD_MAX bytes into the stack, no
 *   JSON parse, no malloc. Version 1 records (no session limits) are still
 *   read; every write makes a version 2.
 * - The idle deadline moves with every token handed out, so moving it bumps
 *   no hint (that would void every handle's kept answers on each refresh):
 *   it only ever moves later, so a kept head can be stale only in saying a
 *   session idled out, and that answer is read again (store_session_check).
 * - session_end keys start with a shard byte. With a plain (end, sid) key
 *   every issuance would insert at the same rightmost leaf and hold its page
 *   lock through the commit's log flush, so concurrent issuances could not
 *   share a group commit. The sweep walks each shard oldest first.
 * - Used refresh tokens stay until their session is swept: presenting one
 *   again is how reuse is detected. They go with the session, never before
 *   it, and so does the session's "rt:" rate bucket. A used one keeps when it
 *   was used and its successor's hash: a repeat within the grace is told from
 *   reuse by them, and the successor itself is derived again, never stored.
 */
#include "store/store_db.h"

#include "base/b64url.h"
#include "base/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_VERSION 2
#define SESSION_FIXED_V1 (1 + 1 + 8 + 8)
#define SESSION_FIXED (SESSION_FIXED_V1 + 8)
#define SESSION_HEAD_MAX (SESSION_FIXED + TG_TENANT_ID_MAX)
#define REFRESH_VERSION 2
#define REFRESH_V1_LEN (1 + 1 + 8 + TG_SESSION_ID_LEN)
#define REFRESH_LEN (1 + 1 + 8 + 8 + TG_SESSION_ID_LEN + TG_REFRESH_HASH_LEN)

/* What a session's check answer depends on, taken before the session changes. */
struct session_was {
	int64_t expires;
	int64_t revoked;
	int64_t idle_expires;
};

struct refresh {
	bool is_used;
	int64_t expires;
	int64_t used_at;                   /* 0: unused, or used before v2 recorded it */
	char sid[TG_SESSION_ID_LEN + 1];
	unsigned char next[TG_REFRESH_HASH_LEN]; /* the successor's hash once used; else zeros */
};

/* One operation: its inputs, and outputs that sop_reset empties before each attempt. */
struct sop {
	struct store_call call;
	const struct tg_session *sess;
	const char *tenant, *id, *user, *method, *remote_addr;
	const unsigned char *hash, *new_hash;
	int64_t now, expires, grace;
	const unsigned char *after; /* a listing starts after this session_user key */
	size_t after_len, limit;
	/* outputs */
	struct store_session_head head;
	char sid[TG_SESSION_ID_LEN + 1];
	struct tg_session **sessions;
	size_t nsessions;
	size_t seen;         /* index entries a listing passed */
	bool has_more;       /* a listing stopped before the last entry */
	unsigned char *last; /* the last entry it passed */
	size_t last_len;
};

static void
sop_reset(struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);

	session_list_free(op->sessions, op->nsessions);
	op->sessions = NULL;
	op->nsessions = 0;
	op->seen = 0;
	op->has_more = false;
	free(op->last);
	op->last = NULL;
	op->last_len = 0;
}

static enum tg_err
sop_run(struct tg_store *s, enum store_mode mode, store_body_fn body, struct sop *op)
{
	op->call.body = body;
	op->call.reset = sop_reset;
	op->call.mode = mode;
	return store_run(s, &op->call);
}

/* Moves the first session found to *out on success; always releases the rest. */
static enum tg_err
sop_finish_one(struct sop *op, enum tg_err rc, struct tg_session **out)
{
	if (rc == TG_OK && out) {
		*out = op->sessions[0]; /* ownership moves to the caller */
		op->sessions[0] = NULL;
	}
	sop_reset(&op->call);
	return rc;
}

static void
append_session(struct sop *op, struct tg_session *ss)
{
	op->sessions = tg_xrealloc(op->sessions, (op->nsessions + 1) * sizeof(*op->sessions));
	op->sessions[op->nsessions++] = ss;
}

/* ------------------------------------------------------------ records */

static int64_t
session_end(const struct tg_session *ss)
{
	int64_t deadline = session_deadline(ss);

	return ss->revoked && ss->revoked < deadline ? ss->revoked : deadline;
}

static unsigned char *
session_encode_rec(const struct tg_session *ss, size_t *n)
{
	size_t tl = strlen(ss->tenant), jl;
	char *json = session_encode(ss, &jl);
	unsigned char *p = tg_xmalloc(SESSION_FIXED + tl + jl);

	p[0] = SESSION_VERSION;
	p[1] = (unsigned char)tl;
	bytes_put_u64(p + 2, (uint64_t)ss->expires);
	bytes_put_u64(p + 10, (uint64_t)ss->revoked);
	bytes_put_u64(p + 18, (uint64_t)ss->idle_expires);
	memcpy(p + SESSION_FIXED, ss->tenant, tl);
	memcpy(p + SESSION_FIXED + tl, json, jl);
	*n = SESSION_FIXED + tl + jl;
	free(json);
	return p;
}

/* The prefix's length in a record of that version, 0 for an unknown version. */
static size_t
head_len(unsigned char version)
{
	return version == 1 ? SESSION_FIXED_V1 : version == SESSION_VERSION ? SESSION_FIXED : 0;
}

static bool
session_head_decode(const unsigned char *p, size_t n, struct store_session_head *h)
{
	size_t fixed = n ? head_len(p[0]) : 0;

	if (fixed == 0 || n < fixed || p[1] == 0 || p[1] > TG_TENANT_ID_MAX ||
	    n < fixed + (size_t)p[1])
		return false;
	h->tenant_len = p[1];
	h->expires = (int64_t)bytes_get_u64(p + 2);
	h->revoked = (int64_t)bytes_get_u64(p + 10);
	h->idle_expires = p[0] == 1 ? 0 : (int64_t)bytes_get_u64(p + 18);
	memcpy(h->tenant, p + fixed, h->tenant_len);
	return true;
}

static bool
is_tenant(const struct store_session_head *h, const char *tenant)
{
	return strlen(tenant) == h->tenant_len && memcmp(h->tenant, tenant, h->tenant_len) == 0;
}

static struct session_was
session_was(const struct tg_session *ss)
{
	return (struct session_was){ .expires = ss->expires, .revoked = ss->revoked,
				     .idle_expires = ss->idle_expires };
}

static bool
session_decode_rec(const DBT *key, const DBT *data, struct tg_session **out)
{
	const unsigned char *p = data->data;
	struct store_session_head h;
	struct tg_session *ss = NULL;
	size_t off;

	if (!session_head_decode(p, data->size, &h))
		return false;
	off = head_len(p[0]) + h.tenant_len;
	/* A record's JSON form is its version: version 1 records hold form 1. */
	if (session_decode((const char *)p + off, data->size - off, p[0], &ss) != TG_OK)
		return false;
	if (strlen(ss->id) != key->size || memcmp(ss->id, key->data, key->size) != 0 ||
	    !is_tenant(&h, ss->tenant) || ss->expires != h.expires || ss->revoked != h.revoked ||
	    ss->idle_expires != h.idle_expires) {
		session_free(ss);
		return false;
	}
	*out = ss;
	return true;
}

static void
end_key(unsigned char k[STORE_END_KEY_LEN], int64_t end, const char *sid)
{
	k[0] = (unsigned char)sid[0];
	bytes_put_u64(k + 1, (uint64_t)end);
	memcpy(k + 9, sid, TG_SESSION_ID_LEN);
}

static void
session_end_key(const struct tg_session *ss, unsigned char k[STORE_END_KEY_LEN])
{
	end_key(k, session_end(ss), ss->id);
}

/* Lent to store_jobs.c (store_db.h), whose jobs walk the entries this builds. */
unsigned char *
store_session_user_key(const char *tenant, const char *user, const char *sid, size_t *n)
{
	size_t tl = strlen(tenant), ul = user ? strlen(user) : 0, sl = sid ? strlen(sid) : 0;
	unsigned char *p = tg_xmalloc(tl + 1 + ul + 1 + sl);

	memcpy(p, tenant, tl);
	p[tl] = '\0';
	*n = tl + 1;
	if (user) {
		memcpy(p + *n, user, ul);
		p[*n + ul] = '\0';
		*n += ul + 1;
	}
	if (sid) {
		memcpy(p + *n, sid, sl);
		*n += sl;
	}
	return p;
}

/* Version 1 records (no use time, no successor) are still read: they are never graced. */
static bool
refresh_decode(const DBT *d, struct refresh *r)
{
	const unsigned char *p = d->data;
	bool is_v1 = d->size == REFRESH_V1_LEN && p[0] == 1;

	if (!is_v1 && (d->size != REFRESH_LEN || p[0] != REFRESH_VERSION))
		return false;
	if (p[1] > 1)
		return false;
	memset(r, 0, sizeof(*r));
	r->is_used = p[1] == 1;
	r->expires = (int64_t)bytes_get_u64(p + 2);
	if (!is_v1) {
		r->used_at = (int64_t)bytes_get_u64(p + 10);
		memcpy(r->next, p + 18 + TG_SESSION_ID_LEN, TG_REFRESH_HASH_LEN);
	}
	memcpy(r->sid, p + (is_v1 ? 10 : 18), TG_SESSION_ID_LEN);
	return true;
}

static int
refresh_put(struct tg_store *s, DB_TXN *txn, const unsigned char *hash, const struct refresh *r)
{
	unsigned char rec[REFRESH_LEN];

	rec[0] = REFRESH_VERSION;
	rec[1] = r->is_used ? 1 : 0;
	bytes_put_u64(rec + 2, (uint64_t)r->expires);
	bytes_put_u64(rec + 10, (uint64_t)r->used_at);
	memcpy(rec + 18, r->sid, TG_SESSION_ID_LEN);
	memcpy(rec + 18 + TG_SESSION_ID_LEN, r->next, TG_REFRESH_HASH_LEN);
	return store_put(s, T_REFRESH, txn, hash, TG_REFRESH_HASH_LEN, rec, sizeof(rec));
}

/* A new, unused refresh token of session sid and its entry in the session's list. */
static int
refresh_add(struct tg_store *s, DB_TXN *txn, const unsigned char *hash, const char *sid,
	    int64_t expires)
{
	struct refresh r = { .expires = expires };
	unsigned char k[STORE_SESSION_REFRESH_LEN];
	int ret;

	memcpy(r.sid, sid, sizeof(r.sid));
	ret = refresh_put(s, txn, hash, &r);
	memcpy(k, sid, TG_SESSION_ID_LEN);
	memcpy(k + TG_SESSION_ID_LEN, hash, TG_REFRESH_HASH_LEN);
	if (ret == 0)
		ret = store_put(s, T_SESSION_REFRESH, txn, k, sizeof(k), "", 0);
	return ret;
}

/*
 * Reads session id (flags: DB_RMW to update it). A miss, or another tenant's
 * session when tenant is not NULL, sets c->rc to TG_ERR_NOT_FOUND.
 */
static int
session_load(struct tg_store *s, DB_TXN *txn, const char *id, const char *tenant,
		   u_int32_t flags, struct store_call *c, struct tg_session **out)
{
	bool is_found = false;
	DBT k, d;
	int ret;

	store_dbt_in(&k, id, strlen(id));
	ret = store_fetch(s, T_SESSIONS, txn, id, strlen(id), flags, &d, &is_found);
	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !session_decode_rec(&k, &d, out))
		ret = store_corrupt(s, c, "sessions");
	else if (ret == 0 && tenant && strcmp((*out)->tenant, tenant) != 0) {
		c->rc = TG_ERR_NOT_FOUND; /* another tenant's session is not there for this one */
		session_free(*out);
		*out = NULL;
	}
	store_dbt_free(&d);
	return ret;
}

/*
 * Rewrites a stored session that was as was before the change. A change of
 * what store_session_check answers bumps the SESSIONS hint once the record
 * is written, so every handle's kept answer for it lapses (store_hint.c);
 * the idle deadline moving later needs none (the comment at the top).
 */
static int
session_store(struct tg_store *s, DB_TXN *txn, const struct tg_session *ss,
	      struct session_was was)
{
	struct tg_session old = { .expires = was.expires, .revoked = was.revoked,
				  .idle_expires = was.idle_expires };
	int64_t old_end = session_end(&old);
	unsigned char *rec, k[STORE_END_KEY_LEN];
	size_t n;
	int ret;

	rec = session_encode_rec(ss, &n);
	ret = store_put(s, T_SESSIONS, txn, ss->id, strlen(ss->id), rec, n);
	free(rec);
	if (ret == 0 && (was.expires != ss->expires || was.revoked != ss->revoked))
		ret = store_hint_bump(s, STORE_HINT_SESSIONS);
	if (ret != 0 || old_end == session_end(ss))
		return ret;
	end_key(k, old_end, ss->id);
	ret = store_del(s, T_SESSION_END, txn, k, sizeof(k));
	end_key(k, session_end(ss), ss->id);
	if (ret == 0)
		ret = store_put(s, T_SESSION_END, txn, k, sizeof(k), "", 0);
	return ret;
}

/* Ends a loaded session at now; one already ended stays as it is. */
static int
session_end_now(struct tg_store *s, DB_TXN *txn, struct tg_session *ss, int64_t now)
{
	struct session_was was = session_was(ss);

	if (ss->revoked)
		return 0;
	ss->revoked = now > 0 ? now : 1; /* 0 would read as live */
	return session_store(s, txn, ss, was);
}

/* ------------------------------------------------------------ create, read */

static int
create_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	const struct tg_session *ss = op->sess;
	unsigned char *rec = NULL, *uk = NULL, ek[STORE_END_KEY_LEN];
	size_t n, ukn;
	bool is_found = false;
	int ret;

	ret = store_tenant_exists(s, txn, ss->tenant, c);
	if (ret == 0 && c->rc == TG_OK)
		ret = store_exists(s, T_SESSIONS, txn, ss->id, strlen(ss->id), DB_RMW, &is_found);
	if (ret == 0 && !is_found && c->rc == TG_OK)
		ret = store_exists(s, T_REFRESH, txn, op->hash, TG_REFRESH_HASH_LEN, DB_RMW,
				   &is_found);
	if (ret == 0 && is_found)
		c->rc = TG_ERR_EXISTS;
	if (ret != 0 || c->rc != TG_OK)
		return ret;
	rec = session_encode_rec(ss, &n);
	ret = store_put(s, T_SESSIONS, txn, ss->id, strlen(ss->id), rec, n);
	uk = store_session_user_key(ss->tenant, ss->user, ss->id, &ukn);
	if (ret == 0)
		ret = store_put(s, T_SESSION_USER, txn, uk, ukn, "", 0);
	end_key(ek, session_end(ss), ss->id);
	if (ret == 0)
		ret = store_put(s, T_SESSION_END, txn, ek, sizeof(ek), "", 0);
	if (ret == 0)
		ret = refresh_add(s, txn, op->hash, ss->id, op->expires);
	free(uk);
	free(rec);
	return ret;
}

/* A record the store would not read back is refused before it is written. */
static bool
session_is_storable(const struct tg_session *ss)
{
	struct tg_session *back = NULL;
	size_t n;
	char *json = session_encode(ss, &n);
	bool is_ok = session_decode(json, n, TG_SESSION_FORM, &back) == TG_OK;

	session_free(back);
	free(json);
	return is_ok;
}

enum tg_err
store_session_create(struct tg_store *s, const struct tg_session *sess,
		     const unsigned char rt_hash[TG_REFRESH_HASH_LEN], int64_t rt_expires)
{
	struct sop op = { .sess = sess, .hash = rt_hash, .expires = rt_expires };

	if (!sess->id || !sess->tenant || !sess->user || !session_is_storable(sess))
		return TG_ERR_INVALID;
	return sop_finish_one(&op, sop_run(s, STORE_WRITE, create_body, &op), NULL);
}

static int
get_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	struct tg_session *ss = NULL;
	int ret = session_load(s, txn, op->id, NULL, 0, c, &ss);

	if (ss)
		append_session(op, ss);
	return ret;
}

enum tg_err
store_session_get(struct tg_store *s, const char *id, struct tg_session **out)
{
	struct sop op = { .id = id };

	return sop_finish_one(&op, sop_run(s, STORE_READ, get_body, &op), out);
}

/* The record's prefix only, read into the stack; a miss sets c->rc to TG_ERR_NOT_FOUND. */
static int
head_read(struct tg_store *s, DB_TXN *txn, const char *id, struct store_call *c,
	  struct store_session_head *h)
{
	unsigned char buf[SESSION_HEAD_MAX];
	DB *db = store_db(s, T_SESSIONS);
	DBT k, d;
	int ret;

	store_dbt_in(&k, id, strlen(id));
	memset(&d, 0, sizeof(d));
	d.data = buf;
	d.ulen = sizeof(buf);
	d.dlen = sizeof(buf);
	d.flags = DB_DBT_USERMEM | DB_DBT_PARTIAL;
	ret = db->get(db, txn, &k, &d, 0);
	if (ret == DB_NOTFOUND) {
		c->rc = TG_ERR_NOT_FOUND;
		return 0;
	}
	if (ret == 0 && !session_head_decode(buf, d.size, h))
		ret = store_corrupt(s, c, "sessions");
	return ret;
}

static int
check_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);

	return head_read(s, txn, op->id, c, &op->head);
}

/* The check's answer, the same whether the head came from the database or the cache. */
static enum tg_err
check_answer(const struct store_session_head *h, const char *tenant, int64_t now)
{
	if (!is_tenant(h, tenant))
		return TG_ERR_NOT_FOUND;
	if (h->revoked || now >= h->expires || (h->idle_expires && now >= h->idle_expires))
		return TG_ERR_REJECTED;
	return TG_OK;
}

/* Only "it idled out" may be stale in a kept head: a token handed out since moved it later. */
static bool
is_kept_answer(const struct store_session_head *h, const char *tenant, int64_t now)
{
	return !is_tenant(h, tenant) || h->revoked || now >= h->expires || !h->idle_expires ||
	       now < h->idle_expires;
}

/*
 * Asked on every request for a gateway-issued token: a session's head is
 * kept while the SESSIONS counter has not moved since it was read
 * (store_hint.c). Expiry, by either deadline, needs no invalidation: the
 * answer is worked out against now each time. An unknown id is never kept,
 * so a session created later is found.
 */
enum tg_err
store_session_check(struct tg_store *s, const char *tenant, const char *id, int64_t now)
{
	struct sop op = { .tenant = tenant, .id = id, .now = now };
	struct store_cache *cache = store_cache_of(s);
	struct store_stamp stamp;
	bool has_hint;
	enum tg_err rc;

	if (!tenant || !id)
		return TG_ERR_INVALID;
	has_hint = store_hint_peek(s, STORE_HINT_SESSIONS, &stamp);
	if (has_hint && store_cache_session(cache, id, &stamp, &op.head) &&
	    is_kept_answer(&op.head, tenant, now))
		return check_answer(&op.head, tenant, now);
	store_cache_count_read(cache, STORE_HINT_SESSIONS);
	op.call.body = check_body;
	op.call.mode = STORE_READ;
	rc = store_run(s, &op.call);
	if (rc != TG_OK)
		return rc;
	if (has_hint)
		store_cache_keep_session(cache, id, &stamp, &op.head);
	return check_answer(&op.head, tenant, now);
}

/* The session a session_user index entry k names; an entry without its session is corrupt. */
static int
load_indexed(struct tg_store *s, DB_TXN *txn, const DBT *k, const char *tenant, u_int32_t flags,
	     struct store_call *c, struct tg_session **out)
{
	char sid[TG_SESSION_ID_LEN + 1];
	int ret;

	if (k->size <= TG_SESSION_ID_LEN)
		return store_corrupt(s, c, "session_user");
	memcpy(sid, (const char *)k->data + k->size - TG_SESSION_ID_LEN, TG_SESSION_ID_LEN);
	sid[TG_SESSION_ID_LEN] = '\0';
	ret = session_load(s, txn, sid, tenant, flags, c, out);
	if (ret == 0 && c->rc == TG_ERR_NOT_FOUND)
		return store_corrupt(s, c, "session_user");
	return ret;
}

/* ------------------------------------------------------------ listing */

static void
remember_last(struct sop *op, const DBT *k)
{
	free(op->last);
	op->last = tg_xmalloc(k->size);
	memcpy(op->last, k->data, k->size);
	op->last_len = k->size;
}

/*
 * Sessions are read with degree 2 isolation (the cursor too, see
 * list_body): a page holds at most a page's worth of read locks however
 * many sessions it passes, so no listing can fill the lock table.
 */
static int
visit_list(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	   struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	struct tg_session *ss = NULL;
	int ret;

	(void)cur;
	(void)d;
	if (op->after_len && k->size == op->after_len && memcmp(k->data, op->after, k->size) == 0)
		return 0; /* the previous page's last */
	if (op->nsessions == op->limit || op->seen == STORE_LIST_SCAN_MAX) {
		op->has_more = true;
		return STORE_SCAN_STOP;
	}
	op->seen++;
	remember_last(op, k);
	ret = load_indexed(s, txn, k, op->tenant, DB_READ_COMMITTED, c, &ss);
	if (ss && (!op->now || session_is_live(ss, op->now))) {
		append_session(op, ss);
		ss = NULL;
	}
	session_free(ss);
	return ret;
}

static int
list_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	size_t plen;
	unsigned char *prefix = store_session_user_key(op->tenant, op->user, NULL, &plen);
	int ret = store_scan_from(s, T_SESSION_USER, txn, prefix, plen, op->after, op->after_len,
				  DB_READ_COMMITTED, visit_list, c);

	free(prefix);
	return ret;
}

/*
 * A cursor is the last index entry a page passed, less the tenant it is
 * always under: user '\0' sid, base64url. One that is not (or names another
 * user than the listing's) is refused rather than read as a place to start.
 */
static enum tg_err
cursor_key(const char *tenant, const char *user, const char *cursor, unsigned char **out,
	   size_t *n)
{
	size_t tl = strlen(tenant), ul = user ? strlen(user) : 0, len = 0;
	unsigned char *raw = NULL;
	enum tg_err rc;

	rc = b64url_decode(cursor, strlen(cursor), &raw, &len);
	if (rc != TG_OK)
		return TG_ERR_INVALID;
	if (len < 2 + TG_SESSION_ID_LEN || raw[len - TG_SESSION_ID_LEN - 1] != '\0' ||
	    memchr(raw, '\0', len - TG_SESSION_ID_LEN - 1) ||
	    memchr(raw + len - TG_SESSION_ID_LEN, '\0', TG_SESSION_ID_LEN) ||
	    (user && (len != ul + 1 + TG_SESSION_ID_LEN || memcmp(raw, user, ul) != 0))) {
		free(raw);
		return TG_ERR_INVALID;
	}
	*out = tg_xmalloc(tl + 1 + len);
	memcpy(*out, tenant, tl + 1);
	memcpy(*out + tl + 1, raw, len);
	*n = tl + 1 + len;
	free(raw);
	return TG_OK;
}

enum tg_err
store_session_list(struct tg_store *s, const char *tenant, const char *user, const char *cursor,
		   size_t limit, int64_t live_at, struct store_session_page *out)
{
	struct sop op = { .tenant = tenant, .user = user, .limit = limit, .now = live_at };
	unsigned char *after = NULL;
	size_t after_len = 0;
	enum tg_err rc = TG_OK;

	if (!tenant || limit == 0 || limit > STORE_LIST_LIMIT_MAX)
		return TG_ERR_INVALID;
	if (cursor)
		rc = cursor_key(tenant, user, cursor, &after, &after_len);
	if (rc != TG_OK)
		return rc;
	op.after = after;
	op.after_len = after_len;
	rc = sop_run(s, STORE_READ, list_body, &op);
	if (rc == TG_OK) {
		size_t skip = strlen(tenant) + 1;

		out->v = op.sessions; /* ownership moves to the caller */
		out->n = op.nsessions;
		out->next_cursor = op.has_more ? b64url_encode(op.last + skip, op.last_len - skip)
					       : NULL;
		op.sessions = NULL;
		op.nsessions = 0;
	}
	sop_reset(&op.call);
	free(after);
	return rc;
}

void
store_session_page_fini(struct store_session_page *p)
{
	session_list_free(p->v, p->n);
	free(p->next_cursor);
	p->v = NULL;
	p->n = 0;
	p->next_cursor = NULL;
}

/* ------------------------------------------------------------ step-up, activity, logout */

/* Unused refresh tokens of a session live as long as it does. */
static int
visit_extend_refresh(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
		     struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	const unsigned char *hash = (const unsigned char *)k->data + TG_SESSION_ID_LEN;
	struct refresh r;
	bool is_found = false;
	DBT rd;
	int ret;

	(void)cur;
	(void)d;
	if (k->size != STORE_SESSION_REFRESH_LEN)
		return store_corrupt(s, c, "session_refresh");
	ret = store_fetch(s, T_REFRESH, txn, hash, TG_REFRESH_HASH_LEN, DB_RMW, &rd, &is_found);
	if (ret == 0 && is_found && !refresh_decode(&rd, &r))
		ret = store_corrupt(s, c, "refresh");
	else if (ret == 0 && is_found && !r.is_used && r.expires < op->expires) {
		r.expires = op->expires;
		ret = refresh_put(s, txn, hash, &r);
	}
	store_dbt_free(&rd);
	return ret;
}

/*
 * A live session moves on: a step-up (op->method) or an access token handed
 * out for it (op->method NULL), as session_step_up and session_touch say.
 */
static int
advance_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	struct tg_session *ss = NULL;
	struct session_was was;
	int ret;

	ret = session_load(s, txn, op->id, op->tenant, DB_RMW, c, &ss);
	if (ret != 0 || c->rc != TG_OK)
		goto out;
	if (!session_is_live(ss, op->now)) {
		c->rc = TG_ERR_REJECTED;
		goto out;
	}
	if (op->method && !strlist_contains(&ss->amr, op->method) && ss->amr.n >= TG_AMR_MAX) {
		c->rc = TG_ERR_TOO_LARGE;
		goto out;
	}
	was = session_was(ss);
	if (op->method) {
		strlist_add(&ss->amr, op->method);
		session_step_up(ss, op->now);
	} else {
		session_touch(ss, op->now);
	}
	ret = session_store(s, txn, ss, was);
	op->expires = ss->expires;
	if (ret == 0 && ss->expires != was.expires)
		ret = store_scan(s, T_SESSION_REFRESH, txn, ss->id, TG_SESSION_ID_LEN, 0,
				 visit_extend_refresh, c);
	if (ret == 0) {
		append_session(op, ss);
		ss = NULL;
	}
out:
	session_free(ss);
	return ret;
}

enum tg_err
store_session_add_amr(struct tg_store *s, const char *tenant, const char *id, const char *method,
		      int64_t now, struct tg_session **out)
{
	struct sop op = { .tenant = tenant, .id = id, .method = method, .now = now };

	if (!session_amr_is_valid(method))
		return TG_ERR_INVALID;
	return sop_finish_one(&op, sop_run(s, STORE_WRITE, advance_body, &op), out);
}

enum tg_err
store_session_touch(struct tg_store *s, const char *tenant, const char *id, int64_t now,
		    struct tg_session **out)
{
	struct sop op = { .tenant = tenant, .id = id, .now = now };

	return sop_finish_one(&op, sop_run(s, STORE_WRITE, advance_body, &op), out);
}

static int
revoke_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	struct tg_session *ss = NULL;
	int ret = session_load(s, txn, op->id, op->tenant, DB_RMW, c, &ss);

	if (ret == 0 && c->rc == TG_OK)
		ret = session_end_now(s, txn, ss, op->now);
	session_free(ss);
	return ret;
}

enum tg_err
store_session_revoke(struct tg_store *s, const char *tenant, const char *id, int64_t now)
{
	struct sop op = { .tenant = tenant, .id = id, .now = now };

	return sop_finish_one(&op, sop_run(s, STORE_WRITE, revoke_body, &op), NULL);
}

/* Lent to store_jobs.c (store_db.h), whose logout job walks the user's index entries. */
int
store_session_end_indexed(struct tg_store *s, DB_TXN *txn, const DBT *k, const char *tenant,
			  int64_t cutoff, struct store_call *c, size_t *changed)
{
	struct tg_session *ss = NULL;
	int ret;

	*changed = 0;
	ret = load_indexed(s, txn, k, tenant, DB_RMW, c, &ss);
	/* Only live sessions end: an expired one keeps its record as it was. */
	if (ret == 0 && ss && ss->created <= cutoff && session_is_live(ss, cutoff)) {
		ret = session_end_now(s, txn, ss, cutoff);
		*changed = 1;
	}
	session_free(ss);
	return ret;
}

/* ------------------------------------------------------------ deletion */

/* A session's refresh tokens, counted as they go. */
struct drop_refresh_op {
	struct store_call call;
	size_t count;
};

static int
visit_drop_refresh(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
		   struct store_call *c)
{
	struct drop_refresh_op *op = STORE_OP_OF(c, struct drop_refresh_op);
	int ret;

	(void)d;
	if (k->size != STORE_SESSION_REFRESH_LEN)
		return store_corrupt(s, c, "session_refresh");
	ret = store_del(s, T_REFRESH, txn, (const unsigned char *)k->data + TG_SESSION_ID_LEN,
			TG_REFRESH_HASH_LEN);
	if (ret == 0)
		op->count++;
	if (ret == 0 || ret == DB_NOTFOUND)
		ret = cur->del(cur, 0);
	return ret;
}

/* Lent to store_sweep.c (store_db.h), whose batches drop ended sessions. */
int
store_session_drop(struct tg_store *s, DB_TXN *txn, const char *sid, bool is_end_dropped,
		   struct store_call *c, size_t *records, bool *is_gone)
{
	struct drop_refresh_op dr = { .call = { .rc = TG_OK } };
	struct tg_session *ss = NULL;
	unsigned char *uk = NULL, ek[STORE_END_KEY_LEN];
	char bucket[sizeof(TG_RATE_SESSION_PREFIX) + TG_SESSION_ID_LEN];
	size_t n;
	int ret;

	*records = 0;
	*is_gone = false;
	ret = session_load(s, txn, sid, NULL, DB_RMW, c, &ss);
	if (ret != 0 || c->rc != TG_OK) {
		c->rc = TG_OK; /* an entry without its session: only the entry goes */
		return ret;
	}
	uk = store_session_user_key(ss->tenant, ss->user, ss->id, &n);
	ret = store_del(s, T_SESSION_USER, txn, uk, n);
	if ((ret == 0 || ret == DB_NOTFOUND) && is_end_dropped) {
		session_end_key(ss, ek);
		ret = store_del(s, T_SESSION_END, txn, ek, sizeof(ek));
	}
	if (ret == 0 || ret == DB_NOTFOUND)
		ret = store_del(s, T_SESSIONS, txn, sid, strlen(sid));
	if (ret == 0)
		/* Deleted, so locked until the commit: kept answers for it lapse (store_hint.c). */
		ret = store_hint_bump(s, STORE_HINT_SESSIONS);
	if (ret == 0)
		*is_gone = true;
	if (ret == 0)
		ret = store_scan(s, T_SESSION_REFRESH, txn, sid, TG_SESSION_ID_LEN, DB_RMW,
				 visit_drop_refresh, &dr.call);
	if (dr.call.rc != TG_OK)
		c->rc = dr.call.rc;
	snprintf(bucket, sizeof(bucket), "%s%s", TG_RATE_SESSION_PREFIX, sid);
	if (ret == 0)
		ret = store_del(s, T_RATE, txn, bucket, strlen(bucket));
	if (ret == DB_NOTFOUND)
		ret = 0;
	*records = (*is_gone ? 1 : 0) + dr.count;
	free(uk);
	session_free(ss);
	return ret;
}

/* Lent to store_jobs.c (store_db.h), whose purge job walks a removed tenant's entries. */
int
store_session_drop_indexed(struct tg_store *s, DB_TXN *txn, const DBT *k, struct store_call *c,
			   size_t *changed)
{
	char sid[TG_SESSION_ID_LEN + 1];
	bool is_gone;
	int ret;

	*changed = 0;
	if (k->size <= TG_SESSION_ID_LEN)
		return store_corrupt(s, c, "session_user");
	memcpy(sid, (const char *)k->data + k->size - TG_SESSION_ID_LEN, TG_SESSION_ID_LEN);
	sid[TG_SESSION_ID_LEN] = '\0';
	ret = store_session_drop(s, txn, sid, true, c, changed, &is_gone);
	if (ret == 0 && !is_gone) {
		ret = store_del(s, T_SESSION_USER, txn, k->data, k->size);
		if (ret == DB_NOTFOUND)
			ret = 0;
	}
	return ret;
}

/* ------------------------------------------------------------ refresh */

/* Whether token r of ss may refresh from op's address at op's time; else op->call.rc says why. */
static bool
may_refresh(struct sop *op, const struct refresh *r, const struct tg_session *ss)
{
	if (r->expires <= op->now || !session_is_live(ss, op->now))
		op->call.rc = TG_ERR_NOT_FOUND;
	else if (ss->bind_ip && (!op->remote_addr || strcmp(ss->bind_ip, op->remote_addr) != 0))
		op->call.rc = TG_ERR_DENIED;
	return op->call.rc == TG_OK;
}

static int
rotate_checked(struct tg_store *s, DB_TXN *txn, struct sop *op, struct refresh *old,
	       struct tg_session *ss)
{
	struct session_was was;
	bool is_found = false;
	int ret;

	if (!may_refresh(op, old, ss))
		return 0;
	ret = store_exists(s, T_REFRESH, txn, op->new_hash, TG_REFRESH_HASH_LEN, DB_RMW, &is_found);
	if (ret == 0 && is_found)
		op->call.rc = TG_ERR_EXISTS;
	if (ret != 0 || is_found)
		return ret;
	old->is_used = true;
	old->used_at = op->now;
	memcpy(old->next, op->new_hash, TG_REFRESH_HASH_LEN);
	ret = refresh_put(s, txn, op->hash, old);
	if (ret == 0)
		ret = refresh_add(s, txn, op->new_hash, ss->id, ss->expires);
	was = session_was(ss);
	ss->last_refreshed = op->now;
	session_touch(ss, op->now);
	if (ret == 0)
		ret = session_store(s, txn, ss, was);
	return ret;
}

/*
 * A used token presented again. Within the grace after its rotation, with the
 * successor the caller derived being the one recorded and still unused, it is
 * one client asking twice (two tabs, a lost answer): the session is answered
 * unchanged and the caller hands out that same successor again. Anything else
 * means two parties hold the session's refresh chain: the session ends, and
 * that write stands though the call fails.
 */
static int
rotate_again(struct tg_store *s, DB_TXN *txn, struct sop *op, const struct refresh *old,
	     struct tg_session *ss)
{
	struct refresh next;
	bool is_found = false;
	DBT d = { 0 };
	int ret = 0;

	if (refresh_reuse_is_graced(old->used_at, op->grace, op->now) &&
	    secret_equal(old->next, TG_REFRESH_HASH_LEN, op->new_hash, TG_REFRESH_HASH_LEN))
		ret = store_fetch(s, T_REFRESH, txn, op->new_hash, TG_REFRESH_HASH_LEN, 0, &d,
				  &is_found);
	if (ret == 0 && is_found && !refresh_decode(&d, &next))
		ret = store_corrupt(s, &op->call, "refresh");
	store_dbt_free(&d);
	if (ret != 0 || op->call.rc != TG_OK)
		return ret;
	if (is_found && !next.is_used) {
		may_refresh(op, &next, ss);
		return 0;
	}
	ret = session_end_now(s, txn, ss, op->now);
	op->call.rc = TG_ERR_REJECTED;
	op->call.must_commit = true;
	return ret;
}

static int
rotate_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	struct tg_session *ss = NULL;
	struct refresh old = { 0 };
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_REFRESH, txn, op->hash, TG_REFRESH_HASH_LEN, DB_RMW, &d, &is_found);
	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !refresh_decode(&d, &old))
		ret = store_corrupt(s, c, "refresh");
	store_dbt_free(&d);
	if (ret == 0 && c->rc == TG_OK)
		ret = session_load(s, txn, old.sid, NULL, DB_RMW, c, &ss);
	if (ret != 0 || c->rc != TG_OK)
		goto out;
	if (old.is_used)
		ret = rotate_again(s, txn, op, &old, ss);
	else
		ret = rotate_checked(s, txn, op, &old, ss);
	if (ret == 0 && c->rc == TG_OK) {
		append_session(op, ss);
		ss = NULL;
	}
out:
	session_free(ss);
	return ret;
}

enum tg_err
store_refresh_rotate(struct tg_store *s, const unsigned char old_hash[TG_REFRESH_HASH_LEN],
		     const unsigned char new_hash[TG_REFRESH_HASH_LEN], const char *remote_addr,
		     int64_t now, int64_t grace, struct tg_session **out)
{
	struct sop op = { .hash = old_hash, .new_hash = new_hash, .remote_addr = remote_addr,
			  .now = now, .grace = grace };

	/* secret_equal fails closed by answering unequal; here equality is the refusal. */
	if (!old_hash || !new_hash ||
	    secret_equal(old_hash, TG_REFRESH_HASH_LEN, new_hash, TG_REFRESH_HASH_LEN))
		return TG_ERR_INVALID;
	return sop_finish_one(&op, sop_run(s, STORE_WRITE, rotate_body, &op), out);
}

static int
refresh_session_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct sop *op = STORE_OP_OF(c, struct sop);
	struct refresh r;
	bool is_found = false;
	DBT d;
	int ret;

	ret = store_fetch(s, T_REFRESH, txn, op->hash, TG_REFRESH_HASH_LEN, 0, &d, &is_found);
	if (ret == 0 && !is_found)
		c->rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !refresh_decode(&d, &r))
		ret = store_corrupt(s, c, "refresh");
	store_dbt_free(&d);
	if (ret != 0 || c->rc != TG_OK)
		return ret;
	memcpy(op->sid, r.sid, sizeof(op->sid));
	return head_read(s, txn, r.sid, c, &op->head);
}

enum tg_err
store_refresh_session(struct tg_store *s, const unsigned char hash[TG_REFRESH_HASH_LEN],
		      char sid[TG_SESSION_ID_LEN + 1], char tenant[TG_TENANT_ID_MAX + 1])
{
	struct sop op = { .hash = hash };
	enum tg_err rc = sop_run(s, STORE_READ, refresh_session_body, &op);

	if (rc == TG_OK) {
		memcpy(sid, op.sid, sizeof(op.sid));
		memcpy(tenant, op.head.tenant, op.head.tenant_len);
		tenant[op.head.tenant_len] = '\0';
	}
	sop_reset(&op.call);
	return rc;
}
