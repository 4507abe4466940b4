/*
 * The import rules for a JWK Set, member by member: keys for another use or
 * an alg off the allowlist are skipped, a key without alg takes the caller's,
 * a kid twice in one set fails both. Every verdict names its kid; keys.c does
 * the parsing. Never touches the store, never puts key bytes in a reason.
 */
#include "jose/jwks.h"

#include "base/json_strict.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN_MAX 32 /* a use or alg value quoted in a reason, if printable and no longer */

void
jwks_set_fini(struct jwks_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].kid);
		key_free(set->v[i].key);
		free(set->v[i].reason);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

static const char *
member_string(const struct json_object *m, const char *name, bool *is_present)
{
	struct json_object *v;

	*is_present = json_object_object_get_ex(m, name, &v);
	if (!*is_present || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A value worth quoting to the operator: short printable ASCII, else only what it is not. */
static bool
is_showable(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return n > 0 && n <= SHOWN_MAX;
}

static void
judge(struct jwks_member *mb, enum jwks_verdict v, char *reason_owned)
{
	free(mb->reason);
	mb->verdict = v;
	mb->reason = reason_owned;
}

/* RFC 7517 sections 4.2 and 4.3: a key for encryption is no key of ours, and not a fault. */
static bool
skips_for_use(const struct json_object *m, struct jwks_member *mb)
{
	static const char *const wanted_use = "sig";
	bool has_use;
	const char *use = member_string(m, "use", &has_use);
	struct json_object *ops;

	if (has_use && use && strcmp(use, wanted_use) != 0) {
		judge(mb, JWKS_SKIPPED, is_showable(use) ? tg_xasprintf("use \"%s\"", use)
							 : tg_xstrdup("use is not \"sig\""));
		return true;
	}
	/* A malformed use or key_ops is no reason to skip: keys.c fails it, named. */
	if (!json_object_object_get_ex(m, "key_ops", &ops) ||
	    !json_object_is_type(ops, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		const char *op = json_object_get_string(json_object_array_get_idx(ops, i));

		if (op && strcmp(op, "verify") == 0)
			return false;
	}
	judge(mb, JWKS_SKIPPED, tg_xstrdup("key_ops does not include \"verify\""));
	return true;
}

/* The alg to import with: the member's own, else default_alg; or the member's verdict. */
static bool
member_alg(const struct json_object *m, enum tg_alg default_alg, struct jwks_member *mb,
	   enum tg_alg *alg)
{
	bool has_alg;
	const char *name = member_string(m, "alg", &has_alg);

	if (has_alg && !name) {
		judge(mb, JWKS_FAILED, tg_xstrdup("\"alg\" is not a string"));
		return false;
	}
	if (has_alg && alg_from_name(name, alg) != TG_OK) {
		judge(mb, JWKS_SKIPPED, is_showable(name) ?
			tg_xasprintf("alg \"%s\" is not on the allowlist", name) :
			tg_xstrdup("its alg is not on the allowlist"));
		return false;
	}
	if (has_alg)
		return true;
	/* An alg implied by kty would let one RSA key serve RS256 and PS512 alike. */
	if (default_alg == TG_ALG_INVALID) {
		judge(mb, JWKS_FAILED, tg_xstrdup("it has no \"alg\": name the algorithm its "
						  "tokens use (import-jwks --alg, or tenant set "
						  "--jwks-alg for a jwks_uri)"));
		return false;
	}
	*alg = default_alg;
	return true;
}

static void
read_member(const struct json_object *m, size_t i, enum tg_alg default_alg,
	    struct jwks_member *mb)
{
	struct tg_why why;
	enum tg_alg alg = TG_ALG_INVALID;
	bool has_kid;
	const char *kid;

	mb->index = i;
	if (!json_object_is_type(m, json_type_object)) {
		judge(mb, JWKS_FAILED, tg_xstrdup("it is not a JSON object"));
		return;
	}
	kid = member_string(m, "kid", &has_kid);
	if (!kid || !kid[0] || strlen(kid) > TG_KID_MAX) {
		judge(mb, JWKS_FAILED, tg_xasprintf("it needs a \"kid\" string of 1 to %d "
						    "characters", TG_KID_MAX));
		return;
	}
	mb->kid = tg_xstrdup(kid);
	if (skips_for_use(m, mb) || !member_alg(m, default_alg, mb, &alg))
		return;
	if (keys_from_jwk(kid, alg, m, false, &mb->key, &why) != TG_OK)
		judge(mb, JWKS_FAILED, tg_xstrdup(why.text));
	else
		mb->verdict = JWKS_USABLE;
}

static void
fail_shared(struct jwks_member *x)
{
	key_free(x->key);
	x->key = NULL;
	judge(x, JWKS_FAILED, tg_xstrdup("its kid is used by another key of the same set"));
}

/* Which of two keys under one kid is meant cannot be known: neither is taken. */
static void
fail_shared_kids(struct jwks_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		for (size_t j = i + 1; j < set->n; j++) {
			if (!set->v[i].kid || !set->v[j].kid ||
			    strcmp(set->v[i].kid, set->v[j].kid) != 0)
				continue;
			fail_shared(&set->v[i]);
			fail_shared(&set->v[j]);
		}
	}
}

enum tg_err
jwks_read(const char *json, size_t len, enum tg_alg default_alg, struct jwks_set *out,
	  struct tg_why *why)
{
	struct json_object *doc = NULL, *arr;
	struct jwks_set set = { 0 };
	enum tg_err rc;

	rc = json_strict_parse_no_nul(json, len, &doc, why);
	if (rc != TG_OK)
		goto out;
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0) {
		rc = tg_fail(why, TG_ERR_INVALID, "not a JWK Set: it needs a non-empty \"keys\" "
			     "array");
		goto out;
	}
	set.n = json_object_array_length(arr);
	set.v = tg_xcalloc(set.n, sizeof(*set.v));
	for (size_t i = 0; i < set.n; i++)
		read_member(json_object_array_get_idx(arr, i), i, default_alg, &set.v[i]);
	fail_shared_kids(&set);
	*out = set;
	set = (struct jwks_set){ 0 };
out:
	jwks_set_fini(&set);
	json_object_put(doc);
	return rc;
}
