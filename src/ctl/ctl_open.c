/*
 * Reaching the database: the directory --db or TOKENGATE_DB names, the switch
 * to the user who owns it (so root never leaves a file the owner cannot use),
 * the store opened once per run, and a tenant read from it. Never writes stdout
 * and never opens the environment itself: store.c does.
 */
#include "ctl/ctl.h"

#include "store/store.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
ctl_make_parents(const char *dir)
{
	char *path = tg_xstrdup(dir);
	int rc = CTL_EXIT_OK;

	for (char *slash = strchr(path + 1, '/'); slash && rc == CTL_EXIT_OK;
	     slash = strchr(slash + 1, '/')) {
		if (slash[1] == '\0')
			break; /* "DIR/": DIR itself is init's to make, 0700 */
		*slash = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			rc = ctl_fail(CTL_EXIT_USAGE, "cannot create %s, a parent of the database "
				      "directory %s: %s", path, dir, strerror(errno));
		*slash = '/';
	}
	free(path);
	return rc;
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

int
ctl_tenant_get(struct tg_store *s, const char *id, struct tg_tenant **out)
{
	struct tg_tenant *t = NULL;
	enum tg_err err = store_tenant_get(s, id, &t);

	if (err == TG_ERR_NOT_FOUND)
		return ctl_tenant_not_found(id);
	if (err != TG_OK)
		return ctl_fail(ctl_exit_for(err), "cannot read tenant %s: %s", id, tg_err_str(err));
	if (out)
		*out = t;
	else
		tenant_free(t);
	return CTL_EXIT_OK;
}

int
ctl_open_tenant(struct ctl *c, const char *id, struct tg_store **s, struct tg_tenant **t)
{
	int rc = ctl_store(c, s);

	if (rc == CTL_EXIT_OK)
		rc = ctl_tenant_get(*s, id, t);
	return rc;
}
