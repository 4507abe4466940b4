/*
 * X.509 certificates (RFC 5280) that carry a signature key, as Auth0, Entra ID
 * and Firebase publish them: the subject public key, subject and validity.
 * Never judges the issuer or a chain: the certificate only wraps a key.
 */
#ifndef TG_CERT_H
#define TG_CERT_H

#include "base/tokengate.h"

#include <openssl/evp.h>

struct tg_cert {
	EVP_PKEY *pkey;     /* the subject public key */
	char *subject;      /* RFC 2253 form, non-ASCII and control bytes escaped; may be "" */
	int64_t not_before; /* Unix times */
	int64_t not_after;
};

/* One certificate, PEM ("CERTIFICATE") or DER, nothing after it. */
enum tg_err cert_parse(const unsigned char *p, size_t len, struct tg_cert **out,
		       struct tg_why *why);
/* A JWK's x5c member (RFC 7517 section 4.7): the first certificate, standard base64 DER. */
enum tg_err cert_from_x5c(const char *b64, struct tg_cert **out, struct tg_why *why);
void cert_free(struct tg_cert *c);

#endif
