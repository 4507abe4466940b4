/*
 * Compact JWS (RFC 7515 section 7.1): structural and header rules, signature
 * verification and signing through OpenSSL EVP with each key's prepared state.
 * Verdict sentences never quote the token; key lookup and claims live elsewhere.
 */
#include "jose/jws.h"

#include "base/b64url.h"
#include "base/json_strict.h"
#include "base/secret.h"

#include <json-c/json.h>
#include <openssl/ec.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ES_DER_MAX 160 /* DER of two 66-byte integers with their headers */

void
jws_free(struct jws *j)
{
	if (!j)
		return;
	json_object_put(j->header);
	json_object_put(j->payload);
	free(j->sig);
	free(j);
}

/*
 * One base64url segment holding a JSON object (RFC 7515 section 5.2 steps 2-4, 6). No string in
 * it may hold U+0000: iss, sub, kid and every claim reach C string compares and the app's
 * environment, where "alice\u0000@evil.example" would be "alice" (TG_ERR_UNSUPPORTED, why names it).
 */
static enum tg_err
decode_object(const char *seg, size_t len, struct json_object **out, struct tg_why *why)
{
	unsigned char *buf = NULL;
	size_t buflen = 0;
	struct json_object *o = NULL;
	enum tg_err rc;

	rc = b64url_decode(seg, len, &buf, &buflen);
	if (rc != TG_OK)
		goto out;
	rc = json_strict_parse_no_nul((const char *)buf, buflen, &o, why);
	if (rc != TG_OK)
		goto out;
	if (!json_object_is_type(o, json_type_object)) {
		rc = TG_ERR_INVALID;
		goto out;
	}
	*out = o;
	o = NULL;
out:
	json_object_put(o);
	free(buf);
	return rc;
}

/* A segment decode_object refused: a U+0000 is named where it is, anything else is not JSON. */
static enum tg_err
segment_refused(struct tg_verdict *v, const char *which, enum tg_err rc, const struct tg_why *why)
{
	if (rc == TG_ERR_UNSUPPORTED)
		return tg_reject(v, TG_R_MALFORMED, "the token %s is refused: %s (NUL)", which,
				 why->text);
	return tg_reject(v, TG_R_MALFORMED, "the token %s is not base64url of a JSON object", which);
}

/* A string member; decode_object refused any with a U+0000 inside. */
static const char *
header_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* RFC 7515 section 4.1, RFC 8725 section 3.1: the header rules, in the order reported. */
static enum tg_err
check_header(struct jws *j, struct tg_verdict *v)
{
	struct json_object *m;
	const char *alg;

	if (!json_object_object_get_ex(j->header, "alg", &m))
		return tg_reject(v, TG_R_MALFORMED, "the token header has no alg");
	alg = header_string(m);
	if (!alg)
		return tg_reject(v, TG_R_MALFORMED, "the token header's alg is not a string");
	if (strcasecmp(alg, "none") == 0)
		return tg_reject(v, TG_R_UNSUPPORTED_ALG,
				 "unsecured tokens (alg none) are refused");
	if (alg_from_name(alg, &j->alg) != TG_OK)
		return tg_reject(v, TG_R_UNSUPPORTED_ALG,
				 "the token's alg is not on the allowlist");
	/* Section 4.1.11: we understand no extension, so any crit makes the token unusable. */
	if (json_object_object_get_ex(j->header, "crit", NULL))
		return tg_reject(v, TG_R_UNSUPPORTED_HEADER,
				 "the token header has crit extensions");
	/* RFC 7797: an unencoded payload changes the signing input; only the default is taken. */
	if (json_object_object_get_ex(j->header, "b64", &m) &&
	    !(json_object_is_type(m, json_type_boolean) && json_object_get_boolean(m)))
		return tg_reject(v, TG_R_UNSUPPORTED_HEADER,
				 "unencoded payloads (b64) are refused");
	if (json_object_object_get_ex(j->header, "typ", &m)) {
		j->typ = header_string(m);
		if (!j->typ)
			return tg_reject(v, TG_R_MALFORMED, "the token header's typ is not a string");
	}
	if (json_object_object_get_ex(j->header, "kid", &m)) {
		j->kid = header_string(m);
		if (!j->kid || j->kid[0] == '\0' || strlen(j->kid) > TG_KID_MAX)
			return tg_reject(v, TG_R_MALFORMED,
					 "the token's kid must be a string of 1 to 128 characters");
	}
	return TG_OK;
}

