/*
 * Operator log lines, on stderr or through syslog(3) (`log`, `log_facility`),
 * each naming its call site; denial lines rate-limited per process. Never
 * handed a secret: a value that may be a credential goes through log_mask() first.
 */
#ifndef TG_LOG_H
#define TG_LOG_H

#include "base/tokengate.h"

enum tg_log_level { TG_LOG_ERR = 0, TG_LOG_WARN, TG_LOG_INFO, TG_LOG_DEBUG };

/* Set once at start-up, before any thread exists. */
void log_set_level(enum tg_log_level l);
bool log_is_enabled(enum tg_log_level l);
/* "error", "warn", "info", "debug"; anything else is TG_ERR_INVALID. */
enum tg_err log_level_from_name(const char *name, enum tg_log_level *out);
const char *log_level_name(enum tg_log_level l);

enum tg_log_sink { TG_LOG_STDERR = 0, TG_LOG_SYSLOG };

/* "stderr" or "syslog"; anything else is TG_ERR_INVALID. */
enum tg_err log_sink_from_name(const char *name, enum tg_log_sink *out);
/* "daemon", "auth", "authpriv", "user", "local0".."local7" to LOG_*; else TG_ERR_INVALID. */
enum tg_err log_facility_from_name(const char *name, int *out);
/* Set once at start-up, before any thread exists; syslog opens with the facility at once. */
void log_open(enum tg_log_sink sink, int facility);

/*
 * At most TG_LOG_DENIALS_PER_SEC denial lines a second per process: a storm of
 * bad tokens must not fill the disk or drown the other lines. The first denial
 * of a later second first writes "suppressed K denial lines".
 */
#define TG_LOG_DENIALS_PER_SEC 20

/*
 * One line, written with a single write(2) so lines from threads and sibling
 * processes never interleave; control characters in the message become '?'.
 */
void tg_log(enum tg_log_level l, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define TG_LOG(l, ...) tg_log((l), __FILE__, __LINE__, __VA_ARGS__)

/* tg_log for a denial, under the rate limit above; now is the wall clock's second. */
void tg_log_denial(enum tg_log_level l, int64_t now, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "2026-12-07T18:25:03.123Z": the time field of decision and API lines. */
#define TG_LOG_TIME_MAX 32
const char *log_time(char buf[TG_LOG_TIME_MAX]);

struct timespec;
/* The latency field: microseconds since start, read from CLOCK_MONOTONIC (no wall-clock steps). */
long long log_elapsed_us(const struct timespec *start);

#define TG_MASK_MAX 40

/*
 * "abcd…(43 chars)": the first four bytes only of a value of 16 bytes or
 * more, nothing of a shorter one. Writes into buf and returns it.
 */
const char *log_mask(const char *value, size_t len, char buf[TG_MASK_MAX]);

#endif
