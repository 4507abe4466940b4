/*
 * A tenant's acr map (RFC 9470): which authentication context class each amr
 * method earns, entries "AMR=ACR" weakest first. Pure rules over the map;
 * never decides whether a request is allowed (role/authz.c does).
 */
#ifndef TG_ACR_H
#define TG_ACR_H

#include "base/tokengate.h"

#define TG_ACR_LEN_MAX 64 /* bytes of one acr value */

/*
 * "AMR=ACR": AMR a method name (session_amr_is_valid's rule), ACR 1..TG_ACR_LEN_MAX
 * bytes of RFC 6750's NQCHAR except ',' (%x21 / %x23-2B / %x2D-5B / %x5D-7E),
 * so it can stand in a WWW-Authenticate quoted string and a --acr-map list.
 */
bool acr_entry_is_valid(const char *entry);

/* The acr value method (len bytes, not NUL-terminated) earns; NULL when unmapped. */
const char *acr_of_method(const struct tg_strlist *map, const char *method, size_t len);

/*
 * The acr of a set of methods: that of the strongest (last) entry whose method
 * contains() finds in set; NULL when none is.
 */
const char *acr_of_amr(const struct tg_strlist *map,
		       bool (*contains)(const void *set, const char *word, size_t len),
		       const void *set);

#endif
