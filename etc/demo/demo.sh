#!/usr/bin/env bash
# The quickstart demo: a demo tenant in a local database, tokengate as a FastCGI authorizer
# in front of a real lighttpd on 127.0.0.1 (configured from the shipped snippet
# etc/lighttpd/tokengate.conf), the demo app in cgi-bin/ behind it, and curl showing an
# allowed request, an expired token and a forged token being refused; then the HTTP API
# (etc/lighttpd/tokengate-api.conf) issuing a gateway session that is logged out.
# Run by ./quickstart with TG_BUILD (build directory) and TG_ONCE (yes: exit after the round trip).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TG_BUILD:?run ./quickstart}
ONCE=${TG_ONCE:-no}
export srcdir=$TOP/tests builddir=$BUILD

# The servers come from the test suite's helpers: its port picking and bounded waits.
. "$TOP/tests/lib/testlib.sh"
. "$TOP/tests/lib/servers.sh"

step() { printf '\n\033[1m--- %s\033[0m\n' "$*"; }
# paste_word WORD: WORD as a shell reads it back: bare when safe, else in double quotes (so a
# $TOKEN put in afterwards still expands).
paste_word() {
	local w=$1
	case $w in
	'' | *[!A-Za-z0-9_./:=@%+,-]*)
		w=${w//\\/\\\\} w=${w//\"/\\\"} w=${w//\$/\\\$} w=${w//\`/\\\`}
		printf '"%s"' "$w"
		;;
	*) printf '%s' "$w" ;;
	esac
}
# The variables a printed command names instead of their values (tokens, the API key).
SHOWN_VARS=(TOKEN EXPIRED FORGED API_KEY)
# pasteable WORDS...: the command as one line that works when pasted (privilege drop included:
# run as root, the demo runs tokengatectl as the database's owner, SRV_RUNAS).
pasteable() {
	local w v line=""
	for w in "$@"; do
		line+="${line:+ }$(paste_word "$w")"
	done
	for v in "${SHOWN_VARS[@]}"; do
		[ -z "${!v:-}" ] || line=${line//${!v}/\$$v}
	done
	printf '%s' "$line"
}
# show WORDS...: prints the command, then runs it.
show() {
	printf '$ %s\n' "$(pasteable "$@")"
	"$@"
}
# keep VAR WORDS...: runs the command and keeps its output in VAR, printed as VAR=$(...).
keep() {
	local var=$1 val
	shift
	val=$("$@")
	printf '$ %s=$(%s)\n' "$var" "$(pasteable "$@")"
	printf -v "$var" '%s' "$val"
}
# refused VAR: shows the answer to a request carrying the token in VAR, which must be a 401.
refused() {
	local out
	out=$(show curl -sS -i -H "Authorization: Bearer ${!1}" "$APP")
	printf '%s\n' "$out" | grep -Ei '^(\$ |HTTP|WWW-Authenticate)|^\{'
	case $out in
	*"HTTP/1.1 401"*) ;;
	*) echo "demo: expected a 401 refusal" >&2; exit 1 ;;
	esac
}

srv_init
# The cleanup stops servers that may already be gone; that is not a demo failure.
trap 'set +e; srv_cleanup' EXIT
DEMO=${TG_DEMO_DIR:-$TOP/demo} # tests/integration/demo.test: a scratch directory
rm -rf "$DEMO"
srv_mkdir "$DEMO"
CTL=("${SRV_AS[@]}" "$BUILD/tokengatectl" --db "$DEMO/db")

