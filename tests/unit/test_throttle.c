/*
 * Login throttling's pure rules: free failures cost nothing, each further one
 * doubles the wait up to the cap, a counter expires ttl after its last
 * failure, a clock stepped back never lengthens a wait past one back-off, and
 * the keys: every spelling of one email is one account, tenants apart, the
 * email never kept in clear, IPv6 cut to its /64, IPv4 whole.
 */
#include "model/throttle.h"

#include "../lib/tap.h"

#include <string.h>

static const struct tg_throttle_policy pol = {
	.account_free = 3, .addr_free = 10, .max_backoff = 8, .ttl = 60,
};

static void
test_backoff(void)
{
	static const int64_t want[] = { 0, 0, 0, 0, 1, 2, 4, 8, 8, 8 };

	for (int64_t f = 0; f < 10; f++)
		is_int(throttle_backoff(f, 3, 8), want[f], "%lld failures, 3 free, cap 8: %lld s",
		       (long long)f, (long long)want[f]);
	is_int(throttle_backoff(INT64_MAX, 0, 900), 900, "any count stays at the cap");
	is_int(throttle_backoff(67, 5, INT64_MAX), INT64_C(1) << 61, "62 over the free: 2^61 s");
	is_int(throttle_backoff(70, 5, INT64_MAX), INT64_MAX,
	       "further: the cap, without shifting past 62 bits");
	is_int(throttle_backoff(10, 0, 0), 0, "a cap of 0 never waits");
}

static void
test_check_and_fail(void)
{
	struct tg_throttle t = { 0 };
	int64_t t0 = 1700000000000, retry = 0;

	for (int i = 0; i < 3; i++) {
		is_int(throttle_check(&t, 3, &pol, t0, &retry), TG_OK, "free failure %d: no wait",
		       i + 1);
		throttle_fail(&t, &pol, t0);
	}
	is_int(throttle_check(&t, 3, &pol, t0, &retry), TG_OK, "three failures: still no wait");
	throttle_fail(&t, &pol, t0);
	is_int(throttle_check(&t, 3, &pol, t0, &retry), TG_ERR_LIMITED, "the fourth: a wait");
	is_int(retry, 1, "of one second");
	is_int(throttle_check(&t, 3, &pol, t0 + 999, &retry), TG_ERR_LIMITED, "999 ms later: still");
	is_int(retry, 1, "rounded up to a whole second");
	is_int(throttle_check(&t, 3, &pol, t0 + 1000, &retry), TG_OK, "1 s later: let through");
	throttle_fail(&t, &pol, t0 + 1000);
	is_int(throttle_check(&t, 3, &pol, t0 + 1000, &retry), TG_ERR_LIMITED, "the fifth: 2 s");
	is_int(retry, 2, "retry after 2 s");
	is_int(t.failures, 5, "five counted");
	throttle_fail(&t, &pol, t0 + 5000);
	throttle_fail(&t, &pol, t0 + 5000);
	throttle_fail(&t, &pol, t0 + 5000);
	throttle_check(&t, 3, &pol, t0 + 5000, &retry);
	is_int(retry, 8, "eight failures: capped at max_backoff 8 s, not 16");
	ok(!throttle_is_expired(&t, &pol, t0 + 5000 + 59999), "not expired 59.999 s after the last");
	ok(throttle_is_expired(&t, &pol, t0 + 5000 + 60000), "expired ttl (60 s) after the last");
	is_int(throttle_check(&t, 3, &pol, t0 + 65000, &retry), TG_OK, "an expired counter: no wait");
	throttle_fail(&t, &pol, t0 + 65000);
	is_int(t.failures, 1, "a failure after expiry starts again from one");
}

/* An NTP step back must not lock an account for the size of the step. */
static void
test_clock_back(void)
{
	struct tg_throttle t = { .failures = 7, .last_ms = 1700000000000 };
	int64_t retry = 0;

	is_int(throttle_check(&t, 3, &pol, t.last_ms - 3600 * 1000, &retry), TG_ERR_LIMITED,
	       "the clock an hour back: still waiting");
	is_int(retry, 8, "but only one whole back-off (8 s), not an hour");
}

static void
test_account_key(void)
{
	struct tg_throttle_key a, b, c, d;
	char tag[THROTTLE_ACCOUNT_TAG_LEN + 1];
	char long_tenant[TG_TENANT_ID_MAX + 2];

	is_int(throttle_account_key("acme", "  Alice@Example.COM ", &a), TG_OK, "an account key");
	is_int(throttle_account_key("acme", "alice@example.com", &b), TG_OK, "the same, normalised");
	ok(a.len == b.len && memcmp(a.b, b.b, a.len) == 0, "one counter for both spellings");
	throttle_account_key("other", "alice@example.com", &c);
	ok(c.len != a.len || memcmp(c.b, a.b, a.len) != 0, "another tenant: another counter");
	ok(memmem(a.b, a.len, "alice", 5) == NULL, "the email is not in the key");
	is_int(throttle_account_key("acme", "not an email", &d), TG_OK,
	       "a malformed email still gets a counter (unknown accounts are throttled alike)");
	ok(d.len == a.len && memcmp(d.b, a.b, a.len) != 0, "its own");
	throttle_account_tag(&a, tag);
	is_int((long long)strlen(tag), THROTTLE_ACCOUNT_TAG_LEN, "the log's tag: %s", tag);
	ok(strncmp(tag, "sha256:", 7) == 0 && !strstr(tag, "alice"), "a hash prefix, no email");
	memset(long_tenant, 'x', sizeof(long_tenant) - 1);
	long_tenant[sizeof(long_tenant) - 1] = '\0';
	is_int(throttle_account_key(long_tenant, "a@b.c", &d), TG_ERR_INVALID,
	       "a tenant id longer than TG_TENANT_ID_MAX is refused, not cut");
}

static bool
same(const char *x, const char *y)
{
	struct tg_throttle_key a, b;

	return throttle_addr_key(x, &a) == TG_OK && throttle_addr_key(y, &b) == TG_OK &&
	       a.len == b.len && memcmp(a.b, b.b, a.len) == 0;
}

static void
test_addr_key(void)
{
	struct tg_throttle_key k;

	ok(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:eeee:dddd:cccc"), "IPv6: one /64, one counter");
	ok(!same("2001:db8:1:2::1", "2001:db8:1:3::1"), "the next /64: another");
	ok(same("192.0.2.7", "::ffff:192.0.2.7"), "IPv4 and its mapped form: one counter");
	ok(!same("192.0.2.7", "192.0.2.8"), "IPv4: whole addresses");
	is_int(throttle_addr_key(NULL, &k), TG_OK, "no address");
	is_int((long long)k.len, 0, "no counter");
	is_int(throttle_addr_key("", &k), TG_OK, "an empty address");
	is_int((long long)k.len, 0, "no counter either");
	is_int(throttle_addr_key("example.com", &k), TG_ERR_INVALID, "a name is no address");
}

int
main(void)
{
	test_backoff();
	test_check_and_fail();
	test_clock_back();
	test_account_key();
	test_addr_key();
	return done_testing();
}
