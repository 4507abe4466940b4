/*
 * totp: RFC 4226 appendix D's HOTP values and RFC 6238 appendix B's SHA-1 rows, the window and
 * the single-use rule (each gap a named case: a replayed code, an old code after a newer one),
 * and the otpauth URI's encoding of spaces, ':' and non-ASCII names.
 */
#include "model/totp.h"

#include "base/base32.h"

#include "../lib/tap.h"

/* RFC 4226 appendix D and RFC 6238 appendix B: the ASCII of "12345678901234567890" (SHA-1). */
static struct tg_secret rfc_key;

static void
test_hotp_rfc4226(void)
{
	static const char *want[10] = { "755224", "287082", "359152", "969429", "338314",
					"254676", "287922", "162583", "399871", "520489" };
	char code[TOTP_DIGITS_MAX + 1];
	struct tg_secret short_key = { 0 };

	for (uint64_t c = 0; c < 10; c++) {
		is_int(totp_hotp(&rfc_key, c, 6, code), TG_OK, "HOTP count %llu",
		       (unsigned long long)c);
		is_str(code, want[c], "RFC 4226 appendix D, count %llu", (unsigned long long)c);
	}
	is_int(totp_hotp(&rfc_key, 0, 5, code), TG_ERR_INVALID,
	       "5 digits are refused (RFC 4226 R4)");
	is_int(totp_hotp(&rfc_key, 0, 9, code), TG_ERR_INVALID, "9 digits are refused");
	/* The gap: an 80-bit secret is within reach of an offline search from codes seen. */
	secret_set(&short_key, "1234567890", 10);
	is_int(totp_hotp(&short_key, 0, 6, code), TG_ERR_INVALID,
	       "a key under 128 bits is refused");
	secret_free(&short_key);
}

static void
test_totp_rfc6238(void)
{
	/* RFC 6238 appendix B, the SHA-1 rows: time, T (hex there), 8-digit TOTP. */
	static const struct {
		int64_t now, step;
		const char *code;
	} v[] = {
		{ 59, 0x1, "94287082" },
		{ 1111111109, 0x23523EC, "07081804" },
		{ 1111111111, 0x23523ED, "14050471" },
		{ 1234567890, 0x273EF07, "89005924" },
		{ 2000000000, 0x3F940AA, "69279037" },
		{ 20000000000, 0x27BC86AA, "65353130" },
	};
	char code[TOTP_DIGITS_MAX + 1];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		is_int(totp_step(v[i].now), v[i].step, "T at %lld", (long long)v[i].now);
		is_int(totp_code(&rfc_key, v[i].now, 8, code), TG_OK, "TOTP at %lld",
		       (long long)v[i].now);
		is_str(code, v[i].code, "RFC 6238 appendix B, SHA-1 at %lld", (long long)v[i].now);
		/* What an app shows: 6 digits of the same truncation (totp_oathtool.test). */
		totp_code(&rfc_key, v[i].now, 6, code);
		is_str(code, v[i].code + 2, "6 digits at %lld are the 8 digits' last 6",
		       (long long)v[i].now);
	}
	is_int(totp_code(&rfc_key, -1, 6, code), TG_ERR_INVALID,
	       "a time before the epoch is refused");
}

static void
test_secret_new(void)
{
	struct tg_secret a = { 0 }, b = { 0 };

	is_int(totp_secret_new(&a), TG_OK, "a new secret");
	is_int(totp_secret_new(&b), TG_OK, "another new secret");
	is_int(a.len, TOTP_SECRET_LEN, "a new secret has 160 bits (RFC 4226 R6)");
	ok(!secret_equal(a.p, a.len, b.p, b.len), "two new secrets differ");
	secret_free(&a);
	secret_free(&b);
}

/* totp_verify of code at now; *step untouched unless TG_OK. */
static enum tg_err
verify(const char *code, int64_t now, unsigned window, int64_t *step)
{
	return totp_verify(&rfc_key, code, now, window, step);
}

