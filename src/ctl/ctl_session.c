/*
 * `tokengatectl session ...`: an operator's view of a tenant's gateway
 * sessions (list, show) and the way to end one (revoke). Sessions are only
 * ever looked up within the named tenant: another tenant's session reads as
 * unknown. Refresh tokens exist here only as hashes and are never shown.
 */
#include "ctl/ctl.h"

#include "model/session.h"
#include "store/store.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_group[] =
	"usage: tokengatectl [--db DIR] session SUBCOMMAND ...\n"
	"\n"
	"  list TENANT [--user U] [--limit N] [--cursor C | --all] [--json]\n"
	"                                    the tenant's sessions, live and ended, a page at a time\n"
	"  show TENANT SID [--json]          one session's state\n"
	"  revoke TENANT SID                 end a session: its tokens are refused at once\n";

static const char usage_list[] =
	"usage: tokengatectl [--db DIR] session list TENANT [--user U] [--limit N]\n"
	"                    [--cursor C | --all] [--json]\n"
	"\n"
	"Lists the tenant's sessions (every user's, or user U's), sorted by user, with\n"
	"their state: active, expired or revoked. Expired and revoked sessions stay\n"
	"listed until the gateway's sweep removes them.\n"
	"\n"
	"  --limit N    sessions per page, 1 to 1000 (default 100)\n"
	"  --cursor C   start after the page that printed C as its next cursor\n"
	"  --all        every page, one after another (each read on its own, so a\n"
	"               large tenant never holds the database for the whole listing)\n"
	"  --json       {\"sessions\": [...], \"next_cursor\": C or null}\n";

static const char usage_show[] =
	"usage: tokengatectl [--db DIR] session show TENANT SID [--json]\n";

static const char usage_revoke[] =
	"usage: tokengatectl [--db DIR] session revoke TENANT SID\n"
	"\n"
	"Ends the session: its access tokens are refused by the authorizer from the next\n"
	"request on and its refresh token stops working. Revoking an ended session is harmless.\n";

enum { OPT_USER, OPT_LIMIT, OPT_CURSOR, OPT_ALL };

static const struct ctl_opt list_opts[] = {
	{ "json", false, CTL_OPT_JSON },
	{ "user", true, OPT_USER },
	{ "limit", true, OPT_LIMIT },
	{ "cursor", true, OPT_CURSOR },
	{ "all", false, OPT_ALL },
	{ NULL, false, 0 },
};

#define LIST_LIMIT_DEFAULT 100

static const char *
state_name(const struct tg_session *s, int64_t now)
{
	if (s->revoked)
		return "revoked";
	return session_is_live(s, now) ? "active" : "expired";
}

/*
 * User ids and claims come from a tenant's backend: in text output their
 * control bytes are shown as '?', so none can drive the operator's terminal.
 */
