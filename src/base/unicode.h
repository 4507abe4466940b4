/*
 * Unicode beyond well-formedness (base/utf8.c has that rule): NFC, full case
 * folding and code point counts, through libunistring; the only file that
 * includes its headers. Never decides what a caller's text may contain.
 */
#ifndef TG_UNICODE_H
#define TG_UNICODE_H

#include "base/tokengate.h"

/*
 * The NFC form of the well-formed UTF-8 text p[0..n) (Unicode UAX #15), as a
 * NUL-terminated string the caller frees; with is_folded, full case folding
 * (Unicode CaseFolding.txt, C and F) first, then NFC. TG_ERR_INVALID when p
 * is not well-formed UTF-8 or holds a NUL.
 */
enum tg_err unicode_nfc(const char *p, size_t n, bool is_folded, char **out);
/*
 * The NFKC form of p[0..n) (same rules), for passwords: NIST SP 800-63B asks
 * for NFKC or NFKD, so a fullwidth or ligature variant typed by another input
 * method is the same password.
 */
enum tg_err unicode_nfkc(const char *p, size_t n, char **out);
/* Code points of well-formed UTF-8 p[0..n); TG_ERR_INVALID when not well-formed. */
enum tg_err unicode_count(const char *p, size_t n, size_t *out);

#endif
