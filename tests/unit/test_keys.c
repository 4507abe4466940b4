/*
 * keys.c against real OpenSSL keys made at test time and the RFC example
 * JWKs: every accepted form, every weak or mismatched key refused by name,
 * stored-form and public-JWK round trips, and sentences free of key bytes.
 */
#include "base/b64url.h"
#include "jose/jws.h"
#include "jose/keys.h"

#include "../lib/tap.h"
#include "../lib/vectors.h"

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdint.h>

/* ---------------------------------------------------------------- helpers */

/* EVP_PKEY_Q_keygen takes a size only for "RSA"; "RSA-PSS" goes through the long way. */
static EVP_PKEY *
gen_rsa(const char *type, unsigned int bits)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) != 1 ||
	    EVP_PKEY_generate(ctx, &pkey) != 1)
		diag("cannot generate a %u-bit %s key", bits, type);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *
gen_ec(const char *group)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
}

static EVP_PKEY *
gen_plain(const char *type)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

/* PEM text of pkey in the given structure; malloc'd. */
static char *
pem(EVP_PKEY *pkey, int selection, const char *structure)
{
	OSSL_ENCODER_CTX *ectx;
	unsigned char *buf = NULL;
	size_t len = 0;
	char *s;

	ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", structure, NULL);
	if (!ectx || OSSL_ENCODER_to_data(ectx, &buf, &len) != 1) {
		OSSL_ENCODER_CTX_free(ectx);
		return tg_xstrdup("");
	}
	OSSL_ENCODER_CTX_free(ectx);
	s = tg_xstrndup((const char *)buf, len);
	OPENSSL_free(buf);
	return s;
}

/* PKCS#8 encrypted under a passphrase, as an operator might paste by mistake. */
static char *
encrypted_pem(EVP_PKEY *pkey)
{
	OSSL_ENCODER_CTX *ectx;
	unsigned char *buf = NULL;
	size_t len = 0;
	char *s = tg_xstrdup("");

	ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "PEM",
					     "EncryptedPrivateKeyInfo", NULL);
	if (ectx && OSSL_ENCODER_CTX_set_cipher(ectx, "AES-256-CBC", NULL) == 1 &&
	    OSSL_ENCODER_CTX_set_passphrase(ectx, (const unsigned char *)"pw", 2) == 1 &&
	    OSSL_ENCODER_to_data(ectx, &buf, &len) == 1) {
		free(s);
		s = tg_xstrndup((const char *)buf, len);
	}
	OPENSSL_free(buf);
	OSSL_ENCODER_CTX_free(ectx);
	return s;
}

