/*
 * The operator's views of a deployment: `stats` (the database side: tenants,
 * keys, live sessions, file sizes, log files) and `doctor` (checks that say
 * what to do). Only reads: never changes a record, a file or a mode.
 */
#include "ctl/ctl.h"

#include "base/config.h"
#include "model/keyrec.h"
#include "model/session.h"
#include "model/tenant.h"
#include "store/store.h"
#include "store/store_admin.h"

#include <dirent.h>
#include <errno.h>
#include <json.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The database's records, counted from one snapshot and the session listings. */
struct db_counts {
	struct tg_tenant **tenants;
	size_t ntenants;
	struct tg_key_record **keys;
	size_t nkeys;
	size_t active, retired; /* verification keys */
	size_t live_sessions;
	int64_t newest; /* the latest `created` of any key: the clock check's floor */
};

static void
counts_fini(struct db_counts *d)
{
	tenant_list_free(d->tenants, d->ntenants);
	keyrec_list_free(d->keys, d->nkeys);
}

static enum tg_err
count_sessions(struct tg_store *s, const char *tenant, int64_t now, size_t *n)
{
	struct store_session_page p = { 0 };
	char *cursor = NULL;
	enum tg_err rc;

	do {
		rc = store_session_list(s, tenant, NULL, cursor, STORE_LIST_LIMIT_MAX, now, &p);
		free(cursor);
		cursor = NULL;
		if (rc != TG_OK)
			break;
		*n += p.n;
		cursor = p.next_cursor; /* ownership moves to the loop */
		p.next_cursor = NULL;
		store_session_page_fini(&p);
	} while (cursor);
	return rc;
}

static enum tg_err
count_db(struct tg_store *s, int64_t now, struct db_counts *d)
{
	uint64_t gen;
	enum tg_err rc = store_snapshot(s, &gen, &d->tenants, &d->ntenants, &d->keys, &d->nkeys);

	for (size_t i = 0; rc == TG_OK && i < d->nkeys; i++) {
		const struct tg_key_record *k = d->keys[i];

		if (k->use == TG_KEY_USE_VERIFY && k->state == TG_KEY_ACTIVE)
			d->active++;
		else if (k->use == TG_KEY_USE_VERIFY)
			d->retired++;
		if (k->created > d->newest)
			d->newest = k->created;
	}
	for (size_t i = 0; rc == TG_OK && i < d->ntenants; i++)
		rc = count_sessions(s, d->tenants[i]->id, now, &d->live_sessions);
	return rc;
}

/* ---------------------------------------------------------------- stats */

static const char usage_stats[] =
	"usage: tokengatectl stats [--json]\n"
	"\n"
	"The database side of a deployment: tenants, verification keys (active and\n"
	"retired), live sessions, the size of every file in the database directory and\n"
	"its Berkeley DB log files (log.*). The gateway's own counters are at GET\n"
	"<api>/metrics.\n";

static bool
is_log_file(const char *name)
{
	return strncmp(name, "log.", 4) == 0;
}

/* The directory's regular files as [{"name", "bytes"}], with the totals. */
static int
dir_files(const char *dir, struct json_object *files, long long *total, long long *log_bytes,
	  size_t *nlogs)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	if (!d)
		return ctl_fail(CTL_EXIT_USAGE, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		struct json_object *f;

		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		f = json_object_new_object();
		json_object_object_add(f, "name", json_object_new_string(e->d_name));
		json_object_object_add(f, "bytes", json_object_new_int64(st.st_size));
		json_object_array_add(files, f);
		*total += st.st_size;
		if (is_log_file(e->d_name)) {
			*log_bytes += st.st_size;
			(*nlogs)++;
		}
	}
	closedir(d);
	return CTL_EXIT_OK;
}

static long long
num(struct json_object *o, const char *key)
{
	return (long long)json_object_get_int64(json_object_object_get(o, key));
}

