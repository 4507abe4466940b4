# Shell helpers for tests/*.test, sourced (bash): TAP output read by automake's
# tap-driver.sh, a scratch directory and background processes cleaned up by an
# EXIT trap, free loopback ports and bounded waits. Tests never wait unbounded.
#
#   ok STATUS DESC      passes when STATUS is 0 (a command's exit status)
#   pass DESC / fail DESC / skip DESC / diag LINE... / bail_out MSG
#   is GOT WANT DESC    string equality, showing both on failure
#   like TEXT ERE DESC  TEXT matches the extended regular expression
#   plan N              optional; done_testing prints the plan otherwise
#   done_testing        ends the test; exits 1 if anything failed or nothing ran
#   make_tmpdir         sets $tmpdir to a fresh directory removed at exit
#   at_exit CMD...      runs CMD at exit (last registered runs first)
#   kill_at_exit PID    kills PID (and waits for it) at exit if still running
#   free_port           prints a TCP port nothing listens on at 127.0.0.1
#   wait_for SECS CMD... polls CMD every 0.1 s until it succeeds; 1 on timeout
#   wait_for_port PORT [SECS]  waits until 127.0.0.1:PORT accepts connections
#   wait_pid PID SECS   waits for a child to exit; returns its status, or 124
#                       if it still runs after SECS (it is left running)

_tap_n=0
_tap_failed=0
_tap_planned=
_tap_cleanup=()

plan() {
	_tap_planned=$1
	echo "1..$1"
}

_tap_result() {
	local status=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_failed=$((_tap_failed + 1))
	fi
	return "$status"
}

ok() {
	local status=$1
	shift
	case "$status" in
	'' | *[!0-9]*) status=1 ;;
	esac
	_tap_result "$status" "$*"
}

pass() { _tap_result 0 "$*"; }
fail() { _tap_result 1 "$*"; }

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $*"
}

diag() {
	local arg line
	for arg in "$@"; do
		printf '%s\n' "$arg" | while IFS= read -r line; do echo "# $line"; done
	done
}

bail_out() {
	echo "Bail out! $*"
	exit 1
}

is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		pass "$*"
	else
		fail "$*"
		diag "got:  '$got'" "want: '$want'"
		return 1
	fi
}

like() {
	local text=$1 re=$2
	shift 2
	if printf '%s' "$text" | grep -Eq -- "$re"; then
		pass "$*"
	else
		fail "$*"
		diag "'$text'" "does not match /$re/"
		return 1
	fi
}

done_testing() {
	[ -n "$_tap_planned" ] || echo "1..$_tap_n"
	if [ "$_tap_failed" -ne 0 ] || [ "$_tap_n" -eq 0 ]; then
		exit 1
	fi
	exit 0
}

_tap_run_cleanup() {
	local i
	for ((i = ${#_tap_cleanup[@]} - 1; i >= 0; i--)); do
		eval "${_tap_cleanup[$i]}" >/dev/null 2>&1
	done
}
trap _tap_run_cleanup EXIT

at_exit() {
	_tap_cleanup+=("$*")
}

kill_at_exit() {
	at_exit "kill -9 $1 2>/dev/null; wait $1 2>/dev/null"
}

make_tmpdir() {
	tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/tokengate-test.XXXXXX") || bail_out "mktemp -d failed"
	at_exit "rm -rf '$tmpdir'"
}

_port_is_free() {
	if command -v ss >/dev/null 2>&1 && [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; then
		return 1
	fi
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
	local i port
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if _port_is_free "$port"; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

wait_for_port() {
	wait_for "${2:-10}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# kill -0 succeeds on a zombie, so an exited but unreaped child counts as gone here.
_is_running() {
	local stat
	stat=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		_is_running "$pid" || break
		sleep 0.1
	done
	_is_running "$pid" && return 124
	wait "$pid"
}
