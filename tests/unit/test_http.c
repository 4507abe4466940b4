/*
 * What the transport can show without a server: Bearer and cookie parsing,
 * origins, methods, path patterns, content types, forms, Set-Cookie values,
 * the formatted response (no header splitting, JSON error bodies), binding a
 * listening socket safely, and a CGI request's parameters and body (the body
 * arrives on file descriptor 0, which the tests point at a pipe).
 */
#include "http.h"

#include "../lib/tap.h"

#include <errno.h>
#include <json.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
test_response(void)
{
	struct http_response r;
	struct json_object *o;
	char *msg, *body;
	size_t len;

	http_response_init(&r, 401);
	http_header_add(&r, "X-Test", "a\r\nSet-Cookie: evil=1");
	http_set_error(&r, 401, "invalid_token", "the \"exp\" claim\nhas passed");
	msg = http_format(&r, &len);
	ok(strncmp(msg, "Status: 401 Unauthorized\r\n", 26) == 0, "status line first");
	ok(strstr(msg, "X-Test: a  Set-Cookie: evil=1\r\n") != NULL,
	   "CR and LF in a header value cannot start a new header");
	ok(strstr(msg, "Content-Type: application/json\r\n") && strstr(msg, "Cache-Control: no-store"),
	   "JSON error is typed and not cacheable");
	body = strstr(msg, "\r\n\r\n");
	o = body ? json_tokener_parse(body + 4) : NULL;
	ok(o && strcmp(json_object_get_string(json_object_object_get(o, "error")),
		       "invalid_token") == 0, "body has error");
	ok(o && strcmp(json_object_get_string(json_object_object_get(o, "error_description")),
		       "the \"exp\" claim\nhas passed") == 0, "body has error_description, escaped");
	ok(strstr(msg, "Content-Length: ") != NULL, "a body gets a Content-Length");
	is_int(len, strlen(msg), "length reported");
	json_object_put(o);
	free(msg);
	http_response_fini(&r);

	http_response_init(&r, 200);
	http_header_add(&r, "Variable-TOKENGATE_SUB", "alice");
	msg = http_format(&r, &len);
	is_str(msg, "Status: 200 OK\r\nVariable-TOKENGATE_SUB: alice\r\n\r\n",
	       "an allow without body has no Content-Length (mod_fcgid copies headers)");
	free(msg);
	http_response_fini(&r);
	is_str(http_status_text(413), "Content Too Large", "status text 413");
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

static void
test_cookie_format(void)
{
	char *c = http_cookie_format("tg_session", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_", 900);

	is_str(c, "tg_session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_; HttpOnly; Secure; "
		  "SameSite=Lax; Path=/; Max-Age=900", "Set-Cookie value for a JWT");
	free(c);
	c = http_cookie_format("tg", "", 0);
	is_str(c, "tg=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0", "clearing cookie");
	free(c);
	ok(!http_cookie_format("tg", "a;b", 1), "';' in the value would end it early");
	ok(!http_cookie_format("tg", "a b", 1), "space in the value");
	ok(!http_cookie_format("tg", "a\"b", 1) && !http_cookie_format("tg", "a,b", 1) &&
	   !http_cookie_format("tg", "a\\b", 1), "DQUOTE, comma and backslash in the value");
	ok(!http_cookie_format("tg", "a\r\nSet-Cookie: x=1", 1), "CR LF in the value");
	ok(!http_cookie_format("tg", "\x7f", 1) && !http_cookie_format("tg", "\xc3\xa9", 1),
	   "DEL and non-ASCII in the value");
	ok(!http_cookie_format("t=g", "a", 1) && !http_cookie_format("t g", "a", 1) &&
	   !http_cookie_format("", "a", 1) && !http_cookie_format("t;", "a", 1),
	   "names that are not tokens");
	ok(!http_cookie_format("tg", "a", -1), "negative Max-Age");
	ok(!http_cookie_format(NULL, "a", 1) && !http_cookie_format("tg", NULL, 1), "NULL refused");
}

/* A CGI request's parameters are the environment: the test swaps in its own. */
static void
test_accept_cgi(void)
{
	char *env[] = {
		"SERVER_SOFTWARE=lighttpd",
		"FCGI_ROLE=AUTHORIZER", /* never trusted from a CGI environment */
		"REQUEST_METHOD=POST",
		"REQUEST_URI=/v1/token?x=1",
		"PATH_INFO=/v1/token",
		"QUERY_STRING=tenant=acme&x=%41",
		"QUERY_STRING=second",
		"CONTENT_TYPE=application/json",
		"CONTENT_LENGTHX=9",
		"CONTENT_LENGTH=42",
		"HTTP_AUTHORIZATIONX=no",
		"HTTP_AUTHORIZATION=Bearer k",
		"HTTP_COOKIE=tg=x",
		"HTTP_ORIGIN=https://app.example",
		"HTTP_REFERER=https://app.example/p",
		"HTTP=no",
		"HTTPS=on",
		"HTTP_X_FORWARDED_PROTO=https",
		"REMOTE_ADDR=203.0.113.7",
		"REMOTE_PORT=5555",
		"TOKENGATE_TENANT=acme",
		"TOKENGATE_REQUIRE_AMR=otp",
		"P",
		"",
		NULL,
	};
	char *empty[] = { "PATH_INFO", "REQUEST_METHOD=", NULL };
	char **saved = environ;
	struct http_conn *c = http_conn_cgi();
	struct http_request req;

	environ = env;
	ok(http_accept(c, &req) == TG_OK, "CGI request accepted");
	environ = saved;
	ok(req.role == HTTP_ROLE_RESPONDER, "CGI is a responder");
	is_str(req.method, "POST", "REQUEST_METHOD");
	is_str(req.path_info, "/v1/token", "PATH_INFO");
	is_str(req.query_string, "tenant=acme&x=%41", "QUERY_STRING, the first of two");
	is_str(req.content_type, "application/json", "CONTENT_TYPE");
	is_int(req.content_length, 42, "CONTENT_LENGTH, not CONTENT_LENGTHX");
	is_str(req.authorization, "Bearer k", "HTTP_AUTHORIZATION, not a longer name");
	is_str(req.cookie, "tg=x", "HTTP_COOKIE");
	is_str(req.origin, "https://app.example", "HTTP_ORIGIN");
	is_str(req.referer, "https://app.example/p", "HTTP_REFERER");
	is_str(req.https, "on", "HTTPS");
	is_str(req.forwarded_proto, "https", "HTTP_X_FORWARDED_PROTO");
	is_str(req.remote_addr, "203.0.113.7", "REMOTE_ADDR");
	is_str(req.tenant, "acme", "TOKENGATE_TENANT");
	is_str(req.require_amr, "otp", "TOKENGATE_REQUIRE_AMR");

	environ = empty;
	ok(http_accept(c, &req) == TG_OK, "second request on the same connection");
	environ = saved;
	ok(!req.path_info && !req.query_string && !req.authorization && req.content_length == -1,
	   "absent parameters are NULL, a name without '=' is no parameter");
	is_str(req.method, "", "an empty value is kept");
	http_conn_free(c);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A CGI request whose body a child writes to fd 0 in two pieces, pause_ms
 * apart (so a read sees a partial body). content_length NULL: none declared.
 */
struct body_case {
	const char *content_length;
	const char *data;
	size_t len, split;
	long pause_ms;
};

static enum tg_err
read_body(const struct body_case *bc, size_t cap, char **body, size_t *len, char *rest,
	  size_t restsz, size_t *restlen)
{
	int p[2], saved0 = dup(0);
	struct http_conn *c = http_conn_cgi();
	struct http_request req;
	enum tg_err rc;
	pid_t pid;
	ssize_t n;

	if (pipe(p) != 0 || saved0 < 0) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (write(p[1], bc->data, bc->split) != (ssize_t)bc->split)
			_exit(1);
		pause_ms(bc->pause_ms);
		if (write(p[1], bc->data + bc->split, bc->len - bc->split) !=
		    (ssize_t)(bc->len - bc->split))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
	if (bc->content_length)
		setenv("CONTENT_LENGTH", bc->content_length, 1);
	else
		unsetenv("CONTENT_LENGTH");
	http_accept(c, &req);
	rc = http_read_body(c, &req, cap, body, len);
	/* What the body reader left unread. */
	*restlen = 0;
	do {
		n = read(0, rest + *restlen, restsz - *restlen);
		*restlen += n > 0 ? (size_t)n : 0;
	} while (n > 0 && *restlen < restsz);
	dup2(saved0, 0);
	close(saved0);
	waitpid(pid, NULL, 0);
	unsetenv("CONTENT_LENGTH");
	http_conn_free(c);
	return rc;
}

static void
test_read_body(void)
{
	static char big[100000];
	char *body = NULL, rest[64];
	size_t len = 0, restlen = 0;
	struct body_case bc;
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { 0, 20000 } };
	enum tg_err rc;

	bc = (struct body_case){ "6", "abcdef", 6, 3, 50 };
	rc = read_body(&bc, 64, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_OK && len == 6 && strcmp(body, "abcdef") == 0,
	   "a declared body arriving in two pieces is read whole, NUL-terminated");
	free(body);
	body = NULL;

	/* No SA_RESTART: the pending read fails with EINTR and must be retried. */
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	bc = (struct body_case){ "6", "abcdef", 6, 0, 200 };
	rc = read_body(&bc, 64, &body, &len, rest, sizeof(rest), &restlen);
	sigaction(SIGALRM, &old, NULL);
	ok(rc == TG_OK && len == 6 && strcmp(body, "abcdef") == 0, "a signal does not cut the body");
	free(body);
	body = NULL;

	bc = (struct body_case){ "10", "abc", 3, 3, 0 };
	rc = read_body(&bc, 64, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_ERR_IO && !body, "a body shorter than CONTENT_LENGTH is TG_ERR_IO");

	bc = (struct body_case){ "11", "0123456789a", 11, 11, 0 };
	rc = read_body(&bc, 10, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_ERR_TOO_LARGE && !body && restlen == 11,
	   "a declared length above cap is refused unread (%zu bytes left)", restlen);

	bc = (struct body_case){ "0", "", 0, 0, 0 };
	rc = read_body(&bc, 10, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_OK && len == 0 && body && body[0] == '\0', "CONTENT_LENGTH 0 is an empty body");
	free(body);
	body = NULL;

	bc = (struct body_case){ NULL, "0123456789", 10, 4, 20 };
	rc = read_body(&bc, 10, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_OK && len == 10 && strcmp(body, "0123456789") == 0,
	   "without a length, a body of exactly cap is read to its end");
	free(body);
	body = NULL;

	bc = (struct body_case){ "", "0123456789", 10, 10, 0 };
	rc = read_body(&bc, 10, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_OK && len == 10, "an empty CONTENT_LENGTH is no declared length");
	free(body);
	body = NULL;

	bc = (struct body_case){ NULL, "0123456789abcdefghij", 20, 20, 0 };
	rc = read_body(&bc, 10, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_ERR_TOO_LARGE && !body && restlen == 9,
	   "without a length, reading stops one byte past cap (%zu of 20 left)", restlen);

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 'y';
	bc = (struct body_case){ NULL, big, sizeof(big), 30000, 20 };
	rc = read_body(&bc, 200000, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_OK && len == sizeof(big) && memcmp(body, big, len) == 0 && body[len] == '\0',
	   "a long body without a length is read whole");
	free(body);
	body = NULL;

	bc = (struct body_case){ "12a", "0123456789ab", 12, 12, 0 };
	rc = read_body(&bc, 64, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_ERR_INVALID && !body, "CONTENT_LENGTH 12a is invalid");
	bc = (struct body_case){ "-1", "", 0, 0, 0 };
	rc = read_body(&bc, 64, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_ERR_INVALID && !body, "CONTENT_LENGTH -1 is invalid");
	bc = (struct body_case){ "99999999999999999999", "", 0, 0, 0 };
	rc = read_body(&bc, 64, &body, &len, rest, sizeof(rest), &restlen);
	ok(rc == TG_ERR_INVALID && !body, "an overflowing CONTENT_LENGTH is invalid");
}

/* One FastCGI record (FastCGI 1.0 section 3.3) on fd, for request id 1. */
static bool
fcgi_record(int fd, int type, const void *data, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
			       (unsigned char)len, 0, 0 };

	return write(fd, h, 8) == 8 && (len == 0 || write(fd, data, len) == (ssize_t)len);
}

/*
 * A FastCGI client in a child process: sends role, params ("NAME=value"),
 * the body in two STDIN records, and exits 0 if the answer starts with want.
 */
static pid_t
fcgi_client(const char *path, int role, const char *const *params, const char *body, size_t split,
	    const char *want)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned char begin[8] = { 0, (unsigned char)role, 0 }, pbuf[1024];
	char out[4096];
	size_t n = 0, got = 0;
	ssize_t r;
	int fd;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		_exit(2);
	for (const char *const *p = params; *p; p++) {
		size_t nl = strcspn(*p, "="), vl = strlen(*p) - nl - 1;

		pbuf[n++] = (unsigned char)nl;
		pbuf[n++] = (unsigned char)vl;
		memcpy(pbuf + n, *p, nl);
		memcpy(pbuf + n + nl, *p + nl + 1, vl);
		n += nl + vl;
	}
	if (!fcgi_record(fd, 1, begin, 8) || !fcgi_record(fd, 4, pbuf, n) ||
	    !fcgi_record(fd, 4, NULL, 0) || !fcgi_record(fd, 5, body, split) ||
	    !fcgi_record(fd, 5, body + split, strlen(body) - split) || !fcgi_record(fd, 5, NULL, 0))
		_exit(3);
	do {
		r = read(fd, out + got, sizeof(out) - got);
		got += r > 0 ? (size_t)r : 0;
	} while (r > 0 && got < sizeof(out));
	/* out[8...] is the first STDOUT record's content. */
	_exit(got > 8 + strlen(want) && out[1] == 6 && memcmp(out + 8, want, strlen(want)) == 0
		      ? 0 : 4);
}

