/*
 * The users of first-party login in tokengate.db: the users table and its
 * user_email index (format at the top of store.c, record in model/user.h).
 * Every operation is a body run by store_run(); never begins or ends a
 * transaction itself, never sees a password, only its PHC string. A second
 * factor is checked and its use recorded in the one transaction.
 */
#include "store/store_db.h"

#include "model/totp.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum user_change {
	CHANGE_HASH,
	CHANGE_DISABLE,
	CHANGE_ENABLE,
	CHANGE_REMOVE,
	CHANGE_TOTP_SET,
	CHANGE_TOTP_CLEAR,
};

/* One operation: its inputs, and the list that uop_reset empties before each attempt. */
struct uop {
	struct store_call call;
	const struct tg_user *u;
	const char *tenant;
	const char *email; /* normalised */
	const char *hash;
	enum user_change change;
	int64_t now;
	struct tg_user **users;
	size_t nusers;
	const char *id;                  /* a use of the second factor: the user's id... */
	const char *code;                /* ...and the code typed */
	const struct tg_secret *secret;  /* CHANGE_TOTP_SET */
	const struct recovery_set *set;  /* CHANGE_TOTP_SET */
	bool had_totp;                   /* out: a TOTP secret was there before the change */
	int64_t step;                    /* out: the TOTP step used */
	size_t left;                     /* out: recovery codes left */
	/* A use of the second factor: checks op->code against u and, when it passes, spends it in u. */
	enum tg_err (*spend)(struct uop *op, struct tg_user *u);
};

static void
uop_reset(struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);

	user_list_free(op->users, op->nusers);
	op->users = NULL;
	op->nusers = 0;
}

static int
put_user(struct tg_store *s, DB_TXN *txn, const struct tg_user *u)
{
	size_t kn, rn;
	unsigned char *k = store_tenant_key(u->tenant, u->id, &kn), *rec = user_encode(u, &rn);
	int ret = store_put(s, T_USERS, txn, k, kn, rec, rn);

	free(k);
	secret_free_buf(rec, rn); /* it may hold the TOTP secret */
	return ret;
}

/* The user of op->tenant with id into *out, or c->rc TG_ERR_NOT_FOUND. */
static int
fetch_by_id(struct tg_store *s, DB_TXN *txn, struct uop *op, const char *id, u_int32_t flags,
	    struct tg_user **out)
{
	size_t un;
	unsigned char *uk = store_tenant_key(op->tenant, id, &un);
	bool is_found = false;
	DBT d;
	int ret;

	store_dbt_out(&d);
	ret = store_fetch(s, T_USERS, txn, uk, un, flags, &d, &is_found);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	else if (ret == 0 && !user_decode(op->tenant, id, d.data, d.size, out))
		ret = store_corrupt(s, &op->call, "users");
	free(uk);
	store_dbt_free(&d);
	return ret;
}

/* The user of op->tenant with op->email into *out, or c->rc TG_ERR_NOT_FOUND. */
static int
fetch_user(struct tg_store *s, DB_TXN *txn, struct uop *op, u_int32_t flags, struct tg_user **out)
{
	size_t kn;
	unsigned char *k = store_tenant_key(op->tenant, op->email, &kn);
	char *id = NULL;
	bool is_found = false;
	DBT idd;
	int ret;

	ret = store_fetch(s, T_USER_EMAIL, txn, k, kn, flags, &idd, &is_found);
	if (ret == 0 && !is_found)
		op->call.rc = TG_ERR_NOT_FOUND;
	if (ret == 0 && is_found) {
		id = tg_xstrndup(idd.data, idd.size);
		ret = fetch_by_id(s, txn, op, id, flags, out);
	}
	free(k);
	free(id);
	store_dbt_free(&idd);
	return ret;
}

/* ------------------------------------------------------------ add */

