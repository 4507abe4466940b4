/*
 * Setup shared by the API's store-free unit tests (test_api*.c without a
 * session): a configuration, an empty keyring and the CGI connection, and
 * calls through api_handle checked by status and error code. Header-only,
 * like tap.h; asserts only what a call is told to expect.
 */
#ifndef TG_API_CALL_H
#define TG_API_CALL_H

#include "role/api.h"

#include "jose/keyring.h"

#include "find_named.h"
#include "tap.h"

#include <json.h>

static struct tg_config *cfg;
static struct keyring *kr;
static struct http_conn *conn;

/* realm "unit", max_body_bytes 1024, log at info; false when the configuration is refused. */
static inline bool
api_call_setup(void)
{
	static const char conf[] = "database = /nonexistent\nrealm = unit\nmax_body_bytes = 1024\n"
				   "log_level = info\nrequire_https = no\n";
	struct tg_why why;

	if (config_parse("unit.conf", conf, strlen(conf), NULL, &cfg, &why) != TG_OK) {
		diag("configuration: %s", why.text);
		return false;
	}
	log_set_level(cfg->log_level);
	kr = keyring_new();
	conn = http_conn_cgi();
	return true;
}

static inline void
api_call_teardown(void)
{
	http_conn_free(conn);
	keyring_free(kr);
	config_free(cfg);
}

TG_DEFINE_FIND_NAMED(header, struct http_response, headers, nheaders)

/* The "error" member of the JSON body ("" when there is none). */
static inline char *
error_of(const struct http_response *r)
{
	struct json_object *o = r->body ? json_tokener_parse(r->body) : NULL, *e;
	char *s = tg_xstrdup(o && json_object_object_get_ex(o, "error", &e)
				     ? json_object_get_string(e) : "");

	json_object_put(o);
	return s;
}

struct call {
	const char *method, *path, *query, *authorization, *content_type;
	int64_t content_length;
};

static inline void
run(const struct call *k, int want_status, const char *want_error, struct http_response *r)
{
	struct api_env env = { .cfg = cfg, .kr = kr, .conn = conn, .now = 1700000000,
			       .now_ms = 1700000000000 };
	struct http_request req = {
		.role = HTTP_ROLE_RESPONDER, .method = k->method, .path_info = k->path,
		.query_string = k->query, .authorization = k->authorization,
		.content_type = k->content_type, .content_length = k->content_length,
		.remote_addr = "127.0.0.1",
	};
	char *err;

	api_handle(&env, &req, r);
	err = error_of(r);
	ok(r->status == want_status && strcmp(err, want_error) == 0, "%s %s%s%s: %d %s", k->method,
	   k->path, k->query ? "?" : "", k->query ? k->query : "", want_status, want_error);
	if (r->status != want_status || strcmp(err, want_error) != 0)
		diag("got %d %s", r->status, err);
	free(err);
}

static inline void
expect(const struct call *k, int want_status, const char *want_error)
{
	struct http_response r;

	run(k, want_status, want_error, &r);
	http_response_fini(&r);
}

#endif
