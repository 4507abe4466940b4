/*
 * base/unicode.c with libunistring: NFC of decomposed input, full case
 * folding (sharp s, Kelvin sign), refusal of ill-formed UTF-8 and NUL, code
 * point counts.
 */
#include "../lib/tap.h"

#include "base/unicode.h"

#include <stdlib.h>
#include <string.h>

static void
check(const char *in, bool is_folded, const char *want, const char *name)
{
	char *out = NULL;
	enum tg_err rc = unicode_nfc(in, strlen(in), is_folded, &out);

	ok(rc == TG_OK && out && strcmp(out, want) == 0, "%s", name);
	free(out);
}

int
main(void)
{
	char *out = NULL;
	size_t n = 0;

	check("e\xcc\x81", false, "\xc3\xa9", "e + combining acute composes to U+00E9 (NFC)");
	check("\xc3\xa9", false, "\xc3\xa9", "NFC input unchanged");
	check("Stra\xc3\x9f" "e", true, "strasse", "sharp s folds to ss (full folding)");
	check("\xe2\x84\xaa", true, "k", "Kelvin sign folds to k");
	check("E\xcc\x81", true, "\xc3\xa9", "E + acute: folded and composed");
	out = NULL;
	ok(unicode_nfkc("\xef\xbc\xa1\xef\xac\x81", 6, &out) == TG_OK && out &&
	   strcmp(out, "Afi") == 0, "NFKC: fullwidth A and the fi ligature become Afi");
	free(out);
	out = NULL;
	is_int(unicode_nfc("\xff", 1, false, &out), TG_ERR_INVALID, "ill-formed UTF-8 refused");
	is_int(unicode_nfc("a\0b", 3, false, &out), TG_ERR_INVALID, "NUL refused");
	is_int(unicode_count("\xc3\xa9t\xc3\xa9", 5, &n), TG_OK, "count of UTF-8");
	is_int((int)n, 3, "code points, not bytes");
	is_int(unicode_count("\xc3", 1, &n), TG_ERR_INVALID, "truncated sequence refused");
	return done_testing();
}
