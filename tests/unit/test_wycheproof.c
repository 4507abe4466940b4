/*
 * Wycheproof signature and MAC vectors (tests/vectors/wycheproof, Apache-2.0,
 * see its README.md) through keys.c's import paths and jws_verify_raw: every
 * `valid` vector accepted, every `invalid` one refused, `acceptable` counted.
 */
#include "jose/jws.h"

#include "../lib/tap.h"

#include <json-c/json.h>

enum kind { K_ECDSA, K_EDDSA, K_RSA, K_PSS, K_HMAC };

static const struct suite {
	const char *file;
	enum kind kind;
	enum tg_alg alg;
} suites[] = {
	{ "ecdsa_secp256r1_sha256_p1363_test.json", K_ECDSA, TG_ALG_ES256 },
	{ "ecdsa_secp384r1_sha384_p1363_test.json", K_ECDSA, TG_ALG_ES384 },
	{ "ecdsa_secp521r1_sha512_p1363_test.json", K_ECDSA, TG_ALG_ES512 },
	{ "ed25519_test.json", K_EDDSA, TG_ALG_EDDSA },
	{ "rsa_signature_2048_sha256_test.json", K_RSA, TG_ALG_RS256 },
	{ "rsa_signature_2048_sha384_test.json", K_RSA, TG_ALG_RS384 },
	{ "rsa_signature_2048_sha512_test.json", K_RSA, TG_ALG_RS512 },
	{ "rsa_signature_3072_sha256_test.json", K_RSA, TG_ALG_RS256 },
	{ "rsa_signature_4096_sha512_test.json", K_RSA, TG_ALG_RS512 },
	{ "rsa_pss_2048_sha256_mgf1_32_test.json", K_PSS, TG_ALG_PS256 },
	{ "rsa_pss_2048_sha384_mgf1_48_test.json", K_PSS, TG_ALG_PS384 },
	{ "rsa_pss_4096_sha512_mgf1_64_test.json", K_PSS, TG_ALG_PS512 },
	{ "hmac_sha256_test.json", K_HMAC, TG_ALG_HS256 },
	{ "hmac_sha384_test.json", K_HMAC, TG_ALG_HS384 },
	{ "hmac_sha512_test.json", K_HMAC, TG_ALG_HS512 },
};

struct tally {
	int valid, invalid, acceptable, acceptable_ok, failed, groups, skipped_groups;
	int jwk_checked, jwk_disagree; /* the same vectors through the group's JWK */
	int weak, weak_refused;        /* HMAC secrets shorter than the hash */
};

static struct json_object *
get(const struct json_object *o, const char *name)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, name, &v);
	return v;
}

static const char *
str(const struct json_object *o, const char *name)
{
	struct json_object *v = get(o, name);

	return v ? json_object_get_string(v) : NULL;
}

static int
num(const struct json_object *o, const char *name)
{
	struct json_object *v = get(o, name);

	return v ? json_object_get_int(v) : -1;
}

/* Hex to bytes; malloc'd (at least one byte, so an empty message is a valid pointer). */
static unsigned char *
unhex(const char *hex, size_t *len)
{
	size_t n = hex ? strlen(hex) / 2 : 0;
	unsigned char *out = tg_xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned int b = 0;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = (unsigned char)b;
	}
	*len = n;
	return out;
}

/* The JWS algorithm's own parameters: PSS salt and MGF1 digest as in RFC 7518 section 3.5. */
static bool
group_fits_jws(const struct suite *s, const struct json_object *g)
{
	static const char *const shas[] = {
		[TG_ALG_PS256] = "SHA-256", [TG_ALG_PS384] = "SHA-384", [TG_ALG_PS512] = "SHA-512"
	};

	if (s->kind != K_PSS)
		return true;
	return str(g, "mgf") && strcmp(str(g, "mgf"), "MGF1") == 0 && str(g, "mgfSha") &&
	       strcmp(str(g, "mgfSha"), shas[s->alg]) == 0 && str(g, "sha") &&
	       strcmp(str(g, "sha"), shas[s->alg]) == 0 &&
	       (size_t)num(g, "sLen") == alg_hash_len(s->alg);
}

/* The group's public key through keys.c's own import paths: SPKI DER, and the JWK when given. */
static enum tg_err
group_key(const struct suite *s, const struct json_object *g, struct tg_key **key,
	  struct tg_key **jwk_key)
{
	size_t len;
	unsigned char *der = unhex(str(g, "publicKeyDer"), &len);
	enum tg_err rc = keys_import("wp", s->alg, false, der, len, key);

	free(der);
	*jwk_key = NULL;
	if (rc == TG_OK && get(g, "publicKeyJwk"))
		keys_from_jwk("wp", s->alg, get(g, "publicKeyJwk"), false, jwk_key, NULL);
	return rc;
}

