/*
 * Log lines: level names, masking of credential-like values, and the line
 * itself (call site present, control characters defanged, below-level lines
 * dropped), read back from a pipe standing in for the server's error log.
 */
#include "base/log.h"

#include "../lib/tap.h"

#include <fcntl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/*
 * Runs one tg_log call (or, with denials > 0, that many tg_log_denial calls in
 * second now) with stderr redirected and returns what it wrote.
 */
static void
capture_n(enum tg_log_level l, const char *msg, int denials, int64_t now, char *out,
	  size_t outlen)
{
	int fds[2], saved;
	ssize_t n;

	out[0] = '\0';
	if (pipe(fds) != 0)
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	if (denials == 0)
		tg_log(l, "here.c", 42, "%s", msg);
	for (int i = 0; i < denials; i++)
		tg_log_denial(l, now, "here.c", 42, "%s", msg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	n = read(fds[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void
capture(enum tg_log_level l, const char *msg, char *out, size_t outlen)
{
	capture_n(l, msg, 0, 0, out, outlen);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* A storm of denials: TG_LOG_DENIALS_PER_SEC lines a second, then one line counting the rest. */
static void
test_denial_limit(void)
{
	static char out[64 * 1024];
	int facility;
	enum tg_log_sink s;

	capture_n(TG_LOG_INFO, "refused", TG_LOG_DENIALS_PER_SEC + 15, 1000, out, sizeof(out));
	is_int(count(out, "refused"), TG_LOG_DENIALS_PER_SEC, "a second's denial lines are capped");
	is_int(count(out, "suppressed"), 0, "the count waits for the next second");
	capture_n(TG_LOG_INFO, "refused", 1, 1001, out, sizeof(out));
	ok(strstr(out, "suppressed 15 denial lines") != NULL,
	   "the next second's first denial says how many were suppressed");
	is_int(count(out, "refused"), 1, "and is itself written");
	capture_n(TG_LOG_INFO, "refused", 1, 1002, out, sizeof(out));
	is_int(count(out, "suppressed"), 0, "nothing suppressed: no count line");
	capture_n(TG_LOG_DEBUG, "refused", 1, 1003, out, sizeof(out));
	is_str(out, "", "a denial below the level is dropped");

	ok(log_sink_from_name("syslog", &s) == TG_OK && s == TG_LOG_SYSLOG, "log = syslog");
	ok(log_sink_from_name("stderr", &s) == TG_OK && s == TG_LOG_STDERR, "log = stderr");
	ok(log_sink_from_name("file", &s) == TG_ERR_INVALID, "an unknown sink is refused");
	ok(log_facility_from_name("local7", &facility) == TG_OK && facility == LOG_LOCAL7,
	   "facility local7");
	ok(log_facility_from_name("authpriv", &facility) == TG_OK && facility == LOG_AUTHPRIV,
	   "facility authpriv");
	ok(log_facility_from_name("kern", &facility) == TG_ERR_INVALID,
	   "kern is not for programs: refused");
}

static void
test_time(void)
{
	char when[TG_LOG_TIME_MAX];
	struct timespec start;
	int y, mo, d, h, mi, s, ms;
	char z;

	log_time(when);
	ok(sscanf(when, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z) == 8 &&
		   z == 'Z' && strlen(when) == 24,
	   "the time field is RFC 3339 UTC with milliseconds (%s)", when);
	clock_gettime(CLOCK_MONOTONIC, &start);
	usleep(2000);
	ok(log_elapsed_us(&start) >= 2000 && log_elapsed_us(&start) < 2000000,
	   "latency is measured in microseconds");
}

int
main(void)
{
	enum tg_log_level l;
	char buf[TG_MASK_MAX], line[2048], longmsg[1500];
	const char *secret = "tgk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

	for (int i = TG_LOG_ERR; i <= TG_LOG_DEBUG; i++) {
		ok(log_level_from_name(log_level_name(i), &l) == TG_OK && l == (enum tg_log_level)i,
		   "level %s round-trips", log_level_name(i));
	}
	ok(log_level_from_name("verbose", &l) == TG_ERR_INVALID, "unknown level name refused");
	ok(log_level_from_name("", &l) == TG_ERR_INVALID, "empty level name refused");

	log_mask(secret, strlen(secret), buf);
	ok(strncmp(buf, "tgk_", 4) == 0, "mask keeps the first four bytes");
	ok(strstr(buf, "0123") == NULL, "mask hides everything after them (%s)", buf);
	ok(strstr(buf, "47") != NULL, "mask gives the length");
	log_mask("short-secret", 12, buf);
	ok(strstr(buf, "shor") == NULL, "a short value shows nothing of itself (%s)", buf);

	log_set_level(TG_LOG_INFO);
	capture(TG_LOG_ERR, "database gone\nFAKE: injected", line, sizeof(line));
	ok(strstr(line, "here.c:42") != NULL, "line names its call site");
	ok(strstr(line, "database gone") != NULL, "line carries the message");
	ok(strchr(line, '\n') == strrchr(line, '\n') && line[strlen(line) - 1] == '\n',
	   "a newline inside the message cannot forge a second line");
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	capture(TG_LOG_ERR, longmsg, line, sizeof(line));
	ok(strlen(line) <= 1024 && strlen(line) > 1000 && strstr(line, "xx...\n") &&
		   strchr(line, '\n') == line + strlen(line) - 1,
	   "a message too long for the line ends in \"...\", on one line (%zu bytes)", strlen(line));
	capture(TG_LOG_DEBUG, "chatty", line, sizeof(line));
	is_str(line, "", "a line below the level is dropped");
	ok(log_is_enabled(TG_LOG_WARN) && !log_is_enabled(TG_LOG_DEBUG), "log_is_enabled follows level");
	test_denial_limit();
	test_time();
	return done_testing();
}
