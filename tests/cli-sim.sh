#!/bin/sh
# The command line against ensbatch-sim: apply's confirmation driven in
# a pseudo-terminal (what it shows, "y" refused, "yes" accepted), the
# paths apply checks before any API call, and the commands that need an
# endpoint writing to a full or closed standard output (exit 3).
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=clitest-key-0123456789
SECRET=clitest-SENTINEL-secret-77aa
. "${srcdir:-.}/tests/lib-sim.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "$0: needs python3 for the pseudo-terminal; skipped"
	exit 77
fi

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# pty ANSWER ARGS...: run ARGS in a pseudo-terminal, type ANSWER after
# the question; the terminal's output (CR removed) goes to $tmp/tty and
# the exit status to $status.  Bounded: 60 s, then the child is killed.
PTY_PY='
import os, pty, select, signal, sys, time
answer, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, sent, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"Reboot? " in out:
        os.write(fd, answer.encode() + b"\n")
        sent = True
else:
    os.kill(pid, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out.replace(b"\r", b""))
sys.exit(os.waitstatus_to_exitcode(st))
'
pty() {
	runs=$((runs + 1))
	mkdir -p "$tmp/run$runs"
	(cd "$tmp/run$runs" && python3 -c "$PTY_PY" "$@") >"$tmp/tty" \
	    2>"$tmp/pty.err"
	status=$?
}

# run ARGS...: ensbatch in a fresh directory (apply's default journal).
runs=0
run() {
	runs=$((runs + 1))
	mkdir -p "$tmp/run$runs"
	(cd "$tmp/run$runs" && timeout 120 "$ENSBATCH" "$@") \
	    >"$tmp/out" 2>"$tmp/err"
	status=$?
}




calls() {
	jq -r "select(.action == \"$2\") | .seq" "$1" 2>/dev/null | wc -l |
	    tr -d ' '
}

# A fleet of 6 events: a canary group of 1 (immediate), then 5 targets
# scheduled from 2031 (in Asia/Shanghai), batches of 2.
{
	echo "events:"
	for i in 1 2 3 4 5 6; do
		printf '  - event: e-%032x\n' "$i"
		printf '    resource: i-cli%08d\n' "$i"
		echo "    status: Inquiring"
		echo "    not_before: 2031-02-01T00:00:00Z"
	done
} >"$tmp/fleet.yaml"
start_sim --fleet "$tmp/fleet.yaml" --log "$tmp/sim.jsonl" \
    --reboot-seconds 1 || exit 1
{
	echo "ensbatch: 1"
	echo "name: cli-confirm"
	echo "ticket: CHG-4711"
	echo "timezone: Asia/Shanghai"
	echo "api:"
	echo "  endpoint: \"$ENDPOINT\""
	echo "policies:"
	echo "  canary: { ops: immediate, batch_size: 1 }"
	echo "  later:"
	echo "    ops: scheduled"
	echo "    batch_size: 2"
	echo "    start: \"2031-01-10 02:00\""
	echo "    stagger: 30m"
	echo "groups:"
	echo "  - name: canary"
	echo "    policy: canary"
	echo "    targets:"
	printf '      - { event: e-%032x, resource: i-cli%08d }\n' 1 1
	echo "  - name: rest"
	echo "    policy: later"
	echo "    after: [canary]"
	echo "    targets:"
	for i in 2 3 4 5 6; do
		printf '      - { event: e-%032x, resource: i-cli%08d }\n' \
		    "$i" "$i"
	done
} >"$tmp/m.yaml"

run validate "$tmp/m.yaml"
check "the manifest is valid" "$status" 0

# ---------------------------------------------------- the confirmation
pty y "$ENSBATCH" apply "$tmp/m.yaml"
check "answer y: exit 2" "$status" 2
contains_text "answer y: says yes is needed" "$tmp/tty" \
    'not confirmed: type "yes" in full, "y" is not enough: nothing was sent'
contains_text "prompt: instance count" "$tmp/tty" \
    "ensbatch apply will reboot 6 instances:"
contains_text "prompt: manifest" "$tmp/tty" "  manifest    $tmp/m.yaml (cli-confirm)"
contains_text "prompt: ticket" "$tmp/tty" "  ticket      CHG-4711"
contains_text "prompt: endpoint" "$tmp/tty" "  endpoint    $ENDPOINT/"
contains_text "prompt: key masked to 4+4" "$tmp/tty" \
    "  access key  clit****6789 (environment)"
