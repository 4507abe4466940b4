/*
 * The tenant record and its JSON form. tenant_from_json is the one gate for
 * tenant settings coming from storage or an operator: it checks every member's
 * type and range and refuses unknown members, so a misspelt policy key is an
 * error rather than a silently weaker policy. Never touches the database.
 */
#include "model/tenant.h"

#include "base/alg.h"
#include "model/session.h"
#include "model/acr.h"
#include "model/password.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool
tenant_id_is_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;
	n = strlen(id);
	if (n == 0 || n > TG_TENANT_ID_MAX || id[0] == '.' || id[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool is_alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9');

		if (!is_alnum && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* RFC 6838 4.2 restricted-name characters. */
#define TYP_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-"

bool
tenant_typ_is_valid(const char *typ)
{
	size_t n = typ ? strlen(typ) : 0;
	const char *slash = typ ? strchr(typ, '/') : NULL;

	if (n == 0 || n > 64 || strspn(typ, TYP_CHARS "/") != n)
		return false;
	/* type/subtype: neither half empty, one '/' at most. */
	return !slash || (slash != typ && slash[1] && !strchr(slash + 1, '/'));
}

bool
tenant_jwks_uri_is_valid(const char *uri)
{
	size_t n = uri ? strlen(uri) : 0;

	/* The scheme compared as RFC 3986 3.1 says: case-insensitively. */
	return n > strlen("https://") && n <= TG_JWKS_URI_MAX &&
	       strncasecmp(uri, "https://", strlen("https://")) == 0;
}

bool
tenant_login_title_is_valid(const char *title)
{
	size_t n = title ? strlen(title) : 0, len;

	if (n == 0 || n > TG_LOGIN_TITLE_MAX)
		return false;
	for (size_t i = 0; i < n; i += len) {
		unsigned char ch = (unsigned char)title[i];

		len = tg_utf8_len((const unsigned char *)title + i, n - i);
		if (len == 0 || ch < 0x20 || ch == 0x7f)
			return false;
		/* C1 controls (U+0080..U+009F) are no text of a heading either. */
		if (len == 2 && ch == 0xc2 && (unsigned char)title[i + 1] < 0xa0)
			return false;
	}
	return true;
}

bool
tenant_login_stylesheet_is_valid(const char *ref)
{
	static const char https[] = "https://";
	size_t n = ref ? strlen(ref) : 0;
	const char *host;

	if (n == 0 || n > TG_LOGIN_STYLESHEET_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ref[i] <= ' ' || ref[i] >= 0x7f || strchr("\"'<>\\;,`", ref[i]))
			return false;
	/* "//host/x" is a URL of another site, not a path of this one. */
	if (ref[0] == '/')
		return ref[1] != '/';
	if (strncasecmp(ref, https, strlen(https)) != 0)
		return false;
	host = ref + strlen(https);
	return *host && *host != '/' && *host != '?' && *host != '#' && !strchr(host, '@');
}

struct tg_tenant *
tenant_new(const char *id)
{
	struct tg_tenant *t = tg_xcalloc(1, sizeof(*t));

	t->id = tg_xstrdup(id);
	t->max_lifetime = TG_DEFAULT_MAX_LIFETIME;
	t->leeway = TG_DEFAULT_LEEWAY;
	t->refresh_reuse_grace = -1;
	t->max_sub_length = TG_DEFAULT_MAX_SUB_LENGTH;
	return t;
}

void
tenant_free(struct tg_tenant *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->issuer);
	free(t->audience);
	free(t->claims_ns);
	free(t->signing_alg);
	strlist_free(&t->map_claims);
	strlist_free(&t->require_claims);
	strlist_free(&t->allowed_origins);
	strlist_free(&t->require_amr);
	strlist_free(&t->acr_map);
	free(t->require_typ);
	free(t->jwks_uri);
	free(t->jwks_ca_file);
	free(t->jwks_alg);
	free(t->login_title);
	free(t->login_stylesheet);
	free(t);
}

static char *
dup_or_null(const char *s)
{
	return s ? tg_xstrdup(s) : NULL;
}

struct tg_tenant *
tenant_dup(const struct tg_tenant *t)
{
	struct tg_tenant *d = tenant_new(t->id);

	d->issuer = dup_or_null(t->issuer);
	d->audience = dup_or_null(t->audience);
	d->max_lifetime = t->max_lifetime;
	d->leeway = t->leeway;
	d->claims_ns = dup_or_null(t->claims_ns);
	strlist_copy(&d->map_claims, &t->map_claims);
	strlist_copy(&d->require_claims, &t->require_claims);
	strlist_copy(&d->allowed_origins, &t->allowed_origins);
	strlist_copy(&d->require_amr, &t->require_amr);
	d->max_auth_age = t->max_auth_age;
	strlist_copy(&d->acr_map, &t->acr_map);
	d->require_typ = dup_or_null(t->require_typ);
	d->signing_alg = dup_or_null(t->signing_alg);
	d->rate_limit_per_key = t->rate_limit_per_key;
	d->rate_limit_burst = t->rate_limit_burst;
	d->session_idle_timeout = t->session_idle_timeout;
	d->session_max_lifetime = t->session_max_lifetime;
	d->refresh_reuse_grace = t->refresh_reuse_grace;
	d->max_sub_length = t->max_sub_length;
	d->password_memory_kib = t->password_memory_kib;
	d->password_iterations = t->password_iterations;
	d->jwks_uri = dup_or_null(t->jwks_uri);
	d->jwks_ca_file = dup_or_null(t->jwks_ca_file);
	d->jwks_alg = dup_or_null(t->jwks_alg);
	d->login_title = dup_or_null(t->login_title);
	d->login_stylesheet = dup_or_null(t->login_stylesheet);
	d->created = t->created;
	return d;
}

void
tenant_list_free(struct tg_tenant **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		tenant_free(v[i]);
	free(v);
}

static struct json_object *
str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *
strlist_to_json(const struct tg_strlist *l)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(a, json_object_new_string(l->v[i]));
	return a;
}

struct json_object *
tenant_to_json(const struct tg_tenant *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(t->id));
	json_object_object_add(o, "issuer", str_or_null(t->issuer));
	json_object_object_add(o, "audience", str_or_null(t->audience));
	json_object_object_add(o, "max_lifetime", json_object_new_int64(t->max_lifetime));
	json_object_object_add(o, "leeway", json_object_new_int64(t->leeway));
	json_object_object_add(o, "claims_ns", str_or_null(t->claims_ns));
	json_object_object_add(o, "map_claims", strlist_to_json(&t->map_claims));
	json_object_object_add(o, "require_claims", strlist_to_json(&t->require_claims));
	json_object_object_add(o, "allowed_origins", strlist_to_json(&t->allowed_origins));
	json_object_object_add(o, "require_amr", strlist_to_json(&t->require_amr));
	json_object_object_add(o, "max_auth_age", json_object_new_int64(t->max_auth_age));
	json_object_object_add(o, "acr_map", strlist_to_json(&t->acr_map));
	json_object_object_add(o, "require_typ", str_or_null(t->require_typ));
	json_object_object_add(o, "signing_alg", str_or_null(t->signing_alg));
	json_object_object_add(o, "rate_limit_per_key",
			       json_object_new_int64(t->rate_limit_per_key));
	json_object_object_add(o, "rate_limit_burst", json_object_new_int64(t->rate_limit_burst));
	json_object_object_add(o, "session_idle_timeout",
			       json_object_new_int64(t->session_idle_timeout));
	json_object_object_add(o, "session_max_lifetime",
			       json_object_new_int64(t->session_max_lifetime));
	json_object_object_add(o, "refresh_reuse_grace", t->refresh_reuse_grace < 0 ? NULL :
			       json_object_new_int64(t->refresh_reuse_grace));
	json_object_object_add(o, "max_sub_length", json_object_new_int64(t->max_sub_length));
	json_object_object_add(o, "jwks_uri", str_or_null(t->jwks_uri));
	json_object_object_add(o, "jwks_ca_file", str_or_null(t->jwks_ca_file));
	json_object_object_add(o, "jwks_alg", str_or_null(t->jwks_alg));
	json_object_object_add(o, "password_memory_kib",
			       json_object_new_int64(t->password_memory_kib));
	json_object_object_add(o, "password_iterations",
			       json_object_new_int64(t->password_iterations));
	json_object_object_add(o, "login_title", str_or_null(t->login_title));
	json_object_object_add(o, "login_stylesheet", str_or_null(t->login_stylesheet));
	json_object_object_add(o, "created", json_object_new_int64(t->created));
	return o;
}

