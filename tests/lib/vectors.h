/*
 * The public test vectors under tests/vectors/ (RFC 7515, 7520, 8037), read as
 * JSON documents. Header-only, like tap.h; asserts nothing itself.
 */
#ifndef TG_VECTORS_H
#define TG_VECTORS_H

#include "base/tokengate.h"

#include "tap.h"

#include <json.h>
#include <stdlib.h>

/* The document at rel under the tests directory; NULL, with a diag, when it cannot be read. */
static inline struct json_object *
vectors_load(const char *rel)
{
	char *path = tg_xasprintf("%s/%s", tap_srcdir(), rel);
	struct json_object *o = json_object_from_file(path);

	if (!o)
		diag("cannot read %s", path);
	free(path);
	return o;
}

#endif
