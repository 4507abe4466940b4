/*
 * Sessions without a store: the stored form round trip and its strict decoder
 * (every malformed record refused), the API view, random ids and refresh
 * tokens (length, alphabet, uniqueness, hash = SHA-256 of the token string)
 * and their keyed successors, the live and reuse-grace boundaries, the session
 * limits' rules (idle and absolute deadlines), records of form 1 (before the
 * limits) and amr names.
 */
#include "model/session.h"

#include "base/b64url.h"

#include "../lib/tap.h"

#include <json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#define NOW 1700000000

static struct tg_session *
sample(void)
{
	struct tg_session *s = tg_xcalloc(1, sizeof(*s));

	s->id = tg_xstrdup("AAAAAAAAAAAAAAAAAAAA-_");
	s->tenant = tg_xstrdup("acme");
	s->user = tg_xstrdup("user-\xc3\xa9 \"quoted\" / \\");
	s->created = NOW;
	s->expires = NOW + 3600;
	s->ttl = 3600;
	s->last_refreshed = NOW + 10;
	s->auth_time = NOW + 20; /* a step-up after the issuance */
	strlist_add(&s->amr, "pwd");
	strlist_add(&s->amr, "otp");
	s->bind_ip = tg_xstrdup("2001:db8::7");
	s->claims = json_tokener_parse("{\"role\": \"admin\", \"n\": 5, \"o\": {\"a\": [1, true, null]}}");
	return s;
}

static bool
same_session(const struct tg_session *a, const struct tg_session *b)
{
	bool is_same = strcmp(a->id, b->id) == 0 && strcmp(a->tenant, b->tenant) == 0 &&
		       strcmp(a->user, b->user) == 0 && a->created == b->created &&
		       a->expires == b->expires && a->ttl == b->ttl &&
		       a->last_refreshed == b->last_refreshed && a->revoked == b->revoked &&
		       a->idle_timeout == b->idle_timeout && a->idle_expires == b->idle_expires &&
		       a->absolute_expires == b->absolute_expires &&
		       a->auth_time == b->auth_time &&
		       a->amr.n == b->amr.n && !a->bind_ip == !b->bind_ip && !a->claims == !b->claims;

	for (size_t i = 0; is_same && i < a->amr.n; i++)
		is_same = strcmp(a->amr.v[i], b->amr.v[i]) == 0;
	if (is_same && a->bind_ip)
		is_same = strcmp(a->bind_ip, b->bind_ip) == 0;
	if (is_same && a->claims)
		is_same = json_object_equal(a->claims, b->claims);
	return is_same;
}

static void
test_round_trip(void)
{
	struct tg_session *s = sample(), *d = NULL;
	size_t len = 0, len2 = 0;
	char *text = session_encode(s, &len), *text2;

	is_int(len, strlen(text), "encode gives the text's length");
	ok(session_decode(text, len, TG_SESSION_FORM, &d) == TG_OK && d && same_session(s, d),
	   "decode(encode(s)) equals s, every member");
	if (!d)
		goto out;
	text2 = session_encode(d, &len2);
	ok(len == len2 && memcmp(text, text2, len) == 0, "re-encoding gives the same text");
	free(text2);
	session_free(d);
	d = NULL;

	/* The sparse form: no amr, no binding, no claims, never refreshed, revoked. */
	strlist_free(&s->amr);
	free(s->bind_ip);
	s->bind_ip = NULL;
	json_object_put(s->claims);
	s->claims = NULL;
	s->last_refreshed = 0;
	s->revoked = NOW + 5;
	free(text);
	text = session_encode(s, &len);
	ok(session_decode(text, len, TG_SESSION_FORM, &d) == TG_OK && d && same_session(s, d),
	   "the sparse record round-trips too");
out:
	free(text);
	session_free(d);
	session_free(s);
}

/* Records stored before auth_time existed, or with it 0, date it from the issuance. */
static void
test_auth_time_of_older_records(void)
{
	struct tg_session *s = sample(), *d = NULL;
	size_t len;
	char *text = session_encode(s, &len);
	struct json_object *o = json_tokener_parse(text);
	const char *old;

	json_object_object_del(o, "auth_time");
	old = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ok(session_decode(old, strlen(old), TG_SESSION_FORM, &d) == TG_OK && d && d->auth_time == NOW,
	   "a record without auth_time reads back with auth_time = created");
	session_free(d);
	d = NULL;
	json_object_object_add(o, "auth_time", json_object_new_int64(0));
	old = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ok(session_decode(old, strlen(old), TG_SESSION_FORM, &d) == TG_OK && d && d->auth_time == NOW,
	   "auth_time 0 (never set) reads back as created too");
	session_free(d);
	json_object_put(o);
	free(text);
	session_free(s);
}

