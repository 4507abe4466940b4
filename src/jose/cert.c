/*
 * X.509 certificates into their public key, subject and validity, for keys.c
 * (`key add --cert`, a JWK's x5c). Parses with OpenSSL only; never checks a
 * chain or trusts an issuer, never puts certificate bytes into a sentence.
 */
#include "jose/cert.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define X5C_MAX (64 * 1024) /* base64 characters: far above any real signing certificate */

void
cert_free(struct tg_cert *c)
{
	if (!c)
		return;
	EVP_PKEY_free(c->pkey);
	free(c->subject);
	free(c);
}

/* Seconds since 1970 without timegm: ASN1_TIME_diff against the epoch. */
static bool
unix_time(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	bool is_ok = epoch && t && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;

	ASN1_TIME_free(epoch);
	if (is_ok)
		*out = (int64_t)days * 86400 + secs;
	return is_ok;
}

/*
 * X509_NAME_oneline, the library's usual rendering, cuts at its buffer and
 * prints bytes raw; RFC 2253 with every non-ASCII and control byte escaped
 * is whole and safe to print in a table.
 */
static char *
subject_of(const X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long n;

	if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n >= 0)
			s = tg_xstrndup(n ? data : "", (size_t)n);
	}
	BIO_free(bio);
	return s;
}

/* Takes ownership of x. */
static enum tg_err
cert_of(X509 *x, struct tg_cert **out, struct tg_why *why)
{
	struct tg_cert *c = tg_xcalloc(1, sizeof(*c));
	enum tg_err rc = TG_OK;

	c->pkey = X509_get_pubkey(x);
	c->subject = subject_of(x);
	if (!c->pkey)
		rc = tg_fail(why, TG_ERR_UNSUPPORTED,
			     "the certificate's public key is of a kind this library cannot read");
	else if (!c->subject || !unix_time(X509_get0_notBefore(x), &c->not_before) ||
		 !unix_time(X509_get0_notAfter(x), &c->not_after))
		rc = tg_fail(why, TG_ERR_INVALID,
			     "the certificate's subject or validity cannot be read");
	X509_free(x);
	if (rc == TG_OK) {
		*out = c;
		c = NULL;
	}
	cert_free(c);
	return rc;
}

static enum tg_err
from_der(const unsigned char *p, size_t len, struct tg_cert **out, struct tg_why *why)
{
	const unsigned char *q = p;
	X509 *x;

	if (len > LONG_MAX)
		return tg_fail(why, TG_ERR_TOO_LARGE, "the certificate is too large");
	x = d2i_X509(NULL, &q, (long)len);
	if (!x)
		return tg_fail(why, TG_ERR_INVALID, "not an X.509 certificate (PEM or DER)");
	/* d2i stops after the first structure: bytes after it are not part of the key. */
	if ((size_t)(q - p) != len) {
		X509_free(x);
		return tg_fail(why, TG_ERR_INVALID, "data follows the DER certificate");
	}
	return cert_of(x, out, why);
}

static bool
looks_pem(const unsigned char *p, size_t len)
{
	static const char begin[] = "-----BEGIN ";

	while (len > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		len--;
	}
	return len >= sizeof(begin) - 1 && memcmp(p, begin, sizeof(begin) - 1) == 0;
}

enum tg_err
cert_parse(const unsigned char *p, size_t len, struct tg_cert **out, struct tg_why *why)
{
	BIO *bio;
	X509 *x;

	if (!looks_pem(p, len))
		return from_der(p, len, out, why);
	if (len > INT_MAX)
		return tg_fail(why, TG_ERR_TOO_LARGE, "the certificate is too large");
	bio = BIO_new_mem_buf(p, (int)len);
	if (!bio)
		return tg_fail(why, TG_ERR_CRYPTO, "the cryptographic library is out of memory");
	/* No passphrase callback: the default one would prompt on the terminal. */
	x = PEM_read_bio_X509(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	if (!x)
		return tg_fail(why, TG_ERR_INVALID,
			       "no PEM \"CERTIFICATE\" block holding a valid certificate");
	return cert_of(x, out, why);
}

/* RFC 7517 section 4.7: base64 (RFC 4648 section 4, not base64url), padded, no whitespace. */
static bool
is_base64(const char *s, size_t n)
{
	size_t pad = 0;

	if (n == 0 || n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool is_alnum = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
				(ch >= '0' && ch <= '9');

		if (ch == '=' && i + 2 >= n)
			pad++;
		else if (pad > 0 || !(is_alnum || ch == '+' || ch == '/'))
			return false;
	}
	return pad <= 2;
}

enum tg_err
cert_from_x5c(const char *b64, struct tg_cert **out, struct tg_why *why)
{
	size_t n = strlen(b64), pad;
	unsigned char *der;
	int len;
	enum tg_err rc;

	if (n > X5C_MAX)
		return tg_fail(why, TG_ERR_TOO_LARGE, "x5c's first certificate is longer than %d "
			       "characters", X5C_MAX);
	if (!is_base64(b64, n))
		return tg_fail(why, TG_ERR_INVALID,
			       "x5c's first certificate is not standard base64 (RFC 7517 4.7)");
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	der = tg_xmalloc(n / 4 * 3 + 1);
	/* EVP_DecodeBlock counts padding as zero bytes: they are taken off again. */
	len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	if (len < 0 || (size_t)len < pad)
		rc = tg_fail(why, TG_ERR_INVALID, "x5c's first certificate is not valid base64");
	else
		rc = from_der(der, (size_t)len - pad, out, why);
	free(der);
	return rc;
}
