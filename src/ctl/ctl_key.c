/*
 * `tokengatectl key ...`: importing a tenant's verification keys (HMAC secret
 * files byte for byte, PEM, JWK, JWKS all-or-nothing), listing, retiring and
 * removing them. Keys are parsed by keys.c only; file bytes are wiped here.
 */
#include "ctl/ctl.h"

#include "base/json_strict.h"
#include "join/jwks_apply.h"
#include "jose/keys.h"
#include "store/store.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_key[] =
	"usage: tokengatectl [--db DIR] key SUBCOMMAND ...\n"
	"\n"
	"  add TENANT KID --alg ALG (--secret-file F [--strip-newline] | --pem F | --jwk F |\n"
	"                           --cert F [--force])\n"
	"  import-jwks TENANT FILE [--alg ALG] [--sync]\n"
	"                           add a JWKS's signature keys, one line per kid\n"
	"  list TENANT [--json]\n"
	"  retire TENANT KID         stop verifying with the key; it stays listed\n"
	"  remove TENANT KID         delete the key\n";

static const char usage_add[] =
	"usage: tokengatectl [--db DIR] key add TENANT KID --alg ALG (--secret-file F "
	"[--strip-newline] | --pem F | --jwk F | --cert F [--force])\n"
	"\n"
	"  --alg ALG          the one algorithm the key serves: HS256 HS384 HS512 RS256 RS384\n"
	"                     RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519 (the\n"
	"                     last two: one Ed25519 key, tokens may name either; optional\n"
	"                     with --jwk when the JWK names its alg)\n"
	"  --secret-file F    HMAC secret: the file's exact bytes, a trailing newline included\n"
	"                     (with a warning: `echo secret > F` adds one)\n"
	"  --strip-newline    leave out one trailing newline (LF or CRLF) of --secret-file\n"
	"  --pem F            PEM public key (SPKI or PKCS#1); a private key's public half is kept\n"
	"  --jwk F            one JWK (RFC 7517) as a JSON file (a whole JWKS: import-jwks)\n"
	"  --cert F           X.509 certificate, PEM or DER: its public key is kept, with its\n"
	"                     subject and notAfter (shown by `key list`)\n"
	"  --force            with --cert: take the key of an expired certificate\n"
	"\n"
	"Weak keys are refused: RSA under 2048 bits, HMAC secrets shorter than the hash.\n";

static const char usage_import[] =
	"usage: tokengatectl [--db DIR] key import-jwks TENANT FILE [--alg ALG] [--sync]\n"
	"\n"
	"FILE is a JWK Set ({\"keys\": [...]}). Keys for another use (\"enc\") or with an alg\n"
	"off the allowlist are skipped; new kids are added, kids already holding the same key\n"
	"are unchanged, a kid holding another key fails and is left as stored. One line per kid.\n"
	"\n"
	"  --alg ALG   the algorithm of keys that name none (Entra ID publishes them so)\n"
	"  --sync      also retire the tenant's keys imported from a file that the set no\n"
	"              longer holds (keys added by hand stay); all or nothing, one transaction\n"
	"\n"
	"Exit 1 when a key failed; the others are imported.\n";

static const char usage_list[] = "usage: tokengatectl [--db DIR] key list TENANT [--json]\n";

static const char usage_retire[] =
	"usage: tokengatectl [--db DIR] key retire TENANT KID\n"
	"\n"
	"A retired key no longer verifies tokens but stays listed until removed.\n";

static const char usage_remove[] = "usage: tokengatectl [--db DIR] key remove TENANT KID\n";

enum { OPT_ALG, OPT_SECRET_FILE, OPT_STRIP_NEWLINE, OPT_PEM, OPT_JWK, OPT_CERT, OPT_FORCE };

