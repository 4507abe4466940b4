/*
 * http_parse: Bearer and cookie parsing, origins, methods, path patterns,
 * content types, forms (strict %-decoding and UTF-8) and Set-Cookie values,
 * all from plain strings as the transport hands them over.
 */
#include "http/http_parse.h"

#include "../lib/tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
bearer(const char *hdr, enum tg_err want, const char *want_tok)
{
	const char *tok = NULL;
	size_t len = 0;
	enum tg_err rc = http_bearer(hdr, &tok, &len);

	if (want == TG_OK)
		ok(rc == TG_OK && len == strlen(want_tok) && memcmp(tok, want_tok, len) == 0,
		   "Bearer \"%s\" gives \"%s\"", hdr, want_tok);
	else
		ok(rc == want, "Bearer \"%s\" is %s", hdr ? hdr : "(none)", tg_err_str(want));
}

static void
test_bearer(void)
{
	bearer(NULL, TG_ERR_NOT_FOUND, NULL);
	bearer("Basic dXNlcjpwYXNz", TG_ERR_NOT_FOUND, NULL);
	bearer("Bearerx abc", TG_ERR_NOT_FOUND, NULL);
	bearer("Bearer a.b.c", TG_OK, "a.b.c");
	bearer("bearer a.b.c", TG_OK, "a.b.c");
	bearer("BEARER   a.b-c_d~e+f/g==", TG_OK, "a.b-c_d~e+f/g==");
	bearer("Bearer a.b.c  ", TG_OK, "a.b.c");
	bearer("Bearer", TG_ERR_INVALID, NULL);
	bearer("Bearer ", TG_ERR_INVALID, NULL);
	bearer("Bearer a b", TG_ERR_INVALID, NULL);
	bearer("Bearer a=b", TG_ERR_INVALID, NULL);
	bearer("Bearer a,b", TG_ERR_INVALID, NULL);
	bearer("Bearer \"a.b.c\"", TG_ERR_INVALID, NULL);
}

static void
cookie(const char *hdr, const char *name, enum tg_err want, const char *want_val)
{
	const char *val = NULL;
	size_t len = 0;
	enum tg_err rc = http_cookie(hdr, name, &val, &len);

	if (want == TG_OK)
		ok(rc == TG_OK && len == strlen(want_val) && memcmp(val, want_val, len) == 0,
		   "cookie %s in \"%s\" is \"%s\"", name, hdr, want_val);
	else
		ok(rc == want, "cookie %s in \"%s\": %s", name, hdr ? hdr : "(none)",
		   tg_err_str(want));
}

static void
test_cookie(void)
{
	cookie(NULL, "tg", TG_ERR_NOT_FOUND, NULL);
	cookie("a=1; tg=x.y.z; b=2", "tg", TG_OK, "x.y.z");
	cookie("tg=x.y.z", "tg", TG_OK, "x.y.z");
	cookie("a=1;tg=\"x.y.z\"", "tg", TG_OK, "x.y.z");
	cookie("xtg=1; tgx=2", "tg", TG_ERR_NOT_FOUND, NULL);
	cookie("tg=", "tg", TG_ERR_NOT_FOUND, NULL);
	cookie("TG=x", "tg", TG_ERR_NOT_FOUND, NULL);
	cookie("tg=a; tg=b", "tg", TG_ERR_INVALID, NULL);
	cookie("tg; a=1", "tg", TG_ERR_NOT_FOUND, NULL);
	cookie("a=tg=x", "tg", TG_ERR_NOT_FOUND, NULL);
}

static void
origin(const char *url, const char *want)
{
	char *o = NULL;
	enum tg_err rc = http_origin_of(url, &o);

	if (want)
		ok(rc == TG_OK && o && strcmp(o, want) == 0, "origin of %s is %s (got %s)", url, want,
		   o ? o : "(none)");
	else
		ok(rc != TG_OK, "%s has no origin", url ? url : "(none)");
	free(o);
}

/* For URLs whose bytes should not reach the test's output. */
static void
no_origin(const char *url, const char *what)
{
	char *o = NULL;

	ok(http_origin_of(url, &o) != TG_OK, "%s has no origin", what);
	free(o);
}