/* Decodes o's text; true when refused with TG_ERR_INVALID and *out untouched. */
static bool
is_refused(struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct tg_session *d = (struct tg_session *)(uintptr_t)1;
	enum tg_err rc = session_decode(text, strlen(text), TG_SESSION_FORM, &d);

	if (rc == TG_OK)
		session_free(d);
	return rc == TG_ERR_INVALID && d == (struct tg_session *)(uintptr_t)1;
}

/* One member replaced by a JSON value (value NULL: the member removed). */
static void
refused_with(const char *member, const char *value, const char *desc)
{
	struct tg_session *s = sample();
	size_t len;
	char *text = session_encode(s, &len);
	struct json_object *o = json_tokener_parse(text);

	if (value)
		json_object_object_add(o, member, json_tokener_parse(value));
	else
		json_object_object_del(o, member);
	ok(is_refused(o), "decode refuses %s", desc);
	json_object_put(o);
	free(text);
	session_free(s);
}

static void
refused_text(const char *text, const char *desc)
{
	struct tg_session *d = NULL;

	ok(session_decode(text, strlen(text), TG_SESSION_FORM, &d) == TG_ERR_INVALID && !d,
	   "decode refuses %s", desc);
}

static void
test_strict_decode(void)
{
	static const char *const members[] = { "id", "tenant", "user", "created", "expires", "ttl",
					       "last_refreshed", "revoked", "amr", "bind_ip",
					       "claims", "idle_timeout", "idle_expires",
					       "absolute_expires", NULL };
	char long_user[TG_SESSION_USER_MAX + 4];
	char *many_amr;

	for (size_t i = 0; members[i]; i++) {
		char desc[64];

		snprintf(desc, sizeof(desc), "a record without \"%s\"", members[i]);
		refused_with(members[i], NULL, desc);
	}
	refused_with("extra", "1", "an unknown member");
	refused_with("id", "5", "a numeric id");
	refused_with("id", "\"short\"", "an id of the wrong length");
	refused_with("id", "\"AAAAAAAAAAAAAAAAAAAAA=\"", "an id outside base64url");
	refused_with("tenant", "\"bad tenant\"", "an invalid tenant id");
	refused_with("user", "\"\"", "an empty user");
	refused_with("user", "\"a\\u0000b\"", "a user with a NUL inside");
	memset(long_user, 'u', sizeof(long_user));
	long_user[0] = '"';
	long_user[TG_SESSION_USER_MAX + 2] = '"';
	long_user[TG_SESSION_USER_MAX + 3] = '\0';
	refused_with("user", long_user, "a user longer than TG_SESSION_USER_MAX");
	refused_with("created", "\"1700000000\"", "a time given as a string");
	refused_with("created", "1700000000.5", "a fractional time");
	refused_with("revoked", "-1", "a negative time");
	/* json-c clamps it to INT64_MAX: taking it would change the time silently (fuzz_records). */
	refused_with("expires", "17000864001115555111", "a time beyond int64");
	refused_with("last_refreshed", "null", "null for a time (0 means never)");
	refused_with("expires", "1699999999", "expires before created");
	refused_with("auth_time", "1699999999", "an authentication before the session began");
	refused_with("auth_time", "\"1700000020\"", "auth_time given as a string");
	refused_with("auth_time", "-1", "a negative auth_time");
	refused_with("ttl", "7776001", "a ttl above TG_MAX_SESSION_TTL");
	refused_with("idle_timeout", "7776001", "an idle timeout above TG_MAX_SESSION_TTL");
	refused_with("idle_timeout", "600", "an idle timeout without its deadline");
	refused_with("idle_expires", "1700000600", "an idle deadline without a timeout");
	refused_with("absolute_expires", "1700003599", "expires past the absolute deadline");
	refused_with("absolute_expires", "-5", "a negative absolute deadline");
	refused_with("amr", "\"pwd\"", "amr that is not an array");
	refused_with("amr", "[\"pwd\", 1]", "amr holding a number");
	refused_with("amr", "[\"pwd\", \"p w\"]", "an invalid amr name");
	refused_with("amr", "[\"pwd\", \"pwd\"]", "a repeated amr method");
	many_amr = tg_xstrdup("[\"m0\"");
	for (int i = 1; i <= TG_AMR_MAX; i++) {
		char *next = tg_xasprintf("%s, \"m%d\"", many_amr, i);

		free(many_amr);
		many_amr = next;
	}
	{
		char *closed = tg_xconcat(many_amr, "]");

		refused_with("amr", closed, "more than TG_AMR_MAX methods");
		free(closed);
	}
	free(many_amr);
	refused_with("bind_ip", "\"\"", "an empty bind_ip");
	refused_with("bind_ip", "\"example.com\"", "a bind_ip that is not an address");
	refused_with("bind_ip", "\"1.2.3.4 \"", "a bind_ip with trailing space");
	refused_with("bind_ip", "7", "a numeric bind_ip");
	refused_with("claims", "[1]", "claims that are an array");
	refused_with("claims", "\"x\"", "claims that are a string");

	refused_text("", "an empty record");
	refused_text("[]", "an array");
	refused_text("{\"id\": ", "truncated JSON");
	refused_text("{}", "an empty object");
	{
		struct tg_session *s = sample();
		size_t len;
		char *text = session_encode(s, &len);
		char *junk = tg_xconcat(text, "x");
		char *dup = tg_xasprintf("{\"id\": \"BBBBBBBBBBBBBBBBBBBBBB\", %s", text + 1);
		struct tg_session *d = NULL;

		refused_text(junk, "data after the record");
		refused_text(dup, "a member given twice");
		ok(session_decode(text, len - 1, TG_SESSION_FORM, &d) == TG_ERR_INVALID && !d,
		   "decode refuses a record cut short by one byte");
		free(dup);
		free(junk);
		free(text);
		session_free(s);
	}
}