lacks "prompt: never the whole key id" "$tmp/tty" "$AK"
lacks "prompt: never the secret" "$tmp/tty" "$SECRET"
contains_text "prompt: groups and batches" "$tmp/tty" \
    "  plan        2 groups, 4 batches"
contains_text "prompt: immediate" "$tmp/tty" \
    "  immediate   1 target in 1 batch of 1 group"
contains_text "prompt: scheduled" "$tmp/tty" \
    "  scheduled   5 targets in 3 batches of 1 group"
contains_text "prompt: first and last PlanTime in the manifest zone" \
    "$tmp/tty" \
    "  PlanTime    2031-01-10 02:00:00 +08:00 to 2031-01-10 03:00:00 +08:00 (Asia/Shanghai)"
contains_text "prompt: the question" "$tmp/tty" 'Only "yes" approves these reboots.'
check "answer y: no reboot requested" \
    "$(calls "$tmp/sim.jsonl" BatchEventRebootInstance)" 0

pty Y "$ENSBATCH" apply "$tmp/m.yaml"
check "answer Y: exit 2" "$status" 2
contains_text "answer Y: refused too" "$tmp/tty" '"Y" is not enough'
pty no "$ENSBATCH" apply "$tmp/m.yaml"
check "answer no: exit 2" "$status" 2
contains_text "answer no: not confirmed" "$tmp/tty" \
    "ensbatch apply: not confirmed: nothing was sent"
check "no answer yet: no reboot requested" \
    "$(calls "$tmp/sim.jsonl" BatchEventRebootInstance)" 0

pty yes "$ENSBATCH" apply --report "$tmp/yes.xml" "$tmp/m.yaml"
check "answer yes: exit 0" "$status" 0
cp "$tmp/tty" "$tmp/tty-yes"
contains_text "answer yes: the summary" "$tmp/tty" "1 passed, 0 failed, 0 errors, 5 skipped"
check "answer yes: reboots requested" \
    "$(test "$(calls "$tmp/sim.jsonl" BatchEventRebootInstance)" -ge 1;
    echo $?)" 0

# ------------------------------------------ found before any API call
: >"$tmp/sim.jsonl"
run apply --yes --report "$tmp/no/such/dir/r.xml" "$tmp/m.yaml"
check "report directory missing: exit 3" "$status" 3
contains_text "report directory missing: says so" "$tmp/err" \
    "ensbatch apply: cannot write the report $tmp/no/such/dir/r.xml: the directory $tmp/no/such/dir does not exist: nothing was sent"
run apply --yes --journal "$tmp/no/such/dir/j.jsonl" "$tmp/m.yaml"
check "journal directory missing: exit 3" "$status" 3
contains_text "journal directory missing: says so" "$tmp/err" \
    "cannot write the journal $tmp/no/such/dir/j.jsonl: the directory $tmp/no/such/dir does not exist"
run apply --yes --report "$tmp" "$tmp/m.yaml"
check "report is a directory: exit 3" "$status" 3
contains_text "report is a directory: says so" "$tmp/err" "$tmp is a directory"
pty yes "$ENSBATCH" apply --report "$tmp/no/such/dir/r.xml" "$tmp/m.yaml"
check "report directory missing: found before the question" "$status" 3
lacks "report directory missing: no question asked" "$tmp/tty" "Reboot? "
check "found early: no API call at all" "$(wc -l <"$tmp/sim.jsonl" |
    tr -d ' ')" 0

# ------------------------------------------- output that is not written
run events --endpoint "$ENDPOINT" --format json
check "events: lists the fleet" "$status" 0
(cd "$tmp" && "$ENSBATCH" events --endpoint "$ENDPOINT" >/dev/full \
    2>"$tmp/err")
check "events > /dev/full: exit 3" "$?" 3
contains_text "events > /dev/full: message" "$tmp/err" \
    "ensbatch events: writing output failed: No space left on device"
(cd "$tmp" && "$ENSBATCH" events --endpoint "$ENDPOINT" >&- 2>"$tmp/err")
check "events, stdout closed: exit 3" "$?" 3
contains_text "events, stdout closed: message" "$tmp/err" \
    "ensbatch events: writing output failed: standard output is closed"
(cd "$tmp" && "$ENSBATCH" events --endpoint "$ENDPOINT" --format yaml \
    >/dev/full 2>"$tmp/err")
check "events --format yaml > /dev/full: exit 3" "$?" 3
(cd "$tmp" && "$ENSBATCH" validate --online "$tmp/m.yaml" >/dev/full \
    2>"$tmp/err")
