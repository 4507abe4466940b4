/*
 * The validated-token cache: a 4-way set-associative table keyed by SHA-256 of
 * the tenant pin and the whole token. An entry is good only for the keyring
 * generation it was stored under (so key and tenant changes invalidate it) and
 * until the token's exp. Entries are the caller's bytes in one allocation
 * each: authz.c stores what it decided from the claims, not the claims, so a
 * full table of 1024 costs a few hundred kilobytes rather than the megabytes
 * of as many json-c trees. Never stores token bytes.
 */
#include "role/cache.h"

#include "base/secret.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

struct entry {
	unsigned char hash[SHA256_DIGEST_LENGTH];
	uint64_t generation;
	int64_t exp;
	uint64_t last_used; /* c->tick at the last hit, for LRU within a set */
	size_t size;
	unsigned char *data; /* NULL: slot empty */
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
	if (!e->data)
		return;
	free(e->data);
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

/*
 * "\0" token for no pin, "\1" pin "\0" token for a pin: a pin holds no NUL,
 * so no two keys share the hashed bytes. False only if OpenSSL fails; the
 * caller then treats the token as not cached.
 */
static bool
hash_key(struct tg_cache *c, struct cache_key *k)
{
	static const unsigned char no_pin = 0, has_pin = 1, end_of_pin = 0;
	bool ok;

	if (k->is_hashed)
		return true;
	ok = EVP_DigestInit_ex2(c->md, c->sha256, NULL) == 1;
	if (k->tenant_pin)
		ok = ok && EVP_DigestUpdate(c->md, &has_pin, 1) == 1 &&
		     EVP_DigestUpdate(c->md, k->tenant_pin, strlen(k->tenant_pin)) == 1 &&
		     EVP_DigestUpdate(c->md, &end_of_pin, 1) == 1;
	else
		ok = ok && EVP_DigestUpdate(c->md, &no_pin, 1) == 1;
	k->is_hashed = ok && EVP_DigestUpdate(c->md, k->token, k->len) == 1 &&
		       EVP_DigestFinal_ex(c->md, k->hash, NULL) == 1;
	return k->is_hashed;
}

static struct entry *
set_of(struct tg_cache *c, const unsigned char hash[SHA256_DIGEST_LENGTH])
{
	uint64_t h;

	memcpy(&h, hash, sizeof(h));
	return &c->slots[(h % c->nsets) * c->ways];
}

static struct entry *
find(struct tg_cache *c, const struct cache_key *k)
{
	struct entry *set = set_of(c, k->hash);

	for (size_t i = 0; i < c->ways; i++)
		if (set[i].data && secret_equal(set[i].hash, sizeof(k->hash), k->hash, sizeof(k->hash)))
			return &set[i];
	return NULL;
}

const void *
cache_get(struct tg_cache *c, struct cache_key *key, int64_t now, size_t *size)
{
	struct entry *e;

	if (!c || !hash_key(c, key) || !(e = find(c, key)))
		return NULL;
	/* Stale for good: a new keyring, or a token past exp, never comes back. */
	if (e->generation != key->generation || now >= e->exp) {
		clear_slot(c, e);
		return NULL;
	}
	e->last_used = ++c->tick;
	*size = e->size;
	return e->data;
}

/* An empty slot, else one that can never hit again, else the least recently used. */
static struct entry *
victim(struct tg_cache *c, struct entry *set, uint64_t generation, int64_t now)
{
	struct entry *lru = &set[0];

	for (size_t i = 0; i < c->ways; i++) {
		struct entry *e = &set[i];

		if (!e->data || e->generation != generation || now >= e->exp)
			return e;
		if (e->last_used < lru->last_used)
			lru = e;
	}
	return lru;
}

void
cache_put(struct tg_cache *c, struct cache_key *key, int64_t now, int64_t exp,
	  const void *data, size_t size)
{
	struct entry *e;

	if (!c || !hash_key(c, key))
		return;
	e = find(c, key);
	if (!e)
		e = victim(c, set_of(c, key->hash), key->generation, now);
	clear_slot(c, e);
	memcpy(e->hash, key->hash, sizeof(key->hash));
	/* One byte more, so an empty value still marks the slot taken. */
	e->data = tg_xmalloc(size + 1);
	if (size)
		memcpy(e->data, data, size);
	e->size = size;
	e->generation = key->generation;
	e->exp = exp;
	e->last_used = ++c->tick;
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
