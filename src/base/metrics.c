/*
 * The counters file tokengate.metrics: its layout, the adds every process
 * makes into its MAP_SHARED mapping (lock-free atomics, like store_hint.c's
 * page), and the Prometheus text rendering of the totals. Never counts a
 * label it cannot bound, never blocks a request, never shrinks the file.
 */
#include "base/metrics.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define METRICS_MAGIC 0x54474d4554523031ULL /* "TGMETR01" */
#define TENANT_NAME_MAX 64 /* TG_TENANT_ID_MAX (model/, which base/ cannot include) */
#define REFUSED_ON_REQUEST TG_R_COUNT /* column of the refusals without a token's reason */
#define NCOLUMNS (TG_R_COUNT + 1)     /* column 0 (TG_R_NONE) counts the allowed */

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the counters are shared between processes");

/* Upper bounds of the latency buckets, in nanoseconds: 50 µs to 250 ms, then +Inf. */
static const uint64_t bucket_ns[] = {
	50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000,
	50000000, 100000000, 250000000,
};

#define NBUCKETS (sizeof(bucket_ns) / sizeof(bucket_ns[0]))

enum slot_state { SLOT_FREE = 0, SLOT_CLAIMED, SLOT_READY };

/*
 * A tenant's row. The name is written once, between claiming the slot and
 * publishing it READY (release); readers look at it only after seeing READY
 * (acquire), so it never changes under them.
 */
struct tenant_slot {
	_Atomic uint64_t state;
	char name[TENANT_NAME_MAX + 1];
	_Atomic uint64_t n[NCOLUMNS];
};

/* The counters the file's first layout held (up to METRICS_DB_ERROR); the rest come after it. */
#define FIRST_COUNTERS (METRICS_DB_ERROR + 1)

struct metrics_page {
	_Atomic uint64_t magic;
	_Atomic uint64_t counter[FIRST_COUNTERS];
	struct {
		_Atomic uint64_t bucket[NBUCKETS + 1]; /* not cumulative; the last is +Inf */
		_Atomic uint64_t sum_ns;
	} verify[TG_ALG_COUNT];
	/* Slot 0 is tenant="": no known tenant, or no free slot left. */
	struct tenant_slot tenant[METRICS_TENANT_SLOTS];
	/*
	 * Counters added since, appended: the file is grown, never rewritten,
	 * so one written by an older tokengate keeps every offset it had.
	 */
	_Atomic uint64_t later[METRICS_COUNT - FIRST_COUNTERS];
};

/*
 * One mapping per process, set before the workers' threads start: the
 * counting sites sit in every layer (jose/, role/, store/) and have no
 * handle in common to carry it.
 */
static struct metrics_page *page;
static char *page_dir;

static void
own_like_dir(int fd, const char *dir)
{
	struct stat st;

	/* root (tokengatectl before it switches user) leaves it to the database's owner */
	if (geteuid() == 0 && stat(dir, &st) == 0 && fchown(fd, st.st_uid, st.st_gid) != 0)
		TG_LOG(TG_LOG_WARN, "cannot give %s/%s to the database's owner: %s", dir,
		       METRICS_FILE, strerror(errno));
}

