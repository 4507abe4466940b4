/*
 * The database as a whole (store_admin.c, and store_env.c's open path): an
 * environment whose regions are gone, or that a process panicked, opens with
 * every commit there; regions gone under a live process are refused with the
 * command that mends them; running out of locks is TG_ERR_BUSY for that one
 * call and leaves the environment working for other processes; backup,
 * verify and restore (the look-only check: test_store_files.c). Real BDB
 * files, real child processes (one environment handle per process).
 */
#include "store/store_db.h"

#include "../lib/store_call.h"
#include "../lib/store_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Only its scratch directory: each test makes its stores under it. */
static struct store_fixture scratch;

static char *
path_of(const char *name)
{
	return tg_xasprintf("%s/%s", scratch.root, name);
}

/* Removes DIR/__db.0* (with_registry: every __db.* file). */
static int
drop_regions(const char *dir, bool with_registry)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, with_registry ? "__db." : "__db.0", with_registry ? 5 : 6))
			continue;
		char *p = tg_xasprintf("%s/%s", dir, e->d_name);

		n += unlink(p) == 0;
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

static bool
has_tenant(struct tg_store *s, const char *id)
{
	struct tg_tenant *t = NULL;
	enum tg_err rc = store_tenant_get(s, id, &t);

	tenant_free(t);
	return rc == TG_OK;
}

/* Opens dir in a new process and answers whether every tenant named is there. */
static bool
child_sees(const char *dir, const char *const *ids, int n)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		struct tg_store *s = NULL;
		bool has_all = store_open(dir, false, &s, NULL) == TG_OK;

		for (int i = 0; has_all && i < n; i++)
			has_all = has_tenant(s, ids[i]);
		store_close(s);
		_exit(has_all ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Committed, never checkpointed: the commits live in the log and the regions' cache only. */
static void
test_regions_gone(bool with_registry)
{
	static const char *const ids[] = { "r1", "r2", "r3" };
	char *dir = path_of(with_registry ? "gone-all" : "gone");
	struct tg_store *s = NULL;

	is_int(store_open(dir, true, &s, NULL), TG_OK, "store created");
	for (int i = 0; i < 3; i++)
		fixture_tenant(s, ids[i]);
	store_close(s);
	ok(drop_regions(dir, with_registry) >= 3, "region files%s removed",
	   with_registry ? " and the registry" : "");
	ok(child_sees(dir, ids, 3),
	   "regions gone%s: the next open recovers, every commit is there",
	   with_registry ? " with the registry" : "");
	ok(child_sees(dir, ids, 3), "and the open after it too");
	free(dir);
}

/*
 * A process holds the environment open until *release closes. With
 * is_panicking it first commits p2 and panics the environment (as a call that
 * fails inside BDB does), and at the end answers whether it sees p1 and p2.
 * Children are forked only while this process has no store open: a fork
 * beside the store's threads can inherit a held allocator lock.
 */
static pid_t
holder(const char *dir, bool is_panicking, int *release)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	if (pipe(go) != 0 || pipe(ready) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct tg_store *s = NULL;
		bool is_ok = true;

		close(go[1]);
		close(ready[0]);
		if (store_open(dir, false, &s, NULL) != TG_OK)
			_exit(2);
		if (is_panicking) {
			fixture_tenant(s, "p2");
			(void)s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1);
		}
		(void)!write(ready[1], "r", 1);
		(void)!read(go[0], &c, 1);
		if (is_panicking)
			is_ok = has_tenant(s, "p1") && has_tenant(s, "p2");
		store_close(s);
		_exit(is_ok ? 0 : 1);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		diag("the holding process did not get there");
	close(ready[0]);
	*release = go[1];
	return pid;
}