enum tg_err
jws_parse(const char *token, size_t len, struct jws **out, struct tg_verdict *v)
{
	const char *dot1, *dot2, *sig;
	struct jws *j = NULL;
	struct tg_why why;
	enum tg_err rc;

	if (len > TG_JWS_MAX_LEN)
		return tg_reject(v, TG_R_TOO_LARGE, "the token is longer than 8192 bytes");
	/* Section 7.1: exactly three segments; a fourth or fifth means JWE or garbage. */
	dot1 = token ? memchr(token, '.', len) : NULL;
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	sig = dot2 ? dot2 + 1 : NULL;
	if (!dot2 || memchr(sig, '.', len - (size_t)(sig - token)))
		return tg_reject(v, TG_R_MALFORMED,
				 "the token is not three dot-separated segments");
	j = tg_xcalloc(1, sizeof(*j));
	rc = decode_object(token, (size_t)(dot1 - token), &j->header, &why);
	if (rc != TG_OK) {
		rc = segment_refused(v, "header", rc, &why);
		goto out;
	}
	rc = check_header(j, v);
	if (rc != TG_OK)
		goto out;
	rc = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1), &j->payload, &why);
	if (rc != TG_OK) {
		rc = segment_refused(v, "payload", rc, &why);
		goto out;
	}
	if (b64url_decode(sig, len - (size_t)(sig - token), &j->sig, &j->siglen) != TG_OK ||
	    j->siglen == 0) {
		rc = tg_reject(v, TG_R_MALFORMED, "the token signature is empty or not base64url");
		goto out;
	}
	j->signing_input_len = (size_t)(dot2 - token);
	*out = j;
	j = NULL;
out:
	jws_free(j);
	return rc;
}

/* Backstop behind keys.c: the key's type must be the one its algorithm needs. */
static bool
key_fits(const struct tg_key *key)
{
	int id = key->pkey ? EVP_PKEY_get_id(key->pkey) : 0;

	switch (alg_family(key->alg)) {
	case TG_FAMILY_HMAC: return !key->pkey && key->mac && key->alg != TG_ALG_INVALID;
	case TG_FAMILY_RSA: return id == EVP_PKEY_RSA && key->verify;
	case TG_FAMILY_RSA_PSS:
		return (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) && key->verify;
	case TG_FAMILY_EC: return id == EVP_PKEY_EC && key->verify;
	case TG_FAMILY_OKP: return id == EVP_PKEY_ED25519 && key->verify;
	case TG_FAMILY_NONE: return false;
	}
	return false;
}

static enum tg_err
hmac(const struct tg_key *key, const unsigned char *msg, size_t msglen, unsigned char *tag,
     size_t *taglen, size_t tagsize)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(key->mac);
	enum tg_err rc = TG_ERR_CRYPTO;

	if (ctx && EVP_MAC_update(ctx, msg, msglen) == 1 &&
	    EVP_MAC_final(ctx, tag, taglen, tagsize) == 1)
		rc = TG_OK;
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* RFC 7518 section 3.4: R||S, each exactly half of sig, becomes the DER OpenSSL verifies. */
static bool
ecdsa_raw_to_der(const unsigned char *sig, size_t siglen, unsigned char *der, size_t *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(siglen / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL);
	unsigned char *p = der;
	bool is_ok = false;
	int n;

	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || n > ES_DER_MAX || i2d_ECDSA_SIG(es, &p) != n)
		goto out;
	*derlen = (size_t)n;
	is_ok = true;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return is_ok;
}

