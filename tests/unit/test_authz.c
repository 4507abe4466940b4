/*
 * The authorizer decision, called directly with plain request facts, real
 * keys in an in-memory keyring and the session state from a fake callback
 * (no database): token sources
 * and their order, the HTTPS and CSRF rules, every refusal's status and RFC
 * 6750 error, required claims and amr, variables and their sanitising, the
 * cache and its invalidation, and the rendered headers and bodies.
 */
#include "role/authz.h"

#include "base/log.h"
#include "jose/jws.h"

#include "../lib/find_named.h"
#include "../lib/keyring_fixture.h"

#include <json.h>
#include <stdlib.h>
#include <unistd.h>

#define NOW 1700000000

static struct keyring_fixture kf;
static struct keyring *kr;
static struct tg_config *cfg;
static struct tg_key *hs_acme, *hs_beta;

static struct tg_key *
add_key_for(const char *tenant, const char *kid, enum tg_key_use use)
{
	struct tg_key *k = NULL;

	kf_new_key(&kf, tenant, kid, TG_ALG_HS256, use, 1, &k);
	return k;
}

static struct tg_key *
add_key(const char *tenant, const char *kid)
{
	return add_key_for(tenant, kid, TG_KEY_USE_VERIFY);
}

static void
add_tenant(const char *id, const char *issuer)
{
	struct tg_tenant *t = kf_tenant(&kf, id, issuer);

	t->max_lifetime = 300;
	strlist_add(&t->map_claims, "role=ROLE");
	strlist_add(&t->map_claims, "org.name=org_name");
	strlist_add(&t->map_claims, "note=NOTE");
	strlist_add(&t->map_claims, "groups=GROUPS");
}

/* The change is seen from the next request on, as after a store change and a keyring sync. */
static void
update_tenant(const char *id, void (*change)(struct tg_tenant *t))
{
	change(kf_find_tenant(&kf, id));
	kf_load(&kf);
}

/* A signed token: payload is a JSON object text; exp NOW+60 unless given. */
static char *
sign(const struct tg_key *k, const char *payload)
{
	struct json_object *p = json_tokener_parse(payload);
	char *tok = NULL;

	if (!p || jws_sign(k, p, &tok) != TG_OK)
		diag("cannot sign %s", payload);
	json_object_put(p);
	return tok;
}

static struct tg_config *
conf(const char *text)
{
	struct tg_config *c = NULL;
	struct tg_why why;

	if (config_parse("test.conf", text, strlen(text), NULL, &c, &why) != TG_OK) {
		diag("bad test configuration: %s", why.text);
		abort();
	}
	return c;
}

static char *
bearer_of(const char *tok)
{
	return tg_xasprintf("Bearer %s", tok);
}

static void
decide(struct tg_cache *cache, const struct authz_request *req, struct authz_decision *d)
{
	struct authz_env env = { .cfg = cfg, .kr = kr, .cache = cache, .now = NOW };

	authz_decide(&env, req, d);
}

TG_DEFINE_FIND_NAMED(var, struct authz_decision, vars, nvars)

static bool
same_decision(const struct authz_decision *a, const struct authz_decision *b)
{
	if (a->status != b->status || (!a->error != !b->error) ||
	    (a->error && strcmp(a->error, b->error) != 0) ||
	    strcmp(a->description, b->description) != 0 || a->nvars != b->nvars ||
	    (!a->user != !b->user) || (a->user && strcmp(a->user, b->user) != 0))
		return false;
	for (size_t i = 0; i < a->nvars; i++)
		if (strcmp(a->vars[i].name, b->vars[i].name) != 0 ||
		    strcmp(a->vars[i].value, b->vars[i].value) != 0)
			return false;
	return true;
}

/* Decided twice through a fresh cache: what the cache answers must be what verifying did. */
static void
expect(const struct authz_request *req, int status, const char *error, const char *name)
{
	struct tg_cache *c = cache_new(4);
	struct authz_decision d, again;

	decide(c, req, &d);
	decide(c, req, &again);
	ok(d.status == status && ((!error && !d.error) || (error && d.error &&
							   strcmp(d.error, error) == 0)),
	   "%s: %d %s", name, status, error ? error : "(no error code)");
	if (d.status != status || (error && (!d.error || strcmp(d.error, error))))
		diag("got %d %s: %s", d.status, d.error ? d.error : "-", d.description);
	ok(same_decision(&d, &again), "%s: the same again%s", name,
	   again.is_cached ? " from the cache" : "");
	authz_decision_fini(&d);
	authz_decision_fini(&again);
	cache_free(c);
}

/* Runs of a one-character string literal, for claims of a known length. */
#define RUN8(c) c c c c c c c c
#define RUN32(c) RUN8(c) RUN8(c) RUN8(c) RUN8(c)
#define RUN64(c) RUN32(c) RUN32(c)

static const char *good_payload = "{\"iss\":\"https://acme.example\",\"sub\":\"alice\","
				  "\"exp\":1700000060,\"iat\":1700000000,\"sid\":\"s-1\","
				  "\"amr\":[\"pwd\",\"otp\"],\"scope\":\"read write\","
				  "\"role\":\"admin\",\"org\":{\"name\":\"Acme\\nInc\"},"
				  "\"groups\":[\"a\",\"b\",3],\"note\":null}";

