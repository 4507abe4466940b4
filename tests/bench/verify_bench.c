/*
 * `make bench`: verifications per second on one core, for jws_parse + jws_verify
 * of a typical session token, next to raw OpenSSL (EVP_DigestVerifyInit +
 * EVP_DigestVerify, or one-shot EVP_Q_mac for HMAC) on the same signing input
 * and key in the same run. Not a test: it prints figures and exits 0 unless a
 * verification fails.
 */
#include "jose/jws.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUN_SECONDS 1.0 /* per side and algorithm */
#define SLICES 20

struct bench {
	const struct tg_key *key; /* the public (verification) key */
	const char *token;
	size_t len;
	size_t input_len;   /* signing input: the token up to its second '.' */
	unsigned char *sig; /* what raw OpenSSL verifies: DER for ECDSA */
	size_t siglen;
	const EVP_MD *md; /* a legacy EVP_MD, fetched implicitly at each init as plain code does */
};

/* CPU time of this thread: other load on the machine does not count against either side. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, enum tg_alg alg)
{
	fprintf(stderr, "verify-bench: %s failed for %s\n", what, alg_name(alg));
	exit(1);
}

static bool
ours(const struct bench *b)
{
	struct jws *j = NULL;
	struct tg_verdict v;
	bool is_ok = jws_parse(b->token, b->len, &j, &v) == TG_OK &&
		     jws_verify(j, b->token, b->key, &v) == TG_OK;

	jws_free(j);
	return is_ok;
}

static bool
raw_openssl(const struct bench *b)
{
	const unsigned char *msg = (const unsigned char *)b->token;
	EVP_MD_CTX *m;
	EVP_PKEY_CTX *pctx = NULL;
	bool is_ok;

	if (alg_family(b->key->alg) == TG_FAMILY_HMAC) {
		unsigned char tag[EVP_MAX_MD_SIZE];
		size_t taglen = 0;

		return EVP_Q_mac(NULL, "HMAC", NULL, alg_digest(b->key->alg), NULL,
				 b->key->secret.p, b->key->secret.len, msg, b->input_len, tag,
				 sizeof(tag), &taglen) &&
		       taglen == b->siglen && CRYPTO_memcmp(tag, b->sig, taglen) == 0;
	}
	m = EVP_MD_CTX_new();
	is_ok = m && EVP_DigestVerifyInit(m, &pctx, b->md, NULL, b->key->pkey) == 1;
	if (is_ok && alg_family(b->key->alg) == TG_FAMILY_RSA_PSS)
		is_ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	is_ok = is_ok && EVP_DigestVerify(m, b->sig, b->siglen, msg, b->input_len) == 1;
	EVP_MD_CTX_free(m);
	return is_ok;
}

struct meter {
	long n;
	double seconds;
};

/* Calls fn for one slice of about seconds, adding to m. */
static void
slice(bool (*fn)(const struct bench *), const struct bench *b, double seconds, struct meter *m)
{
	double start = now(), elapsed;

	do {
		for (int i = 0; i < 16; i++)
			if (!fn(b))
				die("a verification", b->key->alg);
		m->n += 16;
		elapsed = now() - start;
	} while (elapsed < seconds);
	m->seconds += elapsed;
}

/* The raw signature in the form plain OpenSSL takes it (DER for ECDSA). */
static void
openssl_sig(struct bench *b, const unsigned char *raw, size_t rawlen)
{
	ECDSA_SIG *es;
	unsigned char *der = NULL;
	int n;

	if (alg_family(b->key->alg) != TG_FAMILY_EC) {
		b->sig = tg_xmalloc(rawlen);
		memcpy(b->sig, raw, rawlen);
		b->siglen = rawlen;
		return;
	}
	es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(raw, (int)rawlen / 2, NULL),
		       BN_bin2bn(raw + rawlen / 2, (int)rawlen / 2, NULL));
	n = i2d_ECDSA_SIG(es, &der);
	if (n <= 0)
		die("DER encoding", b->key->alg);
	b->sig = tg_xmalloc((size_t)n);
	memcpy(b->sig, der, (size_t)n);
	b->siglen = (size_t)n;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
}

static struct json_object *
claims(void)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "iss", json_object_new_string("https://auth.tenant-a.example"));
	json_object_object_add(p, "sub", json_object_new_string("user-8f3a2c"));
	json_object_object_add(p, "aud", json_object_new_string("https://app.example"));
	json_object_object_add(p, "iat", json_object_new_int64(1767225600));
	json_object_object_add(p, "exp", json_object_new_int64(1767225660));
	json_object_object_add(p, "scope", json_object_new_string("read write"));
	return p;
}

static void
run(enum tg_alg alg)
{
	struct tg_key *priv = NULL, *pub = NULL;
	struct json_object *p = claims(), *jwk = NULL;
	struct bench b = { 0 };
	struct jws *j = NULL;
	struct tg_verdict v;
	char *tok = NULL;
	struct meter m_ours = { 0 }, m_raw = { 0 };
	double r_ours, r_raw;

	if (keys_generate("bench", alg, &priv) != TG_OK || jws_sign(priv, p, &tok) != TG_OK)
		die("key generation or signing", alg);
	if (alg_family(alg) == TG_FAMILY_HMAC)
		pub = priv;
	else if (keys_public_jwk(priv, &jwk) != TG_OK ||
		 keys_from_jwk(NULL, TG_ALG_INVALID, jwk, false, &pub, NULL) != TG_OK)
		die("public key import", alg);
	if (jws_parse(tok, strlen(tok), &j, &v) != TG_OK)
		die("parsing", alg);
	b.key = pub;
	b.token = tok;
	b.len = strlen(tok);
	b.input_len = j->signing_input_len;
	b.md = alg_digest(alg) ? EVP_get_digestbyname(alg_digest(alg)) : NULL;
	openssl_sig(&b, j->sig, j->siglen);
	/* Interleaved slices, so a change in CPU frequency or cache state hits both alike. */
	for (int i = 0; i < SLICES; i++) {
		slice(ours, &b, RUN_SECONDS / SLICES, &m_ours);
		slice(raw_openssl, &b, RUN_SECONDS / SLICES, &m_raw);
	}
	r_ours = (double)m_ours.n / m_ours.seconds;
	r_raw = (double)m_raw.n / m_raw.seconds;
	printf("%-6s %5zu %12.0f %12.0f %8.2f\n", alg_name(alg), b.len, r_ours, r_raw,
	       r_raw / r_ours);
	fflush(stdout);
	free(b.sig);
	jws_free(j);
	free(tok);
	json_object_put(p);
	json_object_put(jwk);
	if (pub != priv)
		key_free(pub);
	key_free(priv);
}

int
main(void)
{
	static const enum tg_alg algs[] = { TG_ALG_HS256, TG_ALG_RS256, TG_ALG_ES256, TG_ALG_EDDSA,
					    TG_ALG_PS256, TG_ALG_ES384, TG_ALG_HS512 };

	printf("%-6s %5s %12s %12s %8s\n", "alg", "bytes", "tokengate/s", "openssl/s", "cost");
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		run(algs[i]);
	printf("tokengate/s: jws_parse + jws_verify of the whole token; openssl/s: raw verify\n"
	       "of the same signing input and key (HMAC: one-shot EVP_Q_mac);\n"
	       "cost = openssl/s / tokengate/s; rates are per second of this thread's CPU time,\n"
	       "the two sides interleaved in 20 slices.\n");
	return 0;
}
