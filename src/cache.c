/*
 * The validated-token cache: a 4-way set-associative table keyed by SHA-256 of
 * the whole token. An entry is good only for the keyring generation it was
 * verified under (so key and tenant changes invalidate it) and until the
 * token's exp. It stores successes only: a flood of bad tokens costs nothing
 * here, a flood of distinct good ones only evicts. Never stores token bytes,
 * nor the JOSE header: nothing reads it after verification, and as a json-c
 * tree it costs about as much memory as the claims.
 */
#include "cache.h"

#include <json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

struct entry {
	unsigned char hash[SHA256_DIGEST_LENGTH];
	char *pin;          /* tenant pin it was verified under; NULL: by iss */
	uint64_t generation;
	uint64_t last_used; /* c->tick at the last hit, for LRU within a set */
	struct tg_verified *v; /* NULL: slot empty */
};

struct tg_cache {
	/*
	 * Fetched once: SHA256() looks the algorithm up in the provider on every
	 * call (EVP_Q_digest), which cost more than hashing a token.
	 */
	EVP_MD *sha256;
	EVP_MD_CTX *md;
	struct entry *slots;
	size_t nsets, ways;
	uint64_t tick;
	size_t count;
};

struct tg_cache *
cache_new(size_t entries)
{
	struct tg_cache *c;

	if (entries == 0)
		return NULL;
	c = tg_xcalloc(1, sizeof(*c));
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->md = EVP_MD_CTX_new();
	if (!c->sha256 || !c->md) {
		/* No digest: run without a cache rather than fail requests. */
		EVP_MD_free(c->sha256);
		EVP_MD_CTX_free(c->md);
		free(c);
		return NULL;
	}
	/* Rounded down, so the table never holds more than asked for. */
	c->ways = entries < WAYS ? entries : WAYS;
	c->nsets = entries / c->ways;
	c->slots = tg_xcalloc(c->nsets * c->ways, sizeof(*c->slots));
	return c;
}

static void
clear_slot(struct tg_cache *c, struct entry *e)
{
	if (!e->v)
		return;
	verified_free(e->v);
	free(e->pin);
	memset(e, 0, sizeof(*e));
	c->count--;
}

void
cache_free(struct tg_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsets * c->ways; i++)
		clear_slot(c, &c->slots[i]);
	free(c->slots);
	EVP_MD_CTX_free(c->md);
	EVP_MD_free(c->sha256);
	free(c);
}

/* False only if OpenSSL fails; the caller then treats the token as not cached. */
static bool
hash_token(struct tg_cache *c, const char *token, size_t len,
	   unsigned char hash[SHA256_DIGEST_LENGTH])
{
	return EVP_DigestInit_ex2(c->md, c->sha256, NULL) == 1 &&
	       EVP_DigestUpdate(c->md, token, len) == 1 &&
	       EVP_DigestFinal_ex(c->md, hash, NULL) == 1;
}

static struct entry *
set_of(struct tg_cache *c, const unsigned char hash[SHA256_DIGEST_LENGTH])
{
	uint64_t h;

	memcpy(&h, hash, sizeof(h));
	return &c->slots[(h % c->nsets) * c->ways];
}

static bool
same_pin(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

const struct tg_verified *
cache_get(struct tg_cache *c, const char *token, size_t len, const char *tenant_pin,
	  uint64_t generation, int64_t now)
{
	unsigned char hash[SHA256_DIGEST_LENGTH];
	struct entry *set;

	if (!c || !hash_token(c, token, len, hash))
		return NULL;
	set = set_of(c, hash);
	for (size_t i = 0; i < c->ways; i++) {
		struct entry *e = &set[i];

		if (!e->v || CRYPTO_memcmp(e->hash, hash, sizeof(hash)) != 0)
			continue;
		/* Stale for good: a new keyring, or a token past exp, never comes back. */
		if (e->generation != generation || now >= e->v->exp) {
			clear_slot(c, e);
			return NULL;
		}
		if (!same_pin(e->pin, tenant_pin))
			return NULL;
		e->last_used = ++c->tick;
		return e->v;
	}
	return NULL;
}

/* An empty slot, else one that can never hit again, else the least recently used. */
static struct entry *
victim(struct tg_cache *c, struct entry *set, uint64_t generation, int64_t now)
{
	struct entry *lru = &set[0];

	for (size_t i = 0; i < c->ways; i++) {
		struct entry *e = &set[i];

		if (!e->v || e->generation != generation || now >= e->v->exp)
			return e;
		if (e->last_used < lru->last_used)
			lru = e;
	}
	return lru;
}

void
cache_put(struct tg_cache *c, const char *token, size_t len, const char *tenant_pin,
	  uint64_t generation, int64_t now, struct tg_verified *v_owned)
{
	unsigned char hash[SHA256_DIGEST_LENGTH];
	struct entry *set, *e = NULL;

	if (!c || !hash_token(c, token, len, hash)) {
		verified_free(v_owned);
		return;
	}
	json_object_put(v_owned->header);
	v_owned->header = NULL;
	set = set_of(c, hash);
	/* The same token under another pin replaces its entry rather than taking a second slot. */
	for (size_t i = 0; i < c->ways && !e; i++)
		if (set[i].v && CRYPTO_memcmp(set[i].hash, hash, sizeof(hash)) == 0)
			e = &set[i];
	if (!e)
		e = victim(c, set, generation, now);
	clear_slot(c, e);
	memcpy(e->hash, hash, sizeof(hash));
	e->pin = tenant_pin ? tg_xstrdup(tenant_pin) : NULL;
	e->generation = generation;
	e->last_used = ++c->tick;
	e->v = v_owned;
	c->count++;
}

size_t
cache_count(const struct tg_cache *c)
{
	return c ? c->count : 0;
}

size_t
cache_capacity(const struct tg_cache *c)
{
	return c ? c->nsets * c->ways : 0;
}
