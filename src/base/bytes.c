/*
 * Big-endian integers and u16-prefixed strings of the binary records. Knows no
 * record: the codecs in model/ and store/ say what goes where.
 */
#include "base/bytes.h"

#include "base/tokengate.h"

#include <stdlib.h>
#include <string.h>

void
bytes_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

uint64_t
bytes_get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

unsigned char *
bytes_put_str16(unsigned char *q, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > 0xffff)
		abort(); /* callers bound their strings; a cut length would misread all that follows */
	*q++ = (unsigned char)(n >> 8);
	*q++ = (unsigned char)n;
	if (n)
		memcpy(q, s, n);
	return q + n;
}

bool
bytes_get_str16(const unsigned char **p, const unsigned char *end, char **out)
{
	size_t n;

	if (end - *p < 2)
		return false;
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	if ((size_t)(end - *p) < n || (n && memchr(*p, '\0', n)))
		return false;
	*out = n ? tg_xstrndup((const char *)*p, n) : NULL;
	*p += n;
	return true;
}