static void
test_dup_and_view(void)
{
	struct tg_session *s = sample(), *d = session_dup(s);
	struct json_object *v, *m;

	ok(same_session(s, d), "session_dup copies every member");
	json_object_object_add(s->claims, "role", json_object_new_string("changed"));
	json_object_object_get_ex(d->claims, "role", &m);
	is_str(json_object_get_string(m), "admin", "the copy's claims are its own");

	v = session_to_json(s, NOW + 100);
	ok(json_object_object_get_ex(v, "session_id", &m) &&
		   strcmp(json_object_get_string(m), s->id) == 0, "view: session_id");
	ok(json_object_object_get_ex(v, "user_id", &m) &&
		   strcmp(json_object_get_string(m), s->user) == 0, "view: user_id");
	ok(json_object_object_get_ex(v, "tenant", &m) &&
		   strcmp(json_object_get_string(m), "acme") == 0, "view: tenant");
	ok(json_object_object_get_ex(v, "created", &m) && json_object_get_int64(m) == NOW,
	   "view: created");
	ok(json_object_object_get_ex(v, "expires", &m) && json_object_get_int64(m) == NOW + 3600,
	   "view: expires");
	ok(json_object_object_get_ex(v, "last_refreshed", &m) && json_object_get_int64(m) == NOW + 10,
	   "view: last_refreshed");
	ok(json_object_object_get_ex(v, "amr", &m) && json_object_array_length(m) == 2 &&
		   strcmp(json_object_get_string(json_object_array_get_idx(m, 1)), "otp") == 0,
	   "view: amr in order");
	ok(json_object_object_get_ex(v, "bind_ip", &m) &&
		   strcmp(json_object_get_string(m), "2001:db8::7") == 0, "view: bind_ip");
	ok(json_object_object_get_ex(v, "revoked", &m) && !json_object_get_boolean(m) &&
		   json_object_object_get_ex(v, "revoked_at", &m) && m == NULL,
	   "view: not revoked, revoked_at null");
	ok(json_object_object_get_ex(v, "active", &m) && json_object_get_boolean(m), "view: active");
	ok(json_object_object_get_ex(v, "claims", &m) && json_object_equal(m, s->claims),
	   "view: claims as given");
	ok(!json_object_object_get_ex(v, "ttl", NULL) && !json_object_object_get_ex(v, "id", NULL),
	   "view: only the documented names");
	json_object_put(v);

	s->revoked = NOW + 50;
	s->last_refreshed = 0;
	free(s->bind_ip);
	s->bind_ip = NULL;
	v = session_to_json(s, NOW + 100);
	ok(json_object_object_get_ex(v, "revoked", &m) && json_object_get_boolean(m) &&
		   json_object_object_get_ex(v, "revoked_at", &m) &&
		   json_object_get_int64(m) == NOW + 50, "view: revoked with its time");
	ok(json_object_object_get_ex(v, "active", &m) && !json_object_get_boolean(m),
	   "view: a revoked session is not active");
	ok(json_object_object_get_ex(v, "last_refreshed", &m) && m == NULL,
	   "view: never refreshed is null");
	ok(json_object_object_get_ex(v, "bind_ip", &m) && m == NULL, "view: no binding is null");
	json_object_put(v);
	session_free(d);
	session_free(s);
}

