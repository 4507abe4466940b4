/*
 * Lookups by name in the {name, value} arrays the tests read back: a response's headers, an
 * authorizer decision's variables. Header-only; it only reads what it is given.
 */
#ifndef TG_FIND_NAMED_H
#define TG_FIND_NAMED_H

#include <string.h>

/*
 * Defines `static inline const char *FN(const TYPE *o, const char *name)`: the value of the first of
 * o->COUNT elements of o->ARRAY whose name is name, NULL when there is none. For example
 * TG_DEFINE_FIND_NAMED(header, struct http_response, headers, nheaders).
 */
#define TG_DEFINE_FIND_NAMED(fn, type, array, count)                                             \
	static inline const char *fn(const type *o, const char *name)                             \
	{                                                                                         \
		for (size_t i = 0; i < o->count; i++)                                             \
			if (strcmp(o->array[i].name, name) == 0)                                  \
				return o->array[i].value;                                         \
		return NULL;                                                                      \
	}

#endif
