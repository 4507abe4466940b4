/*
 * Key and API-key records: names, freeing, and the public JSON form, which
 * must carry the descriptive fields and never the key material or the hash.
 */
#include "model/keyrec.h"

#include "../lib/tap.h"

#include <json.h>

static const char material[] = "MATERIAL-THAT-MUST-NOT-LEAK-0123456789";

static bool
has_member(struct json_object *o, const char *name)
{
	return json_object_object_get_ex(o, name, NULL);
}

static bool
member_is(struct json_object *o, const char *name, const char *want)
{
	struct json_object *v;

	return json_object_object_get_ex(o, name, &v) &&
	       strcmp(json_object_get_string(v), want) == 0;
}

static void
test_keyrec_json(void)
{
	struct tg_key_record r = {
		.tenant = "acme", .kid = "k1", .alg = TG_ALG_ES256, .state = TG_KEY_RETIRED,
		.use = TG_KEY_USE_SIGN, .created = 1700000000,
	};
	struct json_object *o, *v;
	const char *s;

	secret_set(&r.material, material, sizeof(material) - 1);
	o = keyrec_to_json_public(&r);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ok(member_is(o, "tenant", "acme"), "tenant present");
	ok(member_is(o, "kid", "k1"), "kid present");
	ok(member_is(o, "alg", "ES256"), "alg by its JWS name");
	ok(member_is(o, "state", "retired"), "state by name");
	ok(member_is(o, "use", "sign"), "use by name");
	ok(json_object_object_get_ex(o, "created", &v) && json_object_get_int64(v) == 1700000000,
	   "created present");
	ok(!has_member(o, "material"), "no material member");
	ok(!strstr(s, "MATERIAL"), "material bytes appear nowhere in the JSON");
	is_int(json_object_object_length(o), 6, "exactly the six public fields");
	json_object_put(o);
	secret_free(&r.material);
}

static void
test_apikey_json(void)
{
	struct tg_apikey a = { .tenant = "acme", .id = "ak_123", .created = 5, .revoked = true };
	struct json_object *o, *v;

	memset(a.hash, 0xab, sizeof(a.hash));
	o = apikey_to_json_public(&a);
	ok(member_is(o, "id", "ak_123"), "API key id present");
	ok(json_object_object_get_ex(o, "revoked", &v) && json_object_get_boolean(v),
	   "revoked present");
	ok(!has_member(o, "hash"), "no hash member");
	ok(!strstr(json_object_to_json_string(o), "abab"),
	   "hash bytes appear nowhere, not even as hex");
	is_int(json_object_object_length(o), 4, "exactly the four public fields");
	json_object_put(o);
}

static void
test_names_and_free(void)
{
	struct tg_key_record **v = tg_xcalloc(2, sizeof(*v));
	struct tg_apikey **a = tg_xcalloc(1, sizeof(*a));

	is_str(keyrec_state_name(TG_KEY_ACTIVE), "active", "active state name");
	is_str(keyrec_state_name(TG_KEY_RETIRED), "retired", "retired state name");
	for (int i = 0; i < 2; i++) {
		v[i] = tg_xcalloc(1, sizeof(**v));
		v[i]->tenant = tg_xstrdup("t");
		v[i]->kid = tg_xstrdup("k");
		secret_set(&v[i]->material, material, sizeof(material) - 1);
	}
	a[0] = tg_xcalloc(1, sizeof(**a));
	a[0]->tenant = tg_xstrdup("t");
	a[0]->id = tg_xstrdup("id");
	keyrec_list_free(v, 2);
	apikey_list_free(a, 1);
	keyrec_free(NULL);
	apikey_free(NULL);
	keyrec_list_free(NULL, 0);
	apikey_list_free(NULL, 0);
	ok(1, "lists free their records (ASan checks), NULL is a no-op");
}

int
main(void)
{
	test_keyrec_json();
	test_apikey_json();
	test_names_and_free();
	{
		/* SHA-256("abc"), FIPS 180-2 appendix B.1: the stored form of an API key. */
		static const unsigned char want[TG_APIKEY_HASH_LEN] = {
			0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
			0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
			0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
		};
		unsigned char got[TG_APIKEY_HASH_LEN];

		ok(apikey_hash("abc", 3, got) == TG_OK && memcmp(got, want, sizeof(want)) == 0,
		   "apikey_hash is SHA-256 of the key string");
	}
	return done_testing();
}
