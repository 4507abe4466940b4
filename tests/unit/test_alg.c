/*
 * alg: the allowlist round-trips, refuses every spelling of "none" and every near miss
 * (RFC 8725 section 3.1), and its per-algorithm facts agree with what OpenSSL itself reports.
 */
#include "base/alg.h"

#include "../lib/tap.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

static void
test_round_trip(void)
{
	int bad = 0, dups = 0;

	for (int a = TG_ALG_INVALID + 1; a < TG_ALG_COUNT; a++) {
		enum tg_alg got = TG_ALG_INVALID;
		const char *n = alg_name((enum tg_alg)a);

		if (alg_from_name(n, &got) != TG_OK || got != (enum tg_alg)a) {
			diag("%s does not round-trip", n);
			bad++;
		}
		for (int b = TG_ALG_INVALID + 1; b < a; b++)
			dups += strcmp(n, alg_name((enum tg_alg)b)) == 0;
	}
	is_int(bad, 0, "every allowlisted name maps back to its algorithm");
	is_int(dups, 0, "names are distinct");
	is_int(TG_ALG_COUNT - 1, 14, "14 algorithm names are allowlisted");
	is_str(alg_name(TG_ALG_EDDSA), "EdDSA", "RFC 8037 spells it EdDSA");
	is_str(alg_name(TG_ALG_ED25519), "Ed25519", "RFC 9864 spells it Ed25519");
	is_str(alg_name(TG_ALG_INVALID), "invalid", "TG_ALG_INVALID has a printable name");
	is_str(alg_name(TG_ALG_COUNT), "invalid", "so does an out-of-range value");
}

static void
test_refusals(void)
{
	/* Each of these is a known way to reach a verifier with the wrong algorithm. */
	static const char *const refused[] = {
		"none",	 "None",  "NONE",    "nOnE",   "hs256", "Hs256", "HS256 ", " HS256",
		"HS256\n", "",	   "HS",      "HS2560", "HS25",  "eddsa", "EDDSA", "ed25519",
		"ED25519", "Ed448",   "EdDSA25519",
		"ES256K", "RSA1_5", "dir",    "A128KW", "HS1",   "RS1",   "PS256\t", "ES256\r",
	};
	int wrongly_accepted = 0;
	enum tg_alg out = TG_ALG_ES512;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		out = TG_ALG_ES512;
		if (alg_from_name(refused[i], &out) != TG_ERR_UNSUPPORTED || out != TG_ALG_ES512) {
			diag("'%s' was not refused cleanly", refused[i]);
			wrongly_accepted++;
		}
	}
	is_int(wrongly_accepted, 0,
	       "none in any case, wrong case, whitespace and near misses are refused");
	is_int(alg_from_name("none", &out), TG_ERR_UNSUPPORTED, "\"none\" is TG_ERR_UNSUPPORTED");
	is_int(alg_from_name(NULL, &out), TG_ERR_UNSUPPORTED, "a NULL name is refused");
	is_int(out, TG_ALG_ES512, "the out-parameter is untouched on refusal");
}

/* Both NULL, or both the same string. */
static bool
same_name(const char *got, const char *want)
{
	return got && want ? strcmp(got, want) == 0 : got == want;
}

