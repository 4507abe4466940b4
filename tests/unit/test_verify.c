/*
 * The one validation path against a real store: tenant resolution by issuer
 * and by pin, kid selection, the alg-confusion and cross-tenant attacks, key
 * retirement, and changes made through the store seen after a keyring refresh.
 */
#include "jose/jws.h"
#include "store/store.h"
#include "jose/verify.h"

#include "../lib/tap.h"

#include <json.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct tg_store *st;
static struct keyring *kr;

static void
add_tenant(const char *id, const char *issuer)
{
	struct tg_tenant *t = tenant_new(id);

	t->issuer = issuer ? tg_xstrdup(issuer) : NULL;
	if (store_tenant_add(st, t) != TG_OK)
		diag("store_tenant_add %s failed", id);
	tenant_free(t);
}

/* Stores the public half (or the secret) of key under tenant, returns the key for signing. */
static void
store_key(const char *tenant, const struct tg_key *k, enum tg_key_use use)
{
	struct tg_key_record r = { .tenant = (char *)(uintptr_t)tenant, .kid = k->kid, .alg = k->alg,
				   .state = TG_KEY_ACTIVE, .use = use, .created = time(NULL) };
	struct tg_key *pub = NULL;

	if (k->is_private && use == TG_KEY_USE_VERIFY) {
		/* a verification key is stored public-only, as `key add --pem` would */
		keys_public_half(k, &pub);
		keys_export(pub, &r.material);
		key_free(pub);
	} else {
		keys_export(k, &r.material);
	}
	if (store_key_add(st, &r) != TG_OK)
		diag("store_key_add %s/%s failed", tenant, k->kid);
	secret_free(&r.material);
}

