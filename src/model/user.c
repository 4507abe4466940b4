/*
 * The user record and the normalised email (model/user.h). Pure: never reads
 * the store or a clock; the password hash passes through as stored bytes and
 * is never printed.
 */
#include "model/user.h"

#include "base/b64url.h"
#include "base/bytes.h"
#include "base/unicode.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

#define USER_V1 1
#define USER_V2 2 /* v1 and the second factor */
#define USER_FIXED (1 + 1 + 8 + 8)
#define USER_DISABLED 0x01
#define USER_SECRET_MIN TG_SECRET_SHA1_KEY_MIN
#define USER_SECRET_MAX 64 /* an HMAC-SHA-1 block: a longer key is hashed first (RFC 2104) */

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* C0, DEL and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F): never part of an address. */
static bool
has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return true;
	return false;
}

static enum tg_err
check_shape(const char *e, struct tg_why *why)
{
	const char *at = strchr(e, '@');
	size_t n = strlen(e), local;
	const char *dom;

	if (has_control(e))
		return tg_fail(why, TG_ERR_INVALID, "the email holds a control character");
	if (strpbrk(e, " \t"))
		return tg_fail(why, TG_ERR_INVALID, "the email holds a blank inside it");
	if (!at || strchr(at + 1, '@'))
		return tg_fail(why, TG_ERR_INVALID, "an email has exactly one '@'");
	local = (size_t)(at - e);
	dom = at + 1;
	if (local == 0 || !*dom)
		return tg_fail(why, TG_ERR_INVALID, "an email needs a local part and a domain "
			       "around its '@'");
	if (n > TG_EMAIL_MAX || local > TG_EMAIL_LOCAL_MAX || strlen(dom) > TG_EMAIL_DOMAIN_MAX)
		return tg_fail(why, TG_ERR_INVALID, "the email is too long (at most %d bytes, %d "
			       "before the '@', %d after it, once normalised)", TG_EMAIL_MAX,
			       TG_EMAIL_LOCAL_MAX, TG_EMAIL_DOMAIN_MAX);
	if (dom[0] == '.' || dom[strlen(dom) - 1] == '.' || strstr(dom, ".."))
		return tg_fail(why, TG_ERR_INVALID, "the email's domain has an empty label");
	return TG_OK;
}

enum tg_err
user_email_normalize(const char *raw, char **out, struct tg_why *why)
{
	size_t b = 0, e = strlen(raw);
	char *norm = NULL;
	enum tg_err rc;

	while (b < e && is_blank(raw[b]))
		b++;
	while (e > b && is_blank(raw[e - 1]))
		e--;
	/* Bounded before normalising: a huge input costs nothing more than a refusal. */
	if (e - b > 4 * TG_EMAIL_MAX) {
		rc = tg_fail(why, TG_ERR_INVALID, "the email is too long (at most %d bytes)",
			     TG_EMAIL_MAX);
		goto out;
	}
	rc = unicode_nfc(raw + b, e - b, true, &norm);
	if (rc != TG_OK) {
		rc = tg_fail(why, TG_ERR_INVALID, "the email is not well-formed UTF-8");
		goto out;
	}
	rc = check_shape(norm, why);
	if (rc != TG_OK)
		goto out;
	*out = norm; /* ownership moves to the caller */
	norm = NULL;
out:
	free(norm);
	return rc;
}

enum tg_err
user_new_id(char **out)
{
	return b64url_random(TG_USER_ID_BYTES, out);
}

void
user_free(struct tg_user *u)
{
	if (!u)
		return;
	free(u->id);
	free(u->tenant);
	free(u->email);
	free(u->password_hash);
	secret_free(&u->totp_secret);
	secret_wipe(&u->recovery, sizeof(u->recovery));
	free(u);
}

bool
user_has_totp(const struct tg_user *u)
{
	return u->totp_secret.len > 0;
}

void
user_list_free(struct tg_user **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		user_free(v[i]);
	free(v);
}

static bool
has_v2(const struct tg_user *u)
{
	return user_has_totp(u) || u->recovery.n > 0;
}

/* The v2 tail: secret, last step, recovery set; q has room for it (v2_tail_len). */
static unsigned char *
put_v2_tail(unsigned char *q, const struct tg_user *u)
{
	const struct recovery_set *r = &u->recovery;

	*q++ = (unsigned char)u->totp_secret.len;
	if (u->totp_secret.len)
		memcpy(q, u->totp_secret.p, u->totp_secret.len);
	q += u->totp_secret.len;
	bytes_put_u64(q, (uint64_t)u->totp_last_step);
	q += 8;
	*q++ = (unsigned char)r->n;
	for (int i = 3; i >= 0; i--)
		*q++ = (unsigned char)(r->used >> (8 * i));
	for (size_t i = 0; i < r->n; i++) {
		memcpy(q, r->hash[i], TG_SECRET_HASH_LEN);
		q += TG_SECRET_HASH_LEN;
	}
	return q;
}

