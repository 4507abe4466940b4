/*
 * Passwords (issue 14): the NIST SP 800-63B acceptance rules, Argon2id hashing
 * into a PHC string, verification that also says when a stored hash is below
 * the tenant's current parameters, and the dummy verification that makes an
 * unknown user cost what a known one does. Never stores, logs or prints a
 * password; every copy of one is wiped.
 */
#ifndef TG_PASSWORD_H
#define TG_PASSWORD_H

#include "base/tokengate.h"

struct tg_blocklist;
struct tg_tenant;

/* OWASP Password Storage Cheat Sheet's Argon2id floor: 19 MiB, 2 passes, 1 lane. */
#define TG_PASSWORD_MEMORY_KIB 19456
#define TG_PASSWORD_ITERATIONS 2
#define TG_PASSWORD_PARALLELISM 1
/* What a tenant may raise them to: a login must still fit a worker's memory and a second. */
#define TG_PASSWORD_MEMORY_MAX_KIB 1048576
#define TG_PASSWORD_ITERATIONS_MAX 20
/* NIST SP 800-63B 3.1.1.2: at least 8 characters (code points), at least 64 allowed. */
#define TG_PASSWORD_MIN_CHARS 8
#define TG_PASSWORD_MAX_BYTES 1024

struct tg_password_params {
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
};

/* The tenant's current parameters: its password_* fields, 0 meaning the floor above. */
void password_params_of(const struct tg_tenant *t, struct tg_password_params *out);

/*
 * Whether p[0..n) may become a password: UTF-8, TG_PASSWORD_MIN_CHARS code
 * points to TG_PASSWORD_MAX_BYTES bytes, not on blocklist (NULL: none). No
 * composition rules (SP 800-63B). TG_ERR_INVALID with a sentence in why.
 */
enum tg_err password_check(const char *p, size_t n, const struct tg_blocklist *blocklist,
			   struct tg_why *why);

/*
 * "$argon2id$v=19$m=M,t=T,p=P$salt$hash" of p[0..n) in NFKC (SP 800-63B
 * 3.1.1.2: one password typed with two input methods is one), a 16-byte random salt and a 32-byte hash.
 * Caller frees *phc. Does not apply password_check.
 */
enum tg_err password_hash(const char *p, size_t n, const struct tg_password_params *params,
			  char **phc);

/*
 * Verifies p[0..n) against stored PHC string phc: *is_match, and
 * *needs_rehash when phc's memory or iterations are below current's (the
 * login then stores password_hash's new string). TG_ERR_INVALID when phc is
 * not an Argon2id v19 string within our limits. The comparison goes through
 * secret_equal.
 */
enum tg_err password_verify(const char *p, size_t n, const char *phc,
			    const struct tg_password_params *current, bool *is_match,
			    bool *needs_rehash);

/*
 * What password_verify costs at params, for a user that does not exist (or
 * any refusal that must look like a wrong password): the same parsing and
 * hashing against a fixed string. Never matches.
 */
enum tg_err password_verify_dummy(const char *p, size_t n, const struct tg_password_params *params);

#endif
