/*
 * The login pages (role/login_page.c): what each page holds for a browser and
 * an assistive technology (lang, labels tied to fields, autocomplete and
 * inputmode, the error in role="alert"), every interpolated value escaped, no
 * request text shown as an error, no script or inline style, and through
 * api_handle the headers, a tenant's theme from a real keyring and the return
 * address only when the login would take it (login_return_to_ok).
 */
#include "role/login_page.h"

#include "../lib/api_call.h"
#include "../lib/keyring_fixture.h"

#include <string.h>

static bool
has(const char *page, const char *s)
{
	return strstr(page, s) != NULL;
}

static char *
page_of(enum login_page_kind kind, enum login_page_tenant from, const char *tenant,
	const char *return_to, const char *error)
{
	struct login_page_view v = { .kind = kind, .tenant_from = from, .tenant = tenant,
				     .return_to = return_to, .error = error };

	return login_page_html(&v);
}

/* An attribute " onNAME=": an event handler, inline script. */
static bool
has_handler(const char *page)
{
	for (const char *p = strstr(page, " on"); p; p = strstr(p + 1, " on")) {
		size_t n = strspn(p + 3, "abcdefghijklmnopqrstuvwxyz");

		if (n > 0 && p[3 + n] == '=')
			return true;
	}
	return false;
}

/* Nothing a CSP of default-src 'none' would block, and so nothing a browser would complain of. */
static bool
is_static(const char *page)
{
	return !has(page, "<script") && !has(page, "<style") && !has(page, "style=") &&
	       !has_handler(page) && !has(page, "javascript:");
}

static void
test_password_page(void)
{
	char *p = page_of(LOGIN_PAGE_PASSWORD, LOGIN_TENANT_PINNED, NULL, "/app/", NULL);

	ok(strncmp(p, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0, "HTML5 with a language");
	ok(has(p, "<meta charset=\"utf-8\">") && has(p, "name=\"viewport\""),
	   "charset and viewport declared");
	ok(has(p, "<title>Sign in</title>") && has(p, "<h1>Sign in</h1>"),
	   "no theme: the title and heading say Sign in");
	ok(has(p, "<label for=\"email\">") && has(p, "<input id=\"email\" name=\"email\" "
						   "type=\"email\" autocomplete=\"username\""),
	   "the email field has its label and autocomplete=username");
	ok(has(p, "<label for=\"password\">") &&
		   has(p, "type=\"password\" autocomplete=\"current-password\""),
	   "the password field has its label and autocomplete=current-password");
	ok(has(p, "<form method=\"post\" action=\"login\">"),
	   "the form posts to POST /v1/login, relative to wherever the API is mounted");
	ok(has(p, "<link rel=\"stylesheet\" href=\"login.css\">"), "the gateway's stylesheet");
	ok(has(p, "<input type=\"hidden\" name=\"return_to\" value=\"/app/\">"),
	   "the return address rides along in a hidden field");
	ok(!has(p, "name=\"tenant\""), "a pinned tenant: the form carries none");
	ok(!has(p, "role=\"alert\""), "no error: no alert");
	ok(is_static(p), "no script, no inline style, no event handler");
	free(p);

	p = page_of(LOGIN_PAGE_PASSWORD, LOGIN_TENANT_HIDDEN, "acme", NULL, NULL);
	ok(has(p, "<input type=\"hidden\" name=\"tenant\" value=\"acme\">"),
	   "?tenant=: a hidden tenant field");
	ok(!has(p, "name=\"return_to\""), "no return address: no field");
	free(p);

	p = page_of(LOGIN_PAGE_PASSWORD, LOGIN_TENANT_ASKED, NULL, NULL, NULL);
	ok(has(p, "<label for=\"tenant\">Organisation</label>") &&
		   has(p, "<input id=\"tenant\" name=\"tenant\" type=\"text\""),
	   "no tenant known: a labelled field asks for it");
	free(p);
}

static void
test_otp_page(void)
{
	char *p = page_of(LOGIN_PAGE_OTP, LOGIN_TENANT_ASKED, NULL, "/app/", NULL);

	ok(has(p, "<label for=\"code\">Code</label>") &&
		   has(p, "inputmode=\"numeric\" autocomplete=\"one-time-code\""),
	   "the code field: label, numeric keypad, autocomplete=one-time-code");
	ok(has(p, "aria-describedby=\"code-hint\"") && has(p, "<p id=\"code-hint\">"),
	   "the code field is described by the hint");
	ok(!has(p, "pattern="), "no pattern: a recovery code can be typed");
	ok(has(p, "<form method=\"post\" action=\"otp\">"), "the form posts to /v1/login/otp");
	ok(has(p, "href=\"../login.css\""), "the stylesheet relative to /v1/login/otp");
	ok(!has(p, "name=\"tenant\"") && !has(p, "name=\"password\""),
	   "the second step asks for the code alone");
	ok(has(p, "name=\"return_to\" value=\"/app/\""), "the return address rides along");
	ok(is_static(p), "no script, no inline style, no event handler");
	free(p);
}

static void
test_errors(void)
{
	static const char *const codes[] = { "credentials", "otp", "throttled", "expired" };
	char *p;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *m = login_error_message(codes[i]);
		char *want = tg_xasprintf("<p id=\"error\" class=\"error\" role=\"alert\">%s</p>", m);

		p = page_of(LOGIN_PAGE_PASSWORD, LOGIN_TENANT_PINNED, NULL, NULL, codes[i]);
		ok(has(p, want), "error=%s: its sentence in a role=alert element", codes[i]);
		free(p);
		free(want);
	}
	ok(strcmp(login_error_message("credentials"), login_error_message("otp")) != 0,
	   "each code has its own sentence");
	/* A link someone else made must not put their words on the gateway's page. */
	p = page_of(LOGIN_PAGE_PASSWORD, LOGIN_TENANT_PINNED, NULL, NULL,
		    "Your account is locked, call 555-0100");
	ok(has(p, "role=\"alert\">Signing in did not succeed. Try again.</p>") &&
		   !has(p, "555-0100"),
	   "an unknown error code: a generic sentence, the request's text not shown");
	free(p);
}

