/*
 * cert.c against certificates made at test time with OpenSSL's X509 API:
 * DER and PEM read to the same key, subject and dates; data after the DER,
 * garbage and other PEM blocks refused; subjects escaped; x5c's strict
 * base64 (RFC 7517 4.7); and keys.c's --cert and x5c paths on top.
 */
#include "base/b64url.h"
#include "jose/cert.h"
#include "jose/keys.h"

#include "../lib/tap.h"

#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdlib.h>

#define NOT_BEFORE 1700000000
#define NOT_AFTER 1900000000

/* A self-signed certificate for pkey with subject CN=cn (and O=org when given). */
static X509 *
make_cert(EVP_PKEY *pkey, const char *cn, const char *org)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	ASN1_TIME_set(X509_getm_notBefore(x), NOT_BEFORE);
	ASN1_TIME_set(X509_getm_notAfter(x), NOT_AFTER);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	if (org)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1,
					   -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, pkey);
	/* Ed25519 signs without a separate digest. */
	X509_sign(x, pkey, EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256());
	return x;
}

static size_t
to_der(X509 *x, unsigned char **out)
{
	int n = i2d_X509(x, out);

	return n > 0 ? (size_t)n : 0;
}

static char *
to_pem(X509 *x, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	PEM_write_bio_X509(bio, x);
	n = BIO_get_mem_data(bio, &data);
	s = tg_xstrndup(data, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	return s;
}

static void
test_der_and_pem(void)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	X509 *x = make_cert(pkey, "idp.example", "Example, Inc.");
	unsigned char *der = NULL, *longer;
	size_t derlen = to_der(x, &der), pemlen;
	char *pem = to_pem(x, &pemlen);
	struct tg_cert *c = NULL, *c2 = NULL, *bad = NULL;
	struct tg_why why = { "" };

	is_int(cert_parse(der, derlen, &c, &why), TG_OK, "DER certificate read");
	ok(c && EVP_PKEY_eq(c->pkey, pkey) == 1, "the subject public key is the certificate's");
	is_str(c ? c->subject : "", "O=Example\\, Inc.,CN=idp.example",
	       "subject in RFC 2253 form, the comma escaped");
	ok(c && c->not_before == NOT_BEFORE && c->not_after == NOT_AFTER, "notBefore and notAfter");
	is_int(cert_parse((const unsigned char *)pem, pemlen, &c2, &why), TG_OK, "PEM read");
	ok(c2 && EVP_PKEY_eq(c2->pkey, pkey) == 1 && c2->not_after == NOT_AFTER,
	   "PEM and DER give the same certificate");
	longer = tg_xmalloc(derlen + 1);
	memcpy(longer, der, derlen);
	longer[derlen] = 0;
	is_int(cert_parse(longer, derlen + 1, &bad, &why), TG_ERR_INVALID,
	       "data after the DER certificate refused");
	ok(strstr(why.text, "data follows"), "the sentence says so");
	is_int(cert_parse((const unsigned char *)"garbage", 7, &bad, &why), TG_ERR_INVALID,
	       "garbage refused");
	is_int(cert_parse((const unsigned char *)"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC "
			  "KEY-----\n", 52, &bad, &why), TG_ERR_INVALID,
	       "a PEM block that is not a certificate refused");
	ok(bad == NULL, "no certificate on failure");
	free(longer);
	free(pem);
	OPENSSL_free(der);
	cert_free(c);
	cert_free(c2);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static void
test_control_bytes_escaped(void)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = make_cert(pkey, "evil\nname\xc3\xa9", NULL);
	unsigned char *der = NULL;
	size_t derlen = to_der(x, &der);
	struct tg_cert *c = NULL;

	is_int(cert_parse(der, derlen, &c, NULL), TG_OK, "Ed25519 certificate read");
	ok(c && !strchr(c->subject, '\n') && !strchr(c->subject, '\xc3'),
	   "a newline and non-ASCII bytes in the subject are escaped (%s)", c ? c->subject : "");
	cert_free(c);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static char *
std_base64(const unsigned char *p, size_t len)
{
	char *s = tg_xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	return s;
}

static void
test_x5c(void)
{
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *xa = make_cert(a, "a.example", NULL), *xb = make_cert(b, "b.example", NULL);
	unsigned char *der = NULL;
	size_t derlen = to_der(xa, &der);
	char *b64 = std_base64(der, derlen), *url;
	struct tg_cert *c = NULL;
	struct tg_key *k = NULL, *ka = NULL;
	struct json_object *jwk = NULL, *arr;
	struct tg_why why = { "" };

	is_int(cert_from_x5c(b64, &c, &why), TG_OK, "x5c's standard base64 DER read");
	ok(c && EVP_PKEY_eq(c->pkey, a) == 1, "x5c gives the certificate's key");
	cert_free(c);
	c = NULL;
	url = b64url_encode(der, derlen);
	ok(strpbrk(url, "-_") == NULL ||
	   cert_from_x5c(url, &c, &why) == TG_ERR_INVALID, "base64url in x5c refused");
	is_int(cert_from_x5c("AAAA\nAAAA", &c, &why), TG_ERR_INVALID, "whitespace in x5c refused");
	is_int(cert_from_x5c("AA=A", &c, &why), TG_ERR_INVALID, "padding inside x5c refused");

	/* keys_from_cert: alg must fit, subject kept. */
	is_int(keys_from_cert("ka", TG_ALG_ES256, &(struct tg_cert){ .pkey = a, .subject = "s" },
			      &k, &why), TG_ERR_INVALID, "an RSA certificate refused for ES256");
	is_int(cert_parse(der, derlen, &c, NULL), TG_OK, "the certificate again");
	is_int(keys_from_cert("ka", TG_ALG_RS256, c, &ka, &why), TG_OK, "RS256 from the certificate");
	is_str(ka ? ka->cert_subject : "", "CN=a.example", "the key keeps the certificate's subject");
	ok(ka && ka->cert_not_after == NOT_AFTER, "and its notAfter");

	/* A JWK: n/e of key a and x5c of the same certificate: taken; of b's: refused. */
	keys_public_jwk(ka, &jwk);
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string(b64));
	json_object_object_add(jwk, "x5c", arr);
	is_int(keys_from_jwk("ja", TG_ALG_INVALID, jwk, false, &k, &why), TG_OK,
	       "JWK with n/e and the matching x5c");
	ok(k && k->cert_subject && strcmp(k->cert_subject, "CN=a.example") == 0,
	   "the x5c certificate's subject is kept");
	key_free(k);
	k = NULL;
	free(b64);
	OPENSSL_free(der);
	der = NULL;
	derlen = to_der(xb, &der);
	b64 = std_base64(der, derlen);
	json_object_array_put_idx(arr, 0, json_object_new_string(b64));
	is_int(keys_from_jwk("ja", TG_ALG_INVALID, jwk, false, &k, &why), TG_ERR_INVALID,
	       "JWK whose x5c holds another key than n/e refused");
	ok(strstr(why.text, "another key"), "the sentence says so");
	json_object_object_del(jwk, "n");
	json_object_object_del(jwk, "e");
	is_int(keys_from_jwk("jb", TG_ALG_INVALID, jwk, false, &k, &why), TG_OK,
	       "JWK with x5c alone takes the certificate's key");
	ok(k && EVP_PKEY_eq(k->pkey, b) == 1, "which is b's");
	key_free(k);
	key_free(ka);
	cert_free(c);
	json_object_put(jwk);
	free(url);
	free(b64);
	OPENSSL_free(der);
	X509_free(xa);
	X509_free(xb);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

int
main(void)
{
	test_der_and_pem();
	test_control_bytes_escaped();
	test_x5c();
	return done_testing();
}