static void
test_verify_window(void)
{
	const int64_t now = 1234567890, t = 0x273EF07; /* RFC 6238's row: 89005924 */
	char prev[TOTP_DIGITS_MAX + 1], cur[TOTP_DIGITS_MAX + 1], next[TOTP_DIGITS_MAX + 1];
	char far_back[TOTP_DIGITS_MAX + 1], far_ahead[TOTP_DIGITS_MAX + 1];
	int64_t step = -7;

	totp_hotp(&rfc_key, (uint64_t)t - 1, 6, prev);
	totp_hotp(&rfc_key, (uint64_t)t, 6, cur);
	totp_hotp(&rfc_key, (uint64_t)t + 1, 6, next);
	totp_hotp(&rfc_key, (uint64_t)t - 2, 6, far_back);
	totp_hotp(&rfc_key, (uint64_t)t + 2, 6, far_ahead);
	is_str(cur, "005924", "the current code is the RFC row's last 6 digits");
	ok(verify("005924", now, TOTP_WINDOW, &step) == TG_OK && step == t,
	   "the current step's code is accepted and names its step");
	ok(verify(prev, now, TOTP_WINDOW, &step) == TG_OK && step == t - 1,
	   "the previous step's code is accepted (a slow clock), step t-1");
	ok(verify(next, now, TOTP_WINDOW, &step) == TG_OK && step == t + 1,
	   "the next step's code is accepted (a fast clock), step t+1");
	step = -7;
	is_int(verify(far_back, now, TOTP_WINDOW, &step), TG_ERR_REJECTED,
	       "a code two steps old is refused");
	is_int(verify(far_ahead, now, TOTP_WINDOW, &step), TG_ERR_REJECTED,
	       "a code two steps ahead is refused");
	is_int(step, -7, "a refusal leaves step unwritten");
	is_int(verify(prev, now, 0, &step), TG_ERR_REJECTED,
	       "window 0: the previous code is refused");
	ok(verify(cur, now, 0, &step) == TG_OK && step == t,
	   "window 0: the current code is accepted");
	/* The edges of a step: 1234567890 is 0 s into it; 29 s later is still the same step. */
	ok(verify(cur, now + 29, 0, &step) == TG_OK && step == t, "the last second of a step");
	ok(verify(cur, now + 30, TOTP_WINDOW, &step) == TG_OK && step == t,
	   "30 s later the code is the previous step's, still accepted");
	is_int(verify(cur, now + 60, TOTP_WINDOW, &step), TG_ERR_REJECTED,
	       "60 s later it is refused");
	/* At the epoch there is no step -1: the window is cut, not wrapped around. */
	ok(verify("755224", 10, TOTP_WINDOW, &step) == TG_OK && step == 0, "step 0 at the epoch");
}

static void
test_verify_input(void)
{
	int64_t step = -7;

	is_int(verify("00592", 1234567890, 1, &step), TG_ERR_INVALID, "five digits: invalid");
	is_int(verify("0059240", 1234567890, 1, &step), TG_ERR_INVALID, "seven digits: invalid");
	/* The gap: an 8-digit code whose last 6 are right must not pass as its suffix. */
	is_int(verify("89005924", 1234567890, 1, &step), TG_ERR_INVALID, "eight digits: invalid");
	is_int(verify("005 924", 1234567890, 1, &step), TG_ERR_INVALID, "a space: invalid");
	is_int(verify(" 005924", 1234567890, 1, &step), TG_ERR_INVALID, "a leading space: invalid");
	is_int(verify("00592a", 1234567890, 1, &step), TG_ERR_INVALID, "a letter: invalid");
	is_int(verify("", 1234567890, 1, &step), TG_ERR_INVALID, "empty: invalid");
	is_int(verify(NULL, 1234567890, 1, &step), TG_ERR_INVALID, "NULL: invalid");
	is_int(verify("005924", -1, 1, &step), TG_ERR_INVALID, "a time before the epoch: invalid");
	/* The gap: a caller widening the window past RFC 6238 5.2's one step. */
	is_int(verify("005924", 1234567890, 2, &step), TG_ERR_INVALID, "window 2: invalid");
	is_int(step, -7, "step unwritten by every refusal");
}

/* What the login endpoint will do: verify, then the single-use rule against the stored step. */
static bool
accept(const char *code, int64_t now, int64_t *last_used)
{
	int64_t step;

	if (verify(code, now, TOTP_WINDOW, &step) != TG_OK || totp_is_replay(step, *last_used))
		return false;
	*last_used = step;
	return true;
}

static void
test_single_use(void)
{
	const int64_t now = 1234567890, t = 0x273EF07;
	char prev[TOTP_DIGITS_MAX + 1], next[TOTP_DIGITS_MAX + 1];
	int64_t last = -1;

	totp_hotp(&rfc_key, (uint64_t)t - 1, 6, prev);
	totp_hotp(&rfc_key, (uint64_t)t + 1, 6, next);
	ok(!totp_is_replay(0, -1), "step 0 is fresh when none was used");
	ok(totp_is_replay(5, 5) && totp_is_replay(4, 5) && !totp_is_replay(6, 5),
	   "a step at or before the last used one is a replay, a later one is not");
	ok(accept("005924", now, &last) && last == t, "first use of the current code");
	/* The gap: a code seen over a shoulder or phished, replayed within its 30 s. */
	ok(!accept("005924", now + 5, &last), "the same code again in its step is refused");
	ok(!accept("005924", now + 30, &last), "the same code in the next step is refused");
	/* The gap: the window would reopen an older step after a newer code was used. */
	ok(!accept(prev, now, &last), "the previous step's code after the current one is refused");
	ok(accept(next, now, &last) && last == t + 1, "the next step's code is still accepted");
	ok(!accept("005924", now, &last), "after it the current step's code is refused too");
}