static void
test_sources(const char *good)
{
	char *auth = bearer_of(good), *cookie = tg_xasprintf("x=1; tg_session=%s", good);
	struct authz_request req = { .method = "GET", .https = "on" };
	struct authz_decision d;

	expect(&req, 401, NULL, "no token: bare challenge");
	req.authorization = auth;
	decide(NULL, &req, &d);
	ok(d.status == 200 && strcmp(d.source, "bearer") == 0, "Bearer token allowed");
	is_str(var(&d, "SUB"), "alice", "TOKENGATE_SUB");
	is_str(var(&d, "TENANT"), "acme", "TOKENGATE_TENANT");
	is_str(var(&d, "EXP"), "1700000060", "TOKENGATE_EXP");
	is_str(var(&d, "KID"), "k1", "TOKENGATE_KID");
	is_str(var(&d, "SID"), "s-1", "TOKENGATE_SID");
	is_str(var(&d, "AMR"), "pwd otp", "TOKENGATE_AMR space-separated");
	is_str(var(&d, "CLAIM_ROLE"), "admin", "mapped claim");
	is_str(var(&d, "CLAIM_ORG_NAME"), "Acme?Inc", "nested mapped claim, control char replaced");
	is_str(var(&d, "CLAIM_GROUPS"), "a b 3", "array claim joined by spaces");
	ok(var(&d, "CLAIM_NOTE") == NULL, "null claim maps to no variable");
	is_str(d.user, "alice", "REMOTE_USER candidate");
	ok(strstr(d.token_mask, "chars)") && strlen(d.token_mask) < 30, "log sees a masked token");
	authz_decision_fini(&d);

	req.authorization = "Basic dXNlcjpwYXNz";
	expect(&req, 401, NULL, "another scheme is no token");
	req.authorization = "Bearer a b";
	expect(&req, 400, "invalid_request", "malformed Bearer");
	req.authorization = NULL;
	req.cookie = cookie;
	decide(NULL, &req, &d);
	ok(d.status == 200 && strcmp(d.source, "cookie") == 0, "cookie token allowed on GET");
	authz_decision_fini(&d);
	req.cookie = "tg_session=garbage";
	req.authorization = auth;
	expect(&req, 200, NULL, "Authorization wins over the cookie");
	req.authorization = NULL;
	req.cookie = "tg_session=a; tg_session=b";
	expect(&req, 400, "invalid_request", "cookie sent twice");
	free(cookie);
	cookie = tg_xasprintf("__Host-tg_session=%s", good);
	req.cookie = cookie;
	expect(&req, 200, NULL, "the __Host- cookie, as login sets it over HTTPS");
	free(cookie);
	cookie = tg_xasprintf("tg_session=garbage; __Host-tg_session=%s", good);
	req.cookie = cookie;
	expect(&req, 200, NULL, "__Host- wins over a plain cookie planted beside it");
	free(cookie);
	cookie = tg_xasprintf("__Host-tg_session=garbage; tg_session=%s", good);
	req.cookie = cookie;
	expect(&req, 401, "invalid_token", "a bad __Host- cookie is not passed over for the plain one");
	req.cookie = "__Host-tg_session=a; __Host-tg_session=b";
	expect(&req, 400, "invalid_request", "the __Host- cookie sent twice");
	free(auth);
	free(cookie);
}

/* Each step with its own configuration (NULL: the tests' default) and request. */
static void
test_https(const char *good)
{
	char *auth = bearer_of(good);
	struct tg_config *saved = cfg;
	static const struct {
		const char *conf, *https, *forwarded_proto, *remote_addr;
		int status;
		const char *error, *name;
	} steps[] = {
		{ NULL, NULL, NULL, NULL, 403, "invalid_request",
		  "plain HTTP refused when require_https" },
		{ NULL, "off", NULL, NULL, 403, "invalid_request", "HTTPS=off refused" },
		{ NULL, NULL, "https", "203.0.113.9", 403, "invalid_request",
		  "X-Forwarded-Proto from an untrusted peer ignored" },
		{ "database=/x\ntrusted_proxies=203.0.113.0/24\n", NULL, "https", "203.0.113.9", 200,
		  NULL, "X-Forwarded-Proto: https from a trusted proxy" },
		{ "database=/x\ntrusted_proxies=203.0.113.0/24\n", NULL, "https, http", "203.0.113.9",
		  403, "invalid_request", "the last hop's value counts" },
		{ "database=/x\nrequire_https=no\n", NULL, NULL, "203.0.113.9", 200, NULL,
		  "require_https = no allows plain HTTP" },
		{ NULL, "on", NULL, "203.0.113.9", 200, NULL, "HTTPS=on" },
		{ "database=/x\nrequire_https=except_loopback\n", NULL, NULL, "127.0.0.1", 200, NULL,
		  "except_loopback: the authorizer lets a loopback peer through plain HTTP" },
		{ "database=/x\nrequire_https=except_loopback\n", NULL, NULL, "203.0.113.9", 403,
		  "invalid_request", "except_loopback: the authorizer refuses an outside peer" },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct authz_request req = { .method = "GET", .authorization = auth,
					     .https = steps[i].https,
					     .forwarded_proto = steps[i].forwarded_proto,
					     .remote_addr = steps[i].remote_addr };

		cfg = steps[i].conf ? conf(steps[i].conf) : saved;
		expect(&req, steps[i].status, steps[i].error, steps[i].name);
		if (cfg != saved)
			config_free(cfg);
	}
	cfg = saved;
	free(auth);
}

/*
 * The require_https decision the authorizer and the API share, as a table:
 * except_loopback exempts a loopback peer only when configured and only when
 * that peer is no trusted proxy (a TLS proxy on this host would otherwise
 * make every outside request "loopback").
 */
