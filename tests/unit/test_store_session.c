/*
 * Sessions and refresh tokens against a real environment in a mkdtemp
 * directory: every function of the bottom half of store.h but the sweep and
 * rate buckets (test_store_sweep.c), and every outcome its comments promise,
 * including the failures that must change nothing, the reuse detection whose
 * revocation must stand and its grace for a repeat, refresh records of the
 * previous version, and tenants that never see each other's sessions; the
 * session limits (idle and absolute deadlines) and version 1 session records,
 * which are written below store.h, through store_db.h.
 */
#include "../lib/store_call.h"
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

/*
 * A used token presented again within the grace, with the successor its
 * rotation recorded still unused, is answered again and changes nothing;
 * every other repeat is reuse and revokes, as before the grace existed.
 */
static void
test_rotate_grace(struct tg_store *s)
{
	/* Repeats of a token rotated at NOW + 10 with a 10 s grace that are reuse all the same. */
	static const struct {
		int other;         /* 1: presented with another successor than the recorded one */
		int64_t after, grace;
		const char *what;
	} reuses[] = {
		{ 0, 10, 10, "10 s later with a 10 s grace" },
		{ 1, 1, 10, "within the grace but another successor than the recorded one" },
		{ 0, 0, 0, "grace 0 (off), at once" },
	};
	struct tg_session *out = NULL, *got = NULL;
	char id[TG_SESSION_ID_LEN + 1];

	create(s, sid(id, 'G', 1), "acme", "gina", NOW, TTL, 80, NULL);
	is_int(rotate_graced(s, 80, 81, NULL, NOW + 10, 10, NULL), TG_OK, "first use rotates");
	is_int(rotate_graced(s, 80, 81, NULL, NOW + 19, 10, &out), TG_OK,
	       "the same token 9 s later, successor unused: answered again");
	ok(out && strcmp(out->id, id) == 0 && out->last_refreshed == NOW + 10,
	   "with its session, unchanged (last_refreshed of the real rotation)");
	session_free(out);
	out = NULL;
	is_int(store_session_check(s, "acme", id, NOW + 19), TG_OK, "the session is live");
	is_int(rotate_graced(s, 81, 82, NULL, NOW + 20, 10, NULL), TG_OK,
	       "and the one successor rotates: a single chain");
	is_int(rotate_graced(s, 80, 81, NULL, NOW + 21, 10, NULL), TG_ERR_REJECTED,
	       "within the grace but its successor used: reuse");
	is_int(store_session_check(s, "acme", id, NOW + 22), TG_ERR_REJECTED, "the session ended");

	for (size_t i = 0; i < sizeof(reuses) / sizeof(reuses[0]); i++) {
		int rt = 83 + 3 * (int)i;

		create(s, sid(id, 'G', 2 + (int)i), "acme", "gina", NOW, TTL, rt, NULL);
		rotate_graced(s, rt, rt + 1, NULL, NOW + 10, 10, NULL);
		is_int(rotate_graced(s, rt, rt + 1 + reuses[i].other, NULL,
				     NOW + 10 + reuses[i].after, reuses[i].grace, NULL),
		       TG_ERR_REJECTED, "%s: reuse", reuses[i].what);
		is_int(store_session_check(s, "acme", id, NOW + 30), TG_ERR_REJECTED, "%s: revoked",
		       reuses[i].what);
	}

	create(s, sid(id, 'G', 9), "acme", "gina", NOW, TTL, 120, "203.0.113.7");
	rotate_graced(s, 120, 121, "203.0.113.7", NOW + 10, 10, NULL);
	is_int(rotate_graced(s, 120, 121, "198.51.100.1", NOW + 11, 10, NULL), TG_ERR_DENIED,
	       "a repeat from another address than bind_ip: denied");
	is_int(rotate_graced(s, 120, 121, "203.0.113.7", NOW + 12, 10, NULL), TG_OK,
	       "which changed nothing: from the bound address it is answered");
	store_session_revoke(s, "acme", id, NOW + 13);
	is_int(rotate_graced(s, 120, 121, "203.0.113.7", NOW + 14, 10, NULL), TG_ERR_NOT_FOUND,
	       "a repeat after a logout: the session is gone for it");
	store_session_get(s, id, &got);
	ok(got && got->revoked == NOW + 13, "and the logout's time stands");
	session_free(got);
}

/* A refresh record as version 1 wrote it: u8 1, u8 used, i64 expires, sid. */
struct v1_op {
	struct store_call call;
	unsigned char hash[TG_REFRESH_HASH_LEN];
	unsigned char rec[1 + 1 + 8 + TG_SESSION_ID_LEN];
};

