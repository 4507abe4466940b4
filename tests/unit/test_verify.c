/*
 * The one validation path against a keyring built from records in memory:
 * tenant resolution by issuer and by pin, kid selection, the alg-confusion and
 * cross-tenant attacks, key retirement, and changes seen after a reload.
 */
#include "jose/jws.h"
#include "jose/verify.h"

#include "../lib/hand_signed.h"
#include "../lib/keyring_fixture.h"

#include <json.h>
#include <stdlib.h>
#include <time.h>

static struct keyring_fixture f;

/* A token whose iss (when given) and sub are the bytes given, NULs included. */
static char *
mint_bytes(const struct tg_key *k, const char *iss, size_t isslen, const char *sub, size_t sublen,
	   long long ttl)
{
	struct json_object *p = json_object_new_object();
	char *tok = NULL;
	long long now = time(NULL);

	if (iss)
		json_object_object_add(p, "iss", json_object_new_string_len(iss, (int)isslen));
	json_object_object_add(p, "sub", json_object_new_string_len(sub, (int)sublen));
	json_object_object_add(p, "iat", json_object_new_int64(now));
	json_object_object_add(p, "exp", json_object_new_int64(now + ttl));
	if (jws_sign(k, p, &tok) != TG_OK)
		diag("jws_sign failed for %s", alg_name(k->alg));
	json_object_put(p);
	return tok;
}

static char *
mint(const struct tg_key *k, const char *iss, const char *sub, long long ttl)
{
	return mint_bytes(k, iss, iss ? strlen(iss) : 0, sub, strlen(sub), ttl);
}

/* The same token without a "kid" header, so every key of its alg is tried. */
static char *
mint_without_kid(struct tg_key *k, const char *iss, const char *sub, long long ttl)
{
	char *kid = k->kid, *tok;

	k->kid = NULL;
	tok = mint(k, iss, sub, ttl);
	k->kid = kid;
	return tok;
}

static void
expect(const char *name, const char *tenant, const char *tok, enum tg_reason want);

/*
 * Issue 12: the claims checks saw the JSON length while comparisons used C strings, so acme's
 * issuer + "\0" + anything was acme's issuer and "alice\0@evil.example" was alice. Such tokens,
 * signed by acme's own key, are malformed now; a sub longer than max_sub_length is refused.
 */
static void
test_strings(const struct tg_key *hs)
{
	static const char iss[] = "https://acme.example\0.evil.example";
	static const char sub[] = "alice\0@evil.example", admin[] = "\0admin";
	char *tok, *long_sub = tg_xmalloc(258);

	tok = mint_bytes(hs, iss, sizeof(iss) - 1, "alice", 5, 30);
	expect("acme's issuer, a NUL and more", NULL, tok, TG_R_MALFORMED);
	expect("acme's issuer, a NUL and more, pinned", "acme", tok, TG_R_MALFORMED);
	free(tok);
	tok = mint_bytes(hs, "https://acme.example", 20, sub, sizeof(sub) - 1, 30);
	expect("sub alice, a NUL and more", NULL, tok, TG_R_MALFORMED);
	free(tok);
	tok = mint_bytes(hs, "https://acme.example", 20, admin, sizeof(admin) - 1, 30);
	expect("sub starting with a NUL", NULL, tok, TG_R_MALFORMED);
	free(tok);
	memset(long_sub, 'x', 257);
	long_sub[257] = '\0';
	tok = mint(hs, "https://acme.example", long_sub + 1, 30);
	expect("a sub of 256 bytes", NULL, tok, TG_R_NONE);
	free(tok);
	tok = mint(hs, "https://acme.example", long_sub, 30);
	expect("a sub of 257 bytes", NULL, tok, TG_R_SUB_TOO_LONG);
	free(tok);
	free(long_sub);
}

static void
expect(const char *name, const char *tenant, const char *tok, enum tg_reason want)
{
	struct tg_verified *out = NULL;
	struct tg_verdict v = { 0 };
	enum tg_err rc;

	rc = verify_token(f.kr, tenant, tok ? tok : "", tok ? strlen(tok) : 0, time(NULL), &out, &v);
	if (want == TG_R_NONE) {
		if (!ok(rc == TG_OK && out, "%s: accepted", name))
			diag("rejected: %s: %s", tg_reason_code(v.reason), v.why);
	} else if (!ok(rc == TG_ERR_REJECTED && v.reason == want, "%s: rejected as %s", name,
		       tg_reason_code(want))) {
		diag("got rc %d, %s: %s", rc, tg_reason_code(v.reason), v.why);
	}
	verified_free(out);
}

