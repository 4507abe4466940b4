/*
 * Gateway-issued tokens against a keyring of in-memory records and the
 * project's own verifier: signing keys made per tenant in HS256, ES256 and
 * EdDSA (storing them is test_signing_key's), tokens minted
 * for sessions and verified with the tenant pinned and resolved by "iss",
 * the claims they carry (exp capped by the session, custom claims in the
 * namespace, registered claims never replaced), the refusals, and the JWKS.
 */
#include "jose/mint.h"
#include "jose/verify.h"

#include "../lib/keyring_fixture.h"

#include <json.h>
#include <stdlib.h>
#include <time.h>

static struct keyring_fixture f;
static int64_t now;

static void
add_tenant(const char *id, const char *issuer, const char *audience, const char *ns,
	   const char *alg)
{
	struct tg_tenant *t = kf_tenant(&f, id, issuer);

	t->audience = audience ? tg_xstrdup(audience) : NULL;
	t->claims_ns = ns ? tg_xstrdup(ns) : NULL;
	t->signing_alg = alg ? tg_xstrdup(alg) : NULL;
	t->max_lifetime = 300;
}

static struct tg_session *
new_session(const char *tenant, const char *user, int64_t ttl, const char *claims)
{
	struct tg_session *s = tg_xcalloc(1, sizeof(*s));
	char id[TG_SESSION_ID_LEN + 1];

	if (session_id_new(id) != TG_OK)
		diag("session_id_new failed");
	s->id = tg_xstrdup(id);
	s->tenant = tg_xstrdup(tenant);
	s->user = tg_xstrdup(user);
	s->created = now;
	s->expires = now + ttl;
	s->ttl = ttl;
	if (claims)
		s->claims = json_tokener_parse(claims);
	return s;
}

static const struct tg_tenant *
tenant(const char *id)
{
	return keyring_tenant(f.kr, id);
}

/*
 * signing_key_rotate in memory: a new signing key, created after the others
 * (every tenant's, which can only make it later), loaded. *rc is the result;
 * the record returned is the fixture's.
 */
static const struct tg_key_record *
rotate(const char *tid, enum tg_err *rc)
{
	struct tg_key_record *rec = NULL;

	*rc = mint_signing_key_new(tenant(tid), mint_signing_key_created(f.keys, f.nkeys, now), &rec);
	if (*rc != TG_OK)
		return NULL;
	kf_add_record(&f, rec);
	kf_load(&f);
	return rec;
}

