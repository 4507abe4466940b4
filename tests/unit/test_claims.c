/*
 * Claims policy: every rejection reason, and each time rule exactly at, one
 * second inside and one second outside its leeway boundary; the tenant's
 * required claims.
 */
#include "jose/claims.h"
#include "base/json_strict.h"

#include "../lib/tap.h"

#include <json.h>

#define NOW 1700000000LL

static struct tg_tenant tenant;

static enum tg_err
check_json(const char *doc, struct tg_verdict *v)
{
	struct json_object *o = NULL;
	struct tg_why why;
	enum tg_err rc;

	if (json_strict_parse(doc, strlen(doc), &o, &why) != TG_OK) {
		diag("bad test document %s: %s", doc, why.text);
		return TG_ERR_INVALID;
	}
	rc = claims_check(o, &tenant, NOW, v);
	json_object_put(o);
	return rc;
}

/* exp/iat/nbf offsets relative to NOW are formatted into a payload. */
static void
expect(const char *name, const char *payload, enum tg_reason want)
{
	struct tg_verdict v = { 0 };
	enum tg_err rc = check_json(payload, &v);

	if (want == TG_R_NONE) {
		if (!ok(rc == TG_OK, "%s: accepted", name))
			diag("rejected as %s: %s", tg_reason_code(v.reason), v.why);
		return;
	}
	if (!ok(rc == TG_ERR_REJECTED && v.reason == want, "%s: rejected as %s", name,
		tg_reason_code(want)))
		diag("got rc %d reason %s: %s", rc, tg_reason_code(v.reason), v.why);
}

static void
expect_times(const char *name, const char *extra, long long exp_off, enum tg_reason want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"sub\":\"u1\",\"exp\":%lld%s}", NOW + exp_off, extra);
	expect(name, buf, want);
}

static void
test_required(void)
{
	expect("no sub", "{\"exp\":1700000030}", TG_R_MISSING_CLAIM);
	expect("empty sub", "{\"sub\":\"\",\"exp\":1700000030}", TG_R_INVALID_CLAIM);
	expect("numeric sub", "{\"sub\":42,\"exp\":1700000030}", TG_R_INVALID_CLAIM);
	expect("null sub", "{\"sub\":null,\"exp\":1700000030}", TG_R_INVALID_CLAIM);
	expect("no exp", "{\"sub\":\"u\"}", TG_R_MISSING_CLAIM);
	expect("string exp", "{\"sub\":\"u\",\"exp\":\"1700000030\"}", TG_R_INVALID_CLAIM);
	expect("bool exp", "{\"sub\":\"u\",\"exp\":true}", TG_R_INVALID_CLAIM);
	expect("fractional exp ok", "{\"sub\":\"u\",\"exp\":1700000030.5}", TG_R_NONE);
	expect("huge exp", "{\"sub\":\"u\",\"exp\":1e300}", TG_R_LIFETIME_TOO_LONG);
	expect("negative huge exp", "{\"sub\":\"u\",\"exp\":-1e300}", TG_R_EXPIRED);
	{
		/* json-c would saturate silently; the strict layer refuses instead. */
		struct tg_verdict v = { 0 };

		ok(check_json("{\"sub\":\"u\",\"exp\":99999999999999999999999}", &v) == TG_ERR_INVALID,
		   "int64 overflow exp is refused before the policy sees it");
	}
	expect("string nbf", "{\"sub\":\"u\",\"exp\":1700000030,\"nbf\":\"x\"}", TG_R_INVALID_CLAIM);
	expect("string iat", "{\"sub\":\"u\",\"exp\":1700000030,\"iat\":[]}", TG_R_INVALID_CLAIM);
}

/* leeway 5, max_lifetime 60 */
static void
test_expiry_boundaries(void)
{
	expect_times("exp = now - leeway is expired", "", -5, TG_R_EXPIRED);
	expect_times("exp = now - leeway + 1 is valid", "", -4, TG_R_NONE);
	expect_times("exp = now is valid within leeway", "", 0, TG_R_NONE);
	expect_times("exp far in the past", "", -3600, TG_R_EXPIRED);
	expect_times("exp = now + max + leeway is valid", "", 65, TG_R_NONE);
	expect_times("exp = now + max + leeway + 1 too long", "", 66, TG_R_LIFETIME_TOO_LONG);
	expect_times("exp one day ahead", "", 86400, TG_R_LIFETIME_TOO_LONG);
}

