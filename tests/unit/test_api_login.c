/*
 * First-party login end to end against a real store in a mkdtemp directory,
 * bodies fed on standard input as a CGI request's are: the return_to rule,
 * JSON and form logins with their cookies (plain HTTP and HTTPS names), one
 * answer for an unknown email, a wrong password and a disabled user, the
 * re-hash, the CSRF rule, the TOTP step (replay refused, a recovery code
 * once), the refresh cookie, logout clearing both cookies, and a log free of
 * passwords and codes.
 */
#include "role/api.h"
#include "role/login.h"

#include "base/log.h"
#include "model/password.h"
#include "model/totp.h"
#include "model/user.h"

#include "../lib/api_store_call.h"

#define PASSWORD "correct horse battery"
#define FORM "application/x-www-form-urlencoded"

static struct tg_secret totp_key;
static char recovery[RECOVERY_CODES][RECOVERY_CODE_LEN + 1];

/* The header name's value number i (0: the first), NULL when there are fewer. */
static const char *
header_n(const struct http_response *r, const char *name, size_t i)
{
	for (size_t j = 0; j < r->nheaders; j++)
		if (strcmp(r->headers[j].name, name) == 0 && i-- == 0)
			return r->headers[j].value;
	return NULL;
}

/* The Set-Cookie whose name is name, NULL when none. */
static const char *
set_cookie(const struct http_response *r, const char *name)
{
	for (size_t i = 0; header_n(r, "Set-Cookie", i); i++) {
		const char *h = header_n(r, "Set-Cookie", i);

		if (strncmp(h, name, strlen(name)) == 0 && h[strlen(name)] == '=')
			return h;
	}
	return NULL;
}

/* "name=value" of the Set-Cookie called name, for a Cookie header; malloc'd, "" when none. */
static char *
cookie_pair(const struct http_response *r, const char *name)
{
	const char *h = set_cookie(r, name);

	return h ? tg_xstrndup(h, strcspn(h, ";")) : tg_xstrdup("");
}

/* Whether the answer sets the cookie name with attrs (a part of its Set-Cookie). */
static void
cookie_has(const struct http_response *r, const char *name, const char *attrs, const char *what)
{
	const char *h = set_cookie(r, name);

	ok(h && strstr(h, attrs), "%s", what);
	if (!h || !strstr(h, attrs))
		diag("got Set-Cookie %s", h ? h : "(none)");
}

/* GET /v1/authorize with cookie (and the location's required amr): its status. */
static int
authorize(const char *cookie, const char *require_amr)
{
	struct result res;
	int status;

	call(&(struct call){ "GET", "/v1/authorize", .cookie = cookie, .require_amr = require_amr },
	     &res);
	status = res.status;
	result_fini(&res);
	return status;
}

static void
add_user(const char *tenant, const char *email, const struct tg_password_params *params,
	 bool is_disabled)
{
	struct tg_user u = { .tenant = (char *)(uintptr_t)tenant,
			     .email = (char *)(uintptr_t)email };

	if (user_new_id(&u.id) != TG_OK ||
	    password_hash(PASSWORD, strlen(PASSWORD), params, &u.password_hash) != TG_OK ||
	    store_user_add(scratch.s, &u) != TG_OK ||
	    (is_disabled && store_user_disable(scratch.s, tenant, email) != TG_OK))
		diag("user %s not added", email);
	free(u.id);
	free(u.password_hash);
}

