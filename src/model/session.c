/*
 * Gateway sessions: the record, its lifecycle rules, the API's JSON view,
 * the stored form (decoded strictly: a record that does not read back exactly
 * as session_encode wrote it is refused), random ids and refresh tokens and
 * their keyed successors. No I/O. A refresh token leaves here only to its
 * caller; only its hash is kept.
 */
#include "model/session.h"

#include "base/json_strict.h"
#include "base/b64url.h"
#include "base/secret.h"
#include "model/tenant.h"

#include <arpa/inet.h>
#include <json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_ID_BYTES 16    /* 128 bits: TG_SESSION_ID_LEN characters */
#define REFRESH_TOKEN_BYTES 32 /* 256 bits: TG_REFRESH_TOKEN_LEN characters */

void
session_free(struct tg_session *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->tenant);
	free(s->user);
	strlist_free(&s->amr);
	free(s->bind_ip);
	json_object_put(s->claims);
	free(s);
}

void
session_list_free(struct tg_session **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		session_free(v[i]);
	free(v);
}

static char *
dup_or_null(const char *s)
{
	return s ? tg_xstrdup(s) : NULL;
}

/* A deep copy: the claims of a copy must not change when the original's do. */
static struct json_object *
claims_copy(const struct json_object *claims)
{
	struct json_object *c = NULL;

	if (!claims)
		return NULL;
	if (json_object_deep_copy((struct json_object *)(uintptr_t)claims, &c, NULL) != 0)
		abort(); /* json-c fails here only when out of memory: fail closed like tg_xmalloc */
	return c;
}

struct tg_session *
session_dup(const struct tg_session *s)
{
	struct tg_session *d = tg_xcalloc(1, sizeof(*d));

	d->id = dup_or_null(s->id);
	d->tenant = dup_or_null(s->tenant);
	d->user = dup_or_null(s->user);
	d->created = s->created;
	d->expires = s->expires;
	d->ttl = s->ttl;
	d->last_refreshed = s->last_refreshed;
	d->revoked = s->revoked;
	d->idle_timeout = s->idle_timeout;
	d->idle_expires = s->idle_expires;
	d->absolute_expires = s->absolute_expires;
	d->auth_time = s->auth_time;
	strlist_copy(&d->amr, &s->amr);
	d->bind_ip = dup_or_null(s->bind_ip);
	d->claims = claims_copy(s->claims);
	return d;
}

int64_t
session_deadline(const struct tg_session *s)
{
	return s->idle_expires && s->idle_expires < s->expires ? s->idle_expires : s->expires;
}

bool
session_is_live(const struct tg_session *s, int64_t now)
{
	return s->revoked == 0 && now < session_deadline(s);
}

void
session_limit(struct tg_session *s, int64_t idle_timeout, int64_t max_lifetime)
{
	s->idle_timeout = idle_timeout;
	s->idle_expires = idle_timeout ? s->created + idle_timeout : 0;
	s->absolute_expires = max_lifetime ? s->created + max_lifetime : 0;
	if (s->absolute_expires && s->expires > s->absolute_expires)
		s->expires = s->absolute_expires;
}

void
session_touch(struct tg_session *s, int64_t now)
{
	if (s->idle_timeout && now + s->idle_timeout > s->idle_expires)
		s->idle_expires = now + s->idle_timeout;
}

void
session_step_up(struct tg_session *s, int64_t now)
{
	int64_t end = now + s->ttl;

	if (s->absolute_expires && end > s->absolute_expires)
		end = s->absolute_expires;
	if (end > s->expires)
		s->expires = end;
	/* RFC 9470: the step-up is the latest active authentication (never moved back). */
	if (now > s->auth_time)
		s->auth_time = now;
	session_touch(s, now);
}

/* ---------------------------------------------------------------- JSON forms */

static struct json_object *
str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* 0 means "never" in the record and null on the wire. */
static struct json_object *
time_or_null(int64_t t)
{
	return t ? json_object_new_int64(t) : NULL;
}

static struct json_object *
amr_to_json(const struct tg_strlist *amr)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < amr->n; i++)
		json_object_array_add(a, json_object_new_string(amr->v[i]));
	return a;
}

