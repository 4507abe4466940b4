/*
 * Shared vocabulary of every module: error codes, rejection reasons and the
 * verdict a validation hands back unchanged to CLI, authorizer and API.
 * Nothing here performs I/O or knows about a transport or the store.
 */
#ifndef TG_TOKENGATE_H
#define TG_TOKENGATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tg_err {
	TG_OK = 0,
	TG_ERR_INVALID,     /* caller's input is malformed or out of range */
	TG_ERR_REJECTED,    /* a token failed validation: the verdict says why */
	TG_ERR_NOT_FOUND,
	TG_ERR_EXISTS,
	TG_ERR_WEAK_KEY,    /* key material below the minimum strength */
	TG_ERR_UNSUPPORTED, /* well-formed but not something we accept */
	TG_ERR_CRYPTO,      /* OpenSSL failed for a reason other than bad input */
	TG_ERR_DB,          /* Berkeley DB failed; the store logged the detail */
	TG_ERR_IO,
	TG_ERR_TOO_LARGE,
	TG_ERR_BUSY,        /* transient contention that survived the retries */
	TG_ERR_DENIED,      /* understood and authentic, but not allowed (bind_ip, tenant) */
	TG_ERR_LIMITED,     /* a rate limit's bucket is empty */
	TG_ERR_RANGE,       /* a well-formed number outside what the caller allows */
};

const char *tg_err_str(enum tg_err e);

/* Machine-readable rejection reasons; tg_reason_code() gives the wire name. */
enum tg_reason {
	TG_R_NONE = 0,
	TG_R_MALFORMED,
	TG_R_TOO_LARGE,
	TG_R_UNSUPPORTED_ALG,
	TG_R_UNSUPPORTED_HEADER,
	TG_R_ALG_MISMATCH,
	TG_R_UNKNOWN_TENANT,
	TG_R_UNKNOWN_KEY,
	TG_R_BAD_SIGNATURE,
	TG_R_MISSING_CLAIM,
	TG_R_INVALID_CLAIM,
	TG_R_EXPIRED,
	TG_R_NOT_YET_VALID,
	TG_R_ISSUED_IN_FUTURE,
	TG_R_LIFETIME_TOO_LONG,
	TG_R_WRONG_ISSUER,
	TG_R_WRONG_AUDIENCE,
	TG_R_SESSION_REVOKED,
	TG_R_SUB_TOO_LONG,   /* longer than the tenant's max_sub_length: never cut to fit */
	TG_R_CLAIM_TOO_LONG, /* a mapped claim longer than its variable takes: never cut to fit */
	TG_R_WRONG_TYPE,    /* another kind of JWT than an access token (RFC 8725 3.11) */
	TG_R_INTERNAL,
	TG_R_COUNT
};

const char *tg_reason_code(enum tg_reason r);

#define TG_WHY_MAX 200

/* Why a token was refused. Never contains token bytes, key bytes or secrets. */
struct tg_verdict {
	enum tg_reason reason;
	char why[TG_WHY_MAX];
};

/* Fills the verdict and returns TG_ERR_REJECTED, so callers can `return tg_reject(...)`. */
enum tg_err tg_reject(struct tg_verdict *v, enum tg_reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Room for one sentence naming two paths and the operator's next step. */
#define TG_WHY_LEN 1024

/*
 * Why an operation failed: the caller owns it (usually on the stack) and the
 * callee that fails writes one sentence into it, as tg_reject does for tokens.
 */
struct tg_why {
	char text[TG_WHY_LEN];
};

/*
 * Formats one sentence into why (NULL: none wanted) and returns rc, so callers
 * can `return tg_fail(why, TG_ERR_INVALID, ...)`. A sentence too long for the
 * buffer ends in "..." rather than being cut unseen.
 */
enum tg_err tg_fail(struct tg_why *why, enum tg_err rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The formatting behind tg_fail and tg_reject, for the other fixed buffers a
 * sentence goes into (an HTTP error's description): one that does not fit
 * ends in "...", cut between UTF-8 characters.
 */
void tg_vformat(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Allocation that aborts on exhaustion, so the gateway fails closed (lighttpd's ck_malloc). */
void *tg_xmalloc(size_t n);
void *tg_xcalloc(size_t n, size_t size);
void *tg_xrealloc(void *p, size_t n);
char *tg_xstrdup(const char *s);
char *tg_xstrndup(const char *s, size_t n);
char *tg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* a followed by b: the per-request paths build names this way, without printf's cost. */
char *tg_xconcat(const char *a, const char *b);

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at p, looking at no more
 * than n bytes; 0 for overlongs, surrogates, code points above U+10FFFF, stray
 * continuation bytes, truncation and n == 0 (RFC 3629 section 4). Any ASCII
 * byte, NUL and controls included, is 1: callers apply their own byte rules.
 */
size_t tg_utf8_len(const unsigned char *p, size_t n);

/* Growable list of owned strings; used for tenant options that repeat. */
struct tg_strlist {
	char **v;
	size_t n;
};

/* Adds a copy of s unless the list already holds it (options accumulate as sets). */
void strlist_add(struct tg_strlist *l, const char *s);
bool strlist_remove(struct tg_strlist *l, const char *s);
bool strlist_contains(const struct tg_strlist *l, const char *s);
void strlist_copy(struct tg_strlist *dst, const struct tg_strlist *src);
void strlist_free(struct tg_strlist *l);

#endif
