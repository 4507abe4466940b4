/*
 * The configuration file: one static table of keys (lighttpd's cpk[]) with
 * type, range and default, a line parser whose every error names the file,
 * line and key, and a second pass for rules that span keys. Never keeps a
 * partly parsed configuration and never reads a file other than the one named.
 */
#include "base/config.h"

#include "base/number.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CONFIG_FILE_MAX (1024 * 1024)

enum cfg_type {
	CFG_PATH,      /* absolute file system path */
	CFG_HTTPS_RULE, /* yes/no, on/off, true/false, or except_loopback */
	CFG_INT,       /* decimal, range min..max */
	CFG_TOKEN,     /* RFC 7230 token, e.g. a cookie name */
	CFG_QUOTABLE,  /* printable ASCII that fits in a quoted-string unescaped */
	CFG_LOG_LEVEL,
	CFG_LOG_SINK,     /* stderr or syslog */
	CFG_LOG_FACILITY, /* a syslog facility name */
	CFG_ADDRS,     /* addresses or CIDR prefixes, separated by spaces or commas */
	CFG_BOOL,      /* yes/no, on/off, true/false */
};

struct cfg_key {
	const char *key;
	enum cfg_type type;
	int64_t min, max; /* integers: the value; strings: the length */
	const char *dflt; /* NULL: no default */
	size_t offset;
};

#define OFF(m) offsetof(struct tg_config, m)

static const struct cfg_key keys[] = {
	{ "database", CFG_PATH, 1, 4096, NULL, OFF(database) },
	{ "require_https", CFG_HTTPS_RULE, 0, 0, "yes", OFF(require_https) },
	{ "cookie_name", CFG_TOKEN, 1, TG_COOKIE_NAME_MAX, "tg_session", OFF(cookie_name) },
	{ "realm", CFG_QUOTABLE, 1, 128, "tokengate", OFF(realm) },
	{ "token_cache_entries", CFG_INT, 0, 1000000, "1024", OFF(token_cache_entries) },
	{ "log_level", CFG_LOG_LEVEL, 0, 0, "warn", OFF(log_level) },
	{ "log", CFG_LOG_SINK, 0, 0, "stderr", OFF(log_sink) },
	{ "log_facility", CFG_LOG_FACILITY, 0, 0, "daemon", OFF(log_facility) },
	{ "trusted_proxies", CFG_ADDRS, 0, 0, "", OFF(trusted_proxies) },
	{ "metrics_allow", CFG_ADDRS, 0, 0, "127.0.0.0/8 ::1", OFF(metrics_allow) },
	{ "rate_limit_per_key", CFG_INT, 0, 1000000, "10", OFF(rate_limit_per_key) },
	{ "rate_limit_burst", CFG_INT, 1, 1000000, "20", OFF(rate_limit_burst) },
	{ "max_body_bytes", CFG_INT, 1024, 16 * 1024 * 1024, "65536", OFF(max_body_bytes) },
	{ "refresh_reuse_grace", CFG_INT, 0, TG_REFRESH_REUSE_GRACE_MAX, "10",
	  OFF(refresh_reuse_grace) },
	{ "jwks_min_interval", CFG_INT, 1, 86400, "60", OFF(jwks_min_interval) },
	/* A request that meets a new kid waits for the fetch: a few seconds at most. */
	{ "jwks_fetch_timeout", CFG_INT, 1, 30, "2", OFF(jwks_fetch_timeout) },
	{ "password_blocklist", CFG_PATH, 1, 4096, NULL, OFF(password_blocklist) },
	{ "login_free_failures", CFG_INT, 1, 1000, "5", OFF(login_free_failures) },
	{ "login_free_failures_per_address", CFG_INT, 1, 100000, "20",
	  OFF(login_free_failures_per_address) },
	{ "login_max_backoff", CFG_INT, 1, 86400, "900", OFF(login_max_backoff) },
	{ "login_failure_ttl", CFG_INT, 1, 7 * 86400, "3600", OFF(login_failure_ttl) },
	{ "log_emails", CFG_BOOL, 0, 0, "no", OFF(log_emails) },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *
config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].key : NULL;
}