static const struct ctl_opt add_opts[] = {
	{ "alg", true, OPT_ALG },
	{ "secret-file", true, OPT_SECRET_FILE },
	{ "strip-newline", false, OPT_STRIP_NEWLINE },
	{ "pem", true, OPT_PEM },
	{ "jwk", true, OPT_JWK },
	{ "cert", true, OPT_CERT },
	{ "force", false, OPT_FORCE },
	{ NULL, false, 0 },
};

static int
read_input(const char *path, struct tg_secret *out)
{
	struct tg_why why;
	enum tg_err err = ctl_read_file(path, CTL_FILE_CAP, out, &why);

	if (err == TG_ERR_TOO_LARGE)
		return ctl_fail(CTL_EXIT_REJECTED, "%s is larger than %d bytes; it is not a key file",
				path, CTL_FILE_CAP);
	if (err != TG_OK)
		return ctl_fail(CTL_EXIT_USAGE, "cannot read %s: %s", path, why.text);
	return CTL_EXIT_OK;
}

static int
parse_json(const char *path, const struct tg_secret *bytes, struct json_object **out)
{
	struct tg_why why;
	enum tg_err rc = json_strict_parse_no_nul((const char *)bytes->p, bytes->len, out, &why);

	/* A kid or alg with a NUL inside would be compared cut short. */
	if (rc == TG_ERR_UNSUPPORTED)
		return ctl_fail(CTL_EXIT_REJECTED, "%s is refused: %s (NUL)", path, why.text);
	if (rc != TG_OK)
		return ctl_fail(CTL_EXIT_REJECTED, "%s is not valid JSON: %s", path, why.text);
	return CTL_EXIT_OK;
}

/* Verification needs only the public half, so a private key given by mistake is not stored. */
static enum tg_err
keep_public_half(struct tg_key **k, const char *path, struct tg_why *why)
{
	struct tg_key *pub = NULL;
	enum tg_err err;

	err = keys_public_half(*k, &pub);
	if (err != TG_OK)
		return tg_fail(why, err, "the key's public half could not be extracted");
	fprintf(stderr, "tokengatectl: note: %s holds a private key; only its public half is "
		"stored\n", path);
	key_free(*k);
	*k = pub;
	return TG_OK;
}

/*
 * How many of the secret's bytes are the key: a trailing newline is almost
 * always an editor's or echo's, and kept silently it makes every token
 * bad_signature, so it is either left out (--strip-newline) or warned about.
 */
static size_t
secret_len(const struct ctl_args *a, const char *path, const struct tg_secret *bytes)
{
	size_t nl = 0;

	if (bytes->len > 0 && bytes->p[bytes->len - 1] == '\n')
		nl = bytes->len > 1 && bytes->p[bytes->len - 2] == '\r' ? 2 : 1;
	if (nl && ctl_has(a, OPT_STRIP_NEWLINE))
		return bytes->len - nl;
	if (nl)
		fprintf(stderr, "tokengatectl: warning: %s ends in a newline, which is kept as part of "
			"the secret; if the issuer signs without it every token is bad_signature: "
			"remove the key and add it again with --strip-newline\n", path);
	return bytes->len;
}

static bool
is_jwk_set(const struct json_object *o)
{
	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "keys", NULL) &&
	       !json_object_object_get_ex(o, "kty", NULL);
}

/*
 * The key of a certificate: an expired one is refused unless forced, since its
 * issuer no longer vouches for it (a provider's rotation usually left it).
 */
static enum tg_err
cert_key(const char *kid, enum tg_alg alg, const struct tg_secret *bytes, bool is_forced,
	 struct tg_key **out, struct tg_why *why)
{
	struct tg_cert *c = NULL;
	char when[32];
	enum tg_err err = cert_parse(bytes->p, bytes->len, &c, why);

