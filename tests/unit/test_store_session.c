/*
 * Sessions and refresh tokens against a real environment in a mkdtemp
 * directory: every function of the bottom half of store.h but the sweep and
 * rate buckets (test_store_sweep.c), and every outcome its comments promise,
 * including the failures that must change nothing, the reuse detection whose
 * revocation must stand, and tenants that never see each other's sessions.
 */
#include "../lib/store_fixture.h"

#include <json.h>

static void
test_create_get(struct tg_store *s)
{
	struct tg_session *ss = setup_session_new("Acreate00000000000000a", "acme", "alice", NOW, TTL);
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
	struct store_session_page p = { 0 };
	struct tg_session **v;
	char id[TG_SESSION_ID_LEN + 1];
	size_t n;

	create(s, sid(id, 'L', 3), "acme", "bob", NOW, TTL, 10, NULL);
	create(s, sid(id, 'L', 2), "acme", "alice", NOW, TTL, 11, NULL);
	create(s, sid(id, 'L', 1), "acme", "alice", NOW, TTL, 12, NULL);
	create(s, sid(id, 'L', 4), "acme", "al", NOW, TTL, 13, NULL);
	create(s, sid(id, 'L', 5), "acme.dev", "alice", NOW, TTL, 14, NULL);
	create(s, sid(id, 'L', 6), "beta", "alice", NOW, TTL, 15, NULL);

	is_int(store_session_list(s, "acme", NULL, NULL, 100, 0, &p), TG_OK,
	       "tenant's sessions listed");
	v = p.v;
	n = p.n;
	ok(!p.next_cursor, "one page holds them all: no next cursor");
	ok(n == 5 && strcmp(v[0]->user, "al") == 0 && strcmp(v[1]->user, "alice") == 0 &&
		   strcmp(v[4]->user, "bob") == 0,
	   "only acme's (not acme.dev's), sorted by user");
	ok(n == 5 && strcmp(v[2]->id, sid(id, 'L', 1)) == 0 && strcmp(v[3]->id, sid(id, 'L', 2)) == 0,
	   "one user's sessions sorted by id");
	store_session_page_fini(&p);
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
	ok(out && out->auth_time == later, "auth_time moves to the step-up (RFC 9470)");
	session_free(out);
	out = NULL;
	store_session_get(s, id, &got);
	ok(got && got->amr.n == 2 && got->expires == later + TTL && got->auth_time == later,
	   "and it is stored");
	session_free(got);
	is_int(store_session_add_amr(s, "acme", id, "otp", NOW + 20, &out), TG_OK,
	       "same method again");
	ok(out && out->amr.n == 2 && out->expires == later + TTL && out->auth_time == later,
	   "kept once; an earlier now neither shortens the session nor moves auth_time back");
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

/* What the refresh grant's rate limit is keyed on: the token's session and tenant. */
static void
test_refresh_session(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1], got[TG_SESSION_ID_LEN + 1] = "unchanged";
	char tenant[TG_TENANT_ID_MAX + 1] = "unchanged";
	unsigned char h[TG_REFRESH_HASH_LEN];

	create(s, sid(id, 'Q', 1), "acme.dev", "quin", NOW, TTL, 70, NULL);
	hash(h, 70);
	is_int(store_refresh_session(s, h, got, tenant), TG_OK, "a known refresh token");
	ok(strcmp(got, id) == 0 && strcmp(tenant, "acme.dev") == 0, "names its session and tenant");
	rotate(s, 70, 71, NULL, NOW + 1, NULL);
	snprintf(got, sizeof(got), "x");
	is_int(store_refresh_session(s, h, got, tenant), TG_OK, "a used one still names them");
	is_str(got, id, "the same session");
	hash(h, 71);
	is_int(store_refresh_session(s, h, got, tenant), TG_OK, "and so does its successor");
	snprintf(got, sizeof(got), "unchanged");
	hash(h, 998);
	is_int(store_refresh_session(s, h, got, tenant), TG_ERR_NOT_FOUND, "unknown: not found");
	is_str(got, "unchanged", "outputs untouched on failure");
}

int
main(void)
{
	struct store_fixture f;

	if (!fixture_open(&f, "test_store_session", "acme", "acme.dev", "beta", NULL))
		return 1;
	test_create_get(f.s);
	test_check(f.s);
	test_list(f.s);
	test_add_amr(f.s);
	test_revoke(f.s);
	test_rotate(f.s);
	test_refresh_session(f.s);
	fixture_close(&f);
	return done_testing();
}
