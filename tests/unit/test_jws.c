/*
 * jws.c: the RFC 7515/7520/8037 examples, sign/verify round trips for all 13
 * algorithms, and one named case per structural rule and per attack (alg
 * none, key confusion, alg/key mismatch, DER ECDSA, crit, b64, size limit).
 */
#include "base/b64url.h"
#include "jose/jws.h"

#include "../lib/hand_signed.h"
#include "../lib/tap.h"
#include "../lib/vectors.h"

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdint.h>

static struct tg_key *hs;  /* HS256, the key most structural cases are signed with */
static struct tg_key *rsa; /* RS256 */
static struct tg_key *es;  /* ES256 */

/* ---------------------------------------------------------------- helpers */

static char *
b64s(const char *s)
{
	return b64url_encode((const unsigned char *)s, strlen(s));
}

/* header.payload.HMAC-SHA256 over them with hs's secret, computed by OpenSSL directly. */
static char *
hs_token(const char *header, const char *payload)
{
	return hand_signed_hs256(&hs->secret, header, payload);
}

/* Parses then (if that passed) verifies with key; returns the reason, TG_R_NONE when accepted. */
static enum tg_reason
check_with(const char *tok, size_t len, const struct tg_key *key, struct tg_verdict *v)
{
	struct jws *j = NULL;
	enum tg_reason r = TG_R_NONE;

	memset(v, 0, sizeof(*v));
	if (jws_parse(tok, len, &j, v) != TG_OK)
		r = v->reason;
	else if (jws_verify(j, tok, key, v) != TG_OK)
		r = v->reason;
	jws_free(j);
	return r;
}

static enum tg_reason
check(const char *tok)
{
	struct tg_verdict v;

	return check_with(tok, strlen(tok), hs, &v);
}

/* check, then frees tok (owned). */
static enum tg_reason
check_owned(char *tok_owned)
{
	enum tg_reason r = check(tok_owned);

	free(tok_owned);
	return r;
}

/* A header/payload pair signed with hs, checked: the reason it got. */
static enum tg_reason
check_hs(const char *header, const char *payload)
{
	return check_owned(hs_token(header, payload));
}

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define PAY "{\"sub\":\"alice\",\"exp\":1300819380}"

static const char *
member(struct json_object *o, const char *path)
{
	char *copy = tg_xstrdup(path), *save = NULL;
	struct json_object *cur = o;

	for (char *name = strtok_r(copy, "/", &save); name && cur;
	     name = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(cur, name, &cur))
			cur = NULL;
	free(copy);
	return cur ? json_object_get_string(cur) : NULL;
}

static struct json_object *
member_obj(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	json_object_object_get_ex(o, a, &x);
	json_object_object_get_ex(x, b, &y);
	return y;
}

/* jws_verify_raw over a compact token's signing input and decoded signature. */
static enum tg_err
raw_verify(const struct tg_key *key, const char *compact)
{
	const char *dot = strrchr(compact, '.');
	unsigned char *sig = NULL;
	size_t siglen = 0;
	enum tg_err rc = TG_ERR_INVALID;

	if (dot && b64url_decode(dot + 1, strlen(dot + 1), &sig, &siglen) == TG_OK)
		rc = jws_verify_raw(key, (const unsigned char *)compact, (size_t)(dot - compact),
				    sig, siglen);
	free(sig);
	return rc;
}

/* A copy of tok whose signature segment is replaced by the encoding of sig. */
static char *
with_sig(const char *tok, const unsigned char *sig, size_t siglen)
{
	const char *dot = strrchr(tok, '.');
	char *s = b64url_encode(sig, siglen);
	char *out = tg_xasprintf("%.*s.%s", (int)(dot - tok), tok, s);

	free(s);
	return out;
}

/* tok with its signature replaced by sig, checked with key: the reason it got. */
static enum tg_reason
check_sig(const char *tok, const unsigned char *sig, size_t siglen, const struct tg_key *key)
{
	char *t = with_sig(tok, sig, siglen);
	struct tg_verdict v;
	enum tg_reason r = check_with(t, strlen(t), key, &v);

	free(t);
	return r;
}

/* ---------------------------------------------------------------- RFC examples */

