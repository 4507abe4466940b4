/*
 * The Berkeley DB environment and its tables: tenants, issuer index, keys,
 * API keys, a generation counter bumped by every tenant or key change
 * (store.c), sessions, refresh tokens and rate buckets (store_session.c).
 * Only store*.c include <db.h>; every transaction begins and ends in one
 * function of store_env.c, and lock conflicts are retried there and nowhere
 * else.
 *
 * Threads: one handle serves every thread of a process, no lock needed
 * around it. Each call holds the handle's read-write lock shared for its
 * transaction; reopening a panicked environment takes it exclusively, so no
 * thread is inside Berkeley DB while the handles change. Only store_close
 * must not run alongside other calls. One handle per process (DB_REGISTER):
 * open it after fork, never before.
 */
#ifndef TG_STORE_H
#define TG_STORE_H

#include "model/keyrec.h"
#include "model/session.h"
#include "model/tenant.h"
#include "model/throttle.h"
#include "model/user.h"

struct tg_store;

/*
 * Opens (create: creates the directory's environment and tables if missing)
 * the transactional environment in dir, safe for many processes at once:
 * DB_REGISTER|DB_RECOVER runs recovery when a process died holding it, and
 * failchk clears what dead processes left. On failure why (if not NULL) gets
 * a sentence an operator can act on.
 */
enum tg_err store_open(const char *dir, bool create, struct tg_store **out, struct tg_why *why);
void store_close(struct tg_store *s);

/* Changes whenever a tenant or key is added, changed or removed. */
enum tg_err store_generation(struct tg_store *s, uint64_t *out);
/*
 * Whether the database still opens and answers, for GET /healthz: this
 * process may still reach tokengate.db, and a transaction reads it (never
 * answered from a kept value). why says what an operator should fix.
 */
enum tg_err store_health(struct tg_store *s, struct tg_why *why);

/* TG_ERR_EXISTS if the id is taken or the issuer belongs to another tenant. */
enum tg_err store_tenant_add(struct tg_store *s, const struct tg_tenant *t);
/* Replaces an existing tenant (TG_ERR_NOT_FOUND otherwise); same issuer rule. */
enum tg_err store_tenant_update(struct tg_store *s, const struct tg_tenant *t);
enum tg_err store_tenant_get(struct tg_store *s, const char *id, struct tg_tenant **out);
enum tg_err store_tenant_by_issuer(struct tg_store *s, const char *issuer, char **id_out);
/* Sorted by id. */
enum tg_err store_tenant_list(struct tg_store *s, struct tg_tenant ***out, size_t *n);
/*
 * Removes the tenant with its keys and API keys in one transaction, then its
 * sessions in batches of short ones behind a recorded job (a removal cut
 * short is finished by the sweep, or by store_tenant_add of the same id).
 * TG_OK once all of it is gone; after TG_ERR_BUSY or TG_ERR_DB the tenant may
 * already be gone while its sessions wait for the sweep.
 */
enum tg_err store_tenant_remove(struct tg_store *s, const char *id);

/* TG_ERR_NOT_FOUND if the tenant does not exist, TG_ERR_EXISTS if the kid does. */
enum tg_err store_key_add(struct tg_store *s, const struct tg_key_record *k);
enum tg_err store_key_get(struct tg_store *s, const char *tenant, const char *kid,
			  struct tg_key_record **out);
/* tenant NULL lists every tenant's keys; sorted by tenant then kid. */
enum tg_err store_key_list(struct tg_store *s, const char *tenant, struct tg_key_record ***out,
			   size_t *n);
enum tg_err store_key_set_state(struct tg_store *s, const char *tenant, const char *kid,
				enum tg_key_state state);
enum tg_err store_key_remove(struct tg_store *s, const char *tenant, const char *kid);

enum store_key_outcome {
	STORE_KEY_ADDED,       /* a new kid */
	STORE_KEY_REACTIVATED, /* this very key of this source, retired before, active again */
	STORE_KEY_UNCHANGED,   /* the kid holds this very key (alg and material) already */
	STORE_KEY_DIFFERS,     /* the kid holds another key or alg: left as stored */
};

/*
 * One key set of one source (a JWKS) applied to a tenant in one transaction.
 * Each add[i] (a record of tenant with source set) is added when its kid is
 * new, and outcome[i] (nadd entries, the caller's) says what became of it.
 * keep: every kid the set names. With is_sync, the tenant's active verify
 * keys of that source whose kid is not in keep are retired (their kids in
 * retired, owned by the caller), and a kid that differs aborts it all:
 * TG_ERR_EXISTS, nothing changed, outcome still says which kids differ.
 */