check "validate --online > /dev/full: exit 3" "$?" 3
# Every event is final now: the preflight skips them all, exit 0.
mkdir -p "$tmp/full"
(cd "$tmp/full" && "$ENSBATCH" apply --yes --report "$tmp/full/r.xml" \
    "$tmp/m.yaml" >/dev/full 2>"$tmp/err")
rc=$?
contains_text "apply > /dev/full: message" "$tmp/err" \
    "ensbatch apply: writing output failed: No space left on device"
check "apply > /dev/full: exit 3 after a clean run" "$rc" 3
# A reader that went away before anything was written (a pipe without
# a reader, made deterministic): a write error, exit 3, not a silent
# death by SIGPIPE; apply has written its report before.
NOREADER_PY='
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w))
'
mkdir -p "$tmp/pipe"
(cd "$tmp/pipe" && python3 -c "$NOREADER_PY" "$ENSBATCH" apply --yes \
    --report "$tmp/pipe/r.xml" "$tmp/m.yaml" 2>"$tmp/err")
check "apply | (no reader): exit 3" "$?" 3
contains_text "apply | (no reader): message" "$tmp/err" \
    "ensbatch apply: writing output failed: Broken pipe"
check "apply | (no reader): the report was written" \
    "$(test -s "$tmp/pipe/r.xml"; echo $?)" 0
(cd "$tmp/pipe" && python3 -c "$NOREADER_PY" "$ENSBATCH" events \
    --endpoint "$ENDPOINT" 2>"$tmp/err")
check "events | (no reader): exit 3" "$?" 3
contains_text "events | (no reader): message" "$tmp/err" \
    "ensbatch events: writing output failed: Broken pipe"

# ------------------------------------------------------------- events
fleet_event() {
	printf '  - event: e-%032x\n    resource: i-ev%08d\n' "$1" "$1"
	printf '    status: %s\n    level: %s\n    not_before: %s\n' \
	    "$2" "$3" "$4"
}
{
	echo "events:"
	fleet_event 11 Inquiring CRITICAL 2031-02-01T00:00:00Z
	fleet_event 12 Executed CRITICAL 2031-01-01T00:00:00Z
	fleet_event 13 Scheduled WARN 2031-03-01T00:00:00Z
	fleet_event 14 Inquiring INFO 2031-04-01T00:00:00Z
} >"$tmp/fleet2.yaml"
start_sim --fleet "$tmp/fleet2.yaml" || exit 1
ev() {
	printf 'e-%032x' "$1"
}
{
	echo "ensbatch: 1"
	echo "name: cli-events"
	echo "timezone: Asia/Shanghai"
	echo "api:"
	echo "  endpoint: \"$ENDPOINT\""
	echo "policies:"
	echo "  p: { ops: immediate, batch_size: 1 }"
	echo "groups:"
	echo "  - name: g"
	echo "    policy: p"
	echo "    targets_file: targets.csv"
} >"$tmp/ev.yaml"

run events --endpoint "$ENDPOINT" --status Bogus
check "events --status Bogus: exit 2" "$status" 2
contains_text "events --status Bogus: says which" "$tmp/err" \
    'ensbatch events: --status: unknown status "Bogus"; the statuses are Inquiring, Scheduled, Executing, Executed, Failed, Canceled and Avoided'
run events --endpoint "$ENDPOINT" --status Inquiring,Inquirng
check "events --status with a typo: exit 2" "$status" 2
contains_text "events --status with a typo: a suggestion" "$tmp/err" \
    '"Inquirng" (did you mean "Inquiring"?)'
run events --endpoint "$ENDPOINT" --status executed
check "events --status in any case: exit 0" "$status" 0
check "events --status executed: one event" "$(sed 1d "$tmp/out" |
    awk '{ print $1 }')" "$(ev 12)"

run events --endpoint "$ENDPOINT"
check "events: table" "$status" 0
cp "$tmp/out" "$tmp/table"
check "events: a header and 4 rows" "$(wc -l <"$tmp/out" | tr -d ' ')" 5
# Aligned: every row's columns start where the header's do.
check "events: columns aligned with the header" "$(awk '
    NR == 1 { h[2] = index($0, "RESOURCE"); h[3] = index($0, "STATUS")
	h[4] = index($0, "NOT_BEFORE"); h[5] = index($0, "LEVEL"); next }
    { for (c = 2; c <= 5; c++) if (index($0, $c) != h[c]) bad++ }
    END { print bad + 0 }' "$tmp/out")" 0
contains_text "events: header without padding at the end" "$tmp/out" \
    "STATUS     NOT_BEFORE (UTC)      LEVEL"

