/*
 * An API request's shared handling, before any store: canonical addresses,
 * and bodies refused unread or unparsed (400, 415, 413) through a route
 * that reads one.
 */
#include "../lib/api_call.h"

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

static void
test_bodies(void)
{
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
}

int
main(void)
{
	if (!api_call_setup())
		return 1;
	test_ip();
	test_bodies();
	api_call_teardown();
	return done_testing();
}
