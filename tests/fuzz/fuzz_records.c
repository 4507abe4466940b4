/*
 * libFuzzer target for the stored records' JSON forms: the input is read as
 * a tenant record (json-c's tokener and tenant_from_json, as the store reads
 * it) and as a session record (session_decode, in the current form and in
 * form 1, which old records hold). What is accepted must come
 * out of the record as it went in: every string and integer member the same
 * (no NUL cutting a string short, no number clamped), and encoding then
 * decoding again gives the same record. The input is also read as a user
 * record (user_decode: what decodes encodes to the same bytes) and as an
 * email (user_email_normalize: its result is a fixed point, so a stored
 * email is found again under its own form).
 */
#include "fuzz.h"
#include "base/json_strict.h"
#include "model/session.h"
#include "model/tenant.h"
#include "model/user.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static bool
has_nul(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

/* Every string and integer member given is in the record's JSON form, unchanged. */
static void
check_members_kept(struct json_object *given, struct json_object *stored, const char *what)
{
	json_object_object_foreach(given, name, v) {
		struct json_object *out = NULL;

		if (json_object_is_type(v, json_type_array))
			for (size_t i = 0; i < json_object_array_length(v); i++)
				fuzz_require(!has_nul(json_object_array_get_idx(v, i)), what);
		if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
			continue;
		fuzz_require(json_object_object_get_ex(stored, name, &out) && json_object_equal(v, out),
			     what);
	}
}

static void
check_tenant(const unsigned char *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	struct json_object *stored = NULL, *again = NULL;
	struct tg_tenant *t = NULL, *back = NULL;

	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != size || tenant_from_json(o, &t) != TG_OK)
		goto out;
	fuzz_require(tenant_id_is_valid(t->id), "a tenant with an invalid id");
	stored = tenant_to_json(t);
	check_members_kept(o, stored, "a tenant member changed on the way in");
	fuzz_require(tenant_from_json(stored, &back) == TG_OK, "a tenant's own JSON is refused");
	again = tenant_to_json(back);
	fuzz_require(json_object_equal(stored, again), "a tenant changes when stored twice");
out:
	json_object_put(again);
	json_object_put(stored);
	tenant_free(back);
	tenant_free(t);
	json_object_put(o);
	json_tokener_free(tok);
}

static void
check_session(const unsigned char *data, size_t size)
{
	struct tg_session *s = NULL, *back = NULL;
	struct json_object *given = NULL, *stored = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	if (session_decode((const char *)data, size, TG_SESSION_FORM, &s) != TG_OK &&
	    session_decode((const char *)data, size, 1, &s) != TG_OK)
		goto out;
	text = session_encode(s, &len);
	fuzz_require(json_strict_parse((const char *)data, size, &given, NULL) == TG_OK &&
		     json_strict_parse(text, len, &stored, NULL) == TG_OK,
		     "a session record or its stored form is not strict JSON");
	check_members_kept(given, stored, "a session member changed on the way in");
	fuzz_require(session_decode(text, len, TG_SESSION_FORM, &back) == TG_OK,
		     "a session's stored form is refused");
	again = session_encode(back, &len2);
	fuzz_require(len == len2 && memcmp(text, again, len) == 0,
		     "a session changes when stored twice");
out:
	json_object_put(stored);
	json_object_put(given);
	free(again);
	free(text);
	session_free(back);
	session_free(s);
}

static void
check_user(const unsigned char *data, size_t size)
{
	struct tg_user *u = NULL;
	char *email = tg_xstrndup((const char *)data, size), *norm = NULL, *again = NULL;
	unsigned char *enc = NULL;
	size_t n = 0;

	if (user_decode("t", "id", data, size, &u)) {
		enc = user_encode(u, &n);
		fuzz_require(n == size && memcmp(enc, data, size) == 0,
			     "a user record changes when stored again");
	}
	if (user_email_normalize(email, &norm, NULL) == TG_OK)
		fuzz_require(user_email_normalize(norm, &again, NULL) == TG_OK &&
			     strcmp(norm, again) == 0, "a normalised email normalises otherwise");
	free(again);
	free(norm);
	free(email);
	free(enc);
	user_free(u);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size > INT32_MAX)
		return 0;
	check_tenant(data, size);
	check_session(data, size);
	check_user(data, size);
	return 0;
}
