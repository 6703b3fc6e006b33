#!/bin/sh
# Benchmark: "ensbatch apply" of CALLS scheduled BatchEventRebootInstance
# calls (BATCH targets each) against ensbatch-sim answering after
# LATENCY ms, with the rate limit lifted (api.rate 1000), for --parallel
# 1 and 8, over HTTP and HTTPS, with and without the preflight.  Prints
# per configuration the medians of RUNS runs: wall time, wall/ideal
# (ideal = ceil(CALLS / parallel) * LATENCY, the reboot calls alone),
# CPU (user+sys) per request, requests, TLS handshakes (full/resumed, as
# "ensbatch -v" counts them) and peak RSS.  Not part of make check.
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
	*) sed -n '2,13s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
ensbatch=${ENSBATCH:-./ensbatch}
sim=${ENSBATCH_SIM:-./ensbatch-sim}
for p in "$ensbatch" "$sim"; do
	[ -x "$p" ] || { echo "bench/apply.sh: no $p: build first" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "needs openssl" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-bench.XXXXXX")
sim_pid=
cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || :
		wait "$sim_pid" 2>/dev/null || :
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

AK=bench-ak
SECRET=bench-secret
HOME=$tmp/home
mkdir -p "$HOME"
ALIBABA_CLOUD_ACCESS_KEY_ID=$AK
ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SECRET
unset ALIBABA_CLOUD_SECURITY_TOKEN ALIBABA_CLOUD_PROFILE
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export HOME ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" >/dev/null 2>&1

targets=$((calls * batch))
start=$(date -u -d '+3 hours' +%Y-%m-%dT%H:00:00Z)

# start_sim SCHEME: a fresh fleet (every event Inquiring) on a free port.
start_sim() {
	rm -f "$tmp/port" "$tmp/log.jsonl" "$tmp/emitted.yaml"
	tls=
	[ "$1" = https ] && tls="--tls-cert $tmp/cert.pem --tls-key $tmp/key.pem"
	# shellcheck disable=SC2086
	"$sim" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	    --access-key "$AK:$SECRET" --generate "$targets" --seed 7 \
	    --latency "$latency" --log "$tmp/log.jsonl" \
	    --emit-manifest "$tmp/emitted.yaml" $tls 2>>"$tmp/sim.err" &
	sim_pid=$!
	w=0
	while [ ! -s "$tmp/port" ] || [ ! -s "$tmp/emitted.yaml" ]; do
		w=$((w + 1))
		if [ "$w" -gt 300 ] || ! kill -0 "$sim_pid" 2>/dev/null; then
			echo "bench/apply.sh: ensbatch-sim did not start" >&2
			cat "$tmp/sim.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	# One scheduled group of every target the simulator made.
	{
		printf 'ensbatch: 1\nname: bench\napi:\n'
		printf '  endpoint: %s://127.0.0.1:%s\n' "$1" "$(cat "$tmp/port")"
		printf '  rate: 1000\npolicies:\n  night:\n    ops: scheduled\n'
		printf '    batch_size: %s\n    start: %s\n' "$batch" "$start"
		printf '    stagger: 1m\n    max_failures: 100%%\n'
		printf 'groups:\n  - name: all\n    policy: night\n    targets:\n'
		grep -E '^  - event: |^    resource: ' "$tmp/emitted.yaml" |
		    sed 's/^/    /'
	} >"$tmp/m.yaml"
}

stop_sim() {
	kill "$sim_pid" 2>/dev/null || :
	wait "$sim_pid" 2>/dev/null || :
	sim_pid=
}

# median FILE: the middle value of a column of numbers.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# timed CMD...: run it; "wall user sys peak-KiB" into $tmp/time.  With
# /usr/bin/time if there is one, else the shell's times and the VmHWM of
# /proc (polled; its CPU counts a few sleep(1) as well).
timed() {
	if [ -x /usr/bin/time ] && [ -z "${BENCH_NO_TIME:-}" ]; then
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@"
		return
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
	NR == 2 { printf "%.2f %.2f %.2f %s\n", (t1 - t0) / 1e9,
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
	timed "$ensbatch" apply -v \
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
	hs=$(sed -n 's/^ensbatch: TLS handshakes: \([0-9]*\) full, \([0-9]*\) resumed$/\1 \2/p' \
	    "$tmp/err")
	[ -n "$hs" ] || hs="0 0"
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
printf '%-6s %3s %-9s %8s %10s %12s %5s %8s %9s %10s\n' scheme par \
    preflight wall_s wall/ideal cpu_ms/req reqs reboots "TLS f/r" rss_KiB
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
			printf '%-6s %3s %-9s %8s %10s %12s %5s %8s %9s %10s\n' \
			    "$scheme" "$par" "$preflight" "$wall" \
			    "$(awk -v w="$wall" -v i="$ideal" \
			    'BEGIN { printf "%.2f", w / i }')" \
			    "$(median "$tmp/cpu")" "$(median "$tmp/reqs")" \
			    "$(median "$tmp/reboots")" \
			    "$(median "$tmp/full")/$(median "$tmp/resumed")" \
			    "$(median "$tmp/rss")"
		done
	done
done
