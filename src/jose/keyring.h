/*
 * A worker thread's in-memory view of tenants and keys. It is rebuilt from a
 * store snapshot only when the store's generation has changed, so a change made
 * by tokengatectl is seen on the next request without re-parsing keys per
 * request. Not shared between threads: keys are parsed on first use.
 */
#ifndef TG_KEYRING_H
#define TG_KEYRING_H

#include "jose/keys.h"
#include "model/keyrec.h"
#include "model/tenant.h"

struct tg_store;
struct keyring;

struct keyring *keyring_new(void);
void keyring_free(struct keyring *kr);

/* Reloads when the store's generation differs from the loaded one. *changed may be NULL. */
enum tg_err keyring_refresh(struct keyring *kr, struct tg_store *s, bool *changed);
uint64_t keyring_generation(const struct keyring *kr);

const struct tg_tenant *keyring_tenant(const struct keyring *kr, const char *id);
const struct tg_tenant *keyring_tenant_by_issuer(const struct keyring *kr, const char *iss);

/* An active key as listed: kid, alg and use are known before the key is parsed. */
struct keyring_key {
	const char *kid;
	enum tg_alg alg;
	bool is_gateway; /* a gateway signing key: its tokens name a session */
	struct kr_parse *parse; /* keyring.c's */
};

/* Active keys of a tenant (verification and signing), in kid order; retired keys are not here. */
void keyring_keys(const struct keyring *kr, const char *tenant, const struct keyring_key **keys,
		  size_t *n);

/*
 * The key itself, parsed on the first call. NULL when its stored material no
 * longer parses (a newer OpenSSL refusing it, say): it then counts as absent,
 * which can only make fewer tokens valid.
 */
const struct tg_key *keyring_key_parsed(const struct keyring_key *k);

/* The tenant's newest active signing key, NULL when it has none. */
const struct tg_key *keyring_signing_key(const struct keyring *kr, const char *tenant);

#endif
