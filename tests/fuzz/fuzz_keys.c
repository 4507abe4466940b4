/*
 * libFuzzer target for key import (keys.c). Byte 0 picks the form of the
 * rest; byte 1 holds the algorithm asked for (low 4 bits) and flags (0x10
 * stored as private, 0x20 private JWK members allowed, 0x40 the JWK's own kid):
 * 0 PEM, 1 one JWK, 2 a JWK Set (jwks_read, as `key import-jwks` reads it,
 * the alg asked for as --alg), 3 the stored DER form, 4 a certificate (PEM or
 * DER, keys_from_cert). A refusal says why; an accepted key serves exactly
 * the algorithm asked for, and its stored form and public JWK import back to
 * the same key.
 */
#include "fuzz.h"
#include "base/json_strict.h"
#include "jose/jwks.h"
#include "jose/keys.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum form { FORM_PEM, FORM_JWK, FORM_JWKS, FORM_DER, FORM_CERT, FORM_COUNT };


static bool
is_same_export(const struct tg_key *a, const struct tg_key *b)
{
	struct tg_secret x = { 0 }, y = { 0 };
	bool is_eq = keys_export(a, &x) == TG_OK && keys_export(b, &y) == TG_OK &&
		     x.len == y.len && memcmp(x.p, y.p, x.len) == 0;

	secret_free(&x);
	secret_free(&y);
	return is_eq;
}

/* What every accepted key must satisfy, whatever form it came in. */
static void
check_key(const struct tg_key *k, enum tg_alg asked)
{
	struct tg_secret der = { 0 };
	struct tg_key *back = NULL, *pub = NULL, *from_jwk = NULL;
	struct json_object *jwk = NULL;

	fuzz_require(k->kid && *k->kid && strlen(k->kid) <= TG_KID_MAX, "a key without a usable kid");
	fuzz_require(asked == TG_ALG_INVALID || k->alg == asked, "a key for another algorithm");
	fuzz_require(k->alg > TG_ALG_INVALID && k->alg < TG_ALG_COUNT, "a key without an algorithm");
	fuzz_require(keys_export(k, &der) == TG_OK &&
		     keys_import(k->kid, k->alg, k->is_private, der.p, der.len, &back) == TG_OK &&
		     is_same_export(k, back), "the stored form does not import back");
	if (alg_family(k->alg) != TG_FAMILY_HMAC) {
		fuzz_require(keys_public_half(k, &pub) == TG_OK && keys_public_jwk(pub, &jwk) == TG_OK,
			     "no public half");
		fuzz_require(keys_from_jwk(k->kid, k->alg, jwk, false, &from_jwk, NULL) == TG_OK &&
			     is_same_export(pub, from_jwk), "the public JWK does not import back");
	}
	json_object_put(jwk);
	key_free(from_jwk);
	key_free(pub);
	key_free(back);
	secret_free(&der);
}

static void
check_result(enum tg_err rc, struct tg_key *k, const char *why, enum tg_alg asked)
{
	if (rc == TG_OK)
		check_key(k, asked);
	else
		fuzz_require(k == NULL && why[0] != '\0', "a refusal without a reason");
	key_free(k);
}

/* Every member has a verdict: a usable one a public key under its own kid, the others a reason. */
static void
jwks(const char *p, size_t n, enum tg_alg default_alg)
{
	struct jwks_set set = { 0 };
	struct tg_why why = { "" };

	if (jwks_read(p, n, default_alg, &set, &why) != TG_OK) {
		fuzz_require(why.text[0] != '\0' && set.n == 0, "a refused set without a reason");
		return;
	}
	for (size_t i = 0; i < set.n; i++) {
		const struct jwks_member *m = &set.v[i];

		fuzz_require((m->verdict == JWKS_USABLE) == (m->key != NULL),
			     "a member's verdict and key disagree");
		fuzz_require(m->verdict == JWKS_USABLE || (m->reason && m->reason[0]),
			     "a member set aside without a reason");
		if (!m->key)
			continue;
		fuzz_require(!m->key->is_private, "a JWK Set member imported as private");
		fuzz_require(m->kid && strcmp(m->kid, m->key->kid) == 0, "a key under another kid");
		check_key(m->key, TG_ALG_INVALID);
	}
	jwks_set_fini(&set);
}

static void
cert(const unsigned char *p, size_t n, enum tg_alg alg)
{
	struct tg_cert *c = NULL;
	struct tg_key *k = NULL;
	struct tg_why why = { "" };
	enum tg_err rc = cert_parse(p, n, &c, &why);

	if (rc != TG_OK) {
		fuzz_require(c == NULL && why.text[0] != '\0', "a refused certificate without a reason");
		return;
	}
	fuzz_require(c->subject && !strpbrk(c->subject, "\n\r\t"), "a subject with control bytes");
	rc = keys_from_cert("fuzz", alg, c, &k, &why);
	check_result(rc, k, why.text, alg);
	cert_free(c);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *p;
	struct tg_why why = { "" };
	size_t n;
	struct json_object *doc = NULL;
	struct tg_key *k = NULL;
	enum tg_alg alg;
	bool is_private;
	enum tg_err rc;

	if (size < 2)
		return 0;
	p = (const char *)data + 2;
	n = size - 2;
	alg = (enum tg_alg)((data[1] & 0x0f) % TG_ALG_COUNT);
	is_private = (data[1] & 0x10) != 0;
	switch (data[0] % FORM_COUNT) {
	case FORM_PEM:
		if (alg == TG_ALG_INVALID)
			alg = TG_ALG_ES256;
		rc = keys_from_pem("fuzz", alg, p, n, &k, &why);
		check_result(rc, k, why.text, alg);
		break;
	case FORM_JWK:
		if (json_strict_parse(p, n, &doc, &why) != TG_OK)
			break;
		rc = keys_from_jwk((data[1] & 0x40) ? NULL : "fuzz", alg, doc, (data[1] & 0x20) != 0, &k,
				   &why);
		check_result(rc, k, why.text, alg);
		break;
	case FORM_JWKS:
		jwks(p, n, alg);
		break;
	case FORM_CERT:
		if (alg == TG_ALG_INVALID)
			alg = TG_ALG_RS256;
		cert((const unsigned char *)p, n, alg);
		break;
	case FORM_DER:
	default:
		if (alg == TG_ALG_INVALID)
			alg = TG_ALG_HS256;
		rc = keys_import("fuzz", alg, is_private, (const unsigned char *)p, n, &k);
		check_result(rc, k, rc == TG_OK ? NULL : "keys_import says no more", alg);
		break;
	}
	json_object_put(doc);
	return 0;
}