const char *
config_path(void)
{
	const char *p = getenv("TOKENGATE_CONFIG");

	return p && *p ? p : TG_SYSCONFDIR "/tokengate/tokengate.conf";
}

void
config_free(struct tg_config *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->database);
	free(c->cookie_name);
	free(c->realm);
	free(c->password_blocklist);
	free(c->trusted_proxies.v);
	free(c->metrics_allow.v);
	free(c);
}

/* msg: room for a sentence naming the range, so the operator need not look it up. */
static const char *
parse_int(const char *v, const struct cfg_key *k, int64_t *out, char msg[TG_WHY_MAX])
{
	enum tg_err rc = number_parse(v, k->min, k->max, out);

	if (rc == TG_ERR_RANGE) {
		snprintf(msg, TG_WHY_MAX, "is out of range (%lld to %lld)", (long long)k->min,
			 (long long)k->max);
		return msg;
	}
	return rc == TG_OK ? NULL : "expected a whole number";
}

static const char *
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true" }, *const no[] = { "no", "off", "false" };

	for (size_t i = 0; i < 3; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return NULL;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return NULL;
		}
	}
	return "expected yes or no";
}

static const char *
parse_https_rule(const char *v, enum tg_https_rule *out)
{
	bool is_yes;

	if (strcmp(v, "except_loopback") == 0) {
		*out = TG_HTTPS_EXCEPT_LOOPBACK;
		return NULL;
	}
	if (parse_bool(v, &is_yes) != NULL)
		return "expected yes, no or except_loopback";
	*out = is_yes ? TG_HTTPS_YES : TG_HTTPS_NO;
	return NULL;
}

static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *
check_string(const char *v, const struct cfg_key *k, char msg[TG_WHY_MAX])
{
	size_t len = strlen(v);

	if (k->min > 0 && len == 0)
		return "needs a value";
	if ((int64_t)len > k->max) {
		snprintf(msg, TG_WHY_MAX, "is too long (%zu bytes; at most %lld)", len,
			 (long long)k->max);
		return msg;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
		if (k->type == CFG_TOKEN && !is_tchar(c))
			return "may hold only letters, digits and !#$%&'*+-.^_`|~";
		if (k->type == CFG_QUOTABLE && (c == '"' || c == '\\' || c >= 0x80))
			return "may not hold '\"', '\\' or non-ASCII characters";
	}
	if (k->type == CFG_PATH && v[0] != '/')
		return "must be an absolute path (servers start the gateway in varying directories)";
	return NULL;
}

static const char *
parse_cidr(const char *s, struct tg_cidr *out, char msg[TG_WHY_MAX])
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	int64_t prefix;
	struct cfg_key range = { .min = 0 };

	if (n == 0 || n >= sizeof(addr))
		return "holds something that is not an IP address";
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return "holds something that is not an IP address";
	}
	out->prefix = max;
	if (!slash)
		return NULL;
	range.max = max;
	if (parse_int(slash + 1, &range, &prefix, msg) != NULL) {
		snprintf(msg, TG_WHY_MAX, "has a prefix length out of range (0 to %u)", max);
		return msg;
	}
	out->prefix = (unsigned)prefix;
	return NULL;
}

static const char *
parse_addrs(const char *v, struct tg_addrs *out, char msg[TG_WHY_MAX])
{
	char *copy = tg_xstrdup(v), *save = NULL, *tok;
	const char *err = NULL;
	struct tg_cidr *l = NULL;
	size_t cnt = 0;

	for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		l = tg_xrealloc(l, (cnt + 1) * sizeof(*l));
		err = parse_cidr(tok, &l[cnt], msg);
		if (err)
			break;
		cnt++;
	}
	free(copy);
	if (err) {
		free(l);
		return err;
	}
	free(out->v);
	out->v = l;
	out->n = cnt;
	return NULL;
}