static char *
spki_pem(EVP_PKEY *pkey)
{
	return pem(pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
}

/* Loads pem as alg; returns the error code, and the key through *out when wanted. */
static enum tg_err
load_pem(enum tg_alg alg, const char *text, struct tg_key **out, struct tg_why *why)
{
	struct tg_key *k = NULL;
	enum tg_err rc;

	why->text[0] = '\0';
	rc = keys_from_pem("k1", alg, text, strlen(text), &k, why);
	if (out)
		*out = k;
	else
		key_free(k);
	return rc;
}

/* Signs and verifies one message, so a key is shown to work and not only to load. */
static bool
sign_verify(const struct tg_key *signer, const struct tg_key *verifier)
{
	struct json_object *p = json_object_new_object();
	struct jws *j = NULL;
	struct tg_verdict v;
	char *tok = NULL;
	bool is_ok;

	json_object_object_add(p, "sub", json_object_new_string("alice"));
	is_ok = jws_sign(signer, p, &tok) == TG_OK &&
		jws_parse(tok, strlen(tok), &j, &v) == TG_OK &&
		jws_verify(j, tok, verifier, &v) == TG_OK;
	jws_free(j);
	free(tok);
	json_object_put(p);
	return is_ok;
}

static struct json_object *
parse(const char *text)
{
	return json_tokener_parse(text);
}

/* A copy of jwk with one member set (or removed, when value is NULL). */
static struct json_object *
jwk_with(const struct json_object *jwk, const char *name, struct json_object *value)
{
	struct json_object *c = NULL;

	json_object_deep_copy((struct json_object *)(uintptr_t)jwk, &c, NULL);
	if (value)
		json_object_object_add(c, name, value);
	else
		json_object_object_del(c, name);
	return c;
}

static enum tg_err
load_jwk(enum tg_alg alg, struct json_object *jwk_owned, bool allow_private, struct tg_why *why)
{
	struct tg_key *k = NULL;
	enum tg_err rc;

	why->text[0] = '\0';
	rc = keys_from_jwk("k1", alg, jwk_owned, allow_private, &k, why);
	key_free(k);
	json_object_put(jwk_owned);
	return rc;
}

static enum tg_err
load_jwk_text(enum tg_alg alg, const char *text, bool allow_private, struct tg_why *why)
{
	return load_jwk(alg, parse(text), allow_private, why);
}

/* ---------------------------------------------------------------- PEM */

/* RSA in every PEM form the header lists, and the RSA refusals. */
static void
test_pem_rsa(void)
{
	EVP_PKEY *rsa = gen_rsa("RSA", 2048), *rsa1024 = gen_rsa("RSA", 1024);
	EVP_PKEY *pss = gen_rsa("RSA-PSS", 2048);
	struct tg_key *pub = NULL, *priv = NULL;
	struct tg_why why;
	char *s;

	s = spki_pem(rsa);
	is_int(load_pem(TG_ALG_RS256, s, &pub, &why), TG_OK, "SPKI RSA PEM loads as RS256");
	ok(pub && !pub->is_private && pub->alg == TG_ALG_RS256 && strcmp(pub->kid, "k1") == 0,
	   "SPKI key is public, RS256, kid copied");
	is_int(load_pem(TG_ALG_PS256, s, NULL, &why), TG_OK, "a plain RSA key also serves PS256");
	is_int(load_pem(TG_ALG_ES256, s, NULL, &why), TG_ERR_INVALID, "RSA key refused for ES256");
	is_int(load_pem(TG_ALG_EDDSA, s, NULL, &why), TG_ERR_INVALID, "RSA key refused for EdDSA");
	is_int(load_pem(TG_ALG_HS256, s, NULL, &why), TG_ERR_INVALID,
	       "a PEM public key is never an HMAC secret (key confusion)");
	free(s);

	s = pem(rsa, EVP_PKEY_PUBLIC_KEY, "type-specific");
	ok(strstr(s, "BEGIN RSA PUBLIC KEY") != NULL, "encoder wrote a PKCS#1 RSA PUBLIC KEY");
	is_int(load_pem(TG_ALG_RS512, s, NULL, &why), TG_OK, "PKCS#1 RSA PUBLIC KEY loads");
	free(s);

	s = pem(rsa, EVP_PKEY_KEYPAIR, "PrivateKeyInfo");
	ok(strstr(s, "BEGIN PRIVATE KEY") != NULL, "encoder wrote a PKCS#8 PRIVATE KEY");
	is_int(load_pem(TG_ALG_RS256, s, &priv, &why), TG_OK, "PKCS#8 RSA private key loads");
	ok(priv && priv->is_private, "PKCS#8 key is private");
	ok(sign_verify(priv, pub), "PKCS#8 private key signs what the SPKI public key verifies");
	key_free(priv);
	priv = NULL;
	free(s);

	s = pem(rsa, EVP_PKEY_KEYPAIR, "type-specific");
	ok(strstr(s, "BEGIN RSA PRIVATE KEY") != NULL, "encoder wrote a PKCS#1 RSA PRIVATE KEY");
	is_int(load_pem(TG_ALG_RS256, s, &priv, &why), TG_OK, "PKCS#1 RSA private key loads");
	ok(priv && priv->is_private && sign_verify(priv, pub), "PKCS#1 private key signs");
	key_free(priv);
	priv = NULL;
	key_free(pub);
	pub = NULL;
	free(s);

	s = spki_pem(rsa1024);
	is_int(load_pem(TG_ALG_RS256, s, NULL, &why), TG_ERR_WEAK_KEY,
	       "RSA 1024 refused for RS256");
	ok(strstr(why.text, "2048"), "the sentence names the minimum: %s", why.text);
	is_int(load_pem(TG_ALG_PS256, s, NULL, &why), TG_ERR_WEAK_KEY,
	       "RSA 1024 refused for PS256");
	free(s);

	s = spki_pem(pss);
	is_int(load_pem(TG_ALG_PS256, s, &pub, &why), TG_OK, "RSA-PSS key loads for PS256");
	is_int(load_pem(TG_ALG_RS256, s, NULL, &why), TG_ERR_INVALID,
	       "RSA-PSS key refused for RS256 (PKCS#1 v1.5)");
	free(s);
	s = pem(pss, EVP_PKEY_KEYPAIR, "PrivateKeyInfo");
	is_int(load_pem(TG_ALG_PS256, s, &priv, &why), TG_OK, "RSA-PSS private key loads");
	ok(priv && sign_verify(priv, pub), "RSA-PSS key signs and verifies PS256");
	key_free(priv);
	priv = NULL;
	key_free(pub);
	pub = NULL;
	free(s);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(pss);
}

/* EC and OKP keys: each curve serves exactly its own algorithm. */
static void
test_pem_ec_okp(void)
{
	EVP_PKEY *p256 = gen_ec("P-256"), *p384 = gen_ec("P-384"), *ed = gen_plain("ED25519");
	EVP_PKEY *ed448 = gen_plain("ED448"), *x25519 = gen_plain("X25519");
	struct tg_key *pub = NULL, *priv = NULL;
	struct tg_why why;
	char *s;

	s = spki_pem(p256);
	is_int(load_pem(TG_ALG_ES256, s, &pub, &why), TG_OK, "P-256 SPKI loads for ES256");
	is_int(load_pem(TG_ALG_ES384, s, NULL, &why), TG_ERR_INVALID, "P-256 refused for ES384");
	is_int(load_pem(TG_ALG_ES512, s, NULL, &why), TG_ERR_INVALID, "P-256 refused for ES512");
	is_int(load_pem(TG_ALG_RS256, s, NULL, &why), TG_ERR_INVALID, "EC key refused for RS256");
	free(s);
	s = pem(p256, EVP_PKEY_KEYPAIR, "type-specific");
	ok(strstr(s, "BEGIN EC PRIVATE KEY") != NULL, "encoder wrote a SEC1 EC PRIVATE KEY");
	is_int(load_pem(TG_ALG_ES256, s, &priv, &why), TG_OK, "SEC1 EC private key loads");
	ok(priv && sign_verify(priv, pub), "SEC1 key signs what the SPKI key verifies");
	key_free(priv);
	priv = NULL;
	key_free(pub);
	pub = NULL;
	free(s);

	s = spki_pem(p384);
	is_int(load_pem(TG_ALG_ES384, s, NULL, &why), TG_OK, "P-384 SPKI loads for ES384");
	is_int(load_pem(TG_ALG_ES256, s, NULL, &why), TG_ERR_INVALID, "P-384 refused for ES256");
	free(s);

	s = spki_pem(ed);
	is_int(load_pem(TG_ALG_EDDSA, s, NULL, &why), TG_OK, "Ed25519 SPKI loads for EdDSA");
	is_int(load_pem(TG_ALG_ES256, s, NULL, &why), TG_ERR_INVALID, "Ed25519 refused for ES256");
	free(s);
	s = pem(ed, EVP_PKEY_KEYPAIR, "PrivateKeyInfo");
	is_int(load_pem(TG_ALG_EDDSA, s, NULL, &why), TG_OK, "Ed25519 PKCS#8 loads");
	free(s);
	s = spki_pem(ed448);
	is_int(load_pem(TG_ALG_EDDSA, s, NULL, &why), TG_ERR_INVALID, "Ed448 refused for EdDSA");
	free(s);
	s = spki_pem(x25519);
	is_int(load_pem(TG_ALG_EDDSA, s, NULL, &why), TG_ERR_INVALID, "X25519 refused for EdDSA");
	free(s);

	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ed448);
	EVP_PKEY_free(x25519);
}

