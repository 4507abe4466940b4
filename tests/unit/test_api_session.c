/*
 * The session endpoints end to end against a real store in a mkdtemp
 * directory, bodies fed on standard input as a CGI request's are: issue,
 * show, list, new tokens, step-up, refresh with rotation, reuse detection and its grace,
 * bind_ip, introspection, cookie and logout, tenant isolation, revoked API
 * keys, rate limits, JWKS of an asymmetric tenant, a tenant's session limits
 * (idle timeout and maximum lifetime), and a log free of secrets.
 */
#include "role/api.h"
#include "role/grant.h"

#include "base/log.h"

#include "../lib/api_issue.h"

#define ACME_KEY "tgk_acme-unit-test-key-0123456789abcdefghijkl"
#define GLOBEX_KEY "tgk_globex-unit-test-key-0123456789abcdefghij"
#define REVOKED_KEY "tgk_revoked-unit-test-key-0123456789abcdefgh"
#define SLOW_KEY "tgk_slow-unit-test-key-0123456789abcdefghijkl"
#define ES_KEY "tgk_es-unit-test-key-0123456789abcdefghijklmn"
#define LIMITED_KEY "tgk_limited-unit-test-key-0123456789abcdefgh"

static int64_t
num(const struct result *res, const char *name)
{
	struct json_object *v;

	if (res->json && json_object_object_get_ex(res->json, name, &v))
		return json_object_get_int64(v);
	return -1;
}

/* RFC 6749 5.1, 5.2: neither a token nor its refusal may be kept by any cache. */
static bool
is_uncached(const struct http_response *r)
{
	return header(r, "Cache-Control") && strcmp(header(r, "Cache-Control"), "no-store") == 0 &&
	       header(r, "Pragma") && strcmp(header(r, "Pragma"), "no-cache") == 0;
}

static void
setup(void)
{
	static const struct {
		const char *tenant, *id, *key;
		bool is_revoked;
	} keys[] = {
		{ "acme", "k-acme", ACME_KEY, false },
		{ "globex", "k-globex", GLOBEX_KEY, false },
		{ "acme", "k-revoked", REVOKED_KEY, true },
		{ "slow", "k-slow", SLOW_KEY, false },
		{ "es", "k-es", ES_KEY, false },
		{ "limited", "k-limited", LIMITED_KEY, false },
	};
	static const char *const tenants[] = { "acme", "globex", "slow", "es", "limited" };
	static const char conf[] = "database = /unused\nrealm = unit\nlog_level = info\n"
				   "require_https = no\nrate_limit_per_key = 1000\nrate_limit_burst = 1000000\n";
	struct tg_why why = { "mkdtemp" };

	if (setup_open(&scratch, "test_api_session", true, &why) != TG_OK ||
	    config_parse("unit.conf", conf, strlen(conf), NULL, &cfg, &why) != TG_OK) {
		diag("setup: %s", why.text);
		exit(1);
	}
	for (size_t i = 0; i < sizeof(tenants) / sizeof(tenants[0]); i++) {
		struct tg_tenant *t = tenant_new(tenants[i]);

		t->max_lifetime = 600;
		if (strcmp(tenants[i], "slow") == 0) {
			t->rate_limit_per_key = 1;
			t->rate_limit_burst = 2;
		}
		if (strcmp(tenants[i], "es") == 0) {
			t->signing_alg = tg_xstrdup("ES256");
			t->audience = tg_xstrdup("https://api.es.example");
		}
		if (strcmp(tenants[i], "limited") == 0) {
			t->session_idle_timeout = 300;
			t->session_max_lifetime = 1000;
			strlist_add(&t->map_claims, "note=NOTE");
		}
		if (setup_tenant_put(scratch.s, t) != TG_OK)
			diag("tenant %s not added", tenants[i]);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (setup_apikey(scratch.s, keys[i].tenant, keys[i].id, keys[i].key, now) != TG_OK ||
		    (keys[i].is_revoked &&
		     store_apikey_revoke(scratch.s, keys[i].tenant, keys[i].id) != TG_OK))
			diag("API key %s not added", keys[i].id);
	log_set_level(cfg->log_level);
	kr = keyring_new();
}

static void
test_issue(struct issued *alice)
{
	static const struct {
		const char *body, *content_type; /* NULL body: none; NULL type: JSON */
		int status;
		const char *error, *what;
	} refused[] = {
		{ "{}", NULL, 400, "invalid_request", "issue without user_id" },
		{ NULL, NULL, 400, "invalid_request", "issue without a body" },
		{ "{\"user_id\":\"a\",\"user_id\":\"b\"}", NULL, 400, "invalid_request",
		  "issue with a duplicate member" },
		{ "{\"user_id\":\"a\",\"usr\":1}", NULL, 400, "invalid_request",
		  "issue with an unknown member" },
		{ "{\"user_id\":\"a\",\"amr\":[\"p w\"]}", NULL, 400, "invalid_request",
		  "issue with a bad amr" },
		{ "{\"user_id\":\"a\",\"claims\":{\"sub\":\"x\"}}", NULL, 400, "invalid_request",
		  "issue with a registered claim" },
		{ "{\"user_id\":\"a\",\"bind_ip\":\"nowhere\"}", NULL, 400, "invalid_request",
		  "issue with a bad bind_ip" },
		{ "{\"user_id\":\"a\",\"session_ttl\":0}", NULL, 400, "invalid_request",
		  "issue with session_ttl 0" },
		{ "{\"user_id\":\"a\",\"expires_in\":1.5}", NULL, 400, "invalid_request",
		  "issue with a fractional expires_in" },
		{ "[]", NULL, 400, "invalid_request", "issue with an array body" },
		{ "user_id=a", "application/x-www-form-urlencoded", 415, "unsupported_media_type",
		  "issue with a form" },
	};
	char *auth = bearer(ACME_KEY);
	struct result res;

	call(&(struct call){ "POST", "/v1/sessions", .authorization = auth,
			     .body = "{\"user_id\":\"alice\",\"amr\":[\"pwd\"],\"expires_in\":100000,"
				     "\"claims\":{\"role\":\"admin\"},\"session_ttl\":7200}" }, &res);
	is_int(res.status, 201, "issue: 201");
	ok(str(&res, "access_token") && str(&res, "session_id") &&
	   strlen(str(&res, "session_id")) == TG_SESSION_ID_LEN && str(&res, "refresh_token") &&
	   strlen(str(&res, "refresh_token")) == TG_REFRESH_TOKEN_LEN,
	   "issue: access token, session id and refresh token");
	is_str(str(&res, "token_type"), "Bearer", "issue: token_type Bearer");
	is_int(num(&res, "expires_in"), 600, "issue: expires_in capped to the tenant's max_lifetime");
	is_int(num(&res, "refresh_expires_in"), 7200, "issue: refresh_expires_in is the session_ttl");
	is_str(header(&res.r, "Cache-Control"), "no-store", "issue: Cache-Control: no-store");
	alice->sid = tg_xstrdup(str(&res, "session_id") ? str(&res, "session_id") : "");
	alice->access = tg_xstrdup(str(&res, "access_token") ? str(&res, "access_token") : "");
	alice->refresh = tg_xstrdup(str(&res, "refresh_token") ? str(&res, "refresh_token") : "");
	result_fini(&res);
	is_int(authorize(alice->access), 200, "the issued token is honoured by /v1/authorize");

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		expect(&(struct call){ "POST", "/v1/sessions", .authorization = auth,
				       .body = refused[i].body,
				       .content_type = refused[i].content_type },
		       refused[i].status, refused[i].error, refused[i].what);
	free(auth);
}

static void
test_show_list(const struct issued *alice)
{
	char *auth = bearer(ACME_KEY), *other = bearer(GLOBEX_KEY);
	char *path = tg_xasprintf("/v1/sessions/%s", alice->sid);
	struct json_object *arr = NULL;
	struct result res;

	call(&(struct call){ "GET", path, .authorization = auth }, &res);
	ok(res.status == 200 && str(&res, "user_id") && strcmp(str(&res, "user_id"), "alice") == 0,
	   "show: 200 with user_id");
	result_fini(&res);
	expect(&(struct call){ "GET", path, .authorization = other }, 404, "not_found",
	       "show: another tenant's session is not found");
	expect(&(struct call){ "GET", "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA", .authorization = auth },
	       404, "not_found", "show: unknown session");
	call(&(struct call){ "GET", "/v1/sessions", .query = "user_id=alice", .authorization = auth },
	     &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "sessions", &arr) &&
	   json_object_array_length(arr) == 1, "list: alice's one live session");
	result_fini(&res);
	call(&(struct call){ "GET", "/v1/sessions", .query = "user_id=alice", .authorization = other },
	     &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "sessions", &arr) &&
	   json_object_array_length(arr) == 0, "list: none for another tenant");
	result_fini(&res);
	expect(&(struct call){ "GET", "/v1/sessions", .authorization = auth }, 400, "invalid_request",
	       "list without user_id");
	free(path);
	free(other);
	free(auth);
}