	if (err != TG_OK)
		return err;
	if (strlen(c->subject) > TG_KEYREC_STR_MAX) {
		err = tg_fail(why, TG_ERR_INVALID, "the certificate's subject is longer than %d "
			      "characters", TG_KEYREC_STR_MAX);
	} else if (c->not_after < (int64_t)time(NULL) && !is_forced) {
		ctl_format_time(c->not_after, when, sizeof(when));
		err = tg_fail(why, TG_ERR_INVALID, "the certificate (subject \"%s\") expired at %s; "
			      "give its current certificate, or add --force to take this key "
			      "anyway", c->subject, when);
	} else {
		err = keys_from_cert(kid, alg, c, out, why);
	}
	cert_free(c);
	return err;
}

/* Turns the one key source given into a checked key; 0 or an exit code. */
static int
load_key(const struct ctl_args *a, const char *kid, enum tg_alg alg, struct tg_key **out)
{
	const char *src = ctl_last(a, OPT_SECRET_FILE);
	struct tg_why why;
	struct tg_secret bytes = { 0 };
	struct json_object *jwk = NULL;
	enum tg_err err = TG_OK;
	int rc;

	if (!src)
		src = ctl_last(a, OPT_PEM);
	if (!src)
		src = ctl_last(a, OPT_JWK);
	if (!src)
		src = ctl_last(a, OPT_CERT);
	rc = read_input(src, &bytes);
	if (rc != CTL_EXIT_OK)
		goto out;
	if (ctl_has(a, OPT_SECRET_FILE)) {
		err = keys_from_secret(kid, alg, bytes.p, secret_len(a, src, &bytes), out, &why);
	} else if (ctl_has(a, OPT_PEM)) {
		err = keys_from_pem(kid, alg, (const char *)bytes.p, bytes.len, out, &why);
	} else if (ctl_has(a, OPT_CERT)) {
		err = cert_key(kid, alg, &bytes, ctl_has(a, OPT_FORCE), out, &why);
	} else {
		rc = parse_json(src, &bytes, &jwk);
		if (rc != CTL_EXIT_OK)
			goto out;
		if (is_jwk_set(jwk)) {
			rc = ctl_fail(CTL_EXIT_REJECTED, "%s is a JWK Set (\"keys\"), not one JWK: "
				      "import it with `tokengatectl key import-jwks TENANT %s`", src,
				      src);
			goto out;
		}
		err = keys_from_jwk(kid, alg, jwk, true, out, &why);
	}
	if (err == TG_OK && (*out)->is_private) {
		err = keep_public_half(out, src, &why);
		if (err != TG_OK) {
			key_free(*out);
			*out = NULL;
		}
	}
	if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "key %s from %s refused: %s", kid, src, why.text);
out:
	json_object_put(jwk);
	secret_free(&bytes);
	return rc;
}

static enum tg_err
store_key(struct tg_store *s, const char *tenant, const struct tg_key *k)
{
	struct tg_key_record rec = { 0 };
	enum tg_err err;

	err = keys_export(k, &rec.material);
	if (err != TG_OK)
		return err;
	rec.tenant = tg_xstrdup(tenant);
	rec.kid = tg_xstrdup(k->kid);
	rec.alg = k->alg;
	rec.state = TG_KEY_ACTIVE;
	rec.use = TG_KEY_USE_VERIFY;
	rec.created = (int64_t)time(NULL);
	/* A certificate without a subject (RFC 5280 4.1.2.6 allows it) still has a key. */
	if (k->cert_subject && k->cert_subject[0]) {
		rec.cert_subject = k->cert_subject;
		rec.cert_not_after = k->cert_not_after;
	}
	err = store_key_add(s, &rec);
	free(rec.tenant);
	free(rec.kid);
	secret_free(&rec.material);
	return err;
}

static int
key_exists(const char *tenant, const char *kid)
{
	return ctl_fail(CTL_EXIT_REJECTED,
			"tenant %s already has a key %s (remove it first with `tokengatectl key "
			"remove %s %s`, or choose another kid)", tenant, kid, tenant, kid);
}

