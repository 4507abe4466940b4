/*
 * Owner of secret bytes (HMAC secrets, private keys, API keys, refresh tokens).
 * Secret memory is released only through secret_free(), which wipes it.
 */
#ifndef TG_SECRET_H
#define TG_SECRET_H

#include "base/tokengate.h"

struct tg_secret {
	unsigned char *p;
	size_t len;
};

/* Copies len bytes into s, which must be empty (secret_free it first); p may be NULL when len is 0. */
void secret_set(struct tg_secret *s, const void *p, size_t len);
/* Wipes and frees the bytes and leaves s empty; safe on an empty secret. */
void secret_free(struct tg_secret *s);
/* Zeroes n bytes at p in a way the compiler cannot drop; p may be NULL when n is 0. */
void secret_wipe(void *p, size_t n);
/*
 * Wipes n bytes at p, then frees p; NULL is a no-op. p comes from malloc (tg_xmalloc, BDB) or
 * from OpenSSL, whose allocator tokengate leaves as malloc.
 */
void secret_free_buf(void *p, size_t n);
/* Wipes a NUL-terminated string, terminator included, then frees it; NULL is a no-op. */
void secret_free_str(char *s);
/* Constant-time for equal lengths; NULL or length mismatch compares unequal. */
bool secret_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Fills out with n bytes from the OpenSSL CSPRNG. */
enum tg_err secret_random(unsigned char *out, size_t n);
/* n random bytes (at most 64) as 2n lower-case hex digits and a NUL in out: short ids. */
enum tg_err secret_random_hex(size_t n, char *out);

#define TG_SECRET_HASH_LEN 32

/* SHA-256 of a bearer credential, the only form of it that is stored (API keys, refresh tokens). */
enum tg_err secret_hash(const void *p, size_t len, unsigned char out[TG_SECRET_HASH_LEN]);
/* HMAC-SHA-256 (RFC 2104) of p under key; TG_ERR_INVALID for a key shorter than its output. */
enum tg_err secret_hmac(const struct tg_secret *key, const void *p, size_t len,
			unsigned char out[TG_SECRET_HASH_LEN]);


#define TG_SECRET_SHA1_LEN 20
#define TG_SECRET_SHA1_KEY_MIN 16 /* RFC 4226 section 4 R6: a shared secret of at least 128 bits */

/*
 * HMAC-SHA-1 (RFC 2104), for HOTP/TOTP alone (RFC 4226, 6238: what authenticator apps compute;
 * SHA-1's collisions do not touch HMAC); TG_ERR_INVALID for a key under 16 bytes.
 */
enum tg_err secret_hmac_sha1(const struct tg_secret *key, const void *p, size_t len,
			     unsigned char out[TG_SECRET_SHA1_LEN]);

#endif
