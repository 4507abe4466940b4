/*
 * The gateway's counters for GET /metrics: one file, tokengate.metrics beside
 * the database, mapped MAP_SHARED by every process, so an answer is the total
 * over all workers. Owns its layout and the Prometheus text rendering; never
 * holds a token, a secret or an unbounded label.
 */
#ifndef TG_METRICS_H
#define TG_METRICS_H

#include "base/alg.h"
#include "base/tokengate.h"

#include <stdint.h>

#define METRICS_FILE "tokengate.metrics"
/*
 * Tenants with a row of their own in tokengate_decisions_total; the
 * decisions of tenants beyond them (and of requests with no known tenant)
 * are counted under tenant="" with their reason, so the label set stays
 * bounded however many tenants there are.
 */
#define METRICS_TENANT_SLOTS 256

enum metrics_counter {
	METRICS_CACHE_HIT,
	METRICS_CACHE_MISS,
	METRICS_SESSION_ISSUED,
	METRICS_SESSION_REFRESHED,
	METRICS_SESSION_REVOKED,
	METRICS_DB_RETRY,
	METRICS_DB_ERROR,
	/* from here on, kept at the end of the file (metrics.c: the file only grows) */
	METRICS_LOGIN_FAILED,
	METRICS_COUNT
};

/*
 * Maps dir/tokengate.metrics for this process (created when missing, owned
 * like the directory); until then, or when it fails, counting is a no-op.
 * Called again with the same dir it keeps the mapping.
 */
enum tg_err metrics_open(const char *dir, struct tg_why *why);
void metrics_close(void);

void metrics_add(enum metrics_counter c);
/* n at once: a user's logout ends all of the user's sessions. */
void metrics_add_n(enum metrics_counter c, uint64_t n);
/*
 * One authorizer decision: allowed, refused for a token's reason, or refused
 * on the request itself (no token, HTTPS, CSRF: reason TG_R_NONE and not
 * allowed). tenant may be NULL.
 */
void metrics_decision(const char *tenant, enum tg_reason reason, bool is_allowed);
/* One signature-and-claims verification of alg that took ns nanoseconds. */
void metrics_verify_time(enum tg_alg alg, uint64_t ns);
/* Nanoseconds of CLOCK_MONOTONIC, for metrics_verify_time. */
uint64_t metrics_clock(void);

/*
 * The counters in the Prometheus text exposition format 0.0.4, malloc'd;
 * TG_ERR_NOT_FOUND with a sentence in why when no file is mapped.
 */
enum tg_err metrics_render(char **out, struct tg_why *why);

#endif
