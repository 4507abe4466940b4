/*
 * Error and reason vocabulary, the one formatter of error sentences (verdicts
 * and struct tg_why), aborting allocators and the owned-string list.
 * Everything else builds on these.
 */
#include "base/tokengate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
tg_err_str(enum tg_err e)
{
	switch (e) {
	case TG_OK: return "success";
	case TG_ERR_INVALID: return "invalid input";
	case TG_ERR_REJECTED: return "token rejected";
	case TG_ERR_NOT_FOUND: return "not found";
	case TG_ERR_EXISTS: return "already exists";
	case TG_ERR_WEAK_KEY: return "key too weak";
	case TG_ERR_UNSUPPORTED: return "not supported";
	case TG_ERR_CRYPTO: return "cryptographic library failure";
	case TG_ERR_DB: return "database failure";
	case TG_ERR_IO: return "input/output failure";
	case TG_ERR_TOO_LARGE: return "too large";
	case TG_ERR_BUSY: return "database busy, try again";
	case TG_ERR_DENIED: return "not allowed";
	case TG_ERR_LIMITED: return "rate limit reached";
	case TG_ERR_RANGE: return "out of range";
	}
	return "unknown error";
}

static const char *const reason_codes[TG_R_COUNT] = {
	[TG_R_NONE] = "none",
	[TG_R_MALFORMED] = "malformed",
	[TG_R_TOO_LARGE] = "too_large",
	[TG_R_UNSUPPORTED_ALG] = "unsupported_alg",
	[TG_R_UNSUPPORTED_HEADER] = "unsupported_header",
	[TG_R_ALG_MISMATCH] = "alg_mismatch",
	[TG_R_UNKNOWN_TENANT] = "unknown_tenant",
	[TG_R_UNKNOWN_KEY] = "unknown_key",
	[TG_R_BAD_SIGNATURE] = "bad_signature",
	[TG_R_MISSING_CLAIM] = "missing_claim",
	[TG_R_INVALID_CLAIM] = "invalid_claim",
	[TG_R_EXPIRED] = "expired",
	[TG_R_NOT_YET_VALID] = "not_yet_valid",
	[TG_R_ISSUED_IN_FUTURE] = "issued_in_future",
	[TG_R_LIFETIME_TOO_LONG] = "lifetime_too_long",
	[TG_R_WRONG_ISSUER] = "wrong_issuer",
	[TG_R_WRONG_AUDIENCE] = "wrong_audience",
	[TG_R_SESSION_REVOKED] = "session_revoked",
	[TG_R_SUB_TOO_LONG] = "sub_too_long",
	[TG_R_CLAIM_TOO_LONG] = "claim_too_long",
	[TG_R_WRONG_TYPE] = "wrong_type",
	[TG_R_INTERNAL] = "internal_error",
};

const char *
tg_reason_code(enum tg_reason r)
{
	if ((unsigned)r >= TG_R_COUNT)
		return "internal_error";
	return reason_codes[r];
}

/*
 * The one place a sentence is formatted into a fixed buffer. It goes through
 * a scratch copy so a caller may wrap the sentence already in buf. One that
 * does not fit ends in "...", cut before a UTF-8 sequence rather than inside
 * one, so the reader sees the cut and the text stays valid UTF-8.
 */
void
tg_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	char tmp[TG_WHY_LEN];
	int n;
	size_t cut;

	if (size > sizeof(tmp))
		size = sizeof(tmp);
	n = vsnprintf(tmp, size, fmt, ap);
	if (n < 0) {
		tmp[0] = '\0';
	} else if ((size_t)n >= size && size >= 4) {
		cut = size - 4;
		while (cut > 0 && ((unsigned char)tmp[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(tmp + cut, "...", 4);
	}
	memcpy(buf, tmp, strlen(tmp) + 1);
}

enum tg_err
tg_reject(struct tg_verdict *v, enum tg_reason r, const char *fmt, ...)
{
	va_list ap;

	v->reason = r;
	va_start(ap, fmt);
	tg_vformat(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	return TG_ERR_REJECTED;
}

enum tg_err
tg_fail(struct tg_why *why, enum tg_err rc, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return rc;
	va_start(ap, fmt);
	tg_vformat(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	return rc;
}

static void *
die_oom(void)
{
	fputs("tokengate: out of memory, stopping\n", stderr);
	abort();
}

void *
tg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : die_oom();
}

void *
tg_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	return p ? p : die_oom();
}

void *
tg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : die_oom();
}

char *
tg_xstrdup(const char *s)
{
	return tg_xstrndup(s, strlen(s));
}

char *
tg_xstrndup(const char *s, size_t n)
{
	char *d = tg_xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
tg_xconcat(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *d = tg_xmalloc(na + nb + 1);

	memcpy(d, a, na);
	memcpy(d + na, b, nb + 1);
	return d;
}

char *
tg_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	s = tg_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void
strlist_add(struct tg_strlist *l, const char *s)
{
	if (strlist_contains(l, s))
		return;
	l->v = tg_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = tg_xstrdup(s);
}

bool
strlist_remove(struct tg_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) != 0)
			continue;
		free(l->v[i]);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
		l->n--;
		return true;
	}
	return false;
}

bool
strlist_contains(const struct tg_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void
strlist_copy(struct tg_strlist *dst, const struct tg_strlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		strlist_add(dst, src->v[i]);
}

void
strlist_free(struct tg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
