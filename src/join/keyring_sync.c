/*
 * A keyring loaded from the store's snapshot when the store's generation
 * moves, so per-request work is one generation read. Owns no records past
 * the call (the keyring takes them); never touches a key's material.
 */
#include "join/keyring_sync.h"

#include "base/log.h"
#include "store/store.h"

enum tg_err
keyring_sync(struct keyring *kr, struct tg_store *s, bool *changed)
{
	struct tg_tenant **tenants = NULL;
	struct tg_key_record **keys = NULL;
	size_t ntenants = 0, nkeys = 0;
	uint64_t gen;
	enum tg_err rc;

	if (changed)
		*changed = false;
	rc = store_generation(s, &gen);
	if (rc != TG_OK || keyring_is_current(kr, gen))
		goto out;
	rc = store_snapshot(s, &gen, &tenants, &ntenants, &keys, &nkeys);
	if (rc != TG_OK)
		goto out;
	keyring_load(kr, gen, tenants, ntenants, keys, nkeys);
	tenants = NULL; /* the keyring owns them now */
	keys = NULL;
	if (changed)
		*changed = true;
out:
	tenant_list_free(tenants, ntenants);
	keyrec_list_free(keys, nkeys);
	return rc;
}

enum tg_err
keyring_refresh(struct keyring *kr, struct tg_store *s, const char *dir)
{
	enum tg_err rc = keyring_sync(kr, s, NULL);

	if (rc != TG_OK)
		TG_LOG(TG_LOG_ERR, "cannot read tenants and keys from %s: %s; refusing requests",
		       dir, tg_err_str(rc));
	return rc;
}