/* Every interpolated value: a title with markup, a tenant and a return address with quotes. */
static void
test_escaping(void)
{
	struct login_page_view v = {
		.kind = LOGIN_PAGE_PASSWORD, .tenant_from = LOGIN_TENANT_HIDDEN,
		.tenant = "a\"b", .title = "<script>alert('x')</script> & Co",
		.stylesheet = "/a.css?x=1&y=2", .return_to = "/x?q=\"><script>1</script>",
	};
	char *p = login_page_html(&v);

	ok(has(p, "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co</title>") &&
		   has(p, "<h1>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co</h1>"),
	   "the title escaped in <title> and <h1>");
	ok(has(p, "value=\"a&quot;b\""), "the tenant escaped in its attribute");
	ok(has(p, "value=\"/x?q=&quot;&gt;&lt;script&gt;1&lt;/script&gt;\""),
	   "the return address escaped in its attribute");
	ok(has(p, "<link rel=\"stylesheet\" href=\"/a.css?x=1&amp;y=2\">"),
	   "the tenant's stylesheet, escaped, after the gateway's");
	ok(strstr(p, "href=\"login.css\"") < strstr(p, "href=\"/a.css"),
	   "the tenant's stylesheet comes last, so it wins");
	ok(is_static(p), "still no script anywhere");
	free(p);
}

