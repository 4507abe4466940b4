/*
 * Secret bytes: copied in, compared in constant time, wiped on release; fresh
 * random ones, the hash that is all we store of a bearer credential, the
 * keyed hash a server secret derives values from, and HOTP's HMAC-SHA-1.
 * Nothing here ever prints a secret.
 */
#include "base/secret.h"


#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define RANDOM_MAX 64 /* bytes of one hex-encoded random value */

void
secret_set(struct tg_secret *s, const void *p, size_t len)
{
	s->p = tg_xmalloc(len + 1);
	if (len)
		memcpy(s->p, p, len);
	s->p[len] = '\0';
	s->len = len;
}

void
secret_free(struct tg_secret *s)
{
	secret_free_buf(s->p, s->len + 1);
	s->p = NULL;
	s->len = 0;
}

void
secret_wipe(void *p, size_t n)
{
	if (n)
		OPENSSL_cleanse(p, n);
}

void
secret_free_buf(void *p, size_t n)
{
	OPENSSL_clear_free(p, n);
}

void
secret_free_str(char *s)
{
	if (s)
		secret_free_buf(s, strlen(s) + 1);
}

bool
secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (!a || !b || alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

enum tg_err
secret_random(unsigned char *out, size_t n)
{
	if (n > (size_t)INT32_MAX || RAND_bytes(out, (int)n) != 1)
		return TG_ERR_CRYPTO;
	return TG_OK;
}

enum tg_err
secret_random_hex(size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[RANDOM_MAX];
	enum tg_err rc = n <= sizeof(raw) ? secret_random(raw, n) : TG_ERR_INVALID;

	if (rc != TG_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * n] = '\0';
	secret_wipe(raw, sizeof(raw));
	return TG_OK;
}

enum tg_err
secret_hash(const void *p, size_t len, unsigned char out[TG_SECRET_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) != 1 || n != TG_SECRET_HASH_LEN)
		return TG_ERR_CRYPTO;
	return TG_OK;
}

/*
 * HMAC under md. RFC 2104 section 2 (and RFC 4226 R6 for HOTP): a key shorter than minlen
 * weakens the whole MAC.
 */
static enum tg_err
hmac_with(const EVP_MD *md, size_t minlen, const struct tg_secret *key, const void *p, size_t len,
	  unsigned char *out, unsigned int outlen)
{
	unsigned int n = 0;

	if (!key || !key->p || key->len < minlen || key->len > INT32_MAX)
		return TG_ERR_INVALID;
	if (!HMAC(md, key->p, (int)key->len, p, len, out, &n) || n != outlen)
		return TG_ERR_CRYPTO;
	return TG_OK;
}

enum tg_err
secret_hmac(const struct tg_secret *key, const void *p, size_t len,
	    unsigned char out[TG_SECRET_HASH_LEN])
{
	return hmac_with(EVP_sha256(), TG_SECRET_HASH_LEN, key, p, len, out, TG_SECRET_HASH_LEN);
}

enum tg_err
secret_hmac_sha1(const struct tg_secret *key, const void *p, size_t len,
		 unsigned char out[TG_SECRET_SHA1_LEN])
{
	return hmac_with(EVP_sha1(), TG_SECRET_SHA1_KEY_MIN, key, p, len, out, TG_SECRET_SHA1_LEN);
}
