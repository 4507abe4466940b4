/*
 * Recovery codes: generation (secret.c's CSPRNG, base32.c's alphabet), the one spelling a code is
 * hashed in, constant-time matching against a stored set. Never keeps or logs a code in clear:
 * what is shown is the caller's to wipe, what is stored is a hash.
 */
#include "model/recovery.h"

#include "base/base32.h"

#include <string.h>

#define RANDOM_BYTES 7 /* 56 bits, of which a code's 10 base32 characters take the first 50 */
#define GROUP 5        /* characters before the '-' */

enum tg_err
recovery_new(size_t n, char codes[][RECOVERY_CODE_LEN + 1], struct recovery_set *set)
{
	struct recovery_set s = { .n = n };
	char shown[RECOVERY_CODES_MAX][RECOVERY_CODE_LEN + 1];
	unsigned char raw[RANDOM_BYTES];
	char *b32 = NULL;
	enum tg_err rc = TG_ERR_INVALID;

	if (n == 0 || n > RECOVERY_CODES_MAX)
		goto out;
	for (size_t i = 0; i < n; i++) {
		rc = secret_random(raw, sizeof(raw));
		if (rc != TG_OK)
			goto out;
		b32 = base32_encode(raw, sizeof(raw));
		/* The stored hash is of the canonical spelling: upper case, no '-'. */
		rc = secret_hash(b32, RECOVERY_CODE_CHARS, s.hash[i]);
		if (rc != TG_OK)
			goto out;
		/* Shown in lower case (| 0x20 turns A-Z to a-z and leaves 2-7), grouped by 5. */
		for (size_t j = 0, k = 0; j < RECOVERY_CODE_LEN; j++)
			shown[i][j] = j == GROUP ? '-' : (char)(b32[k++] | 0x20);
		shown[i][RECOVERY_CODE_LEN] = '\0';
		secret_free_str(b32);
		b32 = NULL;
	}
	memcpy(codes, shown, n * sizeof(shown[0]));
	*set = s;
out:
	secret_wipe(shown, sizeof(shown));
	secret_wipe(raw, sizeof(raw));
	secret_free_str(b32);
	return rc;
}

/* The canonical spelling of a typed code into out (RECOVERY_CODE_CHARS bytes), or false. */
static bool
canonical(const char *code, char out[RECOVERY_CODE_CHARS])
{
	size_t len = code ? strlen(code) : 0, k = 0;
	char c;

	if (len != RECOVERY_CODE_CHARS && !(len == RECOVERY_CODE_LEN && code[GROUP] == '-'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (len == RECOVERY_CODE_LEN && i == GROUP)
			continue;
		c = code[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')))
			return false;
		out[k++] = c;
	}
	return true;
}

enum tg_err
recovery_verify(struct recovery_set *set, const char *code, size_t *index)
{
	char canon[RECOVERY_CODE_CHARS];
	unsigned char h[TG_SECRET_HASH_LEN];
	size_t found = RECOVERY_CODES_MAX;
	enum tg_err rc = TG_ERR_INVALID;

	if (!set || set->n == 0 || set->n > RECOVERY_CODES_MAX || !canonical(code, canon))
		goto out;
	rc = secret_hash(canon, sizeof(canon), h);
	if (rc != TG_OK)
		goto out;
	/* Every stored hash is compared, used or not, so the time says nothing of which matched. */
	for (size_t i = 0; i < set->n; i++) {
		bool is_same = secret_equal(h, sizeof(h), set->hash[i], TG_SECRET_HASH_LEN);

		if (is_same && !(set->used & (UINT32_C(1) << i)))
			found = i;
	}
	rc = found < set->n ? TG_OK : TG_ERR_REJECTED;
	if (rc == TG_OK) {
		set->used |= UINT32_C(1) << found;
		*index = found;
	}
out:
	secret_wipe(canon, sizeof(canon));
	secret_wipe(h, sizeof(h));
	return rc;
}

size_t
recovery_remaining(const struct recovery_set *set)
{
	size_t left = 0;

	for (size_t i = 0; set && i < set->n && i < RECOVERY_CODES_MAX; i++)
		if (!(set->used & (UINT32_C(1) << i)))
			left++;
	return left;
}