static void
test_https_rule(void)
{
	static const struct {
		const char *rule, *proxies, *remote_addr, *https, *forwarded_proto;
		bool is_allowed;
		const char *why, *name;
	} steps[] = {
		{ "yes", "", "127.0.0.1", NULL, NULL, false, "HTTPS=on",
		  "yes: a loopback peer over plain HTTP is refused" },
		{ "yes", "", "127.0.0.1", "on", NULL, true, NULL, "yes: HTTPS=on from loopback" },
		{ "no", "", "198.51.100.7", NULL, NULL, true, NULL, "no: any peer over plain HTTP" },
		{ "except_loopback", "", "127.0.0.1", NULL, NULL, true, NULL,
		  "except_loopback: 127.0.0.1" },
		{ "except_loopback", "", "127.200.3.4", NULL, NULL, true, NULL,
		  "except_loopback: all of 127.0.0.0/8" },
		{ "except_loopback", "", "::1", NULL, NULL, true, NULL, "except_loopback: ::1" },
		{ "except_loopback", "", "::ffff:127.0.0.1", NULL, NULL, true, NULL,
		  "except_loopback: a v4-mapped loopback peer (a dual-stack socket)" },
		{ "except_loopback", "", "::2", NULL, NULL, false, "except_loopback",
		  "except_loopback: ::2 is no loopback address" },
		{ "except_loopback", "", "128.0.0.1", NULL, NULL, false, "except_loopback",
		  "except_loopback: 128.0.0.1 is no loopback address" },
		{ "except_loopback", "", "::ffff:10.0.0.1", NULL, NULL, false, "except_loopback",
		  "except_loopback: a v4-mapped outside peer" },
		{ "except_loopback", "", "198.51.100.7", NULL, NULL, false, "except_loopback",
		  "except_loopback: an outside peer over plain HTTP is refused" },
		{ "except_loopback", "", NULL, NULL, NULL, false, "except_loopback",
		  "except_loopback: no REMOTE_ADDR is no loopback peer" },
		{ "except_loopback", "", "198.51.100.7", "on", NULL, true, NULL,
		  "except_loopback: an outside peer with HTTPS=on" },
		{ "except_loopback", "127.0.0.1", "127.0.0.1", NULL, NULL, false,
		  "without X-Forwarded-Proto",
		  "except_loopback: a loopback trusted proxy without X-Forwarded-Proto is refused" },
		{ "except_loopback", "127.0.0.1", "127.0.0.1", NULL, "http", false,
		  "without X-Forwarded-Proto",
		  "except_loopback: a loopback trusted proxy saying http is refused" },
		{ "except_loopback", "127.0.0.1", "127.0.0.1", NULL, "https", true, NULL,
		  "except_loopback: a loopback trusted proxy saying https" },
		{ "except_loopback", "::1", "::1", NULL, NULL, false, "without X-Forwarded-Proto",
		  "except_loopback: ::1 as a trusted proxy is one" },
		{ "except_loopback", "127.0.0.1", "127.0.0.2", NULL, NULL, true, NULL,
		  "except_loopback: another loopback address than the proxy's" },
		{ "yes", "127.0.0.1", "127.0.0.1", NULL, "https", true, NULL,
		  "yes: a loopback trusted proxy saying https" },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *text = tg_xasprintf("database=/x\nrequire_https=%s\ntrusted_proxies=%s\n",
					  steps[i].rule, steps[i].proxies);
		struct tg_config *c = conf(text);
		struct authz_request req = { .remote_addr = steps[i].remote_addr,
					     .https = steps[i].https,
					     .forwarded_proto = steps[i].forwarded_proto };
		const char *why = NULL;
		bool is_allowed = authz_https_allows(c, &req, &why);

		is_int(is_allowed, steps[i].is_allowed, "%s", steps[i].name);
		if (steps[i].why)
			ok(why && strstr(why, steps[i].why), "  its sentence names %s", steps[i].why);
		config_free(c);
		free(text);
	}
}

static void
set_origins(struct tg_tenant *t)
{
	strlist_add(&t->allowed_origins, "https://app.example.com");
}

/* Each step sees the tenant as the steps before it left it. */
static void
test_csrf(const char *good)
{
	char *cookie = tg_xasprintf("tg_session=%s", good), *auth = bearer_of(good);
	const struct {
		void (*change)(struct tg_tenant *t); /* NULL: acme as it is */
		const char *method;
		bool is_cookie; /* the token in a cookie; else in Authorization */
		const char *origin, *referer, *fetch_site, *host;
		int status;
		const char *error, *name;
	} steps[] = {
		{ NULL, "POST", true, NULL, NULL, NULL, NULL, 200, NULL,
		  "cookie + POST without Origin, Referer or Sec-Fetch-Site: no browser sent it" },
		{ NULL, "POST", true, NULL, NULL, "cross-site", NULL, 403, "invalid_request",
		  "Sec-Fetch-Site: cross-site without an Origin" },
		{ NULL, "POST", true, NULL, NULL, "same-origin", NULL, 200, NULL,
		  "Sec-Fetch-Site: same-origin without an Origin" },
		{ NULL, "POST", true, "https://evil.example", NULL, NULL, "gw.example", 403,
		  "invalid_request", "a tenant without allowed origins: a foreign Origin" },
		{ NULL, "POST", true, "https://GW.example:443", NULL, "same-origin", "gw.example", 200,
		  NULL, "a tenant without allowed origins: the request's own origin (https://Host)" },
		{ NULL, "POST", true, "http://gw.example", NULL, NULL, "gw.example", 403,
		  "invalid_request", "the own origin is HTTPS's when the request came over HTTPS" },
		{ NULL, "POST", true, "https://gw.example", NULL, NULL, NULL, 403, "invalid_request",
		  "no Host: no own origin to match" },
		{ set_origins, "POST", true, "https://evil.example", NULL, NULL, NULL, 403,
		  "invalid_request", "cookie + POST from a foreign Origin" },
		{ NULL, "POST", true, "https://gw.example", NULL, NULL, "gw.example", 200,
		  NULL, "a tenant that lists origins: the request's own origin is allowed too" },
		{ NULL, "POST", true, "https://APP.example.com:443", NULL, NULL, NULL, 200, NULL,
		  "cookie + POST from an allowed Origin (normalised)" },
		{ NULL, "POST", true, "https://app.example.com", NULL, "cross-site", NULL, 200, NULL,
		  "Sec-Fetch-Site: cross-site from an allowed Origin" },
		{ NULL, "POST", true, NULL, "https://app.example.com/page?x=1", NULL, NULL, 200, NULL,
		  "Referer stands in for Origin" },
		{ NULL, "POST", true, NULL, "https://app.example.com.evil.example/", NULL, NULL, 403,
		  "invalid_request", "a Referer that only starts like the origin" },
		{ NULL, "POST", true, "null", NULL, NULL, NULL, 403, "invalid_request", "Origin: null" },
		{ NULL, "GET", true, "null", NULL, "cross-site", NULL, 200, NULL,
		  "safe methods need no Origin" },
		{ NULL, "DELETE", false, "null", NULL, "cross-site", NULL, 200, NULL,
		  "Bearer tokens are not subject to the CSRF rule" },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct authz_request req = { .method = steps[i].method, .https = "on",
					     .cookie = steps[i].is_cookie ? cookie : NULL,
					     .authorization = steps[i].is_cookie ? NULL : auth,
					     .origin = steps[i].origin,
					     .referer = steps[i].referer,
					     .sec_fetch_site = steps[i].fetch_site,
					     .host = steps[i].host };

		if (steps[i].change)
			update_tenant("acme", steps[i].change);
		expect(&req, steps[i].status, steps[i].error, steps[i].name);
	}
	free(cookie);
	free(auth);
}

static void
require_scope_read(struct tg_tenant *t)
{
	strlist_add(&t->require_claims, "scope=write read");
	strlist_add(&t->require_claims, "role=admin");
	strlist_add(&t->require_claims, "sid");
}

