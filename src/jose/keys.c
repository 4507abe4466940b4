/*
 * Key material: the one place that turns PEM, DER, JWK and raw secrets into a
 * struct tg_key, refuses keys that are weak or cannot serve exactly their one
 * algorithm, and writes keys back out (stored DER, public JWK). It never puts
 * key bytes into an error sentence, and wipes every decoded private value.
 */
#include "jose/keys.h"

#include "base/b64url.h"
#include "base/secret.h"

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define EC_COORD_MAX 66 /* P-521 */
#define ED25519_LEN 32
#define HMAC_GEN_LEN 64

void
key_free(struct tg_key *k)
{
	if (!k)
		return;
	free(k->kid);
	EVP_PKEY_free(k->pkey);
	secret_free(&k->secret);
	EVP_MD_CTX_free(k->verify);
	EVP_MD_CTX_free(k->sign);
	EVP_MAC_CTX_free(k->mac);
	free(k->cert_subject);
	free(k);
}

static bool
is_known_alg(enum tg_alg a)
{
	return a > TG_ALG_INVALID && a < TG_ALG_COUNT;
}

static bool
is_valid_kid(const char *kid)
{
	size_t n = strlen(kid);

	return n > 0 && n <= TG_KID_MAX;
}

/*
 * Signature contexts set up once (RFC 7518 sections 3.3-3.5, RFC 8037 section
 * 3.1): jws.c copies them per token instead of fetching and initialising
 * again, which is a sizeable share of an RSA verification.
 */
static EVP_MD_CTX *
prepare_ctx(const struct tg_key *k, const EVP_MD *md, bool is_sign)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc;

	if (!ctx)
		return NULL;
	if (is_sign)
		rc = EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey);
	else
		rc = EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey);
	/* PSS: MGF1 over the same digest and a salt exactly as long as the hash. */
	if (rc == 1 && alg_family(k->alg) == TG_FAMILY_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0))
		rc = 0;
	if (rc != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static enum tg_err
prepare_hmac(struct tg_key *k)
{
	const char *digest = alg_digest(k->alg);
	char name[16];
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	/* OSSL_PARAM wants a mutable string; the table's names are const. */
	if (strlen(digest) >= sizeof(name))
		return TG_ERR_CRYPTO;
	memcpy(name, digest, strlen(digest) + 1);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return TG_ERR_CRYPTO;
	k->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context holds its own reference */
	if (!k->mac || EVP_MAC_init(k->mac, k->secret.p, k->secret.len, params) != 1)
		return TG_ERR_CRYPTO;
	return TG_OK;
}

/* The per-key state jws.c relies on: signature contexts, or an HMAC already keyed. */
static enum tg_err
key_prepare(struct tg_key *k)
{
	EVP_MD *md = NULL;
	enum tg_err rc = TG_ERR_CRYPTO;

	if (alg_family(k->alg) == TG_FAMILY_HMAC)
		return prepare_hmac(k);
	/* EdDSA hashes internally and takes no digest. */
	if (alg_digest(k->alg)) {
		md = EVP_MD_fetch(NULL, alg_digest(k->alg), NULL);
		if (!md)
			goto out;
	}
	k->verify = prepare_ctx(k, md, false);
	if (k->is_private)
		k->sign = prepare_ctx(k, md, true);
	if (k->verify && (k->sign || !k->is_private))
		rc = TG_OK;
out:
	EVP_MD_free(md); /* the contexts hold their own references */
	return rc;
}

enum tg_err
keys_from_secret(const char *kid, enum tg_alg alg, const unsigned char *p, size_t len,
		 struct tg_key **out, struct tg_why *why)
{
	struct tg_key *k = NULL;
	enum tg_err rc;

	if (!is_known_alg(alg) || alg_family(alg) != TG_FAMILY_HMAC)
		return tg_fail(why, TG_ERR_INVALID,
			      "a raw secret can only be an HS256/HS384/HS512 key");
	if (kid && !is_valid_kid(kid))
		return tg_fail(why, TG_ERR_INVALID, "kid must be 1 to 128 characters");
	/* RFC 7518 section 3.2: the key must be at least as long as the hash output. */
	if (!p || len < alg_hash_len(alg))
		return tg_fail(why, TG_ERR_WEAK_KEY,
			      "HMAC secret is shorter than the hash output of its algorithm");
	k = tg_xcalloc(1, sizeof(*k));
	k->alg = alg;
	k->kid = kid ? tg_xstrdup(kid) : NULL;
	secret_set(&k->secret, p, len);
	rc = key_prepare(k);
	if (rc != TG_OK) {
		tg_fail(why, rc, "the cryptographic library could not set up HMAC");
		goto out;
	}
	*out = k;
	k = NULL;
out:
	key_free(k);
	return rc;
}

static enum tg_err
check_ec(enum tg_alg alg, EVP_PKEY *pkey, struct tg_why *why)
{
	char group[64];
	EVP_PKEY_CTX *ctx = NULL;
	enum tg_err rc = TG_OK;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   NULL) != 1)
		return tg_fail(why, TG_ERR_INVALID, "EC key must use a named curve");
	/* RFC 7518 section 3.4: each ES* algorithm names exactly one curve. */
	if (strcmp(group, alg_ec_group(alg)) != 0)
		return tg_fail(why, TG_ERR_INVALID,
			      "EC key is not on the curve its algorithm requires");
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx)
		return tg_fail(why, TG_ERR_CRYPTO,
			      "the cryptographic library could not check the key");
	/* The point must lie on the curve and in its group (invalid-curve attacks). */
	if (EVP_PKEY_public_check(ctx) != 1)
		rc = tg_fail(why, TG_ERR_INVALID,
			    "EC public point is not a valid point on the curve");
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Refuses a key that is weak or could serve another algorithm than alg. */
static enum tg_err
check_pkey(enum tg_alg alg, EVP_PKEY *pkey, struct tg_why *why)
{
	int id = EVP_PKEY_get_id(pkey);

	switch (alg_family(alg)) {
	case TG_FAMILY_RSA:
		if (id != EVP_PKEY_RSA)
			return tg_fail(why, TG_ERR_INVALID, "RS* algorithms need a plain RSA key");
		break;
	case TG_FAMILY_RSA_PSS:
		/* An rsaEncryption key may sign PSS; an RSA-PSS key may sign nothing else. */
		if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
			return tg_fail(why, TG_ERR_INVALID, "PS* algorithms need an RSA key");
		break;
	case TG_FAMILY_EC:
		if (id != EVP_PKEY_EC)
			return tg_fail(why, TG_ERR_INVALID, "ES* algorithms need an EC key");
		return check_ec(alg, pkey, why);
	case TG_FAMILY_OKP:
		/* RFC 8037: EdDSA means Ed25519 here; Ed448 and X25519 keys are refused. */
		if (id != EVP_PKEY_ED25519)
			return tg_fail(why, TG_ERR_INVALID, "EdDSA and Ed25519 need an Ed25519 key");
		return TG_OK;
	case TG_FAMILY_HMAC:
		return tg_fail(why, TG_ERR_INVALID, "HS* algorithms take a secret, not a key pair");
	case TG_FAMILY_NONE:
		return tg_fail(why, TG_ERR_INVALID, "the algorithm is not supported");
	}
	/* RFC 7518 sections 3.3 and 3.5: RSA keys of 2048 bits or more. */
	if (EVP_PKEY_get_bits(pkey) < TG_RSA_MIN_BITS)
		return tg_fail(why, TG_ERR_WEAK_KEY, "RSA key is shorter than 2048 bits");
	return TG_OK;
}

