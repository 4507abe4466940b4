/*
 * Responses as plain data: status, headers (never one holding CR or LF),
 * the JSON body, and the CGI-style bytes the transport writes. No libfcgi
 * here, so a module inside a web server (src/embed/) links it without the
 * transport; must never do I/O.
 */
#include "http/http.h"

#include <json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