static void
require_more(struct tg_tenant *t)
{
	strlist_add(&t->require_claims, "scope=admin");
}

static void
require_amr(struct tg_tenant *t)
{
	strlist_free(&t->require_claims);
	strlist_add(&t->require_amr, "otp");
}

static void
require_hwk(struct tg_tenant *t)
{
	strlist_add(&t->require_amr, "hwk");
}

static void
require_nothing(struct tg_tenant *t)
{
	strlist_free(&t->require_claims);
	strlist_free(&t->require_amr);
}

static void
require_only_otp(struct tg_tenant *t)
{
	require_nothing(t);
	require_amr(t);
}

/* Each step sees the tenant's requirements as the steps before it left them. */
static void
test_requirements(const char *good)
{
	char *low = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"bob\","
				  "\"exp\":1700000060,\"scope\":[\"read\"],\"role\":\"user\"}");
	char *words = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"carol\","
				    "\"exp\":1700000060,\"amr\":\" pwd  otp \"}");
	const struct {
		void (*change)(struct tg_tenant *t); /* NULL: acme as it is */
		const char *tok, *require_amr;
		int status;
		const char *error, *name;
	} steps[] = {
		{ require_scope_read, good, NULL, 200, NULL,
		  "scope set, value and presence requirements met" },
		{ NULL, low, NULL, 403, "insufficient_scope", "missing scope value and role refused" },
		{ require_more, good, NULL, 403, "insufficient_scope",
		  "scope=admin not in \"read write\"" },
		{ require_amr, good, NULL, 200, NULL, "tenant requires amr otp: present" },
		{ NULL, good, "pwd otp", 200, NULL, "location requires pwd and otp: present" },
		{ NULL, good, "hwk", 401, "insufficient_user_authentication", "location requires hwk: missing" },
		{ NULL, low, NULL, 401, "insufficient_user_authentication", "token without amr refused" },
		{ require_hwk, good, NULL, 401, "insufficient_user_authentication", "tenant requires hwk too" },
		{ require_only_otp, words, NULL, 200, NULL,
		  "amr as a space-separated string: otp among its words" },
		{ NULL, words, "otp  pwd", 200, NULL, "location requires otp and pwd from the string" },
		{ NULL, words, "pwd hw", 401, "insufficient_user_authentication",
		  "a word's prefix is not the word" },
		{ require_nothing, good, NULL, 200, NULL, "requirements dropped: allowed again" },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *auth = bearer_of(steps[i].tok);
		struct authz_request req = { .method = "GET", .https = "on", .authorization = auth,
					     .require_amr = steps[i].require_amr };

		if (steps[i].change)
			update_tenant("acme", steps[i].change);
		expect(&req, steps[i].status, steps[i].error, steps[i].name);
		free(auth);
	}
	free(low);
	free(words);
}

static void
test_refusals(void)
{
	struct authz_request req = { .method = "GET", .https = "on" };
	char *expired = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				      "\"exp\":1699999000}");
	char *beta = sign(hs_beta, "{\"iss\":\"https://beta.example\",\"sub\":\"a\","
				   "\"exp\":1700000060}");
	char *forged = sign(hs_beta, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				     "\"exp\":1700000060}");
	char *none = tg_xstrdup("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FjbWUuZXhhbXBsZSIsInN1"
				"YiI6ImEiLCJleHAiOjE3MDAwMDAwNjB9.");
	/* Issue 12: values the app would have seen cut or ended early refuse the token instead. */
	char *nul_sub = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"alice\\u0000@evil\","
				      "\"exp\":1700000060}");
	char *nul_role = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				       "\"role\":\"admin\\u0000-readonly\",\"exp\":1700000060}");
	char *long_role = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\",\"role\":\""
					RUN64(RUN8("r")) "r\",\"exp\":1700000060}");
	char *long_sub = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\""
				       RUN32(RUN8("s")) "s\",\"exp\":1700000060}");
	struct { const char *tok, *pin, *name; enum tg_reason reason; } cases[] = {
		{ expired, NULL, "expired token", TG_R_EXPIRED },
		{ forged, NULL, "token signed with another tenant's key", TG_R_UNKNOWN_KEY },
		{ beta, "acme", "beta token at a location pinned to acme", TG_R_UNKNOWN_KEY },
		{ none, NULL, "alg none", TG_R_UNSUPPORTED_ALG },
		{ "not-a-token", NULL, "garbage", TG_R_MALFORMED },
		{ nul_sub, NULL, "a NUL in sub", TG_R_MALFORMED },
		{ nul_role, NULL, "a NUL in a mapped claim", TG_R_MALFORMED },
		{ long_role, NULL, "a 513-byte mapped claim", TG_R_CLAIM_TOO_LONG },
		{ long_sub, NULL, "a 257-byte sub", TG_R_SUB_TOO_LONG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct authz_decision d;
		struct http_response r;
		char *auth = bearer_of(cases[i].tok);
		const char *challenge = NULL;

		req.authorization = auth;
		req.tenant = cases[i].pin;
		decide(NULL, &req, &d);
		ok(d.status == 401 && d.error && strcmp(d.error, "invalid_token") == 0,
		   "%s: 401 invalid_token", cases[i].name);
		if (cases[i].reason == TG_R_UNKNOWN_KEY)
			ok(d.reason == TG_R_UNKNOWN_KEY || d.reason == TG_R_BAD_SIGNATURE ||
			   d.reason == TG_R_WRONG_ISSUER, "%s: reason %s", cases[i].name,
			   tg_reason_code(d.reason));
		else
			is_int(d.reason, cases[i].reason, "%s: reason %s", cases[i].name,
			       tg_reason_code(cases[i].reason));
		authz_render(&d, HTTP_ROLE_AUTHORIZER, "gw", &r);
		for (size_t h = 0; h < r.nheaders; h++)
			if (strcmp(r.headers[h].name, "WWW-Authenticate") == 0)
				challenge = r.headers[h].value;
		ok(challenge && strncmp(challenge, "Bearer realm=\"gw\", error=\"invalid_token\", "
				       "error_description=\"", 58) == 0, "%s: RFC 6750 challenge",
		   cases[i].name);
		ok(r.body && !strstr(r.body, cases[i].tok) &&
		   (strlen(cases[i].tok) < 20 || !strstr(challenge ? challenge : "", cases[i].tok)),
		   "%s: the token is never echoed", cases[i].name);
		http_response_fini(&r);
		authz_decision_fini(&d);
		free(auth);
	}
	free(expired);
	free(beta);
	free(forged);
	free(none);
	free(nul_sub);
	free(nul_role);
	free(long_role);
	free(long_sub);
}