/* PEM input that is not a usable key, and constructor arguments that are refused. */
static void
test_pem_refusals(void)
{
	EVP_PKEY *rsa = gen_rsa("RSA", 2048), *p256 = gen_ec("P-256");
	struct tg_key *pub = NULL;
	struct tg_why why;
	char *s;

	s = encrypted_pem(p256);
	ok(strstr(s, "BEGIN ENCRYPTED PRIVATE KEY") != NULL,
	   "encoder wrote an ENCRYPTED PRIVATE KEY");
	is_int(load_pem(TG_ALG_ES256, s, NULL, &why), TG_ERR_INVALID,
	       "ENCRYPTED PRIVATE KEY refused (no passphrase prompt)");
	free(s);
	is_int(load_pem(TG_ALG_RS256,
			"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
			"DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n"
			"-----END RSA PRIVATE KEY-----\n",
			NULL, &why),
	       TG_ERR_INVALID, "legacy encrypted PEM (Proc-Type) refused");
	is_int(load_pem(TG_ALG_RS256,
			"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", NULL,
			&why),
	       TG_ERR_INVALID, "CERTIFICATE block refused");
	is_int(load_pem(TG_ALG_RS256, "not a key at all", NULL, &why), TG_ERR_INVALID,
	       "text without PEM refused");
	is_int(load_pem(TG_ALG_RS256,
			"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", NULL, &why),
	       TG_ERR_INVALID, "PUBLIC KEY block holding garbage DER refused");
	s = spki_pem(rsa);
	is_int(keys_from_pem("k1", TG_ALG_INVALID, s, strlen(s), &pub, &why), TG_ERR_INVALID,
	       "PEM without an algorithm refused");
	is_int(keys_from_pem("", TG_ALG_RS256, s, strlen(s), &pub, &why), TG_ERR_INVALID,
	       "empty kid refused");
	{
		char kid[TG_KID_MAX + 2];

		memset(kid, 'a', sizeof(kid) - 1);
		kid[sizeof(kid) - 1] = '\0';
		is_int(keys_from_pem(kid, TG_ALG_RS256, s, strlen(s), &pub, &why), TG_ERR_INVALID,
		       "kid of 129 characters refused");
		kid[TG_KID_MAX] = '\0';
		is_int(keys_from_pem(kid, TG_ALG_RS256, s, strlen(s), &pub, &why), TG_OK,
		       "kid of 128 characters accepted");
		key_free(pub);
		pub = NULL;
	}
	free(s);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
}

/* ---------------------------------------------------------------- secrets */

static void
test_secret(void)
{
	static const struct {
		enum tg_alg alg;
		size_t min;
	} hs[] = { { TG_ALG_HS256, 32 }, { TG_ALG_HS384, 48 }, { TG_ALG_HS512, 64 } };
	unsigned char buf[128];
	struct tg_key *k = NULL;
	struct tg_why why;

	memset(buf, 0x5a, sizeof(buf));
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		is_int(keys_from_secret("k", hs[i].alg, buf, hs[i].min - 1, &k, &why),
		       TG_ERR_WEAK_KEY, "%s secret of %zu bytes refused (shorter than the hash)",
		       alg_name(hs[i].alg), hs[i].min - 1);
		is_int(keys_from_secret("k", hs[i].alg, buf, hs[i].min, &k, &why), TG_OK,
		       "%s secret of %zu bytes accepted", alg_name(hs[i].alg), hs[i].min);
		ok(k && k->secret.len == hs[i].min && !k->pkey && !k->is_private,
		   "%s key holds the exact secret and no EVP_PKEY", alg_name(hs[i].alg));
		key_free(k);
		k = NULL;
	}
	is_int(keys_from_secret("k", TG_ALG_RS256, buf, 64, &k, &why), TG_ERR_INVALID,
	       "a raw secret refused for RS256");
	is_int(keys_from_secret("k", TG_ALG_INVALID, buf, 64, &k, &why), TG_ERR_INVALID,
	       "a raw secret refused without an algorithm");
	is_int(keys_from_secret("k", TG_ALG_HS256, NULL, 0, &k, &why), TG_ERR_WEAK_KEY,
	       "an empty secret refused");
	ok(k == NULL, "no key written on failure");
}