struct json_object *
session_to_json(const struct tg_session *s, int64_t now)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "session_id", json_object_new_string(s->id));
	json_object_object_add(o, "tenant", json_object_new_string(s->tenant));
	json_object_object_add(o, "user_id", json_object_new_string(s->user));
	json_object_object_add(o, "created", json_object_new_int64(s->created));
	json_object_object_add(o, "expires", json_object_new_int64(s->expires));
	json_object_object_add(o, "idle_expires_at", time_or_null(s->idle_expires));
	json_object_object_add(o, "absolute_expires_at", time_or_null(s->absolute_expires));
	json_object_object_add(o, "last_refreshed", time_or_null(s->last_refreshed));
	json_object_object_add(o, "auth_time", json_object_new_int64(s->auth_time));
	json_object_object_add(o, "amr", amr_to_json(&s->amr));
	json_object_object_add(o, "bind_ip", str_or_null(s->bind_ip));
	json_object_object_add(o, "revoked", json_object_new_boolean(s->revoked != 0));
	json_object_object_add(o, "revoked_at", time_or_null(s->revoked));
	json_object_object_add(o, "active", json_object_new_boolean(session_is_live(s, now)));
	json_object_object_add(o, "claims", claims_copy(s->claims));
	return o;
}

char *
session_encode(const struct tg_session *s, size_t *len)
{
	struct json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "tenant", json_object_new_string(s->tenant));
	json_object_object_add(o, "user", json_object_new_string(s->user));
	json_object_object_add(o, "created", json_object_new_int64(s->created));
	json_object_object_add(o, "expires", json_object_new_int64(s->expires));
	json_object_object_add(o, "ttl", json_object_new_int64(s->ttl));
	json_object_object_add(o, "last_refreshed", json_object_new_int64(s->last_refreshed));
	json_object_object_add(o, "revoked", json_object_new_int64(s->revoked));
	json_object_object_add(o, "auth_time", json_object_new_int64(s->auth_time));
	json_object_object_add(o, "amr", amr_to_json(&s->amr));
	json_object_object_add(o, "bind_ip", str_or_null(s->bind_ip));
	json_object_object_add(o, "claims", claims_copy(s->claims));
	json_object_object_add(o, "idle_timeout", json_object_new_int64(s->idle_timeout));
	json_object_object_add(o, "idle_expires", json_object_new_int64(s->idle_expires));
	json_object_object_add(o, "absolute_expires", json_object_new_int64(s->absolute_expires));
	text = tg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	*len = strlen(text);
	return text;
}

/* ---------------------------------------------------------------- strict decoding */

/* Form 1's members, then what form 2 added. */
static const char *const stored_members[] = {
	"id", "tenant", "user", "created", "expires", "ttl", "last_refreshed", "revoked", "amr",
	"bind_ip", "claims", "idle_timeout", "idle_expires", "absolute_expires",
};

#define NSTORED_FORM1 11
#define NSTORED (sizeof(stored_members) / sizeof(stored_members[0]))

/* Members added since the first release: records written before them lack them. */
static const char *const later_members[] = { "auth_time" };

#define NLATER (sizeof(later_members) / sizeof(later_members[0]))

/* Exactly the members of that form, each once (json_strict refuses duplicates). */
static bool
has_exactly_stored_members(const struct json_object *o, int form)
{
	size_t want = form == 1 ? NSTORED_FORM1 : NSTORED, n = 0, later = 0;

	for (size_t i = 0; i < want; i++)
		if (json_object_object_get_ex(o, stored_members[i], NULL))
			n++;
	for (size_t i = 0; i < NLATER; i++)
		if (json_object_object_get_ex(o, later_members[i], NULL))
			later++;
	return n == want && (size_t)json_object_object_length(o) == want + later;
}

/* A string of 1..max bytes with no NUL inside (which C code after us would silently cut). */
static const char *
text_of(struct json_object *v, size_t max)
{
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > max || strlen(json_object_get_string(v)) != len)
		return NULL;
	return json_object_get_string(v);
}

static const char *
get_text(const struct json_object *o, const char *name, size_t max)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, name, &v);
	return text_of(v, max);
}

