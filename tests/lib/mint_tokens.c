/*
 * Helper for tests/integration/flood.test: mints N distinct valid HS256 tokens
 * in one process (tokengatectl per token would take minutes), one a line.
 *   mint_tokens SECRET_FILE KID ISS AUD N [TTL]
 * Each token has its own sub and jti; exp is now + TTL (default 600).
 */
#include "jose/jws.h"
#include "jose/keys.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECRET_MAX 4096

static bool
read_secret(const char *path, unsigned char *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	bool is_ok;

	if (!f)
		return false;
	*len = fread(buf, 1, SECRET_MAX, f);
	is_ok = !ferror(f) && feof(f) && *len > 0;
	fclose(f);
	return is_ok;
}

static bool
parse_long(const char *s, long min, long *out)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (!*s || *end || n < min)
		return false;
	*out = n;
	return true;
}

int
main(int argc, char **argv)
{
	unsigned char secret[SECRET_MAX];
	size_t len = 0;
	struct tg_key *key = NULL;
	struct tg_why why;
	long n, ttl = 600;
	int64_t now = (int64_t)time(NULL);
	int status = 1;

	if (argc < 6 || argc > 7 || !parse_long(argv[5], 1, &n) ||
	    (argc == 7 && !parse_long(argv[6], 1, &ttl))) {
		fprintf(stderr, "usage: mint_tokens SECRET_FILE KID ISS AUD N [TTL]\n");
		return 2;
	}
	if (!read_secret(argv[1], secret, &len)) {
		fprintf(stderr, "mint_tokens: cannot read %s\n", argv[1]);
		return 2;
	}
	if (keys_from_secret(argv[2], TG_ALG_HS256, secret, len, &key, &why) != TG_OK) {
		fprintf(stderr, "mint_tokens: %s\n", why.text);
		goto out;
	}
	for (long i = 0; i < n; i++) {
		struct json_object *p = json_object_new_object();
		char sub[32], *tok = NULL;
		enum tg_err rc;

		snprintf(sub, sizeof(sub), "flood-%ld", i);
		json_object_object_add(p, "iss", json_object_new_string(argv[3]));
		json_object_object_add(p, "aud", json_object_new_string(argv[4]));
		json_object_object_add(p, "sub", json_object_new_string(sub));
		json_object_object_add(p, "jti", json_object_new_string(sub));
		json_object_object_add(p, "iat", json_object_new_int64(now));
		json_object_object_add(p, "exp", json_object_new_int64(now + ttl));
		rc = jws_sign(key, p, &tok);
		json_object_put(p);
		if (rc != TG_OK) {
			fprintf(stderr, "mint_tokens: cannot sign: %s\n", tg_err_str(rc));
			goto out;
		}
		puts(tok);
		free(tok);
	}
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	key_free(key);
	return status;
}
