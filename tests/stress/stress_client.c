/*
 * Load, killer and checker for tests/stress/worker_kills.test. Owns only test
 * traffic: plain HTTP/1.0 over loopback sockets, one connection per request,
 * and the records of every answer. It judges the gateway by its answers alone
 * and never opens the store.
 *
 *   stress_client run PORT API_KEY SECONDS OUTDIR [PARENT MIN_MS MAX_MS]
 *     issuers POST /api/v1/sessions and log every other session out at once
 *     (POST /api/v1/sessions/ID/logout); authorizer clients present recorded
 *     access tokens at /app/ok.txt. With PARENT, a killer SIGKILLs a random
 *     child of PARENT (a tokengate worker of that lighttpd) every MIN_MS to
 *     MAX_MS. Writes OUTDIR/records ("SID live|revoked|unknown ISSUED TOKEN"),
 *     OUTDIR/kills ("SECONDS NAME PID STALL_MS", CLOCK_MONOTONIC) and prints
 *     the figures; exits 1 if a token was accepted after its
 *     logout's 204 or a live token was refused.
 *   stress_client verify PORT API_KEY OUTDIR
 *     every record's session is readable (GET /api/v1/sessions/ID) with the
 *     recorded state, and its token is allowed (live) or refused (revoked) by
 *     the authorizer; exits 1 on any difference.
 * Never kills a process that is not a child of PARENT.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ISSUERS 4
#define AUTHORIZERS 2
#define RESP_MAX 16384
#define TOKEN_MAX 4096
#define SID_LEN 22
#define TOKEN_FRESH_S 500 /* the fixture's tokens live 600 s: older ones may be refused as expired */
#define IO_TIMEOUT_S 30
#define KINDS 4
#define FAILED_PAUSE_US 20000

static int port;
static const char *api_key;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "stress_client: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---------------------------------------------------------------- HTTP */

struct answer {
	int status; /* 0: no answer (connection refused, reset or timed out) */
	char body[RESP_MAX];
};

static bool
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* The answer's status and the start of its body (the rest is read and dropped). */
static void
read_answer(int fd, struct answer *a)
{
	static _Thread_local char buf[RESP_MAX * 2];
	size_t n = 0;
	ssize_t r;
	const char *body;

	while ((r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0)) > 0) {
		n += (size_t)r;
		if (n == sizeof(buf) - 1)
			n = sizeof(buf) / 2; /* keep draining; only the head matters */
	}
	buf[n] = '\0';
	if (r < 0 || sscanf(buf, "HTTP/1.%*d %d", &a->status) != 1)
		a->status = 0;
	body = strstr(buf, "\r\n\r\n");
	snprintf(a->body, sizeof(a->body), "%s", body ? body + 4 : "");
}

/*
 * One request on a new connection. The client closes with a reset
 * (SO_LINGER 0) so that neither side keeps a TIME_WAIT socket: a long run
 * opens more connections than there are ephemeral ports.
 */
static void
http(const char *method, const char *path, const char *bearer, const char *json,
     struct answer *a)
{
	static _Thread_local char req[TOKEN_MAX + 1024];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd, n;

	a->status = 0;
	a->body[0] = '\0';
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		     "%sContent-Length: %zu\r\n\r\n%s",
		     method, path, bearer, json ? "Content-Type: application/json\r\n" : "",
		     json ? strlen(json) : 0, json ? json : "");
	if (n < 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, "stress_client: request for %s does not fit\n", path);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && send_all(fd, req, (size_t)n))
		read_answer(fd, a);
	close(fd);
}

/* The string member NAME of a flat JSON answer, or false. */
static bool
json_str(const char *body, const char *name, char *out, size_t cap)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "\"%s\"", name);
	p = strstr(body, key);
	if (!p)
		return false;
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p++ != '"')
		return false;
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= cap)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

/* The boolean member NAME: 1 true, 0 false, -1 absent. */
static int
json_bool(const char *body, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\"", name);
	p = strstr(body, key);
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	return strncmp(p, "true", 4) == 0 ? 1 : strncmp(p, "false", 5) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- records */

