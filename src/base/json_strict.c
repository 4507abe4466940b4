/*
 * Strict JSON: one pass over the bytes that both validates (RFC 8259 grammar, RFC 3629 UTF-8,
 * RFC 7493 I-JSON names and numbers) and builds the json-c object, with the values json-c's own
 * tokener would give; for the callers that ask, a U+0000 in a string is refused, naming where.
 * Never quotes a value in an error, never hands back a partial object.
 */
#include "base/json_strict.h"

#include <json-c/json.h>

#include <locale.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STR(x) #x
#define XSTR(x) STR(x)

/* Objects this small are checked pairwise; larger ones are sorted so the work stays n log n. */
#define PAIRWISE_MAX 16
#define INLINE_NAMES 32
/* Escaped strings, names and doubles this short wait on the stack for json-c to copy them. */
#define SCRATCH 128
/* The path to a refused U+0000 as a sentence shows it ("claims.org.id"), "..." when longer. */
#define PATH_TEXT 128

/* A string as it appears between its quotes; len is its length once unescaped. */
struct str {
	const unsigned char *p;
	size_t rawlen;
	size_t len;
	bool has_escape;
};

/* One step of the way to the value being parsed: an object's member or an array's element. */
struct step {
	struct str name;
	size_t index;
	bool is_index;
};

struct parser {
	const unsigned char *p, *end;
	const char *why;
	int depth;
	bool is_nul_refused;
	/* path[i] is where the value at depth i + 1 sits; nul_path names a refused U+0000. */
	struct step path[TG_JSON_MAX_DEPTH];
	char nul_path[PATH_TEXT];
	/* Names of every object still open, innermost last; each truncates back to its base. */
	struct str *names;
	size_t nnames, cap;
	struct str inline_names[INLINE_NAMES];
};

enum { C_PLAIN, C_QUOTE, C_BACKSLASH, C_CONTROL, C_UTF8 };

#define CLASS(c)                                                                                  \
	((c) < 0x20 ? C_CONTROL : (c) == '"' ? C_QUOTE : (c) == '\\' ? C_BACKSLASH                 \
	 : (c) >= 0x80 ? C_UTF8 : C_PLAIN)
#define ROW4(c) CLASS(c), CLASS((c) + 1), CLASS((c) + 2), CLASS((c) + 3)
#define ROW16(c) ROW4(c), ROW4((c) + 4), ROW4((c) + 8), ROW4((c) + 12)
#define ROW64(c) ROW16(c), ROW16((c) + 16), ROW16((c) + 32), ROW16((c) + 48)

/* How a byte inside a string is treated; a table keeps the common run of plain bytes tight. */
static const uint8_t str_class[256] = { ROW64(0), ROW64(64), ROW64(128), ROW64(192) };

static bool parse_value(struct parser *ps, struct json_object **out);
static bool nul_found(struct parser *ps, bool is_name);

/* The U+0000 refusals; json_strict_parse_no_nul's sentence adds the path to them. */
static const char nul_in_name[] = "a member name contains U+0000";
static const char nul_in_value[] = "a string contains U+0000";

static bool
fail(struct parser *ps, const char *why)
{
	if (!ps->why)
		ps->why = why;
	return false;
}

