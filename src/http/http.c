/*
 * The transport: the only file that includes <fcgiapp.h>. Reads a request's
 * facts and body from FastCGI (or CGI) and writes responses in one piece;
 * header syntax is http_parse.c's. Must never look inside a token, and never
 * writes a header value holding CR or LF.
 */
#include "http/http.h"

#include "base/number.h"
#include "base/secret.h"

#include <errno.h>
#include <limits.h>
#include <fcgiapp.h>
#include <json.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ------------------------------------------------------------ transport */

struct http_conn {
	bool is_cgi;
	bool has_bad_length; /* this request's CONTENT_LENGTH is set but not a decimal */
	FCGX_Request req;
};

enum tg_err
http_init(void)
{
	return FCGX_Init() == 0 ? TG_OK : TG_ERR_IO;
}

bool
http_is_cgi(void)
{
	return FCGX_IsCGI() != 0;
}

static enum tg_err
bind_unix(const char *path, int backlog, int *fd_out, struct tg_why *why)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return tg_fail(why, TG_ERR_IO, "%s: socket path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/*
	 * A socket left by a dead instance may be replaced; a live one, or a file
	 * that is not a socket at all, never is (libfcgi would unlink either).
	 */
	if (lstat(path, &st) == 0) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (!S_ISSOCK(st.st_mode) ||
		    (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)) {
			if (fd >= 0)
				close(fd);
			return tg_fail(why, TG_ERR_IO, "%s: %s", path, S_ISSOCK(st.st_mode)
				       ? "another process is listening on this socket"
				       : "exists and is not a socket; choose another path");
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, backlog) != 0) {
		tg_fail(why, TG_ERR_IO, "%s: cannot listen: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return TG_ERR_IO;
	}
	*fd_out = fd;
	return TG_OK;
}

static enum tg_err
bind_tcp(const char *addr, int backlog, int *fd_out, struct tg_why *why)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	const char *colon = strrchr(addr, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = (size_t)(colon - addr);
	int64_t port;
	int fd, one = 1;
	socklen_t slen;

	if (number_parse(colon + 1, 1, 65535, &port) != TG_OK || hlen == 0 || hlen >= sizeof(host))
		return tg_fail(why, TG_ERR_IO,
			       "%s: expected a unix socket path, IPv4:PORT or [IPv6]:PORT", addr);
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		slen = sizeof(*in6);
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			hlen = 0;
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		slen = sizeof(*in4);
		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			hlen = 0;
	}
	if (hlen == 0)
		return tg_fail(why, TG_ERR_IO,
			       "%s: the host must be an IP address such as 127.0.0.1", addr);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, slen) != 0 || listen(fd, backlog) != 0) {
		tg_fail(why, TG_ERR_IO, "%s: cannot listen: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return TG_ERR_IO;
	}
	*fd_out = fd;
	return TG_OK;
}

/*
 * Our own bind rather than FCGX_OpenSocket, which exit()s on a bind failure
 * and unlinks whatever file sits at a unix path.
 */
enum tg_err
http_listen(const char *addr, int backlog, int *fd_out, struct tg_why *why)
{
	if (strchr(addr, '/') || !strchr(addr, ':'))
		return bind_unix(addr, backlog, fd_out, why);
	return bind_tcp(addr, backlog, fd_out, why);
}

