/*
 * A worker thread's table of recently verified tokens, so a token used for
 * many requests pays for its signature check once. Bounded: a fixed number of
 * entries, whatever the traffic. Not shared between threads.
 */
#ifndef TG_CACHE_H
#define TG_CACHE_H

#include "verify.h"

struct tg_cache;

/* At most entries results are held; 0 returns NULL (caching off), which every call accepts. */
struct tg_cache *cache_new(size_t entries);
void cache_free(struct tg_cache *c);

/*
 * The result verify_token gave for this exact token with the same tenant pin
 * (NULL: found by iss) under the same keyring generation, while now < exp.
 * Borrowed: valid until the next cache_put or cache_free on c. NULL on a miss.
 */
const struct tg_verified *cache_get(struct tg_cache *c, const char *token, size_t len,
				    const char *tenant_pin, uint64_t generation, int64_t now);

/*
 * Takes ownership of v_owned (freed at once when c is NULL). The entry keeps
 * everything but v_owned->header, which it frees: cache_get answers header NULL.
 */
void cache_put(struct tg_cache *c, const char *token, size_t len, const char *tenant_pin,
	       uint64_t generation, int64_t now, struct tg_verified *v_owned);

/* Live entries, for tests and the flood measurement. */
size_t cache_count(const struct tg_cache *c);
size_t cache_capacity(const struct tg_cache *c);

#endif
