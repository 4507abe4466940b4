/*
 * Work too large for one transaction, against a real environment in a
 * mkdtemp directory: session listings a page at a time, a user's logout and
 * a removed tenant's sessions in batches behind a recorded job, and a job cut
 * short (as by a killed worker) that the sweep, or adding the tenant again,
 * finishes. Each of these held every record in one transaction before, which
 * ran the lock table out with enough sessions.
 */
#include "../lib/store_fixture.h"

#include "store/store_db.h"

#include <string.h>
#include <time.h>

/* More than two job batches and two pages of 100, so every edge between them is crossed. */
#define MANY 300

static void
make_many(struct tg_store *s, char first, const char *tenant, const char *user, int rt_base)
{
	char id[TG_SESSION_ID_LEN + 1];
	int failed = 0;

	for (int i = 0; i < MANY; i++)
		failed += create(s, sid(id, first, i), tenant, user, NOW, TTL, rt_base + i, NULL) !=
			  TG_OK;
	is_int(failed, 0, "%d sessions of %s/%s created", MANY, tenant, user);
}

static void
test_pages(struct tg_store *s)
{
	struct store_session_page p = { 0 };
	char *cursor = NULL, last[TG_SESSION_ID_LEN + 1] = "";
	size_t pages = 0, total = 0;
	bool is_sorted = true, is_full = true;

	make_many(s, 'P', "acme", "paula", 1000);
	do {
		if (store_session_list(s, "acme", "paula", cursor, 100, 0, &p) != TG_OK)
			break;
		for (size_t i = 0; i < p.n; i++) {
			is_sorted = is_sorted && strcmp(last, p.v[i]->id) < 0;
			snprintf(last, sizeof(last), "%s", p.v[i]->id);
		}
		is_full = is_full && (p.n == 100 || !p.next_cursor);
		total += p.n;
		pages++;
		free(cursor);
		cursor = p.next_cursor;
		p.next_cursor = NULL;
		store_session_page_fini(&p);
	} while (cursor && pages < 10);
	is_int(total, MANY, "every session listed once across the pages");
	is_int(pages, 3, "in three pages of 100");
	ok(is_sorted, "in id order, none repeated across a page boundary");
	ok(is_full && !cursor, "full pages, and no next cursor after the last");
	free(cursor);

	is_int(store_session_list(s, "acme", "paula", NULL, 1000, 0, &p), TG_OK, "limit 1000");
	ok(p.n == MANY && !p.next_cursor, "one page of 1000 holds all %d", MANY);
	store_session_page_fini(&p);
	is_int(store_session_list(s, "acme", "paula", NULL, 0, 0, &p), TG_ERR_INVALID,
	       "limit 0: invalid");
	is_int(store_session_list(s, "acme", "paula", NULL, STORE_LIST_LIMIT_MAX + 1, 0, &p),
	       TG_ERR_INVALID, "limit over the maximum: invalid");
}

static void
test_cursors(struct tg_store *s)
{
	struct store_session_page p = { 0 }, q = { 0 };
	char *mine;

	is_int(store_session_list(s, "acme", "paula", NULL, 1, 0, &p), TG_OK, "a page of one");
	mine = p.next_cursor;
	p.next_cursor = NULL;
	store_session_page_fini(&p);
	ok(mine != NULL, "with a next cursor");
	if (!mine)
		return;
	is_int(store_session_list(s, "acme", "other", mine, 10, 0, &p), TG_ERR_INVALID,
	       "another user's cursor: invalid");
	is_int(store_session_list(s, "acme", NULL, mine, 10, 0, &q), TG_OK,
	       "the tenant-wide listing takes a cursor of user and session");
	ok(q.n == 10 && strcmp(q.v[0]->user, "paula") == 0, "and goes on from there");
	store_session_page_fini(&q);
	is_int(store_session_list(s, "acme", "paula", "not a cursor!", 10, 0, &p), TG_ERR_INVALID,
	       "garbage: invalid");
	is_int(store_session_list(s, "acme", "paula", "", 10, 0, &p), TG_ERR_INVALID,
	       "empty: invalid");
	/* "paula" NUL "short": a session id part of the wrong length. */
	is_int(store_session_list(s, "acme", "paula", "cGF1bGEAc2hvcnQ", 10, 0, &p), TG_ERR_INVALID,
	       "a cursor whose session id is cut short: invalid");
	free(mine);
}

static void
test_logout(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1], later[TG_SESSION_ID_LEN + 1];
	size_t n = 0;

	make_many(s, 'U', "acme", "ulla", 2000);
	is_int(create(s, sid(later, 'V', 1), "acme", "ulla", NOW + 20, TTL, 3000, NULL), TG_OK,
	       "a session created after the logout's time");
	is_int(count_paged(s, "acme", "ulla", 1000, NOW + 10), MANY + 1, "%d live before", MANY + 1);
	is_int(store_session_revoke_user(s, "acme", "ulla", NOW + 10, &n), TG_OK,
	       "a logout of %d sessions: more than one batch", MANY);
	is_int(n, MANY, "every one counted");
	is_int(count_paged(s, "acme", "ulla", 1000, NOW + 21), 1, "only the later one live after");
	is_int(store_session_check(s, "acme", sid(id, 'U', 0), NOW + 11), TG_ERR_REJECTED,
	       "the first session is refused");
	is_int(store_session_check(s, "acme", sid(id, 'U', MANY - 1), NOW + 11), TG_ERR_REJECTED,
	       "and the last");
	is_int(store_session_check(s, "acme", later, NOW + 21), TG_OK,
	       "a session made after the logout began stays");
	is_int(count_paged(s, "acme", "paula", 1000, NOW + 10), MANY, "another user is untouched");
}