static void
test_rfc7515(void)
{
	struct json_object *doc = vectors_load("vectors/rfc7515/appendix-a.json"), *vs;
	const char *a1_payload = NULL;

	json_object_object_get_ex(doc, "vectors", &vs);
	for (size_t i = 0; i < json_object_array_length(vs); i++) {
		struct json_object *e = json_object_array_get_idx(vs, i), *jwk, *is_obj;
		const char *name = member(e, "name"), *compact = member(e, "compact");
		enum tg_alg alg = TG_ALG_INVALID;
		struct tg_key *k = NULL;
		struct tg_verdict v;
		struct tg_why why;

		alg_from_name(member(e, "alg"), &alg);
		json_object_object_get_ex(e, "jwk", &jwk);
		json_object_object_get_ex(e, "payload_is_object", &is_obj);
		if (keys_from_jwk("rfc7515", alg, jwk, false, &k, &why) != TG_OK) {
			ok(0, "RFC 7515 %s: key loads (%s)", name, why.text);
			continue;
		}
		is_int(raw_verify(k, compact), TG_OK, "RFC 7515 %s: signature verifies", name);
		if (json_object_get_boolean(is_obj)) {
			is_int(check_with(compact, strlen(compact), k, &v), TG_R_NONE,
			       "RFC 7515 %s: token parses and verifies", name);
		} else {
			is_int(check_with(compact, strlen(compact), k, &v), TG_R_MALFORMED,
			       "RFC 7515 %s: non-JSON payload refused as a token", name);
		}
		if (i == 0)
			a1_payload = strchr(compact, '.') + 1;
		if (i == 0) {
			/* A.1 with its last signature byte changed: the MAC no longer matches. */
			char *bad = tg_xstrdup(compact);

			bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
			is_int(check_with(bad, strlen(bad), k, &v), TG_R_BAD_SIGNATURE,
			       "RFC 7515 A.1 with a changed MAC: bad_signature");
			free(bad);
		}
		key_free(k);
	}
	/* Appendix A.5, the unsecured JWS: {"alg":"none"} over A.1's payload, empty signature. */
	if (a1_payload) {
		char *none = tg_xasprintf("eyJhbGciOiJub25lIn0.%.*s.",
					  (int)strcspn(a1_payload, "."), a1_payload);

		is_int(check(none), TG_R_UNSUPPORTED_ALG,
		       "RFC 7515 A.5 unsecured JWS: unsupported_alg");
		free(none);
	}
	json_object_put(doc);
}

static void
test_rfc7520_8037(void)
{
	static const struct {
		const char *file;
		enum tg_alg alg;
	} f[] = {
		{ "vectors/rfc7520/4_1.rsa_v15_signature.json", TG_ALG_RS256 },
		{ "vectors/rfc7520/4_2.rsa-pss_signature.json", TG_ALG_PS384 },
		{ "vectors/rfc7520/4_3.ecdsa_signature.json", TG_ALG_ES512 },
		{ "vectors/rfc7520/4_4.hmac-sha2_integrity_protection.json", TG_ALG_HS256 },
	};
	struct json_object *ed = vectors_load("vectors/rfc8037/examples.json"), *e;
	struct tg_key *k = NULL;
	struct tg_verdict v;
	const char *compact;
	struct tg_why why;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct json_object *doc = vectors_load(f[i].file);
		const char *sec = f[i].file + strlen("vectors/rfc7520/");
		char *bad;

		compact = member(doc, "output/compact");
		if (!compact || keys_from_jwk(NULL, f[i].alg, member_obj(doc, "input", "key"), true,
					      &k, &why) != TG_OK) {
			ok(0, "RFC 7520 %s: vector and key load", sec);
			json_object_put(doc);
			continue;
		}
		is_int(raw_verify(k, compact), TG_OK, "RFC 7520 %.3s %s: signature verifies", sec,
		       alg_name(f[i].alg));
		is_int(check_with(compact, strlen(compact), k, &v), TG_R_MALFORMED,
		       "RFC 7520 %.3s: plain-text payload refused as a token", sec);
		bad = tg_xstrdup(compact);
		bad[strchr(bad, '.') - bad + 5] ^= 1; /* one payload bit */
		ok(raw_verify(k, bad) != TG_OK, "RFC 7520 %.3s: changed payload does not verify",
		   sec);
		free(bad);
		key_free(k);
		k = NULL;
		json_object_put(doc);
	}

	json_object_object_get_ex(ed, "examples", &e);
	e = json_object_array_get_idx(e, 0);
	compact = member(e, "compact");
	json_object_object_get_ex(e, "jwk", &e);
	if (keys_from_jwk("ed", TG_ALG_EDDSA, e, true, &k, &why) == TG_OK) {
		unsigned char sig[64];
		size_t siglen = sizeof(sig);
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		const char *dot = strrchr(compact, '.');
		char *b64;

		is_int(raw_verify(k, compact), TG_OK, "RFC 8037 A.4 EdDSA: signature verifies");
		/* Ed25519 is deterministic: the imported private key must give the RFC's bytes. */
		EVP_DigestSignInit(m, NULL, NULL, NULL, k->pkey);
		EVP_DigestSign(m, sig, &siglen, (const unsigned char *)compact,
			       (size_t)(dot - compact));
		b64 = b64url_encode(sig, siglen);
		is_str(b64, dot + 1,
		       "RFC 8037 A.4: signing with the JWK's d gives the RFC signature");
		free(b64);
		EVP_MD_CTX_free(m);
		is_int(check_with(compact, strlen(compact), k, &v), TG_R_MALFORMED,
		       "RFC 8037 A.4: plain-text payload refused as a token");
	} else {
		ok(0, "RFC 8037 A.4 key loads: %s", why.text);
	}
	key_free(k);
	json_object_put(ed);
}

/* ---------------------------------------------------------------- round trips */

