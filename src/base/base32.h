/*
 * Strict base32 (RFC 4648 section 6, the A-Z2-7 alphabet), written without padding as otpauth
 * URIs carry TOTP secrets; recovery codes are drawn from its alphabet. No I/O.
 */
#ifndef TG_BASE32_H
#define TG_BASE32_H

#include "base/tokengate.h"

/*
 * Upper or lower case decode alike (people type secrets and codes); TG_ERR_INVALID for '=',
 * whitespace, '-', any byte outside the alphabet, a length of 1, 3 or 6 mod 8 (no byte string
 * encodes to it) and non-zero unused trailing bits (a second spelling of the same bytes).
 * On success *out is malloc'd, NUL-terminated one past *outlen, owned by the caller, and
 * released with secret_free_buf(*out, *outlen + 1): decoded bytes are usually a secret.
 */
enum tg_err base32_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen);

/*
 * Upper case, no padding; malloc'd and NUL-terminated, never NULL. The text is as secret as the
 * bytes: release it with secret_free_str.
 */
char *base32_encode(const unsigned char *in, size_t len);

#endif
