/*
 * Log lines on stderr or to syslog with level, pid and call site. Owns the
 * process's log level, sink and facility, and the denial lines' rate limit.
 * Must never print a token, key or API key: callers mask those with
 * log_mask(), and every message is cut to one line of bounded length.
 */
#include "base/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024

static enum tg_log_level level = TG_LOG_WARN;
static enum tg_log_sink sink = TG_LOG_STDERR;

/* The denial lines' budget: threads of one process share it. */
static pthread_mutex_t denial_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t denial_second;
static unsigned denial_count;
static uint64_t denial_suppressed;

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "user", LOG_USER }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static const int syslog_priority[] = {
	[TG_LOG_ERR] = LOG_ERR, [TG_LOG_WARN] = LOG_WARNING, [TG_LOG_INFO] = LOG_INFO,
	[TG_LOG_DEBUG] = LOG_DEBUG,
};

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

enum tg_err
log_sink_from_name(const char *name, enum tg_log_sink *out)
{
	if (strcmp(name, "stderr") == 0)
		*out = TG_LOG_STDERR;
	else if (strcmp(name, "syslog") == 0)
		*out = TG_LOG_SYSLOG;
	else
		return TG_ERR_INVALID;
	return TG_OK;
}

enum tg_err
log_facility_from_name(const char *name, int *out)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcmp(name, facilities[i].name) == 0) {
			*out = facilities[i].facility;
			return TG_OK;
		}
	}
	return TG_ERR_INVALID;
}

void
log_open(enum tg_log_sink s, int facility)
{
	sink = s;
	/* LOG_NDELAY: connect now, before a chroot or privilege drop could hide /dev/log. */
	if (s == TG_LOG_SYSLOG)
		openlog("tokengate", LOG_PID | LOG_NDELAY, facility);
}

const char *
log_time(char buf[TG_LOG_TIME_MAX])
{
	struct timespec ts;
	struct tm tm;
	char sec[20];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		sec[0] = '\0'; /* a year past 9999: the line is still written, without its time */
	snprintf(buf, TG_LOG_TIME_MAX, "%.19s.%03uZ", sec, (unsigned)(ts.tv_nsec / 1000000) % 1000);
	return buf;
}

long long
log_elapsed_us(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - start->tv_sec) * 1000000 +
	       (now.tv_nsec - start->tv_nsec) / 1000;
}

/* Keeps a log line one line: a newline inside a message could forge another entry. */
static void
defang(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

static void vlog(enum tg_log_level l, const char *file, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void
vlog(enum tg_log_level l, const char *file, int line, const char *fmt, va_list ap)
{
	char buf[LINE_MAX_BYTES];
	const char *base = strrchr(file, '/');
	int n;
	size_t len;

	/* syslog adds its own name, pid and time; stderr has only this prefix to tell lines apart. */
	if (sink == TG_LOG_SYSLOG)
		n = snprintf(buf, sizeof(buf), "%s: %s:%d: ", log_level_name(l),
			     base ? base + 1 : file, line);
	else
		n = snprintf(buf, sizeof(buf), "tokengate[%ld]: %s: %s:%d: ", (long)getpid(),
			     log_level_name(l), base ? base + 1 : file, line);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return;
	/* A message too long for the line ends in "..." (tg_vformat), never cut unseen. */
	tg_vformat(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	len = (size_t)n + strlen(buf + n);
	defang(buf + n, len - (size_t)n);
	if (sink == TG_LOG_SYSLOG) {
		syslog(syslog_priority[l], "%s", buf);
		return;
	}
	buf[len++] = '\n';
	/* Nothing useful can be done when stderr itself is gone. */
	(void)!write(STDERR_FILENO, buf, len);
}

void
tg_log(enum tg_log_level l, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (!log_is_enabled(l))
		return;
	va_start(ap, fmt);
	vlog(l, file, line, fmt, ap);
	va_end(ap);
}

void
tg_log_denial(enum tg_log_level l, int64_t now, const char *file, int line, const char *fmt, ...)
{
	uint64_t suppressed = 0;
	bool is_admitted;
	va_list ap;

	if (!log_is_enabled(l))
		return;
	pthread_mutex_lock(&denial_lock);
	if (now != denial_second) {
		suppressed = denial_suppressed;
		denial_suppressed = 0;
		denial_second = now;
		denial_count = 0;
	}
	is_admitted = denial_count < TG_LOG_DENIALS_PER_SEC;
	if (is_admitted)
		denial_count++;
	else
		denial_suppressed++;
	pthread_mutex_unlock(&denial_lock);
	if (suppressed)
		tg_log(TG_LOG_WARN, file, line,
		       "suppressed %llu denial lines (more than %d a second in this process)",
		       (unsigned long long)suppressed, TG_LOG_DENIALS_PER_SEC);
	if (!is_admitted)
		return;
	va_start(ap, fmt);
	vlog(l, file, line, fmt, ap);
	va_end(ap);
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
