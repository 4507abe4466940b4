/*
 * The login pages: GET /v1/login, GET /v1/login/otp and their stylesheet
 * GET /v1/login.css (issue 14 item 6). HTML from the templates below, every
 * interpolated value escaped, an error shown as a fixed sentence per code, a
 * return address only when the login would accept it (login_return_to_ok).
 * Never echoes a request's text unchecked, never serves script or inline
 * style, never reads or sets a cookie: the POSTs the forms send start sessions.
 */
#include "role/api_internal.h"
#include "role/login.h"
#include "role/login_page.h"

#include "model/tenant.h"

#include <stdlib.h>
#include <string.h>

/*
 * Templates: {{name}} is replaced by its value HTML-escaped, {{>name}} by a
 * fragment rendered from another template. Relative addresses ("login",
 * "../login.css") so the pages work under any mount of the API.
 */
static const char page_tpl[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>{{title}}</title>\n"
	"<link rel=\"stylesheet\" href=\"{{css}}\">\n"
	"{{>theme}}"
	"</head>\n"
	"<body>\n"
	"<main>\n"
	"<h1>{{title}}</h1>\n"
	"{{>alert}}"
	"{{>form}}"
	"</main>\n"
	"</body>\n"
	"</html>\n";

static const char theme_tpl[] = "<link rel=\"stylesheet\" href=\"{{href}}\">\n";

/* role="alert": read out by screen readers as the page opens, without script. */
static const char alert_tpl[] = "<p id=\"error\" class=\"error\" role=\"alert\">{{message}}</p>\n";

static const char password_form_tpl[] =
	"<form method=\"post\" action=\"login\">\n"
	"{{>tenant}}"
	"<label for=\"email\">Email</label>\n"
	"<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" "
	"required autofocus>\n"
	"<label for=\"password\">Password</label>\n"
	"<input id=\"password\" name=\"password\" type=\"password\" "
	"autocomplete=\"current-password\" required>\n"
	"{{>return_to}}"
	"<button type=\"submit\">Sign in</button>\n"
	"</form>\n";

/* inputmode numeric brings a keypad; no pattern, so a recovery code can still be typed. */
static const char otp_form_tpl[] =
	"<form method=\"post\" action=\"otp\">\n"
	"<p id=\"code-hint\">Enter the 6-digit code from your authenticator app, "
	"or one of your recovery codes.</p>\n"
	"<label for=\"code\">Code</label>\n"
	"<input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" "
	"autocomplete=\"one-time-code\" aria-describedby=\"code-hint\" required autofocus>\n"
	"{{>return_to}}"
	"<button type=\"submit\">Continue</button>\n"
	"</form>\n";

static const char tenant_hidden_tpl[] = "<input type=\"hidden\" name=\"tenant\" value=\"{{v}}\">\n";
static const char tenant_asked_tpl[] =
	"<label for=\"tenant\">Organisation</label>\n"
	"<input id=\"tenant\" name=\"tenant\" type=\"text\" autocomplete=\"organization\" "
	"autocapitalize=\"none\" spellcheck=\"false\" required>\n";
static const char return_to_tpl[] =
	"<input type=\"hidden\" name=\"return_to\" value=\"{{v}}\">\n";

const char login_page_css[] =
	"/* tokengate's login page; a tenant's --login-stylesheet is loaded after it. */\n"
	"body { font: 1rem/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; "
	"color: #1b1f24; }\n"
	"main { max-width: 22rem; margin: 4rem auto; padding: 2rem; background: #fff; "
	"border-radius: 0.5rem; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.2); }\n"
	"h1 { font-size: 1.5rem; margin: 0 0 1rem; }\n"
	"label { display: block; font-weight: 600; margin-top: 1rem; }\n"
	"input { display: block; box-sizing: border-box; width: 100%; font: inherit; "
	"padding: 0.5rem; margin-top: 0.25rem; border: 1px solid #6b7280; "
	"border-radius: 0.25rem; }\n"
	"button { margin-top: 1.5rem; width: 100%; font: inherit; font-weight: 600; "
	"padding: 0.6rem; border: 0; border-radius: 0.25rem; background: #1d4ed8; "
	"color: #fff; cursor: pointer; }\n"
	/* A keyboard user must always see where they are (WCAG 2.4.7). */
	":focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }\n"
	".error { margin: 0 0 1rem; padding: 0.75rem; border-left: 4px solid #b91c1c; "
	"background: #fef2f2; color: #7f1d1d; }\n";

/* ---------------------------------------------------------------- rendering */

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = tg_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_add(b, "&amp;", 5); break;
		case '<': buf_add(b, "&lt;", 4); break;
		case '>': buf_add(b, "&gt;", 4); break;
		case '"': buf_add(b, "&quot;", 6); break;
		case '\'': buf_add(b, "&#39;", 5); break;
		default: buf_add(b, s, 1); break;
		}
	}
}

