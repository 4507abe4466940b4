/*
 * `tokengatectl verify` and `tokengatectl token sign`: the CLI's way into the
 * one verification path (verify_token over a keyring) and a developer aid that
 * mints a token the way a tenant's backend would. Tokens and key bytes are
 * wiped after use; a hostile token only ever yields "rejected: reason".
 */
#include "jose/claims.h"
#include "ctl/ctl.h"

#include "base/json_strict.h"
#include "base/secret.h"
#include "join/keyring_sync.h"
#include "jose/jws.h"
#include "jose/keyring.h"
#include "jose/keys.h"
#include "store/store.h"
#include "jose/verify.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_verify[] =
	"usage: tokengatectl [--db DIR] verify TENANT TOKEN\n"
	"\n"
	"Checks TOKEN (\"-\" reads it from stdin) against TENANT's keys and policy.\n"
	"Valid: prints the claims as JSON, exit 0. Refused: prints\n"
	"\"rejected: <reason>: <why>\", exit 1.\n";

static const char usage_token[] =
	"usage: tokengatectl [--db DIR] token sign TENANT --kid KID --sub USER --key-file F\n"
	"                    [--ttl S] [--claim NAME=VALUE ...] [--alg ALG] [--typ TYP]\n";

static const char usage_sign[] =
	"usage: tokengatectl [--db DIR] token sign TENANT --kid KID --sub USER --key-file F\n"
	"                    [--ttl S] [--claim NAME=VALUE ...] [--alg ALG] [--typ TYP]\n"
	"\n"
	"Mints a token the way a tenant's backend would (a developer aid).\n"
	"  --kid KID        key id put in the header; the tenant's key KID gives the alg\n"
	"  --alg ALG        sign with ALG instead of the stored key's alg\n"
	"  --typ TYP        the header's typ (default JWT; at+jwt for a tenant that requires it)\n"
	"  --sub USER       the subject\n"
	"  --key-file F     HS*: the secret file (its exact bytes); others: a PEM private key\n"
	"  --ttl S          seconds until exp (default: 60, or less when the tenant's\n"
	"                   max lifetime is shorter; negative mints an expired token)\n"
	"  --claim N=V      extra claim; V is used as JSON when it parses as JSON, else as a\n"
	"                   string. Registered claims and scope go at the top level, others\n"
	"                   inside the tenant's claims namespace when it has one. Repeatable.\n"
	"iss and aud come from the tenant's issuer and audience when set.\n";

enum { OPT_KID, OPT_SUB, OPT_TTL, OPT_CLAIM, OPT_KEY_FILE, OPT_ALG, OPT_TYP };

static const struct ctl_opt sign_opts[] = {
	{ "kid", true, OPT_KID },
	{ "sub", true, OPT_SUB },
	{ "ttl", true, OPT_TTL },
	{ "claim", true, OPT_CLAIM },
	{ "key-file", true, OPT_KEY_FILE },
	{ "alg", true, OPT_ALG },
	{ "typ", true, OPT_TYP },
	{ NULL, false, 0 },
};

#define TTL_LIMIT 31536000 /* a year either way; enough for any test or demo */

/* ---------------------------------------------------------------- verify */

/* An oversized token is a rejection like any other, never a read error. */
static int
read_token(const char *arg, struct tg_secret *tok, bool *is_too_large)
{
	struct tg_why why;
	enum tg_err err;

	*is_too_large = false;
	if (strcmp(arg, "-") != 0) {
		secret_set(tok, arg, strlen(arg));
		return CTL_EXIT_OK;
	}
	err = ctl_read_file("-", CTL_FILE_CAP, tok, &why);
	if (err == TG_ERR_TOO_LARGE) {
		*is_too_large = true;
		return CTL_EXIT_OK;
	}
	if (err != TG_OK)
		return ctl_fail(CTL_EXIT_USAGE, "cannot read the token from stdin: %s", why.text);
	/* echo and here-strings add a line end that is not part of the token. */
	if (tok->len > 0 && tok->p[tok->len - 1] == '\n')
		tok->len--;
	if (tok->len > 0 && tok->p[tok->len - 1] == '\r')
		tok->len--;
	return CTL_EXIT_OK;
}

/*
 * The gateway's one verification path over the database's tenants and keys as
 * they are now. TG_ERR_REJECTED with the verdict; a keyring that cannot be
 * loaded is TG_ERR_IO after a message.
 */
static enum tg_err
verify_now(struct tg_store *s, const char *tenant, const char *tok, size_t len,
	   struct tg_verified **res, struct tg_verdict *verdict)
{
	struct keyring *kr = keyring_new();
	enum tg_err err = keyring_sync(kr, s, NULL);

	if (err != TG_OK) {
		ctl_fail(CTL_EXIT_USAGE, "cannot load tenants and keys from the database: %s",
			 tg_err_str(err));
		err = TG_ERR_IO;
		goto out;
	}
	err = verify_token(kr, tenant, tok, len, (int64_t)time(NULL), res, verdict);
out:
	keyring_free(kr);
	return err;
}

