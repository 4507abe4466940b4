/*
 * Helper for tests/store_concurrency.test: many of these share one store the
 * way gateway workers do. A worker reports each key only after its commit
 * returned, so the test can hold the store to every reported commit.
 *   store_worker DIR init      create the store and tenant "t"
 *   store_worker DIR list      print every kid of tenant "t", one a line
 *   store_worker DIR ID N [FIRST]  add keys "w<ID>-<i>" for i = FIRST..N-1,
 *                              checking each snapshot; a restarted worker passes
 *                              FIRST, and finding that key already there means
 *                              its previous run committed it without reporting
 *   store_worker DIR hold      keep the store open until stdin ends (a live worker)
 *   store_worker DIR panic     commit key "wp-0", panic the environment the way a
 *                              failed call inside Berkeley DB does, print "panicked",
 *                              and keep it open until stdin ends
 * Exit status: 0 ok, 1 a committed key went missing, 2 a store error.
 */
#include "store/store_db.h"

#include "store_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
cmp_kid(const void *kid, const void *elem)
{
	const struct tg_key_record *const *r = elem;

	return strcmp(kid, (*r)->kid);
}

/* Every key this worker committed so far must be in one consistent snapshot. */
static int
check_snapshot(struct tg_store *s, const char *id, int upto)
{
	struct tg_tenant **tenants = NULL;
	struct tg_key_record **keys = NULL;
	size_t ntenants = 0, nkeys = 0;
	uint64_t gen;
	enum tg_err rc;
	int status = 0;

	rc = store_snapshot(s, &gen, &tenants, &ntenants, &keys, &nkeys);
	if (rc != TG_OK) {
		fprintf(stderr, "store_worker %s: snapshot: %s\n", id, tg_err_str(rc));
		return 2;
	}
	for (int i = 0; i <= upto && status == 0; i++) {
		char kid[64];

		snprintf(kid, sizeof(kid), "w%s-%d", id, i);
		if (!bsearch(kid, keys, nkeys, sizeof(*keys), cmp_kid)) {
			fprintf(stderr, "store_worker %s: committed key %s missing\n", id, kid);
			status = 1;
		}
	}
	tenant_list_free(tenants, ntenants);
	keyrec_list_free(keys, nkeys);
	return status;
}

static int
add_key(struct tg_store *s, const char *id, int i, bool may_exist)
{
	unsigned char bytes[32];
	char kid[64];
	enum tg_err rc;

	snprintf(kid, sizeof(kid), "w%s-%d", id, i);
	if (secret_random(bytes, sizeof(bytes)) != TG_OK)
		return 2;
	rc = setup_key(s, "t", kid, (int64_t)time(NULL), bytes, sizeof(bytes));
	if (rc == TG_ERR_EXISTS && may_exist)
		rc = TG_OK;
	if (rc != TG_OK) {
		fprintf(stderr, "store_worker %s: add %s: %s\n", id, kid, tg_err_str(rc));
		return 2;
	}
	printf("committed %s\n", kid);
	fflush(stdout);
	return 0;
}

static int
work(struct tg_store *s, const char *id, int first, int n)
{
	int status = 0;

	for (int i = first; i < n && status == 0; i++) {
		status = add_key(s, id, i, i == first && first > 0);
		if (status == 0)
			status = check_snapshot(s, id, i);
	}
	return status;
}

static int
init(struct tg_store *s)
{
	enum tg_err rc = setup_tenant(s, "t", NULL);

	return rc == TG_OK || rc == TG_ERR_EXISTS ? 0 : 2;
}

static int
list(struct tg_store *s)
{
	struct tg_key_record **keys = NULL;
	size_t n = 0;

	if (store_key_list(s, "t", &keys, &n) != TG_OK)
		return 2;
	for (size_t i = 0; i < n; i++)
		printf("%s\n", keys[i]->kid);
	keyrec_list_free(keys, n);
	return 0;
}

/* Until stdin ends; with is_panicking, after committing a key and panicking the environment. */
static int
hold(struct tg_store *s, bool is_panicking)
{
	char buf[64];
	int status = 0;

	if (is_panicking) {
		status = add_key(s, "p", 0, false);
		if (status == 0 && s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1) != 0)
			status = 2;
		if (status == 0)
			printf("panicked\n");
	} else {
		printf("holding\n");
	}
	fflush(stdout);
	while (fread(buf, 1, sizeof(buf), stdin) > 0)
		continue;
	return status;
}

int
main(int argc, char **argv)
{
	bool is_init = argc == 3 && strcmp(argv[2], "init") == 0;
	struct tg_store *s = NULL;
	struct tg_why why;
	int status;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: store_worker DIR init|list|hold|panic|ID N [FIRST]\n");
		return 2;
	}
	if (store_open(argv[1], is_init, &s, &why) != TG_OK) {
		fprintf(stderr, "store_worker: %s\n", why.text);
		return 2;
	}
	if (is_init)
		status = init(s);
	else if (argc == 3 && strcmp(argv[2], "list") == 0)
		status = list(s);
	else if (argc == 3 && (strcmp(argv[2], "hold") == 0 || strcmp(argv[2], "panic") == 0))
		status = hold(s, strcmp(argv[2], "panic") == 0);
	else if (argc >= 4)
		status = work(s, argv[2], argc == 5 ? (int)strtol(argv[4], NULL, 10) : 0,
			      (int)strtol(argv[3], NULL, 10));
	else
		status = 2;
	store_close(s);
	return status;
}