/* A token of k with header typ (NULL: no typ member) and payload {sub, exp, extra...}. */
static char *
mint_typed(const struct tg_key *k, const char *typ, const char *extra)
{
	long long now = time(NULL);
	char *text = tg_xasprintf("{\"iss\":\"https://acme.example\",\"sub\":\"u\",\"exp\":%lld%s}",
				  now + 30, extra);
	struct json_object *p = json_tokener_parse(text);
	char *tok = NULL;

	if (typ) {
		if (jws_sign_typed(k, typ, p, &tok) != TG_OK)
			diag("jws_sign_typed failed");
		goto out;
	}
	/* jws_sign always writes a typ: an untyped token (as many libraries make) by hand. */
	tok = hand_signed_hs256(&k->secret, "{\"alg\":\"HS256\"}", text);
out:
	json_object_put(p);
	free(text);
	return tok;
}

static void
expect_typed(const char *name, const struct tg_key *k, const char *typ, const char *extra,
	     enum tg_reason want)
{
	char *tok = mint_typed(k, typ, extra);

	expect(name, NULL, tok, want);
	free(tok);
}

/* RFC 8725 3.11 explicit typing; RFC 9068's at+jwt, RFC 7515 4.1.9's comparison. */
static void
test_types(const struct tg_key *hs)
{
	expect_typed("typ JWT, the tenant requires none", hs, "JWT", "", TG_R_NONE);
	expect_typed("no typ, the tenant requires none", hs, NULL, "", TG_R_NONE);
	expect_typed("typ logout+jwt (a logout token)", hs, "logout+jwt", "", TG_R_WRONG_TYPE);
	expect_typed("typ application/secevent+jwt", hs, "application/secevent+jwt", "",
		     TG_R_WRONG_TYPE);
	expect_typed("an untyped logout token (events claim)", hs, "JWT",
		     ",\"events\":{\"http://schemas.openid.net/event/backchannel-logout\":{}}",
		     TG_R_WRONG_TYPE);
	kf_find_tenant(&f, "acme")->require_typ = tg_xstrdup("at+jwt");
	kf_load(&f);
	expect_typed("require_typ at+jwt: at+jwt", hs, "at+jwt", "", TG_R_NONE);
	expect_typed("require_typ at+jwt: application/AT+JWT (case, prefix)", hs,
		     "application/AT+JWT", "", TG_R_NONE);
	expect_typed("require_typ at+jwt: an ID token (typ JWT)", hs, "JWT", "", TG_R_WRONG_TYPE);
	expect_typed("require_typ at+jwt: no typ", hs, NULL, "", TG_R_WRONG_TYPE);
	expect_typed("require_typ at+jwt: application/at+jwt/x is another type", hs,
		     "application/at+jwt/x", "", TG_R_WRONG_TYPE);
	free(kf_find_tenant(&f, "acme")->require_typ);
	kf_find_tenant(&f, "acme")->require_typ = NULL;
	kf_load(&f);
}

/* RFC 9864: a token may name the EdDSA key's algorithm Ed25519, and the other way round. */
static void
test_ed25519_names(const struct tg_key *ed)
{
	struct tg_secret der = { 0 };
	struct tg_key *as_ed25519 = NULL, *other = NULL;
	char *tok;

	keys_export(ed, &der);
	keys_import("ed1", TG_ALG_ED25519, true, der.p, der.len, &as_ed25519);
	tok = mint(as_ed25519, "https://acme.example", "user-1", 30);
	expect("alg Ed25519 token, key added as EdDSA", NULL, tok, TG_R_NONE);
	free(tok);
	tok = mint_without_kid(as_ed25519, "https://acme.example", "user-1", 30);
	expect("alg Ed25519 without kid: the EdDSA key is tried", NULL, tok, TG_R_NONE);
	free(tok);
	keys_generate("ed1", TG_ALG_ED25519, &other);
	tok = mint(other, "https://acme.example", "user-1", 30);
	expect("alg Ed25519 token of another Ed25519 key", NULL, tok, TG_R_BAD_SIGNATURE);
	free(tok);
	secret_free(&der);
	key_free(as_ed25519);
	key_free(other);
}

