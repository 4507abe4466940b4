/*
 * The gateway's configuration: one file of `key = value` lines, read once at
 * start-up into an immutable struct. Every key, its type, range and default
 * live in one table in config.c; nothing else reads the file or TOKENGATE_*.
 */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include "base/log.h"

/* One trusted_proxies or metrics_allow entry: an address with a prefix length (CIDR). */
struct tg_cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

struct tg_addrs {
	struct tg_cidr *v;
	size_t n;
};

/* require_https: whether a credential may arrive over plain HTTP (role/authz.c decides). */
enum tg_https_rule {
	TG_HTTPS_NO,              /* plain HTTP is let through */
	TG_HTTPS_YES,             /* HTTPS=on, or X-Forwarded-Proto: https from trusted_proxies */
	TG_HTTPS_EXCEPT_LOOPBACK, /* yes, but a loopback peer that is no trusted proxy may use HTTP */
};

#define TG_COOKIE_NAME_MAX 64

struct tg_config {
	char *file; /* where it was read from, for messages */
	char *database;
	enum tg_https_rule require_https;
	char *cookie_name;          /* 1 to TG_COOKIE_NAME_MAX bytes */
	char *realm;
	int64_t token_cache_entries; /* 0: no cache */
	enum tg_log_level log_level;
	enum tg_log_sink log_sink;
	int log_facility; /* LOG_DAEMON...: syslog's facility when log_sink is syslog */
	struct tg_addrs trusted_proxies;
	struct tg_addrs metrics_allow; /* who may GET /metrics */
	int64_t rate_limit_per_key; /* requests per second, 0: no limit */
	int64_t rate_limit_burst;
	int64_t max_body_bytes;
	int64_t refresh_reuse_grace; /* seconds a rotated refresh token is answered again; 0: off */
	int64_t jwks_min_interval;  /* seconds between fetches of one tenant's key set on unknown kids */
	int64_t jwks_fetch_timeout; /* seconds one fetch of a key set may take, all included */
	char *password_blocklist;   /* users' passwords refused (base/blocklist.h); NULL: none */
	/* Failed logins (model/throttle.h): free ones per account and per address, then a doubling wait. */
	int64_t login_free_failures;
	int64_t login_free_failures_per_address;
	int64_t login_max_backoff;  /* seconds the wait never exceeds */
	int64_t login_failure_ttl;  /* seconds after its last failure a counter is forgotten */
	bool log_emails;            /* login audit lines show the email, not a hash of it */
};

#define TG_REFRESH_REUSE_GRACE_MAX 300 /* a short grace: longer ones blunt reuse detection */

/* TOKENGATE_CONFIG when set, else TG_SYSCONFDIR "/tokengate/tokengate.conf". */
const char *config_path(void);

/*
 * Parses text (len bytes, named name in messages) and applies db_override
 * (TOKENGATE_DB; NULL: none) over the `database` key. On failure why gets a
 * sentence an operator can act on, naming the file, the line and the key.
 */
enum tg_err config_parse(const char *name, const char *text, size_t len, const char *db_override,
			 struct tg_config **out, struct tg_why *why);
/* Reads path and parses it with TOKENGATE_DB from the environment; failures as config_parse. */
enum tg_err config_load(const char *path, struct tg_config **out, struct tg_why *why);
void config_free(struct tg_config *c);

/* Whether addr (textual IPv4 or IPv6, as in REMOTE_ADDR) is in the list; NULL is not. */
bool config_addrs_has(const struct tg_addrs *l, const char *addr);
/* Whether addr is in trusted_proxies. */
bool config_is_trusted_proxy(const struct tg_config *c, const char *addr);
/* Whether addr is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. */
bool config_is_loopback(const char *addr);

/* The table's keys in order, NULL-terminated: for the guard test against the example file. */
const char *config_key_name(size_t i);

#endif