/* ---------------------------------------------------------------- JWK */

/*
 * The RFC example JWKs, public and private, including known-answer signing.
 * Over 80 lines: one straight walk through the vector files reads best whole.
 */
static void
test_jwk_rfc(void)
{
	struct json_object *a = vectors_load("vectors/rfc7515/appendix-a.json");
	struct json_object *rs = vectors_load("vectors/rfc7520/4_1.rsa_v15_signature.json");
	struct json_object *es = vectors_load("vectors/rfc7520/4_3.ecdsa_signature.json");
	struct json_object *hs =
	    vectors_load("vectors/rfc7520/4_4.hmac-sha2_integrity_protection.json");
	struct json_object *ed = vectors_load("vectors/rfc8037/examples.json");
	struct json_object *v, *jwk, *in;
	struct tg_key *k = NULL;
	struct tg_why why;

	json_object_object_get_ex(a, "vectors", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *alg, *name;
		enum tg_alg al = TG_ALG_INVALID;

		json_object_object_get_ex(json_object_array_get_idx(v, i), "jwk", &jwk);
		json_object_object_get_ex(json_object_array_get_idx(v, i), "alg", &alg);
		json_object_object_get_ex(json_object_array_get_idx(v, i), "name", &name);
		alg_from_name(json_object_get_string(alg), &al);
		is_int(keys_from_jwk("rfc", al, jwk, false, &k, &why), TG_OK,
		       "RFC 7515 %s JWK loads", json_object_get_string(name));
		key_free(k);
		k = NULL;
	}

	json_object_object_get_ex(rs, "input", &in);
	json_object_object_get_ex(in, "key", &jwk);
	is_int(keys_from_jwk(NULL, TG_ALG_RS256, jwk, false, &k, &why), TG_ERR_INVALID,
	       "RFC 7520 3.4 RSA private JWK refused when only public keys are allowed");
	ok(strstr(why.text, "private"), "sentence says why: %s", why.text);
	is_int(keys_from_jwk(NULL, TG_ALG_RS256, jwk, true, &k, &why), TG_OK,
	       "RFC 7520 3.4 RSA private JWK loads with allow_private");
	ok(k && k->is_private && strcmp(k->kid, "bilbo.baggins@hobbiton.example") == 0,
	   "kid taken from the JWK, key is private");
	{
		/* RS256 is deterministic: the imported private key must reproduce RFC 7520 4.1. */
		struct json_object *sg, *si, *sig;
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		unsigned char out[512];
		size_t outlen = sizeof(out);
		char *b64;

		json_object_object_get_ex(rs, "signing", &sg);
		json_object_object_get_ex(sg, "sig-input", &si);
		json_object_object_get_ex(sg, "sig", &sig);
		ok(k && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
		       EVP_DigestSign(m, out, &outlen,
				      (const unsigned char *)json_object_get_string(si),
				      (size_t)json_object_get_string_len(si)) == 1,
		   "imported RSA private key signs");
		b64 = b64url_encode(out, outlen);
		is_str(b64, json_object_get_string(sig),
		       "RSA private JWK reproduces the RFC 7520 4.1 signature");
		free(b64);
		EVP_MD_CTX_free(m);
	}
	key_free(k);
	k = NULL;
	is_int(load_jwk(TG_ALG_RS256, jwk_with(jwk, "dp", NULL), true, &why), TG_ERR_INVALID,
	       "RSA private JWK with some but not all CRT members refused");
	{
		/* Private part without CRT values: n, e, d only; then with a d that is not n's. */
		struct json_object *bare = jwk_with(jwk, "p", NULL);
		static const char *const crt[] = { "q", "dp", "dq", "qi" };

		for (size_t i = 0; i < sizeof(crt) / sizeof(crt[0]); i++)
			json_object_object_del(bare, crt[i]);
		is_int(keys_from_jwk(NULL, TG_ALG_RS256, bare, true, &k, &why), TG_OK,
		       "RSA private JWK with n, e, d and no CRT values loads");
		ok(k && sign_verify(k, k), "... and signs verifiably");
		key_free(k);
		k = NULL;
		is_int(load_jwk(TG_ALG_RS256, jwk_with(bare, "d", json_object_new_string("AQAB")), true,
				&why),
		       TG_ERR_INVALID, "RSA private JWK whose d does not belong to n refused");
		ok(strstr(why.text, "does not match"), "sentence says why: %s", why.text);
		json_object_put(bare);
	}
	is_int(load_jwk(TG_ALG_RS256, jwk_with(jwk, "oth", json_object_new_array()), true, &why),
	       TG_ERR_INVALID, "multi-prime RSA JWK (oth) refused");

	json_object_object_get_ex(es, "input", &in);
	json_object_object_get_ex(in, "key", &jwk);
	is_int(keys_from_jwk(NULL, TG_ALG_ES512, jwk, false, &k, &why), TG_ERR_INVALID,
	       "RFC 7520 3.2 EC private JWK refused when only public keys are allowed");
	is_int(keys_from_jwk(NULL, TG_ALG_ES512, jwk, true, &k, &why), TG_OK,
	       "RFC 7520 3.2 EC P-521 private JWK loads with allow_private");
	key_free(k);
	k = NULL;
	is_int(load_jwk(TG_ALG_ES512, jwk_with(jwk, "d", NULL), false, &why), TG_OK,
	       "the same JWK without d loads as a public key");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(jwk, "d", NULL), false, &why), TG_ERR_INVALID,
	       "P-521 JWK refused for ES256 (crv mismatch)");
	is_int(load_jwk(TG_ALG_ES512,
			jwk_with(jwk, "d",
				 json_object_new_string(
				     "AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56Ktsc"
				     "rX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJu")),
			true, &why),
	       TG_ERR_INVALID, "EC private JWK whose d does not match x,y refused");

	json_object_object_get_ex(hs, "input", &in);
	json_object_object_get_ex(in, "key", &jwk);
	is_int(keys_from_jwk(NULL, TG_ALG_INVALID, jwk, false, &k, &why), TG_OK,
	       "RFC 7520 3.5 oct JWK loads with its own alg HS256");
	ok(k && k->alg == TG_ALG_HS256 && k->secret.len == 32,
	   "oct key is HS256 with a 32-byte secret");
	key_free(k);
	k = NULL;
	is_int(load_jwk(TG_ALG_HS384, jwk_with(jwk, "alg", NULL), false, &why), TG_ERR_WEAK_KEY,
	       "a 32-byte oct JWK refused for HS384");
	ok(why.text[0] && !strstr(why.text, "hJtXIZ2u"), "the sentence does not quote the secret");

	json_object_object_get_ex(ed, "examples", &v);
	json_object_object_get_ex(json_object_array_get_idx(v, 0), "jwk", &jwk);
	is_int(keys_from_jwk("ed", TG_ALG_EDDSA, jwk, false, &k, &why), TG_ERR_INVALID,
	       "RFC 8037 Ed25519 private JWK refused when only public keys are allowed");
	is_int(keys_from_jwk("ed", TG_ALG_EDDSA, jwk, true, &k, &why), TG_OK,
	       "RFC 8037 Ed25519 private JWK loads with allow_private");
	key_free(k);
	k = NULL;
	is_int(load_jwk(TG_ALG_EDDSA, jwk_with(jwk, "d", NULL), false, &why), TG_OK,
	       "RFC 8037 Ed25519 public JWK loads");
	is_int(load_jwk(
		   TG_ALG_EDDSA,
		   jwk_with(jwk, "d",
			    json_object_new_string("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2B")),
		   true, &why),
	       TG_ERR_INVALID, "Ed25519 private JWK whose d does not match x refused");

	json_object_put(a);
	json_object_put(rs);
	json_object_put(es);
	json_object_put(hs);
	json_object_put(ed);
}

