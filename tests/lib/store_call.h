/*
 * A test's own operation run through store_run, as the store's modules run theirs: for the
 * store's unit tests, which reach below store.h into store_db.h. Header-only; it never asserts.
 */
#ifndef TG_STORE_CALL_H
#define TG_STORE_CALL_H

#include "store/store_db.h"

/* Runs c (embedded in the caller's operation) with body, reset (NULL: none) and mode. */
static inline enum tg_err
call_run(struct tg_store *s, struct store_call *c, store_body_fn body,
	 void (*reset)(struct store_call *c), enum store_mode mode)
{
	c->body = body;
	c->reset = reset;
	c->mode = mode;
	return store_run(s, c);
}

#endif