static void
setup(void)
{
	static const char conf[] = "database = /unused\nrealm = unit\nlog_level = info\n"
				   "require_https = no\nrate_limit_per_key = 1000\n"
				   "rate_limit_burst = 1000000\n";
	struct tg_password_params floor = { TG_PASSWORD_MEMORY_KIB, TG_PASSWORD_ITERATIONS,
					    TG_PASSWORD_PARALLELISM };
	struct tg_password_params weak = { 8192, 1, 1 };
	struct tg_why why = { "mkdtemp" };
	struct recovery_set set;
	struct tg_tenant *t;

	if (setup_open(&scratch, "test_api_login", true, &why) != TG_OK ||
	    config_parse("unit.conf", conf, strlen(conf), NULL, &cfg, &why) != TG_OK) {
		diag("setup: %s", why.text);
		exit(1);
	}
	t = tenant_new("acme");
	t->max_lifetime = 600;
	if (setup_tenant_put(scratch.s, t) != TG_OK)
		diag("tenant acme not added");
	t = tenant_new("globex");
	t->max_lifetime = 600;
	strlist_add(&t->allowed_origins, "https://app.globex.example");
	if (setup_tenant_put(scratch.s, t) != TG_OK)
		diag("tenant globex not added");
	t = tenant_new("strict");
	t->max_lifetime = 600;
	strlist_add(&t->require_amr, "otp");
	if (setup_tenant_put(scratch.s, t) != TG_OK)
		diag("tenant strict not added");
	add_user("strict", "sam@example.com", &floor, false);
	add_user("acme", "alice@example.com", &floor, false);
	add_user("acme", "dora@example.com", &floor, true);
	add_user("acme", "old@example.com", &weak, false);
	add_user("acme", "tess@example.com", &floor, false);
	add_user("globex", "gil@example.com", &floor, false);
	if (totp_secret_new(&totp_key) != TG_OK || recovery_new(RECOVERY_CODES, recovery, &set) ||
	    store_user_totp_set(scratch.s, "acme", "tess@example.com", &totp_key, &set, NULL) ||
	    store_user_totp_set(scratch.s, "strict", "sam@example.com", &totp_key, &set, NULL))
		diag("TOTP for tess not set");
	secret_wipe(&set, sizeof(set));
	log_set_level(cfg->log_level);
	kr = keyring_new();
}

static void
test_return_to(void)
{
	static const struct {
		const char *to;
		bool is_ok;
		const char *what;
	} cases[] = {
		{ "/", true, "the root" },
		{ "/app/page?x=1#top", true, "a path with a query and a fragment" },
		{ "https://gw.example/app", true, "a URL of the request's own origin" },
		{ "https://GW.example:443/", true, "... written another way" },
		{ "//evil.example/", false, "a network-path reference" },
		{ "/\\evil.example", false, "a backslash, which browsers read as a slash" },
		{ "https://evil.example/", false, "another origin" },
		{ "https://gw.example@evil.example/", false, "userinfo in front of another host" },
		{ "http://gw.example/", false, "the own host over the other scheme" },
		{ "javascript:alert(1)", false, "a javascript: URL" },
		{ "data:text/html,x", false, "a data: URL" },
		{ "app/page", false, "a relative path" },
		{ "/a\tb", false, "a control character" },
		{ "/a b", false, "a blank" },
		{ "/a\x7f", false, "DEL" },
		{ "", false, "empty" },
	};
	struct authz_request req = { .https = "on", .host = "gw.example" };
	struct tg_tenant *t = tenant_new("t");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(login_return_to_ok(cfg, NULL, &req, cases[i].to) == cases[i].is_ok,
		   "return_to %s: %s", cases[i].is_ok ? "allows" : "refuses", cases[i].what);
	ok(!login_return_to_ok(cfg, NULL, &req, NULL), "return_to: none is no address");
	strlist_add(&t->allowed_origins, "https://app.example.com");
	ok(login_return_to_ok(cfg, t, &req, "https://app.example.com/x"),
	   "return_to: a URL of an allowed origin");
	ok(login_return_to_ok(cfg, t, &req, "https://gw.example/x"),
	   "return_to: the own origin beside a tenant's list");
	ok(!login_return_to_ok(cfg, t, &req, "https://app.example.org/x"),
	   "return_to: an origin neither listed nor the own");
	tenant_free(t);
}

