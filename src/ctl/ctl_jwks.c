/*
 * `tokengatectl jwks sync [TENANT]`: the key sets of tenants with a jwks_uri
 * fetched and applied now (meant for a timer), what changed printed per tenant;
 * and the checks of `tenant set --jwks-uri/--jwks-ca-file`. Never prints a key.
 */
#include "ctl/ctl.h"

#include "base/config.h"
#include "fetch/fetch.h"
#include "join/jwks_sync.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_group[] =
	"usage: tokengatectl [--db DIR] jwks SUBCOMMAND ...\n"
	"\n"
	"  sync [TENANT] [--config FILE]  fetch and apply tenants' key sets from their jwks_uri\n";

static const char usage_sync[] =
	"usage: tokengatectl [--db DIR] jwks sync [TENANT] [--config FILE]\n"
	"\n"
	"Fetches the key set at the tenant's jwks_uri (`tenant set --jwks-uri`) and makes the\n"
	"tenant's keys of that source equal to it: new kids added, kids no longer there retired,\n"
	"keys added by hand left alone. Prints one line per tenant and one per key that changed.\n"
	"Without TENANT: every tenant with a jwks_uri whose provider's Cache-Control max-age has\n"
	"run out (the others are listed as not due). A failed fetch keeps the tenant's keys.\n"
	"  --config FILE   read jwks_fetch_timeout from FILE (default: TOKENGATE_CONFIG or the\n"
	"                  installed tokengate.conf; built-in defaults when that does not exist)\n"
	"Exit status: 0 all fetched and applied, 1 a fetch or a key failed, 2 usage or database.\n";

enum { OPT_CONFIG };

static const struct ctl_opt sync_opts[] = {
	{ "config", true, OPT_CONFIG },
	{ NULL, false, 0 },
};

int
ctl_jwks_set_uri(char **dst, const char *v, const char *usage)
{
	if (!fetch_url_is_https(v) || !tenant_jwks_uri_is_valid(v))
		return ctl_usage_error(usage, "--jwks-uri wants an https URL of at most %d bytes "
				       "without user or password, such as https://idp.example/.well-"
				       "known/jwks.json, not \"%s\"", TG_JWKS_URI_MAX, v);
	free(*dst);
	*dst = tg_xstrdup(v);
	return CTL_EXIT_OK;
}

int
ctl_jwks_set_ca_file(char **dst, const char *v, const char *usage)
{
	char *path = v[0] ? realpath(v, NULL) : NULL;
	FILE *f = path ? fopen(path, "r") : NULL;
	int rc = CTL_EXIT_OK;

	if (!f) {
		rc = ctl_usage_error(usage, "--jwks-ca-file %s cannot be read: %s", v,
				     v[0] ? strerror(errno) : "empty name");
		goto out;
	}
	/* Kept absolute: workers resolve it from another directory than this one. */
	free(*dst);
	*dst = path;
	path = NULL;
out:
	if (f)
		fclose(f);
	free(path);
	return rc;
}

/* The configuration named, or the default one, or (none installed) the built-in defaults. */
static int
load_config(const struct ctl_args *a, const char *db, struct tg_config **out)
{
	const char *path = ctl_last(a, OPT_CONFIG);
	struct tg_why why;
	enum tg_err rc;

	if (!path && access(config_path(), F_OK) != 0)
		rc = config_parse("built-in defaults", "", 0, db, out, &why);
	else
		rc = config_load(path ? path : config_path(), out, &why);
	if (rc != TG_OK)
		return ctl_fail(CTL_EXIT_USAGE, "%s", why.text);
	return CTL_EXIT_OK;
}

static void
print_report(const struct tg_tenant *t, const struct jwks_report *r, int64_t now, int64_t next)
{
	char due[32];

	printf("tenant %s: %s: %zu added, %zu retired, %zu unchanged, %zu skipped, %zu failed",
	       t->id, t->jwks_uri, r->added, r->retired, r->unchanged, r->skipped, r->failed);
	if (next > now) {
		ctl_format_time(next, due, sizeof(due));
		printf("; next sync due %s (the provider's max-age)\n", due);
	} else {
		printf("; next sync at the next run (the provider gave no max-age)\n");
	}
	for (size_t i = 0; i < r->n; i++)
		printf("  %s\n", r->lines[i]);
}