/*
 * A private key must sign what its own public half verifies: this refuses a
 * JWK or PEM whose private numbers do not belong to its public key.
 */
static bool
signs_verifiably(const struct tg_key *k)
{
	static const unsigned char probe[] = "tokengate key self-test";
	EVP_MD_CTX *sctx = EVP_MD_CTX_new(), *vctx = EVP_MD_CTX_new();
	size_t len = (size_t)EVP_PKEY_get_size(k->pkey);
	unsigned char *sig = tg_xmalloc(len);
	bool is_ok = sctx && vctx && EVP_MD_CTX_copy_ex(sctx, k->sign) == 1 &&
		     EVP_MD_CTX_copy_ex(vctx, k->verify) == 1 &&
		     EVP_DigestSign(sctx, sig, &len, probe, sizeof(probe)) == 1 &&
		     EVP_DigestVerify(vctx, sig, len, probe, sizeof(probe)) == 1;

	EVP_MD_CTX_free(sctx);
	EVP_MD_CTX_free(vctx);
	free(sig);
	return is_ok;
}

/* Takes ownership of pkey whatever the outcome. */
static enum tg_err
key_from_pkey(const char *kid, enum tg_alg alg, EVP_PKEY *pkey, bool is_private,
	      struct tg_key **out, struct tg_why *why)
{
	struct tg_key *k = NULL;
	enum tg_err rc;