static void
test_regions_gone_under_live(void)
{
	static const char *const ids[] = { "l1" };
	char *dir = path_of("live");
	struct tg_store *s = NULL;
	struct tg_why why = { "" }, msg;
	int release = -1, status;
	pid_t pid;

	store_open(dir, true, &s, NULL);
	fixture_tenant(s, "l1");
	store_close(s);
	s = NULL;
	pid = holder(dir, false, &release);
	drop_regions(dir, false);
	is_int(store_open(dir, false, &s, &why), TG_ERR_DB,
	       "regions gone under a live process: the open refuses");
	ok(strstr(why.text, "tokengatectl --db") && strstr(why.text, "recover") &&
		   strstr(why.text, "stop every process"),
	   "naming what to stop and the command that mends it: %s", why.text);
	is_int(store_recover(dir, false, &msg), TG_ERR_BUSY,
	       "recover refuses while the process lives");
	ok(strstr(msg.text, "stop it") != NULL, "and says to stop it: %s", msg.text);
	close(release);
	waitpid(pid, &status, 0);
	is_int(store_recover(dir, false, &msg), TG_OK, "recover once it stopped");
	ok(child_sees(dir, ids, 1), "every commit there afterwards");
	store_close(s);
	free(dir);
}

/* Every line of file as a TAP diagnostic. */
static void
diag_lines(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[1024];

	while (f && fgets(line, sizeof(line), f))
		printf("#   %s", line);
	if (f)
		fclose(f);
}

/*
 * The processes whose lines in file say they recovered ("tokengate[PID]: ..."). One process
 * may say it twice: a join that recovers after its own recovery's retry.
 */
static int
recovering_processes(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	long pids[64];
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strchr(line, '[');
		long pid = p ? strtol(p + 1, NULL, 10) : 0;
		bool is_known = false;

		if (!strstr(line, "running recovery") && !strstr(line, "recovered the environment"))
			continue;
		for (int i = 0; i < n; i++)
			is_known |= pids[i] == pid;
		if (!is_known && n < 64)
			pids[n++] = pid;
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * A process panics the environment it keeps open; several processes then
 * open at once: one recovers, the others join the recovered environment, and
 * the panicking process reopens on its next call.
 */
static void
test_panicked(void)
{
	enum { OPENERS = 4 };
	static const char *const ids[] = { "p1", "p2" };
	char *dir = path_of("panic");
	char *log = path_of("panic.log");
	struct tg_store *s = NULL;
	pid_t pids[OPENERS], pan;
	int good = 0, release = -1, status = -1, recoveries;

	store_open(dir, true, &s, NULL);
	fixture_tenant(s, "p1");
	store_close(s);
	pan = holder(dir, true, &release);
	for (int i = 0; i < OPENERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

			dup2(fd, 2);
			_exit(child_sees(dir, ids, 2) ? 0 : 1);
		}
	}
	for (int i = 0; i < OPENERS; i++) {
		status = -1;
		waitpid(pids[i], &status, 0);
		good += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	is_int(good, OPENERS, "a panicked environment: %d processes opening at once see every "
	       "commit", OPENERS);
	recoveries = recovering_processes(log);
	is_int(recoveries, 1, "recovered by one process, not by each of them");
	if (recoveries != 1)
		diag_lines(log); /* who recovered, and why, for the next look */
	close(release);
	status = -1;
	waitpid(pan, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the process that panicked it reopens and sees every commit");
	free(log);
	free(dir);
}

struct fill {
	struct store_call call;
	int from, n;
	long seen;
};

static int
fill_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct fill *f = STORE_OP_OF(c, struct fill);
	char key[32];
	int ret = 0;

	for (int i = f->from; ret == 0 && i < f->from + f->n; i++) {
		int len = snprintf(key, sizeof(key), "rec%07d", i);

		ret = store_put(s, T_META, txn, key, (size_t)len, "0123456789abcdef", 16);
	}
	return ret;
}

static int
count_visit(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	    struct store_call *c)
{
	(void)s;
	(void)txn;
	(void)cur;
	(void)k;
	(void)d;
	STORE_OP_OF(c, struct fill)->seen++;
	return 0;
}

/* Every record, each page locked for writing: thousands of locks in one transaction. */
static int
scan_rmw_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	return store_scan(s, T_META, txn, "rec", 3, DB_RMW, count_visit, c);
}

static enum tg_err
run_fill(struct tg_store *s, store_body_fn body, int from, int n, enum store_mode mode)
{
	struct fill f = { .from = from, .n = n };

	return call_run(s, &f.call, body, NULL, mode);
}

