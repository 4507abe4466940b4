/*
 * Key and API-key records: names, freeing, and the public JSON form, which
 * must carry the descriptive fields and never the key material or the hash.
 */
#include "keyrec.h"

#include "../lib/tap.h"

#include <json.h>

static const char material[] = "MATERIAL-THAT-MUST-NOT-LEAK-0123456789";

static bool
has_member(struct json_object *o, const char *name)
{
	return json_object_object_get_ex(o, name, NULL);
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
	ok(json_object_object_get_ex(o, "tenant", &v) && strcmp(json_object_get_string(v), "acme") == 0,
	   "tenant present");
	ok(json_object_object_get_ex(o, "kid", &v) && strcmp(json_object_get_string(v), "k1") == 0,
	   "kid present");
	ok(json_object_object_get_ex(o, "alg", &v) && strcmp(json_object_get_string(v), "ES256") == 0,
	   "alg by its JWS name");
	ok(json_object_object_get_ex(o, "state", &v) &&
		   strcmp(json_object_get_string(v), "retired") == 0,
	   "state by name");
	ok(json_object_object_get_ex(o, "use", &v) && strcmp(json_object_get_string(v), "sign") == 0,
	   "use by name");
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
	ok(json_object_object_get_ex(o, "id", &v) && strcmp(json_object_get_string(v), "ak_123") == 0,
	   "API key id present");
	ok(json_object_object_get_ex(o, "revoked", &v) && json_object_get_boolean(v),
	   "revoked present");
	ok(!has_member(o, "hash"), "no hash member");
	ok(!strstr(json_object_to_json_string(o), "abab"), "hash bytes appear nowhere, not even as hex");
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
	return done_testing();
}
