/*
 * base32: RFC 4648 section 10's vectors (padding removed), round trips against a bit-by-bit
 * reference, and one named case per rejection rule of the strict decoder (each one a second
 * spelling of the same TOTP secret, or text a user could take for a secret that is not one).
 */
#include "base/base32.h"

#include "base/secret.h"

#include "../lib/exact.h"
#include "../lib/tap.h"

#include <openssl/rand.h>

/* The decoder must never read past inlen: each input sits in a buffer of exactly that size. */
static bool
decodes_to(const char *in, const void *want, size_t wantlen)
{
	char *copy = exact_copy(in, strlen(in));
	unsigned char *out = NULL;
	size_t outlen = 0;
	bool is_same = false;

	if (base32_decode(copy, strlen(in), &out, &outlen) == TG_OK) {
		is_same =
			outlen == wantlen && memcmp(out, want, wantlen) == 0 && out[outlen] == '\0';
		secret_free_buf(out, outlen + 1);
	}
	free(copy);
	return is_same;
}

static bool
is_refused(const char *in, size_t inlen)
{
	char *copy = in ? exact_copy(in, inlen) : NULL;
	unsigned char *out = (unsigned char *)(uintptr_t)0x1;
	size_t outlen = 12345;
	enum tg_err rc = base32_decode(copy, inlen, &out, &outlen);

	if (rc == TG_OK)
		secret_free_buf(out, outlen + 1);
	free(copy);
	/* Out-parameters are written only on success. */
	return rc == TG_ERR_INVALID && out == (unsigned char *)(uintptr_t)0x1 && outlen == 12345;
}

#define REFUSED(s, why) ok(is_refused((s), sizeof(s) - 1), "refused: %s", why)

static void
test_rfc4648_vectors(void)
{
	/* RFC 4648 section 10, BASE32, padding removed (otpauth URIs carry none). */
	static const struct {
		const char *plain, *enc, *lower;
	} v[] = {
		{ "", "", "" },
		{ "f", "MY", "my" },
		{ "fo", "MZXQ", "mzxq" },
		{ "foo", "MZXW6", "mzxw6" },
		{ "foob", "MZXW6YQ", "mzxw6yq" },
		{ "fooba", "MZXW6YTB", "mzxw6ytb" },
		{ "foobar", "MZXW6YTBOI", "mzxw6ytboi" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = base32_encode((const unsigned char *)v[i].plain, strlen(v[i].plain));

		is_str(e, v[i].enc, "encode \"%s\"", v[i].plain);
		secret_free_str(e);
		ok(decodes_to(v[i].enc, v[i].plain, strlen(v[i].plain)), "decode \"%s\"", v[i].enc);
		ok(decodes_to(v[i].lower, v[i].plain, strlen(v[i].plain)), "decode \"%s\"",
		   v[i].lower);
	}
	ok(decodes_to("mZxW6yTbOi", "foobar", 6), "mixed case decodes");
	/* RFC 6238 appendix B's SHA-1 seed, as oathtool and apps take it. */
	ok(decodes_to("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "12345678901234567890", 20),
	   "the RFC 6238 seed decodes");
}

/* The reference: character i is bits 5i..5i+4 of the input, zeros past its end. */
static char *
reference_encode(const unsigned char *in, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t nchars = (len * 8 + 4) / 5;
	char *s = tg_xmalloc(nchars + 1);

	for (size_t i = 0; i < nchars; i++) {
		unsigned v = 0;

		for (size_t b = 5 * i; b < 5 * i + 5; b++)
			v = v << 1 | (b < 8 * len ? (in[b / 8] >> (7 - b % 8)) & 1 : 0);
		s[i] = abc[v];
	}
	s[nchars] = '\0';
	return s;
}

static void
test_round_trips(void)
{
	unsigned char in[1024];
	int bad_enc = 0, bad_dec = 0;
	char *e;

	if (RAND_bytes(in, sizeof(in)) != 1)
		abort();
	for (size_t len = 0; len <= 64; len++) {
		char *want = reference_encode(in + len, len);

		e = base32_encode(in + len, len);
		bad_enc += strcmp(e, want) != 0;
		bad_dec += !decodes_to(e, in + len, len);
		secret_free_str(e);
		free(want);
	}
	is_int(bad_enc, 0, "lengths 0..64 encode as the bit-by-bit reference does");
	is_int(bad_dec, 0, "lengths 0..64 decode back to the same bytes");
	e = base32_encode(in, sizeof(in));
	ok(strlen(e) == (sizeof(in) * 8 + 4) / 5 && decodes_to(e, in, sizeof(in)),
	   "1024 random bytes round-trip, unpadded length");
	secret_free_str(e);
}

static void
test_refusals(void)
{
	/* Padding: one spelling per secret, and the URI form has none. */
	REFUSED("MY======", "RFC 4648 padding");
	REFUSED("MZXW6YQ=", "one '='");
	/* Whitespace and separators: liboath strips them, making "JBSW Y3DP" a second spelling. */
	REFUSED("MZXW 6YTB", "a space");
	REFUSED("MZXW6YTB\n", "a trailing newline");
	REFUSED("MZXW-6YTB", "a '-'");
	/* Characters outside the alphabet, including the look-alikes it leaves out on purpose. */
	REFUSED("MZXW6YT0", "'0' (not in the alphabet: O is)");
	REFUSED("MZXW6YT1", "'1' (not in the alphabet: I is)");
	REFUSED("MZXW6YT8", "'8'");
	REFUSED("MZXW6YT9", "'9'");
	REFUSED("MZXW6YT+", "'+'");
	REFUSED("MZXW\0YTB", "a NUL inside the length");
	REFUSED("MZXW6Y\xc3\x89", "a non-ASCII byte");
	/* Lengths no byte string encodes to (1, 3, 6 mod 8). */
	REFUSED("M", "one character");
	REFUSED("MZX", "three characters");
	REFUSED("MZXW6Y", "six characters");
	REFUSED("MZXW6YTBM", "nine characters");
	/* RFC 4648 3.5: unused trailing bits must be zero, or "MZ" would be a second "f". */
	REFUSED("MZ", "non-zero trailing bits after one byte");
	REFUSED("MZXR", "non-zero trailing bits after two bytes");
	REFUSED("MZXW7", "non-zero trailing bit after three bytes");
	REFUSED("MZXW6YR", "non-zero trailing bits after four bytes");
	ok(is_refused(NULL, 4), "NULL with a length is refused");
	ok(decodes_to("", "", 0), "the empty string decodes to nothing");
}

int
main(void)
{
	test_rfc4648_vectors();
	test_round_trips();
	test_refusals();
	return done_testing();
}
