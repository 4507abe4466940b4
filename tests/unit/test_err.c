/*
 * err: the wire names of rejection reasons (distinct, non-empty, machine-friendly), verdicts
 * built by tg_reject, error sentences built by tg_fail, the aborting allocators and the
 * owned-string list.
 */
#include "base/tokengate.h"

#include "../lib/tap.h"

static bool
is_wire_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

static void
test_reason_codes(void)
{
	int bad = 0, dups = 0;

	for (int r = 0; r < TG_R_COUNT; r++) {
		const char *c = tg_reason_code((enum tg_reason)r);

		if (!is_wire_name(c)) {
			diag("reason %d has code '%s'", r, c ? c : "(null)");
			bad++;
		}
		for (int q = 0; q < r; q++)
			dups += c && strcmp(c, tg_reason_code((enum tg_reason)q)) == 0;
	}
	is_int(bad, 0, "every reason has a non-empty [a-z_] code, without spaces");
	is_int(dups, 0, "no two reasons share a code");
	is_str(tg_reason_code(TG_R_NONE), "none", "TG_R_NONE is 'none'");
	is_str(tg_reason_code(TG_R_BAD_SIGNATURE), "bad_signature", "TG_R_BAD_SIGNATURE");
	is_str(tg_reason_code(TG_R_EXPIRED), "expired", "TG_R_EXPIRED");
	is_str(tg_reason_code(TG_R_COUNT), "internal_error",
	       "an out-of-range reason is internal_error");
	is_str(tg_reason_code((enum tg_reason)-1), "internal_error", "so is a negative one");
}

static void
test_err_str(void)
{
	int bad = 0, dups = 0;

	for (int e = TG_OK; e <= TG_ERR_RANGE; e++) {
		const char *s = tg_err_str((enum tg_err)e);

		bad += !s || !*s || strcmp(s, "unknown error") == 0;
		for (int f = TG_OK; f < e; f++)
			dups += strcmp(s, tg_err_str((enum tg_err)f)) == 0;
	}
	is_int(bad, 0, "every error code has its own sentence");
	is_int(dups, 0, "no two error codes share a sentence");
	is_str(tg_err_str((enum tg_err)999), "unknown error",
	       "an unknown code still gets a sentence");
}

static void
test_reject(void)
{
	struct tg_verdict v = { .reason = TG_R_NONE };
	char long_why[TG_WHY_MAX * 2];

	is_int(tg_reject(&v, TG_R_EXPIRED, "expired %d seconds ago", 42), TG_ERR_REJECTED,
	       "tg_reject returns TG_ERR_REJECTED");
	is_int(v.reason, TG_R_EXPIRED, "and records the reason");
	is_str(v.why, "expired 42 seconds ago", "and formats the sentence");
	memset(long_why, 'x', sizeof(long_why) - 1);
	long_why[sizeof(long_why) - 1] = '\0';
	tg_reject(&v, TG_R_MALFORMED, "%s", long_why);
	is_int(v.reason, TG_R_MALFORMED, "a second reject overwrites the reason");
	is_int(strlen(v.why), TG_WHY_MAX - 1,
	       "an over-long sentence is cut to fit, NUL-terminated");
	is_str(v.why + TG_WHY_MAX - 4, "...", "and ends in ... so the cut shows");
}

