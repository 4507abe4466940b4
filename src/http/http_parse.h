/*
 * HTTP syntax parsing and formatting: Bearer credentials, cookies, origins,
 * methods, media types, forms, path patterns and Set-Cookie values, all from
 * plain strings. No transport, no I/O, and nothing of tokens or tenants.
 */
#ifndef TG_HTTP_PARSE_H
#define TG_HTTP_PARSE_H

#include "base/tokengate.h"

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
/*
 * Every field of a form decoded once, as http_form_get would: TG_OK, or
 * TG_ERR_INVALID with why naming the first field with a bad %-escape, a NUL
 * byte or invalid UTF-8 (never quoting a value).
 */
enum tg_err http_form_check(const char *form, size_t len, struct tg_why *why);
/* Whether the form has any field other than those in the NULL-terminated allowed list. */
bool http_form_has_other(const char *form, size_t len, const char *const *allowed);

/* The attributes of a Set-Cookie besides HttpOnly, which every cookie of ours carries. */
struct http_cookie_attrs {
	bool is_secure;        /* Secure: a cookie set over HTTPS */
	const char *same_site; /* "Lax" or "Strict" */
	const char *path;      /* "/" or below: '/' then printable ASCII without ';' */
};

/*
 * A Set-Cookie value in *out: name=value; HttpOnly[; Secure]; SameSite=S;
 * Path=P; Max-Age=max_age (malloc'd; an empty value with max_age 0 clears the
 * cookie). TG_ERR_INVALID, *out untouched, when name is not an RFC 9110 token,
 * value holds a byte outside RFC 6265 cookie-octet (a JWT never does), the path
 * is not one, or max_age is negative (a token inside its expiry leeway has no
 * lifetime left to give a cookie).
 */
enum tg_err http_cookie_format(const char *name, const char *value,
			       const struct http_cookie_attrs *a, int64_t max_age, char **out);

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

#endif
