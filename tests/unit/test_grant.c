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
	struct tg_verdict verdict = { 0 };
	struct grant g;
	char *data = NULL, *vars;
	size_t size = 0;

	ok(grant_encode(v, tenant, &data, &size, &verdict) == TG_OK, "encoded");
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
		struct tg_verdict verdict = { 0 };
		struct grant g;
		char *data = NULL;
		size_t size = 0;

		grant_encode(v, tenant, &data, &size, &verdict);
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
	struct tg_verdict verdict = { 0 };
	struct grant g;
	char *data = NULL;
	size_t size = 0;

	ok(grant_encode(v, tenant, &data, &size, &verdict) == TG_OK, "encoded");
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
	struct tg_verdict verdict = { 0 };
	struct grant g;
	char *data = NULL;
	size_t size = 0;

	ok(grant_encode(v, tenant, &data, &size, &verdict) == TG_OK, "encoded");
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
	struct tg_verdict verdict = { 0 };
	struct grant g = { .tenant = "untouched" };
	char *data = NULL;
	size_t size = 0, refused = 0;

	ok(grant_encode(v, tenant, &data, &size, &verdict) == TG_OK, "encoded");
	for (size_t n = 0; n < size; n++)
		refused += grant_decode(data, n, &g) == TG_ERR_INVALID;
	is_int(refused, size, "every one of the %zu cuts of a grant is refused", size);
	is_str(g.tenant, "untouched", "a refused decode writes nothing");
	data[offsetof(struct grant_head, is_gateway)] = 2;
	ok(grant_decode(data, size, &g) == TG_ERR_INVALID, "a gateway flag of 2 is refused");
	free(data);
	verified_free(v);
}

/* s of n bytes of c, as a JSON string member "name". */
static char *
member_of(const char *name, size_t n, char c)
{
	char *run = tg_xmalloc(n + 1), *doc;

	memset(run, c, n);
	run[n] = '\0';
	doc = tg_xasprintf("\"%s\":\"%s\"", name, run);
	free(run);
	return doc;
}

/* The claims' grant: TG_OK with the value of variable name in *value (malloc'd), or the verdict. */
static enum tg_err
encode_var(const char *claims, const char *sub, const char *name, char **value,
	   struct tg_verdict *verdict)
{
	struct tg_verified *v = verified(claims, false);
	const char *at;
	struct grant g;
	char *data = NULL;
	size_t size = 0;
	enum tg_err rc;

	free(v->sub);
	v->sub = tg_xstrdup(sub);
	*value = NULL;
	rc = grant_encode(v, tenant, &data, &size, verdict);
	if (rc == TG_OK && grant_decode(data, size, &g) == TG_OK) {
		*value = strcmp(name, "SUB") == 0 ? tg_xstrdup(g.user) : NULL;
		at = g.vars;
		for (uint32_t i = 0; i < g.head.nvars && !*value; i++) {
			if (strcmp(at, name) == 0)
				*value = tg_xstrdup(at + strlen(at) + 1);
			at += strlen(at) + 1;
			at += strlen(at) + 1;
		}
	}
	free(data);
	verified_free(v);
	return rc;
}

/*
 * Issue 12: values were cut at 512 bytes, so two roles (or users) sharing a 512-byte prefix
 * were one for the app. A claim variable too long now refuses the token; a sub is never cut.
 */
static void
test_never_cut(void)
{
	struct tg_verdict verdict = { 0 };
	char *m512 = member_of("role", 512, 'r'), *m513 = member_of("role", 513, 'r');
	char *doc, *value = NULL, *sub = tg_xmalloc(1001);
	enum tg_err rc;

	doc = tg_xasprintf("{%s}", m512);
	rc = encode_var(doc, "alice", "CLAIM_ROLE", &value, &verdict);
	ok(rc == TG_OK && value && strlen(value) == 512, "a 512-byte mapped claim passes whole");
	free(value);
	free(doc);
	doc = tg_xasprintf("{%s}", m513);
	rc = encode_var(doc, "alice", "CLAIM_ROLE", &value, &verdict);
	is_int(rc, TG_ERR_REJECTED, "a 513-byte mapped claim refuses the token");
	is_str(tg_reason_code(verdict.reason), "claim_too_long", "with reason claim_too_long");
	is_str(verdict.why, "the \"role\" claim is longer than the 512 bytes TOKENGATE_CLAIM_ROLE "
	       "may pass; the token's issuer must shorten it", "the sentence names claim and variable");
	ok(value == NULL, "and no grant is made");
	free(doc);
	doc = tg_xasprintf("{\"groups\":[\"%.300s\",\"%.300s\"]}", m512 + 8, m512 + 8);
	rc = encode_var(doc, "alice", "CLAIM_GROUPS", &value, &verdict);
	ok(rc == TG_ERR_REJECTED && strstr(verdict.why, "\"groups\""),
	   "an array whose joined text is too long is refused too");
	free(doc);
	doc = tg_xasprintf("{\"amr\":[\"%.300s\",\"%.300s\"]}", m512 + 8, m512 + 8);
	rc = encode_var(doc, "alice", "AMR", &value, &verdict);
	ok(rc == TG_ERR_REJECTED && strstr(verdict.why, "TOKENGATE_AMR"), "so is a long amr");
	free(doc);
	memset(sub, 's', 1000);
	sub[1000] = '\0';
	rc = encode_var("{}", sub, "SUB", &value, &verdict);
	ok(rc == TG_OK && value && strcmp(value, sub) == 0,
	   "a 1000-byte sub (a tenant's max_sub_length allows it) reaches the grant whole");
	free(value);
	free(sub);
	free(m512);
	free(m513);
}

static void
test_long_names(void)
{
	struct tg_verdict verdict = { 0 };
	char name[80], *spec, *value = NULL;

	memset(name, 'N', 64);
	name[64] = '\0';
	spec = tg_xasprintf("role=%s", name);
	strlist_add(&tenant->map_claims, spec);
	free(spec);
	spec = tg_xasprintf("CLAIM_%s", name);
	ok(encode_var("{\"role\":\"admin\"}", "alice", spec, &value, &verdict) == TG_OK && value &&
	   strcmp(value, "admin") == 0, "a 64-character NAME (tokengatectl's longest) is whole");
	free(value);
	free(spec);
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
	test_never_cut();
	test_long_names();
	tenant_free(tenant);
	return done_testing();
}
