#!/bin/sh
# demo-app.cgi: the protected application of the quickstart and the integration tests.
# It prints, as one JSON object, the REMOTE_USER and TOKENGATE_* variables the web server
# handed it after tokengate allowed the request. It never prints the token itself.
set -eu

# JSON string body: backslash and quote escaped; control characters (which tokengate
# already strips) become spaces so the output always parses.
json_escape() {
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\000-\037' ' '
}

printf 'Content-Type: application/json\r\nCache-Control: no-store\r\n\r\n'
printf '{"app":"demo","remote_user":"%s","method":"%s","variables":{' \
	"$(json_escape "${REMOTE_USER:-}")" "$(json_escape "${REQUEST_METHOD:-}")"
sep=""
env | LC_ALL=C sort | while IFS= read -r line; do
	case $line in
	TOKENGATE_*=*) ;;
	*) continue ;;
	esac
	printf '%s"%s":"%s"' "$sep" "${line%%=*}" "$(json_escape "${line#*=}")"
	sep=","
done
printf '}}\n'