struct store_key_sync {
	const char *tenant, *source;
	struct tg_key_record *const *add;
	size_t nadd;
	const struct tg_strlist *keep;
	bool is_sync;
	enum store_key_outcome *outcome;
	struct tg_strlist retired;
};
enum tg_err store_keys_sync(struct tg_store *s, struct store_key_sync *sync);

/*
 * One consistent read of everything a worker's keyring needs: generation,
 * all tenants and all keys, in a single transaction.
 */
enum tg_err store_snapshot(struct tg_store *s, uint64_t *gen, struct tg_tenant ***tenants,
			   size_t *ntenants, struct tg_key_record ***keys, size_t *nkeys);

/* TG_ERR_NOT_FOUND if the tenant does not exist. */
enum tg_err store_apikey_add(struct tg_store *s, const struct tg_apikey *a);
enum tg_err store_apikey_list(struct tg_store *s, const char *tenant, struct tg_apikey ***out,
			      size_t *n);
enum tg_err store_apikey_revoke(struct tg_store *s, const char *tenant, const char *id);
/* Looks a presented key up by its hash; revoked keys are returned with revoked set. */
enum tg_err store_apikey_find(struct tg_store *s, const unsigned char hash[TG_APIKEY_HASH_LEN],
			      struct tg_apikey **out);

/* ---- sessions and refresh tokens (store_session.c) */

/*
 * Writes the session, its index entries and its first refresh token (hash,
 * valid until rt_expires) in one committed transaction: after TG_OK all of it
 * is on disk, after anything else none of it. TG_ERR_NOT_FOUND when the
 * tenant does not exist, TG_ERR_EXISTS when the id is taken.
 */
enum tg_err store_session_create(struct tg_store *s, const struct tg_session *sess,
				 const unsigned char rt_hash[TG_REFRESH_HASH_LEN], int64_t rt_expires);
/* Any state (live, expired, revoked) until swept. TG_ERR_NOT_FOUND otherwise. */
enum tg_err store_session_get(struct tg_store *s, const char *id, struct tg_session **out);
/*
 * The per-request check of the authorizer, cheaper than store_session_get:
 * TG_OK when session id exists, belongs to tenant and is live at now;
 * TG_ERR_NOT_FOUND when it is unknown or another tenant's; TG_ERR_REJECTED
 * when it is revoked, expired or idled out.
 */
enum tg_err store_session_check(struct tg_store *s, const char *tenant, const char *id, int64_t now);
/* One page of a session listing; release with store_session_page_fini. */
struct store_session_page {
	struct tg_session **v;
	size_t n;
	char *next_cursor; /* where the next page starts; NULL on the last page */
};

#define STORE_LIST_LIMIT_MAX 1000   /* sessions a page may hold */
#define STORE_LIST_SCAN_MAX 10000   /* index entries a page may pass over */

/*
 * One page of a tenant's sessions (user NULL: every user's), sorted by user
 * then id: at most limit (1..STORE_LIST_LIMIT_MAX) of them, starting after
 * cursor (NULL: at the start; else a next_cursor of the same listing), only
 * those live at live_at when it is not 0. One short read transaction whose
 * locks do not grow with the sessions it passes, so a page costs the same
 * however many the tenant holds. A page that passed STORE_LIST_SCAN_MAX
 * entries ends early, fewer than limit (even none) with a next_cursor.
 * TG_ERR_INVALID for a limit out of range or a cursor of another listing.
 */
enum tg_err store_session_list(struct tg_store *s, const char *tenant, const char *user,
			       const char *cursor, size_t limit, int64_t live_at,
			       struct store_session_page *out);
void store_session_page_fini(struct store_session_page *p);
/*
 * Step-up: in one transaction, method joins amr (kept once) and the session
 * moves on as session_step_up says (expires to max(expires, now + ttl), never
 * past absolute_expires; the idle deadline too), and with it the expiry of
 * the session's unused refresh tokens. TG_ERR_NOT_FOUND when unknown or
 * another tenant's, TG_ERR_REJECTED when not live, TG_ERR_TOO_LARGE when amr
 * already holds TG_AMR_MAX methods. *out: the updated record.
 */
enum tg_err store_session_add_amr(struct tg_store *s, const char *tenant, const char *id,
				  const char *method, int64_t now, struct tg_session **out);
/*
 * An access token is handed out for a live session at now: its idle deadline
 * moves (session_touch). TG_ERR_NOT_FOUND when unknown or another tenant's,
 * TG_ERR_REJECTED when not live. *out: the updated record.
 */
enum tg_err store_session_touch(struct tg_store *s, const char *tenant, const char *id,
				int64_t now, struct tg_session **out);
/*
 * Ends one session (revoked = now; its refresh tokens stop working). Ending
 * an ended session is TG_OK. TG_ERR_NOT_FOUND when unknown or another tenant's.
 */
enum tg_err store_session_revoke(struct tg_store *s, const char *tenant, const char *id,
				 int64_t now);
