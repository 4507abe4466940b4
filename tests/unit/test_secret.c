/*
 * secret: copies are independent, secret_free and secret_free_buf/_str really wipe before
 * freeing (observed through OpenSSL's allocator hooks), comparisons fail closed, and the CSPRNG
 * fills what it is given.
 */
#include "base/secret.h"

#include "../lib/tap.h"

#include <openssl/crypto.h>

/* The buffer secret_free is expected to release next, and what it held when OpenSSL freed it. */
static const unsigned char *watched;
static size_t watched_len;
static bool was_wiped, was_freed;

static void *
hook_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *
hook_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return realloc(p, n);
}

static void
hook_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p && p == watched) {
		const unsigned char *b = p;

		was_wiped = true;
		for (size_t i = 0; i < watched_len; i++)
			was_wiped = was_wiped && b[i] == 0;
		was_freed = true;
		watched = NULL;
	}
	free(p);
}

static void
test_set_free(void)
{
	char src[] = "hunter2-hunter2-hunter2-hunter2!";
	struct tg_secret s = { 0 }, e = { 0 };

	secret_set(&s, src, strlen(src));
	ok(s.p && s.len == strlen(src) && memcmp(s.p, src, s.len) == 0,
	   "secret_set copies the bytes");
	ok(s.p[s.len] == '\0', "and NUL-terminates them");
	src[0] = 'X';
	ok(s.p[0] == 'h', "the copy does not follow its source");
	watched = s.p;
	watched_len = s.len + 1;
	secret_free(&s);
	ok(was_freed, "secret_free releases through OpenSSL");
	ok(was_wiped, "every byte, terminator included, is zero when it is released");
	ok(s.p == NULL && s.len == 0, "and leaves the secret empty");
	secret_free(&s);
	ok(s.p == NULL && s.len == 0, "freeing an empty secret is harmless");
	secret_set(&e, NULL, 0);
	ok(e.p && e.len == 0 && e.p[0] == '\0', "an empty secret can be set from NULL");
	secret_free(&e);
}

/* Arms the hooks for p, as secret_free_buf/_str should release it whole. */
static void
watch(const void *p, size_t n)
{
	watched = p;
	watched_len = n;
	was_wiped = was_freed = false;
}

static void
test_wipe_and_free(void)
{
	unsigned char buf[] = "a refresh token";
	char *str = tg_xstrdup("an API key"), *empty = tg_xstrdup("");
	unsigned char *heap = tg_xmalloc(48);
	bool is_zero = true;

	secret_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		is_zero = is_zero && buf[i] == 0;
	ok(is_zero, "secret_wipe zeroes every byte it is given");
	secret_wipe(NULL, 0);
	ok(true, "secret_wipe of nothing is harmless");

	memset(heap, 0xa5, 48);
	watch(heap, 48);
	secret_free_buf(heap, 48);
	ok(was_freed && was_wiped, "secret_free_buf wipes all n bytes, then frees");
	secret_free_buf(NULL, 16);
	ok(true, "secret_free_buf(NULL) is a no-op");

	watch(str, strlen(str) + 1);
	secret_free_str(str);
	ok(was_freed && was_wiped, "secret_free_str wipes the string and its terminator, then frees");
	watch(empty, 1);
	secret_free_str(empty);
	ok(was_freed && was_wiped, "an empty string is freed too");
	secret_free_str(NULL);
	ok(true, "secret_free_str(NULL) is a no-op");
}

static void
test_equal(void)
{
	static const unsigned char a[] = "0123456789abcdef", b[] = "0123456789abcdef";
	unsigned char c[sizeof(a)];

	ok(secret_equal(a, 16, b, 16), "equal bytes compare equal");
	memcpy(c, a, sizeof(a));
	c[0] ^= 1;
	ok(!secret_equal(a, 16, c, 16), "a difference in the first byte");
	memcpy(c, a, sizeof(a));
	c[15] ^= 0x80;
	ok(!secret_equal(a, 16, c, 16), "a difference in the last byte");
	ok(!secret_equal(a, 16, b, 15), "a shorter second argument (a prefix) is unequal");
	ok(!secret_equal(a, 15, b, 16), "a shorter first argument is unequal");
	ok(!secret_equal(NULL, 16, b, 16), "NULL first argument fails closed");
	ok(!secret_equal(a, 16, NULL, 16), "NULL second argument fails closed");
	ok(!secret_equal(NULL, 0, NULL, 0), "two NULLs fail closed, even with length 0");
	ok(secret_equal(a, 0, b, 0), "two empty non-NULL buffers are equal");
}

