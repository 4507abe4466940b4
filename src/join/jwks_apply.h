/*
 * A JWK Set applied to a tenant's keys: jose/jwks.c's import rules meet the
 * store's one-transaction key sync. Used by `key import-jwks` (source "file")
 * and by fetched sets (source: the tenant's jwks_uri). Never prints.
 */
#ifndef TG_JWKS_APPLY_H
#define TG_JWKS_APPLY_H

#include "base/alg.h"

struct tg_store;

struct jwks_report {
	char **lines; /* one per key, naming its kid: "added k1 (RS256)", "skipped k2: use \"enc\"", ... */
	size_t n;
	size_t added, retired, unchanged, skipped, failed;
};

/*
 * Applies a JWKS document (json, len bytes) to tenant's keys under the import rules; keys it
 * adds are recorded with `source` ("file" for import-jwks, the jwks_uri for a fetched set).
 * is_sync: the tenant's keys of that source missing from the set are retired, all in one
 * transaction. default_alg: TG_ALG_INVALID, or --alg for keys without "alg". TG_OK when the
 * set was applied (report->failed may still be > 0 for per-kid errors); an error (with why)
 * when the document is not a JWKS or the store failed, and then nothing changed. With
 * is_sync, a kid of the set that the tenant holds with other key material is
 * TG_ERR_EXISTS: nothing changed, and the report's lines name that kid (a set cannot be
 * made equal without replacing a key, which is never done silently). TG_ERR_NOT_FOUND:
 * no such tenant. The report is filled whatever the outcome; free it with jwks_report_fini.
 */
enum tg_err jwks_apply(struct tg_store *s, const char *tenant, const char *json, size_t len,
		       const char *source, enum tg_alg default_alg, bool is_sync,
		       struct jwks_report *report, struct tg_why *why);
void jwks_report_fini(struct jwks_report *r);

#endif