/* A slot's value: text to escape, or a fragment (may be "") rendered from a template. */
struct slot {
	const char *name;
	const char *text;
	const char *html;
};

static const struct slot *
find_slot(const struct slot *slots, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(slots[i].name) == len && strncmp(slots[i].name, name, len) == 0)
			return &slots[i];
	return NULL;
}

/*
 * The template with its slots filled, malloc'd. A slot the caller did not
 * give, or given as the wrong kind, is a bug in this file: abort rather than
 * send a page with a hole or an unescaped value (the unit test renders each).
 */
static char *
render(const char *tpl, const struct slot *slots, size_t n)
{
	struct buf b = { 0 };
	const char *p = tpl, *open = strstr(p, "{{"), *close;

	buf_add(&b, "", 0);
	for (; open; open = strstr(p, "{{")) {
		bool is_fragment = open[2] == '>';
		const char *name = open + 2 + is_fragment;
		const struct slot *s;

		close = strstr(name, "}}");
		if (!close)
			abort();
		s = find_slot(slots, n, name, (size_t)(close - name));
		if (!s || (is_fragment ? !s->html : !s->text))
			abort();
		buf_add(&b, p, (size_t)(open - p));
		if (is_fragment)
			buf_add(&b, s->html, strlen(s->html));
		else
			buf_escaped(&b, s->text);
		p = close + 2;
	}
	buf_add(&b, p, strlen(p));
	return b.p;
}

/* tpl with its one {{v}} set to v, or "" when v is NULL. */
static char *
render_optional(const char *tpl, const char *name, const char *v)
{
	struct slot s = { name, v, NULL };

	return v ? render(tpl, &s, 1) : tg_xstrdup("");
}

static char *
render_tenant(const struct login_page_view *v)
{
	if (v->kind != LOGIN_PAGE_PASSWORD || v->tenant_from == LOGIN_TENANT_PINNED)
		return tg_xstrdup("");
	if (v->tenant_from == LOGIN_TENANT_HIDDEN && v->tenant)
		return render_optional(tenant_hidden_tpl, "v", v->tenant);
	return tg_xstrdup(tenant_asked_tpl);
}

static char *
render_form(const struct login_page_view *v)
{
	char *tenant = render_tenant(v);
	char *return_to = render_optional(return_to_tpl, "v", v->return_to);
	const struct slot slots[] = { { "tenant", NULL, tenant }, { "return_to", NULL, return_to } };
	char *form;

	form = v->kind == LOGIN_PAGE_OTP ? render(otp_form_tpl, slots + 1, 1)
					 : render(password_form_tpl, slots, 2);
	free(tenant);
	free(return_to);
	return form;
}

char *
login_page_html(const struct login_page_view *v)
{
	char *theme = render_optional(theme_tpl, "href", v->stylesheet);
	char *alert = render_optional(alert_tpl, "message",
				      v->error ? login_error_message(v->error) : NULL);
	char *form = render_form(v);
	const struct slot slots[] = {
		{ "title", v->title ? v->title : "Sign in", NULL },
		{ "css", v->kind == LOGIN_PAGE_OTP ? "../login.css" : "login.css", NULL },
		{ "theme", NULL, theme },
		{ "alert", NULL, alert },
		{ "form", NULL, form },
	};
	char *page = render(page_tpl, slots, sizeof(slots) / sizeof(slots[0]));

	free(theme);
	free(alert);
	free(form);
	return page;
}

/* ---------------------------------------------------------------- rules */

/* " ORIGIN" of an absolute URL, "" for a path (which 'self' covers), malloc'd. */
static char *
origin_source(const char *ref)
{
	char *origin = NULL, *source;

	if (!ref || ref[0] == '/' || http_origin_of(ref, &origin) != TG_OK)
		return tg_xstrdup("");
	source = tg_xconcat(" ", origin);
	free(origin);
	return source;
}

char *
login_page_csp(const char *stylesheet, const char *return_to)
{
	char *style = origin_source(stylesheet), *form = origin_source(return_to), *csp;

	csp = tg_xasprintf("default-src 'none'; style-src 'self'%s; form-action 'self'%s; "
			   "frame-ancestors 'none'; base-uri 'none'", style, form);
	free(style);
	free(form);
	return csp;
}

