/*
 * A tenant's first-party user (issue 14): the record, its versioned binary
 * encoding for the store, and the normalised email that identifies it within
 * its tenant. Pure rules: never touches the store or a clock, never holds a
 * password, only its Argon2id PHC string (model/password.h).
 */
#ifndef TG_USER_H
#define TG_USER_H

#include "base/secret.h"
#include "model/recovery.h"

struct json_object;

#define TG_EMAIL_MAX 254       /* RFC 5321 4.5.3.1.3: a path is 256 octets with its <> */
#define TG_EMAIL_LOCAL_MAX 64  /* RFC 5321 4.5.3.1.1 */
#define TG_EMAIL_DOMAIN_MAX 253 /* RFC 1035 2.3.4, as written without the root dot */
#define TG_USER_ID_BYTES 16    /* 128 random bits, base64url: 22 characters */
#define TG_USER_ID_LEN 22
#define TG_USER_HASH_MAX 512   /* a PHC string; ours are about 100 bytes */

struct tg_user {
	char *id;     /* generated (user_new_id), the session's user later */
	char *tenant;
	char *email;  /* normalised (user_email_normalize) */
	char *password_hash; /* Argon2id PHC string */
	bool is_disabled;
	int64_t created;
	int64_t updated;
	/*
	 * The second factor (record v2): the TOTP secret (empty: no TOTP; wiped by
	 * user_free, never in JSON), the time step of the last accepted code (-1:
	 * none; totp_is_replay), and the recovery set (n 0: none).
	 */
	struct tg_secret totp_secret;
	int64_t totp_last_step;
	struct recovery_set recovery;
};

/* Whether the user has a second factor (a TOTP secret). */
bool user_has_totp(const struct tg_user *u);

/*
 * The form an email is stored and compared in: trimmed of blanks, NFC, the
 * local part and the domain case-folded (Unicode full folding, so "Straße"
 * and "STRASSE" are one), then the shape checked: one '@', a non-empty local
 * part of at most TG_EMAIL_LOCAL_MAX bytes, a domain of dot-separated
 * non-empty labels, TG_EMAIL_MAX bytes in all, no control characters or
 * blanks inside. TG_ERR_INVALID with a sentence in why otherwise.
 */
enum tg_err user_email_normalize(const char *raw, char **out, struct tg_why *why);
/* A fresh random id (TG_USER_ID_LEN base64url characters); caller frees. */
enum tg_err user_new_id(char **out);

void user_free(struct tg_user *u);
void user_list_free(struct tg_user **v, size_t n);

/*
 * Record v1: u8 version=1, u8 flags (bit 0 disabled), i64 created (BE),
 * i64 updated (BE), u16 length (BE) + email, u16 length + password hash.
 * Record v2, the same with version=2, then: u8 length + TOTP secret (0, or
 * 16 to 64 bytes), i64 last used step (-1 none), u8 recovery codes n (0 to
 * RECOVERY_CODES_MAX), u32 used marks (none past n), n SHA-256 hashes.
 * A user with neither a secret nor a recovery set is written as v1 and a v2
 * without both is refused, so each record has one encoding. The id and tenant
 * are the record's key. The bytes may carry the TOTP secret: the caller
 * releases them with secret_free_buf(p, *n).
 */
unsigned char *user_encode(const struct tg_user *u, size_t *n);
/* false when p[0..n) is no record of a known version. */
bool user_decode(const char *tenant, const char *id, const unsigned char *p, size_t n,
		 struct tg_user **out);

/* The operator's view: id, email, disabled, created, updated; never the hash. */
struct json_object *user_to_json_public(const struct tg_user *u);

#endif
