/*
 * mod_tokengate: the authorizer inside Apache 2.4 (issue 16). Owns the
 * directives, the access-checker hook that reads a request's facts and hands
 * embed_decide's answer to the app (TOKENGATE_* and REMOTE_USER in the
 * subprocess environment) or to the client (the refusal as it is), and the
 * embed handle of each child process. Decides nothing itself, never opens the
 * database in the parent, and never lets a Variable-* header out.
 */
#include "base/number.h"
#include "embed/embed.h"

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_ssl.h>
#include <apr_strings.h>

#include <string.h>
#include <strings.h>

module AP_MODULE_DECLARE_DATA tokengate_module;
APLOG_USE_MODULE(tokengate);

#define TG_UNSET (-1)

/* Per directory or location; a field left unset is inherited (merge_dir). */
struct tg_dir {
	int is_on;               /* Tokengate On|Off; TG_UNSET */
	const char *tenant;      /* TokengateTenant; NULL: found by the token's iss */
	const char *require_amr; /* TokengateRequireAmr, space-separated; NULL: none */
	const char *max_auth_age; /* TokengateMaxAuthAge, seconds as written; NULL: none */
};

/* Per server (or <VirtualHost>): which configuration, and this child's handle on it. */
struct tg_server {
	const char *config; /* TokengateConfig; NULL: $TOKENGATE_CONFIG or the default file */
	struct embed *embed; /* set in child_init, in the child alone; NULL: it failed to open */
};

/*
 * Whether any section says `Tokengate On`: a server that loads the module but
 * protects nothing opens no database. Reset before each reading of the
 * configuration (a restart reads it again).
 */
static bool is_used;

static void *
create_dir(apr_pool_t *p, char *dir)
{
	struct tg_dir *d = apr_pcalloc(p, sizeof(*d));

	(void)dir;
	d->is_on = TG_UNSET;
	return d;
}

static void *
merge_dir(apr_pool_t *p, void *base_, void *add_)
{
	const struct tg_dir *base = base_, *add = add_;
	struct tg_dir *d = apr_pcalloc(p, sizeof(*d));

	d->is_on = add->is_on != TG_UNSET ? add->is_on : base->is_on;
	d->tenant = add->tenant ? add->tenant : base->tenant;
	d->require_amr = add->require_amr ? add->require_amr : base->require_amr;
	d->max_auth_age = add->max_auth_age ? add->max_auth_age : base->max_auth_age;
	return d;
}

static void *
create_server(apr_pool_t *p, server_rec *s)
{
	(void)s;
	return apr_pcalloc(p, sizeof(struct tg_server));
}

static void *
merge_server(apr_pool_t *p, void *base_, void *add_)
{
	const struct tg_server *base = base_, *add = add_;
	struct tg_server *sc = apr_pcalloc(p, sizeof(*sc));

	sc->config = add->config ? add->config : base->config;
	return sc;
}

static const char *
set_on(cmd_parms *cmd, void *dir, int flag)
{
	struct tg_dir *d = dir;

	(void)cmd;
	d->is_on = flag;
	if (flag)
		is_used = true;
	return NULL;
}

static const char *
set_config(cmd_parms *cmd, void *dir, const char *arg)
{
	struct tg_server *sc = ap_get_module_config(cmd->server->module_config, &tokengate_module);
	const char *path = ap_server_root_relative(cmd->pool, arg);

	(void)dir;
	if (!path)
		return apr_pstrcat(cmd->pool, "TokengateConfig: '", arg, "' is not a usable path; "
				   "give the tokengate.conf file's full path", NULL);
	sc->config = path;
	return NULL;
}

static const char *
set_tenant(cmd_parms *cmd, void *dir, const char *arg)
{
	struct tg_dir *d = dir;

	if (!*arg)
		return "TokengateTenant: give the tenant's id, as `tokengatectl tenant list` shows";
	d->tenant = apr_pstrdup(cmd->pool, arg);
	return NULL;
}

