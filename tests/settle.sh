#!/bin/sh
# Waves that wait for the outcome: ensbatch apply and status against
# ensbatch-sim with short reboots.  The simulator's log (requests and
# status transitions, each with its time) proves every gate: a batch is
# sent only after the previous one settled and its pause passed, a group
# only after the groups it is after finished and soaked.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=settle-key
SECRET=settle-SENTINEL-secret-77a1
. "${srcdir:-.}/tests/lib-sim.sh"

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM



ev() { printf 'e-%032x' "$(($1 + 8192))"; }
res() { printf 'i-settle%08d' "$1"; }

# fleet N [OUTCOMES]: N events; OUTCOMES "3=failed,4=stuck" sets the
# outcome of events 3 and 4.
fleet() {
	echo "events:"
	i=1
	while [ "$i" -le "$1" ]; do
		printf '  - event: %s\n    resource: %s\n' "$(ev $i)" "$(res $i)"
		o=$(echo ",${2:-}," | sed -n "s/.*,$i=\([a-z]*\),.*/\1/p")
		[ -n "$o" ] && printf '    outcome: %s\n' "$o"
		i=$((i + 1))
	done
}

# targets FIRST LAST: manifest target lines for events FIRST..LAST.
targets() {
	i=$1
	while [ "$i" -le "$2" ]; do
		printf '      - event: %s\n        resource: %s\n' \
		    "$(ev $i)" "$(res $i)"
		i=$((i + 1))
	done
}

header() {
	printf 'ensbatch: 1\nname: %s\napi:\n  endpoint: "%s"\n' "$1" "$ENDPOINT"
	printf '  retries: 4\n  rate: 100\n'
}

runs=0
run() {
	runs=$((runs + 1))
	mkdir -p "$tmp/run$runs"
	(cd "$tmp/run$runs" && timeout 120 "$ENSBATCH" "$@") \
	    >"$tmp/out" 2>"$tmp/err"
	status=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
}

