/*
 * `tokengatectl user totp ...`: a login user's second factor (issue 14 item 3). enroll makes a
 * TOTP secret and a recovery set, stores both in one transaction and prints the otpauth URI and
 * the codes once; disable clears them. The secret and codes are printed to stdout and nowhere
 * else, never taken from argv, and wiped once printed.
 */
#include "ctl/ctl.h"

#include "model/recovery.h"
#include "model/totp.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage_totp[] =
	"usage: tokengatectl [--db DIR] user totp SUBCOMMAND ...\n"
	"\n"
	"  enroll TENANT EMAIL   give the user a new TOTP secret and recovery codes\n"
	"  disable TENANT EMAIL  remove the user's TOTP secret and recovery codes\n";
static const char usage_enroll[] =
	"usage: tokengatectl [--db DIR] user totp enroll TENANT EMAIL\n"
	"\n"
	"Makes a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) and 10 recovery codes\n"
	"for the user, stores them, and prints the otpauth:// URI to enter in an\n"
	"authenticator app (issuer: the tenant id; account: the email) and the recovery\n"
	"codes, each good for one login. Both are shown only this once: only the secret\n"
	"and the codes' SHA-256 are kept. Enrolling again replaces both; the old ones\n"
	"stop working.\n";
static const char usage_disable[] =
	"usage: tokengatectl [--db DIR] user totp disable TENANT EMAIL\n"
	"\n"
	"Removes the user's TOTP secret and recovery codes: logins ask for the password only.\n";

static void
print_enrolment(const char *tenant, const char *email, const char *uri,
		char codes[][RECOVERY_CODE_LEN + 1], bool replaced)
{
	printf("TOTP enrolled for user %s of tenant %s%s.\n", email, tenant,
	       replaced ? "; this replaces the earlier TOTP secret and recovery codes, which no "
			  "longer work" : "");
	printf("otpauth URI (enter it in an authenticator app, or show it as a QR code):\n%s\n",
	       uri);
	printf("recovery codes (each works once, instead of a TOTP code):\n");
	for (size_t i = 0; i < RECOVERY_CODES; i++)
		printf("  %s\n", codes[i]);
	printf("The URI and the recovery codes are shown only now: tokengate keeps no copy it can "
	       "print again (enroll again to replace them).\n");
	fflush(stdout);
}

static int
cmd_enroll(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_user *u = NULL;
	struct tg_secret secret = { 0 };
	char codes[RECOVERY_CODES][RECOVERY_CODE_LEN + 1], *uri = NULL;
	struct recovery_set set;
	struct tg_why why;
	struct tg_store *s;
	bool replaced = false;
	enum tg_err err;
	int rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 2, usage_enroll, &a, &s, NULL);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = ctl_change_result(store_user_get(s, a.pos[0], a.pos[1], &u), a.pos[0], "user",
			       "user", "enrol", a.pos[1]);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = totp_secret_new(&secret);
	if (err == TG_OK)
		err = recovery_new(RECOVERY_CODES, codes, &set);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot make a TOTP secret: %s", tg_err_str(err));
		goto out;
	}
	/* The URI first: an email an app cannot take (a ':') is refused before anything is kept. */
	if (totp_uri(&secret, a.pos[0], u->email, &uri, &why) != TG_OK) {
		rc = ctl_fail(CTL_EXIT_REJECTED, "cannot enrol user %s: %s; nothing was changed",
			      u->email, why.text);
		goto out;
	}
	err = store_user_totp_set(s, a.pos[0], u->email, &secret, &set, &replaced);
	rc = ctl_change_result(err, a.pos[0], "user", "user", "enrol", u->email);
	if (rc == CTL_EXIT_OK)
		print_enrolment(a.pos[0], u->email, uri, codes, replaced);
out:
	secret_wipe(codes, sizeof(codes));
	secret_wipe(&set, sizeof(set));
	secret_free_str(uri);
	secret_free(&secret);
	user_free(u);
	ctl_args_fini(&a);
	return rc;
}

static int
cmd_disable(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_store *s;
	bool was_on = false;
	int rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 2, usage_disable, &a, &s, NULL);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = ctl_change_result(store_user_totp_clear(s, a.pos[0], a.pos[1], &was_on), a.pos[0],
			       "user", "user", "disable TOTP of", a.pos[1]);
	if (rc == CTL_EXIT_OK)
		printf(was_on ? "TOTP and recovery codes of user %s of tenant %s removed\n"
			      : "user %s of tenant %s had no TOTP; nothing changed\n",
		       a.pos[1], a.pos[0]);
out:
	ctl_args_fini(&a);
	return rc;
}

static const struct ctl_sub subs[] = {
	{ "enroll", .run = cmd_enroll },
	{ "disable", .run = cmd_disable },
	{ .name = NULL },
};

const struct ctl_group ctl_user_totp_group = { usage_totp, subs };
