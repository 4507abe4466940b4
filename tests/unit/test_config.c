/*
 * The configuration parser: defaults, every key's type and range, errors that
 * name file, line and key, TOKENGATE_DB, trusted proxy matching, and a guard
 * that every key of the table is documented in etc/tokengate.conf.example.
 */
#include "base/config.h"

#include "../lib/tap.h"

#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

static struct tg_config *
parse(const char *text, const char *db, struct tg_why *why)
{
	struct tg_config *c = NULL;

	why->text[0] = '\0';
	if (config_parse("test.conf", text, strlen(text), db, &c, why) != TG_OK)
		return NULL;
	return c;
}

/* Expects a refusal whose sentence contains want. */
static void
refused(const char *text, const char *want, const char *name)
{
	struct tg_why why;
	struct tg_config *c = parse(text, NULL, &why);

	ok(c == NULL && strstr(why.text, want), "%s: refused", name);
	if (!strstr(why.text, want))
		diag("got: %s", why.text);
	config_free(c);
}

static void
test_defaults(void)
{
	struct tg_why why;
	struct tg_config *c = parse("", "/var/lib/tg", &why);

	ok(c != NULL, "empty file with TOKENGATE_DB parses");
	if (!c)
		return;
	is_str(c->database, "/var/lib/tg", "database from TOKENGATE_DB");
	ok(c->require_https, "require_https defaults to yes");
	is_str(c->cookie_name, "tg_session", "cookie_name default");
	is_str(c->realm, "tokengate", "realm default");
	is_int(c->token_cache_entries, 1024, "token_cache_entries default");
	is_int(c->log_level, TG_LOG_WARN, "log_level default");
	is_int(c->log_sink, TG_LOG_STDERR, "log defaults to stderr");
	is_int(c->log_facility, LOG_DAEMON, "log_facility defaults to daemon");
	is_int(c->trusted_proxies.n, 0, "no trusted proxies by default");
	is_int(c->max_body_bytes, 65536, "max_body_bytes default");
	is_int(c->rate_limit_per_key, 10, "rate_limit_per_key default");
	is_int(c->rate_limit_burst, 20, "rate_limit_burst default");
	is_int(c->refresh_reuse_grace, 10, "refresh_reuse_grace default");
	is_int(c->login_free_failures, 5, "login_free_failures default");
	is_int(c->login_free_failures_per_address, 20, "login_free_failures_per_address default");
	is_int(c->login_max_backoff, 900, "login_max_backoff default");
	is_int(c->login_failure_ttl, 3600, "login_failure_ttl default");
	ok(!c->log_emails, "log_emails defaults to no");
	config_free(c);
}

/* The login throttle's keys, and the rule that spans two of them. */
static void
test_login_keys(void)
{
	struct tg_why why = { "" };
	struct tg_config *c = parse("login_free_failures = 2\nlogin_max_backoff = 4\n"
				    "login_failure_ttl = 4\nlog_emails = yes\n", "/x", &why);

	ok(c && c->login_free_failures == 2 && c->login_max_backoff == 4 &&
	   c->login_failure_ttl == 4 && c->log_emails, "login keys and log_emails = yes read");
	config_free(c);
	c = parse("log_emails = maybe\n", "/x", &why);
	ok(!c && strstr(why.text, "log_emails") && strstr(why.text, "expected yes or no"),
	   "log_emails takes yes or no: %s", why.text);
	config_free(c);
	c = parse("login_max_backoff = 600\nlogin_failure_ttl = 60\n", "/x", &why);
	ok(!c && strstr(why.text, "login_failure_ttl") && strstr(why.text, "at least"),
	   "a ttl shorter than the longest wait is refused: %s", why.text);
	config_free(c);
}

