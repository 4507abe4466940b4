/*
 * Setup shared by the store's unit tests: store_setup.h's scratch store and records, with
 * a TAP diag where a step fails, the generation, and sessions whose refresh token hashes
 * are named by small numbers. Header-only, like tap.h; asserts nothing itself.
 */
#ifndef TG_STORE_FIXTURE_H
#define TG_STORE_FIXTURE_H

#include "store_setup.h"
#include "tap.h"

#include <stdarg.h>

#define NOW 1700000000
#define TTL 3600

/* Removes what fixture_open made; the store may be closed (s NULL) already. */
static inline void
fixture_close(struct store_fixture *f)
{
	char root[sizeof(f->root)];

	memcpy(root, f->root, sizeof(root));
	if (setup_close(f) != TG_OK)
		diag("could not remove %s", root);
}

static inline void
fixture_tenant(struct tg_store *s, const char *id)
{
	if (setup_tenant(s, id, NULL) != TG_OK)
		diag("could not add tenant %s", id);
}

/*
 * Creates /tmp/tokengate-NAME.XXXXXX, a new store in its "db" with the tenants named after
 * NAME (a NULL ends them); on failure a diag, no leftovers.
 */
__attribute__((sentinel)) static inline bool
fixture_open(struct store_fixture *f, const char *name, ...)
{
	struct tg_why why;
	const char *id;
	va_list ap;

	if (setup_open(f, name, true, &why) != TG_OK) {
		diag("%s", why.text);
		return false;
	}
	va_start(ap, name);
	while ((id = va_arg(ap, const char *)) != NULL)
		fixture_tenant(f->s, id);
	va_end(ap);
	return true;
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

/* Creates a session with refresh token hash(rt), valid as long as the session. */
static inline enum tg_err
create(struct tg_store *s, const char *id, const char *tenant, const char *user, int64_t created,
       int64_t ttl, int rt, const char *bind_ip)
{
	struct tg_session *ss = setup_session_new(id, tenant, user, created, ttl);
	unsigned char h[TG_REFRESH_HASH_LEN];

	ss->bind_ip = bind_ip ? tg_xstrdup(bind_ip) : NULL;
	hash(h, rt);
	return setup_session_put(s, ss, h);
}

/* Rotates hash(old_rt) to hash(new_rt) with no reuse grace (rotate_graced gives one). */
static inline enum tg_err
rotate_graced(struct tg_store *s, int old_rt, int new_rt, const char *addr, int64_t now,
	      int64_t grace, struct tg_session **out)
{
	unsigned char o[TG_REFRESH_HASH_LEN], n[TG_REFRESH_HASH_LEN];
	struct tg_session *tmp = NULL;
	enum tg_err rc;

	hash(o, old_rt);
	hash(n, new_rt);
	rc = store_refresh_rotate(s, o, n, addr, now, grace, out ? out : &tmp);
	session_free(tmp);
	return rc;
}

static inline enum tg_err
rotate(struct tg_store *s, int old_rt, int new_rt, const char *addr, int64_t now,
       struct tg_session **out)
{
	return rotate_graced(s, old_rt, new_rt, addr, now, 0, out);
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