static char *
mint(const struct tg_key *k, const char *iss, const char *sub, long long ttl)
{
	struct json_object *p = json_object_new_object();
	char *tok = NULL;
	long long now = time(NULL);

	if (iss)
		json_object_object_add(p, "iss", json_object_new_string(iss));
	json_object_object_add(p, "sub", json_object_new_string(sub));
	json_object_object_add(p, "iat", json_object_new_int64(now));
	json_object_object_add(p, "exp", json_object_new_int64(now + ttl));
	if (jws_sign(k, p, &tok) != TG_OK)
		diag("jws_sign failed for %s", alg_name(k->alg));
	json_object_put(p);
	return tok;
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
expect(const char *name, const char *tenant, const char *tok, enum tg_reason want)
{
	struct tg_verified *out = NULL;
	struct tg_verdict v = { 0 };
	enum tg_err rc;

	if (keyring_refresh(kr, st, NULL) != TG_OK)
		diag("keyring_refresh failed");
	rc = verify_token(kr, tenant, tok ? tok : "", tok ? strlen(tok) : 0, time(NULL), &out, &v);
	if (want == TG_R_NONE) {
		if (!ok(rc == TG_OK && out, "%s: accepted", name))
			diag("rejected: %s: %s", tg_reason_code(v.reason), v.why);
	} else if (!ok(rc == TG_ERR_REJECTED && v.reason == want, "%s: rejected as %s", name,
		       tg_reason_code(want))) {
		diag("got rc %d, %s: %s", rc, tg_reason_code(v.reason), v.why);
	}
	verified_free(out);
}

int
main(void)
{
	char dir[] = "/tmp/tg-test-verify-XXXXXX";
	struct tg_key *hs = NULL, *hs_other = NULL, *rs = NULL, *es = NULL, *ed = NULL,
		      *b_hs = NULL, *late = NULL;
	struct tg_verified *out = NULL;
	struct tg_verdict v = { 0 };
	const char *why = NULL;
	char *tok;
	bool changed = false;

	if (!mkdtemp(dir) || store_open(dir, true, &st, &why) != TG_OK) {
		ok(0, "store opens: %s", why ? why : "mkdtemp failed");
		return done_testing();
	}
	kr = keyring_new();
	add_tenant("acme", "https://acme.example");
	add_tenant("beta", "https://beta.example");
	add_tenant("nois", NULL);
	keys_generate("hs1", TG_ALG_HS256, &hs);
	keys_generate("hs2", TG_ALG_HS256, &hs_other);
	keys_generate("rs1", TG_ALG_RS256, &rs);
	keys_generate("es1", TG_ALG_ES256, &es);
	keys_generate("ed1", TG_ALG_EDDSA, &ed);
	keys_generate("hs1", TG_ALG_HS256, &b_hs);
	store_key("acme", hs, TG_KEY_USE_VERIFY);
	store_key("acme", rs, TG_KEY_USE_VERIFY);
	store_key("acme", es, TG_KEY_USE_VERIFY);
	store_key("acme", ed, TG_KEY_USE_VERIFY);
	store_key("beta", b_hs, TG_KEY_USE_VERIFY);
	store_key("nois", hs_other, TG_KEY_USE_VERIFY);

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
	keyring_refresh(kr, st, NULL);
	ok(verify_token(kr, NULL, tok, strlen(tok), time(NULL), &out, &v) == TG_OK,
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

	/* Tenant beta's key shares the kid "hs1": a token it signs must not pass as acme's. */
	tok = mint(b_hs, "https://acme.example", "user-1", 30);
	expect("other tenant's key, same kid, claims acme's issuer", NULL, tok, TG_R_BAD_SIGNATURE);
	free(tok);
	tok = mint(b_hs, "https://beta.example", "user-1", 30);
	expect("beta's own token", NULL, tok, TG_R_NONE);
	free(tok);

	tok = mint(hs_other, NULL, "user-1", 30);
	expect("no iss and no pin", NULL, tok, TG_R_UNKNOWN_TENANT);
	expect("no iss, pinned tenant without issuer", "nois", tok, TG_R_NONE);
	expect("pinned to a tenant whose keys did not sign it", "acme", tok, TG_R_UNKNOWN_KEY);
	free(tok);
	tok = mint(hs, "https://nobody.example", "user-1", 30);
	expect("unknown issuer", NULL, tok, TG_R_UNKNOWN_TENANT);
	free(tok);

	/* HS256 token whose kid names the RSA key: the key's one alg wins. */
	{
		struct tg_key *confused = NULL;

		keys_from_secret("rs1", TG_ALG_HS256, hs->secret.p, hs->secret.len, &confused, &why);
		tok = mint(confused, "https://acme.example", "user-1", 30);
		expect("HS256 token naming the RS256 key", NULL, tok, TG_R_ALG_MISMATCH);
		free(tok);
		key_free(confused);
	}
	tok = mint(hs_other, "https://beta.example", "user-1", 30);
	expect("unknown kid", NULL, tok, TG_R_UNKNOWN_KEY);
	free(tok);
	tok = mint(es, "https://beta.example", "user-1", 30);
	expect("kid of a key only another tenant has", NULL, tok, TG_R_UNKNOWN_KEY);
	free(tok);

	tok = mint_without_kid(hs, "https://acme.example", "user-1", 30);
	expect("no kid: the tenant's keys of that alg are tried", NULL, tok, TG_R_NONE);
	free(tok);
	tok = mint_without_kid(es, "https://beta.example", "user-1", 30);
	expect("no kid, alg the tenant has no key for", NULL, tok, TG_R_ALG_MISMATCH);
	free(tok);
	tok = mint_without_kid(hs_other, "https://beta.example", "user-1", 30);
	expect("no kid, no key of the tenant verifies", NULL, tok, TG_R_BAD_SIGNATURE);
	free(tok);

	tok = mint(hs, "https://acme.example", "user-1", -30);
	expect("expired", NULL, tok, TG_R_EXPIRED);
	free(tok);
	tok = mint(hs, "https://acme.example", "user-1", 3600);
	expect("lifetime too long", NULL, tok, TG_R_LIFETIME_TOO_LONG);
	free(tok);
	expect("empty token", NULL, "", TG_R_MALFORMED);
	expect("garbage", NULL, "a.b.c", TG_R_MALFORMED);

	/* Changes through the store are seen after a refresh, and only then reload. */
	keyring_refresh(kr, st, &changed);
	keyring_refresh(kr, st, &changed);
	ok(!changed, "refresh without a store change reloads nothing");
	tok = mint(hs, "https://acme.example", "user-1", 30);
	store_key_set_state(st, "acme", "hs1", TG_KEY_RETIRED);
	keyring_refresh(kr, st, &changed);
	ok(changed, "retiring a key changes the generation");
	expect("retired key no longer verifies", NULL, tok, TG_R_UNKNOWN_KEY);
	store_key_set_state(st, "acme", "hs1", TG_KEY_ACTIVE);
	expect("reactivated key verifies", NULL, tok, TG_R_NONE);
	store_key_remove(st, "acme", "hs1");
	expect("removed key", NULL, tok, TG_R_UNKNOWN_KEY);
	free(tok);
	keys_generate("late", TG_ALG_HS384, &late);
	tok = mint(late, "https://acme.example", "user-1", 30);
	expect("key not yet added", NULL, tok, TG_R_UNKNOWN_KEY);
	store_key("acme", late, TG_KEY_USE_SIGN);
	expect("key added later", NULL, tok, TG_R_NONE);
	keyring_refresh(kr, st, NULL);
	ok(keyring_signing_key(kr, "acme") && strcmp(keyring_signing_key(kr, "acme")->kid, "late") == 0,
	   "signing key found");
	ok(keyring_signing_key(kr, "beta") == NULL, "tenant without signing key");
	free(tok);
	store_tenant_remove(st, "acme");
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
	keyring_free(kr);
	store_close(st);
	tap_rmtree(dir);
	return done_testing();
}
