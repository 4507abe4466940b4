/*
 * The login endpoint's throttle calls (api_throttle.c) against a real store:
 * free failures pass, then 429 with Retry-After and a body that is the same
 * for an account that exists and one that does not; the wait ends; a success
 * clears the account; the address counts across accounts; and each failure's
 * audit line names tenant, a hash of the account, the address and the reason,
 * never the password, and the email only under log_emails = yes.
 */
#include "role/api_internal.h"

#include "base/log.h"

#include "../lib/api_issue.h"

#define PASSWORD "correct horse battery staple"

/* One request's context, as api_handle makes it, from addr at now_ms. */
struct attempt {
	struct api_env env;
	struct http_request req;
	struct http_path_args args;
	struct http_response r;
	struct api_ctx c;
};

static void
attempt_start(struct attempt *a, const char *addr, int64_t now_ms)
{
	memset(a, 0, sizeof(*a));
	a->env = (struct api_env){ .cfg = cfg, .store = scratch.s, .kr = kr, .now = now_ms / 1000,
				   .now_ms = now_ms };
	a->req = (struct http_request){ .role = HTTP_ROLE_RESPONDER, .method = "POST",
					.path_info = "/v1/login", .remote_addr = addr };
	http_response_init(&a->r, 500);
	a->c = (struct api_ctx){ .env = &a->env, .req = &a->req, .args = &a->args, .r = &a->r };
}

static void
attempt_fini(struct attempt *a)
{
	http_response_fini(&a->r);
	free(a->c.tenant);
	free(a->c.key_id);
	free(a->c.sid);
}

/*
 * One login attempt as the handler makes it: the check, then (when let
 * through) a failure. Returns the status the check answered (0: let through);
 * *body (may be NULL) gets the refusal's body, *retry its Retry-After.
 */
static int
try_login(const char *email, const char *addr, int64_t now_ms, char **body, int64_t *retry)
{
	struct api_throttle th;
	struct attempt a;
	int status = 0;

	attempt_start(&a, addr, now_ms);
	if (api_throttle_begin(&a.c, "acme", email, &th)) {
		api_throttle_failed(&a.c, &th, "wrong_password");
	} else {
		status = a.r.status;
		if (body)
			*body = tg_xstrdup(a.r.body ? a.r.body : "");
		if (retry)
			*retry = header(&a.r, "Retry-After") ? atoll(header(&a.r, "Retry-After")) : -1;
	}
	attempt_fini(&a);
	return status;
}

static void
succeed(const char *email, const char *addr, int64_t now_ms)
{
	struct api_throttle th;
	struct attempt a;

	attempt_start(&a, addr, now_ms);
	if (api_throttle_begin(&a.c, "acme", email, &th))
		api_throttle_succeeded(&a.c, &th);
	else
		diag("%s was still throttled", email);
	attempt_fini(&a);
}

static void
setup(const char *conf)
{
	struct tg_why why = { "mkdtemp" };

	if (setup_open(&scratch, "test_api_throttle", true, &why) != TG_OK ||
	    config_parse("unit.conf", conf, strlen(conf), NULL, &cfg, &why) != TG_OK) {
		diag("setup: %s", why.text);
		exit(1);
	}
	if (setup_tenant(scratch.s, "acme", NULL) != TG_OK)
		diag("tenant not added");
	log_set_level(cfg->log_level);
	kr = keyring_new();
	if (keyring_sync(kr, scratch.s, NULL) != TG_OK)
		diag("keyring_sync failed");
}

static void
teardown(void)
{
	keyring_free(kr);
	config_free(cfg);
	if (setup_close(&scratch) != TG_OK)
		diag("scratch not removed");
}