/*
 * Member rules, each refusal by name, on top of the valid RFC 7515 A.2/A.3 JWKs.
 * Over 80 lines: a flat list of named cases, one per rule.
 */
static void
test_jwk_rules(void)
{
	struct json_object *a = vectors_load("vectors/rfc7515/appendix-a.json"), *v, *ec = NULL,
			   *rsa = NULL;
	struct tg_why why;

	json_object_object_get_ex(a, "vectors", &v);
	json_object_object_get_ex(json_object_array_get_idx(v, 1), "jwk", &rsa);
	json_object_object_get_ex(json_object_array_get_idx(v, 2), "jwk", &ec);

	is_int(
	    load_jwk(TG_ALG_ES256, jwk_with(ec, "use", json_object_new_string("sig")), false, &why),
	    TG_OK, "use sig accepted");
	is_int(
	    load_jwk(TG_ALG_ES256, jwk_with(ec, "use", json_object_new_string("enc")), false, &why),
	    TG_ERR_INVALID, "use enc refused");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "use", json_object_new_int(1)), false, &why),
	       TG_ERR_INVALID, "non-string use refused");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "key_ops", parse("[\"verify\"]")), false, &why),
	       TG_OK, "key_ops [verify] accepted");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "key_ops", parse("[\"encrypt\",\"sign\"]")),
			false, &why),
	       TG_OK, "key_ops with sign accepted");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "key_ops", parse("[\"encrypt\"]")), false, &why),
	       TG_ERR_INVALID, "key_ops without verify refused");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "key_ops", parse("\"verify\"")), false, &why),
	       TG_ERR_INVALID, "key_ops that is not an array refused");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "key_ops", parse("[1]")), false, &why),
	       TG_ERR_INVALID, "key_ops with a non-string refused");
	is_int(load_jwk(TG_ALG_RS256, jwk_with(ec, "kty", NULL), false, &why), TG_ERR_INVALID,
	       "JWK without kty refused");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "kty", json_object_new_int(2)), false, &why),
	       TG_ERR_INVALID, "non-string kty refused");
	is_int(load_jwk(TG_ALG_RS256, jwk_with(ec, "alg", NULL), false, &why), TG_ERR_INVALID,
	       "EC JWK refused for RS256 (kty mismatch)");
	is_int(load_jwk(TG_ALG_HS256, jwk_with(rsa, "alg", NULL), false, &why), TG_ERR_INVALID,
	       "RSA JWK refused for HS256 (kty mismatch)");
	is_int(load_jwk(TG_ALG_EDDSA, jwk_with(ec, "alg", NULL), false, &why), TG_ERR_INVALID,
	       "EC JWK refused for EdDSA (kty mismatch)");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "alg", json_object_new_string("ES256")), false,
			&why),
	       TG_OK, "JWK alg equal to the one asked for accepted");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "alg", json_object_new_string("ES384")), false,
			&why),
	       TG_ERR_INVALID, "JWK alg different from the one asked for refused");
	is_int(load_jwk(TG_ALG_INVALID, jwk_with(ec, "alg", NULL), false, &why), TG_ERR_INVALID,
	       "JWK without alg and none asked for refused");
	is_int(load_jwk(TG_ALG_INVALID, jwk_with(ec, "alg", json_object_new_string("none")), false,
			&why),
	       TG_ERR_INVALID, "JWK alg none refused");
	is_int(load_jwk(TG_ALG_INVALID, jwk_with(ec, "alg", json_object_new_string("es256")), false,
			&why),
	       TG_ERR_INVALID, "JWK alg in the wrong case refused");
	is_int(load_jwk(TG_ALG_INVALID, jwk_with(ec, "alg", json_object_new_string("ES256")), false,
			&why),
	       TG_OK, "JWK's own alg used when none is asked for");
	{
		struct tg_key *k = NULL;
		struct json_object *j = jwk_with(ec, "kid", json_object_new_string("from-jwk"));

		is_int(keys_from_jwk(NULL, TG_ALG_ES256, j, false, &k, &why), TG_OK,
		       "kid from the JWK");
		ok(k && strcmp(k->kid, "from-jwk") == 0, "the JWK's kid is the key's kid");
		key_free(k);
		k = NULL;
		is_int(keys_from_jwk("given", TG_ALG_ES256, j, false, &k, &why), TG_OK,
		       "kid given");
		ok(k && strcmp(k->kid, "given") == 0, "a given kid wins over the JWK's");
		key_free(k);
		k = NULL;
		json_object_put(j);
		is_int(keys_from_jwk(NULL, TG_ALG_ES256, ec, false, &k, &why), TG_ERR_INVALID,
		       "no kid anywhere refused");
		j = jwk_with(ec, "kid", json_object_new_int(7));
		is_int(keys_from_jwk(NULL, TG_ALG_ES256, j, false, &k, &why), TG_ERR_INVALID,
		       "non-string kid refused");
		json_object_put(j);
		j = jwk_with(ec, "kid", json_object_new_string_len("a\0b", 3));
		is_int(keys_from_jwk(NULL, TG_ALG_ES256, j, false, &k, &why), TG_ERR_INVALID,
		       "kid with an embedded NUL refused");
		json_object_put(j);
	}
	/* Strict base64url in key members (RFC 7515 section 2). */
	is_int(load_jwk(
		   TG_ALG_ES256,
		   jwk_with(ec, "x",
			    json_object_new_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=")),
		   false, &why),
	       TG_ERR_INVALID, "x with = padding refused");
	is_int(load_jwk(
		   TG_ALG_ES256,
		   jwk_with(ec, "x",
			    json_object_new_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE+")),
		   false, &why),
	       TG_ERR_INVALID, "x with + refused");
	is_int(load_jwk(
		   TG_ALG_ES256,
		   jwk_with(ec, "x",
			    json_object_new_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEV")),
		   false, &why),
	       TG_ERR_INVALID, "x with non-zero trailing bits refused");
	is_int(
	    load_jwk(TG_ALG_ES256,
		     jwk_with(ec, "x",
			      json_object_new_string("83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")),
		     false, &why),
	    TG_ERR_INVALID, "x of 31 bytes refused (must be a full coordinate)");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "y", NULL), false, &why), TG_ERR_INVALID,
	       "EC JWK without y refused");
	is_int(load_jwk(
		   TG_ALG_ES256,
		   jwk_with(ec, "y",
			    json_object_new_string("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1")),
		   false, &why),
	       TG_ERR_INVALID, "EC point off the curve refused (invalid-curve attack)");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "crv", json_object_new_string("P-384")), false,
			&why),
	       TG_ERR_INVALID, "crv P-384 refused for ES256");
	is_int(load_jwk(TG_ALG_ES256, jwk_with(ec, "crv", json_object_new_string("secp256k1")),
			false, &why),
	       TG_ERR_INVALID, "crv secp256k1 refused");
	is_int(load_jwk(TG_ALG_RS256, jwk_with(rsa, "e", json_object_new_string("AQAB=")), false,
			&why),
	       TG_ERR_INVALID, "RSA e with padding refused");
	is_int(load_jwk(TG_ALG_RS256, jwk_with(rsa, "n", NULL), false, &why), TG_ERR_INVALID,
	       "RSA JWK without n refused");
	is_int(
	    load_jwk(TG_ALG_RS256, jwk_with(rsa, "n", json_object_new_string("AQAB")), false, &why),
	    TG_ERR_WEAK_KEY, "RSA JWK with a tiny n refused as weak");
	is_int(load_jwk(TG_ALG_PS256, jwk_with(rsa, "alg", NULL), false, &why), TG_OK,
	       "RSA JWK serves PS256");
	is_int(load_jwk_text(TG_ALG_HS256, "{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"}", false, &why),
	       TG_ERR_WEAK_KEY, "oct JWK of 5 bytes refused for HS256");
	is_int(load_jwk_text(TG_ALG_HS256, "{\"kty\":\"oct\",\"k\":17}", false, &why),
	       TG_ERR_INVALID, "oct JWK with a non-string k refused");
	is_int(load_jwk_text(TG_ALG_EDDSA, "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAA\"}",
			     false, &why),
	       TG_ERR_INVALID, "OKP crv Ed448 refused");
	is_int(load_jwk_text(TG_ALG_EDDSA,
			     "{\"kty\":\"OKP\",\"crv\":\"X25519\","
			     "\"x\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\"}",
			     false, &why),
	       TG_ERR_INVALID, "OKP crv X25519 refused");
	is_int(
	    load_jwk_text(TG_ALG_EDDSA,
			  "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg\"}",
			  false, &why),
	    TG_ERR_INVALID, "Ed25519 x of 16 bytes refused");
	is_int(load_jwk_text(TG_ALG_RS256, "[1,2]", false, &why), TG_ERR_INVALID,
	       "a JWK that is not an object refused");
	json_object_put(a);
}