struct http_conn *
http_conn_new(int fd)
{
	struct http_conn *c = tg_xcalloc(1, sizeof(*c));

	/* FAIL_ACCEPT_ON_INTR: a stop signal must be able to end a thread waiting in accept. */
	if (FCGX_InitRequest(&c->req, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

struct http_conn *
http_conn_cgi(void)
{
	struct http_conn *c = tg_xcalloc(1, sizeof(*c));

	c->is_cgi = true;
	return c;
}

void
http_conn_free(struct http_conn *c)
{
	if (!c)
		return;
	if (!c->is_cgi)
		FCGX_Free(&c->req, 1);
	free(c);
}

/*
 * The parameters http_accept reads, grouped by first letter: one walk over
 * the request's parameters finds them all (one FCGX_GetParam each was a
 * linear scan apiece, a quarter of an authorizer's cached answer).
 */
enum param {
	P_CONTENT_LENGTH,
	P_CONTENT_TYPE,
	P_FCGI_ROLE,
	P_HTTP_AUTHORIZATION,
	P_HTTP_COOKIE,
	P_HTTP_HOST,
	P_HTTP_ORIGIN,
	P_HTTP_REFERER,
	P_HTTP_SEC_FETCH_SITE,
	P_HTTP_X_FORWARDED_PROTO,
	P_HTTPS,
	P_PATH_INFO,
	P_QUERY_STRING,
	P_REDIRECT_HTTP_AUTHORIZATION,
	P_REMOTE_ADDR,
	P_REQUEST_METHOD,
	P_SCRIPT_NAME,
	P_TOKENGATE_MAX_AUTH_AGE,
	P_TOKENGATE_REQUIRE_AMR,
	P_TOKENGATE_TENANT,
	P_COUNT
};

#define PARAM(p) [P_##p] = { #p, sizeof(#p) - 1 }
static const struct {
	const char *name;
	size_t len;
} params[P_COUNT] = {
	PARAM(CONTENT_LENGTH), PARAM(CONTENT_TYPE), PARAM(FCGI_ROLE),
	PARAM(HTTP_AUTHORIZATION), PARAM(HTTP_COOKIE), PARAM(HTTP_HOST), PARAM(HTTP_ORIGIN),
	PARAM(HTTP_REFERER), PARAM(HTTP_SEC_FETCH_SITE), PARAM(HTTP_X_FORWARDED_PROTO), PARAM(HTTPS),
	PARAM(PATH_INFO), PARAM(QUERY_STRING), PARAM(REDIRECT_HTTP_AUTHORIZATION), PARAM(REMOTE_ADDR),
	PARAM(REQUEST_METHOD), PARAM(SCRIPT_NAME), PARAM(TOKENGATE_MAX_AUTH_AGE),
	PARAM(TOKENGATE_REQUIRE_AMR), PARAM(TOKENGATE_TENANT),
};
#undef PARAM

static void
read_params(char *const *envp, const char *v[P_COUNT])
{
	for (; envp && *envp; envp++) {
		const char *e = *envp;
		int lo, hi;

		switch (e[0]) {
		case 'C': lo = P_CONTENT_LENGTH; hi = P_CONTENT_TYPE; break;
		case 'F': lo = hi = P_FCGI_ROLE; break;
		case 'H': lo = P_HTTP_AUTHORIZATION; hi = P_HTTPS; break;
		case 'P': lo = hi = P_PATH_INFO; break;
		case 'Q': lo = hi = P_QUERY_STRING; break;
		case 'R': lo = P_REDIRECT_HTTP_AUTHORIZATION; hi = P_REQUEST_METHOD; break;
		case 'S': lo = hi = P_SCRIPT_NAME; break;
		case 'T': lo = P_TOKENGATE_MAX_AUTH_AGE; hi = P_TOKENGATE_TENANT; break;
		default: continue;
		}
		for (int i = lo; i <= hi; i++) {
			size_t n = params[i].len;

			/* The first of repeated names wins, as with getenv and FCGX_GetParam. */
			if (!v[i] && strncmp(e + 1, params[i].name + 1, n - 1) == 0 && e[n] == '=') {
				v[i] = e + n + 1;
				break;
			}
		}
	}
}

/* RFC 3875 4.1.2: empty means no body; -1 for that and for anything not a decimal. */
static int64_t
content_length(const char *s)
{
	int64_t n = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n;
}

enum tg_err
http_accept(struct http_conn *c, struct http_request *req)
{
	const char *v[P_COUNT] = { 0 };

	if (!c->is_cgi && FCGX_Accept_r(&c->req) < 0)
		return TG_ERR_IO;
	read_params(c->is_cgi ? environ : c->req.envp, v);
	memset(req, 0, sizeof(*req));
	/* A CGI process is always a responder, whatever its environment claims. */
	req->role = !c->is_cgi && v[P_FCGI_ROLE] && strcmp(v[P_FCGI_ROLE], "AUTHORIZER") == 0
			    ? HTTP_ROLE_AUTHORIZER
			    : HTTP_ROLE_RESPONDER;
	req->method = v[P_REQUEST_METHOD];
	req->path_info = v[P_PATH_INFO];
	req->query_string = v[P_QUERY_STRING];
	req->content_type = v[P_CONTENT_TYPE];
	req->content_length = content_length(v[P_CONTENT_LENGTH]);
	c->has_bad_length = req->content_length < 0 && v[P_CONTENT_LENGTH] && *v[P_CONTENT_LENGTH];
	/*
	 * Apache renames the variables of a request it redirected internally: a header that
	 * .htaccess copied with mod_rewrite (hosts that forbid CGIPassAuth) arrives as
	 * REDIRECT_HTTP_AUTHORIZATION when a rewrite rule maps the URL onto the program.
	 * Clients cannot set it: their headers all become HTTP_*.
	 */
	req->authorization = v[P_HTTP_AUTHORIZATION] ? v[P_HTTP_AUTHORIZATION]
						     : v[P_REDIRECT_HTTP_AUTHORIZATION];
	req->cookie = v[P_HTTP_COOKIE];
	req->origin = v[P_HTTP_ORIGIN];
	req->referer = v[P_HTTP_REFERER];
	req->sec_fetch_site = v[P_HTTP_SEC_FETCH_SITE];
	req->host = v[P_HTTP_HOST];
	req->script_name = v[P_SCRIPT_NAME];
	req->remote_addr = v[P_REMOTE_ADDR];
	req->https = v[P_HTTPS];
	req->forwarded_proto = v[P_HTTP_X_FORWARDED_PROTO];
	req->tenant = v[P_TOKENGATE_TENANT];
	req->require_amr = v[P_TOKENGATE_REQUIRE_AMR];
	req->max_auth_age = v[P_TOKENGATE_MAX_AUTH_AGE];
	return TG_OK;
}

/* Up to want bytes of the body; fewer only where it ends. */
static enum tg_err
read_upto(struct http_conn *c, char *buf, size_t want, size_t *got)
{
	size_t n = 0;

	while (n < want) {
		size_t chunk = want - n < INT_MAX ? want - n : INT_MAX;
		ssize_t r;

		if (!c->is_cgi) {
			r = FCGX_GetStr(buf + n, (int)chunk, c->req.in);
			if (r < 0 || FCGX_GetError(c->req.in) != 0)
				return TG_ERR_IO;
		} else {
			r = read(0, buf + n, chunk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return TG_ERR_IO;
		}
		n += (size_t)r;
		/* A short read is no end (a pipe gives what has arrived so far); only 0 is. */
		if (r == 0)
			break;
	}
	*got = n;
	return TG_OK;
}

enum tg_err
http_read_body(struct http_conn *c, const struct http_request *req, size_t cap, char **body,
	       size_t *len)
{
	bool is_declared = req->content_length >= 0;
	size_t limit, size, got = 0, n;
	char *buf, *grown;
	enum tg_err rc;

	if (c->has_bad_length)
		return TG_ERR_INVALID;
	if (is_declared && (uint64_t)req->content_length > cap)
		return TG_ERR_TOO_LARGE;
	/* Without a declared length, one byte past cap is enough to know it is too large. */
	limit = is_declared ? (size_t)req->content_length : cap < SIZE_MAX ? cap + 1 : cap;
	size = is_declared || limit < 4096 ? limit : 4096;
	buf = tg_xmalloc(size + 1);
	for (;;) {
		rc = read_upto(c, buf + got, size - got, &n);
		if (rc != TG_OK)
			break;
		got += n;
		if (got < size || size == limit)
			break;
		/* Not realloc: the old block, which may hold a secret, is wiped. */
		n = size <= limit / 2 ? size * 2 : limit;
		grown = tg_xmalloc(n + 1);
		memcpy(grown, buf, got);
		secret_free_buf(buf, size + 1);
		buf = grown;
		size = n;
	}
	if (rc == TG_OK && is_declared && got < limit)
		rc = TG_ERR_IO;
	else if (rc == TG_OK && got > cap)
		rc = TG_ERR_TOO_LARGE;
	if (rc == TG_OK) {
		buf[got] = '\0';
		*body = buf;
		*len = got;
		buf = NULL;
	}
	/* A body may hold refresh tokens or API keys. */
	secret_free_buf(buf, size + 1);
	return rc;
}

enum tg_err
http_send(struct http_conn *c, const struct http_response *r)
{
	size_t len;
	char *msg = http_format(r, &len);
	enum tg_err rc = TG_OK;

	if (c->is_cgi) {
		if (fwrite(msg, 1, len, stdout) != len || fflush(stdout) != 0)
			rc = TG_ERR_IO;
	} else if (FCGX_PutStr(msg, (int)len, c->req.out) != (int)len) {
		rc = TG_ERR_IO;
	}
	free(msg);
	return rc;
}

void
http_finish(struct http_conn *c)
{
	if (c->is_cgi)
		fflush(stdout);
	else
		FCGX_Finish_r(&c->req);
}

void
http_stop(void)
{
	FCGX_ShutdownPending();
}
