/*
 * model/user.c: email normalisation (trim, NFC, case folding of both parts,
 * shape and length rules), the v1 record's round trip and refusals, and v2's
 * second factor (TOTP secret, last step, recovery set).
 */
#include "../lib/tap.h"

#include "model/totp.h"
#include "model/user.h"

#include <json.h>
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

/* v2: the second factor round-trips; a user without one is still written as v1. */
static void
test_record_v2(void)
{
	struct tg_user u = { .id = "id1", .tenant = "acme", .email = "a@example.com",
			     .password_hash = "$argon2id$h", .created = 100, .updated = 200,
			     .totp_last_step = 56666666 };
	char codes[RECOVERY_CODES][RECOVERY_CODE_LEN + 1];
	struct tg_user *d = NULL;
	struct json_object *j;
	unsigned char *p;
	size_t n, n1;

	p = user_encode(&u, &n1);
	ok(p[0] == 1, "no second factor: record v1");
	ok(user_decode("acme", "id1", p, n1, &d) && d->totp_last_step == -1 && !user_has_totp(d) &&
	   d->recovery.n == 0, "v1 decodes: no TOTP, no step, no recovery codes");
	user_free(d);
	d = NULL;
	secret_free_buf(p, n1);
	is_int(totp_secret_new(&u.totp_secret), TG_OK, "secret made");
	is_int(recovery_new(RECOVERY_CODES, codes, &u.recovery), TG_OK, "recovery set made");
	secret_wipe(codes, sizeof(codes));
	u.recovery.used = 0x105;
	p = user_encode(&u, &n);
	ok(p[0] == 2 && n == n1 + 1 + TOTP_SECRET_LEN + 8 + 1 + 4 + RECOVERY_CODES * 32,
	   "with TOTP: record v2, its tail appended");
	ok(user_decode("acme", "id1", p, n, &d), "v2 decodes");
	ok(d && user_has_totp(d) &&
	   secret_equal(d->totp_secret.p, d->totp_secret.len, u.totp_secret.p, u.totp_secret.len) &&
	   d->totp_last_step == 56666666 && d->recovery.n == RECOVERY_CODES &&
	   d->recovery.used == 0x105 &&
	   secret_equal(d->recovery.hash, sizeof(d->recovery.hash), u.recovery.hash,
			sizeof(u.recovery.hash)) && strcmp(d->password_hash, "$argon2id$h") == 0,
	   "round trip keeps secret, step, recovery hashes and marks");
	j = user_to_json_public(d);
	ok(!strstr(json_object_to_json_string(j), "secret") &&
	   json_object_get_boolean(json_object_object_get(j, "totp")) &&
	   json_object_get_int(json_object_object_get(j, "recovery_codes_left")) == 7,
	   "JSON: totp on, 7 codes left, no secret");
	json_object_put(j);
	user_free(d);
	d = NULL;
	ok(!user_decode("acme", "id1", p, n - 1, &d), "truncated v2 refused");
	p[n1 + 1 + TOTP_SECRET_LEN + 8] = RECOVERY_CODES - 1;
	ok(!user_decode("acme", "id1", p, n, &d), "hashes past n refused");
	p[n1 + 1 + TOTP_SECRET_LEN + 8] = 8; /* 8 codes, but used bit 8 marks a ninth */
	ok(!user_decode("acme", "id1", p, n - 64, &d), "a used mark past n refused");
	p[n1 + 1 + TOTP_SECRET_LEN + 8] = RECOVERY_CODES;
	p[n1] = 15;
	ok(!user_decode("acme", "id1", p, n, &d), "a secret under 128 bits refused");
	secret_free_buf(p, n);
	secret_free(&u.totp_secret);
	u.recovery.n = 0;
	u.totp_last_step = -1;
	p = user_encode(&u, &n);
	p[0] = 2;
	p = tg_xrealloc(p, n + 14);
	memset(p + n, 0, 14);
	memset(p + n + 1, 0xff, 8); /* step -1 */
	ok(!user_decode("acme", "id1", p, n + 14, &d), "v2 with no second factor refused: "
	   "v1 is its one encoding");
	free(p);
}

int
main(void)
{
	char *id = NULL;

	test_emails();
	test_record();
	test_record_v2();
	is_int(user_new_id(&id), TG_OK, "id made");
	is_int(id ? (int)strlen(id) : 0, TG_USER_ID_LEN, "id length");
	free(id);
	return done_testing();
}
