/*
 * Sessions, refresh tokens and rate buckets against a real environment in a
 * mkdtemp directory: every function of the bottom half of store.h and every
 * outcome its comments promise, including the failures that must change
 * nothing, the reuse detection whose revocation must stand, tenants that
 * never see each other's sessions, a bounded sweep that leaves no index
 * entry or refresh token behind, and one bucket shared by two processes.
 */
#include "store.h"

#include "../lib/tap.h"

#include <json.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW 1700000000
#define TTL 3600

static char root[] = "/tmp/tokengate-test_store_session.XXXXXX";
static char dir[sizeof(root) + 16];

/* A 22-character session id from a tag: first character chosen, rest filled. */
static const char *
sid(char buf[TG_SESSION_ID_LEN + 1], char first, int n)
{
	snprintf(buf, TG_SESSION_ID_LEN + 1, "%c%021d", first, n);
	return buf;
}

static void
hash(unsigned char h[TG_REFRESH_HASH_LEN], int n)
{
	memset(h, 0, TG_REFRESH_HASH_LEN);
	h[0] = (unsigned char)n;
	h[1] = (unsigned char)(n >> 8);
	h[31] = 0xa5;
}

static struct tg_session *
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
static enum tg_err
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

static enum tg_err
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

static size_t
count(struct tg_store *s, const char *tenant, const char *user)
{
	struct tg_session **v = NULL;
	size_t n = 0;

	if (store_session_list(s, tenant, user, &v, &n) != TG_OK)
		return (size_t)-1;
	session_list_free(v, n);
	return n;
}

static void
add_tenant(struct tg_store *s, const char *id)
{
	struct tg_tenant *t = tenant_new(id);

	if (store_tenant_add(s, t) != TG_OK)
		diag("could not add tenant %s", id);
	tenant_free(t);
}

static void
test_create_get(struct tg_store *s)
{
	struct tg_session *ss = session("Acreate00000000000000a", "acme", "alice", NOW, TTL);
	struct tg_session *got = NULL;
	unsigned char h[TG_REFRESH_HASH_LEN];
	char id[TG_SESSION_ID_LEN + 1];

	ss->bind_ip = tg_xstrdup("203.0.113.7");
	ss->claims = json_tokener_parse("{\"role\":\"admin\"}");
	hash(h, 1);
	is_int(store_session_create(s, ss, h, ss->expires), TG_OK, "session created");
	is_int(store_session_get(s, ss->id, &got), TG_OK, "session read back");
	if (got) {
		char *a = session_encode(ss, &(size_t){ 0 }), *b = session_encode(got, &(size_t){ 0 });

		is_str(b, a, "every field round trips");
		free(a);
		free(b);
	}
	session_free(got);
	got = (struct tg_session *)&got;
	is_int(store_session_get(s, "Anobody00000000000000a", &got), TG_ERR_NOT_FOUND,
	       "unknown id: not found");
	ok(got == (struct tg_session *)&got, "out-parameter untouched on failure");

	hash(h, 2);
	is_int(store_session_create(s, ss, h, ss->expires), TG_ERR_EXISTS, "taken id: exists");
	is_int(rotate(s, 2, 3, "203.0.113.7", NOW + 1, NULL), TG_ERR_NOT_FOUND,
	       "refused create stored no refresh token");
	is_int(count(s, "acme", NULL), 1, "refused create stored no index entry");

	free(ss->id);
	ss->id = tg_xstrdup(sid(id, 'A', 99));
	hash(h, 1);
	is_int(store_session_create(s, ss, h, ss->expires), TG_ERR_EXISTS,
	       "taken refresh hash: exists");
	is_int(store_session_get(s, id, &got), TG_ERR_NOT_FOUND, "and no session was written");

	free(ss->tenant);
	ss->tenant = tg_xstrdup("nobody");
	hash(h, 4);
	is_int(store_session_create(s, ss, h, ss->expires), TG_ERR_NOT_FOUND,
	       "unknown tenant: not found");
	is_int(store_session_get(s, id, &got), TG_ERR_NOT_FOUND, "nothing written for it");
	is_int(rotate(s, 4, 5, "203.0.113.7", NOW + 1, NULL), TG_ERR_NOT_FOUND,
	       "no refresh token written for it");
	is_int(count(s, "nobody", NULL), 0, "no index entry written for it");

	free(ss->id);
	ss->id = tg_xstrdup("short");
	free(ss->tenant);
	ss->tenant = tg_xstrdup("acme");
	is_int(store_session_create(s, ss, h, ss->expires), TG_ERR_INVALID,
	       "a record that would not read back is refused");
	session_free(ss);
}