	if (!is_known_alg(alg)) {
		rc = tg_fail(why, TG_ERR_INVALID, "no algorithm was given for the key");
		goto out;
	}
	if (kid && !is_valid_kid(kid)) {
		rc = tg_fail(why, TG_ERR_INVALID, "kid must be 1 to 128 characters");
		goto out;
	}
	rc = check_pkey(alg, pkey, why);
	if (rc != TG_OK)
		goto out;
	k = tg_xcalloc(1, sizeof(*k));
	k->alg = alg;
	k->kid = kid ? tg_xstrdup(kid) : NULL;
	k->pkey = pkey;
	pkey = NULL;
	k->is_private = is_private;
	rc = key_prepare(k);
	if (rc != TG_OK) {
		tg_fail(why, rc, "the cryptographic library could not prepare the key");
		goto out;
	}
	if (is_private && !signs_verifiably(k)) {
		rc = tg_fail(why, TG_ERR_INVALID, "the private key does not match its public key");
		goto out;
	}
	*out = k;
	k = NULL;
out:
	EVP_PKEY_free(pkey);
	key_free(k);
	return rc;
}

/*
 * One DER structure, nothing after it. structure is an OpenSSL decoder
 * structure name ("SubjectPublicKeyInfo", "PrivateKeyInfo", "type-specific").
 */
static EVP_PKEY *
decode_der(const unsigned char *der, size_t len, const char *structure, const char *type,
	   int selection)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure, type, selection, NULL, NULL);
	if (!dctx)
		return NULL;
	if (OSSL_DECODER_from_data(dctx, &der, &len) != 1 || len != 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return pkey;
}

struct pem_kind {
	const char *label;
	const char *structure;
	const char *type;
	bool is_private;
};

static const struct pem_kind pem_kinds[] = {
	{ "PUBLIC KEY", "SubjectPublicKeyInfo", NULL, false },
	{ "RSA PUBLIC KEY", "type-specific", "RSA", false },
	{ "PRIVATE KEY", "PrivateKeyInfo", NULL, true },
	{ "RSA PRIVATE KEY", "type-specific", "RSA", true },
	{ "EC PRIVATE KEY", "type-specific", "EC", true },
};

enum tg_err
keys_from_pem(const char *kid, enum tg_alg alg, const char *pem, size_t len, struct tg_key **out,
	      struct tg_why *why)
{
	BIO *bio = NULL;
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	const struct pem_kind *kind = NULL;
	EVP_PKEY *pkey;
	enum tg_err rc;

	if (len > INT_MAX)
		return tg_fail(why, TG_ERR_INVALID, "PEM input is too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return tg_fail(why, TG_ERR_CRYPTO, "the cryptographic library is out of memory");
	if (PEM_read_bio(bio, &label, &header, &der, &derlen) != 1) {
		rc = tg_fail(why, TG_ERR_INVALID, "no PEM block found");
		goto out;
	}
	/* Proc-Type/DEK-Info headers mean a passphrase-encrypted legacy key. */
	if (header[0] != '\0') {
		rc = tg_fail(why, TG_ERR_INVALID, "encrypted PEM keys are not supported");
		goto out;
	}
	for (size_t i = 0; i < sizeof(pem_kinds) / sizeof(pem_kinds[0]); i++)
		if (strcmp(label, pem_kinds[i].label) == 0)
			kind = &pem_kinds[i];
	if (!kind) {
		rc = tg_fail(why, TG_ERR_INVALID, "PEM block is not a public key, RSA public key "
			     "or unencrypted private key");
		goto out;
	}
	pkey = decode_der(der, (size_t)derlen, kind->structure, kind->type,
			  kind->is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	if (!pkey) {
		rc = tg_fail(why, TG_ERR_INVALID,
			     "PEM block does not hold a valid key of its kind");
		goto out;
	}
	rc = key_from_pkey(kid, alg, pkey, kind->is_private, out, why);
out:
	OPENSSL_free(label);
	OPENSSL_free(header);
	secret_free_buf(der, derlen > 0 ? (size_t)derlen : 0);
	BIO_free(bio);
	return rc;
}

/* ---------------------------------------------------------------- JWK */

/* A JWK member that must be a string when present: absent is NULL, wrong type sets *bad. */
static const char *
jwk_string(const struct json_object *jwk, const char *name, bool *bad)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(jwk, name, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = true;
		return NULL;
	}
	s = json_object_get_string(v);
	/* An embedded NUL would let "RSA\u0000x" pass as "RSA". */
	if (strlen(s) != (size_t)json_object_get_string_len(v)) {
		*bad = true;
		return NULL;
	}
	return s;
}

/* Strict base64url member into a secret (decoded bytes may be private). */
static bool
jwk_bytes(const struct json_object *jwk, const char *name, struct tg_secret *out)
{
	bool bad = false;
	const char *s = jwk_string(jwk, name, &bad);

	if (!s)
		return false;
	return b64url_decode(s, strlen(s), &out->p, &out->len) == TG_OK;
}

static bool
jwk_has(const struct json_object *jwk, const char *name)
{
	return json_object_object_get_ex(jwk, name, NULL);
}

/* The builder keeps a pointer to bn until OSSL_PARAM_BLD_to_param: the caller frees it after. */
static BIGNUM *
push_bn(OSSL_PARAM_BLD *bld, const char *name, const struct tg_secret *s, bool is_secret)
{
	BIGNUM *bn = is_secret ? BN_secure_new() : BN_new();

	if (!bn || !BN_bin2bn(s->p, (int)s->len, bn) || !OSSL_PARAM_BLD_push_BN(bld, name, bn)) {
		BN_clear_free(bn);
		return NULL;
	}
	return bn;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* clears the secure block holding private numbers */
	return pkey;
}

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QI, RSA_NPARTS };

