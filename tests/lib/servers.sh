# servers.sh: real lighttpd, Apache (mod_fcgid or mod_cgi) and nginx for integration tests,
# each rendered from the shipped snippet in etc/, bound to 127.0.0.1 on a free port, awaited in
# bounded loops and stopped by PID at exit. Sourced by tests/integration/*.test after
# tests/lib/testlib.sh, whose ports, waits and exit handlers it uses; it never touches the
# system's server configuration, logs or runtime directories.
#
# Inputs (set before calling a start function):
#   srcdir, builddir     as exported by `make check` (srcdir is the tests/ directory)
#   SRV_AUTHZ            the FastCGI authorizer program (tokengate, or trivial_authz)
#   SRV_TG_CONFIG        the tokengate.conf handed to it as TOKENGATE_CONFIG
#   SRV_PIN              a tenant to pin on the protected location, or empty
#   SRV_CLAIMS           mapped claim NAMEs whose Variable-TOKENGATE_CLAIM_<NAME> Apache strips
#   SRV_EDIT             a sed script applied to the rendered snippet (benchmark variants)
#   SRV_APP_DIR          what /app/ serves (lighttpd, Apache); default cgi-bin/ (the demo app)
#   SRV_SNIPPETS         where the snippets are (default etc/; an installed tree's for install.test)
#   SRV_SNIPPET_BIN, SRV_SNIPPET_CONFIG, SRV_SNIPPET_CGI  the program, configuration and CGI
#                        paths the snippets name (default the /usr/local ones etc/ ships with)
# Outputs: LIGHTTPD_URL, APACHE_URL, NGINX_URL (http://127.0.0.1:PORT), SRV_DIR (scratch).
# Run as root, servers drop to SRV_RUNAS (www-data); srv_run runs a command as that user, so
# files tokengatectl creates stay writable by the workers.

declare -F free_port >/dev/null || {
	echo "servers.sh: source tests/lib/testlib.sh first" >&2
	exit 99
}
PATH=$PATH:/usr/sbin:/sbin
SRV_TOP=${SRV_TOP:-$(cd "$srcdir/.." && pwd)}
SRV_PIDS=""
SRV_SNIPPETS=${SRV_SNIPPETS:-$SRV_TOP/etc}
SRV_SNIPPET_BIN=${SRV_SNIPPET_BIN:-/usr/local/bin/tokengate}
SRV_SNIPPET_CONFIG=${SRV_SNIPPET_CONFIG:-/usr/local/etc/tokengate/tokengate.conf}
SRV_SNIPPET_CGI=${SRV_SNIPPET_CGI:-/usr/local/lib/cgi-bin/tokengate.cgi}
SRV_AUTHZ=${SRV_AUTHZ:-}
SRV_TG_CONFIG=${SRV_TG_CONFIG:-/dev/null}
SRV_PIN=${SRV_PIN:-}
SRV_CLAIMS=${SRV_CLAIMS:-}
SRV_APACHE_MODULES=${SRV_APACHE_MODULES:-/usr/lib/apache2/modules}
if [ "$(id -u)" -eq 0 ]; then
	SRV_RUNAS=${SRV_RUNAS:-www-data}
	# setpriv execs in place (unlike runuser), so a PID we record is the program's own.
	SRV_AS=(setpriv --reuid="$SRV_RUNAS" --regid="$(id -g "$SRV_RUNAS")" --init-groups --)
else
	SRV_RUNAS=""
	SRV_AS=()
fi

srv_init() {
	SRV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tokengate-it.XXXXXX") || exit 99
	chmod 755 "$SRV_DIR"
	srv_give "$SRV_DIR"
	at_exit srv_cleanup
	trap 'exit 130' INT TERM
}

# TG_KEEP=1 keeps the scratch directory (configs, server logs) for a post-mortem.
srv_cleanup() {
	srv_stop_all
	if [ -n "${TG_KEEP:-}" ]; then
		echo "# kept $SRV_DIR" >&2
	else
		rm -rf "$SRV_DIR"
	fi
}

# srv_give PATH...: hand files the servers write to the unprivileged user.
srv_give() {
	[ -z "$SRV_RUNAS" ] || chown -R "$SRV_RUNAS:" "$@"
}

srv_mkdir() {
	mkdir -p "$@" && srv_give "$@"
}

srv_run() {
	"${SRV_AS[@]}" "$@"
}

# srv_wait_port PORT PID LOG: wait_for_port, and on failure why, with LOG.
srv_wait_port() {
	local port=$1 pid=$2 log=$3
	wait_for_port "$port" 10 "$pid" && return 0
	if is_running "$pid"; then
		echo "servers.sh: nothing listens on 127.0.0.1:$port after 10 s; log $log:" >&2
	else
		echo "servers.sh: PID $pid exited before listening on $port; its log:" >&2
	fi
	sed 's/^/#   /' "$log" >&2 2>/dev/null
	return 1
}

# srv_spawn LOG CMD...: start CMD in the background (it must stay in the foreground) and
# remember its PID for srv_stop_all. The PID is left in SRV_LAST_PID.
srv_spawn() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 </dev/null &
	SRV_LAST_PID=$!
	SRV_PIDS="$SRV_PIDS $SRV_LAST_PID"
}

# is_running, not wait: spawn-fcgi's children are not ours to reap.
srv_stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_for 5 eval "! is_running $pid"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

srv_stop_all() {
	local pid
	for pid in $SRV_PIDS; do
		srv_stop_pid "$pid"
	done
	SRV_PIDS=""
}

# srv_render SRC DST FROM TO [FROM TO]...: copy a shipped snippet, replacing each literal
# FROM (a default path or address of the snippet) by TO. A FROM missing from SRC is an error,
# so a snippet edited out of step with this harness fails loudly instead of testing nothing.
srv_render() {
	local src=$1 dst=$2 text from to
	shift 2
	text=$(cat "$src") || return 1
	while [ $# -ge 2 ]; do
		from=$1 to=$2
		shift 2
		case $text in
		*"$from"*) text=${text//"$from"/"$to"} ;;
		*)
			echo "servers.sh: '$from' not found in $src" >&2
			return 1
			;;
		esac
	done
	printf '%s\n' "$text" >"$dst"
	# SRV_EDIT: a sed script for variants (benchmarks) that differ from the shipped snippet.
	[ -z "${SRV_EDIT:-}" ] || sed -i -e "$SRV_EDIT" "$dst"
}