static void
test_csp(void)
{
	static const char base[] = "default-src 'none'; style-src 'self'; form-action 'self'; "
				   "frame-ancestors 'none'; base-uri 'none'";
	char *csp = login_page_csp(NULL, NULL);

	is_str(csp, base, "no theme: styles from this origin only");
	free(csp);
	csp = login_page_csp("/theme/acme.css", "/app/");
	is_str(csp, base, "a stylesheet path and a return path: this origin already covers them");
	free(csp);
	csp = login_page_csp("https://CDN.acme.example:8443/a/login.css?v=3", NULL);
	is_str(csp, "default-src 'none'; style-src 'self' https://cdn.acme.example:8443; "
		    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	       "an https stylesheet: its origin (lower-cased) and nothing more of the URL");
	free(csp);
	csp = login_page_csp("https://cdn.acme.example:443/login.css", NULL);
	ok(has(csp, "style-src 'self' https://cdn.acme.example;"),
	   "the default port is left out, as browsers compare origins");
	free(csp);
	csp = login_page_csp(NULL, "https://app.acme.example/home?x=1");
	ok(has(csp, "; form-action 'self' https://app.acme.example;") &&
		   has(csp, "style-src 'self';"),
	   "an absolute return address: its origin may receive the login's redirect, no more");
	free(csp);
}

/* ---------------------------------------------------------------- through api_handle */

static struct keyring_fixture kf;

/* GET path?query under configuration c (over HTTPS when https is set), TOKENGATE_TENANT pin. */
static void
get_with(const struct tg_config *c, const char *https, const char *path, const char *query,
	 const char *pin, struct http_response *r)
{
	struct api_env env = { .cfg = c, .kr = kf.kr, .conn = conn, .now = 1700000000,
			       .now_ms = 1700000000000 };
	struct http_request req = { .role = HTTP_ROLE_RESPONDER, .method = "GET",
				    .path_info = path, .query_string = query, .tenant = pin,
				    .remote_addr = "127.0.0.1", .https = https,
				    .content_length = -1 };

	api_handle(&env, &req, r);
}

static void
get(const char *path, const char *query, const char *pin, struct http_response *r)
{
	get_with(cfg, NULL, path, query, pin, r);
}

/* require_https = yes: the password form only over HTTPS, where the POST would be taken. */
static void
test_https(void)
{
	static const char conf[] = "database = /nonexistent\nrequire_https = yes\n";
	struct tg_config *strict = NULL;
	struct http_response r;
	struct tg_why why;

	if (config_parse("strict.conf", conf, strlen(conf), NULL, &strict, &why) != TG_OK) {
		ok(0, "the require_https configuration parses: %s", why.text);
		return;
	}
	get_with(strict, NULL, "/v1/login", "tenant=acme", NULL, &r);
	ok(r.status == 403 && (!r.body || !has(r.body, "<form")),
	   "require_https: no password form over plain HTTP (403)");
	http_response_fini(&r);
	get_with(strict, "on", "/v1/login", "tenant=acme", NULL, &r);
	ok(r.status == 200 && r.body && has(r.body, "<form"), "require_https: the form over HTTPS");
	http_response_fini(&r);
	config_free(strict);
}

