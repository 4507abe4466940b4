#!/usr/bin/env bash
# The quickstart demo: a demo tenant in a local database, a token minted the
# way a tenant's backend would, verified, and forged/expired ones refused.
# Run by ./quickstart with TG_BUILD (build directory) and TG_ONCE (yes|no).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TG_BUILD:?run ./quickstart}
DEMO=$TOP/demo
CTL="$BUILD/tokengatectl --db $DEMO/db"

step() { printf '\n\033[1m--- %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$DEMO"
mkdir -p "$DEMO"
step "a fresh database and a demo tenant"
show $CTL init
show $CTL tenant add demo --issuer https://demo.example --max-lifetime 60
openssl rand 32 >"$DEMO/hs256.secret"
show $CTL key add demo k1 --alg HS256 --secret-file "$DEMO/hs256.secret"
show $CTL tenant show demo

step "the tenant's backend mints a short-lived token"
TOKEN=$($CTL token sign demo --kid k1 --sub alice --ttl 60 --claim role=editor --key-file "$DEMO/hs256.secret")
echo "$TOKEN"

step "tokengate verifies it"
show $CTL verify demo "$TOKEN"

step "a forged token (payload changed, signature kept) is refused"
IFS=. read -r h p s <<<"$TOKEN"
FORGED="$h.$(printf '{"iss":"https://demo.example","sub":"mallory","exp":%d}' $(( $(date +%s) + 30 )) | openssl base64 -A | tr '+/' '-_' | tr -d '=').$s"
show $CTL verify demo "$FORGED" || echo "(exit $?)"

step "an expired token is refused"
EXPIRED=$($CTL token sign demo --kid k1 --sub alice --ttl -30 --key-file "$DEMO/hs256.secret")
show $CTL verify demo "$EXPIRED" || echo "(exit $?)"
