/*
 * Log lines: level names, masking of credential-like values, and the line
 * itself (call site present, control characters defanged, below-level lines
 * dropped), read back from a pipe standing in for the server's error log.
 */
#include "base/log.h"

#include "../lib/tap.h"

#include <fcntl.h>
#include <unistd.h>

/* Runs one tg_log call with stderr redirected and returns what it wrote. */
static void
capture(enum tg_log_level l, const char *msg, char *out, size_t outlen)
{
	int fds[2], saved;
	ssize_t n;

	out[0] = '\0';
	if (pipe(fds) != 0)
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	tg_log(l, "here.c", 42, "%s", msg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	n = read(fds[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
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
	return done_testing();
}