static void
test_check(struct tg_store *s)
{
	const char *id = "Acreate00000000000000a";

	is_int(store_session_check(s, "acme", id, NOW + 10), TG_OK, "live session: ok");
	is_int(store_session_check(s, "beta", id, NOW + 10), TG_ERR_NOT_FOUND,
	       "another tenant's session: not found");
	is_int(store_session_check(s, "acm", id, NOW + 10), TG_ERR_NOT_FOUND,
	       "a tenant whose id is a prefix: not found");
	is_int(store_session_check(s, "acme", "Anobody00000000000000a", NOW), TG_ERR_NOT_FOUND,
	       "unknown id: not found");
	is_int(store_session_check(s, "acme", "", NOW), TG_ERR_NOT_FOUND, "empty id: not found");
	is_int(store_session_check(s, "acme", id, NOW + TTL - 1), TG_OK, "live until expires");
	is_int(store_session_check(s, "acme", id, NOW + TTL), TG_ERR_REJECTED,
	       "at expires: rejected");
}

static void
test_list(struct tg_store *s)
{
	struct tg_session **v = NULL;
	char id[TG_SESSION_ID_LEN + 1];
	size_t n = 0;

	create(s, sid(id, 'L', 3), "acme", "bob", NOW, TTL, 10, NULL);
	create(s, sid(id, 'L', 2), "acme", "alice", NOW, TTL, 11, NULL);
	create(s, sid(id, 'L', 1), "acme", "alice", NOW, TTL, 12, NULL);
	create(s, sid(id, 'L', 4), "acme", "al", NOW, TTL, 13, NULL);
	create(s, sid(id, 'L', 5), "acme.dev", "alice", NOW, TTL, 14, NULL);
	create(s, sid(id, 'L', 6), "beta", "alice", NOW, TTL, 15, NULL);

	is_int(store_session_list(s, "acme", NULL, &v, &n), TG_OK, "tenant's sessions listed");
	ok(n == 5 && strcmp(v[0]->user, "al") == 0 && strcmp(v[1]->user, "alice") == 0 &&
		   strcmp(v[4]->user, "bob") == 0,
	   "only acme's (not acme.dev's), sorted by user");
	ok(n == 5 && strcmp(v[2]->id, sid(id, 'L', 1)) == 0 && strcmp(v[3]->id, sid(id, 'L', 2)) == 0,
	   "one user's sessions sorted by id");
	session_list_free(v, n);
	is_int(count(s, "acme", "alice"), 3, "user filter: alice's three, not al's");
	is_int(count(s, "acme", "al"), 1, "user filter: al's one, not alice's");
	is_int(count(s, "acme", "carol"), 0, "user without sessions: empty");
	is_int(count(s, "ghost", NULL), 0, "unknown tenant: empty");
}