/* A page of the listing: its sessions' count and its next_cursor (NULL: none, or not a string). */
static size_t
list_page(const char *query, char **next)
{
	char *auth = bearer(ACME_KEY);
	struct json_object *arr = NULL, *c = NULL;
	struct result res;
	size_t n = (size_t)-1;

	*next = NULL;
	call(&(struct call){ "GET", "/v1/sessions", .query = query, .authorization = auth }, &res);
	if (res.status == 200 && json_object_object_get_ex(res.json, "sessions", &arr) &&
	    json_object_object_get_ex(res.json, "next_cursor", &c)) {
		n = json_object_array_length(arr);
		if (json_object_is_type(c, json_type_string))
			*next = tg_xstrdup(json_object_get_string(c));
	}
	result_fini(&res);
	free(auth);
	return n;
}

static void
test_list_pages(void)
{
	struct issued s[3] = { 0 };
	char *next = NULL, *q, *auth = bearer(ACME_KEY);

	for (int i = 0; i < 3; i++)
		if (!issue(ACME_KEY, "{\"user_id\":\"pagey\"}", &s[i]))
			diag("session %d for pagey not issued", i);
	is_int(list_page("user_id=pagey&limit=2", &next), 2, "list limit=2: two sessions");
	ok(next != NULL, "... and a next_cursor string");
	q = tg_xasprintf("user_id=pagey&limit=2&cursor=%s", next ? next : "");
	free(next);
	is_int(list_page(q, &next), 1, "the next page: the third session");
	ok(next == NULL, "... and next_cursor null on the last page");
	free(next);
	is_int(list_page("user_id=pagey", &next), 3, "no limit: the default page holds all three");
	free(next);
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=pagey&limit=0",
			       .authorization = auth }, 400, "invalid_request", "list limit=0");
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=pagey&limit=1001",
			       .authorization = auth }, 400, "invalid_request", "list limit=1001");
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=pagey&limit=%2B5",
			       .authorization = auth }, 400, "invalid_request", "list limit=+5");
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=pagey&limit=1&limit=2",
			       .authorization = auth }, 400, "invalid_request", "list with two limits");
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=pagey&cursor=zz%21",
			       .authorization = auth }, 400, "invalid_request", "list with a garbage cursor");
	/* alice's cursor is not pagey's: "alice" NUL and a 22-character session id. */
	expect(&(struct call){ "GET", "/v1/sessions",
			       .query = "user_id=pagey&cursor=YWxpY2UAQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ",
			       .authorization = auth }, 400, "invalid_request",
	       "list with another user's cursor");
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=pagey&page=2",
			       .authorization = auth }, 400, "invalid_request", "list with an unknown parameter");
	free(q);
	free(auth);
	for (int i = 0; i < 3; i++)
		issued_fini(&s[i]);
}