static void
test_iat_nbf_boundaries(void)
{
	char extra[64];

	snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW + 5);
	expect_times("iat = now + leeway accepted", extra, 30, TG_R_NONE);
	snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW + 6);
	expect_times("iat = now + leeway + 1 in future", extra, 30, TG_R_ISSUED_IN_FUTURE);
	snprintf(extra, sizeof(extra), ",\"nbf\":%lld", NOW + 5);
	expect_times("nbf = now + leeway accepted", extra, 30, TG_R_NONE);
	snprintf(extra, sizeof(extra), ",\"nbf\":%lld", NOW + 6);
	expect_times("nbf = now + leeway + 1 not yet valid", extra, 30, TG_R_NOT_YET_VALID);
	snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW - 30);
	expect_times("exp - iat = max accepted", extra, 30, TG_R_NONE);
	snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW - 31);
	expect_times("exp - iat = max + 1 too long", extra, 30, TG_R_LIFETIME_TOO_LONG);
	snprintf(extra, sizeof(extra), ",\"iat\":%lld", NOW - 3600);
	expect_times("old iat with long lifetime", extra, 30, TG_R_LIFETIME_TOO_LONG);
}

static void
test_issuer_audience(void)
{
	expect("issuer unset accepts any iss", "{\"sub\":\"u\",\"exp\":1700000030,\"iss\":\"x\"}",
	       TG_R_NONE);
	expect("non-string iss", "{\"sub\":\"u\",\"exp\":1700000030,\"iss\":1}", TG_R_INVALID_CLAIM);
	tenant.issuer = "https://auth.example.com";
	expect("issuer matches", "{\"sub\":\"u\",\"exp\":1700000030,\"iss\":\"https://auth.example.com\"}",
	       TG_R_NONE);
	expect("issuer differs", "{\"sub\":\"u\",\"exp\":1700000030,\"iss\":\"https://evil.example\"}",
	       TG_R_WRONG_ISSUER);
	expect("issuer prefix is not a match",
	       "{\"sub\":\"u\",\"exp\":1700000030,\"iss\":\"https://auth.example.com/\"}",
	       TG_R_WRONG_ISSUER);
	expect("issuer missing", "{\"sub\":\"u\",\"exp\":1700000030}", TG_R_WRONG_ISSUER);
	tenant.issuer = NULL;

	expect("aud without tenant audience (RFC 7519 4.1.3)",
	       "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":\"api\"}", TG_R_WRONG_AUDIENCE);
	tenant.audience = "api";
	expect("aud string matches", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":\"api\"}", TG_R_NONE);
	expect("aud array contains", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":[\"x\",\"api\"]}",
	       TG_R_NONE);
	expect("aud array lacks", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":[\"x\",\"y\"]}",
	       TG_R_WRONG_AUDIENCE);
	expect("aud empty array", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":[]}", TG_R_WRONG_AUDIENCE);
	expect("aud string differs", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":\"apix\"}",
	       TG_R_WRONG_AUDIENCE);
	expect("aud missing", "{\"sub\":\"u\",\"exp\":1700000030}", TG_R_WRONG_AUDIENCE);
	expect("aud number", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":5}", TG_R_INVALID_CLAIM);
	expect("aud array of numbers", "{\"sub\":\"u\",\"exp\":1700000030,\"aud\":[5]}",
	       TG_R_INVALID_CLAIM);
	tenant.audience = NULL;
}

static void
test_tenant_settings(void)
{
	tenant.leeway = 0;
	expect_times("leeway 0: exp = now expired", "", 0, TG_R_EXPIRED);
	expect_times("leeway 0: exp = now + 1 valid", "", 1, TG_R_NONE);
	tenant.max_lifetime = 300;
	expect_times("max_lifetime 300: 300 s valid", "", 300, TG_R_NONE);
	expect_times("max_lifetime 300: 301 s too long", "", 301, TG_R_LIFETIME_TOO_LONG);
	tenant.leeway = TG_DEFAULT_LEEWAY;
	tenant.max_lifetime = TG_DEFAULT_MAX_LIFETIME;
}

