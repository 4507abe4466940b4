/*
 * `tokengatectl tenant ...`: adding, changing, listing, showing and removing
 * tenants. Every option value is checked here before the store sees it, and a
 * call either applies all of its options or none.
 */
#include "ctl/ctl.h"

#include "base/config.h"
#include "store/store.h"
#include "model/acr.h"
#include "model/password.h"
#include "model/session.h"
#include "model/tenant.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLICY_OPTIONS \
	"  --issuer ISS             tokens must carry this iss (unique across tenants)\n" \
	"  --audience AUD           tokens must carry this aud\n" \
	"  --max-lifetime S         longest token lifetime in seconds (1-86400, default 60)\n" \
	"  --leeway S               clock skew allowed in seconds (0-3600, default 5)\n" \
	"  --claims-namespace NS    member holding the custom claims (e.g. a URL)\n"

#define SET_OPTIONS \
	"  --no-issuer, --no-audience, --no-claims-namespace   clear that setting\n" \
	"  --map-claim PATH=NAME    pass claim PATH to the application as TOKENGATE_CLAIM_NAME\n" \
	"  --unmap-claim NAME       stop passing NAME\n" \
	"  --require-claim NAME[=VALUE]  refuse tokens without the claim (or that value)\n" \
	"  --drop-claim NAME        remove that requirement\n" \
	"  --allowed-origin URL     origin allowed for cookie-carried unsafe requests, logins and\n" \
	"                           their return_to (none listed: the request's own)\n" \
	"  --drop-origin URL        remove an allowed origin\n" \
	"  --signing-alg ALG        gateway tokens: HS256 (default), ES256, EdDSA or Ed25519\n" \
	"  --require-amr M          every token of the tenant must carry method M in amr (repeatable)\n" \
	"  --drop-amr M             remove that requirement\n" \
	"  --max-auth-age S         refuse tokens whose auth_time is older (0: no limit)\n" \
	"  --acr-map M=A[,M=A...]   the acr method M earns, weakest first (--no-acr-map clears)\n" \
	"  --require-typ TYP        developer-signed tokens must carry typ TYP, e.g. at+jwt\n" \
	"                           (--no-require-typ clears)\n" \
	"  --rate-limit-per-key N   API requests per second per key (0: configured default)\n" \
	"  --rate-limit-burst N     burst allowance for the rate limit (0: configured default)\n" \
	"  --refresh-reuse-grace S  seconds a just-used refresh token is answered again\n" \
	"                           (0-300; 0: off; \"default\": as refresh_reuse_grace says)\n" \
	"  --session-idle-timeout S API sessions end after S seconds without a refresh or a new\n" \
	"                           access token (0: none, the default; at most 7776000)\n" \
	"  --session-max-lifetime S API sessions end S seconds after issuance at the latest,\n" \
	"                           whatever extends them (0: none, the default; max 7776000)\n" \
	"                           Both apply to sessions issued from then on.\n" \
	"  --max-sub-length N       longest sub in bytes (1-4096, default 256); longer is refused\n" \
	"  --jwks-uri URL           the provider's key set (https only), fetched by `jwks sync`\n" \
	"                           and on unknown kids (--no-jwks-uri clears)\n" \
	"  --jwks-ca-file FILE      trust only these CAs (PEM) for --jwks-uri instead of the\n" \
	"                           system's (--no-jwks-ca-file clears)\n" \
	"  --jwks-alg ALG           the alg of --jwks-uri's keys that carry none, e.g. RS256\n" \
	"                           for Entra ID (--no-jwks-alg clears: such keys are skipped)\n" \
	"  --password-memory-kib N  Argon2id memory of users' passwords (19456-1048576 KiB;\n" \
	"                           \"default\": 19456, OWASP's floor)\n" \
	"  --password-iterations N  Argon2id passes (2-20; \"default\": 2); a user's hash below\n" \
	"                           either is re-hashed at the next login\n" \
	"  --login-title TEXT       the login page's heading and title (1-120 bytes, one line;\n" \
	"                           --no-login-title clears)\n" \
	"  --login-stylesheet PATH-OR-URL  a stylesheet the login page loads after its own: a\n" \
	"                           path on the site (/css/login.css) or an https:// URL\n" \
	"                           (--no-login-stylesheet clears)\n" \
	"The list options repeat and accumulate across calls.\n"

