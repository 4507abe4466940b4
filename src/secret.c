/*
 * Secret bytes: copied in, compared in constant time, wiped on release.
 * Nothing here ever prints a secret.
 */
#include "secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

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
	if (s->p)
		OPENSSL_clear_free(s->p, s->len + 1);
	s->p = NULL;
	s->len = 0;
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
