/*
 * What the transport can show without a server: Bearer and cookie parsing,
 * origins, methods, path patterns, the formatted response (no header
 * splitting, JSON error bodies) and binding a listening socket safely.
 */
#include "http.h"

#include "../lib/tap.h"

#include <json.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
	test_response();
	test_listen();
	return done_testing();
}
