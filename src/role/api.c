/*
 * The API's front: the route table on PATH_INFO and the dispatch, API-key
 * authentication for the routes that need it, and the per-request log line.
 * The endpoints are in api_token.c and api_session.c, what they share in
 * api_request.c. Never logs a token, refresh token or API key.
 */
#include "role/api_internal.h"

#include "base/log.h"
#include "base/metrics.h"
#include "base/secret.h"
#include "store/store.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The credential a route takes, refused over plain HTTP by require_https.
 * API_OPEN takes none, except /v1/authorize, whose authorizer decision
 * applies require_https itself (the same authz_https_allows).
 */
enum api_auth {
	API_OPEN,
	API_KEY,   /* the tenant's API key, checked here before the endpoint runs */
	API_TOKEN, /* an access or refresh token, or the cookie, that the endpoint checks */
	API_PASSWORD, /* a user's email and password, that the endpoint checks */
};

enum api_answer {
	API_LOGGED = 1, /* the log line: /v1/authorize logs its decision itself */
	/* RFC 6749 5.1, 5.2: its answers, refusals too, carry Pragma: no-cache beside no-store */
	API_TOKENS = 2,
};

struct api_route {
	const char *method; /* NULL: any */
	const char *path;   /* http_path_match pattern, relative to the mount */
	enum api_auth auth;
	unsigned answer;    /* enum api_answer bits */
	void (*run)(struct api_ctx *c);
};

static const struct api_refusal unknown_key = {
	TG_ERR_NOT_FOUND, 401, "invalid_client",
	"unknown API key (create one with `tokengatectl apikey create TENANT`)",
};

/*
 * require_https, decided before the credential is read: looking a key or
 * token up over plain HTTP would answer whether the leaked credential works.
 */
static bool
is_https_allowed(struct api_ctx *c, enum api_auth auth)
{
	struct authz_request facts;
	const char *why;

	if (auth == API_OPEN)
		return true;
	authz_request_of(c->req, &facts);
	if (authz_https_allows(c->env->cfg, &facts, &why))
		return true;
	api_error(c, 403, "invalid_request", "%s", why);
	c->reason = "https_required";
	c->note = auth == API_KEY
		? "the API key crossed the network in clear: rotate it (tokengatectl apikey create "
		  "TENANT, then apikey revoke TENANT ID)"
		: auth == API_PASSWORD
		? "a password may have crossed the network in clear (it was not read): serve the "
		  "login over HTTPS"
		: "the token crossed the network in clear: end its session (tokengatectl session "
		  "revoke TENANT SID, or DELETE /v1/sessions/SID)";
	return false;
}

/* The API key in Authorization: Bearer, its tenant and its rate limit. */
static bool
authenticate(struct api_ctx *c)
{
	unsigned char hash[TG_APIKEY_HASH_LEN];
	struct tg_apikey *a = NULL;
	const char *tok;
	size_t len;
	enum tg_err rc = http_bearer(c->req->authorization, &tok, &len);
	bool is_ok = false;

	if (rc != TG_OK) {
		api_error(c, 401, "invalid_client", rc == TG_ERR_NOT_FOUND
			  ? "this endpoint needs the tenant's API key: Authorization: Bearer <key>"
			  : "the Authorization header is not a valid Bearer credential");
		return false;
	}
	rc = apikey_hash(tok, len, hash);
	if (rc == TG_OK)
		rc = store_apikey_find(c->env->store, hash, &a);
	if (rc == TG_OK && !secret_equal(a->hash, sizeof(hash), hash, sizeof(hash)))
		rc = TG_ERR_NOT_FOUND;
	if (!api_rc_ok(c, rc, &unknown_key, "the API key lookup"))
		goto out;
	c->tenant = tg_xstrdup(a->tenant);
	c->key_id = tg_xstrdup(a->id);
	if (a->revoked || !api_tenant(c, a->tenant)) {
		api_error(c, 401, "invalid_client", "this API key is revoked or its tenant removed; "
			  "use another key of the tenant");
		goto out;
	}
	is_ok = api_rate_take(c, a->id, a->tenant);
out:
	secret_wipe(hash, sizeof(hash));
	apikey_free(a);
	return is_ok;
}

/* ------------------------------------------------------------ operators */