static void
test_cache(const char *good)
{
	struct tg_cache *c = cache_new(16);
	char *auth = bearer_of(good);
	struct authz_request req = { .method = "GET", .https = "on", .authorization = auth };
	struct authz_decision d, again;

	decide(c, &req, &d);
	ok(d.status == 200 && !d.is_cached, "first use verifies");
	decide(c, &req, &again);
	ok(again.status == 200 && again.is_cached, "second use comes from the cache");
	ok(same_decision(&d, &again) && again.nvars >= 8 && d.exp == again.exp &&
	   strcmp(d.tenant, again.tenant) == 0,
	   "the cached grant gives the same user, tenant, exp and %zu variables", d.nvars);
	is_str(var(&again, "CLAIM_ROLE"), "admin", "cached verdict carries the mapped claims");
	authz_decision_fini(&d);
	authz_decision_fini(&again);
	req.require_amr = "otp";
	decide(c, &req, &again);
	ok(again.status == 200 && again.is_cached, "a location's amr is checked on a hit: met");
	authz_decision_fini(&again);
	req.require_amr = "hwk";
	decide(c, &req, &again);
	ok(again.status == 401 && again.is_cached, "a location's amr is checked on a hit: refused");
	authz_decision_fini(&again);
	req.require_amr = NULL;
	req.tenant = "beta";
	decide(c, &req, &d);
	ok(d.status == 401 && !d.is_cached, "the cached verdict is not reused for another pin");
	authz_decision_fini(&d);
	req.tenant = NULL;
	kf_remove_keys(&kf, "acme", "k1");
	kf_load(&kf);
	decide(c, &req, &d);
	ok(d.status == 401 && !d.is_cached, "a removed key takes effect at once despite the cache");
	authz_decision_fini(&d);
	cache_free(c);
	free(auth);
}

static void
test_render(const char *good)
{
	char *auth = bearer_of(good);
	struct authz_request req = { .method = "GET", .https = "on", .authorization = auth };
	struct authz_decision d;
	struct http_response r;
	char *msg;
	size_t len;

	decide(NULL, &req, &d);
	authz_render(&d, HTTP_ROLE_AUTHORIZER, "gw", &r);
	msg = http_format(&r, &len);
	ok(strstr(msg, "Status: 200 OK\r\n") && strstr(msg, "Variable-TOKENGATE_SUB: alice\r\n") &&
	   strstr(msg, "Variable-TOKENGATE_CLAIM_ORG_NAME: Acme?Inc\r\n") &&
	   strstr(msg, "Variable-REMOTE_USER: alice\r\n"), "authorizer allow: Variable-* headers");
	ok(!strstr(msg, "Content-Length"), "authorizer allow: no body, no Content-Length");
	free(msg);
	http_response_fini(&r);
	authz_render(&d, HTTP_ROLE_RESPONDER, "gw", &r);
	msg = http_format(&r, &len);
	ok(strstr(msg, "X-Tokengate-Sub: alice\r\n") && strstr(msg, "X-Tokengate-Claim-Org-Name: ") &&
	   strstr(msg, "X-Tokengate-Amr: pwd otp\r\n") && !strstr(msg, "Variable-"),
	   "responder allow: X-Tokengate-* headers for auth_request");
	free(msg);
	http_response_fini(&r);
	authz_decision_fini(&d);

	req.tenant = "acme";
	decide(NULL, &req, &d);
	authz_render(&d, HTTP_ROLE_AUTHORIZER, "gw", &r);
	msg = http_format(&r, &len);
	ok(d.status == 200 && !strstr(msg, "TOKENGATE_TENANT") && strstr(msg, "TOKENGATE_SUB"),
	   "a pinned tenant is not repeated (lighttpd would append a second value)");
	free(msg);
	http_response_fini(&r);
	authz_render(&d, HTTP_ROLE_RESPONDER, "gw", &r);
	msg = http_format(&r, &len);
	ok(strstr(msg, "X-Tokengate-Tenant: acme\r\n") != NULL, "the responder always names it");
	free(msg);
	http_response_fini(&r);
	authz_decision_fini(&d);
	req.tenant = NULL;

	req.authorization = NULL;
	decide(NULL, &req, &d);
	authz_render(&d, HTTP_ROLE_AUTHORIZER, "gw", &r);
	msg = http_format(&r, &len);
	ok(strstr(msg, "Status: 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"gw\"\r\n") &&
	   strstr(msg, "\"error\":\"unauthorized\""), "no token: bare challenge, JSON body");
	free(msg);
	http_response_fini(&r);
	authz_decision_fini(&d);
	free(auth);
}

/* The session state a fake store answers, and how often it was asked. */
static enum tg_err session_answer;
static int session_asks;
static char session_asked[64];

static enum tg_err
fake_session_check(void *ctx, const char *tenant, const char *sid, int64_t now)
{
	(void)ctx;
	session_asks++;
	snprintf(session_asked, sizeof(session_asked), "%s/%s@%lld", tenant, sid, (long long)now);
	return session_answer;
}

static void
decide_gw(struct tg_cache *cache, const char *tok, bool has_check, struct authz_decision *d)
{
	char *auth = bearer_of(tok);
	struct authz_request req = { .method = "GET", .https = "on", .authorization = auth };
	struct authz_env env = { .cfg = cfg, .kr = kr, .cache = cache, .now = NOW,
				 .session_check = has_check ? fake_session_check : NULL };

	authz_decide(&env, &req, d);
	free(auth);
}