static void
test_fail(void)
{
	struct tg_why why = { "untouched" };
	char long_text[TG_WHY_LEN * 2];
	size_t n;

	is_int(tg_fail(NULL, TG_ERR_IO, "%s", "nobody reads this"), TG_ERR_IO,
	       "with no why wanted, tg_fail only returns the error");
	is_int(tg_fail(&why, TG_ERR_NOT_FOUND, "no tokengate database in %s: run `%s init` first",
		       "/srv/tg", "tokengatectl"), TG_ERR_NOT_FOUND, "tg_fail returns its error");
	is_str(why.text, "no tokengate database in /srv/tg: run `tokengatectl init` first",
	       "and formats the sentence into why");
	tg_fail(&why, TG_ERR_IO, "%s: %s", "wrapped", why.text);
	is_str(why.text, "wrapped: no tokengate database in /srv/tg: run `tokengatectl init` first",
	       "a sentence can wrap the one already in why");
	tg_fail(&why, TG_ERR_IO, "short");
	is_str(why.text, "short", "a shorter sentence replaces a longer one whole");

	memset(long_text, 'p', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	tg_fail(&why, TG_ERR_IO, "%s", long_text);
	n = strlen(why.text);
	is_int(n, TG_WHY_LEN - 1, "an over-long sentence fills the buffer, NUL-terminated");
	is_str(why.text + n - 3, "...", "and ends in ... so the reader sees the cut");
	ok(strspn(why.text, "p") == n - 3, "what is kept is the sentence's start");

	/* A two-byte character straddling the cut is dropped whole, never split. */
	memset(long_text, 'p', TG_WHY_LEN - 5);
	memcpy(long_text + TG_WHY_LEN - 5, "\xc3\xa9tail", 7);
	long_text[TG_WHY_LEN + 2] = '\0';
	tg_fail(&why, TG_ERR_IO, "%s", long_text);
	n = strlen(why.text);
	is_int(n, TG_WHY_LEN - 2, "a cut inside a UTF-8 sequence moves back before it");
	is_str(why.text + n - 3, "...", "and still ends in ...");
	ok(strchr(why.text, '\xc3') == NULL, "no half of the character is left");
}

static void
test_alloc(void)
{
	unsigned char *z = tg_xcalloc(64, 4);
	int nonzero = 0;
	char *p, *s;

	for (int i = 0; i < 256; i++)
		nonzero += z[i] != 0;
	is_int(nonzero, 0, "tg_xcalloc zeroes");
	free(z);
	p = tg_xmalloc(0);
	ok(p != NULL, "tg_xmalloc(0) still returns memory");
	free(p);
	p = tg_xmalloc(4);
	memcpy(p, "abc", 4);
	p = tg_xrealloc(p, 4096);
	is_str(p, "abc", "tg_xrealloc keeps the contents");
	free(p);
	s = tg_xstrndup("abcdef", 3);
	is_str(s, "abc", "tg_xstrndup stops at n and terminates");
	free(s);
	s = tg_xstrdup("");
	is_str(s, "", "tg_xstrdup of the empty string");
	free(s);
	s = tg_xasprintf("%s-%d-%zu", "t", -1, (size_t)7);
	is_str(s, "t--1-7", "tg_xasprintf formats");
	free(s);
	s = tg_xconcat("Variable-", "TOKENGATE_SUB");
	is_str(s, "Variable-TOKENGATE_SUB", "tg_xconcat joins");
	free(s);
	s = tg_xconcat("", "");
	is_str(s, "", "tg_xconcat of two empty strings");
	free(s);
}

static void
test_strlist(void)
{
	struct tg_strlist l = { 0 }, c = { 0 };

	ok(!strlist_contains(&l, "a"), "an empty list contains nothing");
	ok(!strlist_remove(&l, "a"), "removing from an empty list is false");
	strlist_add(&l, "a");
	strlist_add(&l, "b");
	strlist_add(&l, "c");
	strlist_add(&l, "b");
	is_int(l.n, 3, "adding an existing string does not duplicate it");
	ok(strlist_contains(&l, "a") && strlist_contains(&l, "b") && strlist_contains(&l, "c"),
	   "contains what was added");
	ok(!strlist_contains(&l, "B") && !strlist_contains(&l, "") && !strlist_contains(&l, "ab"),
	   "matching is exact");
	ok(strlist_remove(&l, "b"), "removing a member is true");
	ok(l.n == 2 && strcmp(l.v[0], "a") == 0 && strcmp(l.v[1], "c") == 0,
	   "removal keeps the others in order");
	ok(!strlist_remove(&l, "b"), "removing it again is false");
	strlist_add(&c, "z");
	strlist_add(&c, "a");
	strlist_copy(&c, &l);
	ok(c.n == 3 && strlist_contains(&c, "z") && strlist_contains(&c, "a") &&
	   strlist_contains(&c, "c"), "copy merges into a non-empty list without duplicates");
	ok(c.v[1] != l.v[0], "copied strings are owned by the copy");
	strlist_free(&l);
	ok(l.v == NULL && l.n == 0, "free leaves an empty list");
	ok(strlist_contains(&c, "c"), "the copy outlives the original");
	strlist_free(&l);
	ok(l.n == 0, "freeing an empty list is harmless");
	strlist_add(&l, "again");
	ok(l.n == 1 && strlist_contains(&l, "again"), "a freed list can be reused");
	strlist_free(&l);
	strlist_free(&c);
}

int
main(void)
{
	test_reason_codes();
	test_err_str();
	test_reject();
	test_fail();
	test_alloc();
	test_strlist();
	return done_testing();
}
