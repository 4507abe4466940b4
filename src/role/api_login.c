/*
 * First-party login (issue 14): POST /v1/login takes an email and password
 * (JSON or an HTML form) and starts an ordinary session through
 * api_session.c, answered with its cookies; POST /v1/login/otp adds the
 * second factor as a step-up does. Never logs, echoes or keeps a password,
 * code or email; an unknown email, a wrong password and a disabled user get
 * one answer in one time.
 */
#include "role/api_internal.h"
#include "role/login.h"

#include "base/log.h"
#include "base/secret.h"
#include "model/password.h"
#include "store/store.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

#define LOGIN_METHOD "pwd" /* RFC 8176 2 */
#define OTP_METHOD "otp"

bool
login_return_to_ok(const struct tg_config *cfg, const struct tg_tenant *t,
		   const struct authz_request *req, const char *return_to)
{
	struct authz_request target;

	if (!return_to || !*return_to)
		return false;
	for (const char *p = return_to; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p == 0x7f || *p == '\\')
			return false;
	/* "//host" is a network-path reference: another site, whatever follows. */
	if (return_to[0] == '/')
		return return_to[1] != '/';
	target = *req;
	target.origin = return_to;
	target.referer = NULL;
	target.sec_fetch_site = NULL;
	return authz_origin_allows(cfg, t, &target);
}

/* ------------------------------------------------------------ the page's addresses */

/* name=value appended to *q, value percent-encoded but for RFC 3986's unreserved bytes. */
static void
query_add(char **q, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(*q), nlen = strlen(name);
	char *p;

	*q = tg_xrealloc(*q, n + 1 + nlen + 1 + 3 * strlen(value) + 1);
	p = *q + n;
	if (n)
		*p++ = '&';
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = '=';
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		bool is_unreserved = (*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'z') ||
				     (*v >= 'A' && *v <= 'Z') || (*v && strchr("-._~", *v));

		if (is_unreserved) {
			*p++ = (char)*v;
		} else {
			*p++ = '%';
			*p++ = hex[*v >> 4];
			*p++ = hex[*v & 15];
		}
	}
	*p = '\0';
}

/*
 * The login page's address under the API's mount (SCRIPT_NAME), page being
 * "/v1/login" or "/v1/login/otp", with the error code, the return address
 * and the tenant when the location does not pin it (each NULL: left out).
 */
static char *
page_url(const struct api_ctx *c, const char *page, const char *error, const char *return_to,
	 const char *tenant)
{
	char *q = tg_xstrdup(""), *url;

	if (error)
		query_add(&q, "error", error);
	if (tenant && (!c->req->tenant || !*c->req->tenant))
		query_add(&q, "tenant", tenant);
	if (return_to)
		query_add(&q, "return_to", return_to);
	url = tg_xasprintf("%s%s?%s", c->req->script_name ? c->req->script_name : "", page, q);
	free(q);
	return url;
}

/* ------------------------------------------------------------ requests */

/* What a login or login/otp request carries. */
struct login_req {
	struct api_body b;
	char *tenant, *email, *password, *code, *return_to;
	const struct tg_tenant *t; /* tenant's record (the keyring's), NULL when it names none */
};

static void
login_req_fini(struct login_req *l)
{
	free(l->tenant);
	free(l->email);
	secret_free_str(l->password);
	secret_free_str(l->code);
	free(l->return_to);
	api_body_fini(&l->b);
}

