/*
 * b64url: RFC 4648 vectors in the URL alphabet, round trips checked against OpenSSL's encoder,
 * and one named case per rejection rule of the strict decoder (each one a way to smuggle a
 * second spelling of the same token past a signature or a cache key).
 */
#include "base/b64url.h"

#include "../lib/exact.h"
#include "../lib/tap.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

/* The decoder must never read past inlen: each input sits in a buffer of exactly that size. */
static enum tg_err
decode_exact(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	char *copy = exact_copy(in, inlen);
	enum tg_err rc = b64url_decode(copy, inlen, out, outlen);

	free(copy);
	return rc;
}

static bool
decodes_to(const char *in, const void *want, size_t wantlen)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	bool is_same;

	if (decode_exact(in, strlen(in), &out, &outlen) != TG_OK)
		return false;
	is_same = outlen == wantlen && memcmp(out, want, wantlen) == 0 && out[outlen] == '\0';
	free(out);
	return is_same;
}

static bool
is_refused(const char *in, size_t inlen)
{
	unsigned char *out = (unsigned char *)(uintptr_t)0x1;
	size_t outlen = 12345;
	enum tg_err rc = in ? decode_exact(in, inlen, &out, &outlen)
			    : b64url_decode(NULL, inlen, &out, &outlen);

	if (rc == TG_OK)
		free(out);
	/* Out-parameters are written only on success. */
	return rc == TG_ERR_INVALID && out == (unsigned char *)(uintptr_t)0x1 && outlen == 12345;
}

#define REFUSED(s, why) ok(is_refused((s), sizeof(s) - 1), "refused: %s", why)

static void
test_rfc4648_vectors(void)
{
	/* RFC 4648 section 10, padding removed (RFC 7515 section 2). */
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = b64url_encode((const unsigned char *)v[i].plain, strlen(v[i].plain));

		is_str(e, v[i].enc, "encode \"%s\"", v[i].plain);
		free(e);
		ok(decodes_to(v[i].enc, v[i].plain, strlen(v[i].plain)), "decode \"%s\"", v[i].enc);
	}
}

static void
test_url_alphabet(void)
{
	/* RFC 7515 appendix C: the bytes whose standard encoding needs '+' and '/'. */
	static const unsigned char c_bytes[] = { 3, 236, 255, 224, 193 };
	static const unsigned char minus[] = { 0xfb, 0xef, 0xbe }, under[] = { 0xff, 0xff, 0xff };
	char *e;

	e = b64url_encode(c_bytes, sizeof(c_bytes));
	is_str(e, "A-z_4ME", "RFC 7515 appendix C encodes to A-z_4ME");
	free(e);
	ok(decodes_to("A-z_4ME", c_bytes, sizeof(c_bytes)), "RFC 7515 appendix C decodes");
	e = b64url_encode(minus, sizeof(minus));
	is_str(e, "----", "62 is '-'");
	free(e);
	e = b64url_encode(under, sizeof(under));
	is_str(e, "____", "63 is '_'");
	free(e);
	ok(decodes_to("____", under, sizeof(under)), "'_' decodes to 63");
}

/* OpenSSL's standard encoding, translated to the URL alphabet, is an independent oracle. */
static char *
openssl_b64url(const unsigned char *in, size_t len)
{
	char *s = tg_xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)s, in, (int)len);

	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	for (char *p = s; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return s;
}

static void
test_round_trips(void)
{
	unsigned char in[4096];
	int bad_enc = 0, bad_dec = 0;

	if (RAND_bytes(in, sizeof(in)) != 1)
		abort();
	for (size_t len = 0; len <= 64; len++) {
		char *e = b64url_encode(in + len, len);
		char *want = openssl_b64url(in + len, len);

		bad_enc += strcmp(e, want) != 0;
		bad_dec += !decodes_to(e, in + len, len);
		free(e);
		free(want);
	}
	is_int(bad_enc, 0, "lengths 0..64 encode as OpenSSL does in the URL alphabet");
	is_int(bad_dec, 0, "lengths 0..64 decode back to the same bytes");
	{
		char *e = b64url_encode(in, sizeof(in));

		ok(strlen(e) == (sizeof(in) * 4 + 2) / 3 && decodes_to(e, in, sizeof(in)),
		   "4096 random bytes round-trip, unpadded length");
		free(e);
	}
}

