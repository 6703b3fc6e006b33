#!/bin/sh
# ensbatch-sim under concurrency.  The simulator writes its log outside
# the fleet lock, in the order of tickets handed out under it, and waits
# out --latency on a lock of its own:
# - apply --parallel 8 of 30 scheduled calls (5 targets each) and its
#   preflight reads, at --latency 30: every log line is whole JSON, the
#   requests' seq run 1..N in file order, times never go back, and the
#   Scheduled transitions of each reboot call follow its request line,
#   in the order of its items;
# - a stop while 8 connections wait out a latency of 60 s wakes them:
#   the simulator exits 0 well before the latency is over.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

if ! command -v curl >/dev/null 2>&1; then
	echo "$0: needs curl; skipped"
	exit 77
fi
AK=simlog-key
SECRET=simlog-secret
. "${srcdir:-.}/tests/lib-sim.sh"

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# log_is WHAT FILTER: a jq filter true of the slurped log.
log_is() {
	if jq -e -s "$2" "$tmp/log.jsonl" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1"
		head -n 5 "$tmp/log.jsonl" | sed 's/^/#   /'
	fi
}

start_sim --generate 150 --seed 4 --latency 30 \
    --emit-manifest "$tmp/emitted.yaml" --log "$tmp/log.jsonl" || exit 1
wait_file "$tmp/emitted.yaml" || exit 1
scheduled_manifest simlog "$tmp/emitted.yaml" 5 1000 >"$tmp/m.yaml"
(cd "$tmp" && "$ENSBATCH" apply --yes --parallel 8 --journal j.jsonl \
    m.yaml) >"$tmp/out" 2>"$tmp/err"
check "apply --parallel 8: exit 0" "$?" 0
stop_sim

check "log: every line whole JSON" \
    "$(jq -c . "$tmp/log.jsonl" 2>/dev/null | wc -l | tr -d ' ')" \
    "$(wc -l <"$tmp/log.jsonl" | tr -d ' ')"
check "log: 30 reboot calls" "$(jq -s '[.[] | select(.action ==
    "BatchEventRebootInstance")] | length' "$tmp/log.jsonl")" 30
log_is "log: seq 1..N in file order" \
    '[.[] | select(.type == "request") | .seq] as $s |
    $s == [range(1; ($s | length) + 1)] and ($s | length) > 30'
log_is "log: times never go back" '[.[].time] as $t | $t == ($t | sort)'
log_is "log: each call's Scheduled transitions right after it" \
    '. as $l | [range(0; length) | select($l[.].action ==
    "BatchEventRebootInstance")] | length == 30 and all(.[]; . as $i |
    ($l[$i].items | map(select(.effective) | .event)) as $ev |
    ($ev | length) == 5 and
    [$l[$i + 1:$i + 6][] | select(.type == "transition" and
    .status == "Scheduled") | .event] == $ev)'

# A stop wakes the connections waiting out --latency.
rm -f "$tmp/log.jsonl"
start_sim --generate 4 --latency 60000 --log "$tmp/log.jsonl" || exit 1
i=0
while [ "$i" -lt 8 ]; do
	curl -s -o /dev/null --max-time 90 -X POST "$ENDPOINT/" &
	i=$((i + 1))
done
w=0
while [ "$(wc -l <"$tmp/log.jsonl" 2>/dev/null || echo 0)" -lt 8 ] &&
    [ "$w" -lt 100 ]; do
	w=$((w + 1))
	sleep 0.1
done
check "8 requests waiting out the latency" \
    "$(wc -l <"$tmp/log.jsonl" | tr -d ' ')" 8
t0=$(date +%s)
kill -TERM "$sim_pid"
wait "$sim_pid"
status=$?
sim_pid=
t1=$(date +%s)
check "stopped while they wait: exit 0" "$status" 0
check "stopped at once, not after the latency" \
    "$([ $((t1 - t0)) -lt 20 ] && echo yes || echo "no: $((t1 - t0)) s")" \
    yes
wait

finish