# Values every server start needs: the snippet's defaults and what replaces them.
srv_common_render_args() {
	SRV_ARGS=(
		"$SRV_SNIPPET_BIN" "$SRV_AUTHZ"
		"$SRV_SNIPPET_CONFIG" "$SRV_TG_CONFIG"
	)
}

srv_docroot() {
	local d=$1
	mkdir -p "$d/www"
	echo "public" >"$d/www/index.html"
	echo "static file" >"$d/www/static.txt"
}

# ---------------------------------------------------------------- lighttpd

# srv_lighttpd_start: the protected app is cgi-bin/ under /app/ (demo-app.cgi via mod_cgi).
srv_lighttpd_start() {
	local d=$SRV_DIR/lighttpd port f
	srv_mkdir "$d" "$d/run"
	srv_docroot "$d"
	free_port port || return 1
	srv_common_render_args
	SRV_ARGS+=(/run/lighttpd/tokengate.sock "$d/run/tokengate.sock"
		/var/log/lighttpd/tokengate.log "$d/run/tokengate.log")
	if [ -n "$SRV_PIN" ]; then
		SRV_ARGS+=("#setenv.add-environment = ( \"TOKENGATE_TENANT\" => \"acme\" )"
			"setenv.add-environment = ( \"TOKENGATE_TENANT\" => \"$SRV_PIN\" )")
	fi
	srv_render "$SRV_SNIPPETS/lighttpd/tokengate.conf" "$d/tokengate.conf" "${SRV_ARGS[@]}" ||
		return 1
	{
		echo 'server.modules = ( "mod_access", "mod_alias", "mod_cgi" )'
		echo 'server.bind = "127.0.0.1"'
		echo "server.port = $port"
		echo "server.document-root = \"$d/www\""
		echo "server.errorlog = \"$d/run/error.log\""
		echo 'mimetype.assign = ( ".txt" => "text/plain", ".html" => "text/html" )'
		echo "alias.url = ( \"/app/\" => \"${SRV_APP_DIR:-$SRV_TOP/cgi-bin}/\" )"
		echo 'cgi.assign = ( ".cgi" => "" )'
		if [ -n "$SRV_RUNAS" ]; then
			echo "server.username = \"$SRV_RUNAS\""
			echo "server.groupname = \"$(id -gn "$SRV_RUNAS")\""
		fi
		echo "include \"$d/tokengate.conf\""
		# SRV_LIGHTTPD_INCLUDE: more configuration files (srv_lighttpd_api_start's).
		for f in ${SRV_LIGHTTPD_INCLUDE:-}; do
			echo "include \"$f\""
		done
	} >"$d/lighttpd.conf"
	srv_spawn "$d/run/stderr.log" lighttpd -D -f "$d/lighttpd.conf"
	srv_wait_port "$port" "$SRV_LAST_PID" "$d/run/error.log" || return 1
	LIGHTTPD_URL=http://127.0.0.1:$port
}

# ---------------------------------------------------------------- Apache

srv_apache_conf_head() {
	local d=$1 port=$2 m
	echo "ServerRoot $d"
	echo "DefaultRuntimeDir $d/run"
	echo "PidFile $d/run/httpd.pid"
	echo "ErrorLog $d/run/error.log"
	echo "LogLevel ${SRV_APACHE_LOGLEVEL:-warn}"
	echo "Listen 127.0.0.1:$port"
	echo "ServerName 127.0.0.1"
	if [ -n "$SRV_RUNAS" ]; then
		echo "User $SRV_RUNAS"
		echo "Group $(id -gn "$SRV_RUNAS")"
	fi
	for m in mpm_event authz_core authn_core mime alias env headers setenvif cgi; do
		echo "LoadModule ${m}_module $SRV_APACHE_MODULES/mod_$m.so"
	done
	echo "TypesConfig /etc/mime.types"
	echo "DocumentRoot $d/www"
	echo "<Directory $d/www>"
	echo "	Require all granted"
	echo "</Directory>"
	if [ -n "${SRV_APP_DIR:-}" ]; then
		echo "Alias /app/ $SRV_APP_DIR/"
		echo "<Directory $SRV_APP_DIR>"
	else
		echo "ScriptAlias /app/ $SRV_TOP/cgi-bin/"
		echo "<Directory $SRV_TOP/cgi-bin>"
	fi
	echo "	Require all granted"
	echo "</Directory>"
	# Sanitizer settings reach CGI children through PassEnv (mod_cgi builds their env).
	echo "PassEnv ASAN_OPTIONS UBSAN_OPTIONS"
}

srv_apache_spawn() {
	local d=$1 port=$2
	apache2 -t -f "$d/httpd.conf" >"$d/run/configtest.log" 2>&1 || {
		sed 's/^/#   /' "$d/run/configtest.log" >&2
		return 1
	}
	srv_spawn "$d/run/stderr.log" apache2 -f "$d/httpd.conf" -DFOREGROUND
	srv_wait_port "$port" "$SRV_LAST_PID" "$d/run/error.log" || return 1
	APACHE_URL=http://127.0.0.1:$port
}