static void
test_tokens(const struct issued *alice)
{
	char *auth = bearer(ACME_KEY), *other = bearer(GLOBEX_KEY);
	char *tokens = tg_xasprintf("/v1/sessions/%s/tokens", alice->sid);
	char *stepup = tg_xasprintf("/v1/sessions/%s/authentications", alice->sid);
	struct json_object *amr;
	struct result res;

	call(&(struct call){ "POST", tokens, .authorization = auth, .body = "{\"expires_in\":30}" },
	     &res);
	ok(res.status == 200 && num(&res, "expires_in") == 30 && str(&res, "access_token") &&
	   !str(&res, "refresh_token"), "tokens: 200, expires_in 30, no refresh token");
	result_fini(&res);
	call(&(struct call){ "POST", tokens, .authorization = auth }, &res);
	is_int(res.status, 200, "tokens without a body: 200");
	result_fini(&res);
	expect(&(struct call){ "POST", tokens, .authorization = other }, 404, "not_found",
	       "tokens: another tenant's session");
	expect(&(struct call){ "POST", tokens, .authorization = auth, .body = "{\"x\":1}" }, 400,
	       "invalid_request", "tokens: unknown member");
	call(&(struct call){ "POST", stepup, .authorization = auth, .body = "{\"method\":\"otp\"}" },
	     &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "amr", &amr) &&
	   json_object_array_length(amr) == 2 &&
	   strcmp(json_object_get_string(json_object_array_get_idx(amr, 1)), "otp") == 0,
	   "step-up: 200 with amr [pwd, otp]");
	result_fini(&res);
	expect(&(struct call){ "POST", stepup, .authorization = auth, .body = "{}" }, 400,
	       "invalid_request", "step-up without a method");
	expect(&(struct call){ "POST", stepup, .authorization = other, .body = "{\"method\":\"otp\"}" },
	       404, "not_found", "step-up on another tenant's session");
	free(stepup);
	free(tokens);
	free(other);
	free(auth);
}

static void
test_refresh(struct issued *alice)
{
	char *body = tg_xasprintf("{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"}",
				  alice->refresh);
	char *form, *rt2 = NULL;
	struct result res;

	call(&(struct call){ "POST", "/v1/token", .body = body }, &res);
	ok(res.status == 200 && str(&res, "refresh_token") && str(&res, "access_token") &&
	   strcmp(str(&res, "refresh_token"), alice->refresh) != 0 &&
	   str(&res, "session_id") && strcmp(str(&res, "session_id"), alice->sid) == 0,
	   "refresh: 200 with a new refresh token for the session");
	ok(is_uncached(&res.r), "refresh: Cache-Control: no-store and Pragma: no-cache");
	rt2 = tg_xstrdup(str(&res, "refresh_token") ? str(&res, "refresh_token") : "");
	result_fini(&res);
	/* RFC 6749 3.2: client_id and client_secret are taken, an unknown parameter ignored. */
	form = tg_xasprintf("grant_type=refresh_token&refresh_token=%s&client_id=spa&"
			    "client_secret=s&scope=&code_verifier=x", rt2);
	call(&(struct call){ "POST", "/v1/token", .body = form,
			     .content_type = "application/x-www-form-urlencoded" }, &res);
	is_int(res.status, 200, "refresh with a form, client_id, client_secret, an empty scope: 200");
	result_fini(&res);
	call(&(struct call){ "POST", "/v1/token", .body = body }, &res);
	ok(res.status == 400 && str(&res, "error") && strcmp(str(&res, "error"), "invalid_grant") == 0
	   && !header(&res.r, "WWW-Authenticate") && is_uncached(&res.r),
	   "reuse of a used refresh token: 400 invalid_grant, no challenge, not cached (RFC 6749 5.2)");
	result_fini(&res);
	is_int(authorize(alice->access), 401, "reuse ended the session: its tokens are refused");
	expect(&(struct call){ "POST", "/v1/token", .body = "{\"grant_type\":\"password\"}" }, 400,
	       "unsupported_grant_type", "another grant type");
	expect(&(struct call){ "POST", "/v1/token", .body = "grant_type=authorization_code&code=c&"
			       "redirect_uri=https%3A%2F%2Fa.example%2F",
			       .content_type = "application/x-www-form-urlencoded" }, 400,
	       "unsupported_grant_type", "authorization_code with its code and redirect_uri");
	expect(&(struct call){ "POST", "/v1/token", .body = "{\"grant_type\":\"refresh_token\","
			       "\"refresh_token\":\"x\",\"code_verifier\":\"x\"}" }, 400,
	       "invalid_request", "JSON stays strict: an unknown member");
	expect(&(struct call){ "POST", "/v1/token", .body = "{\"grant_type\":\"refresh_token\"}" },
	       400, "invalid_request", "refresh without a token");
	expect(&(struct call){ "POST", "/v1/token",
			       .body = "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"nope\"}" },
	       400, "invalid_grant", "unknown refresh token");
	free(form);
	free(rt2);
	free(body);
}

/* POST /v1/token with refresh token rt: the answer's status; *next (if not NULL) gets its token. */
static int
refresh(const char *rt, char **next)
{
	char *body = tg_xasprintf("{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"}",
				  rt);
	struct result res;
	int status;

	call(&(struct call){ "POST", "/v1/token", .body = body }, &res);
	status = res.status;
	if (next)
		*next = tg_xstrdup(str(&res, "refresh_token") ? str(&res, "refresh_token") : "");
	result_fini(&res);
	free(body);
	return status;
}