static int
verify_with(struct tg_store *s, const char *tenant, const struct tg_secret *tok)
{
	struct tg_verified *res = NULL;
	struct tg_verdict verdict = { 0 };
	enum tg_err err;
	int rc;

	err = verify_now(s, tenant, (const char *)tok->p, tok->len, &res, &verdict);
	if (err == TG_ERR_IO) {
		rc = CTL_EXIT_USAGE;
	} else if (err == TG_OK) {
		ctl_print_json(json_object_get(res->claims));
		rc = CTL_EXIT_OK;
	} else if (err == TG_ERR_REJECTED) {
		printf("rejected: %s: %s\n", tg_reason_code(verdict.reason), verdict.why);
		rc = CTL_EXIT_REJECTED;
	} else {
		rc = ctl_fail(ctl_exit_for(err), "cannot verify the token: %s", tg_err_str(err));
	}
	verified_free(res);
	return rc;
}

int
ctl_cmd_verify(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_secret tok = { 0 };
	struct tg_store *s;
	bool is_too_large;
	int rc;

	rc = ctl_begin_store_cmd(c, argc, argv, ctl_no_opts, 2, usage_verify, &a, &s);
	if (rc == CTL_EXIT_OK && !a.wants_help)
		rc = read_token(a.pos[1], &tok, &is_too_large);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	if (is_too_large) {
		printf("rejected: %s: the token is longer than %d bytes\n",
		       tg_reason_code(TG_R_TOO_LARGE), TG_JWS_MAX_LEN);
		rc = CTL_EXIT_REJECTED;
		goto out;
	}
	rc = verify_with(s, a.pos[0], &tok);
out:
	secret_free(&tok);
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- token sign */


static struct json_object *
claim_value(const char *v)
{
	struct json_object *o = NULL;

	if (json_strict_parse(v, strlen(v), &o, NULL) == TG_OK)
		return o;
	return json_object_new_string(v);
}

static int
add_claims(struct json_object *payload, const struct tg_tenant *t, const struct ctl_args *a)
{
	struct json_object *ns = NULL;

	for (size_t i = 0; i < a->nopts; i++) {
		const char *arg = a->opts[i].value, *eq;
		char *name;

		if (a->opts[i].id != OPT_CLAIM)
			continue;
		eq = strchr(arg, '=');
		if (!eq || eq == arg)
			return ctl_usage_error(usage_sign, "--claim wants NAME=VALUE, not \"%s\"", arg);
		name = tg_xstrndup(arg, (size_t)(eq - arg));
		if (!t->claims_ns || claims_is_top_level(name)) {
			json_object_object_add(payload, name, claim_value(eq + 1));
		} else {
			if (!ns) {
				ns = json_object_new_object();
				json_object_object_add(payload, t->claims_ns, ns);
			}
			json_object_object_add(ns, name, claim_value(eq + 1));
		}
		free(name);
	}
	return CTL_EXIT_OK;
}

static int
build_payload(const struct tg_tenant *t, const struct ctl_args *a, int64_t ttl,
	      struct json_object **out)
{
	struct json_object *p = json_object_new_object();
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (t->issuer)
		json_object_object_add(p, "iss", json_object_new_string(t->issuer));
	if (t->audience)
		json_object_object_add(p, "aud", json_object_new_string(t->audience));
	json_object_object_add(p, "sub", json_object_new_string(ctl_last(a, OPT_SUB)));
	json_object_object_add(p, "iat", json_object_new_int64(now));
	json_object_object_add(p, "exp", json_object_new_int64(now + ttl));
	rc = add_claims(p, t, a);
	if (rc != CTL_EXIT_OK) {
		json_object_put(p);
		return rc;
	}
	*out = p;
	return CTL_EXIT_OK;
}

/* The stored key KID names the algorithm unless --alg overrides it. */
static int
signing_alg(struct tg_store *s, const struct ctl_args *a, const char *tenant, enum tg_alg *alg)
{
	struct tg_key_record *rec = NULL;
	const char *kid = ctl_last(a, OPT_KID);
	enum tg_err err;

	if (ctl_has(a, OPT_ALG))
		return ctl_alg(usage_sign, ctl_last(a, OPT_ALG), alg);
	err = store_key_get(s, tenant, kid, &rec);
	if (err == TG_ERR_NOT_FOUND)
		return ctl_fail(CTL_EXIT_REJECTED, "tenant %s has no key %s to take the algorithm "
				"from: add it with `tokengatectl key add`, or pass --alg ALG",
				tenant, kid);
	if (err != TG_OK)
		return ctl_fail(ctl_exit_for(err), "cannot read key %s: %s", kid, tg_err_str(err));
	*alg = rec->alg;
	keyrec_free(rec);
	return CTL_EXIT_OK;
}

static int
load_signing_key(const struct ctl_args *a, enum tg_alg alg, struct tg_key **out)
{
	const char *path = ctl_last(a, OPT_KEY_FILE), *kid = ctl_last(a, OPT_KID);
	struct tg_why why;
	struct tg_secret bytes = { 0 };
	enum tg_err err;
	int rc = CTL_EXIT_OK;

	err = ctl_read_file(path, CTL_FILE_CAP, &bytes, &why);
	if (err == TG_ERR_TOO_LARGE)
		tg_fail(&why, err, "the file is too large to be a key");
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot read %s: %s", path, why.text);
		goto out;
	}
	if (alg_family(alg) == TG_FAMILY_HMAC)
		err = keys_from_secret(kid, alg, bytes.p, bytes.len, out, &why);
	else
		err = keys_from_pem(kid, alg, (const char *)bytes.p, bytes.len, out, &why);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "key in %s refused for %s: %s", path,
			      alg_name(alg), why.text);
		goto out;
	}
	if (alg_family(alg) != TG_FAMILY_HMAC && !(*out)->is_private) {
		key_free(*out);
		*out = NULL;
		rc = ctl_fail(CTL_EXIT_REJECTED, "%s holds a public key; signing needs the private "
			      "key", path);
	}
