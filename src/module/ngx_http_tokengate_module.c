/*
 * ngx_http_tokengate_module: tokengate's authorizer inside nginx's workers.
 * Owns the directives, the request facts read in the access phase, the
 * refusal sent as embed_decide rendered it, and $tokengate_* served from an
 * allowed decision. Must never decide anything itself or touch the database:
 * every rule is the FastCGI authorizer's, through src/embed/.
 */
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "base/config.h"
#include "embed/embed.h"

#define TG_VAR_PREFIX "tokengate_"

/* One tokengate configuration file; its handle is each worker's own. */
typedef struct {
	ngx_str_t path;  /* NUL-terminated */
	struct embed *e; /* opened in init_process; NULL in the master, or when that failed */
} ngx_http_tokengate_file_t;

typedef struct {
	ngx_array_t files; /* of ngx_http_tokengate_file_t *, one per distinct path */
} ngx_http_tokengate_main_conf_t;

typedef struct {
	ngx_flag_t enable;
	ngx_str_t config;
	ngx_http_complex_value_t *tenant;
	ngx_str_t require_amr;  /* the words, space-separated */
	ngx_str_t max_auth_age; /* seconds, as written */
	ngx_http_tokengate_file_t *file;
} ngx_http_tokengate_loc_conf_t;

/* An allowed request's variables, for $tokengate_<name>. */
typedef struct {
	ngx_str_t name; /* after TOKENGATE_: "SUB", "CLAIM_ROLE" */
	ngx_str_t value;
} ngx_http_tokengate_var_t;

typedef struct {
	ngx_http_tokengate_var_t *vars;
	ngx_uint_t nvars;
} ngx_http_tokengate_ctx_t;

