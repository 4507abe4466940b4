/*
 * The database directory as files (store_admin.h, store_db.h): its owner and
 * modes as tokengate -t sees them, which files are there, which processes have
 * the environment open (BDB's registry), and the open lock. Reads files and
 * takes the lock; never opens the environment or reads a record.
 */
#include "store/store_db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


/* "www-data", or "uid 1234" for an account that no longer exists. */
static void
user_name(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "uid %ld", (long)uid);
}

static enum tg_err
denied(struct tg_why *why, const char *path, const struct stat *st, const char *problem,
       const char *fix)
{
	char owner[64], me[64];

	user_name(st->st_uid, owner, sizeof(owner));
	user_name(geteuid(), me, sizeof(me));
	return tg_fail(why, TG_ERR_DENIED, "permission problem: %s belongs to %s (mode %04o) %s, "
		       "running as %s: %s", path, owner, (unsigned)(st->st_mode & 07777), problem,
		       me, fix);
}

/* One file of the directory: the owner's, and usable by the owner. */
static enum tg_err
check_entry(const char *dir, const char *name, const struct stat *dst, struct tg_why *why)
{
	char *path = tg_xasprintf("%s/%s", dir, name);
	char owner[64];
	struct tg_why fix; /* the next step, which the sentence ends with */
	struct stat st;
	enum tg_err rc = TG_OK;

	user_name(dst->st_uid, owner, sizeof(owner));
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		goto out; /* gone meanwhile, or a directory restore left: not the environment's */
	/* An operator's DB_CONFIG (docs/operations.md) is only read. */
	if (strcmp(name, "DB_CONFIG") == 0 &&
	    (st.st_mode & (st.st_uid == dst->st_uid ? 0400 : 0004)))
		goto out;
	if (st.st_uid != dst->st_uid) {
		tg_fail(&fix, TG_ERR_DENIED, "the database's owner %s cannot rely on it; run `chown "
			"-R %s: %s`, then `tokengatectl --db %s recover`", owner, owner, dir, dir);
		rc = denied(why, path, &st, "in a database that is not its owner's", fix.text);
	} else if ((st.st_mode & 0600) != 0600) {
		tg_fail(&fix, TG_ERR_DENIED, "its owner needs read and write; run `chmod u+rw %s`",
			path);
		rc = denied(why, path, &st, "without owner read and write", fix.text);
	}
out:
	free(path);
	return rc;
}

enum tg_err
store_check(const char *dir, struct tg_why *why)
{
	char *file = tg_xasprintf("%s/%s", dir, STORE_DB_FILE);
	char owner[64];
	struct tg_why fix; /* the next step, which the sentence ends with */
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	enum tg_err rc = TG_OK;

	if (stat(dir, &st) != 0) {
		rc = errno == ENOENT ? TG_ERR_NOT_FOUND : TG_ERR_DENIED;
		user_name(geteuid(), owner, sizeof(owner));
		if (rc == TG_ERR_NOT_FOUND)
			tg_fail(why, rc, "no tokengate database in %s: run `tokengatectl --db %s "
				"init` first", dir, dir);
		else
			tg_fail(why, rc, "permission problem: %s cannot reach %s (%s): a directory "
				"above it is closed to %s", owner, dir, strerror(errno), owner);
		goto out;
	}
	user_name(st.st_uid, owner, sizeof(owner));
	if (!S_ISDIR(st.st_mode)) {
		rc = tg_fail(why, TG_ERR_IO, "%s is not a directory: name the database directory",
			     dir);
	} else if (geteuid() != 0 && geteuid() != st.st_uid) {
		tg_fail(&fix, TG_ERR_DENIED, "run it as %s (tokengatectl run as root switches to %s)",
			owner, owner);
		rc = denied(why, dir, &st, "and is used by its owner only", fix.text);
	} else if ((st.st_mode & 0700) != 0700) {
		tg_fail(&fix, TG_ERR_DENIED, "run `chmod u+rwx %s`", dir);
		rc = denied(why, dir, &st, "without owner read, write and search", fix.text);
	} else if (access(file, F_OK) != 0) {
		rc = tg_fail(why, TG_ERR_NOT_FOUND, "no tokengate database in %s: run "
			     "`tokengatectl --db %s init` first", dir, dir);
	}
	d = rc == TG_OK ? opendir(dir) : NULL;
	if (rc == TG_OK && !d)
		rc = tg_fail(why, TG_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
	while (rc == TG_OK && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = check_entry(dir, e->d_name, &st, why);
out:
	if (d)
		closedir(d);
	free(file);
	return rc;
}

/*
 * DB_REGISTER keeps one line per process in __db.register and an fcntl lock
 * on the line's first byte while the process has the environment open; a
 * line whose byte nobody locks belongs to a process that died.
 */
int
store_env_users(const char *dir, pid_t *first)
{
	char *path = tg_xasprintf("%s/%s", dir, STORE_REGISTRY);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char slot[STORE_REGISTRY_SLOT];
	int n = 0;

	free(path);
	if (fd < 0)
		return 0;
	for (off_t pos = 0; pread(fd, slot, sizeof(slot), pos) == (ssize_t)sizeof(slot);
	     pos += STORE_REGISTRY_SLOT) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = pos,
				    .l_len = 1 };

		if (slot[0] == 'X' || fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
			continue;
		if (n++ == 0)
			*first = fl.l_pid;
	}
	close(fd);
	return n;
}

int
store_lock_dir(const char *dir, bool is_waiting, int *fd_out)
{
	char *path = tg_xasprintf("%s/%s", dir, STORE_LOCK_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int ret = 0;

	free(path);
	if (fd < 0)
		return errno;
	if (flock(fd, LOCK_EX | (is_waiting ? 0 : LOCK_NB)) != 0) {
		ret = errno;
		close(fd);
		return ret;
	}
	*fd_out = fd;
	return 0;
}

bool
store_dir_has(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool has = false;

	while (d && !has && (e = readdir(d)) != NULL)
		has = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		      strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return has;
}