/*
 * The totals over every process sharing the database (base/metrics.c), for
 * the addresses in metrics_allow only: tenant names and traffic are not for
 * anyone who can reach the API.
 */
static void
metrics(struct api_ctx *c)
{
	struct tg_why why;
	char *text = NULL;

	if (!config_addrs_has(&c->env->cfg->metrics_allow, c->req->remote_addr)) {
		api_error(c, 403, "forbidden", "%s may not read the metrics: add it to "
			  "metrics_allow in tokengate.conf", c->req->remote_addr
			  ? c->req->remote_addr : "a request without REMOTE_ADDR");
		return;
	}
	if (metrics_render(&text, &why) != TG_OK) {
		api_error(c, 503, "temporarily_unavailable", "%s", why.text);
		return;
	}
	c->r->status = 200;
	http_header_add(c->r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	http_header_add(c->r, "Cache-Control", "no-store");
	c->r->body = text; /* ownership moves to the response */
	c->r->bodylen = strlen(text);
}

/* 200 while the database opens and answers; 503 with what to fix otherwise. */
static void
healthz(struct api_ctx *c)
{
	struct tg_why why;
	struct json_object *body;

	if (store_health(c->env->store, &why) != TG_OK) {
		TG_LOG(TG_LOG_ERR, "healthz: %s", why.text);
		api_error(c, 503, "temporarily_unavailable", "%s", why.text);
		return;
	}
	body = json_object_new_object();
	json_object_object_add(body, "status", json_object_new_string("ok"));
	http_set_json(c->r, 200, body);
	json_object_put(body);
}

/* ------------------------------------------------------------ routing */

static const struct api_route routes[] = {
	/* nginx auth_request: any method, since the subrequest keeps the original one. */
	{ NULL, "/v1/authorize", API_OPEN, 0, api_token_authorize },
	{ "POST", "/v1/sessions", API_KEY, API_LOGGED | API_TOKENS, api_session_issue },
	{ "GET", "/v1/sessions", API_KEY, API_LOGGED, api_session_list },
	{ "GET", "/v1/sessions/{}", API_KEY, API_LOGGED, api_session_show },
	{ "DELETE", "/v1/sessions/{}", API_KEY, API_LOGGED, api_session_end },
	{ "POST", "/v1/sessions/{}/logout", API_KEY, API_LOGGED, api_session_end },
	{ "POST", "/v1/sessions/{}/tokens", API_KEY, API_LOGGED | API_TOKENS, api_session_token },
	{ "POST", "/v1/sessions/{}/authentications", API_KEY, API_LOGGED | API_TOKENS,
	  api_session_step_up },
	{ "POST", "/v1/users/{}/logout", API_KEY, API_LOGGED, api_session_end_user },
	{ "POST", "/v1/users/logout", API_KEY, API_LOGGED, api_session_end_user },
	{ "GET", "/v1/me/sessions", API_TOKEN, API_LOGGED, api_me_sessions },
	{ "POST", "/v1/me/sessions/{}/logout", API_TOKEN, API_LOGGED, api_me_session_logout },
	{ "POST", "/v1/me/logout-others", API_TOKEN, API_LOGGED, api_me_logout_others },
	{ "POST", "/v1/token", API_TOKEN, API_LOGGED | API_TOKENS, api_session_refresh },
	{ "POST", "/v1/logout", API_TOKEN, API_LOGGED, api_token_logout },
	{ "POST", "/v1/cookie", API_TOKEN, API_LOGGED, api_token_cookie },
	{ "POST", "/v1/login", API_PASSWORD, API_LOGGED, api_login },
	{ "POST", "/v1/login/otp", API_TOKEN, API_LOGGED, api_login_otp },
	{ "POST", "/v1/introspect", API_KEY, API_LOGGED, api_token_introspect },
	{ "GET", "/v1/login", API_OPEN, API_LOGGED, api_login_page },
	{ "GET", "/v1/login/otp", API_OPEN, API_LOGGED, api_login_otp_page },
	{ "GET", "/v1/login.css", API_OPEN, 0, api_login_css },
	{ "GET", "/.well-known/jwks.json", API_OPEN, API_LOGGED, api_token_jwks },
	{ "GET", "/metrics", API_OPEN, 0, metrics },
	{ "GET", "/healthz", API_OPEN, 0, healthz },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* /v1/users/A/B/logout: a user id with "/", decoded by the web server into two segments. */
static bool
is_user_logout(const char *path)
{
	static const char prefix[] = "/v1/users/", suffix[] = "/logout";
	size_t len = path ? strlen(path) : 0;

	return len > strlen(prefix) + strlen(suffix) && strncmp(path, prefix, strlen(prefix)) == 0 &&
	       strcmp(path + len - strlen(suffix), suffix) == 0;
}

/* 405 with every method the path takes, a user id with "/" in a logout's path, or 404. */
static void
no_route(struct api_ctx *c)
{
	struct http_path_args args;
	char allow[64] = "";

	for (size_t i = 0; i < NROUTES; i++) {
		if (!routes[i].method || !http_path_match(routes[i].path, c->req->path_info, &args))
			continue;
		if (*allow)
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, routes[i].method, sizeof(allow) - strlen(allow) - 1);
	}
	if (!*allow && is_user_logout(c->req->path_info)) {
		api_session_user_slash(c);
		return;
	}
	if (!*allow) {
		api_error(c, 404, "not_found", "no such endpoint (the API routes on PATH_INFO)");
		return;
	}
	api_error(c, 405, "method_not_allowed", "this endpoint takes %s only", allow);
	http_header_add(c->r, "Allow", allow);
}

static const struct api_route *
find_route(const struct http_request *req, struct http_path_args *args)
{
	for (size_t i = 0; i < NROUTES; i++) {
		const struct api_route *rt = &routes[i];

		if (http_path_match(rt->path, req->path_info, args) &&
		    (!rt->method || (req->method && strcmp(rt->method, req->method) == 0)))
			return rt;
	}
	return NULL;
}

/*
 * One line per call, `key=value` like the authorizer's: the caller (API key
 * id, never the key), the session or user the path names, the error code
 * answered. Refusals share the authorizer's denial rate limit.
 */
static void
log_call(const struct api_ctx *c, const struct api_route *rt, long long us)
{
	char when[TG_LOG_TIME_MAX], arg[TG_SESSION_USER_MAX + 1] = "-", *line;
	const struct http_path_args *a = c->args;
	bool is_user = rt && strncmp(rt->path, "/v1/users/{}", 12) == 0;
	int status = c->r->status;

	/* The path's id, quotable like the authorizer's subject: it is the caller's text. */
	if (rt && a->n > 0 && !c->sid && a->v[0].len < sizeof(arg)) {
		memcpy(arg, a->v[0].p, a->v[0].len);
		arg[a->v[0].len] = '\0';
		for (char *p = arg; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '"')
				*p = '?';
	}
	line = tg_xasprintf("time=%s api=\"%s %s\" decision=%s status=%d tenant=%s key=%s %s=%s "
			    "reason=%s latency_us=%lld%s%s", log_time(when),
			    c->req->method ? c->req->method : "-", rt ? rt->path : "(no route)",
			    status < 400 ? "allow" : "refuse", status, c->tenant ? c->tenant : "-",
			    c->key_id ? c->key_id : "-", is_user ? "sub" : "sid", c->sid ? c->sid : arg,
			    c->reason ? c->reason : c->error ? c->error : "-", us,
			    c->note ? ": " : "", c->note ? c->note : "");
	if (status < 400)
		TG_LOG(TG_LOG_INFO, "%s", line);
	else
		tg_log_denial(status >= 500 ? TG_LOG_ERR : TG_LOG_INFO, (int64_t)time(NULL), __FILE__,
			      __LINE__, "%s", line);
	free(line);
}

void
api_handle(const struct api_env *env, const struct http_request *req, struct http_response *r)
{
	struct http_path_args args = { 0 };
	struct api_ctx c = { .env = env, .req = req, .args = &args, .r = r };
	const struct api_route *rt = find_route(req, &args);
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	http_response_init(r, 500);
	if (!rt)
		no_route(&c);
	else if (is_https_allowed(&c, rt->auth) && (rt->auth != API_KEY || authenticate(&c)))
		rt->run(&c);
	/* Cache-Control: no-store is on every JSON answer already (http_set_json). */
	if (rt && (rt->answer & API_TOKENS))
		http_header_add(r, "Pragma", "no-cache");
	if (!rt || (rt->answer & API_LOGGED))
		log_call(&c, rt, log_elapsed_us(&start));
	free(c.tenant);
	free(c.key_id);
	free(c.sid);
}
