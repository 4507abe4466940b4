/*
 * Key sets that follow the provider: a tenant's jwks_uri fetched (fetch/) and
 * applied under the import rules (jwks_apply), by `tokengatectl jwks sync` or by
 * a worker that met an unknown kid. Never fetches under a lock others wait on.
 */
#ifndef TG_JWKS_SYNC_H
#define TG_JWKS_SYNC_H

#include "base/config.h"
#include "join/jwks_apply.h"
#include "jose/keyring.h"
#include "model/tenant.h"

struct tg_store;

/*
 * Claims t's fetch slot (store_jwks_claim: TG_ERR_LIMITED when an attempt was
 * made within min_interval; 0 always claims), fetches t's jwks_uri (within
 * cfg's jwks_fetch_timeout, with t's CA file) and applies it as a sync of that
 * source; then records, from the answer's max-age, when the next scheduled
 * sync is due (*next_sync; 0: at the next run). A failed fetch or a document
 * that is not a key set changes no key and says why, naming tenant and URL.
 * *report (empty on entry) is the caller's to jwks_report_fini whatever the
 * outcome: jwks_apply's lines name the kids it refused even when it failed.
 */
enum tg_err jwks_sync_tenant(struct tg_store *s, const struct tg_tenant *t,
			     const struct tg_config *cfg, int64_t now, int64_t min_interval,
			     struct jwks_report *report, int64_t *next_sync, struct tg_why *why);

/* What a worker needs to follow a provider: borrowed, living as long as the worker. */
struct jwks_follow {
	struct tg_store *store;
	struct keyring *kr; /* the worker's own, reloaded in place */
	const struct tg_config *cfg;
};

/*
 * authz_env's unknown_kid (ctx: a struct jwks_follow): for a tenant with a
 * jwks_uri, claims the tenant's fetch slot (one fetch per jwks_min_interval
 * across processes), syncs, logs what changed or why not, and reloads the
 * keyring. TG_OK when the keyring now holds kid for tenant; TG_ERR_LIMITED when
 * another fetch was too recent; TG_ERR_NOT_FOUND for a tenant without jwks_uri
 * or a set without the kid.
 */
enum tg_err jwks_follow_unknown_kid(void *ctx, const char *tenant, const char *kid);

#endif