const char *
login_error_message(const char *code)
{
	static const struct {
		const char *code, *message;
	} messages[] = {
		{ LOGIN_ERROR_CREDENTIALS, "The email or password is not right. Check both and try again." },
		{ LOGIN_ERROR_OTP, "That code was not accepted. Enter the code your authenticator app shows "
			 "now; each code works once." },
		{ LOGIN_ERROR_THROTTLED, "Too many attempts. Wait a few minutes, then try again." },
		{ LOGIN_ERROR_EXPIRED, "Your sign-in took too long and has expired. Sign in again." },
	};

	for (size_t i = 0; code && i < sizeof(messages) / sizeof(messages[0]); i++)
		if (strcmp(code, messages[i].code) == 0)
			return messages[i].message;
	/* Whatever else the address says is not shown: it is anyone's text. */
	return "Signing in did not succeed. Try again.";
}

/* ---------------------------------------------------------------- endpoints */

/* A query field, malloc'd; NULL when absent, repeated or not decodable (a page takes no side). */
static char *
query_field(const struct api_ctx *c, const char *name)
{
	const char *q = c->req->query_string;
	char *v = NULL;

	if (!q || http_form_get(q, strlen(q), name, &v) != TG_OK)
		return NULL;
	return v;
}

static void
set_page_headers(struct api_ctx *c, const char *csp)
{
	http_header_add(c->r, "Content-Type", "text/html; charset=utf-8");
	http_header_add(c->r, "Content-Security-Policy", csp);
	http_header_add(c->r, "X-Content-Type-Options", "nosniff");
	/*
	 * Not no-referrer: under it browsers send a form's POST with "Origin: null"
	 * (Fetch, "serializing a request origin"), which the login's CSRF rule must
	 * refuse. same-origin gives this origin's requests their Origin and Referer
	 * and every other site, the tenant's stylesheet host included, nothing.
	 */
	http_header_add(c->r, "Referrer-Policy", "same-origin");
	http_header_add(c->r, "Cache-Control", "no-store");
}

static void
serve_page(struct api_ctx *c, enum login_page_kind kind)
{
	struct login_page_view v = { .kind = kind, .tenant_from = LOGIN_TENANT_ASKED };
	char *tenant = query_field(c, "tenant"), *return_to = query_field(c, "return_to");
	char *error = query_field(c, "error"), *csp;
	const struct tg_tenant *t = NULL;
	struct authz_request facts;
	const char *why;

	/* Where the login POST would refuse plain HTTP, no one should type a password into it. */
	authz_request_of(c->req, &facts);
	if (!authz_https_allows(c->env->cfg, &facts, &why)) {
		api_error(c, 403, "invalid_request", "%s", why);
		c->reason = "https_required";
		goto out;
	}
	if (c->req->tenant) {
		v.tenant_from = LOGIN_TENANT_PINNED;
		t = api_tenant(c, c->req->tenant);
	} else if (tenant && tenant_id_is_valid(tenant)) {
		/* An unknown tenant gets the same page: the page says nothing of who exists. */
		v.tenant_from = LOGIN_TENANT_HIDDEN;
		v.tenant = tenant;
		t = api_tenant(c, tenant);
	}
	if (t) {
		c->tenant = tg_xstrdup(t->id); /* for the log line */
		v.title = t->login_title;
		v.stylesheet = t->login_stylesheet;
	}
	/* The login's own rule (role/login.h): the page offers no address the POST would refuse. */
	if (return_to && login_return_to_ok(c->env->cfg, t, &facts, return_to))
		v.return_to = return_to;
	v.error = error;
	csp = login_page_csp(v.stylesheet, v.return_to);
	c->r->status = 200;
	set_page_headers(c, csp);
	c->r->body = login_page_html(&v); /* ownership moves to the response */
	c->r->bodylen = strlen(c->r->body);
	free(csp);
out:
	free(tenant);
	free(return_to);
	free(error);
}

void
api_login_page(struct api_ctx *c)
{
	serve_page(c, LOGIN_PAGE_PASSWORD);
}

void
api_login_otp_page(struct api_ctx *c)
{
	serve_page(c, LOGIN_PAGE_OTP);
}

void
api_login_css(struct api_ctx *c)
{
	c->r->status = 200;
	http_header_add(c->r, "Content-Type", "text/css; charset=utf-8");
	http_header_add(c->r, "X-Content-Type-Options", "nosniff");
	/* The same bytes for every tenant and until the next release: an hour of caching. */
	http_header_add(c->r, "Cache-Control", "public, max-age=3600");
	c->r->body = tg_xstrdup(login_page_css);
	c->r->bodylen = strlen(login_page_css);
}
