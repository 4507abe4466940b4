/*
 * jwks_sync.c against a real store: a tenant without jwks_uri is never fetched,
 * a failed fetch keeps the keys and still takes the slot (so a dead provider is
 * not asked on every request), and a worker's unknown kid inside the interval
 * is refused without a fetch. Successful fetches: tests/integration/jwks_fetch.test.
 */
#include "join/jwks_sync.h"

#include "../lib/store_fixture.h"
#include "fetch/fetch.h"
#include "join/keyring_sync.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A port of 127.0.0.1 nothing listens on while fd stays open (bound, not listening). */
static int
dead_port(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
			getsockname(fd, (struct sockaddr *)&a, &len) != 0)) {
		close(fd);
		fd = -1;
	}
	*port = fd >= 0 ? ntohs(a.sin_port) : 1;
	return fd;
}

static void
set_uri(struct tg_store *s, const char *id, int port)
{
	struct tg_tenant *t = NULL;

	if (store_tenant_get(s, id, &t) != TG_OK) {
		diag("tenant %s cannot be read", id);
		return;
	}
	t->jwks_uri = tg_xasprintf("https://127.0.0.1:%d/jwks.json", port);
	if (store_tenant_update(s, t) != TG_OK)
		diag("tenant %s cannot be updated", id);
	tenant_free(t);
}

static void
test_sync(struct store_fixture *f, const struct tg_config *cfg)
{
	struct jwks_report r = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_why why = { "" };
	int64_t next = -1, last = 0, due = 0;
	uint64_t g = gen(f->s);

	store_tenant_get(f->s, "plain", &t);
	is_int(jwks_sync_tenant(f->s, t, cfg, NOW, 0, &r, &next, &why), TG_ERR_NOT_FOUND,
	       "a tenant without jwks_uri is not fetched");
	ok(strstr(why.text, "tokengatectl tenant set plain --jwks-uri") != NULL,
	   "and is told how to set one: %s", why.text);
	tenant_free(t);
	t = NULL;

	store_tenant_get(f->s, "idp", &t);
	is_int(jwks_sync_tenant(f->s, t, cfg, NOW, 60, &r, &next, &why), TG_ERR_IO,
	       "nothing listening at the jwks_uri: a failure");
	ok(strstr(why.text, "tenant idp:") && strstr(why.text, "keys stay as they were"),
	   "naming the tenant, and that the keys stay: %s", why.text);
	ok(r.n == 0 && next == -1, "no report, no schedule");
	is_int(gen(f->s), g, "no key changed (the generation did not move)");
	store_jwks_state(f->s, "idp", &last, &due);
	is_int(last, NOW, "the attempt was recorded: a dead provider is not asked on every request");
	is_int(jwks_sync_tenant(f->s, t, cfg, NOW + 59, 60, &r, &next, &why), TG_ERR_LIMITED,
	       "within jwks_min_interval the slot refuses");
	ok(strstr(why.text, "jwks_min_interval") != NULL, "and says why: %s", why.text);
	jwks_report_fini(&r);
	tenant_free(t);
}

static void
test_follow(struct store_fixture *f, const struct tg_config *cfg)
{
	struct keyring *kr = keyring_new();
	struct jwks_follow jf = { .store = f->s, .kr = kr, .cfg = cfg };
	bool is_claimed = false;

	if (keyring_sync(kr, f->s, NULL) != TG_OK)
		diag("the keyring cannot be loaded");
	is_int(jwks_follow_unknown_kid(&jf, "plain", "k9"), TG_ERR_NOT_FOUND,
	       "an unknown kid of a tenant without jwks_uri: nothing to follow");
	is_int(jwks_follow_unknown_kid(&jf, "nobody", "k9"), TG_ERR_NOT_FOUND,
	       "an unknown tenant: nothing to follow");
	/* The slot as a sibling process would leave it: claimed a moment ago. */
	store_jwks_claim(f->s, "idp", (int64_t)time(NULL), 0, &is_claimed);
	is_int(jwks_follow_unknown_kid(&jf, "idp", "k9"), TG_ERR_LIMITED,
	       "another process fetched a moment ago: no fetch, the token stays refused");
	keyring_free(kr);
}

int
main(void)
{
	struct store_fixture f;
	struct tg_config *cfg = NULL;
	struct tg_why why;
	int port, fd;

	if (fetch_global_init(&why) != TG_OK)
		diag("%s", why.text);
	if (!fixture_open(&f, "test_jwks_sync", "plain", "idp", NULL))
		return 1;
	fd = dead_port(&port);
	set_uri(f.s, "idp", port);
	if (config_parse("test", "", 0, f.dir, &cfg, &why) != TG_OK)
		diag("%s", why.text);
	if (cfg) {
		test_sync(&f, cfg);
		test_follow(&f, cfg);
	}
	if (fd >= 0)
		close(fd);
	config_free(cfg);
	fixture_close(&f);
	return done_testing();
}