struct session {
	char sid[SID_LEN + 1];
	char *token;
	int64_t issued;                /* CLOCK_MONOTONIC ns of the 201 */
	/* 0 live, > 0 when the 204 arrived, -1 unknown (no 204), -2 logout under way */
	_Atomic int64_t revoked;
};

struct event {
	int64_t sent, done;
	int status;
};

struct events {
	struct event *v;
	size_t n, cap;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session **pool;
static size_t pool_n, pool_cap;
static int64_t deadline;

/* Answers by kind: 0 issue, 1 logout, 2 authorize; counted by class. */
enum { K_ISSUE, K_LOGOUT, K_AUTHZ };
static atomic_long answered[3][6]; /* [kind][status / 100], 0: no answer */
static atomic_long revoked_but_allowed, live_but_refused;
static struct events issuer_events[ISSUERS];

static void
events_add(struct events *e, int64_t sent, int64_t done, int status)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1024;
		e->v = realloc(e->v, e->cap * sizeof(*e->v));
		if (!e->v)
			die("realloc");
	}
	e->v[e->n++] = (struct event){ sent, done, status };
}

static void
count(int kind, int status)
{
	atomic_fetch_add(&answered[kind][status / 100 < 6 ? status / 100 : 0], 1);
}

static void
pool_add(struct session *s)
{
	pthread_mutex_lock(&pool_lock);
	if (pool_n == pool_cap) {
		pool_cap = pool_cap ? pool_cap * 2 : 4096;
		pool = realloc(pool, pool_cap * sizeof(*pool));
		if (!pool)
			die("realloc");
	}
	pool[pool_n++] = s;
	pthread_mutex_unlock(&pool_lock);
}

static struct session *
pool_pick(unsigned *seed)
{
	struct session *s = NULL;

	pthread_mutex_lock(&pool_lock);
	if (pool_n)
		s = pool[(size_t)rand_r(seed) % pool_n];
	pthread_mutex_unlock(&pool_lock);
	return s;
}

/* ---------------------------------------------------------------- load */

static void
logout(struct session *s, struct events *ev)
{
	struct answer *a = malloc(sizeof(*a));
	char path[128];
	int64_t t0;

	if (!a)
		die("malloc");
	snprintf(path, sizeof(path), "/api/v1/sessions/%s/logout", s->sid);
	atomic_store(&s->revoked, -2);
	t0 = now_ns();
	http("POST", path, api_key, NULL, a);
	events_add(ev, t0, now_ns(), a->status);
	count(K_LOGOUT, a->status);
	/* No answer or a 5xx: the logout may or may not have committed. */
	atomic_store(&s->revoked, a->status == 204 ? now_ns() : -1);
	free(a);
}

static void *
issuer_main(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct events *ev = &issuer_events[id];
	struct answer *a = malloc(sizeof(*a));
	char body[128], tok[TOKEN_MAX];
	struct session *s;

	if (!a)
		die("malloc");
	for (long i = 0; now_ns() < deadline; i++) {
		int64_t t0 = now_ns();

		snprintf(body, sizeof(body), "{\"user_id\":\"stress%d-%ld\"}", id, i);
		http("POST", "/api/v1/sessions", api_key, body, a);
		events_add(ev, t0, now_ns(), a->status);
		count(K_ISSUE, a->status);
		if (a->status != 201) {
			usleep(FAILED_PAUSE_US); /* as a client would before it retries */
			continue;
		}
		s = calloc(1, sizeof(*s));
		if (!s)
			die("calloc");
		if (!json_str(a->body, "session_id", s->sid, sizeof(s->sid)) ||
		    !json_str(a->body, "access_token", tok, sizeof(tok))) {
			fprintf(stderr, "stress_client: a 201 without session_id or access_token: %.200s\n",
				a->body);
			exit(2);
		}
		s->token = strdup(tok);
		s->issued = now_ns();
		pool_add(s);
		if (i % 2 == 1)
			logout(s, ev);
	}
	free(a);
	return NULL;
}

