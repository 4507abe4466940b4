/*
 * HTTP over FastCGI (libfcgi) or CGI: request facts read from the server's
 * parameters and responses built as plain data and written in one piece. The
 * header parsers the roles need are in http_parse.h, included here so every
 * user of the transport has them. Knows nothing of tokens or tenants.
 */
#ifndef TG_HTTP_H
#define TG_HTTP_H

#include "http/http_parse.h"

struct json_object;

/*
 * EMBEDDED: a module inside the web server (src/embed/), which sets the app's
 * variables itself; only a refusal is rendered for it.
 */
enum http_role { HTTP_ROLE_RESPONDER = 0, HTTP_ROLE_AUTHORIZER, HTTP_ROLE_EMBEDDED };

/* Borrowed from the server's parameters; valid until the request is finished. NULL: absent. */
struct http_request {
	enum http_role role;
	const char *method;          /* REQUEST_METHOD */
	const char *path_info;       /* PATH_INFO: what the API routes on */
	const char *query_string;    /* QUERY_STRING, without the '?' */
	const char *content_type;
	int64_t content_length;      /* -1: none or unreadable */
	const char *authorization;   /* HTTP_AUTHORIZATION, else REDIRECT_HTTP_AUTHORIZATION */
	const char *cookie;          /* HTTP_COOKIE */
	const char *origin;          /* HTTP_ORIGIN */
	const char *referer;         /* HTTP_REFERER */
	const char *sec_fetch_site;  /* HTTP_SEC_FETCH_SITE */
	const char *host;            /* HTTP_HOST: the request's own origin with the scheme */
	const char *script_name;     /* SCRIPT_NAME: where the server mounted the API */
	const char *remote_addr;
	const char *https;           /* HTTPS, as servers set it ("on") */
	const char *forwarded_proto; /* HTTP_X_FORWARDED_PROTO */
	const char *tenant;          /* TOKENGATE_TENANT: a tenant pinned by the server */
	const char *require_amr;     /* TOKENGATE_REQUIRE_AMR: space-separated */
	const char *max_auth_age;    /* TOKENGATE_MAX_AUTH_AGE: seconds, as the server gave it */
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

/* ---- transport: the only code that touches libfcgi */

struct http_conn;

enum tg_err http_init(void);
/* True when not started by a FastCGI server (file descriptor 0 is no listening socket). */
bool http_is_cgi(void);
/*
 * A unix socket path or HOST:PORT, bound and listening. On failure (TG_ERR_IO)
 * why gets a sentence an operator can act on.
 */
enum tg_err http_listen(const char *addr, int backlog, int *fd_out, struct tg_why *why);
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