static int
add_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);
	struct tg_user u = *op->u;
	char *email = tg_xstrdup(op->email); /* the record's, normalised */
	size_t en, un;
	unsigned char *ek = store_tenant_key(u.tenant, op->email, &en), *uk = store_tenant_key(u.tenant, u.id, &un);
	bool is_found = false;
	int ret;

	ret = store_tenant_exists(s, txn, u.tenant, c);
	if (ret == 0 && c->rc == TG_OK)
		ret = store_exists(s, T_USER_EMAIL, txn, ek, en, DB_RMW, &is_found);
	if (ret == 0 && !is_found && c->rc == TG_OK)
		ret = store_exists(s, T_USERS, txn, uk, un, DB_RMW, &is_found);
	if (ret == 0 && is_found)
		c->rc = TG_ERR_EXISTS;
	if (ret == 0 && c->rc == TG_OK) {
		u.email = email;
		u.created = u.created ? u.created : op->now;
		u.updated = u.updated ? u.updated : u.created;
		ret = put_user(s, txn, &u);
	}
	if (ret == 0 && c->rc == TG_OK)
		ret = store_put(s, T_USER_EMAIL, txn, ek, en, u.id, strlen(u.id));
	free(ek);
	free(uk);
	free(email);
	return ret;
}

/* Runs body with op->email the normalised form of email. */
static enum tg_err
run_for_email(struct tg_store *s, struct uop *op, const char *email)
{
	char *norm = NULL;
	enum tg_err rc = user_email_normalize(email, &norm, NULL);

	if (rc != TG_OK)
		return rc;
	op->email = norm;
	op->now = (int64_t)time(NULL);
	rc = store_run(s, &op->call);
	free(norm);
	return rc;
}

enum tg_err
store_user_add(struct tg_store *s, const struct tg_user *u)
{
	struct uop op = { .call = { .body = add_body, .mode = STORE_WRITE }, .u = u };

	if (!tenant_id_is_valid(u->tenant) || !u->id || !u->id[0] || !u->password_hash ||
	    !u->password_hash[0] || strlen(u->password_hash) > TG_USER_HASH_MAX)
		return TG_ERR_INVALID;
	return run_for_email(s, &op, u->email);
}

/* ------------------------------------------------------------ get, list */

static int
get_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);
	struct tg_user *u = NULL;
	int ret = fetch_user(s, txn, op, 0, &u);

	if (ret == 0 && c->rc == TG_OK) {
		op->users = tg_xmalloc(sizeof(*op->users));
		op->users[0] = u;
		op->nusers = 1;
	}
	return ret;
}

enum tg_err
store_user_get(struct tg_store *s, const char *tenant, const char *email, struct tg_user **out)
{
	struct uop op = { .call = { .body = get_body, .reset = uop_reset, .mode = STORE_READ },
			  .tenant = tenant };
	enum tg_err rc = run_for_email(s, &op, email);

	if (rc == TG_OK) {
		*out = op.users[0]; /* ownership moves to the caller */
		op.nusers = 0;
	}
	uop_reset(&op.call);
	return rc;
}

static int
visit_email(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	    struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);
	size_t un;
	char *id = tg_xstrndup(d->data, d->size);
	unsigned char *uk = store_tenant_key(op->tenant, id, &un);
	struct tg_user *u = NULL;
	bool is_found = false;
	DBT ud;
	int ret;

	(void)cur;
	(void)k;
	ret = store_fetch(s, T_USERS, txn, uk, un, 0, &ud, &is_found);
	if (ret == 0 && (!is_found || !user_decode(op->tenant, id, ud.data, ud.size, &u)))
		ret = store_corrupt(s, c, "users");
	if (ret == 0) {
		op->users = tg_xrealloc(op->users, (op->nusers + 1) * sizeof(*op->users));
		op->users[op->nusers++] = u;
	}
	store_dbt_free(&ud);
	free(uk);
	free(id);
	return ret;
}

static int
list_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);
	size_t pn;
	unsigned char *prefix;
	int ret = store_tenant_exists(s, txn, op->tenant, c);

	if (ret != 0 || c->rc != TG_OK)
		return ret;
	prefix = store_tenant_key(op->tenant, NULL, &pn);
	ret = store_scan(s, T_USER_EMAIL, txn, prefix, pn, 0, visit_email, c);
	free(prefix);
	return ret;
}

enum tg_err
store_user_list(struct tg_store *s, const char *tenant, struct tg_user ***out, size_t *n)
{
	struct uop op = { .call = { .body = list_body, .reset = uop_reset, .mode = STORE_READ },
			  .tenant = tenant };
	enum tg_err rc = store_run(s, &op.call);

	if (rc == TG_OK) {
		*out = op.users; /* ownership moves to the caller */
		*n = op.nusers;
		op.users = NULL;
		op.nusers = 0;
	}
	uop_reset(&op.call);
	return rc;
}