static void
test_round_trips(void)
{
	for (int a = TG_ALG_INVALID + 1; a < TG_ALG_COUNT; a++) {
		const char *n = alg_name((enum tg_alg)a);
		struct tg_key *k = NULL, *other = NULL;
		struct json_object *p = json_object_new_object();
		struct jws *j = NULL;
		struct tg_verdict v;
		char *tok = NULL;

		json_object_object_add(p, "sub", json_object_new_string("alice/bob"));
		json_object_object_add(p, "n", json_object_new_int(7));
		if (keys_generate("kid-1", (enum tg_alg)a, &k) != TG_OK ||
		    keys_generate("kid-2", (enum tg_alg)a, &other) != TG_OK ||
		    jws_sign(k, p, &tok) != TG_OK) {
			ok(0, "%s: keys generate and sign", n);
			goto next;
		}
		is_int(jws_parse(tok, strlen(tok), &j, &v), TG_OK, "%s: signed token parses", n);
		if (!j)
			goto next;
		ok(j->alg == (enum tg_alg)a && j->kid && strcmp(j->kid, "kid-1") == 0 &&
		       strcmp(member(j->header, "typ"), "JWT") == 0 &&
		       strcmp(member(j->header, "alg"), n) == 0,
		   "%s: header carries alg, typ JWT and kid", n);
		ok(strcmp(member(j->payload, "sub"), "alice/bob") == 0, "%s: payload round trips",
		   n);
		if (alg_ecdsa_sig_len((enum tg_alg)a))
			is_int(j->siglen, alg_ecdsa_sig_len((enum tg_alg)a),
			       "%s: signature is raw R||S of fixed length", n);
		is_int(jws_verify(j, tok, k, &v), TG_OK, "%s: verifies with its key", n);
		is_int(jws_verify(j, tok, other, &v), TG_ERR_REJECTED, "%s: another key refuses it",
		       n);
		is_int(v.reason, TG_R_BAD_SIGNATURE, "%s: ... as bad_signature", n);
		{
			/* One signature character changed, still valid base64url. */
			char *bad = tg_xstrdup(tok);
			size_t sigat = (size_t)(strrchr(bad, '.') - bad);

			bad[sigat + 10] = bad[sigat + 10] == 'A' ? 'B' : 'A';
			is_int(check_with(bad, strlen(bad), k, &v), TG_R_BAD_SIGNATURE,
			       "%s: changed signature: bad_signature", n);
			free(bad);
		}
	next:
		jws_free(j);
		free(tok);
		json_object_put(p);
		key_free(k);
		key_free(other);
	}
}

/* ---------------------------------------------------------------- structure */

/* A token signed with hs whose payload segment contains both '-' and '_'. */
static char *
token_with_urlsafe_chars(void)
{
	return hs_token(HDR, "{\"sub\":\"?\?\?\?\?\?\?\?\?>>>>>>>>>\"}");
}