out:
	secret_free(&bytes);
	return rc;
}

static int
sign_options(const struct ctl_args *a, const struct tg_tenant *t, int64_t *ttl)
{
	const char *v = ctl_last(a, OPT_TTL);

	*ttl = t->max_lifetime < TG_DEFAULT_MAX_LIFETIME ? t->max_lifetime
							 : TG_DEFAULT_MAX_LIFETIME;
	if (!v)
		return CTL_EXIT_OK;
	return ctl_number(usage_sign, "--ttl", v, -TTL_LIMIT, TTL_LIMIT, ttl);
}

/*
 * A token the tenant's own rules refuse (a retired or wrong key, an audience
 * or lifetime the tenant does not take) is still printed, since tests want
 * such tokens, but never silently: the same verdict the gateway would give.
 */
static void
warn_if_refused(struct tg_store *s, const char *tenant, const char *token)
{
	struct tg_verified *res = NULL;
	struct tg_verdict verdict = { 0 };

	if (verify_now(s, tenant, token, strlen(token), &res, &verdict) == TG_ERR_REJECTED)
		fprintf(stderr, "tokengatectl: warning: the gateway will refuse this token: %s: %s\n",
			tg_reason_code(verdict.reason), verdict.why);
	verified_free(res);
}

static int
cmd_sign(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_tenant *t = NULL;
	struct tg_key *k = NULL;
	struct json_object *payload = NULL;
	enum tg_alg alg = TG_ALG_INVALID;
	char *token = NULL;
	struct tg_store *s;
	enum tg_err err;
	int64_t ttl;
	int rc;

	rc = ctl_parse(c, argc, argv, sign_opts, 1, usage_sign, &a);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	if (!ctl_last(&a, OPT_KID) || !ctl_last(&a, OPT_SUB) || !ctl_last(&a, OPT_KEY_FILE)) {
		rc = ctl_usage_error(usage_sign, "token sign needs --kid, --sub and --key-file");
		goto out;
	}
	if (ctl_last(&a, OPT_SUB)[0] == '\0') {
		rc = ctl_usage_error(usage_sign, "--sub must not be empty");
		goto out;
	}
	if (ctl_last(&a, OPT_TYP) && !tenant_typ_is_valid(ctl_last(&a, OPT_TYP))) {
		rc = ctl_usage_error(usage_sign, "--typ wants a media type such as at+jwt, not \"%s\"",
				     ctl_last(&a, OPT_TYP));
		goto out;
	}
	rc = ctl_open_tenant(c, a.pos[0], &s, &t);
	if (rc != CTL_EXIT_OK)
		goto out;
	rc = sign_options(&a, t, &ttl);
	if (rc == CTL_EXIT_OK)
		rc = signing_alg(s, &a, t->id, &alg);
	if (rc == CTL_EXIT_OK)
		rc = build_payload(t, &a, ttl, &payload);
	if (rc == CTL_EXIT_OK)
		rc = load_signing_key(&a, alg, &k);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = jws_sign_typed(k, ctl_last(&a, OPT_TYP) ? ctl_last(&a, OPT_TYP) : "JWT", payload,
			     &token);
	if (err != TG_OK) {
		rc = ctl_fail(ctl_exit_for(err), "cannot sign the token: %s", tg_err_str(err));
		goto out;
	}
	puts(token);
	fflush(stdout);
	warn_if_refused(s, t->id, token);
out:
	secret_free_str(token);
	json_object_put(payload);
	key_free(k);
	tenant_free(t);
	ctl_args_fini(&a);
	return rc;
}

static const struct ctl_sub subs[] = {
	{ "sign", .run = cmd_sign },
	{ .name = NULL },
};

const struct ctl_group ctl_token_group = { usage_token, subs };
