# Shell helpers for tests that run tokengatectl: a command's exit code and its
# stdout and stderr in $out and $err (the caller sets both), and checks on them.
# Sourced after testlib.sh; never runs anything itself.

# run CODE DESC CMD...: runs CMD with stdout in $out and stderr in $err.
# A sanitizer report fails the case even when the exit code is right.
run() {
	local want=$1 desc=$2 got
	shift 2
	"$@" >"$out" 2>"$err"
	got=$?
	if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$err"; then
		fail "$desc: sanitizer report"
		sed 's/^/# /' "$err"
	elif [ "$got" = "$want" ]; then
		pass "$desc (exit $want)"
	else
		fail "$desc: exit $got, want $want"
		sed 's/^/# /' "$err" | head -5
	fi
}

# Same, with stdin from a file.
run_in() {
	local input=$1
	shift
	run "$@" <"$input"
}

out_has() { if grep -qF -- "$1" "$out"; then pass "$2"; else fail "$2: stdout lacks '$1'"; fi; }
err_has() { if grep -qF -- "$1" "$err"; then pass "$2"; else fail "$2: stderr lacks '$1'"; fi; }
err_lacks() { if grep -qF -- "$1" "$err"; then fail "$2: stderr has '$1'"; else pass "$2"; fi; }
out_lacks() { if grep -qF -- "$1" "$out"; then fail "$2: stdout shows it"; else pass "$2"; fi; }
jq_ok() { if jq -e "$1" "$out" >/dev/null 2>&1; then pass "$2"; else fail "$2: jq '$1' fails"; fi; }
