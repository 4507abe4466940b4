/*
 * The Berkeley DB store against real environment files in a mkdtemp
 * directory: opening, the tenant and key tables' operations and their error
 * codes, issuer uniqueness, cascading tenant removal, the generation counter
 * (moves on each tenant or key change, never on reads), persistence across
 * reopen, file modes, and log files that do not pile up. API keys:
 * test_store_apikey.c; sessions: test_store_session.c, test_store_sweep.c.
 */
#include "../lib/store_fixture.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static struct store_fixture f; /* the scratch directory; test_open makes the store */

/* A key whose material is a pattern of len bytes that kid's first character varies. */
static enum tg_err
add_key(struct tg_store *s, const char *tenant_id, const char *kid, size_t len)
{
	unsigned char *bytes = tg_xmalloc(len);
	enum tg_err rc;

	for (size_t i = 0; i < len; i++)
		bytes[i] = (unsigned char)(i * 7 + kid[0]);
	rc = setup_key(s, tenant_id, kid, 0, bytes, len);
	free(bytes);
	return rc;
}

static void
test_open(struct tg_store **out)
{
	struct tg_store *s = (struct tg_store *)&s;
	struct tg_why why = { "" };
	struct dirent *e;
	char path[512];
	struct stat st;
	DIR *d;
	int nfiles = 0, loose = 0;

	is_int(store_open(f.dir, false, &s, &why), TG_ERR_NOT_FOUND, "missing directory: not found");
	ok(strstr(why.text, "tokengatectl --db") && strstr(why.text, f.dir),
	   "why names the dir and the init command");
	ok(s == (struct tg_store *)&s, "out-parameter untouched on failure");
	mkdir(f.dir, 0700);
	is_int(store_open(f.dir, false, &s, &why), TG_ERR_NOT_FOUND, "empty directory: not found");
	d = opendir(f.dir);
	while (d && (e = readdir(d)))
		nfiles += e->d_name[0] != '.';
	closedir(d);
	is_int(nfiles, 0, "a failed open leaves no files behind");
	rmdir(f.dir);

	snprintf(path, sizeof(path), "%s/no/such/parent", f.root);
	why.text[0] = '\0';
	is_int(store_open(path, true, &s, &why), TG_ERR_IO,
	       "create under a missing parent: I/O error");
	ok(strstr(why.text, "cannot create") && strstr(why.text, path), "why names the directory");

	is_int(store_open(f.dir, true, out, &why), TG_OK, "create makes the directory and tables");
	ok(stat(f.dir, &st) == 0 && (st.st_mode & 0777) == 0700, "directory mode 0700");
	d = opendir(f.dir);
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", f.dir, e->d_name);
		if (e->d_name[0] != '.' && stat(path, &st) == 0 && (st.st_mode & 077)) {
			diag("%s has mode %o", e->d_name, (unsigned)st.st_mode & 0777);
			loose++;
		}
	}
	closedir(d);
	is_int(loose, 0, "no environment file is readable by group or others");
}

