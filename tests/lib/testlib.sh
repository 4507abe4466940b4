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
#   free_port VAR       sets VAR to a TCP port nothing listens on at 127.0.0.1,
#                       outside the kernel's ephemeral range, not handed out before
#                       in this test
#   wait_for SECS CMD... polls CMD every 0.1 s until it succeeds; 1 on timeout
#   wait_for_port PORT [SECS [PID]]  waits until 127.0.0.1:PORT accepts connections
#                       (10 s by default); gives up at once when PID has exited
#   is_running PID      PID runs (an exited but unreaped child, a zombie, does not)
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

# Ports the kernel never picks for an outgoing connection: a test's listener cannot lose its port
# to some client's connect() between free_port and the bind. The ephemeral range comes from
# /proc (Debian's 32768-60999 when it cannot be read); test ports are drawn below it from 10000
# up or, when it starts too low to leave 1000 ports there, above it.
_tap_ports=" "

# _port_range: "LO HI", the ports free_port draws from; nothing when there is no room.
_port_range() {
	local lo hi
	read -r lo hi 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range
	case "$lo:$hi" in
	*[!0-9:]* | :* | *:) lo=32768 hi=60999 ;;
	esac
	if [ "$lo" -ge 11000 ]; then
		echo "10000 $((lo - 1))"
	elif [ "$hi" -le 64535 ]; then
		echo "$((hi + 1)) 65535"
	fi
}

_port_accepts() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_port_is_free() {
	if command -v ss >/dev/null 2>&1 && [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]; then
		return 1
	fi
	! _port_accepts "$1"
}

# Its locals carry a prefix: printf -v would set a local of the caller's name here instead.
free_port() {
	local _fp_lo _fp_hi _fp_port _fp_i
	read -r _fp_lo _fp_hi < <(_port_range)
	if [ -z "$_fp_hi" ]; then
		echo "testlib.sh: the ephemeral port range leaves no room for test ports" >&2
		return 1
	fi
	for ((_fp_i = 0; _fp_i < 100; _fp_i++)); do
		_fp_port=$((_fp_lo + (RANDOM * 32768 + RANDOM) % (_fp_hi - _fp_lo + 1)))
		case $_tap_ports in *" $_fp_port "*) continue ;; esac
		if _port_is_free "$_fp_port"; then
			_tap_ports="$_tap_ports$_fp_port "
			printf -v "$1" '%s' "$_fp_port"
			return 0
		fi
	done
	echo "testlib.sh: no free port found" >&2
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
	local port=$1 secs=${2:-10} pid=${3:-} i
	for ((i = 0; i < secs * 10; i++)); do
		_port_accepts "$port" && return 0
		[ -z "$pid" ] || is_running "$pid" || return 1
		sleep 0.1
	done
	_port_accepts "$port"
}

# kill -0 succeeds on a zombie, so an exited but unreaped child counts as gone here.
is_running() {
	local stat
	stat=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		is_running "$pid" || break
		sleep 0.1
	done
	is_running "$pid" && return 124
	wait "$pid"
}
