/*
 * Rotating a tenant's gateway signing key into the store: the key is made by
 * jose/mint.c's pure functions, stored here. Never logs or returns key bytes
 * other than in the record handed to the caller.
 */
#ifndef TG_SIGNING_KEY_H
#define TG_SIGNING_KEY_H

#include "model/keyrec.h"
#include "model/tenant.h"

struct tg_store;

/*
 * A fresh signing key record for tenant in its signing_alg (use SIGN, state
 * ACTIVE, kid "gw-" + 16 random hex digits), created strictly after the
 * tenant's stored signing keys, added to the store. *out (may be NULL)
 * receives the stored record. TG_ERR_UNSUPPORTED for a signing_alg the
 * gateway does not sign with, TG_ERR_NOT_FOUND for a tenant not stored.
 */
enum tg_err signing_key_rotate(struct tg_store *s, const struct tg_tenant *t, int64_t now,
			       struct tg_key_record **out);

#endif