static void
test_is_live(void)
{
	struct tg_session *s = sample();

	ok(session_is_live(s, NOW), "live at creation");
	ok(session_is_live(s, s->expires - 1), "live one second before expires");
	ok(!session_is_live(s, s->expires), "not live when now == expires");
	ok(!session_is_live(s, s->expires + 1), "not live after expires");
	s->revoked = NOW + 1;
	ok(!session_is_live(s, NOW), "a revoked session is not live, whatever expires says");
	session_free(s);
}

/* sample() with the limits of a tenant with a 600 s idle timeout and a 7200 s maximum. */
static struct tg_session *
limited(void)
{
	struct tg_session *s = sample();

	s->last_refreshed = 0;
	session_limit(s, 600, 7200);
	return s;
}

static void
test_limits(void)
{
	struct tg_session *s = sample(), *d = NULL;
	struct json_object *v, *m;
	size_t len;
	char *text;

	session_limit(s, 0, 0);
	ok(s->idle_timeout == 0 && s->idle_expires == 0 && s->absolute_expires == 0 &&
		   s->expires == NOW + 3600, "no limits: nothing changes");
	session_touch(s, NOW + 100);
	is_int(s->idle_expires, 0, "no idle timeout: a token moves nothing");
	session_free(s);

	s = limited();
	is_int(s->idle_expires, NOW + 600, "idle deadline: created + idle timeout");
	is_int(s->absolute_expires, NOW + 7200, "absolute deadline: created + max lifetime");
	is_int(s->expires, NOW + 3600, "a ttl within the max lifetime is kept");
	is_int(session_deadline(s), NOW + 600, "the session ends at the earlier deadline");
	ok(session_is_live(s, NOW + 599) && !session_is_live(s, NOW + 600),
	   "not live once idle for the timeout, though expires is far");
	session_touch(s, NOW + 500);
	is_int(s->idle_expires, NOW + 1100, "a token at NOW + 500 moves the idle deadline");
	ok(session_is_live(s, NOW + 1000), "so the session lives on");
	session_touch(s, NOW + 400);
	is_int(s->idle_expires, NOW + 1100, "a slower request's older now never pulls it back");

	session_step_up(s, NOW + 5000);
	is_int(s->expires, NOW + 7200, "a step-up never pushes expires past the absolute deadline");
	is_int(s->idle_expires, NOW + 5600, "a step-up hands out a token: idle deadline moves");
	session_touch(s, NOW + 7000);
	is_int(session_deadline(s), NOW + 7200,
	       "activity keeps it idle-fresh, but it still ends at the absolute deadline");
	ok(!session_is_live(s, NOW + 7200), "not live at the absolute deadline");
	session_free(s);

	s = sample();
	s->ttl = 86400;
	s->expires = NOW + 86400;
	session_limit(s, 0, 3600);
	is_int(s->expires, NOW + 3600, "a longer ttl is cut to the max lifetime at issuance");
	ok(s->idle_expires == 0 && session_deadline(s) == NOW + 3600, "no idle deadline");
	session_step_up(s, NOW + 100);
	is_int(s->expires, NOW + 3600, "a step-up cannot lengthen it");
	session_free(s);

	s = limited();
	text = session_encode(s, &len);
	ok(session_decode(text, len, TG_SESSION_FORM, &d) == TG_OK && d && same_session(s, d),
	   "the limits round trip");
	session_free(d);
	d = NULL;
	ok(session_decode(text, len, 1, &d) == TG_ERR_INVALID && !d,
	   "form 2 text is not read as form 1");
	ok(session_decode(text, len, 3, &d) == TG_ERR_INVALID && !d, "an unknown form is refused");
	free(text);

	v = session_to_json(s, NOW + 10);
	ok(json_object_object_get_ex(v, "idle_expires_at", &m) &&
		   json_object_get_int64(m) == NOW + 600, "view: idle_expires_at");
	ok(json_object_object_get_ex(v, "absolute_expires_at", &m) &&
		   json_object_get_int64(m) == NOW + 7200, "view: absolute_expires_at");
	json_object_put(v);
	v = session_to_json(s, NOW + 600);
	ok(json_object_object_get_ex(v, "active", &m) && !json_object_get_boolean(m),
	   "view: idled out is not active");
	json_object_put(v);
	session_free(s);
}