/* The refusal of a login is one answer, whatever was wrong. */
static void
test_credentials(void)
{
	static const char *const bodies[] = {
		"{\"tenant\":\"acme\",\"email\":\"alice@example.com\",\"password\":\"wrong one!\"}",
		"{\"tenant\":\"acme\",\"email\":\"nobody@example.com\",\"password\":\"" PASSWORD "\"}",
		"{\"tenant\":\"acme\",\"email\":\"dora@example.com\",\"password\":\"" PASSWORD "\"}",
		"{\"tenant\":\"nosuch\",\"email\":\"alice@example.com\",\"password\":\"" PASSWORD "\"}",
		"{\"tenant\":\"acme\",\"email\":\"not an email\",\"password\":\"" PASSWORD "\"}",
	};
	static const char *const what[] = { "a wrong password", "an unknown email",
					    "a disabled user", "an unknown tenant",
					    "a malformed email" };
	char *first = NULL;
	struct result res;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		call(&(struct call){ .path = "/v1/login", .body = bodies[i] }, &res);
		is_int(res.status, 401, "login with %s: 401", what[i]);
		ok(!set_cookie(&res.r, "tg_session") && !set_cookie(&res.r, "tg_refresh"),
		   "login with %s: no cookie", what[i]);
		if (!first)
			first = tg_xstrdup(res.r.body ? res.r.body : "");
		else
			is_str(res.r.body, first, "login with %s: the same body as a wrong password",
			       what[i]);
		result_fini(&res);
	}
	free(first);
	expect(&(struct call){ .path = "/v1/login", .body = "{\"tenant\":\"acme\"}" }, 400,
	       "invalid_request", "login without email and password");
	expect(&(struct call){ .path = "/v1/login",
			       .body = "{\"email\":\"a@b.c\",\"password\":\"x\"}" },
	       400, "invalid_request", "login without a tenant (none pinned)");
	expect(&(struct call){ .path = "/v1/login", .tenant = "globex",
			       .body = "{\"tenant\":\"acme\",\"email\":\"a@b.c\",\"password\":\"x\"}" },
	       400, "invalid_request", "login naming another tenant than the pinned one");
	expect(&(struct call){ .path = "/v1/login", .body = "{\"tenant\":\"acme\",\"user\":1}" },
	       400, "invalid_request", "login with an unknown member");
	expect(&(struct call){ .path = "/v1/login", .method = "GET" }, 200, NULL,
	       "GET /v1/login is the login page (login_page.c), beside this POST");
	expect(&(struct call){ .path = "/v1/login", .method = "PUT" }, 405, "method_not_allowed",
	       "PUT /v1/login: 405");
}

/* A JSON login over plain HTTP: its answer, its cookies, the session they carry. */
static void
test_json_login(void)
{
	struct result res;
	char *session, *refresh, *both;
	const char *h;

	call(&(struct call){ .path = "/v1/login", .script_name = "/auth",
			     .body = "{\"tenant\":\"acme\",\"email\":\" Alice@Example.COM\","
				     "\"password\":\"" PASSWORD "\"}" }, &res);
	is_int(res.status, 200, "login: 200");
	ok(str(&res, "session_id") && json_object_object_length(res.json) == 2,
	   "login: session_id and expires_in only, no token in the body");
	h = set_cookie(&res.r, "tg_session");
	ok(h && strstr(h, "; HttpOnly; SameSite=Lax; Path=/; Max-Age=600") && !strstr(h, "Secure"),
	   "login over HTTP: the plain session cookie, HttpOnly, Lax, Path=/, the token's life");
	h = set_cookie(&res.r, "tg_refresh");
	ok(h && strstr(h, "; HttpOnly; SameSite=Strict; Path=/auth/v1/token; Max-Age=") &&
	   !strstr(h, "Secure"), "login over HTTP: the refresh cookie, Strict, scoped to /v1/token");
	session = cookie_pair(&res.r, "tg_session");
	refresh = cookie_pair(&res.r, "tg_refresh");
	result_fini(&res);
	is_int(authorize(session, NULL), 200, "the session cookie passes the authorizer");

	call(&(struct call){ .path = "/v1/token", .cookie = refresh, .body = NULL }, &res);
	is_int(res.status, 200, "refresh through the refresh cookie, no body: 200");
	ok(set_cookie(&res.r, "tg_session") && set_cookie(&res.r, "tg_refresh") &&
	   !str(&res, "refresh_token") && !str(&res, "access_token"),
	   "refresh by cookie: both cookies set again, no token in the body");
	free(session);
	session = cookie_pair(&res.r, "tg_session");
	result_fini(&res);
	is_int(authorize(session, NULL), 200, "the refreshed session cookie passes");
	expect(&(struct call){ .path = "/v1/token", .cookie = refresh,
			       .origin = "https://evil.example", .host = "gw.example" },
	       403, "invalid_request", "refresh by cookie from a foreign Origin");

	both = tg_xasprintf("%s; %s", session, refresh);
	call(&(struct call){ .path = "/v1/logout", .cookie = both, .origin = "https://evil.example",
			     .host = "gw.example" }, &res);
	is_int(res.status, 403, "logout by cookie from a foreign Origin: 403");
	result_fini(&res);
	call(&(struct call){ .path = "/v1/logout", .cookie = both, .origin = "http://gw.example",
			     .host = "gw.example" }, &res);
	is_int(res.status, 204, "logout by cookie from the own origin: 204");
	cookie_has(&res.r, "tg_session", "tg_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
		   "logout clears the session cookie with its attributes");
	cookie_has(&res.r, "tg_refresh", "tg_refresh=; HttpOnly; SameSite=Strict; Path=/v1/token; Max-Age=0",
		   "logout clears the refresh cookie");
	result_fini(&res);
	is_int(authorize(session, NULL), 401, "after logout the cookie is refused");
	free(both);
	free(session);
	free(refresh);
}

