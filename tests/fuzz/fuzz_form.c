/*
 * libFuzzer target for forms and paths (http_parse.c): the input is an
 * application/x-www-form-urlencoded string (a body or QUERY_STRING) read for
 * the fields the API takes, and, as a C string, a PATH_INFO matched against
 * the API's routes and a route pattern matched against a path. A field read
 * is whole, NUL-free UTF-8; a captured segment is a non-empty piece of the
 * path without '/'.
 */
#include "fuzz.h"
#include "http/http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fields[] = { "user_id", "tenant", "token", "token_type_hint",
				      "grant_type", "refresh_token", "", NULL };

/* The API's route patterns (api.c), and a few that pattern parsing must survive. */
static const char *const patterns[] = {
	"/v1/authorize", "/v1/sessions", "/v1/sessions/{}", "/v1/sessions/{}/logout",
	"/v1/sessions/{}/tokens", "/v1/sessions/{}/authentications", "/v1/users/{}/logout",
	"/v1/token", "/v1/logout", "/v1/cookie", "/v1/introspect", "/.well-known/jwks.json",
	"/{}/{}/{}/{}", "/{}/{}/{}/{}/{}", "", "/", "{}",
};


static bool
is_utf8(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		k = tg_utf8_len((const unsigned char *)s + i, n - i);
		if (k == 0)
			return false;
	}
	return true;
}

static void
check_form(const char *form, size_t len)
{
	for (size_t i = 0; fields[i]; i++) {
		char *v = NULL;
		enum tg_err rc = http_form_get(form, len, fields[i], &v);

		fuzz_require(rc == TG_OK || rc == TG_ERR_NOT_FOUND || rc == TG_ERR_INVALID,
			     "http_form_get answered an unexpected error");
		fuzz_require((rc == TG_OK) == (v != NULL), "TG_OK without a value");
		if (v) {
			fuzz_require(is_utf8(v, strlen(v)), "a form value is not UTF-8");
			fuzz_require(len > 0, "a value from an empty form");
		}
		free(v);
	}
	(void)http_form_has_other(form, len, fields);
	(void)http_form_has_other(form, len, fields + 6);
}

static void
check_match(const char *pattern, const char *path)
{
	struct http_path_args args;

	memset(&args, 0xa5, sizeof(args));
	if (!http_path_match(pattern, path, &args))
		return;
	fuzz_require(args.n <= HTTP_PATH_ARGS_MAX, "too many captures");
	for (size_t i = 0; i < args.n; i++)
		fuzz_require(args.v[i].len > 0 && args.v[i].p >= path &&
			     args.v[i].p + args.v[i].len <= path + strlen(path) &&
			     !memchr(args.v[i].p, '/', args.v[i].len),
			     "a capture is not one path segment");
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = tg_xstrndup((const char *)data, size), *nl;
	char *form = tg_xmalloc(size ? size : 1);

	/* Unterminated: the parser must stay within the length it is given. */
	memcpy(form, data, size);
	check_form(form, size);
	free(form);
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		check_match(patterns[i], s);
	/* "PATTERN\nPATH": a pattern of the input's own. */
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		check_match(s, nl + 1);
	}
	free(s);
	return 0;
}