/* A JSON string that is whole as a C string: a NUL inside would cut the value short. */
static bool
is_whole_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

/* Absent or null leaves *dst NULL; anything but a string is invalid. */
static enum tg_err
get_str(const struct json_object *o, const char *name, char **dst)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !v)
		return TG_OK;
	if (!is_whole_string(v))
		return TG_ERR_INVALID;
	*dst = tg_xstrdup(json_object_get_string(v));
	return TG_OK;
}

/* Absent or null keeps the default already in *dst; must be an integer >= min. */
static enum tg_err
get_int(const struct json_object *o, const char *name, int64_t min, int64_t *dst)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, name, &v) || !v)
		return TG_OK;
	if (!json_object_is_type(v, json_type_int))
		return TG_ERR_INVALID;
	n = json_object_get_int64(v);
	/* json-c saturates a number beyond int64 at its limits: a limit is a clamped value. */
	if (n < min || n == INT64_MAX || n == INT64_MIN)
		return TG_ERR_INVALID;
	*dst = n;
	return TG_OK;
}

static enum tg_err
get_strlist(const struct json_object *o, const char *name, struct tg_strlist *dst)
{
	struct json_object *v;
	size_t n;

	if (!json_object_object_get_ex(o, name, &v) || !v)
		return TG_OK;
	if (!json_object_is_type(v, json_type_array))
		return TG_ERR_INVALID;
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!is_whole_string(e))
			return TG_ERR_INVALID;
		strlist_add(dst, json_object_get_string(e));
	}
	return TG_OK;
}

