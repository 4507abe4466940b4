/*
 * utf8: tg_utf8_len against RFC 3629's table (overlongs, surrogates, code
 * points above U+10FFFF, stray or bad continuation bytes, truncation, the
 * 4-byte maximum), then every 1-, 2- and 3-byte sequence against a decoder.
 */
#include "base/tokengate.h"

#include "../lib/tap.h"

#define LEN(s, n, want, why) is_int(tg_utf8_len((const unsigned char *)(s), n), want, why)

static void
test_table(void)
{
	LEN("", 0, 0, "no bytes, no sequence");
	LEN("a", 1, 1, "ASCII");
	LEN("\0", 1, 1, "NUL is one byte: callers decide about it");
	LEN("\x7f", 1, 1, "DEL is one byte");
	LEN("\xc3\xa9zz", 4, 2, "U+00E9, only its own bytes counted");
	LEN("\xc2\x80", 2, 2, "U+0080, the smallest 2-byte form");
	LEN("\xdf\xbf", 2, 2, "U+07FF");
	LEN("\xe0\xa0\x80", 3, 3, "U+0800, the smallest 3-byte form");
	LEN("\xe2\x82\xac", 3, 3, "U+20AC");
	LEN("\xef\xbf\xbf", 3, 3, "U+FFFF");
	LEN("\xf0\x90\x80\x80", 4, 4, "U+10000, the smallest 4-byte form");
	LEN("\xf4\x8f\xbf\xbf", 4, 4, "U+10FFFF, the largest code point");

	LEN("\xc0\x80", 2, 0, "overlong NUL (C0 80)");
	LEN("\xc1\xbf", 2, 0, "overlong U+007F (C1 BF)");
	LEN("\xe0\x80\xaf", 3, 0, "overlong '/' in 3 bytes");
	LEN("\xe0\x9f\xbf", 3, 0, "overlong U+07FF in 3 bytes");
	LEN("\xf0\x80\x80\xaf", 4, 0, "overlong '/' in 4 bytes");
	LEN("\xf0\x8f\xbf\xbf", 4, 0, "overlong U+FFFF in 4 bytes");

	LEN("\xed\x9f\xbf", 3, 3, "U+D7FF, just below the surrogates");
	LEN("\xed\xa0\x80", 3, 0, "U+D800, first high surrogate");
	LEN("\xed\xbf\xbf", 3, 0, "U+DFFF, last low surrogate");
	LEN("\xee\x80\x80", 3, 3, "U+E000, just above the surrogates");

	LEN("\xf4\x90\x80\x80", 4, 0, "U+110000, above U+10FFFF");
	LEN("\xf5\x80\x80\x80", 4, 0, "F5 lead byte");
	LEN("\xf7\xbf\xbf\xbf", 4, 0, "F7 lead byte (U+1FFFFF)");
	LEN("\xf8\x88\x80\x80\x80", 5, 0, "5-byte form");
	LEN("\xfc\x84\x80\x80\x80\x80", 6, 0, "6-byte form");
	LEN("\xfe", 1, 0, "FE");
	LEN("\xff", 1, 0, "FF");

	LEN("\x80", 1, 0, "stray continuation byte 80");
	LEN("\xbf", 1, 0, "stray continuation byte BF");
	LEN("\xc3\x28", 2, 0, "2-byte lead followed by ASCII");
	LEN("\xe2\x28\xa1", 3, 0, "bad second byte of 3");
	LEN("\xe2\x82\x28", 3, 0, "bad third byte of 3");
	LEN("\xf0\x9f\x98\x28", 4, 0, "bad fourth byte of 4");
	LEN("\xf0\x9f\xc0\x80", 4, 0, "a lead byte where a continuation belongs");

	LEN("\xc3", 1, 0, "truncated 2-byte sequence");
	LEN("\xe2\x82", 2, 0, "truncated 3-byte sequence");
	LEN("\xf0\x9f\x98", 3, 0, "truncated 4-byte sequence");
	LEN("\xe2\x82\xac", 2, 0, "n cuts a whole sequence short");
	LEN("\xf4\x8f\xbf\xbf", 3, 0, "n cuts the 4-byte maximum short");
}

/* The same rule the long way: decode, then ask whether that was the one encoding of a scalar. */
static size_t
reference_len(const unsigned char *b, size_t n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t k;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (b[0] < 0x80)
		return 1;
	if ((b[0] & 0xe0) == 0xc0) {
		k = 2;
		cp = b[0] & 0x1f;
	} else if ((b[0] & 0xf0) == 0xe0) {
		k = 3;
		cp = b[0] & 0x0f;
	} else if ((b[0] & 0xf8) == 0xf0) {
		k = 4;
		cp = b[0] & 0x07;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((b[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (b[i] & 0x3f);
	}
	return cp >= min[k] && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? k : 0;
}

static void
test_exhaustive(void)
{
	unsigned char b[4];
	unsigned long bad = 0, valid = 0;
	/* Below, at both ends of and above 80..BF, and either side of the 90 and A0 limits. */
	static const unsigned char tail[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90,
					      0x9f, 0xa0, 0xbf, 0xc0, 0xff };

	for (unsigned v = 0; v < 1u << 24; v++) {
		size_t got;

		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		got = tg_utf8_len(b, 3);
		valid += got != 0;
		bad += got != reference_len(b, 3);
	}
	is_int(bad, 0, "every 3-byte window agrees with the reference decoder");
	/* 2^24 windows: 2^23 start with ASCII, 1920 * 2^8 with a 2-byte form, 61440 are 3-byte. */
	is_int(valid, (1ul << 23) + 1920ul * 256 + 61440, "and the count of valid windows is RFC 3629's");

	bad = valid = 0;
	for (unsigned lead = 0xf0; lead <= 0xff; lead++)
		for (unsigned c1 = 0; c1 <= 0xff; c1++)
			for (size_t i = 0; i < sizeof(tail); i++)
				for (size_t j = 0; j < sizeof(tail); j++) {
					b[0] = (unsigned char)lead;
					b[1] = (unsigned char)c1;
					b[2] = tail[i];
					b[3] = tail[j];
					valid += tg_utf8_len(b, 4) == 4;
					bad += tg_utf8_len(b, 4) != reference_len(b, 4);
				}
	is_int(bad, 0, "4-byte leads with every second byte agree with the reference decoder");
	/* F0: 90..BF (48), F1..F3: 80..BF (3 * 64), F4: 80..8F (16); 6 * 6 good tails each. */
	is_int(valid, (48 + 3 * 64 + 16) * 36, "and only U+10000..U+10FFFF pass");
}

int
main(void)
{
	test_table();
	test_exhaustive();
	return done_testing();
}