/* Gateway-issued tokens: the session is asked on every request, cached or not. */
static void
test_gateway_session(void)
{
	struct tg_key *gw = add_key_for("acme", "gw1", TG_KEY_USE_SIGN);
	struct tg_cache *cache = cache_new(8);
	struct authz_decision d;
	char *tok, *nosid;

	kf_load(&kf);
	tok = sign(gw, "{\"iss\":\"https://acme.example\",\"sub\":\"u1\",\"sid\":\"S1\","
		       "\"exp\":1700000060,\"iat\":1700000000}");
	nosid = sign(gw, "{\"iss\":\"https://acme.example\",\"sub\":\"u1\","
			 "\"exp\":1700000060,\"iat\":1700000000}");

	session_answer = TG_OK;
	session_asks = 0;
	decide_gw(cache, tok, true, &d);
	is_int(d.status, 200, "gateway token with a live session is allowed");
	is_str(session_asked, "acme/S1@1700000000", "the session is asked by tenant, sid and time");
	is_str(d.sid, "S1", "the decision names the session");
	is_str(d.tenant, "acme", "the decision names the tenant");
	authz_decision_fini(&d);
	decide_gw(cache, tok, true, &d);
	ok(d.is_cached && d.status == 200 && session_asks == 2,
	   "a cache hit still asks the session (asked %d times)", session_asks);
	authz_decision_fini(&d);

	session_answer = TG_ERR_REJECTED;
	decide_gw(cache, tok, true, &d);
	ok(d.status == 401 && d.reason == TG_R_SESSION_REVOKED && strcmp(d.error, "invalid_token") == 0,
	   "an ended session refuses its cached token: 401 invalid_token session_revoked");
	authz_decision_fini(&d);
	session_answer = TG_ERR_NOT_FOUND;
	decide_gw(NULL, tok, true, &d);
	ok(d.status == 401 && d.reason == TG_R_SESSION_REVOKED, "an unknown session refuses: 401");
	authz_decision_fini(&d);
	session_answer = TG_ERR_DB;
	decide_gw(NULL, tok, true, &d);
	is_int(d.status, 500, "a store failure fails closed: 500");
	authz_decision_fini(&d);
	session_answer = TG_ERR_BUSY;
	decide_gw(NULL, tok, true, &d);
	ok(d.status == 503 && strcmp(d.error, "temporarily_unavailable") == 0,
	   "a busy store fails closed for this request only: 503 temporarily_unavailable");
	{
		struct http_response r;
		bool has_retry = false, has_challenge = false;

		authz_render(&d, HTTP_ROLE_AUTHORIZER, "t", &r);
		for (size_t i = 0; i < r.nheaders; i++) {
			has_retry |= strcmp(r.headers[i].name, "Retry-After") == 0 &&
				     strcmp(r.headers[i].value, "1") == 0;
			has_challenge |= strcmp(r.headers[i].name, "WWW-Authenticate") == 0;
		}
		ok(r.status == 503 && has_retry && !has_challenge,
		   "... rendered with Retry-After: 1 and no Bearer challenge");
		http_response_fini(&r);
	}
	authz_decision_fini(&d);
	decide_gw(NULL, tok, false, &d);
	is_int(d.status, 500, "no way to check sessions: gateway tokens refused with 500");
	authz_decision_fini(&d);

	session_answer = TG_OK;
	decide_gw(NULL, nosid, true, &d);
	ok(d.status == 401 && d.reason == TG_R_MISSING_CLAIM,
	   "a gateway-signed token without sid is refused: 401 missing_claim");
	authz_decision_fini(&d);

	session_asks = 0;
	{
		char *dev = sign(hs_beta, "{\"iss\":\"https://beta.example\",\"sub\":\"u1\","
					  "\"sid\":\"S1\",\"exp\":1700000060,\"iat\":1700000000}");

		session_answer = TG_ERR_NOT_FOUND;
		decide_gw(NULL, dev, true, &d);
		ok(d.status == 200 && session_asks == 0 && !d.sid,
		   "a developer-signed token with a sid claim is not checked against sessions");
		authz_decision_fini(&d);
		free(dev);
	}
	free(tok);
	free(nosid);
	cache_free(cache);
	key_free(gw);
}

/*
 * An entry that is not a grant grant_encode made is refused as damaged (500),
 * never read: a gateway flag of 2 in its head was loaded as a bool
 * (undefined; UBSan stopped the worker). Found by fuzz_grant.
 */
static void
test_damaged_entry(const char *good)
{
	char *auth = bearer_of(good);
	struct authz_request req = { .method = "GET", .https = "on", .authorization = auth };
	struct cache_key key = { .token = good, .len = strlen(good),
				 .generation = keyring_generation(kr) };
	struct tg_cache *c = cache_new(4);
	struct authz_decision d;
	const unsigned char *entry;
	unsigned char *bad;
	size_t size = 0;

	decide(c, &req, &d);
	authz_decision_fini(&d);
	entry = cache_get(c, &key, NOW, &size);
	ok(entry && size > 16, "the token's grant is cached");
	if (entry && size > 16) {
		/* The head is exp (8 bytes), namr and nvars (4 each), then the gateway flag. */
		bad = tg_xmalloc(size);
		memcpy(bad, entry, size);
		bad[16] = 2;
		cache_put(c, &key, NOW, NOW + 60, bad, size);
		decide(c, &req, &d);
		is_int(d.status, 500, "a grant whose gateway flag is 2 is refused as damaged");
		authz_decision_fini(&d);
		free(bad);
	}
	cache_free(c);
	free(auth);
}

