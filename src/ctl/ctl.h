/*
 * tokengatectl internals: the command context and the helpers the commands
 * share, each section named for the file that holds it. Helpers never call a
 * command; exit codes are 0 ok, 1 rejected or not found, 2 usage or
 * environment. Not a library API.
 */
#ifndef TG_CTL_H
#define TG_CTL_H

#include "base/alg.h"
#include "base/secret.h"

struct json_object;
struct tg_store;
struct tg_tenant;

enum ctl_exit { CTL_EXIT_OK = 0, CTL_EXIT_REJECTED = 1, CTL_EXIT_USAGE = 2 };

struct ctl {
	const char *db;          /* --db or TOKENGATE_DB; NULL until given */
	struct tg_store *store;  /* opened on first use by ctl_store() */
};

/* One option a command accepts; the parser adds --db, --help and -h to every table. */
struct ctl_opt {
	const char *name; /* without the leading "--" */
	bool has_arg;
	int id;
};

/* Options in command-line order, so "--issuer A --no-issuer" means what it says. */
struct ctl_optval {
	int id;
	const char *value; /* NULL for a flag */
};

/* The table of a command that takes no options of its own. */
extern const struct ctl_opt ctl_no_opts[];
/* The table of a command whose one option is --json; its id is below any command's own. */
#define CTL_OPT_JSON (-1)
extern const struct ctl_opt ctl_json_opts[];

#define CTL_MAX_POS 4

struct ctl_args {
	const char *pos[CTL_MAX_POS];
	size_t npos;
	struct ctl_optval *opts; /* owned; free with ctl_args_fini */
	size_t nopts;
	bool wants_help;
};

/* ---------------------------------------------------------------- ctl_args.c */

/*
 * Parses argv (argv[0] is the command's own name and is skipped) against opts,
 * a table ended by a NULL name, accepting "--opt value", "--opt=value" and "--"
 * before positionals. Only "--" starts an option (besides -h), so a token that
 * begins with '-' is still a positional. Exactly npos positionals are required.
 * On a usage error the message goes to stderr and CTL_EXIT_USAGE is returned;
 * with --help the usage goes to stdout and wants_help is set.
 */
int ctl_parse(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, size_t npos,
	      const char *usage, struct ctl_args *out);
void ctl_args_fini(struct ctl_args *a);
/* The id's last value (NULL when absent) and whether a flag was given. */
const char *ctl_last(const struct ctl_args *a, int id);
bool ctl_has(const struct ctl_args *a, int id);
/* "-h" or "--help", which print the usage wherever they stand. */
bool ctl_is_help(const char *arg);

/* Strict decimal in [min, max]; on failure prints a usage error naming opt and returns 2. */
int ctl_number(const char *usage, const char *opt, const char *s, int64_t min, int64_t max,
	       int64_t *out);
/* An algorithm name on the allowlist; otherwise a usage error (2). */
int ctl_alg(const char *usage, const char *s, enum tg_alg *out);

/* ---------------------------------------------------------------- ctl_exit.c */

/* Prints "tokengatectl: <message>" and the usage synopsis to stderr; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "tokengatectl: <message>" to stderr and returns code. */
int ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit code for a library error: rejected/not found/exists/weak key 1, environment 2. */
int ctl_exit_for(enum tg_err rc);
/* "no tenant ID" with the next step; returns CTL_EXIT_REJECTED. */
int ctl_tenant_not_found(const char *id);
/* "tenant T has no WHAT ID (see `tokengatectl GROUP list T`)"; returns CTL_EXIT_REJECTED. */
int ctl_no_such(const char *tenant, const char *what, const char *group, const char *id);
/*
 * Exit code for a store call that changed the tenant's WHAT ID: 0 on success
 * (the caller then says what was done), ctl_no_such's when there is none, else
 * "cannot VERB WHAT ID: why" with ctl_exit_for's code.
 */
int ctl_change_result(enum tg_err err, const char *tenant, const char *what, const char *group,
		      const char *verb, const char *id);

/* ---------------------------------------------------------------- ctl_open.c */

/* The directory named by --db/TOKENGATE_DB; 0, or 2 after saying none was given. */
int ctl_db_dir(struct ctl *c, const char **out);
/*
 * Run as root on a database directory that belongs to another user: switches
 * to that user (setgid, initgroups, setuid) so that no file root creates is
 * unusable by the owner. 0, or 2 after saying why it cannot.
 */
int ctl_become_owner(const char *dir);
/*
 * init's missing parents of dir, made 0755 like `mkdir -p`: a fresh `make install` has no
 * $localstatedir/lib, and the database directory is the only thing init should have to create.
 */
int ctl_make_parents(const char *dir);
/* init --owner USER: creates dir for USER and becomes USER; 0 or 2. */
int ctl_init_owner(const char *dir, const char *user);
/*
 * Opens the database named by --db/TOKENGATE_DB once, as its owner (see
 * ctl_become_owner); 0 or an exit code with a message.
 */
int ctl_store(struct ctl *c, struct tg_store **out);
/*
 * Reads tenant id; 0 with *out (caller frees; out may be NULL to check existence only), or an
 * exit code after saying why (not found: 1 with the next step; database trouble: 2).
 */
int ctl_tenant_get(struct tg_store *s, const char *id, struct tg_tenant **out);
/* ctl_store, then ctl_tenant_get(id, t): 0 or the first failure's exit code. */
int ctl_open_tenant(struct ctl *c, const char *id, struct tg_store **s, struct tg_tenant **t);

/* ---------------------------------------------------------------- ctl_file.c */

/* Largest key file, JWKS or stdin token read; far above any real one. */
#define CTL_FILE_CAP (1024 * 1024)

