/*
 * `tokengatectl init|recover|backup|verify-db|restore`, the database taken as
 * a whole. Each works as the database's owner (ctl_open.c switches to that
 * user); none opens the environment itself: store.c and store_admin.c do.
 */
#include "ctl/ctl.h"

#include "store/store.h"
#include "store/store_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_OWNER = 1, OPT_CATASTROPHIC };

static const char usage_init[] =
	"usage: tokengatectl [--db DIR] init [--owner USER]\n"
	"\n"
	"Creates the database directory and its environment if missing. Running it\n"
	"again on an existing database changes nothing. --owner (as root) creates it\n"
	"for USER, the user the gateway runs as (www-data): the directory and every\n"
	"file in it belong to USER.\n";

static const char usage_recover[] =
	"usage: tokengatectl [--db DIR] recover [--catastrophic]\n"
	"\n"
	"Recovers the database from its log after a crash the gateway could not mend\n"
	"on its own (it says when). Refuses while a process has the database open:\n"
	"stop the web server first. --catastrophic replays every log file instead of\n"
	"starting at the last checkpoint (Berkeley DB's catastrophic recovery); use it\n"
	"when plain recovery fails.\n";

static const char usage_backup[] =
	"usage: tokengatectl [--db DIR] backup BACKUP_DIR\n"
	"\n"
	"Copies the database into BACKUP_DIR (new or empty) while the gateway keeps\n"
	"running: Berkeley DB's hot backup, then recovery of the copy, which then holds\n"
	"every change committed before the backup began. Run as root, it works as the\n"
	"database's owner, who must be able to create BACKUP_DIR.\n";

static const char usage_verify_db[] =
	"usage: tokengatectl [--db DIR] verify-db [BACKUP_DIR]\n"
	"\n"
	"Checks every table of a backup (or, without BACKUP_DIR, of the database, which\n"
	"no process may have open) for damage. Exit status 0 when sound, 2 otherwise.\n";

static const char usage_restore[] =
	"usage: tokengatectl [--db DIR] restore BACKUP_DIR\n"
	"\n"
	"Puts a backup made by `tokengatectl backup` in place of the database, after\n"
	"verifying it. Stop the web server first: restore refuses while a process has\n"
	"the database open. The files it replaces move into DIR/replaced-TIMESTAMP.\n";

static const struct ctl_opt init_opts[] = {
	{ "owner", true, OPT_OWNER },
	{ NULL, false, 0 },
};

static const struct ctl_opt recover_opts[] = {
	{ "catastrophic", false, OPT_CATASTROPHIC },
	{ NULL, false, 0 },
};

/* ---------------------------------------------------------------- commands */

int
ctl_cmd_init(struct ctl *c, int argc, char **argv)
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
	rc = ctl_make_parents(dir);
	if (rc == CTL_EXIT_OK)
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

/*
 * One of the commands below init: its usage, options and positionals, and the
 * work on the database directory dir. On success *done (caller frees) is the
 * line to print; otherwise why holds the sentence.
 */
struct db_cmd {
	const char *usage;
	const struct ctl_opt *opts;
	size_t npos;
	enum tg_err (*apply)(const char *dir, const struct ctl_args *a, char **done,
			     struct tg_why *why);
};

/* Parse, name the directory, become its owner, do the work, say how it went. */
static int
run(struct ctl *c, int argc, char **argv, const struct db_cmd *cmd, const char *dir)
{
	struct ctl_args a = { 0 };
	char *done = NULL;
	struct tg_why why;
	enum tg_err err;
	int rc = ctl_parse(c, argc, argv, cmd->opts, cmd->npos, cmd->usage, &a);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	if (!dir)
		rc = ctl_db_dir(c, &dir);
	if (rc == CTL_EXIT_OK)
		rc = ctl_become_owner(dir);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = cmd->apply(dir, &a, &done, &why);
	if (err == TG_OK)
		printf("%s\n", done);
	else
		rc = ctl_fail(err == TG_ERR_BUSY || err == TG_ERR_EXISTS ? CTL_EXIT_REJECTED
									 : CTL_EXIT_USAGE,
			      "%s", why.text);
out:
	free(done);
	ctl_args_fini(&a);
	return rc;
}

static enum tg_err
apply_recover(const char *dir, const struct ctl_args *a, char **done, struct tg_why *why)
{
	enum tg_err err = store_recover(dir, ctl_has(a, OPT_CATASTROPHIC), why);

	if (err == TG_OK)
		*done = tg_xasprintf("database in %s recovered", dir);
	return err;
}

static enum tg_err
apply_backup(const char *dir, const struct ctl_args *a, char **done, struct tg_why *why)
{
	enum tg_err err = store_backup(dir, a->pos[0], why);

	if (err == TG_OK)
		*done = tg_xasprintf("backup of %s written to %s", dir, a->pos[0]);
	return err;
}

/* dir is the directory to verify: a backup, or the database itself. */
static enum tg_err
apply_verify(const char *dir, const struct ctl_args *a, char **done, struct tg_why *why)
{
	enum tg_err err = store_verify(dir, why);

	(void)a;
	if (err == TG_OK)
		*done = tg_xasprintf("%s: every table verified", dir);
	return err;
}

static enum tg_err
apply_restore(const char *dir, const struct ctl_args *a, char **done, struct tg_why *why)
{
	char *moved = NULL;
	enum tg_err err = store_restore(a->pos[0], dir, &moved, why);

	if (err == TG_OK)
		*done = tg_xasprintf("database in %s restored from %s; the files it replaced are "
				     "in %s", dir, a->pos[0], moved);
	free(moved);
	return err;
}

int
ctl_cmd_recover(struct ctl *c, int argc, char **argv)
{
	static const struct db_cmd cmd = { usage_recover, recover_opts, 0, apply_recover };

	return run(c, argc, argv, &cmd, NULL);
}

int
ctl_cmd_backup(struct ctl *c, int argc, char **argv)
{
	static const struct db_cmd cmd = { usage_backup, ctl_no_opts, 1, apply_backup };

	return run(c, argc, argv, &cmd, NULL);
}

int
ctl_cmd_restore(struct ctl *c, int argc, char **argv)
{
	static const struct db_cmd cmd = { usage_restore, ctl_no_opts, 1, apply_restore };

	return run(c, argc, argv, &cmd, NULL);
}

/*
 * verify-db's BACKUP_DIR is optional (ctl_parse wants an exact count): with
 * one, that directory is verified instead of --db's.
 */
int
ctl_cmd_verify_db(struct ctl *c, int argc, char **argv)
{
	struct db_cmd cmd = { usage_verify_db, ctl_no_opts, 0, apply_verify };
	const char *target = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0)
			i++;
		else if (strncmp(argv[i], "--", 2) != 0 && cmd.npos++ == 0)
			target = argv[i];
	}
	cmd.npos = cmd.npos > 0;
	return run(c, argc, argv, &cmd, target);
}
