/*
 * The database as a whole, for operators (store_admin.h): looking at a
 * directory's owner and modes, the open lock, the registry of live
 * processes, recovery, hot backup, verification and restore. Only the open
 * lock and the registry check serve store_open; the rest never runs on a
 * request path. Never reads a record, and never recovers or replaces an
 * environment a live process still uses.
 */
#include "store/store_db.h"

#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Under the open lock: refuses while a process has dir's environment open. */
static enum tg_err
claim(const char *dir, const char *what, int *fd, struct tg_why *why)
{
	pid_t pid = 0;
	int ret = store_lock_dir(dir, false, fd);

	if (ret == EWOULDBLOCK)
		return tg_fail(why, TG_ERR_BUSY, "a process is opening the database in %s right "
			       "now: stop the server (every process using it), then run %s again",
			       dir, what);
	if (ret != 0)
		return tg_fail(why, ret == EACCES ? TG_ERR_DENIED : TG_ERR_IO,
			       "cannot lock the database in %s: %s", dir, strerror(ret));
	if (store_env_users(dir, &pid) > 0) {
		close(*fd);
		*fd = -1;
		return tg_fail(why, TG_ERR_BUSY, "the server is running: process %ld has the "
			       "database in %s open; stop it (every process using the database), "
			       "then run %s again", (long)pid, dir, what);
	}
	return TG_OK;
}

/* A stand-in handle for store_env_recover on a directory nobody has open. */
static enum tg_err
recover_dir(const char *dir, bool is_catastrophic, struct tg_why *why)
{
	char *pfx = tg_xasprintf("database %s", dir);
	struct tg_store tmp = { .dir = (char *)(uintptr_t)dir, .errpfx = pfx };
	int ret = store_env_recover(&tmp, is_catastrophic);

	free(pfx);
	if (ret == 0)
		return TG_OK;
	return tg_fail(why, ret == EACCES ? TG_ERR_DENIED : TG_ERR_DB, "%srecovery of %s failed: "
		       "%s; %s", is_catastrophic ? "catastrophic " : "", dir, db_strerror(ret),
		       is_catastrophic ? "put a backup back with `tokengatectl restore BACKUP`"
		       : "try `tokengatectl recover --catastrophic`");
}