/* The tenant the location pins (TOKENGATE_TENANT), else the body's; false with 400 answered. */
static bool
login_tenant(struct api_ctx *c, struct login_req *l)
{
	const char *pin = c->req->tenant && *c->req->tenant ? c->req->tenant : NULL;

	if (pin && l->tenant && strcmp(pin, l->tenant) != 0) {
		api_error(c, 400, "invalid_request", "this location logs in to tenant %s only; "
			  "leave \"tenant\" out", pin);
		return false;
	}
	if (pin) {
		free(l->tenant);
		l->tenant = tg_xstrdup(pin);
	}
	if (!l->tenant || !*l->tenant) {
		api_error(c, 400, "invalid_request", "name the tenant (\"tenant\"), or pin it in the "
			  "web server with TOKENGATE_TENANT");
		return false;
	}
	/* The log line names a tenant only when it is one: the body's text is anyone's. */
	l->t = api_tenant(c, l->tenant);
	if (l->t)
		c->tenant = tg_xstrdup(l->tenant);
	return true;
}

/*
 * The return address: refused with 400 rather than replaced, so a page that
 * sends a bad one is found at once (docs/api.md). A form without one goes
 * to "/".
 */
static bool
return_to_ok(struct api_ctx *c, struct login_req *l)
{
	struct authz_request facts;

	if (!l->return_to && l->b.form)
		l->return_to = tg_xstrdup("/");
	if (!l->return_to)
		return true;
	authz_request_of(c->req, &facts);
	if (login_return_to_ok(c->env->cfg, l->t, &facts, l->return_to))
		return true;
	api_error(c, 400, "invalid_request", "return_to must be a path on this site (\"/...\", not "
		  "\"//...\") or a URL of one of the tenant's allowed origins");
	c->reason = "return_to";
	return false;
}

/* Reads the body's fields (fields: NULL-terminated, the ones this endpoint takes). */
static bool
login_read(struct api_ctx *c, const char *const *fields, struct login_req *l)
{
	memset(l, 0, sizeof(*l));
	if (!api_body_read(c, true, &l->b))
		return false;
	if (!l->b.json && !l->b.form) {
		api_error(c, 400, "invalid_request", "send the fields as JSON or as a form "
			  "(application/x-www-form-urlencoded)");
		return false;
	}
	return api_body_only(c, &l->b, fields) && api_body_string(c, &l->b, "tenant", &l->tenant) &&
	       api_body_string(c, &l->b, "email", &l->email) &&
	       api_body_string(c, &l->b, "password", &l->password) &&
	       api_body_string(c, &l->b, "code", &l->code) &&
	       api_body_string(c, &l->b, "return_to", &l->return_to);
}

/* ------------------------------------------------------------ POST /v1/login */

/*
 * The user whose email and password these are, or *u NULL. Every refusal
 * costs one Argon2id verification at the tenant's parameters: an unknown
 * email (or tenant) hashes a dummy, a disabled user's password is verified
 * and then refused. A match below the tenant's parameters is re-hashed.
 */
static enum tg_err
credentials(struct api_ctx *c, const struct login_req *l, struct tg_user **u)
{
	struct tg_password_params params;
	struct tg_user *found = NULL;
	const char *pw = l->password;
	bool is_match = false, needs_rehash = false;
	char *phc = NULL;
	enum tg_err rc;

	password_params_of(l->t, &params);
	/* An unknown tenant (c->tenant NULL) is an unknown email. */
	rc = c->tenant ? store_user_get(c->env->store, l->tenant, l->email, &found)
		       : TG_ERR_NOT_FOUND;
	if (rc == TG_ERR_NOT_FOUND || rc == TG_ERR_INVALID) {
		rc = password_verify_dummy(pw, strlen(pw), &params);
		goto out;
	}
	if (rc == TG_OK)
		rc = password_verify(pw, strlen(pw), found->password_hash, &params, &is_match,
				     &needs_rehash);
	if (rc != TG_OK || !is_match || found->is_disabled)
		goto out;
	if (needs_rehash && password_hash(pw, strlen(pw), &params, &phc) == TG_OK &&
	    store_user_set_hash(c->env->store, l->tenant, found->email, phc) == TG_OK)
		TG_LOG(TG_LOG_INFO, "api: tenant %s: a user's password hash was raised to the "
		       "tenant's parameters at login", l->tenant);
	*u = found;
	found = NULL;
out:
	free(phc);
	user_free(found);
	return rc;
}

