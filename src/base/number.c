/*
 * Strict decimal integers, overflow and range checked. Owns no memory and never prints; a
 * value that is not wholly a number is refused, never read as a prefix.
 */
#include "base/number.h"

enum tg_err
number_parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
	bool is_negative = s && s[0] == '-' && min < 0;
	const char *d = s ? s + is_negative : NULL;
	/* The magnitude is gathered unsigned so INT64_MIN, one past INT64_MAX, fits. */
	uint64_t mag = 0, limit = (uint64_t)INT64_MAX + is_negative;
	bool is_over = false;
	int64_t n;

	if (!d || !*d)
		return TG_ERR_INVALID;
	/* Junk after an overflow still makes it "not a number", so the scan goes on. */
	for (; *d; d++) {
		unsigned digit;

		if (*d < '0' || *d > '9')
			return TG_ERR_INVALID;
		digit = (unsigned)(*d - '0');
		if (mag > (limit - digit) / 10)
			is_over = true;
		else
			mag = mag * 10 + digit;
	}
	if (is_over)
		return TG_ERR_RANGE;
	if (!is_negative)
		n = (int64_t)mag;
	else
		n = mag == 0 ? 0 : -(int64_t)(mag - 1) - 1; /* no signed overflow at INT64_MIN */
	if (n < min || n > max)
		return TG_ERR_RANGE;
	*out = n;
	return TG_OK;
}
