/*
 * A user's own sessions through the API against a real store: the listing
 * shows the caller's live sessions only, marking the current one; ending one
 * works for the caller's own and answers another user's or tenant's id
 * exactly as an unknown one (404, never 403: ids cannot be probed); ending the
 * others leaves the caller's and other users' sessions alone; a cookie on
 * POST from a foreign Origin is refused by the authorizer's CSRF rule; an
 * ended or developer-signed token is refused.
 */
#include "base/log.h"

#include "../lib/api_issue.h"

#define ACME_KEY "tgk_acme-unit-test-key-0123456789abcdefghijkl"
#define GLOBEX_KEY "tgk_globex-unit-test-key-0123456789abcdefghij"
#define APP "https://app.acme.example"

static void
setup(void)
{
	static const char conf[] = "database = /unused\nrealm = unit\nlog_level = error\n"
				   "require_https = no\nrate_limit_per_key = 0\n";
	static const char *const tenants[] = { "acme", "globex" };
	struct tg_why why = { "mkdtemp" };

	if (setup_open(&scratch, "test_api_me", true, &why) != TG_OK ||
	    config_parse("unit.conf", conf, strlen(conf), NULL, &cfg, &why) != TG_OK) {
		diag("setup: %s", why.text);
		exit(1);
	}
	for (size_t i = 0; i < 2; i++) {
		struct tg_tenant *t = tenant_new(tenants[i]);

		strlist_add(&t->allowed_origins, APP);
		if (setup_tenant_put(scratch.s, t) != TG_OK)
			diag("tenant %s not added", tenants[i]);
	}
	if (setup_apikey(scratch.s, "acme", "k-acme", ACME_KEY, now) != TG_OK ||
	    setup_apikey(scratch.s, "globex", "k-globex", GLOBEX_KEY, now) != TG_OK)
		diag("API keys not added");
	log_set_level(cfg->log_level);
	kr = keyring_new();
}

/* The listing's sessions as the caller with auth sees them: how many, and which is current. */
static int
listed(const char *auth, const char *cookie, const char **current_out, struct result *res)
{
	struct json_object *arr, *e, *v;
	int n = -1;

	call(&(struct call){ "GET", "/v1/me/sessions", .authorization = auth, .cookie = cookie },
	     res);
	*current_out = NULL;
	if (res->status != 200 || !json_object_object_get_ex(res->json, "sessions", &arr))
		return -1;
	n = (int)json_object_array_length(arr);
	for (int i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, (size_t)i);
		if (json_object_object_get_ex(e, "current", &v) && json_object_get_boolean(v) &&
		    json_object_object_get_ex(e, "session_id", &v))
			*current_out = json_object_get_string(v);
	}
	return n;
}

static void
test_list(const struct issued *a, const struct issued *bob)
{
	char *auth = bearer(a[0].access), *cookie = tg_xasprintf("tg_session=%s", a[1].access);
	struct json_object *arr, *e, *v;
	const char *current;
	struct result res;

	is_int(listed(auth, NULL, &current, &res), 3, "alice (Bearer) sees her three sessions");
	is_str(current, a[0].sid, "the one her token belongs to is current");
	json_object_object_get_ex(res.json, "sessions", &arr);
	e = json_object_array_get_idx(arr, 0);
	ok(e && json_object_object_get_ex(e, "created", &v) &&
	   json_object_object_get_ex(e, "last_used", &v) &&
	   json_object_object_get_ex(e, "expires", &v) && json_object_object_get_ex(e, "amr", &v) &&
	   json_object_is_type(v, json_type_array), "each with created, last_used, expires, amr");
	ok(e && !json_object_object_get_ex(e, "claims", &v) &&
	   !json_object_object_get_ex(e, "bind_ip", &v), "and no tenant claims or bound address");
	ok(res.r.body && !strstr(res.r.body, bob->sid), "none of bob's");
	ok(header(&res.r, "Cache-Control") && strcmp(header(&res.r, "Cache-Control"), "no-store") == 0,
	   "not to be cached");
	result_fini(&res);
	is_int(listed(NULL, cookie, &current, &res), 3, "with her session cookie: the same three");
	is_str(current, a[1].sid, "the cookie's session is current");
	result_fini(&res);
	expect(&(struct call){ "GET", "/v1/me/sessions", .query = NULL }, 401, "invalid_token", "no token: 401");
	expect(&(struct call){ "GET", "/v1/me/sessions", .authorization = "Bearer " ACME_KEY }, 401,
	       "invalid_token", "an API key is no user's token: 401");
	expect(&(struct call){ "GET", "/v1/me/sessions", .query = "limit=5", .authorization = auth },
	       400, "invalid_request", "only cursor in the query");
	expect(&(struct call){ "DELETE", "/v1/me/sessions", .authorization = auth }, 405,
	       "method_not_allowed", "DELETE: 405");
	free(cookie);
	free(auth);
}

/* The error_description of a call, malloc'd ("" when none). */
static char *
refusal_of(const struct call *k, int *status)
{
	struct result res;
	char *d;

	call(k, &res);
	*status = res.status;
	d = tg_xstrdup(res.r.body ? res.r.body : "");
	result_fini(&res);
	return d;
}

