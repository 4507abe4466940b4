/*
 * The transport: the only file that includes <fcgiapp.h>. Reads a request's
 * facts and body from FastCGI (or CGI), writes responses in one piece, and
 * parses Authorization, Cookie, Origin, Content-Type and form bodies. Must
 * never look inside a token, and never writes a header value holding CR or LF.
 */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <fcgiapp.h>
#include <json.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	r->body = tg_xconcat(s, "\n");
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

/* The decimal digits of v at out (at most 20); how many. */
static size_t
put_decimal(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/*
 * Exact length first, then memcpy: this runs for every authorizer answer,
 * where printf's format parsing cost as much as reading the request.
 */
char *
http_format(const struct http_response *r, size_t *len)
{
	const char *text = http_status_text(r->status);
	char status[21], clen[20];
	size_t nstatus = 0, nclen = 0, ntext = strlen(text), total;
	char *out, *p;

	if (r->status < 0)
		status[nstatus++] = '-';
	nstatus += put_decimal(status + nstatus, r->status < 0 ? (uint64_t)-(int64_t)r->status
							       : (uint64_t)r->status);
	total = sizeof("Status: ") - 1 + nstatus + 1 + ntext + 2;
	for (size_t i = 0; i < r->nheaders; i++)
		total += strlen(r->headers[i].name) + 2 + strlen(r->headers[i].value) + 2;
	/*
	 * No Content-Length without a body: mod_fcgid copies an authorizer's
	 * headers into the protected response, where a "0" would truncate it.
	 */
	if (r->body) {
		nclen = put_decimal(clen, r->bodylen);
		total += sizeof("Content-Length: ") - 1 + nclen + 2;
	}
	total += 2 + r->bodylen;
	out = tg_xmalloc(total + 1);
	p = put(out, "Status: ", 8);
	p = put(p, status, nstatus);
	*p++ = ' ';
	p = put(p, text, ntext);
	p = put(p, "\r\n", 2);
	for (size_t i = 0; i < r->nheaders; i++) {
		p = put(p, r->headers[i].name, strlen(r->headers[i].name));
		p = put(p, ": ", 2);
		p = put(p, r->headers[i].value, strlen(r->headers[i].value));
		p = put(p, "\r\n", 2);
	}
	if (r->body) {
		p = put(p, "Content-Length: ", 16);
		p = put(p, clen, nclen);
		p = put(p, "\r\n", 2);
	}
	p = put(p, "\r\n", 2);
	if (r->bodylen)
		p = put(p, r->body, r->bodylen);
	*p = '\0';
	*len = total;
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

/* RFC 9110 5.6.2 tchar: what a token (a media type, a parameter or cookie name) is made of. */
static bool
is_tchar(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * One RFC 9110 5.6.6 parameter at p (token "=" token / quoted-string): name
 * and raw value (quotes removed, escapes kept); NULL when malformed.
 */
static const char *
media_param(const char *p, const char **name, size_t *nlen, const char **val, size_t *vlen)
{
	*name = p;
	while (is_tchar((unsigned char)*p))
		p++;
	*nlen = (size_t)(p - *name);
	if (*nlen == 0 || *p != '=')
		return NULL;
	p++;
	if (*p == '"') {
		*val = ++p;
		while (*p && *p != '"')
			p += p[0] == '\\' && p[1] ? 2 : 1;
		if (*p != '"')
			return NULL;
		*vlen = (size_t)(p - *val);
		return p + 1;
	}
	*val = p;
	while (is_tchar((unsigned char)*p))
		p++;
	*vlen = (size_t)(p - *val);
	return *vlen ? p : NULL;
}

bool
http_content_type_is(const char *content_type, const char *mime)
{
	size_t mlen = strlen(mime);
	const char *p;

	if (!content_type)
		return false;
	p = skip_ows(content_type);
	if (strncasecmp(p, mime, mlen) != 0)
		return false;
	p = skip_ows(p + mlen);
	while (*p == ';') {
		const char *name, *val;
		size_t nlen, vlen;

		p = skip_ows(p + 1);
		if (*p == ';' || *p == '\0')
			continue; /* empty parameters are allowed by the grammar */
		p = media_param(p, &name, &nlen, &val, &vlen);
		if (!p)
			return false;
		/* Bodies are parsed as UTF-8: another declared charset would be misread. */
		if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 &&
		    (vlen != 5 || strncasecmp(val, "utf-8", 5) != 0))
			return false;
		p = skip_ows(p);
	}
	return *p == '\0';
}

/* RFC 3629 section 4: overlongs, surrogates, values above U+10FFFF and truncation are invalid. */
static bool
is_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i], lo = 0x80, hi = 0xbf;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 3;
			lo = c == 0xe0 ? 0xa0 : lo;
			hi = c == 0xed ? 0x9f : hi;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 4;
			lo = c == 0xf0 ? 0x90 : lo;
			hi = c == 0xf4 ? 0x8f : hi;
		} else {
			return false;
		}
		if (n - i < k || p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t j = 2; j < k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

static int
hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * WHATWG URL 5.1 percent-decoding of a name or value ('+' is a space), but
 * strict: a '%' without two hex digits, a NUL or invalid UTF-8 is refused, as
 * such a field was not written by a well-behaved client. out holds n + 1.
 */
static enum tg_err
form_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = n - i >= 3 ? hex_digit((unsigned char)s[i + 1]) : -1;
			int lo = n - i >= 3 ? hex_digit((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return TG_ERR_INVALID;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c == '\0')
			return TG_ERR_INVALID;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!is_utf8((const unsigned char *)out, o))
		return TG_ERR_INVALID;
	*outlen = o;
	return TG_OK;
}

