/*
 * The sweep and the rate buckets against a real environment in a mkdtemp
 * directory: a bounded sweep, oldest first, that leaves no index entry,
 * refresh token or "rt:" bucket behind, and one bucket shared by two processes.
 */
#include "../lib/store_fixture.h"

#include <sys/wait.h>
#include <unistd.h>

/* Sessions of acme and beta that end long after test_sweep's T: only its last sweep is due. */
static bool
add_later_sessions(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1];

	return create(s, sid(id, 'L', 1), "acme", "alice", NOW, TTL, 63, NULL) == TG_OK &&
	       create(s, sid(id, 'L', 2), "beta", "bob", NOW, TTL, 64, NULL) == TG_OK;
}

/*
 * At T, long before the other tests' sessions end, so only these are due:
 * ten sessions in each of three shards (first characters a, b, c) that
 * ended 1000..1029 s before T, a live one, one revoked within the grace and
 * one revoked past it; each has one refresh token.
 */
static void
test_sweep(struct tg_store *s)
{
	const int64_t T = NOW - 100000;
	char id[TG_SESSION_ID_LEN + 1], bucket[64];
	size_t removed = 0;
	int64_t retry = 0;

	fixture_tenant(s, "swp");
	for (int i = 0; i < 30; i++)
		create(s, sid(id, "abc"[i % 3], i), "swp", "u", T - 5000 - i, 4000, 100 + i, NULL);
	create(s, sid(id, 'a', 100), "swp", "u", T, TTL, 200, NULL);
	create(s, sid(id, 'b', 101), "swp", "u", T - 100, TTL, 201, NULL);
	store_session_revoke(s, "swp", id, T - 50);
	create(s, sid(id, 'c', 102), "swp", "u", T - 900, TTL, 202, NULL);
	store_session_revoke(s, "swp", id, T - 800);
	snprintf(bucket, sizeof(bucket), "rt:%s", sid(id, 'a', 3));
	store_ratelimit_take(s, bucket, 1, 1, T * 1000, &retry);
	is_int(count(s, "swp", NULL), 33, "33 sessions before the sweep");

	is_int(store_sweep(s, T, 600, 4, &removed), TG_OK, "sweep limited to 4 sessions");
	is_int(removed, 8, "4 sessions and their 4 refresh tokens removed");
	is_int(count(s, "swp", NULL), 29, "29 left");
	is_int(store_session_get(s, sid(id, 'a', 27), &(struct tg_session *){ NULL }),
	       TG_ERR_NOT_FOUND, "the oldest of the first shard went first");
	is_int(store_session_check(s, "swp", sid(id, 'a', 0), T - 2000), TG_OK,
	       "the newest of that shard is still there");

	is_int(store_sweep(s, T, 600, 1000, &removed), TG_OK, "sweep everything due");
	is_int(removed, 2 * 27, "27 more sessions, each with its token");
	is_int(count(s, "swp", NULL), 2, "a live session and one revoked within the grace stay");
	is_int(store_session_check(s, "swp", sid(id, 'a', 100), T), TG_OK, "live one untouched");
	is_int(store_session_check(s, "swp", sid(id, 'b', 101), T), TG_ERR_REJECTED,
	       "revoked within the grace: still there");
	is_int(store_session_get(s, sid(id, 'c', 102), &(struct tg_session *){ NULL }),
	       TG_ERR_NOT_FOUND, "revoked past the grace: gone");
	is_int(rotate(s, 103, 300, NULL, T - 9999, NULL), TG_ERR_NOT_FOUND,
	       "a swept session's refresh token is gone (at a time it was valid)");
	is_int(store_ratelimit_take(s, bucket, 1, 1, T * 1000, &retry), TG_OK,
	       "a swept session's rate bucket is gone (full again)");
	is_int(store_sweep(s, T, 600, 1000, &removed), TG_OK, "sweeping again");
	is_int(removed, 0, "finds nothing");
	is_int(store_sweep(s, NOW + 10 * TTL, 0, 1000, &removed), TG_OK, "sweep far in the future");
	ok(count(s, "swp", NULL) == 0 && count(s, "acme", NULL) == 0 &&
		   count(s, "beta", NULL) == 0,
	   "removes every session and user index entry");
	is_int(rotate(s, 63, 301, NULL, NOW + 1, NULL), TG_ERR_NOT_FOUND,
	       "and every refresh token");
}

static void
test_ratelimit(struct tg_store *s)
{
	int64_t retry = 0, t = NOW * 1000LL;
	int ok_n = 0;

	for (int i = 0; i < 5; i++)
		ok_n += store_ratelimit_take(s, "ak1", 1, 3, t, &retry) == TG_OK;
	is_int(ok_n, 3, "burst 3: three taken at once");
	is_int(store_ratelimit_take(s, "ak1", 1, 3, t, &retry), TG_ERR_LIMITED, "then limited");
	is_int(retry, 1, "retry after one second");
	is_int(store_ratelimit_take(s, "ak1", 1, 3, t + 1000, &retry), TG_OK, "refilled a second later");
	is_int(store_ratelimit_take(s, "ak2", 1, 3, t, &retry), TG_OK, "other buckets are apart");
	is_int(store_ratelimit_take(s, "ak1", 0, 3, t, &retry), TG_OK, "rate 0: no limit");
	is_int(store_ratelimit_take(s, "ak1", 1, 0, t, &retry), TG_ERR_INVALID, "burst 0: invalid");
	is_int(store_ratelimit_take(s, "", 1, 3, t, &retry), TG_ERR_INVALID, "no name: invalid");
}

/* Two processes, each with its own handle, drain one bucket: they share it. */
static void
test_ratelimit_processes(const char *dir)
{
	int fds[2][2], total = 0, status;
	pid_t pid[2];

	for (int p = 0; p < 2; p++) {
		if (pipe(fds[p]) != 0)
			return;
		pid[p] = fork();
		if (pid[p] == 0) {
			struct tg_store *s = NULL;
			int64_t retry;
			char n = 0;

			if (store_open(dir, false, &s, NULL) != TG_OK)
				_exit(2);
			for (int i = 0; i < 40; i++)
				n += store_ratelimit_take(s, "shared", 1, 50, NOW * 1000LL, &retry) ==
				     TG_OK;
			store_close(s);
			if (write(fds[p][1], &n, 1) != 1)
				_exit(2);
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < 2; p++) {
		char n = 0;

		if (read(fds[p][0], &n, 1) == 1)
			total += n;
		close(fds[p][0]);
		waitpid(pid[p], &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d finished", p + 1);
	}
	is_int(total, 50, "80 takes from two processes at one instant: exactly the burst of 50");
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_sweep", "acme", "beta", NULL))
		return 1;
	if (!add_later_sessions(f.s)) {
		diag("could not create the sessions the last sweep must remove");
		fixture_close(&f);
		return 1;
	}
	test_sweep(f.s);
	test_ratelimit(f.s);
	store_close(f.s);
	f.s = NULL;
	test_ratelimit_processes(f.dir);
	fixture_close(&f);
	return done_testing();
}