static void
test_uri(void)
{
	char *uri = NULL;
	struct tg_why why = { "" };
	const char *sec;
	unsigned char *raw = NULL;
	size_t rawlen = 0;

	is_int(totp_uri(&rfc_key, "Example", "alice@example.com", &uri, &why), TG_OK, "plain URI");
	is_str(uri,
	       "otpauth://totp/Example:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	       "&issuer=Example&algorithm=SHA1&digits=6&period=30",
	       "Key Uri Format, '@' percent-encoded");
	sec = uri ? strstr(uri, "secret=") : NULL;
	ok(sec && base32_decode(sec + 7, 32, &raw, &rawlen) == TG_OK && rawlen == 20 &&
		   secret_equal(raw, rawlen, rfc_key.p, rfc_key.len),
	   "the URI's secret decodes to the key");
	if (raw)
		secret_free_buf(raw, rawlen + 1);
	secret_free_str(uri);
	uri = NULL;
	/* Spaces are %20, never '+' (Google's format: apps show '+' literally). */
	is_int(totp_uri(&rfc_key, "Big Corporation", "Alice Smith", &uri, &why), TG_OK, "spaces");
	ok(uri && strstr(uri, "/Big%20Corporation:Alice%20Smith?") &&
		   strstr(uri, "&issuer=Big%20Corporation&") && !strchr(uri, '+'),
	   "spaces are %%20 in label and issuer");
	secret_free_str(uri);
	uri = NULL;
	/* Non-ASCII: each UTF-8 byte, upper-case hex (RFC 3986 2.1, 2.5). */
	is_int(totp_uri(&rfc_key, "Caf\xc3\xa9 Z\xc3\xbcrich", "j\xc3\xb6rg@b\xc3\xbc.example",
			&uri, &why),
	       TG_OK, "non-ASCII names");
	ok(uri && strstr(uri, "/Caf%C3%A9%20Z%C3%BCrich:j%C3%B6rg%40b%C3%BC.example?") &&
		   strstr(uri, "&issuer=Caf%C3%A9%20Z%C3%BCrich&"),
	   "non-ASCII names are their UTF-8 bytes percent-encoded");
	secret_free_str(uri);
	uri = (char *)(uintptr_t)0x1;
	/* The gap: issuer "Acme:Shop" would show in an app as issuer "Acme", account "Shop:...". */
	is_int(totp_uri(&rfc_key, "Acme:Shop", "a@b.example", &uri, &why), TG_ERR_INVALID,
	       "a ':' in the issuer is refused");
	ok(strstr(why.text, "issuer") && strstr(why.text, "':'"),
	   "the sentence names issuer and ':'");
	is_int(totp_uri(&rfc_key, "Acme", "\"a:b\"@b.example", &uri, &why), TG_ERR_INVALID,
	       "a ':' in the account is refused");
	ok(strstr(why.text, "account name") != NULL, "the sentence names the account");
	is_int(totp_uri(&rfc_key, "Acme", "a\nb@b.example", &uri, &why), TG_ERR_INVALID,
	       "a control character is refused");
	is_int(totp_uri(&rfc_key, "Acme\xc3", "a@b.example", &uri, &why), TG_ERR_INVALID,
	       "ill-formed UTF-8 is refused");
	is_int(totp_uri(&rfc_key, "", "a@b.example", &uri, &why), TG_ERR_INVALID,
	       "an empty issuer is refused");
	is_int(totp_uri(&rfc_key, "Acme", NULL, &uri, &why), TG_ERR_INVALID, "no account: refused");
	{
		char long_name[TOTP_LABEL_MAX + 2];

		memset(long_name, 'a', sizeof(long_name) - 1);
		long_name[sizeof(long_name) - 1] = '\0';
		is_int(totp_uri(&rfc_key, long_name, "a@b.example", &uri, &why), TG_ERR_INVALID,
		       "an issuer over %d bytes is refused", TOTP_LABEL_MAX);
	}
	ok(uri == (char *)(uintptr_t)0x1, "uri unwritten by every refusal");
}

int
main(void)
{
	secret_set(&rfc_key, "12345678901234567890", 20);
	test_hotp_rfc4226();
	test_totp_rfc6238();
	test_secret_new();
	test_verify_window();
	test_verify_input();
	test_single_use();
	test_uri();
	secret_free(&rfc_key);
	return done_testing();
}