/* Each word one method the token's amr must hold (RFC 8176); several lines add up. */
static const char *
add_amr(cmd_parms *cmd, void *dir, const char *arg)
{
	struct tg_dir *d = dir;

	d->require_amr = d->require_amr ? apr_pstrcat(cmd->pool, d->require_amr, " ", arg, NULL)
					: apr_pstrdup(cmd->pool, arg);
	return NULL;
}

/* Checked here, so a typo stops Apache at start instead of refusing every request with 500. */
static const char *
set_max_auth_age(cmd_parms *cmd, void *dir, const char *arg)
{
	struct tg_dir *d = dir;
	int64_t seconds;

	if (number_parse(arg, 1, INT64_MAX, &seconds) != TG_OK)
		return apr_pstrcat(cmd->pool, "TokengateMaxAuthAge takes seconds, a whole number "
				   "such as 300, not '", arg, "'", NULL);
	d->max_auth_age = apr_pstrdup(cmd->pool, arg);
	return NULL;
}

/*
 * Not in .htaccess: a file a site's user edits must not switch the gateway
 * off or point it elsewhere, and a configuration read per request could not
 * be opened in child_init.
 */
static const command_rec tokengate_cmds[] = {
	AP_INIT_FLAG("Tokengate", set_on, NULL, RSRC_CONF | ACCESS_CONF,
		     "On: every request here needs a valid token (Off: none)"),
	AP_INIT_TAKE1("TokengateConfig", set_config, NULL, RSRC_CONF,
		      "the tokengate.conf file (server config or <VirtualHost>)"),
	AP_INIT_TAKE1("TokengateTenant", set_tenant, NULL, RSRC_CONF | ACCESS_CONF,
		      "the tenant whose tokens alone are accepted here"),
	AP_INIT_ITERATE("TokengateRequireAmr", add_amr, NULL, RSRC_CONF | ACCESS_CONF,
			"authentication methods the token's amr claim must hold here"),
	AP_INIT_TAKE1("TokengateMaxAuthAge", set_max_auth_age, NULL, RSRC_CONF | ACCESS_CONF,
		      "seconds since the token's auth_time, at most, here"),
	{ .name = NULL },
};

static int
pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
	(void)pconf;
	(void)plog;
	(void)ptemp;
	is_used = false;
	return OK;
}

static apr_status_t
close_embed(void *e)
{
	embed_close(e);
	return APR_SUCCESS;
}

static bool
is_same_config(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether a server before s names s's configuration: then s takes its handle. */
static bool
share_earlier(server_rec *main_server, server_rec *s, struct tg_server *sc)
{
	for (server_rec *o = main_server; o != s; o = o->next) {
		const struct tg_server *oc = ap_get_module_config(o->module_config,
								  &tokengate_module);

		if (is_same_config(oc->config, sc->config)) {
			sc->embed = oc->embed;
			return true;
		}
	}
	return false;
}

/*
 * In each child after the fork (Berkeley DB's handles do not survive one):
 * one handle per distinct configuration, shared by the servers naming it and
 * by the child's threads (embed_decide is safe from many at once), closed
 * with the child's pool.
 */
static void
child_init(apr_pool_t *pchild, server_rec *main_server)
{
	struct tg_why why;

	if (!is_used)
		return;
	for (server_rec *s = main_server; s; s = s->next) {
		struct tg_server *sc = ap_get_module_config(s->module_config, &tokengate_module);

		if (share_earlier(main_server, s, sc))
			continue;
		if (embed_open(sc->config, &sc->embed, &why) != TG_OK) {
			ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "tokengate: %s; requests under "
				     "`Tokengate On` are refused with 500 until it is mended and "
				     "Apache restarted", why.text);
			continue;
		}
		apr_pool_cleanup_register(pchild, sc->embed, close_embed, apr_pool_cleanup_null);
	}
}