static void
test_tenants(struct tg_store *s)
{
	struct tg_tenant *t = NULL, **list = NULL;
	uint64_t g0 = gen(s), g;
	char *id = NULL;
	size_t n = 0;

	is_int(setup_tenant(s, "acme", "https://a.example"), TG_OK, "tenant added");
	ok((g = gen(s)) != g0, "generation moved on tenant add");
	is_int(setup_tenant(s, "acme", NULL), TG_ERR_EXISTS, "same id again: exists");
	is_int(setup_tenant(s, "other", "https://a.example"), TG_ERR_EXISTS,
	       "another tenant with a taken issuer: exists");
	is_int(setup_tenant(s, "bad/id", NULL), TG_ERR_INVALID, "invalid id refused");
	ok(gen(s) == g, "failed adds leave the generation alone");

	is_int(store_tenant_get(s, "acme", &t), TG_OK, "tenant read back");
	if (t) {
		is_str(t->issuer, "https://a.example", "issuer stored");
		ok(t->created > 0, "created 0 stored as the time of the add");
		is_int(t->max_lifetime, TG_DEFAULT_MAX_LIFETIME, "defaults stored");
	}
	is_int(store_tenant_get(s, "nobody", &t), TG_ERR_NOT_FOUND, "unknown tenant: not found");
	is_int(store_tenant_by_issuer(s, "https://a.example", &id), TG_OK, "issuer resolves");
	is_str(id, "acme", "issuer maps to its tenant");
	free(id);
	id = NULL;
	is_int(store_tenant_by_issuer(s, "https://z.example", &id), TG_ERR_NOT_FOUND,
	       "unknown issuer: not found");

	/* update: issuer moves, the old one is released, created is kept */
	free(t->issuer);
	t->issuer = tg_xstrdup("https://a2.example");
	strlist_add(&t->require_amr, "mfa");
	int64_t created = t->created;
	t->created = 0;
	g = gen(s);
	is_int(store_tenant_update(s, t), TG_OK, "tenant updated");
	ok(gen(s) != g, "generation moved on update");
	tenant_free(t);
	t = NULL;
	store_tenant_get(s, "acme", &t);
	ok(t && t->require_amr.n == 1 && t->created == created, "update stored, created kept");
	is_int(store_tenant_by_issuer(s, "https://a.example", &id), TG_ERR_NOT_FOUND,
	       "old issuer released on update");
	is_int(setup_tenant(s, "beta", "https://a.example"), TG_OK, "released issuer can be reused");

	/* an update may not take another tenant's issuer, and then changes nothing */
	free(t->issuer);
	t->issuer = tg_xstrdup("https://a.example");
	g = gen(s);
	is_int(store_tenant_update(s, t), TG_ERR_EXISTS,
	       "update to another tenant's issuer refused");
	ok(gen(s) == g, "refused update leaves the generation alone");
	is_int(store_tenant_by_issuer(s, "https://a2.example", &id), TG_OK,
	       "refused update kept the tenant's own issuer");
	free(id);
	free(t->issuer);
	t->issuer = tg_xstrdup("https://a2.example");
	is_int(store_tenant_update(s, t), TG_OK, "update keeping its own issuer is fine");
	tenant_free(t);

	t = tenant_new("ghost");
	is_int(store_tenant_update(s, t), TG_ERR_NOT_FOUND, "update of unknown tenant: not found");
	tenant_free(t);

	is_int(setup_tenant(s, "acme.dev", NULL), TG_OK, "tenant whose id extends another's");
	is_int(store_tenant_list(s, &list, &n), TG_OK, "tenants listed");
	ok(n == 3 && strcmp(list[0]->id, "acme") == 0 && strcmp(list[1]->id, "acme.dev") == 0 &&
		   strcmp(list[2]->id, "beta") == 0,
	   "list sorted by id");
	tenant_list_free(list, n);
}

static void
test_keys(struct tg_store *s)
{
	struct tg_key_record *k = NULL, **list = NULL;
	uint64_t g = gen(s);
	size_t n = 0;

	is_int(add_key(s, "acme", "k2", 32), TG_OK, "key added");
	ok(gen(s) != g, "generation moved on key add");
	is_int(add_key(s, "acme", "k1", 64), TG_OK, "second key added");
	is_int(add_key(s, "acme.dev", "k1", 32), TG_OK, "same kid under another tenant");
	is_int(add_key(s, "acme", "k1", 32), TG_ERR_EXISTS, "duplicate kid: exists");
	is_int(add_key(s, "nobody", "k1", 32), TG_ERR_NOT_FOUND,
	       "key for unknown tenant: not found");
	is_int(add_key(s, "acme", "", 32), TG_ERR_INVALID, "empty kid refused");
	{
		struct tg_key_record bad = { .tenant = "acme", .kid = "k3", .alg = TG_ALG_INVALID };

		is_int(store_key_add(s, &bad), TG_ERR_INVALID, "key without an algorithm refused");
	}

	is_int(store_key_get(s, "acme", "k1", &k), TG_OK, "key read back");
	if (k) {
		bool is_same = k->material.len == 64;

		for (size_t i = 0; is_same && i < 64; i++)
			is_same = k->material.p[i] == (unsigned char)(i * 7 + 'k');
		ok(is_same, "material bytes round trip");
		ok(k->alg == TG_ALG_HS256 && k->state == TG_KEY_ACTIVE &&
			   k->use == TG_KEY_USE_VERIFY,
		   "alg, state and use round trip");
		ok(strcmp(k->tenant, "acme") == 0 && strcmp(k->kid, "k1") == 0,
		   "tenant and kid set");
		ok(k->created > 0, "created 0 stored as the time of the add");
	}
	keyrec_free(k);
	is_int(store_key_get(s, "acme", "k9", &k), TG_ERR_NOT_FOUND, "unknown kid: not found");

	is_int(store_key_list(s, "acme", &list, &n), TG_OK, "tenant's keys listed");
	ok(n == 2 && strcmp(list[0]->kid, "k1") == 0 && strcmp(list[1]->kid, "k2") == 0,
	   "only that tenant's keys (not acme.dev's), sorted by kid");
	keyrec_list_free(list, n);
	is_int(store_key_list(s, NULL, &list, &n), TG_OK, "all keys listed");
	ok(n == 3 && strcmp(list[2]->tenant, "acme.dev") == 0, "sorted by tenant, then kid");
	keyrec_list_free(list, n);
	is_int(store_key_list(s, "nobody", &list, &n), TG_ERR_NOT_FOUND,
	       "listing an unknown tenant: not found");

	g = gen(s);
	is_int(store_key_set_state(s, "acme", "k2", TG_KEY_RETIRED), TG_OK, "key retired");
	ok(gen(s) != g, "generation moved on retire");
	store_key_get(s, "acme", "k2", &k);
	ok(k && k->state == TG_KEY_RETIRED && k->material.len == 32,
	   "retired state stored, material kept");
	keyrec_free(k);
	g = gen(s);
	is_int(store_key_set_state(s, "acme", "k2", TG_KEY_RETIRED), TG_OK,
	       "retiring again is fine");
	ok(gen(s) == g, "a change to nothing leaves the generation alone");
	is_int(store_key_set_state(s, "acme", "k9", TG_KEY_ACTIVE), TG_ERR_NOT_FOUND,
	       "state of unknown key: not found");

	g = gen(s);
	is_int(store_key_remove(s, "acme", "k2"), TG_OK, "key removed");
	ok(gen(s) != g, "generation moved on remove");
	is_int(store_key_get(s, "acme", "k2", &k), TG_ERR_NOT_FOUND, "removed key is gone");
	is_int(store_key_remove(s, "acme", "k2"), TG_ERR_NOT_FOUND, "removing again: not found");
}

