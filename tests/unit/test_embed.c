/*
 * The embedding layer against a real store in a scratch directory, as a web
 * server's worker uses it: opened from a configuration file, a token allowed
 * with its variables and no header for the client, each refusal rendered
 * (challenge, JSON body), a cached second decision, and failing closed: a
 * worker whose configuration did not load, a database that does not open.
 */
#include "embed/embed.h"

#include "../lib/find_named.h"
#include "../lib/hand_signed.h"
#include "../lib/store_fixture.h"

#include <stdio.h>
#include <time.h>

static struct store_fixture f;
static char conf[128];
static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static char *
token(const char *kid, int64_t iat)
{
	struct tg_secret s;
	char header[64], payload[160], *tok;

	secret_set(&s, key, sizeof(key));
	snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	snprintf(payload, sizeof(payload),
		 "{\"iss\":\"https://acme.example\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
		 (long long)iat, (long long)iat + 60);
	tok = hand_signed_hs256(&s, header, payload);
	secret_free(&s);
	return tok;
}

TG_DEFINE_FIND_NAMED(header, struct http_response, headers, nheaders)
TG_DEFINE_FIND_NAMED(var, struct authz_decision, vars, nvars)

static void
write_conf(const char *database)
{
	FILE *fp = fopen(conf, "w");

	if (!fp)
		return;
	fprintf(fp, "database = %s\nrequire_https = no\nlog_level = error\n", database);
	fclose(fp);
}

static void
test_decisions(void)
{
	int64_t now = (int64_t)time(NULL);
	char *good = token("h1", now), *auth = tg_xasprintf("Bearer %s", good);
	struct authz_request req = { .method = "GET", .remote_addr = "127.0.0.1" };
	struct authz_decision d;
	struct http_response r;
	struct embed *e = NULL;
	struct tg_why why;
	char *bad;

	write_conf(f.dir);
	ok(embed_open(conf, &e, &why) == TG_OK && e, "opened from a configuration file");

	embed_decide(e, &req, &d, &r);
	ok(d.status == 401 && r.status == 401 && header(&r, "WWW-Authenticate") &&
		   strncmp(header(&r, "WWW-Authenticate"), "Bearer realm=", 13) == 0 &&
		   r.body && strstr(r.body, "\"error\""),
	   "no token: 401 with the RFC 6750 challenge and a JSON body");
	embed_done(&d, &r);

	req.authorization = auth;
	embed_decide(e, &req, &d, &r);
	ok(d.status == 200 && r.status == 200 && r.nheaders == 0 && !r.body,
	   "a valid token: 200 and nothing for the client");
	is_str(var(&d, "SUB"), "alice", "TOKENGATE_SUB for the app");
	is_str(var(&d, "TENANT"), "acme", "TOKENGATE_TENANT for the app");
	is_str(d.user, "alice", "REMOTE_USER for the app");
	ok(!d.is_cached, "the first decision verified the token");
	embed_done(&d, &r);
	embed_decide(e, &req, &d, &r);
	ok(d.status == 200 && d.is_cached, "the second came from this worker's cache");
	embed_done(&d, &r);

	req.tenant = "other";
	embed_decide(e, &req, &d, &r);
	ok(d.status == 401 && strstr(header(&r, "WWW-Authenticate"), "invalid_token"),
	   "a location pinned to another tenant refuses the token");
	embed_done(&d, &r);
	req.tenant = NULL;

	bad = token("h1", now);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	free(auth);
	auth = tg_xasprintf("Bearer %s", bad);
	req.authorization = auth;
	embed_decide(e, &req, &d, &r);
	ok(d.status == 401 && strstr(header(&r, "WWW-Authenticate"), "error=\"invalid_token\""),
	   "a bad signature: 401 invalid_token");
	embed_done(&d, &r);
	embed_close(e);
	free(bad);
	free(good);
	free(auth);
}

static void
test_fail_closed(void)
{
	struct authz_request req = { .method = "GET", .authorization = "Bearer a.b.c" };
	struct authz_decision d;
	struct http_response r;
	struct embed *e = NULL;
	struct tg_why why;
	char missing[160];

	embed_decide(NULL, &req, &d, &r);
	ok(d.status == 500 && r.status == 500 && r.body && strstr(r.body, "server_error"),
	   "a worker without a configuration refuses with 500");
	embed_done(&d, &r);

	snprintf(missing, sizeof(missing), "%s/none", f.root);
	write_conf(missing);
	ok(embed_open(conf, &e, &why) == TG_OK, "a database that does not open is no open error");
	embed_decide(e, &req, &d, &r);
	ok(d.status == 500 && r.body && strstr(r.body, "cannot open its database"),
	   "but every request is refused with 500 until it opens");
	embed_done(&d, &r);
	embed_close(e);

	snprintf(missing, sizeof(missing), "%s/no.conf", f.root);
	e = NULL;
	ok(embed_open(missing, &e, &why) != TG_OK && !e && strstr(why.text, "no.conf"),
	   "a configuration that does not load: an error naming the file");
}

int
main(void)
{
	if (!fixture_open(&f, "embed", NULL))
		return done_testing();
	if (setup_tenant(f.s, "acme", "https://acme.example") != TG_OK ||
	    setup_key(f.s, "acme", "h1", NOW, key, sizeof(key)) != TG_OK)
		diag("cannot store tenant acme and its key");
	/* The worker opens the database itself, as a web server's worker does. */
	store_close(f.s);
	f.s = NULL;
	snprintf(conf, sizeof(conf), "%s/tokengate.conf", f.root);
	test_decisions();
	test_fail_closed();
	remove(conf);
	fixture_close(&f);
	return done_testing();
}
