/*
 * tokengatectl's one option parser and the checks of option values (numbers,
 * algorithm names) every command shares. A mistake is a usage error with the
 * synopsis (exit 2); nothing here opens the database or knows a command.
 */
#include "ctl/ctl.h"

#include "base/number.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct ctl_opt ctl_no_opts[] = { { NULL, false, 0 } };

const struct ctl_opt ctl_json_opts[] = {
	{ "json", false, CTL_OPT_JSON },
	{ NULL, false, 0 },
};

bool
ctl_is_help(const char *arg)
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
		if (ctl_is_help(argv[i])) {
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
				       "PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519, spelled "
				       "exactly)", s);
	return CTL_EXIT_OK;
}

