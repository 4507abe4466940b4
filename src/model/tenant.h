/*
 * The tenant record: a customer team's verification policy and options, and
 * its JSON form for storage and for `tokengatectl ... --json`.
 */
#ifndef TG_TENANT_H
#define TG_TENANT_H

#include "base/tokengate.h"

struct json_object;

#define TG_TENANT_ID_MAX 64
#define TG_DEFAULT_MAX_LIFETIME 60
#define TG_DEFAULT_LEEWAY 5
#define TG_DEFAULT_MAX_SUB_LENGTH 256
#define TG_MAX_SUB_LENGTH_LIMIT 4096 /* what max_sub_length may be: half a token's 8192 bytes */

struct tg_tenant {
	char *id;
	char *issuer;       /* NULL: none set */
	char *audience;     /* NULL: tokens must carry no aud */
	int64_t max_lifetime;
	int64_t leeway;
	char *claims_ns;    /* NULL: custom claims at top level */
	struct tg_strlist map_claims;      /* "PATH=NAME" */
	struct tg_strlist require_claims;  /* "NAME" or "NAME=VALUE" */
	struct tg_strlist allowed_origins;
	struct tg_strlist require_amr;
	int64_t max_auth_age;        /* seconds since auth_time a token may be; 0: any (RFC 9470) */
	struct tg_strlist acr_map;   /* "AMR=ACR", weakest first (model/acr.h) */
	char *require_typ;           /* developer-signed tokens' typ; NULL: any (RFC 8725 3.11) */
	char *signing_alg;  /* gateway-issued tokens; NULL: HS256 */
	int64_t rate_limit_per_key; /* 0: configuration default */
	int64_t rate_limit_burst;
	int64_t session_idle_timeout; /* API sessions: 0: none; see model/session.h */
	int64_t session_max_lifetime; /* API sessions: 0: none */
	int64_t refresh_reuse_grace; /* seconds; -1: the configuration's; 0: off */
	int64_t max_sub_length; /* bytes of sub; a longer one is refused (sub_too_long), never cut */
	char *jwks_uri;     /* the provider's key set (https); NULL: keys are added by hand */
	char *jwks_ca_file; /* CAs trusted for jwks_uri; NULL: the system's CA store */
	char *jwks_alg;     /* alg of the set's keys that carry none (Entra ID's); NULL: skipped */
	/* Argon2id for the tenant's users (model/password.h); 0: OWASP's floor, 19456 KiB, 2 */
	int64_t password_memory_kib;
	int64_t password_iterations;
	/* The login page's theme (issue 14); NULL: the gateway's own title and stylesheet alone */
	char *login_title;
	char *login_stylesheet; /* a path on the site ("/...") or an https:// URL */
	int64_t created;
};

/* A media type for typ: 1..64 of A-Z a-z 0-9 ! # $ & ^ _ . + - and one optional '/'. */
bool tenant_typ_is_valid(const char *typ);

/* A jwks_uri as stored: "https://" and at most TG_JWKS_URI_MAX bytes (ctl checks it whole). */
#define TG_JWKS_URI_MAX 2048
bool tenant_jwks_uri_is_valid(const char *uri);

/*
 * A login page title: 1..TG_LOGIN_TITLE_MAX bytes of UTF-8, no control
 * character (a title is one line of a heading; the page escapes it).
 */
#define TG_LOGIN_TITLE_MAX 120
bool tenant_login_title_is_valid(const char *title);
/*
 * A login stylesheet: a path on the site ("/css/login.css", not "//...") or
 * "https://HOST/...", at most TG_LOGIN_STYLESHEET_MAX bytes of printable ASCII
 * without quotes, '<', '>', '\', ';' or ',' (it lands in an attribute and,
 * as an origin, in a Content-Security-Policy, whose separators those are).
 */
#define TG_LOGIN_STYLESHEET_MAX 1024
bool tenant_login_stylesheet_is_valid(const char *ref);

/* Valid ids: 1..TG_TENANT_ID_MAX of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool tenant_id_is_valid(const char *id);
struct tg_tenant *tenant_new(const char *id);
void tenant_free(struct tg_tenant *t);
struct tg_tenant *tenant_dup(const struct tg_tenant *t);
void tenant_list_free(struct tg_tenant **v, size_t n);

struct json_object *tenant_to_json(const struct tg_tenant *t);
enum tg_err tenant_from_json(const struct json_object *o, struct tg_tenant **out);

#endif