static const char *
str(struct json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(str(*(struct json_object *const *)a, "name"),
		      str(*(struct json_object *const *)b, "name"));
}

static void
print_stats(struct json_object *o)
{
	struct json_object *files = json_object_object_get(o, "files");

	printf("database       %s\n", str(o, "database"));
	printf("tenants        %lld\n", num(o, "tenants"));
	printf("keys           %lld active, %lld retired (verification keys)\n",
	       num(o, "active_keys"), num(o, "retired_keys"));
	printf("live sessions  %lld\n", num(o, "live_sessions"));
	printf("log files      %lld (%lld bytes)\n", num(o, "log_files"), num(o, "log_bytes"));
	printf("total          %lld bytes\n", num(o, "total_bytes"));
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *f = json_object_array_get_idx(files, i);

		printf("  %-24s %12lld\n", str(f, "name"), num(f, "bytes"));
	}
}

int
ctl_cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct db_counts d = { 0 };
	struct json_object *o = NULL, *files = json_object_new_array();
	struct tg_store *s;
	const char *dir = NULL;
	long long total = 0, log_bytes = 0;
	size_t nlogs = 0;
	int rc = ctl_begin_store_cmd(c, argc, argv, ctl_json_opts, 0, usage_stats, &a, &s);
	enum tg_err err;

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	err = count_db(s, time(NULL), &d);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot read the database: %s", tg_err_str(err));
		goto out;
	}
	rc = ctl_db_dir(c, &dir);
	if (rc == CTL_EXIT_OK)
		rc = dir_files(dir, files, &total, &log_bytes, &nlogs);
	if (rc != CTL_EXIT_OK)
		goto out;
	json_object_array_sort(files, by_name);
	o = json_object_new_object();
	json_object_object_add(o, "database", json_object_new_string(dir));
	json_object_object_add(o, "tenants", json_object_new_int64((int64_t)d.ntenants));
	json_object_object_add(o, "active_keys", json_object_new_int64((int64_t)d.active));
	json_object_object_add(o, "retired_keys", json_object_new_int64((int64_t)d.retired));
	json_object_object_add(o, "live_sessions", json_object_new_int64((int64_t)d.live_sessions));
	json_object_object_add(o, "log_files", json_object_new_int64((int64_t)nlogs));
	json_object_object_add(o, "log_bytes", json_object_new_int64(log_bytes));
	json_object_object_add(o, "total_bytes", json_object_new_int64(total));
	json_object_object_add(o, "files", files);
	files = NULL; /* ownership moves to o */
	if (ctl_has(&a, CTL_OPT_JSON)) {
		ctl_print_json(o);
		o = NULL;
	} else {
		print_stats(o);
	}
out:
	json_object_put(o);
	json_object_put(files);
	counts_fini(&d);
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- doctor */

static const char usage_doctor[] =
	"usage: tokengatectl doctor [--config FILE] [--snippet FILE] [--user USER]\n"
	"\n"
	"Checks a deployment and says what to do about each problem: the configuration\n"
	"parses (--config, default TOKENGATE_CONFIG or the installed tokengate.conf);\n"
	"the database (--db, TOKENGATE_DB or the configuration's `database`) opens,\n"
	"belongs to USER (default: the directory's owner) and is closed to other users;\n"
	"every tenant has an active verification key; the clock is not behind the\n"
	"database; and every path the server snippet FILE names exists (a socket's\n"
	"directory, for a path ending in .sock).\n"
	"Exit status: 0 all fine, 1 a problem found, 2 cannot check.\n";

enum { OPT_CONFIG = 1, OPT_SNIPPET, OPT_USER };

static const struct ctl_opt doctor_opts[] = {
	{ "config", true, OPT_CONFIG },
	{ "snippet", true, OPT_SNIPPET },
	{ "user", true, OPT_USER },
	{ NULL, false, 0 },
};

struct doctor {
	unsigned problems;
};