static void *
authorizer_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	struct answer *a = malloc(sizeof(*a));

	if (!a)
		die("malloc");
	while (now_ns() < deadline) {
		struct session *s = pool_pick(&seed);
		int64_t t0, revoked;

		if (!s) {
			usleep(10000);
			continue;
		}
		t0 = now_ns();
		http("GET", "/app/ok.txt", s->token, NULL, a);
		count(K_AUTHZ, a->status);
		if (a->status == 0 || a->status >= 500)
			usleep(FAILED_PAUSE_US);
		revoked = atomic_load(&s->revoked);
		if (a->status == 200 && revoked > 0 && revoked < t0) {
			atomic_fetch_add(&revoked_but_allowed, 1);
			fprintf(stderr, "stress_client: session %s allowed %.3f s after its logout's 204\n",
				s->sid, (double)(t0 - revoked) / 1e9);
		}
		if (a->status == 401 && revoked == 0 && t0 - s->issued < TOKEN_FRESH_S * 1000000000LL) {
			atomic_fetch_add(&live_but_refused, 1);
			fprintf(stderr, "stress_client: live session %s refused: %.200s\n", s->sid,
				a->body);
		}
	}
	free(a);
	return NULL;
}

/* ---------------------------------------------------------------- killer */

struct kill {
	int64_t at;
	int kind; /* index into kill_names */
	pid_t pid;
};

static pid_t killer_parent;
static long kill_min_ms, kill_max_ms;
static struct kill *kills;
static size_t kills_n, kills_cap;
static char kill_names[KINDS][64];

static int
kind_of(const char *comm)
{
	for (int i = 0; i < KINDS; i++) {
		if (!kill_names[i][0])
			snprintf(kill_names[i], sizeof(kill_names[i]), "%s", comm);
		if (strcmp(kill_names[i], comm) == 0)
			return i;
	}
	return KINDS - 1;
}

/* A random child of killer_parent (its pid, its name in comm), or 0. */
static pid_t
pick_child(unsigned *seed, char *comm, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	unsigned seen = 0;

	if (!d)
		die("opendir /proc");
	while ((e = readdir(d)) != NULL) {
		char path[300], line[512], name[64];
		int pid, ppid;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "%d (%63[^)]) %*c %d", &pid, name, &ppid) == 3 &&
		    ppid == killer_parent && rand_r(seed) % ++seen == 0) {
			found = pid;
			snprintf(comm, cap, "%s", name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static void *
killer_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	char comm[64];

	for (;;) {
		long ms = kill_min_ms + rand_r(&seed) % (kill_max_ms - kill_min_ms + 1);
		pid_t victim;

		usleep((useconds_t)ms * 1000);
		if (now_ns() >= deadline)
			break;
		victim = pick_child(&seed, comm, sizeof(comm));
		if (victim == 0 || kill(victim, SIGKILL) != 0)
			continue;
		if (kills_n == kills_cap) {
			kills_cap = kills_cap ? kills_cap * 2 : 1024;
			kills = realloc(kills, kills_cap * sizeof(*kills));
			if (!kills)
				die("realloc");
		}
		kills[kills_n++] = (struct kill){ now_ns(), kind_of(comm), victim };
	}
	return NULL;
}

/* ---------------------------------------------------------------- figures */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_sent(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return (x->sent > y->sent) - (x->sent < y->sent);
}

static double
pct_ms(const int64_t *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)sorted[i] / 1e6;
}

static bool
is_success(const struct event *e)
{
	return e->status == 201 || e->status == 204;
}

/*
 * A kill's stall: from the kill to the first success of an issuer request
 * sent after it. The longest gap: between two successes, over the run.
 */