static int
cmd_add(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_key *k = NULL;
	enum tg_alg alg = TG_ALG_INVALID;
	struct tg_store *s;
	const char *tenant, *kid;
	enum tg_err err;
	int rc, nsrc;

	rc = ctl_parse(c, argc, argv, add_opts, 2, usage_add, &a);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	tenant = a.pos[0];
	kid = a.pos[1];
	nsrc = ctl_has(&a, OPT_SECRET_FILE) + ctl_has(&a, OPT_PEM) + ctl_has(&a, OPT_JWK) +
	       ctl_has(&a, OPT_CERT);
	if (nsrc != 1) {
		rc = ctl_usage_error(usage_add,
				     "give exactly one of --secret-file, --pem, --jwk and --cert");
		goto out;
	}
	if (ctl_has(&a, OPT_FORCE) && !ctl_has(&a, OPT_CERT)) {
		rc = ctl_usage_error(usage_add, "--force goes with --cert only");
		goto out;
	}
	if (ctl_has(&a, OPT_STRIP_NEWLINE) && !ctl_has(&a, OPT_SECRET_FILE)) {
		rc = ctl_usage_error(usage_add, "--strip-newline goes with --secret-file only");
		goto out;
	}
	if (strlen(kid) == 0 || strlen(kid) > TG_KID_MAX) {
		rc = ctl_usage_error(usage_add, "KID must be 1 to %d characters", TG_KID_MAX);
		goto out;
	}
	if (ctl_has(&a, OPT_ALG))
		rc = ctl_alg(usage_add, ctl_last(&a, OPT_ALG), &alg);
	else if (!ctl_has(&a, OPT_JWK))
		rc = ctl_usage_error(usage_add, "--alg is required: each key serves one algorithm");
	/* The key file first: run as root, opening the store switches to its owner's user. */
	if (rc == CTL_EXIT_OK)
		rc = load_key(&a, kid, alg, &k);
	if (rc == CTL_EXIT_OK)
		rc = ctl_open_tenant(c, tenant, &s, NULL);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = store_key(s, tenant, k);
	if (err == TG_ERR_EXISTS)
		rc = key_exists(tenant, kid);
	else if (err == TG_ERR_NOT_FOUND)
		rc = ctl_tenant_not_found(tenant);
	else if (err != TG_OK)
		rc = ctl_fail(ctl_exit_for(err), "cannot add key %s: %s", kid, tg_err_str(err));
	else
		printf("key %s (%s) added to tenant %s\n", kid, alg_name(k->alg), tenant);
out:
	key_free(k);
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- import-jwks */

enum { OPT_IMPORT_ALG, OPT_SYNC };

static const struct ctl_opt import_opts[] = {
	{ "alg", true, OPT_IMPORT_ALG },
	{ "sync", false, OPT_SYNC },
	{ NULL, false, 0 },
};

/* The source a file's keys are recorded under; a fetched set's is its jwks_uri. */
static const char jwks_file_source[] = "file";

static int
import_report(const char *tenant, const char *path, const struct jwks_report *r, enum tg_err err,
	      const struct tg_why *why)
{
	for (size_t i = 0; i < r->n; i++)
		printf("%s\n", r->lines[i]);
	if (err != TG_OK)
		return ctl_fail(ctl_exit_for(err), "%s: %s", path, why->text);
	printf("tenant %s: %zu added, %zu unchanged, %zu retired, %zu skipped, %zu failed\n", tenant,
	       r->added, r->unchanged, r->retired, r->skipped, r->failed);
	if (r->failed > 0)
		return ctl_fail(CTL_EXIT_REJECTED, "%zu key%s of %s could not be imported (the "
				"\"failed\" lines say why); the others were", r->failed,
				r->failed == 1 ? "" : "s", path);
	return CTL_EXIT_OK;
}

static int
cmd_import(struct ctl *c, int argc, char **argv)
{
	struct ctl_args a = { 0 };
	struct tg_secret bytes = { 0 };
	struct jwks_report report = { 0 };
	enum tg_alg alg = TG_ALG_INVALID;
	struct tg_store *s;
	struct tg_why why;
	enum tg_err err;
	int rc;

	rc = ctl_begin_tenant_cmd(c, argc, argv, import_opts, 2, usage_import, &a, &s, NULL);
	if (rc != CTL_EXIT_OK || a.wants_help)
		goto out;
	if (ctl_has(&a, OPT_IMPORT_ALG))
		rc = ctl_alg(usage_import, ctl_last(&a, OPT_IMPORT_ALG), &alg);
	if (rc == CTL_EXIT_OK)
		rc = read_input(a.pos[1], &bytes);
	if (rc != CTL_EXIT_OK)
		goto out;
	err = jwks_apply(s, a.pos[0], (const char *)bytes.p, bytes.len, jwks_file_source, alg,
			 ctl_has(&a, OPT_SYNC), &report, &why);
	rc = import_report(a.pos[0], a.pos[1], &report, err, &why);
out:
	jwks_report_fini(&report);
	secret_free(&bytes);
	ctl_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- list, retire, remove */

static enum tg_err
list_load(struct tg_store *s, const char *tenant, struct ctl_records *out)
{
	struct tg_key_record **v = NULL;
	enum tg_err err = store_key_list(s, tenant, &v, &out->n);

	out->v = v;
	return err;
}

static struct json_object *
list_json(const struct ctl_records *r, size_t i)
{
	return keyrec_to_json_public(((struct tg_key_record *const *)r->v)[i]);
}

static void
list_text(const char *tenant, const struct ctl_records *r)
{
	struct tg_key_record *const *v = r->v;
	struct ctl_table tab;

	if (r->n == 0) {
		printf("tenant %s has no keys (add one with `tokengatectl key add`)\n", tenant);
		return;
	}
	ctl_table_init(&tab, 8);
	ctl_table_row(&tab, "KID", "ALG", "STATE", "USE", "CREATED", "SOURCE", "CERT NOT AFTER",
		      "CERT SUBJECT");
	for (size_t i = 0; i < r->n; i++) {
		char created[32], not_after[32];

		ctl_format_time(v[i]->created, created, sizeof(created));
		ctl_format_time(v[i]->cert_not_after, not_after, sizeof(not_after));
		/* NULL cells print as "-". */
		ctl_table_row(&tab, v[i]->kid, alg_name(v[i]->alg), keyrec_state_name(v[i]->state),
			      v[i]->use == TG_KEY_USE_SIGN ? "sign" : "verify", created,
			      v[i]->source, v[i]->cert_subject ? not_after : NULL,
			      v[i]->cert_subject);
	}
	ctl_table_print(&tab);
	ctl_table_fini(&tab);
}

static void
list_free(struct ctl_records *r)
{
	keyrec_list_free(r->v, r->n);
}

static const struct ctl_list list = {
	.usage = usage_list,
	.what = "keys",
	.is_per_tenant = true,
	.load = list_load,
	.to_json = list_json,
	.print_text = list_text,
	.free = list_free,
};

static enum tg_err
retire_key(struct tg_store *s, const char *tenant, const char *kid)
{
	return store_key_set_state(s, tenant, kid, TG_KEY_RETIRED);
}

static const struct ctl_change retire = {
	.usage = usage_retire,
	.what = "key",
	.group = "key",
	.verb = "change",
	.done = "retired: it no longer verifies tokens",
	.apply = retire_key,
};

static const struct ctl_change removal = {
	.usage = usage_remove,
	.what = "key",
	.group = "key",
	.verb = "change",
	.done = "removed",
	.apply = store_key_remove,
};

static const struct ctl_sub subs[] = {
	{ "add", .run = cmd_add },
	{ "import-jwks", .run = cmd_import },
	{ "list", .list = &list },
	{ "retire", .change = &retire },
	{ "remove", .change = &removal },
	{ .name = NULL },
};

const struct ctl_group ctl_key_group = { usage_key, subs };
