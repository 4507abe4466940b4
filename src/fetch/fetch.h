/*
 * Fetching a document over HTTPS for the gateway: the only file with
 * <curl/curl.h>. Never follows plain http, never trusts a certificate it cannot
 * verify, never keeps more than the caller's cap or waits past its bound.
 */
#ifndef TG_FETCH_H
#define TG_FETCH_H

#include "base/tokengate.h"

#define FETCH_MAX_BYTES (1024 * 1024) /* a JWKS of 100 RSA-4096 keys is about 80 KB */

struct fetch_result {
	char *body;      /* owned, NUL-terminated after len bytes */
	size_t len;
	int64_t max_age; /* Cache-Control max-age in seconds; -1: none given */
};

/* Once per process, before its threads start: libcurl's global state (TLS, resolver). */
enum tg_err fetch_global_init(struct tg_why *why);

/*
 * Whether url is an absolute https URL with a host and without user or
 * password (a credential in it would show in every log line naming it).
 */
bool fetch_url_is_https(const char *url);

/*
 * GET url over HTTPS; only a 200 answer is a result. ca_file NULL: the system's
 * CA store; else only the CAs in that file. The whole transfer (connect, TLS,
 * redirects to https, body) ends after timeout_ms; a body above max_bytes is
 * cut off and refused. why names the URL and what to do.
 */
enum tg_err fetch_https(const char *url, const char *ca_file, int64_t timeout_ms, size_t max_bytes,
			struct fetch_result *out, struct tg_why *why);
void fetch_result_fini(struct fetch_result *r);

/*
 * The max-age of one Cache-Control field value (RFC 9111 5.2: directives
 * separated by commas, names case-insensitive, delta-seconds saturating at
 * 2^31, 1.2.2). no-cache and no-store count as 0. False when none is given or
 * the value is malformed.
 */
bool fetch_max_age(const char *value, size_t len, int64_t *out);

#endif