/* n copies of c, NUL-terminated. */
static char *
run_of(char c, size_t n)
{
	char *s = tg_xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Mints for sess with the tenant's current signing key; NULL (and a failed case) on error. */
static char *
mint(const char *tid, const struct tg_session *sess, int64_t lifetime, int64_t *exp)
{
	const struct tg_tenant *t = tenant(tid);
	const struct tg_key *key = keyring_signing_key(f.kr, tid);
	char *tok = NULL;
	enum tg_err rc;

	if (!t || !key) {
		ok(0, "tenant %s and its signing key are in the keyring", tid);
		return NULL;
	}
	rc = mint_access_token(key, t, sess, now, lifetime, &tok, exp);
	if (rc != TG_OK)
		ok(0, "mint for %s: %s", tid, tg_err_str(rc));
	return tok;
}

static struct tg_verified *
verify(const char *pin, const char *tok, struct tg_verdict *v)
{
	struct tg_verified *out = NULL;

	if (!tok || verify_token(f.kr, pin, tok, strlen(tok), now, &out, v) != TG_OK)
		return NULL;
	return out;
}

static const char *
claim_str(const struct json_object *o, const char *name)
{
	struct json_object *m = NULL;

	if (!json_object_object_get_ex(o, name, &m) || !json_object_is_type(m, json_type_string))
		return NULL;
	return json_object_get_string(m);
}

static int64_t
claim_int(const struct json_object *o, const char *name)
{
	struct json_object *m = NULL;

	if (!json_object_object_get_ex(o, name, &m) || !json_object_is_type(m, json_type_int))
		return -1;
	return json_object_get_int64(m);
}

/* One algorithm end to end: rotate, mint, verify pinned and by iss, check every claim. */
static void
round_trip(const char *tid, const char *iss, const char *aud, const char *ns, enum tg_alg alg)
{
	const struct tg_key_record *rec;
	struct tg_session *sess = new_session(tid, "alice", 3600,
					      "{\"role\": \"admin\", \"scope\": \"read\", "
					      "\"org\": {\"id\": 7}}");
	struct tg_verdict v = { 0 };
	struct tg_verified *res;
	struct json_object *custom, *m;
	int64_t exp = 0;
	char *tok;
	const char *name = alg_name(alg);

	enum tg_err rc;

	strlist_add(&sess->amr, "pwd");
	rec = rotate(tid, &rc);
	ok(rc == TG_OK && rec, "%s: rotate", name);
	if (!rec)
		goto out;
	ok(rec->use == TG_KEY_USE_SIGN && rec->alg == alg && rec->state == TG_KEY_ACTIVE &&
		   strncmp(rec->kid, "gw-", 3) == 0 && strlen(rec->kid) == 19 &&
		   strspn(rec->kid + 3, "0123456789abcdef") == 16,
	   "%s: the record is an active signing key, kid gw-<16 hex>", name);
	tok = mint(tid, sess, 120, &exp);
	is_int(exp, now + 120, "%s: exp = now + lifetime", name);

	res = verify(tid, tok, &v);
	if (!ok(res != NULL, "%s: the project's verifier accepts it, tenant pinned", name))
		diag("%s: %s", tg_reason_code(v.reason), v.why);
	verified_free(res);
	res = verify(NULL, tok, &v);
	if (!ok(res != NULL, "%s: accepted with the tenant found by iss", name))
		diag("%s: %s", tg_reason_code(v.reason), v.why);
	if (!res)
		goto free_tok;
	ok(res->is_gateway, "%s: is_gateway", name);
	is_str(res->tenant, tid, "%s: tenant", name);
	is_str(res->kid, rec->kid, "%s: signed by the new key", name);
	is_int(res->alg, alg, "%s: alg", name);
	is_str(claim_str(res->claims, "iss"), iss, "%s: iss", name);
	is_str(claim_str(res->claims, "sub"), "alice", "%s: sub", name);
	is_str(claim_str(res->claims, "tid"), tid, "%s: tid", name);
	is_str(claim_str(res->claims, "sid"), sess->id, "%s: sid", name);
	is_int(claim_int(res->claims, "iat"), now, "%s: iat", name);
	is_int(claim_int(res->claims, "exp"), now + 120, "%s: exp", name);
	ok(claim_str(res->claims, "jti") && strlen(claim_str(res->claims, "jti")) == 22,
	   "%s: jti of 128 bits", name);
	ok(json_object_object_get_ex(res->claims, "amr", &m) && json_object_array_length(m) == 1 &&
		   strcmp(json_object_get_string(json_object_array_get_idx(m, 0)), "pwd") == 0,
	   "%s: amr", name);
	if (aud)
		is_str(claim_str(res->claims, "aud"), aud, "%s: aud", name);
	else
		ok(!json_object_object_get_ex(res->claims, "aud", NULL), "%s: no aud", name);
	is_str(claim_str(res->claims, "scope"), "read", "%s: scope stays at top level", name);
	custom = res->claims;
	if (ns)
		ok(json_object_object_get_ex(res->claims, ns, &custom) &&
			   !json_object_object_get_ex(res->claims, "role", NULL) &&
			   !json_object_object_get_ex(custom, "scope", NULL),
		   "%s: custom claims inside the namespace only", name);
	is_str(claim_str(custom, "role"), "admin", "%s: custom claim role", name);
	ok(json_object_object_get_ex(custom, "org", &m) && claim_int(m, "id") == 7,
	   "%s: a nested custom claim keeps its structure", name);
	verified_free(res);
free_tok:
	free(tok);
out:
	session_free(sess);
}

static void
test_caps_and_refusals(void)
{
	const struct tg_tenant *t = tenant("hs");
	const struct tg_key *key = keyring_signing_key(f.kr, "hs");
	struct tg_session *sess = new_session("hs", "bob", 10, NULL);
	struct tg_session *other = new_session("ed", "bob", 3600, NULL);
	struct tg_session *idle = new_session("hs", "ida", 3600, NULL);
	struct tg_verdict v = { 0 };
	struct tg_verified *res;
	struct json_object *m;
	struct tg_key *plain = NULL;
	char *tok = NULL, *tok2;
	int64_t exp = 0;

	tok = mint("hs", sess, 120, &exp);
	is_int(exp, sess->expires, "exp is capped by the session's expires");
	res = verify("hs", tok, &v);
	ok(res && claim_int(res->claims, "exp") == sess->expires, "the capped token verifies");
	ok(res && json_object_object_get_ex(res->claims, "amr", &m) &&
		   json_object_is_type(m, json_type_array) && json_object_array_length(m) == 0,
	   "no methods: amr is an empty array");
	verified_free(res);
	tok2 = mint("hs", sess, 120, &exp);
	ok(tok && tok2 && strcmp(tok, tok2) != 0, "two tokens for one session differ (jti)");
	free(tok2);
	free(tok);
	tok = NULL;

	ok(mint_access_token(key, t, sess, now, t->max_lifetime + 1, &tok, &exp) == TG_ERR_INVALID &&
		   !tok, "a lifetime above the tenant's max_lifetime is refused");
	ok(mint_access_token(key, t, sess, now, 0, &tok, &exp) == TG_ERR_INVALID && !tok,
	   "a lifetime of 0 is refused");
	ok(mint_access_token(key, t, other, now, 60, &tok, &exp) == TG_ERR_INVALID && !tok,
	   "another tenant's session is refused");
	ok(mint_access_token(keyring_signing_key(f.kr, "ed"), t, sess, now, 60, &tok, &exp) == TG_OK,
	   "another tenant's key signs: mint cannot tell a key's tenant");
	res = verify(NULL, tok, &v);
	ok(!res && v.reason == TG_R_UNKNOWN_KEY, "but that token never verifies for the tenant");
	verified_free(res);
	free(tok);
	tok = NULL;
	ok(mint_access_token(key, t, sess, sess->expires, 60, &tok, &exp) == TG_ERR_REJECTED && !tok,
	   "at now == expires the session is over: refused");
	sess->revoked = now;
	ok(mint_access_token(key, t, sess, now, 60, &tok, &exp) == TG_ERR_REJECTED && !tok,
	   "a revoked session gets no token");
	sess->revoked = 0;
	idle->idle_timeout = 30;
	idle->idle_expires = now + 30;
	tok = mint("hs", idle, 120, &exp);
	is_int(exp, now + 30, "exp is capped by the session's idle deadline too");
	free(tok);
	tok = NULL;
	ok(mint_access_token(key, t, idle, now + 30, 60, &tok, &exp) == TG_ERR_REJECTED && !tok,
	   "an idled-out session gets no token");
	session_free(idle);

	/* A verification-only key: its tokens would skip the authorizer's session check. */
	keys_generate("plain", TG_ALG_HS256, &plain);
	ok(mint_access_token(plain, t, sess, now, 60, &tok, &exp) == TG_ERR_INVALID && !tok,
	   "a key that is not a gateway signing key is refused");
	key_free(plain);

	/* Reserved names handed in unchecked are dropped, never written over the gateway's. */
	json_object_put(sess->claims);
	sess->claims = json_tokener_parse("{\"sub\": \"mallory\", \"sid\": \"x\", \"tid\": \"ed\", "
					  "\"exp\": 9999999999, \"ok\": 1}");
	tok = mint("hs", sess, 5, &exp);
	res = verify(NULL, tok, &v);
	ok(res && strcmp(claim_str(res->claims, "sub"), "bob") == 0 &&
		   strcmp(claim_str(res->claims, "sid"), sess->id) == 0 &&
		   strcmp(claim_str(res->claims, "tid"), "hs") == 0 &&
		   claim_int(res->claims, "exp") == now + 5 && claim_int(res->claims, "ok") == 1,
	   "a custom claim never replaces a registered one");
	verified_free(res);
	free(tok);
	tok = NULL;

	{
		char *big = run_of('x', 7001);

		json_object_put(sess->claims);
		sess->claims = json_object_new_object();
		json_object_object_add(sess->claims, "big", json_object_new_string(big));
		ok(mint_access_token(key, t, sess, now, 60, &tok, &exp) == TG_ERR_TOO_LARGE && !tok,
		   "a token the verifier would refuse as too large is not minted");
		free(big);
	}
	session_free(sess);
	session_free(other);
}

static void
check_claims_case(const char *tid, const char *json, enum tg_err want, const char *desc)
{
	struct json_object *o = json ? json_tokener_parse(json) : NULL;
	struct tg_why why = { "" };
	enum tg_err rc = mint_check_claims(tenant(tid), o, &why);

	if (!ok(rc == want && (rc == TG_OK || why.text[0]), "check_claims: %s", desc))
		diag("got %s (%s)", tg_err_str(rc), why.text[0] ? why.text : "no sentence");
	json_object_put(o);
}

static void
test_check_claims(void)
{
	/* At each limit and one byte past it: a claim name, then the claims' whole text. */
	static const struct {
		size_t name_len; /* {"nn..n":1} with a name this long; 0: */
		size_t len;	 /* {"b":"xx..x"} of this many bytes */
		enum tg_err want;
		const char *what;
	} limits[] = {
		{ TG_MINT_CLAIM_NAME_MAX, 0, TG_OK, "a name of TG_MINT_CLAIM_NAME_MAX bytes" },
		{ TG_MINT_CLAIM_NAME_MAX + 1, 0, TG_ERR_INVALID, "a name one byte longer" },
		{ 0, TG_MINT_CLAIMS_MAX, TG_OK, "claims of exactly TG_MINT_CLAIMS_MAX bytes" },
		{ 0, TG_MINT_CLAIMS_MAX + 1, TG_ERR_INVALID, "one byte more" },
	};

	check_claims_case("hs", NULL, TG_OK, "no claims");
	check_claims_case("hs", "{}", TG_OK, "an empty object");
	check_claims_case("hs", "{\"role\": \"a\", \"scope\": \"read\", \"x\": {\"sub\": 1}}", TG_OK,
			  "ordinary names, scope, a nested sub");
	check_claims_case("hs", "[1]", TG_ERR_INVALID, "an array");
	check_claims_case("hs", "\"s\"", TG_ERR_INVALID, "a string");
	for (const char *const *n = (const char *const[]){ "iss", "sub", "aud", "exp", "nbf", "iat",
							    "jti", "tid", "sid", "amr", "auth_time",
							    "acr", NULL };
	     *n; n++) {
		char *j = tg_xasprintf("{\"%s\": \"v\"}", *n);
		char *d = tg_xasprintf("\"%s\" refused at top level", *n);

		check_claims_case("hs", j, TG_ERR_INVALID, d);
		free(d);
		free(j);
	}
	check_claims_case("es", "{\"sub\": \"v\"}", TG_ERR_INVALID,
			  "\"sub\" refused for a tenant with a namespace too");
	check_claims_case("es", "{\"role\": \"v\"}", TG_OK, "a namespaced tenant's ordinary claim");
	check_claims_case("hs", "{\"\": 1}", TG_ERR_INVALID, "an empty name");
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		char *run = run_of(limits[i].name_len ? 'n' : 'x',
				   limits[i].name_len ? limits[i].name_len : limits[i].len - 8);
		char *json = limits[i].name_len ? tg_xasprintf("{\"%s\":1}", run)
						: tg_xasprintf("{\"b\":\"%s\"}", run);

		check_claims_case("hs", json, limits[i].want, limits[i].what);
		free(json);
		free(run);
	}
}

