/*
 * model/password.c: libargon2 against RFC 9106's argon2id vector, the PHC
 * round trip, needs-rehash against raised parameters, refusal of non-Argon2id
 * strings, NFC and NFKC input forms, NIST length rules by code points, the blocklist, and the dummy
 * verification of an unknown user.
 */
#include "../lib/tap.h"

#include "base/blocklist.h"
#include "model/password.h"

#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* RFC 9106 section 5.3: Argon2id, m=32, t=3, p=4, with secret and associated data. */
static void
test_rfc9106(void)
{
	static const unsigned char want[32] = {
		0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37,
		0xa3, 0x4a, 0x8b, 0x53, 0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75,
		0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59 };
	unsigned char pwd[32], salt[16], secret[8], ad[12], out[32];
	argon2_context ctx = { 0 };

	memset(pwd, 1, sizeof(pwd));
	memset(salt, 2, sizeof(salt));
	memset(secret, 3, sizeof(secret));
	memset(ad, 4, sizeof(ad));
	ctx.out = out;
	ctx.outlen = sizeof(out);
	ctx.pwd = pwd;
	ctx.pwdlen = sizeof(pwd);
	ctx.salt = salt;
	ctx.saltlen = sizeof(salt);
	ctx.secret = secret;
	ctx.secretlen = sizeof(secret);
	ctx.ad = ad;
	ctx.adlen = sizeof(ad);
	ctx.t_cost = 3;
	ctx.m_cost = 32;
	ctx.lanes = 4;
	ctx.threads = 4;
	ctx.version = ARGON2_VERSION_13;
	is_int(argon2_ctx(&ctx, Argon2_id), ARGON2_OK, "libargon2 computes the RFC 9106 case");
	ok(memcmp(out, want, sizeof(want)) == 0, "tag equals RFC 9106 5.3's");
}

static void
test_round_trip(void)
{
	struct tg_password_params p;
	struct tg_password_params higher = { 2 * TG_PASSWORD_MEMORY_KIB, 3, 1 };
	bool is_match = false, needs = true;
	char *phc = NULL;
	const char *pw = "correct horse battery";

	password_params_of(NULL, &p);
	ok(p.memory_kib == 19456 && p.iterations == 2 && p.parallelism == 1, "OWASP floor");
	is_int(password_hash(pw, strlen(pw), &p, &phc), TG_OK, "hashed");
	ok(phc && strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "PHC string: %s",
	   phc ? "argon2id v19 m t p" : "none");
	is_int(password_verify(pw, strlen(pw), phc, &p, &is_match, &needs), TG_OK, "verified");
	ok(is_match && !needs, "right password matches, parameters current");
	is_int(password_verify("correct horse batterY", 21, phc, &p, &is_match, &needs), TG_OK,
	       "wrong password verified");
	ok(!is_match, "wrong password does not match");
	is_int(password_verify(pw, strlen(pw), phc, &higher, &is_match, &needs), TG_OK,
	       "verified against raised parameters");
	ok(is_match && needs, "still matches, and needs re-hashing");
	ok(argon2id_verify(phc, pw, strlen(pw)) == ARGON2_OK, "libargon2 reads our PHC string");
	free(phc);
	phc = NULL;
	/* The same password typed composed and decomposed is one password (NFC). */
	is_int(password_hash("\xc3\xa9tag\xc3\xa8re1", 10, &p, &phc), TG_OK, "composed hashed");
	is_match = false;
	if (phc)
		password_verify("e\xcc\x81tage\xcc\x80re1", 12, phc, &p, &is_match, &needs);
	ok(is_match, "decomposed input matches the composed password");
	/* Fullwidth e (U+FF45) is e under NFKC, still not the password's e-acute. */
	is_match = false;
	if (phc)
		password_verify("\xef\xbd\x85tag\xc3\xa8re1", 12, phc, &p, &is_match, &needs);
	ok(!is_match, "a different first letter does not match");
	free(phc);
	phc = NULL;
	password_hash("Passw0rd!", 9, &p, &phc);
	is_match = false;
	if (phc)
		password_verify("\xef\xbc\xb0" "assw0rd!", 11, phc, &p, &is_match, &needs);
	ok(is_match, "fullwidth P matches ASCII P (NFKC)");
	free(phc);
	is_int(password_verify(pw, strlen(pw), "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			       &p, &is_match, &needs), TG_ERR_INVALID, "argon2i refused");
	is_int(password_verify(pw, strlen(pw), "$argon2id$v=19$m=+19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			       &p, &is_match, &needs), TG_ERR_INVALID, "non-canonical number refused");
	is_int(password_verify(pw, strlen(pw), "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
			       &p, &is_match, &needs), TG_ERR_INVALID, "memory past the limit refused");
	is_int(password_verify_dummy(pw, strlen(pw), &p), TG_OK,
	       "dummy verification for an unknown user runs the full hash");
}

static void
test_rules(void)
{
	char path[] = "/tmp/tokengate-pwbl.XXXXXX", big[TG_PASSWORD_MAX_BYTES + 2];
	struct tg_blocklist *bl = NULL;
	struct tg_why why;
	int fd = mkstemp(path);

	is_int(password_check("1234567", 7, NULL, &why), TG_ERR_INVALID, "7 characters refused");
	is_int(password_check("12345678", 8, NULL, &why), TG_OK, "8 characters accepted");
	/* 7 code points in 14 bytes: the count is of characters, not bytes. */
	is_int(password_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 14, NULL,
			      &why), TG_ERR_INVALID, "7 two-byte characters refused");
	is_int(password_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 16,
			      NULL, &why), TG_OK, "8 two-byte characters accepted");
	is_int(password_check("aaaaaaaa", 8, NULL, &why), TG_OK, "no composition rules");
	memset(big, 'x', sizeof(big));
	is_int(password_check(big, 64, NULL, &why), TG_OK, "64 characters accepted");
	is_int(password_check(big, TG_PASSWORD_MAX_BYTES, NULL, &why), TG_OK, "1024 bytes accepted");
	is_int(password_check(big, TG_PASSWORD_MAX_BYTES + 1, NULL, &why), TG_ERR_INVALID,
	       "1025 bytes refused");
	is_int(password_check("abc\xff" "defgh", 9, NULL, &why), TG_ERR_INVALID, "non-UTF-8 refused");
	if (fd >= 0 && write(fd, "letmein123\n", 11) == 11)
		blocklist_load(path, &bl, &why);
	is_int(password_check("LetMeIn123", 10, bl, &why), TG_ERR_INVALID, "blocklisted refused");
	ok(strstr(why.text, "blocklist") != NULL, "sentence says why");
	is_int(password_check("letmein1234", 11, bl, &why), TG_OK, "not on the list: accepted");
	blocklist_free(bl);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

int
main(void)
{
	test_rfc9106();
	test_round_trip();
	test_rules();
	return done_testing();
}
