/*
 * The acr map: which entries are well formed (they go into a quoted
 * WWW-Authenticate parameter and a comma-separated option), what one method
 * earns, and what a set of methods earns (the strongest, last entry found).
 */
#include "model/acr.h"

#include "../lib/tap.h"

static bool
in_words(const void *set, const char *word, size_t len)
{
	const char *const *w = set;

	for (; *w; w++)
		if (strlen(*w) == len && strncmp(*w, word, len) == 0)
			return true;
	return false;
}

static void
test_entries(void)
{
	static const struct {
		const char *entry;
		bool is_valid;
		const char *why;
	} cases[] = {
		{ "pwd=1", true, "a method and a level" },
		{ "hwk=urn:acme:loa:3", true, "an acr URN" },
		{ "otp=phr+mfa", true, "NQCHAR punctuation" },
		{ "pwd", false, "no '='" },
		{ "=1", false, "no method" },
		{ "pwd=", false, "no acr" },
		{ "p w=1", false, "a space in the method" },
		{ "pwd=a b", false, "a space in the acr: acr_values separates by spaces" },
		{ "pwd=a\"b", false, "a quote would end the challenge's quoted string" },
		{ "pwd=a\\b", false, "a backslash would escape in it" },
		{ "pwd=a,b", false, "a comma separates --acr-map entries" },
		{ "pwd=caf\xc3\xa9", false, "non-ASCII is not NQCHAR" },
		{ "pwd=1=2", true, "an acr may hold '=': only the first one splits" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(acr_entry_is_valid(cases[i].entry), cases[i].is_valid, "\"%s\": %s",
		       cases[i].entry, cases[i].why);
	ok(!acr_entry_is_valid(NULL), "NULL is not an entry");
	{
		char long_acr[80];

		memset(long_acr, 'a', sizeof(long_acr));
		memcpy(long_acr, "otp=", 4);
		long_acr[4 + TG_ACR_LEN_MAX] = '\0';
		ok(acr_entry_is_valid(long_acr), "an acr of %d bytes", TG_ACR_LEN_MAX);
		long_acr[4 + TG_ACR_LEN_MAX] = 'a';
		long_acr[5 + TG_ACR_LEN_MAX] = '\0';
		ok(!acr_entry_is_valid(long_acr), "one byte more is refused, not cut");
	}
}

static void
test_lookups(void)
{
	struct tg_strlist map = { 0 };
	const char *pwd_only[] = { "pwd", NULL }, *both[] = { "otp", "pwd", NULL };
	const char *none[] = { "sms", NULL };

	strlist_add(&map, "pwd=1");
	strlist_add(&map, "otp=2");
	strlist_add(&map, "hwk=2");
	is_str(acr_of_method(&map, "otp", 3), "2", "otp earns 2");
	is_str(acr_of_method(&map, "otpx", 3), "2", "the method is len bytes, not NUL-ended");
	ok(!acr_of_method(&map, "ot", 2), "a prefix of a method is not the method");
	ok(!acr_of_method(&map, "sms", 3), "an unmapped method earns nothing");
	is_str(acr_of_amr(&map, in_words, pwd_only), "1", "pwd alone: 1");
	is_str(acr_of_amr(&map, in_words, both), "2", "pwd and otp: the strongest, 2");
	ok(!acr_of_amr(&map, in_words, none), "no mapped method: no acr");
	strlist_free(&map);
	ok(!acr_of_amr(&map, in_words, both), "an empty map rates nothing");
}

int
main(void)
{
	test_entries();
	test_lookups();
	return done_testing();
}