# srv_apache_fcgid_start: tokengate (SRV_AUTHZ) as FcgidAccessChecker on /app/, the demo app
# behind it through mod_cgi.
srv_apache_fcgid_start() {
	local d=$SRV_DIR/apache-fcgid port c
	srv_mkdir "$d" "$d/run"
	srv_docroot "$d"
	free_port port || return 1
	srv_common_render_args
	if [ -n "$SRV_PIN" ]; then
		SRV_ARGS+=('#SetEnvIf Request_URI "^" TOKENGATE_TENANT=acme'
			"SetEnvIf Request_URI \"^\" TOKENGATE_TENANT=$SRV_PIN")
	fi
	srv_render "$SRV_SNIPPETS/apache2/tokengate.conf" "$d/tokengate.conf" "${SRV_ARGS[@]}" ||
		return 1
	for c in $SRV_CLAIMS; do
		sed -i "s|^\(\t*\)#Header always unset Variable-TOKENGATE_CLAIM_ROLE|&\n\1Header always unset Variable-TOKENGATE_CLAIM_$c|" \
			"$d/tokengate.conf"
	done
	# Sanitizer settings: FcgidCmdOptions replaces FcgidInitialEnv for tokengate, so they join
	# its InitialEnv list.
	awk -v a="${ASAN_OPTIONS:-}" -v u="${UBSAN_OPTIONS:-}" '{ print }
		/^\t*InitialEnv TOKENGATE_CONFIG=/ {
			i = $0; sub(/InitialEnv.*/, "", i)
			if (a != "") print i "InitialEnv \"ASAN_OPTIONS=" a "\" \\"
			if (u != "") print i "InitialEnv \"UBSAN_OPTIONS=" u "\" \\" }' \
		"$d/tokengate.conf" >"$d/tokengate.conf.new" && mv "$d/tokengate.conf.new" "$d/tokengate.conf"
	{
		srv_apache_conf_head "$d" "$port"
		echo "LoadModule fcgid_module $SRV_APACHE_MODULES/mod_fcgid.so"
		echo "FcgidIPCDir $d/run/fcgid"
		echo "FcgidProcessTableFile $d/run/fcgid_shm"
		echo "Include $d/tokengate.conf"
	} >"$d/httpd.conf"
	srv_apache_spawn "$d" "$port"
}

# srv_apache_cgi_start CGI: the CGI build (CGI = path of tokengate.cgi) under mod_cgi, at
# /tokengate as the shipped snippet mounts it.
srv_apache_cgi_start() {
	local cgi=$1 d=$SRV_DIR/apache-cgi port
	srv_mkdir "$d" "$d/run"
	srv_docroot "$d"
	free_port port || return 1
	srv_common_render_args
	SRV_ARGS+=("$SRV_SNIPPET_CGI" "$cgi")
	srv_render "$SRV_SNIPPETS/apache2/tokengate.conf" "$d/tokengate.conf" "${SRV_ARGS[@]}" ||
		return 1
	{
		srv_apache_conf_head "$d" "$port"
		echo "<Directory $(dirname "$cgi")>"
		echo "	Require all granted"
		echo "</Directory>"
		echo "Include $d/tokengate.conf"
	} >"$d/httpd.conf"
	srv_apache_spawn "$d" "$port"
}

# ---------------------------------------------------------------- nginx

# srv_fcgi_listen NAME PORT: start SRV_AUTHZ listening on 127.0.0.1:PORT. tokengate runs its
# own pre-forked listener; anything else (trivial_authz) goes under spawn-fcgi.
srv_fcgi_listen() {
	local name=$1 port=$2 prog=${3:-$SRV_AUTHZ} d=$SRV_DIR/$1 i
	srv_mkdir "$d"
	case $(basename "$prog") in
	tokengate*)
		srv_spawn "$d/stderr.log" "${SRV_AS[@]}" env TOKENGATE_CONFIG="$SRV_TG_CONFIG" "$prog" \
			--listen "127.0.0.1:$port" --workers "${SRV_WORKERS:-2}" \
			--threads "${SRV_THREADS:-4}" --pidfile "$d/pid"
		;;
	*)
		# spawn-fcgi forks and exits; the workers' PIDs come from its pidfile.
		spawn-fcgi -a 127.0.0.1 -p "$port" -F "${SRV_WORKERS:-1}" -P "$d/pid" \
			${SRV_RUNAS:+-u "$SRV_RUNAS"} -- "$prog" >"$d/stderr.log" 2>&1 || return 1
		for i in $(cat "$d/pid"); do
			SRV_PIDS="$SRV_PIDS $i"
		done
		SRV_LAST_PID=$(head -n1 "$d/pid")
		;;
	esac
	srv_wait_port "$port" "$SRV_LAST_PID" "$d/stderr.log"
}

# srv_nginx_start: SRV_AUTHZ behind auth_request; the protected app is trivial_authz's echo
# responder (SRV_ECHO_APP), which prints the TOKENGATE_* params nginx passed it as JSON.
srv_nginx_start() {
	local d=$SRV_DIR/nginx port aport eport
	srv_mkdir "$d" "$d/run" "$d/tmp"
	srv_docroot "$d"
	free_port port || return 1
	free_port aport || return 1
	free_port eport || return 1
	srv_fcgi_listen authz "$aport" || return 1
	srv_fcgi_listen echo-app "$eport" "${SRV_ECHO_APP:?trivial_authz path}" || return 1
	SRV_ARGS=(
		"listen 127.0.0.1:8080;" "listen 127.0.0.1:$port;"
		"root /var/www/html;" "root $d/www;"
		"server unix:/run/tokengate/tokengate.sock;" "server 127.0.0.1:$aport;"
		"fastcgi_pass 127.0.0.1:9000;" "fastcgi_pass 127.0.0.1:$eport;"
	)
	if [ -n "$SRV_PIN" ]; then
		SRV_ARGS+=("#set \$tokengate_tenant acme;" "set \$tokengate_tenant $SRV_PIN;")
	fi
	srv_render "$SRV_SNIPPETS/nginx/tokengate.conf" "$d/tokengate.conf" "${SRV_ARGS[@]}" ||
		return 1
	srv_nginx_claims "$d/tokengate.conf"
	srv_nginx_run "$d" "$port" || return 1
	NGINX_URL=http://127.0.0.1:$port
}

# srv_nginx_claims FILE: for each claim of SRV_CLAIMS (ROLE ...), the snippet's commented
# CLAIM_ROLE lines repeated for that claim, uncommented.
srv_nginx_claims() {
	local c l
	for c in $SRV_CLAIMS; do
		l=$(echo "$c" | tr 'A-Z' 'a-z')
		sed -i -e "s|^\(\t*\)#auth_request_set \$tokengate_claim_role .*|&\n\1auth_request_set \$tokengate_claim_$l \$upstream_http_x_tokengate_claim_$l;|" \
			-e "s|^\(\t*\)#fastcgi_param TOKENGATE_CLAIM_ROLE .*|&\n\1fastcgi_param TOKENGATE_CLAIM_$c \$tokengate_claim_$l if_not_empty;|" \
			"$1"
	done
}

