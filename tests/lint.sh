#!/bin/sh
# `make lint` (and tests/lint.test in `make check`): functions this code base bans (curl's
# checksrc idea), non-constant-time comparisons of anything that looks like a secret, and
# secrets wiped or compared anywhere but base/secret.c. Each finding names file and line.
dir=${1:-src}
dir=${dir%/}
status=0
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|rand|gets)\s*\(' "$dir"/*/*.c "$dir"/*.c; then
	echo "lint: banned function above (use snprintf, strtoll, RAND_bytes, ...)" >&2
	status=1
fi
if grep -nE '\b(memcmp|strcmp|strncmp)\s*\([^)]*(mac|sig|secret|hash|apikey|refresh)' "$dir"/*/*.c "$dir"/*.c; then
	echo "lint: compare secrets with secret_equal (base/secret.c), not memcmp/strcmp" >&2
	status=1
fi
# One place wipes and compares secrets, so one place can be audited (and a wipe cannot be
# forgotten half-way through a hand-written copy of it).
hits=$(grep -rnE --include='*.c' --include='*.h' '\b(OPENSSL_cleanse|OPENSSL_clear_free|CRYPTO_memcmp|explicit_bzero|memset_s)\s*\(' "$dir" |
	grep -v "^$dir/base/secret\.c:")
if [ -n "$hits" ]; then
	printf '%s\n' "$hits" | sed 's/^\([^:]*:[0-9]*\):.*\b\(OPENSSL_cleanse\|OPENSSL_clear_free\|CRYPTO_memcmp\|explicit_bzero\|memset_s\)\b.*/\1: \2: wipe and compare secrets through base\/secret.c/' >&2
	status=1
fi
exit $status