static const char *const known_members[] = {
	"id", "issuer", "audience", "max_lifetime", "leeway", "claims_ns", "map_claims",
	"require_claims", "allowed_origins", "require_amr", "signing_alg", "rate_limit_per_key",
	"rate_limit_burst", "refresh_reuse_grace", "max_sub_length", "created",
	"session_idle_timeout", "session_max_lifetime", "max_auth_age", "acr_map", "require_typ",
	"jwks_uri", "jwks_ca_file", "jwks_alg", "password_memory_kib", "password_iterations",
	"login_title", "login_stylesheet",
};

static bool
has_only_known_members(const struct json_object *o)
{
	struct lh_entry *e;

	for (e = lh_table_head(json_object_get_object(o)); e; e = lh_entry_next(e)) {
		const char *name = lh_entry_k(e);
		bool is_known = false;

		for (size_t i = 0; i < sizeof(known_members) / sizeof(known_members[0]); i++)
			if (strcmp(name, known_members[i]) == 0)
				is_known = true;
		if (!is_known)
			return false;
	}
	return true;
}

/* What the tenant asks of authentications: max_auth_age, acr_map, require_typ. */
static enum tg_err
read_authn(const struct json_object *o, struct tg_tenant *t)
{
	enum tg_err rc = get_int(o, "max_auth_age", 0, &t->max_auth_age);

	if (rc == TG_OK)
		rc = get_str(o, "require_typ", &t->require_typ);
	if (rc == TG_OK)
		rc = get_strlist(o, "acr_map", &t->acr_map);
	if (rc == TG_OK && t->require_typ && !tenant_typ_is_valid(t->require_typ))
		rc = TG_ERR_INVALID;

	for (size_t i = 0; rc == TG_OK && i < t->acr_map.n; i++)
		if (!acr_entry_is_valid(t->acr_map.v[i]))
			rc = TG_ERR_INVALID;
	return rc;
}

/* Where the tenant's keys come from; records older than issue 15 have neither member. */
static enum tg_err
read_jwks(const struct json_object *o, struct tg_tenant *t)
{
	enum tg_err rc = get_str(o, "jwks_uri", &t->jwks_uri);

	if (rc == TG_OK)
		rc = get_str(o, "jwks_ca_file", &t->jwks_ca_file);
	if (rc == TG_OK)
		rc = get_str(o, "jwks_alg", &t->jwks_alg);
	if (rc == TG_OK && t->jwks_alg && alg_from_name(t->jwks_alg, &(enum tg_alg){ 0 }) != TG_OK)
		rc = TG_ERR_INVALID;
	if (rc == TG_OK && t->jwks_uri && !tenant_jwks_uri_is_valid(t->jwks_uri))
		rc = TG_ERR_INVALID;
	/* Workers start in other directories than tokengatectl: only an absolute path means one file. */
	if (rc == TG_OK && t->jwks_ca_file && t->jwks_ca_file[0] != '/')
		rc = TG_ERR_INVALID;
	return rc;
}

/* Records older than issue 14 have neither member: OWASP's floor (0). Never below it. */
static enum tg_err
read_password(const struct json_object *o, struct tg_tenant *t)
{
	enum tg_err rc = get_int(o, "password_memory_kib", 0, &t->password_memory_kib);

	if (rc == TG_OK)
		rc = get_int(o, "password_iterations", 0, &t->password_iterations);
	if (rc == TG_OK && t->password_memory_kib &&
	    (t->password_memory_kib < TG_PASSWORD_MEMORY_KIB ||
	     t->password_memory_kib > TG_PASSWORD_MEMORY_MAX_KIB))
		rc = TG_ERR_INVALID;
	if (rc == TG_OK && t->password_iterations &&
	    (t->password_iterations < TG_PASSWORD_ITERATIONS ||
	     t->password_iterations > TG_PASSWORD_ITERATIONS_MAX))
		rc = TG_ERR_INVALID;
	return rc;
}