# Time (ms) of the first reboot request naming event E; of the
# transition of E to STATUS.
sent_at() {
	jq -r --arg e "$2" 'select(.action == "BatchEventRebootInstance" and
	    any(.items[]?; .event == $e)) | .time' "$1" | head -n 1
}
became() {
	jq -r --arg e "$2" --arg s "$3" 'select(.type == "transition" and
	    .event == $e and .status == $s) | .time' "$1" | head -n 1
}
requests_of() {
	jq -r --arg e "$2" 'select(.action == "BatchEventRebootInstance") |
	    .items[]? | select(.event == $e) | .event' "$1" | wc -l |
	    tr -d ' '
}
# case_of REPORT EVENT: "passed", or the element and its type.
case_of() {
	awk -v e="$2" '
	/<testcase / && index($0, e) { open = 1; st = "passed" }
	open && /<(failure|error|skipped)/ {
		match($0, /<(failure|error|skipped)/)
		el = substr($0, RSTART + 1, RLENGTH - 1)
		ty = ""
		if (match($0, /type="[^"]*"/))
			ty = " " substr($0, RSTART + 6, RLENGTH - 7)
		st = el ty
	}
	open && /<\/testcase>|\/>$/ && !/<testcase .*>$/ {
		print st; open = 0; exit
	}
	open && /<testcase .*\/>/ { print st; open = 0; exit }' "$1"
}
attr() {
	sed -n "s/.*<testsuites [^>]*$2=\"\\([^\"]*\\)\".*/\\1/p" "$1" |
	    head -n 1
}
# later A B MIN: A >= B + MIN (all ms)
later() {
	if [ -n "$2" ] && [ -n "$3" ] && [ "$2" -ge $(($3 + $4)) ]; then
		ok "$1"
	else
		not_ok "$1: [$2] is not at least [$3] + $4"
	fi
}

# ----------------------------------------------------------- gating order
fleet 7 >"$tmp/f1.yaml"
start_sim --fleet "$tmp/f1.yaml" --log "$tmp/g.jsonl" \
    --reboot-seconds 1 || exit 1
{
	header gates
	cat <<EOF
policies:
  canary:
    ops: immediate
    batch_size: 1
    settle_timeout: 20s
    soak: 2s
  waves:
    ops: immediate
    batch_size: 3
    pause: 1s
    settle_timeout: 20s
groups:
  - name: canary
    policy: canary
    targets:
EOF
	targets 1 1
	printf '  - name: wave\n    policy: waves\n    after: [canary]\n'
	printf '    targets:\n'
	targets 2 7
} >"$tmp/gates.yaml"
run apply --yes --report "$tmp/gates.xml" "$tmp/gates.yaml"
check "gates: exit 0" "$status" 0
check "gates: 7 tests, none failed" \
    "$(attr "$tmp/gates.xml" tests)/$(attr "$tmp/gates.xml" failures)/$(attr "$tmp/gates.xml" errors)" \
    "7/0/0"
later "gates: wave starts after the canary settled and soaked (2 s)" \
    "$(sent_at "$tmp/g.jsonl" "$(ev 2)")" \
    "$(became "$tmp/g.jsonl" "$(ev 1)" Executed)" 2000
later "gates: batch 2 starts after batch 1 settled and paused (1 s)" \
    "$(sent_at "$tmp/g.jsonl" "$(ev 5)")" \
    "$(became "$tmp/g.jsonl" "$(ev 4)" Executed)" 1000
t=$(sed -n 's/.*<testcase [^>]*name="[^"]*'"$(ev 1)"'" time="\([0-9.]*\)".*/\1/p' \
    "$tmp/gates.xml")
if [ -n "$t" ] && awk -v t="$t" 'BEGIN { exit !(t >= 1 && t < 15) }'; then
	ok "gates: a testcase's time is its own reboot ($t s)"
else
	not_ok "gates: a testcase's time is its own reboot: [$t]"
fi
contains "gates: system-out says when it was executed" "$tmp/gates.xml" \
    'executed at '
contains "gates: system-out gives the final statuses" "$tmp/gates.xml" \
    'event Executed, instance Running'
contains "gates: the journal has settle records" \
    "$tmp/gates.journal.jsonl" '"type":"settle"'

# ------------------------------------------------------- a failed canary
fleet 4 "1=failed" >"$tmp/f2.yaml"
start_sim --fleet "$tmp/f2.yaml" --log "$tmp/c.jsonl" \
    --reboot-seconds 1 || exit 1
{
	header canary-fails
	cat <<EOF
policies:
  canary:
    ops: immediate
    batch_size: 1
    settle_timeout: 20s
groups:
  - name: canary
    policy: canary
    targets:
EOF
	targets 1 2
	printf '  - name: wave\n    policy: canary\n    after: [canary]\n'
	printf '    targets:\n'
	targets 3 4
} >"$tmp/canary.yaml"
run apply --yes --report "$tmp/canary.xml" "$tmp/canary.yaml"
check "failed canary: exit 1" "$status" 1
check "failed canary: RebootFailed" \
    "$(case_of "$tmp/canary.xml" "$(ev 1)")" "failure RebootFailed"
check "failed canary: its next batch is not sent" \
    "$(requests_of "$tmp/c.jsonl" "$(ev 2)")" 0
check "failed canary: the dependent group is not sent" \
    "$(requests_of "$tmp/c.jsonl" "$(ev 3)")" 0
check "failed canary: the dependent group is skipped" \
    "$(case_of "$tmp/canary.xml" "$(ev 3)")" "skipped"
contains "failed canary: the report says why" "$tmp/canary.xml" \
    'more than max_failures 0'
contains "failed canary: a failing (run) case says which groups never started" \
    "$tmp/canary.xml" 'type="Stopped" message="group canary stopped: .*not started: wave'
run status --journal "$tmp/canary-fails.journal.jsonl" --format json \
    "$tmp/canary.yaml"
check "failed canary: status exit 1" "$status" 1
check "failed canary: status counts it failed, 3 never requested" \
    "$(jq -r '"\(.state) \(.groups[0].failed) \(.groups[0].not_requested + .groups[1].not_requested)"' "$tmp/out")" \
    "failed 1 3"

# ------------------------------------------------- an instance that stays down
fleet 2 "1=stuck" >"$tmp/f3.yaml"
start_sim --fleet "$tmp/f3.yaml" --log "$tmp/s.jsonl" \
    --reboot-seconds 0.5 || exit 1
{
	header stuck
	cat <<EOF
policies:
  p:
    ops: immediate
    batch_size: 2
    max_failures: 1
    settle_timeout: 3s
groups:
  - name: g
    policy: p
    targets:
EOF
	targets 1 2
} >"$tmp/stuck.yaml"
run apply --yes --report "$tmp/stuck.xml" "$tmp/stuck.yaml"
check "stuck instance: exit 1" "$status" 1
check "stuck instance: InstanceNotRunning" \
    "$(case_of "$tmp/stuck.xml" "$(ev 1)")" "failure InstanceNotRunning"
check "stuck instance: the other one passed" \
    "$(case_of "$tmp/stuck.xml" "$(ev 2)")" "passed"

# ------------------------------ the API goes away while a batch settles
# Describe calls that keep failing end the targets NotSettled at their
# settle_timeout: never passed.
fleet 2 >"$tmp/f8.yaml"
start_sim --fleet "$tmp/f8.yaml" --log "$tmp/gone.jsonl" \
    --reboot-seconds 30 || exit 1
{
	header gone
	cat <<EOF
policies:
  p:
    ops: immediate
    batch_size: 2
    settle_timeout: 4s
groups:
  - name: g
    policy: p
    targets:
EOF
	targets 1 2
} >"$tmp/gone.yaml"
mkdir -p "$tmp/gone"
(cd "$tmp/gone" && exec timeout 60 "$ENSBATCH" apply --yes --retries 1 \
    --report "$tmp/gone.xml" "$tmp/gone.yaml") >"$tmp/out" 2>"$tmp/err" &
apid=$!
i=0
until [ -n "$(sent_at "$tmp/gone.jsonl" "$(ev 1)")" ] || [ $i -gt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
stop_sim
wait "$apid"
check "API gone while settling: exit 1" "$?" 1
check "API gone while settling: NotSettled, not passed" \
    "$(case_of "$tmp/gone.xml" "$(ev 1)")" "error NotSettled"
contains "API gone while settling: says the events could not be read" \
    "$tmp/gone.xml" 'the events could not be read'

# ------------------------------------- scheduled, then ensbatch status
fleet 6 >"$tmp/f4.yaml"
start_sim --fleet "$tmp/f4.yaml" --log "$tmp/sch.jsonl" \
    --reboot-seconds 1 || exit 1
start=$(date -u -d "@$(($(date +%s) + 4))" +%Y-%m-%dT%H:%M:%SZ)
{
	header sched
	cat <<EOF
policies:
  night:
    ops: scheduled
    batch_size: 2
    start: "$start"
    stagger: 1s
    min_lead: 1s
    settle_timeout: 30s
groups:
  - name: night
    policy: night
    targets:
EOF
	targets 1 4
} >"$tmp/sched.yaml"
run apply --yes --report "$tmp/sched.xml" "$tmp/sched.yaml"
check "scheduled: exit 0 once registered" "$status" 0
check "scheduled: not executed yet" \
    "$(case_of "$tmp/sched.xml" "$(ev 1)")" "skipped"
contains "scheduled: the report says when" "$tmp/sched.xml" \
    'scheduled for .*: not executed yet'
contains "scheduled: the summary points to ensbatch status" "$tmp/err" \
    'follow with ensbatch status'
J="$tmp/sched.journal.jsonl"
run status --journal "$J" "$tmp/sched.yaml"
check "status before PlanTime: exit 4 (in progress)" "$status" 4
contains "status: a table per group" "$tmp/out" '^night '
run status --journal "$J" --wait --report "$tmp/st.xml" --format json \
    "$tmp/sched.yaml"
check "status --wait: exit 0 once all settled" "$status" 0
check "status --wait: json says settled" \
    "$(jq -r '.state' "$tmp/out")" settled
check "status --wait: 4 settled" \
    "$(jq -r '.groups[0].settled' "$tmp/out")" 4
check "status report: passed" "$(case_of "$tmp/st.xml" "$(ev 4)")" passed
run status --journal "$J" "$tmp/sched.yaml"
check "status later: still exit 0, journal and fleet unchanged" \
    "$status" 0

# --------------------------------- a group after a scheduled group
start=$(date -u -d "@$(($(date +%s) + 3))" +%Y-%m-%dT%H:%M:%SZ)
fleet 6 >"$tmp/f5.yaml"
start_sim --fleet "$tmp/f5.yaml" --log "$tmp/after.jsonl" \
    --reboot-seconds 1 || exit 1
{
	header after-sched
	cat <<EOF
policies:
  night:
    ops: scheduled
    batch_size: 2
    start: "$start"
    min_lead: 1s
    settle_timeout: 30s
    soak: 1s
  now:
    ops: immediate
    batch_size: 2
    settle_timeout: 30s
groups:
  - name: night
    policy: night
    targets:
EOF
	targets 1 2
	printf '  - name: after\n    policy: now\n    after: [night]\n'
	printf '    targets:\n'
	targets 3 4
} >"$tmp/after.yaml"
run apply --yes --report "$tmp/after.xml" "$tmp/after.yaml"
check "after scheduled: exit 0" "$status" 0
later "after scheduled: sent after the scheduled reboots settled" \
    "$(sent_at "$tmp/after.jsonl" "$(ev 3)")" \
    "$(became "$tmp/after.jsonl" "$(ev 2)" Executed)" 1000
check "after scheduled: the scheduled ones passed" \
    "$(case_of "$tmp/after.xml" "$(ev 1)")" passed

# ------------------------------------------------------- health checks
fleet 4 >"$tmp/f7.yaml"
start_sim --fleet "$tmp/f7.yaml" --log "$tmp/chk.jsonl" \
    --reboot-seconds 0.5 || exit 1
{
	header checks
	printf 'ticket: CHG-42\n'
	cat <<EOF
policies:
  p:
    ops: immediate
    batch_size: 1
    max_failures: 1
    settle_timeout: 20s
    check:
      command: 'env >"$tmp/env.\$ENSBATCH_RESOURCE"; ulimit -c >"$tmp/core.\$ENSBATCH_RESOURCE"; echo "probing \$ENSBATCH_RESOURCE"; test "\$ENSBATCH_RESOURCE" != "$(res 2)"'
      timeout: 2s
      interval: 1s
  missing:
    ops: immediate
    settle_timeout: 20s
    check:
      command: nosuch-check-command-xyz
      timeout: 2s
  hangs:
    ops: immediate
    settle_timeout: 20s
    check:
      command: 'sleep 1001 & sleep 1002'
      timeout: 2s
groups:
  - name: g
    policy: p
    targets:
EOF
	targets 1 2
	printf '  - name: m\n    policy: missing\n    targets:\n'
	targets 3 3
	printf '  - name: h\n    policy: hangs\n    targets:\n'
	targets 4 4
} >"$tmp/checks.yaml"
run apply --yes --report "$tmp/checks.xml" "$tmp/checks.yaml"
check "checks: exit 1" "$status" 1
check "checks: a passing check passes" \
    "$(case_of "$tmp/checks.xml" "$(ev 1)")" passed
check "checks: a failing check fails the target" \
    "$(case_of "$tmp/checks.xml" "$(ev 2)")" "failure HealthCheck"
contains "checks: its output is in system-out" "$tmp/checks.xml" \
    "probing $(res 2)"
contains "checks: retried until its timeout" "$tmp/checks.xml" \
    'check failed after [2-9] attempts'
check "checks: a missing command fails the target" \
    "$(case_of "$tmp/checks.xml" "$(ev 3)")" "failure HealthCheck"
contains "checks: with the shell's message" "$tmp/checks.xml" 'not found'
check "checks: a hanging check fails the target" \
    "$(case_of "$tmp/checks.xml" "$(ev 4)")" "failure HealthCheck"
if pgrep -f 'sleep 100[12]' >/dev/null; then
	not_ok "checks: a hanging check is killed with its process group"
	pkill -f 'sleep 100[12]'
else
	ok "checks: a hanging check is killed with its process group"
fi
e="$tmp/env.$(res 1)"
check "checks: ENSBATCH_* in the environment" \
    "$(grep -c -e "^ENSBATCH_RESOURCE=$(res 1)\$" -e "^ENSBATCH_EVENT=$(ev 1)\$" \
    -e '^ENSBATCH_GROUP=g$' -e '^ENSBATCH_BATCH=1$' -e '^ENSBATCH_TICKET=CHG-42$' \
    -e "^ENSBATCH_MANIFEST=$tmp/checks.yaml\$" "$e")" 6
check "checks: no credentials in the environment" \
    "$(grep -c -e ALIBABA_CLOUD -e "$SECRET" "$e")" 0
check "checks: no core dumps (inherited from ensbatch, which holds secrets)" \
    "$(cat "$tmp/core.$(res 1)")" 0
check "checks: batch 2's check knows its batch" \
    "$(grep -c '^ENSBATCH_BATCH=2$' "$tmp/env.$(res 2)")" 1

# ------------------------------------- SIGINT while settling, then resume
# interrupted NAME PAUSE REBOOT CONDITION: start an apply of four targets
# in batches of two, wait (bounded) until CONDITION holds, send SIGINT.
interrupted() {
	fleet 4 >"$tmp/f-$1.yaml"
	start_sim --fleet "$tmp/f-$1.yaml" --log "$tmp/$1.jsonl" \
	    --reboot-seconds "$3" || exit 1
	{
		header "$1"
		printf 'policies:\n  p:\n    ops: immediate\n'
		printf '    batch_size: 2\n    pause: %s\n' "$2"
		printf '    settle_timeout: 30s\n'
		printf 'groups:\n  - name: g\n    policy: p\n    targets:\n'
		targets 1 4
	} >"$tmp/$1.yaml"
	mkdir -p "$tmp/$1"
	(cd "$tmp/$1" && exec timeout 60 "$ENSBATCH" apply --yes \
	    --report "$tmp/$1.xml" "$tmp/$1.yaml") >"$tmp/out" 2>"$tmp/err" &
	apid=$!
	i=0
	until eval "$4" || [ $i -gt 150 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill "-${SIG:-INT}" "$apid"
	wait "$apid"
	status=$?
}

interrupted int 0s 3 '[ -n "$(sent_at "$tmp/int.jsonl" "$(ev 1)")" ]'
check "SIGINT while settling: exit 130" "$status" 130
check "SIGINT while settling: the target is not passed" \
    "$(case_of "$tmp/int.xml" "$(ev 1)")" skipped
contains "SIGINT while settling: the report says resume follows it" \
    "$tmp/int.xml" 'apply --resume follows it'
run status --journal "$tmp/int.journal.jsonl" --wait --format json \
    "$tmp/int.yaml"
check "status of the interrupted run: exit 0 once batch 1 settled" \
    "$status" 0
check "status of the interrupted run: 2 settled, 2 never requested" \
    "$(jq -r '"\(.groups[0].settled) \(.groups[0].not_requested)"' \
    "$tmp/out")" "2 2"
run apply --yes --resume --report "$tmp/int.xml" --journal \
    "$tmp/int.journal.jsonl" "$tmp/int.yaml"
check "resume: exit 0" "$status" 0
check "resume: the settling target was not requested again" \
    "$(requests_of "$tmp/int.jsonl" "$(ev 1)")" 1
check "resume: it passed" "$(case_of "$tmp/int.xml" "$(ev 1)")" passed
check "resume: batch 2 sent once" \
    "$(requests_of "$tmp/int.jsonl" "$(ev 3)")" 1

# SIGHUP (a dropped SSH session) is a first signal too, not a kill.
SIG=HUP interrupted hup 0s 3 '[ -n "$(sent_at "$tmp/hup.jsonl" "$(ev 1)")" ]'
check "SIGHUP while settling: exit 130" "$status" 130
check "SIGHUP while settling: the report is written" \
    "$(case_of "$tmp/hup.xml" "$(ev 1)")" skipped
contains "SIGHUP while settling: the journal has the call" \
    "$tmp/hup.journal.jsonl" '"type":"result"'

# Interrupted in the pause after batch 1: a resume later waits only
# what is left of that pause (here nothing).
interrupted pz 3s 0.5 'grep -q "\"type\":\"batch\"" "$tmp/pz.journal.jsonl" 2>/dev/null'
check "SIGINT in a pause: exit 130" "$status" 130
check "SIGINT in a pause: batch 2 not sent" \
    "$(requests_of "$tmp/pz.jsonl" "$(ev 3)")" 0
sleep 3
t0=$(($(date +%s%N) / 1000000))
run apply --yes --resume --report "$tmp/pz.xml" --journal \
    "$tmp/pz.journal.jsonl" "$tmp/pz.yaml"
check "resume after the pause: exit 0" "$status" 0
t1=$(sent_at "$tmp/pz.jsonl" "$(ev 3)")
if [ -n "$t1" ] && [ $((t1 - t0)) -lt 2500 ]; then
	ok "resume after the pause: batch 2 without waiting it again"
else
	not_ok "resume after the pause: batch 2 sent $((${t1:-0} - t0)) ms after the resume"
fi
check "resume after the pause: batch 1 not sent again" \
    "$(requests_of "$tmp/pz.jsonl" "$(ev 1)")" 1

if grep -q "$SECRET" "$tmp/all-output" $tmp/*.xml 2>/dev/null; then
	not_ok "no secret in any output or report"
else
	ok "no secret in any output or report"
fi
stop_sim
finish