static void
test_origin(void)
{
	origin("https://App.Example.com", "https://app.example.com");
	origin("https://app.example.com:443/path?q#f", "https://app.example.com");
	origin("http://app.example.com:80/", "http://app.example.com");
	origin("http://app.example.com:8080/x", "http://app.example.com:8080");
	origin("https://user:pw@app.example.com/", "https://app.example.com");
	origin("https://[::1]:8443/", "https://[::1]:8443");
	origin("null", NULL);
	origin("ftp://app.example.com", NULL);
	origin("https://", NULL);
	origin("https://app.example.com:99999/", NULL);
	origin("https://app.example.com:8a/", NULL);
	origin(NULL, NULL);
	/* RFC 6454 6.2: an origin's host is ASCII; a control byte or a space is no host at all. */
	no_origin("https://app.example.com\x18.evil/", "a host with a control byte");
	no_origin("https://app example.com/", "a host with a space");
	no_origin("https://[2001:db8::\xff" "1]/", "an IP literal with a non-ASCII byte");
	no_origin("https://b\xc3\xbc" "cher.example/", "a UTF-8 host (browsers send punycode)");
	ok(http_method_is_safe("GET") && http_method_is_safe("HEAD") &&
	   http_method_is_safe("OPTIONS"), "GET HEAD OPTIONS are safe");
	ok(!http_method_is_safe("POST") && !http_method_is_safe("get") &&
	   !http_method_is_safe(NULL), "POST, lower case and no method are unsafe");
}

static void
test_paths(void)
{
	struct http_path_args a;

	ok(http_path_match("/v1/authorize", "/v1/authorize", &a) && a.n == 0, "exact path");
	ok(!http_path_match("/v1/authorize", "/v1/authorize/", &a), "trailing slash differs");
	ok(!http_path_match("/v1/authorize", "/v1/authorizer", &a), "longer segment differs");
	ok(!http_path_match("/v1/authorize", "/v1", &a), "shorter path differs");
	ok(!http_path_match("/v1/authorize", NULL, &a), "no PATH_INFO");
	ok(http_path_match("/v1/sessions/{}/tokens", "/v1/sessions/abc/tokens", &a) && a.n == 1 &&
	   a.v[0].len == 3 && memcmp(a.v[0].p, "abc", 3) == 0, "one captured segment");
	ok(!http_path_match("/v1/sessions/{}", "/v1/sessions/", &a), "empty capture refused");
	ok(!http_path_match("/v1/sessions/{}", "/v1/sessions/a/b", &a), "capture is one segment");
	ok(http_path_match("/v1/users/{}/x/{}", "/v1/users/u1/x/u2", &a) && a.n == 2,
	   "two captures");
}