/* RFC 7515 7.1 and strict base64url: a flat list of named cases (hence over 80 lines). */
static void
test_structure(void)
{
	char *good = hs_token(HDR, PAY), *t;
	size_t n = strlen(good);
	struct tg_verdict v;

	is_int(check(good), TG_R_NONE, "baseline HS256 token accepted");
	is_int(check(""), TG_R_MALFORMED, "empty token: malformed");
	is_int(check_with(NULL, 0, hs, &v), TG_R_MALFORMED, "NULL token: malformed");
	is_int(check("abc"), TG_R_MALFORMED, "one segment: malformed");
	is_int(check_owned(tg_xstrndup(good, (size_t)(strrchr(good, '.') - good))), TG_R_MALFORMED,
	       "two segments: malformed");
	is_int(check_owned(tg_xasprintf("%s.", good)), TG_R_MALFORMED,
	       "four segments (trailing dot): malformed");
	is_int(check_owned(tg_xasprintf("%s.AAAA.AAAA", good)), TG_R_MALFORMED,
	       "five segments (JWE shape): malformed");
	is_int(check_owned(tg_xstrndup(good, (size_t)(strrchr(good, '.') - good) + 1)),
	       TG_R_MALFORMED, "empty signature segment: malformed");
	is_int(check_owned(tg_xasprintf(".%s", strchr(good, '.') + 1)), TG_R_MALFORMED,
	       "empty header segment: malformed");

	is_int(check_owned(tg_xasprintf("%s=", good)), TG_R_MALFORMED,
	       "'=' padding on the signature: malformed");
	{
		char *h = b64s(HDR), *p = b64s(PAY);

		/* Padded form of the header (its length is not a multiple of 4). */
		is_int(check_owned(tg_xasprintf("%s==.%s.%s", h, p, strrchr(good, '.') + 1)),
		       TG_R_MALFORMED, "'=' padding on the header: malformed");
		free(h);
		free(p);
	}
	{
		char *u = token_with_urlsafe_chars();
		char *dash = strchr(strchr(u, '.'), '-'), *under = strchr(strchr(u, '.'), '_');

		is_int(check(u), TG_R_NONE, "token with '-' and '_' in its payload accepted");
		if (dash && under) {
			*dash = '+';
			is_int(check(u), TG_R_MALFORMED,
			       "'+' (standard base64) instead of '-': malformed");
			*dash = '-';
			*under = '/';
			is_int(check(u), TG_R_MALFORMED,
			       "'/' (standard base64) instead of '_': malformed");
		} else {
			ok(0, "test token has '-' and '_' in its payload");
		}
		free(u);
	}
	is_int(check_owned(tg_xasprintf("%.*s %s", 10, good, good + 10)), TG_R_MALFORMED,
	       "space inside the header segment: malformed");
	is_int(check_owned(tg_xasprintf("%s\n", good)), TG_R_MALFORMED,
	       "trailing newline: malformed");
	is_int(check_owned(tg_xasprintf(" %s", good)), TG_R_MALFORMED, "leading space: malformed");
	t = tg_xstrdup(good);
	{
		/* 32 bytes encode to 43 characters, the last carrying 2 unused bits: set one. */
		static const char alphabet[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t idx = (size_t)(strchr(alphabet, t[n - 1]) - alphabet);

		t[n - 1] = alphabet[idx | 1];
		is_int(check(t), TG_R_MALFORMED,
		       "non-zero unused bits in the last character: malformed");
	}
	free(t);
	t = tg_xstrdup(good);
	t[n - 5] = '*';
	is_int(check(t), TG_R_MALFORMED, "character outside base64url: malformed");
	free(t);
	is_int(check_owned(tg_xasprintf("%.*s%%2E%s", (int)(strchr(good, '.') - good), good,
					strchr(good, '.') + 1)),
	       TG_R_MALFORMED, "percent-encoded dot: malformed");

	is_int(check_hs("[\"HS256\"]", PAY), TG_R_MALFORMED, "header an array: malformed");
	is_int(check_hs("\"HS256\"", PAY), TG_R_MALFORMED, "header a string: malformed");
	is_int(check_hs("null", PAY), TG_R_MALFORMED, "header null: malformed");
	is_int(check_hs("{\"alg\":\"HS256\"", PAY), TG_R_MALFORMED,
	       "header truncated JSON: malformed");
	is_int(check_hs("{\"alg\":\"HS256\"}x", PAY), TG_R_MALFORMED,
	       "data after the header: malformed");
	is_int(check_hs("{\"alg\":\"none\",\"alg\":\"HS256\"}", PAY), TG_R_MALFORMED,
	       "duplicate alg members (parser differential): malformed");
	is_int(check_hs(HDR, "[1,2]"), TG_R_MALFORMED, "payload an array: malformed");
	is_int(check_hs(HDR, "\"alice\""), TG_R_MALFORMED, "payload a string: malformed");
	is_int(check_hs(HDR, ""), TG_R_MALFORMED, "empty payload: malformed");
	is_int(check_hs(HDR, "{\"sub\":\"a\"} {}"), TG_R_MALFORMED,
	       "two payload values: malformed");
	is_int(check_hs(HDR, "{\"sub\":\"a\",}"), TG_R_MALFORMED,
	       "trailing comma in payload: malformed");
	free(good);
}

/* ---------------------------------------------------------------- header rules */

static void
test_header(void)
{
	char kid[TG_KID_MAX + 2], *h;
	char *tok;
	struct tg_verdict v;

	is_int(check_hs("{\"typ\":\"JWT\"}", PAY), TG_R_MALFORMED, "no alg: malformed");
	is_int(check_hs("{\"alg\":256}", PAY), TG_R_MALFORMED, "alg a number: malformed");
	is_int(check_hs("{\"alg\":null}", PAY), TG_R_MALFORMED, "alg null: malformed");
	is_int(check_hs("{\"alg\":[\"HS256\"]}", PAY), TG_R_MALFORMED, "alg an array: malformed");
	for (const char *const *a = (const char *const[]){ "none", "None", "NONE", "nOnE", NULL };
	     *a; a++) {
		h = tg_xasprintf("{\"alg\":\"%s\"}", *a);
		is_int(check_hs(h, PAY), TG_R_UNSUPPORTED_ALG,
		       "alg %s (with an HS256 MAC): unsupported_alg", *a);
		free(h);
	}
	is_int(check_hs("{\"alg\":\"\"}", PAY), TG_R_UNSUPPORTED_ALG, "alg empty: unsupported_alg");
	is_int(check_hs("{\"alg\":\"hs256\"}", PAY), TG_R_UNSUPPORTED_ALG,
	       "alg hs256 (wrong case): unsupported_alg");
	is_int(check_hs("{\"alg\":\"HS256 \"}", PAY), TG_R_UNSUPPORTED_ALG,
	       "alg with trailing space: unsupported_alg");
	is_int(check_hs("{\"alg\":\"HS1\"}", PAY), TG_R_UNSUPPORTED_ALG,
	       "alg HS1: unsupported_alg");
	is_int(check_hs("{\"alg\":\"RSA-OAEP\"}", PAY), TG_R_UNSUPPORTED_ALG,
	       "JWE alg RSA-OAEP: unsupported_alg");
	is_int(check_hs("{\"alg\":\"HS256\\u0000\"}", PAY), TG_R_MALFORMED,
	       "alg with an embedded NUL: malformed (not read as HS256)");
	tok = hs_token("{\"alg\":\"<script>evil</script>\"}", PAY);
	check_with(tok, strlen(tok), hs, &v);
	ok(strstr(v.why, "evil") == NULL && strstr(v.why, "script") == NULL,
	   "unsupported alg sentence does not echo the alg: %s", v.why);
	free(tok);

	is_int(check_hs("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", PAY), TG_R_UNSUPPORTED_HEADER,
	       "crit [exp]: unsupported_header");
	is_int(check_hs("{\"alg\":\"HS256\",\"crit\":[]}", PAY), TG_R_UNSUPPORTED_HEADER,
	       "crit empty: unsupported_header");
	is_int(check_hs("{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}", PAY),
	       TG_R_UNSUPPORTED_HEADER, "b64 false with crit (RFC 7797): unsupported_header");
	is_int(check_hs("{\"alg\":\"HS256\",\"b64\":false}", PAY), TG_R_UNSUPPORTED_HEADER,
	       "b64 false: unsupported_header");
	is_int(check_hs("{\"alg\":\"HS256\",\"b64\":\"true\"}", PAY), TG_R_UNSUPPORTED_HEADER,
	       "b64 the string \"true\": unsupported_header");
	is_int(check_hs("{\"alg\":\"HS256\",\"b64\":true}", PAY), TG_R_NONE, "b64 true accepted");

	is_int(check_hs("{\"alg\":\"HS256\",\"kid\":7}", PAY), TG_R_MALFORMED,
	       "kid a number: malformed");
	is_int(check_hs("{\"alg\":\"HS256\",\"kid\":null}", PAY), TG_R_MALFORMED,
	       "kid null: malformed");
	is_int(check_hs("{\"alg\":\"HS256\",\"kid\":{}}", PAY), TG_R_MALFORMED,
	       "kid an object: malformed");
	is_int(check_hs("{\"alg\":\"HS256\",\"kid\":\"\"}", PAY), TG_R_MALFORMED,
	       "kid empty: malformed");
	is_int(check_hs("{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}", PAY), TG_R_MALFORMED,
	       "kid with an embedded NUL: malformed");
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	h = tg_xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid);
	is_int(check_hs(h, PAY), TG_R_MALFORMED, "kid of 129 characters: malformed");
	free(h);
	kid[TG_KID_MAX] = '\0';
	h = tg_xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid);
	{
		struct jws *j = NULL;

		tok = hs_token(h, PAY);
		is_int(jws_parse(tok, strlen(tok), &j, &v), TG_OK,
		       "kid of 128 characters accepted");
		ok(j && j->kid && strcmp(j->kid, kid) == 0, "parsed kid is the header's");
		jws_free(j);
		free(tok);
	}
	free(h);
	is_int(
	    check_hs("{\"alg\":\"HS256\",\"jku\":\"https://evil.example/jwks\","
		     "\"x5u\":\"https://evil.example/c\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"},"
		     "\"x5c\":[\"AAAA\"]}",
		     PAY),
	    TG_R_NONE, "jku/x5u/jwk/x5c are ignored, never used to find a key");
}

