/*
 * TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA-1 through secret.c, the single-use rule and
 * the otpauth URI. Owns the arithmetic only: never reads a clock, stores a step or logs a code;
 * codes are compared and wiped only through secret.c.
 */
#include "model/totp.h"

#include "base/base32.h"

#include <stdlib.h>
#include <string.h>

static const uint32_t modulus[TOTP_DIGITS_MAX + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

enum tg_err
totp_secret_new(struct tg_secret *out)
{
	unsigned char raw[TOTP_SECRET_LEN];
	enum tg_err rc = secret_random(raw, sizeof(raw));

	if (rc == TG_OK)
		secret_set(out, raw, sizeof(raw));
	secret_wipe(raw, sizeof(raw));
	return rc;
}

enum tg_err
totp_hotp(const struct tg_secret *key, uint64_t counter, unsigned digits,
	  char out[TOTP_DIGITS_MAX + 1])
{
	unsigned char msg[8], h[TG_SECRET_SHA1_LEN];
	uint32_t bin;
	unsigned off;
	enum tg_err rc = TG_ERR_INVALID;

	if (digits < TOTP_DIGITS || digits > TOTP_DIGITS_MAX)
		goto out;
	/* RFC 4226 5.2: the counter is an 8-byte big-endian moving factor. */
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)(counter & 0xff);
	rc = secret_hmac_sha1(key, msg, sizeof(msg), h);
	if (rc != TG_OK)
		goto out;
	/* RFC 4226 5.3: dynamic truncation to 31 bits at the offset the last nibble names. */
	off = h[TG_SECRET_SHA1_LEN - 1] & 0x0f;
	bin = (uint32_t)(h[off] & 0x7f) << 24 | (uint32_t)h[off + 1] << 16 |
	      (uint32_t)h[off + 2] << 8 | h[off + 3];
	bin %= modulus[digits];
	for (unsigned i = digits; i-- > 0; bin /= 10)
		out[i] = (char)('0' + bin % 10);
	out[digits] = '\0';
out:
	secret_wipe(h, sizeof(h));
	return rc;
}

int64_t
totp_step(int64_t now)
{
	return now / TOTP_PERIOD;
}

enum tg_err
totp_code(const struct tg_secret *key, int64_t now, unsigned digits, char out[TOTP_DIGITS_MAX + 1])
{
	if (now < 0)
		return TG_ERR_INVALID;
	return totp_hotp(key, (uint64_t)totp_step(now), digits, out);
}

static bool
is_code(const char *code)
{
	if (!code || strlen(code) != TOTP_DIGITS)
		return false;
	for (size_t i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return true;
}

enum tg_err
totp_verify(const struct tg_secret *secret, const char *code, int64_t now, unsigned window,
	    int64_t *step)
{
	char want[TOTP_DIGITS_MAX + 1];
	int64_t now_step, matched = -1;
	enum tg_err rc = TG_ERR_INVALID;

	if (!is_code(code) || now < 0 || window > TOTP_WINDOW)
		goto out;
	now_step = totp_step(now);
	/* Every step of the window is computed and compared, so the time says nothing of which. */
	for (int64_t st = now_step - window; st <= now_step + (int64_t)window; st++) {
		if (st < 0)
			continue;
		rc = totp_hotp(secret, (uint64_t)st, TOTP_DIGITS, want);
		if (rc != TG_OK)
			goto out;
		if (secret_equal(want, TOTP_DIGITS, code, TOTP_DIGITS))
			matched = st;
	}
	rc = matched >= 0 ? TG_OK : TG_ERR_REJECTED;
	if (rc == TG_OK)
		*step = matched;
out:
	secret_wipe(want, sizeof(want));
	return rc;
}

bool
totp_is_replay(int64_t step, int64_t last_used)
{
	return step <= last_used;
}

/* RFC 3986 2.3's unreserved bytes stay; every other byte becomes %XX. */
static enum tg_err
uri_component(const char *s, const char *what, char **out, struct tg_why *why)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0, len;
	char *enc, *d;

	if (n == 0 || n > TOTP_LABEL_MAX)
		return tg_fail(why, TG_ERR_INVALID, "the %s must be 1 to %d bytes long", what,
			       TOTP_LABEL_MAX);
	for (size_t i = 0; i < n; i += len) {
		len = tg_utf8_len(p + i, n - i);
		if (len == 0)
			return tg_fail(why, TG_ERR_INVALID, "the %s is not well-formed UTF-8",
				       what);
		if (p[i] < 0x20 || p[i] == 0x7f)
			return tg_fail(why, TG_ERR_INVALID, "the %s has a control character", what);
		if (p[i] == ':')
			return tg_fail(
				why, TG_ERR_INVALID,
				"the %s has a ':', which an otpauth URI's label cannot carry "
				"(authenticator apps split it at the first colon)",
				what);
	}
	enc = tg_xmalloc(3 * n + 1);
	d = enc;
	for (size_t i = 0; i < n; i++) {
		if ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || strchr("-._~", p[i])) {
			*d++ = (char)p[i];
		} else {
			*d++ = '%';
			*d++ = hex[p[i] >> 4];
			*d++ = hex[p[i] & 0x0f];
		}
	}
	*d = '\0';
	*out = enc;
	return TG_OK;
}

enum tg_err
totp_uri(const struct tg_secret *secret, const char *issuer, const char *account, char **uri,
	 struct tg_why *why)
{
	char *iss = NULL, *acct = NULL, *b32 = NULL;
	enum tg_err rc;

	if (!secret || !secret->p || secret->len < TG_SECRET_SHA1_KEY_MIN) {
		rc = tg_fail(why, TG_ERR_INVALID, "the TOTP secret is missing or under 128 bits");
		goto out;
	}
	rc = uri_component(issuer, "issuer", &iss, why);
	if (rc != TG_OK)
		goto out;
	rc = uri_component(account, "account name", &acct, why);
	if (rc != TG_OK)
		goto out;
	b32 = base32_encode(secret->p, secret->len);
	*uri = tg_xasprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d"
			    "&period=%d",
			    iss, acct, b32, iss, TOTP_DIGITS, TOTP_PERIOD);
out:
	free(iss);
	free(acct);
	secret_free_str(b32);
	return rc;
}
