/*
 * model/user.c: email normalisation (trim, NFC, case folding of both parts,
 * shape and length rules) and the v1 record's round trip and refusals.
 */
#include "../lib/tap.h"

#include "model/user.h"

#include <stdlib.h>
#include <string.h>

static void
norm(const char *in, const char *want, const char *name)
{
	char *out = NULL;
	enum tg_err rc = user_email_normalize(in, &out, NULL);

	if (want)
		ok(rc == TG_OK && out && strcmp(out, want) == 0, "%s", name);
	else
		ok(rc == TG_ERR_INVALID && !out, "%s", name);
	free(out);
}

static void
test_emails(void)
{
	char big[300];

	norm("  Alice@Example.COM \t", "alice@example.com", "trimmed, both parts folded");
	norm("Jos\x65\xcc\x81@b\xc3\xbc" "cher.example", "jos\xc3\xa9@b\xc3\xbc" "cher.example",
	     "decomposed local part composed (NFC)");
	norm("J\xc3\x93S@EXAMPLE.org", "j\xc3\xb3s@example.org", "non-ASCII upper case folded");
	norm("a@b@c", NULL, "two @ refused");
	norm("@example.com", NULL, "empty local part refused");
	norm("alice@", NULL, "empty domain refused");
	norm("alice", NULL, "no @ refused");
	norm("al ice@example.com", NULL, "blank inside refused");
	norm("ali\x01" "ce@example.com", NULL, "control character refused");
	norm("ali\xc2\x85" "ce@example.com", NULL, "C1 control refused");
	norm("alice@example..com", NULL, "empty domain label refused");
	norm("alice@\xff.com", NULL, "ill-formed UTF-8 refused");
	memset(big, 'a', 65);
	strcpy(big + 65, "@example.com");
	norm(big, NULL, "local part over 64 bytes refused");
	memset(big, 'a', 64);
	strcpy(big + 64, "@example.com");
	norm(big, big, "local part of 64 bytes accepted");
}

static void
test_record(void)
{
	struct tg_user u = { .id = "id1", .tenant = "acme", .email = "a@example.com",
			     .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
			     .is_disabled = true, .created = 100, .updated = 200 };
	struct tg_user *d = NULL;
	unsigned char *p;
	size_t n;

	p = user_encode(&u, &n);
	ok(user_decode("acme", "id1", p, n, &d), "record decodes");
	ok(d && strcmp(d->email, u.email) == 0 && strcmp(d->password_hash, u.password_hash) == 0 &&
	   d->is_disabled && d->created == 100 && d->updated == 200 &&
	   strcmp(d->tenant, "acme") == 0 && strcmp(d->id, "id1") == 0, "round trip keeps all");
	user_free(d);
	d = NULL;
	ok(!user_decode("acme", "id1", p, n - 1, &d), "truncated record refused");
	p[0] = 9;
	ok(!user_decode("acme", "id1", p, n, &d), "unknown version refused");
	p[0] = 1;
	p[1] = 4;
	ok(!user_decode("acme", "id1", p, n, &d), "unknown flag refused");
	free(p);
}

int
main(void)
{
	char *id = NULL;

	test_emails();
	test_record();
	is_int(user_new_id(&id), TG_OK, "id made");
	is_int(id ? (int)strlen(id) : 0, TG_USER_ID_LEN, "id length");
	free(id);
	return done_testing();
}
