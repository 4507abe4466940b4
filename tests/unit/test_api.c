/*
 * What api.c decides before it needs a session: the route table (404, 405
 * with Allow, any method for /v1/authorize), API-key checks that answer
 * before the store is asked (401), /metrics' allow-list (403), require_https
 * before any credential is read (403), and a log line that never carries a
 * credential. Bodies and addresses are in test_api_request.c, the token
 * endpoints in test_api_token.c, the store-backed ones in test_api_session.c.
 */
#include "../lib/api_call.h"

#include <time.h>
#include <unistd.h>

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
	/* A user id "team/alice" the server decoded from team%2Falice: not a 404 (issue 12). */
	expect(&(struct call){ "POST", "/v1/users/team/alice/logout", .content_length = -1 }, 400,
	       "invalid_request");
	/* Any method, since nginx's auth_request subrequest keeps the original one. */
	run(&(struct call){ "DELETE", "/v1/authorize", .content_length = -1 }, 401, "unauthorized",
	    &r);
	ok(header(&r, "WWW-Authenticate") != NULL, "/v1/authorize takes any method, 401 challenges");
	http_response_fini(&r);
}

static void
test_api_key_needed(void)
{
	/* RFC 6749 5.1: where tokens are answered, their refusals carry Pragma: no-cache too. */
	static const char *const keyed[][3] = {
		{ "POST", "/v1/sessions", "no-cache" },
		{ "GET", "/v1/sessions", NULL },
		{ "GET", "/v1/sessions/abc", NULL },
		{ "DELETE", "/v1/sessions/abc", NULL },
		{ "POST", "/v1/sessions/abc/logout", NULL },
		{ "POST", "/v1/sessions/abc/tokens", "no-cache" },
		{ "POST", "/v1/sessions/abc/authentications", "no-cache" },
		{ "POST", "/v1/users/alice/logout", NULL },
		{ "POST", "/v1/users/logout", NULL },
		{ "POST", "/v1/introspect", NULL },
	};
	struct http_response r;

	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		run(&(struct call){ keyed[i][0], keyed[i][1], .content_length = -1 }, 401,
		    "invalid_client", &r);
		is_str(header(&r, "WWW-Authenticate"), "Bearer realm=\"unit\"",
		       "%s %s: the 401 challenges", keyed[i][0], keyed[i][1]);
		ok(keyed[i][2] ? header(&r, "Pragma") && strcmp(header(&r, "Pragma"), keyed[i][2]) == 0
			       : !header(&r, "Pragma"),
		   "%s %s: Pragma %s", keyed[i][0], keyed[i][1], keyed[i][2] ? keyed[i][2] : "absent");
		http_response_fini(&r);
	}
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = "Basic dTpw",
			       .content_length = -1 }, 401, "invalid_client");
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = "Bearer a b",
			       .content_length = -1 }, 401, "invalid_client");
}

/*
 * GET /metrics answers metrics_allow's addresses only (the peer here is
 * 127.0.0.1); with no counters file mapped, 503 rather than zeros.
 */
static void
test_metrics_route(void)
{
	struct tg_addrs allow = cfg->metrics_allow;
	struct http_response r;

	run(&(struct call){ "GET", "/metrics", .content_length = -1 }, 503,
	    "temporarily_unavailable", &r);
	ok(r.body && strstr(r.body, "tokengate.metrics"), "the 503 names the counters file");
	http_response_fini(&r);
	cfg->metrics_allow = (struct tg_addrs){ 0 }; /* metrics_allow = (empty): no one */
	run(&(struct call){ "GET", "/metrics", .content_length = -1 }, 403, "forbidden", &r);
	ok(r.body && strstr(r.body, "127.0.0.1 may not read the metrics: add it to metrics_allow"),
	   "the 403 names the address and the key to add it to");
	http_response_fini(&r);
	cfg->metrics_allow = allow;
	expect(&(struct call){ "POST", "/metrics", .content_length = -1 }, 405,
	       "method_not_allowed");
}