/* The acme tenant of setup, with refresh_reuse_grace set (-1: the configuration's). */
static void
acme_grace(int64_t grace)
{
	struct tg_tenant *t = tenant_new("acme");

	t->max_lifetime = 600;
	t->refresh_reuse_grace = grace;
	if (store_tenant_update(scratch.s, t) != TG_OK)
		diag("acme's refresh_reuse_grace not set");
	tenant_free(t);
}

/*
 * A claim the tenant maps to a variable reaches the app whole or not at all: one longer than
 * GRANT_VALUE_MAX was issued, and the authorizer then refused every token (claim_too_long).
 */
static void
test_mapped_claim_length(void)
{
	char *auth = bearer(LIMITED_KEY);
	char *at_max = tg_xasprintf("{\"user_id\":\"m\",\"claims\":{\"note\":\"%0*d\"}}",
				    GRANT_VALUE_MAX, 0);
	char *over = tg_xasprintf("{\"user_id\":\"m\",\"claims\":{\"note\":\"%0*d\"}}",
				  GRANT_VALUE_MAX + 1, 0);
	struct result res;

	call(&(struct call){ "POST", "/v1/sessions", .authorization = auth, .body = at_max }, &res);
	is_int(res.status, 201, "a mapped claim of GRANT_VALUE_MAX bytes: issued");
	is_int(authorize(str(&res, "access_token") ? str(&res, "access_token") : ""), 200,
	       "its token is allowed");
	result_fini(&res);
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = auth, .body = over }, 400,
	       "invalid_request", "a mapped claim one byte longer: refused at issue");
	free(over);
	free(at_max);
	free(auth);
}

/*
 * Two tabs refreshing at once, or a client retrying a lost answer: the same
 * refresh token twice. Without the grace the second request was taken for
 * theft and ended the session.
 */
static void
test_refresh_grace(void)
{
	struct issued s = { 0 }, t = { 0 }, u = { 0 };
	char *r1 = NULL, *r1b = NULL;
	int64_t saved = now;

	if (!issue(ACME_KEY, "{\"user_id\":\"gina\"}", &s) ||
	    !issue(ACME_KEY, "{\"user_id\":\"gina\"}", &t)) {
		ok(0, "sessions for the grace issued");
		goto out;
	}
	is_int(refresh(s.refresh, &r1), 200, "grace: the first refresh");
	now += 9;
	is_int(refresh(s.refresh, &r1b), 200, "the same token 9 s later (10 s grace): 200");
	is_str(r1b, r1, "with the very same successor: the session keeps one chain");
	is_int(authorize(s.access), 200, "the session is live");
	is_int(refresh(r1, NULL), 200, "the successor rotates");
	is_int(refresh(s.refresh, NULL), 400, "the first token again, its successor used: reuse");
	is_int(authorize(s.access), 401, "which ends the session");

	is_int(refresh(t.refresh, NULL), 200, "another session's first refresh");
	now += 10;
	is_int(refresh(t.refresh, NULL), 400, "the same token 10 s later: past the grace, reuse");
	is_int(authorize(t.access), 401, "which ends that session");

	acme_grace(0);
	if (issue(ACME_KEY, "{\"user_id\":\"gina\"}", &u)) {
		is_int(refresh(u.refresh, NULL), 200, "tenant grace 0: the first refresh");
		is_int(refresh(u.refresh, NULL), 400, "the same token at once: reuse, no grace");
		is_int(authorize(u.access), 401, "and the session ends");
	} else {
		ok(0, "a session for grace 0 issued");
	}
	acme_grace(-1);
out:
	now = saved;
	issued_fini(&s);
	issued_fini(&t);
	issued_fini(&u);
	free(r1);
	free(r1b);
}

static void
test_bind_ip(void)
{
	struct issued s = { 0 };
	char *body;

	if (!issue(ACME_KEY, "{\"user_id\":\"bob\",\"bind_ip\":\"192.0.2.9\"}", &s)) {
		ok(0, "bound session issued");
		return;
	}
	body = tg_xasprintf("{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"}", s.refresh);
	expect(&(struct call){ "POST", "/v1/token", .body = body }, 400, "invalid_grant",
	       "bind_ip: a refresh from another address");
	expect(&(struct call){ "POST", "/v1/token", .body = body, .remote_addr = "192.0.2.9" }, 200,
	       NULL, "bind_ip: a refresh from the bound address");
	free(body);
	issued_fini(&s);
}

/* Introspects tok with key: member name is there with the JSON text want. */
static void
introspect_has(const char *key, const char *tok, const char *name, const char *want,
	       const char *what)
{
	char *auth = bearer(key), *body = tg_xasprintf("token=%s", tok ? tok : "");
	struct json_object *v = NULL;
	struct result res;

	call(&(struct call){ "POST", "/v1/introspect", .authorization = auth, .body = body,
			     .content_type = "application/x-www-form-urlencoded" }, &res);
	if (res.json)
		json_object_object_get_ex(res.json, name, &v);
	is_str(v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE) : NULL, want,
	       "%s", what);
	result_fini(&res);
	free(body);
	free(auth);
}

static char *
grant_json(const char *rt, const char *extra)
{
	return tg_xasprintf("{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"%s}", rt,
			    extra);
}

/* A refresh asking for scope or resource: refused ones change nothing, so the token still works. */
static void
refresh_as(const char *rt, const char *extra, int status, const char *error, const char *what)
{
	char *body = grant_json(rt, extra);

	expect(&(struct call){ "POST", "/v1/token", .body = body }, status, error, what);
	free(body);
}

/* A refresh that succeeds: its access token, introspected with key, has name as JSON text want. */
static void
refresh_has(const char *key, const char *rt, const char *extra, const char *name,
	    const char *want, const char *what)
{
	char *body = grant_json(rt, extra);
	struct result res;

	call(&(struct call){ "POST", "/v1/token", .body = body }, &res);
	is_int(res.status, 200, "%s: 200", what);
	introspect_has(key, str(&res, "access_token"), name, want, what);
	result_fini(&res);
	free(body);
}

