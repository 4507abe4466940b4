/*
 * The password blocklist (base/blocklist.h): each line folded, hashed and
 * wiped at once; what stays is the hashes. Lookups compare through
 * secret_equal only, so no password byte meets a memcmp.
 */
#include "base/blocklist.h"

#include "base/secret.h"
#include "base/unicode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tg_blocklist {
	unsigned char (*h)[TG_SECRET_HASH_LEN];
	size_t n;
};

/* SHA-256 of the folded form of p[0..n); false when p is not UTF-8. */
static bool
fold_hash(const char *p, size_t n, unsigned char out[TG_SECRET_HASH_LEN])
{
	char *folded = NULL;
	bool is_ok = unicode_nfc(p, n, true, &folded) == TG_OK &&
		     secret_hash(folded, strlen(folded), out) == TG_OK;

	if (folded)
		secret_free_str(folded);
	return is_ok;
}

static enum tg_err
add_lines(struct tg_blocklist *b, char *text, size_t len, const char *path, struct tg_why *why)
{
	size_t line = 0;

	for (char *p = text, *end = text + len; p < end; line++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (nl ? (size_t)(nl - p) : (size_t)(end - p));

		if (n && p[n - 1] == '\r')
			n--;
		if (n) {
			b->h = tg_xrealloc(b->h, (b->n + 1) * sizeof(*b->h));
			if (!fold_hash(p, n, b->h[b->n]))
				return tg_fail(why, TG_ERR_INVALID, "password blocklist %s: line %zu "
					       "is not UTF-8 text (save the file as UTF-8)", path,
					       line + 1);
			b->n++;
		}
		p = nl ? nl + 1 : end;
	}
	return TG_OK;
}

enum tg_err
blocklist_load(const char *path, struct tg_blocklist **out, struct tg_why *why)
{
	struct tg_blocklist *b = tg_xcalloc(1, sizeof(*b));
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	enum tg_err rc;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st) != 0) {
		rc = tg_fail(why, TG_ERR_IO, "cannot read password blocklist %s: %s (fix the "
			     "path in password_blocklist or the file's permissions)", path,
			     strerror(errno));
		goto out;
	}
	if (st.st_size > TG_BLOCKLIST_MAX_BYTES) {
		rc = tg_fail(why, TG_ERR_INVALID, "password blocklist %s is larger than %d MiB",
			     path, TG_BLOCKLIST_MAX_BYTES / (1024 * 1024));
		goto out;
	}
	text = tg_xmalloc((size_t)st.st_size + 1);
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = tg_fail(why, TG_ERR_IO, "cannot read password blocklist %s: %s", path,
			     strerror(errno));
		goto out;
	}
	rc = add_lines(b, text, len, path, why);
	if (rc != TG_OK)
		goto out;
	*out = b; /* ownership moves to the caller */
	b = NULL;
out:
	if (f)
		fclose(f);
	if (text)
		secret_free_buf(text, (size_t)st.st_size + 1);
	blocklist_free(b);
	return rc;
}

void
blocklist_free(struct tg_blocklist *b)
{
	if (!b)
		return;
	free(b->h);
	free(b);
}

size_t
blocklist_size(const struct tg_blocklist *b)
{
	return b ? b->n : 0;
}

bool
blocklist_has(const struct tg_blocklist *b, const char *p, size_t n)
{
	unsigned char h[TG_SECRET_HASH_LEN];
	bool is_listed = false;

	if (!b || !fold_hash(p, n, h))
		return false;
	/* Every entry is compared, whatever matched: the answer's timing says nothing of where. */
	for (size_t i = 0; i < b->n; i++)
		is_listed |= secret_equal(h, sizeof(h), b->h[i], sizeof(h));
	secret_wipe(h, sizeof(h));
	return is_listed;
}
