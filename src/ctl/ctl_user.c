/*
 * `tokengatectl user ...`: a tenant's first-party login users (issue 14):
 * add, list, show, disable, enable, remove, set-password. A password comes
 * from the terminal without echo (asked twice) or from stdin's first line,
 * never from argv; it lives in a struct tg_secret, is wiped after hashing and
 * never reaches a log or the output. Listings never show the hash, nor a TOTP
 * secret (user totp ...: ctl_user_totp.c).
 */
#include "ctl/ctl.h"

#include "base/blocklist.h"
#include "base/config.h"
#include "model/password.h"
#include "model/user.h"
#include "store/store.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char usage_user[] =
	"usage: tokengatectl [--db DIR] user SUBCOMMAND ...\n"
	"\n"
	"  add TENANT EMAIL           add a user; the password is asked for (see add --help)\n"
	"  list TENANT [--json]       list the tenant's users (never their password hashes)\n"
	"  show TENANT EMAIL [--json] one user\n"
	"  disable TENANT EMAIL       refuse the user's logins from now on\n"
	"  enable TENANT EMAIL        allow them again\n"
	"  remove TENANT EMAIL        delete the user\n"
	"  set-password TENANT EMAIL  replace the user's password (asked for as add does)\n"
	"  totp enroll|disable TENANT EMAIL  the user's second factor (see totp --help)\n";

#define PASSWORD_HELP \
	"The password is read from the terminal without echo, twice, or when stdin is\n" \
	"not a terminal from its first line (e.g. `printf '%%s\\n' \"$PW\" | tokengatectl ...`);\n" \
	"never from the command line. It needs 8 characters at least (Unicode code\n" \
	"points), 1024 bytes at most, and must not be on the file password_blocklist\n" \
	"names in tokengate.conf (compared ignoring case). Emails are compared trimmed,\n" \
	"NFC-normalised and case-folded. Only an Argon2id hash at the tenant's\n" \
	"parameters (tenant set --password-memory-kib, --password-iterations) is stored.\n"

static const char usage_add[] =
	"usage: tokengatectl [--db DIR] user add TENANT EMAIL\n"
	"\n" PASSWORD_HELP;
static const char usage_set_password[] =
	"usage: tokengatectl [--db DIR] user set-password TENANT EMAIL\n"
	"\n" PASSWORD_HELP;
static const char usage_list[] = "usage: tokengatectl [--db DIR] user list TENANT [--json]\n";
static const char usage_show[] =
	"usage: tokengatectl [--db DIR] user show TENANT EMAIL [--json]\n";
static const char usage_disable[] = "usage: tokengatectl [--db DIR] user disable TENANT EMAIL\n";
static const char usage_enable[] = "usage: tokengatectl [--db DIR] user enable TENANT EMAIL\n";
static const char usage_remove[] = "usage: tokengatectl [--db DIR] user remove TENANT EMAIL\n";

/* One line of f, without its newline, into out; TG_ERR_TOO_LARGE past the password limit. */
static enum tg_err
read_line(FILE *f, struct tg_secret *out)
{
	size_t cap = TG_PASSWORD_MAX_BYTES + 2, n = 0;
	char *buf = tg_xmalloc(cap);
	enum tg_err rc = TG_OK;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n == cap - 1) {
			rc = TG_ERR_TOO_LARGE;
			continue; /* the rest of the line is read and dropped, never kept */
		}
		buf[n++] = (char)ch;
	}
	if (rc == TG_OK && ch == EOF && n == 0)
		rc = TG_ERR_NOT_FOUND;
	if (n && buf[n - 1] == '\r')
		n--;
	if (rc == TG_OK)
		secret_set(out, buf, n);
	secret_free_buf(buf, cap);
	return rc;
}