static void
test_content_type(void)
{
	static const struct {
		const char *ct, *mime;
		bool want;
	} cases[] = {
		{ "application/json", "application/json", true },
		{ "application/json; charset=UTF-8", "application/json", true },
		{ "application/json;charset=utf-8", "application/json", true },
		{ "Application/JSON", "application/json", true },
		{ " application/json ; charset=\"utf-8\" ", "application/json", true },
		{ "application/json; foo=bar; Charset=Utf-8", "application/json", true },
		{ "application/json;", "application/json", true },
		{ "application/json; charset=latin1", "application/json", false },
		{ "application/json; charset=utf-8x", "application/json", false },
		{ "application/json; charset=utf-8; charset=latin1", "application/json", false },
		{ "application/json; charset=", "application/json", false },
		{ "application/json; charset = utf-8", "application/json", false },
		{ "application/json; charset=\"utf-8", "application/json", false },
		{ "application/json; foo", "application/json", false },
		{ "application/jsonx", "application/json", false },
		{ "application/json, text/plain", "application/json", false },
		{ "text/plain", "application/json", false },
		{ "application/x-www-form-urlencoded", "application/x-www-form-urlencoded", true },
		{ "application/x-www-form-urlencoded", "application/json", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(http_content_type_is(cases[i].ct, cases[i].mime) == cases[i].want,
		   "\"%s\" %s %s", cases[i].ct, cases[i].want ? "is" : "is not", cases[i].mime);
	ok(!http_content_type_is(NULL, "application/json"), "no Content-Type is no type");
}

/* s for a test's name: bytes outside printable ASCII as \xHH, so TAP output stays text. */
static const char *
printable(const char *s, size_t len, char *out, size_t outsz)
{
	size_t o = 0;

	if (!s)
		return "(null)";
	for (size_t i = 0; i < len && o + 5 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

static void
form(const char *f, size_t len, const char *name, enum tg_err want, const char *want_val)
{
	char *v = NULL, fs[128], vs[64], gs[64];
	enum tg_err rc = http_form_get(f, len, name, &v);

	printable(f, len, fs, sizeof(fs));
	if (want == TG_OK)
		ok(rc == TG_OK && v && strcmp(v, want_val) == 0, "form \"%s\": %s is \"%s\" (got %s)",
		   fs, name, printable(want_val, strlen(want_val), vs, sizeof(vs)),
		   v ? printable(v, strlen(v), gs, sizeof(gs)) : tg_err_str(rc));
	else
		ok(rc == want && !v, "form \"%s\": %s is %s", fs, name, tg_err_str(want));
	free(v);
}

#define FORM(f, name, want, val) form(f, strlen(f), name, want, val)

static void
test_form(void)
{
	static const char *const allowed[] = { "grant_type", "refresh_token", NULL };

	FORM("grant_type=refresh_token&refresh_token=abc", "grant_type", TG_OK, "refresh_token");
	FORM("grant_type=refresh_token&refresh_token=abc", "refresh_token", TG_OK, "abc");
	FORM("a=hello+world%21", "a", TG_OK, "hello world!");
	FORM("a=%2B%2b+", "a", TG_OK, "++ ");
	FORM("a=%e2%82%AC", "a", TG_OK, "\xe2\x82\xac");
	FORM("gr%61nt+type=x", "grant type", TG_OK, "x");
	FORM("&&a=1&&b=2&", "b", TG_OK, "2");
	FORM("a=&b=2", "a", TG_OK, "");
	FORM("a&b=2", "a", TG_OK, "");
	FORM("a=b=c", "a", TG_OK, "b=c");
	FORM("ab=1", "a", TG_ERR_NOT_FOUND, NULL);
	FORM("b=1", "a", TG_ERR_NOT_FOUND, NULL);
	FORM("", "a", TG_ERR_NOT_FOUND, NULL);
	form(NULL, 0, "a", TG_ERR_NOT_FOUND, NULL);
	form("a=1&b=2", 3, "a", TG_OK, "1");
	form("a=1&b=2", 3, "b", TG_ERR_NOT_FOUND, NULL);
	/* RFC 6749 3.2: which of two values was meant cannot be known. */
	FORM("a=1&a=2", "a", TG_ERR_INVALID, NULL);
	FORM("a=1&a=1", "a", TG_ERR_INVALID, NULL);
	FORM("a=1&%61=2", "a", TG_ERR_INVALID, NULL);
	FORM("a=%", "a", TG_ERR_INVALID, NULL);
	FORM("a=%4", "a", TG_ERR_INVALID, NULL);
	FORM("a=%zz", "a", TG_ERR_INVALID, NULL);
	FORM("a=%4g", "a", TG_ERR_INVALID, NULL);
	FORM("a=%%41", "a", TG_ERR_INVALID, NULL);
	/* A malformed field elsewhere makes the whole form unreadable. */
	FORM("b=%&a=1", "a", TG_ERR_INVALID, NULL);
	FORM("%zz=1&a=1", "a", TG_ERR_INVALID, NULL);
	FORM("a=x%00y", "a", TG_ERR_INVALID, NULL);
	form("a=x\0y", 5, "a", TG_ERR_INVALID, NULL);
	FORM("a=%ff", "a", TG_ERR_INVALID, NULL);
	FORM("a=%c3", "a", TG_ERR_INVALID, NULL);
	FORM("a=%c0%80", "a", TG_ERR_INVALID, NULL);
	FORM("a=%ed%a0%80", "a", TG_ERR_INVALID, NULL);
	FORM("a=%f4%90%80%80", "a", TG_ERR_INVALID, NULL);
	FORM("a=\xc3\xa9", "a", TG_OK, "\xc3\xa9");
	FORM("a=\xe9", "a", TG_ERR_INVALID, NULL);

	ok(!http_form_has_other("grant_type=x&refresh_token=y", 28, allowed), "only allowed fields");
	ok(!http_form_has_other("gr%61nt_type=x&&", 16, allowed), "names are compared decoded");
	ok(!http_form_has_other("grant_type", 10, allowed), "a field without '=' is named");
	ok(!http_form_has_other("", 0, allowed) && !http_form_has_other(NULL, 0, allowed),
	   "an empty form has no other field");
	ok(http_form_has_other("grant_type=x&scope=y", 20, allowed), "scope is another field");
	ok(http_form_has_other("grant_type=x&grant_typ=y", 24, allowed), "a prefix is another field");
	ok(http_form_has_other("%zz=1", 5, allowed), "an unreadable name is not vouched for");
	ok(http_form_has_other("grant_type=%zz", 14, allowed), "nor is an unreadable value");
}

/* Issue 12: an API form with a NUL (or any bad field) is refused naming the field. */
static void
test_form_check(void)
{
	static const struct {
		const char *form, *why;
	} cases[] = {
		{ "grant_type=refresh_token&refresh_token=ab%00c",
		  "the form field \"refresh_token\" contains a NUL byte (%00), which no field may hold" },
		{ "user_id=%00admin&limit=1",
		  "the form field \"user_id\" contains a NUL byte (%00), which no field may hold" },
		{ "a=1&b=%4", "the form field \"b\" has a '%' not followed by two hex digits" },
		{ "a=%c3", "the form field \"a\" is not valid UTF-8" },
		{ "a%00=1", "a form field's name contains a NUL byte (%00), which no field may hold" },
	};
	struct tg_why why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&why, 0, sizeof(why));
		is_int(http_form_check(cases[i].form, strlen(cases[i].form), &why), TG_ERR_INVALID,
		       "form_check refuses %s", cases[i].form);
		is_str(why.text, cases[i].why, "and names the field");
	}
	is_int(http_form_check("a=1&&b=%C3%A9&c", 15, &why), TG_OK, "a well-formed form passes");
	is_int(http_form_check(NULL, 0, &why), TG_OK, "so does none");
}

static const struct http_cookie_attrs lax_secure = { true, "Lax", "/" };

/* Whether http_cookie_format refuses (and leaves its out-parameter alone). */
static bool
is_refused_with(const char *name, const char *value, const struct http_cookie_attrs *a,
		int64_t max_age)
{
	char *sentinel = (char *)"untouched", *c = sentinel;
	enum tg_err rc = http_cookie_format(name, value, a, max_age, &c);

	if (c != sentinel)
		free(c);
	return rc == TG_ERR_INVALID && c == sentinel;
}

static bool
is_refused(const char *name, const char *value, int64_t max_age)
{
	return is_refused_with(name, value, &lax_secure, max_age);
}

/* The refresh cookie's attributes: plain HTTP (no Secure), Strict, scoped below the mount. */
static void
test_cookie_attrs(void)
{
	const struct http_cookie_attrs strict = { false, "Strict", "/auth/v1/token" };
	char *c = NULL;

	ok(http_cookie_format("tg_refresh", "abc", &strict, 60, &c) == TG_OK, "a scoped cookie");
	is_str(c, "tg_refresh=abc; HttpOnly; SameSite=Strict; Path=/auth/v1/token; Max-Age=60",
	       "no Secure, SameSite=Strict, the path as given");
	free(c);
	ok(is_refused_with("t", "v", &(struct http_cookie_attrs){ true, "Lax", "/a;b" }, 1),
	   "';' in the path would add an attribute");
	ok(is_refused_with("t", "v", &(struct http_cookie_attrs){ true, "Lax", "/a b" }, 1) &&
	   is_refused_with("t", "v", &(struct http_cookie_attrs){ true, "Lax", "/a\r\n" }, 1),
	   "a blank or CR LF in the path");
	ok(is_refused_with("t", "v", &(struct http_cookie_attrs){ true, "Lax", "a" }, 1) &&
	   is_refused_with("t", "v", &(struct http_cookie_attrs){ true, "Lax", "" }, 1),
	   "a path that is not absolute");
	ok(is_refused_with("t", "v", &(struct http_cookie_attrs){ true, "None", "/" }, 1),
	   "SameSite=None is never ours");
}

static void
test_cookie_format(void)
{
	char *c = NULL;

	ok(http_cookie_format("tg_session", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_",
			      &lax_secure, 900, &c) == TG_OK, "a JWT makes a cookie");
	is_str(c, "tg_session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_; HttpOnly; Secure; "
		  "SameSite=Lax; Path=/; Max-Age=900", "Set-Cookie value for a JWT");
	free(c);
	c = NULL;
	ok(http_cookie_format("tg", "", &lax_secure, 0, &c) == TG_OK, "an empty value clears");
	is_str(c, "tg=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0", "clearing cookie");
	free(c);
	ok(is_refused("tg", "a;b", 1), "';' in the value would end it early");
	ok(is_refused("tg", "a b", 1), "space in the value");
	ok(is_refused("tg", "a\"b", 1) && is_refused("tg", "a,b", 1) && is_refused("tg", "a\\b", 1),
	   "DQUOTE, comma and backslash in the value");
	ok(is_refused("tg", "a\r\nSet-Cookie: x=1", 1), "CR LF in the value");
	ok(is_refused("tg", "\x7f", 1) && is_refused("tg", "\xc3\xa9", 1),
	   "DEL and non-ASCII in the value");
	ok(is_refused("t=g", "a", 1) && is_refused("t g", "a", 1) && is_refused("", "a", 1) &&
	   is_refused("t;", "a", 1), "names that are not tokens");
	/* A token inside its expiry leeway: the caller crashed on NULL before. */
	ok(is_refused("tg", "a", -1) && is_refused("tg", "a", INT64_MIN), "negative Max-Age");
	ok(is_refused(NULL, "a", 1) && is_refused("tg", NULL, 1), "NULL refused");
}

int
main(void)
{
	test_bearer();
	test_cookie();
	test_origin();
	test_paths();
	test_content_type();
	test_form();
	test_form_check();
	test_cookie_format();
	test_cookie_attrs();
	return done_testing();
}
