/*
 * Key and API-key records and their public JSON form. The public form is what
 * operators and the API see, so it never carries key material or an API key's
 * hash; material is released only through secret_free.
 */
#include "model/keyrec.h"

#include <json.h>
#include <stdlib.h>

void
keyrec_free(struct tg_key_record *r)
{
	if (!r)
		return;
	free(r->tenant);
	free(r->kid);
	secret_free(&r->material);
	free(r->source);
	free(r->cert_subject);
	free(r);
}

void
keyrec_list_free(struct tg_key_record **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		keyrec_free(v[i]);
	free(v);
}

const char *
keyrec_state_name(enum tg_key_state s)
{
	switch (s) {
	case TG_KEY_ACTIVE: return "active";
	case TG_KEY_RETIRED: return "retired";
	}
	return "unknown";
}

static const char *
use_name(enum tg_key_use u)
{
	switch (u) {
	case TG_KEY_USE_VERIFY: return "verify";
	case TG_KEY_USE_SIGN: return "sign";
	}
	return "unknown";
}

struct json_object *
keyrec_to_json_public(const struct tg_key_record *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_string(r->tenant));
	json_object_object_add(o, "kid", json_object_new_string(r->kid));
	json_object_object_add(o, "alg", json_object_new_string(alg_name(r->alg)));
	json_object_object_add(o, "state", json_object_new_string(keyrec_state_name(r->state)));
	json_object_object_add(o, "use", json_object_new_string(use_name(r->use)));
	json_object_object_add(o, "created", json_object_new_int64(r->created));
	if (r->source)
		json_object_object_add(o, "source", json_object_new_string(r->source));
	if (r->cert_subject) {
		json_object_object_add(o, "cert_subject", json_object_new_string(r->cert_subject));
		json_object_object_add(o, "cert_not_after", json_object_new_int64(r->cert_not_after));
	}
	return o;
}

void
apikey_free(struct tg_apikey *a)
{
	if (!a)
		return;
	free(a->tenant);
	free(a->id);
	free(a);
}

void
apikey_list_free(struct tg_apikey **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		apikey_free(v[i]);
	free(v);
}

struct json_object *
apikey_to_json_public(const struct tg_apikey *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_string(a->tenant));
	json_object_object_add(o, "id", json_object_new_string(a->id));
	json_object_object_add(o, "created", json_object_new_int64(a->created));
	json_object_object_add(o, "revoked", json_object_new_boolean(a->revoked));
	return o;
}

enum tg_err
apikey_hash(const void *key, size_t len, unsigned char out[TG_APIKEY_HASH_LEN])
{
	return secret_hash(key, len, out);
}