/*
 * Ends every session of one user of tenant that is live at now and was
 * created by then; *count (may be NULL) gets how many. Done in batches of
 * short transactions behind a recorded job: TG_OK means every one of them has
 * ended, on disk; a failure part way leaves the job to the next sweep, which
 * finishes it (store_sweep).
 */
enum tg_err store_session_revoke_user(struct tg_store *s, const char *tenant, const char *user,
				      int64_t now, size_t *count);

/*
 * Refresh with rotation, one transaction. The token hashed old_hash must be
 * known, unused, unexpired, and its session live and bound (bind_ip) to
 * remote_addr when bound. Then it is marked used at now with new_hash (its
 * successor) recorded, new_hash is stored for the same session until the
 * session's expires, last_refreshed = now, the idle deadline moves
 * (session_touch), and *out gets the session. A used token is answered the
 * same way, changing nothing, when it was used less than grace seconds ago
 * (refresh_reuse_is_graced) with this very new_hash as its successor and that
 * successor is still unused: a repeated request, not a second holder.
 * Outcomes: TG_ERR_NOT_FOUND unknown or expired token or session ended or
 * gone; TG_ERR_REJECTED any other use of a used token: the whole session is
 * revoked (committed) as reuse detection; TG_ERR_DENIED bind_ip differs
 * (nothing changes); TG_ERR_EXISTS new_hash is already stored (nothing
 * changes).
 */
enum tg_err store_refresh_rotate(struct tg_store *s, const unsigned char old_hash[TG_REFRESH_HASH_LEN],
				 const unsigned char new_hash[TG_REFRESH_HASH_LEN],
				 const char *remote_addr, int64_t now, int64_t grace,
				 struct tg_session **out);

/*
 * The refresh key (32 random bytes) refresh-token successors are derived under
 * (refresh_token_successor), made and stored the first time it is asked for
 * (store_secret.c). *out must be empty; it is the caller's to secret_free.
 */
enum tg_err store_refresh_key(struct tg_store *s, struct tg_secret *out);

/*
 * The session a presented refresh token (hashed) belongs to and its tenant,
 * whatever the state of either: what the refresh grant's rate limit is keyed
 * on before anything rotates. TG_ERR_NOT_FOUND when the token or its session
 * is unknown.
 */
enum tg_err store_refresh_session(struct tg_store *s, const unsigned char hash[TG_REFRESH_HASH_LEN],
				  char sid[TG_SESSION_ID_LEN + 1], char tenant[TG_TENANT_ID_MAX + 1]);

/*
 * Deletes at most limit sessions whose expiry (or a revoked session's
 * revocation) lies before now - grace, each with its refresh tokens and
 * index entries, oldest first within each of the expiry index's shards, in
 * short transactions; then a few batches of a logout or tenant removal that
 * was cut short (see store_session_revoke_user), then the expired failed-login
 * counters (store_throttle_sweep). *removed (may be NULL) gets how many
 * records went (sessions, refresh tokens and counters).
 */
enum tg_err store_sweep(struct tg_store *s, int64_t now, int64_t grace, size_t limit,
			size_t *removed);

/* A session's refresh grants take from bucket TG_RATE_SESSION_PREFIX sid; the sweep drops it. */
#define TG_RATE_SESSION_PREFIX "rt:"

/*
 * Token bucket named bucket (an API key id or "rt:" session id), shared by
 * every process: refills rate tokens per second up to burst, takes one.
 * TG_ERR_LIMITED when empty, with *retry_after (seconds, >= 1). Its writes
 * are not flushed to disk: a crash only forgets recent requests.
 */
enum tg_err store_ratelimit_take(struct tg_store *s, const char *bucket, int64_t rate,
				 int64_t burst, int64_t now_ms, int64_t *retry_after);

/* ---- failed-login counters (store_throttle.c): the arithmetic is model/throttle.c's */

/*
 * Before a login is tried: TG_ERR_LIMITED with *retry_after (seconds, the
 * longer of the two waits) when the account's counter (account_free free
 * failures) or the address's (addr_free; addr->len 0: none) still makes it
 * wait at now_ms. One read transaction; a counter is never changed here.
 */
enum tg_err store_throttle_check(struct tg_store *s, const struct tg_throttle_key *account,
				 const struct tg_throttle_key *addr,
				 const struct tg_throttle_policy *p, int64_t now_ms,
				 int64_t *retry_after);
/*
 * A failed login: both counters count it in one transaction, so attempts
 * failing at once in many processes are each counted. *failures (may be
 * NULL): the account's count now. Not flushed: a crash forgets the last few.
 */
enum tg_err store_throttle_fail(struct tg_store *s, const struct tg_throttle_key *account,
				const struct tg_throttle_key *addr,
				const struct tg_throttle_policy *p, int64_t now_ms,
				int64_t *failures);