static const char *const rsa_members[RSA_NPARTS] = { "n", "e", "d", "p", "q", "dp", "dq", "qi" };
static const char *const rsa_params[RSA_NPARTS] = {
	OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
	OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
	OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* The end of each jwk_* builder: the key, or the fault that stopped it. */
static enum tg_err
jwk_built(EVP_PKEY *pkey, const char *fault, EVP_PKEY **out, struct tg_why *why)
{
	if (!pkey)
		return tg_fail(why, TG_ERR_INVALID, "%s", fault);
	*out = pkey; /* ownership moves to the caller */
	return TG_OK;
}

/* RFC 7518 section 6.3: n and e, plus d and optionally all five CRT values for a private key. */
static enum tg_err
jwk_rsa(const struct json_object *jwk, bool is_private, EVP_PKEY **out, struct tg_why *why)
{
	struct tg_secret part[RSA_NPARTS] = { { 0 } };
	BIGNUM *bn[RSA_NPARTS] = { NULL };
	size_t last = is_private ? RSA_QI : RSA_E;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	bool has_crt = is_private && jwk_has(jwk, "p");
	const char *fault = "RSA JWK members n and e (and d for a private key) must be strict "
			    "base64url";

	if (!bld)
		goto out;
	if (jwk_has(jwk, "oth")) {
		fault = "multi-prime RSA JWKs are not supported";
		goto out;
	}
	for (size_t i = 0; i <= last; i++) {
		if (i > RSA_D && !has_crt)
			break;
		if (!jwk_bytes(jwk, rsa_members[i], &part[i]) || part[i].len == 0 ||
		    part[i].len > INT_MAX) {
			if (i > RSA_D)
				fault = "RSA JWK must carry all of p, q, dp, dq, qi or none";
			goto out;
		}
		bn[i] = push_bn(bld, rsa_params[i], &part[i], i >= RSA_D);
		if (!bn[i])
			goto out;
	}
	pkey = pkey_fromdata("RSA", bld, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	if (!pkey)
		fault = "RSA JWK does not describe a valid RSA key";
out:
	for (size_t i = 0; i < RSA_NPARTS; i++) {
		secret_free(&part[i]);
		BN_clear_free(bn[i]);
	}
	OSSL_PARAM_BLD_free(bld);
	return jwk_built(pkey, fault, out, why);
}

struct ec_curve {
	const char *crv;
	const char *group;
	size_t coord_len;
};

static const struct ec_curve ec_curves[] = {
	{ "P-256", "prime256v1", 32 },
	{ "P-384", "secp384r1", 48 },
	{ "P-521", "secp521r1", 66 },
};

static const struct ec_curve *
ec_curve_by(const char *crv, const char *group)
{
	for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++)
		if ((crv && strcmp(crv, ec_curves[i].crv) == 0) ||
		    (group && strcmp(group, ec_curves[i].group) == 0))
			return &ec_curves[i];
	return NULL;
}

/*
 * RFC 7518 section 6.2.1.2 wants x and y one full coordinate long, but PyJWT
 * 2.6, authlib 1.2, Keycloak, Gluu and jjwt drop leading zero bytes (2 in 3
 * P-521 keys), as jose, Node and jwcrypto accept: a shorter one is put back
 * left-padded with zeros into dst; a longer one is refused.
 */
static bool
ec_coord(const struct json_object *jwk, const char *name, size_t width, unsigned char *dst)
{
	struct tg_secret v = { 0 };
	bool is_ok = jwk_bytes(jwk, name, &v) && v.len > 0 && v.len <= width;

	if (is_ok) {
		memset(dst, 0, width - v.len);
		memcpy(dst + width - v.len, v.p, v.len);
	}
	secret_free(&v);
	return is_ok;
}

/* RFC 7518 section 6.2: the point (x, y) and, for a private key, d. */
static enum tg_err
jwk_ec(const struct json_object *jwk, enum tg_alg alg, bool is_private, EVP_PKEY **out,
       struct tg_why *why)
{
	bool bad = false;
	const struct ec_curve *c = ec_curve_by(jwk_string(jwk, "crv", &bad), NULL);
	struct tg_secret d = { 0 };
	unsigned char point[1 + 2 * EC_COORD_MAX];
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *priv = NULL;
	EVP_PKEY *pkey = NULL;
	char group[16];
	const char *fault = "EC JWK x and y (and d) must be strict base64url, none longer than "
			    "one coordinate of its curve";

	if (!c)
		return tg_fail(why, TG_ERR_INVALID, "EC JWK crv must be P-256, P-384 or P-521");
	if (strcmp(c->group, alg_ec_group(alg)) != 0)
		return tg_fail(why, TG_ERR_INVALID, "EC JWK crv %s is not the curve %s requires",
			       c->crv, alg_name(alg));
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	if (!ec_coord(jwk, "x", c->coord_len, point + 1) ||
	    !ec_coord(jwk, "y", c->coord_len, point + 1 + c->coord_len))
		goto out;
	/* d is a number: BN_bin2bn needs no padding, only no more than the field. */
	if (is_private && (!jwk_bytes(jwk, "d", &d) || d.len == 0 || d.len > c->coord_len))
		goto out;
	memcpy(group, c->group, strlen(c->group) + 1);
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					      1 + 2 * c->coord_len))
		goto out;
	if (is_private) {
		priv = push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, &d, true);
		if (!priv)
			goto out;
	}
	pkey = pkey_fromdata("EC", bld, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	if (!pkey)
		fault = "EC JWK x and y are not a point on the curve";
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	secret_free(&d);
	return jwk_built(pkey, fault, out, why);
}

