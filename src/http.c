/*
 * The transport: the only file that includes <fcgiapp.h>. Reads a request's
 * facts from FastCGI parameters (or a CGI environment), writes responses in
 * one piece, and parses Authorization, Cookie and Origin. Must never look
 * inside a token, and never writes a header value holding CR or LF.
 */
#include "http.h"

#include <ctype.h>
#include <errno.h>
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

/* ------------------------------------------------------------ responses */

void
http_response_init(struct http_response *r, int status)
{
	memset(r, 0, sizeof(*r));
	r->status = status;
}

void
http_response_fini(struct http_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
http_header_add(struct http_response *r, const char *name, const char *value)
{
	struct http_header *h;

	r->headers = tg_xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	h = &r->headers[r->nheaders++];
	h->name = tg_xstrdup(name);
	h->value = tg_xstrdup(value);
	for (char *p = h->value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

void
http_set_json(struct http_response *r, int status, struct json_object *body)
{
	const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

	r->status = status;
	http_header_add(r, "Content-Type", "application/json");
	/* Answers carry credentials or verdicts about them: never for a shared cache. */
	http_header_add(r, "Cache-Control", "no-store");
	free(r->body);
	r->body = tg_xasprintf("%s\n", s);
	r->bodylen = strlen(r->body);
}

void
http_set_error(struct http_response *r, int status, const char *error, const char *description)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "error_description", json_object_new_string(description));
	http_set_json(r, status, o);
	json_object_put(o);
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Unknown";
}

char *
http_format(const struct http_response *r, size_t *len)
{
	size_t cap = 64 + r->bodylen, n;
	char *out;

	for (size_t i = 0; i < r->nheaders; i++)
		cap += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 4;
	out = tg_xmalloc(cap + 1);
	n = (size_t)snprintf(out, cap, "Status: %d %s\r\n", r->status,
			     http_status_text(r->status));
	for (size_t i = 0; i < r->nheaders; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s: %s\r\n", r->headers[i].name,
				      r->headers[i].value);
	/*
	 * No Content-Length without a body: mod_fcgid copies an authorizer's
	 * headers into the protected response, where a "0" would truncate it.
	 */
	if (r->body)
		n += (size_t)snprintf(out + n, cap - n, "Content-Length: %zu\r\n", r->bodylen);
	n += (size_t)snprintf(out + n, cap - n, "\r\n");
	if (r->bodylen)
		memcpy(out + n, r->body, r->bodylen);
	n += r->bodylen;
	out[n] = '\0';
	*len = n;
	return out;
}

/* ------------------------------------------------------------ parsers */

static bool
is_b64token_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

enum tg_err
http_bearer(const char *authorization, const char **tok, size_t *len)
{
	const char *p = authorization, *start, *end;

	if (!p)
		return TG_ERR_NOT_FOUND;
	while (*p == ' ' || *p == '\t')
		p++;
	/* RFC 9110 11.1: the scheme is case-insensitive. */
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\0'))
		return TG_ERR_NOT_FOUND;
	p += 6;
	while (*p == ' ')
		p++;
	start = p;
	while (is_b64token_char((unsigned char)*p))
		p++;
	while (*p == '=')
		p++;
	end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (end == start || *p != '\0')
		return TG_ERR_INVALID;
	*tok = start;
	*len = (size_t)(end - start);
	return TG_OK;
}

enum tg_err
http_cookie(const char *header, const char *name, const char **val, size_t *len)
{
	const char *p = header, *found = NULL;
	size_t nlen = strlen(name), flen = 0;

	if (!p)
		return TG_ERR_NOT_FOUND;
	while (*p) {
		const char *pair, *eq, *end;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		pair = p;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		p = end;
		eq = memchr(pair, '=', (size_t)(end - pair));
		if (!eq || (size_t)(eq - pair) != nlen || memcmp(pair, name, nlen) != 0)
			continue;
		if (found)
			return TG_ERR_INVALID;
		found = eq + 1;
		while (end > found && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		flen = (size_t)(end - found);
		if (flen >= 2 && found[0] == '"' && found[flen - 1] == '"') {
			found++;
			flen -= 2;
		}
	}
	if (!found || flen == 0)
		return TG_ERR_NOT_FOUND;
	*val = found;
	*len = flen;
	return TG_OK;
}

enum tg_err
http_origin_of(const char *url, char **out)
{
	const char *p, *auth, *end, *at, *host, *colon = NULL;
	bool is_https;
	size_t hlen;
	char *o;
	long port = -1;

	if (!url)
		return TG_ERR_INVALID;
	if (strncasecmp(url, "https://", 8) == 0) {
		is_https = true;
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		is_https = false;
		auth = url + 7;
	} else {
		return TG_ERR_INVALID; /* includes the opaque origin "null" */
	}
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	host = at ? at + 1 : auth;
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		if (!p)
			return TG_ERR_INVALID;
		if (p + 1 < end && p[1] == ':')
			colon = p + 1;
		else if (p + 1 != end)
			return TG_ERR_INVALID;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
	}
	hlen = (size_t)((colon ? colon : end) - host);
	if (hlen == 0)
		return TG_ERR_INVALID;
	if (colon && colon + 1 < end) {
		port = 0;
		for (p = colon + 1; p < end; p++) {
			if (*p < '0' || *p > '9' || port > 65535)
				return TG_ERR_INVALID;
			port = port * 10 + (*p - '0');
		}
		if (port > 65535)
			return TG_ERR_INVALID;
	}
	if (port == (is_https ? 443 : 80))
		port = -1;
	o = port >= 0 ? tg_xasprintf("%s://%.*s:%ld", is_https ? "https" : "http", (int)hlen, host,
				    port)
		      : tg_xasprintf("%s://%.*s", is_https ? "https" : "http", (int)hlen, host);
	for (char *q = o; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	*out = o;
	return TG_OK;
}

bool
http_method_is_safe(const char *method)
{
	return method && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
			  strcmp(method, "OPTIONS") == 0);
}

bool
http_path_match(const char *pattern, const char *path, struct http_path_args *args)
{
	const char *pp = pattern, *sp = path;

	args->n = 0;
	if (!path)
		return false;
	while (*pp && *sp) {
		size_t plen = strcspn(pp, "/"), slen = strcspn(sp, "/");

		if (plen == 2 && pp[0] == '{' && pp[1] == '}') {
			if (slen == 0 || args->n == HTTP_PATH_ARGS_MAX)
				return false;
			args->v[args->n].p = sp;
			args->v[args->n].len = slen;
			args->n++;
		} else if (plen != slen || memcmp(pp, sp, plen) != 0) {
			return false;
		}
		pp += plen;
		sp += slen;
		if (*pp != *sp)
			return false;
		if (*pp == '/') {
			pp++;
			sp++;
		}
	}
	return *pp == '\0' && *sp == '\0';
}

/* ------------------------------------------------------------ transport */

struct http_conn {
	bool is_cgi;
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

static int
bind_unix(const char *path, int backlog, char **why)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*why = tg_xasprintf("%s: socket path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/*
	 * A socket left by a dead instance may be replaced; a live one, or a file
	 * that is not a socket at all, never is (libfcgi would unlink either).
	 */
	if (lstat(path, &st) == 0) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (!S_ISSOCK(st.st_mode) ||
		    (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)) {
			*why = tg_xasprintf("%s: %s", path, S_ISSOCK(st.st_mode)
					    ? "another process is listening on this socket"
					    : "exists and is not a socket; choose another path");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, backlog) != 0) {
		*why = tg_xasprintf("%s: cannot listen: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
bind_tcp(const char *addr, int backlog, char **why)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	const char *colon = strrchr(addr, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = (size_t)(colon - addr);
	char *end;
	long port;
	int fd, one = 1;
	socklen_t slen;

	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port < 1 || port > 65535 ||
	    hlen == 0 || hlen >= sizeof(host)) {
		*why = tg_xasprintf("%s: expected a unix socket path, IPv4:PORT or [IPv6]:PORT", addr);
		return -1;
	}
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
	if (hlen == 0) {
		*why = tg_xasprintf("%s: the host must be an IP address such as 127.0.0.1", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, slen) != 0 || listen(fd, backlog) != 0) {
		*why = tg_xasprintf("%s: cannot listen: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Our own bind rather than FCGX_OpenSocket, which exit()s on a bind failure
 * and unlinks whatever file sits at a unix path.
 */
enum tg_err
http_listen(const char *addr, int backlog, int *fd_out, char **why)
{
	int fd;

	if (strchr(addr, '/') || !strchr(addr, ':'))
		fd = bind_unix(addr, backlog, why);
	else
		fd = bind_tcp(addr, backlog, why);
	if (fd < 0)
		return TG_ERR_IO;
	*fd_out = fd;
	return TG_OK;
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

static const char *
param(struct http_conn *c, const char *name)
{
	return c->is_cgi ? getenv(name) : FCGX_GetParam(name, c->req.envp);
}

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
	const char *role;

	if (!c->is_cgi && FCGX_Accept_r(&c->req) < 0)
		return TG_ERR_IO;
	memset(req, 0, sizeof(*req));
	role = c->is_cgi ? NULL : param(c, "FCGI_ROLE");
	req->role = role && strcmp(role, "AUTHORIZER") == 0 ? HTTP_ROLE_AUTHORIZER
							     : HTTP_ROLE_RESPONDER;
	req->method = param(c, "REQUEST_METHOD");
	req->path_info = param(c, "PATH_INFO");
	req->content_type = param(c, "CONTENT_TYPE");
	req->content_length = content_length(param(c, "CONTENT_LENGTH"));
	req->authorization = param(c, "HTTP_AUTHORIZATION");
	req->cookie = param(c, "HTTP_COOKIE");
	req->origin = param(c, "HTTP_ORIGIN");
	req->referer = param(c, "HTTP_REFERER");
	req->remote_addr = param(c, "REMOTE_ADDR");
	req->https = param(c, "HTTPS");
	req->forwarded_proto = param(c, "HTTP_X_FORWARDED_PROTO");
	req->tenant = param(c, "TOKENGATE_TENANT");
	req->require_amr = param(c, "TOKENGATE_REQUIRE_AMR");
	return TG_OK;
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