static void
test_scope_resource(void)
{
	struct issued s = { 0 }, e = { 0 };

	if (!issue(ACME_KEY, "{\"user_id\":\"sc\",\"claims\":{\"scope\":\"read write\"}}", &s) ||
	    !issue(ES_KEY, "{\"user_id\":\"es\"}", &e)) {
		ok(0, "sessions with a scope and an audience issued");
		goto out;
	}
	refresh_as(s.refresh, ",\"scope\":\"read admin\"", 400, "invalid_scope", "wider scope");
	refresh_as(s.refresh, ",\"scope\":\"read  write\"", 400, "invalid_scope", "two spaces");
	refresh_as(e.refresh, ",\"scope\":\"read\"", 400, "invalid_scope",
		   "a scope of a session issued without one");
	refresh_as(s.refresh, ",\"resource\":\"https://x.example\"", 400, "invalid_target",
		   "a resource of a tenant without an audience");
	refresh_as(e.refresh, ",\"resource\":\"https://other.example\"", 400, "invalid_target",
		   "another resource than the tenant's audience");
	refresh_has(ACME_KEY, s.refresh, ",\"scope\":\"write\"", "scope", "\"write\"",
		    "after the refusals, a narrower scope is the token's");
	refresh_has(ES_KEY, e.refresh, ",\"resource\":\"https://api.es.example\"", "aud",
		    "\"https://api.es.example\"", "the tenant's audience as resource, and as aud");
out:
	issued_fini(&s);
	issued_fini(&e);
}

/*
 * A step-up to a session that already holds TG_AMR_MAX methods is the
 * client's conflict (409), not a server error: it answered 500 (found by
 * fuzz_json).
 */
static void
test_amr_full(void)
{
	char *auth = bearer(ACME_KEY), *path = NULL, *body;
	struct issued s = { 0 };
	struct result res;
	int status = 200;

	if (!issue(ACME_KEY, "{\"user_id\":\"carol\",\"amr\":[\"pwd\"]}", &s)) {
		ok(0, "session for the full amr issued");
		free(auth);
		return;
	}
	path = tg_xasprintf("/v1/sessions/%s/authentications", s.sid);
	for (int i = 1; i < TG_AMR_MAX && status == 200; i++) {
		body = tg_xasprintf("{\"method\":\"m%d\"}", i);
		call(&(struct call){ "POST", path, .authorization = auth, .body = body }, &res);
		status = res.status;
		result_fini(&res);
		free(body);
	}
	is_int(status, 200, "step-up: %d methods are taken", TG_AMR_MAX);
	expect(&(struct call){ "POST", path, .authorization = auth, .body = "{\"method\":\"more\"}" },
	       409, "conflict", "step-up beyond TG_AMR_MAX methods");
	expect(&(struct call){ "POST", path, .authorization = auth, .body = "{\"method\":\"m1\"}" },
	       200, NULL, "step-up with a method the full session holds");
	free(path);
	free(auth);
	issued_fini(&s);
}

static void
test_self_service(void)
{
	struct issued s = { 0 };
	char *auth, *cookie, *want;
	struct result res;

	if (!issue(ACME_KEY, "{\"user_id\":\"carol\"}", &s)) {
		ok(0, "session for self-service issued");
		return;
	}
	auth = bearer(s.access);
	call(&(struct call){ "POST", "/v1/cookie", .authorization = auth }, &res);
	/* Plain HTTP (require_https no): the plain name without Secure, as login sets it. */
	want = tg_xasprintf("tg_session=%s; HttpOnly; SameSite=Lax; Path=/; Max-Age=600", s.access);
	is_int(res.status, 204, "cookie: 204");
	is_str(header(&res.r, "Set-Cookie"), want, "cookie: Set-Cookie with the token");
	result_fini(&res);
	cookie = tg_xasprintf("tg_session=%s", s.access);
	expect(&(struct call){ "POST", "/v1/cookie", .cookie = cookie }, 401, "invalid_token",
	       "cookie: a cookie-carried token is not taken");
	/* Past exp but inside the tenant's 5 s leeway: once a NULL Set-Cookie and a SIGSEGV. */
	now += 602;
	call(&(struct call){ "POST", "/v1/cookie", .authorization = auth }, &res);
	is_int(res.status, 401, "cookie: a token inside its expiry leeway: 401");
	ok(!header(&res.r, "Set-Cookie") && str(&res, "error_description") &&
	   strstr(str(&res, "error_description"), "expired"), "cookie: no cookie, and why");
	result_fini(&res);
	now -= 602;
	call(&(struct call){ "POST", "/v1/logout", .authorization = auth }, &res);
	is_int(res.status, 204, "logout: 204");
	ok(header(&res.r, "Set-Cookie") && strstr(header(&res.r, "Set-Cookie"), "tg_session=;") &&
	   strstr(header(&res.r, "Set-Cookie"), "Max-Age=0"), "logout: the cookie is cleared");
	result_fini(&res);
	is_int(authorize(s.access), 401, "logout: the token no longer passes");
	expect(&(struct call){ "POST", "/v1/logout", .authorization = auth }, 401, "invalid_token",
	       "logout again: invalid_token");
	free(want);
	free(cookie);
	free(auth);
	issued_fini(&s);
}

static void
introspect(const char *key, const char *tok, int want_active, const char *what)
{
	char *auth = bearer(key), *body = tg_xasprintf("{\"token\":\"%s\"}", tok);
	struct json_object *v;
	struct result res;

	call(&(struct call){ "POST", "/v1/introspect", .authorization = auth, .body = body }, &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "active", &v) &&
	   json_object_get_boolean(v) == want_active, "introspect %s: active %s", what,
	   want_active ? "true" : "false");
	if (want_active)
		ok(str(&res, "sid") && str(&res, "tid") && strcmp(str(&res, "tid"), "acme") == 0 &&
		   str(&res, "sub"), "introspect %s: sid, tid and sub", what);
	result_fini(&res);
	free(body);
	free(auth);
}

