/*
 * HTTP over FastCGI (libfcgi) or CGI: request facts read from the server's
 * parameters, responses built as plain data and written in one piece, and the
 * header parsers the roles need. Knows nothing of tokens or tenants.
 */
#ifndef TG_HTTP_H
#define TG_HTTP_H

#include "tokengate.h"

struct json_object;

enum http_role { HTTP_ROLE_RESPONDER = 0, HTTP_ROLE_AUTHORIZER };

/* Borrowed from the server's parameters; valid until the request is finished. NULL: absent. */
struct http_request {
	enum http_role role;
	const char *method;          /* REQUEST_METHOD */
	const char *path_info;       /* PATH_INFO: what the API routes on */
	const char *query_string;    /* QUERY_STRING, without the '?' */
	const char *content_type;
	int64_t content_length;      /* -1: none or unreadable */
	const char *authorization;   /* HTTP_AUTHORIZATION */
	const char *cookie;          /* HTTP_COOKIE */
	const char *origin;          /* HTTP_ORIGIN */
	const char *referer;         /* HTTP_REFERER */
	const char *remote_addr;
	const char *https;           /* HTTPS, as servers set it ("on") */
	const char *forwarded_proto; /* HTTP_X_FORWARDED_PROTO */
	const char *tenant;          /* TOKENGATE_TENANT: a tenant pinned by the server */
	const char *require_amr;     /* TOKENGATE_REQUIRE_AMR: space-separated */
};

struct http_header {
	char *name;
	char *value;
};

struct http_response {
	int status;
	struct http_header *headers;
	size_t nheaders;
	char *body;
	size_t bodylen;
};

void http_response_init(struct http_response *r, int status);
void http_response_fini(struct http_response *r);
/* Copies both; a control character in value becomes a space (no header splitting). */
void http_header_add(struct http_response *r, const char *name, const char *value);
/* Sets status, Content-Type: application/json and the serialised body. */
void http_set_json(struct http_response *r, int status, struct json_object *body);
/* {"error": error, "error_description": description} with that status. */
void http_set_error(struct http_response *r, int status, const char *error,
		    const char *description);
const char *http_status_text(int status);
/* The whole CGI-style response ("Status: ...", headers, blank line, body); malloc'd. */
char *http_format(const struct http_response *r, size_t *len);

/*
 * RFC 6750 2.1: "Bearer" (any case), one or more spaces, a b64token.
 * TG_ERR_NOT_FOUND: no header or another scheme; TG_ERR_INVALID: a Bearer
 * credential that is malformed. *tok points into authorization.
 */
enum tg_err http_bearer(const char *authorization, const char **tok, size_t *len);
/*
 * RFC 6265 5.4 cookie-string: the value of the cookie called name (surrounding
 * DQUOTEs removed), pointing into header. TG_ERR_NOT_FOUND when absent or
 * empty, TG_ERR_INVALID when the name appears twice (which one the browser
 * meant cannot be known, and a planted sibling cookie must not win).
 */
enum tg_err http_cookie(const char *header, const char *name, const char **val, size_t *len);
/* Serialised origin (RFC 6454) of an absolute http(s) URL, lower-cased, default port dropped. */
enum tg_err http_origin_of(const char *url, char **out);
/* GET, HEAD, OPTIONS (RFC 9110 9.2.1); anything else, or none, is unsafe. */
bool http_method_is_safe(const char *method);

/*
 * Whether a Content-Type header names media type mime (compared without case,
 * parameters ignored except a charset, which must be utf-8 when present).
 */
bool http_content_type_is(const char *content_type, const char *mime);

/*
 * The value of field name in an application/x-www-form-urlencoded string
 * (a request body or QUERY_STRING; '+' is a space, %XX decoded), malloc'd.
 * TG_ERR_NOT_FOUND when absent, TG_ERR_INVALID when it appears twice, has a
 * bad %-escape, or decodes to a NUL byte or invalid UTF-8.
 */
enum tg_err http_form_get(const char *form, size_t len, const char *name, char **out);
/* Whether the form has any field other than those in the NULL-terminated allowed list. */
bool http_form_has_other(const char *form, size_t len, const char *const *allowed);

/*
 * A Set-Cookie value: name=value; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=max_age
 * (malloc'd; an empty value with max_age 0 clears the cookie). NULL, so that no
 * header is sent, when name is not an RFC 9110 token, value holds a byte
 * outside RFC 6265 cookie-octet (a JWT never does) or max_age is negative.
 */
char *http_cookie_format(const char *name, const char *value, int64_t max_age);

#define HTTP_PATH_ARGS_MAX 4

struct http_path_args {
	size_t n;
	struct {
		const char *p;
		size_t len;
	} v[HTTP_PATH_ARGS_MAX];
};

/*
 * Matches path against pattern segment by segment: "{}" matches one
 * non-empty segment and is captured, anything else must be equal.
 */
bool http_path_match(const char *pattern, const char *path, struct http_path_args *args);

/* ---- transport: the only code that touches libfcgi */

struct http_conn;

enum tg_err http_init(void);
/* True when not started by a FastCGI server (file descriptor 0 is no listening socket). */
bool http_is_cgi(void);
/* A unix socket path or HOST:PORT, bound and listening; *why names the problem. */
enum tg_err http_listen(const char *addr, int backlog, int *fd_out, char **why);
/* One per thread, accepting on fd (0 under a FastCGI server). */
struct http_conn *http_conn_new(int fd);
/* The single request of a CGI process: the environment and stdin/stdout. */
struct http_conn *http_conn_cgi(void);
void http_conn_free(struct http_conn *c);
/*
 * Waits for the next request and reads its facts. TG_ERR_IO when accepting
 * failed or a stop was asked for (http_stop): the thread should end.
 */
enum tg_err http_accept(struct http_conn *c, struct http_request *req);
/*
 * Reads the request body (CONTENT_LENGTH bytes, or to the end when the server
 * gave none), NUL-terminated after *len bytes, malloc'd. TG_ERR_TOO_LARGE as
 * soon as it is known to exceed cap (a declared length is refused unread);
 * TG_ERR_IO when the body ends early; TG_ERR_INVALID when CONTENT_LENGTH is
 * neither empty nor a decimal. Under CGI the body is file descriptor 0.
 */
enum tg_err http_read_body(struct http_conn *c, const struct http_request *req, size_t cap,
			   char **body, size_t *len);
enum tg_err http_send(struct http_conn *c, const struct http_response *r);
/* Flushes and ends the request, keeping the connection if the server asked to. */
void http_finish(struct http_conn *c);
/* Makes every later or interrupted http_accept in this process fail. */
void http_stop(void);

#endif
