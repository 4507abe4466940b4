/*
 * libFuzzer target for the configuration file (config.c): the input is the
 * file's text. A refusal names the file; an accepted configuration has every
 * value in its range, and written back as a file it parses to the same
 * configuration (nothing was cut or misread on the way in).
 */
#include "fuzz.h"
#include "base/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.conf"

static const char *const https_rules[] = {
	[TG_HTTPS_NO] = "no", [TG_HTTPS_YES] = "yes", [TG_HTTPS_EXCEPT_LOOPBACK] = "except_loopback",
};

/* The configuration as a file that says all of it. */
static char *
write_back(const struct tg_config *c)
{
	char *proxies = tg_xstrdup(""), *text;

	for (size_t i = 0; i < c->trusted_proxies.n; i++) {
		char addr[INET6_ADDRSTRLEN], *more;
		const struct tg_cidr *p = &c->trusted_proxies.v[i];

		fuzz_require(inet_ntop(p->family, p->addr, addr, sizeof(addr)) != NULL,
			     "a trusted proxy that is no address");
		more = tg_xasprintf("%s %s/%u", proxies, addr, p->prefix);
		free(proxies);
		proxies = more;
	}
	text = tg_xasprintf("database = %s\nrequire_https = %s\ncookie_name = %s\nrealm = %s\n"
			    "token_cache_entries = %lld\nlog_level = %s\ntrusted_proxies = %s\n"
			    "rate_limit_per_key = %lld\nrate_limit_burst = %lld\n"
			    "max_body_bytes = %lld\n",
			    c->database, https_rules[c->require_https], c->cookie_name, c->realm,
			    (long long)c->token_cache_entries, log_level_name(c->log_level), proxies,
			    (long long)c->rate_limit_per_key, (long long)c->rate_limit_burst,
			    (long long)c->max_body_bytes);
	free(proxies);
	return text;
}

static bool
is_same(const struct tg_config *a, const struct tg_config *b)
{
	bool is_eq = strcmp(a->database, b->database) == 0 && a->require_https == b->require_https &&
		     strcmp(a->cookie_name, b->cookie_name) == 0 && strcmp(a->realm, b->realm) == 0 &&
		     a->token_cache_entries == b->token_cache_entries &&
		     a->log_level == b->log_level && a->rate_limit_per_key == b->rate_limit_per_key &&
		     a->rate_limit_burst == b->rate_limit_burst &&
		     a->max_body_bytes == b->max_body_bytes &&
		     a->trusted_proxies.n == b->trusted_proxies.n;

	for (size_t i = 0; is_eq && i < a->trusted_proxies.n; i++)
		is_eq = a->trusted_proxies.v[i].family == b->trusted_proxies.v[i].family &&
			a->trusted_proxies.v[i].prefix == b->trusted_proxies.v[i].prefix &&
			memcmp(a->trusted_proxies.v[i].addr, b->trusted_proxies.v[i].addr, 16) == 0;
	return is_eq;
}

static void
check_accepted(const struct tg_config *c)
{
	static const char *const addrs[] = { "127.0.0.1", "10.1.2.3", "::1", "::ffff:10.1.2.3",
					     "2001:db8::1", "not an address", "" };
	struct tg_config *again = NULL;
	char *text = write_back(c);
	struct tg_why why = { "" };

	fuzz_require(c->database && c->database[0] == '/', "database is not an absolute path");
	fuzz_require(c->cookie_name && *c->cookie_name && c->realm && *c->realm, "an empty name");
	fuzz_require(c->max_body_bytes >= 1024 && c->rate_limit_burst >= 1 &&
		     c->rate_limit_per_key >= 0 &&
		     c->token_cache_entries >= 0, "an integer out of its range");
	for (size_t i = 0; i < c->trusted_proxies.n; i++)
		fuzz_require(c->trusted_proxies.v[i].prefix <=
			     (c->trusted_proxies.v[i].family == AF_INET ? 32u : 128u),
			     "prefix too long");
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		(void)config_is_trusted_proxy(c, addrs[i]);
	if (config_parse(NAME, text, strlen(text), NULL, &again, &why) != TG_OK ||
	    !is_same(c, again)) {
		fprintf(stderr, "written back as\n%s\nit %s\n", text,
			why.text[0] ? why.text : "differs");
		abort();
	}
	config_free(again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const overrides[] = { NULL, "/var/lib/tokengate-fuzz" };

	for (size_t i = 0; i < 2; i++) {
		struct tg_config *c = NULL;
		struct tg_why why = { "" };

		if (config_parse(NAME, (const char *)data, size, overrides[i], &c, &why) == TG_OK) {
			fuzz_require(why.text[0] == '\0',
				     "an accepted configuration with a refusal");
			check_accepted(c);
		} else {
			fuzz_require(strncmp(why.text, NAME ":", strlen(NAME ":")) == 0 ||
				     strncmp(why.text, "TOKENGATE_DB:", 13) == 0,
				     "a refusal that does not name the file");
		}
		config_free(c);
	}
	return 0;
}
