/*
 * number: what the one strict integer parser accepts (digits, a '-' only where negatives are
 * allowed, the int64 ends), what it refuses as not a number and what as out of range, and
 * that a refusal leaves the output alone.
 */
#include "base/number.h"

#include "../lib/tap.h"

/* Parses s in [min, max] and checks the status and, on TG_OK, the value. */
static void
check(const char *s, int64_t min, int64_t max, enum tg_err want, int64_t want_n, const char *desc)
{
	int64_t n = 4242;
	enum tg_err rc = number_parse(s, min, max, &n);

	is_int(rc, want, "%s", desc);
	if (want == TG_OK)
		ok(n == want_n, "  and gives %lld (got %lld)", (long long)want_n, (long long)n);
	else
		ok(n == 4242, "  and leaves the output alone");
}

static void
test_accepted(void)
{
	check("0", 0, 10, TG_OK, 0, "zero");
	check("7", 1, 10, TG_OK, 7, "one digit");
	check("65535", 1, 65535, TG_OK, 65535, "the maximum itself");
	check("1", 1, 65535, TG_OK, 1, "the minimum itself");
	check("007", 0, 10, TG_OK, 7, "leading zeros are digits");
	check("00000000000000000000000000001", 0, 10, TG_OK, 1, "many leading zeros are no overflow");
	check("-5", -10, 10, TG_OK, -5, "a negative where min < 0");
	check("-0", -10, 10, TG_OK, 0, "minus zero is zero");
	check("9223372036854775807", INT64_MIN, INT64_MAX, TG_OK, INT64_MAX, "INT64_MAX");
	check("-9223372036854775808", INT64_MIN, INT64_MAX, TG_OK, INT64_MIN, "INT64_MIN");
}

static void
test_not_a_number(void)
{
	check("", 0, 10, TG_ERR_INVALID, 0, "the empty string");
	check(NULL, 0, 10, TG_ERR_INVALID, 0, "NULL");
	check(" 5", 0, 10, TG_ERR_INVALID, 0, "a leading blank");
	check("5 ", 0, 10, TG_ERR_INVALID, 0, "a trailing blank");
	check("\t5", 0, 10, TG_ERR_INVALID, 0, "a leading tab");
	check("+5", 0, 10, TG_ERR_INVALID, 0, "a plus sign");
	check("+5", -10, 10, TG_ERR_INVALID, 0, "a plus sign, negatives allowed");
	check("12abc", 0, 100, TG_ERR_INVALID, 0, "trailing junk");
	check("1.5", 0, 10, TG_ERR_INVALID, 0, "a decimal point");
	check("0x10", 0, 100, TG_ERR_INVALID, 0, "hexadecimal");
	check("1e3", 0, 10000, TG_ERR_INVALID, 0, "an exponent");
	check("-5", 0, 10, TG_ERR_INVALID, 0, "a '-' where min >= 0");
	check("-0", 0, 10, TG_ERR_INVALID, 0, "even for minus zero");
	check("-", -10, 10, TG_ERR_INVALID, 0, "a lone '-'");
	check("--5", -10, 10, TG_ERR_INVALID, 0, "two '-'");
	check("5-", -10, 10, TG_ERR_INVALID, 0, "a '-' after the digits");
	check("99999999999999999999x", 0, 10, TG_ERR_INVALID, 0,
	      "junk after an overflow is still not a number");
}

static void
test_out_of_range(void)
{
	check("0", 1, 65535, TG_ERR_RANGE, 0, "below min");
	check("65536", 1, 65535, TG_ERR_RANGE, 0, "above max");
	check("-11", -10, 10, TG_ERR_RANGE, 0, "a negative below min");
	check("9223372036854775808", INT64_MIN, INT64_MAX, TG_ERR_RANGE, 0, "INT64_MAX + 1");
	check("-9223372036854775809", INT64_MIN, INT64_MAX, TG_ERR_RANGE, 0, "INT64_MIN - 1");
	check("99999999999999999999", 0, 10, TG_ERR_RANGE, 0, "an overflow is out of range");
	check("18446744073709551616", 0, INT64_MAX, TG_ERR_RANGE, 0, "past uint64 too");
}

int
main(void)
{
	test_accepted();
	test_not_a_number();
	test_out_of_range();
	return done_testing();
}