/* RFC 8037 section 2: crv Ed25519, x the 32-byte public key, d the 32-byte seed. */
static enum tg_err
jwk_okp(const struct json_object *jwk, bool is_private, EVP_PKEY **out, struct tg_why *why)
{
	bool bad = false;
	const char *crv = jwk_string(jwk, "crv", &bad);
	struct tg_secret x = { 0 }, d = { 0 };
	unsigned char pub[ED25519_LEN];
	size_t publen = sizeof(pub);
	EVP_PKEY *pkey = NULL;
	const char *fault = "OKP JWK x (and d) must be strict base64url of 32 bytes";

	if (!crv || strcmp(crv, "Ed25519") != 0)
		return tg_fail(why, TG_ERR_INVALID, "OKP JWK crv must be Ed25519");
	if (!jwk_bytes(jwk, "x", &x) || x.len != ED25519_LEN)
		goto out;
	if (!is_private) {
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x.p, x.len);
		goto out;
	}
	if (!jwk_bytes(jwk, "d", &d) || d.len != ED25519_LEN)
		goto out;
	pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, d.p, d.len);
	if (pkey && (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
		     !secret_equal(pub, publen, x.p, x.len))) {
		fault = "OKP JWK d does not match x";
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	secret_free(&x);
	secret_free(&d);
	return jwk_built(pkey, fault, out, why);
}

static bool
kty_fits(const char *kty, enum tg_alg alg)
{
	switch (alg_family(alg)) {
	case TG_FAMILY_HMAC: return strcmp(kty, "oct") == 0;
	case TG_FAMILY_RSA:
	case TG_FAMILY_RSA_PSS: return strcmp(kty, "RSA") == 0;
	case TG_FAMILY_EC: return strcmp(kty, "EC") == 0;
	case TG_FAMILY_OKP: return strcmp(kty, "OKP") == 0;
	case TG_FAMILY_NONE: return false;
	}
	return false;
}