# srv_nginx_run DIR PORT [MAIN_LINE...]: nginx.conf in DIR around DIR/tokengate.conf (the
# MAIN_LINEs before events, SRV_NGINX_EXTRA inside http {}), checked with nginx -t, started,
# listening on PORT. A module built with the sanitizers needs their runtime loaded first.
srv_nginx_run() {
	local d=$1 port=$2 t line preload=()
	shift 2
	{
		[ -z "$SRV_RUNAS" ] || echo "user $SRV_RUNAS;"
		echo "worker_processes ${SRV_NGINX_WORKERS:-1};"
		echo "pid $d/run/nginx.pid;"
		echo "error_log $d/run/error.log ${SRV_NGINX_LOG_LEVEL:-warn};"
		echo "daemon off;"
		for line in "$@"; do
			echo "$line"
		done
		echo "events { worker_connections 1024; }"
		echo "http {"
		echo "	access_log off;"
		echo "	default_type application/octet-stream;"
		for t in client_body proxy fastcgi uwsgi scgi; do
			echo "	${t}_temp_path $d/tmp/$t;"
		done
		echo "	include $d/tokengate.conf;"
		echo "${SRV_NGINX_EXTRA:-}"
		echo "}"
	} >"$d/nginx.conf"
	cp /etc/nginx/fastcgi_params "$d/fastcgi_params"
	for line in "$@"; do
		case $line in
		"load_module "*)
			line=${line#load_module }
			read -ra preload <<<"$(ldd "${line%;}" 2>/dev/null |
				awk '/lib(asan|ubsan)\.so/ { print $3 }' | tr '\n' ' ')"
			;;
		esac
	done
	SRV_NGINX=(nginx)
	[ ${#preload[@]} -eq 0 ] ||
		SRV_NGINX=(env "LD_PRELOAD=${preload[*]}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1" nginx)
	"${SRV_NGINX[@]}" -t -p "$d/" -c "$d/nginx.conf" >"$d/run/configtest.log" 2>&1 || {
		sed 's/^/#   /' "$d/run/configtest.log" >&2
		return 1
	}
	srv_spawn "$d/run/stderr.log" "${SRV_NGINX[@]}" -p "$d/" -c "$d/nginx.conf"
	srv_wait_port "$port" "$SRV_LAST_PID" "$d/run/error.log"
}

# srv_nginx_module_start: builddir's ngx_http_tokengate_module in nginx, configured by the shipped
# etc/nginx/tokengate-module.conf with SRV_TG_CONFIG; the app is trivial_authz's echo responder
# (SRV_ECHO_APP), as in srv_nginx_start. SRV_PIN pins the tenant (tokengate_tenant);
# SRV_NGINX_MODULE loads another build of the module (an installed one).
srv_nginx_module_start() {
	local d=$SRV_DIR/nginx-module port eport
	srv_mkdir "$d" "$d/run" "$d/tmp"
	srv_docroot "$d"
	free_port port || return 1
	free_port eport || return 1
	srv_fcgi_listen echo-app "$eport" "${SRV_ECHO_APP:?trivial_authz path}" || return 1
	SRV_ARGS=(
		"listen 127.0.0.1:8080;" "listen 127.0.0.1:$port;"
		"root /var/www/html;" "root $d/www;"
		"fastcgi_pass 127.0.0.1:9000;" "fastcgi_pass 127.0.0.1:$eport;"
		"tokengate_config $SRV_SNIPPET_CONFIG;" "tokengate_config $SRV_TG_CONFIG;"
	)
	[ -z "$SRV_PIN" ] || SRV_ARGS+=("#tokengate_tenant acme;" "tokengate_tenant $SRV_PIN;")
	srv_render "$SRV_SNIPPETS/nginx/tokengate-module.conf" "$d/tokengate.conf" "${SRV_ARGS[@]}" ||
		return 1
	srv_nginx_claims "$d/tokengate.conf"
	srv_nginx_run "$d" "$port" \
		"load_module ${SRV_NGINX_MODULE:-$builddir/ngx_http_tokengate_module.so};" || return 1
	NGINX_MODULE_URL=http://127.0.0.1:$port
}

# ---------------------------------------------------------------- requests and checks

# srv_req URL [curl args...]: one request; SRV_STATUS gets the status, the headers and body
# land in $SRV_DIR/resp.hdr and $SRV_DIR/resp.body for srv_hdr and srv_json.
srv_req() {
	SRV_STATUS=$(curl -sS --max-time 10 -o "$SRV_DIR/resp.body" -D "$SRV_DIR/resp.hdr" \
		-w '%{http_code}' "$@") || SRV_STATUS="curl-failed"
}

# srv_hdr NAME: the value of the first response header NAME (case-insensitive).
srv_hdr() {
	awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n {
			v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); sub(/\r$/, "", v)
			print v; exit }' "$SRV_DIR/resp.hdr"
}

# srv_hdr_count PREFIX: how many response headers start with PREFIX (case-insensitive).
srv_hdr_count() {
	awk -v p="$1" 'BEGIN { p = tolower(p); c = 0 }
		tolower(substr($0, 1, length(p))) == p { c++ } END { print c }' "$SRV_DIR/resp.hdr"
}

# srv_json FILTER: jq over the last body ("" when it is not JSON).
srv_json() {
	jq -r "$1" "$SRV_DIR/resp.body" 2>/dev/null
}

# srv_is GOT WANT DESCRIPTION
srv_is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		echo "#   got:  '$1'" >&2
		echo "#   want: '$2'" >&2
	fi
}

# srv_like GOT GLOB DESCRIPTION
srv_like() {
	# shellcheck disable=SC2254
	case $1 in
	$2) pass "$3" ;;
	*)
		fail "$3"
		echo "#   got:  '$1'" >&2
		echo "#   want: $2" >&2
		;;
	esac
}

# srv_need PROGRAM...: skip the whole test when a server is not installed.
srv_need() {
	local p
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "1..0 # SKIP $p is not installed"
			exit 0
		fi
	done
}

# ---------------------------------------------------------------- tokengate fixture

