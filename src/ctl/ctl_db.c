/*
 * `tokengatectl recover|backup|verify-db|restore`, the database taken as a
 * whole, and the switch to the database owner's user that every command run
 * as root makes before it opens anything (so root never leaves a file the
 * owner cannot use). Never opens the environment itself: store_admin.c does.
 */
#include "ctl/ctl.h"

#include "store/store_admin.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_CATASTROPHIC = 1 };

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

static const struct ctl_opt recover_opts[] = {
	{ "catastrophic", false, OPT_CATASTROPHIC },
	{ NULL, false, 0 },
};

/* ---------------------------------------------------------------- the owner's user */

static int
become(const struct passwd *pw, const char *dir)
{
	if (setgid(pw->pw_gid) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		return ctl_fail(CTL_EXIT_USAGE, "cannot switch to %s, who owns %s: %s; run the "
				"command as %s", pw->pw_name, dir, strerror(errno), pw->pw_name);
	return CTL_EXIT_OK;
}

int
ctl_become_owner(const char *dir)
{
	struct passwd *pw;
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) != 0 || st.st_uid == 0)
		return CTL_EXIT_OK; /* nothing to switch, or the open says what is wrong */
	pw = getpwuid(st.st_uid);
	if (!pw)
		return ctl_fail(CTL_EXIT_USAGE, "%s belongs to uid %ld, which has no account: give "
				"it to the user the gateway runs as (`chown -R USER: %s`)", dir,
				(long)st.st_uid, dir);
	return become(pw, dir);
}

int
ctl_init_owner(const char *dir, const char *user)
{
	struct passwd *pw = getpwnam(user);
	struct stat st;

	if (!pw)
		return ctl_fail(CTL_EXIT_USAGE, "--owner %s: no such user", user);
	if (geteuid() != 0 && geteuid() != pw->pw_uid)
		return ctl_fail(CTL_EXIT_USAGE, "--owner %s needs root (this runs as uid %ld)", user,
				(long)geteuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ctl_fail(CTL_EXIT_USAGE, "cannot create database directory %s: %s", dir,
				strerror(errno));
	if (stat(dir, &st) != 0)
		return ctl_fail(CTL_EXIT_USAGE, "cannot look at %s: %s", dir, strerror(errno));
	if (st.st_uid != pw->pw_uid && st.st_uid != geteuid())
		return ctl_fail(CTL_EXIT_USAGE, "%s already belongs to another user (uid %ld), not "
				"to %s: move it aside or `chown -R %s: %s` first", dir,
				(long)st.st_uid, user, user, dir);
	if (st.st_uid != pw->pw_uid && chown(dir, pw->pw_uid, pw->pw_gid) != 0)
		return ctl_fail(CTL_EXIT_USAGE, "cannot give %s to %s: %s", dir, user,
				strerror(errno));
	return geteuid() == pw->pw_uid ? CTL_EXIT_OK : become(pw, dir);
}

/* ---------------------------------------------------------------- commands */

/*
 * One of the commands below: its usage, options and positionals, and the
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