static void
test_random(void)
{
	unsigned char x[64] = { 0 }, y[64] = { 0 }, z[1] = { 0x5a };
	int zeros = 0;

	is_int(secret_random(x, sizeof(x)), TG_OK, "secret_random succeeds");
	is_int(secret_random(y, sizeof(y)), TG_OK, "twice");
	for (size_t i = 0; i < sizeof(x); i++)
		zeros += x[i] == 0;
	/* 64 random bytes hold a quarter of a zero byte on average; 8 means a broken generator. */
	ok(zeros < 8, "the output is not left zeroed (%d zero bytes of 64)", zeros);
	ok(memcmp(x, y, sizeof(x)) != 0, "two draws differ");
	is_int(secret_random(z, 0), TG_OK, "a zero-length request succeeds");
	is_int(z[0], 0x5a, "and writes nothing");
	is_int(secret_random(z, (size_t)INT32_MAX + 1), TG_ERR_CRYPTO,
	       "a request OpenSSL cannot express is an error, not a short fill");
}

static void
test_encoded_random(void)
{
	char hex1[2 * 8 + 1], hex2[2 * 8 + 1];
	bool is_hex = true;

	is_int(secret_random_hex(8, hex1), TG_OK, "secret_random_hex succeeds");
	secret_random_hex(8, hex2);
	for (size_t i = 0; i < 16; i++)
		is_hex = is_hex && strchr("0123456789abcdef", hex1[i]);
	ok(strlen(hex1) == 16 && is_hex, "16 lower-case hex digits for 8 bytes");
	ok(strcmp(hex1, hex2) != 0, "two draws differ");
	is_int(secret_random_hex(65, hex1), TG_ERR_INVALID, "more than 64 bytes refused");
}

static void
test_hash(void)
{
	/* FIPS 180-2 B.1: SHA-256("abc") */
	static const unsigned char abc[TG_SECRET_HASH_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char h[TG_SECRET_HASH_LEN];

	is_int(secret_hash("abc", 3, h), TG_OK, "secret_hash succeeds");
	ok(memcmp(h, abc, sizeof(h)) == 0, "secret_hash is SHA-256 (FIPS 180-2 B.1)");
}

static void
test_hmac(void)
{
	/* RFC 4231 4.7 (test case 6): a 131-byte key of 0xaa, HMAC-SHA-256 */
	static const char data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const unsigned char want[TG_SECRET_HASH_LEN] = {
		0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26, 0xaa, 0xcb, 0xf5, 0xb7, 0x7f,
		0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28, 0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3, 0x7f, 0x54,
	};
	unsigned char raw[131], h[TG_SECRET_HASH_LEN] = { 0 };
	struct tg_secret key = { 0 }, short_key = { 0 };

	memset(raw, 0xaa, sizeof(raw));
	secret_set(&key, raw, sizeof(raw));
	is_int(secret_hmac(&key, data, strlen(data), h), TG_OK, "secret_hmac succeeds");
	ok(memcmp(h, want, sizeof(h)) == 0, "secret_hmac is HMAC-SHA-256 (RFC 4231 test case 6)");
	/* The gap: a short key (RFC 4231's "Jefe") would make every derived value guessable. */
	secret_set(&short_key, raw, TG_SECRET_HASH_LEN - 1);
	is_int(secret_hmac(&short_key, data, strlen(data), h), TG_ERR_INVALID,
	       "a key shorter than the output is refused");
	is_int(secret_hmac(NULL, data, strlen(data), h), TG_ERR_INVALID, "no key is refused");
	secret_free(&key);
	secret_free(&short_key);
}

static void
test_hmac_sha1(void)
{
	/* RFC 2202 section 3, test case 1: a 20-byte key of 0x0b (HOTP's key size), HMAC-SHA-1 */
	static const unsigned char want[TG_SECRET_SHA1_LEN] = {
		0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
		0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
	};
	unsigned char raw[20], h[TG_SECRET_SHA1_LEN] = { 0 };
	struct tg_secret key = { 0 }, short_key = { 0 };

	memset(raw, 0x0b, sizeof(raw));
	secret_set(&key, raw, sizeof(raw));
	is_int(secret_hmac_sha1(&key, "Hi There", 8, h), TG_OK, "secret_hmac_sha1 succeeds");
	ok(memcmp(h, want, sizeof(h)) == 0, "secret_hmac_sha1 is HMAC-SHA-1 (RFC 2202 test case 1)");
	/* The gap: RFC 4226 R6 asks 128 bits of shared secret; 15 bytes is a guessable HOTP key. */
	secret_set(&short_key, raw, TG_SECRET_SHA1_KEY_MIN - 1);
	is_int(secret_hmac_sha1(&short_key, "Hi There", 8, h), TG_ERR_INVALID,
	       "an HMAC-SHA-1 key under 128 bits is refused");
	is_int(secret_hmac_sha1(NULL, "Hi There", 8, h), TG_ERR_INVALID, "no HMAC-SHA-1 key is refused");
	secret_free(&key);
	secret_free(&short_key);
}

int
main(void)
{
	/* Must come before anything allocates through OpenSSL, or the hooks are refused. */
	if (!CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free)) {
		printf("Bail out! cannot install OpenSSL allocator hooks\n");
		return 1;
	}
	test_set_free();
	test_wipe_and_free();
	test_equal();
	test_random();
	test_encoded_random();
	test_hash();
	test_hmac();
	test_hmac_sha1();
	return done_testing();
}
