/*
 * A JWK Set onto a tenant's keys: the set read by jose/jwks.c, its usable keys
 * stored through store_keys_sync in one transaction, and one report line per
 * kid. Never replaces a stored key, never parses a key itself.
 */
#include "join/jwks_apply.h"

#include "jose/jwks.h"
#include "model/keyrec.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

void
jwks_report_fini(struct jwks_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

static void
report_line(struct jwks_report *r, char *line_owned)
{
	r->lines = tg_xrealloc(r->lines, (r->n + 1) * sizeof(*r->lines));
	r->lines[r->n++] = line_owned;
}

/* A member's own verdict (skipped, failed): a line that names its kid, or its place without one. */
static void
report_member(struct jwks_report *r, const struct jwks_member *mb)
{
	const char *verb = mb->verdict == JWKS_SKIPPED ? "skipped" : "failed";

	if (mb->kid)
		report_line(r, tg_xasprintf("%s %s: %s", verb, mb->kid, mb->reason));
	else
		report_line(r, tg_xasprintf("%s key #%zu of the set (it has no kid): %s", verb,
					    mb->index + 1, mb->reason));
	if (mb->verdict == JWKS_SKIPPED)
		r->skipped++;
	else
		r->failed++;
}

static void
report_outcome(struct jwks_report *r, const char *tenant, const struct tg_key *k,
	       enum store_key_outcome o, bool is_applied)
{
	if (o == STORE_KEY_DIFFERS) {
		r->failed++;
		report_line(r, tg_xasprintf("failed %s: tenant %s already has another key under this "
					    "kid, left as stored (to take the set's key, `tokengatectl "
					    "key remove %s %s` first)", k->kid, tenant, tenant,
					    k->kid));
	} else if (!is_applied) {
		report_line(r, tg_xasprintf("not applied %s (%s): the set was not applied", k->kid,
					    alg_name(k->alg)));
	} else if (o == STORE_KEY_UNCHANGED) {
		r->unchanged++;
		report_line(r, tg_xasprintf("unchanged %s", k->kid));
	} else {
		r->added++;
		report_line(r, tg_xasprintf("%s %s (%s)", o == STORE_KEY_ADDED ? "added" : "reactivated",
					    k->kid, alg_name(k->alg)));
	}
}

static struct tg_key_record *
record_of(const char *tenant, const char *source, const struct tg_key *k)
{
	struct tg_key_record *rec = tg_xcalloc(1, sizeof(*rec));

	rec->tenant = tg_xstrdup(tenant);
	rec->kid = tg_xstrdup(k->kid);
	rec->alg = k->alg;
	rec->state = TG_KEY_ACTIVE;
	rec->use = TG_KEY_USE_VERIFY;
	rec->source = tg_xstrdup(source);
	if (k->cert_subject && k->cert_subject[0]) {
		rec->cert_subject = tg_xstrdup(k->cert_subject);
		rec->cert_not_after = k->cert_not_after;
	}
	return rec;
}

/* The usable members as records; a member that cannot be stored as it is turns failed. */
static void
plan_records(const char *tenant, const char *source, struct jwks_set *set,
	     struct tg_key_record **add, struct tg_key **keys, size_t *nadd)
{
	for (size_t i = 0; i < set->n; i++) {
		struct jwks_member *mb = &set->v[i];
		struct tg_key_record *rec;

		if (mb->verdict != JWKS_USABLE)
			continue;
		if (mb->key->cert_subject && strlen(mb->key->cert_subject) > TG_KEYREC_STR_MAX) {
			mb->verdict = JWKS_FAILED;
			mb->reason = tg_xasprintf("its certificate's subject is longer than %d "
						  "characters", TG_KEYREC_STR_MAX);
			continue;
		}
		rec = record_of(tenant, source, mb->key);
		if (keys_export(mb->key, &rec->material) != TG_OK) {
			keyrec_free(rec);
			mb->verdict = JWKS_FAILED;
			mb->reason = tg_xstrdup("the cryptographic library could not export it");
			continue;
		}
		keys[*nadd] = mb->key;
		add[(*nadd)++] = rec;
	}
}

static void
report_all(struct jwks_report *r, const char *tenant, const struct jwks_set *set,
	   struct tg_key *const *keys, const struct store_key_sync *sy, bool is_applied)
{
	size_t j = 0;

	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i].verdict != JWKS_USABLE)
			report_member(r, &set->v[i]);
		else if (j < sy->nadd && keys[j] == set->v[i].key) {
			report_outcome(r, tenant, keys[j], sy->outcome[j], is_applied);
			j++;
		}
	}
	for (size_t i = 0; i < sy->retired.n; i++) {
		r->retired++;
		report_line(r, tg_xasprintf("retired %s: no longer in the set", sy->retired.v[i]));
	}
}

