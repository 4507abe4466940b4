/*
 * Setup shared by the tests of a keyring and what reads one: tenant and key
 * records held in memory and loaded into a keyring as a new generation, with
 * no database. Header-only, like store_fixture.h; asserts nothing itself.
 */
#ifndef TG_KEYRING_FIXTURE_H
#define TG_KEYRING_FIXTURE_H

#include "jose/keyring.h"

#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* Real OpenSSL-made keys (`openssl genpkey`), so a test pays no RSA generation. */
static const char kf_es256_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq7DGtg9nKDeTtOEi\n"
	"F02SkDBZuHCg9327z6QhnZ9rOrahRANCAASTOMv4sykH5e3JBQlS2CVHmWupdYPl\n"
	"chcmWNSUm/fKQDYzDzsrSmXCGTFbv0/azmoQ80+PY/ADDivh0MqAQm10\n"
	"-----END PRIVATE KEY-----\n";
static const char kf_rsa_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCckG+iXW20Yuym\n"
	"e7ov9JWKYM3RZu3ifjeEX16UmLfllOGjmBycAj/ZrlMsxsaFVYwxOqqLmgqkb8nm\n"
	"yadmYfYZ6ZLDa2/Tm18ckOqZgHHjcaMjC3Hvfm8o1qeonJG1yeQfZquccopbdnzX\n"
	"3e4KMLInhQ69DoUUigeqATUK4qP33Bq4smW95EIuI4niXREtKi1FSSzs0P6Nyo4I\n"
	"aFwt3ofjRkk6b43Z8G8itmHfoGYRgdSF9rYpytk0gvwJmsxMlgAsRXtC2/ERQp9k\n"
	"S39q5DC9R1kVPpB9Z73NS0pXXtGYnsrFjFG9lJAEbzmrYgI1ZgILmlfAZBKbf1kF\n"
	"O99gVSwVAgMBAAECggEAARQ5wLu2GtfSW7S0lsoFEdFoTw4k4OUPyuNsCnLMVFJk\n"
	"r7TyVYeVGxH0KXXWk8AALwKsKY7Ojfg7QvzsIMIsvlxOvPa2QZYWNLiG9WHePGa3\n"
	"F3G9FPJ2dP3tuorBslK0NhyGCED91R2Jmg9B1GN7htbdlXij0CgXX248swOBhR7G\n"
	"HGiqZ9utmYqYmoKrpz0V7t6rlY/PrC6LfjE1GJ5J26Zp9bvmzeIMB6uSzzxixj+N\n"
	"OlusIXcNMKJHUeap5guBzRNaNQlL9Mq66YIyhM51TcybZxy7cuP6U0OJ9ei4HVal\n"
	"rc96yPdxyZzXnDGBMlMWa+hZtcDO98dWWDCZ7XFYDQKBgQDbCTJlxc0vR3Pnx1lQ\n"
	"wiJrH+0sruRCkH+FCK6oGie9g6Fe9KaxIllkHmNWrOTJ6lL3tRgVM1h/e4LNYexd\n"
	"4TiUJ/sJzXTnii73c5TDHzwdEA5i2CdNvGcsFjBF/Ick5RWm3YAWbhzHGj9ir4Pa\n"
	"Kfe8iTXDKa28kq8FwJEyXQtQbwKBgQC2/FUHaxnWUbLDS/soMS1CE6LH/4rsvL6n\n"
	"2VqCG/9yjlg94nxrGnwTTRkl8gITMoXg1aY9UZi1uIvT3enebljJNPKelNtsGUwf\n"
	"9uLt+1/X1DFKSFmikPYORaK6/C5hSR1AXUiKaHcrID3iHEx1mkokEkw8fRoPa3N9\n"
	"quiUDJTFuwKBgQCv3yyWR0K/abIJMynmDFsyhModjLg/MmMR4KzM0WODagPSiMKn\n"
	"jBsWpsfAusZh0kKYHtKdg0LV6chXPP9bShHx9EA/2La7i1q22hliqtvLwi6q80Br\n"
	"zJFS9uX/7Apfd4nxF/1XBUcaH1sx1BgcvoHq4olGkVqtBWJ/TeXH+KmzBQKBgA2g\n"
	"HHTA9NuQmc8RCVKk1snkzGo4DRAzvb6h4KtvikXtc4SoKLuQ7UxCoWzB6IWlbXKg\n"
	"dhB60vQ1GbRdAd0eOl5BIw/L5crW12RJ7fvqi+h2VHVDjekdAjVt2gAyZwG3gAYa\n"
	"7BviS31amUEM+mSHaJ3m/uZCKn6bca4Z29eqWCmhAoGATMHbkGfSnELZNg9ej4iz\n"
	"l6MpJnOPXinCiFadnFvHsv594uUCIgnOOR+XDpzcWl60gOluI0f/qKNmEcKwJRWK\n"
	"dqOEyyU0cAK8LLvV8jcZRHgMFbbSMUyWJ0B2FFiEaMsShOdmZm4usj+oeH+x2MGG\n"
	"P8PWeRVguWNktl9x89b0Nlc=\n"
	"-----END PRIVATE KEY-----\n";

