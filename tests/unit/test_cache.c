/*
 * The validated-token cache: hits only for the same token, tenant pin and
 * keyring generation before exp; a fixed bound under a flood of distinct
 * tokens; entries freed when they go stale (ASan checks the frees).
 */
#include "role/cache.h"

#include "../lib/tap.h"

#include <stdlib.h>
#include <string.h>

static struct cache_key
key(const char *token, const char *pin, uint64_t generation)
{
	return (struct cache_key){ .token = token, .len = strlen(token), .tenant_pin = pin,
				   .generation = generation };
}

/* The stored bytes as a string, or NULL on a miss. */
static const char *
get(struct tg_cache *c, const char *token, const char *pin, uint64_t generation, int64_t now)
{
	struct cache_key k = key(token, pin, generation);
	size_t size = 0;
	const char *data = cache_get(c, &k, now, &size);

	return data && size > 0 && data[size - 1] == '\0' ? data : NULL;
}

static void
put(struct tg_cache *c, const char *token, const char *pin, uint64_t generation, int64_t now,
    int64_t exp, const char *value)
{
	struct cache_key k = key(token, pin, generation);

	cache_put(c, &k, now, exp, value, strlen(value) + 1);
}

int
main(void)
{
	struct tg_cache *c = cache_new(64), *one;
	const char *hit;
	char tok[64];
	size_t max_seen = 0, size = 0;
	struct cache_key k;

	ok(cache_new(0) == NULL, "0 entries: no cache");
	ok(get(NULL, "a.b.c", NULL, 1, 100) == NULL, "a NULL cache never hits");
	put(NULL, "a.b.c", NULL, 1, 100, 200, "x");
	is_int(cache_count(NULL), 0, "a NULL cache counts nothing");

	ok(get(c, "a.b.c", NULL, 1, 100) == NULL, "miss before any put");
	put(c, "a.b.c", NULL, 1, 100, 160, "alice");
	hit = get(c, "a.b.c", NULL, 1, 101);
	is_str(hit, "alice", "hit returns the stored bytes");
	ok(get(c, "a.b.d", NULL, 1, 101) == NULL, "another token misses");
	ok(get(c, "a.b.c ", NULL, 1, 101) == NULL, "the whole token is the key");
	ok(get(c, "a.b.c", "acme", 1, 101) == NULL,
	   "a pinned request never reuses a verdict found by iss");
	ok(get(c, "a.b.c", NULL, 1, 159) != NULL, "still good a second before exp");
	ok(get(c, "a.b.c", NULL, 1, 160) == NULL, "gone at exp");
	is_int(cache_count(c), 0, "an expired entry is freed when found");

	put(c, "p.q.r", "acme", 7, 100, 160, "bob");
	ok(get(c, "p.q.r", "acme", 7, 100) != NULL, "pinned verdict hits with the pin");
	ok(get(c, "p.q.r", "other", 7, 100) == NULL, "another pin misses");
	ok(get(c, "p.q.r", NULL, 7, 100) == NULL, "no pin misses");
	ok(get(c, "p.q.rx", "acme", 7, 100) == NULL && get(c, "p.q.r", "acmex", 7, 100) == NULL,
	   "pin and token are not confused at their border");
	ok(get(c, "p.q.r", "acme", 8, 100) == NULL,
	   "a new keyring generation (key removed, tenant changed) invalidates");
	ok(get(c, "p.q.r", "acme", 7, 100) == NULL, "and it stays invalid");
	is_int(cache_count(c), 0, "the stale entry was freed");

	put(c, "s.t.u", NULL, 7, 100, 160, "carol");
	put(c, "s.t.u", NULL, 7, 100, 160, "carol again");
	is_int(cache_count(c), 1, "the same key replaces its entry, not duplicates it");
	is_str(get(c, "s.t.u", NULL, 7, 100), "carol again", "with the newer bytes");

	k = key("e.m.pty", NULL, 7);
	cache_put(c, &k, 100, 160, "", 0);
	k = key("e.m.pty", NULL, 7);
	ok(cache_get(c, &k, 100, &size) != NULL && size == 0, "zero bytes are a hit too");
	ok(k.is_hashed, "the key keeps its digest for a following put");

	/* The flood: many distinct valid tokens never grow the table past its bound. */
	for (int i = 0; i < 20000; i++) {
		snprintf(tok, sizeof(tok), "flood.%d.sig", i);
		put(c, tok, NULL, 7, 100, 160, "mallory");
		if (cache_count(c) > max_seen)
			max_seen = cache_count(c);
	}
	ok(cache_capacity(c) <= 64, "capacity never above the configured entries (%zu)",
	   cache_capacity(c));
	ok(max_seen <= cache_capacity(c), "20000 distinct tokens: at most %zu held (held %zu)",
	   cache_capacity(c), max_seen);
	ok(get(c, "flood.19999.sig", NULL, 7, 100) != NULL, "the newest survives");

	one = cache_new(1);
	put(one, "a.a.a", NULL, 1, 100, 160, "a");
	ok(get(one, "a.a.a", NULL, 1, 100) != NULL, "one-entry cache holds one");
	put(one, "b.b.b", NULL, 1, 100, 160, "b");
	ok(get(one, "a.a.a", NULL, 1, 100) == NULL, "and evicts it for the next");
	ok(get(one, "b.b.b", NULL, 1, 100) != NULL, "the next is held");
	is_int(cache_count(one), 1, "count stays 1");
	cache_free(one);

	{
		struct tg_cache *small = cache_new(5);

		is_int(cache_capacity(small), 4, "5 entries round down to whole 4-way sets");
		cache_free(small);
	}
	cache_free(c);
	cache_free(NULL);
	return done_testing();
}
