/*
 * Reading a key file, a JWKS or a token from stdin whole into a struct
 * tg_secret. Every buffer that held the bytes is wiped before it is freed;
 * nothing here prints, so a file's content never reaches a message.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tg_err
ctl_read_file(const char *path, size_t cap, struct tg_secret *out, struct tg_why *why)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t size = 4096, len = 0, n;
	unsigned char *buf;
	enum tg_err rc = TG_OK;

	if (!f)
		return tg_fail(why, TG_ERR_IO, "%s", strerror(errno));
	buf = tg_xmalloc(size);
	/* Grown by copy and wipe rather than realloc, which could leave secret bytes behind. */
	while ((n = fread(buf + len, 1, size - len, f)) > 0) {
		len += n;
		if (len > cap) {
			rc = TG_ERR_TOO_LARGE;
			break;
		}
		if (len == size) {
			unsigned char *bigger = tg_xmalloc(size * 2);

			memcpy(bigger, buf, len);
			secret_free_buf(buf, size);
			buf = bigger;
			size *= 2;
		}
	}
	if (rc == TG_OK && ferror(f))
		rc = tg_fail(why, TG_ERR_IO, "%s", strerror(errno));
	if (rc == TG_OK)
		secret_set(out, buf, len);
	secret_free_buf(buf, size);
	if (!is_stdin)
		fclose(f);
	return rc;
}
