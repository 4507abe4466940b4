/*
 * trivial_authz: an always-allow FastCGI authorizer over libfcgi. It is the architectural
 * ceiling for tests/bench/authz-bench and the stand-in that proves web-server facts in
 * tests/integration. As a responder it also plays the protected app for nginx tests, echoing
 * the TOKENGATE_* parameters it was given. It never reads a token and must never be installed.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

/*
 * Three fixed tokens ask for a refusal, so tests can see what a server does with an
 * authorizer's 400, 401 and 403 (status, body, WWW-Authenticate) without the real gateway.
 */
#define DENY_400 "Bearer deny-400"
#define DENY_401 "Bearer deny-401"
#define DENY_403 "Bearer deny-403"

#define MAX_THREADS 64

static const char *
param(FCGX_Request *rq, const char *name, const char *dflt)
{
	const char *v = FCGX_GetParam(name, rq->envp);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

/* The reason phrase matters: Apache shows "401 Unknown Reason" for a bare "Status: 401". */
static void
refuse(FCGX_Request *rq, const char *status, const char *error)
{
	FCGX_FPrintF(rq->out,
		"Status: %s\r\n"
		"WWW-Authenticate: Bearer realm=\"trivial\", error=\"%s\", "
		"error_description=\"trivial refusal\"\r\n"
		"Content-Type: application/json\r\n"
		"Cache-Control: no-store\r\n"
		"\r\n"
		"{\"error\":\"%s\",\"error_description\":\"trivial refusal\"}\n",
		status, error, error);
}

/*
 * The probe values (CLAIM_AUTH, CLAIM_HTTPS, CLAIM_PINNED) let tests see what the server
 * handed the authorizer. A pinned tenant is not repeated as a Variable: the server already
 * gives it to the app, and lighttpd would join the two copies into "acme, acme".
 */
static void
allow_authorizer(FCGX_Request *rq, const char *auth)
{
	const char *pinned = FCGX_GetParam("TOKENGATE_TENANT", rq->envp);

	FCGX_FPrintF(rq->out, "Status: 200 OK\r\nVariable-TOKENGATE_SUB: trivial-user\r\n");
	if (pinned == NULL)
		FCGX_FPrintF(rq->out, "Variable-TOKENGATE_TENANT: trivial\r\n");
	FCGX_FPrintF(rq->out,
		"Variable-TOKENGATE_EXP: 4102444800\r\n"
		"Variable-TOKENGATE_KID: trivial\r\n"
		"Variable-TOKENGATE_CLAIM_AUTH: %s\r\n"
		"Variable-TOKENGATE_CLAIM_HTTPS: %s\r\n"
		"Variable-TOKENGATE_CLAIM_PINNED: %s\r\n"
		"Variable-REMOTE_USER: trivial-user\r\n"
		"\r\n",
		auth != NULL ? "bearer" : "absent",
		param(rq, "HTTPS", "off"),
		pinned != NULL ? pinned : "none");
}

static void
allow_responder(FCGX_Request *rq, const char *auth)
{
	FCGX_FPrintF(rq->out,
		"Status: 200 OK\r\n"
		"X-Tokengate-Sub: trivial-user\r\n"
		"X-Tokengate-Tenant: %s\r\n"
		"X-Tokengate-Exp: 4102444800\r\n"
		"X-Tokengate-Kid: trivial\r\n"
		"X-Tokengate-Claim-Auth: %s\r\n"
		"X-Tokengate-Claim-Https: %s\r\n"
		"Content-Length: 0\r\n"
		"\r\n",
		param(rq, "TOKENGATE_TENANT", "trivial"),
		auth != NULL ? "bearer" : "absent",
		param(rq, "HTTPS", "off"));
}

static void
json_string(FCGX_Stream *out, const char *s)
{
	FCGX_PutChar('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			FCGX_FPrintF(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			FCGX_FPrintF(out, "\\u%04x", (unsigned)(unsigned char)*s);
		else
			FCGX_PutChar(*s, out);
	}
	FCGX_PutChar('"', out);
}

/* What a protected FastCGI app behind nginx saw: its TOKENGATE_* and REMOTE_USER params. */
static void
echo_app(FCGX_Request *rq)
{
	char **e;
	const char *sep = "";

	FCGX_FPrintF(rq->out, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{");
	for (e = rq->envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');

		if (eq == NULL || (strncmp(*e, "TOKENGATE_", 10) != 0 &&
				   strncmp(*e, "REMOTE_USER=", 12) != 0))
			continue;
		FCGX_FPrintF(rq->out, "%s\"%.*s\":", sep, (int)(eq - *e), *e);
		json_string(rq->out, eq + 1);
		sep = ",";
	}
	FCGX_FPrintF(rq->out, "}\n");
}

static bool
is_authorize_path(FCGX_Request *rq)
{
	const char *p = param(rq, "PATH_INFO", "");
	size_t n = strlen(p), k = strlen("/v1/authorize");

	return n >= k && strcmp(p + n - k, "/v1/authorize") == 0;
}

static void
answer(FCGX_Request *rq)
{
	const char *auth = FCGX_GetParam("HTTP_AUTHORIZATION", rq->envp);
	bool is_authorizer = strcmp(param(rq, "FCGI_ROLE", ""), "AUTHORIZER") == 0;

	if (!is_authorizer && !is_authorize_path(rq)) {
		echo_app(rq);
		return;
	}
	if (auth != NULL && strncmp(auth, "Bearer ", 7) != 0)
		auth = NULL;
	if (auth != NULL && strcmp(auth, DENY_400) == 0)
		refuse(rq, "400 Bad Request", "invalid_request");
	else if (auth != NULL && strcmp(auth, DENY_401) == 0)
		refuse(rq, "401 Unauthorized", "invalid_token");
	else if (auth != NULL && strcmp(auth, DENY_403) == 0)
		refuse(rq, "403 Forbidden", "insufficient_scope");
	else if (is_authorizer)
		allow_authorizer(rq, auth);
	else
		allow_responder(rq, auth);
}

static void *
serve(void *arg)
{
	FCGX_Request rq;

	(void)arg;
	if (FCGX_InitRequest(&rq, 0, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&rq) >= 0) {
		answer(&rq);
		FCGX_Finish_r(&rq);
	}
	return NULL;
}

/*
 * TRIVIAL_AUTHZ_THREADS=M serves M connections at once on the inherited socket, the
 * same shape as `tokengate --threads M`, so the nginx benchmark compares like with like.
 */
int
main(void)
{
	pthread_t tid[MAX_THREADS];
	const char *s = getenv("TRIVIAL_AUTHZ_THREADS");
	long n = s != NULL ? strtol(s, NULL, 10) : 1;
	long i, started = 0;
	int rc;

	if (FCGX_IsCGI()) {
		fprintf(stderr, "trivial_authz: runs only under a FastCGI server or spawn-fcgi\n");
		return 2;
	}
	if (n < 1 || n > MAX_THREADS)
		n = 1;
	if (FCGX_Init() != 0)
		return 1;
	for (i = 1; i < n; i++) {
		rc = pthread_create(&tid[started], NULL, serve, NULL);
		if (rc != 0) {
			fprintf(stderr, "trivial_authz: thread: %s\n", strerror(rc));
			break;
		}
		started++;
	}
	serve(NULL);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
