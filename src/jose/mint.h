/*
 * Gateway-issued access tokens: the claims a session's token carries, signed
 * with the tenant's gateway signing key, and the signing keys themselves
 * (generated on a tenant's first issuance or by `signing-key rotate`, in the
 * tenant's signing_alg). Never logs tokens or key bytes.
 */
#ifndef TG_MINT_H
#define TG_MINT_H

#include "jose/keys.h"
#include "model/keyrec.h"
#include "model/session.h"
#include "model/tenant.h"

struct json_object;

/* The tenant's signing_alg (NULL: HS256) as an algorithm. */
enum tg_alg mint_signing_alg(const struct tg_tenant *t);

/*
 * A fresh signing key record for tenant in its signing_alg (use SIGN, state
 * ACTIVE, kid "gw-" + 16 random hex digits, created = created); *out is the
 * caller's. TG_ERR_UNSUPPORTED when signing_alg is not one the gateway signs
 * with. Storing it is join/signing_key.c's.
 */
enum tg_err mint_signing_key_new(const struct tg_tenant *t, int64_t created,
				 struct tg_key_record **out);

/*
 * The "created" for a tenant's next signing key, given its keys: now, or one
 * past the newest signing key when that is not older than now.
 */
int64_t mint_signing_key_created(struct tg_key_record *const *keys, size_t n, int64_t now);

/*
 * The "iss" of the tenant's gateway tokens: its issuer when set, else
 * "tokengate:<tenant id>". Malloc'd.
 */
char *mint_issuer(const struct tg_tenant *t);

/*
 * Signs an access token for sess with key: iss (mint_issuer), sub, tid, sid,
 * iat = now, exp = min(now + lifetime, session_deadline(sess)), jti (random), amr,
 * auth_time (when known), acr (when the tenant's acr map rates a method), aud
 * when the tenant has an audience (its verification demands one), and
 * sess->claims under the tenant's claims namespace when set, else at top level
 * (a custom claim never replaces a registered one; "scope" and "azp" stay at
 * top level, where claims_lookup reads them), under typ at+jwt (RFC 9068).
 * *token is malloc'd, *exp_out the exp written. key must be a gateway signing key (is_gateway, as
 * keyring_signing_key gives) and sess one of t's sessions; lifetime must be
 * 1..t->max_lifetime, the verifier refusing longer tokens (callers cap
 * expires_in first): TG_ERR_INVALID otherwise. TG_ERR_REJECTED when sess is
 * not live at now, TG_ERR_TOO_LARGE when the token would exceed TG_JWS_MAX_LEN.
 */
enum tg_err mint_access_token(const struct tg_key *key, const struct tg_tenant *t,
			      const struct tg_session *sess, int64_t now, int64_t lifetime,
			      char **token, int64_t *exp_out);

#define TG_MINT_CLAIM_NAME_MAX 255 /* bytes of a custom claim's name */
#define TG_MINT_CLAIMS_MAX 4096    /* custom claims as compact JSON, so tokens fit TG_JWS_MAX_LEN */

/* The custom claims placed as a gateway token carries them (top level or under claims_ns). */
struct json_object *mint_custom_payload(const struct tg_tenant *t,
					const struct json_object *claims);

/*
 * Whether custom claims (an object; NULL: none) may be issued for t: every
 * name is 1..TG_MINT_CLAIM_NAME_MAX bytes, none at top level is a registered
 * or gateway claim (iss sub aud exp nbf iat jti tid sid amr auth_time acr),
 * and all of them fit TG_MINT_CLAIMS_MAX. TG_ERR_INVALID otherwise, and why gets a sentence
 * an operator can act on.
 */
enum tg_err mint_check_claims(const struct tg_tenant *t, const struct json_object *claims,
			      struct tg_why *why);

/* {"keys": [...]}: public JWKs of the tenant's active asymmetric signing keys (HS256: none). */
struct json_object *mint_jwks(const struct tg_key *const *keys, size_t n);

#endif