/* ---------------------------------------------------------------- size limit */

/* An HS256 token of exactly want bytes, signed with hs (padding the payload and the kid). */
static char *
token_of_length(size_t want)
{
	for (int kidlen = 1; kidlen < 6; kidlen++) {
		for (size_t pad = want * 3 / 4 - 200; pad < want; pad++) {
			struct json_object *p = json_object_new_object();
			struct tg_key *k = NULL;
			char *tok = NULL, *kid = tg_xasprintf("%.*s", kidlen, "kkkkkk"),
			     *s = tg_xmalloc(pad + 1);
			size_t len;

			memset(s, 'x', pad);
			s[pad] = '\0';
			json_object_object_add(p, "pad", json_object_new_string(s));
			keys_from_secret(kid, TG_ALG_HS256, hs->secret.p, hs->secret.len, &k, NULL);
			jws_sign(k, p, &tok);
			len = tok ? strlen(tok) : 0;
			key_free(k);
			json_object_put(p);
			free(kid);
			free(s);
			if (len == want)
				return tok;
			free(tok);
			if (len > want)
				break;
		}
	}
	return NULL;
}

static void
test_size(void)
{
	char *at = token_of_length(TG_JWS_MAX_LEN), *over = token_of_length(TG_JWS_MAX_LEN + 1);
	struct tg_verdict v;

	ok(at && strlen(at) == 8192, "built a signed token of exactly 8192 bytes");
	is_int(at ? check(at) : TG_R_INTERNAL, TG_R_NONE, "8192-byte token accepted");
	ok(over && strlen(over) == 8193, "built a signed token of exactly 8193 bytes");
	is_int(over ? check(over) : TG_R_INTERNAL, TG_R_TOO_LARGE, "8193-byte token: too_large");
	is_int(check_with("x", 100000, hs, &v), TG_R_TOO_LARGE,
	       "length is checked before any byte is read");
	free(at);
	free(over);
}

/* ---------------------------------------------------------------- attacks */

/*
 * The classic key confusion: the attacker MACs an HS256 token with the text of
 * the RSA public key, hoping the verifier feeds that key to HMAC. The key's own
 * algorithm (RS256) is pinned, so the token never reaches HMAC.
 */