static const char usage_tenant[] =
	"usage: tokengatectl [--db DIR] tenant SUBCOMMAND ...\n"
	"\n"
	"  add TENANT [options]     create a tenant\n"
	"  set TENANT options       change a tenant\n"
	"  list [--json]            list tenants\n"
	"  show TENANT [--json]     show one tenant's settings\n"
	"  remove TENANT            remove a tenant with its keys and API keys\n";

static const char usage_add[] =
	"usage: tokengatectl [--db DIR] tenant add TENANT [options]\n"
	"\n"
	"TENANT is 1-64 characters of A-Z a-z 0-9 . _ - (not starting with . or -).\n"
	"\n" POLICY_OPTIONS
	"Every option of `tenant set` is accepted as well.\n";

static const char usage_set[] =
	"usage: tokengatectl [--db DIR] tenant set TENANT options\n"
	"\n" POLICY_OPTIONS SET_OPTIONS;

static const char usage_list[] =
	"usage: tokengatectl [--db DIR] tenant list [--json]\n";

static const char usage_show[] =
	"usage: tokengatectl [--db DIR] tenant show TENANT [--json]\n";

static const char usage_remove[] =
	"usage: tokengatectl [--db DIR] tenant remove TENANT\n"
	"\n"
	"Removes the tenant, its keys and its API keys.\n";

enum {
	OPT_ISSUER, OPT_AUDIENCE, OPT_MAX_LIFETIME, OPT_LEEWAY, OPT_CLAIMS_NS,
	OPT_NO_ISSUER, OPT_NO_AUDIENCE, OPT_NO_CLAIMS_NS,
	OPT_MAP_CLAIM, OPT_UNMAP_CLAIM, OPT_REQUIRE_CLAIM, OPT_DROP_CLAIM,
	OPT_ALLOWED_ORIGIN, OPT_DROP_ORIGIN, OPT_SIGNING_ALG, OPT_REQUIRE_AMR, OPT_DROP_AMR,
	OPT_RATE_PER_KEY, OPT_RATE_BURST, OPT_REUSE_GRACE, OPT_SESSION_IDLE, OPT_SESSION_MAX,
	OPT_MAX_SUB_LENGTH,
	OPT_MAX_AUTH_AGE, OPT_ACR_MAP, OPT_NO_ACR_MAP, OPT_REQUIRE_TYP, OPT_NO_REQUIRE_TYP,
	OPT_JWKS_URI, OPT_NO_JWKS_URI, OPT_JWKS_CA_FILE, OPT_NO_JWKS_CA_FILE, OPT_JWKS_ALG,
	OPT_NO_JWKS_ALG, OPT_PASSWORD_MEMORY, OPT_PASSWORD_ITERATIONS,
	OPT_LOGIN_TITLE, OPT_NO_LOGIN_TITLE, OPT_LOGIN_STYLESHEET, OPT_NO_LOGIN_STYLESHEET,
};

static const struct ctl_opt policy_opts[] = {
	{ "issuer", true, OPT_ISSUER },
	{ "audience", true, OPT_AUDIENCE },
	{ "max-lifetime", true, OPT_MAX_LIFETIME },
	{ "leeway", true, OPT_LEEWAY },
	{ "claims-namespace", true, OPT_CLAIMS_NS },
	{ "no-issuer", false, OPT_NO_ISSUER },
	{ "no-audience", false, OPT_NO_AUDIENCE },
	{ "no-claims-namespace", false, OPT_NO_CLAIMS_NS },
	{ "map-claim", true, OPT_MAP_CLAIM },
	{ "unmap-claim", true, OPT_UNMAP_CLAIM },
	{ "require-claim", true, OPT_REQUIRE_CLAIM },
	{ "drop-claim", true, OPT_DROP_CLAIM },
	{ "allowed-origin", true, OPT_ALLOWED_ORIGIN },
	{ "drop-origin", true, OPT_DROP_ORIGIN },
	{ "signing-alg", true, OPT_SIGNING_ALG },
	{ "require-amr", true, OPT_REQUIRE_AMR },
	{ "drop-amr", true, OPT_DROP_AMR },
	{ "rate-limit-per-key", true, OPT_RATE_PER_KEY },
	{ "rate-limit-burst", true, OPT_RATE_BURST },
	{ "refresh-reuse-grace", true, OPT_REUSE_GRACE },
	{ "session-idle-timeout", true, OPT_SESSION_IDLE },
	{ "session-max-lifetime", true, OPT_SESSION_MAX },
	{ "max-sub-length", true, OPT_MAX_SUB_LENGTH },
	{ "password-memory-kib", true, OPT_PASSWORD_MEMORY },
	{ "password-iterations", true, OPT_PASSWORD_ITERATIONS },
	{ "max-auth-age", true, OPT_MAX_AUTH_AGE },
	{ "acr-map", true, OPT_ACR_MAP },
	{ "no-acr-map", false, OPT_NO_ACR_MAP },
	{ "require-typ", true, OPT_REQUIRE_TYP },
	{ "no-require-typ", false, OPT_NO_REQUIRE_TYP },
	{ "jwks-uri", true, OPT_JWKS_URI },
	{ "no-jwks-uri", false, OPT_NO_JWKS_URI },
	{ "jwks-ca-file", true, OPT_JWKS_CA_FILE },
	{ "no-jwks-ca-file", false, OPT_NO_JWKS_CA_FILE },
	{ "jwks-alg", true, OPT_JWKS_ALG },
	{ "no-jwks-alg", false, OPT_NO_JWKS_ALG },
	{ "login-title", true, OPT_LOGIN_TITLE },
	{ "no-login-title", false, OPT_NO_LOGIN_TITLE },
	{ "login-stylesheet", true, OPT_LOGIN_STYLESHEET },
	{ "no-login-stylesheet", false, OPT_NO_LOGIN_STYLESHEET },
	{ NULL, false, 0 },
};