/* Returns NULL or a sentence saying what is wrong with the value: static, or in msg. */
static const char *
set_value(struct tg_config *c, const struct cfg_key *k, const char *v, char msg[TG_WHY_MAX])
{
	void *field = (char *)c + k->offset;
	const char *err = NULL;

	switch (k->type) {
	case CFG_INT:
		return parse_int(v, k, field, msg);
	case CFG_HTTPS_RULE:
		return parse_https_rule(v, field);
	case CFG_LOG_LEVEL:
		if (log_level_from_name(v, field) != TG_OK)
			return "expected error, warn, info or debug";
		return NULL;
	case CFG_LOG_SINK:
		if (log_sink_from_name(v, field) != TG_OK)
			return "expected stderr or syslog";
		return NULL;
	case CFG_LOG_FACILITY:
		if (log_facility_from_name(v, field) != TG_OK)
			return "expected daemon, auth, authpriv, user or local0 to local7";
		return NULL;
	case CFG_ADDRS:
		return parse_addrs(v, field, msg);
	case CFG_BOOL:
		return parse_bool(v, field);
	case CFG_PATH:
	case CFG_TOKEN:
	case CFG_QUOTABLE:
		err = check_string(v, k, msg);
		if (!err) {
			free(*(char **)field);
			*(char **)field = tg_xstrdup(v);
		}
		return err;
	}
	return "has an unknown type";
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static const struct cfg_key *
find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].key, name) == 0)
			return &keys[i];
	return NULL;
}

static enum tg_err
parse_line(struct tg_config *c, const char *name, unsigned lineno, char *line, bool seen[NKEYS],
	   struct tg_why *why)
{
	char *eq, *key, *val;
	const struct cfg_key *k;
	const char *err;
	char msg[TG_WHY_MAX];

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return TG_OK;
	eq = strchr(line, '=');
	if (!eq)
		return tg_fail(why, TG_ERR_INVALID, "%s:%u: expected `key = value`", name, lineno);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	k = find_key(key);
	if (!k)
		return tg_fail(why, TG_ERR_INVALID, "%s:%u: unknown key \"%.64s\"", name, lineno,
			       key);
	if (seen[k - keys])
		return tg_fail(why, TG_ERR_INVALID, "%s:%u: %s is set twice", name, lineno, k->key);
	seen[k - keys] = true;
	err = set_value(c, k, val, msg);
	if (err)
		return tg_fail(why, TG_ERR_INVALID, "%s:%u: %s: value \"%.64s\" %s", name, lineno,
			       k->key, val, err);
	return TG_OK;
}

/* The second pass: rules no single line can break alone. */
static enum tg_err
check_config(const struct tg_config *c, const char *name, struct tg_why *why)
{
	if (!c->database)
		return tg_fail(why, TG_ERR_INVALID, "%s: no database: set `database = "
			       "/var/lib/tokengate` (the directory `tokengatectl init` created) or "
			       "TOKENGATE_DB", name);
	/* A counter forgotten before its wait is over would end the wait early. */
	if (c->login_failure_ttl < c->login_max_backoff)
		return tg_fail(why, TG_ERR_INVALID, "%s: login_failure_ttl (%lld s) is shorter than "
			       "login_max_backoff (%lld s): raise login_failure_ttl to at least "
			       "login_max_backoff", name, (long long)c->login_failure_ttl,
			       (long long)c->login_max_backoff);
	return TG_OK;
}

static struct tg_config *
config_defaults(void)
{
	struct tg_config *c = tg_xcalloc(1, sizeof(*c));
	char msg[TG_WHY_MAX];

	for (size_t i = 0; i < NKEYS; i++) {
		/* The defaults pass the same checks as a file; a failure is a bug in the table. */
		if (keys[i].dflt && set_value(c, &keys[i], keys[i].dflt, msg) != NULL)
			abort();
	}
	return c;
}

