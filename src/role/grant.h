/*
 * The grant: what a verified token decides whatever request carries it, as
 * the bytes the verified-token cache keeps per token (docs/architecture.md
 * "Memory"). Encoding reads the verified claims once; decoding trusts nothing
 * in the bytes. Never verifies a token nor looks at a request.
 */
#ifndef TG_GRANT_H
#define TG_GRANT_H

#include "jose/verify.h"
#include "model/tenant.h"

/* Bytes of a claim variable's value (SID, AMR, CLAIM_*): a longer one refuses the token. */
#define GRANT_VALUE_MAX 512
#define GRANT_NAME_MAX 64   /* bytes of a mapped claim's variable name, as tokengatectl allows */

#define GRANT_VAR_NAME_SIZE (sizeof("CLAIM_") + GRANT_NAME_MAX)

/*
 * The bytes: struct grant_head, then NUL-terminated strings: tenant, user,
 * sid ("" when none), refusal ("" when the tenant's rules are met), kid and
 * exp (sanitised, as their variables say them), head.namr amr values, then
 * head.nvars pairs of name and value for the variables after SUB TENANT EXP
 * KID, which are made from the strings before (an entry is then about 100
 * bytes for a token with no mapped claims).
 */
struct grant_head {
	int64_t exp;
	uint32_t namr;
	uint32_t nvars;
	bool is_gateway; /* signed by a gateway key: the session must be live */
	int64_t auth_time; /* the token's auth_time, whole seconds; 0 when it has none */
};

/* A token's amr as a grant keeps it: n NUL-terminated words, one after another. */
struct grant_amr {
	const char *words;
	size_t n;
};

/* A grant read from its bytes: every pointer borrows them. */
struct grant {
	struct grant_head head;
	const char *tenant, *user, *sid, *refusal, *kid, *exp;
	struct grant_amr amr;
	const char *vars; /* head.nvars name/value pairs */
};

/*
 * The grant of v, a verified token of tenant t: its tenant, user, session,
 * amr, auth_time, whether it meets the tenant's required claims (the refusal),
 * and its variables, sanitised, never cut. *data is malloc'd, *size bytes.
 * TG_ERR_REJECTED (claim_too_long, *verdict naming the claim) when a claim
 * variable's value would be longer than GRANT_VALUE_MAX: the app would see a
 * cut value, which two different claims can share.
 */
enum tg_err grant_encode(const struct tg_verified *v, const struct tg_tenant *t, char **data,
			 size_t *size, struct tg_verdict *verdict);
/*
 * grant_encode's claim_too_long check alone, on the claims the tenant maps in payload: lets
 * the API refuse claims when a session is created rather than issue tokens the authorizer
 * would refuse on every request.
 */
enum tg_err grant_check_mapped(const struct json_object *payload, const struct tg_tenant *t,
			       struct tg_verdict *verdict);

/* TG_ERR_INVALID when the bytes are not a whole grant (never for grant_encode's own). */
enum tg_err grant_decode(const void *data, size_t size, struct grant *g);

/* Whether every space-separated word of words is one of amr's. */
bool grant_has_amr(const struct grant_amr *amr, const char *words);

/*
 * Copies at most outsz - 1 bytes of in into out, NUL-terminated: control
 * characters (C0, DEL, C1) and bytes that are not valid UTF-8 become '?', and
 * a cut never splits a character. Returns the bytes written.
 */
size_t grant_sanitize(const char *in, size_t len, char *out, size_t outsz);

#endif