/*
 * The next field of the form between *p and end, decoded into name and val
 * (each with room for the whole form). Empty fields ("a=1&&b=2") are skipped,
 * as WHATWG does; a field without '=' has an empty value. TG_ERR_NOT_FOUND at
 * the end.
 */
static enum tg_err
form_next(const char **p, const char *end, char *name, size_t *nlen, char *val, size_t *vlen)
{
	const char *f = *p, *fend, *eq;
	enum tg_err rc;

	while (f < end && *f == '&')
		f++;
	if (f == end)
		return TG_ERR_NOT_FOUND;
	fend = memchr(f, '&', (size_t)(end - f));
	if (!fend)
		fend = end;
	eq = memchr(f, '=', (size_t)(fend - f));
	*p = fend;
	rc = form_decode(f, (size_t)((eq ? eq : fend) - f), name, nlen);
	if (rc == TG_OK)
		rc = eq ? form_decode(eq + 1, (size_t)(fend - eq - 1), val, vlen)
			: form_decode("", 0, val, vlen);
	return rc;
}

/*
 * Every field is decoded, not only the one asked for: a form with any
 * malformed part is refused as a whole, like a JSON body with a bad byte.
 */
enum tg_err
http_form_get(const char *form, size_t len, const char *name, char **out)
{
	const char *p = form, *end = form ? form + len : NULL;
	size_t want = strlen(name), nlen, vlen, flen = 0;
	char *n = tg_xmalloc(len + 1), *v = tg_xmalloc(len + 1), *found = NULL;
	enum tg_err rc;

	for (;;) {
		rc = form_next(&p, end, n, &nlen, v, &vlen);
		if (rc != TG_OK)
			break;
		if (nlen != want || memcmp(n, name, want) != 0)
			continue;
		/* RFC 6749 3.2: request parameters MUST NOT be included more than once. */
		if (found) {
			rc = TG_ERR_INVALID;
			break;
		}
		found = tg_xstrndup(v, vlen);
		flen = vlen;
	}
	if (rc == TG_ERR_NOT_FOUND && found) {
		*out = found;
		found = NULL;
		rc = TG_OK;
	}
	/* Values may be refresh tokens or API keys. */
	OPENSSL_clear_free(v, len + 1);
	if (found)
		OPENSSL_clear_free(found, flen + 1);
	free(n);
	return rc;
}

bool
http_form_has_other(const char *form, size_t len, const char *const *allowed)
{
	const char *p = form, *end = form ? form + len : NULL;
	char *n = tg_xmalloc(len + 1), *v = tg_xmalloc(len + 1);
	size_t nlen, vlen;
	bool has_other = false;
	enum tg_err rc;

	for (;;) {
		rc = form_next(&p, end, n, &nlen, v, &vlen);
		if (rc != TG_OK)
			break;
		has_other = true;
		for (const char *const *a = allowed; *a && has_other; a++)
			has_other = strlen(*a) != nlen || memcmp(*a, n, nlen) != 0;
		if (has_other)
			break;
	}
	/* A form that cannot be read is not vouched for. */
	if (rc == TG_ERR_INVALID)
		has_other = true;
	OPENSSL_clear_free(v, len + 1);
	free(n);
	return has_other;
}

/* RFC 6265 4.1.1 cookie-octet: printable US-ASCII but DQUOTE, comma, semicolon and backslash. */
static bool
is_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

char *
http_cookie_format(const char *name, const char *value, int64_t max_age)
{
	if (!name || !*name || !value || max_age < 0)
		return NULL;
	for (const char *p = name; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return NULL;
	for (const char *p = value; *p; p++)
		if (!is_cookie_octet((unsigned char)*p))
			return NULL;
	return tg_xasprintf("%s=%s; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=%" PRId64, name,
			    value, max_age);
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
	P_HTTP_ORIGIN,
	P_HTTP_REFERER,
	P_HTTP_X_FORWARDED_PROTO,
	P_HTTPS,
	P_PATH_INFO,
	P_QUERY_STRING,
	P_REMOTE_ADDR,
	P_REQUEST_METHOD,
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
	PARAM(HTTP_AUTHORIZATION), PARAM(HTTP_COOKIE), PARAM(HTTP_ORIGIN),
	PARAM(HTTP_REFERER), PARAM(HTTP_X_FORWARDED_PROTO), PARAM(HTTPS),
	PARAM(PATH_INFO), PARAM(QUERY_STRING), PARAM(REMOTE_ADDR),
	PARAM(REQUEST_METHOD), PARAM(TOKENGATE_REQUIRE_AMR), PARAM(TOKENGATE_TENANT),
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
		case 'R': lo = P_REMOTE_ADDR; hi = P_REQUEST_METHOD; break;
		case 'T': lo = P_TOKENGATE_REQUIRE_AMR; hi = P_TOKENGATE_TENANT; break;
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
	req->authorization = v[P_HTTP_AUTHORIZATION];
	req->cookie = v[P_HTTP_COOKIE];
	req->origin = v[P_HTTP_ORIGIN];
	req->referer = v[P_HTTP_REFERER];
	req->remote_addr = v[P_REMOTE_ADDR];
	req->https = v[P_HTTPS];
	req->forwarded_proto = v[P_HTTP_X_FORWARDED_PROTO];
	req->tenant = v[P_TOKENGATE_TENANT];
	req->require_amr = v[P_TOKENGATE_REQUIRE_AMR];
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
		OPENSSL_clear_free(buf, size + 1);
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
	if (buf)
		OPENSSL_clear_free(buf, size + 1);
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