static void
test_end_one(const struct issued *a, const struct issued *bob, const struct issued *g)
{
	char *auth = bearer(a[0].access), *path, *unknown, *other, *foreign;
	int s1 = 0, s2 = 0, s3 = 0;

	path = tg_xasprintf("/v1/me/sessions/%s/logout", "AAAAAAAAAAAAAAAAAAAAAA");
	unknown = refusal_of(&(struct call){ "POST", path, .authorization = auth }, &s1);
	free(path);
	path = tg_xasprintf("/v1/me/sessions/%s/logout", bob->sid);
	other = refusal_of(&(struct call){ "POST", path, .authorization = auth }, &s2);
	free(path);
	path = tg_xasprintf("/v1/me/sessions/%s/logout", g->sid);
	foreign = refusal_of(&(struct call){ "POST", path, .authorization = auth }, &s3);
	free(path);
	ok(s1 == 404 && s2 == 404 && s3 == 404, "unknown id, bob's, another tenant's alice's: "
	   "404 each (%d %d %d)", s1, s2, s3);
	ok(strcmp(unknown, other) == 0 && strcmp(unknown, foreign) == 0,
	   "with the very same body: whether an id exists cannot be told");
	is_int(authorize(bob->access), 200, "bob's session lives on");
	is_int(authorize(g->access), 200, "and globex's alice's");
	path = tg_xasprintf("/v1/me/sessions/%s/logout", a[2].sid);
	expect(&(struct call){ "POST", path, .authorization = auth }, 204, NULL,
	       "alice ends her third session: 204");
	is_int(authorize(a[2].access), 401, "its token no longer passes");
	expect(&(struct call){ "POST", path, .authorization = auth }, 204, NULL,
	       "ending it again: 204 (idempotent)");
	free(path);
	free(foreign);
	free(other);
	free(unknown);
	free(auth);
}

/* A cookie-carried POST goes through the authorizer's CSRF rule; a Bearer one needs none. */
static void
test_csrf(const struct issued *a)
{
	char *cookie = tg_xasprintf("tg_session=%s", a[1].access);
	char *path = tg_xasprintf("/v1/me/sessions/%s/logout", a[1].sid);
	struct result res;

	call(&(struct call){ "POST", path, .cookie = cookie, .origin = "https://evil.example" },
	     &res);
	is_int(res.status, 403, "with a foreign Origin: 403");
	result_fini(&res);
	is_int(authorize(a[1].access), 200, "the session was not ended");
	expect(&(struct call){ "POST", path, .cookie = cookie, .origin = APP }, 204, NULL,
	       "with the tenant's allowed Origin: 204");
	is_int(authorize(a[1].access), 401, "ended");
	free(path);
	free(cookie);
}

static void
test_logout_others(struct issued *a, const struct issued *bob)
{
	char *auth = bearer(a[0].access);
	const char *current;
	struct issued extra[3] = { { 0 } };
	struct result res;

	for (int i = 0; i < 3; i++)
		if (!issue(ACME_KEY, "{\"user_id\":\"alice\"}", &extra[i]))
			diag("extra session %d not issued", i);
	expect(&(struct call){ "POST", "/v1/me/logout-others", .authorization = auth }, 204, NULL,
	       "logout-others: 204");
	for (int i = 0; i < 3; i++)
		is_int(authorize(extra[i].access), 401, "alice's other session %d ended", i + 1);
	is_int(authorize(a[0].access), 200, "the caller's own lives on");
	is_int(authorize(bob->access), 200, "bob's too");
	is_int(listed(auth, NULL, &current, &res), 1, "she now lists one session");
	is_str(current, a[0].sid, "the current one");
	result_fini(&res);
	expect(&(struct call){ "POST", "/v1/logout", .authorization = auth }, 204, NULL,
	       "she logs out");
	expect(&(struct call){ "GET", "/v1/me/sessions", .authorization = auth }, 401,
	       "invalid_token", "an ended session's token lists nothing: 401");
	expect(&(struct call){ "POST", "/v1/me/logout-others", .authorization = auth }, 401,
	       "invalid_token", "nor ends anything");
	for (int i = 0; i < 3; i++)
		issued_fini(&extra[i]);
	free(auth);
}

int
main(void)
{
	struct issued a[3] = { { 0 } }, bob = { 0 }, g = { 0 };
	bool is_ok = true;

	setup();
	for (int i = 0; i < 3; i++)
		is_ok = is_ok && issue(ACME_KEY, "{\"user_id\":\"alice\"}", &a[i]);
	is_ok = is_ok && issue(ACME_KEY, "{\"user_id\":\"bob\"}", &bob) &&
		issue(GLOBEX_KEY, "{\"user_id\":\"alice\"}", &g);
	ok(is_ok, "sessions issued: alice x3, bob, globex's alice");
	if (is_ok) {
		test_list(a, &bob);
		test_end_one(a, &bob, &g);
		test_csrf(a);
		test_logout_others(a, &bob);
	}
	for (int i = 0; i < 3; i++)
		issued_fini(&a[i]);
	issued_fini(&bob);
	issued_fini(&g);
	keyring_free(kr);
	config_free(cfg);
	if (setup_close(&scratch) != TG_OK)
		diag("scratch not removed");
	return done_testing();
}
