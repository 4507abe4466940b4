/*
 * HTTPS GET through libcurl, the only file with <curl/curl.h>. Every option
 * whose libcurl default is looser than our rule is set here, with the reason;
 * never follows a redirect off https, never logs a body.
 */
#include "fetch/fetch.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DELTA_SECONDS_MAX 2147483648LL /* RFC 9111 1.2.2: a larger delta saturates here */
#define MAX_REDIRECTS 3

enum tg_err
fetch_global_init(struct tg_why *why)
{
	/* CURL_GLOBAL_DEFAULT initialises OpenSSL too; once per process, before threads. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tg_fail(why, TG_ERR_CRYPTO, "libcurl could not initialise (TLS or resolver): "
			       "key sets of identity providers cannot be fetched; check the libcurl "
			       "and OpenSSL installation");
	return TG_OK;
}

bool
fetch_url_is_https(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	bool is_ok;

	/*
	 * Without CURLU_DEFAULT_SCHEME a URL missing its scheme is refused, not taken for
	 * http; the prefix check refuses what curl's parser mends ("https:///path").
	 */
	is_ok = u && strncasecmp(url, "https://", 8) == 0 && url[8] && url[8] != '/' &&
		curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		strcasecmp(scheme, "https") == 0 &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] &&
		curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
		curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_NO_PASSWORD;
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return is_ok;
}

/* Skips optional whitespace (RFC 9110 5.6.3) from *i up to len. */
static void
skip_ows(const char *v, size_t len, size_t *i)
{
	while (*i < len && (v[*i] == ' ' || v[*i] == '\t'))
		(*i)++;
}

/* delta-seconds: 1*DIGIT, optionally quoted (5.2: senders must not, recipients accept). */
static bool
parse_delta(const char *v, size_t len, size_t *i, int64_t *out)
{
	bool is_quoted = *i < len && v[*i] == '"';
	int64_t n = 0;
	size_t start;

	if (is_quoted)
		(*i)++;
	start = *i;
	while (*i < len && v[*i] >= '0' && v[*i] <= '9') {
		if (n < DELTA_SECONDS_MAX)
			n = n * 10 + (v[*i] - '0');
		(*i)++;
	}
	if (*i == start || (is_quoted && (*i >= len || v[(*i)++] != '"')))
		return false;
	*out = n < DELTA_SECONDS_MAX ? n : DELTA_SECONDS_MAX;
	return true;
}

/* The directive's name at *i: a token (RFC 9110 5.6.2) up to '=', ',' or whitespace. */
static size_t
directive_name(const char *v, size_t len, size_t *i)
{
	size_t start = *i;

	while (*i < len && v[*i] != '=' && v[*i] != ',' && v[*i] != ' ' && v[*i] != '\t')
		(*i)++;
	return *i - start;
}

/* Skips a directive's argument we do not use: a token or a quoted-string. */
static void
skip_argument(const char *v, size_t len, size_t *i)
{
	if (*i < len && v[*i] == '"') {
		for ((*i)++; *i < len && v[*i] != '"'; (*i)++)
			if (v[*i] == '\\' && *i + 1 < len)
				(*i)++;
		if (*i < len)
			(*i)++;
		return;
	}
	while (*i < len && v[*i] != ',')
		(*i)++;
}

static bool
is_name(const char *v, size_t start, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(v + start, name, n) == 0;
}

bool
fetch_max_age(const char *v, size_t len, int64_t *out)
{
	int64_t age = -1, n;
	bool is_uncached = false;
	size_t i = 0;

	while (i < len) {
		size_t start, nlen;

		skip_ows(v, len, &i);
		start = i;
		nlen = directive_name(v, len, &i);
		skip_ows(v, len, &i);
		if (i < len && v[i] == '=') {
			i++;
			skip_ows(v, len, &i);
			if (is_name(v, start, nlen, "max-age")) {
				if (!parse_delta(v, len, &i, &n))
					return false;
				/* RFC 9111 4.2.1: the first of duplicated directives counts. */
				if (age < 0)
					age = n;
			} else {
				skip_argument(v, len, &i);
			}
		} else if (is_name(v, start, nlen, "no-cache") || is_name(v, start, nlen, "no-store")) {
			is_uncached = true;
		}
		skip_ows(v, len, &i);
		if (i < len && v[i] != ',')
			return false;
		i++;
	}
	if (is_uncached)
		age = 0;
	if (age < 0)
		return false;
	*out = age;
	return true;
}

struct transfer {
	char *body;
	size_t len, max;
	bool is_too_large;
	char *cache_control; /* the Cache-Control fields, joined by commas (RFC 9110 5.3) */
	size_t cc_len;
	bool is_cc_ignored; /* too long to keep: no max-age rather than a cut one */
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t add = size * n;

	if (add > t->max - t->len) {
		t->is_too_large = true;
		return 0; /* CURLE_WRITE_ERROR: the transfer ends here, nothing beyond the cap is read */
	}
	t->body = tg_xrealloc(t->body, t->len + add + 1);
	memcpy(t->body + t->len, p, add);
	t->len += add;
	t->body[t->len] = '\0';
	return add;
}

