/*
 * tests/cli.test's login stand-in for the second factor: a code on stdin (never in argv) used by
 * store_user_totp_use as the login endpoint will, for the user an email names. Test-only.
 *   user_totp_use DBDIR TENANT EMAIL NOW   -> "accepted STEP" (exit 0), "refused" (exit 1)
 */
#include "base/number.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static int
use(struct tg_store *s, char **argv, int64_t now)
{
	char code[32] = "";
	struct tg_user *u = NULL;
	int64_t step = -1;
	enum tg_err rc;

	if (!fgets(code, sizeof(code), stdin))
		return 2;
	code[strcspn(code, "\n")] = '\0';
	rc = store_user_get(s, argv[2], argv[3], &u);
	if (rc == TG_OK)
		rc = store_user_totp_use(s, argv[2], u->id, code, now, &step);
	user_free(u);
	if (rc == TG_OK)
		printf("accepted %lld\n", (long long)step);
	else
		printf("refused (%s)\n", tg_err_str(rc));
	return rc == TG_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct tg_store *s = NULL;
	struct tg_why why;
	int64_t now = 0;
	int status;

	if (argc != 5 || number_parse(argv[4], 0, INT64_MAX, &now) != TG_OK) {
		fprintf(stderr, "usage: user_totp_use DBDIR TENANT EMAIL NOW (code on stdin)\n");
		return 2;
	}
	if (store_open(argv[1], false, &s, &why) != TG_OK) {
		fprintf(stderr, "user_totp_use: %s\n", why.text);
		return 2;
	}
	status = use(s, argv, now);
	store_close(s);
	return status;
}
