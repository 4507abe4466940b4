/*
 * What the login endpoint asks of the failed-login throttle (issue 14 item
 * 4): the check before a password is looked at, answered 429 with
 * Retry-After and one body whether or not the account exists; a failure
 * counted with its audit line; a success that clears the account. The
 * counters are store_throttle.c's, the arithmetic model/throttle.c's. Never
 * logs a password, nor an email unless log_emails says so.
 */
#include "role/api_internal.h"

#include "base/log.h"
#include "base/metrics.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
policy_of(const struct tg_config *cfg, struct tg_throttle_policy *p)
{
	*p = (struct tg_throttle_policy){
		.account_free = cfg->login_free_failures,
		.addr_free = cfg->login_free_failures_per_address,
		.max_backoff = cfg->login_max_backoff,
		.ttl = cfg->login_failure_ttl,
	};
}

bool
api_throttle_begin(struct api_ctx *c, const char *tenant, const char *email,
		   struct api_throttle *th)
{
	struct tg_throttle_policy p;
	int64_t retry = 1;
	enum tg_err rc;

	memset(th, 0, sizeof(*th));
	clock_gettime(CLOCK_MONOTONIC, &th->begun);
	/*
	 * A tenant named in a body is anyone's text: an unknown one is counted
	 * and logged as no tenant (its login fails like an unknown email's).
	 */
	th->tenant = tenant && api_tenant(c, tenant) ? tenant : NULL;
	th->email = email;
	rc = throttle_account_key(th->tenant ? th->tenant : "", email ? email : "", &th->account);
	/* REMOTE_ADDR comes from the server; one it cannot parse gets no address counter. */
	if (rc == TG_OK && throttle_addr_key(c->req->remote_addr, &th->addr) != TG_OK)
		th->addr.len = 0;
	policy_of(c->env->cfg, &p);
	if (rc == TG_OK)
		rc = store_throttle_check(c->env->store, &th->account, &th->addr, &p, c->env->now_ms,
					  &retry);
	if (rc == TG_OK)
		return true;
	if (rc != TG_ERR_LIMITED) {
		api_fail(c, rc, "the failed-login counters");
		return false;
	}
	/* Counters exist for unknown emails too, so this answer says nothing about the account. */
	api_error(c, 429, "too_many_attempts", "too many failed logins for this account or from "
		  "this address; retry after %lld s", (long long)retry);
	api_retry_after(c, retry);
	c->reason = "login_throttled";
	return false;
}

/*
 * The failure is dated when it is known, not when the request began: the
 * password hash in between (a second under a sanitizer) would otherwise eat
 * a 1 s wait before the answer even leaves.
 */
static int64_t
failed_at_ms(const struct api_ctx *c, const struct api_throttle *th)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - th->begun.tv_sec) * 1000 +
	     (now.tv_nsec - th->begun.tv_nsec) / 1000000;
	return c->env->now_ms + (ms > 0 ? ms : 0);
}

/*
 * Every failure gets its line, unthrottled unlike the denial lines: it is a
 * security event an operator may have to count, and the counters already
 * bound how fast one account or address makes them.
 */
void
api_throttle_failed(struct api_ctx *c, const struct api_throttle *th, const char *reason)
{
	struct tg_throttle_policy p;
	char tag[THROTTLE_ACCOUNT_TAG_LEN + 1], *norm = NULL;
	int64_t failures = 0;
	enum tg_err rc;

	policy_of(c->env->cfg, &p);
	metrics_add(METRICS_LOGIN_FAILED);
	rc = store_throttle_fail(c->env->store, &th->account, &th->addr, &p, failed_at_ms(c, th),
				 &failures);
	/* A shape-checked email holds no blank or control byte, so it cannot forge a field. */
	if (c->env->cfg->log_emails && th->email &&
	    user_email_normalize(th->email, &norm, NULL) != TG_OK)
		norm = NULL;
	throttle_account_tag(&th->account, tag);
	if (rc != TG_OK)
		TG_LOG(TG_LOG_ERR, "counting a failed login of tenant %s failed: %s; the login "
		       "throttle missed it (check the database with `tokengatectl verify-db`)",
		       th->tenant ? th->tenant : "-", tg_err_str(rc));
	TG_LOG(TG_LOG_WARN, "login_failed tenant=%s account=%s addr=%s reason=%s failures=%lld%s",
	       th->tenant ? th->tenant : "-", norm ? norm : tag,
	       c->req->remote_addr ? c->req->remote_addr : "-", reason, (long long)failures,
	       rc == TG_OK ? "" : " (not counted: see the error before this line)");
	free(norm);
}

void
api_throttle_succeeded(struct api_ctx *c, const struct api_throttle *th)
{
	enum tg_err rc = store_throttle_succeed(c->env->store, &th->account);

	if (rc != TG_OK)
		TG_LOG(TG_LOG_WARN, "clearing the failed logins of an account of tenant %s failed: "
		       "%s; its count stays until login_failure_ttl passes",
		       th->tenant ? th->tenant : "-", tg_err_str(rc));
}