# tg_fixture: a database with two tenants, a configuration for loopback (require_https off)
# and the tokens the checks use. Needs builddir/tokengatectl. Sets SRV_TG_CONFIG, TG_DB,
# TG_CTL (array) and TOK_* variables.
tg_fixture() {
	local d=$SRV_DIR/tg
	srv_mkdir "$d"
	TG_DB=$d/db
	TG_CTL=("${SRV_AS[@]}" "$builddir/tokengatectl" --db "$TG_DB")
	SRV_TG_CONFIG=$d/tokengate.conf
	tg_write_config no
	head -c 32 /dev/urandom >"$d/acme-k1.secret"
	head -c 32 /dev/urandom >"$d/acme-k2.secret"
	head -c 32 /dev/urandom >"$d/globex-g1.secret"
	chmod 644 "$d"/*.secret
	{
		"${TG_CTL[@]}" init &&
			"${TG_CTL[@]}" tenant add acme --issuer https://acme.example \
				--audience api://acme --max-lifetime 600 --map-claim role=ROLE \
				--allowed-origin https://app.acme.example &&
			"${TG_CTL[@]}" key add acme k1 --alg HS256 --secret-file "$d/acme-k1.secret" &&
			"${TG_CTL[@]}" tenant add globex --issuer https://globex.example \
				--max-lifetime 600 &&
			"${TG_CTL[@]}" key add globex g1 --alg HS256 \
				--secret-file "$d/globex-g1.secret"
	} >"$d/setup.log" 2>&1 || {
		sed 's/^/#   /' "$d/setup.log" >&2
		return 1
	}
	TOK_GOOD=$(tg_sign acme k1 alice --claim role=editor) || return 1
	TOK_BOB=$(tg_sign acme k1 bob) || return 1
	TOK_EXPIRED=$(tg_sign acme k1 alice --ttl -30) || return 1
	TOK_GLOBEX=$(tg_sign globex g1 gina) || return 1
	TOK_AUD=$(tg_sign acme k1 alice --claim aud=api://other) || return 1
	TOK_FORGED=$(tg_forge "$TOK_GOOD")
	TOK_NONE=$(tg_alg_none "$TOK_GOOD")
}

# tg_write_config REQUIRE_HTTPS: (re)writes the gateway configuration.
tg_write_config() {
	{
		echo "# written by tests/lib/servers.sh"
		echo "database = $TG_DB"
		echo "require_https = $1"
		echo "realm = tokengate-test"
		echo "token_cache_entries = 1024"
		echo "log_level = info"
	} >"$SRV_TG_CONFIG"
	chmod 644 "$SRV_TG_CONFIG"
}

# tg_sign TENANT KID SUB [tokengatectl token sign options]
tg_sign() {
	local tenant=$1 kid=$2 sub=$3
	shift 3
	"${TG_CTL[@]}" token sign "$tenant" --kid "$kid" --sub "$sub" \
		--key-file "$SRV_DIR/tg/$tenant-$kid.secret" "$@"
}

tg_b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# The payload swapped for another subject, the signature kept.
tg_forge() {
	local h p s
	IFS=. read -r h p s <<<"$1"
	printf '%s.%s.%s' "$h" \
		"$(printf '{"iss":"https://acme.example","aud":"api://acme","sub":"mallory","exp":%d}' \
			$(($(date +%s) + 300)) | tg_b64url)" "$s"
}

# The same claims with "alg":"none" and no signature (RFC 7519 6.1's unsecured JWT).
tg_alg_none() {
	local h p s
	IFS=. read -r h p s <<<"$1"
	printf '%s.%s.' "$(printf '{"alg":"none","typ":"JWT"}' | tg_b64url)" "$p"
}

# tg_no_token_in_response TOKEN WHAT: the last response does not echo TOKEN anywhere.
tg_no_token_in_response() {
	if grep -qF -- "$1" "$SRV_DIR/resp.hdr" "$SRV_DIR/resp.body"; then
		fail "$2: the response does not echo the token"
	else
		pass "$2: the response does not echo the token"
	fi
}

# ---------------------------------------------------------------- tokengate checks

# The kind of front end decides where the app's view is read and which refusals survive:
#   lighttpd, apache  demo-app.cgi's JSON (.variables.TOKENGATE_*, .remote_user)
#   nginx             trivial_authz's echo app JSON (.TOKENGATE_*)
#   cgi               tokengate.cgi's own X-Tokengate-* response headers
#   apache turns every refusal into 401 with its own HTML body (docs/servers.md).
TG_KIND=""

tg_var() {
	case $TG_KIND in
	lighttpd | apache) srv_json ".variables.TOKENGATE_$1 // empty" ;;
	nginx) srv_json ".TOKENGATE_$1 // empty" ;;
	cgi)
		srv_hdr "X-Tokengate-$(echo "$1" | awk -F_ '{ for (i = 1; i <= NF; i++)
			printf "%s%s%s", (i > 1 ? "-" : ""), substr($i, 1, 1), tolower(substr($i, 2)) }')"
		;;
	esac
}

# tg_refused WHAT STATUS ERROR TOKEN: the last response is that refusal.
tg_refused() {
	local what=$1 status=$2 error=$3 token=${4:-}
	if [ "$TG_KIND" = apache ]; then
		srv_is "$SRV_STATUS" 401 "$what: refused with 401 (mod_fcgid's only refusal status)"
	else
		srv_is "$SRV_STATUS" "$status" "$what: refused with $status"
	fi
	srv_like "$(srv_hdr WWW-Authenticate)" "Bearer realm=\"tokengate-test\", error=\"$error\"*" \
		"$what: WWW-Authenticate says $error"
	if [ "$TG_KIND" != apache ]; then
		srv_is "$(srv_json .error)" "$error" "$what: the JSON body says $error"
	fi
	srv_is "$(srv_hdr_count Variable-)" 0 "$what: no Variable-* header reaches the client"
	[ -z "$token" ] || tg_no_token_in_response "$token" "$what"
}

# tg_allowed WHAT SUB: the last response is the app's, for SUB of the pinned tenant.
tg_allowed() {
	srv_is "$SRV_STATUS" 200 "$1: allowed"
	srv_is "$(tg_var SUB)" "$2" "$1: the app sees TOKENGATE_SUB=$2"
}

tg_bearer() {
	srv_req "$TG_URL" -H "Authorization: Bearer $1" "${@:2}"
}

# tg_checks KIND URL TENANT: everything issue 4 asks of a front end, against a running server
# whose protected URL is URL and whose location pins TENANT (empty: found by iss).
# tg_log_lands URL FILE [ELSEWHERE...]: a request with a token for a subject of its own gets one
# decision line (log_level = info) in FILE, which docs/servers.md names for that server, with
# time, tenant, subject, decision, reason and latency, and never the token; the ELSEWHERE files
# (the server's other logs) do not get it.
tg_log_lands() {
	local url=$1 file=$2 sub k f n=0
	shift 2
	sub=logcheck-$RANDOM$RANDOM
	k=$(tg_sign acme k2 "$sub")
	srv_req "$url" -H "Authorization: Bearer $k"
	srv_is "$SRV_STATUS" 200 "a token for $sub is allowed"
	# A server may write the line a moment after the answer (CGI exits, pipes drain).
	while [ "$n" -lt 50 ] && ! grep -qs "sub=\"$sub\"" "$file"; do
		sleep 0.1
		n=$((n + 1))
	done
	srv_like "$(grep -s "sub=\"$sub\"" "$file")" \
		"*time=20*decision=allow status=200 tenant=acme sub=\"$sub\" sid=- reason=- latency_us=*" \
		"the decision line lands in ${file##*/}: time, tenant, subject, decision, reason, latency"
	srv_is "$(grep -c "sub=\"$sub\"" "$file")" 1 "one line for one decision"
	if grep -qsF "$k" "$file" "$@"; then
		fail "no token in the logs"
	else
		pass "no token in the logs"
	fi
	for f in "$@"; do
		if grep -qs "sub=\"$sub\"" "$f"; then
			fail "the decision line is not in ${f##*/}"
		else
			pass "the decision line is not in ${f##*/}"
		fi
	done
}