/* The largest claims check_claims lets through still make a token the verifier takes. */
static void
test_largest_token(void)
{
	struct tg_session *sess = new_session("es", "u", 3600, NULL);
	struct tg_verdict v = { 0 };
	struct tg_verified *res;
	char *big = run_of('x', TG_MINT_CLAIMS_MAX - 9);
	int64_t exp;
	char *tok;

	sess->claims = json_object_new_object();
	json_object_object_add(sess->claims, "b", json_object_new_string(big));
	ok(mint_check_claims(tenant("es"), sess->claims, NULL) == TG_OK, "the largest claims pass");
	tok = mint("es", sess, 60, &exp);
	res = verify(NULL, tok, &v);
	if (!ok(res != NULL, "and their token verifies (%zu bytes)", tok ? strlen(tok) : 0))
		diag("%s: %s", tg_reason_code(v.reason), v.why);
	verified_free(res);
	free(tok);
	free(big);
	session_free(sess);
}

static const char *
signer(const char *tid)
{
	const struct tg_key *k;

	k = keyring_signing_key(f.kr, tid);
	return k ? k->kid : "";
}

static void
test_rotation(void)
{
	struct tg_session *sess = new_session("ed", "carol", 3600, NULL);
	const struct tg_key_record *second;
	struct tg_verdict v = { 0 };
	struct tg_verified *res;
	char *old_kid = tg_xstrdup(signer("ed"));
	char *old_tok, *new_tok;
	int64_t exp;
	enum tg_err rc;

	old_tok = mint("ed", sess, 60, &exp);
	/* The same second as the first rotation: the new key must still be the one used. */
	second = rotate("ed", &rc);
	ok(rc == TG_OK && second, "rotate again in the same second");
	ok(second && strcmp(second->kid, old_kid) != 0, "a new kid");
	ok(second && second->created > now, "created after the previous key, to order them");
	is_str(signer("ed"), second ? second->kid : "?", "the new key is now the signer");
	new_tok = mint("ed", sess, 60, &exp);
	res = verify(NULL, new_tok, &v);
	ok(res && second && strcmp(res->kid, second->kid) == 0, "new tokens use the new key");
	verified_free(res);
	res = verify(NULL, old_tok, &v);
	ok(res && strcmp(res->kid, old_kid) == 0,
	   "a token of the old key still verifies until the key is retired");
	verified_free(res);
	kf_find_key(&f, "ed", old_kid)->state = TG_KEY_RETIRED;
	kf_load(&f);
	res = verify(NULL, old_tok, &v);
	ok(!res && v.reason == TG_R_UNKNOWN_KEY, "after retiring the old key its tokens are refused");
	verified_free(res);
	ok(rotate("ed", &rc) && rc == TG_OK, "rotate a third time");
	ok(second && strcmp(signer("ed"), second->kid) != 0 && strcmp(signer("ed"), old_kid) != 0,
	   "and that third key becomes the signer");
	free(old_kid);
	free(old_tok);
	free(new_tok);
	session_free(sess);
}

