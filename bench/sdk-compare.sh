#!/bin/sh
# Benchmark: ensbatch against the official Alibaba Cloud SDK for Node
# (@alicloud/openapi-client, which the generated @alicloud/ens20171110
# client calls into) sending the same CALLS scheduled
# BatchEventRebootInstance calls of BATCH targets to ensbatch-sim over
# HTTP at LATENCY ms, CONCURRENCY calls in flight.  ensbatch runs
# "apply --no-preflight --parallel CONCURRENCY" (the SDK does no
# preflight; ensbatch still journals every call, fsync'd before it is
# sent and after its answer).  Prints the medians of RUNS runs, each on
# a fresh fleet: the wall time of each process, and of the SDK's calls
# alone (without node's start-up).  Not part of make check.
#
#   bench/sdk-compare.sh [-n CALLS] [-b BATCH] [-l LATENCY_MS] [-r RUNS]
#                        [-c CONCURRENCY]      (run from a built tree)
#
# The SDK is looked for in SDK_DIR (default /tmp/ensbatch-sdk), as
#   npm install --prefix "$SDK_DIR" @alicloud/openapi-client @alicloud/tea-util
# leaves it; without node or the SDK the benchmark is skipped (exit 0).
set -eu

calls=100
batch=20
latency=20
runs=5
concurrency=8
while getopts n:b:l:r:c: opt; do
	case $opt in
	n) calls=$OPTARG ;;
	b) batch=$OPTARG ;;
	l) latency=$OPTARG ;;
	r) runs=$OPTARG ;;
	c) concurrency=$OPTARG ;;
	*) sed -n '2,18s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
me=bench/sdk-compare.sh
here=$(cd "$(dirname "$0")" && pwd)
SDK_DIR=${SDK_DIR:-/tmp/ensbatch-sdk}
NODE_PATH=$SDK_DIR/node_modules
export NODE_PATH
if ! command -v node >/dev/null 2>&1; then
	echo "$me: node is not installed: skipped"
	exit 0
fi
if ! node -e 'require("@alicloud/openapi-client");
    require("@alicloud/tea-util")' >/dev/null 2>&1; then
	echo "$me: the SDK is not in $SDK_DIR (npm install --prefix" \
	    "$SDK_DIR @alicloud/openapi-client @alicloud/tea-util): skipped"
	exit 0
fi
. "$here/lib.sh"

# ms: the monotonic-enough wall clock in milliseconds.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# The calls of the manifest as the plan makes them: batch k of BATCH
# targets at PlanTime start + k minutes, as JSON for the SDK's script.
calls_json() {
	t0=$(($(date -u -d "$start" +%s) * 1000))
	awk -v b="$batch" -v t0="$t0" '
	$1 == "-" && $2 == "event:" { ev = $3; next }
	$1 == "resource:" {
		k = int(n / b)
		if (n % b == 0)
			printf "%s[", (n == 0 ? "[" : "],")
		else
			printf ","
		printf "{\"EventId\":\"%s\",\"ResourceId\":\"%s\"," \
		    "\"PlanTime\":%.0f}", ev, $2, t0 + k * 60000
		n++
	}
	END { print "]]" }' "$tmp/m.yaml"
}

rm -f "$tmp/eb" "$tmp/sdk" "$tmp/sdk_calls"
run=0
while [ "$run" -lt "$runs" ]; do
	start_sim http
	a=$(ms)
	"$ensbatch" apply --yes --no-preflight --parallel "$concurrency" \
	    --journal "$tmp/j$run.jsonl" "$tmp/m.yaml" >/dev/null \
	    2>"$tmp/err" || {
		echo "$me: ensbatch apply failed:" >&2
		tail -n 5 "$tmp/err" >&2
		exit 1
	}
	echo $(($(ms) - a)) >>"$tmp/eb"
	stop_sim
	start_sim http
	calls_json >"$tmp/calls.json"
	a=$(ms)
	node "$here/sdk-compare.js" "http://127.0.0.1:$(cat "$tmp/port")" \
	    "$tmp/calls.json" "$concurrency" >"$tmp/sdk.out" 2>"$tmp/err" || {
		echo "$me: the SDK's calls failed:" >&2
		cat "$tmp/sdk.out" >&2
		tail -n 5 "$tmp/err" >&2
		exit 1
	}
	echo $(($(ms) - a)) >>"$tmp/sdk"
	awk '{ print $4 }' "$tmp/sdk.out" >>"$tmp/sdk_calls"
	sdk_reqs=$(grep -c '"BatchEventRebootInstance"' "$tmp/log.jsonl" || :)
	[ "$sdk_reqs" -eq "$calls" ] || {
		echo "$me: the SDK sent $sdk_reqs calls, not $calls" >&2
		exit 1
	}
	stop_sim
	run=$((run + 1))
done
eb=$(median "$tmp/eb")
sdk=$(median "$tmp/sdk")
echo "sdk-compare: $calls scheduled calls of $batch targets," \
    "latency $latency ms, $concurrency in flight, HTTP, medians of $runs runs"
printf '%-40s %8s\n' "" wall_ms
printf '%-40s %8s\n' "ensbatch apply --no-preflight" "$eb"
printf '%-40s %8s\n' "official SDK (node, whole process)" "$sdk"
printf '%-40s %8s\n' "official SDK (its calls alone)" \
    "$(median "$tmp/sdk_calls")"
awk -v e="$eb" -v s="$sdk" 'BEGIN { printf "ensbatch / SDK process: %.2f\n",
    e / s }'
