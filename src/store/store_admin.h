/*
 * The database as a whole, for operators: checking a directory by looking at
 * it, recovery, hot backup, verification and restore (store_admin.c). On
 * failure why gets a sentence an operator can act on, naming the directory
 * and the next step. None of these is for a request path.
 */
#ifndef TG_STORE_ADMIN_H
#define TG_STORE_ADMIN_H

#include "base/tokengate.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Looks at dir without joining the environment (nothing is opened, created
 * or changed): the directory and tokengate.db exist, every file belongs to
 * the directory's owner with owner read and write, and this process can use
 * them. TG_ERR_NOT_FOUND (no database), TG_ERR_DENIED (a permission problem:
 * owner, mode and user named) or TG_ERR_IO, with the sentence in why.
 */
enum tg_err store_check(const char *dir, struct tg_why *why);

/*
 * Processes registered in dir's environment and still alive; *first gets one
 * of them. Not for a process that has the environment open itself: closing
 * the registry file drops that process's own fcntl lock on its line.
 */
int store_env_users(const char *dir, pid_t *first);

/*
 * Recovery with no process using the environment (TG_ERR_BUSY otherwise):
 * normal, or from every log file (is_catastrophic).
 */
enum tg_err store_recover(const char *dir, bool is_catastrophic, struct tg_why *why);

/*
 * A hot, consistent copy of dir's database into target (which must not exist
 * or be empty) while other processes keep working: BDB's DB_ENV->backup, then
 * catastrophic recovery in target so that it holds every transaction committed
 * before the backup began, and no region files.
 */
enum tg_err store_backup(const char *dir, const char *target, struct tg_why *why);

/* DB->verify on every table of dir's tokengate.db; TG_ERR_DB when one is damaged. */
enum tg_err store_verify(const char *dir, struct tg_why *why);

/*
 * Puts backup (as store_backup made it; verified first) in place of dir's
 * database, refusing (TG_ERR_BUSY) while a process uses it. The files it
 * replaces move into a new subdirectory of dir, whose path goes to
 * *moved_to (caller frees).
 */
enum tg_err store_restore(const char *backup, const char *dir, char **moved_to,
			  struct tg_why *why);

#endif