/* The one answer to every refusal of an email and password. */
static void
bad_credentials(struct api_ctx *c, const struct login_req *l)
{
	char *url;

	c->reason = "credentials";
	if (!l->b.form) {
		api_error(c, 401, "invalid_credentials", "the email or the password is wrong");
		return;
	}
	url = page_url(c, "/v1/login", LOGIN_ERROR_CREDENTIALS, l->return_to, l->tenant);
	api_redirect(c, url);
	free(url);
}

/* An ordinary session for u (amr pwd), answered with its cookies. */
static void
start_session(struct api_ctx *c, const struct login_req *l, const struct tg_user *u)
{
	char rt[TG_REFRESH_TOKEN_LEN + 1], *url = NULL;
	struct json_object *answer = json_object_new_object();
	struct tg_session *s = api_session_new(c);
	bool is_otp_due = user_has_totp(u);
	int64_t lifetime;

	if (!s || !api_session_lifetime(c, NULL, l->tenant, &lifetime))
		goto out;
	s->user = tg_xstrdup(u->id);
	strlist_add(&s->amr, LOGIN_METHOD);
	if (!api_session_start(c, s, lifetime, answer, rt))
		goto out;
	if (l->b.form)
		url = is_otp_due ? page_url(c, "/v1/login/otp", NULL, l->return_to, l->tenant)
				 : tg_xstrdup(l->return_to);
	api_cookie_answer(c, answer, rt, s, is_otp_due ? OTP_METHOD : NULL, url);
out:
	secret_wipe(rt, sizeof(rt));
	free(url);
	json_object_put(answer);
	session_free(s);
}

/*
 * The throttle's check (api_throttle.c) for account, before anything is
 * hashed or a code checked. A form it refuses goes back to its page with
 * error=throttled; everything else gets its 429 with Retry-After.
 */
static bool
throttle_begin(struct api_ctx *c, const struct login_req *l, const char *page,
	       const char *tenant, const char *account, struct api_throttle *th)
{
	char *url;

	if (api_throttle_begin(c, tenant, account, th))
		return true;
	if (l->b.form && c->r->status == 429) {
		url = page_url(c, page, LOGIN_ERROR_THROTTLED, l->return_to, tenant);
		api_redirect(c, url);
		free(url);
	}
	return false;
}

/* POST /v1/login */
void
api_login(struct api_ctx *c)
{
	static const char *const fields[] = { "email", "password", "tenant", "return_to", NULL };
	struct tg_user *u = NULL;
	struct api_throttle th;
	struct login_req l;
	enum tg_err rc;

	if (!login_read(c, fields, &l) || !login_tenant(c, &l) || !api_origin_ok(c, l.tenant) ||
	    !return_to_ok(c, &l))
		goto out;
	if (!l.email || !l.password) {
		api_error(c, 400, "invalid_request", "send \"email\" and \"password\"");
		goto out;
	}
	/* Before any hashing: a locked account costs no Argon2id, and is answered alike. */
	if (!throttle_begin(c, &l, "/v1/login", l.tenant, l.email, &th))
		goto out;
	rc = credentials(c, &l, &u);
	if (rc != TG_OK) {
		api_fail(c, rc, "checking the password");
	} else if (!u) {
		api_throttle_failed(c, &th, "credentials");
		bad_credentials(c, &l);
	} else {
		api_throttle_succeeded(c, &th);
		start_session(c, &l, u);
	}
out:
	user_free(u);
	login_req_fini(&l);
}

/* ------------------------------------------------------------ POST /v1/login/otp */