static void
test_introspect_and_end(void)
{
	char *auth = bearer(ACME_KEY), *path, *tokens;
	struct issued s = { 0 }, t = { 0 };
	struct json_object *arr;
	struct result res;

	if (!issue(ACME_KEY, "{\"user_id\":\"dave\"}", &s)) {
		ok(0, "session for introspection issued");
		free(auth);
		return;
	}
	introspect(ACME_KEY, s.access, 1, "a live session's token");
	introspect(GLOBEX_KEY, s.access, 0, "by another tenant");
	introspect(ACME_KEY, "not.a.token", 0, "of garbage");
	path = tg_xasprintf("/v1/sessions/%s", s.sid);
	tokens = tg_xasprintf("/v1/sessions/%s/tokens", s.sid);
	expect(&(struct call){ "DELETE", path, .authorization = auth }, 204, NULL, "end a session");
	expect(&(struct call){ "DELETE", path, .authorization = auth }, 204, NULL, "end it again");
	introspect(ACME_KEY, s.access, 0, "of an ended session");
	expect(&(struct call){ "POST", tokens, .authorization = auth }, 409, "conflict",
	       "tokens for an ended session");
	expect(&(struct call){ "DELETE", "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA", .authorization = auth },
	       404, "not_found", "end an unknown session");
	issued_fini(&s);
	if (issue(ACME_KEY, "{\"user_id\":\"e@x\"}", &s) && issue(ACME_KEY, "{\"user_id\":\"e@x\"}", &t))
		expect(&(struct call){ "POST", "/v1/users/e@x/logout", .authorization = auth }, 204,
		       NULL, "end every session of a user");
	issued_fini(&s);
	/* "%2F" reaches the path as is where the server keeps it or the client sent %252F. */
	if (issue(ACME_KEY, "{\"user_id\":\"t/a\"}", &s)) {
		expect(&(struct call){ "POST", "/v1/users/t%2Fa/logout", .authorization = auth }, 400,
		       "invalid_request", "a logout path with %2F names the body form");
		expect(&(struct call){ "POST", "/v1/users/logout", .authorization = auth,
				       .body = "{\"user_id\":\"t/a\",\"x\":1}" }, 400,
		       "invalid_request", "the body form with an unknown member");
		expect(&(struct call){ "POST", "/v1/users/logout", .authorization = auth }, 400,
		       "invalid_request", "the body form without a body");
		expect(&(struct call){ "POST", "/v1/users/logout", .authorization = auth,
				       .body = "{\"user_id\":\"t/a\"}" }, 204, NULL,
		       "the body form ends a user whose id has a /");
		is_int(authorize(s.access), 401, "... and that user's token is refused");
	}
	call(&(struct call){ "GET", "/v1/sessions", .query = "user_id=e%40x", .authorization = auth },
	     &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "sessions", &arr) &&
	   json_object_array_length(arr) == 0, "the user has no live session left");
	result_fini(&res);
	issued_fini(&s);
	issued_fini(&t);
	free(tokens);
	free(path);
	free(auth);
}

static void
test_keys_and_limits(void)
{
	char *revoked = bearer(REVOKED_KEY), *slow = bearer(SLOW_KEY), *unknown = bearer("tgk_nope");
	struct result res;
	int statuses[3];

	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=a", .authorization = revoked },
	       401, "invalid_client", "a revoked API key");
	expect(&(struct call){ "GET", "/v1/sessions", .query = "user_id=a", .authorization = unknown },
	       401, "invalid_client", "an unknown API key");
	for (int i = 0; i < 3; i++) {
		call(&(struct call){ "GET", "/v1/sessions", .query = "user_id=a",
				     .authorization = slow }, &res);
		statuses[i] = res.status;
		if (i == 2)
			ok(header(&res.r, "Retry-After") && atoi(header(&res.r, "Retry-After")) >= 1,
			   "429 carries Retry-After");
		result_fini(&res);
	}
	ok(statuses[0] == 200 && statuses[1] == 200 && statuses[2] == 429,
	   "the tenant's burst of 2 is served, the third request is rate limited");
	free(unknown);
	free(slow);
	free(revoked);
}