tg_checks() {
	TG_KIND=$1 TG_URL=$2
	local pin=$3 k n

	tg_bearer "$TOK_GOOD"
	tg_allowed "valid token" alice
	srv_is "$(tg_var TENANT)" acme "valid token: the app sees TOKENGATE_TENANT=acme (exactly once)"
	srv_is "$(tg_var KID)" k1 "valid token: the app sees TOKENGATE_KID"
	srv_like "$(tg_var EXP)" '[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*' \
		"valid token: TOKENGATE_EXP is NumericDate seconds"
	srv_is "$(tg_var CLAIM_ROLE)" editor "valid token: the mapped claim arrives as TOKENGATE_CLAIM_ROLE"
	case $TG_KIND in
	lighttpd | apache)
		srv_is "$(srv_json .remote_user)" alice "valid token: REMOTE_USER is the subject"
		;;
	esac
	srv_is "$(srv_hdr_count Variable-)" 0 "valid token: no Variable-* header reaches the client"
	if [ "$TG_KIND" != cgi ]; then
		srv_is "$(srv_hdr_count X-Tokengate-)" 0 "valid token: no X-Tokengate-* header reaches the client"
	fi

	srv_req "$TG_URL"
	srv_is "$SRV_STATUS" 401 "no token: 401"
	srv_is "$(srv_hdr WWW-Authenticate)" 'Bearer realm="tokengate-test"' \
		"no token: a bare Bearer challenge"

	tg_bearer "$TOK_EXPIRED"
	tg_refused "expired token" 401 invalid_token "$TOK_EXPIRED"
	tg_bearer "$TOK_FORGED"
	tg_refused "forged token" 401 invalid_token "$TOK_FORGED"
	tg_bearer "$TOK_NONE"
	tg_refused "alg none token" 401 invalid_token "$TOK_NONE"
	tg_bearer "$TOK_AUD"
	tg_refused "wrong audience" 401 invalid_token "$TOK_AUD"
	tg_bearer "not.a-token"
	tg_refused "malformed token" 401 invalid_token "not.a-token"
	srv_req "$TG_URL" -H "Authorization: Bearer two words"
	tg_refused "unreadable Authorization" 400 invalid_request
	srv_req "$TG_URL?access_token=$TOK_GOOD"
	srv_is "$SRV_STATUS" 401 "query-string token: not accepted"
	if [ -n "$pin" ]; then
		tg_bearer "$TOK_GLOBEX"
		tg_refused "another tenant's valid token on a pinned location" 401 invalid_token \
			"$TOK_GLOBEX"
	else
		tg_bearer "$TOK_GLOBEX"
		tg_allowed "another tenant's token, tenant found by iss" gina
		srv_is "$(tg_var TENANT)" globex "tenant found by iss: TOKENGATE_TENANT=globex"
	fi
	k=$(tg_cross_sign)
	tg_bearer "$k"
	tg_refused "acme's iss signed with globex's key" 401 invalid_token "$k"

	srv_req "$TG_URL" -H "Cookie: tg_session=$TOK_GOOD"
	tg_allowed "cookie token, GET" alice
	srv_req "$TG_URL" -X POST -d x=1 -H "Cookie: tg_session=$TOK_GOOD"
	tg_allowed "cookie token, POST without Origin, Referer or Sec-Fetch-Site (no browser)" alice
	srv_req "$TG_URL" -X POST -d x=1 -H "Cookie: tg_session=$TOK_GOOD" \
		-H "Sec-Fetch-Site: cross-site"
	tg_refused "cookie token, POST with Sec-Fetch-Site: cross-site and no Origin" 403 \
		invalid_request "$TOK_GOOD"
	srv_req "$TG_URL" -X POST -d x=1 -H "Cookie: tg_session=$TOK_GOOD" \
		-H "Origin: https://evil.example"
	tg_refused "cookie token, POST from another origin" 403 invalid_request "$TOK_GOOD"
	srv_req "$TG_URL" -X POST -d x=1 -H "Cookie: tg_session=$TOK_GOOD" \
		-H "Origin: https://app.acme.example"
	tg_allowed "cookie token, POST from an allowed origin" alice
	srv_req "$TG_URL" -X POST -d x=1 -H "Cookie: tg_session=$TOK_GOOD" \
		-H "Referer: https://app.acme.example/page"
	tg_allowed "cookie token, POST with an allowed Referer" alice
	tg_bearer "$TOK_GOOD" -X POST -d x=1
	tg_allowed "Bearer token, POST without Origin (no CSRF rule for headers)" alice

	# Key rotation on running workers: several requests, so every worker answers.
	"${TG_CTL[@]}" key add acme k2 --alg HS256 --secret-file "$SRV_DIR/tg/acme-k2.secret" \
		>/dev/null 2>&1
	k=$(tg_sign acme k2 carol)
	n=0
	for _ in 1 2 3 4 5 6; do
		tg_bearer "$k"
		[ "$SRV_STATUS" = 200 ] && [ "$(tg_var SUB)" = carol ] && n=$((n + 1))
	done
	srv_is "$n" 6 "a key added with tokengatectl works at once on running workers"
	"${TG_CTL[@]}" key remove acme k1 >/dev/null 2>&1
	n=0
	for _ in 1 2 3 4 5 6; do
		tg_bearer "$TOK_GOOD"
		[ "$SRV_STATUS" = 401 ] && n=$((n + 1))
	done
	srv_is "$n" 6 "a removed key's (cached) token is refused at once by running workers"
	tg_refused "token of a removed key" 401 invalid_token "$TOK_GOOD"
}