/* Header name's value in r, NULL when absent. */
static const char *
header(const struct http_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* authz_answer for req with stderr (the log) read into log. */
static void
answer_logged(const struct http_request *req, struct http_response *r, char *log, size_t logsz)
{
	char path[] = "/tmp/tokengate-test_authz.XXXXXX";
	struct authz_env env = { .cfg = cfg, .kr = kr, .now = NOW };
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	dup2(fd, 2);
	authz_answer(&env, req, r);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, log, logsz - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

/* The authorizer's entry: the decision rendered for the request's role, one log line, no token. */
static void
test_answer(const char *good)
{
	char *auth = bearer_of(good), *expired, *expired_auth, log[4096];
	char *query = tg_xasprintf("access_token=%s", good);
	struct http_request req = { .role = HTTP_ROLE_AUTHORIZER, .method = "GET", .https = "on",
				    .authorization = auth };
	struct http_response r;

	expired = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\",\"exp\":1699999000}");
	expired_auth = bearer_of(expired);
	log_set_level(TG_LOG_DEBUG);
	answer_logged(&req, &r, log, sizeof(log));
	ok(r.status == 200 && header(&r, "Variable-TOKENGATE_SUB") &&
	   header(&r, "Variable-REMOTE_USER") && !header(&r, "X-Tokengate-Sub"),
	   "authorizer role: allowed with Variable-* headers");
	ok(strstr(log, "decision=allow status=200 tenant=acme sub=\"alice\" sid=- reason=- "
		      "latency_us=") && strstr(log, " source=bearer token=") && strstr(log, "time=") &&
		   !strstr(log, good),
	   "one allow line: time, tenant, subject, decision, latency, the token masked");
	ok(strchr(log, '\n') == log + strlen(log) - 1, "one line per decision");
	http_response_fini(&r);
	req.role = HTTP_ROLE_RESPONDER;
	answer_logged(&req, &r, log, sizeof(log));
	is_str(header(&r, "X-Tokengate-Sub"), "alice", "responder role: X-Tokengate-* headers");
	http_response_fini(&r);
	req.role = HTTP_ROLE_AUTHORIZER;
	req.authorization = expired_auth;
	answer_logged(&req, &r, log, sizeof(log));
	ok(r.status == 401 && header(&r, "WWW-Authenticate") &&
	   strstr(header(&r, "WWW-Authenticate"), "error=\"invalid_token\""),
	   "a refusal: 401 with its challenge");
	ok(strstr(log, "decision=refuse status=401 tenant=- sub=- sid=- reason=expired "
		      "error=invalid_token latency_us=") && strstr(log, "source=bearer token=") &&
		   !strstr(log, expired),
	   "one refuse line with status, reason, error and source, the token masked");
	http_response_fini(&r);
	req.authorization = auth;
	req.https = NULL;
	answer_logged(&req, &r, log, sizeof(log));
	ok(r.status == 403 && strstr(log, "decision=refuse status=403 tenant=- sub=- sid=- "
					  "reason=https_required error=invalid_request") &&
		   strstr(log, "crossed the network in clear") && !strstr(log, good),
	   "plain HTTP: reason=https_required, the line says the token is leaked, never shows it");
	http_response_fini(&r);
	req.https = "on";
	req.authorization = NULL;
	req.query_string = query;
	answer_logged(&req, &r, log, sizeof(log));
	ok(r.status == 401 && strcmp(header(&r, "WWW-Authenticate"), "Bearer realm=\"tokengate\"") == 0,
	   "a token in the query string is no token (RFC 6750 2.3 is not served)");
	http_response_fini(&r);
	log_set_level(TG_LOG_WARN);
	free(query);
	free(auth);
	free(expired);
	free(expired_auth);
}

/* ------------------------------------------------------------ step-up (RFC 9470) */

static void
step_up_tenant(struct tg_tenant *t)
{
	strlist_add(&t->acr_map, "pwd=1");
	strlist_add(&t->acr_map, "hwk=urn:acme:loa:3");
}

static void
tenant_max_age_300(struct tg_tenant *t)
{
	t->max_auth_age = 300;
}

static void
step_up_done(struct tg_tenant *t)
{
	strlist_free(&t->acr_map);
	strlist_free(&t->require_amr);
	t->max_auth_age = 0;
}

/* The decision's status for tok at a location, and its WWW-Authenticate (malloc'd, or NULL). */
static int
challenge_of(const char *tok, const char *require_amr, const char *max_age, char **challenge)
{
	char *auth = bearer_of(tok);
	struct authz_request req = { .method = "GET", .https = "on", .authorization = auth,
				     .require_amr = require_amr, .max_auth_age = max_age };
	struct authz_decision d;
	struct http_response r;
	const char *h;
	int status;

	decide(NULL, &req, &d);
	authz_render(&d, HTTP_ROLE_AUTHORIZER, "gw", &r);
	h = header(&r, "WWW-Authenticate");
	*challenge = h ? tg_xstrdup(h) : NULL;
	status = d.error && strcmp(d.error, "insufficient_user_authentication") != 0 ? -d.status
										   : d.status;
	http_response_fini(&r);
	authz_decision_fini(&d);
	free(auth);
	return status;
}

/* Allowed (want NULL), or refused with a challenge that starts with want. */
static void
expect_step_up(const char *tok, const char *require_amr, const char *max_age, const char *want,
	       const char *name)
{
	char *got = NULL;
	int status = challenge_of(tok, require_amr, max_age, &got);

	if (!want)
		ok(status == 200 && !got, "%s: allowed", name);
	else
		ok(status == 401 && got && strncmp(got, want, strlen(want)) == 0 &&
			   strlen(got) > strlen(want),
		   "%s: 401 %s...", name, want);
	free(got);
}

/* Refused with insufficient_user_authentication and a challenge that ends with tail. */
static void
expect_params(const char *tok, const char *require_amr, const char *max_age, const char *tail,
	      const char *name)
{
	char *got = NULL;
	int status = challenge_of(tok, require_amr, max_age, &got);
	size_t n = got ? strlen(got) : 0;

	ok(status == 401 && n > strlen(tail) && strcmp(got + n - strlen(tail), tail) == 0,
	   "%s: challenge ends %s", name, tail);
	if (status != 401 || n <= strlen(tail) || strcmp(got + n - strlen(tail), tail) != 0)
		diag("got %d %s", status, got ? got : "(no challenge)");
	free(got);
}

static void
expect_invalid_token(const char *tok, const char *name)
{
	char *auth = bearer_of(tok);

	expect(&(struct authz_request){ .method = "GET", .https = "on", .authorization = auth },
	       401, "invalid_token", name);
	free(auth);
}

static void
test_step_up(void)
{
	const char *prefix = "Bearer realm=\"gw\", error=\"insufficient_user_authentication\", "
			     "error_description=\"";
	char *fresh = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				    "\"exp\":1700000060,\"amr\":[\"pwd\"],\"auth_time\":1699999990}");
	char *old = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				  "\"exp\":1700000060,\"amr\":[\"pwd\"],\"auth_time\":1699999000}");
	char *none = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				   "\"exp\":1700000060,\"amr\":[\"pwd\",\"hwk\"]}");
	char *future = sign(hs_acme, "{\"iss\":\"https://acme.example\",\"sub\":\"a\","
				     "\"exp\":1700000060,\"auth_time\":1700000100}");

	update_tenant("acme", step_up_tenant);
	expect_step_up(fresh, "pwd", "60", NULL, "pwd, 10 s old, max 60");
	expect_step_up(fresh, "pwd hwk", NULL, prefix, "hwk missing");
	expect_params(fresh, "pwd hwk", NULL, "\", acr_values=\"urn:acme:loa:3\"",
		      "hwk missing: acr_values is the acr hwk earns");
	expect_params(fresh, "otp", NULL, "\", acr_values=\"otp\"",
		      "an unmapped method stands for itself");
	expect_params(fresh, "hwk otp hwk", NULL, "\", acr_values=\"urn:acme:loa:3 otp\"",
		      "two missing: both, each once, in the requirement's order");
	expect_params(old, NULL, "300", "\", max_age=\"300\"",
		      "TOKENGATE_MAX_AUTH_AGE 300, authenticated 1000 s ago: max_age");
	expect_params(none, NULL, "300", "\", max_age=\"300\"",
		      "a max age with no auth_time in the token: refused, max_age");
	expect_params(old, "hwk", "300", "\", acr_values=\"urn:acme:loa:3\", max_age=\"300\"",
		      "both at fault: acr_values and max_age");
	expect_step_up(old, "pwd", "1000", NULL, "exactly the maximum age is still allowed");
	expect_params(old, "pwd", "999", "\", max_age=\"999\"", "one second more is not");
	update_tenant("acme", tenant_max_age_300);
	expect_params(old, NULL, NULL, "\", max_age=\"300\"", "the tenant's max_auth_age alone");
	expect_params(old, NULL, "600", "\", max_age=\"300\"",
		      "the stricter of the tenant's and the location's");
	expect_params(fresh, NULL, "5", "\", max_age=\"5\"", "... whichever it is");
	expect_step_up(fresh, NULL, NULL, NULL, "a fresh token meets the tenant's 300 s");
	{
		char *auth = bearer_of(fresh);
		struct authz_request req = { .method = "GET", .https = "on", .authorization = auth,
					     .max_auth_age = "5 min" };
		struct authz_decision d;

		decide(NULL, &req, &d);
		ok(d.status == 500 && strstr(d.description, "TOKENGATE_MAX_AUTH_AGE"),
		   "a TOKENGATE_MAX_AUTH_AGE that is not whole seconds: 500 naming it");
		authz_decision_fini(&d);
		req.max_auth_age = "";
		decide(NULL, &req, &d);
		is_int(d.status, 200, "an empty TOKENGATE_MAX_AUTH_AGE is no limit");
		authz_decision_fini(&d);
		free(auth);
	}
	expect_invalid_token(future, "an auth_time in the future is an invalid token");
	update_tenant("acme", step_up_done);
	free(fresh);
	free(old);
	free(none);
	free(future);
}

