/*
 * HTTP syntax: Authorization, Cookie, Origin and Content-Type values, form
 * bodies, path patterns and Set-Cookie values, parsed or built from plain
 * strings. No transport and no I/O: the server's bytes reach here through http.c.
 */
#include "http/http_parse.h"

#include "base/secret.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* RFC 3986 3.2.2 host (reg-name or IP literal): ASCII, never a control byte or a space. */
static bool
is_host(const char *host, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c >= 0x80 || (!isalnum(c) && !strchr("-._~!$&'()*+,;=%[]:", c)))
			return false;
	}
	return true;
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
	if (hlen == 0 || !is_host(host, hlen))
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
 * NULL, or what is wrong as the end of a sentence naming the field.
 */
static const char *
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
				return "has a '%' not followed by two hex digits";
			c = hi << 4 | lo;
			i += 2;
		}
		/* C reads a NUL as the end: "alice%00x" would be "alice" past this point. */
		if (c == '\0')
			return "contains a NUL byte (%00), which no field may hold";
		out[o++] = (char)c;
	}
	out[o] = '\0';
	for (size_t i = 0, k; i < o; i += k) {
		k = tg_utf8_len((const unsigned char *)out + i, o - i);
		if (k == 0)
			return "is not valid UTF-8";
	}
	*outlen = o;
	return NULL;
}

/*
 * The next field of the form between *p and end, decoded into name and val
 * (each with room for the whole form). Empty fields ("a=1&&b=2") are skipped,
 * as WHATWG does; a field without '=' has an empty value. TG_ERR_NOT_FOUND at
 * the end; TG_ERR_INVALID with why (may be NULL) naming a field badly encoded.
 */
static enum tg_err
form_next(const char **p, const char *end, char *name, size_t *nlen, char *val, size_t *vlen,
	  struct tg_why *why)
{
	const char *f = *p, *fend, *eq, *bad;

	while (f < end && *f == '&')
		f++;
	if (f == end)
		return TG_ERR_NOT_FOUND;
	fend = memchr(f, '&', (size_t)(end - f));
	if (!fend)
		fend = end;
	eq = memchr(f, '=', (size_t)(fend - f));
	*p = fend;
	bad = form_decode(f, (size_t)((eq ? eq : fend) - f), name, nlen);
	if (bad)
		return tg_fail(why, TG_ERR_INVALID, "a form field's name %s", bad);
	bad = eq ? form_decode(eq + 1, (size_t)(fend - eq - 1), val, vlen)
		 : form_decode("", 0, val, vlen);
	if (bad)
		return tg_fail(why, TG_ERR_INVALID, "the form field \"%s\" %s", name, bad);
	return TG_OK;
}

enum tg_err
http_form_check(const char *form, size_t len, struct tg_why *why)
{
	const char *p = form, *end = form ? form + len : NULL;
	char *n = tg_xmalloc(len + 1), *v = tg_xmalloc(len + 1);
	size_t nlen, vlen;
	enum tg_err rc;

	do
		rc = form_next(&p, end, n, &nlen, v, &vlen, why);
	while (rc == TG_OK);
	secret_free_buf(v, len + 1); /* values may be refresh tokens or API keys */
	free(n);
	return rc == TG_ERR_NOT_FOUND ? TG_OK : rc;
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
		rc = form_next(&p, end, n, &nlen, v, &vlen, NULL);
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
	secret_free_buf(v, len + 1);
	secret_free_buf(found, flen + 1);
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
		rc = form_next(&p, end, n, &nlen, v, &vlen, NULL);
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
	secret_free_buf(v, len + 1);
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

/* RFC 6265 4.1.1 path-value, absolute: a SCRIPT_NAME with a blank or ';' cannot scope a cookie. */
static bool
is_cookie_path(const char *path)
{
	if (!path || *path != '/')
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ';')
			return false;
	return true;
}

enum tg_err
http_cookie_format(const char *name, const char *value, const struct http_cookie_attrs *a,
		   int64_t max_age, char **out)
{
	if (!name || !*name || !value || max_age < 0 || !is_cookie_path(a->path) ||
	    (strcmp(a->same_site, "Lax") != 0 && strcmp(a->same_site, "Strict") != 0))
		return TG_ERR_INVALID;
	for (const char *p = name; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return TG_ERR_INVALID;
	for (const char *p = value; *p; p++)
		if (!is_cookie_octet((unsigned char)*p))
			return TG_ERR_INVALID;
	*out = tg_xasprintf("%s=%s; HttpOnly%s; SameSite=%s; Path=%s; Max-Age=%" PRId64, name,
			    value, a->is_secure ? "; Secure" : "", a->same_site, a->path, max_age);
	return TG_OK;
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