enum tg_err
jwks_apply(struct tg_store *s, const char *tenant, const char *json, size_t len,
	   const char *source, enum tg_alg default_alg, bool is_sync,
	   struct jwks_report *report, struct tg_why *why)
{
	struct jwks_set set = { 0 };
	struct tg_strlist keep = { 0 };
	struct store_key_sync sy = { .tenant = tenant, .source = source, .is_sync = is_sync };
	struct tg_key_record **add = NULL;
	struct tg_key **keys = NULL;
	size_t ndiffer = 0;
	enum tg_err rc;

	memset(report, 0, sizeof(*report));
	if (!source || !source[0] || strlen(source) > TG_KEYREC_STR_MAX)
		return tg_fail(why, TG_ERR_INVALID, "a key set's source must be 1 to %d characters",
			       TG_KEYREC_STR_MAX);
	rc = jwks_read(json, len, default_alg, &set, why);
	if (rc != TG_OK)
		goto out;
	keys = tg_xcalloc(set.n, sizeof(*keys));
	add = tg_xcalloc(set.n, sizeof(*add));
	plan_records(tenant, source, &set, add, keys, &sy.nadd);
	sy.add = add;
	/*
	 * A provider's outage page or an emptied set must not retire every key it published: all
	 * tokens would be refused until the next good fetch. An empty sync is refused instead.
	 */
	if (is_sync && sy.nadd == 0) {
		report_all(report, tenant, &set, keys, &sy, false); /* why each member is unusable */
		rc = tg_fail(why, TG_ERR_INVALID, "the set has no key tokengate can verify with (%zu "
			     "members, none usable); nothing was retired from tenant %s", set.n,
			     tenant);
		goto out;
	}
	/* A member that failed still names a kid of the set: its stored key is not retired. */
	for (size_t i = 0; i < set.n; i++)
		if (set.v[i].kid && set.v[i].verdict != JWKS_SKIPPED)
			strlist_add(&keep, set.v[i].kid);
	sy.keep = &keep;
	sy.outcome = tg_xcalloc(set.n, sizeof(*sy.outcome));
	rc = store_keys_sync(s, &sy);
	if (rc == TG_OK || (rc == TG_ERR_EXISTS && is_sync))
		report_all(report, tenant, &set, keys, &sy, rc == TG_OK);
	for (size_t i = 0; i < sy.nadd; i++)
		ndiffer += sy.outcome[i] == STORE_KEY_DIFFERS;
	if (rc == TG_ERR_EXISTS && is_sync)
		tg_fail(why, rc, "the set was not applied to tenant %s, nothing changed: %zu of its "
			"kids hold other keys there", tenant, ndiffer);
	else if (rc == TG_ERR_NOT_FOUND)
		tg_fail(why, rc, "tenant %s does not exist", tenant);
	else if (rc != TG_OK)
		tg_fail(why, rc, "the keys of tenant %s could not be stored (%s); nothing changed",
			tenant, tg_err_str(rc));
out:
	keyrec_list_free(add, sy.nadd);
	strlist_free(&sy.retired);
	free(sy.outcome);
	free(keys);
	strlist_free(&keep);
	jwks_set_fini(&set);
	return rc;
}
