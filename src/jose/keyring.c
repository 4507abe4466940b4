/*
 * A worker's view of tenants and keys, rebuilt whole from the records it is
 * handed (in the gateway, one store snapshot when the generation moves); it
 * never reads the store. A key is parsed the first time it is needed after a
 * change, never per request: a worker holds parsed keys (and OpenSSL's code
 * for them) only for the tenants and algorithms its traffic uses, and a
 * change to one tenant of thousands costs each worker no parsing for the others.
 */
#include "jose/keyring.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>

/* Reached from a const keyring through keyring_key.parse: parsing is memoisation. */
struct kr_parse {
	struct tg_key_record *rec; /* the stored material */
	struct tg_key *key;        /* once parsed; NULL before, or when it does not parse */
	bool is_tried;
};

struct kr_tenant {
	struct tg_tenant *t;
	struct keyring_key *keys; /* active keys (verification and signing), kid order */
	size_t nkeys;
	const struct keyring_key *signing; /* newest active signing key */
};

struct keyring {
	bool is_loaded;
	uint64_t generation;
	struct kr_tenant *tenants; /* sorted by id */
	size_t ntenants;
	struct kr_tenant **by_issuer; /* tenants with an issuer, sorted by issuer */
	size_t nissuers;
};

struct keyring *
keyring_new(void)
{
	return tg_xcalloc(1, sizeof(struct keyring));
}

static void
clear(struct keyring *kr)
{
	for (size_t i = 0; i < kr->ntenants; i++) {
		struct kr_tenant *kt = &kr->tenants[i];

		for (size_t k = 0; k < kt->nkeys; k++) {
			key_free(kt->keys[k].parse->key);
			keyrec_free(kt->keys[k].parse->rec);
			free(kt->keys[k].parse);
		}
		free(kt->keys);
		tenant_free(kt->t);
	}
	free(kr->tenants);
	free(kr->by_issuer);
	kr->tenants = NULL;
	kr->by_issuer = NULL;
	kr->ntenants = 0;
	kr->nissuers = 0;
}

void
keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	clear(kr);
	free(kr);
}

static int
cmp_tenant_id(const void *a, const void *b)
{
	const struct kr_tenant *x = a, *y = b;

	return strcmp(x->t->id, y->t->id);
}

static int
cmp_issuer(const void *a, const void *b)
{
	const struct kr_tenant *const *x = a, *const *y = b;

	return strcmp((*x)->t->issuer, (*y)->t->issuer);
}

/* Tenant, then kid: the order keyring_keys promises, whatever order the caller used. */
static int
cmp_key(const void *a, const void *b)
{
	const struct tg_key_record *const *x = a, *const *y = b;
	int c = strcmp((*x)->tenant, (*y)->tenant);

	return c ? c : strcmp((*x)->kid, (*y)->kid);
}

static int
cmp_id_with_tenant(const void *id, const void *elem)
{
	const struct kr_tenant *kt = elem;

	return strcmp(id, kt->t->id);
}

static int
cmp_issuer_with_tenant(const void *iss, const void *elem)
{
	const struct kr_tenant *const *kt = elem;

	return strcmp(iss, (*kt)->t->issuer);
}

static struct kr_tenant *
find_tenant(const struct keyring *kr, const char *id)
{
	if (!kr->ntenants)
		return NULL;
	return bsearch(id, kr->tenants, kr->ntenants, sizeof(*kr->tenants), cmp_id_with_tenant);
}

/* Takes *rec when it is an active key. */
static void
add_key(struct kr_tenant *kt, struct tg_key_record **rec)
{
	struct tg_key_record *r = *rec;
	struct keyring_key *k;

	if (r->state != TG_KEY_ACTIVE)
		return;
	*rec = NULL;
	kt->keys = tg_xrealloc(kt->keys, (kt->nkeys + 1) * sizeof(*kt->keys));
	k = &kt->keys[kt->nkeys++];
	k->kid = r->kid;
	k->alg = r->alg;
	k->is_gateway = r->use == TG_KEY_USE_SIGN;
	k->parse = tg_xcalloc(1, sizeof(*k->parse));
	k->parse->rec = r;
}

/* The signing key created last, the later kid on a tie; found once the array no longer moves. */
static void
find_signing_key(struct kr_tenant *kt)
{
	for (size_t i = 0; i < kt->nkeys; i++) {
		const struct keyring_key *k = &kt->keys[i];

		if (k->is_gateway &&
		    (!kt->signing || k->parse->rec->created >= kt->signing->parse->rec->created))
			kt->signing = k;
	}
}

