/*
 * One API request's shared handling, for every api*.c file: its answers
 * (errors with their challenge, JSON, 204), the caller's tenant and path
 * arguments, rate limits, request bodies and canonical addresses. Calls no
 * endpoint; never logs a credential, never touches libfcgi or BDB itself.
 */
#include "role/api_internal.h"

#include "base/json_strict.h"
#include "base/log.h"
#include "base/secret.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ answers */

static void
challenge(struct api_ctx *c, const char *code)
{
	const char *realm = c->env->cfg->realm;
	char *h = strcmp(code, "invalid_token") == 0
			  ? tg_xasprintf("Bearer realm=\"%s\", error=\"invalid_token\"", realm)
			  : tg_xasprintf("Bearer realm=\"%s\"", realm);

	http_header_add(c->r, "WWW-Authenticate", h);
	free(h);
}

void
api_error(struct api_ctx *c, int status, const char *code, const char *fmt, ...)
{
	char desc[TG_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	tg_vformat(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	http_response_fini(c->r);
	http_response_init(c->r, status);
	c->error = code;
	if (status == 401)
		challenge(c, code); /* RFC 9110 15.5.2: a 401 always carries a challenge */
	http_set_error(c->r, status, code, desc);
}

void
api_fail(struct api_ctx *c, enum tg_err rc, const char *what)
{
	if (rc == TG_ERR_BUSY) {
		api_error(c, 503, "temporarily_unavailable",
			  "the database is busy (%s); retry in a second", what);
		http_header_add(c->r, "Retry-After", "1");
		return;
	}
	TG_LOG(TG_LOG_ERR, "api: %s failed: %s", what, tg_err_str(rc));
	api_error(c, 500, "server_error", "%s failed (%s); the gateway's error log has the detail",
		  what, tg_err_str(rc));
}

bool
api_rc_ok(struct api_ctx *c, enum tg_err rc, const struct api_refusal *refusal, const char *what)
{
	if (rc == TG_OK)
		return true;
	if (rc == refusal->rc)
		api_error(c, refusal->status, refusal->code, "%s", refusal->description);
	else
		api_fail(c, rc, what);
	return false;
}

void
api_json(struct api_ctx *c, int status, struct json_object *o_owned)
{
	http_response_fini(c->r);
	http_response_init(c->r, status);
	http_set_json(c->r, status, o_owned);
	json_object_put(o_owned);
}

void
api_no_content(struct api_ctx *c)
{
	http_response_fini(c->r);
	http_response_init(c->r, 204);
	http_header_add(c->r, "Cache-Control", "no-store");
}

void
api_redirect(struct api_ctx *c, const char *location)
{
	http_response_fini(c->r);
	http_response_init(c->r, 303);
	http_header_add(c->r, "Location", location);
	http_header_add(c->r, "Cache-Control", "no-store");
}

/* ------------------------------------------------------------ small pure helpers */

bool
api_ip_canonical(const char *in, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[sizeof(struct in6_addr)];

	if (!in)
		return false;
	if (inet_pton(AF_INET, in, a) == 1)
		return inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN) != NULL;
	if (inet_pton(AF_INET6, in, a) == 1)
		return inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN) != NULL;
	return false;
}

/* ------------------------------------------------------------ context */

const struct tg_tenant *
api_tenant(const struct api_ctx *c, const char *id)
{
	return id ? keyring_tenant(c->env->kr, id) : NULL;
}

char *
api_arg(const struct api_ctx *c, size_t i)
{
	return tg_xstrndup(c->args->v[i].p, c->args->v[i].len);
}

void
api_retry_after(struct api_ctx *c, int64_t seconds)
{
	char secs[24];

	snprintf(secs, sizeof(secs), "%lld", (long long)seconds);
	http_header_add(c->r, "Retry-After", secs);
}

void
api_json_page(struct api_ctx *c, struct json_object *sessions_owned, const char *next_cursor)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "sessions", sessions_owned);
	json_object_object_add(o, "next_cursor", next_cursor ? json_object_new_string(next_cursor)
							     : NULL);
	api_json(c, 200, o);
}

bool
api_rate_take(struct api_ctx *c, const char *bucket, const char *tenant)
{
	const struct tg_tenant *t = api_tenant(c, tenant);
	int64_t rate = t && t->rate_limit_per_key ? t->rate_limit_per_key
						  : c->env->cfg->rate_limit_per_key;
	int64_t burst = t && t->rate_limit_burst ? t->rate_limit_burst : c->env->cfg->rate_limit_burst;
	int64_t retry = 1;
	enum tg_err rc;

	if (rate == 0)
		return true;
	rc = store_ratelimit_take(c->env->store, bucket, rate, burst, c->env->now_ms, &retry);
	if (rc == TG_OK)
		return true;
	if (rc != TG_ERR_LIMITED) {
		api_fail(c, rc, "the rate limit");
		return false;
	}
	api_error(c, 429, "rate_limited", "too many requests (%lld per second, burst %lld); retry "
		  "after %lld s", (long long)rate, (long long)burst, (long long)retry);
	api_retry_after(c, retry);
	return false;
}

