/*
 * The counters file (base/metrics.c) in a real directory with real
 * processes: counts made by forked children through their own mappings are
 * in the parent's totals, tenants beyond the slots fall into tenant="", a
 * histogram is cumulative, a file of the older layout grows keeping its counts,
 * a foreign file is refused, and nothing is counted
 * or rendered before a file is mapped.
 */
#include "base/metrics.h"

#include "../lib/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The value of the exposition line that starts with prefix, or -1. */
static long long
value_of(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0 && p[strlen(prefix)] == ' ')
			return atoll(p + strlen(prefix) + 1);
	return -1;
}

static char *
render(void)
{
	char *text = NULL;

	if (metrics_render(&text, NULL) != TG_OK)
		return tg_xstrdup("");
	return text;
}

/* n processes, each mapping the file anew and counting once per loop. */
static void
count_in_children(const char *dir, int n, int loops)
{
	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			metrics_close();
			if (metrics_open(dir, NULL) != TG_OK)
				_exit(1);
			for (int j = 0; j < loops; j++) {
				metrics_add(METRICS_CACHE_HIT);
				metrics_decision("acme", TG_R_EXPIRED, false);
				metrics_decision("acme", TG_R_NONE, true);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < n; i++)
		wait(NULL);
}

static void
test_not_open(void)
{
	char *text = NULL;
	struct tg_why why;

	metrics_add(METRICS_CACHE_HIT); /* a no-op, not a crash */
	ok(metrics_render(&text, &why) == TG_ERR_NOT_FOUND, "no file mapped: nothing to render");
	ok(strstr(why.text, "tokengate.metrics") != NULL, "the sentence names the file");
}

static void
test_sum_over_processes(const char *dir)
{
	char *text;

	ok(metrics_open(dir, NULL) == TG_OK, "the file is made and mapped");
	metrics_add(METRICS_CACHE_HIT);
	count_in_children(dir, 4, 25);
	text = render();
	is_int(value_of(text, "tokengate_cache_hits_total"), 101, "four processes' hits and ours");
	is_int(value_of(text, "tokengate_decisions_total{tenant=\"acme\",decision=\"deny\","
			"reason=\"expired\"}"), 100, "refusals by tenant and reason, summed");
	is_int(value_of(text, "tokengate_decisions_total{tenant=\"acme\",decision=\"allow\","
			"reason=\"\"}"), 100, "allowed decisions");
	is_int(value_of(text, "tokengate_cache_misses_total"), 0, "an untouched counter is 0");
	ok(strstr(strstr(text, "reason=\"expired\"} 100\n") + 1, "tenant=\"acme\"") == NULL,
	   "slots claimed for one tenant by racing processes render as one row");
	free(text);
}

static void
test_bounded_tenants(void)
{
	char name[32], *text;

	for (int i = 0; i < METRICS_TENANT_SLOTS + 50; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		metrics_decision(name, TG_R_BAD_SIGNATURE, false);
	}
	metrics_decision(NULL, TG_R_NONE, false);
	text = render();
	ok(value_of(text, "tokengate_decisions_total{tenant=\"\",decision=\"deny\","
		    "reason=\"bad_signature\"}") >= 50,
	   "tenants beyond the slots count under tenant=\"\"");
	is_int(value_of(text, "tokengate_decisions_total{tenant=\"\",decision=\"deny\","
			"reason=\"request\"}"), 1, "a refusal on the request itself");
	free(text);
}

static void
test_histogram(void)
{
	char *text;

	metrics_verify_time(TG_ALG_HS256, 70000);    /* 70 µs */
	metrics_verify_time(TG_ALG_HS256, 3000000);  /* 3 ms */
	metrics_verify_time(TG_ALG_HS256, 900000000); /* 0.9 s: only +Inf */
	metrics_verify_time(TG_ALG_INVALID, 1);      /* no algorithm: not counted */
	text = render();
	is_int(value_of(text, "tokengate_verify_seconds_bucket{alg=\"HS256\",le=\"5e-05\"}"), 0,
	       "below the first bound: none");
	is_int(value_of(text, "tokengate_verify_seconds_bucket{alg=\"HS256\",le=\"0.0001\"}"), 1,
	       "buckets hold what is at most their bound");
	is_int(value_of(text, "tokengate_verify_seconds_bucket{alg=\"HS256\",le=\"0.005\"}"), 2,
	       "buckets are cumulative");
	is_int(value_of(text, "tokengate_verify_seconds_bucket{alg=\"HS256\",le=\"+Inf\"}"), 3,
	       "+Inf holds them all");
	is_int(value_of(text, "tokengate_verify_seconds_count{alg=\"HS256\"}"), 3, "count");
	ok(strstr(text, "alg=\"RS256\"") == NULL, "an algorithm never used has no series");
	free(text);
}

/*
 * A file written before tokengate_login_failures_total existed is 8 bytes
 * shorter: it is grown, and the counts it held stay where they were.
 */
static void
test_older_file(const char *dir)
{
	char *path = tg_xasprintf("%s/%s", dir, METRICS_FILE), *text;
	long long hits;
	struct stat st;

	text = render();
	hits = value_of(text, "tokengate_cache_hits_total");
	free(text);
	metrics_close();
	ok(stat(path, &st) == 0 && truncate(path, st.st_size - 8) == 0,
	   "the file cut to the layout before the login counter");
	ok(metrics_open(dir, NULL) == TG_OK, "it still maps");
	text = render();
	ok(hits > 0 && value_of(text, "tokengate_cache_hits_total") == hits,
	   "its counts kept (%lld cache hits)", hits);
	is_int(value_of(text, "tokengate_login_failures_total"), 0, "the new counter starts at 0");
	free(text);
	metrics_add(METRICS_LOGIN_FAILED);
	text = render();
	is_int(value_of(text, "tokengate_login_failures_total"), 1, "and counts");
	ok(stat(path, &st) == 0 && (size_t)st.st_size % 8 == 0, "the file grew back");
	free(text);
	free(path);
}

static void
test_foreign_file(const char *dir)
{
	char *path = tg_xasprintf("%s/%s", dir, METRICS_FILE);
	FILE *f = fopen(path, "w");
	struct tg_why why;

	fputs("not a counters file, but long enough to have a first word\n", f);
	fclose(f);
	metrics_close();
	ok(metrics_open(dir, &why) == TG_ERR_IO, "a file that is not ours is refused");
	ok(strstr(why.text, "remove it") != NULL, "and the sentence says what to do");
	free(path);
}

int
main(void)
{
	char tmpl[] = "/tmp/tg-test-metrics-XXXXXX";
	const char *dir = mkdtemp(tmpl);
	char *other = tg_xasprintf("%s/other", dir);

	test_not_open();
	test_sum_over_processes(dir);
	test_older_file(dir);
	test_bounded_tenants();
	test_histogram();
	ok(mkdir(other, 0700) == 0 && metrics_open(other, NULL) == TG_OK, "another directory");
	free(other);
	test_foreign_file(dir);
	metrics_close();
	tap_rmtree(dir);
	return done_testing();
}
