/*
 * Login throttling as pure rules (issue 14 item 4): the exponential back-off
 * of a failure counter, a function of counter, policy and time, and the keys
 * counters are kept under (an account: tenant and normalised email, hashed; an
 * address: IPv4, or IPv6 cut to its /64). No clock, no I/O: the store keeps
 * the counters (store_throttle.c), role/ decides what to answer.
 */
#ifndef TG_THROTTLE_H
#define TG_THROTTLE_H

#include "base/tokengate.h"
#include "model/tenant.h"

/* What the configuration says (login_* keys); the same rules for every tenant. */
struct tg_throttle_policy {
	int64_t account_free; /* failures an account may have before any wait */
	int64_t addr_free;    /* the same for an address */
	int64_t max_backoff;  /* seconds the doubling wait never exceeds */
	int64_t ttl;          /* seconds after its last failure a counter is forgotten */
};

/* One counter: failures since the last success or expiry, and when the last one was counted. */
struct tg_throttle {
	int64_t failures;
	int64_t last_ms;
};

/*
 * Seconds to wait after failures with free of them free: 0 up to free, then
 * 1, 2, 4, ... doubling with each further failure, never above max_backoff.
 */
int64_t throttle_backoff(int64_t failures, int64_t free, int64_t max_backoff);

/*
 * Whether t lets an attempt through at now_ms: TG_OK, or TG_ERR_LIMITED with
 * *retry_after the whole seconds (>= 1) left of the wait. A counter past its
 * ttl counts as empty.
 */
enum tg_err throttle_check(const struct tg_throttle *t, int64_t free,
			   const struct tg_throttle_policy *p, int64_t now_ms, int64_t *retry_after);

/* Counts one failure at now_ms (an expired counter starts again from zero). */
void throttle_fail(struct tg_throttle *t, const struct tg_throttle_policy *p, int64_t now_ms);

/* Whether t has been forgotten by now_ms (what the sweep deletes). */
bool throttle_is_expired(const struct tg_throttle *t, const struct tg_throttle_policy *p,
			 int64_t now_ms);

#define THROTTLE_HASH_LEN 32
#define THROTTLE_KEY_MAX (1 + TG_TENANT_ID_MAX + 1 + THROTTLE_HASH_LEN)

/* A counter's name in the store: 'a' tenant '\0' SHA-256(email), or 'i' and 16 address bytes. */
struct tg_throttle_key {
	unsigned char b[THROTTLE_KEY_MAX];
	size_t len; /* 0: no counter (a request without a client address) */
};

/*
 * The account counter of tenant's email: the email normalised as users'
 * emails are (user_email_normalize), or taken as typed when it is not an
 * email at all, so every spelling of one account shares a counter whether or
 * not the account exists. Only its SHA-256 is kept: a password typed into
 * the email field never reaches the database. TG_ERR_INVALID for a tenant id
 * longer than TG_TENANT_ID_MAX.
 */
enum tg_err throttle_account_key(const char *tenant, const char *email, struct tg_throttle_key *out);

/*
 * The address counter of addr (REMOTE_ADDR's text): an IPv4 address (also as
 * ::ffff:a.b.c.d) whole, an IPv6 address by its /64, since one host holds a
 * whole /64. NULL or "" gives an empty key (no counter); anything else that is
 * not an address is TG_ERR_INVALID.
 */
enum tg_err throttle_addr_key(const char *addr, struct tg_throttle_key *out);

/*
 * What an audit line may show of an account: "sha256:" and the first 12 hex
 * digits of its key's hash (enough to follow one account through the log,
 * not to read the email back). out holds THROTTLE_ACCOUNT_TAG_LEN + 1 bytes.
 */
#define THROTTLE_ACCOUNT_TAG_LEN (7 + 12)
void throttle_account_tag(const struct tg_throttle_key *account,
			  char out[THROTTLE_ACCOUNT_TAG_LEN + 1]);

#endif