static int
put_v1_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct v1_op *op = STORE_OP_OF(c, struct v1_op);

	return store_put(s, T_REFRESH, txn, op->hash, sizeof(op->hash), op->rec, sizeof(op->rec));
}

static void
put_v1(struct tg_store *s, int rt, bool is_used, const char *id)
{
	struct v1_op op = { .rec = { 1, is_used } };

	hash(op.hash, rt);
	bytes_put_u64(op.rec + 2, NOW + TTL);
	memcpy(op.rec + 10, id, TG_SESSION_ID_LEN);
	if (call_run(s, &op.call, put_v1_body, NULL, STORE_WRITE) != TG_OK)
		diag("could not write a version 1 refresh record");
}

/* Records written before the grace existed: an unused one rotates, a used one is never graced. */
static void
test_rotate_v1(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1];

	create(s, sid(id, 'V', 1), "acme", "vera", NOW, TTL, 96, NULL);
	put_v1(s, 96, false, id);
	is_int(rotate_graced(s, 96, 97, NULL, NOW + 1, 10, NULL), TG_OK,
	       "an unused version 1 token rotates");
	is_int(rotate_graced(s, 96, 97, NULL, NOW + 2, 10, NULL), TG_OK,
	       "and, rewritten as version 2, is answered again within the grace");
	create(s, sid(id, 'V', 2), "acme", "vera", NOW, TTL, 98, NULL);
	put_v1(s, 98, true, id);
	is_int(rotate_graced(s, 98, 99, NULL, NOW + 1, 10, NULL), TG_ERR_REJECTED,
	       "a version 1 token used before the upgrade: reuse (no use time, no grace)");
	is_int(store_session_check(s, "acme", id, NOW + 2), TG_ERR_REJECTED, "revoked");
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

/* A session of a tenant with a 600 s idle timeout and a 5000 s max lifetime, ttl TTL. */
static void
create_limited(struct tg_store *s, const char *id, int rt)
{
	struct tg_session *ss = setup_session_new(id, "acme", "lim", NOW, TTL);
	unsigned char h[TG_REFRESH_HASH_LEN];

	session_limit(ss, 600, 5000);
	hash(h, rt);
	if (setup_session_put(s, ss, h) != TG_OK)
		diag("could not create session %s", id);
}

static enum tg_err
touch(struct tg_store *s, const char *tenant, const char *id, int64_t now, int64_t *idle)
{
	struct tg_session *out = NULL;
	enum tg_err rc = store_session_touch(s, tenant, id, now, &out);

	*idle = out ? out->idle_expires : -1;
	session_free(out);
	return rc;
}

static void
test_limits(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1], idled[TG_SESSION_ID_LEN + 1];
	struct tg_session *out = NULL;
	int64_t idle = 0;
	size_t removed = 0;
	int wrong = 0;

	create_limited(s, sid(idled, 'I', 1), 7080);
	is_int(store_session_check(s, "acme", idled, NOW + 599), TG_OK,
	       "live until idle for 600 s");
	is_int(store_session_check(s, "acme", idled, NOW + 600), TG_ERR_REJECTED,
	       "idle for the timeout: rejected, though expires is at NOW + 3600");
	is_int(touch(s, "acme", idled, NOW + 600, &idle), TG_ERR_REJECTED,
	       "no new token for an idled-out session");
	is_int(rotate(s, 7080, 7081, NULL, NOW + 600, NULL), TG_ERR_NOT_FOUND, "nor a refresh");

	create_limited(s, sid(id, 'I', 2), 7082);
	is_int(touch(s, "beta", id, NOW + 500, &idle), TG_ERR_NOT_FOUND,
	       "another tenant's session: not found");
	is_int(touch(s, "acme", id, NOW + 500, &idle), TG_OK, "a new access token at NOW + 500");
	is_int(idle, NOW + 1100, "moves the idle deadline to now + 600");
	is_int(store_session_check(s, "acme", id, NOW + 1000), TG_OK,
	       "live past the first deadline");
	is_int(rotate(s, 7082, 7083, NULL, NOW + 1000, &out), TG_OK, "a refresh at NOW + 1000");
	ok(out && out->idle_expires == NOW + 1600 && out->last_refreshed == NOW + 1000,
	   "moves it too");
	session_free(out);
	out = NULL;
	is_int(store_session_add_amr(s, "acme", id, "otp", NOW + 1500, &out), TG_OK,
	       "a step-up at NOW + 1500");
	ok(out && out->expires == NOW + 5000 && out->idle_expires == NOW + 2100,
	   "expires moves, but only to the absolute deadline; the idle deadline moves");
	session_free(out);
	out = NULL;
	for (int64_t t = NOW + 2000; t < NOW + 5000; t += 500)
		wrong += touch(s, "acme", id, t, &idle) != TG_OK;
	is_int(wrong, 0, "a token every 500 s from NOW + 2000 to NOW + 4500");
	is_int(store_session_check(s, "acme", id, NOW + 4999), TG_OK, "keep it live");
	is_int(store_session_check(s, "acme", id, NOW + 5000), TG_ERR_REJECTED,
	       "until the absolute deadline, whatever the activity");
	is_int(rotate(s, 7083, 7084, NULL, NOW + 5000, NULL), TG_ERR_NOT_FOUND,
	       "and its refresh token is dead then");

	is_int(store_sweep(s, NOW + 700, 60, 1000, &removed), TG_OK, "a sweep at NOW + 700");
	is_int(store_session_get(s, idled, &out), TG_ERR_NOT_FOUND,
	       "took the session that idled out at NOW + 600 (its expires is NOW + 3600)");
	is_int(store_session_get(s, id, &out), TG_OK, "and left the active one");
	session_free(out);
}

