/*
 * The operator's password blocklist (`password_blocklist = /path`): one
 * password per line, kept only as SHA-256 of each line's case-folded NFC form
 * and looked up through secret_equal. Never keeps or prints a line.
 */
#ifndef TG_BLOCKLIST_H
#define TG_BLOCKLIST_H

#include "base/tokengate.h"

struct tg_blocklist;

#define TG_BLOCKLIST_MAX_BYTES (64 * 1024 * 1024) /* far above any published list */

/*
 * Reads path: lines end in LF (a CR before it is dropped), empty lines are
 * skipped, a line that is not UTF-8 is refused with its number. TG_ERR_IO or
 * TG_ERR_INVALID with a sentence naming the file in why.
 */
enum tg_err blocklist_load(const char *path, struct tg_blocklist **out, struct tg_why *why);
void blocklist_free(struct tg_blocklist *b);
/* How many lines it holds. */
size_t blocklist_size(const struct tg_blocklist *b);
/*
 * Whether password p[0..n) is on the list, compared case-insensitively
 * (full case folding after NFC): "PASSWORD1" is as guessable as "password1".
 * A password that is not UTF-8 is on no list.
 */
bool blocklist_has(const struct tg_blocklist *b, const char *p, size_t n);

#endif