/* A login that succeeded: the account's counter goes (the address's stays). */
enum tg_err store_throttle_succeed(struct tg_store *s, const struct tg_throttle_key *account);
/*
 * Deletes counters expired by now_ms, at most a few thousand looked at per
 * call in short transactions, going on where the last call (of any process)
 * stopped; store_sweep calls it. *removed (may be NULL): how many went.
 */
enum tg_err store_throttle_sweep(struct tg_store *s, int64_t now_ms, size_t *removed);

/* ---- users of first-party login (store_user.c); emails are normalised here too */

/*
 * Adds u (id, tenant, email, password_hash set; created and updated 0: now).
 * TG_ERR_NOT_FOUND when the tenant does not exist, TG_ERR_EXISTS when its
 * email (normalised) or id is taken, TG_ERR_INVALID for a malformed email.
 */
enum tg_err store_user_add(struct tg_store *s, const struct tg_user *u);
/* The user of tenant with email (normalised first); TG_ERR_NOT_FOUND when none. */
enum tg_err store_user_get(struct tg_store *s, const char *tenant, const char *email,
			   struct tg_user **out);
/* Sorted by email. TG_ERR_NOT_FOUND when the tenant does not exist. */
enum tg_err store_user_list(struct tg_store *s, const char *tenant, struct tg_user ***out,
			    size_t *n);
/*
 * Replaces the stored password hash of tenant's user email (a new password, or
 * the login's re-hash), updated = now. TG_ERR_NOT_FOUND when there is none.
 */
enum tg_err store_user_set_hash(struct tg_store *s, const char *tenant, const char *email,
				const char *password_hash);
/* Disabled users cannot log in; each is TG_OK when it already was so. */
enum tg_err store_user_disable(struct tg_store *s, const char *tenant, const char *email);
enum tg_err store_user_enable(struct tg_store *s, const char *tenant, const char *email);
enum tg_err store_user_remove(struct tg_store *s, const char *tenant, const char *email);
/*
 * The second factor of tenant's user email, in one transaction: a TOTP secret
 * (TOTP_SECRET_LEN to 64 bytes) and a recovery set (1 to RECOVERY_CODES_MAX
 * codes) replace any earlier ones, and no step counts as used. *replaced (may
 * be NULL): the user had TOTP before. TG_ERR_INVALID for a bad secret or set.
 */
enum tg_err store_user_totp_set(struct tg_store *s, const char *tenant, const char *email,
				const struct tg_secret *secret, const struct recovery_set *set,
				bool *replaced);
/* Clears both; *was_on (may be NULL): the user had TOTP. TG_OK when it had none. */
enum tg_err store_user_totp_clear(struct tg_store *s, const char *tenant, const char *email,
				  bool *was_on);
/*
 * A TOTP code typed by tenant's user user_id (the id a session carries) at
 * now: checked by totp_verify over now +- TOTP_WINDOW steps and refused as a
 * replay when its step is at or before the last one used (totp_is_replay);
 * an accepted step is recorded in the transaction that accepts it, so of two
 * uses of one step at once exactly one is TG_OK. *step: the step used.
 * TG_ERR_REJECTED: a wrong code or a replay, which callers answer alike.
 * TG_ERR_INVALID: not a code's shape. TG_ERR_NOT_FOUND: no such user, or one
 * without TOTP.
 */
enum tg_err store_user_totp_use(struct tg_store *s, const char *tenant, const char *user_id,
				const char *code, int64_t now, int64_t *step);
/*
 * A recovery code typed by tenant's user user_id: checked by recovery_verify
 * and marked used in the same transaction. *left: unused codes remaining.
 * TG_ERR_REJECTED: no unused code matched. TG_ERR_INVALID: not a code's
 * shape. TG_ERR_NOT_FOUND: no such user, or one without a recovery set.
 */
enum tg_err store_user_recovery_use(struct tg_store *s, const char *tenant, const char *user_id,
				    const char *code, size_t *left);

/*
 * A tenant's key-set fetches (store_jwks.c), one record per tenant in the meta
 * table. store_jwks_claim takes the fetch slot: when no attempt was made in the
 * min_interval seconds before now, it records now as the last attempt and sets
 * *is_claimed, in one short transaction, so two processes never both fetch.
 * store_jwks_schedule records the next scheduled sync (from max-age);
 * store_jwks_state reads both times (0 when never).
 */
enum tg_err store_jwks_claim(struct tg_store *s, const char *tenant, int64_t now,
			     int64_t min_interval, bool *is_claimed);
enum tg_err store_jwks_schedule(struct tg_store *s, const char *tenant, int64_t next_sync);
enum tg_err store_jwks_state(struct tg_store *s, const char *tenant, int64_t *last_attempt,
			     int64_t *next_sync);

#endif