static bool
get_time(const struct json_object *o, const char *name, int64_t *dst)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, name, &v);
	/* json-c saturates a number beyond int64 at INT64_MAX: that is a clamped value. */
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
	    json_object_get_int64(v) == INT64_MAX)
		return false;
	*dst = json_object_get_int64(v);
	return true;
}

static bool
is_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static bool
is_session_id(const char *id)
{
	if (!id || strlen(id) != TG_SESSION_ID_LEN)
		return false;
	for (size_t i = 0; i < TG_SESSION_ID_LEN; i++)
		if (!is_b64url_char(id[i]))
			return false;
	return true;
}

static bool
is_ip_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Valid methods, at most TG_AMR_MAX, each once: the form add_amr keeps. */
static bool
read_amr(const struct json_object *o, struct tg_strlist *amr)
{
	struct json_object *a = NULL;
	size_t n;

	json_object_object_get_ex(o, "amr", &a);
	if (!json_object_is_type(a, json_type_array))
		return false;
	n = json_object_array_length(a);
	if (n > TG_AMR_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *name = text_of(json_object_array_get_idx(a, i), TG_AMR_LEN_MAX);

		if (!name || !session_amr_is_valid(name) || strlist_contains(amr, name))
			return false;
		strlist_add(amr, name);
	}
	return true;
}

static bool
read_optional(const struct json_object *o, struct tg_session *s)
{
	struct json_object *ip = NULL, *claims = NULL;

	json_object_object_get_ex(o, "bind_ip", &ip);
	if (ip) {
		const char *text = get_text(o, "bind_ip", INET6_ADDRSTRLEN);

		if (!text || !is_ip_address(text))
			return false;
		s->bind_ip = tg_xstrdup(text);
	}
	json_object_object_get_ex(o, "claims", &claims);
	if (claims) {
		if (!json_object_is_type(claims, json_type_object))
			return false;
		s->claims = json_object_get(claims);
	}
	return true;
}

/*
 * The limits as session_limit and session_touch leave them: an idle deadline
 * exactly when there is an idle timeout, never before the first one ran out;
 * expires never past the absolute deadline.
 */
static bool
read_limits(const struct json_object *o, struct tg_session *s)
{
	if (!get_time(o, "idle_timeout", &s->idle_timeout) ||
	    !get_time(o, "idle_expires", &s->idle_expires) ||
	    !get_time(o, "absolute_expires", &s->absolute_expires))
		return false;
	if (s->idle_timeout > TG_MAX_SESSION_TTL || !s->idle_timeout != !s->idle_expires ||
	    (s->idle_timeout && s->idle_expires - s->created < s->idle_timeout))
		return false;
	return !s->absolute_expires || s->expires <= s->absolute_expires;
}

static bool
read_record(const struct json_object *o, int form, struct tg_session *s)
{
	const char *id = get_text(o, "id", TG_SESSION_ID_LEN);
	const char *tenant = get_text(o, "tenant", TG_TENANT_ID_MAX);
	const char *user = get_text(o, "user", TG_SESSION_USER_MAX);

	if (!is_session_id(id) || !tenant_id_is_valid(tenant) || !user)
		return false;
	s->id = tg_xstrdup(id);
	s->tenant = tg_xstrdup(tenant);
	s->user = tg_xstrdup(user);
	if (!get_time(o, "created", &s->created) || !get_time(o, "expires", &s->expires) ||
	    !get_time(o, "ttl", &s->ttl) || !get_time(o, "last_refreshed", &s->last_refreshed) ||
	    !get_time(o, "revoked", &s->revoked))
		return false;
	if (json_object_object_get_ex(o, "auth_time", NULL) &&
	    !get_time(o, "auth_time", &s->auth_time))
		return false;
	/* Older records, and ones made without it (0), date it from the issuance. */
	if (s->auth_time == 0)
		s->auth_time = s->created;
	/* A session cannot end before it began; a step-up only ever moves expires later. */
	if (s->expires < s->created || s->ttl > TG_MAX_SESSION_TTL || s->auth_time < s->created)
		return false;
	if (form != 1 && !read_limits(o, s))
		return false;
	return read_amr(o, &s->amr) && read_optional(o, s);
}

