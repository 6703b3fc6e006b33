#!/bin/sh
# A reboot call of a scheduled group lost (ensbatch-sim --lose: nothing
# applied, no answer), its targets proven untouched through the
# reconciliation window, and then the journal fails before the resend:
# on the record of the resend itself, or on the reconcile record of the
# second target.  The targets held back must be decided (skipped: not
# attempted), not left "Internal: no outcome was recorded" in the report
# and counted as passed in the recap; nothing goes out after the
# failure; and a later apply --resume sends each of them exactly once.
#
# Fault seed 3 loses the first request (the reboot call) and none of the
# next few.  Which fsync to fail is read from a run without a failure:
# each journal record there has an fsync of its own.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

if ! command -v strace >/dev/null 2>&1; then
	echo "$0: needs strace; skipped"
	exit 77
fi
AK=lost-key
SECRET=lost-secret
. "${srcdir:-.}/tests/lib-sim.sh"

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# lost_run NAME [STRACE_OPTION...]: a fresh simulator (4 targets, the
# first request lost) and apply of one scheduled batch under strace;
# the simulator stays up for a resume.
lost_run() {
	name=$1
	shift
	start_sim --generate 4 --seed 11 --lose 0.3 --fault-seed 3 \
	    --emit-manifest "$tmp/emitted-$name.yaml" \
	    --log "$tmp/log-$name.jsonl" || exit 1
	wait_file "$tmp/emitted-$name.yaml" || exit 1
	scheduled_manifest "lost-$name" "$tmp/emitted-$name.yaml" 4 1000 \
	    "max_failures: 4" >"$tmp/$name.yaml"
	# LeakSanitizer cannot run under ptrace.
	(cd "$tmp" &&
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    timeout 120 strace -f -y -o "trace-$name" -e trace=fsync "$@" \
	    "$ENSBATCH" apply --yes --no-preflight --parallel 1 \
	    --reconcile-window 1s --journal "j-$name.jsonl" \
	    --report "$name.xml" "$name.yaml") >"$tmp/out-$name" \
	    2>"$tmp/err-$name"
	status=$?
}

# reboots NAME: the reboot calls the simulator saw.
reboots() {
	jq -r 'select(.type == "request" and
	    .action == "BatchEventRebootInstance") | .seq' \
	    "$tmp/log-$1.jsonl" | wc -l | tr -d ' '
}

# The run without a failure: the call lost, four targets proven
# untouched, one resend.
lost_run free
stop_sim
check "free: apply exits 0" "$status" 0
check "free: the first request was lost" \
    "$(jq -r 'select(.type == "request" and .seq == 1) |
    "\(.action) \(.fault)"' "$tmp/log-free.jsonl")" \
    "BatchEventRebootInstance lose"
check "free: the lost call was sent a second time" "$(reboots free)" 2
check "free: one fsync per journal record" \
    "$(grep -c 'j-free\.jsonl>) = 0' "$tmp/trace-free")" \
    "$(wc -l <"$tmp/j-free.jsonl" | tr -d ' ')"
resend_at=$(grep -n '"type":"call"' "$tmp/j-free.jsonl" | sed -n 2p |
    cut -d: -f1)
second_at=$(grep -n '"type":"reconcile"' "$tmp/j-free.jsonl" | sed -n 2p |
    cut -d: -f1)
check "free: the resend follows four reconcile records" \
    "$second_at $resend_at" "5 8"

# held NAME SKIPPED: what a run whose journal failed must show, SKIPPED
# the number of targets held back.
held() {
	check "$1: apply exits 1" "$status" 1
	contains "$1: the journal failure is reported" "$tmp/err-$1" \
	    'cannot write the journal j-'"$1"'.jsonl: Input/output error'
	check "$1: no target is left without an outcome" \
	    "$(grep -c 'type="Internal"' "$tmp/$1.xml")" 0
	why='not attempted: the journal could not be written'
	check "$1: the targets held back are skipped, not attempted" \
	    "$(grep -c "skipped message=\"$why\"" "$tmp/$1.xml")" "$2"
	contains "$1: the recap counts no target as passed" "$tmp/err-$1" \
	    '^all: 0 passed, '
	check "$1: no reboot call after the failure" "$(reboots "$1")" 1
}

# The resend's own record cannot be made durable: all four held back.
lost_run resend -e inject=fsync:error=EIO:when="$resend_at"
held resend 4
# Resume against the same simulator: the call without a result is in
# doubt, the events are untouched, each target is sent once more.
(cd "$tmp" && timeout 120 "$ENSBATCH" apply --yes --no-preflight --resume \
    --parallel 1 --reconcile-window 1s --journal j-resend.jsonl \
    --report resumed.xml resend.yaml) >"$tmp/out-resumed" \
    2>"$tmp/err-resumed"
check "resume: exits 0" "$?" 0
check "resume: each event was rebooted exactly once" \
    "$(jq -r 'select(.type == "request") | .items[]? |
    select(.effective) | .event' "$tmp/log-resend.jsonl" | sort |
    uniq -c | awk '{ print $1 }' | tr '\n' ' ')" "1 1 1 1 "
stop_sim

# The second target's reconcile record fails: the first two were to be
# sent again (held back now), the last two end in doubt.
lost_run record -e inject=fsync:error=EIO:when="$second_at"
stop_sim
held record 2

# over_budget_resume OPS: one group (OPS, batches of 4, max_failures 0)
# whose first call holds an event the API does not know and is lost:
# that target ends in doubt (an error: over the budget), the three
# others are proven untouched and held back by the budget.  A resume
# finds the unknown event in doubt again before sending anything: the
# group is over its budget from the start, so no batch may go.
over_budget_resume() {
	ops=$1
	start_sim --generate 7 --seed 11 --lose 0.3 --fault-seed 3 \
	    --emit-manifest "$tmp/emitted-$ops.yaml" \
	    --log "$tmp/log-$ops.jsonl" || exit 1
	wait_file "$tmp/emitted-$ops.yaml" || exit 1
	first_targets='      - event: e-00000000000000000000000000000bad
        resource: i-00000000bad'
	scheduled_manifest "budget-$ops" "$tmp/emitted-$ops.yaml" 4 1000 \
	    "max_failures: 0" >"$tmp/$ops.yaml"
	if [ "$ops" = immediate ]; then
		sed -i '/^    start: /d; /^    stagger: /d
		    s/ops: scheduled/ops: immediate/' "$tmp/$ops.yaml"
	fi
	first_targets=
	resume=
	for run in first resumed; do
		# shellcheck disable=SC2086
		(cd "$tmp" && timeout 120 "$ENSBATCH" apply --yes \
		    --no-preflight $resume --parallel 1 \
		    --reconcile-window 1s --journal "j-$ops.jsonl" \
		    --report "$ops-$run.xml" "$ops.yaml") \
		    >"$tmp/out-$ops-$run" 2>"$tmp/err-$ops-$run"
		check "$ops $run: apply over budget exits 1" "$?" 1
		contains "$ops $run: the group stopped over its budget" \
		    "$tmp/err-$ops-$run" \
		    'group all stopped: 0 failed, 1 errors, more than max_failures 0'
		[ $run = first ] && sent=$(reboots "$ops")
		resume=--resume
	done
	check "$ops: the first run's lost call held the unknown event" \
	    "$(jq -r 'select(.type == "request" and .seq == 1) | .fault' \
	    "$tmp/log-$ops.jsonl")" lose
	check "$ops: the resume sends no reboot call" "$(reboots "$ops")" \
	    "$sent"
	stop_sim
}
over_budget_resume immediate
over_budget_resume scheduled
finish
