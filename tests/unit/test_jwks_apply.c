/*
 * jwks_apply against a real store in a mkdtemp directory and keys made at
 * test time: lines per kid, the source recorded, an updated set re-imported,
 * a kid holding other material never replaced, --sync retiring only keys of
 * its own source, and a --sync that cannot be made equal changing nothing.
 */
#include "join/jwks_apply.h"

#include "../lib/store_fixture.h"
#include "../lib/jwk_fixture.h"

#include "jose/keys.h"

#include <json-c/json.h>

static struct store_fixture f;

/* Applies {"keys": [members...]} (borrowed) and returns the result; the report is the caller's. */
static enum tg_err
apply(struct json_object *const *m, size_t n, const char *source, bool is_sync,
      struct jwks_report *r, struct tg_why *why)
{
	struct json_object *doc = json_object_new_object(), *keys = json_object_new_array();
	const char *s;
	enum tg_err rc;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(keys, json_object_get(m[i]));
	json_object_object_add(doc, "keys", keys);
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	rc = jwks_apply(f.s, "acme", s, strlen(s), source, TG_ALG_INVALID, is_sync, r, why);
	json_object_put(doc);
	return rc;
}

static bool
has_line(const struct jwks_report *r, const char *line)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->lines[i], line) == 0)
			return true;
	diag("no line \"%s\"", line);
	return false;
}

static enum tg_key_state
state_of(const char *kid)
{
	struct tg_key_record *r = NULL;
	enum tg_key_state st = (enum tg_key_state)-1;

	if (store_key_get(f.s, "acme", kid, &r) == TG_OK)
		st = r->state;
	keyrec_free(r);
	return st;
}

static void
test_import_and_sync(void)
{
	struct json_object *k1 = fixture_jwk(TG_ALG_ES256, "k1"), *k2 = fixture_jwk(TG_ALG_RS256, "k2"),
			   *k3 = fixture_jwk(TG_ALG_EDDSA, "k3"), *k2other = fixture_jwk(TG_ALG_RS256, "k2"),
			   *k4 = fixture_jwk(TG_ALG_ES256, "k4");
	struct json_object *set1[] = { k1, k2 }, *set2[] = { k2, k3 }, *bad[] = { k4, k2other };
	struct jwks_report r = { 0 };
	struct tg_key_record *rec = NULL;
	struct tg_why why = { "" };
	uint64_t g;

	is_int(apply(set1, 2, "file", false, &r, &why), TG_OK, "a set of two applied");
	ok(r.added == 2 && has_line(&r, "added k1 (ES256)") && has_line(&r, "added k2 (RS256)"),
	   "one line per added kid");
	jwks_report_fini(&r);
	is_int(store_key_get(f.s, "acme", "k1", &rec), TG_OK, "k1 stored");
	is_str(rec ? rec->source : "", "file", "with its source");
	keyrec_free(rec);
	ok(setup_key(f.s, "acme", "hand", 0, (const unsigned char *)"0123456789abcdef0123456789abcdef",
		     32) == TG_OK, "a key added by hand");

	is_int(apply(set1, 2, "https://idp.example/jwks", true, &r, &why), TG_OK,
	       "the same kids from another source");
	ok(r.unchanged == 2 && r.retired == 0, "are unchanged, and nothing of \"file\" retired");
	jwks_report_fini(&r);

	g = gen(f.s);
	is_int(apply(set2, 2, "file", true, &r, &why), TG_OK, "the rotated set with sync");
	ok(has_line(&r, "added k3 (EdDSA)") && has_line(&r, "unchanged k2") &&
	   has_line(&r, "retired k1: no longer in the set"), "added, unchanged and retired lines");
	ok(r.added == 1 && r.unchanged == 1 && r.retired == 1 && r.failed == 0, "the counts");
	ok(gen(f.s) == g + 1, "one transaction: the generation moved once");
	ok(state_of("k1") == TG_KEY_RETIRED && state_of("hand") == TG_KEY_ACTIVE,
	   "k1 retired, the hand-added key left alone");
	jwks_report_fini(&r);

	g = gen(f.s);
	is_int(apply(bad, 2, "file", true, &r, &why), TG_ERR_EXISTS,
	       "sync with a kid whose material differs is refused");
	ok(strstr(why.text, "nothing changed"), "why says nothing changed");
	ok(has_line(&r, "failed k2: tenant acme already has another key under this kid, left as "
			"stored (to take the set's key, `tokengatectl key remove acme k2` first)"),
	   "the differing kid has its line");
	ok(gen(f.s) == g && state_of("k4") == (enum tg_key_state)-1 &&
	   state_of("k3") == TG_KEY_ACTIVE, "nothing changed: k4 not added, k3 not retired");
	jwks_report_fini(&r);

	is_int(apply(bad, 2, "file", false, &r, &why), TG_OK, "the same set without sync");
	ok(r.added == 1 && r.failed == 1 && state_of("k4") == TG_KEY_ACTIVE,
	   "k4 added, k2 an error line and left as stored");
	jwks_report_fini(&r);

	is_int(apply(set1, 2, "file", true, &r, &why), TG_OK, "k1 back in the set");
	ok(has_line(&r, "reactivated k1 (ES256)") && state_of("k1") == TG_KEY_ACTIVE,
	   "the retired key of this source is active again");
	ok(state_of("k3") == TG_KEY_RETIRED && state_of("k4") == TG_KEY_RETIRED,
	   "k3 and k4 retired");
	jwks_report_fini(&r);

	is_int(jwks_apply(f.s, "nosuch", "{\"keys\":[]}", 11, "file", TG_ALG_INVALID, false, &r,
			  &why), TG_ERR_INVALID, "an empty set is not a JWK Set");
	is_int(apply(set1, 2, "", false, &r, &why), TG_ERR_INVALID, "an empty source refused");
	jwks_report_fini(&r);
	json_object_put(k1);
	json_object_put(k2);
	json_object_put(k3);
	json_object_put(k2other);
	json_object_put(k4);
}

int
main(void)
{
	if (!fixture_open(&f, "test_jwks_apply", "acme", NULL))
		return 1;
	test_import_and_sync();
	fixture_close(&f);
	store_close(NULL);
	return done_testing();
}