static void
test_add_amr(struct tg_store *s)
{
	struct tg_session *out = NULL, *got = NULL;
	char id[TG_SESSION_ID_LEN + 1];
	int64_t later = NOW + 3000;

	create(s, sid(id, 'M', 1), "acme", "mfa", NOW, TTL, 20, NULL);
	is_int(store_session_add_amr(s, "beta", id, "otp", NOW + 10, &out), TG_ERR_NOT_FOUND,
	       "another tenant's session: not found");
	is_int(store_session_add_amr(s, "acme", id, "o t p", NOW + 10, &out), TG_ERR_INVALID,
	       "invalid method refused");
	is_int(store_session_add_amr(s, "acme", id, "otp", later, &out), TG_OK, "step-up");
	ok(out && out->amr.n == 2 && strcmp(out->amr.v[1], "otp") == 0, "method joins amr");
	ok(out && out->expires == later + TTL, "expires moves to now + ttl");
	session_free(out);
	out = NULL;
	store_session_get(s, id, &got);
	ok(got && got->amr.n == 2 && got->expires == later + TTL, "and it is stored");
	session_free(got);
	is_int(store_session_add_amr(s, "acme", id, "otp", NOW + 20, &out), TG_OK,
	       "same method again");
	ok(out && out->amr.n == 2 && out->expires == later + TTL,
	   "kept once; an earlier now + ttl does not shorten the session");
	session_free(out);
	out = NULL;
	is_int(store_session_check(s, "acme", id, NOW + TTL + 10), TG_OK,
	       "live past its first expiry");
	is_int(rotate(s, 20, 21, NULL, NOW + TTL + 10, NULL), TG_OK,
	       "its unused refresh token lives as long as the session now");
	for (int i = 0; i < TG_AMR_MAX - 2; i++) {
		char m[16];

		snprintf(m, sizeof(m), "m%d", i);
		store_session_add_amr(s, "acme", id, m, NOW + 30, NULL);
	}
	is_int(store_session_add_amr(s, "acme", id, "one-too-many", NOW + 30, &out),
	       TG_ERR_TOO_LARGE, "amr full: too large");
	store_session_revoke(s, "acme", id, NOW + 40);
	is_int(store_session_add_amr(s, "acme", id, "hwk", NOW + 50, &out), TG_ERR_REJECTED,
	       "revoked session: rejected");
	create(s, sid(id, 'M', 2), "acme", "mfa", NOW - 2 * TTL, TTL, 22, NULL);
	is_int(store_session_add_amr(s, "acme", id, "otp", NOW, &out), TG_ERR_REJECTED,
	       "expired session: rejected");
}

static void
test_revoke(struct tg_store *s)
{
	struct tg_session *got = NULL;
	char id[TG_SESSION_ID_LEN + 1];
	size_t n = 99;

	create(s, sid(id, 'R', 1), "acme", "rita", NOW, TTL, 30, NULL);
	is_int(store_session_revoke(s, "beta", id, NOW + 5), TG_ERR_NOT_FOUND,
	       "another tenant cannot revoke it");
	is_int(store_session_check(s, "acme", id, NOW + 6), TG_OK, "and it stays live");
	is_int(store_session_revoke(s, "acme", id, NOW + 7), TG_OK, "revoked");
	is_int(store_session_check(s, "acme", id, NOW + 8), TG_ERR_REJECTED, "check: rejected");
	is_int(store_session_revoke(s, "acme", id, NOW + 9), TG_OK, "revoking again: ok");
	store_session_get(s, id, &got);
	ok(got && got->revoked == NOW + 7, "revoked keeps the first time");
	session_free(got);
	is_int(rotate(s, 30, 31, NULL, NOW + 10, NULL), TG_ERR_NOT_FOUND,
	       "its refresh token stops working");
	is_int(store_session_revoke(s, "acme", "Rnobody00000000000000a", NOW), TG_ERR_NOT_FOUND,
	       "unknown id: not found");

	create(s, sid(id, 'U', 1), "acme", "ursula", NOW, TTL, 40, NULL);
	create(s, sid(id, 'U', 2), "acme", "ursula", NOW, TTL, 41, NULL);
	create(s, sid(id, 'U', 3), "acme", "ursula", NOW, TTL, 42, NULL);
	store_session_revoke(s, "acme", id, NOW + 1);
	create(s, sid(id, 'U', 4), "acme", "ursula", NOW - 2 * TTL, TTL, 43, NULL);
	create(s, sid(id, 'U', 5), "acme", "ursula2", NOW, TTL, 44, NULL);
	create(s, sid(id, 'U', 6), "beta", "ursula", NOW, TTL, 45, NULL);
	is_int(store_session_revoke_user(s, "acme", "ursula", NOW + 2, &n), TG_OK,
	       "user's sessions revoked");
	is_int(n, 2, "count: the two that were live");
	is_int(store_session_check(s, "acme", sid(id, 'U', 1), NOW + 3), TG_ERR_REJECTED,
	       "first ended");
	is_int(store_session_check(s, "acme", sid(id, 'U', 2), NOW + 3), TG_ERR_REJECTED,
	       "second ended");
	store_session_get(s, sid(id, 'U', 4), &got);
	ok(got && got->revoked == 0, "an expired one is left as it was");
	session_free(got);
	is_int(store_session_check(s, "acme", sid(id, 'U', 5), NOW + 3), TG_OK,
	       "a user whose id extends it is untouched");
	is_int(store_session_check(s, "beta", sid(id, 'U', 6), NOW + 3), TG_OK,
	       "the same user id in another tenant is untouched");
	is_int(store_session_revoke_user(s, "acme", "ursula", NOW + 4, NULL), TG_OK,
	       "again, count not wanted");
}

