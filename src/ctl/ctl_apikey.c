/*
 * `tokengatectl apikey ...`: creating a tenant's backend API key (printed once,
 * stored only as its SHA-256), listing and revoking keys. The key string lives
 * in a struct tg_secret and is wiped after printing; it never reaches a log.
 */
#include "ctl/ctl.h"

#include "base/b64url.h"
#include "base/secret.h"
#include "store/store.h"

#include <json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_apikey[] =
	"usage: tokengatectl [--db DIR] apikey SUBCOMMAND ...\n"
	"\n"
	"  create TENANT [--json]   make a key for the tenant's backend; shown only once\n"
	"  list TENANT [--json]     list the tenant's keys (ids, never the keys)\n"
	"  revoke TENANT ID         stop accepting a key\n";

static const char usage_create[] =
	"usage: tokengatectl [--db DIR] apikey create TENANT [--json]\n"
	"\n"
	"Prints the new key's id and the key itself. The key is shown only this once\n"
	"and only its hash is stored. --json prints {\"id\": ..., \"key\": ...}.\n";

static const char usage_list[] = "usage: tokengatectl [--db DIR] apikey list TENANT [--json]\n";

static const char usage_revoke[] = "usage: tokengatectl [--db DIR] apikey revoke TENANT ID\n";

#define KEY_BYTES 32 /* 256 bits from the CSPRNG */
#define ID_BYTES 8   /* shown as 16 hex characters */
#define KEY_PREFIX "tgk_"

static enum tg_err
new_id(char out[2 * ID_BYTES + 1])
{
	return secret_random_hex(ID_BYTES, out);
}


/* "tgk_" + base64url of 32 random bytes; the prefix lets secret scanners spot leaked keys. */
static enum tg_err
new_key(struct tg_secret *key)
{
	char *b64 = NULL, *s = NULL;
	enum tg_err err = b64url_random(KEY_BYTES, &b64);

	if (err != TG_OK)
		goto out;
	s = tg_xconcat(KEY_PREFIX, b64);
	secret_set(key, s, strlen(s));
out:
	secret_free_str(b64);
	secret_free_str(s);
	return err;
}

static void
print_created(const char *tenant, const char *id, const struct tg_secret *key, bool is_json)
{
	/* Written by hand, not through json-c, so no unwiped copy of the key is left behind. */
	if (is_json) {
		printf("{\"id\": \"%s\", \"key\": \"%s\"}\n", id, (const char *)key->p);
		return;
	}
	printf("id:  %s\nkey: %s\n", id, (const char *)key->p);
	fprintf(stderr, "tokengatectl: API key %s created for tenant %s. The key is shown only "
		"this once: store it now.\n", id, tenant);
}

static int
cmd_create(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_secret key = { 0 };
	struct tg_apikey rec = { 0 };
	char id[2 * ID_BYTES + 1];
	struct tg_store *s;
	enum tg_err err;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_json_opts, 1, usage_create, &a, &s, NULL);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = new_id(id);
	if (err == TG_OK)
		err = new_key(&key);
	if (err == TG_OK)
		err = apikey_hash(key.p, key.len, rec.hash);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot make an API key: %s", tg_err_str(err));
		goto out;
	}
	rec.tenant = tg_xstrdup(a.pos[0]);
	rec.id = tg_xstrdup(id);
	rec.created = (int64_t)time(NULL);
	err = store_apikey_add(s, &rec);
	if (err == TG_ERR_NOT_FOUND)
		rc = ctl_tenant_not_found(a.pos[0]);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot store the API key: %s", tg_err_str(err));
	else
		print_created(a.pos[0], id, &key, ctl_has(&a, CTL_OPT_JSON));
	fflush(stdout);
out:
	free(rec.tenant);
	free(rec.id);
	secret_wipe(rec.hash, sizeof(rec.hash));
	secret_free(&key);
	ctl_args_fini(&a);
	return rc;
}

static enum tg_err
list_load(struct tg_store *s, const char *tenant, struct ctl_records *out)
{
	struct tg_apikey **v = NULL;
	enum tg_err err = store_apikey_list(s, tenant, &v, &out->n);

	out->v = v;
	return err;
}

static struct json_object *
list_json(const struct ctl_records *r, size_t i)
{
	return apikey_to_json_public(((struct tg_apikey *const *)r->v)[i]);
}

static void
list_text(const char *tenant, const struct ctl_records *r)
{
	struct tg_apikey *const *v = r->v;
	struct ctl_table tab;

	if (r->n == 0) {
		printf("tenant %s has no API keys (make one with `tokengatectl apikey create %s`)\n",
		       tenant, tenant);
		return;
	}
	ctl_table_init(&tab, 3);
	ctl_table_row(&tab, "ID", "CREATED", "STATE");
	for (size_t i = 0; i < r->n; i++) {
		char created[32];

		ctl_format_time(v[i]->created, created, sizeof(created));
		ctl_table_row(&tab, v[i]->id, created, v[i]->revoked ? "revoked" : "active");
	}
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

static void
list_free(struct ctl_records *r)
{
	apikey_list_free(r->v, r->n);
}

static const struct ctl_list list = {
	.usage = usage_list,
	.what = "API keys",
	.is_per_tenant = true,
	.load = list_load,
	.to_json = list_json,
	.print_text = list_text,
	.free = list_free,
};

static const struct ctl_change revoke = {
	.usage = usage_revoke,
	.what = "API key",
	.group = "apikey",
	.verb = "revoke",
	.done = "revoked",
	.apply = store_apikey_revoke,
};

static const struct ctl_sub subs[] = {
	{ "create", .run = cmd_create },
	{ "list", .list = &list },
	{ "revoke", .change = &revoke },
	{ .name = NULL },
};

const struct ctl_group ctl_apikey_group = { usage_apikey, subs };
