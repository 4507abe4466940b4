/*
 * The token bucket as a pure function: a new bucket is full, takes drain it,
 * time refills it at rate per second up to burst and no further, the wait
 * is whole seconds and at least one, rate 0 means no limit, and a clock that
 * goes backwards neither mints tokens nor locks the client out.
 */
#include "model/ratelimit.h"

#include "../lib/tap.h"

#include <stdint.h>

/* How many takes succeed in a row at now_ms (stops at limit). */
static int
drain(struct tg_bucket *b, int64_t rate, int64_t burst, int64_t now_ms, int limit)
{
	int64_t retry = 0;
	int n = 0;

	while (n < limit && ratelimit_take(b, rate, burst, now_ms, &retry) == TG_OK)
		n++;
	return n;
}

static void
test_burst_and_refill(void)
{
	struct tg_bucket b;
	int64_t retry = 0, t0 = 1700000000000;

	ratelimit_init(&b, 3, t0);
	is_int(drain(&b, 2, 3, t0, 10), 3, "a new bucket holds burst tokens");
	is_int(ratelimit_take(&b, 2, 3, t0, &retry), TG_ERR_LIMITED, "then it is empty");
	is_int(retry, 1, "retry after one second");
	is_int(ratelimit_take(&b, 2, 3, t0 + 499, &retry), TG_ERR_LIMITED,
	       "2/s: 499 ms refill less than a token");
	is_int(ratelimit_take(&b, 2, 3, t0 + 500, &retry), TG_OK, "2/s: 500 ms refill one token");
	is_int(ratelimit_take(&b, 2, 3, t0 + 500, &retry), TG_ERR_LIMITED, "and only one");
	is_int(drain(&b, 2, 3, t0 + 3600 * 1000, 10), 3,
	       "an hour idle refills up to burst, no further");
	ratelimit_init(&b, 5, t0);
	is_int(drain(&b, 1, 5, t0, 2), 2, "two of five taken");
	is_int(drain(&b, 1, 5, t0 + 10000, 10), 5, "a partly full bucket caps at burst too");
}

/* Thirds of a token add up exactly: no drift from floating point. */
static void
test_exact(void)
{
	struct tg_bucket b = { .milli = 0, .updated_ms = 0 };
	int taken = 0;

	/* One call every millisecond for three seconds at 3/s, from empty. */
	for (int t = 1; t <= 3000; t++)
		taken += drain(&b, 3, 2, t, 1);
	is_int(taken, 9, "3/s over 3 s, asked every millisecond: exactly 9 tokens");
	is_int(b.milli, 0, "with nothing left over");
}

static void
test_retry_after(void)
{
	struct tg_bucket b = { .milli = 0, .updated_ms = 0 };
	int64_t retry = -1;

	is_int(ratelimit_take(&b, 1, 1, 1, &retry), TG_ERR_LIMITED, "1/s, 1 ms after empty");
	is_int(retry, 1, "the 999 ms still missing round up to one second");
	retry = -1;
	is_int(ratelimit_take(&b, 1000, 1, 1, &retry), TG_ERR_LIMITED,
	       "1000/s, same millisecond: limited");
	is_int(retry, 1, "a wait below a second is still reported as one");
	is_int(ratelimit_take(&b, 1000, 1, 2, &retry), TG_OK, "1000/s: a millisecond later, ok");
}

static void
test_clock_backwards(void)
{
	struct tg_bucket b;
	int64_t retry = 0, t0 = 100000;

	ratelimit_init(&b, 2, t0);
	drain(&b, 1, 2, t0, 10);
	is_int(ratelimit_take(&b, 1, 2, t0 - 50000, &retry), TG_ERR_LIMITED,
	       "clock 50 s back: no tokens minted");
	is_int(b.updated_ms, t0 - 50000, "the count restarts at the new time");
	is_int(ratelimit_take(&b, 1, 2, t0 - 49000, &retry), TG_OK,
	       "a second later on the new clock: a token, not locked out for 50 s");
}

static void
test_limits(void)
{
	struct tg_bucket b, before;
	int64_t retry = 42;

	ratelimit_init(&b, 1, 0);
	drain(&b, 1, 1, 0, 1);
	before = b;
	is_int(drain(&b, 0, 1, 0, 1000), 1000, "rate 0: no limit");
	ok(b.milli == before.milli && b.updated_ms == before.updated_ms,
	   "rate 0 leaves the bucket untouched");
	is_int(ratelimit_take(&b, 1, 1, 0, &retry), TG_ERR_LIMITED, "rate 1 again: still empty");

	ratelimit_init(&b, 0, 0);
	is_int(drain(&b, 5, 0, 0, 10), 1, "burst 0 counts as 1");
	ratelimit_init(&b, INT64_MAX, 0);
	is_int(b.milli, (int64_t)TG_RATE_MAX * 1000, "a huge burst is capped at TG_RATE_MAX");
	is_int(drain(&b, INT64_MAX, INT64_MAX, INT64_MAX / 2, 3), 3,
	       "huge rate, burst and elapsed time: no overflow");
	b.milli = 0;
	b.updated_ms = INT64_MIN;
	is_int(ratelimit_take(&b, TG_RATE_MAX, TG_RATE_MAX, INT64_MAX, &retry), TG_OK,
	       "elapsed time beyond int64 range is capped, not overflowed");
}

int
main(void)
{
	test_burst_and_refill();
	test_exact();
	test_retry_after();
	test_clock_backwards();
	test_limits();
	return done_testing();
}
