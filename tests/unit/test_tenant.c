/*
 * Tenant records: id rules, defaults, the JSON round trip of every field, and
 * tenant_from_json refusing wrong types, out-of-range numbers, bad ids and
 * unknown (misspelt) members without touching its out-parameter.
 */
#include "model/tenant.h"

#include "../lib/tap.h"

#include <json.h>

static struct json_object *
parse(const char *doc)
{
	struct json_object *o = json_tokener_parse(doc);

	if (!o)
		diag("bad test document: %s", doc);
	return o;
}

static const char *
to_string(const struct tg_tenant *t, char *buf, size_t len)
{
	struct json_object *o = tenant_to_json(t);

	snprintf(buf, len, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return buf;
}

static void
test_ids(void)
{
	char longest[TG_TENANT_ID_MAX + 2];

	ok(tenant_id_is_valid("acme"), "plain id is valid");
	ok(tenant_id_is_valid("a"), "one character id is valid");
	ok(tenant_id_is_valid("Team_1.prod-eu"), "letters, digits, '.', '_' and '-' are valid");
	memset(longest, 'x', TG_TENANT_ID_MAX);
	longest[TG_TENANT_ID_MAX] = '\0';
	ok(tenant_id_is_valid(longest), "id of exactly TG_TENANT_ID_MAX characters is valid");
	longest[TG_TENANT_ID_MAX] = 'x';
	longest[TG_TENANT_ID_MAX + 1] = '\0';
	ok(!tenant_id_is_valid(longest), "id one character too long is refused");
	ok(!tenant_id_is_valid(NULL), "NULL id is refused");
	ok(!tenant_id_is_valid(""), "empty id is refused");
	ok(!tenant_id_is_valid(".hidden"), "id starting with '.' is refused");
	ok(!tenant_id_is_valid("-opt"), "id starting with '-' (an option) is refused");
	ok(!tenant_id_is_valid("a b"), "id with a space is refused");
	ok(!tenant_id_is_valid("a/b"), "id with '/' is refused");
	ok(!tenant_id_is_valid("caf\xc3\xa9"), "id with non-ASCII bytes is refused");
}

static void
test_defaults(void)
{
	struct tg_tenant *t = tenant_new("acme"), *back = NULL;
	struct json_object *o = tenant_to_json(t), *v;
	enum tg_err rc;

	is_str(t->id, "acme", "tenant_new copies the id");
	is_int(t->max_lifetime, TG_DEFAULT_MAX_LIFETIME, "default max_lifetime");
	is_int(t->leeway, TG_DEFAULT_LEEWAY, "default leeway");
	is_int(t->max_sub_length, 256, "default max_sub_length: 256 bytes");
	ok(!t->issuer && !t->audience && !t->claims_ns && !t->signing_alg,
	   "optional strings start unset");
	ok(json_object_object_get_ex(o, "issuer", &v) && v == NULL, "unset issuer is JSON null");
	ok(json_object_object_get_ex(o, "map_claims", &v) &&
		   json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0,
	   "empty list is an empty JSON array");
	ok(t->refresh_reuse_grace == -1 &&
		   json_object_object_get_ex(o, "refresh_reuse_grace", &v) && v == NULL,
	   "refresh_reuse_grace unset: the configuration's, JSON null");
	is_int(json_object_object_length(o), 28, "JSON carries all 28 fields");
	ok(t->session_idle_timeout == 0 && t->session_max_lifetime == 0,
	   "no session limits by default");
	json_object_put(o);
	tenant_free(t);

	o = parse("{\"id\":\"min\"}");
	rc = tenant_from_json(o, &back);
	is_int(rc, TG_OK, "only an id is enough");
	if (rc == TG_OK) {
		is_int(back->max_lifetime, TG_DEFAULT_MAX_LIFETIME, "absent max_lifetime: default");
		is_int(back->leeway, TG_DEFAULT_LEEWAY, "absent leeway: default");
		ok(!back->issuer && back->require_claims.n == 0, "absent members stay unset");
	}
	json_object_put(o);
	tenant_free(back);
}

static struct tg_tenant *
full_tenant(void)
{
	struct tg_tenant *t = tenant_new("acme.prod");

	t->issuer = tg_xstrdup("https://issuer.example/");
	t->audience = tg_xstrdup("api://acme");
	t->max_lifetime = 3600;
	t->leeway = 0;
	t->claims_ns = tg_xstrdup("https://acme/claims");
	strlist_add(&t->map_claims, "org.id=ORG");
	strlist_add(&t->map_claims, "email=EMAIL");
	strlist_add(&t->require_claims, "scope=admin");
	strlist_add(&t->allowed_origins, "https://app.acme.example");
	strlist_add(&t->require_amr, "mfa");
	t->max_auth_age = 900;
	strlist_add(&t->acr_map, "pwd=1");
	strlist_add(&t->acr_map, "otp=urn:acme:mfa");
	t->require_typ = tg_xstrdup("application/at+jwt");
	t->signing_alg = tg_xstrdup("ES256");
	t->rate_limit_per_key = 100;
	t->rate_limit_burst = 20;
	t->refresh_reuse_grace = 0;
	t->max_sub_length = 1024;
	t->created = 1700000000;
	t->session_idle_timeout = 900;
	t->session_max_lifetime = 43200;
	t->jwks_uri = tg_xstrdup("https://acme.eu.auth0.com/.well-known/jwks.json");
	t->jwks_ca_file = tg_xstrdup("/etc/tokengate/acme-ca.pem");
	t->jwks_alg = tg_xstrdup("RS256");
	t->password_memory_kib = 65536;
	t->password_iterations = 3;
	t->login_title = tg_xstrdup("Acme \xc3\xa9quipe <members>");
	t->login_stylesheet = tg_xstrdup("https://cdn.acme.example/login.css?v=2");
	return t;
}

static void
test_round_trip(void)
{
	struct tg_tenant *t = full_tenant(), *back = NULL, *dup;
	struct json_object *o = tenant_to_json(t), *reparsed;
	char a[2048], b[2048];
	enum tg_err rc;

	reparsed = parse(json_object_to_json_string(o));
	rc = tenant_from_json(reparsed, &back);
	is_int(rc, TG_OK, "full tenant parses back");
	if (rc == TG_OK) {
		is_str(to_string(back, a, sizeof(a)), to_string(t, b, sizeof(b)),
		       "every field survives the JSON round trip");
		is_str(back->claims_ns, "https://acme/claims", "claims_ns round trip");
		is_int(back->map_claims.n, 2, "both map_claims entries round trip");
		is_str(back->map_claims.v[1], "email=EMAIL", "list order is kept");
		is_int(back->leeway, 0, "leeway 0 is kept, not replaced by the default");
		is_int(back->created, 1700000000, "created round trip");
		ok(back->session_idle_timeout == 900 && back->session_max_lifetime == 43200,
		   "session limits round trip");
		is_int(back->refresh_reuse_grace, 0, "refresh_reuse_grace 0 (off) is kept as 0");
		is_int(back->max_sub_length, 1024, "max_sub_length round trip");
		ok(back->password_memory_kib == 65536 && back->password_iterations == 3,
		   "password parameters round trip");
		ok(strcmp(back->login_title, "Acme \xc3\xa9quipe <members>") == 0 &&
			   strcmp(back->login_stylesheet, "https://cdn.acme.example/login.css?v=2") == 0,
		   "login_title and login_stylesheet round trip");
		ok(back->max_auth_age == 900 && back->acr_map.n == 2 &&
			   strcmp(back->acr_map.v[1], "otp=urn:acme:mfa") == 0 &&
			   strcmp(back->require_typ, "application/at+jwt") == 0,
		   "max_auth_age, acr_map (in order) and require_typ round trip");
	}

	dup = tenant_dup(t);
	is_str(to_string(dup, a, sizeof(a)), to_string(t, b, sizeof(b)),
	       "tenant_dup copies every field");
	strlist_add(&dup->require_amr, "hwk");
	free(dup->issuer);
	dup->issuer = NULL;
	ok(t->require_amr.n == 1 && t->issuer != NULL,
	   "tenant_dup shares nothing with the original");

	tenant_free(dup);
	tenant_free(back);
	tenant_free(t);
	json_object_put(reparsed);
	json_object_put(o);
}

/* RFC 6838 4.2 names, type/subtype or a bare subtype (RFC 7515 4.1.9 leaves out application/). */
static void
test_typ(void)
{
	ok(tenant_typ_is_valid("at+jwt"), "at+jwt");
	ok(tenant_typ_is_valid("application/at+jwt"), "application/at+jwt");
	ok(tenant_typ_is_valid("JWT"), "JWT");
	ok(!tenant_typ_is_valid("/at+jwt") && !tenant_typ_is_valid("application/"),
	   "an empty half is refused");
	ok(!tenant_typ_is_valid("a/b/c"), "two slashes are refused");
	ok(!tenant_typ_is_valid("at+jwt;q=1") && !tenant_typ_is_valid("at\"jwt"),
	   "parameters and quotes are refused");
	ok(!tenant_typ_is_valid(NULL) && !tenant_typ_is_valid(""), "NULL and empty are refused");
}

static void
test_nulls(void)
{
	struct json_object *o = parse("{\"id\":\"n\",\"issuer\":null,\"audience\":null,"
				      "\"map_claims\":null,\"max_lifetime\":null}");
	struct tg_tenant *t = NULL;

	is_int(tenant_from_json(o, &t), TG_OK, "null members are accepted as unset");
	if (t) {
		ok(!t->issuer && !t->audience && t->map_claims.n == 0, "null leaves members unset");
		is_int(t->max_lifetime, TG_DEFAULT_MAX_LIFETIME, "null number keeps the default");
	}
	tenant_free(t);
	json_object_put(o);
}

static void
expect_invalid(const char *name, const char *doc)
{
	struct tg_tenant *sentinel = (struct tg_tenant *)&sentinel, *t = sentinel;
	struct json_object *o = parse(doc);

	is_int(tenant_from_json(o, &t), TG_ERR_INVALID, "%s: refused", name);
	ok(t == sentinel, "%s: out-parameter untouched", name);
	json_object_put(o);
}

static void
test_invalid(void)
{
	expect_invalid("array instead of object", "[]");
	expect_invalid("string instead of object", "\"acme\"");
	expect_invalid("missing id", "{\"issuer\":\"x\"}");
	expect_invalid("numeric id", "{\"id\":7}");
	expect_invalid("id with a slash", "{\"id\":\"a/b\"}");
	expect_invalid("id starting with a dot", "{\"id\":\".a\"}");
	expect_invalid("issuer as a number", "{\"id\":\"a\",\"issuer\":1}");
	expect_invalid("audience as an array", "{\"id\":\"a\",\"audience\":[\"x\"]}");
	expect_invalid("max_lifetime as a string", "{\"id\":\"a\",\"max_lifetime\":\"60\"}");
	expect_invalid("max_lifetime as a fraction", "{\"id\":\"a\",\"max_lifetime\":1.5}");
	expect_invalid("max_lifetime of zero", "{\"id\":\"a\",\"max_lifetime\":0}");
	expect_invalid("negative leeway", "{\"id\":\"a\",\"leeway\":-1}");
	expect_invalid("negative rate limit", "{\"id\":\"a\",\"rate_limit_per_key\":-5}");
	expect_invalid("boolean burst", "{\"id\":\"a\",\"rate_limit_burst\":true}");
	expect_invalid("negative idle timeout", "{\"id\":\"a\",\"session_idle_timeout\":-1}");
	/* session.c adds these to a time: no session lives longer than 90 days anyway. */
	expect_invalid("idle timeout above 90 days",
		       "{\"id\":\"a\",\"session_idle_timeout\":7776001}");
	expect_invalid("max lifetime above 90 days",
		       "{\"id\":\"a\",\"session_max_lifetime\":7776001}");
	expect_invalid("negative refresh_reuse_grace", "{\"id\":\"a\",\"refresh_reuse_grace\":-1}");
	expect_invalid("max_sub_length of zero", "{\"id\":\"a\",\"max_sub_length\":0}");
	expect_invalid("max_sub_length above 4096", "{\"id\":\"a\",\"max_sub_length\":4097}");
	/* Below OWASP's Argon2id floor: a stored tenant can never weaken its users' hashes. */
	expect_invalid("password_memory_kib below 19456",
		       "{\"id\":\"a\",\"password_memory_kib\":19455}");
	expect_invalid("password_iterations of 1", "{\"id\":\"a\",\"password_iterations\":1}");
	expect_invalid("password_iterations above 20", "{\"id\":\"a\",\"password_iterations\":21}");
	expect_invalid("list as a string", "{\"id\":\"a\",\"require_claims\":\"sub\"}");
	expect_invalid("list holding a number", "{\"id\":\"a\",\"require_amr\":[\"mfa\",2]}");
	/* A misspelt policy member silently ignored would be a weaker policy than asked for. */
	expect_invalid("misspelt member", "{\"id\":\"a\",\"requre_claims\":[\"sub\"]}");
	expect_invalid("signing_alg none", "{\"id\":\"a\",\"signing_alg\":\"none\"}");
	expect_invalid("signing_alg wrong case", "{\"id\":\"a\",\"signing_alg\":\"hs256\"}");
	/* A NUL would cut the value short: "acme\0x" would be tenant acme, a rule would be weaker. */
	expect_invalid("id with a NUL", "{\"id\":\"acme\\u0000x\"}");
	expect_invalid("issuer with a NUL", "{\"id\":\"a\",\"issuer\":\"https://a\\u0000.evil\"}");
	/* json-c clamps these to INT64_MAX/MIN: taking them would change the number silently. */
	expect_invalid("leeway beyond int64", "{\"id\":\"a\",\"leeway\":50000000000000000000000}");
	expect_invalid("created beyond uint64", "{\"id\":\"a\",\"created\":18446744073709551616}");
	expect_invalid("negative max_auth_age", "{\"id\":\"a\",\"max_auth_age\":-1}");
	expect_invalid("acr_map entry without '='", "{\"id\":\"a\",\"acr_map\":[\"pwd\"]}");
	/* An acr goes into the challenge's quoted acr_values: a quote would break out of it. */
	expect_invalid("acr_map acr with a quote", "{\"id\":\"a\",\"acr_map\":[\"otp=a\\\"b\"]}");
	expect_invalid("acr_map acr with a space", "{\"id\":\"a\",\"acr_map\":[\"otp=a b\"]}");
	expect_invalid("require_typ with two slashes",
		       "{\"id\":\"a\",\"require_typ\":\"application/at/jwt\"}");
	expect_invalid("require_typ with a space", "{\"id\":\"a\",\"require_typ\":\"at jwt\"}");
	expect_invalid("empty require_typ", "{\"id\":\"a\",\"require_typ\":\"\"}");
	expect_invalid("list item with a NUL",
		       "{\"id\":\"a\",\"require_claims\":[\"role=admin\\u0000x\"]}");
	/* A stored plain-http jwks_uri would let the network choose the tenant's keys. */
	expect_invalid("jwks_uri over http", "{\"id\":\"a\",\"jwks_uri\":\"http://idp/k\"}");
	expect_invalid("jwks_uri without a host", "{\"id\":\"a\",\"jwks_uri\":\"https://\"}");
	expect_invalid("jwks_ca_file relative", "{\"id\":\"a\",\"jwks_ca_file\":\"ca.pem\"}");
	expect_invalid("jwks_alg unknown", "{\"id\":\"a\",\"jwks_alg\":\"none\"}");
}

/* What the login page interpolates: one line of text, and a reference that cannot leave its slot. */
static void
test_login_theme(void)
{
	char longest[TG_LOGIN_TITLE_MAX + 2];

	ok(tenant_login_title_is_valid("Acme members"), "a plain title");
	ok(tenant_login_title_is_valid("Caf\xc3\xa9 <b>&</b>"),
	   "a title with UTF-8 and markup characters (the page escapes them)");
	memset(longest, 'x', TG_LOGIN_TITLE_MAX);
	longest[TG_LOGIN_TITLE_MAX] = '\0';
	ok(tenant_login_title_is_valid(longest), "a title of TG_LOGIN_TITLE_MAX bytes");
	longest[TG_LOGIN_TITLE_MAX] = 'x';
	longest[TG_LOGIN_TITLE_MAX + 1] = '\0';
	ok(!tenant_login_title_is_valid(longest), "one byte more is refused, not cut");
	ok(!tenant_login_title_is_valid(NULL) && !tenant_login_title_is_valid(""),
	   "NULL and empty titles are refused");
	ok(!tenant_login_title_is_valid("a\nb") && !tenant_login_title_is_valid("a\x7f"),
	   "a title with a control character is refused");
	ok(!tenant_login_title_is_valid("a\xc2\x85"), "a title with a C1 control is refused");
	ok(!tenant_login_title_is_valid("a\xc3"), "a title with a cut UTF-8 sequence is refused");

	ok(tenant_login_stylesheet_is_valid("/css/login.css"), "a path on the site");
	ok(tenant_login_stylesheet_is_valid("https://cdn.acme.example:8443/a.css?v=1"),
	   "an https URL with a port and a query");
	ok(!tenant_login_stylesheet_is_valid("//evil.example/a.css"),
	   "a scheme-relative URL (another site) is refused");
	ok(!tenant_login_stylesheet_is_valid("http://cdn.acme.example/a.css"),
	   "a plain-http URL is refused");
	ok(!tenant_login_stylesheet_is_valid("css/login.css"), "a relative path is refused");
	ok(!tenant_login_stylesheet_is_valid("https://") &&
		   !tenant_login_stylesheet_is_valid("https:///a.css"),
	   "an https URL without a host is refused");
	ok(!tenant_login_stylesheet_is_valid("https://user@cdn.example/a.css"),
	   "userinfo is refused");
	/* Each would end the attribute or split the Content-Security-Policy's directive list. */
	ok(!tenant_login_stylesheet_is_valid("/a.css\"onload=x") &&
		   !tenant_login_stylesheet_is_valid("/a.css'") &&
		   !tenant_login_stylesheet_is_valid("/a.css>") &&
		   !tenant_login_stylesheet_is_valid("https://a.example; script-src *") &&
		   !tenant_login_stylesheet_is_valid("https://a.example,b") &&
		   !tenant_login_stylesheet_is_valid("/a b.css"),
	   "quotes, '>', ';', ',' and spaces are refused");
	expect_invalid("login_title with a newline", "{\"id\":\"a\",\"login_title\":\"a\\nb\"}");
	expect_invalid("login_stylesheet over http",
		       "{\"id\":\"a\",\"login_stylesheet\":\"http://a.example/x.css\"}");
}

int
main(void)
{
	test_ids();
	test_defaults();
	test_round_trip();
	test_nulls();
	test_typ();
	test_invalid();
	test_login_theme();
	tenant_free(NULL);
	tenant_list_free(NULL, 0);
	ok(1, "freeing NULL is a no-op");
	return done_testing();
}