enum tg_err
store_recover(const char *dir, bool is_catastrophic, struct tg_why *why)
{
	int fd = -1;
	enum tg_err rc = store_check(dir, why);

	if (rc == TG_OK)
		rc = claim(dir, "recover", &fd, why);
	if (rc == TG_OK)
		rc = recover_dir(dir, is_catastrophic, why);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A copy whose regions are gone holds only the table file and the log. */
static int
drop_regions(const char *dir)
{
	DB_ENV *env = NULL;
	int ret = db_env_create(&env, 0);

	if (ret == 0)
		ret = env->remove(env, dir, 0); /* frees env whatever it answers */
	return ret;
}

enum tg_err
store_backup(const char *dir, const char *target, struct tg_why *why)
{
	struct tg_store *s = NULL;
	enum tg_err rc;
	int ret;

	if (store_dir_has(target, ""))
		return tg_fail(why, TG_ERR_EXISTS, "backup directory %s already holds files: name "
			       "a new or empty one", target);
	rc = store_open(dir, false, &s, why);
	if (rc != TG_OK)
		return rc;
	/*
	 * Copies the table file, then every log file from before the copy began
	 * to its end. A checkpoint meanwhile must not remove a log file holding
	 * changes to pages copied before them (BDB's hot backup procedure), so
	 * log removal is off, for every process, until the copy is done.
	 */
	ret = s->env->log_set_config(s->env, DB_LOG_AUTO_REMOVE, 0);
	if (ret == 0)
		ret = s->env->backup(s->env, target, DB_CREATE);
	(void)s->env->log_set_config(s->env, DB_LOG_AUTO_REMOVE, 1);
	store_close(s);
	if (ret != 0)
		return tg_fail(why, TG_ERR_IO, "cannot back %s up into %s: %s (it must be a "
			       "directory the database's owner can create and write)", dir, target,
			       db_strerror(ret));
	rc = recover_dir(target, true, why);
	if (rc == TG_OK && (ret = drop_regions(target)) != 0)
		rc = tg_fail(why, TG_ERR_IO, "cannot remove the region files of the backup in %s: "
			     "%s", target, db_strerror(ret));
	return rc;
}

enum tg_err
store_verify(const char *dir, struct tg_why *why)
{
	char *file = tg_xasprintf("%s/%s", dir, STORE_DB_FILE);
	DB *db = NULL;
	pid_t pid = 0;
	enum tg_err rc = TG_OK;
	int ret;

	if (access(file, R_OK) != 0) {
		rc = tg_fail(why, errno == ENOENT ? TG_ERR_NOT_FOUND : TG_ERR_DENIED,
			     "no readable %s: %s (name a backup made by `tokengatectl backup`, or "
			     "the database directory)", file, strerror(errno));
	} else if (store_env_users(dir, &pid) > 0) {
		rc = tg_fail(why, TG_ERR_BUSY, "process %ld has the database in %s open, and a "
			     "table that changes under it cannot be verified: verify a backup "
			     "(`tokengatectl backup DIR`), or stop the server first", (long)pid,
			     dir);
	} else if ((ret = db_create(&db, NULL, 0)) != 0) {
		rc = tg_fail(why, TG_ERR_DB, "cannot verify %s: %s", file, db_strerror(ret));
	} else {
		db->set_errfile(db, stderr);
		db->set_errpfx(db, file);
		ret = db->verify(db, file, NULL, NULL, 0); /* frees db whatever it answers */
		if (ret != 0)
			rc = tg_fail(why, TG_ERR_DB, "%s is damaged (%s): put another backup back, "
				     "or run `tokengatectl recover --catastrophic`", file,
				     db_strerror(ret));
	}
	free(file);
	return rc;
}

static bool
is_env_file(const char *name)
{
	return strcmp(name, STORE_DB_FILE) == 0 || strcmp(name, STORE_HINT_FILE) == 0 ||
	       strncmp(name, "log.", 4) == 0 || strncmp(name, "__db.", 5) == 0;
}

static int
copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char buf[65536];
	ssize_t n = 0;
	int ret = 0;

	if (in < 0 || out < 0)
		ret = errno;
	while (ret == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			ret = errno ? errno : EIO;
	if (ret == 0 && (n < 0 || fsync(out) != 0))
		ret = errno;
	if (out >= 0 && close(out) != 0 && ret == 0)
		ret = errno;
	if (in >= 0)
		close(in);
	return ret;
}

/*
 * Moves (is_copy false) dir's environment files into to, or copies (true)
 * the table file and log of backup dir into to.
 */
static int
transfer(const char *from, const char *to, bool is_copy, char **failed)
{
	DIR *d = opendir(from);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return errno;
	while (ret == 0 && (e = readdir(d)) != NULL) {
		char *src, *dst;

		if (!is_env_file(e->d_name) || (is_copy && strncmp(e->d_name, "__db.", 5) == 0))
			continue;
		src = tg_xasprintf("%s/%s", from, e->d_name);
		dst = tg_xasprintf("%s/%s", to, e->d_name);
		ret = is_copy ? copy_file(src, dst) : rename(src, dst) == 0 ? 0 : errno;
		if (ret != 0)
			*failed = tg_xstrdup(src);
		free(src);
		free(dst);
	}
	closedir(d);
	return ret;
}

static char *
aside_dir(const char *dir)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return tg_xasprintf("%s/replaced-%s", dir, stamp);
}

enum tg_err
store_restore(const char *backup, const char *dir, char **moved_to, struct tg_why *why)
{
	char *aside = NULL, *failed = NULL;
	int fd = -1, ret;
	enum tg_err rc = store_verify(backup, why);

	if (rc == TG_OK)
		rc = store_check(dir, why);
	if (rc == TG_OK)
		rc = claim(dir, "restore", &fd, why);
	if (rc != TG_OK)
		goto out;
	aside = aside_dir(dir);
	if (mkdir(aside, 0700) != 0) {
		rc = tg_fail(why, TG_ERR_IO, "cannot make %s for the files restore replaces: %s",
			     aside, strerror(errno));
		goto out;
	}
	ret = transfer(dir, aside, false, &failed);
	if (ret == 0)
		ret = transfer(backup, dir, true, &failed);
	if (ret != 0) {
		rc = tg_fail(why, TG_ERR_IO, "restore stopped at %s: %s; the files it replaced are "
			     "in %s", failed ? failed : dir, strerror(ret), aside);
		goto out;
	}
	/* Fresh regions now, so that a failure shows here rather than at the server's start. */
	rc = recover_dir(dir, false, why);
	if (rc == TG_OK) {
		*moved_to = aside; /* ownership moves to the caller */
		aside = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(failed);
	free(aside);
	return rc;
}
