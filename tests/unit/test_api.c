/*
 * What api.c decides before it needs a session: canonical addresses, the
 * route table (404, 405 with Allow, any method for /v1/authorize), API-key
 * and body checks that answer before the store is asked (401, 415, 413,
 * 400), JWKS lookups, and a log line that never carries a credential. The
 * store-backed endpoints are in test_api_session.c.
 */
#include "role/api.h"

#include "jose/keyring.h"

#include "../lib/tap.h"

#include <json.h>
#include <unistd.h>

static struct tg_config *cfg;
static struct keyring *kr;
static struct http_conn *conn;

static void
canon(const char *in, const char *want)
{
	char out[INET6_ADDRSTRLEN];
	bool is_ok = api_ip_canonical(in, out);

	if (want)
		is_str(is_ok ? out : NULL, want, "address \"%s\" is \"%s\"", in, want);
	else
		ok(!is_ok, "\"%s\" is not an address", in ? in : "(none)");
}

static void
test_ip(void)
{
	canon("192.0.2.1", "192.0.2.1");
	canon("2001:DB8:0:0::1", "2001:db8::1");
	canon("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	canon("192.0.2.256", NULL);
	canon("192.0.2.1/24", NULL);
	canon("example.com", NULL);
	canon("", NULL);
	canon(NULL, NULL);
}

static const char *
header(const struct http_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* The "error" member of the JSON body ("" when there is none). */
static char *
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

static void
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

static void
expect(const struct call *k, int want_status, const char *want_error)
{
	struct http_response r;

	run(k, want_status, want_error, &r);
	http_response_fini(&r);
}

static void
test_routes(void)
{
	struct http_response r;

	run(&(struct call){ "GET", "/v1/nothing", .content_length = -1 }, 404, "not_found", &r);
	http_response_fini(&r);
	run(&(struct call){ "PUT", "/v1/sessions", .content_length = -1 }, 405,
	    "method_not_allowed", &r);
	is_str(header(&r, "Allow"), "POST, GET", "405 lists every method of the path");
	http_response_fini(&r);
	run(&(struct call){ "PATCH", "/v1/sessions/abc", .content_length = -1 }, 405,
	    "method_not_allowed", &r);
	is_str(header(&r, "Allow"), "GET, DELETE", "405 for a session: GET, DELETE");
	http_response_fini(&r);
	expect(&(struct call){ "GET", "/v1/token", .content_length = -1 }, 405, "method_not_allowed");
	expect(&(struct call){ "GET", "/v1/sessions/a/b", .content_length = -1 }, 404, "not_found");
	expect(&(struct call){ "GET", "/v1/sessions//tokens", .content_length = -1 }, 404,
	       "not_found");
	expect(&(struct call){ "GET", NULL, .content_length = -1 }, 404, "not_found");
	/* Any method, since nginx's auth_request subrequest keeps the original one. */
	run(&(struct call){ "DELETE", "/v1/authorize", .content_length = -1 }, 401, "unauthorized",
	    &r);
	ok(header(&r, "WWW-Authenticate") != NULL, "/v1/authorize takes any method, 401 challenges");
	http_response_fini(&r);
}

static void
test_api_key_needed(void)
{
	static const char *const keyed[][2] = {
		{ "POST", "/v1/sessions" },
		{ "GET", "/v1/sessions" },
		{ "GET", "/v1/sessions/abc" },
		{ "DELETE", "/v1/sessions/abc" },
		{ "POST", "/v1/sessions/abc/logout" },
		{ "POST", "/v1/sessions/abc/tokens" },
		{ "POST", "/v1/sessions/abc/authentications" },
		{ "POST", "/v1/users/alice/logout" },
		{ "POST", "/v1/introspect" },
	};
	struct http_response r;

	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		run(&(struct call){ keyed[i][0], keyed[i][1], .content_length = -1 }, 401,
		    "invalid_client", &r);
		is_str(header(&r, "WWW-Authenticate"), "Bearer realm=\"unit\"",
		       "%s %s: the 401 challenges", keyed[i][0], keyed[i][1]);
		http_response_fini(&r);
	}
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = "Basic dTpw",
			       .content_length = -1 }, 401, "invalid_client");
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = "Bearer a b",
			       .content_length = -1 }, 401, "invalid_client");
}