static void
test_families(void)
{
	static const struct {
		enum tg_alg a;
		enum tg_key_family f;
		const char *digest;
		size_t hash_len, sig_len;
		const char *group;
	} want[] = {
		{ TG_ALG_HS256, TG_FAMILY_HMAC, "SHA256", 32, 0, NULL },
		{ TG_ALG_HS384, TG_FAMILY_HMAC, "SHA384", 48, 0, NULL },
		{ TG_ALG_HS512, TG_FAMILY_HMAC, "SHA512", 64, 0, NULL },
		{ TG_ALG_RS256, TG_FAMILY_RSA, "SHA256", 32, 0, NULL },
		{ TG_ALG_RS384, TG_FAMILY_RSA, "SHA384", 48, 0, NULL },
		{ TG_ALG_RS512, TG_FAMILY_RSA, "SHA512", 64, 0, NULL },
		{ TG_ALG_PS256, TG_FAMILY_RSA_PSS, "SHA256", 32, 0, NULL },
		{ TG_ALG_PS384, TG_FAMILY_RSA_PSS, "SHA384", 48, 0, NULL },
		{ TG_ALG_PS512, TG_FAMILY_RSA_PSS, "SHA512", 64, 0, NULL },
		{ TG_ALG_ES256, TG_FAMILY_EC, "SHA256", 32, 64, "prime256v1" },
		{ TG_ALG_ES384, TG_FAMILY_EC, "SHA384", 48, 96, "secp384r1" },
		{ TG_ALG_ES512, TG_FAMILY_EC, "SHA512", 64, 132, "secp521r1" },
		{ TG_ALG_EDDSA, TG_FAMILY_OKP, NULL, 0, 0, NULL },
		{ TG_ALG_ED25519, TG_FAMILY_OKP, NULL, 0, 0, NULL },
	};
	int bad = 0;

	is_int(sizeof(want) / sizeof(want[0]), TG_ALG_COUNT - 1,
	       "the table below covers every algorithm");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum tg_alg a = want[i].a;
		const char *d = alg_digest(a), *g = alg_ec_group(a);
		bool is_same = alg_family(a) == want[i].f && alg_hash_len(a) == want[i].hash_len &&
			       alg_ecdsa_sig_len(a) == want[i].sig_len &&
			       same_name(d, want[i].digest) && same_name(g, want[i].group);

		if (!is_same) {
			diag("facts about %s are wrong", alg_name(a));
			bad++;
		}
	}
	is_int(bad, 0, "family, digest, hash length, ECDSA size and curve of every algorithm");
	ok(alg_digest(TG_ALG_INVALID) == NULL && alg_hash_len(TG_ALG_INVALID) == 0 &&
	   alg_ecdsa_sig_len(TG_ALG_INVALID) == 0 && alg_ec_group(TG_ALG_INVALID) == NULL,
	   "TG_ALG_INVALID has no digest, sizes or curve");
}

/* The table must describe what OpenSSL will actually do with those names. */
static void
test_against_openssl(void)
{
	int bad = 0;

	for (int i = TG_ALG_INVALID + 1; i < TG_ALG_COUNT; i++) {
		enum tg_alg a = (enum tg_alg)i;
		const char *g = alg_ec_group(a);

		if (alg_digest(a)) {
			EVP_MD *md = EVP_MD_fetch(NULL, alg_digest(a), NULL);

			if (!md || (size_t)EVP_MD_get_size(md) != alg_hash_len(a)) {
				diag("%s: digest %s is not %zu bytes in OpenSSL", alg_name(a),
				     alg_digest(a), alg_hash_len(a));
				bad++;
			}
			EVP_MD_free(md);
		}
		if (g) {
			int nid = OBJ_sn2nid(g);
			EC_GROUP *grp = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
			size_t coord = grp ? ((size_t)EC_GROUP_get_degree(grp) + 7) / 8 : 0;

			/* RFC 7518 section 3.4: R and S each padded to the curve's byte size. */
			if (!grp || 2 * coord != alg_ecdsa_sig_len(a)) {
				diag("%s: curve %s does not give %zu-byte signatures", alg_name(a),
				     g, alg_ecdsa_sig_len(a));
				bad++;
			}
			EC_GROUP_free(grp);
		}
	}
	is_int(bad, 0, "digest sizes and curve sizes match OpenSSL");
}

/*
 * RFC 9864 2.2: Ed25519 is the fully-specified name of what EdDSA means here
 * (keys.c takes Ed25519 keys only), so the two pin one key; nothing else pairs.
 */
static void
test_same(void)
{
	int pairs = 0;

	for (int a = TG_ALG_INVALID + 1; a < TG_ALG_COUNT; a++)
		for (int b = TG_ALG_INVALID + 1; b < TG_ALG_COUNT; b++)
			pairs += a != b && alg_is_same((enum tg_alg)a, (enum tg_alg)b);
	ok(alg_is_same(TG_ALG_EDDSA, TG_ALG_ED25519) && alg_is_same(TG_ALG_ED25519, TG_ALG_EDDSA),
	   "EdDSA and Ed25519 are one signature, either way round");
	is_int(pairs, 2, "no other two algorithms are the same");
	ok(alg_is_same(TG_ALG_HS256, TG_ALG_HS256), "an algorithm is itself");
	ok(!alg_is_same(TG_ALG_INVALID, TG_ALG_INVALID) && !alg_is_same(TG_ALG_COUNT, TG_ALG_COUNT),
	   "invalid algorithms are never the same, not even as themselves");
}

int
main(void)
{
	test_same();
	test_round_trip();
	test_refusals();
	test_families();
	test_against_openssl();
	/* An invalid algorithm must not look like any family, HMAC least of all (fails closed). */
	ok(alg_family(TG_ALG_INVALID) == TG_FAMILY_NONE && alg_family(TG_ALG_COUNT) == TG_FAMILY_NONE,
	   "invalid algorithms have no key family");
	return done_testing();
}
