/*
 * A tenant's key set fetched from its jwks_uri and applied through jwks_apply,
 * and the worker's way to it on an unknown kid. The fetch runs in the thread
 * that asked, after the slot's short transaction: no lock is held across it.
 * Logs URLs, kids and counts, never key material.
 */
#include "join/jwks_sync.h"

#include "base/log.h"
#include "fetch/fetch.h"
#include "join/keyring_sync.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The next scheduled sync: max-age from now, never sooner than the minimum interval. */
static int64_t
next_due(const struct tg_config *cfg, int64_t now, int64_t max_age)
{
	if (max_age < 0)
		return 0;
	return now + (max_age > cfg->jwks_min_interval ? max_age : cfg->jwks_min_interval);
}

enum tg_err
jwks_sync_tenant(struct tg_store *s, const struct tg_tenant *t, const struct tg_config *cfg,
		 int64_t now, int64_t min_interval, struct jwks_report *report, int64_t *next_sync,
		 struct tg_why *why)
{
	struct fetch_result res = { 0 };
	struct tg_why inner;
	enum tg_alg alg = TG_ALG_INVALID;
	bool is_claimed = false;
	int64_t next;
	enum tg_err rc;

	if (!t->jwks_uri) {
		rc = tg_fail(why, TG_ERR_NOT_FOUND, "tenant %s has no jwks_uri: set one with "
			     "`tokengatectl tenant set %s --jwks-uri https://...`", t->id, t->id);
		goto out;
	}
	rc = store_jwks_claim(s, t->id, now, min_interval, &is_claimed);
	if (rc != TG_OK) {
		rc = tg_fail(why, rc, "tenant %s: cannot claim the fetch of %s in the database: %s",
			     t->id, t->jwks_uri, tg_err_str(rc));
		goto out;
	}
	if (!is_claimed) {
		rc = tg_fail(why, TG_ERR_LIMITED, "tenant %s: its key set was fetched less than %lld "
			     "s ago (jwks_min_interval)", t->id, (long long)min_interval);
		goto out;
	}
	rc = fetch_https(t->jwks_uri, t->jwks_ca_file, cfg->jwks_fetch_timeout * 1000,
			 FETCH_MAX_BYTES, &res, &inner);
	if (rc != TG_OK) {
		rc = tg_fail(why, rc, "tenant %s: %s; its keys stay as they were", t->id, inner.text);
		goto out;
	}
	/* Keys without alg take the tenant's jwks_alg; without one they are named and skipped. */
	if (t->jwks_alg)
		(void)alg_from_name(t->jwks_alg, &alg); /* tenant.c admits only names it knows */
	rc = jwks_apply(s, t->id, res.body, res.len, t->jwks_uri, alg, true, report, &inner);
	if (rc != TG_OK) {
		rc = tg_fail(why, rc, "tenant %s: the key set from %s was not applied: %s; its keys "
			     "stay as they were", t->id, t->jwks_uri, inner.text);
		goto out;
	}
	next = next_due(cfg, now, res.max_age);
	rc = store_jwks_schedule(s, t->id, next);
	if (rc != TG_OK) {
		rc = tg_fail(why, rc, "tenant %s: the key set was applied, but its next sync could "
			     "not be recorded: %s", t->id, tg_err_str(rc));
		goto out;
	}
	*next_sync = next;
out:
	fetch_result_fini(&res);
	return rc;
}

static bool
has_kid(const struct keyring *kr, const char *tenant, const char *kid)
{
	const struct keyring_key *keys;
	size_t n;

	keyring_keys(kr, tenant, &keys, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].kid, kid) == 0)
			return true;
	return false;
}

/* One fetch for this worker: synced and logged, or refused by the slot. t is a copy the reload cannot free. */
static enum tg_err
follow(struct jwks_follow *f, const struct tg_tenant *t, const char *kid, int64_t now)
{
	struct jwks_report rep = { 0 };
	struct tg_why why;
	int64_t next = 0;
	enum tg_err rc;

	rc = jwks_sync_tenant(f->store, t, f->cfg, now, f->cfg->jwks_min_interval, &rep, &next,
			      &why);
	if (rc != TG_OK && rc != TG_ERR_LIMITED)
		TG_LOG(TG_LOG_WARN, "a token names kid %s: %s", kid, why.text);
	if (rc != TG_OK)
		goto out;
	TG_LOG(TG_LOG_INFO, "tenant %s: a token named kid %s, so its key set was fetched from %s: "
	       "%zu added, %zu retired, %zu unchanged, %zu skipped, %zu failed", t->id, kid,
	       t->jwks_uri, rep.added, rep.retired, rep.unchanged, rep.skipped, rep.failed);
out:
	jwks_report_fini(&rep);
	return rc;
}

enum tg_err
jwks_follow_unknown_kid(void *ctx, const char *tenant, const char *kid)
{
	struct jwks_follow *f = ctx;
	const struct tg_tenant *t = keyring_tenant(f->kr, tenant);
	struct tg_tenant *copy = NULL;
	enum tg_err rc = TG_ERR_NOT_FOUND;

	if (!t || !t->jwks_uri)
		goto out;
	copy = tenant_dup(t);
	rc = follow(f, copy, kid, (int64_t)time(NULL));
	if (rc == TG_OK)
		rc = keyring_sync(f->kr, f->store, NULL);
	if (rc == TG_OK && !has_kid(f->kr, tenant, kid))
		rc = TG_ERR_NOT_FOUND;
out:
	tenant_free(copy);
	return rc;
}
