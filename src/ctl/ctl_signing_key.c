/*
 * `tokengatectl signing-key ...`: a tenant's gateway signing keys, which sign
 * the access tokens of its sessions: rotating in a new one (mint.c makes it),
 * listing them and retiring one. Verification keys stay `tokengatectl key`'s;
 * no key bytes are ever printed.
 */
#include "ctl/ctl.h"

#include "join/signing_key.h"
#include "jose/mint.h"
#include "store/store.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_group[] =
	"usage: tokengatectl [--db DIR] signing-key SUBCOMMAND ...\n"
	"\n"
	"Gateway signing keys sign the access tokens of the tenant's sessions.\n"
	"  rotate TENANT           make a new key in the tenant's signing alg; it signs from now on\n"
	"  list TENANT [--json]    the tenant's signing keys; CURRENT marks the one that signs\n"
	"  retire TENANT KID       stop signing and verifying with a key\n";

static const char usage_rotate[] =
	"usage: tokengatectl [--db DIR] signing-key rotate TENANT\n"
	"\n"
	"Makes a new signing key in the tenant's signing alg (`tenant set --signing-alg`)\n"
	"and prints its kid. New tokens are signed with it at once; tokens signed with\n"
	"older keys keep verifying until those keys are retired. A tenant without a key\n"
	"gets one on its first issuance anyway.\n";

static const char usage_list[] =
	"usage: tokengatectl [--db DIR] signing-key list TENANT [--json]\n";

static const char usage_retire[] =
	"usage: tokengatectl [--db DIR] signing-key retire TENANT KID\n"
	"\n"
	"Tokens the key signed are refused from now on. If it was the current key, the\n"
	"newest remaining one signs; with none left, the next issuance makes a new one.\n";

static int
cmd_rotate(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_key_record *rec = NULL;
	struct tg_store *s;
	enum tg_err err;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 1, usage_rotate, &a, &s, &t);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = signing_key_rotate(s, t, (int64_t)time(NULL), &rec);
	if (err == TG_ERR_UNSUPPORTED)
		rc = ctl_fail(CTL_EXIT_REJECTED, "tenant %s's signing alg %s is not one the gateway "
			      "signs with; choose HS256, ES256, EdDSA or Ed25519 with `tokengatectl "
			      "tenant set %s --signing-alg ALG`", t->id, t->signing_alg, t->id);
	else if (err == TG_ERR_NOT_FOUND)
		rc = ctl_tenant_not_found(t->id);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot make a signing key for tenant %s: %s", t->id,
			      tg_err_str(err));
	if (rc != CTL_EXIT_OK)
		goto out;
	/* The kid alone on stdout, for scripts; the sentence is for the operator. */
	printf("%s\n", rec->kid);
	fprintf(stderr, "tokengatectl: signing key %s (%s) now signs tenant %s's new tokens; older "
		"signing keys verify until retired (`tokengatectl signing-key retire %s KID`)\n",
		rec->kid, alg_name(rec->alg), t->id, t->id);
out:
	keyrec_free(rec);
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

/* The signing keys of a tenant, oldest first, and which one the keyring signs with. */
struct signing_keys {
	struct tg_key_record **all; /* store_key_list's result, owned */
	size_t nall;
	const struct tg_key_record **v; /* borrowed from all: use SIGN only */
	size_t n;
	const struct tg_key_record *current;
};

/* The same choice as keyring_signing_key: the active key created last, later kid on a tie. */
static enum tg_err
signing_keys_load(struct tg_store *s, const char *tenant, struct signing_keys *k)
{
	enum tg_err err = store_key_list(s, tenant, &k->all, &k->nall);

	if (err != TG_OK)
		return err;
	k->v = tg_xcalloc(k->nall + 1, sizeof(*k->v));
	for (size_t i = 0; i < k->nall; i++) {
		const struct tg_key_record *r = k->all[i];

		if (r->use != TG_KEY_USE_SIGN)
			continue;
		k->v[k->n++] = r;
		if (r->state == TG_KEY_ACTIVE && (!k->current || r->created >= k->current->created))
			k->current = r;
	}
	return TG_OK;
}

static void
signing_keys_fini(struct signing_keys *k)
{
	keyrec_list_free(k->all, k->nall);
	free(k->v);
}

/* The records the list runner holds are one struct signing_keys; n counts its SIGN keys. */
static enum tg_err
list_load(struct tg_store *s, const char *tenant, struct ctl_records *out)
{
	struct signing_keys *k = tg_xcalloc(1, sizeof(*k));
	enum tg_err err = signing_keys_load(s, tenant, k);

	if (err != TG_OK) {
		free(k);
		return err;
	}
	out->v = k;
	out->n = k->n;
	return TG_OK;
}

static void
list_text(const char *tenant, const struct ctl_records *r)
{
	const struct signing_keys *k = r->v;
	struct ctl_table tab;

	if (k->n == 0) {
		printf("tenant %s has no gateway signing keys (its first issued token makes one, or "
		       "run `tokengatectl signing-key rotate %s`)\n", tenant, tenant);
		return;
	}
	ctl_table_init(&tab, 5);
	ctl_table_row(&tab, "KID", "ALG", "STATE", "CREATED", "CURRENT");
	for (size_t i = 0; i < k->n; i++) {
		char created[32];

		ctl_format_time(k->v[i]->created, created, sizeof(created));
		ctl_table_row(&tab, k->v[i]->kid, alg_name(k->v[i]->alg),
			      keyrec_state_name(k->v[i]->state), created,
			      k->v[i] == k->current ? "yes" : "no");
	}
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

static struct json_object *
list_json(const struct ctl_records *r, size_t i)
{
	const struct signing_keys *k = r->v;
	struct json_object *o = keyrec_to_json_public(k->v[i]);

	json_object_object_add(o, "current", json_object_new_boolean(k->v[i] == k->current));
	return o;
}

static void
list_free(struct ctl_records *r)
{
	signing_keys_fini(r->v);
	free(r->v);
}

static const struct ctl_list list = {
	.usage = usage_list,
	.what = "signing keys",
	.is_per_tenant = true,
	.load = list_load,
	.to_json = list_json,
	.print_text = list_text,
	.free = list_free,
};

static int
cmd_retire(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_key_record *rec = NULL;
	struct tg_store *s;
	const char *tenant, *kid;
	enum tg_err err;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 2, usage_retire, &a, &s, NULL);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	tenant = a.pos[0];
	kid = a.pos[1];
	err = store_key_get(s, tenant, kid, &rec);
	if (err == TG_OK && rec->use != TG_KEY_USE_SIGN) {
		rc = ctl_fail(CTL_EXIT_REJECTED, "key %s of tenant %s is a verification key, not a "
			      "gateway signing key; retire it with `tokengatectl key retire %s %s`",
			      kid, tenant, tenant, kid);
		goto out;
	}
	if (err == TG_OK)
		err = store_key_set_state(s, tenant, kid, TG_KEY_RETIRED);
	rc = ctl_change_result(err, tenant, "signing key", "signing-key", "retire", kid);
	if (rc == CTL_EXIT_OK)
		printf("signing key %s of tenant %s retired: tokens it signed are refused from now "
		       "on\n", kid, tenant);
out:
	keyrec_free(rec);
	ctl_args_fini(&a);
	return rc;
}

static const struct ctl_sub subs[] = {
	{ "rotate", .run = cmd_rotate },
	{ "list", .list = &list },
	{ "retire", .run = cmd_retire },
	{ .name = NULL },
};

const struct ctl_group ctl_signing_key_group = { usage_group, subs };