#define MAX_LIFETIME_LIMIT 86400
#define LEEWAY_LIMIT 3600
#define RATE_LIMIT 1000000
#define NAME_MAX_LEN 64

/* ---------------------------------------------------------------- value checks */

static bool
is_name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_';
}

/* NAME becomes part of an environment variable, TOKENGATE_CLAIM_<NAME>. */
static bool
is_env_name(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(s[i]))
			return false;
	return true;
}

/* A dotted claim path: no empty segment, no control characters. */
static bool
is_claim_path(const char *s, size_t len)
{
	bool is_segment_empty = true;

	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == '.') {
			if (is_segment_empty)
				return false;
			is_segment_empty = true;
		} else {
			is_segment_empty = false;
		}
	}
	return !is_segment_empty;
}

/* What browsers send in Origin (RFC 6454): scheme://host[:port], nothing after. */
static bool
is_origin(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	if (host[0] == '\0' || strlen(s) > 255)
		return false;
	for (const char *p = host; *p; p++)
		if (*p == '/' || *p == '?' || *p == '#' || *p == '@' || (unsigned char)*p <= ' ' ||
		    (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

static bool
is_amr_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* ---------------------------------------------------------------- list options */

/* Length of an entry's key: NAME in "PATH=NAME" (after the last '='), NAME in "NAME=VALUE". */
static const char *
map_name(const char *entry)
{
	const char *eq = strrchr(entry, '=');

	return eq ? eq + 1 : entry;
}

static size_t
require_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* Removes every entry matching; true when one was there. */
static bool
drop_map(struct tg_strlist *l, const char *name)
{
	bool was_there = false;

	for (size_t i = l->n; i > 0; i--) {
		if (strcmp(map_name(l->v[i - 1]), name) == 0) {
			strlist_remove(l, l->v[i - 1]);
			was_there = true;
		}
	}
	return was_there;
}

static bool
drop_require(struct tg_strlist *l, const char *name)
{
	bool was_there = false;
	size_t n = strlen(name);

	for (size_t i = l->n; i > 0; i--) {
		const char *e = l->v[i - 1];

		if (require_name_len(e) == n && strncmp(e, name, n) == 0) {
			strlist_remove(l, e);
			was_there = true;
		}
	}
	return was_there;
}

static int
map_claim(struct tg_tenant *t, const char *v, const char *usage)
{
	const char *eq = strrchr(v, '=');

	if (!eq || !is_claim_path(v, (size_t)(eq - v)) || !is_env_name(eq + 1, strlen(eq + 1)))
		return ctl_usage_error(usage,
				       "--map-claim wants PATH=NAME, PATH a dotted claim path and NAME "
				       "1-64 of A-Z a-z 0-9 _, not \"%s\"", v);
	/* Mapping a NAME again moves it to the new path rather than exporting it twice. */
	drop_map(&t->map_claims, eq + 1);
	strlist_add(&t->map_claims, v);
	return CTL_EXIT_OK;
}

static int
require_claim(struct tg_tenant *t, const char *v, const char *usage)
{
	size_t n = require_name_len(v);
	char *name;

	if (!is_claim_path(v, n))
		return ctl_usage_error(usage,
				       "--require-claim wants NAME or NAME=VALUE with NAME a dotted "
				       "claim path, not \"%s\"", v);
	name = tg_xstrndup(v, n);
	drop_require(&t->require_claims, name);
	free(name);
	strlist_add(&t->require_claims, v);
	return CTL_EXIT_OK;
}

/* The end of a --drop-* or --unmap-claim: fine when v was there, a rejection when it was not. */
static int
dropped(const struct tg_tenant *t, bool was_there, const char *what, const char *v)
{
	if (was_there)
		return CTL_EXIT_OK;
	return ctl_fail(CTL_EXIT_REJECTED, "tenant %s has no %s \"%s\" (see `tokengatectl tenant "
			"show %s`); nothing was changed", t->id, what, v, t->id);
}

/* Adds v to l if is_valid says so; otherwise a usage error: "WANTS, not \"v\"". */
static int
add_checked(struct tg_strlist *l, const char *v, bool (*is_valid)(const char *),
	    const char *usage, const char *wants)
{
	if (!is_valid(v))
		return ctl_usage_error(usage, "%s, not \"%s\"", wants, v);
	strlist_add(l, v);
	return CTL_EXIT_OK;
}

/* ---------------------------------------------------------------- applying options */

static int
set_text(char **dst, const char *opt, const char *v, const char *usage)
{
	if (v[0] == '\0')
		return ctl_usage_error(usage, "%s wants a non-empty value (use --no-%s to clear)",
				       opt, opt + 2);
	free(*dst);
	*dst = tg_xstrdup(v);
	return CTL_EXIT_OK;
}

static void
clear_text(char **dst)
{
	free(*dst);
	*dst = NULL;
}

static int
set_signing_alg(struct tg_tenant *t, const char *v, const char *usage)
{
	static const char *const allowed[] = { "HS256", "ES256", "EdDSA", "Ed25519", NULL };

	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(allowed[i], v) == 0) {
			free(t->signing_alg);
			t->signing_alg = tg_xstrdup(v);
			return CTL_EXIT_OK;
		}
	}
	return ctl_usage_error(usage, "--signing-alg must be HS256, ES256, EdDSA or Ed25519, "
			       "not \"%s\"", v);
}

/* The whole map at once: its order is its meaning (weakest first). */
static int
set_acr_map(struct tg_tenant *t, const char *v, const char *usage)
{
	struct tg_strlist map = { 0 };
	char *copy = tg_xstrdup(v), *save = NULL;
	int rc = CTL_EXIT_OK;

	for (char *e = strtok_r(copy, ",", &save); e && rc == CTL_EXIT_OK;
	     e = strtok_r(NULL, ",", &save)) {
		if (!acr_entry_is_valid(e) || strlist_contains(&map, e))
			rc = ctl_usage_error(usage, "--acr-map wants METHOD=ACR[,METHOD=ACR...], "
					     "METHOD an amr name and ACR 1-%d printable characters "
					     "without space, comma, quote or backslash, each once; "
					     "\"%s\" is not", TG_ACR_LEN_MAX, e);
		else
			strlist_add(&map, e);
	}
	if (rc == CTL_EXIT_OK && map.n == 0)
		rc = ctl_usage_error(usage, "--acr-map wants at least one METHOD=ACR (--no-acr-map "
				     "clears the map)");
	if (rc == CTL_EXIT_OK) {
		strlist_free(&t->acr_map);
		t->acr_map = map;
		map = (struct tg_strlist){ 0 };
	}
	strlist_free(&map);
	free(copy);
	return rc;
}

static int
apply_list_option(struct tg_tenant *t, int id, const char *v, const char *usage)
{
	switch (id) {
	case OPT_MAP_CLAIM:
		return map_claim(t, v, usage);
	case OPT_UNMAP_CLAIM:
		return dropped(t, drop_map(&t->map_claims, v), "mapped claim", v);
	case OPT_REQUIRE_CLAIM:
		return require_claim(t, v, usage);
	case OPT_DROP_CLAIM:
		return dropped(t, drop_require(&t->require_claims, v), "required claim", v);
	case OPT_ALLOWED_ORIGIN:
		return add_checked(&t->allowed_origins, v, is_origin, usage,
				   "--allowed-origin wants scheme://host[:port] with no path, as "
				   "browsers send it");
	case OPT_DROP_ORIGIN:
		return dropped(t, strlist_remove(&t->allowed_origins, v), "allowed origin", v);
	case OPT_REQUIRE_AMR:
		return add_checked(&t->require_amr, v, is_amr_value, usage,
				   "--require-amr wants a method name such as otp or pwd "
				   "(A-Z a-z 0-9 _ -)");
	case OPT_DROP_AMR:
		return dropped(t, strlist_remove(&t->require_amr, v), "required amr", v);
	case OPT_ACR_MAP:
		return set_acr_map(t, v, usage);
	case OPT_NO_ACR_MAP:
		strlist_free(&t->acr_map);
		return CTL_EXIT_OK;
	}
	return ctl_fail(CTL_EXIT_USAGE, "internal error: unhandled option %d", id);
}

/* The login page's theme (model/tenant.h says what each may hold); the rest goes on to the lists. */
static int
apply_login_option(struct tg_tenant *t, const struct ctl_optval *o, const char *usage)
{
	const char *v = o->value;

	switch (o->id) {
	case OPT_LOGIN_TITLE:
		if (!tenant_login_title_is_valid(v))
			return ctl_usage_error(usage, "--login-title wants 1-%d bytes of UTF-8 on one "
					       "line without control characters", TG_LOGIN_TITLE_MAX);
		return set_text(&t->login_title, "--login-title", v, usage);
	case OPT_NO_LOGIN_TITLE:
		clear_text(&t->login_title);
		return CTL_EXIT_OK;
	case OPT_LOGIN_STYLESHEET:
		if (!tenant_login_stylesheet_is_valid(v))
			return ctl_usage_error(usage, "--login-stylesheet wants a path on the site "
					       "(/css/login.css) or an https:// URL of at most %d "
					       "bytes without spaces, quotes, <, >, \\, ; or ',', not "
					       "\"%s\"", TG_LOGIN_STYLESHEET_MAX, v);
		return set_text(&t->login_stylesheet, "--login-stylesheet", v, usage);
	case OPT_NO_LOGIN_STYLESHEET:
		clear_text(&t->login_stylesheet);
		return CTL_EXIT_OK;
	}
	return apply_list_option(t, o->id, v, usage);
}

static int
apply_option(struct tg_tenant *t, const struct ctl_optval *o, const char *usage)
{
	const char *v = o->value;

	switch (o->id) {
	case OPT_ISSUER:
		return set_text(&t->issuer, "--issuer", v, usage);
	case OPT_AUDIENCE:
		return set_text(&t->audience, "--audience", v, usage);
	case OPT_CLAIMS_NS:
		return set_text(&t->claims_ns, "--claims-namespace", v, usage);
	case OPT_NO_ISSUER:
		clear_text(&t->issuer);
		return CTL_EXIT_OK;
	case OPT_NO_AUDIENCE:
		clear_text(&t->audience);
		return CTL_EXIT_OK;
	case OPT_NO_CLAIMS_NS:
		clear_text(&t->claims_ns);
		return CTL_EXIT_OK;
	case OPT_MAX_LIFETIME:
		return ctl_number(usage, "--max-lifetime", v, 1, MAX_LIFETIME_LIMIT,
				  &t->max_lifetime);
	case OPT_LEEWAY:
		return ctl_number(usage, "--leeway", v, 0, LEEWAY_LIMIT, &t->leeway);
	case OPT_RATE_PER_KEY:
		return ctl_number(usage, "--rate-limit-per-key", v, 0, RATE_LIMIT,
				  &t->rate_limit_per_key);
	case OPT_RATE_BURST:
		return ctl_number(usage, "--rate-limit-burst", v, 0, RATE_LIMIT,
				  &t->rate_limit_burst);
	case OPT_SESSION_IDLE:
		return ctl_number(usage, "--session-idle-timeout", v, 0, TG_MAX_SESSION_TTL,
				  &t->session_idle_timeout);
	case OPT_SESSION_MAX:
		return ctl_number(usage, "--session-max-lifetime", v, 0, TG_MAX_SESSION_TTL,
				  &t->session_max_lifetime);
	case OPT_MAX_SUB_LENGTH:
		return ctl_number(usage, "--max-sub-length", v, 1, TG_MAX_SUB_LENGTH_LIMIT,
				  &t->max_sub_length);
	case OPT_SIGNING_ALG:
		return set_signing_alg(t, v, usage);
	case OPT_PASSWORD_MEMORY:
		t->password_memory_kib = 0; /* "default": OWASP's floor */
		return strcmp(v, "default") == 0 ? CTL_EXIT_OK :
		       ctl_number(usage, "--password-memory-kib", v, TG_PASSWORD_MEMORY_KIB,
				  TG_PASSWORD_MEMORY_MAX_KIB, &t->password_memory_kib);
	case OPT_PASSWORD_ITERATIONS:
		t->password_iterations = 0;
		return strcmp(v, "default") == 0 ? CTL_EXIT_OK :
		       ctl_number(usage, "--password-iterations", v, TG_PASSWORD_ITERATIONS,
				  TG_PASSWORD_ITERATIONS_MAX, &t->password_iterations);
	case OPT_REUSE_GRACE:
		t->refresh_reuse_grace = -1; /* "default": the configuration's */
		return strcmp(v, "default") == 0 ? CTL_EXIT_OK :
		       ctl_number(usage, "--refresh-reuse-grace", v, 0, TG_REFRESH_REUSE_GRACE_MAX,
				  &t->refresh_reuse_grace);
	case OPT_MAX_AUTH_AGE:
		return ctl_number(usage, "--max-auth-age", v, 0, TG_MAX_SESSION_TTL,
				  &t->max_auth_age);
	case OPT_REQUIRE_TYP:
		if (!tenant_typ_is_valid(v))
			return ctl_usage_error(usage, "--require-typ wants a media type such as at+jwt "
					       "or application/at+jwt, not \"%s\"", v);
		return set_text(&t->require_typ, "--require-typ", v, usage);
	case OPT_NO_REQUIRE_TYP:
		clear_text(&t->require_typ);
		return CTL_EXIT_OK;
	case OPT_JWKS_URI:
		return ctl_jwks_set_uri(&t->jwks_uri, v, usage);
	case OPT_NO_JWKS_URI:
		clear_text(&t->jwks_uri);
		return CTL_EXIT_OK;
	case OPT_JWKS_CA_FILE:
		return ctl_jwks_set_ca_file(&t->jwks_ca_file, v, usage);
	case OPT_NO_JWKS_CA_FILE:
		clear_text(&t->jwks_ca_file);
		return CTL_EXIT_OK;
	case OPT_JWKS_ALG:
		if (ctl_alg(usage, v, &(enum tg_alg){ 0 }) != CTL_EXIT_OK)
			return CTL_EXIT_USAGE;
		return set_text(&t->jwks_alg, "--jwks-alg", v, usage);
	case OPT_NO_JWKS_ALG:
		clear_text(&t->jwks_alg);
		return CTL_EXIT_OK;
	}
	return apply_login_option(t, o, usage);
}

static int
apply_options(struct tg_tenant *t, const struct ctl_args *a, const char *usage)
{
	int rc = CTL_EXIT_OK;

	for (size_t i = 0; i < a->nopts && rc == CTL_EXIT_OK; i++)
		rc = apply_option(t, &a->opts[i], usage);
	return rc;
}

/* The store says only "exists"; tell the operator which of the two rules it was. */
static int
explain_exists(struct tg_store *s, const struct tg_tenant *t)
{
	char *owner = NULL;
	int rc;

	if (t->issuer && store_tenant_by_issuer(s, t->issuer, &owner) == TG_OK &&
	    strcmp(owner, t->id) != 0)
		rc = ctl_fail(CTL_EXIT_REJECTED,
			      "issuer \"%s\" already belongs to tenant %s; an issuer names exactly "
			      "one tenant", t->issuer, owner);
	else
		rc = ctl_fail(CTL_EXIT_REJECTED,
			      "tenant %s already exists (change it with `tokengatectl tenant set %s`)",
			      t->id, t->id);
	free(owner);
	return rc;
}

/* ---------------------------------------------------------------- subcommands */

/* How `tenant add` and `tenant set` differ; the rest of the two is one function. */
struct tenant_save {
	const char *usage;
	bool is_new;
	const char *verb; /* "add", as in "cannot add tenant T" */
	const char *done; /* "added", as in "tenant T added" */
	enum tg_err (*apply)(struct tg_store *s, const struct tg_tenant *t);
};

static const struct tenant_save add = { usage_add, true, "add", "added", store_tenant_add };
static const struct tenant_save update = { usage_set, false, "update", "updated",
					   store_tenant_update };

/*
 * The tenant with the options applied: a new one's options are checked before
 * the store opens, an existing one's after it is read. *t is the caller's to
 * free once set, even when a later step fails.
 */
static int
tenant_to_save(struct ctl *c, const struct ctl_args *a, const struct tenant_save *how,
	       struct tg_store **s, struct tg_tenant **t)
{
	int rc;

	if (!how->is_new) {
		if (a->nopts == 0)
			return ctl_usage_error(how->usage,
					       "tenant set needs at least one option to change");
		rc = ctl_open_tenant(c, a->pos[0], s, t);
		return rc == CTL_EXIT_OK ? apply_options(*t, a, how->usage) : rc;
	}
	if (!tenant_id_is_valid(a->pos[0]))
		return ctl_usage_error(how->usage, "\"%s\" is not a valid tenant id", a->pos[0]);
	*t = tenant_new(a->pos[0]);
	(*t)->created = (int64_t)time(NULL);
	rc = apply_options(*t, a, how->usage);
	return rc == CTL_EXIT_OK ? ctl_store(c, s) : rc;
}

static int
save(struct ctl *c, int argc, char **argv, const struct tenant_save *how)
{
	struct ctl_args a = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_store *s;
	enum tg_err err;
	int rc;

	rc = ctl_parse(c, argc, argv, policy_opts, 1, how->usage, &a);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = tenant_to_save(c, &a, how, &s, &t);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = how->apply(s, t);
	if (err == TG_ERR_EXISTS)
		rc = explain_exists(s, t);
	else if (err == TG_ERR_NOT_FOUND && !how->is_new)
		rc = ctl_tenant_not_found(t->id);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot %s tenant %s: %s", how->verb, t->id,
			      tg_err_str(err));
	else
		printf("tenant %s %s\n", t->id, how->done);
out:
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

static int
cmd_add(struct ctl *c, int argc, char **argv)
{
	return save(c, argc, argv, &add);
}

static int
cmd_set(struct ctl *c, int argc, char **argv)
{
	return save(c, argc, argv, &update);
}

static char *
join(const struct tg_strlist *l)
{
	char *s = tg_xstrdup(l->n ? "" : "-");

	for (size_t i = 0; i < l->n; i++) {
		char *longer = tg_xasprintf("%s%s%s", s, i ? ", " : "", l->v[i]);

		free(s);
		s = longer;
	}
	return s;
}

static void
show_text(const struct tg_tenant *t)
{
	struct ctl_table tab;
	char created[32], life[32], leeway[32], per_key[32], burst[32], grace[32], idle[32],
		max[32], sub_max[32], age[32], pw[64];
	struct tg_password_params params;
	char *maps = join(&t->map_claims), *reqs = join(&t->require_claims);
	char *origins = join(&t->allowed_origins), *amr = join(&t->require_amr);
	char *acr = join(&t->acr_map);

	ctl_format_time(t->created, created, sizeof(created));
	snprintf(life, sizeof(life), "%lld s", (long long)t->max_lifetime);
	snprintf(leeway, sizeof(leeway), "%lld s", (long long)t->leeway);
	snprintf(per_key, sizeof(per_key), "%lld", (long long)t->rate_limit_per_key);
	snprintf(burst, sizeof(burst), "%lld", (long long)t->rate_limit_burst);
	snprintf(grace, sizeof(grace), "%lld s", (long long)t->refresh_reuse_grace);
	snprintf(idle, sizeof(idle), "%lld s", (long long)t->session_idle_timeout);
	snprintf(max, sizeof(max), "%lld s", (long long)t->session_max_lifetime);
	snprintf(sub_max, sizeof(sub_max), "%lld bytes", (long long)t->max_sub_length);
	snprintf(age, sizeof(age), "%lld s", (long long)t->max_auth_age);
	password_params_of(t, &params);
	snprintf(pw, sizeof(pw), "argon2id m=%u KiB t=%u p=%u", params.memory_kib,
		 params.iterations, params.parallelism);
	ctl_table_init(&tab, 2);
	ctl_table_row(&tab, "tenant", t->id);
	ctl_table_row(&tab, "issuer", t->issuer);
	ctl_table_row(&tab, "audience", t->audience);
	ctl_table_row(&tab, "max lifetime", life);
	ctl_table_row(&tab, "leeway", leeway);
	ctl_table_row(&tab, "claims namespace", t->claims_ns);
	ctl_table_row(&tab, "mapped claims", maps);
	ctl_table_row(&tab, "required claims", reqs);
	ctl_table_row(&tab, "allowed origins", origins);
	ctl_table_row(&tab, "required amr", amr);
	ctl_table_row(&tab, "max auth age", t->max_auth_age ? age : "none");
	ctl_table_row(&tab, "acr map", acr);
	ctl_table_row(&tab, "required typ", t->require_typ);
	ctl_table_row(&tab, "signing alg", t->signing_alg ? t->signing_alg : "HS256 (default)");
	ctl_table_row(&tab, "rate limit per key", t->rate_limit_per_key ? per_key : "default");
	ctl_table_row(&tab, "rate limit burst", t->rate_limit_burst ? burst : "default");
	ctl_table_row(&tab, "refresh reuse grace", t->refresh_reuse_grace < 0 ? "default" : grace);
	ctl_table_row(&tab, "session idle timeout", t->session_idle_timeout ? idle : "none");
	ctl_table_row(&tab, "session max lifetime", t->session_max_lifetime ? max : "none");
	ctl_table_row(&tab, "max sub length", sub_max);
	ctl_table_row(&tab, "jwks uri", t->jwks_uri);
	ctl_table_row(&tab, "jwks ca file", t->jwks_ca_file ? t->jwks_ca_file :
		      t->jwks_uri ? "system CA store" : NULL);
	ctl_table_row(&tab, "jwks alg", t->jwks_alg);
	ctl_table_row(&tab, "password hash", pw);
	ctl_table_row(&tab, "login title", t->login_title);
	ctl_table_row(&tab, "login stylesheet", t->login_stylesheet);
	ctl_table_row(&tab, "created", created);
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
	free(maps);
	free(reqs);
	free(origins);
	free(amr);
	free(acr);
}

static int
cmd_show(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_store *s;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_json_opts, 1, usage_show, &a, &s, &t);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	if (ctl_has(&a, CTL_OPT_JSON)) {
		ctl_print_json(tenant_to_json(t));
	} else {
		show_text(t);
	}
out:
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

static enum tg_err
list_load(struct tg_store *s, const char *tenant, struct ctl_records *out)
{
	struct tg_tenant **v = NULL;
	enum tg_err err = store_tenant_list(s, &v, &out->n);

	(void)tenant;
	out->v = v;
	return err;
}

static struct json_object *
list_json(const struct ctl_records *r, size_t i)
{
	return tenant_to_json(((struct tg_tenant *const *)r->v)[i]);
}

static void
list_text(const char *tenant, const struct ctl_records *r)
{
	struct tg_tenant *const *v = r->v;
	struct ctl_table tab;

	(void)tenant;
	if (r->n == 0) {
		puts("no tenants (add one with `tokengatectl tenant add TENANT`)");
		return;
	}
	ctl_table_init(&tab, 5);
	ctl_table_row(&tab, "TENANT", "ISSUER", "AUDIENCE", "MAX_LIFETIME", "LEEWAY");
	for (size_t i = 0; i < r->n; i++) {
		char life[24], leeway[24];

		snprintf(life, sizeof(life), "%lld", (long long)v[i]->max_lifetime);
		snprintf(leeway, sizeof(leeway), "%lld", (long long)v[i]->leeway);
		ctl_table_row(&tab, v[i]->id, v[i]->issuer, v[i]->audience, life, leeway);
	}
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

static void
list_free(struct ctl_records *r)
{
	tenant_list_free(r->v, r->n);
}

static const struct ctl_list list = {
	.usage = usage_list,
	.what = "tenants",
	.is_per_tenant = false,
	.load = list_load,
	.to_json = list_json,
	.print_text = list_text,
	.free = list_free,
};

static int
cmd_remove(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_store *s;
	enum tg_err err;
	int rc;

	rc = ctl_begin_store_cmd(c, argc, argv, ctl_no_opts, 1, usage_remove, &a, &s);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = store_tenant_remove(s, a.pos[0]);
	if (err == TG_ERR_NOT_FOUND)
		rc = ctl_tenant_not_found(a.pos[0]);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot remove tenant %s: %s", a.pos[0],
			      tg_err_str(err));
	else
		printf("tenant %s removed with its keys and API keys\n", a.pos[0]);
out:
	ctl_args_fini(&a);
	return rc;
}

static const struct ctl_sub subs[] = {
	{ "add", .run = cmd_add },
	{ "set", .run = cmd_set },
	{ "list", .list = &list },
	{ "show", .run = cmd_show },
	{ "remove", .run = cmd_remove },
	{ .name = NULL },
};

const struct ctl_group ctl_tenant_group = { usage_tenant, subs };