/* The key's prepared context, copied: const copies of one template are safe across threads. */
static enum tg_err
digest_verify(const struct tg_key *key, const unsigned char *msg, size_t msglen,
	      const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	enum tg_err rc = TG_ERR_CRYPTO;

	if (mctx && EVP_MD_CTX_copy_ex(mctx, key->verify) == 1) {
		/* 0 is a wrong signature; negative values are malformed ones (bad length, DER). */
		int res = EVP_DigestVerify(mctx, sig, siglen, msg, msglen);

		rc = res == 1 ? TG_OK : TG_ERR_REJECTED;
	}
	EVP_MD_CTX_free(mctx);
	return rc;
}

enum tg_err
jws_verify_raw(const struct tg_key *key, const unsigned char *msg, size_t msglen,
	       const unsigned char *sig, size_t siglen)
{
	unsigned char tag[EVP_MAX_MD_SIZE], der[ES_DER_MAX];
	size_t taglen = 0, derlen = 0;
	enum tg_err rc;

	if (!key || !key_fits(key) || (!msg && msglen) || !sig)
		return TG_ERR_INVALID;
	switch (alg_family(key->alg)) {
	case TG_FAMILY_HMAC:
		/* RFC 7518 section 3.2: the full, untruncated tag, compared in constant time. */
		if (siglen != alg_hash_len(key->alg))
			return TG_ERR_REJECTED;
		rc = hmac(key, msg, msglen, tag, &taglen, sizeof(tag));
		if (rc == TG_OK && !secret_equal(tag, taglen, sig, siglen))
			rc = TG_ERR_REJECTED;
		secret_wipe(tag, sizeof(tag));
		return rc;
	case TG_FAMILY_EC:
		/* A DER signature or any other length is not the JWS encoding. */
		if (siglen != alg_ecdsa_sig_len(key->alg))
			return TG_ERR_REJECTED;
		if (!ecdsa_raw_to_der(sig, siglen, der, &derlen))
			return TG_ERR_CRYPTO;
		return digest_verify(key, msg, msglen, der, derlen);
	case TG_FAMILY_RSA:
	case TG_FAMILY_RSA_PSS:
	case TG_FAMILY_OKP: break;
	case TG_FAMILY_NONE: return TG_ERR_INVALID;
	}
	return digest_verify(key, msg, msglen, sig, siglen);
}

enum tg_err
jws_verify(const struct jws *j, const char *token, const struct tg_key *key, struct tg_verdict *v)
{
	enum tg_err rc;

	if (!j || !token || !key)
		return tg_reject(v, TG_R_INTERNAL, "verification was called without token or key");
	/* RFC 8725 section 3.1: the key decides the algorithm; the header only has to agree. */
	if (!alg_is_same(key->alg, j->alg))
		return tg_reject(v, TG_R_ALG_MISMATCH,
				 "the token's alg is not the key's algorithm");
	if (!key_fits(key))
		return tg_reject(v, TG_R_ALG_MISMATCH,
				 "the key's type does not fit the token's alg");
	rc = jws_verify_raw(key, (const unsigned char *)token, j->signing_input_len, j->sig,
			    j->siglen);
	if (rc == TG_OK)
		return TG_OK;
	if (rc == TG_ERR_REJECTED)
		return tg_reject(v, TG_R_BAD_SIGNATURE, "the token's signature does not verify");
	return tg_reject(v, TG_R_INTERNAL, "the signature could not be checked");
}

/* ---------------------------------------------------------------- signing */

/* DER from OpenSSL back to the fixed-length R||S of RFC 7518 section 3.4. */
static bool
ecdsa_der_to_raw(const unsigned char *der, size_t derlen, unsigned char *raw, size_t rawlen)
{
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)derlen);
	const BIGNUM *r, *s;
	bool is_ok;

	if (!es)
		return false;
	ECDSA_SIG_get0(es, &r, &s);
	is_ok = BN_bn2binpad(r, raw, (int)(rawlen / 2)) > 0 &&
		BN_bn2binpad(s, raw + rawlen / 2, (int)(rawlen / 2)) > 0;
	ECDSA_SIG_free(es);
	return is_ok;
}