enum tg_err
session_decode(const char *p, size_t len, int form, struct tg_session **out)
{
	struct json_object *o = NULL;
	struct tg_session *s = NULL;
	enum tg_err rc;

	rc = json_strict_parse(p, len, &o, NULL);
	if (rc != TG_OK)
		goto out;
	rc = TG_ERR_INVALID;
	if ((form != 1 && form != TG_SESSION_FORM) || !json_object_is_type(o, json_type_object) ||
	    !has_exactly_stored_members(o, form))
		goto out;
	s = tg_xcalloc(1, sizeof(*s));
	if (!read_record(o, form, s))
		goto out;
	rc = TG_OK;
	*out = s; /* ownership moves to the caller */
	s = NULL;
out:
	session_free(s);
	json_object_put(o);
	return rc;
}

/* ---------------------------------------------------------------- random ids and tokens */

/* n random bytes as base64url into out, which holds exactly outlen characters and a NUL. */
static enum tg_err
random_b64url(size_t n, char *out, size_t outlen)
{
	char *enc = NULL;
	enum tg_err rc = b64url_random(n, &enc);

	if (rc == TG_OK && strlen(enc) != outlen)
		rc = TG_ERR_CRYPTO;
	if (rc == TG_OK)
		memcpy(out, enc, outlen + 1);
	secret_free_str(enc);
	return rc;
}

enum tg_err
session_id_new(char out[TG_SESSION_ID_LEN + 1])
{
	return random_b64url(SESSION_ID_BYTES, out, TG_SESSION_ID_LEN);
}

enum tg_err
refresh_token_hash(const char *tok, size_t len, unsigned char hash[TG_REFRESH_HASH_LEN])
{
	return secret_hash(tok, len, hash);
}

enum tg_err
refresh_token_new(char out[TG_REFRESH_TOKEN_LEN + 1], unsigned char hash[TG_REFRESH_HASH_LEN])
{
	char tok[TG_REFRESH_TOKEN_LEN + 1];
	unsigned char h[TG_REFRESH_HASH_LEN];
	enum tg_err rc;

	rc = random_b64url(REFRESH_TOKEN_BYTES, tok, TG_REFRESH_TOKEN_LEN);
	if (rc == TG_OK)
		rc = refresh_token_hash(tok, TG_REFRESH_TOKEN_LEN, h);
	if (rc == TG_OK) {
		memcpy(out, tok, sizeof(tok));
		memcpy(hash, h, sizeof(h));
	}
	secret_wipe(tok, sizeof(tok));
	secret_wipe(h, sizeof(h));
	return rc;
}

enum tg_err
refresh_token_successor(const struct tg_secret *key, const char *tok, size_t len,
			char out[TG_REFRESH_TOKEN_LEN + 1], unsigned char hash[TG_REFRESH_HASH_LEN])
{
	unsigned char mac[TG_SECRET_HASH_LEN], h[TG_REFRESH_HASH_LEN];
	char *enc = NULL;
	enum tg_err rc;

	rc = secret_hmac(key, tok, len, mac);
	if (rc == TG_OK) {
		enc = b64url_encode(mac, sizeof(mac));
		rc = strlen(enc) == TG_REFRESH_TOKEN_LEN ? TG_OK : TG_ERR_CRYPTO;
	}
	if (rc == TG_OK)
		rc = refresh_token_hash(enc, TG_REFRESH_TOKEN_LEN, h);
	if (rc == TG_OK) {
		memcpy(out, enc, TG_REFRESH_TOKEN_LEN + 1);
		memcpy(hash, h, sizeof(h));
	}
	secret_wipe(mac, sizeof(mac));
	secret_wipe(h, sizeof(h));
	secret_free_str(enc);
	return rc;
}

bool
refresh_reuse_is_graced(int64_t used_at, int64_t grace, int64_t now)
{
	return used_at > 0 && grace > 0 && now >= used_at && now - used_at < grace;
}

bool
session_amr_is_valid(const char *method)
{
	size_t n = method ? strlen(method) : 0;

	return n > 0 && n <= TG_AMR_LEN_MAX && strspn(method, TG_AMR_CHARS) == n;
}