/* A TOTP code, once within its window, else a recovery code, once ever; TG_ERR_REJECTED neither. */
static enum tg_err
second_factor(struct api_ctx *c, const char *tenant, const char *user, const char *code)
{
	int64_t step;
	size_t left = 0;
	enum tg_err rc = store_user_totp_use(c->env->store, tenant, user, code, c->env->now, &step);

	if (rc != TG_ERR_INVALID && rc != TG_ERR_NOT_FOUND)
		return rc;
	/* Not a TOTP code's shape, or a user with recovery codes only: a recovery code? */
	rc = store_user_recovery_use(c->env->store, tenant, user, code, &left);
	if (rc == TG_OK && left == 0)
		TG_LOG(TG_LOG_WARN, "api: tenant %s: user %s used the last recovery code; enrol "
		       "TOTP again (tokengatectl user totp enroll) for new ones", tenant, user);
	return rc == TG_ERR_INVALID || rc == TG_ERR_NOT_FOUND ? TG_ERR_REJECTED : rc;
}

/* A wrong, used or malformed code; a form goes back to the code page. */
static void
bad_code(struct api_ctx *c, const struct login_req *l, const char *tenant, const char *error)
{
	char *url;

	c->reason = error;
	if (!l->b.form) {
		if (strcmp(error, LOGIN_ERROR_OTP) == 0)
			api_error(c, 401, "invalid_otp", "the code is wrong or was already used");
		return; /* the token's refusal is answered already */
	}
	url = strcmp(error, LOGIN_ERROR_OTP) == 0
		      ? page_url(c, "/v1/login/otp", error, l->return_to, tenant)
		      : page_url(c, "/v1/login", error, l->return_to, tenant);
	api_redirect(c, url);
	free(url);
}

/* The session's token with otp added, its cookie, and the answer (303 for a form). */
static void
add_otp(struct api_ctx *c, const struct login_req *l, const char *sid)
{
	struct json_object *answer = json_object_new_object();
	struct tg_session *s = NULL;
	int64_t lifetime;

	if (api_session_add_method(c, sid, OTP_METHOD, &s) &&
	    api_session_lifetime(c, NULL, s->tenant, &lifetime) &&
	    api_session_sign(c, s, lifetime, answer))
		api_cookie_answer(c, answer, NULL, s, NULL, l->b.form ? l->return_to : NULL);
	json_object_put(answer);
	session_free(s);
}

/* POST /v1/login/otp: the second step, with the session cookie (or its Bearer token). */
void
api_login_otp(struct api_ctx *c)
{
	static const char *const fields[] = { "code", "return_to", NULL };
	struct authz_decision d = { 0 };
	struct api_throttle th;
	struct login_req l;
	enum tg_err rc;

	if (!login_read(c, fields, &l))
		goto out;
	if (!api_self_token(c, API_SELF_STEP_UP, &d)) {
		/* An ended session or an expired cookie: a browser starts again at the login page. */
		if (c->r->status == 401)
			bad_code(c, &l, c->req->tenant, LOGIN_ERROR_EXPIRED);
		goto out;
	}
	l.tenant = tg_xstrdup(d.tenant);
	l.t = api_tenant(c, l.tenant);
	if (!api_origin_ok(c, l.tenant) || !return_to_ok(c, &l))
		goto out;
	if (!l.code) {
		api_error(c, 400, "invalid_request", "send the \"code\" from the authenticator app "
			  "(or a recovery code)");
		goto out;
	}
	/* The second factor's account is the user id: guessing codes is throttled too. */
	if (!throttle_begin(c, &l, "/v1/login/otp", d.tenant, d.user, &th))
		goto out;
	rc = second_factor(c, d.tenant, d.user, l.code);
	if (rc == TG_ERR_REJECTED) {
		api_throttle_failed(c, &th, "otp");
		bad_code(c, &l, d.tenant, LOGIN_ERROR_OTP);
	} else if (rc != TG_OK) {
		api_fail(c, rc, "checking the code");
	} else {
		api_throttle_succeeded(c, &th);
		add_otp(c, &l, d.sid);
	}
out:
	authz_decision_fini(&d);
	login_req_fini(&l);
}
