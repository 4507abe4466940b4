/*
 * Key material: the only place that parses keys (PEM SPKI/PKCS#1/PKCS#8,
 * JWK, JWKS members, raw HMAC secrets), refuses weak ones, checks that a key
 * can serve exactly its one algorithm, and converts keys to and from the
 * stored form. Never logs or returns key bytes in an error sentence.
 */
#ifndef TG_KEYS_H
#define TG_KEYS_H

#include "base/alg.h"
#include "base/secret.h"
#include "jose/cert.h"

#include <openssl/evp.h>

struct json_object;

#define TG_RSA_MIN_BITS 2048
#define TG_KID_MAX 128

struct tg_key {
	char *kid;
	enum tg_alg alg;
	EVP_PKEY *pkey;          /* RS/PS/ES/EdDSA: public, or private when signing; NULL for HMAC */
	struct tg_secret secret; /* HS*: the secret's exact bytes; empty otherwise */
	bool is_private;         /* pkey holds a private key (gateway signing, `token sign`) */
	bool is_gateway;         /* set by keyring.c: a gateway signing key, so its tokens have a session */
	char *cert_subject;      /* the certificate it came in (--cert, x5c), or NULL */
	int64_t cert_not_after;  /* that certificate's notAfter (Unix time) */
	/*
	 * Prepared once by keys.c, read-only afterwards, so jws.c verifies with
	 * no per-call fetch or re-keying; private to keys.c and jws.c.
	 */
	EVP_MD_CTX *verify;      /* RS/PS/ES/EdDSA: EVP_DigestVerifyInit done, copied for each use */
	EVP_MD_CTX *sign;        /* the same for EVP_DigestSignInit, when pkey is private */
	EVP_MAC_CTX *mac;        /* HS*: HMAC keyed with secret, duplicated for each use */
};

void key_free(struct tg_key *k);

/*
 * Each constructor checks that the material fits alg exactly (family, EC
 * curve, Ed25519, RSA >= TG_RSA_MIN_BITS, HMAC secret >= hash length) and
 * otherwise returns TG_ERR_WEAK_KEY or TG_ERR_INVALID. On failure why gets a
 * sentence an operator can act on, never holding key bytes. kid is copied.
 */
enum tg_err keys_from_secret(const char *kid, enum tg_alg alg, const unsigned char *p, size_t len,
			     struct tg_key **out, struct tg_why *why);
/* PEM: SPKI "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY", or a private key (PKCS#8, PKCS#1, SEC1). */
enum tg_err keys_from_pem(const char *kid, enum tg_alg alg, const char *pem, size_t len,
			  struct tg_key **out, struct tg_why *why);
/* A certificate's public key for alg (the caller judges its validity); its subject is kept. */
enum tg_err keys_from_cert(const char *kid, enum tg_alg alg, const struct tg_cert *c,
			   struct tg_key **out, struct tg_why *why);
/*
 * One JWK (RFC 7517/7518: kty oct, RSA, EC, OKP/Ed25519). alg may be
 * TG_ALG_INVALID to take the JWK's own "alg"; when both are given they must
 * agree. kid NULL takes the JWK's "kid" (required then). Private members
 * ("d") are accepted only when allow_private. With x5c (RFC 7517 section
 * 4.7) the key is the first certificate's, and n/e or x/y beside it must be
 * the same key. EC coordinates shorter than the field are left-padded.
 */
enum tg_err keys_from_jwk(const char *kid, enum tg_alg alg, const struct json_object *jwk,
			  bool allow_private, struct tg_key **out, struct tg_why *why);

/*
 * Stored form: raw secret bytes for HMAC, DER SubjectPublicKeyInfo for public
 * keys, DER PKCS#8 for private keys. *der is owned by the caller as a secret.
 */
enum tg_err keys_export(const struct tg_key *k, struct tg_secret *der);
enum tg_err keys_import(const char *kid, enum tg_alg alg, bool is_private, const unsigned char *der,
			size_t len, struct tg_key **out);

/* The verification-only copy of an asymmetric key (TG_ERR_UNSUPPORTED for HMAC). */
enum tg_err keys_public_half(const struct tg_key *k, struct tg_key **out);
/* Public JWK for a JWKS document (asymmetric keys only; HMAC keys TG_ERR_UNSUPPORTED). */
enum tg_err keys_public_jwk(const struct tg_key *k, struct json_object **out);
/* A fresh key for the gateway to sign with (HMAC: 64 random bytes; ECDSA, EdDSA, RSA 2048-bit). */
enum tg_err keys_generate(const char *kid, enum tg_alg alg, struct tg_key **out);

#endif
