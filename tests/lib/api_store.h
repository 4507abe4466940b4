/*
 * The API end to end against a real store, for the unit tests that need one
 * (test_api_session.c, test_api_me.c, test_api_throttle.c): calls through
 * api_handle with bodies fed on standard input as a CGI request's are, their
 * answers parsed, and sessions issued with a tenant's API key. Each test
 * opens the store, the configuration and the keyring (scratch, cfg, kr) its
 * own way. Header-only, like tap.h; asserts only what expect is told to.
 */
#ifndef TG_API_STORE_H
#define TG_API_STORE_H

#include "role/api.h"

#include "join/keyring_sync.h"

#include "find_named.h"
#include "store_setup.h"
#include "tap.h"

#include <fcntl.h>
#include <json.h>
#include <unistd.h>

static struct store_fixture scratch; /* the store, and the body and log files beside it */
static struct tg_config *cfg;
static struct keyring *kr;
static int64_t now = 1700000000;

struct call {
	const char *method, *path, *query, *authorization, *body, *content_type, *cookie;
	const char *remote_addr;
	const char *origin; /* the Origin header (a cookie on POST needs one) */
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
		.role = HTTP_ROLE_RESPONDER, .method = k->method, .path_info = k->path,
		.query_string = k->query, .authorization = k->authorization, .cookie = k->cookie,
		.content_type = k->body ? (k->content_type ? k->content_type : "application/json")
					: NULL,
		.content_length = k->body ? (int64_t)strlen(k->body) : -1,
		.remote_addr = k->remote_addr ? k->remote_addr : "127.0.0.1", .origin = k->origin,
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

static inline const char *
str(const struct result *res, const char *name)
{
	struct json_object *v;

	if (res->json && json_object_object_get_ex(res->json, name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static inline int64_t
num(const struct result *res, const char *name)
{
	struct json_object *v;

	if (res->json && json_object_object_get_ex(res->json, name, &v))
		return json_object_get_int64(v);
	return -1;
}

TG_DEFINE_FIND_NAMED(header, struct http_response, headers, nheaders)

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

static inline char *
bearer(const char *tok)
{
	return tg_xasprintf("Bearer %s", tok);
}

/* GET /v1/authorize with the token: its status. */
static inline int
authorize(const char *tok)
{
	char *auth = bearer(tok);
	struct result res;
	int status;

	call(&(struct call){ "GET", "/v1/authorize", .authorization = auth }, &res);
	status = res.status;
	result_fini(&res);
	free(auth);
	return status;
}

struct issued {
	char *sid, *access, *refresh;
};

static inline void
issued_fini(struct issued *i)
{
	free(i->sid);
	free(i->access);
	free(i->refresh);
}

static inline bool
issue(const char *key, const char *body, struct issued *out)
{
	char *auth = bearer(key);
	struct result res;
	bool is_ok;

	call(&(struct call){ "POST", "/v1/sessions", .authorization = auth, .body = body }, &res);
	is_ok = res.status == 201 && str(&res, "session_id") && str(&res, "access_token") &&
		str(&res, "refresh_token");
	if (is_ok) {
		out->sid = tg_xstrdup(str(&res, "session_id"));
		out->access = tg_xstrdup(str(&res, "access_token"));
		out->refresh = tg_xstrdup(str(&res, "refresh_token"));
	} else {
		diag("issue: %d %s", res.status, res.r.body ? res.r.body : "");
	}
	result_fini(&res);
	free(auth);
	return is_ok;
}

#endif
