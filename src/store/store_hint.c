/*
 * The change hint: tokengate.hint, a page of shared counters beside the
 * environment that every writer bumps and every store handle maps, and the
 * per-handle answers it lets the authorizer's two per-request reads
 * (store_generation, store_session_check) reuse without a transaction. Never
 * decides an answer from the counters alone, never begins a transaction.
 *
 * Why a cached answer is never stale. A writer bumps a counter inside its
 * transaction, after writing the records the counter covers, so while the
 * bump is visible and the transaction is open it still holds those records'
 * write locks. A reader loads the counter FIRST (value v) and only then reads
 * the records in a DB_TXN_NOWAIT transaction, and keeps (v, what it read).
 * Later, seeing the counter still at v means no writer has bumped since the
 * first load: any writer that bumped before it had either committed (the
 * read saw its records), aborted (nothing to see), or still held the locks,
 * which made the read conflict and retry until it had committed or aborted.
 * A writer whose bump comes after the load moves the counter, so the kept
 * answer is not used. A writer that bumped but has not committed yet is
 * concurrent with the reader: answering the old state is what the
 * transaction would have done too. The load is followed and the bump
 * preceded by a sequentially consistent fence, so the read cannot be
 * ordered before the load, nor the bump before the locked writes. Aborted or
 * retried attempts and dead writers only bump too often, which costs a read.
 *
 * The counters are 64-bit and only grow; a kept answer also names the
 * handles (epoch) its counter came from, because a reopen maps the file
 * anew (possibly a new file of a re-created environment, whose counters
 * start over) and must not match a value read from the old mapping.
 */
#include "store/store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HINT_SIZE 4096
#define HINT_MAGIC 0x544748494e543031ULL /* "TGHINT01" */
#define SESSION_SLOTS 1024               /* a power of two: slots are picked by mask */
#define SLOT_WORDS 17 /* a session entry: 136 bytes */

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the hint's counters must be lock-free: they are "
	       "shared between processes");

/* The file's layout; each counter on its own cache line. */
struct hint_page {
	alignas(64) _Atomic uint64_t magic;
	struct {
		alignas(64) _Atomic uint64_t v;
	} counter[STORE_HINT_COUNT];
};

_Static_assert(sizeof(struct hint_page) <= HINT_SIZE, "the hint page fits its file");

struct store_hint {
	struct hint_page *page; /* MAP_SHARED */
};

/*
 * A seqlock: seq is odd while a writer fills w. Readers never wait (a slot
 * being written is a miss); every word is an atomic, so a torn read is
 * detected, never undefined.
 */
struct slot {
	_Atomic uint64_t seq;
	_Atomic uint64_t w[SLOT_WORDS];
};

/* A kept generation. */
struct gen_entry {
	struct store_stamp stamp;
	uint64_t gen;
};

/* A kept session head: answers for any tenant and any now while the stamp holds. */
struct session_entry {
	struct store_stamp stamp;
	struct store_session_head head;
	char sid[TG_SESSION_ID_LEN];
};

_Static_assert(sizeof(struct session_entry) <= SLOT_WORDS * 8, "a session entry fits a slot");

struct store_cache {
	struct slot gen;
	struct slot sessions[SESSION_SLOTS];
	_Atomic uint64_t reads[STORE_HINT_COUNT]; /* transactions the cache could not spare */
};

/* ------------------------------------------------------------ the file */

/*
 * A file root creates belongs to the database's owner, so that the workers
 * can map it too; one that could not be given away is not left behind.
 */
static bool
own_like_db(int fd, const char *dir)
{
	char *db = tg_xasprintf("%s/tokengate.db", dir);
	struct stat st;
	bool is_ok = geteuid() != 0 || stat(db, &st) != 0 || fchown(fd, st.st_uid, st.st_gid) == 0;

	free(db);
	return is_ok;
}

static int
open_file(const char *path, const char *dir)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd >= 0 && !own_like_db(fd, dir)) {
		int e = errno;

		close(fd);
		unlink(path);
		errno = e;
		fd = -1;
	} else if (fd < 0 && errno == EEXIST) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	return fd;
}

/*
 * Never truncated or rewritten once there: processes that open it at the
 * same time all get the same file, and a counter never goes back.
 */
enum tg_err
store_hint_open(const char *dir, struct store_hint **out, struct tg_why *why)
{
	char *path = tg_xasprintf("%s/%s", dir, STORE_HINT_FILE);
	struct store_hint *h;
	struct stat st;
	uint64_t magic = 0;
	void *p = MAP_FAILED;
	int fd = open_file(path, dir);
	enum tg_err rc = TG_OK;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_size < HINT_SIZE && ftruncate(fd, HINT_SIZE) != 0)) {
		rc = tg_fail(why, TG_ERR_IO, "cannot open %s (%s): give it the owner and mode "
			     "(0600) of tokengate.db", path, strerror(errno));
		goto out;
	}
	p = mmap(NULL, HINT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = tg_fail(why, TG_ERR_IO, "cannot map %s: %s", path, strerror(errno));
		goto out;
	}
	if (!atomic_compare_exchange_strong(&((struct hint_page *)p)->magic, &magic, HINT_MAGIC) &&
	    magic != HINT_MAGIC) {
		rc = tg_fail(why, TG_ERR_IO, "%s is not a tokengate hint file: remove it (with "
			     "every tokengate process stopped)", path);
		goto out;
	}
	h = tg_xmalloc(sizeof(*h));
	h->page = p; /* ownership moves to h */
	p = MAP_FAILED;
	*out = h; /* ownership moves to the caller */