/* ------------------------------------------------------------ tokens and cookies */

bool
api_is_https(const struct api_ctx *c)
{
	struct authz_request facts;

	authz_request_of(c->req, &facts);
	return authz_is_https(c->env->cfg, &facts);
}

#define REFRESH_COOKIE "tg_refresh"
/* RFC 6265bis 4.1.3.1: a cookie only an HTTPS answer can set. */
#define SECURE_PREFIX "__Secure-"

/*
 * The refresh cookie goes only to the refresh endpoint, and never along with
 * a request another site started (Strict): it can mint session cookies.
 */
static char *
refresh_path(const struct api_ctx *c)
{
	return tg_xasprintf("%s/v1/token", c->req->script_name ? c->req->script_name : "");
}

bool
api_cookie_set(struct api_ctx *c, enum api_cookie which, const char *value, int64_t max_age)
{
	bool is_https = api_is_https(c), is_session = which == API_COOKIE_SESSION;
	char name[AUTHZ_COOKIE_NAME_SIZE], *path = is_session ? tg_xstrdup("/") : refresh_path(c);
	struct http_cookie_attrs a = { is_https, is_session ? "Lax" : "Strict", path };
	char *h = NULL;
	enum tg_err rc;

	if (is_session)
		authz_cookie_name(c->env->cfg, is_https, name);
	else
		snprintf(name, sizeof(name), "%s%s", is_https ? SECURE_PREFIX : "", REFRESH_COOKIE);
	rc = http_cookie_format(name, value, &a, max_age, &h);
	if (rc == TG_OK)
		http_header_add(c->r, "Set-Cookie", h);
	else if (is_session)
		/* config.c checks cookie_name, and tokens are cookie-octets: a bug, in the log. */
		api_fail(c, rc, "setting the session cookie");
	else
		api_error(c, 500, "server_error", "the refresh cookie cannot be scoped to the API's "
			  "path: its SCRIPT_NAME holds a blank, a ';' or a control character; "
			  "mount the API at a plain path");
	secret_free_str(h);
	free(path);
	return rc == TG_OK;
}

void
api_cookie_answer(struct api_ctx *c, const struct json_object *answer, const char *rt,
		  const struct tg_session *s, const char *next, const char *location)
{
	struct json_object *tok = NULL, *life = NULL, *o;
	int64_t expires_in;

	json_object_object_get_ex(answer, "access_token", &tok);
	json_object_object_get_ex(answer, "expires_in", &life);
	expires_in = json_object_get_int64(life);
	if (location) {
		api_redirect(c, location);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "session_id", json_object_new_string(s->id));
		json_object_object_add(o, "expires_in", json_object_new_int64(expires_in));
		if (next)
			json_object_object_add(o, "next", json_object_new_string(next));
		api_json(c, 200, o);
	}
	if (api_cookie_set(c, API_COOKIE_SESSION, json_object_get_string(tok), expires_in) && rt)
		api_cookie_set(c, API_COOKIE_REFRESH, rt, session_deadline(s) - c->env->now);
}

enum tg_err
api_refresh_cookie(const struct api_ctx *c, char **out)
{
	const char *v;
	size_t len;
	enum tg_err rc = http_cookie(c->req->cookie, SECURE_PREFIX REFRESH_COOKIE, &v, &len);

	if (rc == TG_ERR_NOT_FOUND)
		rc = http_cookie(c->req->cookie, REFRESH_COOKIE, &v, &len);
	if (rc == TG_OK)
		*out = tg_xstrndup(v, len);
	return rc;
}

bool
api_origin_ok(struct api_ctx *c, const char *tenant)
{
	struct authz_request facts;

	authz_request_of(c->req, &facts);
	if (authz_origin_allows(c->env->cfg, api_tenant(c, tenant), &facts))
		return true;
	api_error(c, 403, "invalid_request", "the request comes from another site: its Origin is "
		  "not one of the tenant's allowed origins (tenant set --allowed-origin)");
	c->reason = "csrf";
	return false;
}

/* ------------------------------------------------------------ bodies */