/* Copies the key's prepared signing context, as digest_verify does. */
static enum tg_err
digest_sign(const struct tg_key *key, const unsigned char *msg, size_t msglen, unsigned char **sig,
	    size_t *siglen)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char *buf = NULL;
	size_t len = 0;
	enum tg_err rc = TG_ERR_CRYPTO;

	if (!mctx || EVP_MD_CTX_copy_ex(mctx, key->sign) != 1 ||
	    EVP_DigestSign(mctx, NULL, &len, msg, msglen) != 1)
		goto out;
	buf = tg_xmalloc(len);
	if (EVP_DigestSign(mctx, buf, &len, msg, msglen) != 1)
		goto out;
	*sig = buf;
	*siglen = len;
	buf = NULL;
	rc = TG_OK;
out:
	free(buf);
	EVP_MD_CTX_free(mctx);
	return rc;
}

static enum tg_err
sign_raw(const struct tg_key *key, const unsigned char *msg, size_t msglen, unsigned char **sig,
	 size_t *siglen)
{
	unsigned char *der = NULL, *raw;
	size_t derlen = 0, rawlen = alg_ecdsa_sig_len(key->alg);
	enum tg_err rc;

	if (alg_family(key->alg) == TG_FAMILY_HMAC) {
		*sig = tg_xmalloc(EVP_MAX_MD_SIZE);
		rc = hmac(key, msg, msglen, *sig, siglen, EVP_MAX_MD_SIZE);
		if (rc != TG_OK)
			free(*sig);
		return rc;
	}
	if (!key->is_private || !key->sign)
		return TG_ERR_INVALID;
	rc = digest_sign(key, msg, msglen, &der, &derlen);
	if (rc != TG_OK || alg_family(key->alg) != TG_FAMILY_EC) {
		*sig = der;
		*siglen = derlen;
		return rc;
	}
	raw = tg_xmalloc(rawlen);
	if (!ecdsa_der_to_raw(der, derlen, raw, rawlen)) {
		free(raw);
		free(der);
		return TG_ERR_CRYPTO;
	}
	free(der);
	*sig = raw;
	*siglen = rawlen;
	return TG_OK;
}

static char *
b64_json(const struct json_object *o)
{
	/* json-c's printer wants a mutable object (it caches the text); the value is unchanged. */
	struct json_object *m = (struct json_object *)(uintptr_t)o;
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	return b64url_encode((const unsigned char *)s, len);
}

enum tg_err
jws_sign_typed(const struct tg_key *key, const char *typ, const struct json_object *payload,
	       char **out)
{
	struct json_object *h = NULL;
	char *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	enum tg_err rc = TG_ERR_INVALID;

	if (!key || !key_fits(key) || !typ || !payload ||
	    !json_object_is_type(payload, json_type_object))
		goto out;
	h = json_object_new_object();
	json_object_object_add(h, "alg", json_object_new_string(alg_name(key->alg)));
	json_object_object_add(h, "typ", json_object_new_string(typ));
	if (key->kid)
		json_object_object_add(h, "kid", json_object_new_string(key->kid));
	h64 = b64_json(h);
	p64 = b64_json(payload);
	input = tg_xasprintf("%s.%s", h64, p64);
	rc = sign_raw(key, (const unsigned char *)input, strlen(input), &sig, &siglen);
	if (rc != TG_OK)
		goto out;
	s64 = b64url_encode(sig, siglen);
	*out = tg_xasprintf("%s.%s", input, s64);
out:
	json_object_put(h);
	free(h64);
	free(p64);
	free(s64);
	free(input);
	secret_free_buf(sig, siglen);
	return rc;
}

enum tg_err
jws_sign(const struct tg_key *key, const struct json_object *payload, char **out)
{
	return jws_sign_typed(key, "JWT", payload, out);
}

/* RFC 7515 4.1.9: "application/" may be left out when no other '/' follows. */
static const char *
media_subtype(const char *typ)
{
	static const char prefix[] = "application/";

	if (strncasecmp(typ, prefix, sizeof(prefix) - 1) == 0 &&
	    !strchr(typ + sizeof(prefix) - 1, '/'))
		return typ + sizeof(prefix) - 1;
	return typ;
}

bool
jws_typ_is(const char *typ, const char *want)
{
	/* Media types compare case-insensitively (RFC 2045 5.1). */
	return typ && want && strcasecmp(media_subtype(typ), media_subtype(want)) == 0;
}