/* Over HTTPS: __Host- and __Secure- names with Secure. */
static void
test_https_names(void)
{
	struct result res;
	char *session;

	call(&(struct call){ .path = "/v1/login", .https = "on", .tenant = "acme",
			     .body = "{\"email\":\"alice@example.com\",\"password\":\"" PASSWORD
				     "\"}" }, &res);
	is_int(res.status, 200, "login over HTTPS, tenant pinned by the location: 200");
	cookie_has(&res.r, "__Host-tg_session", "; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=600",
		   "over HTTPS: __Host-tg_session with Secure");
	cookie_has(&res.r, "__Secure-tg_refresh", "; HttpOnly; Secure; SameSite=Strict; Path=/v1/token;",
		   "over HTTPS: __Secure-tg_refresh with Secure");
	session = cookie_pair(&res.r, "__Host-tg_session");
	result_fini(&res);
	is_int(authorize(session, NULL), 200, "the authorizer reads __Host-tg_session");
	free(session);
}

static void
test_form_login(void)
{
	struct result res;
	const char *h;

	call(&(struct call){ .path = "/v1/login", .content_type = FORM, .script_name = "/auth",
			     .body = "tenant=acme&email=alice%40example.com&password=correct+horse"
				     "+battery&return_to=%2Fapp%2Fhome" }, &res);
	is_int(res.status, 303, "form login: 303");
	h = header_n(&res.r, "Location", 0);
	is_str(h, "/app/home", "form login: to the return address");
	ok(set_cookie(&res.r, "tg_session") && set_cookie(&res.r, "tg_refresh"),
	   "form login: both cookies");
	result_fini(&res);
	call(&(struct call){ .path = "/v1/login", .content_type = FORM, .script_name = "/auth",
			     .body = "tenant=acme&email=alice%40example.com&password=nope&"
				     "return_to=%2Fapp%3Fa%3D1%26b" }, &res);
	is_int(res.status, 303, "form login, wrong password: 303");
	is_str(header_n(&res.r, "Location", 0),
	       "/auth/v1/login?error=credentials&tenant=acme&return_to=%2Fapp%3Fa%3D1%26b",
	       "... back to the login page with error=credentials, the tenant and return_to");
	ok(!set_cookie(&res.r, "tg_session"), "... and no cookie");
	result_fini(&res);
	call(&(struct call){ .path = "/v1/login", .content_type = FORM, .tenant = "acme",
			     .body = "email=alice%40example.com&password=correct+horse+battery" },
	     &res);
	is_str(header_n(&res.r, "Location", 0), "/", "form login without return_to: to /");
	result_fini(&res);
	expect(&(struct call){ .path = "/v1/login", .content_type = FORM, .tenant = "acme",
			       .body = "email=a%40b.c&password=x&return_to=%2F%2Fevil.example" },
	       400, "invalid_request", "form login with return_to //evil.example: refused");
	expect(&(struct call){ .path = "/v1/login", .content_type = FORM, .tenant = "acme",
			       .body = "email=a%40b.c&password=x&return_to=https%3A%2F%2Fevil.example"
				     "%2F" },
	       400, "invalid_request", "form login with return_to https://evil.example/: refused");
	expect(&(struct call){ .path = "/v1/login", .tenant = "acme",
			       .body = "{\"email\":\"a@b.c\",\"password\":\"x\","
				       "\"return_to\":\"javascript:alert(1)\"}" },
	       400, "invalid_request", "JSON login with return_to javascript:: refused");
}