# tg_hs_sign SECRET_NAME HEADER PAYLOAD: HS256 by hand (openssl) with $SRV_DIR/tg/SECRET_NAME.secret,
# so the token's JSON is exactly the text given ("\u0000" escapes and all).
tg_hs_sign() {
	local h p s
	h=$(printf '%s' "$2" | tg_b64url)
	p=$(printf '%s' "$3" | tg_b64url)
	s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC \
		-macopt "hexkey:$(od -An -tx1 -v "$SRV_DIR/tg/$1.secret" | tr -d ' \n')" \
		-binary | tg_b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}

# tg_cross_sign: iss of acme, kid g1, signed with globex's secret, made by hand.
tg_cross_sign() {
	local now
	now=$(date +%s)
	tg_hs_sign globex-g1 '{"alg":"HS256","typ":"JWT","kid":"g1"}' \
		"$(printf '{"iss":"https://acme.example","aud":"api://acme","sub":"mallory","iat":%d,"exp":%d}' \
			"$now" $((now + 300)))"
}

# tg_string_checks: issue 12's one rule for strings through a running server whose location
# pins acme (tg_checks has left acme with key k2). Tokens signed by acme's own key with a U+0000
# in a claim or header member are refused as malformed, naming the member; a sub or a mapped
# claim too long is refused, never cut; at the limits, the app gets the value whole.
tg_string_checks() {
	local now hdr p k role512 sub256
	now=$(date +%s)
	hdr='{"alg":"HS256","typ":"JWT","kid":"k2"}'
	p='"iss":"https://acme.example","aud":"api://acme"'
	while IFS='|' read -r desc header payload member; do
		k=$(tg_hs_sign acme-k2 "$header" "$payload")
		tg_bearer "$k"
		tg_refused "NUL in $desc" 401 invalid_token "$k"
		srv_like "$(srv_json .error_description)" "*\"$member\" contains U+0000*" \
			"NUL in $desc: the description names $member"
		srv_is "$(srv_json '.remote_user // empty')" "" "NUL in $desc: the app never runs"
	done <<CASES
sub|$hdr|{$p,"sub":"alice\u0000@evil.example","exp":$((now + 60))}|sub
a sub starting with NUL|$hdr|{$p,"sub":"\u0000admin","exp":$((now + 60))}|sub
iss|$hdr|{"iss":"https://acme.example\u0000x","aud":"api://acme","sub":"alice","exp":$((now + 60))}|iss
aud|$hdr|{"iss":"https://acme.example","aud":"api://acme\u0000x","sub":"alice","exp":$((now + 60))}|aud
a mapped claim|$hdr|{$p,"sub":"alice","role":"admin\u0000-readonly","exp":$((now + 60))}|role
kid|{"alg":"HS256","kid":"k2\u0000x"}|{$p,"sub":"alice","exp":$((now + 60))}|kid
a header member|{"alg":"HS256","kid":"k2","x5u":"https://a\u0000"}|{$p,"sub":"alice","exp":$((now + 60))}|x5u
CASES
	role512=$(printf 'r%.0s' $(seq 512))
	sub256=$(printf 'u%.0s' $(seq 256))
	k=$(tg_hs_sign acme-k2 "$hdr" "{$p,\"sub\":\"$sub256\",\"role\":\"$role512\",\"exp\":$((now + 60))}")
	tg_bearer "$k"
	tg_allowed "a 256-byte sub and a 512-byte mapped claim" "$sub256"
	srv_is "$(srv_json .remote_user)" "$sub256" "REMOTE_USER is the 256-byte sub, whole"
	srv_is "$(tg_var CLAIM_ROLE)" "$role512" "TOKENGATE_CLAIM_ROLE is the 512-byte claim, whole"
	k=$(tg_hs_sign acme-k2 "$hdr" "{$p,\"sub\":\"alice\",\"role\":\"x$role512\",\"exp\":$((now + 60))}")
	tg_bearer "$k"
	tg_refused "a 513-byte mapped claim" 401 invalid_token "$k"
	srv_is "$(srv_json .error_description)" "the \"role\" claim is longer than the 512 bytes \
TOKENGATE_CLAIM_ROLE may pass; the token's issuer must shorten it" "the description names the claim"
	k=$(tg_hs_sign acme-k2 "$hdr" "{$p,\"sub\":\"x$sub256\",\"exp\":$((now + 60))}")
	tg_bearer "$k"
	tg_refused "a 257-byte sub" 401 invalid_token "$k"
	srv_is "$(srv_json .error_description)" "the \"sub\" claim is 257 bytes, more than the \
tenant's max_sub_length of 256" "the description names the limit"
	"${TG_CTL[@]}" tenant set acme --max-sub-length 300 >/dev/null 2>&1
	tg_bearer "$k"
	tg_allowed "the 257-byte sub once the tenant's max_sub_length is 300" "x$sub256"
	"${TG_CTL[@]}" tenant set acme --max-sub-length 256 >/dev/null 2>&1
}

# tg_https_checks: with require_https = yes, the same valid token over plain HTTP is refused.
tg_https_checks() {
	srv_req "$TG_URL" -H "Authorization: Bearer $1"
	tg_refused "require_https on, plain HTTP" 403 invalid_request "$1"
	if [ "$TG_KIND" != apache ]; then
		srv_like "$(srv_json .error_description)" '*[Hh][Tt][Tt][Pp][Ss]*' \
			"require_https on: the description says why"
	fi
}

