/*
 * libFuzzer target for what the gateway reads from request headers and
 * writes into response headers: Authorization: Bearer, Cookie, Origin and
 * Referer, Content-Type, REMOTE_ADDR, Set-Cookie values, sanitised variables
 * and header values. The input is one header value (the server hands them
 * over as C strings, so it ends at the first NUL); byte 0 also gives a
 * Max-Age and an output size. Each parser must keep its own promises:
 * results inside the input, round trips, no control byte in a header.
 */
#include "fuzz.h"
#include "role/api.h"
#include "role/authz.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOKIE "tg_session"


static bool
is_inside(const char *p, size_t len, const char *s)
{
	return p >= s && len > 0 && len <= strlen(s) && p + len <= s + strlen(s);
}

static void
check_bearer_and_cookie(const char *s)
{
	const char *p;
	size_t len;

	if (http_bearer(s, &p, &len) == TG_OK)
		fuzz_require(is_inside(p, len, s), "bearer token is not inside the header");
	if (http_cookie(s, COOKIE, &p, &len) == TG_OK)
		fuzz_require(is_inside(p, len, s) && !memchr(p, ';', len),
			     "cookie value is not one value inside the header");
	(void)http_method_is_safe(s);
	(void)http_content_type_is(s, "application/json");
	(void)http_content_type_is(s, "application/x-www-form-urlencoded");
}

static void
check_origin(const char *s)
{
	char *o = NULL, *again = NULL;

	if (http_origin_of(s, &o) != TG_OK)
		return;
	fuzz_require((strncmp(o, "http://", 7) == 0 || strncmp(o, "https://", 8) == 0) &&
		     http_origin_of(o, &again) == TG_OK && strcmp(o, again) == 0,
		     "an origin is not its own origin");
	for (const char *c = o; *c; c++)
		fuzz_require(!(*c >= 'A' && *c <= 'Z') && (unsigned char)*c > 0x20,
			     "an origin not lower-case ASCII");
	free(again);
	free(o);
}

/* Set-Cookie: what is formatted is read back as the same cookie. */
static void
check_set_cookie(const char *s, int64_t max_age)
{
	static const struct http_cookie_attrs attrs = { true, "Lax", "/" };
	char *h = NULL, *pair;
	enum tg_err rc = http_cookie_format(COOKIE, s, &attrs, max_age, &h);
	const char *p;
	size_t len;

	fuzz_require((rc == TG_OK) == (h != NULL), "the result and the answer disagree");
	if (max_age < 0)
		fuzz_require(rc == TG_ERR_INVALID && h == NULL, "a negative Max-Age was formatted");
	if (h) {
		pair = tg_xstrndup(h, strcspn(h, ";"));
		if (*s)
			fuzz_require(http_cookie(pair, COOKIE, &p, &len) == TG_OK && len == strlen(s) &&
				     memcmp(p, s, len) == 0, "Set-Cookie value does not read back");
		free(pair);
		free(h);
	}
	h = NULL;
	if (http_cookie_format(s, "v", &attrs, 0, &h) == TG_OK) {
		pair = tg_xstrndup(h, strcspn(h, ";"));
		fuzz_require(http_cookie(pair, s, &p, &len) == TG_OK && len == 1 && *p == 'v',
			     "a formatted cookie name does not read back");
		free(pair);
		free(h);
	}
}

static void
check_sanitize(const char *s, size_t outsz)
{
	char *out = tg_xmalloc(outsz), again[GRANT_VALUE_MAX + 1];
	size_t n = grant_sanitize(s, strlen(s), out, outsz);

	fuzz_require(n < outsz && n == strlen(out), "sanitised length is wrong");
	/* outsz is at most sizeof(again): all of out fits */
	fuzz_require(grant_sanitize(out, n, again, sizeof(again)) == n && strcmp(out, again) == 0,
		     "sanitising is not idempotent");
	free(out);
}

static void
check_address(const char *s)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (api_ip_canonical(s, a))
		fuzz_require(api_ip_canonical(a, b) && strcmp(a, b) == 0, "canonical address changes");
}

/* A response header value carries no control byte that could end its line. */
static void
check_header(const char *s)
{
	struct http_response r;
	char *text;
	size_t len;

	http_response_init(&r, 200);
	http_header_add(&r, "X-Fuzz", s);
	for (const char *c = r.headers[r.nheaders - 1].value; *c; c++)
		fuzz_require((unsigned char)*c >= 0x20 && *c != 0x7f,
			     "a header value keeps a control byte");
	text = http_format(&r, &len);
	free(text);
	http_response_fini(&r);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s;
	int64_t max_age;

	if (size < 1)
		return 0;
	max_age = (int64_t)(signed char)data[0] * 1000;
	s = tg_xstrndup((const char *)data + 1, size - 1);
	check_bearer_and_cookie(s);
	check_origin(s);
	check_set_cookie(s, max_age);
	check_sanitize(s, 1 + data[0] % 64);
	check_sanitize(s, GRANT_VALUE_MAX + 1);
	check_address(s);
	check_header(s);
	free(s);
	return 0;
}