int
main(void)
{
	struct tg_key *hs = NULL, *hs_other = NULL, *rs = NULL, *es = NULL, *ed = NULL,
		      *b_hs = NULL, *late = NULL, *confused = NULL;
	struct tg_verified *out = NULL;
	struct tg_verdict v = { 0 };
	char *tok;

	kf_init(&f);
	kf_tenant(&f, "acme", "https://acme.example");
	kf_tenant(&f, "beta", "https://beta.example");
	kf_tenant(&f, "nois", NULL);
	keys_generate("hs1", TG_ALG_HS256, &hs);
	keys_generate("hs2", TG_ALG_HS256, &hs_other);
	rs = kf_pem_key("rs1", TG_ALG_RS256);
	es = kf_pem_key("es1", TG_ALG_ES256);
	keys_generate("ed1", TG_ALG_EDDSA, &ed);
	keys_generate("hs1", TG_ALG_HS256, &b_hs);
	/* acme's HS256 secret under the RSA key's kid: HS256 tokens that name the RSA key. */
	keys_from_secret("rs1", TG_ALG_HS256, hs->secret.p, hs->secret.len, &confused, NULL);
	kf_key(&f, "acme", hs, TG_KEY_USE_VERIFY, time(NULL));
	kf_key(&f, "acme", rs, TG_KEY_USE_VERIFY, time(NULL));
	kf_key(&f, "acme", es, TG_KEY_USE_VERIFY, time(NULL));
	kf_key(&f, "acme", ed, TG_KEY_USE_VERIFY, time(NULL));
	kf_key(&f, "beta", b_hs, TG_KEY_USE_VERIFY, time(NULL));
	kf_key(&f, "nois", hs_other, TG_KEY_USE_VERIFY, time(NULL));
	kf_load(&f);

	for (const struct tg_key *const *k = (const struct tg_key *const[]){ hs, rs, es, ed, NULL }; *k;
	     k++) {
		char name[64];

		tok = mint(*k, "https://acme.example", "user-1", 30);
		snprintf(name, sizeof(name), "%s by issuer", alg_name((*k)->alg));
		expect(name, NULL, tok, TG_R_NONE);
		snprintf(name, sizeof(name), "%s pinned tenant", alg_name((*k)->alg));
		expect(name, "acme", tok, TG_R_NONE);
		free(tok);
	}

	tok = mint(hs, "https://acme.example", "user-1", 30);
	ok(verify_token(f.kr, NULL, tok, strlen(tok), time(NULL), &out, &v) == TG_OK,
	   "result for an accepted token");
	if (out) {
		is_str(out->tenant, "acme", "result tenant");
		is_str(out->sub, "user-1", "result sub");
		is_str(out->kid, "hs1", "result kid");
		is_int(out->alg, TG_ALG_HS256, "result alg");
		ok(out->exp > time(NULL), "result exp");
		ok(out->claims && json_object_object_get_ex(out->claims, "iat", NULL), "result claims");
	}
	verified_free(out);
	expect("pinned to another tenant (cross-tenant)", "beta", tok, TG_R_BAD_SIGNATURE);
	expect("pinned to unknown tenant", "nobody", tok, TG_R_UNKNOWN_TENANT);
	free(tok);
	test_strings(hs);

	{
		/* Each a token minted for sub user-1 and checked once, by issuer or pinned. */
		const struct {
			struct tg_key *key;
			bool has_kid;
			const char *iss;
			long long ttl;
			const char *pin, *name;
			enum tg_reason want;
		} cases[] = {
			/* Tenant beta's key shares the kid "hs1": its token must not pass as acme's. */
			{ b_hs, true, "https://acme.example", 30, NULL,
			  "other tenant's key, same kid, claims acme's issuer", TG_R_BAD_SIGNATURE },
			{ b_hs, true, "https://beta.example", 30, NULL, "beta's own token", TG_R_NONE },
			{ hs_other, true, NULL, 30, NULL, "no iss and no pin", TG_R_UNKNOWN_TENANT },
			{ hs_other, true, NULL, 30, "nois", "no iss, pinned tenant without issuer",
			  TG_R_NONE },
			{ hs_other, true, NULL, 30, "acme",
			  "pinned to a tenant whose keys did not sign it", TG_R_UNKNOWN_KEY },
			{ hs, true, "https://nobody.example", 30, NULL, "unknown issuer",
			  TG_R_UNKNOWN_TENANT },
			/* The key's one alg wins over the token's. */
			{ confused, true, "https://acme.example", 30, NULL,
			  "HS256 token naming the RS256 key", TG_R_ALG_MISMATCH },
			{ hs_other, true, "https://beta.example", 30, NULL, "unknown kid",
			  TG_R_UNKNOWN_KEY },
			{ es, true, "https://beta.example", 30, NULL,
			  "kid of a key only another tenant has", TG_R_UNKNOWN_KEY },
			{ hs, false, "https://acme.example", 30, NULL,
			  "no kid: the tenant's keys of that alg are tried", TG_R_NONE },
			{ es, false, "https://beta.example", 30, NULL,
			  "no kid, alg the tenant has no key for", TG_R_ALG_MISMATCH },
			{ hs_other, false, "https://beta.example", 30, NULL,
			  "no kid, no key of the tenant verifies", TG_R_BAD_SIGNATURE },
			{ hs, true, "https://acme.example", -30, NULL, "expired", TG_R_EXPIRED },
			{ hs, true, "https://acme.example", 3600, NULL, "lifetime too long",
			  TG_R_LIFETIME_TOO_LONG },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			tok = cases[i].has_kid
				  ? mint(cases[i].key, cases[i].iss, "user-1", cases[i].ttl)
				  : mint_without_kid(cases[i].key, cases[i].iss, "user-1", cases[i].ttl);
			expect(cases[i].name, cases[i].pin, tok, cases[i].want);
			free(tok);
		}
	}
	test_types(hs);
	test_ed25519_names(ed);
	expect("empty token", NULL, "", TG_R_MALFORMED);
	expect("garbage", NULL, "a.b.c", TG_R_MALFORMED);

	/* Changes are seen after a reload (test_keyring_sync: reloads happen when the store moves). */
	tok = mint(hs, "https://acme.example", "user-1", 30);
	kf_find_key(&f, "acme", "hs1")->state = TG_KEY_RETIRED;
	kf_load(&f);
	expect("retired key no longer verifies", NULL, tok, TG_R_UNKNOWN_KEY);
	kf_find_key(&f, "acme", "hs1")->state = TG_KEY_ACTIVE;
	kf_load(&f);
	expect("reactivated key verifies", NULL, tok, TG_R_NONE);
	kf_remove_keys(&f, "acme", "hs1");
	kf_load(&f);
	expect("removed key", NULL, tok, TG_R_UNKNOWN_KEY);
	free(tok);
	keys_generate("late", TG_ALG_HS384, &late);
	tok = mint(late, "https://acme.example", "user-1", 30);
	expect("key not yet added", NULL, tok, TG_R_UNKNOWN_KEY);
	kf_key(&f, "acme", late, TG_KEY_USE_SIGN, time(NULL));
	kf_load(&f);
	expect("key added later", NULL, tok, TG_R_NONE);
	ok(keyring_signing_key(f.kr, "acme") &&
		   strcmp(keyring_signing_key(f.kr, "acme")->kid, "late") == 0,
	   "signing key found");
	ok(keyring_signing_key(f.kr, "beta") == NULL, "tenant without signing key");
	free(tok);
	kf_remove_tenant(&f, "acme");
	kf_load(&f);
	tok = mint(late, "https://acme.example", "user-1", 30);
	expect("removed tenant", NULL, tok, TG_R_UNKNOWN_TENANT);
	free(tok);

	key_free(hs);
	key_free(hs_other);
	key_free(rs);
	key_free(es);
	key_free(ed);
	key_free(b_hs);
	key_free(late);
	key_free(confused);
	kf_fini(&f);
	return done_testing();
}
