/*
 * libFuzzer target for JSON: every input goes through json_strict_parse,
 * whose accepted values must survive json-c's serialisation and a second
 * strict parse unchanged, and then, as the request body of one of the API's
 * endpoints that take one, through api_handle against a real store: no body
 * may crash, leak or make the API answer 5xx.
 *
 * Input: byte 0 picks the endpoint, byte 1 the framing (bit 0: a form
 * instead of JSON where the endpoint takes one, bit 1: no Content-Length),
 * the rest is the body.
 */
#include "fuzz.h"
#include "role/api.h"
#include "base/json_strict.h"

#include "fuzz_env.h"

#include <json.h>

static const char *const paths[] = {
	"/v1/sessions",
	"/v1/sessions/" FUZZ_SID "/tokens",
	"/v1/sessions/" FUZZ_SID "/authentications",
	"/v1/token",
	"/v1/introspect",
};

#define NPATHS (sizeof(paths) / sizeof(paths[0]))

/* What the strict parser accepts, json-c writes back in a form it accepts again, equal. */
static void
check_round_trip(const unsigned char *body, size_t len)
{
	struct json_object *o = NULL, *back = NULL;
	struct tg_why why = { "" };
	const char *text;
	size_t tlen;

	if (json_strict_parse((const char *)body, len, &o, &why) != TG_OK) {
		if (!why.text[0])
			abort(); /* a refusal always says why */
		return;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	tlen = strlen(text);
	if (json_strict_parse(text, tlen, &back, &why) != TG_OK || !json_object_equal(o, back)) {
		fprintf(stderr, "round trip failed for %s (%s)\n", text,
			why.text[0] ? why.text : "not equal");
		abort();
	}
	json_object_put(back);
	json_object_put(o);
}

/* The body the CGI connection reads: file descriptor 0, rewritten for every input. */
static void
set_body(const unsigned char *body, size_t len)
{
	static int fd = -1;

	if (fd < 0) {
		FILE *f = tmpfile();

		if (!f || dup2(fileno(f), 0) < 0)
			fuzz_die("cannot put a temporary file on standard input");
		fd = 0;
	}
	if (ftruncate(fd, 0) != 0 || (len && pwrite(fd, body, len, 0) != (ssize_t)len) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		fuzz_die("cannot write the body to standard input");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char bearer[] = "Bearer " FUZZ_API_KEY;
	struct fuzz_env *e;
	struct api_env env = { .now = FUZZ_NOW, .now_ms = FUZZ_NOW * 1000LL };
	struct http_response r;
	struct http_request req = { .role = HTTP_ROLE_RESPONDER, .method = "POST",
				    .remote_addr = "127.0.0.1" };
	const char *path;
	bool is_form;

	if (size < 2)
		return 0;
	check_round_trip(data + 2, size - 2);
	e = fuzz_env_get(2000);
	path = paths[data[0] % NPATHS];
	is_form = (data[1] & 1) && (strcmp(path, "/v1/token") == 0 ||
				    strcmp(path, "/v1/introspect") == 0);
	req.path_info = path;
	req.authorization = strcmp(path, "/v1/token") == 0 ? NULL : bearer;
	req.content_type = is_form ? "application/x-www-form-urlencoded" : "application/json";
	req.content_length = (data[1] & 2) ? -1 : (int64_t)(size - 2);
	set_body(data + 2, size - 2);
	env.cfg = e->cfg;
	env.store = e->store;
	env.kr = e->kr;
	env.conn = http_conn_cgi();

	api_handle(&env, &req, &r);
	if (r.status < 200 || r.status >= 500) {
		fprintf(stderr, "%s answered %d: %.*s\n", path, r.status, (int)r.bodylen,
			r.body ? r.body : "");
		abort();
	}
	http_response_fini(&r);
	http_conn_free(env.conn);
	return 0;
}
