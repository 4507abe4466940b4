/*
 * The one validation every entry point calls (CLI, authorizer, API):
 * token + (optional tenant) -> verdict. Order after libjwt, signature before
 * claims: structure -> alg allowlist -> tenant -> kid -> key -> alg pin ->
 * signature -> type -> claims.
 */
#ifndef TG_VERIFY_H
#define TG_VERIFY_H

#include "jose/keyring.h"

struct json_object;

/* "iss" prefix of gateway-issued tokens for a tenant with no issuer of its own. */
#define TG_GATEWAY_ISS_PREFIX "tokengate:"

struct tg_verified {
	char *tenant;
	char *sub;
	char *kid;
	enum tg_alg alg;
	int64_t exp;
	bool is_gateway; /* signed by a gateway signing key: the token names a session (sid) */
	struct json_object *claims; /* owned: the whole payload */
	struct json_object *header; /* owned */
};

void verified_free(struct tg_verified *v);

/*
 * tenant NULL: the tenant is the one whose issuer equals the token's "iss".
 * A token is only ever checked against its tenant's keys. With a "kid" header
 * only that key is tried (unknown kid: unknown_key); without, every active key
 * of the tenant with the token's alg is tried.
 * TG_OK with *out, or TG_ERR_REJECTED with *verdict filled.
 */
enum tg_err verify_token(const struct keyring *kr, const char *tenant, const char *token, size_t len,
			 int64_t now, struct tg_verified **out, struct tg_verdict *verdict);

/*
 * For a token verify_token refused as unknown_key: the id of its tenant (as
 * verify_token resolves it) and the kid its header names, both malloc'd, so
 * the caller can ask for the tenant's new keys. TG_ERR_NOT_FOUND when the
 * token names no kid or no tenant; the token is not verified by this.
 */
enum tg_err verify_token_kid(const struct keyring *kr, const char *tenant, const char *token,
			     size_t len, char **tenant_out, char **kid_out);

#endif
