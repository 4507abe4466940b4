/*
 * Keeps a keyring in step with the store: the one place a keyring meets the
 * database. Reads the generation per call and a whole snapshot only when it
 * moved; never parses a key or decides about a token.
 */
#ifndef TG_KEYRING_SYNC_H
#define TG_KEYRING_SYNC_H

#include "jose/keyring.h"

struct tg_store;

/*
 * Reloads kr from one store snapshot when the store's generation differs from
 * the loaded one (or kr was never loaded). *changed (may be NULL) says whether
 * it reloaded; it is false after an error, and kr is then unchanged.
 */
enum tg_err keyring_sync(struct keyring *kr, struct tg_store *s, bool *changed);
/*
 * keyring_sync before a request is decided, every front's (the gateway's
 * workers, a module embedded in a web server): a failure is logged naming
 * the database dir, and the caller refuses the request (authz_render_unread).
 */
enum tg_err keyring_refresh(struct keyring *kr, struct tg_store *s, const char *dir);

#endif
