/*
 * Login throttling's rules (throttle.h): the doubling wait, expiry, and the
 * counters' keys. Pure: the caller reads the clock and keeps the counters.
 * Never keeps an email or an address's host half, never refuses for anything
 * but a wait still running.
 */
#include "model/throttle.h"

#include "base/secret.h"
#include "model/user.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000

int64_t
throttle_backoff(int64_t failures, int64_t free, int64_t max_backoff)
{
	int64_t over = failures - free;

	if (failures <= free || max_backoff <= 0)
		return 0;
	/* 2^62 s is past any cap the configuration allows, and the shift stays defined. */
	if (over > 62 || (INT64_C(1) << (over - 1)) > max_backoff)
		return max_backoff;
	return INT64_C(1) << (over - 1);
}

bool
throttle_is_expired(const struct tg_throttle *t, const struct tg_throttle_policy *p,
		    int64_t now_ms)
{
	return t->failures <= 0 || now_ms - t->last_ms >= p->ttl * MS;
}

/*
 * A clock stepped back counts as no time passed: the wait is then at most one
 * whole back-off again, never the size of the step.
 */
enum tg_err
throttle_check(const struct tg_throttle *t, int64_t free, const struct tg_throttle_policy *p,
	       int64_t now_ms, int64_t *retry_after)
{
	int64_t wait_ms, elapsed = now_ms > t->last_ms ? now_ms - t->last_ms : 0;

	if (throttle_is_expired(t, p, now_ms))
		return TG_OK;
	wait_ms = throttle_backoff(t->failures, free, p->max_backoff) * MS;
	if (elapsed >= wait_ms)
		return TG_OK;
	*retry_after = (wait_ms - elapsed + MS - 1) / MS;
	return TG_ERR_LIMITED;
}

void
throttle_fail(struct tg_throttle *t, const struct tg_throttle_policy *p, int64_t now_ms)
{
	if (throttle_is_expired(t, p, now_ms))
		t->failures = 0;
	if (t->failures < INT64_MAX)
		t->failures++;
	t->last_ms = now_ms;
}

enum tg_err
throttle_account_key(const char *tenant, const char *email, struct tg_throttle_key *out)
{
	size_t tlen = strlen(tenant);
	char *norm = NULL;
	const char *text;
	enum tg_err rc;

	if (tlen > TG_TENANT_ID_MAX)
		return TG_ERR_INVALID;
	text = user_email_normalize(email, &norm, NULL) == TG_OK ? norm : email;
	out->b[0] = 'a';
	memcpy(out->b + 1, tenant, tlen);
	out->b[1 + tlen] = '\0';
	rc = secret_hash(text, strlen(text), out->b + 2 + tlen);
	out->len = rc == TG_OK ? 2 + tlen + THROTTLE_HASH_LEN : 0;
	secret_free_str(norm);
	return rc;
}

enum tg_err
throttle_addr_key(const char *addr, struct tg_throttle_key *out)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char a[16];

	out->len = 0;
	if (!addr || !*addr)
		return TG_OK;
	if (inet_pton(AF_INET, addr, a + 12) == 1)
		memcpy(a, v4mapped, sizeof(v4mapped));
	else if (inet_pton(AF_INET6, addr, a) != 1)
		return TG_ERR_INVALID;
	if (memcmp(a, v4mapped, sizeof(v4mapped)) != 0)
		memset(a + 8, 0, 8); /* the interface half: one host picks any of it */
	out->b[0] = 'i';
	memcpy(out->b + 1, a, sizeof(a));
	out->len = 1 + sizeof(a);
	return TG_OK;
}

void
throttle_account_tag(const struct tg_throttle_key *account, char out[THROTTLE_ACCOUNT_TAG_LEN + 1])
{
	const unsigned char *h = account->b + account->len - THROTTLE_HASH_LEN;

	if (account->len < THROTTLE_HASH_LEN + 2 || account->b[0] != 'a') {
		snprintf(out, THROTTLE_ACCOUNT_TAG_LEN + 1, "-");
		return;
	}
	snprintf(out, THROTTLE_ACCOUNT_TAG_LEN + 1, "sha256:%02x%02x%02x%02x%02x%02x", h[0], h[1],
		 h[2], h[3], h[4], h[5]);
}