static void
test_fastcgi(void)
{
	static const char *const resp_params[] = {
		"SERVER_SOFTWARE=test", "REQUEST_METHOD=POST", "PATH_INFO=/v1/token",
		"QUERY_STRING=a=1", "CONTENT_TYPE=application/x-www-form-urlencoded",
		"CONTENT_LENGTH=11", "HTTP_HOST=x", "HTTP_AUTHORIZATION=Bearer k", "HTTPS=on", NULL,
	};
	static const char *const authz_params[] = {
		"FCGI_ROLE=AUTHORIZER", "REQUEST_METHOD=GET", "CONTENT_LENGTH=5",
		"TOKENGATE_TENANT=acme", NULL,
	};
	char dir[] = "/tmp/tg-test-fcgi-XXXXXX", *path, *why = NULL, *body = NULL;
	struct http_conn *c = NULL;
	struct http_request req;
	struct http_response resp;
	size_t len = 0;
	int fd = -1, status = -1;
	pid_t pid;

	if (!mkdtemp(dir))
		return;
	path = tg_xasprintf("%s/fcgi.sock", dir);
	if (http_init() == TG_OK && http_listen(path, 4, &fd, &why) == TG_OK)
		c = http_conn_new(fd);
	ok(c != NULL, "FastCGI connection ready");
	if (!c)
		goto out;

	pid = fcgi_client(path, 1, resp_params, "hello world", 5, "Status: 200 OK\r\n");
	ok(http_accept(c, &req) == TG_OK, "FastCGI request accepted");
	ok(req.role == HTTP_ROLE_RESPONDER && strcmp(req.method, "POST") == 0 &&
	   strcmp(req.path_info, "/v1/token") == 0 && strcmp(req.query_string, "a=1") == 0 &&
	   req.content_length == 11 && strcmp(req.authorization, "Bearer k") == 0 &&
	   strcmp(req.https, "on") == 0 && !req.cookie && !req.tenant,
	   "the request's facts come from its FastCGI parameters");
	ok(http_read_body(c, &req, 64, &body, &len) == TG_OK && len == 11 &&
	   strcmp(body, "hello world") == 0, "a body in two STDIN records is read whole");
	free(body);
	http_response_init(&resp, 200);
	ok(http_send(c, &resp) == TG_OK, "answer sent");
	http_response_fini(&resp);
	http_finish(c);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the client got the answer (%d)", status);

	body = NULL;
	pid = fcgi_client(path, 2, authz_params, "12345", 2, "Status: 413 Content Too Large\r\n");
	ok(http_accept(c, &req) == TG_OK && req.role == HTTP_ROLE_AUTHORIZER &&
	   strcmp(req.tenant, "acme") == 0, "FCGI_ROLE AUTHORIZER and TOKENGATE_TENANT read");
	ok(http_read_body(c, &req, 4, &body, &len) == TG_ERR_TOO_LARGE && !body,
	   "a declared length above cap is refused over FastCGI too");
	http_response_init(&resp, 413);
	http_send(c, &resp);
	http_response_fini(&resp);
	http_finish(c);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the client got the refusal (%d)", status);
out:
	http_conn_free(c);
	if (fd >= 0)
		close(fd);
	free(why);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_listen(void)
{
	char dir[] = "/tmp/tg-test-http-XXXXXX", *path, *file, *why = NULL;
	int fd = -1, fd2 = -1;
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	path = tg_xasprintf("%s/tg.sock", dir);
	file = tg_xasprintf("%s/not-a-socket", dir);
	ok(http_listen(path, 8, &fd, &why) == TG_OK && fd >= 0, "unix socket bound");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "socket file exists");
	ok(http_listen(path, 8, &fd2, &why) != TG_OK && why && strstr(why, "another process"),
	   "a live socket is never stolen");
	free(why);
	why = NULL;
	close(fd);
	ok(http_listen(path, 8, &fd, &why) == TG_OK, "a dead instance's socket is replaced");
	close(fd);
	f = fopen(file, "w");
	fputs("precious", f);
	fclose(f);
	ok(http_listen(file, 8, &fd2, &why) != TG_OK && stat(file, &st) == 0 && S_ISREG(st.st_mode),
	   "a regular file at the path is refused and kept");
	free(why);
	why = NULL;
	ok(http_listen("127.0.0.1:0", 8, &fd2, &why) != TG_OK, "port 0 refused");
	free(why);
	why = NULL;
	ok(http_listen("localhost:9000", 8, &fd2, &why) != TG_OK && why && strstr(why, "IP"),
	   "host names refused (an IP address says exactly where it listens)");
	free(why);
	why = NULL;
	ok(http_listen("127.0.0.1:9x", 8, &fd2, &why) != TG_OK, "junk port refused");
	free(why);
	unlink(path);
	unlink(file);
	rmdir(dir);
	free(path);
	free(file);
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
	test_cookie_format();
	test_response();
	test_listen();
	test_accept_cgi();
	test_read_body();
	test_fastcgi();
	return done_testing();
}
