/*
 * NFC, NFKC, case folding and code point counts through libunistring (u8_normalize,
 * u8_casefold): the only file with <uninorm.h> and <unicase.h>. Results of a
 * password pass through here too, so intermediate buffers are wiped.
 */
#include "base/unicode.h"

#include "base/secret.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

static bool
is_well_formed(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l = tg_utf8_len((const unsigned char *)p + i, n - i);

		if (l == 0 || p[i] == '\0')
			return false;
		i += l;
	}
	return true;
}

static enum tg_err
normalize(const char *p, size_t n, uninorm_t form, bool is_folded, char **out)
{
	const uint8_t *s = (const uint8_t *)p;
	uint8_t *r = NULL;
	size_t rn = 0;
	char *str;

	if (!is_well_formed(p, n))
		return TG_ERR_INVALID;
	/* Folding can denormalise (U+0345), so the form is asked of the folding itself. */
	if (is_folded)
		r = u8_casefold(s, n, NULL, form, NULL, &rn);
	else
		r = u8_normalize(form, s, n, NULL, &rn);
	if (!r)
		abort(); /* only ENOMEM: the aborting allocators' rule, for a library's malloc */
	str = tg_xmalloc(rn + 1);
	memcpy(str, r, rn);
	str[rn] = '\0';
	secret_free_buf(r, rn); /* may be a password's */
	*out = str;
	return TG_OK;
}

enum tg_err
unicode_nfc(const char *p, size_t n, bool is_folded, char **out)
{
	return normalize(p, n, UNINORM_NFC, is_folded, out);
}

enum tg_err
unicode_nfkc(const char *p, size_t n, char **out)
{
	return normalize(p, n, UNINORM_NFKC, false, out);
}

enum tg_err
unicode_count(const char *p, size_t n, size_t *out)
{
	if (!is_well_formed(p, n))
		return TG_ERR_INVALID;
	*out = u8_mbsnlen((const uint8_t *)p, n);
	return TG_OK;
}
