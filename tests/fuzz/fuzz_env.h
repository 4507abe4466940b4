/*
 * What the fuzz targets that need a gateway share: a real store in a mkdtemp
 * directory with two tenants, a verification key, an API key and a session,
 * the keyring loaded from it and a configuration, put there through
 * tests/lib/store_setup.h. Header-only; made once per process and removed at exit.
 */
#ifndef TG_FUZZ_ENV_H
#define TG_FUZZ_ENV_H

#include "base/config.h"
#include "join/keyring_sync.h"
#include "model/session.h"
#include "store/store.h"

#include "../lib/store_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_NOW 1700000000
#define FUZZ_API_KEY "tgk_fuzz_api_key_of_acme"
#define FUZZ_SID "fuzzSessionId000000000"        /* 22 base64url characters */
#define FUZZ_REFRESH "fuzz-refresh-token-of-the-session"
#define FUZZ_KID "k1"

static const unsigned char fuzz_hs_secret[64] =
	"tokengate fuzzing secret, 64 bytes long, enough for HS512 keys.";

struct fuzz_env {
	struct store_fixture scratch;
	struct tg_store *store; /* scratch.s */
	struct keyring *kr;
	struct tg_config *cfg;
	struct tg_key *key; /* acme's and rich's HS256 verification key, to sign with */
	size_t uses;        /* inputs since the store was made */
};

static struct fuzz_env fuzz_env_g;

static void
fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz setup: %s\n", what);
	abort();
}

static void
fuzz_env_tenant(struct tg_store *s, const char *id, bool is_rich)
{
	struct tg_tenant *t = tenant_new(id);
	struct tg_secret material = { 0 };

	t->issuer = tg_xasprintf("https://%s.example", id);
	t->max_lifetime = 3600;
	if (is_rich) {
		/* Every rule a grant records: namespaced and mapped claims, required ones, amr. */
		t->audience = tg_xstrdup("api");
		t->claims_ns = tg_xstrdup("https://rich.example/");
		strlist_add(&t->map_claims, "role=ROLE");
		strlist_add(&t->map_claims, "org.name=ORG_NAME");
		strlist_add(&t->map_claims, "groups=GROUPS");
		strlist_add(&t->require_claims, "scope=read");
		strlist_add(&t->require_claims, "email_verified=true");
		strlist_add(&t->require_amr, "pwd");
		strlist_add(&t->allowed_origins, "https://app.rich.example");
	}
	if (setup_tenant_put(s, t) != TG_OK || keys_export(fuzz_env_g.key, &material) != TG_OK ||
	    setup_key(s, id, FUZZ_KID, 1, material.p, material.len) != TG_OK)
		fuzz_die("cannot add a tenant and its key");
	secret_free(&material);
}

static void
fuzz_env_session(struct tg_store *s)
{
	unsigned char hash[TG_REFRESH_HASH_LEN];

	if (setup_apikey(s, "acme", "fuzzkey", FUZZ_API_KEY, FUZZ_NOW) != TG_OK ||
	    refresh_token_hash(FUZZ_REFRESH, strlen(FUZZ_REFRESH), hash) != TG_OK ||
	    setup_session_put(s, setup_session_new(FUZZ_SID, "acme", "alice", FUZZ_NOW, 86400),
			      hash) != TG_OK)
		fuzz_die("cannot add the API key and the session");
}

static void
fuzz_env_close(void)
{
	struct fuzz_env *e = &fuzz_env_g;

	keyring_free(e->kr);
	e->kr = NULL;
	setup_close(&e->scratch);
	e->store = NULL;
}

static void
fuzz_env_exit(void)
{
	fuzz_env_close();
	key_free(fuzz_env_g.key);
	config_free(fuzz_env_g.cfg);
}

/*
 * The environment, made on first use and made again from nothing every
 * `fresh_every` inputs (0: never), so that what inputs write (sessions,
 * amr, rotated refresh tokens) neither grows without bound nor lets one
 * input's effect decide another's for long.
 */
static struct fuzz_env *
fuzz_env_get(size_t fresh_every)
{
	static const char conf[] = "database = /unused\nrealm = fuzz\nlog_level = error\n"
				   "require_https = no\nrate_limit_per_key = 0\n";
	struct fuzz_env *e = &fuzz_env_g;
	struct tg_why why;

	if (!e->cfg) {
		if (config_parse("fuzz.conf", conf, strlen(conf), NULL, &e->cfg, &why) != TG_OK ||
		    keys_from_secret(FUZZ_KID, TG_ALG_HS256, fuzz_hs_secret, sizeof(fuzz_hs_secret),
				     &e->key, &why) != TG_OK)
			fuzz_die(why.text);
		log_set_level(e->cfg->log_level);
		atexit(fuzz_env_exit);
	}
	if (e->store && fresh_every && ++e->uses >= fresh_every)
		fuzz_env_close();
	if (e->store)
		return e;
	e->uses = 0;
	if (setup_open(&e->scratch, "fuzz", true, &why) != TG_OK)
		fuzz_die(why.text);
	e->store = e->scratch.s;
	fuzz_env_tenant(e->store, "acme", false);
	fuzz_env_tenant(e->store, "rich", true);
	fuzz_env_session(e->store);
	e->kr = keyring_new();
	if (keyring_sync(e->kr, e->store, NULL) != TG_OK)
		fuzz_die("keyring_sync failed");
	return e;
}

#endif