/* What fn logs to stderr, in buf, starting in a new second. */
static void
logged(void (*fn)(void), char *buf, size_t size)
{
	char path[] = "/tmp/tokengate-test_api.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	/* The tests before refused more than a second's denial lines: start a new second. */
	for (time_t t0 = time(NULL); time(NULL) == t0;)
		usleep(10000);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static void
basic_to_session(void)
{
	expect(&(struct call){ "GET", "/v1/sessions/abc", .authorization = "Basic dTpw",
			       .content_length = -1 }, 401, "invalid_client");
}

/* The per-request log line names route and status, never the credential sent. */
static void
test_log_line(void)
{
	char buf[4096];

	logged(basic_to_session, buf, sizeof(buf));
	ok(strstr(buf, "api=\"GET /v1/sessions/{}\" decision=refuse status=401 tenant=- key=- "
		      "sid=abc reason=invalid_client latency_us=") != NULL && strstr(buf, "time="),
	   "one info line: time, method, route pattern, decision, status, tenant, key id, the "
	   "path's session id, reason, latency");
	ok(strstr(buf, "/v1/sessions/abc") == NULL, "the line has the pattern, not the path");
	ok(strstr(buf, "dTpw") == NULL, "no credential in the log");
}

#define LEAKED_KEY "Bearer tg_ak_leaked-over-plain-http"

static void
issue_over_plain_http(void)
{
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = LEAKED_KEY,
			       .content_type = "application/json", .content_length = 2 },
	       403, "invalid_request");
}

/*
 * require_https = yes from 127.0.0.1 over plain HTTP: every route that takes
 * a credential is refused before the credential is read (the store here does
 * not exist, so a lookup would answer 401 or 500), the routes without one are
 * not; except_loopback lets the same peer through to the credential check.
 */
static void
test_https_required(void)
{
	static const struct call refused[] = {
		{ "GET", "/v1/sessions/abc", .authorization = LEAKED_KEY, .content_length = -1 },
		{ "POST", "/v1/users/bob/logout", .authorization = LEAKED_KEY, .content_length = -1 },
		{ "POST", "/v1/introspect", .authorization = LEAKED_KEY, .content_length = -1 },
		{ "POST", "/v1/logout", .authorization = "Bearer a.b.c", .content_length = -1 },
		{ "POST", "/v1/cookie", .authorization = "Bearer a.b.c", .content_length = -1 },
	};
	enum tg_https_rule saved = cfg->require_https;
	struct http_response r;
	char buf[4096];

	cfg->require_https = TG_HTTPS_YES;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		expect(&refused[i], 403, "invalid_request");
	run(&(struct call){ "POST", "/v1/token", .content_type = "application/x-www-form-urlencoded",
			    .content_length = 40 }, 403, "invalid_request", &r);
	is_str(header(&r, "Pragma"), "no-cache", "/v1/token's refusal: Pragma: no-cache (RFC 6749 5.2)");
	ok(r.body && strstr(r.body, "plain HTTP") && strstr(r.body, "HTTPS=on") &&
	   strstr(r.body, "X-Forwarded-Proto") && strstr(r.body, "except_loopback"),
	   "the description says what was plain HTTP and the three ways to pass");
	http_response_fini(&r);
	expect(&(struct call){ "GET", "/.well-known/jwks.json", .query = "tenant=nobody",
			       .content_length = -1 }, 404, "unknown_tenant");
	expect(&(struct call){ "GET", "/metrics", .content_length = -1 }, 503,
	       "temporarily_unavailable");
	logged(issue_over_plain_http, buf, sizeof(buf));
	ok(strstr(buf, "api=\"POST /v1/sessions\" decision=refuse status=403 tenant=- key=- "
		      "sid=- reason=https_required latency_us=") != NULL,
	   "the log line's reason is https_required");
	ok(strstr(buf, "rotate it") != NULL, "the log line says to rotate the API key");
	ok(strstr(buf, "leaked") == NULL, "and never carries it");
	cfg->require_https = TG_HTTPS_EXCEPT_LOOPBACK;
	expect(&(struct call){ "POST", "/v1/sessions", .authorization = "Basic dTpw",
			       .content_length = -1 }, 401, "invalid_client");
	cfg->require_https = saved;
}

int
main(void)
{
	if (!api_call_setup())
		return 1;
	test_routes();
	test_api_key_needed();
	test_metrics_route();
	test_log_line();
	test_https_required();
	api_call_teardown();
	return done_testing();
}