/* authz_env's unknown_kid as a test sees it: what it was asked, and whether it brings the key. */
struct follow {
	const struct tg_key *brings; /* put in the keyring when asked; NULL: nothing new */
	enum tg_err rc;
	int calls;
	char tenant[16], kid[16];
};

static enum tg_err
follow_cb(void *ctx, const char *tenant, const char *kid)
{
	struct follow *f = ctx;

	f->calls++;
	snprintf(f->tenant, sizeof(f->tenant), "%s", tenant);
	snprintf(f->kid, sizeof(f->kid), "%s", kid);
	if (f->brings) {
		kf_key(&kf, tenant, f->brings, TG_KEY_USE_VERIFY, 2);
		kf_load(&kf);
	}
	return f->rc;
}

static void
decide_following(struct tg_cache *c, struct follow *f, const struct authz_request *req,
		 struct authz_decision *d)
{
	struct authz_env env = { .cfg = cfg, .kr = kr, .cache = c, .now = NOW,
				 .unknown_kid = follow_cb, .unknown_kid_ctx = f };

	authz_decide(&env, req, d);
}

/* A provider's rotation: the token with the new kid is verified after the keyring reloads. */
static void
test_unknown_kid(void)
{
	struct tg_key *fresh = NULL;
	struct tg_cache *c = cache_new(4);
	struct follow f = { .rc = TG_ERR_LIMITED };
	char *tok, *auth;
	struct authz_request req = { .method = "GET", .https = "on" };
	struct authz_decision d;

	kf_new_key(&kf, "acme", "rot1", TG_ALG_HS256, TG_KEY_USE_VERIFY, 2, &fresh);
	kf_remove_keys(&kf, "acme", "rot1");
	kf_load(&kf);
	tok = sign(fresh, good_payload);
	auth = bearer_of(tok);
	req.authorization = auth;

	decide_following(c, &f, &req, &d);
	ok(d.status == 401 && f.calls == 1, "unknown kid, nothing fetched: 401 as before, asked once");
	ok(strcmp(f.tenant, "acme") == 0 && strcmp(f.kid, "rot1") == 0,
	   "the callback is told the tenant (from iss) and the kid");
	authz_decision_fini(&d);

	f = (struct follow){ .brings = fresh, .rc = TG_OK };
	decide_following(c, &f, &req, &d);
	ok(d.status == 200 && f.calls == 1, "the set brought the kid: allowed in the same request");
	is_str(var(&d, "KID"), "rot1", "verified with the new key");
	authz_decision_fini(&d);
	decide_following(c, &f, &req, &d);
	ok(d.status == 200 && d.is_cached && f.calls == 1,
	   "the next request is a cache hit of the new generation, no callback");
	authz_decision_fini(&d);

	f = (struct follow){ .rc = TG_OK };
	decide_following(NULL, &f, &req, &d);
	ok(d.status == 200 && f.calls == 0, "a kid the keyring now holds never asks");
	authz_decision_fini(&d);

	kf_remove_keys(&kf, "acme", "rot1");
	kf_load(&kf);
	key_free(fresh);
	free(tok);
	free(auth);
	cache_free(c);
}

int
main(void)
{
	char *good;

	cfg = conf("database = /x\n");
	kf_init(&kf);
	kr = kf.kr;
	add_tenant("acme", "https://acme.example");
	add_tenant("beta", "https://beta.example");
	hs_acme = add_key("acme", "k1");
	hs_beta = add_key("beta", "b1");
	kf_load(&kf);
	good = sign(hs_acme, good_payload);

	test_sources(good);
	test_https(good);
	test_https_rule();
	test_refusals();
	test_render(good);
	test_answer(good);
	test_csrf(good);
	test_requirements(good);
	test_step_up();
	test_damaged_entry(good);
	test_cache(good);
	test_gateway_session();
	test_unknown_kid();

	free(good);
	key_free(hs_acme);
	key_free(hs_beta);
	kf_fini(&kf);
	config_free(cfg);
	return done_testing();
}