static ngx_int_t ngx_http_tokengate_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_tokengate_init(ngx_conf_t *cf);
static void *ngx_http_tokengate_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_tokengate_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_tokengate_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_tokengate_require_amr(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_tokengate_init_process(ngx_cycle_t *cycle);
static void ngx_http_tokengate_exit_process(ngx_cycle_t *cycle);

/* Every directive may stand in http, server and location, and lands in the location's conf. */
#define TG_DIRECTIVE(name, args, set, offset)                                                  \
	{ ngx_string(name), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | (args), \
	  set, NGX_HTTP_LOC_CONF_OFFSET, offset, NULL }

static ngx_command_t ngx_http_tokengate_commands[] = {
	TG_DIRECTIVE("tokengate", NGX_CONF_FLAG, ngx_conf_set_flag_slot,
		     offsetof(ngx_http_tokengate_loc_conf_t, enable)),
	TG_DIRECTIVE("tokengate_config", NGX_CONF_TAKE1, ngx_conf_set_str_slot,
		     offsetof(ngx_http_tokengate_loc_conf_t, config)),
	TG_DIRECTIVE("tokengate_tenant", NGX_CONF_TAKE1, ngx_http_set_complex_value_slot,
		     offsetof(ngx_http_tokengate_loc_conf_t, tenant)),
	TG_DIRECTIVE("tokengate_require_amr", NGX_CONF_1MORE, ngx_http_tokengate_require_amr, 0),
	TG_DIRECTIVE("tokengate_max_auth_age", NGX_CONF_TAKE1, ngx_conf_set_str_slot,
		     offsetof(ngx_http_tokengate_loc_conf_t, max_auth_age)),
	ngx_null_command
};

static ngx_http_module_t ngx_http_tokengate_module_ctx = {
	ngx_http_tokengate_add_variables, /* preconfiguration */
	ngx_http_tokengate_init,          /* postconfiguration */
	ngx_http_tokengate_create_main_conf, NULL,
	NULL, NULL,
	ngx_http_tokengate_create_loc_conf, ngx_http_tokengate_merge_loc_conf,
};

ngx_module_t ngx_http_tokengate_module = {
	NGX_MODULE_V1,
	&ngx_http_tokengate_module_ctx, ngx_http_tokengate_commands, NGX_HTTP_MODULE,
	NULL, NULL,
	ngx_http_tokengate_init_process, NULL, NULL,
	ngx_http_tokengate_exit_process, NULL,
	NGX_MODULE_V1_PADDING
};

/* A NUL-terminated copy in pool: what embed/ reads; NULL when out of memory. */
static char *
ngx_http_tokengate_cstr(ngx_pool_t *pool, const u_char *data, size_t len)
{
	u_char *p = ngx_pnalloc(pool, len + 1);

	if (p == NULL)
		return NULL;
	ngx_memcpy(p, data, len);
	p[len] = '\0';
	return (char *)p;
}

/* ------------------------------------------------------------ configuration */

static void *
ngx_http_tokengate_create_main_conf(ngx_conf_t *cf)
{
	ngx_http_tokengate_main_conf_t *mcf = ngx_pcalloc(cf->pool, sizeof(*mcf));

	if (mcf == NULL ||
	    ngx_array_init(&mcf->files, cf->pool, 2, sizeof(ngx_http_tokengate_file_t *)) != NGX_OK)
		return NULL;
	return mcf;
}

static void *
ngx_http_tokengate_create_loc_conf(ngx_conf_t *cf)
{
	ngx_http_tokengate_loc_conf_t *lcf = ngx_pcalloc(cf->pool, sizeof(*lcf));

	if (lcf == NULL)
		return NULL;
	lcf->enable = NGX_CONF_UNSET;
	lcf->tenant = NGX_CONF_UNSET_PTR;
	return lcf;
}

static char *
ngx_http_tokengate_require_amr(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
	ngx_http_tokengate_loc_conf_t *lcf = conf;
	ngx_str_t *args = cf->args->elts;
	size_t len = 0;
	u_char *p;

	(void)cmd;
	if (lcf->require_amr.data)
		return "is duplicate";
	for (ngx_uint_t i = 1; i < cf->args->nelts; i++)
		len += args[i].len + 1;
	p = ngx_pnalloc(cf->pool, len);
	if (p == NULL)
		return NGX_CONF_ERROR;
	lcf->require_amr.data = p;
	lcf->require_amr.len = len - 1;
	for (ngx_uint_t i = 1; i < cf->args->nelts; i++) {
		p = ngx_cpymem(p, args[i].data, args[i].len);
		*p++ = i + 1 < cf->args->nelts ? ' ' : '\0';
	}
	return NGX_CONF_OK;
}

/*
 * The file's entry, added the first time a location names it. Its
 * configuration is loaded here once, so `nginx -t` reports what the workers
 * would; the database is not opened in the master.
 */
static ngx_http_tokengate_file_t *
ngx_http_tokengate_file(ngx_conf_t *cf, const ngx_str_t *path)
{
	ngx_http_tokengate_main_conf_t *mcf;
	ngx_http_tokengate_file_t **all, *f, **slot;
	struct tg_config *cfg = NULL;
	struct tg_why why;

	mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tokengate_module);
	all = mcf->files.elts;
	for (ngx_uint_t i = 0; i < mcf->files.nelts; i++)
		if (all[i]->path.len == path->len &&
		    ngx_strncmp(all[i]->path.data, path->data, path->len) == 0)
			return all[i];
	if (config_load((const char *)path->data, &cfg, &why) != TG_OK) {
		ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "tokengate: %s", why.text);
		return NULL;
	}
	config_free(cfg);
	f = ngx_pcalloc(cf->pool, sizeof(*f));
	slot = ngx_array_push(&mcf->files);
	if (f == NULL || slot == NULL)
		return NULL;
	f->path = *path;
	*slot = f;
	return f;
}

