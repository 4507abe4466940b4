/*
 * The token bucket behind the per-API-key and per-refresh-token rate limits,
 * as a pure function of the bucket, the limits and the time: no clock, no
 * I/O (store_ratelimit_take keeps the buckets, shared by every process).
 */
#ifndef TG_RATELIMIT_H
#define TG_RATELIMIT_H

#include "base/tokengate.h"

#define TG_RATE_MAX 1000000 /* tokens per second and burst (rate_limit_* in the config) */

/*
 * Tokens are counted in thousandths, so refilling rate per second over whole
 * milliseconds is exact integer arithmetic: no rounding drift, and a stored
 * bucket reads back bit for bit in every process.
 */
struct tg_bucket {
	int64_t milli;      /* 0..burst * 1000 */
	int64_t updated_ms; /* when milli was last brought up to date */
};

/* A bucket never used before: full. */
void ratelimit_init(struct tg_bucket *b, int64_t burst, int64_t now_ms);

/*
 * Refills rate tokens per second since updated_ms, up to burst, and takes one:
 * TG_OK. With less than one token left: TG_ERR_LIMITED, the bucket only
 * refilled, and *retry_after gets the whole seconds (>= 1) until a token is
 * there. rate <= 0 means no limit (rate_limit_per_key = 0): always TG_OK,
 * bucket untouched. rate and burst above TG_RATE_MAX count as TG_RATE_MAX, a
 * burst below 1 as 1. A clock that went backwards refills nothing and
 * restarts the count from now_ms.
 */
enum tg_err ratelimit_take(struct tg_bucket *b, int64_t rate, int64_t burst, int64_t now_ms,
			   int64_t *retry_after);

#endif
