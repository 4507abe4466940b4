/*
 * Strict base64url (RFC 4648 section 5 without padding, as RFC 7515 section 2 requires).
 * Hand-written because OpenSSL's EVP_DecodeBlock/BIO_f_base64 accept padding, whitespace and
 * non-canonical trailing bits; here exactly one spelling of each byte string decodes.
 * Decoded bytes may be key material, so a failed decode wipes what it wrote (secret.c). No I/O.
 */
#include "base/b64url.h"

#include "base/secret.h"

#include <stdint.h>
#include <stdlib.h>

#define RANDOM_MAX 64 /* bytes of one random value */
#define BAD 0x40 /* above every sextet, so OR-ing lookups detects any invalid byte at once */

static const char alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Everything not in the alphabet is BAD: '=', '+', '/', whitespace, NUL and bytes >= 0x80. */
#define SEXTET(c)                                                                                 \
	(uint8_t)((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                          \
		  : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                     \
		  : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                     \
		  : (c) == '-'               ? 62                                                 \
		  : (c) == '_'               ? 63                                                 \
					     : BAD)
#define ROW4(c) SEXTET(c), SEXTET((c) + 1), SEXTET((c) + 2), SEXTET((c) + 3)
#define ROW16(c) ROW4(c), ROW4((c) + 4), ROW4((c) + 8), ROW4((c) + 12)
#define ROW64(c) ROW16(c), ROW16((c) + 16), ROW16((c) + 32), ROW16((c) + 48)

static const uint8_t sextet[256] = { ROW64(0), ROW64(64), ROW64(128), ROW64(192) };

enum tg_err
b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t full = inlen / 4, rest = inlen % 4, n = full * 3 + (rest ? rest - 1 : 0);
	unsigned char *buf = NULL, *d;
	unsigned bad = 0, a, b, c, e;
	enum tg_err rc = TG_ERR_INVALID;

	/* One leftover character carries only 6 bits: no byte string encodes to that. */
	if ((!in && inlen) || rest == 1)
		goto out;
	buf = tg_xmalloc(n + 1);
	d = buf;
	for (size_t i = 0; i < full; i++, s += 4, d += 3) {
		a = sextet[s[0]];
		b = sextet[s[1]];
		c = sextet[s[2]];
		e = sextet[s[3]];
		bad |= a | b | c | e;
		d[0] = (unsigned char)(a << 2 | b >> 4);
		d[1] = (unsigned char)(b << 4 | c >> 2);
		d[2] = (unsigned char)(c << 6 | e);
	}
	/* RFC 4648 section 3.5: the unused low bits of the last character must be zero. */
	if (rest >= 2) {
		a = sextet[s[0]];
		b = sextet[s[1]];
		bad |= a | b;
		d[0] = (unsigned char)(a << 2 | b >> 4);
		if (rest == 2) {
			bad |= (b & 0x0f) ? BAD : 0;
		} else {
			c = sextet[s[2]];
			bad |= c | ((c & 0x03) ? BAD : 0);
			d[1] = (unsigned char)(b << 4 | c >> 2);
		}
	}
	if (bad & BAD)
		goto out;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
	rc = TG_OK;
out:
	if (buf)
		secret_free_buf(buf, n + 1);
	return rc;
}

char *
b64url_encode(const unsigned char *in, size_t len)
{
	size_t full = len / 3, rest = len % 3;
	char *out, *d;
	uint32_t v;

	if (full > (SIZE_MAX - 4) / 4)
		abort();
	out = tg_xmalloc(full * 4 + (rest ? rest + 1 : 0) + 1);
	d = out;
	for (size_t i = 0; i < full; i++, in += 3, d += 4) {
		v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		d[0] = alphabet[v >> 18];
		d[1] = alphabet[(v >> 12) & 63];
		d[2] = alphabet[(v >> 6) & 63];
		d[3] = alphabet[v & 63];
	}
	if (rest) {
		v = (uint32_t)in[0] << 16 | (rest == 2 ? (uint32_t)in[1] << 8 : 0);
		*d++ = alphabet[v >> 18];
		*d++ = alphabet[(v >> 12) & 63];
		if (rest == 2)
			*d++ = alphabet[(v >> 6) & 63];
	}
	*d = '\0';
	return out;
}

enum tg_err
b64url_random(size_t n, char **out)
{
	unsigned char raw[RANDOM_MAX];
	enum tg_err rc = n <= sizeof(raw) ? secret_random(raw, n) : TG_ERR_INVALID;

	if (rc == TG_OK)
		*out = b64url_encode(raw, n);
	secret_wipe(raw, sizeof(raw));
	return rc;
}
