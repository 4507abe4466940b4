/*
 * The store handle's background threads against a real environment: the
 * checkpointer keeps the log bounded while nothing on the request path asks
 * for a checkpoint, and stops with the handle. (The watchdog's exit on a
 * wedged environment needs a process killed inside a BDB mutex: reproduced by
 * hand with gdb, see docs/architecture.md; store_concurrency.test covers the
 * restart that follows.)
 */
#include "../lib/store_fixture.h"

#include <dirent.h>
#include <string.h>
#include <unistd.h>

/* How many log files are there, and the highest number any of them has (how many were made). */
static int
count_logs(const char *dir, int *highest)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	*highest = 0;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "log.", 4) != 0)
			continue;
		n++;
		if (atoi(e->d_name + 4) > *highest)
			*highest = atoi(e->d_name + 4);
	}
	if (d)
		closedir(d);
	return n;
}

/* Sessions with long user ids: several MiB of log through 1 MiB log files. */
static void
test_log_bounded(struct store_fixture *f)
{
	char id[TG_SESSION_ID_LEN + 1], user[TG_SESSION_USER_MAX + 1];
	enum tg_err rc = TG_OK;
	int i, n, highest;

	memset(user, 'u', TG_SESSION_USER_MAX);
	user[TG_SESSION_USER_MAX] = '\0';
	for (i = 0; i < 3000 && rc == TG_OK; i++) {
		snprintf(user, 16, "%015d", i);
		user[15] = 'u';
		rc = create(f->s, sid(id, 'L', i), "acme", user, NOW, TTL, i, NULL);
	}
	is_int(rc, TG_OK, "3000 sessions with 256-byte user ids created");
	count_logs(f->dir, &highest);
	/* Some may be gone already: the checkpointer runs while the sessions are written. */
	ok(highest > 3, "they needed more than three 1 MiB log files (%d)", highest);
	/* It looks once a second; give it a few turns, bounded. */
	for (i = 0; i < 50 && count_logs(f->dir, &highest) > 3; i++)
		usleep(100000);
	n = count_logs(f->dir, &highest);
	ok(n <= 3, "old log files are removed by the checkpointer (%d left of %d)", n, highest);
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_threads"))
		return done_testing();
	fixture_tenant(f.s, "acme");
	test_log_bounded(&f);
	fixture_close(&f); /* store_close joins both threads: a hang here would time the test out */
	return done_testing();
}
