/*
 * The Berkeley DB environment and its tables: tenants, issuer index, keys,
 * API keys and a generation counter bumped by every tenant or key change.
 * The only file that includes <db.h>. Every transaction begins and ends in one
 * function here, and DB_LOCK_DEADLOCK is retried here and nowhere else.
 */
#ifndef TG_STORE_H
#define TG_STORE_H

#include "keyrec.h"
#include "tenant.h"

struct tg_store;

/*
 * Opens (create: creates the directory's environment and tables if missing)
 * the transactional environment in dir, safe for many processes at once:
 * DB_REGISTER|DB_RECOVER runs recovery when a process died holding it, and
 * failchk clears what dead processes left. On failure *why (if not NULL)
 * receives a static sentence an operator can act on.
 */
enum tg_err store_open(const char *dir, bool create, struct tg_store **out, const char **why);
void store_close(struct tg_store *s);

/* Changes whenever a tenant or key is added, changed or removed. */
enum tg_err store_generation(struct tg_store *s, uint64_t *out);

/* TG_ERR_EXISTS if the id is taken or the issuer belongs to another tenant. */
enum tg_err store_tenant_add(struct tg_store *s, const struct tg_tenant *t);
/* Replaces an existing tenant (TG_ERR_NOT_FOUND otherwise); same issuer rule. */
enum tg_err store_tenant_update(struct tg_store *s, const struct tg_tenant *t);
enum tg_err store_tenant_get(struct tg_store *s, const char *id, struct tg_tenant **out);
enum tg_err store_tenant_by_issuer(struct tg_store *s, const char *issuer, char **id_out);
/* Sorted by id. */
enum tg_err store_tenant_list(struct tg_store *s, struct tg_tenant ***out, size_t *n);
/* Removes the tenant with its keys and API keys. */
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

#endif