/* HMAC vectors carry their own key; one shorter than the hash is refused (RFC 7518 3.2). */
static struct tg_key *
hmac_key(const struct suite *s, const struct json_object *tc, struct tally *t)
{
	size_t len;
	unsigned char *secret = unhex(str(tc, "key"), &len);
	struct tg_key *key = NULL;
	enum tg_err rc = keys_from_secret("wp", s->alg, secret, len, &key, NULL);

	free(secret);
	if (len < alg_hash_len(s->alg)) {
		t->weak_refused += rc == TG_ERR_WEAK_KEY;
		t->weak++;
		key_free(key);
		return NULL;
	}
	if (rc != TG_OK) {
		t->failed++;
		diag("%s tcId %d: secret of %zu bytes refused", s->file, num(tc, "tcId"), len);
	}
	return key;
}

static void
run_vector(const struct suite *s, const struct json_object *tc, const struct tg_key *key,
	   const struct tg_key *jwk_key, bool is_truncated, struct tally *t)
{
	const char *result = str(tc, "result");
	size_t msglen, siglen;
	unsigned char *msg = unhex(str(tc, "msg"), &msglen);
	unsigned char *sig = unhex(str(tc, s->kind == K_HMAC ? "tag" : "sig"), &siglen);
	bool is_accepted = jws_verify_raw(key, msg, msglen, sig, siglen) == TG_OK;

	if (jwk_key) {
		t->jwk_checked++;
		if ((jws_verify_raw(jwk_key, msg, msglen, sig, siglen) == TG_OK) != is_accepted)
			t->jwk_disagree++;
	}
	if (strcmp(result, "acceptable") == 0 && !is_truncated) {
		t->acceptable++;
		t->acceptable_ok += is_accepted;
	} else if (strcmp(result, "valid") == 0 && !is_truncated) {
		t->valid++;
		if (!is_accepted) {
			t->failed++;
			diag("%s tcId %d: valid vector refused", s->file, num(tc, "tcId"));
		}
	} else {
		t->invalid++;
		if (is_accepted) {
			t->failed++;
			diag("%s tcId %d: %s vector accepted", s->file, num(tc, "tcId"), result);
		}
	}
	free(msg);
	free(sig);
}

static void
run_group(const struct suite *s, const struct json_object *g, struct tally *t)
{
	struct json_object *tests = get(g, "tests");
	struct tg_key *key = NULL, *jwk_key = NULL;
	/* JWS never truncates MACs (RFC 7518 3.2): a short tag is invalid whatever the file says. */
	bool is_truncated =
	    s->kind == K_HMAC && (size_t)num(g, "tagSize") != 8 * alg_hash_len(s->alg);

	t->groups++;
	if (s->kind != K_HMAC && group_key(s, g, &key, &jwk_key) != TG_OK) {
		t->failed++;
		diag("%s: group key refused by keys.c", s->file);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(tests); i++) {
		struct json_object *tc = json_object_array_get_idx(tests, i);

		if (s->kind == K_HMAC) {
			key = hmac_key(s, tc, t);
			if (!key)
				continue;
		}
		run_vector(s, tc, key, jwk_key, is_truncated, t);
		if (s->kind == K_HMAC) {
			key_free(key);
			key = NULL;
		}
	}
	key_free(key);
	key_free(jwk_key);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		const struct suite *s = &suites[i];
		char *path = tg_xasprintf("%s/vectors/wycheproof/%s", tap_srcdir(), s->file);
		struct json_object *doc = json_object_from_file(path),
				   *groups = get(doc, "testGroups");
		struct tally t = { 0 };

		if (!groups) {
			ok(0, "%s: readable", path);
			free(path);
			continue;
		}
		for (size_t g = 0; g < json_object_array_length(groups); g++) {
			struct json_object *grp = json_object_array_get_idx(groups, g);

			if (!group_fits_jws(s, grp)) {
				t.skipped_groups++;
				continue;
			}
			run_group(s, grp, &t);
		}
		ok(t.failed == 0 && t.valid > 0 && t.invalid > 0,
		   "%s (%s): %d valid accepted, %d invalid refused, %d groups (%d skipped)",
		   s->file, alg_name(s->alg), t.valid, t.invalid, t.groups, t.skipped_groups);
		if (t.acceptable)
			diag("%s: %d acceptable vectors, %d of them accepted", s->file,
			     t.acceptable, t.acceptable_ok);
		if (t.weak)
			is_int(t.weak_refused, t.weak,
			       "%s: all %d vectors with a secret shorter than the hash refused at "
			       "import",
			       s->file, t.weak);
		if (t.jwk_checked)
			is_int(t.jwk_disagree, 0,
			       "%s: the JWK form of each key agrees on all %d vectors", s->file,
			       t.jwk_checked);
		json_object_put(doc);
		free(path);
	}
	return done_testing();
}