/* "alice" stands for an account that exists and "nobody" for one that does not: the throttle cannot tell. */
static void
test_backoff(void)
{
	int64_t t0 = INT64_C(1700000000) * 1000, ra = 0, rn = 0;
	char *alice = NULL, *nobody = NULL;

	for (int i = 0; i < 3; i++) {
		is_int(try_login("alice@example.com", "192.0.2.1", t0, NULL, NULL), 0,
		       "alice's free failure %d", i + 1);
		is_int(try_login("nobody@example.com", "192.0.2.2", t0, NULL, NULL), 0,
		       "nobody's free failure %d", i + 1);
	}
	is_int(try_login("alice@example.com", "192.0.2.1", t0, NULL, NULL), 0,
	       "the fourth is let through (its failure starts the wait)");
	try_login("nobody@example.com", "192.0.2.2", t0, NULL, NULL);
	is_int(try_login("Alice@Example.com", "198.51.100.7", t0 + 10, &alice, &ra), 429,
	       "then alice, however spelt and from wherever: 429");
	is_int(try_login("nobody@example.com", "198.51.100.8", t0 + 10, &nobody, &rn), 429,
	       "and nobody: 429");
	is_int(ra, 1, "Retry-After: 1");
	is_int(rn, ra, "the same for both");
	is_str(alice, nobody, "the same body: a locked account says nothing about existing");
	ok(alice && strstr(alice, "too_many_attempts") && strstr(alice, "retry after 1 s"),
	   "error too_many_attempts, and when to retry: %s", alice ? alice : "");
	/* A failure is dated when it is known (the request's time and the ms since): margins. */
	is_int(try_login("alice@example.com", "192.0.2.1", t0 + 1500, NULL, NULL), 0,
	       "after the wait: let through");
	is_int(try_login("alice@example.com", "192.0.2.1", t0 + 2000, NULL, &ra), 429,
	       "failing again doubles it");
	is_int(ra, 2, "to 2 s (0.5 s into the wait: rounded up)");
	succeed("alice@example.com", "192.0.2.1", t0 + 4000);
	is_int(try_login("alice@example.com", "203.0.113.9", t0 + 4000, NULL, NULL), 0,
	       "a success clears the account");
	free(alice);
	free(nobody);
}

/* Four free failures an address, whatever the account. */
static void
test_address(void)
{
	int64_t t0 = INT64_C(1700000100) * 1000;
	char email[64];

	for (int i = 0; i < 5; i++) {
		snprintf(email, sizeof(email), "spray%d@example.com", i);
		try_login(email, "2001:db8:7:7::1", t0, NULL, NULL);
	}
	is_int(try_login("fresh@example.com", "2001:db8:7:7:aaaa::2", t0, NULL, NULL), 429,
	       "a spray of five accounts from one /64: a fresh account from it waits");
	is_int(try_login("fresh@example.com", "2001:db8:7:8::1", t0, NULL, NULL), 0,
	       "from the next /64 it does not");
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = tg_xcalloc(1, 65536);

	if (f) {
		(void)!fread(buf, 1, 65535, f);
		fclose(f);
	}
	return buf;
}

/* The log of one failed attempt (stderr sent to a file for the while). */
static char *
audit_of(const char *tenant, const char *email, const char *addr)
{
	char path[sizeof(scratch.root) + 8];
	int saved = log_capture(path);
	struct api_throttle th;
	struct attempt a;

	attempt_start(&a, addr, INT64_C(1700000200) * 1000);
	if (api_throttle_begin(&a.c, tenant, email, &th))
		api_throttle_failed(&a.c, &th, "wrong_password");
	attempt_fini(&a);
	log_restore(saved);
	return slurp(path);
}

static void
test_audit(void)
{
	char *line = audit_of("acme", "Carol@Example.com", "192.0.2.44");

	ok(strstr(line, "login_failed tenant=acme account=sha256:") &&
	   strstr(line, " addr=192.0.2.44 reason=wrong_password failures=1"),
	   "a failure's audit line: %s", line);
	ok(!strstr(line, "arol") && !strstr(line, "xample"), "no part of the email in it");
	ok(!strstr(line, PASSWORD), "no password (the throttle never sees it)");
	free(line);
}

/* A body's tenant is anyone's text: one that is no tenant is neither a 500 nor logged. */
static void
test_unknown_tenant(void)
{
	char *line = audit_of("no such tenant=x reason=forged " PASSWORD PASSWORD PASSWORD,
			      "eve@example.com", "192.0.2.50");

	ok(strstr(line, "login_failed tenant=- account=sha256:") && !strstr(line, "forged") &&
	   strstr(line, "reason=wrong_password"),
	   "a tenant that is none (longer than an id, with blanks): counted and logged as none: %s",
	   line);
	free(line);
}

static void
test_log_emails(void)
{
	char *line;

	setup("database = /unused\nlog_level = warn\nlog_emails = yes\n");
	line = audit_of("acme", "Carol@Example.com", "192.0.2.44");
	ok(strstr(line, "login_failed tenant=acme account=carol@example.com addr=192.0.2.44"),
	   "log_emails = yes: the normalised email: %s", line);
	free(line);
	line = audit_of("acme", "not an email\n reason=forged", "192.0.2.44");
	ok(strstr(line, "account=sha256:") && !strstr(line, "forged"),
	   "not an email: its hash all the same, so it cannot forge a field");
	free(line);
	teardown();
}

int
main(void)
{
	setup("database = /unused\nlog_level = warn\nlogin_free_failures = 3\n"
	      "login_free_failures_per_address = 4\nlogin_max_backoff = 60\n");
	test_backoff();
	test_address();
	test_audit();
	test_unknown_tenant();
	teardown();
	test_log_emails();
	return done_testing();
}