static void
test_snapshot_and_reads(struct tg_store *s)
{
	struct tg_tenant **tenants = NULL, *t = NULL;
	struct tg_key_record **keys = NULL;
	size_t nt = 0, nk = 0;
	uint64_t g = gen(s), sg = 0;
	char *id = NULL;

	is_int(store_snapshot(s, &sg, &tenants, &nt, &keys, &nk), TG_OK, "snapshot read");
	ok(sg == g, "snapshot carries the current generation");
	ok(nt == 3 && nk == 2, "snapshot holds every tenant and key");
	tenant_list_free(tenants, nt);
	keyrec_list_free(keys, nk);

	store_tenant_get(s, "acme", &t);
	tenant_free(t);
	store_tenant_by_issuer(s, "https://a2.example", &id);
	free(id);
	ok(gen(s) == g, "reads never move the generation");
}

static void
test_cascade(struct tg_store *s)
{
	struct tg_key_record **keys = NULL, *k = NULL;
	struct tg_tenant *t = NULL;
	uint64_t g = gen(s);
	size_t n = 0;
	char *id = NULL;

	is_int(store_tenant_remove(s, "acme"), TG_OK, "tenant removed");
	ok(gen(s) != g, "generation moved on tenant remove");
	is_int(store_tenant_get(s, "acme", &t), TG_ERR_NOT_FOUND, "removed tenant is gone");
	is_int(store_tenant_by_issuer(s, "https://a2.example", &id), TG_ERR_NOT_FOUND,
	       "its issuer is released");
	store_key_list(s, NULL, &keys, &n);
	ok(n == 1 && strcmp(keys[0]->tenant, "acme.dev") == 0,
	   "its keys are gone, acme.dev's key (a longer id) stays");
	keyrec_list_free(keys, n);
	is_int(store_tenant_remove(s, "acme"), TG_ERR_NOT_FOUND, "removing again: not found");

	is_int(setup_tenant(s, "acme", NULL), TG_OK, "the id can be used again");
	is_int(store_key_get(s, "acme", "k1", &k), TG_ERR_NOT_FOUND, "and starts with no keys");
}

static void
test_reopen(struct tg_store **s)
{
	struct tg_key_record *k = NULL;
	uint64_t g = gen(*s);
	char *id = NULL;

	store_close(*s);
	*s = NULL;
	is_int(store_open(f.dir, false, s, NULL), TG_OK, "reopened without create");
	if (!*s)
		return;
	ok(gen(*s) == g, "generation survives reopen");
	is_int(store_tenant_by_issuer(*s, "https://a.example", &id), TG_OK,
	       "tenants survive reopen");
	is_str(id, "beta", "issuer index survives reopen");
	free(id);
	is_int(store_key_get(*s, "acme.dev", "k1", &k), TG_OK, "keys survive reopen");
	keyrec_free(k);
}

int
main(void)
{
	struct tg_store *s = NULL;
	struct tg_why why;

	if (setup_open(&f, "test_store", false, &why) != TG_OK) {
		diag("%s", why.text);
		return 1;
	}
	test_open(&s);
	if (s) {
		test_tenants(s);
		test_keys(s);
		test_snapshot_and_reads(s);
		test_cascade(s);
		test_reopen(&s);
	}
	f.s = s;
	fixture_close(&f);
	store_close(NULL);
	return done_testing();
}
