/*
 * recovery: a set's codes and what is stored of them (SHA-256 of the canonical spelling, checked
 * against OpenSSL directly), each code single use (the gap: a code seen once used again), the
 * spellings a user may type, and refusals that leave the stored set as it was.
 */
#include "model/recovery.h"

#include "../lib/tap.h"

#include <openssl/sha.h>

static bool
is_code_shape(const char *c)
{
	if (strlen(c) != RECOVERY_CODE_LEN || c[5] != '-')
		return false;
	for (size_t i = 0; i < RECOVERY_CODE_LEN; i++)
		if (i != 5 && !((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '2' && c[i] <= '7')))
			return false;
	return true;
}

/* SHA-256 of the code upper-cased without its '-', as OpenSSL computes it. */
static bool
is_stored_as(const char *code, const unsigned char *hash)
{
	unsigned char canon[RECOVERY_CODE_CHARS], want[SHA256_DIGEST_LENGTH];

	for (size_t i = 0, k = 0; i < RECOVERY_CODE_LEN; i++)
		if (i != 5)
			canon[k++] =
				(unsigned char)(code[i] >= 'a' ? code[i] - 'a' + 'A' : code[i]);
	SHA256(canon, sizeof(canon), want);
	return memcmp(want, hash, sizeof(want)) == 0;
}

static void
test_new(void)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_LEN + 1];
	struct recovery_set set;
	int bad_shape = 0, bad_hash = 0, same = 0;

	is_int(recovery_new(RECOVERY_CODES, codes, &set), TG_OK, "a set of %d codes",
	       RECOVERY_CODES);
	is_int(set.n, RECOVERY_CODES, "the set holds them all");
	is_int(set.used, 0, "none used");
	is_int(recovery_remaining(&set), RECOVERY_CODES, "all remaining");
	for (size_t i = 0; i < RECOVERY_CODES; i++) {
		bad_shape += !is_code_shape(codes[i]);
		bad_hash += !is_stored_as(codes[i], set.hash[i]);
		for (size_t j = 0; j < i; j++)
			same += strcmp(codes[i], codes[j]) == 0;
	}
	is_int(bad_shape, 0, "every code is xxxxx-xxxxx in lower-case base32");
	is_int(bad_hash, 0, "every stored hash is SHA-256 of the upper-case code without '-'");
	is_int(same, 0, "the codes differ");
	secret_wipe(codes, sizeof(codes));
	is_int(recovery_new(0, codes, &set), TG_ERR_INVALID, "an empty set is refused");
	is_int(recovery_new(RECOVERY_CODES_MAX + 1, codes, &set), TG_ERR_INVALID,
	       "a set over %d is refused", RECOVERY_CODES_MAX);
}

static void
test_single_use(void)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_LEN + 1], typed[RECOVERY_CODE_LEN + 1];
	struct recovery_set set;
	size_t idx = 99, wrong = 0;

	recovery_new(RECOVERY_CODES, codes, &set);
	for (size_t i = 0; i < RECOVERY_CODES; i++) {
		idx = 99;
		wrong += recovery_verify(&set, codes[i], &idx) != TG_OK || idx != i;
	}
	is_int(wrong, 0, "each code is accepted once and names its place");
	is_int(set.used, (1u << RECOVERY_CODES) - 1, "each accepted code is marked used");
	is_int(recovery_remaining(&set), 0, "none remaining");
	/* The gap: a recovery code read off a printout, or replayed, opening a second login. */
	idx = 99;
	is_int(recovery_verify(&set, codes[3], &idx), TG_ERR_REJECTED, "a used code is refused");
	is_int(idx, 99, "index unwritten by a refusal");

	recovery_new(RECOVERY_CODES, codes, &set);
	/* What a user types: upper case, or without the '-'. */
	for (size_t i = 0; i < RECOVERY_CODE_LEN; i++)
		typed[i] = (char)(codes[2][i] >= 'a' ? codes[2][i] - 'a' + 'A' : codes[2][i]);
	typed[RECOVERY_CODE_LEN] = '\0';
	ok(recovery_verify(&set, typed, &idx) == TG_OK && idx == 2, "upper case is the same code");
	memcpy(typed, codes[4], 5);
	memcpy(typed + 5, codes[4] + 6, 6);
	ok(recovery_verify(&set, typed, &idx) == TG_OK && idx == 4, "without '-' is the same code");
	ok(recovery_verify(&set, codes[2], &idx) == TG_ERR_REJECTED,
	   "the code used in upper case is refused in lower case");
	is_int(recovery_remaining(&set), RECOVERY_CODES - 2, "two used, the rest remain");
	/* A code of another set is just a wrong code. */
	{
		char other[RECOVERY_CODES][RECOVERY_CODE_LEN + 1];
		struct recovery_set other_set;
		uint32_t before = set.used;

		recovery_new(RECOVERY_CODES, other, &other_set);
		is_int(recovery_verify(&set, other[0], &idx), TG_ERR_REJECTED,
		       "a wrong code is refused");
		is_int(set.used, before, "a refusal marks nothing");
		secret_wipe(other, sizeof(other));
	}
	secret_wipe(codes, sizeof(codes));
}

static void
test_input(void)
{
	char codes[RECOVERY_CODES_MAX][RECOVERY_CODE_LEN + 1];
	struct recovery_set set;
	size_t idx = 99;

	is_int(recovery_new(RECOVERY_CODES_MAX, codes, &set), TG_OK, "a set of %d",
	       RECOVERY_CODES_MAX);
	ok(recovery_verify(&set, codes[RECOVERY_CODES_MAX - 1], &idx) == TG_OK &&
		   idx == RECOVERY_CODES_MAX - 1 && set.used == UINT32_C(1) << 31,
	   "the last code of a full set uses the top bit");
	is_int(recovery_verify(&set, "abcde-fghi", &idx), TG_ERR_INVALID, "nine characters");
	is_int(recovery_verify(&set, "abcde-fghijk", &idx), TG_ERR_INVALID, "eleven characters");
	is_int(recovery_verify(&set, "abcd-efghij", &idx), TG_ERR_INVALID,
	       "'-' in the wrong place");
	is_int(recovery_verify(&set, "abcde fghij", &idx), TG_ERR_INVALID, "a space");
	is_int(recovery_verify(&set, "abcde-fgh1j", &idx), TG_ERR_INVALID, "'1', not base32");
	is_int(recovery_verify(&set, "", &idx), TG_ERR_INVALID, "empty");
	is_int(recovery_verify(&set, NULL, &idx), TG_ERR_INVALID, "NULL");
	set.n = RECOVERY_CODES_MAX + 1;
	is_int(recovery_verify(&set, codes[0], &idx), TG_ERR_INVALID,
	       "a damaged set (n over the max)");
	set.n = 0;
	is_int(recovery_verify(&set, codes[0], &idx), TG_ERR_INVALID, "an empty set");
	is_int(idx, RECOVERY_CODES_MAX - 1, "index unwritten by every refusal");
	secret_wipe(codes, sizeof(codes));
}

int
main(void)
{
	test_new();
	test_single_use();
	test_input();
	return done_testing();
}
