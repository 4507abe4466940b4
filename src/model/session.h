/*
 * Gateway sessions: the record a backend's POST /v1/sessions creates, its
 * lifecycle rules as pure functions of record and time, its JSON view, and the
 * session ids and refresh tokens (stored only as SHA-256; successors keyed). No I/O.
 */
#ifndef TG_SESSION_H
#define TG_SESSION_H

#include "base/secret.h"

struct json_object;

#define TG_SESSION_ID_LEN 22      /* 128 random bits, base64url without padding */
#define TG_REFRESH_TOKEN_LEN 43   /* 256 random bits, base64url without padding */
#define TG_REFRESH_HASH_LEN TG_SECRET_HASH_LEN /* SHA-256 */
#define TG_SESSION_USER_MAX 256   /* bytes of a user id */
#define TG_AMR_MAX 16             /* methods in a session's amr */
#define TG_AMR_LEN_MAX 32         /* bytes of one method name */
#define TG_DEFAULT_SESSION_TTL 86400
#define TG_MAX_SESSION_TTL (90 * 86400)

struct tg_session {
	char *id;
	char *tenant;
	char *user;
	int64_t created;
	int64_t expires;        /* the session and its refresh tokens end here */
	int64_t ttl;            /* session_ttl asked at issuance: a step-up moves expires to now + ttl */
	int64_t last_refreshed; /* 0: never */
	int64_t revoked;        /* 0: live; otherwise when it was ended */
	/* The tenant's session limits as they were at issuance (0: none; OWASP ASVS 5.0 V7.3): */
	int64_t idle_timeout;     /* a token handed out moves idle_expires to now + this */
	int64_t idle_expires;     /* the session ends here unless a token is handed out before */
	int64_t absolute_expires; /* created + session_max_lifetime: expires never passes it */
	int64_t auth_time;      /* last active authentication: issuance, each step-up; 0 unknown */
	struct tg_strlist amr;  /* in the order the methods were added */
	char *bind_ip;          /* NULL: a refresh may come from any address */
	struct json_object *claims; /* custom claims given at issuance (an object), NULL: none */
};

void session_free(struct tg_session *s);
void session_list_free(struct tg_session **v, size_t n);
struct tg_session *session_dup(const struct tg_session *s);

/* The session's end unless revoked before: the earlier of expires and idle_expires (when set). */
int64_t session_deadline(const struct tg_session *s);
/* Not revoked and now < session_deadline. */
bool session_is_live(const struct tg_session *s, int64_t now);

/*
 * The lifecycle rules, each a pure function of the record and the time:
 * - session_limit, at issuance (created and ttl set): the tenant's
 *   session_idle_timeout and session_max_lifetime (0: none) become the
 *   session's own, and expires is cut to the absolute deadline.
 * - session_touch: a token was handed out for the session at now (a refresh,
 *   an access token minted for it): the idle deadline moves to now +
 *   idle_timeout, never earlier (a slower concurrent request cannot pull it back).
 * - session_step_up: expires moves to at least now + ttl, never past
 *   absolute_expires, and the step-up's token is activity (session_touch).
 */
void session_limit(struct tg_session *s, int64_t idle_timeout, int64_t max_lifetime);
void session_touch(struct tg_session *s, int64_t now);
void session_step_up(struct tg_session *s, int64_t now);

/*
 * The API and `session show --json` view: session_id, tenant, user_id,
 * created, expires, idle_expires_at and absolute_expires_at (null when
 * none), last_refreshed (null when never), auth_time, amr, bind_ip (null),
 * revoked (bool), revoked_at (null), active (live at now). Never the claims'
 * secrets: claims are shown as given, they are the tenant's own data.
 */
struct json_object *session_to_json(const struct tg_session *s, int64_t now);

/*
 * Stored form (the store keeps it opaque): the full record as JSON text,
 * malloc'd, in form TG_SESSION_FORM. Form 1 had no idle_timeout, idle_expires
 * and absolute_expires (a session without limits); decoding takes the form
 * the record was written in and refuses any other member set. A record
 * without auth_time (older, or 0) reads back with auth_time = created.
 */
#define TG_SESSION_FORM 2
char *session_encode(const struct tg_session *s, size_t *len);
enum tg_err session_decode(const char *p, size_t len, int form, struct tg_session **out);

/* A fresh random session id, NUL-terminated. */
enum tg_err session_id_new(char out[TG_SESSION_ID_LEN + 1]);
/* A fresh random refresh token, NUL-terminated, and the hash that is stored of it. */
enum tg_err refresh_token_new(char out[TG_REFRESH_TOKEN_LEN + 1],
			      unsigned char hash[TG_REFRESH_HASH_LEN]);
/* SHA-256 of a presented refresh token (any length: a wrong one simply finds nothing). */
enum tg_err refresh_token_hash(const char *tok, size_t len, unsigned char hash[TG_REFRESH_HASH_LEN]);
/*
 * The refresh token that replaces tok, NUL-terminated, and its hash: HMAC-SHA-256
 * of tok under key (the store's refresh key), base64url. The same tok always has the
 * same successor, so a repeated refresh can be answered again without the
 * successor ever being stored.
 */
enum tg_err refresh_token_successor(const struct tg_secret *key, const char *tok, size_t len,
				    char out[TG_REFRESH_TOKEN_LEN + 1],
				    unsigned char hash[TG_REFRESH_HASH_LEN]);
/*
 * Whether a refresh token used (rotated) at used_at, presented again at now, is
 * within grace seconds of that rotation: now < used_at + grace. 0 (grace or
 * used_at, a token used before grace was recorded) is never.
 */
bool refresh_reuse_is_graced(int64_t used_at, int64_t grace, int64_t now);

/* The characters of an amr method name (RFC 8176 names fit). */
#define TG_AMR_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

/* An amr method name: 1..TG_AMR_LEN_MAX of TG_AMR_CHARS. */
bool session_amr_is_valid(const char *method);

#endif
