/*
 * tokengatectl: main, the top-level dispatch, `init`, and the helpers every
 * command shares (option parsing, exit codes, files, tables, JSON output).
 * Commands live in ctl_*.c; nothing here prints a secret.
 */
#include "ctl/ctl.h"

#include "base/number.h"
#include "base/secret.h"
#include "store/store.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_main[] =
	"usage: tokengatectl [--db DIR] COMMAND [ARGS]\n"
	"\n"
	"The database is the directory named by --db (before or after COMMAND) or by\n"
	"the TOKENGATE_DB environment variable.\n"
	"\n"
	"Commands:\n"
	"  init [--owner USER]                   create the database (safe to repeat)\n"
	"  tenant add|set|list|show|remove       manage tenants and their policy\n"
	"  key add|import-jwks|list|retire|remove  manage a tenant's verification keys\n"
	"  apikey create|list|revoke             manage a tenant's backend API keys\n"
	"  signing-key rotate|list|retire        manage a tenant's gateway signing keys\n"
	"  session list|show|revoke              inspect and end a tenant's sessions\n"
	"  verify TENANT TOKEN                   check a token (\"-\" reads it from stdin)\n"
	"  token sign TENANT ...                 mint a token the way a backend would\n"
	"  recover [--catastrophic]              recover the database after a crash\n"
	"  backup DIR                            copy the database while it runs\n"
	"  verify-db [DIR]                       check a backup (or the stopped database)\n"
	"  restore DIR                           put a backup back (server stopped)\n"
	"\n"
	"Run `tokengatectl COMMAND --help` for a command's options. Run as root on a\n"
	"database that belongs to another user, every command works as that user.\n"
	"Exit status: 0 ok, 1 rejected or not found, 2 usage or environment error.\n";

static const char usage_init[] =
	"usage: tokengatectl [--db DIR] init [--owner USER]\n"
	"\n"
	"Creates the database directory and its environment if missing. Running it\n"
	"again on an existing database changes nothing. --owner (as root) creates it\n"
	"for USER, the user the gateway runs as (www-data): the directory and every\n"
	"file in it belong to USER.\n";

enum { OPT_OWNER = 1 };

static const struct ctl_opt init_opts[] = {
	{ "owner", true, OPT_OWNER },
	{ NULL, false, 0 },
};

/* ---------------------------------------------------------------- messages and exit codes */

