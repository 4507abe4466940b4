/*
 * A worker thread's table of recently verified tokens, so a token used for
 * many requests pays for its signature check once. Bounded: a fixed number of
 * entries, whatever the traffic. Not shared between threads. What an entry
 * holds is the caller's business (authz.c keeps its grant there as bytes).
 */
#ifndef TG_CACHE_H
#define TG_CACHE_H

#include "base/tokengate.h"

#include <openssl/sha.h>

struct tg_cache;

/*
 * What an entry is found by: the whole token and the tenant pin it was
 * checked under (NULL: found by iss), valid for one keyring generation. The
 * digest is computed by the first cache_get or cache_put that sees the key,
 * so a miss followed by a put hashes the token once.
 */
struct cache_key {
	const char *token;
	size_t len;
	const char *tenant_pin;
	uint64_t generation;
	bool is_hashed;
	unsigned char hash[SHA256_DIGEST_LENGTH];
};

/* At most entries results are held; 0 returns NULL (caching off), which every call accepts. */
struct tg_cache *cache_new(size_t entries);
void cache_free(struct tg_cache *c);

/*
 * The bytes stored under key while now < their exp, with *size set. Borrowed:
 * valid until the next cache_put or cache_free on c. NULL on a miss.
 */
const void *cache_get(struct tg_cache *c, struct cache_key *key, int64_t now, size_t *size);

/* Copies size bytes of data under key until exp; does nothing when c is NULL. */
void cache_put(struct tg_cache *c, struct cache_key *key, int64_t now, int64_t exp,
	       const void *data, size_t size);

/* Live entries, for tests and the flood measurement. */
size_t cache_count(const struct tg_cache *c);
size_t cache_capacity(const struct tg_cache *c);

#endif