static void
test_lookup(void)
{
	const char *doc = "{\"sub\":\"u\",\"scope\":\"read write\",\"role\":\"top\","
			  "\"https://hasura.io/jwt/claims\":{\"x-hasura-role\":\"user\","
			  "\"org\":{\"id\":\"o1\"},\"scope\":\"ns-scope\"}}";
	struct json_object *o = NULL, *c;
	struct tg_why why;

	if (json_strict_parse(doc, strlen(doc), &o, &why) != TG_OK) {
		ok(0, "lookup document parses");
		return;
	}
	c = claims_lookup(o, &tenant, "role");
	is_str(c ? json_object_get_string(c) : NULL, "top", "no namespace: top-level claim");
	tenant.claims_ns = "https://hasura.io/jwt/claims";
	c = claims_lookup(o, &tenant, "x-hasura-role");
	is_str(c ? json_object_get_string(c) : NULL, "user", "namespaced claim");
	c = claims_lookup(o, &tenant, "org.id");
	is_str(c ? json_object_get_string(c) : NULL, "o1", "dotted path in namespace");
	c = claims_lookup(o, &tenant, "scope");
	is_str(c ? json_object_get_string(c) : NULL, "read write", "scope stays top level");
	ok(claims_lookup(o, &tenant, "role") == NULL, "top-level custom claim hidden by namespace");
	ok(claims_lookup(o, &tenant, "org.missing") == NULL, "missing leaf");
	ok(claims_lookup(o, &tenant, "x-hasura-role.deeper") == NULL, "path through a string");
	ok(claims_lookup(o, &tenant, "org..id") == NULL, "empty segment");
	ok(claims_lookup(o, &tenant, "") == NULL, "empty path");
	tenant.claims_ns = "https://other.example/claims";
	ok(claims_lookup(o, &tenant, "x-hasura-role") == NULL, "absent namespace");
	tenant.claims_ns = NULL;
	json_object_put(o);
}

/* The tenant's require_claims against a payload: TG_OK, or the first unmet named in the verdict. */
static void
expect_require(const char *name, const char *payload, const char *missing)
{
	struct json_object *o = NULL;
	struct tg_verdict v = { 0 };
	struct tg_why why;
	char want[TG_WHY_MAX];
	enum tg_err rc;

	if (json_strict_parse(payload, strlen(payload), &o, &why) != TG_OK) {
		ok(0, "%s: the document parses: %s", name, why.text);
		return;
	}
	rc = claims_require(o, &tenant, &v);
	if (!missing) {
		if (!ok(rc == TG_OK, "%s: met", name))
			diag("refused: %s", v.why);
	} else {
		snprintf(want, sizeof(want),
			 "the token does not carry the required \"%s\" claim value", missing);
		ok(rc == TG_ERR_REJECTED && v.reason == TG_R_MISSING_CLAIM &&
		   strcmp(v.why, want) == 0, "%s: \"%s\" unmet", name, missing);
	}
	json_object_put(o);
}

static void
test_require(void)
{
	expect_require("no requirements", "{}", NULL);
	strlist_add(&tenant.require_claims, "scope=write read");
	strlist_add(&tenant.require_claims, "role=admin");
	strlist_add(&tenant.require_claims, "sid");
	expect_require("scope words, value and presence",
		       "{\"scope\":\"read  write x\",\"role\":\"admin\",\"sid\":\"s\"}", NULL);
	expect_require("scope as an array",
		       "{\"scope\":[\"write\",\"read\"],\"role\":[\"u\",\"admin\"],\"sid\":0}",
		       NULL);
	expect_require("a scope word missing", "{\"scope\":\"read\",\"role\":\"admin\",\"sid\":1}",
		       "scope");
	expect_require("a word's prefix is not the word",
		       "{\"scope\":\"read writer\",\"role\":\"admin\",\"sid\":1}", "scope");
	expect_require("the first unmet is named", "{\"scope\":\"read write\",\"role\":\"user\"}",
		       "role");
	expect_require("null is absent",
		       "{\"scope\":\"read write\",\"role\":\"admin\",\"sid\":null}", "sid");
	strlist_free(&tenant.require_claims);
	strlist_add(&tenant.require_claims, "level=3");
	strlist_add(&tenant.require_claims, "mfa=true");
	expect_require("numbers and booleans by their JSON text", "{\"level\":3,\"mfa\":true}",
		       NULL);
	expect_require("a string is not a number", "{\"level\":\"03\",\"mfa\":true}", "level");
	strlist_free(&tenant.require_claims);
	tenant.claims_ns = "https://ns.example";
	strlist_add(&tenant.require_claims, "org.id=o1");
	expect_require("a namespaced dotted path",
		       "{\"https://ns.example\":{\"org\":{\"id\":\"o1\"}}}", NULL);
	expect_require("outside the namespace it is absent", "{\"org\":{\"id\":\"o1\"}}", "org.id");
	strlist_free(&tenant.require_claims);
	tenant.claims_ns = NULL;
}