static void
test_alg_and_issuer(void)
{
	struct tg_tenant *t = tenant_new("x");
	struct tg_key_record *rec = NULL;

	is_int(mint_signing_alg(t), TG_ALG_HS256, "no signing_alg: HS256");
	for (const char *const *a = (const char *const[]){ "HS256", "ES256", "EdDSA", NULL }; *a; a++) {
		enum tg_alg want;

		free(t->signing_alg);
		t->signing_alg = tg_xstrdup(*a);
		alg_from_name(*a, &want);
		is_int(mint_signing_alg(t), want, "signing_alg %s", *a);
	}
	for (const char *const *a = (const char *const[]){ "RS256", "HS512", "es256", "none", NULL };
	     *a; a++) {
		free(t->signing_alg);
		t->signing_alg = tg_xstrdup(*a);
		is_int(mint_signing_alg(t), TG_ALG_INVALID, "signing_alg %s is not for the gateway", *a);
	}
	ok(mint_signing_key_new(t, now, &rec) == TG_ERR_UNSUPPORTED && !rec,
	   "no key is made in an algorithm the gateway does not sign with");
	free(t->signing_alg);
	t->signing_alg = NULL;
	ok(mint_signing_key_new(t, now, &rec) == TG_OK && rec && rec->created == now &&
		   strcmp(rec->tenant, "x") == 0,
	   "a key for any tenant record, created as told (whether it exists is the store's)");
	keyrec_free(rec);

	{
		char *iss = mint_issuer(t);

		is_str(iss, "tokengate:x", "no issuer: tokengate:<id>");
		free(iss);
		t->issuer = tg_xstrdup("https://x.example");
		iss = mint_issuer(t);
		is_str(iss, "https://x.example", "the tenant's issuer when set");
		free(iss);
	}
	tenant_free(t);
}

