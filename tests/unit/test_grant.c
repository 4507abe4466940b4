/*
 * The cached grant's bytes: what encoding keeps of a verified token (user,
 * session, amr, the tenant's refusal, sanitised variables), that decoding
 * gives it back, and that decoding refuses bytes it did not write.
 */
#include "role/grant.h"

#include "base/json_strict.h"

#include "../lib/tap.h"

#include <json.h>
#include <stdlib.h>

static struct tg_tenant *tenant;

/* A verified token of tenant "acme" whose payload is the JSON text claims. */
static struct tg_verified *
verified(const char *claims, bool is_gateway)
{
	struct tg_verified *v = tg_xcalloc(1, sizeof(*v));
	struct tg_why why;

	if (json_strict_parse(claims, strlen(claims), &v->claims, &why) != TG_OK)
		diag("bad test claims %s: %s", claims, why.text);
	v->tenant = tg_xstrdup("acme");
	v->sub = tg_xstrdup("ali\nce");
	v->kid = tg_xstrdup("k1");
	v->exp = 1700000060;
	v->is_gateway = is_gateway;
	return v;
}

/* The name/value pairs after the head's strings, as "NAME=value;" for one comparison. */
static char *
vars_text(const struct grant *g)
{
	const char *at = g->vars;
	char *s = tg_xstrdup(""), *more;

	for (uint32_t i = 0; i < g->head.nvars; i++) {
		const char *name = at, *value = at + strlen(at) + 1;

		more = tg_xasprintf("%s%s=%s;", s, name, value);
		free(s);
		s = more;
		at = value + strlen(value) + 1;
	}
	return s;
}

static void
test_round_trip(void)
{
	struct tg_verified *v = verified("{\"sub\":\"x\",\"sid\":\"S1\","
					 "\"amr\":[\"pwd\",\"otp\",1],\"role\":\"admin\","
					 "\"org\":{\"name\":\"Acme\\u0007\"},"
					 "\"groups\":[\"a\",3,null],\"note\":null}", true);
	struct grant g;
	char *data = NULL, *vars;
	size_t size = 0;

	grant_encode(v, tenant, &data, &size);
	ok(grant_decode(data, size, &g) == TG_OK, "a grant decodes (%zu bytes)", size);
	is_str(g.tenant, "acme", "tenant");
	is_str(g.user, "ali?ce", "user, sanitised");
	is_str(g.sid, "S1", "sid");
	is_str(g.refusal, "", "no refusal: the tenant requires nothing");
	is_str(g.kid, "k1", "kid");
	is_str(g.exp, "1700000060", "exp as its variable says it");
	ok(g.head.exp == 1700000060 && g.head.is_gateway, "head: exp and the gateway flag");
	ok(g.amr.n == 2 && grant_has_amr(&g.amr, "otp  pwd") && !grant_has_amr(&g.amr, "hwk") &&
	   !grant_has_amr(&g.amr, "pw"), "amr: the array's strings, whole words only");
	vars = vars_text(&g);
	is_str(vars, "SID=S1;AMR=pwd otp 1;CLAIM_ROLE=admin;CLAIM_ORG_NAME=Acme?;"
	       "CLAIM_GROUPS=a 3 null;",
	       "variables: SID, AMR, mapped claims in order, none for a null claim");
	free(vars);
	free(data);
	verified_free(v);
}