static bool
has_private_members(const struct json_object *jwk)
{
	static const char *const names[] = { "d", "p", "q", "dp", "dq", "qi", "oth" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (jwk_has(jwk, names[i]))
			return true;
	return false;
}

/* RFC 7517 sections 4.2 and 4.3: a key marked for another use is not a signature key. */
static bool
is_signature_jwk(const struct json_object *jwk)
{
	static const char *const wanted_use = "sig";
	static const char *const wanted_ops[] = { "verify", "sign" };
	bool bad = false;
	const char *use = jwk_string(jwk, "use", &bad);
	struct json_object *ops;
	bool has_op = false;

	if (bad || (use && strcmp(use, wanted_use) != 0))
		return false;
	if (!json_object_object_get_ex(jwk, "key_ops", &ops))
		return true;
	if (!json_object_is_type(ops, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		struct json_object *op = json_object_array_get_idx(ops, i);

		if (!json_object_is_type(op, json_type_string))
			return false;
		for (size_t w = 0; w < sizeof(wanted_ops) / sizeof(wanted_ops[0]); w++)
			if (strcmp(json_object_get_string(op), wanted_ops[w]) == 0)
				has_op = true;
	}
	return has_op;
}

static bool
has_public_members(const struct json_object *jwk)
{
	return jwk_has(jwk, "n") || jwk_has(jwk, "e") || jwk_has(jwk, "x") || jwk_has(jwk, "y");
}

/*
 * RFC 7517 section 4.7: x5c's first certificate holds the key; with members
 * beside it (*pkey already built) both must be one key, or a set could show
 * one key to a reader of n/e and verify with another.
 */
static enum tg_err
jwk_x5c(const struct json_object *jwk, EVP_PKEY **pkey, struct tg_cert **cert,
	struct tg_why *why)
{
	struct json_object *arr, *first;
	enum tg_err rc;

	if (!json_object_object_get_ex(jwk, "x5c", &arr))
		return TG_OK;
	first = json_object_is_type(arr, json_type_array) ? json_object_array_get_idx(arr, 0)
							   : NULL;
	if (!first || !json_object_is_type(first, json_type_string))
		return tg_fail(why, TG_ERR_INVALID,
			       "JWK x5c must be an array of base64 certificates");
	rc = cert_from_x5c(json_object_get_string(first), cert, why);
	if (rc != TG_OK)
		return rc;
	if (!*pkey) {
		if (EVP_PKEY_up_ref((*cert)->pkey) != 1)
			return tg_fail(why, TG_ERR_CRYPTO, "the certificate's key could not be taken");
		*pkey = (*cert)->pkey;
	} else if (EVP_PKEY_eq(*pkey, (*cert)->pkey) != 1) {
		return tg_fail(why, TG_ERR_INVALID, "x5c's first certificate holds another key than "
			       "the JWK's own members (n/e or x/y)");
	}
	return TG_OK;
}

/* key_from_pkey (which takes pkey), with the certificate it came in recorded when there is one. */
static enum tg_err
key_with_cert(const char *kid, enum tg_alg alg, EVP_PKEY *pkey, bool is_private,
	      const struct tg_cert *cert, struct tg_key **out, struct tg_why *why)
{
	enum tg_err rc = key_from_pkey(kid, alg, pkey, is_private, out, why);

	if (rc == TG_OK && cert) {
		(*out)->cert_subject = tg_xstrdup(cert->subject);
		(*out)->cert_not_after = cert->not_after;
	}
	return rc;
}

/* The JWK's alg, the caller's (which wins), or both when they agree (EdDSA and Ed25519 do). */
static enum tg_err
jwk_alg(const struct json_object *jwk, enum tg_alg want, enum tg_alg *alg, struct tg_why *why)
{
	bool bad = false;
	const char *name = jwk_string(jwk, "alg", &bad);
	enum tg_alg own = TG_ALG_INVALID;

	if (bad || (name && alg_from_name(name, &own) != TG_OK))
		return tg_fail(why, TG_ERR_INVALID, "JWK alg is not an algorithm on the allowlist");
	if (want != TG_ALG_INVALID && own != TG_ALG_INVALID &&
	    !alg_is_same(want, own))
		return tg_fail(why, TG_ERR_INVALID, "JWK alg differs from the algorithm asked for");
	if (want == TG_ALG_INVALID && own == TG_ALG_INVALID)
		return tg_fail(why, TG_ERR_INVALID, "JWK has no alg and none was given");
	*alg = want != TG_ALG_INVALID ? want : own;
	return TG_OK;
}

enum tg_err
keys_from_jwk(const char *kid, enum tg_alg alg, const struct json_object *jwk, bool allow_private,
	      struct tg_key **out, struct tg_why *why)
{
	bool bad = false;
	const char *kty, *own_kid;
	struct tg_secret k = { 0 };
	EVP_PKEY *pkey = NULL;
	struct tg_cert *cert = NULL;
	bool is_private;
	enum tg_err rc;

	if (!jwk || !json_object_is_type(jwk, json_type_object))
		return tg_fail(why, TG_ERR_INVALID, "JWK must be a JSON object");
	kty = jwk_string(jwk, "kty", &bad);
	own_kid = jwk_string(jwk, "kid", &bad);
	if (bad || !kty)
		return tg_fail(why, TG_ERR_INVALID, "JWK kty, kid, use and alg must be strings");
	rc = jwk_alg(jwk, alg, &alg, why);
	if (rc != TG_OK)
		return rc;
	if (!kty_fits(kty, alg))
		return tg_fail(why, TG_ERR_INVALID, "a JWK of kty \"%s\" cannot serve %s",
			       kty, alg_name(alg));
	if (!is_signature_jwk(jwk))
		return tg_fail(why, TG_ERR_INVALID,
			      "JWK is not marked for signatures (use/key_ops)");
	if (!kid)
		kid = own_kid;
	if (!kid || !is_valid_kid(kid))
		return tg_fail(why, TG_ERR_INVALID, "JWK needs a kid of 1 to 128 characters");
	if (alg_family(alg) == TG_FAMILY_HMAC) {
		if (!jwk_bytes(jwk, "k", &k))
			return tg_fail(why, TG_ERR_INVALID, "oct JWK k must be strict base64url");
		rc = keys_from_secret(kid, alg, k.p, k.len, out, why);
		secret_free(&k);
		return rc;
	}
	is_private = has_private_members(jwk);
	if (is_private && !allow_private)
		return tg_fail(why, TG_ERR_INVALID,
			      "JWK holds private key members; give the public key");
	if (!is_private && jwk_has(jwk, "x5c") && !has_public_members(jwk))
		rc = TG_OK; /* the certificate alone holds the key */
	else if (alg_family(alg) == TG_FAMILY_EC)
		rc = jwk_ec(jwk, alg, is_private, &pkey, why);
	else if (alg_family(alg) == TG_FAMILY_OKP)
		rc = jwk_okp(jwk, is_private, &pkey, why);
	else
		rc = jwk_rsa(jwk, is_private, &pkey, why);
	if (rc == TG_OK)
		rc = jwk_x5c(jwk, &pkey, &cert, why);
	if (rc == TG_OK)
		rc = key_with_cert(kid, alg, pkey, is_private, cert, out, why);
	else
		EVP_PKEY_free(pkey);
	cert_free(cert);
	return rc;
}

/* ---------------------------------------------------------------- certificates */

enum tg_err
keys_from_cert(const char *kid, enum tg_alg alg, const struct tg_cert *c, struct tg_key **out,
	       struct tg_why *why)
{
	if (!c || EVP_PKEY_up_ref(c->pkey) != 1)
		return tg_fail(why, TG_ERR_CRYPTO, "the certificate's key could not be taken");
	return key_with_cert(kid, alg, c->pkey, false, c, out, why);
}

/* ---------------------------------------------------------------- stored form */

enum tg_err
keys_export(const struct tg_key *k, struct tg_secret *der)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int n;

	if (!k)
		return TG_ERR_INVALID;
	if (!k->pkey) {
		secret_set(der, k->secret.p, k->secret.len);
		return TG_OK;
	}
	if (!k->is_private) {
		n = i2d_PUBKEY(k->pkey, &buf);
		if (n <= 0)
			return TG_ERR_CRYPTO;
		len = (size_t)n;
	} else {
		ectx = OSSL_ENCODER_CTX_new_for_pkey(k->pkey, EVP_PKEY_KEYPAIR, "DER",
						     "PrivateKeyInfo", NULL);
		if (!ectx || OSSL_ENCODER_to_data(ectx, &buf, &len) != 1) {
			OSSL_ENCODER_CTX_free(ectx);
			return TG_ERR_CRYPTO;
		}
		OSSL_ENCODER_CTX_free(ectx);
	}
	secret_set(der, buf, len);
	secret_free_buf(buf, len);
	return TG_OK;
}

enum tg_err
keys_public_half(const struct tg_key *k, struct tg_key **out)
{
	unsigned char *buf = NULL;
	enum tg_err rc;
	int n;

	if (!k)
		return TG_ERR_INVALID;
	if (!k->pkey)
		return TG_ERR_UNSUPPORTED; /* an HMAC secret has no public half */
	n = i2d_PUBKEY(k->pkey, &buf);
	if (n <= 0)
		return TG_ERR_CRYPTO;
	rc = keys_import(k->kid, k->alg, false, buf, (size_t)n, out);
	OPENSSL_free(buf);
	return rc;
}

enum tg_err
keys_import(const char *kid, enum tg_alg alg, bool is_private, const unsigned char *der, size_t len,
	    struct tg_key **out)
{
	EVP_PKEY *pkey;

	if (alg_family(alg) == TG_FAMILY_HMAC)
		return keys_from_secret(kid, alg, der, len, out, NULL);
	if (is_private)
		pkey = decode_der(der, len, "PrivateKeyInfo", NULL, EVP_PKEY_KEYPAIR);
	else
		pkey = decode_der(der, len, "SubjectPublicKeyInfo", NULL, EVP_PKEY_PUBLIC_KEY);
	if (!pkey)
		return TG_ERR_INVALID;
	return key_from_pkey(kid, alg, pkey, is_private, out, NULL);
}

/* ---------------------------------------------------------------- JWKS and new keys */

static void
add_b64(struct json_object *o, const char *name, const unsigned char *p, size_t len)
{
	char *s = b64url_encode(p, len);

	json_object_object_add(o, name, json_object_new_string(s));
	free(s);
}

/* Big-endian magnitude, left-padded to width bytes (0: minimal, RFC 7518 section 6.3.1). */
static bool
add_bn_param(struct json_object *o, const char *name, const EVP_PKEY *pkey, const char *param,
	     size_t width)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;
	int n;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return false;
	if (!width)
		width = (size_t)BN_num_bytes(bn);
	buf = tg_xmalloc(width);
	n = BN_bn2binpad(bn, buf, (int)width);
	BN_free(bn);
	if (n > 0)
		add_b64(o, name, buf, (size_t)n);
	free(buf);
	return n > 0;
}

