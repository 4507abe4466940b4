/*
 * Recovery codes, the second factor's fallback: sets of single-use random codes shown once and
 * stored only as SHA-256, and the check of a typed code against a stored set. Pure: no store,
 * no clock, no log.
 */
#ifndef TG_RECOVERY_H
#define TG_RECOVERY_H

#include "base/secret.h"

#define RECOVERY_CODE_CHARS 10 /* base32 characters of a code: 50 random bits */
#define RECOVERY_CODE_LEN 11   /* as shown: xxxxx-xxxxx */
#define RECOVERY_CODES 10      /* a set, as issued */
#define RECOVERY_CODES_MAX 32  /* the most a set holds: its used marks fit one uint32_t */

/*
 * What is stored of a set. SHA-256 rather than Argon2id: a code is 50 uniformly random bits,
 * which no dictionary shortens, so a slow hash buys little (2^49 SHA-256 per code, offline,
 * after a theft that already yields the TOTP secrets beside them), while one unsalted fast hash
 * lets a login hash the typed code once and compare it with every stored one in constant time;
 * salted Argon2 would cost one slow hash per stored code per try.
 */
struct recovery_set {
	size_t n;      /* codes in the set, 1 to RECOVERY_CODES_MAX */
	uint32_t used; /* bit i set: the code of hash[i] was used */
	unsigned char hash[RECOVERY_CODES_MAX][TG_SECRET_HASH_LEN];
};

/*
 * A fresh set of n codes from secret.c's CSPRNG: codes[i] (lower case, xxxxx-xxxxx, NUL-ended)
 * to show the user once, then to wipe (secret_wipe); *set (none used) to store.
 * TG_ERR_INVALID for n outside 1 to RECOVERY_CODES_MAX.
 */
enum tg_err recovery_new(size_t n, char codes[][RECOVERY_CODE_LEN + 1], struct recovery_set *set);

/*
 * Checks a typed code (either case, the '-' after the fifth character optional) against the
 * set's unused codes, hashing it once and comparing it with every stored hash in constant time.
 * TG_OK: *index is the code's place, now marked used in *set, which the caller stores back in
 * the same transaction that accepts the login. TG_ERR_REJECTED: no unused code matched (a used
 * one included). TG_ERR_INVALID: not a code's shape, or a damaged set.
 */
enum tg_err recovery_verify(struct recovery_set *set, const char *code, size_t *index);

/* How many of the set's codes are still unused (the user is told to make a new set at 0). */
size_t recovery_remaining(const struct recovery_set *set);

#endif