/* One tenant's sync, said on stdout (what changed) or stderr (why not); an exit code. */
static int
sync_one(struct tg_store *s, const struct tg_tenant *t, const struct tg_config *cfg, int64_t now)
{
	struct jwks_report r = { 0 };
	struct tg_why why;
	int64_t next = 0;
	enum tg_err rc;
	int exit_code = CTL_EXIT_OK;

	rc = jwks_sync_tenant(s, t, cfg, now, 0, &r, &next, &why);
	if (rc == TG_OK) {
		print_report(t, &r, now, next);
	} else {
		for (size_t i = 0; i < r.n; i++)
			fprintf(stderr, "tokengatectl: tenant %s: %s\n", t->id, r.lines[i]);
		exit_code = ctl_fail(rc == TG_ERR_DB || rc == TG_ERR_BUSY ? CTL_EXIT_USAGE :
				     CTL_EXIT_REJECTED, "%s", why.text);
	}
	if (rc == TG_OK && r.failed > 0)
		exit_code = CTL_EXIT_REJECTED;
	jwks_report_fini(&r);
	return exit_code;
}

/* Whether the provider's max-age still covers the last sync; says so when it does. */
static bool
is_due(struct tg_store *s, const struct tg_tenant *t, int64_t now)
{
	int64_t last = 0, next = 0;
	char when[32];

	if (store_jwks_state(s, t->id, &last, &next) != TG_OK || next <= now)
		return true;
	ctl_format_time(next, when, sizeof(when));
	printf("tenant %s: not due until %s (the provider's max-age); `tokengatectl jwks sync "
	       "%s` fetches now\n", t->id, when, t->id);
	return false;
}

static int
sync_all(struct tg_store *s, const struct tg_config *cfg, int64_t now)
{
	struct tg_tenant **v = NULL;
	size_t n = 0, with_uri = 0;
	enum tg_err err;
	int rc = CTL_EXIT_OK;

	err = store_tenant_list(s, &v, &n);
	if (err != TG_OK)
		return ctl_fail(ctl_exit_for(err), "cannot list the tenants: %s", tg_err_str(err));
	for (size_t i = 0; i < n; i++) {
		int one;

		if (!v[i]->jwks_uri)
			continue;
		with_uri++;
		if (!is_due(s, v[i], now))
			continue;
		one = sync_one(s, v[i], cfg, now);
		/* The worst outcome decides the exit status; every tenant is still tried. */
		if (one > rc)
			rc = one;
	}
	if (with_uri == 0)
		printf("no tenant has a jwks_uri (set one with `tokengatectl tenant set TENANT "
		       "--jwks-uri https://...`)\n");
	tenant_list_free(v, n);
	return rc;
}

/* 0 or 1 positionals: counted before parsing, skipping option values. */
static size_t
count_positionals(int argc, char **argv)
{
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 || strcmp(argv[i], "--config") == 0)
			i++;
		else if (strncmp(argv[i], "--", 2) != 0)
			n++;
	}
	return n > 0;
}

static int
cmd_sync(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_config *cfg = NULL;
	struct tg_tenant *t = NULL;
	struct tg_store *s = NULL;
	const char *db = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t npos = count_positionals(argc, argv);
	int rc;

	if (npos)
		rc = ctl_begin_tenant_cmd(c, argc, argv, sync_opts, 1, usage_sync, &a, &s, &t);
	else
		rc = ctl_begin_store_cmd(c, argc, argv, sync_opts, 0, usage_sync, &a, &s);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = ctl_db_dir(c, &db);
	if (rc == CTL_EXIT_OK)
		rc = load_config(&a, db, &cfg);
	if (rc != CTL_EXIT_OK)
		goto out;
	rc = t ? sync_one(s, t, cfg, now) : sync_all(s, cfg, now);
out:
	config_free(cfg);
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

static const struct ctl_sub subs[] = {
	{ "sync", .run = cmd_sync },
	{ .name = NULL },
};

const struct ctl_group ctl_jwks_group = { usage_group, subs };