/* A record as the store held it before the session limits: form 1. */
static void
test_form1(void)
{
	static const char old[] =
		"{\"id\":\"AAAAAAAAAAAAAAAAAAAA-_\",\"tenant\":\"acme\",\"user\":\"alice\","
		"\"created\":1700000000,\"expires\":1700003600,\"ttl\":3600,"
		"\"last_refreshed\":0,\"revoked\":0,\"amr\":[\"pwd\"],\"bind_ip\":null,"
		"\"claims\":null}";
	struct tg_session *d = NULL;
	struct json_object *v, *m;

	ok(session_decode(old, strlen(old), 1, &d) == TG_OK && d, "a form 1 record decodes");
	if (!d)
		return;
	ok(d->idle_timeout == 0 && d->idle_expires == 0 && d->absolute_expires == 0,
	   "as a session without limits");
	ok(session_is_live(d, NOW + 3599) && !session_is_live(d, NOW + 3600),
	   "that ends at its expires");
	v = session_to_json(d, NOW);
	ok(json_object_object_get_ex(v, "idle_expires_at", &m) && !m &&
		   json_object_object_get_ex(v, "absolute_expires_at", &m) && !m,
	   "view: both deadlines null");
	json_object_put(v);
	session_free(d);
	d = NULL;
	ok(session_decode(old, strlen(old), TG_SESSION_FORM, &d) == TG_ERR_INVALID && !d,
	   "a form 1 record is not read as the current form");
}