/* The login page's theme; records older than issue 14 have neither member. */
static enum tg_err
read_login(const struct json_object *o, struct tg_tenant *t)
{
	enum tg_err rc = get_str(o, "login_title", &t->login_title);

	if (rc == TG_OK)
		rc = get_str(o, "login_stylesheet", &t->login_stylesheet);
	if (rc == TG_OK && t->login_title && !tenant_login_title_is_valid(t->login_title))
		rc = TG_ERR_INVALID;
	if (rc == TG_OK && t->login_stylesheet &&
	    !tenant_login_stylesheet_is_valid(t->login_stylesheet))
		rc = TG_ERR_INVALID;
	return rc;
}

static enum tg_err
read_members(const struct json_object *o, struct tg_tenant *t)
{
	enum tg_alg alg;
	enum tg_err rc;

	rc = get_str(o, "issuer", &t->issuer);
	if (rc == TG_OK)
		rc = get_str(o, "audience", &t->audience);
	if (rc == TG_OK)
		rc = get_str(o, "claims_ns", &t->claims_ns);
	if (rc == TG_OK)
		rc = get_str(o, "signing_alg", &t->signing_alg);
	if (rc == TG_OK)
		rc = get_int(o, "max_lifetime", 1, &t->max_lifetime);
	if (rc == TG_OK)
		rc = get_int(o, "leeway", 0, &t->leeway);
	if (rc == TG_OK)
		rc = get_int(o, "rate_limit_per_key", 0, &t->rate_limit_per_key);
	if (rc == TG_OK)
		rc = get_int(o, "rate_limit_burst", 0, &t->rate_limit_burst);
	if (rc == TG_OK)
		rc = get_int(o, "refresh_reuse_grace", 0, &t->refresh_reuse_grace);
	if (rc == TG_OK)
		rc = get_int(o, "max_sub_length", 1, &t->max_sub_length);
	if (rc == TG_OK && t->max_sub_length > TG_MAX_SUB_LENGTH_LIMIT)
		rc = TG_ERR_INVALID;
	if (rc == TG_OK)
		rc = get_int(o, "created", 0, &t->created);
	if (rc == TG_OK)
		rc = get_int(o, "session_idle_timeout", 0, &t->session_idle_timeout);
	if (rc == TG_OK)
		rc = get_int(o, "session_max_lifetime", 0, &t->session_max_lifetime);
	/* No session outlives TG_MAX_SESSION_TTL, so no limit needs to be longer. */
	if (rc == TG_OK && (t->session_idle_timeout > TG_MAX_SESSION_TTL ||
			    t->session_max_lifetime > TG_MAX_SESSION_TTL))
		rc = TG_ERR_INVALID;
	if (rc == TG_OK)
		rc = get_strlist(o, "map_claims", &t->map_claims);
	if (rc == TG_OK)
		rc = get_strlist(o, "require_claims", &t->require_claims);
	if (rc == TG_OK)
		rc = get_strlist(o, "allowed_origins", &t->allowed_origins);
	if (rc == TG_OK)
		rc = get_strlist(o, "require_amr", &t->require_amr);
	if (rc == TG_OK)
		rc = read_authn(o, t);
	if (rc == TG_OK)
		rc = read_jwks(o, t);
	if (rc == TG_OK)
		rc = read_password(o, t);
	if (rc == TG_OK)
		rc = read_login(o, t);
	/* A signing algorithm we could never use would only fail later, at token issue. */
	if (rc == TG_OK && t->signing_alg && alg_from_name(t->signing_alg, &alg) != TG_OK)
		rc = TG_ERR_INVALID;
	return rc;
}

enum tg_err
tenant_from_json(const struct json_object *o, struct tg_tenant **out)
{
	struct tg_tenant *t = NULL;
	struct json_object *id;
	enum tg_err rc = TG_ERR_INVALID;

	if (!json_object_is_type(o, json_type_object) || !has_only_known_members(o))
		goto out;
	if (!json_object_object_get_ex(o, "id", &id) || !is_whole_string(id))
		goto out;
	if (!tenant_id_is_valid(json_object_get_string(id)))
		goto out;
	t = tenant_new(json_object_get_string(id));
	rc = read_members(o, t);
	if (rc != TG_OK)
		goto out;
	*out = t; /* ownership moves to the caller */
	t = NULL;
out:
	tenant_free(t);
	return rc;
}