static bool
public_members(struct json_object *o, const struct tg_key *k)
{
	unsigned char pub[ED25519_LEN];
	size_t publen = sizeof(pub);
	const struct ec_curve *c;

	switch (alg_family(k->alg)) {
	case TG_FAMILY_RSA:
	case TG_FAMILY_RSA_PSS:
		json_object_object_add(o, "kty", json_object_new_string("RSA"));
		return add_bn_param(o, "n", k->pkey, OSSL_PKEY_PARAM_RSA_N, 0) &&
		       add_bn_param(o, "e", k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	case TG_FAMILY_EC:
		c = ec_curve_by(NULL, alg_ec_group(k->alg));
		json_object_object_add(o, "kty", json_object_new_string("EC"));
		json_object_object_add(o, "crv", json_object_new_string(c->crv));
		return add_bn_param(o, "x", k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, c->coord_len) &&
		       add_bn_param(o, "y", k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, c->coord_len);
	case TG_FAMILY_OKP:
		if (EVP_PKEY_get_raw_public_key(k->pkey, pub, &publen) != 1)
			return false;
		json_object_object_add(o, "kty", json_object_new_string("OKP"));
		json_object_object_add(o, "crv", json_object_new_string("Ed25519"));
		add_b64(o, "x", pub, publen);
		return true;
	case TG_FAMILY_HMAC:
	case TG_FAMILY_NONE: break;
	}
	return false;
}

enum tg_err
keys_public_jwk(const struct tg_key *k, struct json_object **out)
{
	struct json_object *o;

	if (!k)
		return TG_ERR_INVALID;
	if (!k->pkey)
		return TG_ERR_UNSUPPORTED; /* an HMAC secret has no public half */
	o = json_object_new_object();
	if (!public_members(o, k)) {
		json_object_put(o);
		return TG_ERR_CRYPTO;
	}
	if (k->kid)
		json_object_object_add(o, "kid", json_object_new_string(k->kid));
	json_object_object_add(o, "alg", json_object_new_string(alg_name(k->alg)));
	json_object_object_add(o, "use", json_object_new_string("sig"));
	*out = o;
	return TG_OK;
}

enum tg_err
keys_generate(const char *kid, enum tg_alg alg, struct tg_key **out)
{
	unsigned char secret[HMAC_GEN_LEN];
	EVP_PKEY *pkey = NULL;
	enum tg_err rc;

	switch (alg_family(alg)) {
	case TG_FAMILY_HMAC:
		rc = secret_random(secret, sizeof(secret));
		if (rc == TG_OK)
			rc = keys_from_secret(kid, alg, secret, sizeof(secret), out, NULL);
		secret_wipe(secret, sizeof(secret));
		return rc;
	case TG_FAMILY_RSA:
	case TG_FAMILY_RSA_PSS:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)TG_RSA_MIN_BITS);
		break;
	case TG_FAMILY_EC:
		if (!alg_ec_group(alg))
			return TG_ERR_INVALID;
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg_ec_group(alg));
		break;
	case TG_FAMILY_OKP: pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	case TG_FAMILY_NONE: return TG_ERR_INVALID;
	}
	if (!pkey)
		return TG_ERR_CRYPTO;
	return key_from_pkey(kid, alg, pkey, true, out, NULL);
}
