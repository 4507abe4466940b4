/*
 * RFC 8259 JSON, strictly: the checks json-c's tokener does not make
 * (duplicate member names, comments, single quotes, trailing commas,
 * data after the value, invalid UTF-8, unpaired surrogate escapes, depth),
 * and for the callers that ask, strings holding U+0000.
 */
#ifndef TG_JSON_STRICT_H
#define TG_JSON_STRICT_H

#include "base/tokengate.h"

struct json_object;

#define TG_JSON_MAX_DEPTH 32

/*
 * Parses exactly one JSON value (optionally surrounded by JSON whitespace) of
 * len bytes. Duplicate member names are detected in every object at any depth,
 * compared after unescaping. On failure (TG_ERR_INVALID) why gets a sentence
 * an operator can act on, describing the first problem (never quoting the
 * input). On TG_OK *out holds one reference owned by the caller
 * (json_object_put()).
 */
enum tg_err json_strict_parse(const char *buf, size_t len, struct json_object **out,
			      struct tg_why *why);

/*
 * json_strict_parse for documents whose strings are compared, stored or passed on as C strings
 * (tokens, API bodies, key files): a U+0000 in any string, which C would read as its end, is
 * TG_ERR_UNSUPPORTED and why names the member by its path ("sub", "aud[1]", "claims.org.id"),
 * never quoting a value. Other refusals are json_strict_parse's.
 */
enum tg_err json_strict_parse_no_nul(const char *buf, size_t len, struct json_object **out,
				     struct tg_why *why);

#endif
