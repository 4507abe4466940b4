/*
 * Strict base64url (RFC 4648 section 5, no padding, RFC 7515 section 2):
 * a decoder that accepts only the canonical encoding of some byte string.
 */
#ifndef TG_B64URL_H
#define TG_B64URL_H

#include "base/tokengate.h"

/*
 * Rejects (TG_ERR_INVALID) '=', '+', '/', whitespace, any byte outside
 * [A-Za-z0-9_-], a length of 1 mod 4 and non-zero unused trailing bits.
 * On success *out is malloc'd, NUL-terminated one past *outlen (so decoded
 * JSON can be handed to a parser as a string), and owned by the caller (free()).
 */
enum tg_err b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen);

/* Returns a malloc'd NUL-terminated encoding, never NULL. */
char *b64url_encode(const unsigned char *in, size_t len);

/* n random bytes (at most 64) from secret.c's CSPRNG, encoded, malloc'd: ids, tokens, API keys. */
enum tg_err b64url_random(size_t n, char **out);

#endif