static void
test_key_confusion(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *pem_text = NULL, *h = b64s("{\"alg\":\"HS256\"}"), *p = b64s(PAY), *input, *s, *tok;
	long pemlen;
	unsigned char tag[32];
	size_t taglen = 0;
	struct tg_verdict v;

	PEM_write_bio_PUBKEY(b, rsa->pkey);
	pemlen = BIO_get_mem_data(b, &pem_text);
	input = tg_xasprintf("%s.%s", h, p);
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem_text, (size_t)pemlen,
		  (const unsigned char *)input, strlen(input), tag, sizeof(tag), &taglen);
	s = b64url_encode(tag, taglen);
	tok = tg_xasprintf("%s.%s", input, s);
	is_int(check_with(tok, strlen(tok), rsa, &v), TG_R_ALG_MISMATCH,
	       "HS256 token MACed with the RSA public key PEM: alg_mismatch (key confusion)");
	free(tok);
	free(input);
	free(s);
	free(h);
	free(p);
	BIO_free(b);
}

/* RFC 8725 3.1: a token is checked only under its key's single algorithm. */
static void
test_alg_pinning(void)
{
	struct tg_key *k384 = NULL, *ps = NULL;
	struct json_object *p = json_object_new_object();
	struct tg_secret der = { 0 };
	unsigned char s48[48];
	struct tg_verdict v;
	char *tok = hs_token(HDR, PAY);

	is_int(check_with(tok, strlen(tok), rsa, &v), TG_R_ALG_MISMATCH,
	       "HS256 token vs RS256 key");
	is_int(check_with(tok, strlen(tok), es, &v), TG_R_ALG_MISMATCH, "HS256 token vs ES256 key");
	memset(s48, 7, sizeof(s48));
	keys_from_secret("k", TG_ALG_HS384, s48, sizeof(s48), &k384, NULL);
	is_int(check_with(tok, strlen(tok), k384, &v), TG_R_ALG_MISMATCH,
	       "HS256 token vs HS384 key");
	free(tok);

	/* The same RSA material registered as PS256: PKCS#1 v1.5 and PSS do not mix. */
	keys_export(rsa, &der);
	keys_import("ps", TG_ALG_PS256, true, der.p, der.len, &ps);
	jws_sign(rsa, p, &tok);
	is_int(check_with(tok, strlen(tok), ps, &v), TG_R_ALG_MISMATCH, "RS256 token vs PS256 key");
	free(tok);
	jws_sign(ps, p, &tok);
	is_int(check_with(tok, strlen(tok), ps, &v), TG_R_NONE, "PS256 token vs PS256 key accepted");
	is_int(check_with(tok, strlen(tok), rsa, &v), TG_R_ALG_MISMATCH, "PS256 token vs RS256 key");
	free(tok);
	secret_free(&der);
	json_object_put(p);
	key_free(ps);
	key_free(k384);
}

/* Backstop: a key record whose alg says ES256 but whose material is RSA. */
static void
test_type_backstop(void)
{
	struct tg_key forged = *rsa;
	struct json_object *p = json_object_new_object();
	struct tg_verdict v;
	char *tok = NULL;

	forged.alg = TG_ALG_ES256;
	jws_sign(es, p, &tok);
	is_int(check_with(tok, strlen(tok), &forged, &v), TG_R_ALG_MISMATCH,
	       "ES256 token vs an RSA key labelled ES256: alg_mismatch (type backstop)");
	ok(jws_verify_raw(&forged, (const unsigned char *)"a", 1, (const unsigned char *)"b", 1) ==
		   TG_ERR_INVALID,
	   "jws_verify_raw refuses the mislabelled key too");
	free(tok);
	json_object_put(p);
}

/* RFC 7518 3.4: ES256 signatures are raw R||S of exactly 64 bytes, nothing else. */
static void
test_ecdsa_encodings(void)
{
	struct json_object *p = json_object_new_object();
	unsigned char raw[64], tmp[65], *der = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	struct jws *j = NULL;
	struct tg_verdict v;
	char *tok = NULL;
	int derlen;

	jws_sign(es, p, &tok);
	if (jws_parse(tok, strlen(tok), &j, &v) != TG_OK || j->siglen != sizeof(raw)) {
		ok(0, "ES256 token parses with a 64-byte signature");
		goto out;
	}
	memcpy(raw, j->sig, sizeof(raw));
	is_int(check_with(tok, strlen(tok), es, &v), TG_R_NONE, "ES256 token accepted");
	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(sig, &der);
	is_int(check_sig(tok, der, (size_t)derlen, es), TG_R_BAD_SIGNATURE,
	       "the same signature DER-encoded: bad_signature");
	is_int(check_sig(tok, raw, 63, es), TG_R_BAD_SIGNATURE, "63-byte ES256 signature");
	memcpy(tmp, raw, 64);
	tmp[64] = 0;
	is_int(check_sig(tok, tmp, 65, es), TG_R_BAD_SIGNATURE, "65-byte ES256 signature");
	memcpy(tmp, raw + 32, 32);
	memcpy(tmp + 32, raw, 32);
	is_int(check_sig(tok, tmp, 64, es), TG_R_BAD_SIGNATURE, "S||R swapped: bad_signature");
	memset(tmp, 0, 64);
	is_int(check_sig(tok, tmp, 64, es), TG_R_BAD_SIGNATURE, "r = s = 0: bad_signature");
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	jws_free(j);
	free(tok);
	json_object_put(p);
}