out:
	if (p != MAP_FAILED)
		munmap(p, HINT_SIZE);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void
store_hint_close(struct store_hint *h)
{
	if (!h)
		return;
	munmap(h->page, HINT_SIZE);
	free(h);
}

uint64_t
store_hint_load(const struct store_hint *h, enum store_hint_counter c)
{
	uint64_t v = atomic_load(&h->page->counter[c].v);

	atomic_thread_fence(memory_order_seq_cst); /* the read that follows comes after */
	return v;
}

void
store_hint_add(struct store_hint *h, enum store_hint_counter c)
{
	atomic_thread_fence(memory_order_seq_cst); /* the writes before are locked first */
	atomic_fetch_add(&h->page->counter[c].v, 1);
}

/* ------------------------------------------------------------ slots */

static bool
slot_read(struct slot *sl, void *out, size_t n)
{
	uint64_t w[SLOT_WORDS];
	uint64_t seq = atomic_load_explicit(&sl->seq, memory_order_acquire);

	if (seq == 0 || seq & 1) /* never written, or being written */
		return false;
	for (size_t i = 0; i < (n + 7) / 8; i++)
		w[i] = atomic_load_explicit(&sl->w[i], memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&sl->seq, memory_order_relaxed) != seq)
		return false;
	memcpy(out, w, n);
	return true;
}

/* A slot another thread is filling is left to it: this answer is simply not kept. */
static void
slot_write(struct slot *sl, const void *in, size_t n)
{
	uint64_t w[SLOT_WORDS] = { 0 };
	uint64_t seq = atomic_load_explicit(&sl->seq, memory_order_relaxed);

	if (seq & 1 || !atomic_compare_exchange_strong_explicit(&sl->seq, &seq, seq + 1,
								memory_order_relaxed,
								memory_order_relaxed))
		return;
	atomic_thread_fence(memory_order_release);
	memcpy(w, in, n);
	for (size_t i = 0; i < (n + 7) / 8; i++)
		atomic_store_explicit(&sl->w[i], w[i], memory_order_relaxed);
	atomic_store_explicit(&sl->seq, seq + 2, memory_order_release);
}

static bool
stamp_is(const struct store_stamp *a, const struct store_stamp *b)
{
	return a->epoch == b->epoch && a->value == b->value;
}

/* FNV-1a: session ids are random, so any spread will do. */
static struct slot *
session_slot(struct store_cache *c, const char *sid)
{
	uint32_t x = 2166136261u;

	for (size_t i = 0; i < TG_SESSION_ID_LEN; i++)
		x = (x ^ (unsigned char)sid[i]) * 16777619u;
	return &c->sessions[x & (SESSION_SLOTS - 1)];
}

/* ------------------------------------------------------------ the cache */

struct store_cache *
store_cache_new(void)
{
	return tg_xcalloc(1, sizeof(struct store_cache));
}

void
store_cache_free(struct store_cache *c)
{
	free(c);
}

bool
store_cache_generation(struct store_cache *c, const struct store_stamp *now, uint64_t *gen)
{
	struct gen_entry e;

	if (!slot_read(&c->gen, &e, sizeof(e)) || !stamp_is(&e.stamp, now))
		return false;
	*gen = e.gen;
	return true;
}

/* An older stamp of the same handles never replaces a newer one. */
void
store_cache_keep_generation(struct store_cache *c, const struct store_stamp *read_at, uint64_t gen)
{
	struct gen_entry e = { 0 };

	if (slot_read(&c->gen, &e, sizeof(e)) && e.stamp.epoch == read_at->epoch &&
	    e.stamp.value > read_at->value)
		return;
	e.stamp = *read_at;
	e.gen = gen;
	slot_write(&c->gen, &e, sizeof(e));
}

bool
store_cache_session(struct store_cache *c, const char *sid, const struct store_stamp *now,
		    struct store_session_head *out)
{
	struct session_entry e;

	if (strlen(sid) != TG_SESSION_ID_LEN ||
	    !slot_read(session_slot(c, sid), &e, sizeof(e)) || !stamp_is(&e.stamp, now) ||
	    memcmp(e.sid, sid, TG_SESSION_ID_LEN) != 0)
		return false;
	*out = e.head;
	return true;
}

void
store_cache_keep_session(struct store_cache *c, const char *sid, const struct store_stamp *read_at,
			 const struct store_session_head *head)
{
	struct session_entry e;

	if (strlen(sid) != TG_SESSION_ID_LEN)
		return;
	memset(&e, 0, sizeof(e));
	e.stamp = *read_at;
	e.head = *head;
	memcpy(e.sid, sid, TG_SESSION_ID_LEN);
	slot_write(session_slot(c, sid), &e, sizeof(e));
}

void
store_cache_count_read(struct store_cache *c, enum store_hint_counter which)
{
	atomic_fetch_add_explicit(&c->reads[which], 1, memory_order_relaxed);
}

uint64_t
store_cache_reads(struct store_cache *c, enum store_hint_counter which)
{
	return atomic_load_explicit(&c->reads[which], memory_order_relaxed);
}
