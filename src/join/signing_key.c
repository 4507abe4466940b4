/*
 * A new gateway signing key, ordered after the tenant's stored ones and
 * added to the store. Key generation and the ordering rule are jose/mint.c's;
 * this file only reads and writes the store around them.
 */
#include "join/signing_key.h"

#include "jose/mint.h"
#include "store/store.h"

enum tg_err
signing_key_rotate(struct tg_store *s, const struct tg_tenant *t, int64_t now,
		   struct tg_key_record **out)
{
	struct tg_key_record *rec = NULL, **v = NULL;
	size_t n = 0;
	enum tg_err rc;

	/* Made first, so an unsupported alg is refused before the store is read. */
	rc = mint_signing_key_new(t, now, &rec);
	if (rc == TG_OK)
		rc = store_key_list(s, t->id, &v, &n);
	if (rc != TG_OK)
		goto out;
	rec->created = mint_signing_key_created(v, n, now);
	rc = store_key_add(s, rec);
	if (rc != TG_OK)
		goto out;
	if (out) {
		*out = rec; /* ownership moves to the caller */
		rec = NULL;
	}
out:
	keyrec_list_free(v, n);
	keyrec_free(rec);
	return rc;
}
