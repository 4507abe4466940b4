/*
 * The authorizer inside a web server's worker process (nginx's and Apache's
 * modules): the FastCGI authorizer's decision through the same code
 * (role/authz.c's authz_run: decide, count, log, render), with the keyring
 * read from the database before every request as the FastCGI workers read
 * it. Never writes the database: no sweep, no key-set fetch, a gateway
 * session only looked up.
 */
#ifndef TG_EMBED_H
#define TG_EMBED_H

#include "role/authz.h"

struct embed;

/*
 * Loads the configuration at path (NULL: $TOKENGATE_CONFIG, else the
 * default file) and opens its database. Call it in each worker process after
 * the fork, never in a master that forks: Berkeley DB's handles do not
 * survive one. A database that cannot be opened yet is no error here: it is
 * logged, tried again at most once a second, and requests are refused with
 * 500 until it opens. A configuration that does not load: why says what to
 * mend, *out unset.
 */
enum tg_err embed_open(const char *path, struct embed **out, struct tg_why *why);
/* Closes the database; e may be NULL. In the worker that opened e, at its exit. */
void embed_close(struct embed *e);

/*
 * One request's decision, from the facts the host read (all borrowed; the
 * host sets https for a TLS connection and the location's tenant and
 * require_amr). Always fills d and r, with d->status == r->status: on 200 the
 * host hands the app d->vars (TOKENGATE_<name>, sanitised) and d->user
 * (REMOTE_USER), and r has no header; otherwise r is the refusal to send as it
 * is (WWW-Authenticate, Retry-After, the JSON body). e NULL (a worker whose
 * embed_open failed) is a 500. Safe from many threads at once (each takes a
 * keyring and cache of its own). Release d and r with embed_done.
 */
void embed_decide(struct embed *e, const struct authz_request *req, struct authz_decision *d,
		  struct http_response *r);
void embed_done(struct authz_decision *d, struct http_response *r);

#endif
