/*
 * A worker thread's in-memory view of tenants and keys, built from records
 * handed to it (join/keyring_sync.c hands it a store snapshot when the store's
 * generation moves). Never reads a database. Not shared between threads: keys
 * are parsed on first use.
 */
#ifndef TG_KEYRING_H
#define TG_KEYRING_H

#include "jose/keys.h"
#include "model/keyrec.h"
#include "model/tenant.h"

struct keyring;

struct keyring *keyring_new(void);
void keyring_free(struct keyring *kr);

/*
 * Replaces the keyring's contents with these records as of generation. Takes
 * ownership of both arrays and of every record in them (each may be NULL when
 * its count is 0). Keys of tenants not in tenants[] and retired keys are
 * dropped; a tenant's keys may come in any order.
 */
void keyring_load(struct keyring *kr, uint64_t generation, struct tg_tenant **tenants_owned,
		  size_t ntenants, struct tg_key_record **keys_owned, size_t nkeys);
/* Whether the keyring was loaded, and from that generation: a reload would change nothing. */
bool keyring_is_current(const struct keyring *kr, uint64_t generation);
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
