/*
 * What the transport can show without a server: binding a listening socket
 * safely, a CGI request's parameters and body (the body arrives on file
 * descriptor 0, which the tests point at a pipe) and a FastCGI exchange. The
 * header parsers are tested in test_http_parse.c, the responses in
 * test_response.c.
 */
#include "http/http.h"

#include "../lib/tap.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
		"HTTP_HOSTNAME=no",
		"HTTP_HOST=gw.example:8443",
		"HTTP_SEC_FETCH_SITE=cross-site",
		"SCRIPT_FILENAME=/no",
		"SCRIPT_NAME=/api",
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
	/* .htaccess rewrites that copy the header for hosts forbidding CGIPassAuth. */
	char *redirected[] = { "REDIRECT_HTTP_AUTHORIZATIONX=no", "REDIRECT_HTTP_AUTHORIZATION=Bearer r",
			       NULL };
	char *both[] = { "REDIRECT_HTTP_AUTHORIZATION=Bearer r", "HTTP_AUTHORIZATION=Bearer k", NULL };
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
	is_str(req.host, "gw.example:8443", "HTTP_HOST, not a longer name");
	is_str(req.sec_fetch_site, "cross-site", "HTTP_SEC_FETCH_SITE");
	is_str(req.script_name, "/api", "SCRIPT_NAME, not SCRIPT_FILENAME");
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

	environ = redirected;
	ok(http_accept(c, &req) == TG_OK, "a request Apache redirected internally");
	environ = saved;
	is_str(req.authorization, "Bearer r", "REDIRECT_HTTP_AUTHORIZATION when HTTP_AUTHORIZATION is absent");
	environ = both;
	ok(http_accept(c, &req) == TG_OK, "a request with both names");
	environ = saved;
	is_str(req.authorization, "Bearer k", "HTTP_AUTHORIZATION before REDIRECT_HTTP_AUTHORIZATION");
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

/* want_rest when what is left unread does not matter */
#define ANY_REST SIZE_MAX

static void
test_read_body(void)
{
	static char big[100000];
	const struct {
		struct body_case bc;
		size_t cap;
		bool is_interrupted; /* a signal (without SA_RESTART) arrives during the read */
		enum tg_err want;
		const char *want_body; /* NULL: no body; else want_len bytes, NUL-terminated */
		size_t want_len, want_rest;
		const char *what;
	} cases[] = {
		{ { "6", "abcdef", 6, 3, 50 }, 64, false, TG_OK, "abcdef", 6, ANY_REST,
		  "a declared body arriving in two pieces is read whole, NUL-terminated" },
		/* The pending read fails with EINTR and must be retried. */
		{ { "6", "abcdef", 6, 0, 200 }, 64, true, TG_OK, "abcdef", 6, ANY_REST,
		  "a signal does not cut the body" },
		{ { "10", "abc", 3, 3, 0 }, 64, false, TG_ERR_IO, NULL, 0, ANY_REST,
		  "a body shorter than CONTENT_LENGTH is TG_ERR_IO" },
		{ { "11", "0123456789a", 11, 11, 0 }, 10, false, TG_ERR_TOO_LARGE, NULL, 0, 11,
		  "a declared length above cap is refused unread" },
		{ { "0", "", 0, 0, 0 }, 10, false, TG_OK, "", 0, ANY_REST,
		  "CONTENT_LENGTH 0 is an empty body" },
		{ { NULL, "0123456789", 10, 4, 20 }, 10, false, TG_OK, "0123456789", 10, ANY_REST,
		  "without a length, a body of exactly cap is read to its end" },
		{ { "", "0123456789", 10, 10, 0 }, 10, false, TG_OK, "0123456789", 10, ANY_REST,
		  "an empty CONTENT_LENGTH is no declared length" },
		{ { NULL, "0123456789abcdefghij", 20, 20, 0 }, 10, false, TG_ERR_TOO_LARGE, NULL, 0, 9,
		  "without a length, reading stops one byte past cap" },
		{ { NULL, big, sizeof(big), 30000, 20 }, 200000, false, TG_OK, big, sizeof(big),
		  ANY_REST, "a long body without a length is read whole" },
		{ { "12a", "0123456789ab", 12, 12, 0 }, 64, false, TG_ERR_INVALID, NULL, 0, ANY_REST,
		  "CONTENT_LENGTH 12a is invalid" },
		{ { "-1", "", 0, 0, 0 }, 64, false, TG_ERR_INVALID, NULL, 0, ANY_REST,
		  "CONTENT_LENGTH -1 is invalid" },
		{ { "99999999999999999999", "", 0, 0, 0 }, 64, false, TG_ERR_INVALID, NULL, 0,
		  ANY_REST, "an overflowing CONTENT_LENGTH is invalid" },
	};
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { 0, 20000 } };

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 'y';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = NULL, rest[64];
		size_t len = 0, restlen = 0;
		enum tg_err rc;
		bool is_body_right;

		if (cases[i].is_interrupted) {
			sigaction(SIGALRM, &sa, &old);
			setitimer(ITIMER_REAL, &it, NULL);
		}
		rc = read_body(&cases[i].bc, cases[i].cap, &body, &len, rest, sizeof(rest),
			       &restlen);
		if (cases[i].is_interrupted)
			sigaction(SIGALRM, &old, NULL);
		is_body_right = cases[i].want_body
					? body && len == cases[i].want_len &&
						  memcmp(body, cases[i].want_body, len) == 0 &&
						  body[len] == '\0'
					: !body;
		if (cases[i].want_rest == ANY_REST)
			ok(rc == cases[i].want && is_body_right, "%s", cases[i].what);
		else
			ok(rc == cases[i].want && is_body_right && restlen == cases[i].want_rest,
			   "%s (%zu bytes left)", cases[i].what, restlen);
		free(body);
	}
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
	char dir[] = "/tmp/tg-test-fcgi-XXXXXX", *path, *body = NULL;
	struct tg_why why;
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
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_listen(void)
{
	char dir[] = "/tmp/tg-test-http-XXXXXX", *path, *file;
	struct tg_why why = { "" };
	int fd = -1, fd2 = -1;
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	path = tg_xasprintf("%s/tg.sock", dir);
	file = tg_xasprintf("%s/not-a-socket", dir);
	ok(http_listen(path, 8, &fd, &why) == TG_OK && fd >= 0, "unix socket bound");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "socket file exists");
	ok(http_listen(path, 8, &fd2, &why) != TG_OK && strstr(why.text, "another process"),
	   "a live socket is never stolen");
	close(fd);
	ok(http_listen(path, 8, &fd, &why) == TG_OK, "a dead instance's socket is replaced");
	close(fd);
	f = fopen(file, "w");
	fputs("precious", f);
	fclose(f);
	ok(http_listen(file, 8, &fd2, &why) != TG_OK && stat(file, &st) == 0 && S_ISREG(st.st_mode),
	   "a regular file at the path is refused and kept");
	ok(http_listen("127.0.0.1:0", 8, &fd2, &why) != TG_OK, "port 0 refused");
	why.text[0] = '\0'; /* that sentence says "IPv4" too */
	ok(http_listen("localhost:9000", 8, &fd2, &why) != TG_OK && strstr(why.text, "IP"),
	   "host names refused (an IP address says exactly where it listens)");
	ok(http_listen("127.0.0.1:9x", 8, &fd2, &why) != TG_OK, "junk port refused");
	unlink(path);
	unlink(file);
	rmdir(dir);
	free(path);
	free(file);
}

int
main(void)
{
	test_listen();
	test_accept_cgi();
	test_read_body();
	test_fastcgi();
	return done_testing();
}
