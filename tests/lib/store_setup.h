/*
 * A store in a scratch directory and the records tests put in it (tenants, keys, API keys,
 * sessions), made as tokengatectl and the API make them: shared by the unit tests (through
 * store_fixture.h), the helper programs and the fuzz targets. Header-only; it never prints
 * and never asserts: each step returns enum tg_err and the caller reports as it reports.
 */
#ifndef TG_STORE_SETUP_H
#define TG_STORE_SETUP_H

#include "base/secret.h"
#include "model/keyrec.h"
#include "model/session.h"
#include "model/tenant.h"
#include "store/store.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store_fixture {
	char root[64]; /* the mkdtemp directory; empty when there is nothing to remove */
	char dir[80];  /* root/db: where the store lives */
	struct tg_store *s;
};

static inline int
setup_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory tree; one already gone is no error. */
static inline enum tg_err
setup_rmtree(const char *dir)
{
	if (nftw(dir, setup_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return TG_ERR_IO;
	return TG_OK;
}

/* Closes the store (s may be NULL already) and removes what setup_open made. */
static inline enum tg_err
setup_close(struct store_fixture *f)
{
	enum tg_err rc = TG_OK;

	store_close(f->s);
	f->s = NULL;
	if (f->root[0])
		rc = setup_rmtree(f->root);
	f->root[0] = '\0';
	return rc;
}

/*
 * Makes /tmp/tokengate-NAME.XXXXXX and, with is_store_made, a new store in its "db" (without,
 * dir is named but not made: for tests of store_open itself). On failure why says which step
 * failed and nothing is left behind.
 */
static inline enum tg_err
setup_open(struct store_fixture *f, const char *name, bool is_store_made, struct tg_why *why)
{
	enum tg_err rc = TG_OK;

	f->s = NULL;
	snprintf(f->root, sizeof(f->root), "/tmp/tokengate-%s.XXXXXX", name);
	if (!mkdtemp(f->root)) {
		f->root[0] = '\0';
		return tg_fail(why, TG_ERR_IO, "mkdtemp failed");
	}
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	if (is_store_made) {
		rc = store_open(f->dir, true, &f->s, why);
		if (rc != TG_OK)
			setup_close(f);
	}
	return rc;
}

/* Adds t and frees it: takes ownership. */
static inline enum tg_err
setup_tenant_put(struct tg_store *s, struct tg_tenant *t_owned)
{
	enum tg_err rc = store_tenant_add(s, t_owned);

	tenant_free(t_owned);
	return rc;
}

/* A tenant with nothing set but its id and, unless NULL, its issuer. */
static inline enum tg_err
setup_tenant(struct tg_store *s, const char *id, const char *issuer)
{
	struct tg_tenant *t = tenant_new(id);

	t->issuer = issuer ? tg_xstrdup(issuer) : NULL;
	return setup_tenant_put(s, t);
}

/* An active HS256 verification key of tenant's whose material is a copy of bytes. */
static inline enum tg_err
setup_key(struct tg_store *s, const char *tenant, const char *kid, int64_t created,
	  const unsigned char *bytes, size_t len)
{
	struct tg_key_record r = { .tenant = (char *)(uintptr_t)tenant, .kid = (char *)(uintptr_t)kid,
				   .alg = TG_ALG_HS256, .state = TG_KEY_ACTIVE,
				   .use = TG_KEY_USE_VERIFY, .created = created };
	enum tg_err rc;

	secret_set(&r.material, bytes, len);
	rc = store_key_add(s, &r);
	secret_free(&r.material);
	return rc;
}

/* An API key of tenant's: the store keeps the hash of key, as `tokengatectl apikey create` does. */
static inline enum tg_err
setup_apikey(struct tg_store *s, const char *tenant, const char *id, const char *key,
	     int64_t created)
{
	struct tg_apikey a = { .tenant = (char *)(uintptr_t)tenant, .id = (char *)(uintptr_t)id,
			       .created = created };
	enum tg_err rc = apikey_hash(key, strlen(key), a.hash);

	if (rc == TG_OK)
		rc = store_apikey_add(s, &a);
	return rc;
}

/* A session as POST /v1/sessions makes one: amr "pwd", ending with its ttl. */
static inline struct tg_session *
setup_session_new(const char *id, const char *tenant, const char *user, int64_t created,
		  int64_t ttl)
{
	struct tg_session *ss = tg_xcalloc(1, sizeof(*ss));

	ss->id = tg_xstrdup(id);
	ss->tenant = tg_xstrdup(tenant);
	ss->user = tg_xstrdup(user);
	ss->created = created;
	ss->ttl = ttl;
	ss->expires = created + ttl;
	ss->auth_time = created;
	strlist_add(&ss->amr, "pwd");
	return ss;
}

/* Stores ss with a refresh token of hash h valid as long as the session; frees ss (owned). */
static inline enum tg_err
setup_session_put(struct tg_store *s, struct tg_session *ss_owned,
		  const unsigned char h[TG_REFRESH_HASH_LEN])
{
	enum tg_err rc = store_session_create(s, ss_owned, h, ss_owned->expires);

	session_free(ss_owned);
	return rc;
}

#endif
