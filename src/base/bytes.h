/*
 * The byte layouts of the binary records (big-endian integers, u16-prefixed
 * strings), shared by every record codec so that none has its own variant.
 * Pure: never allocates but for a string read, never does I/O.
 */
#ifndef TG_BYTES_H
#define TG_BYTES_H

#include <stdbool.h>
#include <stdint.h>

void bytes_put_u64(unsigned char *p, uint64_t v);
uint64_t bytes_get_u64(const unsigned char *p);

/* s as a u16 length (NULL: 0) and its bytes, at most 65535 of them; returns the next byte. */
unsigned char *bytes_put_str16(unsigned char *q, const char *s);
/*
 * Reads one at *p (moved past it) into *out, malloc'd, NULL when empty. False when it runs
 * past end or holds a NUL, which a C string would cut silently.
 */
bool bytes_get_str16(const unsigned char **p, const unsigned char *end, char **out);

#endif
