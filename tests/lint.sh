#!/bin/sh
# `make lint`: functions this code base bans (curl's checksrc idea), and
# non-constant-time comparisons of anything that looks like a secret.
dir=${1:-src}
status=0
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|rand|gets)\s*\(' "$dir"/*/*.c "$dir"/*.c; then
	echo "lint: banned function above (use snprintf, strtoll, RAND_bytes, ...)" >&2
	status=1
fi
if grep -nE '\b(memcmp|strcmp|strncmp)\s*\([^)]*(mac|sig|secret|hash|apikey|refresh)' "$dir"/*/*.c "$dir"/*.c |
	grep -v CRYPTO_memcmp; then
	echo "lint: compare secrets with CRYPTO_memcmp (secret_equal), not memcmp/strcmp" >&2
	status=1
fi
exit $status
