/*
 * The one parser of decimal integers a person or a client typed (config values, CLI options,
 * ports, query parameters). It never skips blanks or junk the way strtol does, and never
 * prints: each caller says what was wrong in its own words.
 */
#ifndef TG_NUMBER_H
#define TG_NUMBER_H

#include "base/tokengate.h"

/*
 * s is decimal digits only, with one leading '-' allowed only when min < 0: no blanks, no
 * '+', nothing after the digits, not empty. TG_ERR_INVALID when s (or NULL) is not such a
 * number, TG_ERR_RANGE when it is one outside [min, max] (beyond int64 included); *out is
 * written only on TG_OK.
 */
enum tg_err number_parse(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