/*
 * A stored key that no longer parses (a newer OpenSSL refusing it, say) is left
 * out rather than failing the whole reload: it can only make fewer tokens valid.
 */
const struct tg_key *
keyring_key_parsed(const struct keyring_key *k)
{
	struct kr_parse *p = k->parse;
	const struct tg_key_record *r = p->rec;
	bool is_private = r->use == TG_KEY_USE_SIGN && alg_family(r->alg) != TG_FAMILY_HMAC;

	if (p->is_tried)
		return p->key;
	p->is_tried = true;
	if (keys_import(r->kid, r->alg, is_private, r->material.p, r->material.len, &p->key) !=
	    TG_OK) {
		TG_LOG(TG_LOG_WARN, "key %s of tenant %s no longer parses, so it verifies nothing; "
		       "re-add it with `tokengatectl key add`, or remove it", r->kid, r->tenant);
		p->key = NULL;
		return NULL;
	}
	p->key->is_gateway = k->is_gateway;
	return p->key;
}

static void
build(struct keyring *kr, struct tg_tenant **tenants, size_t ntenants, struct tg_key_record **keys,
      size_t nkeys)
{
	kr->tenants = tg_xcalloc(ntenants, sizeof(*kr->tenants));
	kr->by_issuer = tg_xcalloc(ntenants, sizeof(*kr->by_issuer));
	for (size_t i = 0; i < ntenants; i++) {
		kr->tenants[i].t = tenants[i];
		tenants[i] = NULL; /* ownership moves to the keyring */
	}
	kr->ntenants = ntenants;
	qsort(kr->tenants, kr->ntenants, sizeof(*kr->tenants), cmp_tenant_id);
	for (size_t i = 0; i < kr->ntenants; i++)
		if (kr->tenants[i].t->issuer)
			kr->by_issuer[kr->nissuers++] = &kr->tenants[i];
	qsort(kr->by_issuer, kr->nissuers, sizeof(*kr->by_issuer), cmp_issuer);

	if (nkeys)
		qsort(keys, nkeys, sizeof(*keys), cmp_key);
	for (size_t i = 0; i < nkeys; i++) {
		struct kr_tenant *kt = find_tenant(kr, keys[i]->tenant);

		if (kt)
			add_key(kt, &keys[i]);
	}
	for (size_t i = 0; i < kr->ntenants; i++)
		find_signing_key(&kr->tenants[i]);
}

void
keyring_load(struct keyring *kr, uint64_t generation, struct tg_tenant **tenants_owned,
	     size_t ntenants, struct tg_key_record **keys_owned, size_t nkeys)
{
	clear(kr);
	build(kr, tenants_owned, ntenants, keys_owned, nkeys);
	kr->generation = generation;
	kr->is_loaded = true;
	tenant_list_free(tenants_owned, ntenants); /* what the keyring did not take */
	keyrec_list_free(keys_owned, nkeys);
}

bool
keyring_is_current(const struct keyring *kr, uint64_t generation)
{
	return kr->is_loaded && kr->generation == generation;
}

uint64_t
keyring_generation(const struct keyring *kr)
{
	return kr->generation;
}

const struct tg_tenant *
keyring_tenant(const struct keyring *kr, const char *id)
{
	const struct kr_tenant *kt = find_tenant(kr, id);

	return kt ? kt->t : NULL;
}

const struct tg_tenant *
keyring_tenant_by_issuer(const struct keyring *kr, const char *iss)
{
	struct kr_tenant *const *hit;

	if (!kr->nissuers)
		return NULL;
	hit = bsearch(iss, kr->by_issuer, kr->nissuers, sizeof(*kr->by_issuer),
		      cmp_issuer_with_tenant);
	return hit ? (*hit)->t : NULL;
}

void
keyring_keys(const struct keyring *kr, const char *tenant, const struct keyring_key **keys,
	     size_t *n)
{
	const struct kr_tenant *kt = find_tenant(kr, tenant);

	*keys = kt ? kt->keys : NULL;
	*n = kt ? kt->nkeys : 0;
}

const struct tg_key *
keyring_signing_key(const struct keyring *kr, const char *tenant)
{
	const struct kr_tenant *kt = find_tenant(kr, tenant);

	return kt && kt->signing ? keyring_key_parsed(kt->signing) : NULL;
}