static void
test_csrf(void)
{
	static const char body[] = "{\"email\":\"gil@example.com\",\"password\":\"" PASSWORD "\"}";

	expect(&(struct call){ .path = "/v1/login", .tenant = "acme", .host = "gw.example",
			       .origin = "https://evil.example",
			       .body = "{\"email\":\"alice@example.com\",\"password\":\"x\"}" },
	       403, "invalid_request", "login from a foreign Origin");
	expect(&(struct call){ .path = "/v1/login", .tenant = "acme", .host = "gw.example",
			       .fetch_site = "cross-site",
			       .body = "{\"email\":\"alice@example.com\",\"password\":\"x\"}" },
	       403, "invalid_request", "login with Sec-Fetch-Site: cross-site");
	expect(&(struct call){ .path = "/v1/login", .tenant = "acme", .host = "gw.example",
			       .origin = "http://gw.example", .fetch_site = "same-origin",
			       .body = "{\"email\":\"alice@example.com\",\"password\":\"x\"}" },
	       401, "invalid_credentials", "login from the own origin gets to the password");
	expect(&(struct call){ .path = "/v1/login", .tenant = "globex", .host = "gw.example",
			       .origin = "https://app.example.org", .body = body },
	       403, "invalid_request", "login to a tenant listing origins, from one it does not list");
	expect(&(struct call){ .path = "/v1/login", .tenant = "globex", .host = "gw.example",
			       .origin = "https://app.globex.example", .fetch_site = "cross-site",
			       .body = body },
	       200, NULL, "login from an origin the tenant lists, cross-site");
}

/* The TOTP code of the step at t, of the enrolled secret. */
static void
code_at(int64_t t, char code[TOTP_DIGITS_MAX + 1])
{
	if (totp_code(&totp_key, t, TOTP_DIGITS, code) != TG_OK)
		diag("no TOTP code");
}

static void
test_otp(void)
{
	struct result res;
	char code[TOTP_DIGITS_MAX + 1], *body, *session, *stepped, *form;
	const char *h;

	call(&(struct call){ .path = "/v1/login", .tenant = "acme",
			     .body = "{\"email\":\"tess@example.com\",\"password\":\"" PASSWORD
				     "\"}" }, &res);
	is_int(res.status, 200, "TOTP user's login: 200");
	is_str(str(&res, "next"), "otp", "TOTP user's login: next is otp");
	session = cookie_pair(&res.r, "tg_session");
	result_fini(&res);
	is_int(authorize(session, NULL), 200, "before the code the cookie passes where no otp is due");
	is_int(authorize(session, "otp"), 401, "... but not where otp is required");

	code_at(now, code);
	body = tg_xasprintf("{\"code\":\"%s\"}", code);
	expect(&(struct call){ .path = "/v1/login/otp", .body = body }, 401, "invalid_token",
	       "login/otp without the cookie");
	expect(&(struct call){ .path = "/v1/login/otp", .body = "{\"code\":\"000000x\"}",
			       .cookie = session }, 401, "invalid_otp", "login/otp with a non-code");
	call(&(struct call){ .path = "/v1/login/otp", .body = body, .cookie = session }, &res);
	is_int(res.status, 200, "login/otp with the code: 200");
	h = set_cookie(&res.r, "tg_session");
	ok(h && !set_cookie(&res.r, "tg_refresh"), "login/otp: a new session cookie only");
	stepped = cookie_pair(&res.r, "tg_session");
	result_fini(&res);
	is_int(authorize(stepped, "otp"), 200, "the new cookie passes where otp is required");
	expect(&(struct call){ .path = "/v1/login/otp", .body = body, .cookie = session }, 401,
	       "invalid_otp", "the same code again: refused (single use)");
	code_at(now - TOTP_PERIOD, code);
	free(body);
	body = tg_xasprintf("{\"code\":\"%s\"}", code);
	expect(&(struct call){ .path = "/v1/login/otp", .body = body, .cookie = session }, 401,
	       "invalid_otp", "the window's earlier code after a later one: refused");
	free(body);
	body = tg_xasprintf("{\"code\":\"%s\"}", recovery[0]);
	expect(&(struct call){ .path = "/v1/login/otp", .body = body, .cookie = session }, 200,
	       NULL, "a recovery code: accepted");
	expect(&(struct call){ .path = "/v1/login/otp", .body = body, .cookie = session }, 401,
	       "invalid_otp", "the recovery code again: refused");
	form = tg_xasprintf("code=%s&return_to=%%2Fnext", recovery[1]);
	call(&(struct call){ .path = "/v1/login/otp", .content_type = FORM, .body = form,
			     .cookie = session }, &res);
	ok(res.status == 303 && header_n(&res.r, "Location", 0) &&
	   strcmp(header_n(&res.r, "Location", 0), "/next") == 0 && set_cookie(&res.r, "tg_session"),
	   "form login/otp: 303 to return_to with the cookie");
	result_fini(&res);
	call(&(struct call){ .path = "/v1/login/otp", .content_type = FORM, .body = form,
			     .cookie = session, .tenant = "acme" }, &res);
	is_str(header_n(&res.r, "Location", 0), "/v1/login/otp?error=otp&return_to=%2Fnext",
	       "form login/otp, used code: back to the code page with error=otp");
	result_fini(&res);
	call(&(struct call){ .path = "/v1/login/otp", .content_type = FORM, .body = form,
			     .tenant = "acme" }, &res);
	is_str(header_n(&res.r, "Location", 0), "/v1/login?error=expired&return_to=%2Fnext",
	       "form login/otp without a session: to the login page with error=expired");
	result_fini(&res);
	free(form);
	free(body);
	free(stepped);
	free(session);
}

