/*
 * The validated-token cache: hits only for the same token, tenant pin and
 * keyring generation before exp; a fixed bound under a flood of distinct
 * tokens; entries freed when they go stale (ASan checks the frees).
 */
#include "cache.h"

#include "../lib/tap.h"

#include <json.h>
#include <stdlib.h>

static struct tg_verified *
verified(const char *sub, int64_t exp)
{
	struct tg_verified *v = tg_xcalloc(1, sizeof(*v));

	v->tenant = tg_xstrdup("acme");
	v->sub = tg_xstrdup(sub);
	v->kid = tg_xstrdup("k1");
	v->alg = TG_ALG_HS256;
	v->exp = exp;
	v->claims = json_object_new_object();
	json_object_object_add(v->claims, "sub", json_object_new_string(sub));
	v->header = json_object_new_object();
	return v;
}

#define TOK(s) (s), strlen(s)

int
main(void)
{
	struct tg_cache *c = cache_new(64), *one;
	const struct tg_verified *hit;
	char tok[64];
	size_t max_seen = 0;

	ok(cache_new(0) == NULL, "0 entries: no cache");
	ok(cache_get(NULL, TOK("a.b.c"), NULL, 1, 100) == NULL, "a NULL cache never hits");
	cache_put(NULL, TOK("a.b.c"), NULL, 1, 100, verified("x", 200)); /* freed, not leaked */
	is_int(cache_count(NULL), 0, "a NULL cache counts nothing");

	ok(cache_get(c, TOK("a.b.c"), NULL, 1, 100) == NULL, "miss before any put");
	cache_put(c, TOK("a.b.c"), NULL, 1, 100, verified("alice", 160));
	hit = cache_get(c, TOK("a.b.c"), NULL, 1, 101);
	ok(hit && strcmp(hit->sub, "alice") == 0, "hit returns the stored verdict");
	ok(cache_get(c, TOK("a.b.d"), NULL, 1, 101) == NULL, "another token misses");
	ok(cache_get(c, TOK("a.b.c "), NULL, 1, 101) == NULL, "the whole token is the key");
	ok(cache_get(c, TOK("a.b.c"), "acme", 1, 101) == NULL,
	   "a pinned request never reuses a verdict found by iss");
	ok(cache_get(c, TOK("a.b.c"), NULL, 1, 159) != NULL, "still good a second before exp");
	ok(cache_get(c, TOK("a.b.c"), NULL, 1, 160) == NULL, "gone at exp");
	is_int(cache_count(c), 0, "an expired entry is freed when found");

	cache_put(c, TOK("p.q.r"), "acme", 7, 100, verified("bob", 160));
	ok(cache_get(c, TOK("p.q.r"), "acme", 7, 100) != NULL, "pinned verdict hits with the pin");
	ok(cache_get(c, TOK("p.q.r"), "other", 7, 100) == NULL, "another pin misses");
	ok(cache_get(c, TOK("p.q.r"), NULL, 7, 100) == NULL, "no pin misses");
	ok(cache_get(c, TOK("p.q.r"), "acme", 8, 100) == NULL,
	   "a new keyring generation (key removed, tenant changed) invalidates");
	ok(cache_get(c, TOK("p.q.r"), "acme", 7, 100) == NULL, "and it stays invalid");
	is_int(cache_count(c), 0, "the stale entry was freed");

	cache_put(c, TOK("s.t.u"), NULL, 7, 100, verified("carol", 160));
	cache_put(c, TOK("s.t.u"), "acme", 7, 100, verified("carol", 160));
	is_int(cache_count(c), 1, "the same token under another pin replaces, not duplicates");

	/* The flood: many distinct valid tokens never grow the table past its bound. */
	for (int i = 0; i < 20000; i++) {
		snprintf(tok, sizeof(tok), "flood.%d.sig", i);
		cache_put(c, TOK(tok), NULL, 7, 100, verified("mallory", 160));
		if (cache_count(c) > max_seen)
			max_seen = cache_count(c);
	}
	ok(cache_capacity(c) <= 64, "capacity never above the configured entries (%zu)",
	   cache_capacity(c));
	ok(max_seen <= cache_capacity(c), "20000 distinct tokens: at most %zu held (held %zu)",
	   cache_capacity(c), max_seen);
	ok(cache_get(c, TOK("flood.19999.sig"), NULL, 7, 100) != NULL, "the newest survives");

	one = cache_new(1);
	cache_put(one, TOK("a.a.a"), NULL, 1, 100, verified("a", 160));
	ok(cache_get(one, TOK("a.a.a"), NULL, 1, 100) != NULL, "one-entry cache holds one");
	cache_put(one, TOK("b.b.b"), NULL, 1, 100, verified("b", 160));
	ok(cache_get(one, TOK("a.a.a"), NULL, 1, 100) == NULL, "and evicts it for the next");
	ok(cache_get(one, TOK("b.b.b"), NULL, 1, 100) != NULL, "the next is held");
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
