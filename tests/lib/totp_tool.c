/*
 * tests/totp_oathtool.test's view of model/totp.c: a base32 secret (and a code) on stdin, never
 * in argv, one answer on stdout. Test-only: it prints what it is asked to compute.
 *   totp_tool code NOW DIGITS      secret on stdin -> the TOTP at NOW
 *   totp_tool verify NOW           secret, code on stdin -> the matched step, or "refused"
 *   totp_tool uri ISSUER ACCOUNT   secret on stdin -> the otpauth URI
 */
#include "base/base32.h"
#include "base/number.h"
#include "model/totp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line of stdin without its newline into buf, or false. */
static bool
read_line(char *buf, size_t size)
{
	if (!fgets(buf, (int)size, stdin))
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static bool
read_secret(struct tg_secret *key)
{
	char line[256];
	unsigned char *raw = NULL;
	size_t len = 0;

	if (!read_line(line, sizeof(line)) ||
	    base32_decode(line, strlen(line), &raw, &len) != TG_OK)
		return false;
	secret_set(key, raw, len);
	secret_free_buf(raw, len + 1);
	secret_wipe(line, sizeof(line));
	return true;
}

static int
run(int argc, char **argv, const struct tg_secret *key)
{
	char code[TOTP_DIGITS_MAX + 1], *uri = NULL;
	int64_t now = 0, digits = 0, step = 0;
	struct tg_why why = { "" };
	enum tg_err rc;

	if (argc >= 3 && strcmp(argv[1], "uri") != 0 &&
	    number_parse(argv[2], 0, INT64_MAX, &now) != TG_OK)
		return 2;
	if (argc == 4 && strcmp(argv[1], "code") == 0) {
		if (number_parse(argv[3], 1, TOTP_DIGITS_MAX, &digits) != TG_OK ||
		    totp_code(key, now, (unsigned)digits, code) != TG_OK)
			return 2;
		printf("%s\n", code);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "verify") == 0) {
		if (!read_line(code, sizeof(code)))
			return 2;
		rc = totp_verify(key, code, now, TOTP_WINDOW, &step);
		if (rc == TG_OK)
			printf("%lld\n", (long long)step);
		else
			printf("refused\n");
		return rc == TG_OK || rc == TG_ERR_REJECTED ? 0 : 2;
	}
	if (argc == 4 && strcmp(argv[1], "uri") == 0) {
		if (totp_uri(key, argv[2], argv[3], &uri, &why) != TG_OK) {
			fprintf(stderr, "totp_tool: %s\n", why.text);
			return 1;
		}
		printf("%s\n", uri);
		secret_free_str(uri);
		return 0;
	}
	return 2;
}

int
main(int argc, char **argv)
{
	struct tg_secret key = { 0 };
	int status;

	if (argc < 2 || !read_secret(&key)) {
		fprintf(stderr,
			"usage: totp_tool code NOW DIGITS | verify NOW | uri ISSUER ACCOUNT "
			"(base32 secret on stdin)\n");
		return 2;
	}
	status = run(argc, argv, &key);
	secret_free(&key);
	return status;
}
