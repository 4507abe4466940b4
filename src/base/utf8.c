/*
 * The one UTF-8 well-formedness rule (RFC 3629 section 4) that every parser
 * shares, so JSON, forms and sanitised claim values cannot disagree on what a
 * valid byte sequence is. Pure: no allocation, no I/O, no notion of controls.
 */
#include "base/tokengate.h"

size_t
tg_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c, lo = 0x80, hi = 0xbf;
	size_t k;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	/* C0 and C1 could only start overlong forms of ASCII; F5..FF lie above U+10FFFF. */
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		lo = c == 0xe0 ? 0xa0 : lo; /* overlong below U+0800 */
		hi = c == 0xed ? 0x9f : hi; /* U+D800..U+DFFF are surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		lo = c == 0xf0 ? 0x90 : lo; /* overlong below U+10000 */
		hi = c == 0xf4 ? 0x8f : hi; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}