static void
test_values(void)
{
	struct tg_why why;
	struct tg_config *c = parse("# a comment\n"
				    "  database = /srv/tg  \r\n"
				    "\n"
				    "require_https=no\n"
				    "cookie_name = __Host-tg\n"
				    "realm = api.example.com\n"
				    "token_cache_entries = 0\n"
				    "log_level = debug\n"
				    "log = syslog\n"
				    "log_facility = local3\n"
				    "trusted_proxies = 10.0.0.0/8, ::1 192.168.1.7\n"
				    "rate_limit_per_key = 0\n"
				    "rate_limit_burst = 5\n"
				    "max_body_bytes = 1024\n"
				    "refresh_reuse_grace = 0\n", NULL, &why);

	ok(c != NULL, "every key set parses");
	if (!c) {
		diag("%s", why.text);
		return;
	}
	is_str(c->database, "/srv/tg", "database trimmed of blanks and CR");
	ok(!c->require_https, "require_https = no");
	is_str(c->cookie_name, "__Host-tg", "cookie_name");
	is_str(c->realm, "api.example.com", "realm");
	is_int(c->token_cache_entries, 0, "cache off");
	is_int(c->log_level, TG_LOG_DEBUG, "log_level debug");
	is_int(c->log_sink, TG_LOG_SYSLOG, "log = syslog");
	is_int(c->log_facility, LOG_LOCAL3, "log_facility local3");
	is_int(c->trusted_proxies.n, 3, "three proxy entries");
	is_int(c->refresh_reuse_grace, 0, "refresh_reuse_grace 0: off");
	is_str(c->file, "test.conf", "file name kept for messages");
	config_free(c);

	c = parse("database = /a\n", "/b", &why);
	ok(c && strcmp(c->database, "/b") == 0, "TOKENGATE_DB overrides the file");
	config_free(c);
}

/* require_https: yes/no in every spelling it took as a boolean, and except_loopback. */
static void
test_https_rule(void)
{
	static const struct {
		const char *value;
		enum tg_https_rule rule;
	} v[] = {
		{ "yes", TG_HTTPS_YES }, { "on", TG_HTTPS_YES }, { "true", TG_HTTPS_YES },
		{ "no", TG_HTTPS_NO }, { "off", TG_HTTPS_NO }, { "false", TG_HTTPS_NO },
		{ "except_loopback", TG_HTTPS_EXCEPT_LOOPBACK },
	};
	struct tg_why why;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *text = tg_xasprintf("database = /x\nrequire_https = %s\n", v[i].value);
		struct tg_config *c = parse(text, NULL, &why);

		ok(c && c->require_https == v[i].rule, "require_https = %s", v[i].value);
		config_free(c);
		free(text);
	}
	refused("database = /x\nrequire_https = Except_Loopback\n", "except_loopback",
		"except_loopback is spelled exactly");
	ok(config_is_loopback("127.0.0.1") && config_is_loopback("127.255.0.9"),
	   "loopback: all of 127.0.0.0/8");
	ok(config_is_loopback("::1") && config_is_loopback("::ffff:127.0.0.1"),
	   "loopback: ::1 and a v4-mapped 127.x");
	ok(!config_is_loopback("128.0.0.1") && !config_is_loopback("::2") &&
	   !config_is_loopback("::ffff:10.0.0.1") && !config_is_loopback("0.0.0.0"),
	   "not loopback: 128.0.0.1, ::2, a mapped 10.x, 0.0.0.0");
	ok(!config_is_loopback(NULL) && !config_is_loopback("localhost"),
	   "not loopback: no address, a host name");
}

