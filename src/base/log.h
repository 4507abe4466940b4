/*
 * Operator log lines on stderr (which a FastCGI server copies into its error
 * log), each naming its call site. Never handed a secret: a value that may be
 * a credential goes through log_mask() first.
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

/*
 * One line, written with a single write(2) so lines from threads and sibling
 * processes never interleave; control characters in the message become '?'.
 */
void tg_log(enum tg_log_level l, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define TG_LOG(l, ...) tg_log((l), __FILE__, __LINE__, __VA_ARGS__)

#define TG_MASK_MAX 40

/*
 * "abcd…(43 chars)": the first four bytes only of a value of 16 bytes or
 * more, nothing of a shorter one. Writes into buf and returns it.
 */
const char *log_mask(const char *value, size_t len, char buf[TG_MASK_MAX]);

#endif