static void
test_jwks(void)
{
	struct json_object *keys = NULL, *k;
	struct issued s = { 0 };
	struct result res;

	call(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=es" }, &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "keys", &keys) &&
	   json_object_array_length(keys) == 0, "jwks before the first issuance: no keys");
	result_fini(&res);
	ok(issue(ES_KEY, "{\"user_id\":\"erin\"}", &s), "an ES256 tenant's first issuance");
	ok(s.access && authorize(s.access) == 200, "its ES256 token passes");
	call(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=es" }, &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "keys", &keys) &&
	   json_object_array_length(keys) == 1 &&
	   json_object_object_get_ex(json_object_array_get_idx(keys, 0), "kid", &k) &&
	   strncmp(json_object_get_string(k), "gw-", 3) == 0,
	   "jwks: the signing key made on first issuance");
	is_str(header(&res.r, "Cache-Control"), "public, max-age=300", "jwks: cacheable");
	result_fini(&res);
	call(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=acme" }, &res);
	ok(res.status == 200 && json_object_object_get_ex(res.json, "keys", &keys) &&
	   json_object_array_length(keys) == 0, "jwks of an HS256 tenant: no keys");
	result_fini(&res);
	issued_fini(&s);
}

/* GET /v1/sessions/{sid} with key: the answer's member name, -1 when absent, 0 when null. */
static int64_t
shown(const char *key, const char *sid, const char *name)
{
	char *auth = bearer(key), *path = tg_xasprintf("/v1/sessions/%s", sid);
	struct result res;
	int64_t v;

	call(&(struct call){ "GET", path, .authorization = auth }, &res);
	v = res.status == 200 ? num(&res, name) : -1;
	result_fini(&res);
	free(path);
	free(auth);
	return v;
}

/* POST to a session's path with a limited tenant's key: the answer's expires_in, or -status. */
static int64_t
limited_post(const char *sid, const char *what, const char *body)
{
	char *auth = bearer(LIMITED_KEY), *path = tg_xasprintf("/v1/sessions/%s/%s", sid, what);
	struct result res;
	int64_t v;

	call(&(struct call){ "POST", path, .authorization = auth, .body = body }, &res);
	v = res.status == 200 ? num(&res, "expires_in") : -res.status;
	result_fini(&res);
	free(path);
	free(auth);
	return v;
}

/* POST /v1/token with *rt: refresh_expires_in (*rt becomes the new token), or -status. */
static int64_t
refresh_expiry(char **rt)
{
	char *body = tg_xasprintf("grant_type=refresh_token&refresh_token=%s", *rt);
	struct result res;
	int64_t v;

	call(&(struct call){ "POST", "/v1/token", .body = body,
			     .content_type = "application/x-www-form-urlencoded" }, &res);
	v = res.status == 200 ? num(&res, "refresh_expires_in") : -res.status;
	if (res.status == 200 && str(&res, "refresh_token")) {
		free(*rt);
		*rt = tg_xstrdup(str(&res, "refresh_token"));
	}
	result_fini(&res);
	free(body);
	return v;
}

/*
 * Tenant "limited": idle timeout 300 s, maximum lifetime 1000 s, tokens up to
 * 600 s. Every token handed out moves the idle deadline; nothing moves the
 * session past created + 1000.
 */
static void
test_limits(void)
{
	int64_t t0 = now;
	struct issued s = { 0 }, idle = { 0 }, plain = { 0 };
	char *auth = bearer(LIMITED_KEY);
	struct result res;

	call(&(struct call){ "POST", "/v1/sessions", .authorization = auth,
			     .body = "{\"user_id\":\"lim\",\"session_ttl\":7200}" }, &res);
	is_int(res.status, 201, "limits: issued");
	is_int(num(&res, "expires_in"), 300, "limits: the token ends at the idle deadline");
	is_int(num(&res, "refresh_expires_in"), 300,
	       "limits: refresh_expires_in is the idle deadline, not the session_ttl");
	s.sid = tg_xstrdup(str(&res, "session_id") ? str(&res, "session_id") : "");
	s.refresh = tg_xstrdup(str(&res, "refresh_token") ? str(&res, "refresh_token") : "");
	result_fini(&res);
	is_int(shown(LIMITED_KEY, s.sid, "idle_expires_at"), t0 + 300, "show: idle_expires_at");
	is_int(shown(LIMITED_KEY, s.sid, "absolute_expires_at"), t0 + 1000,
	       "show: absolute_expires_at");
	is_int(shown(LIMITED_KEY, s.sid, "expires"), t0 + 1000,
	       "show: a session_ttl of 7200 is cut to the maximum lifetime");

	now = t0 + 200;
	is_int(limited_post(s.sid, "tokens", NULL), 300, "a new token at +200: 300 s");
	is_int(shown(LIMITED_KEY, s.sid, "idle_expires_at"), t0 + 500,
	       "a new token moves the idle deadline");
	now = t0 + 450;
	is_int(refresh_expiry(&s.refresh), 300, "a refresh at +450: its refresh token lives 300 s");
	is_int(shown(LIMITED_KEY, s.sid, "idle_expires_at"), t0 + 750,
	       "a refresh moves the idle deadline");
	now = t0 + 700;
	is_int(limited_post(s.sid, "authentications", "{\"method\":\"otp\"}"), 300,
	       "a step-up at +700: a token of 300 s, to the absolute deadline");
	is_int(shown(LIMITED_KEY, s.sid, "expires"), t0 + 1000,
	       "the step-up cannot move the session past absolute_expires_at");
	now = t0 + 950;
	is_int(refresh_expiry(&s.refresh), 50, "a refresh at +950: 50 s left, the absolute deadline");
	now = t0 + 1000;
	is_int(refresh_expiry(&s.refresh), -400, "at the absolute deadline: no refresh (invalid_grant)");
	is_int(limited_post(s.sid, "tokens", NULL), -409, "no new token (409)");
	is_int(shown(LIMITED_KEY, s.sid, "active"), 0, "not active");

	now = t0;
	ok(issue(LIMITED_KEY, "{\"user_id\":\"idler\"}", &idle), "limits: another session");
	now = t0 + 299;
	is_int(authorize(idle.access), 200, "its token passes at +299");
	now = t0 + 300;
	is_int(authorize(idle.access), 401, "idle for 300 s: refused (within the token's leeway)");
	is_int(limited_post(idle.sid, "tokens", NULL), -409, "no new token once idle (409)");
	is_int(refresh_expiry(&idle.refresh), -400, "no refresh once idle (invalid_grant)");

	ok(issue(ACME_KEY, "{\"user_id\":\"plain\"}", &plain), "a tenant without limits");
	ok(shown(ACME_KEY, plain.sid, "idle_expires_at") == 0 &&
	   shown(ACME_KEY, plain.sid, "absolute_expires_at") == 0, "show: both deadlines null");
	now = t0;
	issued_fini(&plain);
	issued_fini(&idle);
	issued_fini(&s);
	free(auth);
}

/* A 400 invalid_request whose description names field (a NUL, or a value too long, in it). */
static void
expect_named(const struct call *k, const char *field, const char *what)
{
	struct result res;
	const char *desc;

	call(k, &res);
	desc = str(&res, "error_description");
	ok(res.status == 400 && str(&res, "error") && strcmp(str(&res, "error"), "invalid_request") == 0 &&
	   desc && strstr(desc, field), "%s: 400 invalid_request naming %s", what, field);
	if (res.status != 400 || !desc || !strstr(desc, field))
		diag("got %d %s", res.status, desc ? desc : "(no description)");
	result_fini(&res);
}

/*
 * Issue 12: every API field is a whole string. A NUL in any JSON string of a body, in a form
 * field or in a query parameter is 400 naming it ("amr":["otp\u0000x"] was stored as otp), and
 * a user id the tenant's max_sub_length would refuse as a token's sub is refused at issue.
 */
static void
test_nul_fields(const struct issued *alice)
{
	static const struct {
		const char *method, *path, *body, *content_type, *field;
	} cases[] = {
		{ "POST", "/v1/sessions", "{\"user_id\":\"alice\\u0000@evil.example\"}", NULL,
		  "\"user_id\" contains U+0000" },
		{ "POST", "/v1/sessions", "{\"user_id\":\"a\",\"amr\":[\"pwd\",\"otp\\u0000x\"]}", NULL,
		  "\"amr[1]\" contains U+0000" },
		{ "POST", "/v1/sessions",
		  "{\"user_id\":\"a\",\"claims\":{\"org\":{\"role\":\"admin\\u0000-readonly\"}}}", NULL,
		  "\"claims.org.role\" contains U+0000" },
		{ "POST", "/v1/sessions", "{\"user_id\":\"a\",\"bind_ip\":\"127.0.0.1\\u0000\"}", NULL,
		  "\"bind_ip\" contains U+0000" },
		{ "POST", "/v1/sessions/S/authentications", "{\"method\":\"otp\\u0000\"}", NULL,
		  "\"method\" contains U+0000" },
		{ "POST", "/v1/token", "{\"grant_type\":\"refresh_token\\u0000\",\"refresh_token\":\"x\"}",
		  NULL, "\"grant_type\" contains U+0000" },
		{ "POST", "/v1/token", "grant_type=refresh_token&refresh_token=abc%00def",
		  "application/x-www-form-urlencoded", "form field \"refresh_token\" contains a NUL" },
		{ "POST", "/v1/introspect", "{\"token\":\"a.b.c\\u0000\"}", NULL,
		  "\"token\" contains U+0000" },
		{ "POST", "/v1/introspect", "token=a.b.c&token_type_hint=access_token%00",
		  "application/x-www-form-urlencoded", "form field \"token_type_hint\" contains a NUL" },
	};
	char *auth = bearer(ACME_KEY), *path, user[10] = "123456789";
	struct tg_tenant *t = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = strcmp(cases[i].path, "/v1/sessions/S/authentications") == 0
			       ? tg_xasprintf("/v1/sessions/%s/authentications", alice->sid)
			       : tg_xstrdup(cases[i].path);
		expect_named(&(struct call){ cases[i].method, path, .authorization = auth,
					     .body = cases[i].body,
					     .content_type = cases[i].content_type },
			     cases[i].field, cases[i].path);
		free(path);
	}
	expect_named(&(struct call){ "GET", "/v1/sessions", .query = "user_id=alice%00x",
				     .authorization = auth }, "form field \"user_id\" contains a NUL",
		     "list with a NUL in the query's user_id");
	expect_named(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=acme%00" },
		     "form field \"tenant\" contains a NUL", "JWKS with a NUL in the tenant");
	if (store_tenant_get(scratch.s, "acme", &t) == TG_OK) {
		t->max_sub_length = 8;
		store_tenant_update(scratch.s, t);
		expect_named(&(struct call){ "POST", "/v1/sessions", .authorization = auth,
					     .body = "{\"user_id\":\"123456789\"}" },
			     "max_sub_length of 8", "a user id longer than the tenant's max_sub_length");
		user[8] = '\0';
		path = tg_xasprintf("{\"user_id\":\"%s\"}", user);
		expect(&(struct call){ "POST", "/v1/sessions", .authorization = auth, .body = path },
		       201, NULL, "a user id of exactly max_sub_length");
		free(path);
		t->max_sub_length = TG_DEFAULT_MAX_SUB_LENGTH;
		store_tenant_update(scratch.s, t);
	}
	tenant_free(t);
	free(auth);
}

