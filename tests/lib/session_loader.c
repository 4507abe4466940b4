/*
 * Helper for tests/stress/large.test: fills a store with sessions the way
 * POST /v1/sessions stores them (store_session_create: the session, its index
 * entries and a refresh token, each committed durably), only faster than
 * HTTP can, so that listings, logouts and removals can be tried at the sizes
 * operators reach.
 *   session_loader DIR TENANT USER N      N live sessions of USER
 *   session_loader DIR TENANT '*' N       N live sessions spread over users u0..u999
 * Prints the number created. Exit status: 0 ok, 2 a store error.
 */
#include "store_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIFETIME 86400

static enum tg_err
create_one(struct tg_store *s, const char *tenant, const char *user, int64_t now)
{
	char id[TG_SESSION_ID_LEN + 1];
	unsigned char hash[TG_REFRESH_HASH_LEN];
	enum tg_err rc = session_id_new(id);

	if (rc == TG_OK)
		rc = secret_random(hash, sizeof(hash));
	if (rc == TG_OK)
		rc = setup_session_put(s, setup_session_new(id, tenant, user, now, LIFETIME), hash);
	return rc;
}

int
main(int argc, char **argv)
{
	struct tg_store *s = NULL;
	struct tg_why why;
	char *end = NULL;
	long n;
	int64_t now = (int64_t)time(NULL);
	enum tg_err rc = TG_OK;
	long made = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: session_loader DIR TENANT USER|'*' N\n");
		return 2;
	}
	n = strtol(argv[4], &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "session_loader: N must be a whole number, not \"%s\"\n", argv[4]);
		return 2;
	}
	if (store_open(argv[1], false, &s, &why) != TG_OK) {
		fprintf(stderr, "session_loader: %s\n", why.text);
		return 2;
	}
	for (; made < n && rc == TG_OK; made++) {
		char user[16];

		if (strcmp(argv[3], "*") == 0)
			snprintf(user, sizeof(user), "u%ld", made % 1000);
		rc = create_one(s, argv[2], strcmp(argv[3], "*") == 0 ? user : argv[3], now);
	}
	if (rc != TG_OK)
		fprintf(stderr, "session_loader: session %ld: %s\n", made, tg_err_str(rc));
	printf("%ld\n", rc == TG_OK ? made : made - 1);
	store_close(s);
	return rc == TG_OK ? 0 : 2;
}