# tg_need_build FILE...: the built programs the test needs; missing ones fail the test.
tg_need_build() {
	local f missing=0
	for f in "$@"; do
		if [ ! -x "$f" ]; then
			fail "$f is built"
			missing=1
		fi
	done
	if [ "$missing" -ne 0 ]; then
		done_testing
		exit 1
	fi
}

# ---------------------------------------------------------------- the HTTP API (issue 5)

# srv_lighttpd_api_start: srv_lighttpd_start plus the API: SRV_AUTHZ as a FastCGI responder
# (or SRV_API_BIN, a copy under another name whose processes pgrep can tell apart) mounted at
# /api (SRV_API_WORKERS processes, default 1; the API routes on PATH_INFO), and a
# second protected location /step/ serving the demo app like /app/, pinned to SRV_PIN, whose
# authorizer also requires the methods SRV_STEP_AMR (TOKENGATE_REQUIRE_AMR, default otp) and an
# authentication at most SRV_STEP_MAX_AGE seconds old (TOKENGATE_MAX_AUTH_AGE; empty: none).
# Sets TG, the API's base URL, and SRV_API_LOG, the workers' stderr (the snippet's server.breakagelog).
# SRV_API_INCLUDE: more lighttpd configuration files (a TLS socket, say).
srv_lighttpd_api_start() {
	local d=$SRV_DIR/lighttpd
	srv_mkdir "$d" "$d/run"
	# The shipped API snippet, with this run's paths and worker count.
	srv_render "$SRV_SNIPPETS/lighttpd/tokengate-api.conf" "$d/api.conf" \
		"$SRV_SNIPPET_BIN" "${SRV_API_BIN:-$SRV_AUTHZ}" \
		"$SRV_SNIPPET_CONFIG" "$SRV_TG_CONFIG" \
		/run/lighttpd/tokengate-api.sock "$d/run/api.sock" \
		'"max-procs" => 2' "\"max-procs\" => ${SRV_API_WORKERS:-1}" || return 1
	echo "alias.url += ( \"/step/\" => \"${SRV_APP_DIR:-$SRV_TOP/cgi-bin}/\" )" >>"$d/api.conf"
	srv_common_render_args
	SRV_ARGS+=(
		'server.modules += ( "mod_fastcgi", "mod_setenv" )' ''
		'server.breakagelog = "/var/log/lighttpd/tokengate.log"' ''
		'"^/app/"' '"^/step/"'
		/run/lighttpd/tokengate.sock "$d/run/step.sock"
		"#setenv.add-environment = ( \"TOKENGATE_TENANT\" => \"acme\" )"
		"setenv.add-environment = ( \"TOKENGATE_TENANT\" => \"${SRV_PIN:?}\", \"TOKENGATE_REQUIRE_AMR\" => \"${SRV_STEP_AMR:-otp}\", \"TOKENGATE_MAX_AUTH_AGE\" => \"${SRV_STEP_MAX_AGE:-}\" )"
	)
	srv_render "$SRV_SNIPPETS/lighttpd/tokengate.conf" "$d/step.conf" "${SRV_ARGS[@]}" || return 1
	SRV_LIGHTTPD_INCLUDE="$d/api.conf $d/step.conf ${SRV_API_INCLUDE:-}" srv_lighttpd_start ||
		return 1
	TG=$LIGHTTPD_URL/api
	SRV_API_LOG=$d/run/tokengate.log
}

# tg_api_fixture: tg_fixture with no configured rate limit (tests set one per tenant) and an
# API key for each tenant: AK/AK_ID for acme, BK/BK_ID for globex.
tg_api_fixture() {
	tg_fixture || return 1
	echo "rate_limit_per_key = 0" >>"$SRV_TG_CONFIG"
	read -r AK_ID AK <<<"$(tg_apikey acme)"
	read -r BK_ID BK <<<"$(tg_apikey globex)"
	[ -n "$AK" ] && [ -n "$BK" ]
}

# tg_apikey TENANT: prints "ID KEY" of a new API key.
tg_apikey() {
	"${TG_CTL[@]}" apikey create "$1" --json | jq -r '"\(.id) \(.key)"'
}

# tg_call KEY METHOD PATH [JSON [curl args...]]: one API request to $TG$PATH with
# Authorization: Bearer KEY (none when KEY is empty) and, when JSON is given, that JSON body.
# Results as srv_req's (SRV_STATUS, srv_json, srv_hdr).
tg_call() {
	local key=$1 m=$2 p=$3 args=()
	shift 3
	[ -z "$key" ] || args+=(-H "Authorization: Bearer $key")
	if [ $# -gt 0 ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$1")
		shift
	elif [ "$m" = POST ]; then
		# As HTTP clients send a POST without a body: lighttpd answers 411 without it.
		args+=(-H 'Content-Length: 0')
	fi
	srv_req "$TG$p" -X "$m" "${args[@]}" "$@"
}

# tg_issue KEY JSON: POST /v1/sessions; on 201 sets SID, AT (access token), RT (refresh token).
tg_issue() {
	SID="" AT="" RT=""
	tg_call "$1" POST /v1/sessions "$2"
	if [ "$SRV_STATUS" = 201 ]; then
		SID=$(srv_json .session_id) AT=$(srv_json .access_token) RT=$(srv_json .refresh_token)
	else
		echo "# tg_issue $2: $SRV_STATUS $(cat "$SRV_DIR/resp.body" 2>/dev/null)" >&2
	fi
}

# tg_api_error WHAT STATUS ERROR: the last response is that API error, as JSON with a
# description.
tg_api_error() {
	srv_is "$SRV_STATUS" "$2" "$1: $2"
	srv_is "$(srv_json .error)" "$3" "$1: error $3"
	srv_like "$(srv_json .error_description)" '?*' "$1: an error_description"
}

# tg_sessions TENANT: the tenant's stored sessions as tokengatectl lists them (JSON, every page).
# What it says on stderr (a recovery it ran after killed workers, say) goes to a file, not into
# the JSON.
tg_sessions() {
	"${TG_CTL[@]}" session list "$1" --all --json 2>>"$SRV_DIR/tg_sessions.err"
}

# tg_jwt_part N TOKEN: part N (1 header, 2 payload) of a JWS, decoded.
tg_jwt_part() {
	local s
	s=$(cut -d. -f"$1" <<<"$2" | tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do s="$s="; done
	printf '%s' "$s" | base64 -d 2>/dev/null
}