/* The facts authz reads, borrowed from r (its pool outlives the decision). */
static void
read_facts(request_rec *r, const struct tg_dir *d, struct authz_request *f)
{
	memset(f, 0, sizeof(*f));
	f->method = r->method;
	f->authorization = apr_table_get(r->headers_in, "Authorization");
	f->cookie = apr_table_get(r->headers_in, "Cookie");
	f->origin = apr_table_get(r->headers_in, "Origin");
	f->referer = apr_table_get(r->headers_in, "Referer");
	/* The CSRF rule's: where a browser says the request comes from, and the own origin's host. */
	f->sec_fetch_site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
	f->host = apr_table_get(r->headers_in, "Host");
	f->remote_addr = r->useragent_ip;
	/* mod_ssl sets HTTPS only in the fixups, after this phase: ask the connection. */
	f->https = ap_ssl_conn_is_ssl(r->connection) ? "on"
						     : apr_table_get(r->subprocess_env, "HTTPS");
	f->forwarded_proto = apr_table_get(r->headers_in, "X-Forwarded-Proto");
	f->tenant = d->tenant;
	f->require_amr = d->require_amr;
	f->max_auth_age = d->max_auth_age;
}

/* The app's view, the same names as behind the FastCGI authorizer. */
static void
allow(request_rec *r, const struct authz_decision *dec)
{
	for (size_t i = 0; i < dec->nvars; i++)
		apr_table_set(r->subprocess_env,
			      apr_pstrcat(r->pool, "TOKENGATE_", dec->vars[i].name, NULL),
			      dec->vars[i].value);
	r->user = apr_pstrdup(r->pool, dec->user);
}

/*
 * The refusal as tokengate made it: status, WWW-Authenticate (Retry-After),
 * and the JSON body, sent here rather than through Apache's error page, which
 * would replace the body and call it text/html. A subrequest only returns the
 * status: what the client sees is its main request's.
 */
static int
refuse(request_rec *r, const struct http_response *resp)
{
	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct http_header *h = &resp->headers[i];

		if (strcasecmp(h->name, "Content-Type") == 0)
			ap_set_content_type(r, apr_pstrdup(r->pool, h->value));
		else
			apr_table_add(r->err_headers_out, h->name, h->value);
	}
	if (r->main)
		return resp->status;
	if (resp->status >= 500)
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
			      "tokengate refused %s with %d: %.*s", r->uri, resp->status,
			      (int)resp->bodylen, resp->body ? resp->body : "");
	/* The body is not read: drop it now so the connection can be kept alive. */
	ap_discard_request_body(r);
	r->status = resp->status;
	ap_set_content_length(r, (apr_off_t)resp->bodylen);
	if (resp->bodylen)
		ap_rwrite(resp->body, (int)resp->bodylen, r);
	return DONE;
}

static int
check_access(request_rec *r)
{
	const struct tg_dir *d = ap_get_module_config(r->per_dir_config, &tokengate_module);
	const struct tg_server *sc = ap_get_module_config(r->server->module_config,
							  &tokengate_module);
	struct authz_request facts;
	struct authz_decision dec;
	struct http_response resp;
	int status;

	if (d->is_on != 1)
		return DECLINED;
	read_facts(r, d, &facts);
	embed_decide(sc->embed, &facts, &dec, &resp);
	if (dec.status == 200) {
		allow(r, &dec);
		status = OK;
	} else {
		status = refuse(r, &resp);
	}
	embed_done(&dec, &resp);
	return status;
}

static void
register_hooks(apr_pool_t *p)
{
	(void)p;
	ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
	ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
	/*
	 * The access checker runs for every request of the location, with or
	 * without a Require line or an AuthType; once per distinct configuration
	 * (a subrequest of the same location reuses its main request's answer).
	 */
	ap_hook_check_access(check_access, NULL, NULL, APR_HOOK_MIDDLE,
			     AP_AUTH_INTERNAL_PER_CONF);
}

module AP_MODULE_DECLARE_DATA tokengate_module = {
	STANDARD20_MODULE_STUFF,
	create_dir,
	merge_dir,
	create_server,
	merge_server,
	tokengate_cmds,
	register_hooks,
	AP_MODULE_FLAG_NONE,
};