/* A tenant's keys, parsed, as mint_jwks takes them; the caller frees the array. */
static const struct tg_key **
parsed_keys(const char *tenant, size_t *n)
{
	const struct keyring_key *listed;
	const struct tg_key **keys;

	keyring_keys(f.kr, tenant, &listed, n);
	keys = tg_xcalloc(*n + 1, sizeof(*keys));
	for (size_t i = 0; i < *n; i++)
		keys[i] = keyring_key_parsed(&listed[i]);
	return keys;
}

static void
test_jwks(void)
{
	struct tg_key *verify_key = kf_pem_key("v1", TG_ALG_ES256);
	const struct tg_key **keys;
	struct json_object *doc, *arr = NULL;
	size_t n, nsign = 0;
	bool is_each_ok = true;

	/* The tenant's own verification key must not be published as the gateway's. */
	kf_key(&f, "es", verify_key, TG_KEY_USE_VERIFY, 1);
	key_free(verify_key);
	kf_load(&f);
	keys = parsed_keys("es", &n);
	for (size_t i = 0; i < n; i++)
		nsign += keys[i]->is_gateway;
	doc = mint_jwks(keys, n);
	ok(json_object_object_get_ex(doc, "keys", &arr) && json_object_array_length(arr) == nsign &&
		   nsign > 0 && n > nsign,
	   "ES256 tenant: one JWK per gateway key (%zu of %zu keys)", nsign, n);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *k = json_object_array_get_idx(arr, i);

		is_each_ok = is_each_ok && claim_str(k, "kid") && strncmp(claim_str(k, "kid"), "gw-", 3) == 0 &&
			     claim_str(k, "alg") && strcmp(claim_str(k, "alg"), "ES256") == 0 &&
			     claim_str(k, "use") && strcmp(claim_str(k, "use"), "sig") == 0 &&
			     claim_str(k, "kty") && !json_object_object_get_ex(k, "d", NULL);
	}
	ok(is_each_ok, "each JWK: kid gw-*, alg, use sig, public members only");
	json_object_put(doc);

	free(keys);
	keys = parsed_keys("hs", &n);
	doc = mint_jwks(keys, n);
	free(keys);
	ok(n > 0 && json_object_object_get_ex(doc, "keys", &arr) && json_object_array_length(arr) == 0,
	   "HS256 tenant: no public keys");
	json_object_put(doc);
	doc = mint_jwks(NULL, 0);
	ok(json_object_object_get_ex(doc, "keys", &arr) && json_object_array_length(arr) == 0,
	   "no keys: an empty set");
	json_object_put(doc);
}

