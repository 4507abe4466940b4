/*
 * `make bench`: Argon2id at the default parameters (OWASP's floor, model/password.h):
 * milliseconds per password_hash and per password_verify (what a login costs),
 * verifications per second on one core, and the dummy verification next to a real
 * one. Not a test: it prints figures and exits 0 unless a verification fails.
 */
#include "model/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 20

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
report(const char *what, double seconds)
{
	printf("%-34s %8.1f ms each  %7.1f per second per core\n", what,
	       1000.0 * seconds / ROUNDS, ROUNDS / seconds);
}

int
main(void)
{
	const char *pw = "correct horse battery staple";
	struct tg_password_params p;
	bool is_match = false, needs = false;
	char *phc = NULL;
	double t0;
	int rc = 0;

	password_params_of(NULL, &p);
	printf("argon2id m=%u KiB t=%u p=%u, %d rounds each\n", p.memory_kib, p.iterations,
	       p.parallelism, ROUNDS);
	t0 = now();
	for (int i = 0; i < ROUNDS; i++) {
		free(phc);
		phc = NULL;
		if (password_hash(pw, strlen(pw), &p, &phc) != TG_OK)
			rc = 1;
	}
	report("password_hash", now() - t0);
	t0 = now();
	for (int i = 0; rc == 0 && i < ROUNDS; i++)
		if (password_verify(pw, strlen(pw), phc, &p, &is_match, &needs) != TG_OK || !is_match)
			rc = 1;
	report("password_verify (known user)", now() - t0);
	t0 = now();
	for (int i = 0; rc == 0 && i < ROUNDS; i++)
		if (password_verify_dummy(pw, strlen(pw), &p) != TG_OK)
			rc = 1;
	report("password_verify_dummy (unknown)", now() - t0);
	free(phc);
	if (rc)
		fprintf(stderr, "password-bench: a verification failed\n");
	return rc;
}