static void
figures(FILE *out, FILE *kills_log, int64_t start)
{
	struct events all = { 0 };
	int64_t *stall, *lat, *suffix, gap = 0, last = start;
	size_t nlat = 0, nstall = 0;

	for (int i = 0; i < ISSUERS; i++)
		for (size_t j = 0; j < issuer_events[i].n; j++) {
			const struct event *e = &issuer_events[i].v[j];

			if (is_success(e))
				events_add(&all, e->sent, e->done, e->status);
		}
	qsort(all.v, all.n, sizeof(*all.v), cmp_sent);
	suffix = calloc(all.n + 1, sizeof(*suffix));
	lat = calloc(all.n + 1, sizeof(*lat));
	stall = calloc(kills_n + 1, sizeof(*stall));
	if (!suffix || !lat || !stall)
		die("calloc");
	suffix[all.n] = INT64_MAX;
	for (size_t i = all.n; i-- > 0;)
		suffix[i] = all.v[i].done < suffix[i + 1] ? all.v[i].done : suffix[i + 1];
	for (size_t k = 0; k < kills_n; k++) {
		size_t lo = 0, hi = all.n;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (all.v[mid].sent < kills[k].at)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (suffix[lo] != INT64_MAX)
			stall[nstall++] = suffix[lo] - kills[k].at;
		fprintf(kills_log, "%.3f %s %ld %.0f\n", (double)kills[k].at / 1e9,
			kill_names[kills[k].kind], (long)kills[k].pid,
			suffix[lo] != INT64_MAX ? (double)(suffix[lo] - kills[k].at) / 1e6 : -1.0);
	}
	for (size_t i = 0; i < all.n; i++)
		if (all.v[i].status == 201)
			lat[nlat++] = all.v[i].done - all.v[i].sent;
	for (size_t i = 0; i < all.n; i++)
		suffix[i] = all.v[i].done;
	qsort(suffix, all.n, sizeof(*suffix), cmp_i64);
	for (size_t i = 0; i < all.n; i++) {
		if (suffix[i] - last > gap)
			gap = suffix[i] - last;
		last = suffix[i];
	}
	qsort(stall, nstall, sizeof(*stall), cmp_i64);
	qsort(lat, nlat, sizeof(*lat), cmp_i64);

	fprintf(out, "kills %zu", kills_n);
	for (int i = 0; i < KINDS && kill_names[i][0]; i++) {
		size_t n = 0;

		for (size_t k = 0; k < kills_n; k++)
			n += kills[k].kind == i;
		fprintf(out, "%s%s %zu", i ? ", " : " (", kill_names[i], n);
	}
	fprintf(out, "%s\n", kills_n ? ")" : "");
	for (int k = 0; k < 3; k++)
		fprintf(out, "%s answers: 2xx %ld, 4xx %ld, 5xx %ld, none %ld\n",
			k == K_ISSUE ? "issue" : k == K_LOGOUT ? "logout" : "authorize",
			atomic_load(&answered[k][2]), atomic_load(&answered[k][4]),
			atomic_load(&answered[k][5]), atomic_load(&answered[k][0]));
	fprintf(out, "stall after a kill (ms): p50 %.0f p99 %.0f max %.0f (%zu kills)\n",
		pct_ms(stall, nstall, 0.5), pct_ms(stall, nstall, 0.99),
		pct_ms(stall, nstall, 1.0), nstall);
	fprintf(out, "longest gap between issuer successes (ms): %.0f\n", (double)gap / 1e6);
	fprintf(out, "issue latency (ms): p50 %.1f p99 %.0f max %.0f (%zu issued)\n",
		pct_ms(lat, nlat, 0.5), pct_ms(lat, nlat, 0.99), pct_ms(lat, nlat, 1.0), nlat);
	fprintf(out, "tokens allowed after their logout's 204: %ld\n",
		atomic_load(&revoked_but_allowed));
	fprintf(out, "live tokens refused: %ld\n", atomic_load(&live_but_refused));
	free(stall);
	free(lat);
	free(suffix);
	free(all.v);
}

static int
write_records(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/records", dir);
	f = fopen(path, "w");
	if (!f)
		die(path);
	for (size_t i = 0; i < pool_n; i++) {
		int64_t r = atomic_load(&pool[i]->revoked);

		fprintf(f, "%s %s %lld %s\n", pool[i]->sid,
			r == 0 ? "live" : r > 0 ? "revoked" : "unknown",
			(long long)(pool[i]->issued / 1000000000), pool[i]->token);
	}
	return fclose(f) == 0 ? 0 : 2;
}

