# bench-lib.sh: the measuring half of the benchmarks through real servers (tests/bench/*-bench),
# sourced after tests/lib/servers.sh: wrk runs reduced to "req/s p50 p99", table rows with a ratio
# to a baseline, and a one-request sanity check before a row is measured.
#   BENCH_SECS, BENCH_CONNS      wrk's duration and connections
#   BENCH_SERVER, BENCH_BASE     the row's server column and the req/s ratios are taken to

# bench_wrk URL [HEADER [LUA_SCRIPT]]: wrk for BENCH_SECS; prints "req/s p50(ms) p99(ms) non2xx".
bench_wrk() {
	local out rps p50 p99 bad
	out=$(wrk -t2 -c"$BENCH_CONNS" -d"${BENCH_SECS}s" --latency ${2:+-H "$2"} ${3:+-s "$3"} "$1" 2>&1)
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(bench_ms 50% <<<"$out")
	p99=$(bench_ms 99% <<<"$out")
	bad=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	if [ -n "$bad" ]; then
		echo "bench: $bad non-2xx answers for $1" >&2
	fi
	echo "${rps:-0} ${p50:-0} ${p99:-0} ${bad:-0}"
}

# bench_ms PERCENTILE: that line of wrk's latency distribution (stdin), in ms.
bench_ms() {
	awk -v q="$1" '$1 == q { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.2f", v }'
}

BENCH_BASE=0
# bench_row NAME RPS P50 P99: one line of the table, with the ratio to BENCH_BASE when set.
bench_row() {
	local ratio="-"
	if [ "$BENCH_BASE" != 0 ]; then
		ratio=$(awk -v a="$2" -v b="$BENCH_BASE" 'BEGIN { printf "%.2fx", a / b }')
	fi
	printf '%-14s %-40s %10.0f %9s %9s %8s\n' "$BENCH_SERVER" "$1" "$2" "$3" "$4" "$ratio"
}

bench_header() {
	printf '%-14s %-40s %10s %9s %9s %8s\n' server case "req/s" "p50 ms" "p99 ms" ratio
}

# bench_check URL [HEADER]: one request must be 200 before a row is measured.
bench_check() {
	local st
	st=$(curl -s -o /dev/null -w '%{http_code}' ${2:+-H "$2"} "$1")
	[ "$st" = 200 ] || echo "bench: $1 answers $st, not 200" >&2
}