/* RFC 7518 3.5: the PSS salt is as long as the hash; a maximum-length salt is refused. */
static void
test_pss_salt(void)
{
	struct tg_key *ps = NULL;
	struct tg_secret der = { 0 };
	char *h = b64s("{\"alg\":\"PS256\"}"), *p = b64s(PAY), *input = tg_xasprintf("%s.%s", h, p);
	char *t = tg_xasprintf("%s.x", input);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[256];
	size_t siglen = sizeof(sig);

	keys_export(rsa, &der);
	keys_import("ps", TG_ALG_PS256, true, der.p, der.len, &ps);
	EVP_DigestSignInit(m, &pctx, EVP_sha256(), NULL, rsa->pkey);
	EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
	EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_MAX);
	EVP_DigestSign(m, sig, &siglen, (const unsigned char *)input, strlen(input));
	is_int(check_sig(t, sig, siglen, ps), TG_R_BAD_SIGNATURE,
	       "PS256 with a maximum-length salt: bad_signature");
	free(t);
	EVP_MD_CTX_free(m);
	free(input);
	free(h);
	free(p);
	secret_free(&der);
	key_free(ps);
}

/* RFC 7518 3.2: HMAC tags are never truncated. */
static void
test_hmac_truncation(void)
{
	unsigned char tag[32];
	size_t taglen = 0;
	char *h = b64s(HDR), *p = b64s(PAY), *input = tg_xasprintf("%s.%s", h, p);
	char *t = tg_xasprintf("%s.x", input), *tok;
	struct jws *j = NULL;
	struct tg_verdict v;

	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hs->secret.p, hs->secret.len,
		  (const unsigned char *)input, strlen(input), tag, sizeof(tag), &taglen);
	is_int(check_sig(t, tag, 16, hs), TG_R_BAD_SIGNATURE,
	       "HS256 tag truncated to 16 bytes: bad_signature");
	free(t);
	free(input);
	free(h);
	free(p);

	tok = hs_token(HDR, PAY);
	jws_parse(tok, strlen(tok), &j, &v);
	is_int(jws_verify(j, tok, NULL, &v), TG_ERR_REJECTED, "verify without a key is refused");
	is_int(v.reason, TG_R_INTERNAL, "... as internal_error");
	jws_free(j);
	free(tok);
}

/*
 * Issue 12: a U+0000 inside a string let "kid":"k1\u0000x" be k1 and "sub":"alice\u0000@evil"
 * reach the app as alice, since comparisons and exports read C strings. Any string of header or
 * payload holding one, at any depth, now makes the token malformed, the sentence naming where.
 */
static void
test_nul_anywhere(void)
{
	static const struct {
		const char *name, *header, *payload, *why;
	} cases[] = {
		{ "kid", "{\"alg\":\"HS256\",\"kid\":\"hs\\u0000x\"}", PAY,
		  "the token header is refused: \"kid\" contains U+0000 (NUL)" },
		{ "alg", "{\"alg\":\"HS256\\u0000\"}", PAY,
		  "the token header is refused: \"alg\" contains U+0000 (NUL)" },
		{ "typ", "{\"alg\":\"HS256\",\"typ\":\"\\u0000JWT\"}", PAY,
		  "the token header is refused: \"typ\" contains U+0000 (NUL)" },
		{ "a header member no rule reads", "{\"alg\":\"HS256\",\"x\":[\"a\",{\"y\":\"\\u0000\"}]}",
		  PAY, "the token header is refused: \"x[1].y\" contains U+0000 (NUL)" },
		{ "a header member name", "{\"alg\":\"HS256\",\"jwk\":{\"k\\u0000\":1}}", PAY,
		  "the token header is refused: a member name inside \"jwk\" contains U+0000 (NUL)" },
		{ "sub", HDR, "{\"sub\":\"alice\\u0000@evil.example\",\"exp\":1300819380}",
		  "the token payload is refused: \"sub\" contains U+0000 (NUL)" },
		{ "sub starting with NUL", HDR, "{\"sub\":\"\\u0000admin\",\"exp\":1300819380}",
		  "the token payload is refused: \"sub\" contains U+0000 (NUL)" },
		{ "iss", HDR, "{\"iss\":\"https://acme.example\\u0000x\",\"sub\":\"a\"}",
		  "the token payload is refused: \"iss\" contains U+0000 (NUL)" },
		{ "aud in an array", HDR, "{\"sub\":\"a\",\"aud\":[\"x\",\"api\\u0000\"]}",
		  "the token payload is refused: \"aud[1]\" contains U+0000 (NUL)" },
		{ "a nested custom claim", HDR,
		  "{\"sub\":\"a\",\"https://ns.example\":{\"org\":{\"role\":\"admin\\u0000-readonly\"}}}",
		  "the token payload is refused: \"https://ns.example.org.role\" contains U+0000 (NUL)" },
		{ "a name with odd bytes shown as ?", HDR, "{\"a\\n\\\"b\\u00e9\":\"\\u0000\"}",
		  "the token payload is refused: \"a??b??\" contains U+0000 (NUL)" },
	};
	struct tg_verdict v;
	char *tok;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = hs_token(cases[i].header, cases[i].payload);
		is_str(tg_reason_code(check_with(tok, strlen(tok), hs, &v)), "malformed",
		       "NUL in %s: malformed", cases[i].name);
		is_str(v.why, cases[i].why, "NUL in %s: the sentence names it", cases[i].name);
		free(tok);
	}
	is_str(tg_reason_code(check_hs(HDR, "{\"sub\":\"a\\u0001b\",\"exp\":1300819380}")), "none",
	       "another escaped control character is no NUL: it passes the structure");
}