static void
test_errors(void)
{
	refused("database = /x\nfoo = 1\n", "test.conf:2: unknown key \"foo\"", "unknown key");
	refused("database = /x\nrequire_https = maybe\n", "test.conf:2: require_https: value "
		"\"maybe\" expected yes, no or except_loopback", "bad require_https, naming the choices");
	refused("database = /x\ntoken_cache_entries = 10x\n", "test.conf:2: token_cache_entries",
		"trailing junk in an integer");
	refused("database = /x\ntoken_cache_entries = -1\n", "token_cache_entries", "negative");
	refused("database = /x\ntoken_cache_entries = +5\n", "token_cache_entries", "plus sign");
	refused("database = /x\ntoken_cache_entries = 1000001\n", "out of range (0 to 1000000)",
		"above max, naming the range");
	refused("database = /x\nmax_body_bytes = 99999999999999999999\n",
		"out of range (1024 to 16777216)", "overflow, naming the range");
	refused("database = /x\nrate_limit_burst = 0\n", "rate_limit_burst: value \"0\" is out of "
		"range (1 to 1000000)", "below min, naming the range");
	refused("database = /x\nrefresh_reuse_grace = 301\n", "(0 to 300)",
		"the grace's range is named");
	refused("database = /x\nrealm = 0123456789012345678901234567890123456789012345678901234567890"
		"1234567890123456789012345678901234567890123456789012345678901234567890\n",
		"too long (131 bytes; at most 128)", "a realm too long says the limit");
	refused("database = /x\nlog = file\n", "test.conf:2: log: value \"file\" expected stderr "
		"or syslog", "an unknown log sink");
	refused("database = /x\nlog_facility = kern\n", "log_facility", "a facility not offered");
	refused("database = /x\nrefresh_reuse_grace = 301\n", "refresh_reuse_grace",
		"a grace longer than 300 s, which would blunt reuse detection");
	refused("database = relative/dir\n", "test.conf:1: database", "relative database path");
	refused("database = /x\ncookie_name = a;b\n", "cookie_name", "cookie name with ';'");
	refused("database = /x\ncookie_name =\n", "needs a value", "empty cookie name");
	refused("database = /x\nrealm = a\"b\n", "realm", "realm with a quote");
	refused("database = /x\nlog_level = loud\n", "log_level", "unknown log level");
	refused("database = /x\ntrusted_proxies = 10.0.0.0/33\n", "prefix length out of range (0 "
		"to 32)", "prefix too long, naming the range");
	refused("database = /x\ntrusted_proxies = ::1/129\n", "(0 to 128)",
		"an IPv6 prefix's range is named");
	refused("database = /x\ntrusted_proxies = proxy.example\n", "not an IP", "host name");
	refused("database = /x\ndatabase = /y\n", "test.conf:2: database is set twice", "twice");
	refused("database = /x\njust words\n", "test.conf:2: expected `key = value`", "no '='");
	refused("require_https = no\n", "no database", "database is required");
	refused("database = /x\ntoken_cache_entries = 5 # five\n", "token_cache_entries",
		"a comment after a value is not a comment");

	{
		const char text[] = "database = /x\n\0";
		struct tg_config *c = NULL;
		struct tg_why why = { "" };

		ok(config_parse("nul.conf", text, sizeof(text) - 1, NULL, &c, &why) != TG_OK &&
		   strstr(why.text, "NUL"), "NUL byte refused");
	}
	{
		struct tg_why why;
		struct tg_config *c = parse("", "relative", &why);

		ok(!c && strstr(why.text, "TOKENGATE_DB"), "relative TOKENGATE_DB refused");
	}
}

static void
test_proxies(void)
{
	struct tg_why why;
	struct tg_config *c = parse("database = /x\n"
				    "trusted_proxies = 10.1.0.0/16 2001:db8::/32 127.0.0.1\n", NULL, &why);

	if (!ok(c != NULL, "proxy list parses"))
		return;
	ok(config_is_trusted_proxy(c, "10.1.200.3"), "inside a /16");
	ok(!config_is_trusted_proxy(c, "10.2.0.1"), "outside the /16");
	ok(config_is_trusted_proxy(c, "127.0.0.1"), "single address");
	ok(!config_is_trusted_proxy(c, "127.0.0.2"), "single address is a /32");
	ok(config_is_trusted_proxy(c, "::ffff:127.0.0.1"), "IPv4-mapped IPv6 peer");
	ok(config_is_trusted_proxy(c, "2001:db8:ffff::1"), "inside an IPv6 /32");
	ok(!config_is_trusted_proxy(c, "2001:db9::1"), "outside the IPv6 /32");
	ok(!config_is_trusted_proxy(c, NULL), "no REMOTE_ADDR");
	ok(!config_is_trusted_proxy(c, "garbage"), "unparsable REMOTE_ADDR");
	config_free(c);
}

