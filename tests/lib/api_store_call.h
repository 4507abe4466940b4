/*
 * Setup shared by the API's unit tests against a real store (test_api_session.c,
 * test_api_login.c): the store fixture, configuration, keyring and clock they declare,
 * and calls through api_handle with the body fed on standard input as a CGI request's is,
 * checked by status and error code. Header-only, like tap.h; asserts only what a call is
 * told to expect.
 */
#ifndef TG_API_STORE_CALL_H
#define TG_API_STORE_CALL_H

#include "role/api.h"

#include "join/keyring_sync.h"

#include "store_setup.h"
#include "tap.h"

#include <fcntl.h>
#include <json.h>
#include <unistd.h>

static struct store_fixture scratch; /* the store, and the body and log files beside it */
static struct tg_config *cfg;
static struct keyring *kr;
static int64_t now = 1700000000;

/* A request's facts; NULL: absent (method: POST; remote_addr: 127.0.0.1). */
struct call {
	const char *method, *path, *query, *authorization, *body, *content_type, *cookie;
	const char *remote_addr, *origin, *fetch_site, *host, *https, *tenant, *script_name;
	const char *require_amr;
};

struct result {
	int status;
	struct json_object *json; /* NULL: no JSON body */
	struct http_response r;
};

static inline void
result_fini(struct result *res)
{
	json_object_put(res->json);
	http_response_fini(&res->r);
}

/* The body goes to standard input, where a CGI request's is read from. */
static inline void
feed(const char *body)
{
	char path[sizeof(scratch.root) + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/body", scratch.root);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body) ||
	    lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) < 0)
		diag("cannot feed the body");
	close(fd);
}

static inline void
call(const struct call *k, struct result *res)
{
	struct http_conn *conn = http_conn_cgi();
	struct api_env env = { .cfg = cfg, .store = scratch.s, .kr = kr, .conn = conn, .now = now,
			       .now_ms = now * 1000 };
	struct http_request req = {
		.role = HTTP_ROLE_RESPONDER, .method = k->method ? k->method : "POST",
		.path_info = k->path, .query_string = k->query, .authorization = k->authorization,
		.cookie = k->cookie,
		.content_type = k->body ? (k->content_type ? k->content_type : "application/json")
					: NULL,
		.content_length = k->body ? (int64_t)strlen(k->body) : -1,
		.remote_addr = k->remote_addr ? k->remote_addr : "127.0.0.1",
		.origin = k->origin, .sec_fetch_site = k->fetch_site, .host = k->host,
		.https = k->https, .tenant = k->tenant, .script_name = k->script_name,
		.require_amr = k->require_amr,
	};

	if (k->body)
		feed(k->body);
	if (keyring_sync(kr, scratch.s, NULL) != TG_OK)
		diag("keyring_sync failed");
	api_handle(&env, &req, &res->r);
	res->status = res->r.status;
	res->json = res->r.body ? json_tokener_parse(res->r.body) : NULL;
	http_conn_free(conn);
}

/* A string member of the answer, NULL when there is none. */
static inline const char *
str(const struct result *res, const char *name)
{
	struct json_object *v;

	if (res->json && json_object_object_get_ex(res->json, name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* One call whose status and error code are checked; the result is dropped. */
static inline void
expect(const struct call *k, int status, const char *error, const char *what)
{
	struct result res;

	call(k, &res);
	ok(res.status == status && (!error || (str(&res, "error") &&
					       strcmp(str(&res, "error"), error) == 0)),
	   "%s: %d %s", what, status, error ? error : "");
	if (res.status != status)
		diag("got %d %s", res.status, res.r.body ? res.r.body : "");
	result_fini(&res);
}

/*
 * Standard error, where the API logs, goes to scratch.root/log (its path in log) until
 * log_restore; the returned descriptor is the one to restore.
 */
static inline int
log_capture(char log[sizeof(scratch.root) + 8])
{
	int saved = dup(2), fd;

	snprintf(log, sizeof(scratch.root) + 8, "%s/log", scratch.root);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static inline void
log_restore(int saved)
{
	dup2(saved, 2);
	close(saved);
}

/* Whether the file holds s. */
static inline bool
file_has(const char *path, const char *s)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	bool is_found = false;

	while (f && !is_found && fgets(line, sizeof(line), f))
		is_found = strstr(line, s) != NULL;
	if (f)
		fclose(f);
	return is_found;
}

#endif