static void
test_bodies(void)
{
	struct http_response r;

	expect(&(struct call){ "POST", "/v1/token", .content_length = -1 }, 400, "invalid_request");
	expect(&(struct call){ "POST", "/v1/token", .content_type = "text/plain",
			       .content_length = 5 }, 415, "unsupported_media_type");
	expect(&(struct call){ "POST", "/v1/token", .content_type = "application/json; charset=latin1",
			       .content_length = 5 }, 415, "unsupported_media_type");
	/* A declared length over max_body_bytes is refused unread. */
	expect(&(struct call){ "POST", "/v1/token", .content_type = "application/json",
			       .content_length = 4096 }, 413, "request_too_large");
	expect(&(struct call){ "POST", "/v1/token",
			       .content_type = "application/x-www-form-urlencoded",
			       .content_length = 1 << 20 }, 413, "request_too_large");
	/* The self-service calls without a token. */
	run(&(struct call){ "POST", "/v1/logout", .content_length = -1 }, 401, "invalid_token", &r);
	is_str(header(&r, "WWW-Authenticate"), "Bearer realm=\"unit\", error=\"invalid_token\"",
	       "/v1/logout without a token: invalid_token challenge");
	http_response_fini(&r);
	expect(&(struct call){ "POST", "/v1/cookie", .content_length = -1 }, 401, "invalid_token");
	expect(&(struct call){ "POST", "/v1/cookie", .authorization = "Bearer not-a-jwt",
			       .content_length = -1 }, 401, "invalid_token");
}

static void
test_jwks(void)
{
	expect(&(struct call){ "GET", "/.well-known/jwks.json", .content_length = -1 }, 400,
	       "invalid_request");
	expect(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=nobody",
			       .content_length = -1 }, 404, "unknown_tenant");
	expect(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=a&x=1",
			       .content_length = -1 }, 400, "invalid_request");
	expect(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=a&tenant=b",
			       .content_length = -1 }, 400, "invalid_request");
	expect(&(struct call){ "POST", "/.well-known/jwks.json", .content_length = -1 }, 405,
	       "method_not_allowed");
}

/* The per-request log line names route and status, never the credential sent. */
static void
test_log_line(void)
{
	char path[] = "/tmp/tokengate-test_api.XXXXXX", buf[4096] = "";
	int fd = mkstemp(path), saved = dup(2);
	struct http_response r;
	ssize_t n;

	dup2(fd, 2);
	run(&(struct call){ "GET", "/v1/sessions/abc", .authorization = "Basic dTpw",
			    .content_length = -1 }, 401, "invalid_client", &r);
	http_response_fini(&r);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	ok(strstr(buf, "api GET /v1/sessions/{} 401 tenant=- key=-") != NULL,
	   "one info line: method, route pattern, status, tenant, key id");
	ok(strstr(buf, "/v1/sessions/abc") == NULL, "the line has the pattern, not the path");
	ok(strstr(buf, "dTpw") == NULL, "no credential in the log");
	close(fd);
	unlink(path);
}

int
main(void)
{
	static const char conf[] = "database = /nonexistent\nrealm = unit\nmax_body_bytes = 1024\n"
				   "log_level = info\nrequire_https = no\n";
	struct tg_why why;

	if (config_parse("unit.conf", conf, strlen(conf), NULL, &cfg, &why) != TG_OK) {
		diag("configuration: %s", why.text);
		return 1;
	}
	log_set_level(cfg->log_level);
	kr = keyring_new();
	conn = http_conn_cgi();
	test_ip();
	test_routes();
	test_api_key_needed();
	test_bodies();
	test_jwks();
	test_log_line();
	http_conn_free(conn);
	keyring_free(kr);
	config_free(cfg);
	return done_testing();
}