static void __attribute__((format(printf, 3, 4)))
report(struct doctor *dr, bool is_ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", is_ok ? "ok:     " : "PROBLEM:");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	dr->problems += !is_ok;
}

static void
check_config(struct doctor *dr, const char *path, struct tg_config **out)
{
	struct tg_why why;

	if (config_load(path, out, &why) == TG_OK)
		report(dr, true, "the configuration %s parses", path);
	else
		report(dr, false, "%s", why.text);
}

/* Owner and modes: store_check's rules, then the owner asked for and no access for others. */
static int
check_files(struct doctor *dr, const char *dir, const char *user)
{
	struct tg_why why;
	struct passwd *pw = user ? getpwnam(user) : NULL;
	struct dirent *e;
	struct stat st;
	DIR *d;
	enum tg_err rc = store_check(dir, &why);

	if (rc == TG_ERR_NOT_FOUND || rc == TG_ERR_IO)
		return ctl_fail(CTL_EXIT_USAGE, "cannot check: %s", why.text);
	report(dr, rc == TG_OK, "%s", rc == TG_OK ? "every file of the database belongs to the "
	       "directory's owner, who can read and write it" : why.text);
	if (user && !pw)
		return ctl_fail(CTL_EXIT_USAGE, "cannot check: no user %s on this system", user);
	if (pw && stat(dir, &st) == 0)
		report(dr, st.st_uid == pw->pw_uid, st.st_uid == pw->pw_uid ? "%s belongs to %s"
		       : "%s does not belong to %s, the server's user: run `chown -R %s: %s`", dir,
		       user, user, dir);
	d = opendir(dir);
	if (!d)
		return ctl_fail(CTL_EXIT_USAGE, "cannot check: cannot list %s: %s", dir,
				strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (S_ISREG(st.st_mode) || strcmp(e->d_name, ".") == 0) && (st.st_mode & 0077))
			report(dr, false, "%s/%s has mode %04o: the database holds secrets; run "
			       "`chmod go-rwx %s/%s`", dir, e->d_name,
			       (unsigned)(st.st_mode & 07777), dir, e->d_name);
	closedir(d);
	return CTL_EXIT_OK;
}

static void
check_keys(struct doctor *dr, const struct db_counts *d)
{
	bool is_fine = true;

	for (size_t i = 0; i < d->ntenants; i++) {
		const char *id = d->tenants[i]->id;
		size_t active = 0, retired = 0;

		for (size_t k = 0; k < d->nkeys; k++) {
			const struct tg_key_record *r = d->keys[k];

			if (strcmp(r->tenant, id) != 0 || r->use != TG_KEY_USE_VERIFY)
				continue;
			active += r->state == TG_KEY_ACTIVE;
			retired += r->state != TG_KEY_ACTIVE;
		}
		if (active == 0 && retired > 0)
			report(dr, false, "tenant %s has only retired keys, so every token it "
			       "presents is refused: add its current key (`tokengatectl key add "
			       "%s KID ...`)", id, id);
		else if (active == 0)
			report(dr, false, "tenant %s has no key, so every token it presents is "
			       "refused: `tokengatectl key add %s KID ...`", id, id);
		is_fine = is_fine && active > 0;
	}
	if (is_fine)
		report(dr, true, "every tenant (%zu) has an active key", d->ntenants);
}

/* The clock must not be behind what the database has already recorded. */
static void
check_clock(struct doctor *dr, const struct db_counts *d, int64_t now)
{
	int64_t slack = 300;

	if (d->newest > now + slack)
		report(dr, false, "the clock (%lld) is %lld s behind the newest key's creation "
		       "time: tokens would be judged by a wrong time; fix the time (NTP) and check "
		       "timedatectl", (long long)now, (long long)(d->newest - now));
	else
		report(dr, true, "the clock is not behind the database's records");
}

/*
 * A word of a snippet that is a file path: absolute, of two or more parts,
 * not a URL prefix ("/api", "/app/") nor a pattern.
 */