/* A payload whose sub is n bytes of 'u'. */
static char *
sub_of(size_t n)
{
	char *sub = tg_xmalloc(n + 1), *doc;

	memset(sub, 'u', n);
	sub[n] = '\0';
	doc = tg_xasprintf("{\"sub\":\"%s\",\"exp\":1700000030}", sub);
	free(sub);
	return doc;
}

/*
 * Issue 12: a sub was cut at 512 bytes on its way to the app, so two subjects sharing a prefix
 * were one user. Now a sub longer than the tenant's max_sub_length is refused, never cut.
 */
static void
test_sub_length(void)
{
	struct tg_verdict v = { 0 };
	char *doc;

	doc = sub_of(256);
	expect("a sub of the default 256 bytes", doc, TG_R_NONE);
	free(doc);
	doc = sub_of(257);
	expect("a sub of 257 bytes", doc, TG_R_SUB_TOO_LONG);
	check_json(doc, &v);
	is_str(v.why, "the \"sub\" claim is 257 bytes, more than the tenant's max_sub_length of 256",
	       "the sentence gives both lengths and names the setting");
	free(doc);
	tenant.max_sub_length = 1000;
	doc = sub_of(1000);
	expect("a 1000-byte sub when the tenant allows 1000", doc, TG_R_NONE);
	free(doc);
	tenant.max_sub_length = 8;
	doc = sub_of(9);
	expect("a 9-byte sub when the tenant allows 8", doc, TG_R_SUB_TOO_LONG);
	free(doc);
	tenant.max_sub_length = TG_DEFAULT_MAX_SUB_LENGTH;
}

static bool
is_letter(const void *set, const char *word, size_t len)
{
	return len == 1 && strchr(set, word[0]) != NULL;
}

static void
test_has_words(void)
{
	ok(claims_has_words("a  b ", is_letter, "abc"), "every word in the set");
	ok(!claims_has_words("a bb", is_letter, "abc"), "one word not in it");
	ok(claims_has_words("   ", is_letter, ""), "no words: nothing to miss");
}

/* A refresh's scope against the session's (RFC 6749 6): a subset, as a string or an array. */
static void
test_scope_has(void)
{
	struct json_object *str = json_tokener_parse("\"read write\"");
	struct json_object *arr = json_tokener_parse("[\"read\", \"write\"]");
	struct json_object *num = json_tokener_parse("7");

	ok(claims_scope_has(str, "write read") && claims_scope_has(arr, "write"),
	   "scope: a subset of a string or an array");
	ok(!claims_scope_has(str, "read admin") && !claims_scope_has(arr, "rea"),
	   "scope: a word beyond it, or a word's prefix, is not in it");
	ok(!claims_scope_has(num, "7"), "scope: a number holds no words");
	json_object_put(str);
	json_object_put(arr);
	json_object_put(num);
}

int
main(void)
{
	tenant.id = "t1";
	tenant.max_lifetime = TG_DEFAULT_MAX_LIFETIME;
	tenant.leeway = TG_DEFAULT_LEEWAY;
	tenant.max_sub_length = TG_DEFAULT_MAX_SUB_LENGTH;
	test_required();
	test_sub_length();
	test_expiry_boundaries();
	test_iat_nbf_boundaries();
	test_issuer_audience();
	test_tenant_settings();
	test_lookup();
	test_require();
	test_has_words();
	test_scope_has();
	return done_testing();
}