/* ---------------------------------------------------------------- stored form, JWKS */

static const enum tg_alg all_algs[] = {
	TG_ALG_HS256, TG_ALG_HS384, TG_ALG_HS512, TG_ALG_RS256, TG_ALG_RS384,
	TG_ALG_RS512, TG_ALG_PS256, TG_ALG_PS384, TG_ALG_PS512, TG_ALG_ES256,
	TG_ALG_ES384, TG_ALG_ES512, TG_ALG_EDDSA,
};

/*
 * For each of the 13 algorithms: generate, export/import (PKCS#8, SPKI), public
 * JWK out and back in, and a JWKS built from them. Over 80 lines: one loop body.
 */
static void
test_round_trips(void)
{
	struct json_object *jwks = json_object_new_object(), *members = json_object_new_array();

	json_object_object_add(jwks, "keys", members);
	for (size_t i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
		enum tg_alg alg = all_algs[i];
		const char *n = alg_name(alg);
		struct tg_key *k = NULL, *back = NULL, *pub = NULL, *pub2 = NULL;
		struct tg_secret der = { 0 }, der2 = { 0 }, pder = { 0 };
		struct json_object *jwk = NULL;
		bool is_hmac = alg_family(alg) == TG_FAMILY_HMAC;

		is_int(keys_generate(n, alg, &k), TG_OK, "%s: generate", n);
		if (!k)
			continue;
		ok(k->alg == alg && strcmp(k->kid, n) == 0 && k->is_private == !is_hmac,
		   "%s: generated key has its alg, kid and private half", n);
		is_int(keys_export(k, &der), TG_OK, "%s: export", n);
		is_int(keys_import(n, alg, !is_hmac, der.p, der.len, &back), TG_OK, "%s: import",
		       n);
		ok(back && keys_export(back, &der2) == TG_OK &&
		       secret_equal(der.p, der.len, der2.p, der2.len),
		   "%s: export of the imported key is byte-identical", n);
		ok(back && sign_verify(back, k) && sign_verify(k, back),
		   "%s: imported key interoperates", n);
		if (is_hmac) {
			struct json_object *o = NULL;

			is_int(keys_public_jwk(k, &o), TG_ERR_UNSUPPORTED,
			       "%s: no public JWK for HMAC", n);
			goto next;
		}
		is_int(keys_import(n, alg, false, der.p, der.len, &pub), TG_ERR_INVALID,
		       "%s: PKCS#8 DER refused where SPKI is expected", n);
		is_int(keys_public_jwk(k, &jwk), TG_OK, "%s: public JWK", n);
		ok(jwk && !json_object_object_get_ex(jwk, "d", NULL), "%s: public JWK has no d", n);
		is_int(keys_from_jwk(NULL, TG_ALG_INVALID, jwk, false, &pub, NULL), TG_OK,
		       "%s: public JWK loads back with its own kid and alg", n);
		ok(pub && !pub->is_private && pub->alg == alg && sign_verify(k, pub),
		   "%s: public JWK verifies the private key's tokens", n);
		ok(pub && keys_export(pub, &pder) == TG_OK &&
		       keys_import(n, alg, false, pder.p, pder.len, &pub2) == TG_OK &&
		       sign_verify(k, pub2),
		   "%s: SPKI export/import of the public key", n);
		ok(pub && jws_sign(pub, jwk, &(char *){ NULL }) == TG_ERR_INVALID,
		   "%s: a public key cannot sign", n);
		json_object_array_add(members, json_object_get(jwk));
	next:
		json_object_put(jwk);
		secret_free(&der);
		secret_free(&der2);
		secret_free(&pder);
		key_free(k);
		key_free(back);
		key_free(pub);
		key_free(pub2);
	}
	/* A JWKS document as a tenant would publish it: every member loads by itself. */
	{
		struct json_object *doc = parse(json_object_to_json_string(jwks)), *keys;
		size_t loaded = 0;

		json_object_object_get_ex(doc, "keys", &keys);
		for (size_t i = 0; i < json_object_array_length(keys); i++) {
			struct tg_key *k = NULL;

			if (keys_from_jwk(NULL, TG_ALG_INVALID, json_object_array_get_idx(keys, i),
					  false, &k, NULL) == TG_OK)
				loaded++;
			key_free(k);
		}
		is_int(loaded, 10, "all 10 asymmetric JWKS members load");
		json_object_put(doc);
	}
	json_object_put(jwks);
	{
		struct tg_key *k = NULL, *pub = NULL;
		unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
		struct tg_secret der = { 0 };
		unsigned char *longer;
		struct json_object *jwk = NULL;

		/* The SPKI form of a public key, as the store keeps it. */
		keys_generate("x", TG_ALG_ES256, &k);
		if (k && keys_public_jwk(k, &jwk) == TG_OK)
			keys_from_jwk(NULL, TG_ALG_INVALID, jwk, false, &pub, NULL);
		json_object_put(jwk);
		keys_export(pub, &der);
		longer = tg_xmalloc(der.len + 1);
		memcpy(longer, der.p, der.len);
		longer[der.len] = 0;
		key_free(pub);
		pub = NULL;
		is_int(keys_import("x", TG_ALG_ES256, false, longer, der.len, &pub), TG_OK,
		       "SPKI DER imports");
		key_free(pub);
		pub = NULL;
		is_int(keys_import("x", TG_ALG_ES256, false, longer, der.len + 1, &pub), TG_ERR_INVALID,
		       "SPKI DER with a trailing byte refused");
		free(longer);
		secret_free(&der);
		key_free(k);
		k = NULL;

		is_int(keys_import("x", TG_ALG_ES256, false, junk, sizeof(junk), &k),
		       TG_ERR_INVALID, "garbage DER refused on import");
	}
	{
		/* P-256 SPKI whose point is the encoding of infinity (a single 0x00 octet). */
		static const unsigned char infinity[] = {
			0x30, 0x19, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
			0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x02, 0x00, 0x00,
		};
		struct tg_key *k = NULL;

		is_int(keys_import("x", TG_ALG_ES256, false, infinity, sizeof(infinity), &k),
		       TG_ERR_INVALID, "EC public key at the point at infinity refused");
	}
}