static void
test_rotate(struct tg_store *s)
{
	struct tg_session *out = NULL, *got = NULL;
	char id[TG_SESSION_ID_LEN + 1];

	create(s, sid(id, 'T', 1), "acme", "tom", NOW, TTL, 50, "203.0.113.7");
	is_int(rotate(s, 50, 51, "198.51.100.1", NOW + 10, &out), TG_ERR_DENIED,
	       "bound to another address: denied");
	is_int(rotate(s, 50, 51, NULL, NOW + 10, &out), TG_ERR_DENIED,
	       "bound, no address given: denied");
	is_int(rotate(s, 51, 52, "203.0.113.7", NOW + 10, NULL), TG_ERR_NOT_FOUND,
	       "denied rotation stored no new token");
	is_int(rotate(s, 50, 51, "203.0.113.7", NOW + 20, &out), TG_OK,
	       "the old token still works from the bound address");
	ok(out && strcmp(out->id, id) == 0 && out->last_refreshed == NOW + 20,
	   "session returned, last_refreshed set");
	session_free(out);
	out = NULL;
	store_session_get(s, id, &got);
	ok(got && got->last_refreshed == NOW + 20, "last_refreshed stored");
	session_free(got);
	is_int(rotate(s, 51, 53, "203.0.113.7", NOW + 30, NULL), TG_OK, "the new token rotates");
	is_int(rotate(s, 50, 54, "198.51.100.1", NOW + 40, &out), TG_ERR_REJECTED,
	       "a used token again: rejected (from any address)");
	ok(out == NULL, "no session handed out");
	is_int(store_session_check(s, "acme", id, NOW + 41), TG_ERR_REJECTED,
	       "reuse revoked the session, though the call failed");
	is_int(rotate(s, 53, 55, "203.0.113.7", NOW + 42, NULL), TG_ERR_NOT_FOUND,
	       "the rightful holder's newest token is dead too");

	create(s, sid(id, 'T', 2), "acme", "tom", NOW, TTL, 60, NULL);
	is_int(rotate(s, 60, 61, NULL, NOW + TTL, NULL), TG_ERR_NOT_FOUND,
	       "expired token: not found");
	is_int(store_session_check(s, "acme", id, NOW + 1), TG_OK,
	       "an expired token does not revoke the session");
	is_int(rotate(s, 60, 60, NULL, NOW + 1, NULL), TG_ERR_INVALID, "same old and new: invalid");
	is_int(rotate(s, 999, 61, NULL, NOW + 1, NULL), TG_ERR_NOT_FOUND, "unknown token: not found");
	create(s, sid(id, 'T', 3), "acme", "tom", NOW, TTL, 62, NULL);
	is_int(rotate(s, 60, 62, NULL, NOW + 1, NULL), TG_ERR_EXISTS,
	       "a new hash that is taken: exists");
	is_int(rotate(s, 60, 63, NULL, NOW + 2, NULL), TG_OK, "and the old token is still unused");
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

	add_tenant(s, "swp");
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
test_ratelimit_processes(void)
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
	struct tg_store *s = NULL;

	if (!mkdtemp(root)) {
		diag("mkdtemp failed");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/db", root);
	if (store_open(dir, true, &s, NULL) != TG_OK) {
		diag("store_open failed");
		tap_rmtree(root);
		return 1;
	}
	add_tenant(s, "acme");
	add_tenant(s, "acme.dev");
	add_tenant(s, "beta");
	test_create_get(s);
	test_check(s);
	test_list(s);
	test_add_amr(s);
	test_revoke(s);
	test_rotate(s);
	test_sweep(s);
	test_ratelimit(s);
	store_close(s);
	test_ratelimit_processes();
	tap_rmtree(root);
	return done_testing();
}
