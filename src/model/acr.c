/*
 * The acr map's entries and the two questions asked of it: what one method
 * earns (for a step-up challenge's acr_values) and what a session's methods
 * earn (for a token's acr claim). Never reads a token or a request.
 */
#include "model/acr.h"

#include "model/session.h"

#include <string.h>

/* RFC 6750 3: NQCHAR is %x21 / %x23-5B / %x5D-7E; ',' separates --acr-map entries. */
static bool
is_acr_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' && c != ',';
}

bool
acr_entry_is_valid(const char *entry)
{
	const char *eq = entry ? strchr(entry, '=') : NULL;
	size_t mlen, alen;

	if (!eq)
		return false;
	mlen = (size_t)(eq - entry);
	alen = strlen(eq + 1);
	/* An amr name by session_amr_is_valid's rule (not a call: model files call in no cycle). */
	if (mlen == 0 || mlen > TG_AMR_LEN_MAX || strspn(entry, TG_AMR_CHARS) != mlen ||
	    alen == 0 || alen > TG_ACR_LEN_MAX)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (!is_acr_char((unsigned char)eq[1 + i]))
			return false;
	return true;
}

/* The entry's method is exactly the len bytes at method: its acr, else NULL. */
static const char *
entry_acr(const char *entry, const char *method, size_t len)
{
	const char *eq = strchr(entry, '=');

	if (!eq || (size_t)(eq - entry) != len || memcmp(entry, method, len) != 0)
		return NULL;
	return eq + 1;
}

const char *
acr_of_method(const struct tg_strlist *map, const char *method, size_t len)
{
	const char *acr = NULL;

	for (size_t i = 0; i < map->n && !acr; i++)
		acr = entry_acr(map->v[i], method, len);
	return acr;
}

const char *
acr_of_amr(const struct tg_strlist *map,
	   bool (*contains)(const void *set, const char *word, size_t len), const void *set)
{
	for (size_t i = map->n; i > 0; i--) {
		const char *entry = map->v[i - 1], *eq = strchr(entry, '=');

		if (eq && contains(set, entry, (size_t)(eq - entry)))
			return eq + 1;
	}
	return NULL;
}