/* ------------------------------------------------------------ changes */

/* Enrols (a new secret and recovery set replace both old ones) or clears the second factor. */
static int
totp_change(struct tg_store *s, DB_TXN *txn, struct uop *op, struct tg_user *u)
{
	op->had_totp = user_has_totp(u);
	secret_free(&u->totp_secret);
	secret_wipe(&u->recovery, sizeof(u->recovery));
	/* A new secret's codes share nothing with the old one's: no step is used yet. */
	u->totp_last_step = -1;
	if (op->change == CHANGE_TOTP_SET) {
		secret_set(&u->totp_secret, op->secret->p, op->secret->len);
		u->recovery = *op->set;
	}
	u->updated = op->now;
	return put_user(s, txn, u);
}

static int
change_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);
	struct tg_user *u = NULL;
	unsigned char *k = NULL;
	size_t kn;
	int ret = fetch_user(s, txn, op, DB_RMW, &u);

	if (ret != 0 || c->rc != TG_OK)
		return ret;
	switch (op->change) {
	case CHANGE_REMOVE:
		k = store_tenant_key(op->tenant, u->id, &kn);
		ret = store_del(s, T_USERS, txn, k, kn);
		free(k);
		k = store_tenant_key(op->tenant, op->email, &kn);
		if (ret == 0)
			ret = store_del(s, T_USER_EMAIL, txn, k, kn);
		break;
	case CHANGE_HASH:
		free(u->password_hash);
		u->password_hash = tg_xstrdup(op->hash);
		u->updated = op->now;
		ret = put_user(s, txn, u);
		break;
	case CHANGE_TOTP_SET:
	case CHANGE_TOTP_CLEAR:
		ret = totp_change(s, txn, op, u);
		break;
	case CHANGE_DISABLE:
	case CHANGE_ENABLE:
		if (u->is_disabled != (op->change == CHANGE_DISABLE)) {
			u->is_disabled = op->change == CHANGE_DISABLE;
			u->updated = op->now;
			ret = put_user(s, txn, u);
		}
		break;
	}
	free(k);
	user_free(u);
	return ret;
}

static enum tg_err
change(struct tg_store *s, const char *tenant, const char *email, enum user_change what,
       const char *hash)
{
	struct uop op = { .call = { .body = change_body, .mode = STORE_WRITE }, .tenant = tenant,
			  .change = what, .hash = hash };

	return run_for_email(s, &op, email);
}

enum tg_err
store_user_totp_set(struct tg_store *s, const char *tenant, const char *email,
		    const struct tg_secret *secret, const struct recovery_set *set, bool *replaced)
{
	struct uop op = { .call = { .body = change_body, .mode = STORE_WRITE }, .tenant = tenant,
			  .change = CHANGE_TOTP_SET, .secret = secret, .set = set };
	enum tg_err rc;

	if (!secret || secret->len < TOTP_SECRET_LEN || secret->len > 64 || !set || set->n == 0 ||
	    set->n > RECOVERY_CODES_MAX)
		return TG_ERR_INVALID;
	rc = run_for_email(s, &op, email);
	if (rc == TG_OK && replaced)
		*replaced = op.had_totp;
	return rc;
}

enum tg_err
store_user_totp_clear(struct tg_store *s, const char *tenant, const char *email, bool *was_on)
{
	struct uop op = { .call = { .body = change_body, .mode = STORE_WRITE }, .tenant = tenant,
			  .change = CHANGE_TOTP_CLEAR };
	enum tg_err rc = run_for_email(s, &op, email);

	if (rc == TG_OK && was_on)
		*was_on = op.had_totp;
	return rc;
}

/* ------------------------------------------------------------ the second factor used */

/* A TOTP code: valid in its window and of a later step than the last one used, which it becomes. */
static enum tg_err
spend_totp(struct uop *op, struct tg_user *u)
{
	int64_t step = -1;
	enum tg_err rc = user_has_totp(u) ? totp_verify(&u->totp_secret, op->code, op->now,
							TOTP_WINDOW, &step)
					  : TG_ERR_NOT_FOUND;

	if (rc == TG_OK && totp_is_replay(step, u->totp_last_step))
		rc = TG_ERR_REJECTED;
	if (rc == TG_OK)
		u->totp_last_step = op->step = step;
	return rc;
}