enum tg_err
config_parse(const char *name, const char *text, size_t len, const char *db_override,
	     struct tg_config **out, struct tg_why *why)
{
	struct tg_config *c = config_defaults();
	bool seen[NKEYS] = { false };
	char *buf = NULL, *line, *next;
	const char *verr;
	char msg[TG_WHY_MAX];
	unsigned lineno = 0;
	enum tg_err rc = TG_OK;

	if (memchr(text, '\0', len)) {
		rc = tg_fail(why, TG_ERR_INVALID, "%s: holds a NUL byte; is it a text file?", name);
		goto out;
	}
	buf = tg_xstrndup(text, len);
	for (line = buf; line && rc == TG_OK; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = parse_line(c, name, ++lineno, line, seen, why);
	}
	if (rc != TG_OK)
		goto out;
	if (db_override && *db_override) {
		verr = set_value(c, find_key("database"), db_override, msg);
		if (verr) {
			rc = tg_fail(why, TG_ERR_INVALID, "TOKENGATE_DB: value \"%.64s\" %s",
				     db_override, verr);
			goto out;
		}
	}
	rc = check_config(c, name, why);
	if (rc != TG_OK)
		goto out;
	c->file = tg_xstrdup(name);
	*out = c; /* ownership moves to the caller */
	c = NULL;
out:
	free(buf);
	config_free(c);
	return rc;
}

enum tg_err
config_load(const char *path, struct tg_config **out, struct tg_why *why)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	enum tg_err rc = TG_ERR_IO;

	if (!f) {
		tg_fail(why, rc, "%s: cannot open the configuration: %s (set TOKENGATE_CONFIG to "
			"use another file)", path, strerror(errno));
		goto out;
	}
	/*
	 * Grown as read rather than allocated at the limit: glibc serves a 1 MB
	 * block by mmap and, once it is freed, raises its mmap and trim thresholds
	 * to match, so every long-running worker would keep more heap resident.
	 */
	for (size_t cap = 0, got = 1; got > 0 && len <= CONFIG_FILE_MAX;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			text = tg_xrealloc(text, cap + 1);
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
	}
	if (ferror(f)) {
		tg_fail(why, rc, "%s: cannot read the configuration: %s", path, strerror(errno));
		goto out;
	}
	if (len > CONFIG_FILE_MAX) {
		rc = tg_fail(why, TG_ERR_TOO_LARGE, "%s: larger than %d bytes; is it the right "
			     "file?", path, CONFIG_FILE_MAX);
		goto out;
	}
	rc = config_parse(path, text, len, getenv("TOKENGATE_DB"), out, why);
out:
	if (f)
		fclose(f);
	free(text);
	return rc;
}

static bool
prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

bool
config_addrs_has(const struct tg_addrs *l, const char *addr)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char bin[16];
	int family;

	if (!addr || l->n == 0)
		return false;
	if (inet_pton(AF_INET, addr, bin) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		family = AF_INET6;
	else
		return false;
	/* A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d. */
	if (family == AF_INET6 && memcmp(bin, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(bin, bin + sizeof(v4mapped), 4);
		family = AF_INET;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct tg_cidr *p = &l->v[i];

		if (p->family == family && prefix_match(bin, p->addr, p->prefix))
			return true;
	}
	return false;
}

bool
config_is_trusted_proxy(const struct tg_config *c, const char *addr)
{
	return config_addrs_has(&c->trusted_proxies, addr);
}

bool
config_is_loopback(const char *addr)
{
	/* RFC 1122 3.2.1.3 (all of 127/8) and RFC 4291 2.5.3; a mapped v4 one is matched as v4. */
	static struct tg_cidr v[] = {
		{ .family = AF_INET, .addr = { 127 }, .prefix = 8 },
		{ .family = AF_INET6, .addr = { [15] = 1 }, .prefix = 128 },
	};
	static const struct tg_addrs loopback = { .v = v, .n = sizeof(v) / sizeof(v[0]) };

	return config_addrs_has(&loopback, addr);
}