/* Coordinates are fixed length (RFC 7518 6.2.1.2), even when the top byte is zero. */
static void
test_ec_fixed_length(void)
{
	static const struct {
		enum tg_alg alg;
		size_t len;
	} c[] = { { TG_ALG_ES256, 32 }, { TG_ALG_ES512, 66 } };

	for (size_t i = 0; i < 2; i++) {
		bool is_fixed = true, saw_short = false;

		for (int tries = 0; tries < 2000 && !saw_short; tries++) {
			struct tg_key *k = NULL, *pub = NULL;
			struct json_object *jwk = NULL, *x;
			EVP_PKEY *pk;
			BIGNUM *bn = NULL;
			unsigned char *raw = NULL;
			size_t rawlen = 0;

			keys_generate("k", c[i].alg, &k);
			pk = k->pkey;
			EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &bn);
			saw_short = (size_t)BN_num_bytes(bn) < c[i].len;
			BN_free(bn);
			keys_public_jwk(k, &jwk);
			json_object_object_get_ex(jwk, "x", &x);
			b64url_decode(json_object_get_string(x),
				      (size_t)json_object_get_string_len(x), &raw, &rawlen);
			is_fixed = is_fixed && rawlen == c[i].len;
			if (saw_short)
				is_fixed = is_fixed &&
					   keys_from_jwk(NULL, TG_ALG_INVALID, jwk, false, &pub,
							 NULL) == TG_OK &&
					   sign_verify(k, pub);
			free(raw);
			json_object_put(jwk);
			key_free(pub);
			key_free(k);
		}
		ok(saw_short, "%s: found a key whose x has a leading zero byte",
		   alg_name(c[i].alg));
		ok(is_fixed, "%s: JWK x is always %zu bytes and still loads", alg_name(c[i].alg),
		   c[i].len);
	}
}