/* The auth_time the authorizer's max age is measured from: whole seconds, 0 when absent. */
static void
test_auth_time(void)
{
	static const struct {
		const char *claims;
		int64_t want;
		const char *name;
	} cases[] = {
		{ "{\"auth_time\":1699999000}", 1699999000, "an integer auth_time" },
		{ "{\"auth_time\":1699999000.75}", 1699999000, "a fractional one, in whole seconds" },
		{ "{}", 0, "none: 0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tg_verified *v = verified(cases[i].claims, false);
		struct grant g;
		char *data = NULL;
		size_t size = 0;

		grant_encode(v, tenant, &data, &size);
		ok(grant_decode(data, size, &g) == TG_OK && g.head.auth_time == cases[i].want, "%s",
		   cases[i].name);
		free(data);
		verified_free(v);
	}
}

static void
test_amr_string(void)
{
	struct tg_verified *v = verified("{\"amr\":\" pwd  otp \"}", false);
	struct grant g;
	char *data = NULL;
	size_t size = 0;

	grant_encode(v, tenant, &data, &size);
	ok(grant_decode(data, size, &g) == TG_OK && g.amr.n == 2 &&
	   grant_has_amr(&g.amr, "pwd otp") && !g.head.is_gateway && *g.sid == '\0',
	   "amr as a space-separated string: its words; no sid, not a gateway token");
	free(data);
	verified_free(v);
}

static void
expect_refusal(const char *claims, const char *refusal, const char *name)
{
	struct tg_verified *v = verified(claims, false);
	struct grant g;
	char *data = NULL;
	size_t size = 0;

	grant_encode(v, tenant, &data, &size);
	ok(grant_decode(data, size, &g) == TG_OK && strcmp(g.refusal, refusal) == 0, "%s", name);
	if (grant_decode(data, size, &g) == TG_OK && strcmp(g.refusal, refusal) != 0)
		diag("refusal \"%s\"", g.refusal);
	free(data);
	verified_free(v);
}

static void
test_refusal(void)
{
	strlist_add(&tenant->require_claims, "role=admin");
	strlist_add(&tenant->require_amr, "otp");
	expect_refusal("{\"role\":\"admin\",\"amr\":[\"otp\"]}", "", "required claim and amr met");
	expect_refusal("{\"role\":\"user\",\"amr\":[\"pwd\"]}",
		       "the token does not carry the required \"role\" claim value",
		       "required claims are checked first");
	/* RFC 9470: a missing method is a step-up (401) the authorizer asks for, not a 403. */
	expect_refusal("{\"role\":\"admin\",\"amr\":\"pwd\"}", "",
		       "the tenant's amr is not the grant's refusal: authz.c checks it per request");
	strlist_free(&tenant->require_claims);
	strlist_free(&tenant->require_amr);
}

/*
 * Bytes the cache may hand back are not trusted: every cut of a whole grant
 * is refused, and a gateway flag of 2 (a bool loaded from it is undefined:
 * UBSan stopped the worker, found by fuzz_grant) is refused before any read.
 */
static void
test_damaged(void)
{
	struct tg_verified *v = verified("{\"sid\":\"S1\",\"amr\":[\"pwd\"],\"role\":\"r\"}", true);
	struct grant g = { .tenant = "untouched" };
	char *data = NULL;
	size_t size = 0, refused = 0;

	grant_encode(v, tenant, &data, &size);
	for (size_t n = 0; n < size; n++)
		refused += grant_decode(data, n, &g) == TG_ERR_INVALID;
	is_int(refused, size, "every one of the %zu cuts of a grant is refused", size);
	is_str(g.tenant, "untouched", "a refused decode writes nothing");
	data[offsetof(struct grant_head, is_gateway)] = 2;
	ok(grant_decode(data, size, &g) == TG_ERR_INVALID, "a gateway flag of 2 is refused");
	free(data);
	verified_free(v);
}

static void
test_sanitize(void)
{
	char out[16];
	char long_in[64];

	grant_sanitize("a\tb\x7f" "c", 5, out, sizeof(out));
	is_str(out, "a?b?c", "C0 and DEL replaced");
	grant_sanitize("caf\xc3\xa9", 5, out, sizeof(out));
	is_str(out, "caf\xc3\xa9", "valid UTF-8 kept");
	grant_sanitize("\xc2\x85x", 3, out, sizeof(out));
	is_str(out, "??x", "C1 control (NEL) replaced");
	grant_sanitize("\xff\xc3", 2, out, sizeof(out));
	is_str(out, "??", "invalid and truncated UTF-8 replaced");
	grant_sanitize("\xed\xa0\x80", 3, out, sizeof(out));
	is_str(out, "???", "encoded surrogate replaced");
	memset(long_in, 'x', sizeof(long_in));
	is_int(grant_sanitize(long_in, sizeof(long_in), out, sizeof(out)), 15, "bounded length");
	grant_sanitize("abcdefghijklm\xc3\xa9\xc3\xa9", 17, out, sizeof(out));
	is_str(out, "abcdefghijklm\xc3\xa9", "a cut never splits a character");
}

int
main(void)
{
	tenant = tenant_new("acme");
	strlist_add(&tenant->map_claims, "role=ROLE");
	strlist_add(&tenant->map_claims, "org.name=org_name");
	strlist_add(&tenant->map_claims, "note=NOTE");
	strlist_add(&tenant->map_claims, "groups=GROUPS");
	test_sanitize();
	test_round_trip();
	test_amr_string();
	test_auth_time();
	test_refusal();
	test_damaged();
	tenant_free(tenant);
	return done_testing();
}
