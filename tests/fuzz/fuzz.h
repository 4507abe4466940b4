/*
 * What every fuzz target shares: libFuzzer's entry point, which standalone.c
 * also calls, and the one way a target reports a broken invariant (a line on
 * stderr, then abort(), which libFuzzer and the replayer both count as a
 * crash). Header-only.
 */
#ifndef TG_FUZZ_H
#define TG_FUZZ_H

#include "base/tokengate.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* libFuzzer shows and keeps the input itself; what says which promise it broke. */
static inline void
fuzz_require(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

#endif