/*
 * RFC 9068 2.1 typ at+jwt; RFC 9470 3 auth_time (moved by a step-up, which
 * store_session_add_amr records) and acr when the tenant's map rates a method.
 */
static void
test_authn_claims(void)
{
	struct tg_session *sess = new_session("hs", "alice", 3600, NULL);
	struct tg_tenant *t = kf_find_tenant(&f, "hs");
	struct tg_verified *res;
	struct tg_verdict v;
	struct json_object *typ = NULL;
	int64_t exp;
	char *tok;

	strlist_add(&sess->amr, "pwd");
	sess->auth_time = now - 100;
	tok = mint("hs", sess, 60, &exp);
	res = verify("hs", tok, &v);
	ok(res && json_object_object_get_ex(res->header, "typ", &typ) &&
		   strcmp(json_object_get_string(typ), "at+jwt") == 0,
	   "header typ at+jwt (RFC 9068)");
	ok(res && claim_int(res->claims, "auth_time") == now - 100, "auth_time is the session's");
	ok(res && !json_object_object_get_ex(res->claims, "acr", NULL), "no acr map: no acr");
	verified_free(res);
	free(tok);

	strlist_add(&t->acr_map, "pwd=1");
	strlist_add(&t->acr_map, "otp=2");
	kf_load(&f);
	tok = mint("hs", sess, 60, &exp);
	res = verify("hs", tok, &v);
	is_str(res ? claim_str(res->claims, "acr") : NULL, "1", "pwd earns acr 1");
	verified_free(res);
	free(tok);
	strlist_add(&sess->amr, "otp");
	sess->auth_time = now;
	tok = mint("hs", sess, 60, &exp);
	res = verify("hs", tok, &v);
	is_str(res ? claim_str(res->claims, "acr") : NULL, "2", "after a step-up with otp: acr 2");
	ok(res && claim_int(res->claims, "auth_time") == now, "... and auth_time moved to it");
	verified_free(res);
	free(tok);
	strlist_free(&t->acr_map);
	kf_load(&f);
	sess->auth_time = 0;
	tok = mint("hs", sess, 60, &exp);
	res = verify("hs", tok, &v);
	ok(res && !json_object_object_get_ex(res->claims, "auth_time", NULL),
	   "auth_time unknown (0): no claim rather than 1970");
	verified_free(res);
	free(tok);
	session_free(sess);
}

