/*
 * libFuzzer target for the authorizer's cached grant, the bytes grant.c makes
 * and authz.c keeps per verified token in the cache. Byte 0 picks what the rest (after byte 1,
 * the request's options) is:
 *   even: a cache entry as it may be found (damaged, truncated, foreign),
 *         decided and rendered for both roles; it must be refused (500 when
 *         grant_decode refuses it) or used, never read out of bounds;
 *   odd:  a token's claims (a JSON object), signed with the tenant's key and
 *         decided twice, fresh and then from the cache: both decisions must
 *         be the same (the grant's encoding round-trips) and every variable
 *         of an allowed request sanitised.
 */
#include "fuzz.h"
#include "role/api.h"
#include "role/grant.h"
#include "jose/jws.h"
#include "base/json_strict.h"

#include "fuzz_env.h"

#include <json.h>

#define RAW_TOKEN "fuzz.grant.entry"

static struct tg_cache *
fuzz_cache(void)
{
	static struct tg_cache *c;

	if (!c)
		c = cache_new(64);
	return c;
}

/* Decides on a Bearer token and renders the decision for both roles; d borrows nothing. */
static void
decide(const struct fuzz_env *e, unsigned char opts, const char *token,
       struct authz_decision *d)
{
	char *authorization = tg_xasprintf("Bearer %s", token);
	struct authz_request req = {
		.method = (opts & 1) ? "POST" : "GET",
		.authorization = authorization, .remote_addr = "127.0.0.1",
		.origin = (opts & 4) ? "https://app.rich.example" : NULL,
		.require_amr = (opts & 2) ? "pwd" : NULL,
	};
	struct authz_env env = { .cfg = e->cfg, .kr = e->kr, .cache = fuzz_cache(),
				 .now = FUZZ_NOW, .session_check = api_session_check,
				 .session_ctx = e->store };
	struct http_response r;

	authz_decide(&env, &req, d);
	for (int role = HTTP_ROLE_RESPONDER; role <= HTTP_ROLE_AUTHORIZER; role++) {
		http_response_init(&r, 500);
		authz_render(d, (enum http_role)role, e->cfg->realm, &r);
		http_response_fini(&r);
	}
	d->token = NULL;
	d->token_len = 0;
	free(authorization);
}

static bool
is_sanitised(const char *s)
{
	char back[GRANT_VALUE_MAX + 1];
	size_t n = strlen(s);

	return n <= GRANT_VALUE_MAX && grant_sanitize(s, n, back, sizeof(back)) == n &&
	       strcmp(back, s) == 0;
}

static bool
is_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The decision made from the cached grant is the one made from the token itself. */
static void
check_same(const struct authz_decision *fresh, const struct authz_decision *cached)
{
	bool is_ok = fresh->status == cached->status && is_same(fresh->error, cached->error) &&
		     strcmp(fresh->description, cached->description) == 0 &&
		     is_same(fresh->user, cached->user) && is_same(fresh->tenant, cached->tenant) &&
		     is_same(fresh->sid, cached->sid) && fresh->exp == cached->exp &&
		     fresh->nvars == cached->nvars;

	for (size_t i = 0; is_ok && i < fresh->nvars; i++)
		is_ok = strcmp(fresh->vars[i].name, cached->vars[i].name) == 0 &&
			strcmp(fresh->vars[i].value, cached->vars[i].value) == 0;
	if (!is_ok) {
		fprintf(stderr, "fresh %d \"%s\" and cached %d \"%s\" decisions differ\n",
			fresh->status, fresh->description, cached->status, cached->description);
		abort();
	}
	for (size_t i = 0; i < fresh->nvars; i++) {
		if (!is_sanitised(fresh->vars[i].value)) {
			fprintf(stderr, "variable %s is not sanitised\n", fresh->vars[i].name);
			abort();
		}
	}
}

static void
raw_entry(const struct fuzz_env *e, unsigned char opts, const unsigned char *p, size_t n)
{
	struct cache_key key = { .token = RAW_TOKEN, .len = strlen(RAW_TOKEN),
				 .generation = keyring_generation(e->kr) };
	struct authz_decision d;
	struct grant g;
	bool is_whole = grant_decode(p, n, &g) == TG_OK;

	cache_put(fuzz_cache(), &key, FUZZ_NOW, FUZZ_NOW + 60, p, n);
	decide(e, opts, RAW_TOKEN, &d);
	if (!d.is_cached || (d.status != 200 && d.status != 401 && d.status != 403 &&
			     d.status != 500) || (!is_whole && d.status != 500)) {
		fprintf(stderr, "a cache entry gave %d (cached: %d, a whole grant: %d)\n", d.status,
			d.is_cached, is_whole);
		abort();
	}
	authz_decision_fini(&d);
}

/* The claims with what a token of tenant `tenant` needs to get as far as its grant, where absent. */
static void
complete(struct json_object *claims, const char *tenant)
{
	struct json_object *v;

	if (!json_object_object_get_ex(claims, "iss", &v)) {
		char *iss = tg_xasprintf("https://%s.example", tenant);

		json_object_object_add(claims, "iss", json_object_new_string(iss));
		free(iss);
	}
	if (!json_object_object_get_ex(claims, "sub", &v))
		json_object_object_add(claims, "sub", json_object_new_string("alice"));
	if (!json_object_object_get_ex(claims, "exp", &v))
		json_object_object_add(claims, "exp", json_object_new_int64(FUZZ_NOW + 60));
	if (strcmp(tenant, "rich") == 0 && !json_object_object_get_ex(claims, "aud", &v))
		json_object_object_add(claims, "aud", json_object_new_string("api"));
}

static void
signed_claims(const struct fuzz_env *e, unsigned char opts, const unsigned char *p, size_t n)
{
	struct authz_decision fresh, cached;
	struct json_object *claims = NULL;
	char *token = NULL;

	if (json_strict_parse((const char *)p, n, &claims, NULL) != TG_OK ||
	    !json_object_is_type(claims, json_type_object))
		goto out;
	complete(claims, (opts & 8) ? "rich" : "acme");
	if (jws_sign(e->key, claims, &token) != TG_OK)
		goto out;
	decide(e, opts, token, &fresh);
	decide(e, opts, token, &cached);
	if (cached.is_cached)
		check_same(&fresh, &cached);
	authz_decision_fini(&fresh);
	authz_decision_fini(&cached);
out:
	free(token);
	json_object_put(claims);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fuzz_env *e;

	if (size < 2)
		return 0;
	e = fuzz_env_get(0);
	if (data[0] & 1)
		signed_claims(e, data[1], data + 2, size - 2);
	else
		raw_entry(e, data[1], data + 2, size - 2);
	return 0;
}
