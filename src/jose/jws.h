/*
 * Compact JWS (RFC 7515): splitting and structural rules for the header, and
 * signing and signature verification through OpenSSL EVP. Knows nothing of
 * tenants, claims policy or where keys come from.
 */
#ifndef TG_JWS_H
#define TG_JWS_H

#include "jose/keys.h"

struct json_object;

#define TG_JWS_MAX_LEN 8192

struct jws {
	struct json_object *header;  /* owned */
	struct json_object *payload; /* owned */
	enum tg_alg alg;
	const char *kid;             /* borrowed from header; NULL when absent */
	const char *typ;             /* borrowed from header; NULL when absent */
	unsigned char *sig;          /* owned, raw signature bytes */
	size_t siglen;
	size_t signing_input_len;    /* bytes of the token before the second '.' */
};

/*
 * Structure and header rules only: at most TG_JWS_MAX_LEN bytes, exactly three
 * strict base64url segments, header and payload strict JSON objects, "alg" a
 * string on the allowlist ("none" in any spelling refused), "kid" a string when
 * present, "typ" a string when present, "crit" refused, "b64" other than
 * true refused. jku/x5u/jwk/x5c are ignored: never used to find or trust a key.
 * TG_ERR_REJECTED with *v filled on a bad token.
 */
enum tg_err jws_parse(const char *token, size_t len, struct jws **out, struct tg_verdict *v);
void jws_free(struct jws *j);

/*
 * Pins the key's single algorithm (key->alg must equal j->alg: alg_mismatch),
 * checks the key type as a backstop, then the signature over the first
 * j->signing_input_len bytes of token. TG_OK or TG_ERR_REJECTED.
 */
enum tg_err jws_verify(const struct jws *j, const char *token, const struct tg_key *key,
		       struct tg_verdict *v);

/* Raw primitive, shared by jws_verify, the Wycheproof tests and the benchmark. */
enum tg_err jws_verify_raw(const struct tg_key *key, const unsigned char *msg, size_t msglen,
			   const unsigned char *sig, size_t siglen);

/*
 * Signs payload with key (HMAC secret or private key) under the header
 * {"alg": key's alg, "typ": typ, "kid": key->kid}. *out is malloc'd.
 */
enum tg_err jws_sign_typed(const struct tg_key *key, const char *typ,
			   const struct json_object *payload, char **out);
/* jws_sign_typed with typ "JWT" (RFC 7519 5.1). */
enum tg_err jws_sign(const struct tg_key *key, const struct json_object *payload, char **out);

/* RFC 9068 section 2.1: the media type of a JWT access token, without "application/". */
#define TG_JWS_TYP_ACCESS "at+jwt"

/*
 * Whether typ names the media type want (RFC 7515 4.1.9): compared without
 * regard to case, an "application/" prefix optional on either side.
 */
bool jws_typ_is(const char *typ, const char *want);

#endif