/* The records stand for the store's contents; kf_load hands copies to kr. */
struct keyring_fixture {
	struct keyring *kr;
	struct tg_tenant **tenants;
	size_t ntenants;
	struct tg_key_record **keys;
	size_t nkeys;
	uint64_t generation;
};

static inline void
kf_init(struct keyring_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->kr = keyring_new();
}

static inline void
kf_fini(struct keyring_fixture *f)
{
	keyring_free(f->kr);
	tenant_list_free(f->tenants, f->ntenants);
	keyrec_list_free(f->keys, f->nkeys);
	memset(f, 0, sizeof(*f));
}

/* Loads copies of the records as the next generation, as a store change and a sync would. */
static inline void
kf_load(struct keyring_fixture *f)
{
	struct tg_tenant **t = tg_xcalloc(f->ntenants + 1, sizeof(*t));
	struct tg_key_record **k = tg_xcalloc(f->nkeys + 1, sizeof(*k));

	for (size_t i = 0; i < f->ntenants; i++)
		t[i] = tenant_dup(f->tenants[i]);
	for (size_t i = 0; i < f->nkeys; i++) {
		const struct tg_key_record *r = f->keys[i];

		k[i] = tg_xcalloc(1, sizeof(*k[i]));
		*k[i] = *r;
		k[i]->tenant = tg_xstrdup(r->tenant);
		k[i]->kid = tg_xstrdup(r->kid);
		secret_set(&k[i]->material, r->material.p, r->material.len);
	}
	keyring_load(f->kr, ++f->generation, t, f->ntenants, k, f->nkeys);
}

/* The fixture's own record: changes to it count from the next kf_load. */
static inline struct tg_tenant *
kf_find_tenant(struct keyring_fixture *f, const char *id)
{
	for (size_t i = 0; i < f->ntenants; i++)
		if (strcmp(f->tenants[i]->id, id) == 0)
			return f->tenants[i];
	return NULL;
}

/* A new tenant (issuer may be NULL), returned for the test to set more of before kf_load. */
static inline struct tg_tenant *
kf_tenant(struct keyring_fixture *f, const char *id, const char *issuer)
{
	struct tg_tenant *t = tenant_new(id);

	t->issuer = issuer ? tg_xstrdup(issuer) : NULL;
	f->tenants = tg_xrealloc(f->tenants, (f->ntenants + 1) * sizeof(*f->tenants));
	f->tenants[f->ntenants++] = t;
	return t;
}

static inline struct tg_key_record *
kf_find_key(struct keyring_fixture *f, const char *tenant, const char *kid)
{
	for (size_t i = 0; i < f->nkeys; i++)
		if (strcmp(f->keys[i]->tenant, tenant) == 0 && strcmp(f->keys[i]->kid, kid) == 0)
			return f->keys[i];
	return NULL;
}

/* Takes rec_owned (mint_signing_key_new's, say). */
static inline void
kf_add_record(struct keyring_fixture *f, struct tg_key_record *rec_owned)
{
	f->keys = tg_xrealloc(f->keys, (f->nkeys + 1) * sizeof(*f->keys));
	f->keys[f->nkeys++] = rec_owned;
}

/* Removes the key records of tenant (every one when kid is NULL). */
static inline void
kf_remove_keys(struct keyring_fixture *f, const char *tenant, const char *kid)
{
	size_t kept = 0;

	for (size_t i = 0; i < f->nkeys; i++) {
		struct tg_key_record *r = f->keys[i];

		if (strcmp(r->tenant, tenant) == 0 && (!kid || strcmp(r->kid, kid) == 0))
			keyrec_free(r);
		else
			f->keys[kept++] = r;
	}
	f->nkeys = kept;
}

