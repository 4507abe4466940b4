/*
 * The endpoints a token is presented to, where they answer before any store:
 * the self-service calls without a usable token, and JWKS lookups. With a
 * store and sessions they are in test_api_session.c.
 */
#include "../lib/api_call.h"

static void
test_self_service(void)
{
	struct http_response r;

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

int
main(void)
{
	if (!api_call_setup())
		return 1;
	test_self_service();
	test_jwks();
	api_call_teardown();
	return done_testing();
}
