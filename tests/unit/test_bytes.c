/*
 * bytes: the records' big-endian u64 against known bytes, and the u16-prefixed strings: round
 * trips, NULL as length 0, and every refusal of the reader (short length, short body, a NUL
 * inside), each read from a buffer of exactly its size so a read past the end shows.
 */
#include "base/bytes.h"

#include "../lib/exact.h"
#include "../lib/tap.h"

static void
test_u64(void)
{
	static const unsigned char want[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	unsigned char b[8];

	bytes_put_u64(b, 0x0123456789abcdefULL);
	ok(memcmp(b, want, sizeof(b)) == 0, "u64: most significant byte first");
	ok(bytes_get_u64(want) == 0x0123456789abcdefULL, "u64: read back");
	bytes_put_u64(b, UINT64_MAX);
	ok(bytes_get_u64(b) == UINT64_MAX, "u64: all bits set survive");
	bytes_put_u64(b, (uint64_t)-1LL);
	ok((int64_t)bytes_get_u64(b) == -1, "u64: -1 as a stored step survives the cast back");
}

/* Reads one string from exactly these bytes: the reader's verdict, *out and what it consumed. */
static bool
read_exact(const void *bytes, size_t n, char **out, size_t *used)
{
	unsigned char *copy = (unsigned char *)exact_copy(bytes, n);
	const unsigned char *p = copy;
	bool is_read = bytes_get_str16(&p, copy + n, out);

	*used = (size_t)(p - copy);
	free(copy);
	return is_read;
}

static void
test_str16(void)
{
	unsigned char b[16], *end;
	char *out = NULL;
	size_t used = 0;

	end = bytes_put_str16(b, "abc");
	ok(end == b + 5 && b[0] == 0 && b[1] == 3 && memcmp(b + 2, "abc", 3) == 0,
	   "\"abc\": length 3 in two bytes, then the bytes");
	ok(read_exact(b, 5, &out, &used) && out && strcmp(out, "abc") == 0 && used == 5,
	   "\"abc\" reads back, all 5 bytes consumed");
	free(out);
	out = NULL;

	end = bytes_put_str16(b, NULL);
	ok(end == b + 2 && b[0] == 0 && b[1] == 0, "NULL: length 0, no bytes");
	ok(read_exact(b, 2, &out, &used) && !out && used == 2, "length 0 reads as NULL");

	ok(!read_exact("\x00", 1, &out, &used), "one byte of length: refused");
	ok(!read_exact("\x00\x04" "abc", 5, &out, &used), "a length past the end: refused");
	ok(!read_exact("\x00\x03" "a\0c", 5, &out, &used) && !out,
	   "a NUL inside: refused, never cut to \"a\"");
}

int
main(void)
{
	test_u64();
	test_str16();
	return done_testing();
}