/* The tenant and its keys, as store_tenant_remove leaves it. */
static inline void
kf_remove_tenant(struct keyring_fixture *f, const char *id)
{
	size_t kept = 0;

	kf_remove_keys(f, id, NULL);
	for (size_t i = 0; i < f->ntenants; i++) {
		if (strcmp(f->tenants[i]->id, id) == 0)
			tenant_free(f->tenants[i]);
		else
			f->tenants[kept++] = f->tenants[i];
	}
	f->ntenants = kept;
}

/*
 * k's record, ACTIVE, under tenant: a verification key public-only, as
 * `tokengatectl key add` stores it; a signing key whole.
 */
static inline void
kf_key(struct keyring_fixture *f, const char *tenant, const struct tg_key *k,
       enum tg_key_use use, int64_t created)
{
	struct tg_key_record *r = tg_xcalloc(1, sizeof(*r));
	struct tg_key *pub = NULL;

	r->tenant = tg_xstrdup(tenant);
	r->kid = tg_xstrdup(k->kid);
	r->alg = k->alg;
	r->state = TG_KEY_ACTIVE;
	r->use = use;
	r->created = created;
	if (use == TG_KEY_USE_VERIFY && k->is_private && keys_public_half(k, &pub) != TG_OK)
		diag("cannot take the public half of key %s", k->kid);
	if (keys_export(pub ? pub : k, &r->material) != TG_OK)
		diag("cannot export key %s", k->kid);
	key_free(pub);
	kf_add_record(f, r);
}

/* A fresh key of alg under tenant; *out (may be NULL) gets the key itself, to sign with. */
static inline void
kf_new_key(struct keyring_fixture *f, const char *tenant, const char *kid, enum tg_alg alg,
	   enum tg_key_use use, int64_t created, struct tg_key **out)
{
	struct tg_key *k = NULL;

	if (keys_generate(kid, alg, &k) != TG_OK) {
		diag("cannot make key %s", kid);
		return;
	}
	kf_key(f, tenant, k, use, created);
	if (out)
		*out = k;
	else
		key_free(k);
}

/*
 * Three tenants, zed, a and m, each with issuer https://ID.example; m has
 * verification keys k2 (HS256), k1 (ES256) and k0 (HS256, retired) and
 * signing keys s-old (ES256, created 100) and s-new (EdDSA, 200), added out
 * of kid order. Not loaded.
 */
static inline void
kf_three_tenants(struct keyring_fixture *f)
{
	for (const char *const *id = (const char *const[]){ "zed", "a", "m", NULL }; *id; id++) {
		char *iss = tg_xasprintf("https://%s.example", *id);

		kf_tenant(f, *id, iss);
		free(iss);
	}
	kf_new_key(f, "m", "k2", TG_ALG_HS256, TG_KEY_USE_VERIFY, 1, NULL);
	kf_new_key(f, "m", "k1", TG_ALG_ES256, TG_KEY_USE_VERIFY, 1, NULL);
	kf_new_key(f, "m", "s-old", TG_ALG_ES256, TG_KEY_USE_SIGN, 100, NULL);
	kf_new_key(f, "m", "s-new", TG_ALG_EDDSA, TG_KEY_USE_SIGN, 200, NULL);
	kf_new_key(f, "m", "k0", TG_ALG_HS256, TG_KEY_USE_VERIFY, 1, NULL);
	kf_find_key(f, "m", "k0")->state = TG_KEY_RETIRED;
}

/* The fixed PEM key for alg (ES256, or an RSA alg: RS* or PS*) as kid; NULL and a diag otherwise. */
static inline struct tg_key *
kf_pem_key(const char *kid, enum tg_alg alg)
{
	const char *pem = alg == TG_ALG_ES256 ? kf_es256_pem : kf_rsa_pem;
	struct tg_key *k = NULL;
	struct tg_why why;

	if (keys_from_pem(kid, alg, pem, strlen(pem), &k, &why) != TG_OK)
		diag("cannot read the PEM key for %s: %s", alg_name(alg), why.text);
	return k;
}

#endif
