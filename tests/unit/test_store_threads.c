/*
 * The store handle's background threads against a real environment: the
 * checkpointer keeps the log bounded while nothing on the request path asks
 * for a checkpoint, leaves it to the process holding the checkpoint lock, and
 * stops with the handle. (The watchdog's exit on a
 * wedged environment needs a process killed inside a BDB mutex: reproduced by
 * hand with gdb, see docs/architecture.md; store_concurrency.test covers the
 * restart that follows.)
 */
#include "../lib/store_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
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

/*
 * 3000 sessions with long user ids, ids from letter c and refresh tokens from
 * rt: several MiB of log through 1 MiB log files.
 */
static enum tg_err
write_log(struct store_fixture *f, char c, int rt)
{
	char id[TG_SESSION_ID_LEN + 1], user[TG_SESSION_USER_MAX + 1];
	enum tg_err rc = TG_OK;

	memset(user, 'u', TG_SESSION_USER_MAX);
	user[TG_SESSION_USER_MAX] = '\0';
	for (int i = 0; i < 3000 && rc == TG_OK; i++) {
		snprintf(user, 16, "%015d", i);
		user[15] = 'u';
		rc = create(f->s, sid(id, c, i), "acme", user, NOW, TTL, rt + i, NULL);
	}
	return rc;
}

/* Polls (bounded, the checkpointer looks once a second) until at most 3 log files are left. */
static int
logs_after_checkpoints(struct store_fixture *f, int tries)
{
	int highest;

	for (int i = 0; i < tries && count_logs(f->dir, &highest) > 3; i++)
		usleep(100000);
	return count_logs(f->dir, &highest);
}

static void
test_log_bounded(struct store_fixture *f)
{
	int n, highest;

	is_int(write_log(f, 'L', 0), TG_OK, "3000 sessions with 256-byte user ids created");
	count_logs(f->dir, &highest);
	/* Some may be gone already: the checkpointer runs while the sessions are written. */
	ok(highest > 3, "they needed more than three 1 MiB log files (%d)", highest);
	n = logs_after_checkpoints(f, 50);
	ok(n <= 3, "old log files are removed by the checkpointer (%d left of %d)", n, highest);
}

/*
 * One process checkpoints at a time: while another holds the lock on
 * tokengate.db (as a checkpointing process does), this one leaves the log
 * alone, and takes the checkpoint once the lock is free.
 */
static void
test_one_checkpointer(struct store_fixture *f)
{
	char path[512];
	int fd, n;

	snprintf(path, sizeof(path), "%s/tokengate.db", f->dir);
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "another process's checkpoint lock is held");
	is_int(write_log(f, 'M', 3000), TG_OK, "another 3000 sessions written meanwhile");
	n = logs_after_checkpoints(f, 25);
	ok(n > 3, "no checkpoint while the lock is held (%d log files)", n);
	flock(fd, LOCK_UN);
	close(fd);
	n = logs_after_checkpoints(f, 50);
	ok(n <= 3, "the checkpoint follows once it is free (%d log files)", n);
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_threads", "acme", NULL))
		return done_testing();
	test_log_bounded(&f);
	test_one_checkpointer(&f);
	fixture_close(&f); /* store_close joins both threads: a hang here would time the test out */
	return done_testing();
}