static bool
is_path_word(const char *w)
{
	return w[0] == '/' && strchr(w + 1, '/') && w[strlen(w) - 1] != '/' &&
	       !strpbrk(w, "$^*()[]{}|?");
}

static void
check_path(struct doctor *dr, const char *snippet, unsigned line, char *w)
{
	size_t len = strlen(w);
	bool is_socket = len > 5 && strcmp(w + len - 5, ".sock") == 0;
	char *slash = strrchr(w, '/');

	if (is_socket)
		*slash = '\0'; /* made by the server when it starts: its directory must exist */
	if (access(w, F_OK) == 0)
		report(dr, true, "%s:%u: %s exists", snippet, line, w);
	else
		report(dr, false, "%s:%u: %s%s: %s (edit the snippet's paths for this "
		       "installation)", snippet, line, is_socket ? "the socket's directory " : "",
		       w, strerror(errno));
}

static int
check_snippet(struct doctor *dr, const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	unsigned line = 0;

	if (!f)
		return ctl_fail(CTL_EXIT_USAGE, "cannot check the snippet %s: %s", path,
				strerror(errno));
	while (fgets(buf, sizeof(buf), f)) {
		char *save = NULL, *w, *p = buf + strspn(buf, " \t");

		line++;
		if (*p == '#')
			continue;
		for (w = strtok_r(p, " \t\r\n\"',;=>()", &save); w;
		     w = strtok_r(NULL, " \t\r\n\"',;=>()", &save))
			if (is_path_word(w))
				check_path(dr, path, line, w);
	}
	fclose(f);
	return CTL_EXIT_OK;
}

static int
doctor_db(struct doctor *dr, struct ctl *c, const char *user)
{
	struct db_counts d = { 0 };
	struct tg_store *s;
	const char *dir = NULL;
	int rc = ctl_db_dir(c, &dir);
	enum tg_err err;

	if (rc == CTL_EXIT_OK)
		rc = check_files(dr, dir, user);
	if (rc == CTL_EXIT_OK)
		rc = ctl_store(c, &s);
	if (rc != CTL_EXIT_OK)
		return rc;
	err = count_db(s, time(NULL), &d);
	if (err != TG_OK) {
		rc = ctl_fail(CTL_EXIT_USAGE, "cannot check: the database in %s does not "
			      "answer: %s", dir, tg_err_str(err));
		goto out;
	}
	report(dr, true, "the database in %s opens and answers", dir);
	check_keys(dr, &d);
	check_clock(dr, &d, time(NULL));
out:
	counts_fini(&d);
	return rc;
}

int
ctl_cmd_doctor(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct doctor dr = { 0 };
	struct tg_config *cfg = NULL;
	const char *snippet;
	int rc = ctl_parse(c, argc, argv, doctor_opts, 0, usage_doctor, &a);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	check_config(&dr, ctl_last(&a, OPT_CONFIG) ? ctl_last(&a, OPT_CONFIG) : config_path(),
		     &cfg);
	if (!c->db && !getenv("TOKENGATE_DB") && cfg)
		c->db = cfg->database;
	rc = doctor_db(&dr, c, ctl_last(&a, OPT_USER));
	snippet = ctl_last(&a, OPT_SNIPPET);
	if (rc == CTL_EXIT_OK && snippet)
		rc = check_snippet(&dr, snippet);
	if (rc == CTL_EXIT_OK && dr.problems)
		rc = CTL_EXIT_REJECTED;
	if (rc == CTL_EXIT_OK)
		printf("no problem found\n");
	else if (rc == CTL_EXIT_REJECTED)
		printf("%u problem%s found\n", dr.problems, dr.problems == 1 ? "" : "s");
out:
	/* c->db may point into cfg, and the store stays open until main closes it */
	ctl_args_fini(&a);
	if (c->db == (cfg ? cfg->database : NULL))
		c->db = NULL;
	config_free(cfg);
	return rc;
}