/* A recovery code: one not used yet, which recovery_verify marks used. */
static enum tg_err
spend_recovery(struct uop *op, struct tg_user *u)
{
	size_t index;
	enum tg_err rc = u->recovery.n ? recovery_verify(&u->recovery, op->code, &index)
				       : TG_ERR_NOT_FOUND;

	if (rc == TG_OK)
		op->left = recovery_remaining(&u->recovery);
	return rc;
}

/*
 * Under the record's write lock (DB_RMW), so that two requests with the same
 * code are serialised: the second one reads what the first one spent.
 */
static int
second_factor_body(struct tg_store *s, DB_TXN *txn, struct store_call *c)
{
	struct uop *op = STORE_OP_OF(c, struct uop);
	struct tg_user *u = NULL;
	int ret = fetch_by_id(s, txn, op, op->id, DB_RMW, &u);

	if (ret == 0 && c->rc == TG_OK) {
		c->rc = op->spend(op, u);
		if (c->rc == TG_OK)
			ret = put_user(s, txn, u);
	}
	user_free(u);
	return ret;
}

enum tg_err
store_user_totp_use(struct tg_store *s, const char *tenant, const char *user_id,
		    const char *code, int64_t now, int64_t *step)
{
	struct uop op = { .call = { .body = second_factor_body, .mode = STORE_WRITE },
			  .tenant = tenant, .id = user_id, .code = code, .now = now,
			  .spend = spend_totp };
	enum tg_err rc;

	if (!user_id || !user_id[0] || !code || now < 0)
		return TG_ERR_INVALID;
	rc = store_run(s, &op.call);
	if (rc == TG_OK)
		*step = op.step;
	return rc;
}

enum tg_err
store_user_recovery_use(struct tg_store *s, const char *tenant, const char *user_id,
			const char *code, size_t *left)
{
	struct uop op = { .call = { .body = second_factor_body, .mode = STORE_WRITE },
			  .tenant = tenant, .id = user_id, .code = code, .spend = spend_recovery };
	enum tg_err rc;

	if (!user_id || !user_id[0] || !code)
		return TG_ERR_INVALID;
	rc = store_run(s, &op.call);
	if (rc == TG_OK)
		*left = op.left;
	return rc;
}

enum tg_err
store_user_set_hash(struct tg_store *s, const char *tenant, const char *email,
		    const char *password_hash)
{
	if (!password_hash || !password_hash[0] || strlen(password_hash) > TG_USER_HASH_MAX)
		return TG_ERR_INVALID;
	return change(s, tenant, email, CHANGE_HASH, password_hash);
}

enum tg_err
store_user_disable(struct tg_store *s, const char *tenant, const char *email)
{
	return change(s, tenant, email, CHANGE_DISABLE, NULL);
}

enum tg_err
store_user_enable(struct tg_store *s, const char *tenant, const char *email)
{
	return change(s, tenant, email, CHANGE_ENABLE, NULL);
}

enum tg_err
store_user_remove(struct tg_store *s, const char *tenant, const char *email)
{
	return change(s, tenant, email, CHANGE_REMOVE, NULL);
}

/* ------------------------------------------------------------ a tenant's removal */

static int
visit_drop(struct tg_store *s, DB_TXN *txn, DBC *cur, const DBT *k, const DBT *d,
	   struct store_call *c)
{
	(void)s;
	(void)txn;
	(void)k;
	(void)d;
	(void)c;
	return cur->del(cur, 0);
}

/*
 * In the removal's own transaction, as API keys are: Berkeley DB locks pages,
 * not records, so even a tenant of many thousand users takes a few hundred
 * locks here (sessions, which can be millions, go in a job's batches instead).
 */
int
store_user_drop_tenant(struct tg_store *s, DB_TXN *txn, const char *tenant, struct store_call *c)
{
	size_t pn;
	unsigned char *prefix = store_tenant_key(tenant, NULL, &pn);
	int ret = store_scan(s, T_USERS, txn, prefix, pn, DB_RMW, visit_drop, c);

	if (ret == 0 && c->rc == TG_OK)
		ret = store_scan(s, T_USER_EMAIL, txn, prefix, pn, DB_RMW, visit_drop, c);
	free(prefix);
	return ret;
}
