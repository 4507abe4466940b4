/*
 * `tokengatectl recover|backup|verify-db|restore`, the database taken as a
 * whole, and the switch to the database owner's user that every command run
 * as root makes before it opens anything (so root never leaves a file the
 * owner cannot use). Never opens the environment itself: store_admin.c does.
 */
#include "ctl.h"

#include "store_admin.h"

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
 * Every command here: parse, find the directory, become its owner. dir_out
 * gets --db's directory.
 */
static int
begin(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, size_t npos,
      const char *usage, struct ctl_args *a, const char **dir_out)
{
	int rc = ctl_parse(c, argc, argv, opts, npos, usage, a);

	if (rc != CTL_EXIT_OK || a->wants_help)
		return rc;
	rc = ctl_db_dir(c, dir_out);
	if (rc == CTL_EXIT_OK)
		rc = ctl_become_owner(*dir_out);
	return rc;
}

static int
result(enum tg_err err, const char *why)
{
	return ctl_fail(err == TG_ERR_BUSY || err == TG_ERR_EXISTS ? CTL_EXIT_REJECTED
								   : CTL_EXIT_USAGE,
			"%s", why);
}

int
ctl_cmd_recover(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	const char *dir = NULL;
	char why[1024];
	enum tg_err err;
	int rc = begin(c, argc, argv, recover_opts, 0, usage_recover, &a, &dir);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = store_recover(dir, ctl_has(&a, OPT_CATASTROPHIC), why, sizeof(why));
	if (err != TG_OK)
		rc = result(err, why);
	else
		printf("database in %s recovered\n", dir);
out:
	ctl_args_fini(&a);
	return rc;
}

int
ctl_cmd_backup(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	const char *dir = NULL;
	char why[1024];
	enum tg_err err;
	int rc = begin(c, argc, argv, ctl_no_opts, 1, usage_backup, &a, &dir);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = store_backup(dir, a.pos[0], why, sizeof(why));
	if (err != TG_OK)
		rc = result(err, why);
	else
		printf("backup of %s written to %s\n", dir, a.pos[0]);
out:
	ctl_args_fini(&a);
	return rc;
}

/* verify-db's BACKUP_DIR is optional; ctl_parse wants an exact count. */
static size_t
positionals(int argc, char **argv)
{
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0)
			i++;
		else if (strncmp(argv[i], "--", 2) != 0)
			n++;
	}
	return n;
}

int
ctl_cmd_verify_db(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	const char *dir = NULL, *target;
	char why[1024];
	enum tg_err err;
	int rc = ctl_parse(c, argc, argv, ctl_no_opts, positionals(argc, argv) > 0,
			   usage_verify_db, &a);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	target = a.npos ? a.pos[0] : NULL;
	rc = target ? CTL_EXIT_OK : ctl_db_dir(c, &dir);
	if (rc != CTL_EXIT_OK)
		goto out;
	target = target ? target : dir;
	rc = ctl_become_owner(target);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = store_verify(target, why, sizeof(why));
	if (err != TG_OK)
		rc = result(err, why);
	else
		printf("%s: every table verified\n", target);
out:
	ctl_args_fini(&a);
	return rc;
}

int
ctl_cmd_restore(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	const char *dir = NULL;
	char *moved = NULL;
	char why[1024];
	enum tg_err err;
	int rc = begin(c, argc, argv, ctl_no_opts, 1, usage_restore, &a, &dir);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = store_restore(a.pos[0], dir, &moved, why, sizeof(why));
	if (err != TG_OK)
		rc = result(err, why);
	else
		printf("database in %s restored from %s; the files it replaced are in %s\n", dir,
		       a.pos[0], moved);
out:
	free(moved);
	ctl_args_fini(&a);
	return rc;
}