#define CC_FIELD "cache-control:"
#define CC_MAX 4096 /* a longer Cache-Control is ignored whole, never read cut */

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n, flen = strlen(CC_FIELD);

	/* A redirect's fields say nothing about the final answer: each status line starts over. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(t->cache_control);
		t->cache_control = NULL;
		t->cc_len = 0;
		t->is_cc_ignored = false;
	}
	if (len <= flen || strncasecmp(p, CC_FIELD, flen) != 0)
		return len;
	p += flen;
	len -= flen;
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (t->cc_len + len + 1 > CC_MAX) {
		t->is_cc_ignored = true;
		return size * n;
	}
	t->cache_control = tg_xrealloc(t->cache_control, t->cc_len + len + 2);
	if (t->cc_len)
		t->cache_control[t->cc_len++] = ',';
	memcpy(t->cache_control + t->cc_len, p, len);
	t->cc_len += len;
	t->cache_control[t->cc_len] = '\0';
	return size * n;
}

/* Every option whose libcurl default is not our rule; false when libcurl refused one. */
static bool
set_options(CURL *h, const char *url, const char *ca_file, int64_t timeout_ms, char *errbuf,
	    struct transfer *t)
{
	bool is_ok = true;

	is_ok &= curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
	/* Default: every protocol libcurl was built with. A key set comes over HTTPS alone. */
	is_ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK;
	/* Default: no redirects; providers move their JWKS behind one, so a few, to https only. */
	is_ok &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS) == CURLE_OK;
	/* The defaults verify, but a key set's integrity is all in the TLS: never left implicit. */
	is_ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	/* Default: whatever the TLS library allows; TLS 1.2 at least, as providers require. */
	is_ok &= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
	if (ca_file) {
		/* Only the tenant's CAs: the default CA directory would let any public CA in too. */
		is_ok &= curl_easy_setopt(h, CURLOPT_CAINFO, ca_file) == CURLE_OK;
		is_ok &= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) == CURLE_OK;
	}
	/* Default: no limit at all. The whole transfer, resolving and redirects included. */
	is_ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms) == CURLE_OK;
	/* Default: SIGALRM for resolver timeouts, which is not safe in a threaded worker. */
	is_ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	/*
	 * Default: http_proxy/https_proxy from the environment. A worker inherits its
	 * server's environment, which nobody reviews for this, so the key set's route
	 * would change with it: "" turns the environment's proxies off.
	 */
	is_ok &= curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK;
	/*
	 * Cookies stay off (libcurl's default: no COOKIEFILE is set), and so does decoding a
	 * compressed body (no ACCEPT_ENCODING): the size cap counts the bytes as they come.
	 */
	is_ok &= curl_easy_setopt(h, CURLOPT_USERAGENT, "tokengate") == CURLE_OK;
	/* An announced Content-Length above the cap ends it before the body; on_body the rest. */
	is_ok &= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, t) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	is_ok &= curl_easy_setopt(h, CURLOPT_HEADERDATA, t) == CURLE_OK;
	return is_ok;
}

static enum tg_err
transfer_failed(CURLcode cc, const struct transfer *t, const char *url, const char *errbuf,
		int64_t timeout_ms, struct tg_why *why)
{
	if (t->is_too_large || cc == CURLE_FILESIZE_EXCEEDED)
		return tg_fail(why, TG_ERR_TOO_LARGE, "%s sent more than %zu bytes: not a key set "
			       "(check the tenant's jwks_uri)", url, t->max);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return tg_fail(why, TG_ERR_IO, "%s did not answer within %lld ms (jwks_fetch_timeout): "
			       "check that the provider is reachable from this host", url,
			       (long long)timeout_ms);
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
		return tg_fail(why, TG_ERR_DENIED, "%s: the server's certificate is not trusted (%s): "
			       "check the tenant's --jwks-ca-file or the system CA store", url,
			       errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (cc == CURLE_UNSUPPORTED_PROTOCOL)
		return tg_fail(why, TG_ERR_DENIED, "%s: refused a redirect or URL that is not https (%s)",
			       url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	return tg_fail(why, TG_ERR_IO, "%s could not be fetched: %s", url,
		       errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

enum tg_err
fetch_https(const char *url, const char *ca_file, int64_t timeout_ms, size_t max_bytes,
	    struct fetch_result *out, struct tg_why *why)
{
	struct transfer t = { .max = max_bytes };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	CURLcode cc;
	long status = 0;
	enum tg_err rc;

	if (!fetch_url_is_https(url)) {
		rc = tg_fail(why, TG_ERR_INVALID, "%s is not an https URL without credentials", url);
		goto out;
	}
	h = curl_easy_init();
	if (!h || !set_options(h, url, ca_file, timeout_ms, errbuf, &t)) {
		rc = tg_fail(why, TG_ERR_UNSUPPORTED, "libcurl refused an option tokengate needs "
			     "(https only, verified TLS): use the libcurl of libcurl4-openssl-dev >= 7.85");
		goto out;
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = transfer_failed(cc, &t, url, errbuf, timeout_ms, why);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		rc = tg_fail(why, TG_ERR_IO, "%s answered HTTP %ld, not 200: check the tenant's "
			     "jwks_uri", url, status);
		goto out;
	}
	out->body = t.body ? t.body : tg_xstrdup("");
	out->len = t.len;
	t.body = NULL; /* ownership moves to the caller */
	if (t.is_cc_ignored || !t.cache_control ||
	    !fetch_max_age(t.cache_control, t.cc_len, &out->max_age))
		out->max_age = -1;
	rc = TG_OK;
out:
	curl_easy_cleanup(h);
	free(t.body);
	free(t.cache_control);
	return rc;
}

void
fetch_result_fini(struct fetch_result *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