struct record_op {
	struct store_call call;
	enum store_job_kind kind;
	const char *tenant, *user;
	int64_t cutoff;
};

static int
record_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct record_op *op = STORE_OP_OF(c, struct record_op);
	int ret = 0;

	/* A purge's transaction removes the tenant's record too (its keys: none here). */
	if (op->kind == STORE_JOB_PURGE)
		ret = store_del(s, T_TENANTS, txn, op->tenant, strlen(op->tenant));
	if (ret == 0)
		ret = store_job_put(s, txn, op->kind, op->tenant, op->user, op->cutoff);
	return ret;
}

/* What the first transaction of a logout or removal writes, and nothing else. */
static enum tg_err
record_job(struct tg_store *s, enum store_job_kind kind, const char *tenant, const char *user,
	   int64_t cutoff)
{
	struct record_op op = { .call = { .body = record_body, .mode = STORE_WRITE },
				.kind = kind, .tenant = tenant, .user = user, .cutoff = cutoff };

	return store_run(s, &op.call);
}

/* A job whose worker died after its first batch: the sweep takes it from there. */
static void
test_interrupted_logout(struct tg_store *s)
{
	size_t n = 0, removed = 0;
	bool is_done = true;

	make_many(s, 'I', "acme", "ivan", 4000);
	ok(store_job_finish(s, STORE_JOB_LOGOUT, "acme", "ivan", 1, &n, &is_done) == TG_OK &&
		   is_done && n == 0,
	   "a job that was never recorded is done");
	is_int(record_job(s, STORE_JOB_LOGOUT, "acme", "ivan", NOW + 10), TG_OK,
	       "a logout job recorded");
	is_int(store_job_finish(s, STORE_JOB_LOGOUT, "acme", "ivan", 1, &n, &is_done), TG_OK,
	       "one batch of it");
	ok(!is_done && n == 64, "64 sessions ended, the job not done");
	is_int(count_paged(s, "acme", "ivan", 1000, NOW + 11), MANY - 64, "the rest still live");
	/*
	 * A sweep takes a job over only once no batch has moved it for a few
	 * seconds (a runner still at it would be raced); then two sweeps finish
	 * it. The grace keeps every session the fixture made (they ended in 2023).
	 */
	is_int(store_sweep(s, time(NULL), time(NULL) - NOW + 86400, 10, &removed), TG_OK,
	       "a sweep at once");
	is_int(count_paged(s, "acme", "ivan", 1000, NOW + 11), MANY - 64,
	       "leaves a job that was just moved to its runner");
	is_int(store_sweep(s, time(NULL) + 60, time(NULL) - NOW + 86400, 10, &removed), TG_OK,
	       "a sweep a minute later");
	is_int(store_sweep(s, time(NULL) + 120, time(NULL) - NOW + 86400, 10, &removed), TG_OK,
	       "and another");
	is_int(count_paged(s, "acme", "ivan", 1000, NOW + 11), 0, "the sweeps finished the logout");
	is_int(store_job_finish(s, STORE_JOB_LOGOUT, "acme", "ivan", 1, &n, &is_done), TG_OK,
	       "the job again");
	ok(is_done && n == 0, "nothing left of it");
}

static void
test_tenant_remove(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1];
	struct tg_session *got = NULL;

	fixture_tenant(s, "gone");
	make_many(s, 'G', "gone", "gwen", 5000);
	is_int(create(s, sid(id, 'H', 1), "gone", "hal", NOW, TTL, 5400, NULL), TG_OK,
	       "a second user's session");
	is_int(store_tenant_remove(s, "gone"), TG_OK, "a tenant with %d sessions removed", MANY + 1);
	is_int(count(s, "gone", NULL), 0, "no index entry of it is left");
	is_int(store_session_get(s, sid(id, 'G', 0), &got), TG_ERR_NOT_FOUND,
	       "its first session is gone");
	is_int(store_session_get(s, sid(id, 'G', MANY - 1), &got), TG_ERR_NOT_FOUND, "and its last");
	is_int(count(s, "acme", "paula"), MANY, "another tenant's sessions stay");
	fixture_tenant(s, "gone");
	is_int(count(s, "gone", NULL), 0, "added again, it starts with none");
}

/* A removal cut short: adding the tenant again first finishes it, so nothing comes back. */
static void
test_interrupted_remove(struct tg_store *s)
{
	struct tg_session *got = NULL;
	char id[TG_SESSION_ID_LEN + 1];
	size_t n = 0;
	bool is_done = true;

	fixture_tenant(s, "again");
	make_many(s, 'A', "again", "abe", 6000);
	is_int(record_job(s, STORE_JOB_PURGE, "again", NULL, NOW), TG_OK,
	       "the tenant's record gone and a purge job recorded");
	is_int(store_job_finish(s, STORE_JOB_PURGE, "again", NULL, 1, &n, &is_done), TG_OK,
	       "one batch of it");
	ok(!is_done && count(s, "again", NULL) == MANY - 64, "64 sessions went, the rest wait");
	fixture_tenant(s, "again");
	is_int(count(s, "again", NULL), 0, "adding the tenant again finished the purge first");
	is_int(store_session_get(s, sid(id, 'A', MANY - 1), &got), TG_ERR_NOT_FOUND,
	       "the old sessions are not there for the new tenant");
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_jobs", "acme", NULL))
		return 1;
	test_pages(f.s);
	test_cursors(f.s);
	test_logout(f.s);
	test_interrupted_logout(f.s);
	test_tenant_remove(f.s);
	test_interrupted_remove(f.s);
	fixture_close(&f);
	return done_testing();
}