/* x as PyJWT 2.6 and authlib 1.2 write it: without its leading zero byte; or with one more. */
static struct json_object *
jwk_with_x(struct json_object *jwk, const unsigned char *x, size_t len)
{
	struct json_object *copy = NULL;
	char *s = b64url_encode(x, len);

	json_object_deep_copy(jwk, &copy, NULL);
	json_object_object_add(copy, "x", json_object_new_string(s));
	free(s);
	return copy;
}

static void
test_ec_short_coordinates(void)
{
	bool saw_short = false;

	for (int tries = 0; tries < 4000 && !saw_short; tries++) {
		struct tg_key *k = NULL, *pub = NULL, *bad = NULL;
		struct json_object *jwk = NULL, *x, *short_jwk, *long_jwk;
		unsigned char *raw = NULL, longer[67];
		size_t rawlen = 0;
		struct tg_why why = { "" };

		keys_generate("k", TG_ALG_ES512, &k);
		keys_public_jwk(k, &jwk);
		json_object_object_get_ex(jwk, "x", &x);
		b64url_decode(json_object_get_string(x), (size_t)json_object_get_string_len(x), &raw,
			      &rawlen);
		saw_short = rawlen == 66 && raw[0] == 0;
		if (saw_short) {
			short_jwk = jwk_with_x(jwk, raw + 1, 65);
			ok(keys_from_jwk(NULL, TG_ALG_INVALID, short_jwk, false, &pub, NULL) == TG_OK &&
			   sign_verify(k, pub), "P-521 x of 65 bytes (PyJWT 2.6) is left-padded and "
			   "verifies");
			longer[0] = 0;
			memcpy(longer + 1, raw, 66);
			long_jwk = jwk_with_x(jwk, longer, 67);
			is_int(keys_from_jwk(NULL, TG_ALG_INVALID, long_jwk, false, &bad, &why),
			       TG_ERR_INVALID, "P-521 x of 67 bytes is refused");
			ok(strstr(why.text, "none longer than one coordinate"), "the sentence says why");
			json_object_put(short_jwk);
			json_object_put(long_jwk);
		}
		free(raw);
		json_object_put(jwk);
		key_free(bad);
		key_free(pub);
		key_free(k);
	}
	ok(saw_short, "found a P-521 key whose x has a leading zero byte");
}

int
main(void)
{
	test_pem_rsa();
	test_pem_ec_okp();
	test_pem_refusals();
	test_secret();
	test_jwk_rfc();
	test_jwk_rules();
	test_round_trips();
	test_ec_fixed_length();
	test_ec_short_coordinates();
	return done_testing();
}