step "a fresh database and a demo tenant"
if [ ${#SRV_AS[@]} -gt 0 ]; then
	echo "(run as root: tokengatectl runs as $SRV_RUNAS, who owns the database and runs the"
	echo " gateway, through setpriv; paste the commands as root, or drop the setpriv part as $SRV_RUNAS)"
fi
show "${CTL[@]}" init
show "${CTL[@]}" tenant add demo --issuer https://demo.example --max-lifetime 60 \
	--map-claim role=ROLE
openssl rand 32 >"$DEMO/hs256.secret"
srv_give "$DEMO/hs256.secret"
show "${CTL[@]}" key add demo k1 --alg HS256 --secret-file "$DEMO/hs256.secret"

step "the tenant's backend mints a short-lived token (tokengatectl token sign does it the same way)"
keep TOKEN "${CTL[@]}" token sign demo --kid k1 --sub alice --claim role=editor \
	--key-file "$DEMO/hs256.secret"
echo "$TOKEN"
show "${CTL[@]}" verify demo "$TOKEN"

step "lighttpd on 127.0.0.1 with tokengate as its FastCGI authorizer"
SRV_AUTHZ=$BUILD/tokengate
SRV_TG_CONFIG=$DEMO/tokengate.conf
cat >"$SRV_TG_CONFIG" <<CONF
# Demo configuration: lighttpd listens on 127.0.0.1 only, so plain HTTP is let in from
# this host's own callers (except_loopback) and still refused from any other address.
database = $DEMO/db
require_https = except_loopback
realm = tokengate-demo
CONF
srv_give "$SRV_TG_CONFIG"
srv_mkdir "$DEMO/lighttpd"
srv_render "$TOP/etc/lighttpd/tokengate-api.conf" "$DEMO/lighttpd/api.conf" \
	/usr/local/bin/tokengate "$SRV_AUTHZ" \
	/usr/local/etc/tokengate/tokengate.conf "$SRV_TG_CONFIG" \
	/run/lighttpd/tokengate-api.sock "$DEMO/lighttpd/api.sock" \
	'"max-procs" => 2' '"max-procs" => 1'
SRV_LIGHTTPD_INCLUDE=$DEMO/lighttpd/api.conf srv_lighttpd_start
APP=$LIGHTTPD_URL/app/demo-app.cgi
API=$LIGHTTPD_URL/api
echo "serving $APP, and the API under $API"

step "an allowed request: the app sees who the user is"
show curl -fsS -H "Authorization: Bearer $TOKEN" "$APP"

step "an expired token is refused"
keep EXPIRED "${CTL[@]}" token sign demo --kid k1 --sub alice --ttl -30 \
	--key-file "$DEMO/hs256.secret"
refused EXPIRED

step "a forged token (payload changed, signature kept) is refused"
IFS=. read -r h _ sig <<<"$TOKEN"
FORGED="$h.$(printf '{"iss":"https://demo.example","sub":"mallory","exp":%d}' $(($(date +%s) + 30)) |
	tg_b64url).$sig"
printf '$ FORGED=%s\n' "$FORGED"
refused FORGED

step "no token at all"
show curl -sS -i "$APP" | grep -Ei '^(HTTP|WWW-Authenticate)'

step "the HTTP API: the backend asks tokengate for a session instead of signing tokens itself"
API_KEY=$("${CTL[@]}" apikey create demo --json | jq -r .key)
printf '$ API_KEY=$(%s | jq -r .key)   # shown once\n' "$(pasteable "${CTL[@]}" apikey create demo --json)"
ISSUED=$(curl -fsS -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
	--data-binary '{"user_id": "bob", "amr": ["pwd"]}' "$API/v1/sessions")
echo "\$ ISSUED=\$(curl -fsS -H \"Authorization: Bearer \$API_KEY\" -H 'Content-Type: application/json' -d '{\"user_id\": \"bob\", \"amr\": [\"pwd\"]}' $API/v1/sessions)"
echo "\$ jq '{token_type, expires_in, session_id, refresh_expires_in}' <<<\"\$ISSUED\""
jq '{token_type, expires_in, session_id, refresh_expires_in}' <<<"$ISSUED"
TOKEN=$(jq -r .access_token <<<"$ISSUED")
echo "\$ TOKEN=\$(jq -r .access_token <<<\"\$ISSUED\")"
SESSION=$(jq -r .session_id <<<"$ISSUED")
show curl -fsS -H "Authorization: Bearer $TOKEN" "$APP"

step "logout ends the session: its token is refused at once, though it has not expired"
echo "\$ curl -X DELETE -H \"Authorization: Bearer \$API_KEY\" $API/v1/sessions/$SESSION"
curl -fsS -o /dev/null -w '%{http_code}\n' -X DELETE -H "Authorization: Bearer $API_KEY" \
	"$API/v1/sessions/$SESSION"
refused TOKEN

if [ "$ONCE" = yes ]; then
	step "round trip done"
	exit 0
fi
step "still serving $APP (Ctrl-C stops). Try:"
echo "  TOKEN=\$($(for w in "${CTL[@]}"; do printf '%s ' "$(paste_word "$w")"; done)token sign demo --kid k1 --sub you --key-file $(paste_word "$DEMO/hs256.secret"))"
echo "  curl -H \"Authorization: Bearer \$TOKEN\" $APP"
wait
