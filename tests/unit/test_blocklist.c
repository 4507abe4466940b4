/*
 * base/blocklist.c on a real file: exact and case-insensitive hits, CRLF
 * lines, empty lines skipped, a missing file and a non-UTF-8 line refused
 * with a sentence naming the file.
 */
#include "../lib/tap.h"

#include "base/blocklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool
has(const struct tg_blocklist *b, const char *p)
{
	return blocklist_has(b, p, strlen(p));
}

int
main(void)
{
	char path[] = "/tmp/tokengate-blocklist.XXXXXX";
	struct tg_blocklist *b = NULL;
	struct tg_why why;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		return 1;
	fputs("password1\r\n\nqwertyuiop\nStra\xc3\x9f" "e123\n", f);
	fclose(f);
	is_int(blocklist_load(path, &b, &why), TG_OK, "blocklist loaded");
	is_int((int)blocklist_size(b), 3, "empty line skipped, CRLF line counted once");
	ok(has(b, "password1"), "exact entry refused");
	ok(has(b, "PassWord1"), "case variant refused (compared case-folded)");
	ok(has(b, "STRASSE123"), "full case folding: STRASSE123 matches Stra\xc3\x9f" "e123");
	ok(!has(b, "password12"), "a longer password is not on the list");
	ok(!has(b, "password1\r"), "the CR was the line ending, not part of the entry");
	ok(!has(NULL, "password1"), "no list refuses nothing");
	blocklist_free(b);
	b = NULL;
	f = fopen(path, "w");
	fputs("ok\n\xff\xfe\n", f);
	fclose(f);
	is_int(blocklist_load(path, &b, &why), TG_ERR_INVALID, "non-UTF-8 line refused");
	ok(strstr(why.text, "line 2") && strstr(why.text, path), "sentence names file and line");
	unlink(path);
	is_int(blocklist_load(path, &b, &why), TG_ERR_IO, "missing file: I/O error");
	ok(strstr(why.text, "password_blocklist") != NULL, "sentence names the setting to fix");
	return done_testing();
}