__attribute__((format(printf, 1, 0))) static void
vmessage(const char *fmt, va_list ap)
{
	fputs("tokengatectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
ctl_usage_error(const char *usage, const char *fmt, ...)
{
	const char *nl = strchr(usage, '\n');
	int synopsis = nl ? (int)(nl - usage) : (int)strlen(usage);
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	/* The synopsis line only: the whole text would bury the message. */
	fprintf(stderr, "%.*s\n(add --help for the full usage)\n", synopsis, usage);
	return CTL_EXIT_USAGE;
}

int
ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return code;
}

int
ctl_exit_for(enum tg_err rc)
{
	switch (rc) {
	case TG_OK:
		return CTL_EXIT_OK;
	case TG_ERR_INVALID:
	case TG_ERR_REJECTED:
	case TG_ERR_NOT_FOUND:
	case TG_ERR_EXISTS:
	case TG_ERR_WEAK_KEY:
	case TG_ERR_UNSUPPORTED:
	case TG_ERR_TOO_LARGE:
	case TG_ERR_DENIED:
	case TG_ERR_LIMITED:
	case TG_ERR_RANGE:
		return CTL_EXIT_REJECTED;
	case TG_ERR_CRYPTO:
	case TG_ERR_DB:
	case TG_ERR_IO:
	case TG_ERR_BUSY:
		break;
	}
	return CTL_EXIT_USAGE;
}

/* ---------------------------------------------------------------- option parsing */

static bool
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static const struct ctl_opt *
find_opt(const struct ctl_opt *opts, const char *name, size_t len)
{
	for (const struct ctl_opt *o = opts; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static void
push_opt(struct ctl_args *a, int id, const char *value)
{
	a->opts = tg_xrealloc(a->opts, (a->nopts + 1) * sizeof(*a->opts));
	a->opts[a->nopts].id = id;
	a->opts[a->nopts].value = value;
	a->nopts++;
}

/* --db is global so it may follow the command; every other option comes from the table. */
static int
parse_long(struct ctl *c, int argc, char **argv, int *i, const struct ctl_opt *opts,
	   const char *usage, struct ctl_args *a)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *value = eq ? eq + 1 : NULL;
	const struct ctl_opt *o = find_opt(opts, arg, len);
	bool is_db = !o && len == 2 && strncmp(arg, "db", 2) == 0;

	if (!o && !is_db)
		return ctl_usage_error(usage, "unknown option --%.*s", (int)len, arg);
	if (!is_db && !o->has_arg) {
		if (value)
			return ctl_usage_error(usage, "option --%s takes no value", o->name);
		push_opt(a, o->id, NULL);
		return CTL_EXIT_OK;
	}
	if (!value) {
		if (*i + 1 >= argc)
			return ctl_usage_error(usage, "option --%.*s needs a value", (int)len, arg);
		value = argv[++*i];
	}
	if (is_db)
		c->db = value;
	else
		push_opt(a, o->id, value);
	return CTL_EXIT_OK;
}

int
ctl_parse(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, size_t npos,
	  const char *usage, struct ctl_args *out)
{
	struct ctl_args a = { 0 };
	bool is_after_dashes = false;
	int rc = CTL_EXIT_OK;

	/* Help wins over any other mistake on the line, so it always works. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (is_help(argv[i])) {
			fputs(usage, stdout);
			out->wants_help = true;
			return CTL_EXIT_OK;
		}
	}
	for (int i = 1; i < argc && rc == CTL_EXIT_OK; i++) {
		const char *arg = argv[i];

		if (!is_after_dashes && strcmp(arg, "--") == 0) {
			is_after_dashes = true;
		} else if (!is_after_dashes && strncmp(arg, "--", 2) == 0) {
			rc = parse_long(c, argc, argv, &i, opts, usage, &a);
		} else if (a.npos >= npos) {
			rc = ctl_usage_error(usage, "unexpected argument \"%s\"", arg);
		} else {
			a.pos[a.npos++] = arg;
		}
	}
	if (rc == CTL_EXIT_OK && a.npos < npos)
		rc = ctl_usage_error(usage, "missing argument: %zu expected, %zu given", npos,
				     a.npos);
	if (rc != CTL_EXIT_OK) {
		ctl_args_fini(&a);
		return rc;
	}
	*out = a;
	return CTL_EXIT_OK;
}

void
ctl_args_fini(struct ctl_args *a)
{
	free(a->opts);
	a->opts = NULL;
	a->nopts = 0;
}

const char *
ctl_last(const struct ctl_args *a, int id)
{
	const char *v = NULL;

	for (size_t i = 0; i < a->nopts; i++)
		if (a->opts[i].id == id)
			v = a->opts[i].value;
	return v;
}

bool
ctl_has(const struct ctl_args *a, int id)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (a->opts[i].id == id)
			return true;
	return false;
}

int
ctl_number(const char *usage, const char *opt, const char *s, int64_t min, int64_t max,
	   int64_t *out)
{
	enum tg_err rc = number_parse(s, min, max, out);

	if (rc == TG_ERR_RANGE)
		return ctl_usage_error(usage, "%s must be between %lld and %lld", opt,
				       (long long)min, (long long)max);
	if (rc != TG_OK)
		return ctl_usage_error(usage, "%s wants a whole number, not \"%s\"", opt, s);
	return CTL_EXIT_OK;
}

int
ctl_alg(const char *usage, const char *s, enum tg_alg *out)
{
	if (alg_from_name(s, out) != TG_OK)
		return ctl_usage_error(usage,
				       "unknown algorithm \"%s\" (HS256 HS384 HS512 RS256 RS384 RS512 "
				       "PS256 PS384 PS512 ES256 ES384 ES512 EdDSA, spelled exactly)",
				       s);
	return CTL_EXIT_OK;
}

/* ---------------------------------------------------------------- environment */

static const char *
db_dir(struct ctl *c)
{
	const char *env;

	if (c->db && c->db[0])
		return c->db;
	env = getenv("TOKENGATE_DB");
	return env && env[0] ? env : NULL;
}

int
ctl_db_dir(struct ctl *c, const char **out)
{
	*out = db_dir(c);
	if (!*out)
		return ctl_fail(CTL_EXIT_USAGE,
				"no database given: pass --db DIR or set TOKENGATE_DB");
	return CTL_EXIT_OK;
}

int
ctl_store(struct ctl *c, struct tg_store **out)
{
	const char *dir = NULL;
	struct tg_why why;
	int rc;

	if (c->store) {
		*out = c->store;
		return CTL_EXIT_OK;
	}
	rc = ctl_db_dir(c, &dir);
	if (rc == CTL_EXIT_OK)
		rc = ctl_become_owner(dir);
	if (rc != CTL_EXIT_OK)
		return rc;
	/* The store's sentences name the directory and the next step already. */
	if (store_open(dir, false, &c->store, &why) != TG_OK)
		return ctl_fail(CTL_EXIT_USAGE, "%s", why.text);
	*out = c->store;
	return CTL_EXIT_OK;
}

const struct ctl_opt ctl_no_opts[] = { { NULL, false, 0 } };

const struct ctl_opt ctl_json_opts[] = {
	{ "json", false, CTL_OPT_JSON },
	{ NULL, false, 0 },
};

int
ctl_open_tenant(struct ctl *c, const char *id, struct tg_store **s, struct tg_tenant **t)
{
	int rc = ctl_store(c, s);

	if (rc == CTL_EXIT_OK)
		rc = ctl_tenant_get(*s, id, t);
	return rc;
}

int
ctl_no_such(const char *tenant, const char *what, const char *group, const char *id)
{
	return ctl_fail(CTL_EXIT_REJECTED, "tenant %s has no %s %s (see `tokengatectl %s list %s`)",
			tenant, what, id, group, tenant);
}

int
ctl_change_result(enum tg_err err, const char *tenant, const char *what, const char *group,
		  const char *verb, const char *id)
{
	if (err == TG_ERR_NOT_FOUND)
		return ctl_no_such(tenant, what, group, id);
	if (err != TG_OK)
		return ctl_fail(ctl_exit_for(err), "cannot %s %s %s: %s", verb, what, id,
				tg_err_str(err));
	return CTL_EXIT_OK;
}

int
ctl_begin_tenant_cmd(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts,
		     size_t npos, const char *usage, struct ctl_args *a, struct tg_store **s,
		     struct tg_tenant **t)
{
	int rc = ctl_parse(c, argc, argv, opts, npos, usage, a);

	if (rc != CTL_EXIT_OK || a->wants_help)
		return rc;
	return ctl_open_tenant(c, a->pos[0], s, t);
}

int
ctl_change_cmd(struct ctl *c, int argc, char **argv, const struct ctl_change *ch)
{
	struct ctl_args a = { 0 };
	struct tg_store *s;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 2, ch->usage, &a, &s, NULL);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = ctl_change_result(ch->apply(s, a.pos[0], a.pos[1]), a.pos[0], ch->what, ch->group,
			       ch->verb, a.pos[1]);
	if (rc == CTL_EXIT_OK)
		printf("%s %s of tenant %s %s\n", ch->what, a.pos[1], a.pos[0], ch->done);
out:
	ctl_args_fini(&a);
	return rc;
}

static int
cmd_init(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	const char *dir = NULL, *owner;
	struct tg_why why;
	int rc;

	rc = ctl_parse(c, argc, argv, init_opts, 0, usage_init, &a);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = ctl_db_dir(c, &dir);
	if (rc != CTL_EXIT_OK)
		goto out;
	owner = ctl_last(&a, OPT_OWNER);
	rc = owner ? ctl_init_owner(dir, owner) : ctl_become_owner(dir);
	if (rc != CTL_EXIT_OK)
		goto out;
	if (store_open(dir, true, &c->store, &why) != TG_OK) {
		rc = ctl_fail(CTL_EXIT_USAGE, "%s", why.text);
		goto out;
	}
	printf("database ready in %s\n", dir);
out:
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- files and output */

enum tg_err
ctl_read_file(const char *path, size_t cap, struct tg_secret *out, struct tg_why *why)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t size = 4096, len = 0, n;
	unsigned char *buf;
	enum tg_err rc = TG_OK;

	if (!f)
		return tg_fail(why, TG_ERR_IO, "%s", strerror(errno));
	buf = tg_xmalloc(size);
	/* Grown by copy and wipe rather than realloc, which could leave secret bytes behind. */
	while ((n = fread(buf + len, 1, size - len, f)) > 0) {
		len += n;
		if (len > cap) {
			rc = TG_ERR_TOO_LARGE;
			break;
		}
		if (len == size) {
			unsigned char *bigger = tg_xmalloc(size * 2);

			memcpy(bigger, buf, len);
			secret_free_buf(buf, size);
			buf = bigger;
			size *= 2;
		}
	}
	if (rc == TG_OK && ferror(f))
		rc = tg_fail(why, TG_ERR_IO, "%s", strerror(errno));
	if (rc == TG_OK)
		secret_set(out, buf, len);
	secret_free_buf(buf, size);
	if (!is_stdin)
		fclose(f);
	return rc;
}

void
ctl_print_json(struct json_object *o_owned)
{
	puts(json_object_to_json_string_ext(o_owned,
					    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o_owned);
}

void
ctl_format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

void
ctl_table_init(struct ctl_table *t, size_t ncols)
{
	t->ncols = ncols;
	t->cells = NULL;
	t->ncells = 0;
}

void
ctl_table_row(struct ctl_table *t, ...)
{
	va_list ap;

	t->cells = tg_xrealloc(t->cells, (t->ncells + t->ncols) * sizeof(*t->cells));
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->ncells++] = tg_xstrdup(s ? s : "-");
	}
	va_end(ap);
}

void
ctl_table_print(const struct ctl_table *t)
{
	size_t *width = tg_xcalloc(t->ncols, sizeof(*width));

	for (size_t i = 0; i < t->ncells; i++) {
		size_t n = strlen(t->cells[i]);

		if (n > width[i % t->ncols])
			width[i % t->ncols] = n;
	}
	for (size_t i = 0; i < t->ncells; i++) {
		bool is_last = i % t->ncols == t->ncols - 1;

		if (is_last)
			printf("%s\n", t->cells[i]);
		else
			printf("%-*s  ", (int)width[i % t->ncols], t->cells[i]);
	}
	free(width);
}

void
ctl_table_fini(struct ctl_table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = 0;
}

/* ---------------------------------------------------------------- dispatch */

int
ctl_dispatch(struct ctl *c, int argc, char **argv, const struct ctl_sub *subs, const char *usage)
{
	if (argc < 2)
		return ctl_usage_error(usage, "%s needs a subcommand", argv[0]);
	if (is_help(argv[1])) {
		fputs(usage, stdout);
		return CTL_EXIT_OK;
	}
	for (const struct ctl_sub *s = subs; s->name; s++)
		if (strcmp(s->name, argv[1]) == 0)
			return s->run(c, argc - 1, argv + 1);
	return ctl_usage_error(usage, "unknown subcommand \"%s %s\"", argv[0], argv[1]);
}

static const struct ctl_sub commands[] = {
	{ "init", cmd_init },
	{ "tenant", ctl_cmd_tenant },
	{ "key", ctl_cmd_key },
	{ "apikey", ctl_cmd_apikey },
	{ "verify", ctl_cmd_verify },
	{ "token", ctl_cmd_token },
	{ "signing-key", ctl_cmd_signing_key },
	{ "session", ctl_cmd_session },
	{ "recover", ctl_cmd_recover },
	{ "backup", ctl_cmd_backup },
	{ "verify-db", ctl_cmd_verify_db },
	{ "restore", ctl_cmd_restore },
	{ NULL, NULL },
};

/* Global options come before the command; --db may also follow it (see parse_long). */
static int
run(struct ctl *c, int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		const char *arg = argv[i];

		if (is_help(arg)) {
			fputs(usage_main, stdout);
			return CTL_EXIT_OK;
		}
		if (strncmp(arg, "--db=", 5) == 0) {
			c->db = arg + 5;
		} else if (strcmp(arg, "--db") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error(usage_main, "option --db needs a value");
			c->db = argv[++i];
		} else {
			return ctl_usage_error(usage_main, "unknown option %s", arg);
		}
		i++;
	}
	if (i >= argc)
		return ctl_usage_error(usage_main, "no command given");
	for (const struct ctl_sub *s = commands; s->name; s++)
		if (strcmp(s->name, argv[i]) == 0)
			return s->run(c, argc - i, argv + i);
	return ctl_usage_error(usage_main, "unknown command \"%s\"", argv[i]);
}

int
main(int argc, char **argv)
{
	struct ctl c = { 0 };
	int rc = run(&c, argc, argv);

	store_close(c.store);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tokengatectl: cannot write the output: %s\n", strerror(errno));
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}
