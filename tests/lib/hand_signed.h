/*
 * HS256 tokens signed by hand, with OpenSSL's HMAC directly and not through
 * jws.c: headers and payloads the library would never write (no typ, a NUL,
 * odd members). Header-only, like tap.h; asserts nothing itself.
 */
#ifndef TG_HAND_SIGNED_H
#define TG_HAND_SIGNED_H

#include "base/b64url.h"
#include "base/secret.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* header.payload.HMAC-SHA256 over them under secret, as text; malloc'd. */
static inline char *
hand_signed_hs256(const struct tg_secret *secret, const char *header, const char *payload)
{
	char *h = b64url_encode((const unsigned char *)header, strlen(header));
	char *p = b64url_encode((const unsigned char *)payload, strlen(payload));
	char *input = tg_xasprintf("%s.%s", h, p), *s, *tok;
	unsigned char tag[32];
	size_t taglen = 0;

	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret->p, secret->len,
		  (const unsigned char *)input, strlen(input), tag, sizeof(tag), &taglen);
	s = b64url_encode(tag, taglen);
	tok = tg_xasprintf("%s.%s", input, s);
	free(h);
	free(p);
	free(s);
	free(input);
	return tok;
}

#endif
