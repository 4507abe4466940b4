/*
 * A worker's in-memory view of tenants and parsed keys. It is rebuilt from a
 * store snapshot only when the store's generation has changed, so a change made
 * by tokengatectl is seen on the next request without re-parsing keys per request.
 */
#ifndef TG_KEYRING_H
#define TG_KEYRING_H

#include "keys.h"
#include "keyrec.h"
#include "tenant.h"

struct tg_store;
struct keyring;

struct keyring *keyring_new(void);
void keyring_free(struct keyring *kr);

/* Reloads when the store's generation differs from the loaded one. *changed may be NULL. */
enum tg_err keyring_refresh(struct keyring *kr, struct tg_store *s, bool *changed);
uint64_t keyring_generation(const struct keyring *kr);

const struct tg_tenant *keyring_tenant(const struct keyring *kr, const char *id);
const struct tg_tenant *keyring_tenant_by_issuer(const struct keyring *kr, const char *iss);

/* Active verification keys of a tenant, in kid order (retired keys are not here). */
void keyring_keys(const struct keyring *kr, const char *tenant, const struct tg_key *const **keys,
		  size_t *n);
/* The tenant's newest active signing key, NULL when it has none. */
const struct tg_key *keyring_signing_key(const struct keyring *kr, const char *tenant);

#endif