static bool
is_b64url_text(const char *s, size_t want_len)
{
	if (strlen(s) != want_len)
		return false;
	for (size_t i = 0; i < want_len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", s[i]))
			return false;
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define NIDS 2000

static void
test_ids(void)
{
	char **ids = tg_xcalloc(NIDS, sizeof(*ids));
	bool is_all_ok = true, is_unique = true;

	for (size_t i = 0; i < NIDS; i++) {
		char id[TG_SESSION_ID_LEN + 1];

		is_all_ok = is_all_ok && session_id_new(id) == TG_OK &&
			    is_b64url_text(id, TG_SESSION_ID_LEN);
		ids[i] = tg_xstrdup(id);
	}
	ok(is_all_ok, "%d session ids: 22 base64url characters each", NIDS);
	qsort(ids, NIDS, sizeof(*ids), cmp_str);
	for (size_t i = 1; i < NIDS; i++)
		is_unique = is_unique && strcmp(ids[i - 1], ids[i]) != 0;
	ok(is_unique, "%d session ids, all different", NIDS);
	for (size_t i = 0; i < NIDS; i++)
		free(ids[i]);
	free(ids);
}

static void
test_refresh_tokens(void)
{
	char a[TG_REFRESH_TOKEN_LEN + 1], b[TG_REFRESH_TOKEN_LEN + 1];
	unsigned char ha[TG_REFRESH_HASH_LEN], hb[TG_REFRESH_HASH_LEN], want[32], again[32];
	unsigned int n = 0;

	ok(refresh_token_new(a, ha) == TG_OK && refresh_token_new(b, hb) == TG_OK,
	   "refresh tokens made");
	ok(is_b64url_text(a, TG_REFRESH_TOKEN_LEN), "a refresh token is 43 base64url characters");
	ok(strcmp(a, b) != 0 && memcmp(ha, hb, sizeof(ha)) != 0, "two tokens and hashes differ");
	EVP_Digest(a, strlen(a), want, &n, EVP_sha256(), NULL);
	ok(n == 32 && memcmp(ha, want, 32) == 0, "the hash is SHA-256 of the token's text");
	ok(refresh_token_hash(a, strlen(a), again) == TG_OK && memcmp(again, ha, 32) == 0,
	   "refresh_token_hash of the presented token finds the stored hash");
	ok(refresh_token_hash(a, strlen(a) - 1, again) == TG_OK && memcmp(again, ha, 32) != 0,
	   "a truncated token hashes differently");
	ok(refresh_token_hash("", 0, again) == TG_OK, "an empty token still hashes (finds nothing)");
}

static void
test_successors(void)
{
	char a[TG_REFRESH_TOKEN_LEN + 1], next[TG_REFRESH_TOKEN_LEN + 1], again[sizeof(next)];
	char other[sizeof(next)], untouched[sizeof(next)] = "untouched";
	unsigned char raw[32], mac[32], h[TG_REFRESH_HASH_LEN], h2[TG_REFRESH_HASH_LEN], want[32];
	struct tg_secret key = { 0 }, key2 = { 0 }, short_key = { 0 };
	unsigned int n = 0;
	char *enc;

	memset(raw, 0x5c, sizeof(raw));
	secret_set(&key, raw, sizeof(raw));
	raw[31] ^= 1;
	secret_set(&key2, raw, sizeof(raw));
	secret_set(&short_key, raw, 16);
	refresh_token_new(a, h);
	ok(refresh_token_successor(&key, a, strlen(a), next, h) == TG_OK,
	   "a successor is derived");
	HMAC(EVP_sha256(), key.p, (int)key.len, (const unsigned char *)a, strlen(a), mac, &n);
	enc = b64url_encode(mac, sizeof(mac));
	is_str(next, enc, "it is base64url(HMAC-SHA-256(key, token))");
	ok(is_b64url_text(next, TG_REFRESH_TOKEN_LEN), "43 base64url characters, like a fresh one");
	EVP_Digest(next, strlen(next), want, &n, EVP_sha256(), NULL);
	ok(memcmp(h, want, sizeof(want)) == 0, "its hash is SHA-256 of its text, as stored");
	ok(refresh_token_successor(&key, a, strlen(a), again, h2) == TG_OK &&
		   strcmp(again, next) == 0 && memcmp(h, h2, sizeof(h)) == 0,
	   "the same token always has the same successor");
	ok(refresh_token_successor(&key, next, strlen(next), again, h2) == TG_OK &&
		   strcmp(again, next) != 0 && strcmp(again, a) != 0,
	   "the successor's successor is a third token");
	/* The gap: without the key a successor must not be computable from the token alone. */
	ok(refresh_token_successor(&key2, a, strlen(a), other, h2) == TG_OK &&
		   strcmp(other, next) != 0,
	   "under another key the successor differs");
	is_int(refresh_token_successor(&short_key, a, strlen(a), untouched, h2), TG_ERR_INVALID,
	       "a short key is refused");
	is_str(untouched, "untouched", "and nothing is written then");
	free(enc);
	secret_free(&key);
	secret_free(&key2);
	secret_free(&short_key);
}

static void
test_reuse_grace(void)
{
	ok(refresh_reuse_is_graced(100, 10, 100), "presented again at once: graced");
	ok(refresh_reuse_is_graced(100, 10, 109), "9 s later with a 10 s grace: graced");
	ok(!refresh_reuse_is_graced(100, 10, 110), "10 s later: the grace is over");
	ok(!refresh_reuse_is_graced(100, 0, 100), "grace 0: never");
	ok(!refresh_reuse_is_graced(0, 10, 5), "no recorded use time (an old record): never");
	ok(!refresh_reuse_is_graced(100, 10, 99), "a use time after now (a clock set back): never");
}

static void
test_amr(void)
{
	char max[TG_AMR_LEN_MAX + 2];

	ok(session_amr_is_valid("pwd") && session_amr_is_valid("otp") &&
		   session_amr_is_valid("hwk") && session_amr_is_valid("a.B-c_9"),
	   "RFC 8176 names and [A-Za-z0-9_.-] are valid");
	memset(max, 'm', sizeof(max));
	max[TG_AMR_LEN_MAX] = '\0';
	ok(session_amr_is_valid(max), "a name of TG_AMR_LEN_MAX bytes is valid");
	max[TG_AMR_LEN_MAX] = 'm';
	max[TG_AMR_LEN_MAX + 1] = '\0';
	ok(!session_amr_is_valid(max), "one byte longer is not");
	ok(!session_amr_is_valid(""), "empty is not");
	ok(!session_amr_is_valid(NULL), "NULL is not");
	ok(!session_amr_is_valid("p w") && !session_amr_is_valid("a/b") &&
		   !session_amr_is_valid("m\xc3\xa9") && !session_amr_is_valid("a\"b"),
	   "spaces, slashes, quotes and non-ASCII are not");
}

int
main(void)
{
	test_round_trip();
	test_strict_decode();
	test_auth_time_of_older_records();
	test_dup_and_view();
	test_is_live();
	test_limits();
	test_form1();
	test_ids();
	test_refresh_tokens();
	test_successors();
	test_reuse_grace();
	test_amr();
	return done_testing();
}