static char *
ngx_http_tokengate_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
	ngx_http_tokengate_loc_conf_t *prev = parent, *conf = child;
	const char *def = NULL;
	ngx_str_t path;

	ngx_conf_merge_value(conf->enable, prev->enable, 0);
	ngx_conf_merge_str_value(conf->config, prev->config, "");
	ngx_conf_merge_ptr_value(conf->tenant, prev->tenant, NULL);
	ngx_conf_merge_str_value(conf->require_amr, prev->require_amr, "");
	ngx_conf_merge_str_value(conf->max_auth_age, prev->max_auth_age, "");
	if (conf->max_auth_age.len &&
	    ngx_atoi(conf->max_auth_age.data, conf->max_auth_age.len) == NGX_ERROR) {
		ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "tokengate_max_auth_age takes seconds, "
				   "a decimal such as 300, not \"%V\"", &conf->max_auth_age);
		return NGX_CONF_ERROR;
	}
	if (!conf->enable)
		return NGX_CONF_OK;
	/*
	 * The default file is resolved here, in the master: nginx clears the
	 * workers' environment, TOKENGATE_CONFIG with it.
	 */
	path = conf->config;
	if (path.len == 0) {
		def = config_path();
		path.len = ngx_strlen(def);
	}
	path.data = (u_char *)ngx_http_tokengate_cstr(cf->pool, def ? (const u_char *)def : path.data,
						      path.len);
	conf->file = path.data ? ngx_http_tokengate_file(cf, &path) : NULL;
	return conf->file ? NGX_CONF_OK : NGX_CONF_ERROR;
}

/* ------------------------------------------------------------ workers */

/*
 * Each worker opens its own handles after the fork (Berkeley DB's do not
 * survive one); the cache manager and loader never decide, so open none. A
 * file that fails leaves its locations refusing with 500, never allowing.
 */
static ngx_int_t
ngx_http_tokengate_init_process(ngx_cycle_t *cycle)
{
	ngx_http_tokengate_main_conf_t *mcf;
	ngx_http_tokengate_file_t **all;
	struct tg_why why;

	if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE)
		return NGX_OK;
	mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_tokengate_module);
	if (mcf == NULL)
		return NGX_OK;
	all = mcf->files.elts;
	for (ngx_uint_t i = 0; i < mcf->files.nelts; i++)
		if (embed_open((const char *)all[i]->path.data, &all[i]->e, &why) != TG_OK)
			ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
				      "tokengate: %s; this worker refuses the requests of "
				      "\"tokengate on\" locations with 500 until nginx is reloaded",
				      why.text);
	return NGX_OK;
}

static void
ngx_http_tokengate_exit_process(ngx_cycle_t *cycle)
{
	ngx_http_tokengate_main_conf_t *mcf;
	ngx_http_tokengate_file_t **all;

	mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_tokengate_module);
	if (mcf == NULL)
		return;
	all = mcf->files.elts;
	for (ngx_uint_t i = 0; i < mcf->files.nelts; i++) {
		embed_close(all[i]->e);
		all[i]->e = NULL;
	}
}

/* ------------------------------------------------------------ requests */

/*
 * Every header named name, joined by sep (several Cookie headers are one
 * list, as HTTP/2 splits them); NULL when there is none.
 */
static const char *
ngx_http_tokengate_header(ngx_http_request_t *r, u_char *name, const char *sep)
{
	size_t nlen = ngx_strlen(name), slen = ngx_strlen(sep), len = 0;
	ngx_list_part_t *part;
	ngx_table_elt_t *h;
	ngx_uint_t n = 0;
	u_char *out = NULL, *p = NULL;

	for (int pass = 0; pass < 2; pass++) {
		for (part = &r->headers_in.headers.part; part; part = part->next) {
			h = part->elts;
			for (ngx_uint_t i = 0; i < part->nelts; i++) {
				if (h[i].key.len != nlen ||
				    ngx_strncasecmp(h[i].key.data, name, nlen) != 0)
					continue;
				if (pass == 0) {
					len += h[i].value.len + slen;
					n++;
					continue;
				}
				if (p != out)
					p = ngx_cpymem(p, sep, slen);
				p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
			}
		}
		if (pass == 0) {
			if (n == 0)
				return NULL;
			out = ngx_pnalloc(r->pool, len + 1);
			if (out == NULL)
				return NULL;
			p = out;
		}
	}
	*p = '\0';
	return (const char *)out;
}

/* The facts embed_decide reads, as the FastCGI authorizer gets them from its server. */
static ngx_int_t
ngx_http_tokengate_facts(ngx_http_request_t *r, const ngx_http_tokengate_loc_conf_t *lcf,
			 struct authz_request *q)
{
	ngx_str_t tenant;

