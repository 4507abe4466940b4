/*
 * Token bucket arithmetic (ratelimit.h). Pure: the caller reads the clock and
 * keeps the bucket. Never refuses for a reason other than an empty bucket.
 */
#include "model/ratelimit.h"

#define MILLI 1000

static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
ratelimit_init(struct tg_bucket *b, int64_t burst, int64_t now_ms)
{
	b->milli = clamp(burst, 1, TG_RATE_MAX) * MILLI;
	b->updated_ms = now_ms;
}

/*
 * A clock stepped back (NTP) must neither mint tokens nor lock a client out
 * until the clock catches up again, so the count simply restarts at now.
 * rate milli-tokens per millisecond is rate tokens per second; the elapsed
 * time is capped at what fills the bucket, so nothing can overflow, whatever
 * times a stored bucket holds.
 */
static void
refill(struct tg_bucket *b, int64_t rate, int64_t cap, int64_t now_ms)
{
	int64_t full = cap / rate + 1, elapsed = 0;

	if (now_ms > b->updated_ms &&
	    (__builtin_sub_overflow(now_ms, b->updated_ms, &elapsed) || elapsed > full))
		elapsed = full;
	b->milli = clamp(clamp(b->milli, 0, cap) + elapsed * rate, 0, cap);
	b->updated_ms = now_ms;
}

enum tg_err
ratelimit_take(struct tg_bucket *b, int64_t rate, int64_t burst, int64_t now_ms,
	       int64_t *retry_after)
{
	int64_t per_s;

	if (rate <= 0)
		return TG_OK;
	rate = clamp(rate, 1, TG_RATE_MAX);
	refill(b, rate, clamp(burst, 1, TG_RATE_MAX) * MILLI, now_ms);
	if (b->milli >= MILLI) {
		b->milli -= MILLI;
		return TG_OK;
	}
	per_s = rate * MILLI;
	*retry_after = (MILLI - b->milli + per_s - 1) / per_s;
	if (*retry_after < 1)
		*retry_after = 1;
	return TG_ERR_LIMITED;
}
