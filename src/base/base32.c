/*
 * Strict base32 (RFC 4648 section 6, unpadded). Hand-written because neither OpenSSL nor
 * Debian's C libraries we link have one; liboath's accepts spaces and padding, so there a
 * secret would have more than one spelling. Failed decodes wipe what they wrote. No I/O.
 */
#include "base/base32.h"

#include "base/secret.h"

#include <stdint.h>
#include <stdlib.h>

#define BAD 0x20 /* above every quintet, so OR-ing lookups detects an invalid byte at once */

static const char alphabet[32] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Everything outside A-Z, a-z and 2-7 is BAD: '=', whitespace, '0', '1', '8', '9', NUL, >= 0x80. */
#define QUINTET(c)                                                                                \
	(uint8_t)((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                          \
		  : (c) >= 'a' && (c) <= 'z' ? (c) - 'a'                                          \
		  : (c) >= '2' && (c) <= '7' ? (c) - '2' + 26                                     \
					     : BAD)
#define ROW4(c) QUINTET(c), QUINTET((c) + 1), QUINTET((c) + 2), QUINTET((c) + 3)
#define ROW16(c) ROW4(c), ROW4((c) + 4), ROW4((c) + 8), ROW4((c) + 12)
#define ROW64(c) ROW16(c), ROW16((c) + 16), ROW16((c) + 32), ROW16((c) + 48)

static const uint8_t quintet[256] = { ROW64(0), ROW64(64), ROW64(128), ROW64(192) };

/* Bytes a final group of r characters (r = len mod 8) carries; -1: no byte string ends so. */
static const int tail_bytes[8] = { 0, -1, 1, -1, 2, 3, -1, 4 };

enum tg_err
base32_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	int tail = tail_bytes[inlen % 8];
	size_t n = inlen / 8 * 5 + (size_t)(tail > 0 ? tail : 0), o = 0;
	unsigned char *buf = NULL;
	unsigned bad = 0, bits = 0, q;
	uint32_t acc = 0;
	enum tg_err rc = TG_ERR_INVALID;

	if ((!in && inlen) || tail < 0)
		goto out;
	buf = tg_xmalloc(n + 1);
	for (size_t i = 0; i < inlen; i++) {
		q = quintet[s[i]];
		bad |= q;
		acc = (acc << 5 | (q & 31)) & 0x1fff; /* at most 7 pending + 5 new bits */
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* RFC 4648 section 3.5: the unused low bits of the last character must be zero. */
	if (bad & BAD || (acc & ((1u << bits) - 1)) != 0)
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
base32_encode(const unsigned char *in, size_t len)
{
	size_t bits = 0;
	uint32_t acc = 0;
	char *out, *d;

	if (len > (SIZE_MAX - 8) / 8)
		abort();
	out = tg_xmalloc((len * 8 + 4) / 5 + 1);
	d = out;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0x1fff; /* at most 4 pending + 8 new bits */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*d++ = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits)
		*d++ = alphabet[(acc << (5 - bits)) & 31];
	*d = '\0';
	return out;
}
