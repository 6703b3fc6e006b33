#!/bin/sh
# Benchmark: "ensbatch apply" of CALLS scheduled BatchEventRebootInstance
# calls (BATCH targets each) against ensbatch-sim answering after
# LATENCY ms, with the rate limit lifted (api.rate 1000), for --parallel
# 1 and 8, over HTTP and HTTPS, with and without the preflight.  Prints
# per configuration the medians of RUNS runs: wall time, wall/ideal
# (ideal = ceil(CALLS / parallel) * LATENCY, the reboot calls alone),
# wall/ideal+r (the same ideal plus the preflight's round trips that no
# client can avoid: ceil(ceil(TARGETS / 50) / parallel) * LATENCY, as
# DescribeHistoryEvents takes at most 50 ResourceIds a call), CPU
# (user+sys) per request, requests, TLS handshakes (full/resumed, as the
# simulator saw them) and peak RSS.  apply runs as an operator would run
# it: without -v.  Not part of make check.
#
#   bench/apply.sh [-n CALLS] [-b BATCH] [-l LATENCY_MS] [-r RUNS]
#                  [-p "1 8"]                 (run from a built tree)
#
# BENCH_NO_TIME=1 measures without /usr/bin/time (shell times, /proc).
set -eu

calls=100
batch=20
latency=20
runs=3
parallels="1 8"
while getopts n:b:l:r:p: opt; do
	case $opt in
	n) calls=$OPTARG ;;
	b) batch=$OPTARG ;;
	l) latency=$OPTARG ;;
	r) runs=$OPTARG ;;
	p) parallels=$OPTARG ;;
	*) sed -n '2,17s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
me=bench/apply.sh
. "$(dirname "$0")/lib.sh"

# timed CMD...: run it; "wall user sys peak-KiB" into $tmp/time.  With
# /usr/bin/time if there is one, else the shell's times and the VmHWM of
# /proc (polled; its CPU counts a few sleep(1) as well).
timed() {
	if [ -x /usr/bin/time ] && [ -z "${BENCH_NO_TIME:-}" ]; then
		# time's %e counts hundredths: the wall from date's ns.
		t0=$(date +%s%N)
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@"
		rc=$?
		t1=$(date +%s%N)
		case $t0$t1 in
		*[!0-9]*) ;;
		*)	awk -v ns="$((t1 - t0))" '{ $1 = sprintf("%.3f",
			    ns / 1e9); print }' "$tmp/time" >"$tmp/time.ns" &&
			    mv "$tmp/time.ns" "$tmp/time" ;;
		esac
		return "$rc"
	fi
	t0=$(date +%s%N)
	(
		"$@" &
		pid=$!
		hwm=0
		while kill -0 "$pid" 2>/dev/null; do
			while read -r k v _; do
				[ "$k" = VmHWM: ] && hwm=$v
			done <"/proc/$pid/status" 2>/dev/null || :
			sleep 0.05
		done
		wait "$pid"
		rc=$?
		echo "$hwm" >"$tmp/hwm"
		times >"$tmp/times"
		exit "$rc"
	)
	rc=$?
	t1=$(date +%s%N)
	awk -v t0="$t0" -v t1="$t1" -v kib="$(cat "$tmp/hwm")" '
	function secs(s) { split(s, a, "m"); sub("s", "", a[2]);
		return a[1] * 60 + a[2] }
	NR == 2 { printf "%.3f %.2f %.2f %s\n", (t1 - t0) / 1e9,
		secs($1), secs($2), kib }' "$tmp/times" >"$tmp/time"
	return "$rc"
}

# one SCHEME PARALLEL PREFLIGHT: one run; appends to $tmp/{wall,cpu,...}.
one() {
	start_sim "$1"
	pf=
	[ "$3" = no ] && pf=--no-preflight
	rm -f "$tmp/j.jsonl" "$tmp/r.xml"
	# shellcheck disable=SC2086
	timed "$ensbatch" apply \
	    --yes --parallel "$2" $pf --cacert "$tmp/cert.pem" \
	    --journal "$tmp/j.jsonl" --report "$tmp/r.xml" "$tmp/m.yaml" \
	    >/dev/null 2>"$tmp/err" || {
		echo "bench/apply.sh: apply failed ($1, parallel $2," \
		    "preflight $3):" >&2
		tail -n 5 "$tmp/err" >&2
		exit 1
	}
	stop_sim
	read -r wall user sys kib <"$tmp/time"
	# Requests only: the log also has one transition record per change.
	reqs=$(grep -c "\"type\":\"request\"" "$tmp/log.jsonl")
	reboots=$(grep -c '"BatchEventRebootInstance"' "$tmp/log.jsonl" || :)
	# The server's view of each TLS connection's first request.
	hs="$(grep -c '"handshake":"full"' "$tmp/log.jsonl" || :) $(grep -c \
	    '"handshake":"resumed"' "$tmp/log.jsonl" || :)"
	echo "$wall" >>"$tmp/wall"
	awk -v u="$user" -v s="$sys" -v n="$reqs" \
	    'BEGIN { printf "%.3f\n", (u + s) * 1000 / n }' >>"$tmp/cpu"
	echo "$reqs" >>"$tmp/reqs"
	echo "$reboots" >>"$tmp/reboots"
	echo "$hs" | awk '{ print $1 }' >>"$tmp/full"
	echo "$hs" | awk '{ print $2 }' >>"$tmp/resumed"
	echo "$kib" >>"$tmp/rss"
}

echo "apply: $calls scheduled calls of $batch targets ($targets targets)," \
    "latency $latency ms, api.rate 1000, medians of $runs runs"
echo "ideal: ceil(calls / par) * latency; ideal+r adds the preflight's" \
    "ceil(ceil(targets / 50) / par) round trips"
printf '%-6s %3s %-9s %8s %10s %12s %12s %5s %8s %9s %10s\n' scheme par \
    preflight wall_s wall/ideal wall/ideal+r cpu_ms/req reqs reboots \
    "TLS f/r" rss_KiB
for scheme in http https; do
	for par in $parallels; do
		for preflight in yes no; do
			rm -f "$tmp/wall" "$tmp/cpu" "$tmp/reqs" \
			    "$tmp/reboots" "$tmp/full" "$tmp/resumed" \
			    "$tmp/rss"
			run=0
			while [ "$run" -lt "$runs" ]; do
				one "$scheme" "$par" "$preflight"
				run=$((run + 1))
			done
			wall=$(median "$tmp/wall")
			ideal=$(awk -v n="$calls" -v p="$par" -v l="$latency" \
			    'BEGIN { print int((n + p - 1) / p) * l / 1000 }')
			reads=0
			[ "$preflight" = yes ] &&
			    reads=$(((targets + 49) / 50))
			ideal_r=$(awk -v i="$ideal" -v n="$reads" -v p="$par" \
			    -v l="$latency" \
			    'BEGIN { print i + int((n + p - 1) / p) * l / 1000 }')
			printf '%-6s %3s %-9s %8s %10s %12s %12s %5s %8s %9s %10s\n' \
			    "$scheme" "$par" "$preflight" "$wall" \
			    "$(awk -v w="$wall" -v i="$ideal" \
			    'BEGIN { printf "%.2f", w / i }')" \
			    "$(awk -v w="$wall" -v i="$ideal_r" \
			    'BEGIN { printf "%.2f", w / i }')" \
			    "$(median "$tmp/cpu")" "$(median "$tmp/reqs")" \
			    "$(median "$tmp/reboots")" \
			    "$(median "$tmp/full")/$(median "$tmp/resumed")" \
			    "$(median "$tmp/rss")"
		done
	done
done
