/*
 * The claims policy (RFC 7519 section 4.1 plus the product's lifetime rule):
 * a pure function of the payload, the tenant's settings and the time.
 */
#ifndef TG_CLAIMS_H
#define TG_CLAIMS_H

#include "model/tenant.h"

struct json_object;

/*
 * sub: required non-empty string of at most the tenant's max_sub_length bytes
 * (sub_too_long). exp: required JSON number;
 * rejected when exp <= now - leeway, when exp > now + max_lifetime + leeway,
 * or (iat present) when exp - iat > max_lifetime. nbf/iat beyond now + leeway
 * are rejected, and so is an auth_time that is not a NumericDate between 0 and
 * now + leeway. iss must equal the tenant's issuer when set. aud (string or
 * array of strings) must contain the tenant's audience when set, and is
 * refused when the tenant has none (RFC 7519 4.1.3).
 */
enum tg_err claims_check(const struct json_object *payload, const struct tg_tenant *t, int64_t now,
			 struct tg_verdict *v);

/*
 * Finds a claim by name: registered claims and "scope" at top level, others
 * inside the tenant's namespace object when one is set, with dotted paths
 * descending into nested objects. Borrowed; NULL when absent.
 */
struct json_object *claims_lookup(const struct json_object *payload, const struct tg_tenant *t,
				  const char *path);

/* Registered claims and "scope" (and the gateway's sid/tid/amr/auth_time/acr) stay at top level. */
bool claims_is_top_level(const char *name);

/*
 * The tenant's require_claims, in order: "NAME" wants the claim present and
 * not null; "NAME=VALUE" wants it equal to VALUE (a number or boolean by its
 * JSON text, an array when one element is), except scope, whose VALUE is a
 * set of words the token's scope (a space-separated string or an array) must
 * all contain. TG_ERR_REJECTED (TG_R_MISSING_CLAIM) names the first not met.
 */
enum tg_err claims_require(const struct json_object *payload, const struct tg_tenant *t,
			   struct tg_verdict *v);

/*
 * Whether every space-separated word of words is in set, as contains says
 * (words of no letters: true). The word is not NUL-terminated: len bytes.
 */
bool claims_has_words(const char *words,
		      bool (*contains)(const void *set, const char *word, size_t len),
		      const void *set);

/* Whether every space-separated word of words is in scope, a space-separated string or an array. */
bool claims_scope_has(const struct json_object *scope, const char *words);

#endif
