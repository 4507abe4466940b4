/*
 * Minimal TAP producer for unit tests, read by automake's tap-driver.sh.
 * Header-only: each test program includes it once. plan is printed at the
 * end (done_testing), so a test that stops early is reported as failed.
 */
#ifndef TG_TAP_H
#define TG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 2, 3))) static int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_int(got, want, ...)                                                                    \
	do {                                                                                      \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);                  \
		if (!tap_ok(tap_g_ == tap_w_, __VA_ARGS__))                                       \
			printf("#   got %lld, want %lld (%s:%d)\n", tap_g_, tap_w_, __FILE__,        \
			       __LINE__);                                                         \
	} while (0)
#define is_str(got, want, ...)                                                                    \
	do {                                                                                      \
		const char *tap_g_ = (got), *tap_w_ = (want);                                     \
		if (!tap_ok(tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0, __VA_ARGS__))        \
			printf("#   got '%s', want '%s' (%s:%d)\n", tap_g_ ? tap_g_ : "(null)",       \
			       tap_w_ ? tap_w_ : "(null)", __FILE__, __LINE__);                   \
	} while (0)

__attribute__((format(printf, 1, 2))) static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Prints the plan; exits non-zero when a test failed or none ran. */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return (tap_failed || tap_n == 0) ? 1 : 0;
}

/* Removes a scratch directory a test made with mkdtemp (its name has no quote in it). */
static inline void
tap_rmtree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

/* Directory holding test data (vectors), from the harness; falls back to the source tree. */
static inline const char *
tap_srcdir(void)
{
	const char *d = getenv("srcdir");

	return d ? d : ".";
}

#endif
