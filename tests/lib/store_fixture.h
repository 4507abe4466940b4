/*
 * Setup shared by the store's unit tests: a store in a mkdtemp directory, tenants,
 * the generation, and sessions whose refresh token hashes are named by small
 * numbers. Header-only, like tap.h; asserts nothing itself.
 */
#ifndef TG_STORE_FIXTURE_H
#define TG_STORE_FIXTURE_H

#include "store/store.h"

#include "tap.h"

#include <stdlib.h>

#define NOW 1700000000
#define TTL 3600

struct store_fixture {
	char root[64]; /* empty when there is nothing to remove */
	char dir[80];
	struct tg_store *s;
};

/* Removes what fixture_open made; the store may be closed (s NULL) already. */
static inline void
fixture_close(struct store_fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	if (f->root[0])
		tap_rmtree(f->root);
	f->root[0] = '\0';
}

/* Creates /tmp/tokengate-NAME.XXXXXX, a new store in its "db"; on failure a diag, no leftovers. */
static inline bool
fixture_open(struct store_fixture *f, const char *name)
{
	f->s = NULL;
	snprintf(f->root, sizeof(f->root), "/tmp/tokengate-%s.XXXXXX", name);
	if (!mkdtemp(f->root)) {
		diag("mkdtemp failed");
		f->root[0] = '\0';
		return false;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	if (store_open(f->dir, true, &f->s, NULL) != TG_OK) {
		diag("store_open failed");
		fixture_close(f);
		return false;
	}
	return true;
}

static inline void
fixture_tenant(struct tg_store *s, const char *id)
{
	struct tg_tenant *t = tenant_new(id);

	if (store_tenant_add(s, t) != TG_OK)
		diag("could not add tenant %s", id);
	tenant_free(t);
}

static inline uint64_t
gen(struct tg_store *s)
{
	uint64_t g = 0;

	if (store_generation(s, &g) != TG_OK)
		diag("store_generation failed");
	return g;
}

/* A 22-character session id from a tag: first character chosen, rest filled. */
static inline const char *
sid(char buf[TG_SESSION_ID_LEN + 1], char first, int n)
{
	snprintf(buf, TG_SESSION_ID_LEN + 1, "%c%021d", first, n);
	return buf;
}

static inline void
hash(unsigned char h[TG_REFRESH_HASH_LEN], int n)
{
	memset(h, 0, TG_REFRESH_HASH_LEN);
	h[0] = (unsigned char)n;
	h[1] = (unsigned char)(n >> 8);
	h[31] = 0xa5;
}

static inline struct tg_session *
session(const char *id, const char *tenant, const char *user, int64_t created, int64_t ttl)
{
	struct tg_session *ss = tg_xcalloc(1, sizeof(*ss));

	ss->id = tg_xstrdup(id);
	ss->tenant = tg_xstrdup(tenant);
	ss->user = tg_xstrdup(user);
	ss->created = created;
	ss->ttl = ttl;
	ss->expires = created + ttl;
	strlist_add(&ss->amr, "pwd");
	return ss;
}

/* Creates a session with refresh token hash(rt), valid as long as the session. */
static inline enum tg_err
create(struct tg_store *s, const char *id, const char *tenant, const char *user, int64_t created,
       int64_t ttl, int rt, const char *bind_ip)
{
	struct tg_session *ss = session(id, tenant, user, created, ttl);
	unsigned char h[TG_REFRESH_HASH_LEN];
	enum tg_err rc;

	ss->bind_ip = bind_ip ? tg_xstrdup(bind_ip) : NULL;
	hash(h, rt);
	rc = store_session_create(s, ss, h, ss->expires);
	session_free(ss);
	return rc;
}

static inline enum tg_err
rotate(struct tg_store *s, int old_rt, int new_rt, const char *addr, int64_t now,
       struct tg_session **out)
{
	unsigned char o[TG_REFRESH_HASH_LEN], n[TG_REFRESH_HASH_LEN];
	struct tg_session *tmp = NULL;
	enum tg_err rc;

	hash(o, old_rt);
	hash(n, new_rt);
	rc = store_refresh_rotate(s, o, n, addr, now, out ? out : &tmp);
	session_free(tmp);
	return rc;
}

/*
 * Sessions of tenant (of user, unless NULL) in pages of limit, any state
 * (live at live_at when not 0); (size_t)-1 when a page fails.
 */
static inline size_t
count_paged(struct tg_store *s, const char *tenant, const char *user, size_t limit,
	    int64_t live_at)
{
	struct store_session_page p = { 0 };
	char *cursor = NULL;
	size_t n = 0;

	do {
		if (store_session_list(s, tenant, user, cursor, limit, live_at, &p) != TG_OK) {
			free(cursor);
			return (size_t)-1;
		}
		n += p.n;
		free(cursor);
		cursor = p.next_cursor; /* ownership moves here */
		p.next_cursor = NULL;
		store_session_page_fini(&p);
	} while (cursor);
	return n;
}

static inline size_t
count(struct tg_store *s, const char *tenant, const char *user)
{
	return count_paged(s, tenant, user, STORE_LIST_LIMIT_MAX, 0);
}

#endif