/* GET /metrics answers the addresses in metrics_allow only (role/api.c asks config_addrs_has). */
static void
test_metrics_allow(void)
{
	struct tg_why why;
	struct tg_config *c = parse("database = /x\n", NULL, &why);

	if (!ok(c != NULL, "defaults parse"))
		return;
	ok(config_addrs_has(&c->metrics_allow, "127.0.0.1"), "loopback may read metrics by default");
	ok(config_addrs_has(&c->metrics_allow, "127.3.2.1"), "the whole of 127.0.0.0/8");
	ok(config_addrs_has(&c->metrics_allow, "::1"), "IPv6 loopback");
	ok(config_addrs_has(&c->metrics_allow, "::ffff:127.0.0.1"),
	   "loopback on a dual-stack socket");
	ok(!config_addrs_has(&c->metrics_allow, "192.0.2.7"), "anyone else may not");
	ok(!config_addrs_has(&c->metrics_allow, NULL), "nor a request without REMOTE_ADDR");
	config_free(c);
	c = parse("database = /x\nmetrics_allow = 192.0.2.0/24, 2001:db8::5\n", NULL, &why);
	if (!ok(c != NULL, "a list of a range and an address parses"))
		return;
	ok(config_addrs_has(&c->metrics_allow, "192.0.2.200"), "inside the range");
	ok(config_addrs_has(&c->metrics_allow, "2001:db8::5"), "the address");
	ok(!config_addrs_has(&c->metrics_allow, "127.0.0.1"),
	   "a list replaces the loopback default");
	ok(!config_is_trusted_proxy(c, "192.0.2.200"), "and is not trusted_proxies");
	config_free(c);
	c = parse("database = /x\nmetrics_allow =\n", NULL, &why);
	ok(c && !config_addrs_has(&c->metrics_allow, "127.0.0.1"), "empty: no one");
	config_free(c);
	c = parse("database = /x\nmetrics_allow = monitoring.example\n", NULL, &why);
	ok(!c && strstr(why.text, "metrics_allow"), "a host name is refused, naming the key");
	config_free(c);
}

static void
test_load(void)
{
	char dir[] = "/tmp/tg-test-config-XXXXXX", *path;
	struct tg_why why = { "" };
	struct tg_config *c = NULL;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	path = tg_xasprintf("%s/tokengate.conf", dir);
	unsetenv("TOKENGATE_DB");
	ok(config_load(path, &c, &why) == TG_ERR_IO && strstr(why.text, path),
	   "missing file: error names it");
	f = fopen(path, "w");
	fputs("database = /data\nrealm = r\n", f);
	fclose(f);
	ok(config_load(path, &c, &why) == TG_OK && strcmp(c->realm, "r") == 0, "file loads");
	config_free(c);
	c = NULL;
	setenv("TOKENGATE_DB", "/other", 1);
	ok(config_load(path, &c, &why) == TG_OK && strcmp(c->database, "/other") == 0,
	   "TOKENGATE_DB from the environment wins");
	config_free(c);
	unsetenv("TOKENGATE_DB");
	setenv("TOKENGATE_CONFIG", path, 1);
	is_str(config_path(), path, "TOKENGATE_CONFIG names the file");
	unsetenv("TOKENGATE_CONFIG");
	ok(strstr(config_path(), "/tokengate/tokengate.conf") != NULL, "default path");
	unlink(path);
	rmdir(dir);
	free(path);
}

/* Every key in the table is explained in the shipped example (house style's guard). */
static void
test_example_documents_every_key(void)
{
	char *path = tg_xasprintf("%s/../etc/tokengate.conf.example", tap_srcdir());
	FILE *f = fopen(path, "r");
	char *text = tg_xcalloc(1, 65536);
	struct tg_why why = { "" };
	size_t len;
	struct tg_config *c = NULL;

	if (!ok(f != NULL, "etc/tokengate.conf.example exists")) {
		free(path);
		free(text);
		return;
	}
	len = fread(text, 1, 65535, f);
	fclose(f);
	for (size_t i = 0; config_key_name(i); i++) {
		char *needle = tg_xasprintf("\n# %s =", config_key_name(i));
		char *live = tg_xasprintf("\n%s =", config_key_name(i));

		ok(strstr(text, needle) || strstr(text, live), "example documents %s",
		   config_key_name(i));
		free(needle);
		free(live);
	}
	ok(config_parse(path, text, len, "/x", &c, &why) == TG_OK, "the example itself parses");
	if (why.text[0])
		diag("%s", why.text);
	config_free(c);
	free(text);
	free(path);
}

int
main(void)
{
	test_defaults();
	test_values();
	test_login_keys();
	test_errors();
	test_https_rule();
	test_proxies();
	test_metrics_allow();
	test_load();
	test_example_documents_every_key();
	return done_testing();
}
