/*
 * Stored records for keys and API keys, and their JSON form. The key bytes
 * themselves stay in struct tg_secret and are parsed only by keys.c.
 */
#ifndef TG_KEYREC_H
#define TG_KEYREC_H

#include "base/alg.h"
#include "base/secret.h"

struct json_object;

enum tg_key_state { TG_KEY_ACTIVE = 0, TG_KEY_RETIRED = 1 };
enum tg_key_use { TG_KEY_USE_VERIFY = 0, TG_KEY_USE_SIGN = 1 }; /* SIGN: gateway signing key */

/* The longest source or certificate subject a key record holds. */
#define TG_KEYREC_STR_MAX 4096

struct tg_key_record {
	char *tenant;
	char *kid;
	enum tg_alg alg;
	enum tg_key_state state;
	enum tg_key_use use;
	int64_t created;
	struct tg_secret material; /* keys_export() form */
	char *source;              /* the JWKS it came from ("file", a jwks_uri); NULL: added by hand */
	char *cert_subject;        /* the X.509 certificate it came in (RFC 2253 form), or NULL */
	int64_t cert_not_after;    /* that certificate's notAfter (Unix time); 0 without one */
};

void keyrec_free(struct tg_key_record *r);
void keyrec_list_free(struct tg_key_record **v, size_t n);
const char *keyrec_state_name(enum tg_key_state s);
/* Without the material: for `key list --json`. */
struct json_object *keyrec_to_json_public(const struct tg_key_record *r);

#define TG_APIKEY_HASH_LEN TG_SECRET_HASH_LEN /* SHA-256 */

struct tg_apikey {
	char *tenant;
	char *id;        /* public identifier, safe to show and log */
	unsigned char hash[TG_APIKEY_HASH_LEN];
	int64_t created;
	bool revoked;
};

/*
 * What is stored of a presented API key: SHA-256 over the whole key string. The CLI that
 * creates keys and the API that checks them must hash identically, hence one function.
 */
enum tg_err apikey_hash(const void *key, size_t len, unsigned char out[TG_APIKEY_HASH_LEN]);
void apikey_free(struct tg_apikey *a);
void apikey_list_free(struct tg_apikey **v, size_t n);
struct json_object *apikey_to_json_public(const struct tg_apikey *a);

#endif
