/*
 * Log lines on stderr with level, pid and call site. Owns the process's log
 * level. Must never print a token, key or API key: callers mask those with
 * log_mask(), and every message is cut to one line of bounded length.
 */
#include "base/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024

static enum tg_log_level level = TG_LOG_WARN;

static const char *const level_names[] = {
	[TG_LOG_ERR] = "error", [TG_LOG_WARN] = "warn", [TG_LOG_INFO] = "info",
	[TG_LOG_DEBUG] = "debug",
};

void
log_set_level(enum tg_log_level l)
{
	level = l;
}

bool
log_is_enabled(enum tg_log_level l)
{
	return l <= level;
}

enum tg_err
log_level_from_name(const char *name, enum tg_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum tg_log_level)i;
			return TG_OK;
		}
	}
	return TG_ERR_INVALID;
}

const char *
log_level_name(enum tg_log_level l)
{
	if ((size_t)l >= sizeof(level_names) / sizeof(level_names[0]))
		return "debug";
	return level_names[l];
}

/* Keeps a log line one line: a newline inside a message could forge another entry. */
static void
defang(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

void
tg_log(enum tg_log_level l, const char *file, int line, const char *fmt, ...)
{
	char buf[LINE_MAX_BYTES];
	const char *base = strrchr(file, '/');
	va_list ap;
	int n;
	size_t len;

	if (!log_is_enabled(l))
		return;
	n = snprintf(buf, sizeof(buf), "tokengate[%ld]: %s: %s:%d: ", (long)getpid(),
		     log_level_name(l), base ? base + 1 : file, line);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return;
	/* A message too long for the line ends in "..." (tg_vformat), never cut unseen. */
	va_start(ap, fmt);
	tg_vformat(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	len = (size_t)n + strlen(buf + n);
	defang(buf + n, len - (size_t)n);
	buf[len++] = '\n';
	/* Nothing useful can be done when stderr itself is gone. */
	(void)!write(STDERR_FILENO, buf, len);
}

const char *
log_mask(const char *value, size_t len, char buf[TG_MASK_MAX])
{
	char head[5] = "";

	if (value && len >= 16) {
		memcpy(head, value, 4);
		defang(head, 4);
		for (size_t i = 0; i < 4; i++)
			if ((unsigned char)head[i] >= 0x80)
				head[i] = '?';
	}
	snprintf(buf, TG_MASK_MAX, "%s\xe2\x80\xa6(%zu chars)", head, value ? len : 0);
	return buf;
}