/* A tenant that requires otp everywhere: the second step is still reachable with the first. */
static void
test_otp_required(void)
{
	struct result res;
	char code[TOTP_DIGITS_MAX + 1], *body, *session;

	call(&(struct call){ .path = "/v1/login", .tenant = "strict",
			     .body = "{\"email\":\"sam@example.com\",\"password\":\"" PASSWORD
				     "\"}" }, &res);
	is_str(str(&res, "next"), "otp", "a tenant requiring otp: the login says otp is next");
	session = cookie_pair(&res.r, "tg_session");
	result_fini(&res);
	is_int(authorize(session, NULL), 401, "... and its cookie passes nowhere yet");
	code_at(now, code);
	body = tg_xasprintf("{\"code\":\"%s\"}", code);
	call(&(struct call){ .path = "/v1/login/otp", .body = body, .cookie = session }, &res);
	is_int(res.status, 200, "... but it reaches POST /v1/login/otp: 200");
	free(session);
	session = cookie_pair(&res.r, "tg_session");
	result_fini(&res);
	is_int(authorize(session, NULL), 200, "... whose new cookie passes");
	free(body);
	free(session);
}

/* A hash below the tenant's parameters is raised by the login that proves the password. */
static void
test_rehash(void)
{
	struct tg_user *u = NULL;

	expect(&(struct call){ .path = "/v1/login", .tenant = "acme",
			       .body = "{\"email\":\"old@example.com\",\"password\":\"" PASSWORD
				       "\"}" }, 200, NULL, "login with a weak stored hash");
	ok(store_user_get(scratch.s, "acme", "old@example.com", &u) == TG_OK &&
	   strstr(u->password_hash, "$m=19456,t=2,p=1$"), "the hash now has the tenant's parameters");
	user_free(u);
	expect(&(struct call){ .path = "/v1/login", .tenant = "acme",
			       .body = "{\"email\":\"old@example.com\",\"password\":\"" PASSWORD
				       "\"}" }, 200, NULL, "and the password still logs in");
}

int
main(void)
{
	char log[sizeof(scratch.root) + 8];
	int saved;

	setup();
	saved = log_capture(log);
	test_return_to();
	test_credentials();
	test_json_login();
	test_https_names();
	test_form_login();
	test_csrf();
	test_otp();
	test_otp_required();
	test_rehash();
	log_restore(saved);
	ok(file_has(log, "api=\"POST /v1/login\" decision=refuse status=401 tenant=acme key=- "
		    "sid=- reason=credentials"), "a refused login is logged with its reason");
	ok(file_has(log, "api=\"POST /v1/login\" decision=refuse status=401 tenant=- "),
	   "a login to an unknown tenant is logged without the body's text for a tenant");
	ok(!file_has(log, PASSWORD) && !file_has(log, "alice@example.com") &&
	   !file_has(log, recovery[0]), "no password, email or code in the log");
	ok(!file_has(log, "runtime error"), "no sanitizer report");
	secret_free(&totp_key);
	keyring_free(kr);
	config_free(cfg);
	if (setup_close(&scratch) != TG_OK)
		diag("could not remove the scratch directory");
	return done_testing();
}