static int
run(int seconds, const char *dir)
{
	pthread_t t[ISSUERS + AUTHORIZERS + 1];
	int n = 0, rc;
	int64_t start = now_ns();
	char path[4096];
	FILE *f;

	deadline = start + (int64_t)seconds * 1000000000;
	for (int i = 0; i < ISSUERS; i++)
		pthread_create(&t[n++], NULL, issuer_main, (void *)(intptr_t)i);
	for (int i = 0; i < AUTHORIZERS; i++)
		pthread_create(&t[n++], NULL, authorizer_main, (void *)(intptr_t)(i + 1));
	if (killer_parent)
		pthread_create(&t[n++], NULL, killer_main, (void *)(uintptr_t)getpid());
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	rc = write_records(dir);
	snprintf(path, sizeof(path), "%s/kills", dir);
	f = fopen(path, "w");
	if (!f)
		die(path);
	figures(stdout, f, start);
	fclose(f);
	if (rc == 0 && (revoked_but_allowed || live_but_refused))
		rc = 1;
	return rc;
}

/* ---------------------------------------------------------------- verify */

static int
verify(const char *dir)
{
	static char line[TOKEN_MAX + 128];
	struct answer *a = malloc(sizeof(*a));
	long checked = 0, missing = 0, wrong_state = 0, wrong_authz = 0;
	int64_t now_s = now_ns() / 1000000000;
	char path[4096];
	FILE *f;

	if (!a)
		die("malloc");
	snprintf(path, sizeof(path), "%s/records", dir);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		char sid[SID_LEN + 1], state[16], tok[TOKEN_MAX], p[128];
		long long issued;
		int revoked;

		if (sscanf(line, "%22s %15s %lld %4095s", sid, state, &issued, tok) != 4)
			continue;
		checked++;
		snprintf(p, sizeof(p), "/api/v1/sessions/%s", sid);
		http("GET", p, api_key, NULL, a);
		revoked = json_bool(a->body, "revoked");
		if (a->status != 200 || revoked < 0) {
			missing++;
			fprintf(stderr, "stress_client: session %s (answered 201): GET answers %d\n",
				sid, a->status);
			continue;
		}
		if ((strcmp(state, "revoked") == 0 && revoked != 1) ||
		    (strcmp(state, "live") == 0 && revoked != 0)) {
			wrong_state++;
			fprintf(stderr, "stress_client: session %s recorded %s, stored revoked=%d\n",
				sid, state, revoked);
		}
		if (strcmp(state, "unknown") == 0 || now_s - issued >= TOKEN_FRESH_S)
			continue;
		http("GET", "/app/ok.txt", tok, NULL, a);
		if (a->status != (revoked ? 401 : 200)) {
			wrong_authz++;
			fprintf(stderr, "stress_client: session %s (revoked=%d): the authorizer "
				"answers %d\n", sid, revoked, a->status);
		}
	}
	fclose(f);
	free(a);
	printf("checked %ld records: %ld missing, %ld in the wrong state, %ld wrong authorizer "
	       "answers\n", checked, missing, wrong_state, wrong_authz);
	return missing || wrong_state || wrong_authz ? 1 : 0;
}

static long
arg_long(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max) {
		fprintf(stderr, "stress_client: '%s' is not a number from %ld to %ld\n", s, min, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "verify") == 0) {
		port = (int)arg_long(argv[2], 1, 65535);
		api_key = argv[3];
		return verify(argv[4]);
	}
	if (argc >= 6 && strcmp(argv[1], "run") == 0) {
		port = (int)arg_long(argv[2], 1, 65535);
		api_key = argv[3];
		if (argc >= 9) {
			killer_parent = (pid_t)arg_long(argv[6], 2, INT32_MAX);
			kill_min_ms = arg_long(argv[7], 1, 3600000);
			kill_max_ms = arg_long(argv[8], kill_min_ms, 3600000);
		}
		return run((int)arg_long(argv[4], 1, 86400), argv[5]);
	}
	fprintf(stderr, "usage: stress_client run PORT API_KEY SECONDS OUTDIR [PARENT MIN_MS MAX_MS]\n"
		"       stress_client verify PORT API_KEY OUTDIR\n");
	return 2;
}