/* An Ed25519 tenant signs under that name and publishes it so, with crv Ed25519. */
static void
test_ed25519_tenant(void)
{
	struct tg_session *sess = new_session("ed2", "alice", 3600, NULL);
	const struct tg_key **keys;
	struct json_object *doc, *arr = NULL, *k;
	struct tg_verified *res;
	struct tg_verdict v;
	enum tg_err rc;
	int64_t exp;
	size_t n;
	char *tok;

	add_tenant("ed2", NULL, NULL, NULL, "Ed25519");
	kf_load(&f);
	ok(rotate("ed2", &rc) && rc == TG_OK, "an Ed25519 tenant gets a signing key");
	tok = mint("ed2", sess, 60, &exp);
	res = verify("ed2", tok, &v);
	ok(res && res->alg == TG_ALG_ED25519, "its token verifies, signed as Ed25519");
	verified_free(res);
	keys = parsed_keys("ed2", &n);
	doc = mint_jwks(keys, n);
	k = json_object_object_get_ex(doc, "keys", &arr) ? json_object_array_get_idx(arr, 0) : NULL;
	ok(k && strcmp(claim_str(k, "alg"), "Ed25519") == 0 &&
		   strcmp(claim_str(k, "crv"), "Ed25519") == 0 && strcmp(claim_str(k, "kty"), "OKP") == 0,
	   "its JWK says alg Ed25519, kty OKP, crv Ed25519");
	json_object_put(doc);
	free(keys);
	free(tok);
	session_free(sess);
}

/* The order rule alone: only signing keys count, and only when not older than now. */
static void
test_signing_key_created(void)
{
	struct tg_key_record sign = { .use = TG_KEY_USE_SIGN, .created = 100 };
	struct tg_key_record verify = { .use = TG_KEY_USE_VERIFY, .created = 500 };
	struct tg_key_record *keys[] = { &sign, &verify };

	is_int(mint_signing_key_created(NULL, 0, 200), 200, "no keys: now");
	is_int(mint_signing_key_created(keys, 2, 200), 200,
	       "an older signing key and a newer verification key: now");
	sign.created = 200;
	is_int(mint_signing_key_created(keys, 2, 200), 201, "a signing key of this second: one later");
	sign.created = 900;
	is_int(mint_signing_key_created(keys, 2, 200), 901, "a signing key from the future: after it");
}

int
main(void)
{
	now = (int64_t)time(NULL);
	kf_init(&f);
	add_tenant("hs", NULL, NULL, NULL, NULL);
	add_tenant("es", "https://es.example", "api", "https://es.example/claims", "ES256");
	add_tenant("ed", NULL, "web", NULL, "EdDSA");
	kf_load(&f);

	round_trip("hs", "tokengate:hs", NULL, NULL, TG_ALG_HS256);
	round_trip("es", "https://es.example", "api", "https://es.example/claims", TG_ALG_ES256);
	round_trip("ed", "tokengate:ed", "web", NULL, TG_ALG_EDDSA);
	test_caps_and_refusals();
	test_check_claims();
	test_largest_token();
	test_rotation();
	test_alg_and_issuer();
	test_jwks();
	test_signing_key_created();
	test_authn_claims();
	test_ed25519_tenant();

	kf_fini(&f);
	return done_testing();
}