int
main(void)
{
	struct issued alice = { 0 };
	char log[sizeof(scratch.root) + 8];
	int saved;

	setup();
	saved = log_capture(log);
	test_issue(&alice);
	test_show_list(&alice);
	test_list_pages();
	test_tokens(&alice);
	test_nul_fields(&alice);
	test_refresh(&alice);
	test_refresh_grace();
	test_bind_ip();
	test_amr_full();
	test_self_service();
	test_introspect_and_end();
	test_keys_and_limits();
	test_jwks();
	test_scope_resource(); /* after test_jwks, which wants the ES256 tenant without keys */
	test_limits();
	test_mapped_claim_length();
	log_restore(saved);
	ok(file_has(log, "api=\"POST /v1/sessions\" decision=allow status=201 tenant=acme "
		    "key=k-acme sid="),
	   "the log names method, route, decision, status, tenant, key id and the new session");
	ok(file_has(log, "api=\"POST /v1/token\" decision=allow status=200 tenant=acme key=- sid="),
	   "a refresh names its session");
	ok(!file_has(log, ACME_KEY) && !file_has(log, GLOBEX_KEY) && !file_has(log, SLOW_KEY) &&
	   !file_has(log, alice.refresh) && !file_has(log, alice.access),
	   "no API key, access token or refresh token in the log");
	ok(!file_has(log, "runtime error"), "no sanitizer report");
	issued_fini(&alice);
	keyring_free(kr);
	config_free(cfg);
	if (setup_close(&scratch) != TG_OK)
		diag("could not remove the scratch directory");
	return done_testing();
}