	ngx_memzero(q, sizeof(*q));
	q->method = ngx_http_tokengate_cstr(r->pool, r->method_name.data, r->method_name.len);
	q->remote_addr = ngx_http_tokengate_cstr(r->pool, r->connection->addr_text.data,
						 r->connection->addr_text.len);
	if (q->method == NULL || q->remote_addr == NULL)
		return NGX_ERROR;
	q->authorization = ngx_http_tokengate_header(r, (u_char *)"Authorization", ", ");
	q->cookie = ngx_http_tokengate_header(r, (u_char *)"Cookie", "; ");
	q->origin = ngx_http_tokengate_header(r, (u_char *)"Origin", ", ");
	q->referer = ngx_http_tokengate_header(r, (u_char *)"Referer", ", ");
	q->forwarded_proto = ngx_http_tokengate_header(r, (u_char *)"X-Forwarded-Proto", ", ");
	/* The CSRF rule's: where a browser says the request comes from, and the own origin's host. */
	q->sec_fetch_site = ngx_http_tokengate_header(r, (u_char *)"Sec-Fetch-Site", ", ");
	q->host = ngx_http_tokengate_header(r, (u_char *)"Host", ", ");
#if (NGX_HTTP_SSL)
	if (r->connection->ssl)
		q->https = "on";
#endif
	if (lcf->tenant) {
		if (ngx_http_complex_value(r, lcf->tenant, &tenant) != NGX_OK)
			return NGX_ERROR;
		if (tenant.len) {
			q->tenant = ngx_http_tokengate_cstr(r->pool, tenant.data, tenant.len);
			if (q->tenant == NULL)
				return NGX_ERROR;
		}
	}
	/* The merged strings are the configuration's, NUL-terminated. */
	if (lcf->require_amr.len)
		q->require_amr = (const char *)lcf->require_amr.data;
	if (lcf->max_auth_age.len)
		q->max_auth_age = (const char *)lcf->max_auth_age.data;
	return NGX_OK;
}

static ngx_int_t
ngx_http_tokengate_str(ngx_pool_t *pool, const char *s, ngx_str_t *out)
{
	out->len = ngx_strlen(s);
	out->data = (u_char *)ngx_http_tokengate_cstr(pool, (const u_char *)s, out->len);
	return out->data ? NGX_OK : NGX_ERROR;
}

/* An allowed decision's variables, copied into the request's pool for $tokengate_*. */
static ngx_int_t
ngx_http_tokengate_keep(ngx_http_request_t *r, const struct authz_decision *d)
{
	ngx_http_tokengate_ctx_t *ctx = ngx_pcalloc(r->pool, sizeof(*ctx));

	if (ctx == NULL)
		return NGX_ERROR;
	ctx->vars = ngx_pcalloc(r->pool, (d->nvars + 1) * sizeof(*ctx->vars));
	if (ctx->vars == NULL)
		return NGX_ERROR;
	for (size_t i = 0; i < d->nvars; i++)
		if (ngx_http_tokengate_str(r->pool, d->vars[i].name, &ctx->vars[i].name) != NGX_OK ||
		    ngx_http_tokengate_str(r->pool, d->vars[i].value, &ctx->vars[i].value) != NGX_OK)
			return NGX_ERROR;
	ctx->nvars = d->nvars;
	ngx_http_set_ctx(r, ctx, ngx_http_tokengate_module);
	return NGX_OK;
}

static ngx_int_t
ngx_http_tokengate_out_header(ngx_http_request_t *r, const struct http_header *src)
{
	ngx_table_elt_t *h;
	ngx_str_t name, value;

	if (ngx_http_tokengate_str(r->pool, src->name, &name) != NGX_OK ||
	    ngx_http_tokengate_str(r->pool, src->value, &value) != NGX_OK)
		return NGX_ERROR;
	if (ngx_strcasecmp(name.data, (u_char *)"Content-Type") == 0) {
		r->headers_out.content_type = value;
		r->headers_out.content_type_len = value.len;
		return NGX_OK;
	}
	h = ngx_list_push(&r->headers_out.headers);
	if (h == NULL)
		return NGX_ERROR;
	ngx_memzero(h, sizeof(*h));
	h->hash = 1;
	h->key = name;
	h->value = value;
	if (ngx_strcasecmp(name.data, (u_char *)"WWW-Authenticate") == 0)
		r->headers_out.www_authenticate = h;
	return NGX_OK;
}