/* Writes rec as session id's record, or reads the version byte of its record. */
struct raw_op {
	struct store_call call;
	const char *id;
	const unsigned char *rec;
	size_t n;
	unsigned char version;
};

static int
raw_put_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct raw_op *op = STORE_OP_OF(c, struct raw_op);

	return store_put(s, T_SESSIONS, txn, op->id, strlen(op->id), op->rec, op->n);
}

static int
raw_version_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct raw_op *op = STORE_OP_OF(c, struct raw_op);
	bool is_found = false;
	DBT d;
	int ret = store_fetch(s, T_SESSIONS, txn, op->id, strlen(op->id), 0, &d, &is_found);

	op->version = ret == 0 && is_found && d.size ? ((unsigned char *)d.data)[0] : 0;
	store_dbt_free(&d);
	return ret;
}

/* A session as version 1 wrote it: the prefix without idle_expires, then JSON form 1. */
static void
test_v1_record(struct tg_store *s)
{
	char id[TG_SESSION_ID_LEN + 1], *json;
	unsigned char rec[512];
	struct raw_op op = { .id = sid(id, 'O', 1) }; /* O: old */
	struct tg_session *got = NULL;
	size_t jl;

	create(s, id, "acme", "victor", NOW, TTL, 7090, NULL);
	json = tg_xasprintf("{\"id\":\"%s\",\"tenant\":\"acme\",\"user\":\"victor\","
			    "\"created\":%d,\"expires\":%d,\"ttl\":%d,\"last_refreshed\":0,"
			    "\"revoked\":0,\"amr\":[\"pwd\"],\"bind_ip\":null,\"claims\":null}",
			    id, NOW, NOW + TTL, TTL);
	jl = strlen(json);
	rec[0] = 1;
	rec[1] = 4;
	bytes_put_u64(rec + 2, NOW + TTL);
	bytes_put_u64(rec + 10, 0);
	memcpy(rec + 18, "acme", 4);
	memcpy(rec + 22, json, jl);
	op.rec = rec;
	op.n = 22 + jl;
	free(json);
	is_int(call_run(s, &op.call, raw_put_body, NULL, STORE_WRITE), TG_OK,
	       "a version 1 record written");
	is_int(store_session_get(s, id, &got), TG_OK, "a version 1 record reads");
	ok(got && got->expires == NOW + TTL && got->idle_timeout == 0 && got->idle_expires == 0 &&
		   got->absolute_expires == 0, "as a session without limits");
	session_free(got);
	got = NULL;
	is_int(store_session_check(s, "acme", id, NOW + TTL - 1), TG_OK, "its check: live");
	is_int(store_session_check(s, "acme", id, NOW + TTL), TG_ERR_REJECTED,
	       "until its expires");
	is_int(rotate(s, 7090, 7091, NULL, NOW + 10, NULL), TG_OK, "its refresh token rotates");
	is_int(call_run(s, &op.call, raw_version_body, NULL, STORE_READ), TG_OK, "read back");
	is_int(op.version, 2, "the rotation wrote it as version 2");
	is_int(store_session_get(s, id, &got), TG_OK, "which reads");
	ok(got && got->last_refreshed == NOW + 10 && got->idle_expires == 0 &&
		   got->expires == NOW + TTL, "with the refresh and still no limits");
	session_free(got);
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
	test_rotate_grace(f.s);
	test_rotate_v1(f.s);
	test_refresh_session(f.s);
	test_v1_record(f.s);
	test_limits(f.s); /* last: its sweep takes other tests' ended sessions too */
	fixture_close(&f);
	return done_testing();
}
