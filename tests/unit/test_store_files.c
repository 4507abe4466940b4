/*
 * The database directory as files (store_files.c): the look-only check names
 * owner, mode and user and the fix; the open lock excludes a second holder
 * until the first lets go; the registry lists the processes that have the
 * environment open, and no longer one that closed it. Real BDB files, real
 * child processes, a real www-data account when run as root.
 */
#include "store/store_db.h"

#include "../lib/tap.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/tokengate-test_store_files.XXXXXX";

/* Runs store_check as user pw in a child; 0 when it answered want with needle in why. */
static bool
check_as(const char *dir, const struct passwd *pw, enum tg_err want, const char *needle)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		struct tg_why why = { "" };
		enum tg_err rc;

		if (pw && (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0))
			_exit(3);
		rc = store_check(dir, &why);
		if (rc != want || !strstr(why.text, needle))
			fprintf(stderr, "# got %d: %s\n", rc, why.text);
		_exit(rc == want && strstr(why.text, needle) ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
chown_all(const char *dir, const struct passwd *pw)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *p = tg_xasprintf("%s/%s", dir, e->d_name);

		(void)!chown(p, pw->pw_uid, pw->pw_gid);
		free(p);
	}
	if (d)
		closedir(d);
}

static void
test_check(void)
{
	struct passwd *pw = getpwnam("www-data");
	char *dir = tg_xasprintf("%s/owned", root);
	char *file = tg_xasprintf("%s/owned/tokengate.db", root);
	struct tg_store *s = NULL;
	struct tg_why why;

	if (!pw || geteuid() != 0) {
		ok(true, "# SKIP the ownership checks need root and a www-data account");
		return;
	}
	chmod(root, 0755);
	store_open(dir, true, &s, NULL);
	store_close(s);
	is_int(store_check(dir, &why), TG_OK, "a root database checks OK as root");
	ok(check_as(dir, pw, TG_ERR_DENIED, "belongs to root (mode 0700)") &&
		   check_as(dir, pw, TG_ERR_DENIED, "running as www-data"),
	   "as another user: a permission problem naming owner, mode and user");
	/* What a root tokengatectl left behind before it switched users: one root file. */
	(void)!chown(dir, pw->pw_uid, pw->pw_gid);
	(void)!chown(file, pw->pw_uid, pw->pw_gid);
	is_int(store_check(dir, &why), TG_ERR_DENIED,
	       "as root, a www-data database holding a root file is not OK");
	ok(strstr(why.text, "belongs to root (mode 0600)") && strstr(why.text, "chown -R www-data"),
	   "naming the file, its owner and mode, and the fix: %s", why.text);
	chown_all(dir, pw);
	ok(check_as(dir, NULL, TG_OK, ""), "every file the owner's: OK as root");
	ok(check_as(dir, pw, TG_OK, ""), "and as the owner");
	free(file);
	free(dir);
}


static void
test_lock(void)
{
	char *dir = tg_xasprintf("%s/lock", root);
	int first = -1, second = -1;

	mkdir(dir, 0700);
	is_int(store_lock_dir(dir, false, &first), 0, "the open lock is free at first");
	is_int(store_lock_dir(dir, false, &second), EWOULDBLOCK,
	       "a second holder is refused while the first holds it");
	close(first);
	is_int(store_lock_dir(dir, false, &second), 0, "and gets it once the first lets go");
	ok(store_dir_has(dir, "tokengate.lo") && !store_dir_has(dir, "__db"),
	   "store_dir_has sees the lock file, and no region file where there is none");
	close(second);
	free(dir);
}

/*
 * Another process holds the environment open: this one (with no store open, so
 * the fork copies no store threads, nor a lock one of them held) reads the
 * registry and must see it, by pid.
 */
static void
test_users(void)
{
	char *dir = tg_xasprintf("%s/users", root);
	int ready[2], go[2], status = -1;
	pid_t first = 0, child;
	char c = 0;

	is_int(store_env_users(dir, &first), 0, "no registry: nobody has the environment open");
	if (pipe(ready) != 0 || pipe(go) != 0) {
		ok(false, "pipes");
		free(dir);
		return;
	}
	child = fork();
	if (child == 0) {
		struct tg_store *s = NULL;
		char ok_byte = store_open(dir, true, &s, NULL) == TG_OK ? 'y' : 'n';

		(void)!write(ready[1], &ok_byte, 1);
		(void)!read(go[0], &c, 1);
		store_close(s);
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1 || c != 'y') {
		ok(false, "the other process opens the store");
	} else {
		is_int(store_env_users(dir, &first), 1, "another process has it open: one user");
		is_int(first, child, "named by its pid");
	}
	(void)!write(go[1], "x", 1);
	waitpid(child, &status, 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	is_int(store_env_users(dir, &first), 0, "closed: the registry lists nobody");
	ok(store_dir_has(dir, "__db.") && store_dir_has(dir, "tokengate.db"),
	   "store_dir_has sees the region and table files");
	free(dir);
}

int
main(void)
{
	if (!mkdtemp(root)) {
		diag("mkdtemp failed");
		return 1;
	}
	test_check();
	test_lock();
	test_users();
	if (!getenv("TG_KEEP"))
		tap_rmtree(root);
	return done_testing();
}