/* A prompt on the terminal with echo off; echo is restored whatever happens. */
static enum tg_err
ask(const char *prompt, struct tg_secret *out)
{
	struct termios old, quiet;
	enum tg_err rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return TG_ERR_IO;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return TG_ERR_IO;
	rc = read_line(stdin, out);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

static int
read_password(struct tg_secret *out)
{
	struct tg_secret again = { 0 };
	enum tg_err rc;
	int code = CTL_EXIT_OK;

	if (!isatty(STDIN_FILENO)) {
		rc = read_line(stdin, out);
	} else {
		rc = ask("New password: ", out);
		if (rc == TG_OK)
			rc = ask("Same password again: ", &again);
		if (rc == TG_OK && !secret_equal(out->p, out->len, again.p, again.len))
			code = ctl_fail(CTL_EXIT_REJECTED, "the two passwords differ; nothing was "
					"changed (run the command again)");
	}
	if (rc == TG_ERR_TOO_LARGE)
		code = ctl_fail(CTL_EXIT_REJECTED, "the password is longer than %d bytes",
				TG_PASSWORD_MAX_BYTES);
	else if (rc == TG_ERR_NOT_FOUND)
		code = ctl_fail(CTL_EXIT_USAGE, "no password on stdin (give it as stdin's first "
				"line, or run on a terminal to be asked)");
	else if (rc != TG_OK)
		code = ctl_fail(CTL_EXIT_USAGE, "cannot read the password from the terminal");
	secret_free(&again);
	return code;
}

/* The configured blocklist, if tokengate.conf names one; *out NULL otherwise. */
static int
load_blocklist(struct tg_blocklist **out)
{
	struct tg_config *cfg = NULL;
	struct tg_why why;
	int code = CTL_EXIT_OK;

	*out = NULL;
	if (access(config_path(), F_OK) != 0)
		return CTL_EXIT_OK;
	if (config_load(config_path(), &cfg, &why) != TG_OK ||
	    (cfg->password_blocklist && blocklist_load(cfg->password_blocklist, out, &why) != TG_OK))
		code = ctl_fail(CTL_EXIT_USAGE, "%s", why.text);
	config_free(cfg);
	return code;
}

/*
 * The password asked for, checked and hashed at tenant t's parameters into
 * *phc; an exit code after saying why not.
 */
static int
new_hash(const struct tg_tenant *t, char **phc)
{
	struct tg_secret pw = { 0 };
	struct tg_blocklist *bl = NULL;
	struct tg_password_params params;
	struct tg_why why;
	enum tg_err err;
	int code = load_blocklist(&bl);

	if (code == CTL_EXIT_OK)
		code = read_password(&pw);
	if (code != CTL_EXIT_OK)
		goto out;
	if (password_check((const char *)pw.p, pw.len, bl, &why) != TG_OK) {
		code = ctl_fail(CTL_EXIT_REJECTED, "%s; nothing was changed", why.text);
		goto out;
	}
	password_params_of(t, &params);
	err = password_hash((const char *)pw.p, pw.len, &params, phc);
	if (err != TG_OK)
		code = ctl_fail(ctl_exit_for(err), "cannot hash the password: %s", tg_err_str(err));
out:
	secret_free(&pw);
	blocklist_free(bl);
	return code;
}

static int
email_arg(const char *raw, char **out)
{
	struct tg_why why;

	if (user_email_normalize(raw, out, &why) != TG_OK)
		return ctl_fail(CTL_EXIT_REJECTED, "%s: %s", raw, why.text);
	return CTL_EXIT_OK;
}

static int
cmd_add(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_user u = { 0 };
	struct tg_store *s;
	enum tg_err err;
	int rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 2, usage_add, &a, &s, &t);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = email_arg(a.pos[1], &u.email);
	if (rc == CTL_EXIT_OK)
		rc = new_hash(t, &u.password_hash);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = user_new_id(&u.id);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot make a user id: %s", tg_err_str(err));
		goto out;
	}
	u.tenant = tg_xstrdup(a.pos[0]);
	err = store_user_add(s, &u);
	if (err == TG_ERR_EXISTS)
		rc = ctl_fail(CTL_EXIT_REJECTED, "tenant %s already has a user %s (see `tokengatectl "
			      "user show %s %s`; `user set-password` replaces a password)", a.pos[0],
			      u.email, a.pos[0], u.email);
	else if (err == TG_ERR_NOT_FOUND)
		rc = ctl_tenant_not_found(a.pos[0]);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot add user %s: %s", u.email, tg_err_str(err));
	else
		printf("user %s (id %s) added to tenant %s\n", u.email, u.id, a.pos[0]);
out:
	free(u.id);
	free(u.tenant);
	free(u.email);
	free(u.password_hash);
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

static int
cmd_set_password(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_user *u = NULL;
	char *phc = NULL;
	struct tg_store *s;
	enum tg_err err;
	int rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_no_opts, 2, usage_set_password, &a, &s, &t);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	/* Asked only for a user that exists: no password typed in vain. */
	err = store_user_get(s, a.pos[0], a.pos[1], &u);
	rc = ctl_change_result(err, a.pos[0], "user", "user", "change the password of", a.pos[1]);
	if (rc == CTL_EXIT_OK)
		rc = new_hash(t, &phc);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = store_user_set_hash(s, a.pos[0], u->email, phc);
	rc = ctl_change_result(err, a.pos[0], "user", "user", "change the password of", u->email);
	if (rc == CTL_EXIT_OK)
		printf("password of user %s of tenant %s changed\n", u->email, a.pos[0]);