/* RFC 7515 4.1.9: typ is a string; media types compare case-insensitively, application/ optional. */
static void
test_typ(void)
{
	char *tok = hs_token("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", PAY);
	struct jws *j = NULL;
	struct tg_verdict v;

	ok(jws_parse(tok, strlen(tok), &j, &v) == TG_OK && j && strcmp(j->typ, "at+jwt") == 0,
	   "typ is read from the header");
	jws_free(j);
	free(tok);
	is_int(check_hs("{\"alg\":\"HS256\",\"typ\":7}", PAY), TG_R_MALFORMED, "a numeric typ");
	is_int(check_hs("{\"alg\":\"HS256\",\"typ\":\"at+jwt\\u0000x\"}", PAY), TG_R_MALFORMED,
	       "a typ with a NUL inside");
	ok(jws_typ_is("at+jwt", "at+jwt") && jws_typ_is("AT+JWT", "at+jwt") &&
		   jws_typ_is("application/at+jwt", "at+jwt") &&
		   jws_typ_is("at+jwt", "Application/AT+jwt"),
	   "at+jwt matches in any case, with or without application/");
	ok(!jws_typ_is("jwt", "at+jwt") && !jws_typ_is("text/at+jwt", "at+jwt") &&
		   !jws_typ_is("application/application/at+jwt", "at+jwt") &&
		   !jws_typ_is(NULL, "at+jwt"),
	   "other types, another top-level type and a missing typ do not");
}

/* RFC 9864: the RFC 8037 A.4 key signs a header naming Ed25519; the key added as EdDSA verifies. */
static void
test_ed25519_name(void)
{
	struct json_object *ed = vectors_load("vectors/rfc8037/examples.json"), *e = NULL;
	struct tg_key *as_eddsa = NULL, *as_ed25519 = NULL;
	struct json_object *p = json_object_new_object();
	struct tg_verdict v;
	struct tg_why why;
	char *tok = NULL;

	json_object_object_get_ex(ed, "examples", &e);
	e = json_object_array_get_idx(e, 0);
	json_object_object_get_ex(e, "jwk", &e);
	if (keys_from_jwk("ed", TG_ALG_EDDSA, e, true, &as_eddsa, &why) != TG_OK ||
	    keys_from_jwk("ed", TG_ALG_ED25519, e, true, &as_ed25519, &why) != TG_OK) {
		ok(0, "RFC 8037 key loads as EdDSA and as Ed25519: %s", why.text);
		goto out;
	}
	json_object_object_add(p, "sub", json_object_new_string("a"));
	jws_sign(as_ed25519, p, &tok);
	ok(tok && strncmp(tok, "eyJhbGciOiJFZDI1NTE5Ii", 22) == 0, "the header names Ed25519");
	is_int(check_with(tok, strlen(tok), as_eddsa, &v), TG_R_NONE,
	       "an Ed25519 token verifies with the key added as EdDSA");
	is_int(check_with(tok, strlen(tok), as_ed25519, &v), TG_R_NONE, "and as Ed25519");
	is_int(check_with(tok, strlen(tok), es, &v), TG_R_ALG_MISMATCH,
	       "an Ed25519 token against an ES256 key: alg_mismatch");
	is_int(check_with(tok, strlen(tok), hs, &v), TG_R_ALG_MISMATCH,
	       "against an HMAC key: alg_mismatch");
out:
	free(tok);
	json_object_put(p);
	key_free(as_eddsa);
	key_free(as_ed25519);
	json_object_put(ed);
}

int
main(void)
{
	unsigned char secret[32];

	memset(secret, 0x42, sizeof(secret));
	keys_from_secret("hs", TG_ALG_HS256, secret, sizeof(secret), &hs, NULL);
	keys_generate("rs", TG_ALG_RS256, &rsa);
	keys_generate("es", TG_ALG_ES256, &es);
	if (!hs || !rsa || !es) {
		ok(0, "test keys set up");
		return done_testing();
	}
	test_rfc7515();
	test_rfc7520_8037();
	test_round_trips();
	test_structure();
	test_header();
	test_size();
	test_key_confusion();
	test_alg_pinning();
	test_type_backstop();
	test_ecdsa_encodings();
	test_pss_salt();
	test_hmac_truncation();
	test_nul_anywhere();
	test_typ();
	test_ed25519_name();
	key_free(hs);
	key_free(rsa);
	key_free(es);
	return done_testing();
}