static void
test_rejections(void)
{
	static const char canonical[] = "Zm9vYmFy";
	char buf[sizeof(canonical)];
	int wrong = 0;

	REFUSED("Zg==", "padding '=' (RFC 7515 section 2 forbids it)");
	REFUSED("Zm8=", "a single padding '='");
	REFUSED("Zm9v====", "padding after a full quantum");
	REFUSED("Zm+v", "'+' from the standard alphabet");
	REFUSED("Zm/v", "'/' from the standard alphabet");
	REFUSED("Zm9v Yg", "a space");
	REFUSED("Zm9v\nYg", "a newline (PEM-style line breaks)");
	REFUSED("Zm9v\tYg", "a tab");
	REFUSED("Zm9v\r\nYmFy", "CRLF");
	REFUSED(" Zm9vYg", "leading whitespace");
	REFUSED("Zm9vYg ", "trailing whitespace");
	REFUSED("Zm9v!A", "a byte outside the alphabet");
	REFUSED("Zm9v.A", "a dot, which would be a segment separator");
	REFUSED("Zm\xc3\xa9", "non-ASCII bytes (UTF-8 e-acute)");
	REFUSED("\xffm9v", "a 0xff byte");
	REFUSED("Zm\0v", "an embedded NUL inside the length");
	REFUSED("Zm9v\0\0\0\0", "NUL bytes as trailing junk");
	REFUSED("Z", "a length of 1 mod 4");
	REFUSED("Zm9vY", "a length of 5 (1 mod 4)");
	REFUSED("Zh", "non-zero unused bits after one byte (canonical is Zg)");
	REFUSED("Zm9", "non-zero unused bits after two bytes (canonical is Zm8)");
	REFUSED("Zm9vYh", "non-canonical tail after a full quantum");
	REFUSED("A-z_4MF", "RFC 7515 appendix C with its last character bumped");
	ok(is_refused(NULL, 4), "refused: NULL input with a length");

	/* Every byte value in every position of a valid string: only the alphabet gets through. */
	for (int pos = 0; pos < 8; pos++) {
		for (int c = 0; c < 256; c++) {
			bool is_alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
					(c >= '0' && c <= '9') || c == '-' || c == '_';
			unsigned char *out = NULL;
			size_t outlen;
			enum tg_err rc;

			memcpy(buf, canonical, sizeof(buf));
			buf[pos] = (char)c;
			rc = decode_exact(buf, 8, &out, &outlen);
			wrong += (rc == TG_OK) != is_alpha;
			free(out);
		}
	}
	is_int(wrong, 0, "each byte value is accepted in each position iff it is in the alphabet");
}

/* Exhaustive over short tails: exactly one spelling per byte string decodes, and it round-trips. */
static void
test_canonical_only(void)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char s[4] = { 0 };
	size_t accepted2 = 0, accepted3 = 0;
	int bad = 0;

	for (int i = 0; i < 64 * 64 * 64; i++) {
		unsigned char *out = NULL;
		size_t outlen;

		s[0] = alpha[i / 4096];
		s[1] = alpha[(i / 64) % 64];
		s[2] = alpha[i % 64];
		for (size_t len = 2; len <= 3; len++) {
			if (len == 2 && i % 64 != 0)
				continue;
			if (decode_exact(s, len, &out, &outlen) != TG_OK)
				continue;
			char *e = b64url_encode(out, outlen);

			bad += outlen != len - 1 || strncmp(e, s, len) != 0 || e[len] != '\0';
			if (len == 2)
				accepted2++;
			else
				accepted3++;
			free(e);
			free(out);
		}
	}
	is_int(accepted2, 256, "exactly 256 of the 4096 two-character strings decode");
	is_int(accepted3, 65536, "exactly 65536 of the 262144 three-character strings decode");
	is_int(bad, 0, "every accepted short string is the encoder's own output");
}

static void
test_empty(void)
{
	unsigned char *out = NULL;
	size_t outlen = 99;

	is_int(b64url_decode("", 0, &out, &outlen), TG_OK, "the empty string decodes");
	ok(out && outlen == 0 && out[0] == '\0', "to zero bytes, still NUL-terminated");
	free(out);
	{
		char *e = b64url_encode(NULL, 0);

		is_str(e, "", "zero bytes encode to the empty string");
		free(e);
	}
}

static void
test_random(void)
{
	char *b1 = NULL, *b2 = NULL;

	is_int(b64url_random(32, &b1), TG_OK, "b64url_random succeeds");
	b64url_random(32, &b2);
	ok(b1 && strlen(b1) == 43 && strspn(b1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789-_") == 43,
	   "43 base64url characters, unpadded, for 32 bytes");
	ok(b1 && b2 && strcmp(b1, b2) != 0, "two draws differ");
	free(b1);
	free(b2);
	b1 = NULL;
	is_int(b64url_random(65, &b1), TG_ERR_INVALID, "more than 64 bytes refused");
	ok(b1 == NULL, "and nothing handed out");
}

int
main(void)
{
	test_rfc4648_vectors();
	test_url_alphabet();
	test_round_trips();
	test_rejections();
	test_canonical_only();
	test_empty();
	test_random();
	return done_testing();
}