/*
 * The refusal as embed_decide rendered it: status, headers, JSON body. The
 * request ends here (NGX_DONE to the access phase).
 */
static ngx_int_t
ngx_http_tokengate_refuse(ngx_http_request_t *r, const struct http_response *resp)
{
	ngx_chain_t out = { 0 };
	ngx_int_t rc;
	ngx_buf_t *b;

	rc = ngx_http_discard_request_body(r);
	if (rc != NGX_OK)
		return rc;
	r->headers_out.status = resp->status;
	r->headers_out.content_length_n = (off_t)resp->bodylen;
	for (size_t i = 0; i < resp->nheaders; i++)
		if (ngx_http_tokengate_out_header(r, &resp->headers[i]) != NGX_OK)
			return NGX_HTTP_INTERNAL_SERVER_ERROR;
	b = ngx_calloc_buf(r->pool);
	if (b == NULL)
		return NGX_HTTP_INTERNAL_SERVER_ERROR;
	if (resp->bodylen) {
		b = ngx_create_temp_buf(r->pool, resp->bodylen);
		if (b == NULL)
			return NGX_HTTP_INTERNAL_SERVER_ERROR;
		b->last = ngx_cpymem(b->pos, resp->body, resp->bodylen);
	}
	b->last_buf = r == r->main;
	b->last_in_chain = 1;
	out.buf = b;
	rc = ngx_http_send_header(r);
	if (rc == NGX_ERROR || rc > NGX_OK || r->header_only)
		ngx_http_finalize_request(r, rc);
	else
		ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
	return NGX_DONE;
}

static ngx_int_t
ngx_http_tokengate_handler(ngx_http_request_t *r)
{
	ngx_http_tokengate_loc_conf_t *lcf;
	struct authz_decision d;
	struct http_response resp;
	struct authz_request q;
	ngx_int_t rc;

	lcf = ngx_http_get_module_loc_conf(r, ngx_http_tokengate_module);
	if (!lcf->enable)
		return NGX_DECLINED;
	if (ngx_http_tokengate_facts(r, lcf, &q) != NGX_OK)
		return NGX_HTTP_INTERNAL_SERVER_ERROR;
	embed_decide(lcf->file->e, &q, &d, &resp);
	if (d.status == 200)
		rc = ngx_http_tokengate_keep(r, &d) == NGX_OK ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
	else
		rc = ngx_http_tokengate_refuse(r, &resp);
	embed_done(&d, &resp);
	return rc;
}

/* $tokengate_<name>: the allowed decision's TOKENGATE_<NAME>; not found otherwise. */
static ngx_int_t
ngx_http_tokengate_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data)
{
	const ngx_str_t *full = (const ngx_str_t *)data;
	ngx_http_tokengate_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_tokengate_module);
	size_t skip = sizeof(TG_VAR_PREFIX) - 1;

	v->not_found = 1;
	for (ngx_uint_t i = 0; ctx && i < ctx->nvars; i++) {
		if (ctx->vars[i].name.len != full->len - skip ||
		    ngx_strncasecmp(ctx->vars[i].name.data, full->data + skip,
				    full->len - skip) != 0)
			continue;
		v->data = ctx->vars[i].value.data;
		v->len = ctx->vars[i].value.len;
		v->valid = 1;
		v->no_cacheable = 1;
		v->not_found = 0;
		break;
	}
	return NGX_OK;
}

static ngx_int_t
ngx_http_tokengate_add_variables(ngx_conf_t *cf)
{
	ngx_str_t name = ngx_string(TG_VAR_PREFIX);
	ngx_http_variable_t *v;

	v = ngx_http_add_variable(cf, &name, NGX_HTTP_VAR_NOCACHEABLE | NGX_HTTP_VAR_PREFIX);
	if (v == NULL)
		return NGX_ERROR;
	v->get_handler = ngx_http_tokengate_variable;
	return NGX_OK;
}

static ngx_int_t
ngx_http_tokengate_init(ngx_conf_t *cf)
{
	ngx_http_core_main_conf_t *cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
	ngx_http_handler_pt *h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);

	if (h == NULL)
		return NGX_ERROR;
	*h = ngx_http_tokengate_handler;
	return NGX_OK;
}
