/*
 * The shapes commands share: finding a subcommand in a table, the opening of a
 * command that reads the store or one tenant, and the whole of the commands
 * that change one thing of a tenant or list a tenant's things. Knows no
 * command by name: the tables live with the commands.
 */
#include "ctl/ctl.h"

#include <json.h>
#include <stdio.h>
#include <string.h>

static int
dispatch(struct ctl *c, int argc, char **argv, const struct ctl_group *g)
{
	if (argc < 2)
		return ctl_usage_error(g->usage, "%s needs a subcommand", argv[0]);
	if (ctl_is_help(argv[1])) {
		fputs(g->usage, stdout);
		return CTL_EXIT_OK;
	}
	for (const struct ctl_sub *s = g->subs; s->name; s++)
		if (strcmp(s->name, argv[1]) == 0)
			return ctl_sub_run(c, argc - 1, argv + 1, s);
	return ctl_usage_error(g->usage, "unknown subcommand \"%s %s\"", argv[0], argv[1]);
}

int
ctl_sub_run(struct ctl *c, int argc, char **argv, const struct ctl_sub *sub)
{
	if (sub->change)
		return ctl_change_cmd(c, argc, argv, sub->change);
	if (sub->list)
		return ctl_list_cmd(c, argc, argv, sub->list);
	if (sub->group)
		return dispatch(c, argc, argv, sub->group);
	return sub->run(c, argc, argv);
}

int
ctl_begin_store_cmd(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, size_t npos,
		    const char *usage, struct ctl_args *a, struct tg_store **s)
{
	int rc = ctl_parse(c, argc, argv, opts, npos, usage, a);

	if (rc != CTL_EXIT_OK || a->wants_help)
		return rc;
	return ctl_store(c, s);
}

int
ctl_begin_tenant_cmd(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts,
		     size_t npos, const char *usage, struct ctl_args *a, struct tg_store **s,
		     struct tg_tenant **t)
{
	int rc = ctl_begin_store_cmd(c, argc, argv, opts, npos, usage, a, s);

	if (rc != CTL_EXIT_OK || a->wants_help)
		return rc;
	return ctl_tenant_get(*s, a->pos[0], t);
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

static void
print_records(const struct ctl_list *l, const char *tenant, const struct ctl_records *r,
	      bool is_json)
{
	struct json_object *arr;

	if (!is_json) {
		l->print_text(tenant, r);
		return;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < r->n; i++)
		json_object_array_add(arr, l->to_json(r, i));
	ctl_print_json(arr);
}

int
ctl_list_cmd(struct ctl *c, int argc, char **argv, const struct ctl_list *l)
{
	struct ctl_args a = { 0 };
	struct ctl_records r = { 0 };
	struct tg_store *s;
	enum tg_err err;
	int rc;

	if (l->is_per_tenant)
		rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_json_opts, 1, l->usage, &a, &s, NULL);
	else
		rc = ctl_begin_store_cmd(c, argc, argv, ctl_json_opts, 0, l->usage, &a, &s);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = l->load(s, a.pos[0], &r);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot list %s: %s", l->what, tg_err_str(err));
		goto out;
	}
	print_records(l, a.pos[0], &r, ctl_has(&a, CTL_OPT_JSON));
	l->free(&r);
out:
	ctl_args_fini(&a);
	return rc;
}