run events --endpoint "$ENDPOINT" --format csv
check "events --format csv: exit 0" "$status" 0
printf 'event,resource\n%s,i-ev%08d\n%s,i-ev%08d\n%s,i-ev%08d\n' \
    "$(ev 11)" 11 "$(ev 13)" 13 "$(ev 14)" 14 >"$tmp/want.csv"
if cmp -s "$tmp/want.csv" "$tmp/out"; then
	ok "events --format csv: the header and the waiting events"
else
	not_ok "events --format csv: the header and the waiting events"
	diff "$tmp/want.csv" "$tmp/out" | sed 's/^/#   /'
fi
cp "$tmp/out" "$tmp/targets.csv"
run validate --now 2026-12-01T00:00:00Z "$tmp/ev.yaml"
check "events --format csv: targets_file reads it" "$status" 0
contains_text "events --format csv: 3 targets read" "$tmp/out" \
    "valid: 1 group, 3 targets"

run events --endpoint "$ENDPOINT" --level warn,info
check "events --level warn,info: exit 0" "$status" 0
check "events --level warn,info: two events" \
    "$(sed 1d "$tmp/out" | awk '{ print $1 }' | tr '\n' ' ')" \
    "$(ev 13) $(ev 14) "
run events --endpoint "$ENDPOINT" --not-before-until 2031-02-15T00:00:00Z
check "events --not-before-until: due by then" \
    "$(sed 1d "$tmp/out" | awk '{ print $1 }' | tr '\n' ' ')" \
    "$(ev 11) $(ev 12) "
run events --endpoint "$ENDPOINT" --not-before-until yesterday
check "events --not-before-until yesterday: exit 2" "$status" 2
contains_text "events --not-before-until yesterday: says why" "$tmp/err" \
    'ensbatch events: --not-before-until: cannot parse time "yesterday"'

# --manifest: its endpoint, and local times in its zone (+08:00).
run events --manifest "$tmp/ev.yaml" --not-before-until "2031-02-01 08:00"
check "events --manifest: its api endpoint is used" "$status" 0
check "events --manifest: local time in its zone (boundary kept)" \
    "$(sed 1d "$tmp/out" | awk '{ print $1 }' | tr '\n' ' ')" \
    "$(ev 11) $(ev 12) "
run events --manifest "$tmp/ev.yaml" --not-before-until "2031-02-01 07:59"
check "events --manifest: local time in its zone (a minute before)" \
    "$(sed 1d "$tmp/out" | awk '{ print $1 }' | tr '\n' ' ')" "$(ev 12) "
run events --manifest "$tmp/nonexistent.yaml"
check "events --manifest missing: exit 2" "$status" 2
run events --manifest "$tmp/ev.yaml" --format yaml
check "events --manifest --format yaml: exit 0" "$status" 0
contains_text "events --manifest --format yaml: the manifest's endpoint" \
    "$tmp/out" "$ENDPOINT"
contains_text "events --format yaml: says what to review" "$tmp/out" \
    "# Review before applying:"
cp "$tmp/out" "$tmp/starter.yaml"
run validate "$tmp/starter.yaml"
check "events --format yaml: the starter manifest validates" "$status" 0

# The starter manifest is a rollout: a canary of 1 that checks and
# soaks, then waves of 5%, 25% and the rest, each after the one before.
start_sim --generate 40 --seed 3 || exit 1
run events --endpoint "$ENDPOINT" --format yaml
cp "$tmp/out" "$tmp/rollout.yaml"
run plan --format json "$tmp/rollout.yaml"
check "starter rollout: plan exit 0" "$status" 0
check "starter rollout: canary 1, waves 2, 10, 27, each after the last" \
    "$(jq -r '[.groups[] | "\(.name)=\([.batches[].targets | length] |
    add)<\(.after | join(","))"] | join(" ")' "$tmp/out")" \
    "canary=1< wave-1=2<canary wave-2=10<wave-1 wave-3=27<wave-2"
check "starter rollout: settle_timeout, a check and a soak after the canary" \
    "$(jq -r '.groups[0] | "\(.settle_timeout_ms) \(.soak_ms) \(.check != null)"' \
    "$tmp/out")" "1800000 600000 true"
contains_text "starter rollout: says to replace the check" "$tmp/rollout.yaml" \
    "replace the placeholder command with your health probe"

if [ "${SHOW_TTY:-0}" = 1 ]; then
	cat "$tmp/tty-yes" "$tmp/table"
fi
finish
