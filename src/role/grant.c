/*
 * The grant's bytes, made once per verified token and read on every request
 * the cache answers. A grant keeps a few hundred bytes where the claims as a
 * json-c tree cost well over a kilobyte; the rules that depend on the request
 * (origins, the session's state, a location's amr) are authz.c's, applied to
 * it cached or not. Decoding must refuse any bytes it did not write.
 */
#include "role/grant.h"

#include "jose/claims.h"

#include <ctype.h>
#include <json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ sanitising */

/* Length of the valid, non-control UTF-8 sequence at p, 0 if none. */
static size_t
utf8_seq(const unsigned char *p, size_t avail)
{
	/* C0 controls and DEL; C2 80..C2 9F encode U+0080..U+009F, the C1 controls. */
	if (p[0] < 0x20 || p[0] == 0x7f || (p[0] == 0xc2 && avail >= 2 && p[1] < 0xa0))
		return 0;
	return tg_utf8_len(p, avail);
}

size_t
grant_sanitize(const char *in, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;

	if (outsz == 0)
		return 0;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (o + (n ? n : 1) > outsz - 1)
			break;
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

/*
 * Variable names: upper case letters, digits and '_', so they are safe environment names. One
 * longer than GRANT_NAME_MAX (which tokengatectl never stores) is no name: cut, two could meet.
 */
static bool
var_name(const char *in, size_t len, char out[GRANT_NAME_MAX + 1])
{
	if (len > GRANT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = isalnum(c) && c < 0x80 ? (char)toupper(c) : '_';
	}
	out[len] = '\0';
	return len > 0;
}

/* A claim as one line of text: arrays joined by spaces, objects as compact JSON. */
static char *
claim_text(struct json_object *o)
{
	size_t n;
	char *s = NULL;

	switch (json_object_get_type(o)) {
	case json_type_null:
		return NULL;
	case json_type_string:
		return tg_xstrdup(json_object_get_string(o));
	case json_type_array:
		n = json_object_array_length(o);
		s = tg_xstrdup("");
		for (size_t i = 0; i < n && strlen(s) <= GRANT_VALUE_MAX; i++) {
			char *e = claim_text(json_object_array_get_idx(o, i)), *joined;

			joined = tg_xasprintf("%s%s%s", s, *s ? " " : "", e ? e : "null");
			free(e);
			free(s);
			s = joined;
		}
		return s;
	default:
		return tg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

/* ------------------------------------------------------------ amr */

static bool
amr_contains(const void *set, const char *word, size_t wlen)
{
	const struct grant_amr *amr = set;
	const char *w = amr->words;

	for (size_t i = 0; i < amr->n; i++, w += strlen(w) + 1)
		if (strlen(w) == wlen && memcmp(w, word, wlen) == 0)
			return true;
	return false;
}

bool
grant_has_amr(const struct grant_amr *amr, const char *words)
{
	return claims_has_words(words, amr_contains, amr);
}

/* ------------------------------------------------------------ decoding */

/* The next string of the grant's bytes, or NULL past their end. */
static const char *
next_str(const char **at, const char *end)
{
	const char *s = *at, *nul;

	if (s >= end || !(nul = memchr(s, '\0', (size_t)(end - s))))
		return NULL;
	*at = nul + 1;
	return s;
}

static const char *
skip_strs(const char **at, const char *end, size_t n)
{
	const char *first = *at;

	for (size_t i = 0; i < n; i++)
		if (!next_str(at, end))
			return NULL;
	return first;
}

enum tg_err
grant_decode(const void *data, size_t size, struct grant *out)
{
	const char *at = data, *end = (const char *)data + size;
	unsigned char is_gateway;
	struct grant g;

	if (size < sizeof(g.head))
		return TG_ERR_INVALID;
	/* Any byte but 0 or 1 read as a bool is undefined: refuse it before the copy. */
	memcpy(&is_gateway, at + offsetof(struct grant_head, is_gateway), 1);
	if (is_gateway > 1)
		return TG_ERR_INVALID;
	memcpy(&g.head, data, sizeof(g.head));
	/* grant_encode never writes one (claims_check bounds auth_time to 0..now + leeway), and
	 * authz.c subtracts it from now */
	if (g.head.auth_time < 0)
		return TG_ERR_INVALID;
	at += sizeof(g.head);
	g.tenant = next_str(&at, end);
	g.user = next_str(&at, end);
	g.sid = next_str(&at, end);
	g.refusal = next_str(&at, end);
	g.kid = next_str(&at, end);
	g.exp = next_str(&at, end);
	g.amr.n = g.head.namr;
	g.amr.words = skip_strs(&at, end, g.head.namr);
	g.vars = skip_strs(&at, end, 2 * (size_t)g.head.nvars);
	if (!g.tenant || !g.user || !g.sid || !g.refusal || !g.kid || !g.exp || !g.amr.words ||
	    !g.vars)
		return TG_ERR_INVALID;
	*out = g;
	return TG_OK;
}

/* ------------------------------------------------------------ encoding */

struct grant_buf {
	char *p;
	size_t len, cap;
};

static void
put_bytes(struct grant_buf *b, const void *x, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = tg_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, x, n);
	b->len += n;
}

static void
put_str(struct grant_buf *b, const char *s)
{
	put_bytes(b, s, strlen(s) + 1);
}

/* s sanitised whole: grant_sanitize never makes a value longer, so strlen(s) + 1 bytes hold it. */
static void
put_sanitized(struct grant_buf *b, const char *s)
{
	size_t len = strlen(s);
	char stack[GRANT_VALUE_MAX + 1], *buf = len < sizeof(stack) ? stack : tg_xmalloc(len + 1);

	grant_sanitize(s, len, buf, len + 1);
	put_str(b, buf);
	if (buf != stack)
		free(buf);
}

/* amr as a list of words: an array's strings, or a string's space-separated words. */
static void
put_amr(struct grant_buf *b, struct json_object *claim, uint32_t *n)
{
	if (json_object_is_type(claim, json_type_string)) {
		const char *s = json_object_get_string(claim);

		s += strspn(s, " ");
		while (*s) {
			size_t len = strcspn(s, " ");
			char nul = '\0';

			put_bytes(b, s, len);
			put_bytes(b, &nul, 1);
			(*n)++;
			s += len;
			s += strspn(s, " ");
		}
		return;
	}
	for (size_t i = 0; json_object_is_type(claim, json_type_array) &&
			   i < json_object_array_length(claim); i++) {
		struct json_object *e = json_object_array_get_idx(claim, i);

		if (json_object_is_type(e, json_type_string)) {
			put_str(b, json_object_get_string(e));
			(*n)++;
		}
	}
}

/*
 * A variable named prefix + name (GRANT_VAR_NAME_SIZE holds any) whose value is claim's text;
 * none for null. Refused (claim_too_long) when the text is longer than GRANT_VALUE_MAX.
 */
static enum tg_err
put_claim_var(struct grant_buf *b, uint32_t *n, const char *prefix, const char *name,
	      const char *claim, struct json_object *o, struct tg_verdict *verdict)
{
	char *text = o ? claim_text(o) : NULL;
	char full[GRANT_VAR_NAME_SIZE];
	enum tg_err rc = TG_OK;

	if (text && strlen(text) > GRANT_VALUE_MAX) {
		rc = tg_reject(verdict, TG_R_CLAIM_TOO_LONG, "the \"%s\" claim is longer than the %d "
			       "bytes TOKENGATE_%s%s may pass; the token's issuer must shorten it",
			       claim, GRANT_VALUE_MAX, prefix, name);
	} else if (text) {
		snprintf(full, sizeof(full), "%s%s", prefix, name);
		put_str(b, full);
		put_sanitized(b, text);
		(*n)++;
	}
	free(text);
	return rc;
}

/* The variables of the claims the tenant maps (map_claims), found in payload. */
static enum tg_err
put_mapped(struct grant_buf *b, const struct json_object *payload, const struct tg_tenant *t,
	   uint32_t *n, struct tg_verdict *verdict)
{
	char name[GRANT_NAME_MAX + 1];
	enum tg_err rc = TG_OK;

	for (size_t i = 0; i < t->map_claims.n && rc == TG_OK; i++) {
		const char *spec = t->map_claims.v[i], *eq = strrchr(spec, '=');
		char *path;

		if (!eq || eq == spec || !var_name(eq + 1, strlen(eq + 1), name))
			continue;
		path = tg_xstrndup(spec, (size_t)(eq - spec));
		rc = put_claim_var(b, n, "CLAIM_", name, path, claims_lookup(payload, t, path),
				   verdict);
		free(path);
	}
	return rc;
}

/* The variables after SUB TENANT EXP KID: SID and AMR when present, then the mapped claims. */
static enum tg_err
put_vars(struct grant_buf *b, const struct tg_verified *v, const struct tg_tenant *t,
	 struct json_object *sid, struct json_object *amr, uint32_t *n, struct tg_verdict *verdict)
{
	enum tg_err rc = TG_OK;

	if (sid && json_object_is_type(sid, json_type_string))
		rc = put_claim_var(b, n, "", "SID", "sid", sid, verdict);
	if (rc == TG_OK)
		rc = put_claim_var(b, n, "", "AMR", "amr", amr, verdict);
	if (rc == TG_OK)
		rc = put_mapped(b, v->claims, t, n, verdict);
	return rc;
}

enum tg_err
grant_check_mapped(const struct json_object *payload, const struct tg_tenant *t,
		   struct tg_verdict *verdict)
{
	struct grant_buf scratch = { 0 };
	uint32_t n = 0;
	enum tg_err rc = put_mapped(&scratch, payload, t, &n, verdict);

	free(scratch.p);
	return rc;
}

/* claims_check bounded it to 0..now + leeway, so whole seconds fit an int64. */
static int64_t
auth_time_of(const struct tg_verified *v, const struct tg_tenant *t)
{
	struct json_object *at = claims_lookup(v->claims, t, "auth_time");

	if (json_object_is_type(at, json_type_int))
		return json_object_get_int64(at);
	if (json_object_is_type(at, json_type_double))
		return (int64_t)json_object_get_double(at);
	return 0;
}

enum tg_err
grant_encode(const struct tg_verified *v, const struct tg_tenant *t, char **data, size_t *size,
	     struct tg_verdict *verdict)
{
	struct grant_head head = { .exp = v->exp, .auth_time = auth_time_of(v, t),
				   .is_gateway = v->is_gateway };
	struct json_object *sid = claims_lookup(v->claims, t, "sid");
	struct json_object *amr_claim = claims_lookup(v->claims, t, "amr");
	struct grant_buf b = { 0 }, amr = { 0 }, vars = { 0 };
	struct tg_verdict refusal = { 0 };
	char exp[24];
	enum tg_err rc;

	put_amr(&amr, amr_claim, &head.namr);
	/* The tenant's required amr and max_auth_age are authz.c's: they answer 401, not 403. */
	claims_require(v->claims, t, &refusal);
	rc = put_vars(&vars, v, t, sid, amr_claim, &head.nvars, verdict);
	if (rc != TG_OK)
		goto out;
	put_bytes(&b, &head, sizeof(head));
	put_str(&b, v->tenant);
	put_sanitized(&b, v->sub);
	put_str(&b, json_object_is_type(sid, json_type_string) ? json_object_get_string(sid) : "");
	put_str(&b, refusal.why);
	put_sanitized(&b, v->kid);
	snprintf(exp, sizeof(exp), "%lld", (long long)v->exp);
	put_str(&b, exp);
	put_bytes(&b, amr.p, amr.len);
	put_bytes(&b, vars.p, vars.len);
	*data = b.p;
	*size = b.len;
out:
	free(amr.p);
	free(vars.p);
	return rc;
}
