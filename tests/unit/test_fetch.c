/*
 * fetch.c: Cache-Control max-age as RFC 9111 5.2 reads it, the https-only URL
 * rule, and refusals from real sockets on 127.0.0.1 (nothing listening; a
 * listener that never speaks). Transfers with TLS: tests/integration/jwks_fetch.test.
 */
#include "fetch/fetch.h"

#include "../lib/tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
age_is(const char *value, bool want_found, int64_t want)
{
	int64_t got = -7;
	bool is_found = fetch_max_age(value, strlen(value), &got);

	if (want_found)
		ok(is_found && got == want, "\"%s\": max-age %lld (got %lld)", value,
		   (long long)want, (long long)got);
	else
		ok(!is_found && got == -7, "\"%s\": no max-age, nothing written", value);
}

static void
test_max_age(void)
{
	age_is("max-age=3600", true, 3600);
	age_is("public, max-age=600, must-revalidate", true, 600);
	age_is("MAX-AGE=5", true, 5); /* directive names are case-insensitive */
	age_is("  max-age = 7 ", true, 7);
	age_is("max-age=\"90\"", true, 90); /* quoted: senders must not, recipients accept */
	age_is("s-maxage=10, max-age=20", true, 20);
	age_is("private=\"a, max-age=1\", max-age=30", true, 30); /* inside a quoted argument */
	age_is("max-age=10, max-age=20", true, 10); /* the first of duplicates */
	age_is("max-age=99999999999999999999", true, 2147483648LL); /* RFC 9111 1.2.2 */
	age_is("no-cache, max-age=600", true, 0);
	age_is("no-store", true, 0);
	age_is("public", false, 0);
	age_is("", false, 0);
	age_is("max-age=", false, 0);
	age_is("max-age=-1", false, 0);
	age_is("max-age=12abc", false, 0);
	age_is("max-age=\"12", false, 0);
}

static void
test_urls(void)
{
	ok(fetch_url_is_https("https://idp.example/.well-known/jwks.json"), "https URL");
	ok(fetch_url_is_https("HTTPS://idp.example:8443/k"), "scheme case-insensitive, a port");
	ok(!fetch_url_is_https("http://idp.example/jwks.json"), "plain http refused");
	ok(!fetch_url_is_https("idp.example/jwks.json"), "no scheme is not taken for http(s)");
	ok(!fetch_url_is_https("ftp://idp.example/jwks.json"), "ftp refused");
	ok(!fetch_url_is_https("https:///jwks.json"), "no host refused");
	ok(!fetch_url_is_https("https://user:pw@idp.example/"), "a password in the URL refused");
	ok(!fetch_url_is_https("https://user@idp.example/"), "a user in the URL refused");
	ok(!fetch_url_is_https("https://idp.example/a b"), "a space refused");
}

/* A socket bound to a free port of 127.0.0.1; listening or not. -1 on failure. */
static int
bound_socket(bool is_listening, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0 ||
	    (is_listening && listen(fd, 4) != 0)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static void
test_refusals(void)
{
	struct fetch_result r = { 0 };
	struct tg_why why = { "" };
	char url[64];
	int port = 0, fd;

	is_int(fetch_https("http://127.0.0.1/jwks.json", NULL, 1000, 1024, &r, &why),
	       TG_ERR_INVALID, "plain http is refused before any connection");
	ok(strstr(why.text, "is not an https URL") != NULL, "and says so: %s", why.text);

	fd = bound_socket(false, &port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/jwks.json", port);
	is_int(fetch_https(url, NULL, 1000, 1024, &r, &why), TG_ERR_IO,
	       "nothing listening: an I/O error");
	ok(strstr(why.text, url) != NULL, "the sentence names the URL: %s", why.text);
	if (fd >= 0)
		close(fd);

	/* The kernel completes the handshake from the backlog; TLS then waits for ever. */
	fd = bound_socket(true, &port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/jwks.json", port);
	is_int(fetch_https(url, NULL, 300, 1024, &r, &why), TG_ERR_IO,
	       "a listener that never speaks: given up at the bound");
	ok(strstr(why.text, "did not answer within 300 ms (jwks_fetch_timeout)") != NULL,
	   "the sentence says so: %s", why.text);
	ok(r.body == NULL, "no result on failure");
	if (fd >= 0)
		close(fd);
}

int
main(void)
{
	struct tg_why why;

	if (fetch_global_init(&why) != TG_OK)
		diag("%s", why.text);
	test_max_age();
	test_urls();
	test_refusals();
	return done_testing();
}