static char *
printable(const char *s)
{
	char *copy = tg_xstrdup(s);

	for (char *p = copy; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return copy;
}

static char *
amr_text(const struct tg_session *s)
{
	char *text = tg_xstrdup(s->amr.n ? "" : "-");

	for (size_t i = 0; i < s->amr.n; i++) {
		char *longer = tg_xasprintf("%s%s%s", text, i ? "," : "", s->amr.v[i]);

		free(text);
		text = longer;
	}
	return text;
}

/* ---------------------------------------------------------------- list */

/* What a listing prints as it goes, page after page. */
struct list_out {
	const char *tenant, *user;
	bool is_json, is_all;
	size_t printed;
	int64_t now;
};

static void
list_text_page(struct list_out *o, const struct store_session_page *p)
{
	struct ctl_table tab;

	ctl_table_init(&tab, 6);
	if (o->printed == 0 && p->n)
		ctl_table_row(&tab, "SESSION", "USER", "STATE", "CREATED", "EXPIRES", "AMR");
	for (size_t i = 0; i < p->n; i++) {
		char created[32], expires[32];
		char *amr = amr_text(p->v[i]), *who = printable(p->v[i]->user);

		ctl_format_time(p->v[i]->created, created, sizeof(created));
		ctl_format_time(p->v[i]->expires, expires, sizeof(expires));
		ctl_table_row(&tab, p->v[i]->id, who, state_name(p->v[i], o->now), created, expires,
			      amr);
		free(who);
		free(amr);
	}
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

/* JSON is written as it comes, so --all never holds a whole tenant in memory. */
static void
list_json_page(struct list_out *o, const struct store_session_page *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct json_object *j = session_to_json(p->v[i], o->now);

		printf("%s\n    %s", o->printed + i ? "," : "",
		       json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	}
}

static void
list_end(const struct list_out *o, const char *next)
{
	if (o->is_json) {
		struct json_object *c = next ? json_object_new_string(next) : NULL;

		printf("%s],\n  \"next_cursor\": %s\n}\n", o->printed ? "\n  " : "",
		       c ? json_object_to_json_string(c) : "null");
		json_object_put(c);
	} else if (next) {
		printf("more sessions: add --cursor %s for the next page, or --all\n", next);
	} else if (o->printed == 0) {
		printf("tenant %s has no sessions%s%s\n", o->tenant, o->user ? " for user " : "",
		       o->user ? o->user : "");
	}
}

static int
list_pages(struct tg_store *s, struct list_out *o, const char *cursor, size_t limit)
{
	struct store_session_page p = { 0 };
	char *next = cursor ? tg_xstrdup(cursor) : NULL;
	enum tg_err err = TG_OK;
	int rc = CTL_EXIT_OK;

	if (o->is_json)
		printf("{\n  \"sessions\": [");
	do {
		err = store_session_list(s, o->tenant, o->user, next, limit, 0, &p);
		if (err != TG_OK)
			break;
		if (o->is_json)
			list_json_page(o, &p);
		else
			list_text_page(o, &p);
		o->printed += p.n;
		free(next);
		next = p.next_cursor; /* ownership moves here */
		p.next_cursor = NULL;
		store_session_page_fini(&p);
	} while (next && o->is_all);
	if (err == TG_ERR_INVALID)
		rc = ctl_fail(CTL_EXIT_USAGE, "--cursor %s is not a next cursor of this listing; "
			      "start again without it", cursor);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot list sessions after %zu of them: %s",
			      o->printed, tg_err_str(err));
	if (err == TG_OK || o->is_json)
		list_end(o, err == TG_OK ? next : NULL);
	free(next);
	return rc;
}

static int
cmd_list(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct list_out o = { .now = (int64_t)time(NULL) };
	const char *cursor, *v;
	int64_t limit = LIST_LIMIT_DEFAULT;
	struct tg_store *s;
	int rc;

	rc = ctl_parse(c, argc, argv, list_opts, 1, usage_list, &a);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	o.tenant = a.pos[0];
	o.user = ctl_last(&a, OPT_USER);
	o.is_json = ctl_has(&a, CTL_OPT_JSON);
	o.is_all = ctl_has(&a, OPT_ALL);
	cursor = ctl_last(&a, OPT_CURSOR);
	v = ctl_last(&a, OPT_LIMIT);
	if (o.user && (o.user[0] == '\0' || strlen(o.user) > TG_SESSION_USER_MAX)) {
		rc = ctl_usage_error(usage_list, "--user must be 1 to %d bytes", TG_SESSION_USER_MAX);
		goto out;
	}
	if (v)
		rc = ctl_number(usage_list, "--limit", v, 1, STORE_LIST_LIMIT_MAX, &limit);
	if (rc == CTL_EXIT_OK && cursor && o.is_all)
		rc = ctl_usage_error(usage_list, "--cursor and --all: --all lists from the start");
	if (rc != CTL_EXIT_OK)
		goto out;
	rc = ctl_open_tenant(c, o.tenant, &s, NULL);
	if (rc == CTL_EXIT_OK)
		rc = list_pages(s, &o, cursor, (size_t)limit);
out:
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- show */

static void
show_text(const struct tg_session *s, int64_t now)
{
	struct ctl_table tab;
	char created[32], expires[32], refreshed[32], revoked[32], idle[32], absolute[32];
	char *amr = amr_text(s), *who = printable(s->user);
	char *claims = s->claims ? printable(json_object_to_json_string_ext(
					   s->claims, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE))
				 : NULL;

	ctl_format_time(s->created, created, sizeof(created));
	ctl_format_time(s->expires, expires, sizeof(expires));
	ctl_format_time(s->last_refreshed, refreshed, sizeof(refreshed));
	ctl_format_time(s->revoked, revoked, sizeof(revoked));
	ctl_format_time(s->idle_expires, idle, sizeof(idle));
	ctl_format_time(s->absolute_expires, absolute, sizeof(absolute));
	ctl_table_init(&tab, 2);
	ctl_table_row(&tab, "session", s->id);
	ctl_table_row(&tab, "tenant", s->tenant);
	ctl_table_row(&tab, "user", who);
	ctl_table_row(&tab, "state", state_name(s, now));
	ctl_table_row(&tab, "created", created);
	ctl_table_row(&tab, "expires", expires);
	ctl_table_row(&tab, "idle expires", s->idle_expires ? idle : "no idle timeout");
	ctl_table_row(&tab, "absolute expiry",
		      s->absolute_expires ? absolute : "no maximum lifetime");
	ctl_table_row(&tab, "last refreshed", s->last_refreshed ? refreshed : "never");
	ctl_table_row(&tab, "revoked", s->revoked ? revoked : "no");
	ctl_table_row(&tab, "amr", amr);
	ctl_table_row(&tab, "bound to", s->bind_ip ? s->bind_ip : "any address");
	ctl_table_row(&tab, "claims", claims);
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
	free(claims);
	free(who);
	free(amr);
}

/* The session sid of tenant; another tenant's reads exactly like an unknown one. */
static int
get_session(struct tg_store *s, const char *tenant, const char *sid, struct tg_session **out)
{
	struct tg_session *sess = NULL;
	enum tg_err err = store_session_get(s, sid, &sess);

	if (err == TG_OK && strcmp(sess->tenant, tenant) != 0)
		err = TG_ERR_NOT_FOUND;
	if (err == TG_OK) {
		*out = sess;
		return CTL_EXIT_OK;
	}
	session_free(sess);
	if (err == TG_ERR_NOT_FOUND)
		return ctl_no_such(tenant, "session", "session", sid);
	return ctl_fail(ctl_exit_for(err), "cannot read session %s: %s", sid, tg_err_str(err));
}

static int
cmd_show(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_session *sess = NULL;
	int64_t now = (int64_t)time(NULL);
	struct tg_store *s;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, ctl_json_opts, 2, usage_show, &a, &s, NULL);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	rc = get_session(s, a.pos[0], a.pos[1], &sess);
	if (rc != CTL_EXIT_OK)
		goto out;
	if (ctl_has(&a, CTL_OPT_JSON))
		ctl_print_json(session_to_json(sess, now));
	else
		show_text(sess, now);
out:
	session_free(sess);
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- revoke */

static enum tg_err
revoke_now(struct tg_store *s, const char *tenant, const char *sid)
{
	return store_session_revoke(s, tenant, sid, (int64_t)time(NULL));
}

static const struct ctl_change revoke = {
	.usage = usage_revoke,
	.what = "session",
	.group = "session",
	.verb = "revoke",
	.done = "revoked: its access and refresh tokens are refused from now on",
	.apply = revoke_now,
};

static const struct ctl_sub subs[] = {
	{ "list", .run = cmd_list },
	{ "show", .run = cmd_show },
	{ "revoke", .change = &revoke },
	{ .name = NULL },
};

const struct ctl_group ctl_session_group = { usage_group, subs };
