/*
 * jwks.c's import rules on sets built from keys made at test time: enc keys
 * and algs off the allowlist skipped, a missing alg taken from the default
 * only when the key type can serve it, a kid twice failing both, members
 * without a kid named by place, and documents that are not a JWK Set.
 */
#include "jose/jwks.h"

#include "../lib/tap.h"
#include "../lib/jwk_fixture.h"

#include <json-c/json.h>

#include <stdlib.h>

static struct jwks_set
read_set(struct json_object *keys, enum tg_alg default_alg)
{
	struct json_object *doc = json_object_new_object();
	struct jwks_set set = { 0 };
	const char *s;

	json_object_object_add(doc, "keys", keys);
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	if (jwks_read(s, strlen(s), default_alg, &set, NULL) != TG_OK)
		diag("the set did not read");
	json_object_put(doc);
	return set;
}

static void
test_rules(void)
{
	struct json_object *keys = json_object_new_array(), *enc, *oaep, *noalg, *ec;
	struct jwks_set set;

	json_object_array_add(keys, fixture_jwk(TG_ALG_RS256, "sig1"));
	enc = fixture_jwk(TG_ALG_RS256, "enc1");
	json_object_object_add(enc, "use", json_object_new_string("enc"));
	json_object_array_add(keys, enc);
	oaep = fixture_jwk(TG_ALG_RS256, "oaep1");
	json_object_object_del(oaep, "use");
	json_object_object_add(oaep, "alg", json_object_new_string("RSA-OAEP"));
	json_object_array_add(keys, oaep);
	noalg = fixture_jwk(TG_ALG_RS256, "noalg1");
	json_object_object_del(noalg, "alg");
	json_object_array_add(keys, noalg);
	ec = fixture_jwk(TG_ALG_ES256, "ec1");
	json_object_array_add(keys, ec);
	json_object_array_add(keys, json_object_new_string("not a key"));

	set = read_set(json_object_get(keys), TG_ALG_INVALID);
	is_int(set.n, 6, "one member per key");
	ok(set.v[0].verdict == JWKS_USABLE && set.v[0].key->alg == TG_ALG_RS256, "sig1 usable");
	ok(set.v[1].verdict == JWKS_SKIPPED && strcmp(set.v[1].reason, "use \"enc\"") == 0,
	   "enc1 skipped: use \"enc\"");
	ok(set.v[2].verdict == JWKS_SKIPPED && strstr(set.v[2].reason, "\"RSA-OAEP\""),
	   "oaep1 skipped: its alg is off the allowlist, named");
	ok(set.v[3].verdict == JWKS_FAILED && strstr(set.v[3].reason, "--alg"),
	   "noalg1 without a default fails and points to --alg");
	ok(set.v[4].verdict == JWKS_USABLE && set.v[4].key->alg == TG_ALG_ES256, "ec1 usable");
	ok(set.v[5].verdict == JWKS_FAILED && !set.v[5].kid && set.v[5].index == 5,
	   "a member that is no object fails, known by its place");
	jwks_set_fini(&set);

	set = read_set(json_object_get(keys), TG_ALG_PS256);
	ok(set.v[3].verdict == JWKS_USABLE && set.v[3].key->alg == TG_ALG_PS256,
	   "noalg1 takes the default alg");
	ok(set.v[0].key->alg == TG_ALG_RS256, "a member's own alg wins over the default");
	jwks_set_fini(&set);

	set = read_set(keys, TG_ALG_ES256);
	ok(set.v[3].verdict == JWKS_FAILED && strstr(set.v[3].reason, "cannot serve ES256"),
	   "a default the key type cannot serve fails, named (%s)", set.v[3].reason);
	jwks_set_fini(&set);
}

static void
test_shared_kid(void)
{
	struct json_object *keys = json_object_new_array();
	struct jwks_set set;

	json_object_array_add(keys, fixture_jwk(TG_ALG_ES256, "same"));
	json_object_array_add(keys, fixture_jwk(TG_ALG_ES256, "other"));
	json_object_array_add(keys, fixture_jwk(TG_ALG_ES256, "same"));
	set = read_set(keys, TG_ALG_INVALID);
	ok(set.v[0].verdict == JWKS_FAILED && set.v[2].verdict == JWKS_FAILED && !set.v[0].key,
	   "two keys under one kid: both fail, neither is kept");
	ok(set.v[1].verdict == JWKS_USABLE, "the other kid is usable");
	jwks_set_fini(&set);
}

static void
test_not_a_set(void)
{
	static const char *const docs[] = {
		"{\"kty\":\"RSA\"}", "{\"keys\":[]}", "{\"keys\":{}}", "[]", "{\"keys\":[1],}",
	};
	struct jwks_set set = { 0 };
	struct tg_why why = { "" };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		is_int(jwks_read(docs[i], strlen(docs[i]), TG_ALG_INVALID, &set, &why),
		       TG_ERR_INVALID, "not a JWK Set: %s", docs[i]);
	ok(set.n == 0 && !set.v, "nothing handed out");
}

int
main(void)
{
	test_rules();
	test_shared_kid();
	test_not_a_set();
	return done_testing();
}