static size_t
v2_tail_len(const struct tg_user *u)
{
	return 1 + u->totp_secret.len + 8 + 1 + 4 + u->recovery.n * TG_SECRET_HASH_LEN;
}

unsigned char *
user_encode(const struct tg_user *u, size_t *n)
{
	size_t el = strlen(u->email), hl = strlen(u->password_hash);
	bool is_v2 = has_v2(u);
	size_t len = USER_FIXED + 2 + el + 2 + hl + (is_v2 ? v2_tail_len(u) : 0);
	unsigned char *p = tg_xmalloc(len), *q;

	p[0] = is_v2 ? USER_V2 : USER_V1;
	p[1] = u->is_disabled ? USER_DISABLED : 0;
	bytes_put_u64(p + 2, (uint64_t)u->created);
	bytes_put_u64(p + 10, (uint64_t)u->updated);
	q = bytes_put_str16(p + USER_FIXED, u->email);
	q = bytes_put_str16(q, u->password_hash);
	if (is_v2)
		q = put_v2_tail(q, u);
	*n = (size_t)(q - p);
	return p;
}

/* The v2 tail into u; false when it is malformed or runs past end, or says nothing. */
static bool
get_v2_tail(const unsigned char **p, const unsigned char *end, struct tg_user *u)
{
	const unsigned char *q = *p;
	struct recovery_set *r = &u->recovery;
	size_t sl;

	if (end - q < 1 || (size_t)(end - q) < 1 + (size_t)q[0] + 8 + 1 + 4)
		return false;
	sl = *q++;
	if (sl != 0 && (sl < USER_SECRET_MIN || sl > USER_SECRET_MAX))
		return false;
	if (sl)
		secret_set(&u->totp_secret, q, sl);
	q += sl;
	u->totp_last_step = (int64_t)bytes_get_u64(q);
	q += 8;
	r->n = *q++;
	r->used = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	q += 4;
	/* A used mark past n would count as a code nobody holds. */
	if (u->totp_last_step < -1 || r->n > RECOVERY_CODES_MAX ||
	    (r->n < 32 && (r->used >> r->n) != 0) || !has_v2(u) ||
	    (size_t)(end - q) < r->n * TG_SECRET_HASH_LEN)
		return false;
	memcpy(r->hash, q, r->n * TG_SECRET_HASH_LEN);
	*p = q + r->n * TG_SECRET_HASH_LEN;
	return true;
}

bool
user_decode(const char *tenant, const char *id, const unsigned char *p, size_t n,
	    struct tg_user **out)
{
	const unsigned char *q = p + USER_FIXED, *end = p + n;
	struct tg_user *u;

	if (n < USER_FIXED || (p[0] != USER_V1 && p[0] != USER_V2) ||
	    (p[1] & ~USER_DISABLED) != 0)
		return false;
	u = tg_xcalloc(1, sizeof(*u));
	u->tenant = tg_xstrdup(tenant);
	u->id = tg_xstrdup(id);
	u->is_disabled = (p[1] & USER_DISABLED) != 0;
	u->created = (int64_t)bytes_get_u64(p + 2);
	u->updated = (int64_t)bytes_get_u64(p + 10);
	u->totp_last_step = -1;
	/* Both are required: an empty one reads as NULL and is refused. */
	if (!bytes_get_str16(&q, end, &u->email) || !u->email ||
	    !bytes_get_str16(&q, end, &u->password_hash) || !u->password_hash ||
	    (p[0] == USER_V2 && !get_v2_tail(&q, end, u)) || q != end) {
		user_free(u);
		return false;
	}
	*out = u;
	return true;
}

struct json_object *
user_to_json_public(const struct tg_user *u)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(u->id));
	json_object_object_add(o, "email", json_object_new_string(u->email));
	json_object_object_add(o, "disabled", json_object_new_boolean(u->is_disabled));
	json_object_object_add(o, "created", json_object_new_int64(u->created));
	json_object_object_add(o, "updated", json_object_new_int64(u->updated));
	/* Whether a second factor is on and how many recovery codes are left: never the secret. */
	json_object_object_add(o, "totp", json_object_new_boolean(user_has_totp(u)));
	json_object_object_add(o, "recovery_codes_left",
			       json_object_new_int64((int64_t)recovery_remaining(&u->recovery)));
	return o;
}