bool
api_body_read(struct api_ctx *c, bool is_form_ok, struct api_body *b)
{
	const struct http_request *req = c->req;
	bool is_form = is_form_ok &&
		       http_content_type_is(req->content_type, "application/x-www-form-urlencoded");
	struct json_object *o = NULL;
	struct tg_why why;
	char *buf = NULL;
	size_t len = 0;
	enum tg_err rc;

	memset(b, 0, sizeof(*b));
	/* Without a length, a Content-Type says a body follows (read to its end). */
	if (req->content_length == 0 || (req->content_length < 0 && !req->content_type))
		return true;
	if (!is_form && !http_content_type_is(req->content_type, "application/json")) {
		api_error(c, 415, "unsupported_media_type", is_form_ok
			  ? "send the body as application/json or application/x-www-form-urlencoded"
			  : "send the body as application/json");
		return false;
	}
	rc = http_read_body(c->env->conn, req, (size_t)c->env->cfg->max_body_bytes, &buf, &len);
	if (rc == TG_ERR_TOO_LARGE) {
		api_error(c, 413, "request_too_large", "the body is larger than %lld bytes "
			  "(max_body_bytes)", (long long)c->env->cfg->max_body_bytes);
		return false;
	}
	if (rc != TG_OK) {
		api_error(c, 400, "invalid_request", "the request body could not be read (%s)",
			  tg_err_str(rc));
		return false;
	}
	if (is_form && !api_form_ok(c, buf, len)) {
		secret_free_buf(buf, len); /* it may carry a refresh token */
		return false;
	}
	if (is_form) {
		b->form = buf;
		b->len = len;
		return true;
	}
	rc = json_strict_parse_no_nul(buf, len, &o, &why);
	free(buf);
	if (rc == TG_ERR_UNSUPPORTED) {
		api_error(c, 400, "invalid_request", "the body is refused: %s (NUL); no field "
			  "takes one", why.text);
		return false;
	}
	if (rc != TG_OK || !json_object_is_type(o, json_type_object)) {
		api_error(c, 400, "invalid_request", "the body must be one JSON object%s%s",
			  rc != TG_OK ? ": " : "", rc != TG_OK ? why.text : "");
		json_object_put(o);
		return false;
	}
	b->json = o;
	return true;
}

bool
api_form_ok(struct api_ctx *c, const char *form, size_t len)
{
	struct tg_why why;

	if (http_form_check(form, len, &why) == TG_OK)
		return true;
	api_error(c, 400, "invalid_request", "%s", why.text);
	return false;
}

void
api_body_fini(struct api_body *b)
{
	json_object_put(b->json);
	secret_free_buf(b->form, b->len); /* it may carry a refresh token */
	memset(b, 0, sizeof(*b));
}

static bool
is_listed(const char *name, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(name, allowed[i]) == 0)
			return true;
	return false;
}

bool
api_body_only(struct api_ctx *c, const struct api_body *b, const char *const *allowed)
{
	if (b->form && http_form_has_other(b->form, b->len, allowed)) {
		api_error(c, 400, "invalid_request", "the form has a field this endpoint does not take");
		return false;
	}
	if (!b->json)
		return true;
	json_object_object_foreach(b->json, name, value) {
		(void)value;
		if (!is_listed(name, allowed)) {
			api_error(c, 400, "invalid_request", "unknown member \"%.40s\" (docs/api.md "
				  "lists what this endpoint takes)", name);
			return false;
		}
	}
	return true;
}

bool
api_body_string(struct api_ctx *c, const struct api_body *b, const char *name, char **out)
{
	struct json_object *v;
	enum tg_err rc;

	*out = NULL;
	if (b->form) {
		rc = http_form_get(b->form, b->len, name, out);
		if (rc == TG_OK || rc == TG_ERR_NOT_FOUND)
			return true;
		/* api_body_read checked the encoding of every field. */
		api_error(c, 400, "invalid_request", "the form field \"%s\" is repeated", name);
		return false;
	}
	if (!b->json || !json_object_object_get_ex(b->json, name, &v))
		return true;
	/* api_body_read refused any string holding a NUL, so a C string is all of it. */
	if (!json_object_is_type(v, json_type_string)) {
		api_error(c, 400, "invalid_request", "\"%s\" must be a string", name);
		return false;
	}
	*out = tg_xstrdup(json_object_get_string(v));
	return true;
}

bool
api_json_int(struct api_ctx *c, const struct json_object *o, const char *name, int64_t min,
	     int64_t max, int64_t dflt, int64_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!o || !json_object_object_get_ex(o, name, &v)) {
		*out = dflt;
		return true;
	}
	n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : min - 1;
	if (n < min || n > max) {
		api_error(c, 400, "invalid_request", "\"%s\" must be an integer from %lld to %lld",
			  name, (long long)min, (long long)max);
		return false;
	}
	*out = n;
	return true;
}
