/*
 * Responses as data: the formatted bytes (status line first, no header
 * splitting, a JSON error body, Content-Length only with a body) as the
 * transport and an embedding module both use them.
 */
#include "http/http.h"

#include "../lib/tap.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

static void
test_response(void)
{
	struct http_response r;
	struct json_object *o;
	char *msg, *body;
	size_t len;

	http_response_init(&r, 401);
	http_header_add(&r, "X-Test", "a\r\nSet-Cookie: evil=1");
	http_set_error(&r, 401, "invalid_token", "the \"exp\" claim\nhas passed");
	msg = http_format(&r, &len);
	ok(strncmp(msg, "Status: 401 Unauthorized\r\n", 26) == 0, "status line first");
	ok(strstr(msg, "X-Test: a  Set-Cookie: evil=1\r\n") != NULL,
	   "CR and LF in a header value cannot start a new header");
	ok(strstr(msg, "Content-Type: application/json\r\n") && strstr(msg, "Cache-Control: no-store"),
	   "JSON error is typed and not cacheable");
	body = strstr(msg, "\r\n\r\n");
	o = body ? json_tokener_parse(body + 4) : NULL;
	ok(o && strcmp(json_object_get_string(json_object_object_get(o, "error")),
		       "invalid_token") == 0, "body has error");
	ok(o && strcmp(json_object_get_string(json_object_object_get(o, "error_description")),
		       "the \"exp\" claim\nhas passed") == 0, "body has error_description, escaped");
	ok(strstr(msg, "Content-Length: ") != NULL, "a body gets a Content-Length");
	is_int(len, strlen(msg), "length reported");
	json_object_put(o);
	free(msg);
	http_response_fini(&r);

	http_response_init(&r, 200);
	http_header_add(&r, "Variable-TOKENGATE_SUB", "alice");
	msg = http_format(&r, &len);
	is_str(msg, "Status: 200 OK\r\nVariable-TOKENGATE_SUB: alice\r\n\r\n",
	       "an allow without body has no Content-Length (mod_fcgid copies headers)");
	free(msg);
	http_response_fini(&r);
	is_str(http_status_text(413), "Content Too Large", "status text 413");
}

int
main(void)
{
	test_response();
	return done_testing();
}