/* Names the usual non-JSON suspects (comments, single quotes, NUL) rather than a generic why. */
static bool
unexpected(struct parser *ps, const char *what)
{
	if (ps->p == ps->end)
		return fail(ps, "the document ends before its value is complete");
	switch (*ps->p) {
	case '/': return fail(ps, "comments are not allowed in JSON");
	case '\'': return fail(ps, "strings must be in double quotes, not single quotes");
	case '\0': return fail(ps, "the document contains a NUL byte outside a string");
	default: return fail(ps, what);
	}
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

static bool
at(const struct parser *ps, unsigned char c)
{
	return ps->p < ps->end && *ps->p == c;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static size_t
utf8_encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool
hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		if (is_digit(c))
			v = v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/*
 * RFC 8259 section 7: the escape at *pp (on its backslash) as one code point, joining a UTF-16
 * surrogate pair. Returns NULL and advances *pp, or the reason it is not an escape we accept.
 */
static const char *
read_escape(const unsigned char **pp, const unsigned char *end, uint32_t *cp)
{
	const unsigned char *p = *pp + 1;
	uint32_t lo;

	if (p == end)
		return "a string ends inside an escape";
	switch (*p) {
	case '"': *cp = '"'; break;
	case '\\': *cp = '\\'; break;
	case '/': *cp = '/'; break;
	case 'b': *cp = '\b'; break;
	case 'f': *cp = '\f'; break;
	case 'n': *cp = '\n'; break;
	case 'r': *cp = '\r'; break;
	case 't': *cp = '\t'; break;
	case 'u':
		if (!hex4(p + 1, end, cp))
			return "a \\u escape is not followed by four hex digits";
		p += 4;
		/* RFC 7493 section 2.1: lone surrogates are not characters and must not pass. */
		if (*cp >= 0xdc00 && *cp <= 0xdfff)
			return "a \\u escape is an unpaired low surrogate";
		if (*cp >= 0xd800 && *cp <= 0xdbff) {
			if (end - p < 3 || p[1] != '\\' || p[2] != 'u' || !hex4(p + 3, end, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff)
				return "a \\u escape is an unpaired high surrogate";
			*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		break;
	default: return "a string contains an escape RFC 8259 does not define";
	}
	*pp = p + 1;
	return NULL;
}

/* The string at ps->p (on its opening quote) into *s; is_name applies json-c's rule for names. */
static bool
parse_string(struct parser *ps, struct str *s, bool is_name)
{
	const unsigned char *start = ps->p + 1, *p = start, *run, *end = ps->end;
	size_t ulen = 0, n;
	bool has_escape = false;
	const char *err;
	uint32_t cp;
	unsigned char tmp[4];

	for (;;) {
		run = p;
		/* Four at a time: most of a token is plain ASCII inside strings. */
		while (end - p >= 4 && !(str_class[p[0]] | str_class[p[1]] | str_class[p[2]] |
					 str_class[p[3]]))
			p += 4;
		while (p < end && str_class[*p] == C_PLAIN)
			p++;
		ulen += (size_t)(p - run);
		if (p == end)
			return fail(ps, "a string is not terminated");
		switch (str_class[*p]) {
		case C_QUOTE:
			goto done;
		case C_BACKSLASH:
			err = read_escape(&p, end, &cp);
			if (err)
				return fail(ps, err);
			/* json-c keeps member names as C strings: "a\u0000b" would become "a". */
			if (cp == 0 && (is_name || ps->is_nul_refused))
				return nul_found(ps, is_name);
			ulen += utf8_encode(cp, tmp);
			has_escape = true;
			break;
		case C_CONTROL:
			return fail(ps, "a string contains an unescaped control character");
		default:
			n = tg_utf8_len(p, (size_t)(end - p));
			if (n == 0)
				return fail(ps, "a string is not valid UTF-8");
			p += n;
			ulen += n;
			break;
		}
	}
done:
	s->p = start;
	s->rawlen = (size_t)(p - start);
	s->len = ulen;
	s->has_escape = has_escape;
	ps->p = p + 1;
	return true;
}

/* json-c returns NULL only when it cannot allocate: fail closed, as tg_xmalloc does. */
static struct json_object *
checked(struct json_object *o)
{
	if (!o)
		abort();
	return o;
}

/* The s->len bytes s stands for; parse_string already accepted every escape in it. */
static void
unescape(const struct str *s, unsigned char *dst)
{
	const unsigned char *p = s->p, *end = s->p + s->rawlen, *bs;
	uint32_t cp;

	while (p < end) {
		bs = memchr(p, '\\', (size_t)(end - p));
		if (!bs)
			bs = end;
		memcpy(dst, p, (size_t)(bs - p));
		dst += bs - p;
		p = bs;
		if (p < end) {
			(void)read_escape(&p, end, &cp);
			dst += utf8_encode(cp, dst);
		}
	}
}

/* s unescaped and NUL-terminated, in buf when it fits, else on the heap. */
static char *
str_bytes(const struct str *s, char *buf, size_t bufsize)
{
	char *d = s->len < bufsize ? buf : tg_xmalloc(s->len + 1);

	if (s->has_escape)
		unescape(s, (unsigned char *)d);
	else
		memcpy(d, s->p, s->len);
	d[s->len] = '\0';
	return d;
}

/*
 * Like json-c, a string value keeps an escaped U+0000 and its length. Lengths fit json-c's int
 * because json_strict_parse refuses documents above INT32_MAX bytes.
 */
static bool
parse_string_value(struct parser *ps, struct json_object **out)
{
	struct str s;
	char buf[SCRATCH], *d;

	if (!parse_string(ps, &s, false))
		return false;
	if (!s.has_escape) {
		*out = checked(json_object_new_string_len((const char *)s.p, (int)s.len));
		return true;
	}
	d = str_bytes(&s, buf, sizeof(buf));
	*out = checked(json_object_new_string_len(d, (int)s.len));
	if (d != buf)
		free(d);
	return true;
}

/* Integers beyond int64/uint64 are clamped silently by json-c, so they are refused instead. */
static bool
integer_fits(const unsigned char *d, size_t n, bool is_negative)
{
	const char *lim = is_negative ? "9223372036854775808" : "18446744073709551615";
	size_t limlen = strlen(lim);

	if (n != limlen)
		return n < limlen;
	return memcmp(d, lim, n) <= 0;
}

/*
 * A number whose value json-c would turn into an infinity (RFC 7493 section 2.2). The leading
 * significant digit sits at 10^e10; at e10 == 308 the digits are compared with DBL_MAX's.
 */
static bool
double_fits(const unsigned char *lead, const unsigned char *mant_end, int64_t e10)
{
	static const char dbl_max[] = "17976931348623157";
	const unsigned char *q = lead;
	unsigned char d;

	if (e10 != 308)
		return e10 < 308;
	for (size_t i = 0; i < sizeof(dbl_max) - 1; i++) {
		while (q < mant_end && *q == '.')
			q++;
		d = q < mant_end ? *q++ : '0';
		if (d != (unsigned char)dbl_max[i])
			return d < (unsigned char)dbl_max[i];
	}
	for (; q < mant_end; q++)
		if (*q != '0' && *q != '.')
			return false;
	return true;
}

static const unsigned char *
skip_digits(const unsigned char *p, const unsigned char *end)
{
	while (p < end && is_digit(*p))
		p++;
	return p;
}

/* Digits integer_fits accepted, typed as json-c 0.16's tokener does: uint64 above INT64_MAX. */
static struct json_object *
new_integer(const unsigned char *d, const unsigned char *end, bool is_negative)
{
	uint64_t u = 0;

	for (; d < end; d++)
		u = u * 10 + (uint64_t)(*d - '0');
	if (is_negative) /* by way of u - 1: INT64_MIN's magnitude is no int64 */
		return checked(json_object_new_int64(u ? -(int64_t)(u - 1) - 1 : 0));
	if (u <= INT64_MAX)
		return checked(json_object_new_int64((int64_t)u));
	return checked(json_object_new_uint64(u));
}

/*
 * A double that keeps its text, as json-c's tokener does, so it serialises as it was written.
 * strtod_l in the C locale: a process that calls setlocale() must not read "1.5" as 1.
 * The grammar is already checked, so the whole text converts.
 */
static struct json_object *
new_double(const unsigned char *start, const unsigned char *end)
{
	size_t n = (size_t)(end - start);
	char buf[SCRATCH], *text = n < sizeof(buf) ? buf : tg_xmalloc(n + 1);
	locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	struct json_object *o;

	if (!c_locale)
		abort();
	memcpy(text, start, n);
	text[n] = '\0';
	o = checked(json_object_new_double_s(strtod_l(text, NULL, c_locale), text));
	freelocale(c_locale);
	if (text != buf)
		free(text);
	return o;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
parse_number(struct parser *ps, struct json_object **out)
{
	const unsigned char *start = ps->p, *p = ps->p, *end = ps->end, *ip, *iend, *fp = NULL;
	const unsigned char *fend = NULL, *mend, *lead;
	bool is_negative = *p == '-', is_exp_negative = false, is_double;
	int64_t exp = 0, e10 = 0;

	p += is_negative;
	if (p == end || !is_digit(*p))
		return fail(ps, "a minus sign is not followed by a digit");
	ip = p;
	p = *p == '0' ? p + 1 : skip_digits(p, end);
	if (p < end && is_digit(*p))
		return fail(ps, "a number has a leading zero");
	iend = mend = p;
	if (p < end && *p == '.') {
		fp = p + 1;
		fend = skip_digits(fp, end);
		if (fend == fp)
			return fail(ps, "a decimal point is not followed by a digit");
		p = mend = fend;
	}
	is_double = fp || (p < end && (*p == 'e' || *p == 'E'));
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			is_exp_negative = *p++ == '-';
		if (p == end || !is_digit(*p))
			return fail(ps, "a number's exponent has no digits");
		for (; p < end && is_digit(*p); p++)
			exp = exp < 100000000 ? exp * 10 + (*p - '0') : exp;
	}
	ps->p = p;
	if (!is_double) {
		if (!integer_fits(ip, (size_t)(iend - ip), is_negative))
			return fail(ps, "an integer is outside the 64-bit range");
		*out = new_integer(ip, iend, is_negative);
		return true;
	}
	if (*ip != '0') {
		lead = ip;
		e10 = (int64_t)(iend - ip) - 1;
	} else {
		for (lead = fp; lead && lead < fend && *lead == '0'; lead++)
			;
		if (lead == fend)
			lead = NULL; /* zero, whatever the exponent */
		else
			e10 = -(int64_t)(lead - fp) - 1;
	}
	if (lead && !double_fits(lead, mend, e10 + (is_exp_negative ? -exp : exp)))
		return fail(ps, "a number is too large for a double");
	*out = new_double(start, p);
	return true;
}

static bool
parse_literal(struct parser *ps, const char *word, size_t n, struct json_object **out)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "a literal is not exactly true, false or null");
	ps->p += n;
	/* json-c stands for null with NULL. */
	*out = *word == 'n' ? NULL : checked(json_object_new_boolean(*word == 't'));
	return true;
}

static bool
enter(struct parser *ps)
{
	if (ps->depth == TG_JSON_MAX_DEPTH)
		return fail(ps, "arrays and objects nest deeper than " XSTR(TG_JSON_MAX_DEPTH)
				" levels");
	ps->depth++;
	ps->p++;
	skip_ws(ps);
	return true;
}

static bool
parse_array(struct parser *ps, struct json_object **out)
{
	struct json_object *arr, *v;
	bool ok = false;

	if (!enter(ps))
		return false;
	arr = checked(json_object_new_array());
	ps->path[ps->depth - 1] = (struct step){ .is_index = true };
	while (!at(ps, ']')) {
		if (!parse_value(ps, &v))
			goto out;
		if (json_object_array_add(arr, v) != 0)
			abort();
		ps->path[ps->depth - 1].index++;
		skip_ws(ps);
		if (at(ps, ']'))
			break;
		if (!at(ps, ',')) {
			unexpected(ps, "an array element is followed by neither a comma nor ']'");
			goto out;
		}
		ps->p++;
		skip_ws(ps);
		if (at(ps, ']')) {
			fail(ps, "an array has a trailing comma");
			goto out;
		}
	}
	ps->p++;
	*out = arr;
	arr = NULL;
	ok = true;
out:
	json_object_put(arr);
	ps->depth--;
	return ok;
}

/* Byte by byte through an escaped name, yielding its unescaped UTF-8; -1 at the end. */
struct name_reader {
	const unsigned char *p, *end;
	unsigned char buf[4];
	size_t nbuf, ibuf;
};

static int
reader_next(struct name_reader *r)
{
	uint32_t cp;

	if (r->ibuf < r->nbuf)
		return r->buf[r->ibuf++];
	if (r->p == r->end)
		return -1;
	if (*r->p != '\\')
		return *r->p++;
	/* parse_string already accepted this escape, so it cannot fail here. */
	(void)read_escape(&r->p, r->end, &cp);
	r->nbuf = utf8_encode(cp, r->buf);
	r->ibuf = 1;
	return r->buf[0];
}

/* Appends c to the path text unless it is full: a sentence carries a bounded path. */
static void
path_put(char *out, size_t size, size_t *o, int c)
{
	if (*o < size)
		out[(*o)++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
}

/*
 * The first n steps of the path as "claims.org.id" or "aud[1]": names unescaped, any byte but
 * printable ASCII (and '"' and '\\', which a sentence quotes with) shown as '?'. A path longer
 * than size - 1 ends in "...", so a cut is seen.
 */
static void
path_text(const struct parser *ps, int n, char *out, size_t size)
{
	size_t o = 0;
	char num[24];
	int c;

	for (int i = 0; i < n; i++) {
		const struct step *st = &ps->path[i];
		struct name_reader r;

		if (st->is_index) {
			snprintf(num, sizeof(num), "[%zu]", st->index);
			for (const char *q = num; *q; q++)
				path_put(out, size, &o, *q);
			continue;
		}
		/* only a name step has a name: an index step's pointer is NULL */
		r = (struct name_reader){ .p = st->name.p, .end = st->name.p + st->name.rawlen };
		if (i > 0)
			path_put(out, size, &o, '.');
		for (c = reader_next(&r); c != -1; c = reader_next(&r))
			path_put(out, size, &o, c);
	}
	if (o == size) {
		o = size - 4;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* A U+0000 json-c would cut a name at, or (when the caller asks) any string: where it is. */
static bool
nul_found(struct parser *ps, bool is_name)
{
	if (!ps->is_nul_refused)
		return fail(ps, nul_in_name);
	/* A name's own step is not written yet: the path of a name is its object's. */
	path_text(ps, is_name ? ps->depth - 1 : ps->depth, ps->nul_path, sizeof(ps->nul_path));
	return fail(ps, is_name ? nul_in_name : nul_in_value);
}

/* A total order on names as their unescaped bytes; 0 means duplicates. */
static int
name_cmp(const void *va, const void *vb)
{
	const struct str *a = va, *b = vb;
	struct name_reader ra = { .p = a->p, .end = a->p + a->rawlen };
	struct name_reader rb = { .p = b->p, .end = b->p + b->rawlen };
	int ca, cb;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (!a->has_escape && !b->has_escape)
		return memcmp(a->p, b->p, a->len);
	do {
		ca = reader_next(&ra);
		cb = reader_next(&rb);
	} while (ca == cb && ca != -1);
	return ca - cb;
}

/* RFC 7493 section 2.3 (RFC 8259 section 4 only says SHOULD): names within an object are unique. */
static bool
has_duplicate(struct str *v, size_t n)
{
	if (n <= PAIRWISE_MAX) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (name_cmp(&v[i], &v[j]) == 0)
					return true;
		return false;
	}
	qsort(v, n, sizeof(*v), name_cmp);
	for (size_t i = 1; i < n; i++)
		if (name_cmp(&v[i - 1], &v[i]) == 0)
			return true;
	return false;
}

static void
push_name(struct parser *ps, const struct str *nm)
{
	if (ps->nnames == ps->cap) {
		ps->cap *= 2;
		if (ps->names == ps->inline_names) {
			ps->names = tg_xmalloc(ps->cap * sizeof(*ps->names));
			memcpy(ps->names, ps->inline_names, sizeof(ps->inline_names));
		} else {
			ps->names = tg_xrealloc(ps->names, ps->cap * sizeof(*ps->names));
		}
	}
	ps->names[ps->nnames++] = *nm;
}

/*
 * has_duplicate looks at the names once the object is closed, so json-c need not look them up;
 * an object with a duplicate is thrown away whole. json-c keeps names as C strings.
 */
static void
add_member(struct json_object *obj, const struct str *nm, struct json_object *v)
{
	char buf[SCRATCH], *key = str_bytes(nm, buf, sizeof(buf));

	if (json_object_object_add_ex(obj, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0)
		abort();
	if (key != buf)
		free(key);
}

static bool
parse_member(struct parser *ps, struct json_object *obj)
{
	struct str nm;
	struct json_object *v;

	if (!at(ps, '"'))
		return unexpected(ps, "an object member does not start with a double-quoted name");
	if (!parse_string(ps, &nm, true))
		return false;
	ps->path[ps->depth - 1] = (struct step){ .name = nm };
	push_name(ps, &nm);
	skip_ws(ps);
	if (!at(ps, ':'))
		return unexpected(ps, "an object member name is not followed by a colon");
	ps->p++;
	skip_ws(ps);
	if (!parse_value(ps, &v))
		return false;
	add_member(obj, &nm, v);
	return true;
}

static bool
parse_object(struct parser *ps, struct json_object **out)
{
	size_t base = ps->nnames;
	struct json_object *obj;
	bool ok = false;

	if (!enter(ps))
		return false;
	obj = checked(json_object_new_object());
	while (!at(ps, '}')) {
		if (!parse_member(ps, obj))
			goto out;
		skip_ws(ps);
		if (at(ps, '}'))
			break;
		if (!at(ps, ',')) {
			unexpected(ps, "an object member is followed by neither a comma nor '}'");
			goto out;
		}
		ps->p++;
		skip_ws(ps);
		if (at(ps, '}')) {
			fail(ps, "an object has a trailing comma");
			goto out;
		}
	}
	ps->p++;
	if (has_duplicate(ps->names + base, ps->nnames - base)) {
		fail(ps, "an object has a duplicate member name");
		goto out;
	}
	*out = obj;
	obj = NULL;
	ok = true;
out:
	json_object_put(obj);
	ps->nnames = base;
	ps->depth--;
	return ok;
}

/* On success *out holds the value (NULL for null); on failure nothing is left allocated. */
static bool
parse_value(struct parser *ps, struct json_object **out)
{
	if (ps->p == ps->end)
		return fail(ps, "the document ends where a value was expected");
	switch (*ps->p) {
	case '{': return parse_object(ps, out);
	case '[': return parse_array(ps, out);
	case '"': return parse_string_value(ps, out);
	case 't': return parse_literal(ps, "true", 4, out);
	case 'f': return parse_literal(ps, "false", 5, out);
	case 'n': return parse_literal(ps, "null", 4, out);
	case '-':
	case '0' ... '9': return parse_number(ps, out);
	case '+': return fail(ps, "a number has a leading plus sign");
	case '.': return fail(ps, "a number starts with a bare decimal point");
	case 'N':
	case 'I': return fail(ps, "NaN and Infinity are not JSON numbers");
	case ']':
	case '}': return fail(ps, "a value is missing before a closing bracket");
	default: return unexpected(ps, "a value starts with a byte no JSON value starts with");
	}
}

/* ps->why after the parse, NULL on success (*out then set); ps->nul_path says where a NUL was. */
static const char *
parse_document(struct parser *ps, const char *buf, size_t len, struct json_object **out)
{
	struct json_object *o = NULL;

	/* not zero-initialised: inline_names and path are scratch, over 2 KiB of them */
	ps->p = (const unsigned char *)buf;
	ps->end = ps->p + len;
	ps->why = NULL;
	ps->depth = 0;
	ps->names = ps->inline_names;
	ps->nnames = 0;
	ps->cap = INLINE_NAMES;
	skip_ws(ps);
	if (ps->p == ps->end)
		fail(ps, "the document is empty");
	else if (parse_value(ps, &o)) {
		skip_ws(ps);
		if (ps->p != ps->end)
			unexpected(ps, "data follows the JSON value");
	}
	if (ps->names != ps->inline_names)
		free(ps->names);
	if (ps->why)
		json_object_put(o);
	else
		*out = o;
	return ps->why;
}

static enum tg_err
parse(const char *buf, size_t len, bool is_nul_refused, struct json_object **out,
      struct tg_why *why)
{
	struct parser ps;
	struct json_object *o = NULL;
	const char *err;

	ps.is_nul_refused = is_nul_refused;
	if (!buf)
		err = "the document is missing";
	else if (len > INT32_MAX) /* json-c holds string lengths in an int */
		err = "the document is too large to parse";
	else
		err = parse_document(&ps, buf, len, &o);
	if (!err) {
		*out = o;
		return TG_OK;
	}
	if (!is_nul_refused || (err != nul_in_value && err != nul_in_name))
		return tg_fail(why, TG_ERR_INVALID, "%s", err);
	if (err == nul_in_name)
		return tg_fail(why, TG_ERR_UNSUPPORTED, "a member name%s%s%s contains U+0000",
			       *ps.nul_path ? " inside \"" : "", ps.nul_path, *ps.nul_path ? "\"" : "");
	if (!*ps.nul_path)
		return tg_fail(why, TG_ERR_UNSUPPORTED, "the string contains U+0000");
	return tg_fail(why, TG_ERR_UNSUPPORTED, "\"%s\" contains U+0000", ps.nul_path);
}

enum tg_err
json_strict_parse(const char *buf, size_t len, struct json_object **out, struct tg_why *why)
{
	return parse(buf, len, false, out, why);
}

enum tg_err
json_strict_parse_no_nul(const char *buf, size_t len, struct json_object **out,
			 struct tg_why *why)
{
	return parse(buf, len, true, out, why);
}