out:
	free(phc);
	user_free(u);
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

static void
print_user(const struct tg_user *u, bool is_json)
{
	struct ctl_table tab;
	char created[32], updated[32], left[48];

	if (is_json) {
		ctl_print_json(user_to_json_public(u));
		return;
	}
	ctl_format_time(u->created, created, sizeof(created));
	ctl_format_time(u->updated, updated, sizeof(updated));
	ctl_table_init(&tab, 2);
	ctl_table_row(&tab, "email", u->email);
	ctl_table_row(&tab, "id", u->id);
	ctl_table_row(&tab, "tenant", u->tenant);
	ctl_table_row(&tab, "state", u->is_disabled ? "disabled" : "active");
	ctl_table_row(&tab, "created", created);
	ctl_table_row(&tab, "updated", updated);
	/* Whether a second factor is on, never its secret. */
	snprintf(left, sizeof(left), "%zu of %zu left", recovery_remaining(&u->recovery),
		 u->recovery.n);
	ctl_table_row(&tab, "totp", user_has_totp(u) ? "on" : "off");
	ctl_table_row(&tab, "recovery codes", u->recovery.n ? left : "none");
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

static int
cmd_show(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_user *u = NULL;
	struct tg_store *s;
	int rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_json_opts, 2, usage_show, &a, &s, NULL);

	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = ctl_change_result(store_user_get(s, a.pos[0], a.pos[1], &u), a.pos[0], "user", "user",
			       "show", a.pos[1]);
	if (rc == CTL_EXIT_OK)
		print_user(u, ctl_has(&a, CTL_OPT_JSON));
out:
	user_free(u);
	ctl_args_fini(&a);
	return rc;
}

static enum tg_err
list_load(struct tg_store *s, const char *tenant, struct ctl_records *out)
{
	struct tg_user **v = NULL;
	enum tg_err err = store_user_list(s, tenant, &v, &out->n);

	out->v = v;
	return err;
}

static struct json_object *
list_json(const struct ctl_records *r, size_t i)
{
	return user_to_json_public(((struct tg_user *const *)r->v)[i]);
}

static void
list_text(const char *tenant, const struct ctl_records *r)
{
	struct tg_user *const *v = r->v;
	struct ctl_table tab;

	if (r->n == 0) {
		printf("tenant %s has no users (add one with `tokengatectl user add %s EMAIL`)\n",
		       tenant, tenant);
		return;
	}
	ctl_table_init(&tab, 4);
	ctl_table_row(&tab, "EMAIL", "ID", "CREATED", "STATE");
	for (size_t i = 0; i < r->n; i++) {
		char created[32];

		ctl_format_time(v[i]->created, created, sizeof(created));
		ctl_table_row(&tab, v[i]->email, v[i]->id, created,
			      v[i]->is_disabled ? "disabled" : "active");
	}
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

static void
list_free(struct ctl_records *r)
{
	user_list_free(r->v, r->n);
}

static const struct ctl_list list = {
	.usage = usage_list,
	.what = "users",
	.is_per_tenant = true,
	.load = list_load,
	.to_json = list_json,
	.print_text = list_text,
	.free = list_free,
};

static const struct ctl_change disable = {
	.usage = usage_disable, .what = "user", .group = "user", .verb = "disable",
	.done = "disabled", .apply = store_user_disable,
};
static const struct ctl_change enable = {
	.usage = usage_enable, .what = "user", .group = "user", .verb = "enable",
	.done = "enabled", .apply = store_user_enable,
};
static const struct ctl_change remove_user = {
	.usage = usage_remove, .what = "user", .group = "user", .verb = "remove",
	.done = "removed", .apply = store_user_remove,
};

static const struct ctl_sub subs[] = {
	{ "add", .run = cmd_add },
	{ "list", .list = &list },
	{ "show", .run = cmd_show },
	{ "disable", .change = &disable },
	{ "enable", .change = &enable },
	{ "remove", .change = &remove_user },
	{ "set-password", .run = cmd_set_password },
	{ "totp", .group = &ctl_user_totp_group },
	{ .name = NULL },
};

const struct ctl_group ctl_user_group = { usage_user, subs };
