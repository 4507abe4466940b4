/*
 * Inputs in heap buffers of exactly their length, so that ASan reports a parser that reads even
 * one byte past what it was given (a NUL after the input would hide it). Header-only; it copies
 * and never asserts.
 */
#ifndef TG_EXACT_H
#define TG_EXACT_H

#include "base/tokengate.h"

#include <string.h>

/* A copy of len bytes of p with nothing after them; the caller frees it. */
static inline char *
exact_copy(const void *p, size_t len)
{
	char *copy = tg_xmalloc(len);

	memcpy(copy, p, len);
	return copy;
}

#endif