enum tg_err
metrics_open(const char *dir, struct tg_why *why)
{
	char *path = tg_xasprintf("%s/%s", dir, METRICS_FILE);
	struct stat st;
	uint64_t magic = 0;
	void *p = MAP_FAILED;
	int fd = -1;
	enum tg_err rc = TG_OK;

	if (page && strcmp(page_dir, dir) == 0)
		goto out;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		own_like_dir(fd, dir);
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	/* grown, never truncated: a process that maps it at the same time keeps its counts */
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    ((size_t)st.st_size < sizeof(struct metrics_page) &&
	     ftruncate(fd, sizeof(struct metrics_page)) != 0)) {
		rc = tg_fail(why, TG_ERR_IO, "cannot open %s (%s): give it the owner and mode "
			     "(0600) of tokengate.db", path, strerror(errno));
		goto out;
	}
	p = mmap(NULL, sizeof(struct metrics_page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = tg_fail(why, TG_ERR_IO, "cannot map %s: %s", path, strerror(errno));
		goto out;
	}
	if (!atomic_compare_exchange_strong(&((struct metrics_page *)p)->magic, &magic,
					    METRICS_MAGIC) && magic != METRICS_MAGIC) {
		rc = tg_fail(why, TG_ERR_IO, "%s is not a tokengate metrics file: remove it (the "
			     "counters start again from zero)", path);
		goto out;
	}
	metrics_close();
	page = p; /* ownership moves to the process */
	p = MAP_FAILED;
	page_dir = tg_xstrdup(dir);
out:
	if (p != MAP_FAILED)
		munmap(p, sizeof(struct metrics_page));
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void
metrics_close(void)
{
	if (page)
		munmap(page, sizeof(*page));
	page = NULL;
	free(page_dir);
	page_dir = NULL;
}

static _Atomic uint64_t *
counter_of(enum metrics_counter c)
{
	return c < FIRST_COUNTERS ? &page->counter[c] : &page->later[c - FIRST_COUNTERS];
}

void
metrics_add_n(enum metrics_counter c, uint64_t n)
{
	if (page)
		atomic_fetch_add_explicit(counter_of(c), n, memory_order_relaxed);
}

void
metrics_add(enum metrics_counter c)
{
	metrics_add_n(c, 1);
}

static size_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * The tenant's slot, claimed when it has none. A slot another process is
 * still naming is passed over, so two processes may each claim one for the
 * same tenant: rendering adds up rows of the same name.
 */
static struct tenant_slot *
slot_of(const char *tenant)
{
	size_t start;

	if (!tenant || !*tenant || strlen(tenant) > TENANT_NAME_MAX)
		return &page->tenant[0];
	start = name_hash(tenant);
	for (size_t i = 0; i < METRICS_TENANT_SLOTS - 1; i++) {
		size_t at = 1 + (start + i) % (METRICS_TENANT_SLOTS - 1);
		struct tenant_slot *sl = &page->tenant[at];
		uint64_t state = atomic_load_explicit(&sl->state, memory_order_acquire);

		if (state == SLOT_READY && strcmp(sl->name, tenant) == 0)
			return sl;
		if (state == SLOT_FREE &&
		    atomic_compare_exchange_strong(&sl->state, &state, SLOT_CLAIMED)) {
			memcpy(sl->name, tenant, strlen(tenant) + 1);
			atomic_store_explicit(&sl->state, SLOT_READY, memory_order_release);
			return sl;
		}
	}
	return &page->tenant[0];
}

void
metrics_decision(const char *tenant, enum tg_reason reason, bool is_allowed)
{
	size_t col = is_allowed ? TG_R_NONE : reason == TG_R_NONE ? REFUSED_ON_REQUEST : reason;

	if (page && col < NCOLUMNS)
		atomic_fetch_add_explicit(&slot_of(tenant)->n[col], 1, memory_order_relaxed);
}

void
metrics_verify_time(enum tg_alg alg, uint64_t ns)
{
	size_t b = 0;

	if (!page || alg <= TG_ALG_INVALID || alg >= TG_ALG_COUNT)
		return;
	while (b < NBUCKETS && ns > bucket_ns[b])
		b++;
	atomic_fetch_add_explicit(&page->verify[alg].bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&page->verify[alg].sum_ns, ns, memory_order_relaxed);
}

uint64_t
metrics_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ rendering */

static const struct {
	const char *name, *help;
} counters[METRICS_COUNT] = {
	[METRICS_CACHE_HIT] = { "tokengate_cache_hits_total",
				"Tokens answered from a worker's verified-token cache." },
	[METRICS_CACHE_MISS] = { "tokengate_cache_misses_total",
				 "Tokens not in the cache, verified in full." },
	[METRICS_SESSION_ISSUED] = { "tokengate_sessions_issued_total",
				     "Sessions created by POST /v1/sessions." },
	[METRICS_SESSION_REFRESHED] = { "tokengate_sessions_refreshed_total",
					"Refresh-token grants answered (POST /v1/token)." },
	[METRICS_SESSION_REVOKED] = { "tokengate_sessions_revoked_total",
				      "Sessions ended by the API (one per call, a user's logout "
				      "counts once)." },
	[METRICS_DB_RETRY] = { "tokengate_db_retries_total",
			       "Database transactions retried after a lock conflict." },
	[METRICS_DB_ERROR] = { "tokengate_db_errors_total",
			       "Database errors logged: calls that failed after their "
			       "retries, and recoveries." },
	[METRICS_LOGIN_FAILED] = { "tokengate_login_failures_total",
				   "Failed logins counted by the login throttle (each also "
				   "logged as login_failed)." },
};

static const char *
reason_label(size_t col)
{
	if (col == TG_R_NONE)
		return "";
	return col == REFUSED_ON_REQUEST ? "request" : tg_reason_code((enum tg_reason)col);
}

/* Sums the rows of slots from first on that carry slot first's name. */
static void
render_tenant(FILE *f, size_t first)
{
	const struct tenant_slot *a = &page->tenant[first];
	uint64_t n[NCOLUMNS] = { 0 };

	for (size_t i = first; i < METRICS_TENANT_SLOTS; i++) {
		const struct tenant_slot *b = &page->tenant[i];

		if (i != first && (atomic_load_explicit(&b->state, memory_order_acquire) !=
				   SLOT_READY || strcmp(a->name, b->name) != 0))
			continue;
		for (size_t c = 0; c < NCOLUMNS; c++)
			n[c] += atomic_load_explicit(&b->n[c], memory_order_relaxed);
	}
	for (size_t c = 0; c < NCOLUMNS; c++)
		if (n[c])
			fprintf(f, "tokengate_decisions_total{tenant=\"%s\",decision=\"%s\","
				"reason=\"%s\"} %llu\n", first ? a->name : "",
				c == TG_R_NONE ? "allow" : "deny", reason_label(c),
				(unsigned long long)n[c]);
}

static bool
is_first_of_name(size_t i)
{
	if (atomic_load_explicit(&page->tenant[i].state, memory_order_acquire) != SLOT_READY)
		return false;
	for (size_t j = 1; j < i; j++)
		if (atomic_load_explicit(&page->tenant[j].state, memory_order_acquire) ==
		    SLOT_READY && strcmp(page->tenant[j].name, page->tenant[i].name) == 0)
			return false;
	return true;
}

/* Algorithms no token has used yet have no series, rather than a dozen zeros each. */
static void
render_histogram(FILE *f, enum tg_alg alg)
{
	uint64_t total = 0;

	for (size_t b = 0; b <= NBUCKETS; b++)
		total += atomic_load_explicit(&page->verify[alg].bucket[b], memory_order_relaxed);
	if (total == 0)
		return;
	total = 0;
	for (size_t b = 0; b <= NBUCKETS; b++) {
		total += atomic_load_explicit(&page->verify[alg].bucket[b], memory_order_relaxed);
		if (b < NBUCKETS)
			fprintf(f, "tokengate_verify_seconds_bucket{alg=\"%s\",le=\"%g\"} %llu\n",
				alg_name(alg), (double)bucket_ns[b] / 1e9,
				(unsigned long long)total);
		else
			fprintf(f, "tokengate_verify_seconds_bucket{alg=\"%s\",le=\"+Inf\"} %llu\n",
				alg_name(alg), (unsigned long long)total);
	}
	fprintf(f, "tokengate_verify_seconds_sum{alg=\"%s\"} %.9f\n", alg_name(alg),
		(double)atomic_load_explicit(&page->verify[alg].sum_ns, memory_order_relaxed) /
		1e9);
	fprintf(f, "tokengate_verify_seconds_count{alg=\"%s\"} %llu\n", alg_name(alg),
		(unsigned long long)total);
}

enum tg_err
metrics_render(char **out, struct tg_why *why)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!page)
		return tg_fail(why, TG_ERR_NOT_FOUND, "no %s is mapped: see the warning this "
			       "process logged when it opened the database", METRICS_FILE);
	f = open_memstream(&text, &len);
	if (!f)
		abort(); /* out of memory: fails closed, as tg_xmalloc does */
	for (size_t c = 0; c < METRICS_COUNT; c++)
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[c].name,
			counters[c].help, counters[c].name, counters[c].name,
			(unsigned long long)atomic_load_explicit(counter_of(c),
								 memory_order_relaxed));
	fprintf(f, "# HELP tokengate_decisions_total Authorizer decisions by tenant, decision and "
		"reason; tenant=\"\" counts requests with no known tenant and the tenants beyond "
		"the first %d seen.\n# TYPE tokengate_decisions_total counter\n",
		METRICS_TENANT_SLOTS - 1);
	render_tenant(f, 0);
	for (size_t i = 1; i < METRICS_TENANT_SLOTS; i++)
		if (is_first_of_name(i))
			render_tenant(f, i);
	fprintf(f, "# HELP tokengate_verify_seconds Token verifications (signature and claims) "
		"by algorithm.\n# TYPE tokengate_verify_seconds histogram\n");
	for (int a = TG_ALG_INVALID + 1; a < TG_ALG_COUNT; a++)
		render_histogram(f, (enum tg_alg)a);
	if (fclose(f) != 0)
		abort();
	*out = text;
	return TG_OK;
}