static void
test_endpoints(void)
{
	struct tg_tenant *t;
	struct http_response r;
	const char *csp;

	kf_init(&kf);
	t = kf_tenant(&kf, "acme", NULL);
	t->login_title = tg_xstrdup("Acme members");
	t->login_stylesheet = tg_xstrdup("https://cdn.acme.example/login.css");
	strlist_add(&t->allowed_origins, "https://app.acme.example");
	kf_tenant(&kf, "globex", NULL);
	kf_load(&kf);

	get("/v1/login", "tenant=acme&return_to=%2Fapp%2F&error=otp", NULL, &r);
	is_int(r.status, 200, "GET /v1/login?tenant=acme: 200");
	is_str(header(&r, "Content-Type"), "text/html; charset=utf-8", "Content-Type: text/html");
	csp = header(&r, "Content-Security-Policy");
	is_str(csp, "default-src 'none'; style-src 'self' https://cdn.acme.example; "
		    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	       "the CSP allows the tenant's stylesheet origin");
	is_str(header(&r, "X-Content-Type-Options"), "nosniff", "nosniff");
	/* no-referrer would make the form's POST carry "Origin: null", which the login refuses. */
	is_str(header(&r, "Referrer-Policy"), "same-origin", "Referrer-Policy: same-origin");
	is_str(header(&r, "Cache-Control"), "no-store", "Cache-Control: no-store");
	ok(r.body && has(r.body, "<h1>Acme members</h1>") &&
		   has(r.body, "href=\"https://cdn.acme.example/login.css\"") &&
		   has(r.body, "name=\"tenant\" value=\"acme\"") &&
		   has(r.body, "name=\"return_to\" value=\"/app/\"") &&
		   has(r.body, login_error_message("otp")),
	   "the tenant's title and stylesheet, its hidden field, the return address, the error");
	ok(r.body && r.bodylen == strlen(r.body), "bodylen is the page's length");
	http_response_fini(&r);

	get("/v1/login", "return_to=https%3A%2F%2Fevil.example%2F", "acme", &r);
	ok(r.status == 200 && !has(r.body, "evil.example") && !has(r.body, "name=\"tenant\"") &&
		   has(r.body, "<h1>Acme members</h1>"),
	   "pinned tenant: its theme, no tenant field; a foreign return address is left out");
	http_response_fini(&r);

	get("/v1/login", "tenant=nobody", NULL, &r);
	ok(r.status == 200 && has(r.body, "<h1>Sign in</h1>") &&
		   has(r.body, "name=\"tenant\" value=\"nobody\"") &&
		   has(header(&r, "Content-Security-Policy"), "style-src 'self';"),
	   "an unknown tenant: the plain page, the same as a known one without a theme");
	http_response_fini(&r);

	get("/v1/login", "return_to=%2F%2Fevil.example%2F", "acme", &r);
	ok(r.status == 200 && !has(r.body, "evil.example"),
	   "a scheme-relative return address (another site) is left out");
	http_response_fini(&r);

	get("/v1/login", "return_to=https%3A%2F%2Fapp.acme.example%2Fhome", "acme", &r);
	ok(r.status == 200 && has(r.body, "value=\"https://app.acme.example/home\"") &&
		   has(header(&r, "Content-Security-Policy"),
		       "form-action 'self' https://app.acme.example;"),
	   "a URL of one of the tenant's allowed origins rides along, allowed by form-action");
	http_response_fini(&r);

	get("/v1/login", "tenant=%3Cb%3E&return_to=%2Fa&return_to=%2Fb", NULL, &r);
	ok(r.status == 200 && has(r.body, "<label for=\"tenant\">") && !has(r.body, "<b>") &&
		   !has(r.body, "name=\"return_to\""),
	   "a tenant id that cannot be one is asked for; a repeated return_to is left out");
	http_response_fini(&r);

	get("/v1/login/otp", "tenant=globex&return_to=%2Fapp%2F", NULL, &r);
	ok(r.status == 200 && has(r.body, "autocomplete=\"one-time-code\"") &&
		   !has(r.body, "name=\"tenant\"") && has(r.body, "value=\"/app/\"") &&
		   header(&r, "Content-Security-Policy") != NULL,
	   "GET /v1/login/otp: the code form with the return address and the CSP");
	http_response_fini(&r);

	get("/v1/login.css", NULL, NULL, &r);
	ok(r.status == 200 && r.bodylen == strlen(login_page_css) &&
		   memcmp(r.body, login_page_css, r.bodylen) == 0,
	   "GET /v1/login.css: the stylesheet");
	is_str(header(&r, "Content-Type"), "text/css; charset=utf-8", "Content-Type: text/css");
	is_str(header(&r, "X-Content-Type-Options"), "nosniff", "the stylesheet: nosniff");
	ok(has(login_page_css, ":focus-visible"), "the stylesheet gives focus a visible outline");
	http_response_fini(&r);

	test_https();
	kf_fini(&kf);
}

int
main(void)
{
	test_password_page();
	test_otp_page();
	test_errors();
	test_escaping();
	test_csp();
	if (api_call_setup()) {
		test_endpoints();
		api_call_teardown();
	}
	return done_testing();
}
