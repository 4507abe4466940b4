/*
 * tokengatectl: main, the global options, the top-level usage and the table
 * of commands. The commands live in ctl_*.c and the helpers they share in
 * ctl_args.c, ctl_exit.c, ctl_open.c, ctl_file.c, ctl_out.c and ctl_cmd.c.
 */
#include "ctl/ctl.h"

#include "fetch/fetch.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char usage_main[] =
	"usage: tokengatectl [--db DIR] COMMAND [ARGS]\n"
	"       tokengatectl --version | --help\n"
	"\n"
	"The database is the directory named by --db (before or after COMMAND) or by\n"
	"the TOKENGATE_DB environment variable.\n"
	"\n"
	"Commands:\n"
	"  init [--owner USER]                   create the database (safe to repeat)\n"
	"  tenant add|set|list|show|remove       manage tenants and their policy\n"
	"  key add|import-jwks|list|retire|remove  manage a tenant's verification keys\n"
	"  apikey create|list|revoke             manage a tenant's backend API keys\n"
	"  signing-key rotate|list|retire        manage a tenant's gateway signing keys\n"
	"  session list|show|revoke              inspect and end a tenant's sessions\n"
	"  user add|list|show|disable|enable|remove|set-password|totp  a tenant's login users\n"
	"  jwks sync [TENANT]                    fetch tenants' key sets from their jwks_uri\n"
	"  verify TENANT TOKEN                   check a token (\"-\" reads it from stdin)\n"
	"  token sign TENANT ...                 mint a token the way a backend would\n"
	"  recover [--catastrophic]              recover the database after a crash\n"
	"  backup DIR                            copy the database while it runs\n"
	"  verify-db [DIR]                       check a backup (or the stopped database)\n"
	"  restore DIR                           put a backup back (server stopped)\n"
	"  stats [--json]                        tenants, keys, live sessions, file sizes\n"
	"  doctor [--config F] [--snippet F]     check a deployment and say what to fix\n"
	"\n"
	"Run `tokengatectl COMMAND --help` for a command's options. Run as root on a\n"
	"database that belongs to another user, every command works as that user.\n"
	"Exit status: 0 ok, 1 rejected or not found, 2 usage or environment error.\n";

static const struct ctl_sub commands[] = {
	{ "init", .run = ctl_cmd_init },
	{ "tenant", .group = &ctl_tenant_group },
	{ "key", .group = &ctl_key_group },
	{ "apikey", .group = &ctl_apikey_group },
	{ "verify", .run = ctl_cmd_verify },
	{ "token", .group = &ctl_token_group },
	{ "signing-key", .group = &ctl_signing_key_group },
	{ "session", .group = &ctl_session_group },
	{ "user", .group = &ctl_user_group },
	{ "jwks", .group = &ctl_jwks_group },
	{ "recover", .run = ctl_cmd_recover },
	{ "backup", .run = ctl_cmd_backup },
	{ "verify-db", .run = ctl_cmd_verify_db },
	{ "restore", .run = ctl_cmd_restore },
	{ "stats", .run = ctl_cmd_stats },
	{ "doctor", .run = ctl_cmd_doctor },
	{ .name = NULL },
};

/* Global options come before the command; --db may also follow it (see ctl_args.c). */
static int
run(struct ctl *c, int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		const char *arg = argv[i];

		if (ctl_is_help(arg)) {
			fputs(usage_main, stdout);
			return CTL_EXIT_OK;
		}
		if (strcmp(arg, "--version") == 0) {
			puts("tokengatectl " PACKAGE_VERSION);
			return CTL_EXIT_OK;
		}
		if (strncmp(arg, "--db=", 5) == 0) {
			c->db = arg + 5;
		} else if (strcmp(arg, "--db") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error(usage_main, "option --db needs a value");
			c->db = argv[++i];
		} else {
			return ctl_usage_error(usage_main, "unknown option %s", arg);
		}
		i++;
	}
	if (i >= argc)
		return ctl_usage_error(usage_main, "no command given");
	for (const struct ctl_sub *s = commands; s->name; s++)
		if (strcmp(s->name, argv[i]) == 0)
			return ctl_sub_run(c, argc - i, argv + i, s);
	return ctl_usage_error(usage_main, "unknown command \"%s\"", argv[i]);
}

int
main(int argc, char **argv)
{
	struct ctl c = { 0 };
	struct tg_why why;
	int rc;

	if (fetch_global_init(&why) != TG_OK) {
		fprintf(stderr, "tokengatectl: %s\n", why.text);
		return CTL_EXIT_USAGE;
	}
	rc = run(&c, argc, argv);

	store_close(c.store);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tokengatectl: cannot write the output: %s\n", strerror(errno));
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}