static void
test_lock_exhaustion(void)
{
	static const char *const ids[] = { "x1", "x2" };
	char *dir = path_of("locks");
	char *conf = path_of("locks/DB_CONFIG");
	struct tg_store *s = NULL;
	FILE *f;
	int bad = 0;

	mkdir(dir, 0700);
	/* Operators can lower the limits this way too; a small table makes the test quick. */
	f = fopen(conf, "w");
	if (f) {
		fputs("set_lk_max_locks 300\nset_lk_max_objects 300\n", f);
		fclose(f);
	}
	is_int(store_open(dir, true, &s, NULL), TG_OK, "store with a 300-lock table");
	fixture_tenant(s, "x1");
	for (int i = 0; i < 100000; i += 2000)
		bad += run_fill(s, fill_body, i, 2000, STORE_WRITE_NOSYNC) != TG_OK;
	is_int(bad, 0, "100,000 records written in short transactions");
	is_int(run_fill(s, scan_rmw_body, 0, 0, STORE_READ), TG_ERR_BUSY,
	       "a transaction that runs out of locks: TG_ERR_BUSY for that call");
	fixture_tenant(s, "x2");
	ok(has_tenant(s, "x2"), "the same handle keeps working");
	store_close(s);
	ok(child_sees(dir, ids, 2), "another process opens it and sees every commit");
	free(conf);
	free(dir);
}

static void
corrupt(const char *file)
{
	int fd = open(file, O_WRONLY);
	char junk[4096];

	memset(junk, 0x5a, sizeof(junk));
	if (fd >= 0) {
		(void)!pwrite(fd, junk, sizeof(junk), 4096);
		close(fd);
	}
}

static void
test_backup_restore(void)
{
	static const char *const before[] = { "b1", "b2" };
	static const char *const after[] = { "a1" };
	char *dir = path_of("src");
	char *bk = path_of("bk");
	char *bad = path_of("bad");
	char *badfile = path_of("bad/tokengate.db");
	char *moved = NULL;
	struct tg_store *s = NULL;
	struct tg_why why;
	int release = -1, status;
	pid_t pid;

	store_open(dir, true, &s, NULL);
	fixture_tenant(s, "b1");
	fixture_tenant(s, "b2");
	store_close(s);
	pid = holder(dir, false, &release);
	is_int(store_backup(dir, bk, &why), TG_OK,
	       "a backup while another process has the database open");
	close(release);
	waitpid(pid, &status, 0);
	store_open(dir, false, &s, NULL);
	fixture_tenant(s, "a1");
	store_close(s);
	is_int(store_backup(dir, bk, &why), TG_ERR_EXISTS,
	       "not into a directory that holds files");
	is_int(store_verify(bk, &why), TG_OK, "the backup verifies");
	store_backup(dir, bad, &why);
	corrupt(badfile);
	is_int(store_verify(bad, &why), TG_ERR_DB, "a damaged copy does not");
	is_int(store_restore(bad, dir, &moved, &why), TG_ERR_DB,
	       "and is not restored");
	ok(child_sees(dir, after, 1), "the database is left as it was");
	pid = holder(dir, false, &release);
	is_int(store_restore(bk, dir, &moved, &why), TG_ERR_BUSY,
	       "restore refuses while a process has the database open");
	ok(strstr(why.text, "server is running") && strstr(why.text, "stop it"),
	   "saying to stop it: %s", why.text);
	close(release);
	waitpid(pid, &status, 0);
	is_int(store_restore(bk, dir, &moved, &why), TG_OK, "restore once it stopped");
	ok(moved && strstr(moved, "/replaced-"), "the replaced files kept in %s",
	   moved ? moved : "(none)");
	ok(child_sees(dir, before, 2) && !child_sees(dir, after, 1),
	   "the database holds what the backup held");
	free(moved);
	free(badfile);
	free(bad);
	free(bk);
	free(dir);
}

int
main(void)
{
	struct tg_why why;

	if (setup_open(&scratch, "test_store_admin", false, &why) != TG_OK) {
		diag("%s", why.text);
		return 1;
	}
	test_regions_gone(false);
	test_regions_gone(true);
	test_regions_gone_under_live();
	test_panicked();
	test_lock_exhaustion();
	test_backup_restore();
	if (!getenv("TG_KEEP"))
		fixture_close(&scratch);
	return done_testing();
}