/*
 * Reads a whole file ("-" is stdin) into a secret, byte for byte. Files larger
 * than cap give TG_ERR_TOO_LARGE, which each caller words for its own input;
 * unreadable ones TG_ERR_IO, and why gets a sentence an operator can act on
 * (strerror's, for the caller to prefix with the path).
 */
enum tg_err ctl_read_file(const char *path, size_t cap, struct tg_secret *out,
			  struct tg_why *why);

/* ---------------------------------------------------------------- ctl_out.c */

/* Pretty JSON on stdout, then drops the caller's reference. */
void ctl_print_json(struct json_object *o_owned);
/* "2024-05-01T12:00:00Z" in buf (at least 21 bytes). */
void ctl_format_time(int64_t t, char *buf, size_t size);

/* Left-aligned text columns, widths fitted to the longest cell. */
struct ctl_table {
	size_t ncols;
	char **cells; /* owned, row-major */
	size_t ncells;
};

void ctl_table_init(struct ctl_table *t, size_t ncols);
/* Appends one row of exactly ncols strings (copied; NULL shows as "-"). */
void ctl_table_row(struct ctl_table *t, ...);
void ctl_table_print(const struct ctl_table *t);
void ctl_table_fini(struct ctl_table *t);

/* ---------------------------------------------------------------- ctl_cmd.c */

/* A command "... TENANT ID" that changes one of the tenant's things (a key, API key, session). */
struct ctl_change {
	const char *usage;
	const char *what;  /* "API key": named in every sentence */
	const char *group; /* "apikey": the command group whose list shows them */
	const char *verb;  /* "revoke", as in "cannot revoke API key ID" */
	const char *done;  /* ends "WHAT ID of tenant T ...": "revoked" */
	enum tg_err (*apply)(struct tg_store *s, const char *tenant, const char *id);
};

/* Records as a list command loaded them: v is the command's own, n how many there are. */
struct ctl_records {
	void *v;
	size_t n;
};

/* A command "GROUP list TENANT [--json]", or "tenant list [--json]", which takes no TENANT. */
struct ctl_list {
	const char *usage;
	const char *what;   /* "API keys", as in "cannot list API keys: why" */
	bool is_per_tenant; /* takes TENANT, which must exist */
	/* The records of tenant (NULL without one); out is written only on success. */
	enum tg_err (*load)(struct tg_store *s, const char *tenant, struct ctl_records *out);
	/* Record i as a new JSON object, an element of the --json array. */
	struct json_object *(*to_json)(const struct ctl_records *r, size_t i);
	/* The records as text, or the sentence that there are none. */
	void (*print_text)(const char *tenant, const struct ctl_records *r);
	void (*free)(struct ctl_records *r);
};

struct ctl_group;

/* One word of a command table, ended by a NULL name; exactly one of the rest is set. */
struct ctl_sub {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv); /* argv[0] is the word */
	const struct ctl_change *change;
	const struct ctl_list *list;
	const struct ctl_group *group;
};

/* A word with subcommands ("tenant add ..."): its usage and its table. */
struct ctl_group {
	const char *usage;
	const struct ctl_sub *subs;
};

/* Runs the word argv[0] as sub says; an exit code. */
int ctl_sub_run(struct ctl *c, int argc, char **argv, const struct ctl_sub *sub);

/*
 * The opening of every command that reads the store: ctl_parse, then (unless
 * it failed or --help was asked) ctl_store. The caller stops when the result is
 * not 0 or a->wants_help is set, and always finishes a with ctl_args_fini.
 */
int ctl_begin_store_cmd(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts,
			size_t npos, const char *usage, struct ctl_args *a, struct tg_store **s);
/* The same for a command whose first positional names a tenant, which is then read into t. */
int ctl_begin_tenant_cmd(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts,
			 size_t npos, const char *usage, struct ctl_args *a, struct tg_store **s,
			 struct tg_tenant **t);

/* Opens the tenant, applies the change and reports it as ctl_change_result; an exit code. */
int ctl_change_cmd(struct ctl *c, int argc, char **argv, const struct ctl_change *ch);
/* Loads the records and prints them, as JSON with --json; an exit code. */
int ctl_list_cmd(struct ctl *c, int argc, char **argv, const struct ctl_list *l);

/* ---------------------------------------------------------------- commands (ctl_*.c) */

extern const struct ctl_group ctl_tenant_group;
extern const struct ctl_group ctl_key_group;
extern const struct ctl_group ctl_apikey_group;
extern const struct ctl_group ctl_token_group;
extern const struct ctl_group ctl_signing_key_group;
extern const struct ctl_group ctl_session_group;
extern const struct ctl_group ctl_jwks_group;
extern const struct ctl_group ctl_user_group;
extern const struct ctl_group ctl_user_totp_group; /* ctl_user_totp.c: "user totp ..." */
/* tenant set --jwks-uri / --jwks-ca-file, checked (ctl_jwks.c); an exit code. */
int ctl_jwks_set_uri(char **dst, const char *v, const char *usage);
int ctl_jwks_set_ca_file(char **dst, const char *v, const char *usage);

/* argv[0] is the command word; each returns an exit code. */
int ctl_cmd_init(struct ctl *c, int argc, char **argv);
int ctl_cmd_verify(struct ctl *c, int argc, char **argv);
int ctl_cmd_recover(struct ctl *c, int argc, char **argv);
int ctl_cmd_backup(struct ctl *c, int argc, char **argv);
int ctl_cmd_verify_db(struct ctl *c, int argc, char **argv);
int ctl_cmd_restore(struct ctl *c, int argc, char **argv);
int ctl_cmd_stats(struct ctl *c, int argc, char **argv);
int ctl_cmd_doctor(struct ctl *c, int argc, char **argv);

#endif
