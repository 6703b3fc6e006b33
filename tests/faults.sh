#!/bin/sh
# Fault tolerance (issue 4): ensbatch against ensbatch-sim while it is
# killed, interrupted, and fed dropped and corrupted answers; journals
# that are torn, damaged or for another manifest; approved plans that
# went stale; a resume stuck on targets in doubt, and its way out
# (issue 11).  The simulator's request log (JSON Lines, read with jq) is
# the proof that every event received exactly one effective reboot.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM;
# XMLLINT (optional) to check the final kill-test report's schema.
# Other seeds and sizes (defaults in brackets): FAULTS_KILL_SEED [4242],
# FAULTS_KILL_TARGETS [200], FAULTS_DROP_SEED [99], FAULTS_DROP_TARGETS
# [100].  FAULTS_KEEP=1 keeps the temporary directory.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=ftest-key
SECRET=ftest-SENTINEL-secret-9a3e
. "${srcdir:-.}/tests/lib-sim.sh"

bg_pid=
stop_bg() {
	if [ -n "$bg_pid" ]; then
		kill -9 "$bg_pid" 2>/dev/null
		wait "$bg_pid" 2>/dev/null
	fi
	bg_pid=
}
trap 'stop_bg; stop_sim; [ -n "${FAULTS_KEEP:-}" ] || rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# fleet N: a fleet file with N Inquiring reboot events.
fleet() {
	awk -v n="$1" 'BEGIN {
		print "events:"
		for (i = 1; i <= n; i++) {
			printf "  - event: e-%032x\n", i + 4096
			printf "    resource: i-ftest%08d\n", i
		}
	}'
}

# events N: the event ids of fleet N, one a line.
events() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "e-%032x\n", i + 4096
	}'
}

# manifest NAME N GROUPS SIZES MAXFAIL: an immediate manifest for fleet
# N, cut into GROUPS groups (each after the previous one) whose
# batch_size cycles through the comma-separated SIZES; pause 0s.
manifest() {
	awk -v name="$1" -v n="$2" -v ng="$3" -v sizes="$4" -v mf="$5" \
	    -v ep="$ENDPOINT" 'BEGIN {
		ns = split(sizes, bs, ",")
		printf "ensbatch: 1\nname: %s\n", name
		printf "api:\n  endpoint: \"%s\"\n  retries: 8\n  rate: 100\n", ep
		print "policies:"
		for (g = 1; g <= ng; g++) {
			printf "  p%d:\n    ops: immediate\n", g
			printf "    batch_size: %d\n", bs[(g - 1) % ns + 1]
			printf "    pause: 0s\n    max_failures: %d\n", mf
		}
		print "groups:"
		per = int((n + ng - 1) / ng)
		i = 1
		for (g = 1; g <= ng && i <= n; g++) {
			printf "  - name: g%d\n    policy: p%d\n", g, g
			if (g > 1)
				printf "    after: [g%d]\n", g - 1
			print "    targets:"
			for (k = 0; k < per && i <= n; k++) {
				printf "      - event: e-%032x\n", i + 4096
				printf "        resource: i-ftest%08d\n", i
				i++
			}
		}
	}'
}

# The effective reboot requests of a log, one event a line.
effective_events() {
	jq -r '.items[]? | select(.effective == true) | .event' "$1"
}

effective() {
	effective_events "$1" | wc -l | tr -d ' '
}

# once LOG N: the events of fleet N whose effective reboot requests in
# LOG are not exactly one ("EVENT COUNT"), empty when all are.
once() {
	effective_events "$1" | sort | uniq -c >"$tmp/counts"
	events "$2" | awk 'NR == FNR { c[$2] = $1; next }
	    (c[$1] + 0) != 1 { print $1, c[$1] + 0 }' "$tmp/counts" -
}

# sent_twice LOG: events that appear in more than one processed reboot
# request (effective or not).
sent_twice() {
	jq -r 'select(.action == "BatchEventRebootInstance") |
	    .items[]? | .event' "$1" | sort | uniq -d
}

reboot_calls() {
	jq -r 'select(.action == "BatchEventRebootInstance") | .seq' "$1" |
	    wc -l | tr -d ' '
}

# cases REPORT: one line per testcase, "EVENT OUTCOME TYPE|MESSAGE",
# OUTCOME one of passed, failure, error, skipped.
cases() {
	awk '
	function attr(s, a,    r) {
		if (match(s, " " a "=\"[^\"]*\"") == 0)
			return ""
		r = substr(s, RSTART + length(a) + 3)
		return substr(r, 1, index(r, "\"") - 1)
	}
	function emit() { print ev, st, ty "|" msg; open = 0 }
	/<testcase / {
		split(attr($0, "name"), w, " ")
		ev = w[2]; st = "passed"; ty = ""; msg = ""; open = 1
		if ($0 ~ /\/>[ \t]*$/)
			emit()
		next
	}
	open && /<(failure|error|skipped)[ \/>]/ {
		st = $0; sub(/^[ \t]*</, "", st); sub(/[ \/>].*/, "", st)
		ty = attr($0, "type"); msg = attr($0, "message")
	}
	open && /<\/testcase>/ { emit() }' "$1"
}

# passed_unapplied REPORT LOG: passed targets without an effective
# reboot request in the log.
passed_unapplied() {
	effective_events "$2" | sort -u >"$tmp/applied"
	cases "$1" | awk '$2 == "passed" { print $1 }' | sort |
	    comm -23 - "$tmp/applied"
}

# attr FILE ATTR: an attribute of the report's root element.
attr() {
	sed -n "s/.*<testsuites [^>]*$2=\"\\([^\"]*\\)\".*/\\1/p" "$1" |
	    head -n 1
}

# The targets' testcases (an interrupted run adds a failing "(run)" one).
ntestcases() {
	grep '<testcase ' "$1" | grep -vc 'classname="[^"]*\.(run)"'
}



# check_empty WHAT TEXT: ok when TEXT is empty; otherwise show it.
check_empty() {
	if [ -z "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$2" | head -n 10 | sed 's/^/#   /'
	fi
}

# The simulator shows every change at once: a short reconciliation
# window keeps the runs fast (the default, 1m, is for real APIs).
window() {
	[ "$1" = apply ] && echo "--reconcile-window 2s"
}

# run DIR ARGS...: ensbatch in DIR (created), output kept in $tmp/out,
# $tmp/err; status in $status.
run() {
	rdir=$1
	shift
	mkdir -p "$rdir"
	(cd "$rdir" && timeout 120 "$ENSBATCH" "$@" $(window "$1")) \
	    >"$tmp/out" 2>"$tmp/err"
	status=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
}

# bg DIR ARGS...: ensbatch in the background in DIR; its pid in bg_pid.
bg() {
	bdir=$1
	shift
	mkdir -p "$bdir"
	(cd "$bdir" && exec "$ENSBATCH" "$@" $(window "$1")) \
	    >"$tmp/out" 2>"$tmp/err" &
	bg_pid=$!
}

# bg_wait SECONDS: wait (bounded) for the background run; status in
# $status (137 when it had to be killed, after a "not ok").
bg_wait() {
	i=0
	while kill -0 "$bg_pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt $(($1 * 10)) ]; then
			not_ok "ensbatch did not end within $1 s"
			kill -9 "$bg_pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$bg_pid"
	status=$?
	bg_pid=
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
}

# wait_log LOG N SECONDS: wait (bounded) until LOG has N reboot calls.
wait_log() {
	i=0
	while [ "$(reboot_calls "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ "$i" -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_for SECONDS CMD...: wait (bounded) until CMD succeeds.
wait_for() {
	wf_n=$(($1 * 20))
	shift
	until "$@" 2>/dev/null; do
		wf_n=$((wf_n - 1))
		[ "$wf_n" -gt 0 ] || return 1
		sleep 0.05
	done
}

# signal_twice LOG: SIGINT twice to the background run while its first
# call is in flight, then wait for it.  The simulator logs a request
# when it arrives, then waits its latency: once LOG has the call, it is
# in flight.  The second signal goes once the first one was noticed.
signal_twice() {
	if wait_log "$1" 1 20; then
		kill -INT "$bg_pid" 2>/dev/null
		wait_for 5 grep -q 'stopping after the calls in flight' \
		    "$tmp/err"
		kill -INT "$bg_pid" 2>/dev/null
	fi
	bg_wait 30
}

# ------------------------------------------------------------ kill -9
# 200 targets in four chained groups with batch sizes 5 to 10; ensbatch
# is killed at 20 moments drawn from a fixed seed, resumed after each.
K=${FAULTS_KILL_TARGETS:-200}
fleet $K >"$tmp/kfleet.yaml"
start_sim --fleet "$tmp/kfleet.yaml" --log "$tmp/kill.jsonl" \
    --latency 50 --reboot-seconds 0 || exit 1
manifest ftest-kill $K 4 5,6,5,10 $((K / 10)) >"$tmp/kill.yaml"
awk -v seed="${FAULTS_KILL_SEED:-4242}" 'BEGIN { srand(seed)
	for (i = 1; i <= 20; i++) printf "%.2f\n", 0.05 + rand() * 0.55 }' \
    >"$tmp/delays"
echo "# kill delays (s): $(tr '\n' ' ' <"$tmp/delays")"
KJ="$tmp/kill/kill.journal.jsonl"
KR="$tmp/kill/kill.xml"
killed=0
finished=0
odd=
for d in $(cat "$tmp/delays"); do
	resume=
	[ -e "$KJ" ] && resume=--resume
	bg "$tmp/kill" apply --yes $resume --report "$KR" --journal "$KJ" \
	    "$tmp/kill.yaml"
	sleep "$d"
	if kill -9 "$bg_pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	bg_wait 30
	case $status in
	0)	finished=$((finished + 1)) ;;
	137)	;;
	*)	odd="$odd run after ${d}s: exit $status: $(tail -n 3 "$tmp/err" |
		    tr '\n' ' ')
" ;;
	esac
done
echo "# kill test: $killed runs killed, $finished finished before the kill"
check_empty "kill test: every run was killed or ended with exit 0" "$odd"
resume=
[ -e "$KJ" ] && resume=--resume
rm -f "$KR"
run "$tmp/kill" apply --yes $resume --report "$KR" --journal "$KJ" \
    "$tmp/kill.yaml"
check "kill test: the final run exits 0" "$status" 0
[ "$status" -ne 0 ] && sed 's/^/#   /' "$tmp/err" | tail -n 5
check "kill test: report has $K tests" "$(attr "$KR" tests)" $K
check "kill test: report has $K testcases" "$(ntestcases "$KR")" $K
check "kill test: no failures or errors" \
    "$(attr "$KR" failures)/$(attr "$KR" errors)" 0/0
check_empty "kill test: every target passed (none skipped)" \
    "$(cases "$KR" | grep -v ' passed ')"
check_empty "kill test: every event has exactly one effective reboot" \
    "$(once "$tmp/kill.jsonl" $K)"
check_empty "kill test: no event appears in two reboot requests" \
    "$(sent_twice "$tmp/kill.jsonl")"
check "kill test: the journal holds a call for every target" \
    "$(jq -s -r '[.[] | select(.type == "call") | .items[].event] | unique
    | length' "$KJ")" $K
# Kills during a call leave it in doubt: the next run reconciles it.
nrec=$(jq -r 'select(.type == "reconcile") | .event' "$KJ" | wc -l)
echo "# kill test: $nrec in-doubt targets reconciled"
if [ "$killed" -ge 5 ] && [ "$nrec" -gt 0 ]; then
	ok "kill test: runs were killed with calls in flight"
else
	not_ok "kill test: runs were killed with calls in flight ($killed killed, $nrec reconciled)"
fi
if [ -n "${XMLLINT:-}" ]; then
	if "$XMLLINT" --noout --schema "$srcdir/tests/junit-10.xsd" "$KR" \
	    2>/dev/null; then
		ok "kill test: the final report matches the junit-10 schema"
	else
		not_ok "kill test: the final report matches the junit-10 schema"
	fi
fi
stop_sim

# ---------------------------------------------------------------- drop
D=${FAULTS_DROP_TARGETS:-100}
fleet $D >"$tmp/dfleet.yaml"
start_sim --fleet "$tmp/dfleet.yaml" --log "$tmp/drop.jsonl" \
    --drop 0.3 --seed "${FAULTS_DROP_SEED:-99}" --reboot-seconds 0 || exit 1
manifest ftest-drop $D 2 8,6 $((D / 2)) >"$tmp/drop.yaml"
run "$tmp/drop" apply --yes --report "$tmp/drop/drop.xml" "$tmp/drop.yaml"
check "drop test: exit 0" "$status" 0
[ "$status" -ne 0 ] && sed 's/^/#   /' "$tmp/err" | tail -n 5
check "drop test: $D testcases" "$(ntestcases "$tmp/drop/drop.xml")" $D
check "drop test: no failures or errors" \
    "$(attr "$tmp/drop/drop.xml" failures)/$(attr "$tmp/drop/drop.xml" errors)" 0/0
check_empty "drop test: every target passed" \
    "$(cases "$tmp/drop/drop.xml" | grep -v ' passed ')"
check_empty "drop test: every event has exactly one effective reboot" \
    "$(once "$tmp/drop.jsonl" $D)"
check_empty "drop test: no event requested twice" \
    "$(sent_twice "$tmp/drop.jsonl")"
ndrop=$(jq -r 'select(.fault == "drop" and
    .action == "BatchEventRebootInstance") | .seq' "$tmp/drop.jsonl" | wc -l)
if [ "$ndrop" -gt 0 ]; then
	ok "drop test: reboot answers were dropped ($ndrop)"
else
	not_ok "drop test: reboot answers were dropped"
fi
# The default seed also drops DescribeHistoryEvents answers, preflight's
# and reconciliation's: reads must be retried, not turned into errors.
ndrop=$(jq -r 'select(.fault == "drop" and
    .action == "DescribeHistoryEvents") | .seq' "$tmp/drop.jsonl" | wc -l)
echo "# drop test: $ndrop DescribeHistoryEvents answers dropped"
contains "drop test: dropped calls confirmed by DescribeHistoryEvents" \
    "$tmp/drop/drop.xml" 'DescribeHistoryEvents confirmed it'
stop_sim

# ------------------------------------------------------------- corrupt
C=60
fleet $C >"$tmp/cfleet.yaml"
start_sim --fleet "$tmp/cfleet.yaml" --log "$tmp/corrupt.jsonl" \
    --corrupt 0.3 --seed 29 --reboot-seconds 0 || exit 1
manifest ftest-corrupt $C 2 10,5 30 >"$tmp/corrupt.yaml"
CJ="$tmp/corrupt/ftest-corrupt.journal.jsonl"
unapplied=
attempt=0
status=1
while [ "$attempt" -lt 4 ] && [ "$status" -ne 0 ]; do
	attempt=$((attempt + 1))
	resume=
	[ -e "$CJ" ] && resume=--resume
	rm -f "$tmp/corrupt/corrupt.xml"
	run "$tmp/corrupt" apply --yes $resume --report \
	    "$tmp/corrupt/corrupt.xml" "$tmp/corrupt.yaml"
	echo "# corrupt test: run $attempt ${resume:-(first)}: exit $status:" \
	    "$(tail -n 1 "$tmp/out")"
	if [ -f "$tmp/corrupt/corrupt.xml" ]; then
		unapplied="$unapplied$(passed_unapplied \
		    "$tmp/corrupt/corrupt.xml" "$tmp/corrupt.jsonl")"
	fi
done
check "corrupt test: exit 0 after at most 3 resumes" "$status" 0
[ "$status" -ne 0 ] && sed 's/^/#   /' "$tmp/err" | tail -n 5
check_empty "corrupt test: no target passed that the sim did not apply" \
    "$unapplied"
check "corrupt test: $C testcases" \
    "$(ntestcases "$tmp/corrupt/corrupt.xml")" $C
check_empty "corrupt test: every target passed in the end" \
    "$(cases "$tmp/corrupt/corrupt.xml" | grep -v ' passed ')"
check_empty "corrupt test: every event has exactly one effective reboot" \
    "$(once "$tmp/corrupt.jsonl" $C)"
check_empty "corrupt test: no event requested twice" \
    "$(sent_twice "$tmp/corrupt.jsonl")"
ncor=$(jq -r 'select(.fault == "corrupt" and
    .action == "BatchEventRebootInstance") | .seq' "$tmp/corrupt.jsonl" |
    wc -l)
if [ "$ncor" -gt 0 ]; then
	ok "corrupt test: reboot answers were corrupted ($ncor)"
else
	not_ok "corrupt test: reboot answers were corrupted"
fi
stop_sim

# An unreadable answer for a batch holding an event that was already
# Executed (no preflight to skip it): the API refused that target
# (IncorrectEventStatus, not effective), so it must not end passed just
# because DescribeHistoryEvents now shows Executed.  With seed 5 the
# reboot answer is corrupted and the DescribeHistoryEvents one is not.
awk 'BEGIN { print "events:"
	for (i = 1; i <= 4; i++) {
		printf "  - event: e-%032x\n", i + 4096
		printf "    resource: i-ftest%08d\n", i
		if (i == 3)
			print "    status: Executed"
	}
}' >"$tmp/xfleet.yaml"
start_sim --fleet "$tmp/xfleet.yaml" --log "$tmp/executed.jsonl" \
    --corrupt 0.5 --seed 5 || exit 1
manifest ftest-executed 4 1 4 4 >"$tmp/executed.yaml"
run "$tmp/executed" apply --yes --no-preflight \
    --report "$tmp/executed/x.xml" "$tmp/executed.yaml"
echo "# already Executed, corrupted answer: exit $status;" \
    "faults: $(jq -r '.fault' "$tmp/executed.jsonl" | tr '\n' ' ')"
check_empty "corrupt test: an event already Executed is not passed" \
    "$(passed_unapplied "$tmp/executed/x.xml" "$tmp/executed.jsonl")"
stop_sim

# ------------------------------------------------------ first SIGINT
S=16
fleet $S >"$tmp/s1fleet.yaml"
start_sim --fleet "$tmp/s1fleet.yaml" --log "$tmp/sig1.jsonl" \
    --latency 200 --reboot-seconds 0 || exit 1
manifest ftest-sig1 $S 1 2 $S >"$tmp/sig1.yaml"
S1R="$tmp/sig1/sig1.xml"
S1J="$tmp/sig1/ftest-sig1.journal.jsonl"
bg "$tmp/sig1" apply --yes --report "$S1R" "$tmp/sig1.yaml"
if wait_log "$tmp/sig1.jsonl" 1 20; then
	# While it runs, a second apply on the same journal is refused.
	(cd "$tmp/sig1" && timeout 60 "$ENSBATCH" apply --yes --resume \
	    --report "$S1R" "$tmp/sig1.yaml") >"$tmp/lock.out" 2>"$tmp/lock.err"
	check "a journal in use: a second apply is refused" "$?" 2
	contains "a journal in use: says so" "$tmp/lock.err" 'in use'
	# Once some target settled, interrupt.
	wait_for 20 grep -q '"type":"settle"' "$S1J"
	kill -INT "$bg_pid" 2>/dev/null
fi
bg_wait 30
check "first SIGINT: exit 130" "$status" 130
if [ -f "$S1R" ]; then
	ok "first SIGINT: report written"
else
	not_ok "first SIGINT: report written"
	: >"$S1R"
fi
check "first SIGINT: one testcase per target" "$(ntestcases "$S1R")" $S
contains "first SIGINT: a failing (run) case says why" "$S1R" \
    'type="Interrupted" message="interrupted by a signal'
contains "first SIGINT: the resume command is given" "$tmp/err" \
    'interrupted; resume with: ensbatch apply --resume --journal'
cases "$S1R" >"$tmp/s1cases"
np=$(grep -c ' passed ' "$tmp/s1cases")
ns=$(grep -c -e ' skipped |not attempted: interrupted$' \
    -e ' skipped |interrupted while settling' "$tmp/s1cases")
if [ "$np" -gt 0 ] && [ "$ns" -gt 0 ] && [ $((np + ns)) -eq $S ]; then
	ok "first SIGINT: $np passed, $ns skipped as interrupted"
else
	not_ok "first SIGINT: some passed, the rest skipped as interrupted"
	sed 's/^/#   /' "$tmp/s1cases" | head -n 10
fi
check_empty "first SIGINT: passed targets were applied" \
    "$(passed_unapplied "$S1R" "$tmp/sig1.jsonl")"
check "first SIGINT: every journal call has a result" \
    "$(jq -s -c '([.[] | select(.type == "call") | .seq] -
    [.[] | select(.type == "result") | .seq])' "$S1J" 2>&1)" "[]"
last=$(tail -n 1 "$S1J" | jq -r .type)
check "first SIGINT: the journal does not end with a call" \
    "$([ "$last" = result ] || [ "$last" = settle ] && echo yes ||
    echo "no: $last")" yes
run "$tmp/sig1" apply --yes --resume --report "$S1R" "$tmp/sig1.yaml"
check "first SIGINT: --resume exits 0" "$status" 0
check "first SIGINT: --resume: no failures or errors" \
    "$(attr "$S1R" failures)/$(attr "$S1R" errors)" 0/0
check_empty "first SIGINT: --resume: every target passed" \
    "$(cases "$S1R" | grep -v ' passed ')"
check_empty "first SIGINT: every event has exactly one effective reboot" \
    "$(once "$tmp/sig1.jsonl" $S)"
check_empty "first SIGINT: no event requested twice" \
    "$(sent_twice "$tmp/sig1.jsonl")"
stop_sim

# ----------------------------------------------------- second SIGINT
# A call in flight for 2 s when two SIGINTs arrive: it is aborted.
S=4
fleet $S >"$tmp/s2fleet.yaml"
start_sim --fleet "$tmp/s2fleet.yaml" --log "$tmp/sig2.jsonl" \
    --latency 2000 --reboot-seconds 0 || exit 1
manifest ftest-sig2 $S 1 2 $S >"$tmp/sig2.yaml"
S2R="$tmp/sig2/sig2.xml"
bg "$tmp/sig2" apply --yes --report "$S2R" "$tmp/sig2.yaml"
signal_twice "$tmp/sig2.jsonl"
check "second SIGINT: exit 130" "$status" 130
if [ -f "$S2R" ]; then
	ok "second SIGINT: report written"
else
	not_ok "second SIGINT: report written"
	: >"$S2R"
fi
check "second SIGINT: one testcase per target" "$(ntestcases "$S2R")" $S
cases "$S2R" >"$tmp/s2cases"
inflight=$(jq -r 'select(.action == "BatchEventRebootInstance") |
    .items[]? | .event' "$tmp/sig2.jsonl" | sort)
unknown=$(grep ' error OutcomeUnknown|outcome unknown' "$tmp/s2cases" |
    cut -d ' ' -f 1 | sort)
if [ -n "$inflight" ] && [ "$inflight" = "$unknown" ]; then
	ok "second SIGINT: the in-flight targets are OutcomeUnknown errors"
else
	not_ok "second SIGINT: the in-flight targets are OutcomeUnknown errors"
	echo "#   in flight: $(echo $inflight)"
	sed 's/^/#   /' "$tmp/s2cases"
fi
lacks "second SIGINT: libcurl's wording stays out of the report" \
    "$S2R" "Callback aborted"
contains_text "second SIGINT: the report says a second signal stopped the call" \
    "$S2R" "stopped by a second signal"
check "second SIGINT: the others are skipped as interrupted" \
    "$(grep -c ' skipped |not attempted: interrupted$' "$tmp/s2cases")" \
    $((S - $(echo "$inflight" | grep -c .)))
run "$tmp/sig2" apply --yes --resume --report "$S2R" "$tmp/sig2.yaml"
check "second SIGINT: --resume exits 0" "$status" 0
check_empty "second SIGINT: --resume: every target passed" \
    "$(cases "$S2R" | grep -v ' passed ')"
check_empty "second SIGINT: every event has exactly one effective reboot" \
    "$(once "$tmp/sig2.jsonl" $S)"
check_empty "second SIGINT: no event requested twice" \
    "$(sent_twice "$tmp/sig2.jsonl")"
contains "second SIGINT: --resume reconciled the unknown ones" "$S2R" \
    'earlier run was unknown; DescribeHistoryEvents confirmed it'
stop_sim

# ---------------------------------------------------- a stuck resume
# Without the preflight, two signals while the first call is in flight:
# the simulator applied it, the journal has no answer and no status from
# before it.  Then batch 2 is journaled but its call never leaves (what
# a kill -9 between the journal and the send leaves; written by hand).
# A plain --resume cannot prove that the first call took effect: it
# fails, says why and prints the command to run, sends nothing, and the
# next plain --resume fails the same way.  The printed command
# (--adopt-status) follows the rebooting targets without sending them,
# sends batch 2, whose event the window showed untouched, and a further
# resume has nothing to do.  No event is ever requested twice.
T=4
fleet $T >"$tmp/tfleet.yaml"
start_sim --fleet "$tmp/tfleet.yaml" --log "$tmp/stuck.jsonl" \
    --latency 1500 || exit 1
manifest ftest-stuck $T 1 2 0 >"$tmp/stuck.yaml"
TR="$tmp/stuck/stuck.xml"
TJ="$tmp/stuck/ftest-stuck.journal.jsonl"
ev3=$(events 3 | tail -n 1)
# outcomes: "OUTCOME TYPE" of each target, in fleet order, on one line
# (not the "(run)" case).
outcomes() {
	cases "$TR" | grep '^e-' | cut -d '|' -f 1 | cut -d ' ' -f 2- |
	    tr '\n' ';'
}
bg "$tmp/stuck" apply --yes --no-preflight --report "$TR" "$tmp/stuck.yaml"
signal_twice "$tmp/stuck.jsonl"
check "stuck: no preflight, two signals: exit 130" "$status" 130
check "stuck: the simulator applied the call in flight" \
    "$(effective "$tmp/stuck.jsonl")" 2
check "stuck: the journal has no status from before the call" \
    "$(jq -s -c '[.[] | select(.type == "call") | .items[].before]' \
    "$TJ")" '[null,null]'
printf '{"type":"call","seq":2,"group":"g1","batch":2,"items":[{"event":"%s","resource":"i-ftest00000003","ops":"immediate","plan_time":null,"before":null}],"time":%s000}\n' \
    "$ev3" "$(date +%s)" >>"$TJ"
calls=$(reboot_calls "$tmp/stuck.jsonl")
adopt=
for n in 1 2; do
	run "$tmp/stuck" apply --yes --resume --report "$TR" "$tmp/stuck.yaml"
	check "stuck: plain --resume $n: exit 1" "$status" 1
	check "stuck: plain --resume $n: the two in doubt are errors" \
	    "$(outcomes)" "error OutcomeUnknown;error OutcomeUnknown;skipped ;skipped ;"
	check "stuck: plain --resume $n: nothing was sent" \
	    "$(reboot_calls "$tmp/stuck.jsonl")" "$calls"
	contains_text "stuck: plain --resume $n: the recap says what is in doubt" \
	    "$tmp/err" "2 targets in doubt: their events are now Executing or Executed, but with no status from before the request (no preflight) the events cannot tell whether the request did it; none was sent again, and a plain --resume ends the same way"
	contains_text "stuck: plain --resume $n: and the command to run" \
	    "$tmp/err" "never sent again) with: ensbatch apply --resume --adopt-status --journal $TJ --report $TR $tmp/stuck.yaml"
	contains_text "stuck: plain --resume $n: the report says why and what to do" \
	    "$TR" "the event is now Executed, but without its status from before the request (no preflight), the events cannot tell whether that request or the platform did it; not sent again: settle it with ensbatch apply --resume --adopt-status"
	[ -n "$adopt" ] || adopt=$(sed -n \
	    's/.*never sent again) with: ensbatch apply //p' "$tmp/err")
done
check "stuck: the unsent call is journaled untouched" \
    "$(jq -r --arg e "$ev3" 'select(.type == "reconcile" and
    .event == $e) | .state' "$TJ" | sort -u)" not_sent
(cd "$tmp/stuck" && timeout 60 "$ENSBATCH" status --journal "$TJ" \
    --report "$tmp/stuck/status.xml" "$tmp/stuck.yaml") >/dev/null 2>&1
check "stuck: status exits 1" "$?" 1
touch "$tmp/stuck/status.xml"
contains_text "stuck: the status report says what to do" \
    "$tmp/stuck/status.xml" "settle it with ensbatch apply --resume --adopt-status"
run "$tmp/stuck" apply --yes --adopt-status --report "$TR" "$tmp/stuck.yaml"
check "stuck: --adopt-status without --resume: exit 2" "$status" 2
contains_text "stuck: --adopt-status without --resume: says so" "$tmp/err" \
    "it needs --resume"
run "$tmp/stuck" apply --yes --resume --adopt-status --no-preflight \
    --report "$TR" "$tmp/stuck.yaml"
check "stuck: --adopt-status with --no-preflight: exit 2" "$status" 2
contains_text "stuck: --adopt-status with --no-preflight: says so" \
    "$tmp/err" "it cannot go with --no-preflight"
check "stuck: refused --adopt-status sent nothing" \
    "$(reboot_calls "$tmp/stuck.jsonl")" "$calls"

# The way out: the command as printed.
case $adopt in
"--resume --adopt-status "*) ok "stuck: the command is printed" ;;
*)	not_ok "stuck: the command is printed: [$adopt]"
	adopt="--resume --adopt-status --report $TR $tmp/stuck.yaml" ;;
esac
# shellcheck disable=SC2086
run "$tmp/stuck" apply --yes $adopt
check "stuck: --adopt-status: exit 0" "$status" 0
[ "$status" -ne 0 ] && sed 's/^/#   /' "$tmp/err" | tail -n 8
check "stuck: --adopt-status: every target passed" "$(outcomes)" \
    "passed ;passed ;passed ;passed ;"
contains_text "stuck: --adopt-status: the report says they were adopted" \
    "$TR" "adopted from the event's status (Executed, --adopt-status): followed, not sent"
contains_text "stuck: --adopt-status: the recap says so" "$tmp/err" \
    "2 targets in doubt adopted from their events' status (--adopt-status): followed, not sent"
check "stuck: --adopt-status: the journal records the adoptions" \
    "$(jq -r 'select(.type == "reconcile" and .adopted == true) | .event' \
    "$TJ" | tr '\n' ' ')" "$(events 2 | tr '\n' ' ')"
check "stuck: --adopt-status: one call, batch 2" \
    "$(reboot_calls "$tmp/stuck.jsonl")" $((calls + 1))
calls=$(reboot_calls "$tmp/stuck.jsonl")
run "$tmp/stuck" apply --yes --resume --report "$TR" "$tmp/stuck.yaml"
check "stuck: a further --resume: exit 0" "$status" 0
check "stuck: a further --resume: nothing was sent" \
    "$(reboot_calls "$tmp/stuck.jsonl")" "$calls"
check "stuck: a further --resume: all settled in an earlier run" \
    "$(grep -c 'settled in an earlier run (journal)' "$TR")" $T
check_empty "stuck: every event has exactly one effective reboot" \
    "$(once "$tmp/stuck.jsonl" $T)"
check_empty "stuck: no event requested twice" \
    "$(sent_twice "$tmp/stuck.jsonl")"

# When the events cannot be read, the advice is to try again later: a
# copy of the stuck journal (the first call and its unknown result),
# and the simulator gone.
stop_sim
sed -n 1,3p "$TJ" >"$tmp/stuck/u.jsonl"
run "$tmp/stuck" apply --yes --resume --no-preflight --retries 0 \
    --journal "$tmp/stuck/u.jsonl" --report "$tmp/stuck/u.xml" \
    "$tmp/stuck.yaml"
check "stuck: events unreadable: exit 1" "$status" 1
contains "stuck: events unreadable: the report says to try later" \
    "$tmp/stuck/u.xml" "the events could not be read: .*not sent again: resume again when DescribeHistoryEvents answers"
contains_text "stuck: events unreadable: the recap gives the command" \
    "$tmp/err" "2 targets in doubt: the events could not be read, none was sent again; when DescribeHistoryEvents answers: ensbatch apply --resume --journal $tmp/stuck/u.jsonl --report $tmp/stuck/u.xml $tmp/stuck.yaml"

# A signal while a resume watches an untouched event cuts the window
# short: that proves nothing, so the target stays in doubt (it used to
# be journaled not_sent, and the next resume sent it unwatched).  The
# journal is one call without a result, as a kill -9 leaves it.
fleet 2 >"$tmp/wfleet.yaml"
start_sim --fleet "$tmp/wfleet.yaml" --log "$tmp/cut.jsonl" || exit 1
manifest ftest-cut 2 1 2 0 >"$tmp/cut.yaml"
mkdir -p "$tmp/cut"
WJ="$tmp/cut/cut.jsonl"
printf '{"type":"start","version":1,"name":"ftest-cut","manifest_sha256":"%s","time":1}\n' \
    "$(sha256sum "$tmp/cut.yaml" | cut -d ' ' -f 1)" >"$WJ"
printf '{"type":"call","seq":1,"group":"g1","batch":1,"items":[{"event":"%s","resource":"i-ftest00000001","ops":"immediate","plan_time":null,"before":"Inquiring"}],"time":2}\n' \
    "$(events 1)" >>"$WJ"
# describes N: the simulator has answered N DescribeHistoryEvents.
describes() {
	[ "$(jq -r 'select(.action == "DescribeHistoryEvents") | .seq' \
	    "$tmp/cut.jsonl" | wc -l)" -ge "$1" ]
}
(cd "$tmp/cut" && exec "$ENSBATCH" apply --yes --resume --journal "$WJ" \
    --report "$tmp/cut/cut.xml" --reconcile-window 60s "$tmp/cut.yaml") \
    >"$tmp/out" 2>"$tmp/err" &
bg_pid=$!
# The preflight reads the events once, the window then at least once.
wait_for 15 describes 2
kill -INT "$bg_pid" 2>/dev/null
bg_wait 30
check "window cut short: exit 130" "$status" 130
check "window cut short: not journaled untouched" \
    "$(jq -r 'select(.type == "reconcile") | .state' "$WJ")" ""
contains_text "window cut short: the report says so" "$tmp/cut/cut.xml" \
    "the reconciliation window was cut short, which proves nothing; not sent again: --resume watches it again"
check "window cut short: nothing was sent" "$(reboot_calls "$tmp/cut.jsonl")" 0
run "$tmp/cut" apply --yes --resume --journal "$WJ" --report \
    "$tmp/cut/cut.xml" "$tmp/cut.yaml"
check "window cut short: the next --resume watches it, then sends: exit 0" \
    "$status" 0
check_empty "window cut short: every event has exactly one effective reboot" \
    "$(once "$tmp/cut.jsonl" 2)"
stop_sim

# ------------------------------------------------- a status that shows late
# Answers dropped after the request was applied, and statuses that show
# 4 s late: reconciliation must wait for the change (window 12 s), not
# send a second request after a few quick looks.
L=12
fleet $L >"$tmp/lfleet.yaml"
start_sim --fleet "$tmp/lfleet.yaml" --log "$tmp/lag.jsonl" \
    --drop 0.3 --lag 4s --fault-seed 17 --reboot-seconds 0 || exit 1
manifest ftest-lag $L 1 4 $L >"$tmp/lag.yaml"
mkdir -p "$tmp/lag"
(cd "$tmp/lag" && timeout 300 "$ENSBATCH" apply --yes \
    --reconcile-window 12s --report "$tmp/lag/lag.xml" "$tmp/lag.yaml") \
    >"$tmp/out" 2>"$tmp/err"
check "late status: exit 0" "$?" 0
nlate=$(jq -r 'select(.fault == "drop" and
    .action == "BatchEventRebootInstance") | .seq' "$tmp/lag.jsonl" | wc -l)
if [ "$nlate" -gt 0 ]; then
	ok "late status: reboot answers were dropped ($nlate)"
else
	not_ok "late status: reboot answers were dropped"
fi
check_empty "late status: no event requested twice" \
    "$(sent_twice "$tmp/lag.jsonl")"
check_empty "late status: every event has exactly one effective reboot" \
    "$(once "$tmp/lag.jsonl" $L)"
stop_sim

# ------------------------------------------ one apply per manifest and key
# A second apply of the same manifest with the same key is refused even
# with another journal, and says who holds the run.
fleet 4 >"$tmp/lkfleet.yaml"
start_sim --fleet "$tmp/lkfleet.yaml" --log "$tmp/lock2.jsonl" \
    --latency 1500 || exit 1
manifest ftest-lock 4 1 1 0 >"$tmp/lock.yaml"
bg "$tmp/lock-a" apply --yes --journal "$tmp/lock-a/a.jsonl" "$tmp/lock.yaml"
wait_log "$tmp/lock2.jsonl" 1 20
(cd "$tmp" && timeout 60 "$ENSBATCH" apply --yes --journal "$tmp/b.jsonl" \
    "$tmp/lock.yaml") >"$tmp/lock.out" 2>"$tmp/lock.err"
check "second apply, other journal: exit 2" "$?" 2
contains "second apply, other journal: says who holds the run" \
    "$tmp/lock.err" 'another ensbatch apply of ftest-lock with this account is running (pid [0-9]*, .*journal .*a.jsonl'
kill -INT "$bg_pid" 2>/dev/null
bg_wait 30
stop_sim

# ---------------------------------- a targets file changed before --resume
fleet 4 >"$tmp/tffleet.yaml"
start_sim --fleet "$tmp/tffleet.yaml" --log "$tmp/tf.jsonl" || exit 1
mkdir -p "$tmp/tf"
{
	printf 'event,resource\n'
	for i in 1 2 3; do
		printf 'e-%032x,i-ftest%08d\n' $((i + 4096)) "$i"
	done
} >"$tmp/tf/t.csv"
printf 'ensbatch: 1\nname: ftest-tf\napi:\n  endpoint: "%s"\n' "$ENDPOINT" \
    >"$tmp/tf/m.yaml"
printf 'policies:\n  p:\n    ops: immediate\n    batch_size: 3\n' \
    >>"$tmp/tf/m.yaml"
printf 'groups:\n  - name: g\n    policy: p\n    targets_file: t.csv\n' \
    >>"$tmp/tf/m.yaml"
run "$tmp/tf" apply --yes --journal "$tmp/tf/j.jsonl" "$tmp/tf/m.yaml"
check "targets file: first run exit 0" "$status" 0
printf 'e-%032x,i-ftest%08d\n' 4100 4 >>"$tmp/tf/t.csv"
calls=$(reboot_calls "$tmp/tf.jsonl")
run "$tmp/tf" apply --yes --resume --journal "$tmp/tf/j.jsonl" "$tmp/tf/m.yaml"
check "targets file changed: --resume refused (exit 2)" "$status" 2
contains "targets file changed: says so" "$tmp/err" 'another manifest'
check "targets file changed: nothing sent" "$(reboot_calls "$tmp/tf.jsonl")" \
    "$calls"
stop_sim

# ------------------------------------------------------------ journals
J=6
fleet $J >"$tmp/jfleet.yaml"
start_sim --fleet "$tmp/jfleet.yaml" --log "$tmp/journal.jsonl" || exit 1
manifest ftest-journal $J 1 3 0 >"$tmp/journal.yaml"
JJ="$tmp/journal/j.jsonl"
run "$tmp/journal" apply --yes --journal "$JJ" "$tmp/journal.yaml"
check "journal: a first run exits 0" "$status" 0
calls=$(reboot_calls "$tmp/journal.jsonl")

# (a) another manifest: one byte more.
cp "$tmp/journal.yaml" "$tmp/journal2.yaml"
printf '\n' >>"$tmp/journal2.yaml"
run "$tmp/journal" apply --yes --resume --journal "$JJ" "$tmp/journal2.yaml"
check "journal for another manifest: exit 2" "$status" 2
contains "journal for another manifest: says so" "$tmp/err" \
    'another manifest or other targets files (digest '

# (b) a torn last line is tolerated, and cut off.
cp "$JJ" "$tmp/journal/torn.jsonl"
printf '{"type":"call","seq":99,"group":"g1","ba' >>"$tmp/journal/torn.jsonl"
run "$tmp/journal" apply --yes --resume --journal "$tmp/journal/torn.jsonl" \
    --report "$tmp/journal/torn.xml" "$tmp/journal.yaml"
check "torn last line: --resume exits 0" "$status" 0
check "torn last line: all confirmed by the journal" \
    "$(grep -c 'settled in an earlier run' "$tmp/journal/torn.xml")" $J
if jq -c . "$tmp/journal/torn.jsonl" >/dev/null 2>&1; then
	ok "torn last line: the journal was repaired"
else
	not_ok "torn last line: the journal was repaired"
fi

# (c) a damaged line in the middle is an error naming the line.
awk 'NR == 3 { print "{\"type\":\"result\",\"seq\":1,garbage}"; next }
    { print }' "$JJ" >"$tmp/journal/bad.jsonl"
run "$tmp/journal" apply --yes --resume --journal "$tmp/journal/bad.jsonl" \
    "$tmp/journal.yaml"
check "damaged journal: exit 2" "$status" 2
contains "damaged journal: names the line" "$tmp/err" 'bad.jsonl:3:'
check "journals: nothing was sent again" \
    "$(reboot_calls "$tmp/journal.jsonl")" "$calls"
check_empty "journals: every event has exactly one effective reboot" \
    "$(once "$tmp/journal.jsonl" $J)"
stop_sim

# ------------------------------------------------------ approved plans
P=15
fleet $P >"$tmp/pfleet.yaml"
start_sim --fleet "$tmp/pfleet.yaml" --log "$tmp/plan.jsonl" || exit 1
manifest ftest-plan 6 1 3 0 >"$tmp/plan.yaml"
run "$tmp/plan" plan --out "$tmp/plan/P.json" "$tmp/plan.yaml"
check "plan --out: exit 0" "$status" 0
run "$tmp/plan" apply --yes --plan "$tmp/plan/P.json" \
    --report "$tmp/plan/p.xml" "$tmp/plan.yaml"
check "apply --plan: exit 0" "$status" 0
check "apply --plan: 6 passed" \
    "$(cases "$tmp/plan/p.xml" | grep -c ' passed ')" 6
cp "$tmp/plan.yaml" "$tmp/plan-edited.yaml"
printf '#\n' >>"$tmp/plan-edited.yaml"
calls=$(reboot_calls "$tmp/plan.jsonl")
run "$tmp/plan2" apply --yes --plan "$tmp/plan/P.json" "$tmp/plan-edited.yaml"
check "apply --plan, manifest changed: exit 2" "$status" 2
contains "apply --plan, manifest changed: stale plan" "$tmp/err" \
    'stale plan: .* changed since the plan was approved'

# Scheduled plans: "plan --now" pins the plan's clock in the past, so
# PlanTimes that were far enough ahead then are too close or past now.
# No waiting: apply checks them against the real clock.
now=$(date -u +%s)
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# scheduled NAME START FIRST: a scheduled manifest for 3 fleet events
# from FIRST, min_lead 5m.
scheduled() {
	awk -v name="$1" -v start="$2" -v f="$3" -v ep="$ENDPOINT" 'BEGIN {
		printf "ensbatch: 1\nname: %s\n", name
		printf "api:\n  endpoint: \"%s\"\n", ep
		printf "policies:\n  s:\n    ops: scheduled\n"
		printf "    batch_size: 3\n    start: \"%s\"\n", start
		printf "    min_lead: 5m\n"
		printf "groups:\n  - name: night\n    policy: s\n    targets:\n"
		for (i = f; i < f + 3; i++) {
			printf "      - event: e-%032x\n", i + 4096
			printf "        resource: i-ftest%08d\n", i
		}
	}'
}
scheduled ftest-near "$(utc $((now + 180)))" 7 >"$tmp/near.yaml"
run "$tmp/plan3" plan --now "$(utc $((now - 300)))" --out "$tmp/plan3/N.json" \
    "$tmp/near.yaml"
check "scheduled plan, 3 min ahead, pinned 5 min ago: plan exit 0" "$status" 0
run "$tmp/plan3" apply --yes --plan "$tmp/plan3/N.json" "$tmp/near.yaml"
check "scheduled PlanTime now within min_lead: exit 2" "$status" 2
contains "scheduled PlanTime now within min_lead: stale plan" "$tmp/err" \
    'stale plan: group night batch 1 has PlanTime .*min_lead'
scheduled ftest-past "$(utc $((now - 1800)))" 10 >"$tmp/past.yaml"
run "$tmp/plan4" plan --now "$(utc $((now - 3600)))" --out "$tmp/plan4/Q.json" \
    "$tmp/past.yaml"
check "scheduled plan, pinned an hour ago: plan exit 0" "$status" 0
run "$tmp/plan4" apply --yes --plan "$tmp/plan4/Q.json" "$tmp/past.yaml"
check "scheduled PlanTime now past: exit 2" "$status" 2
contains "scheduled PlanTime now past: stale plan" "$tmp/err" \
    'stale plan: group night batch 1 has PlanTime .*past'
check "stale plans: nothing was sent" "$(reboot_calls "$tmp/plan.jsonl")" \
    "$calls"
# A scheduled plan still in time runs, with the approved PlanTime.
start=$((now + 3600))
scheduled ftest-ahead "$(utc $start)" 13 >"$tmp/ahead.yaml"
run "$tmp/plan5" plan --out "$tmp/plan5/A.json" "$tmp/ahead.yaml"
run "$tmp/plan5" apply --yes --plan "$tmp/plan5/A.json" "$tmp/ahead.yaml"
check "scheduled plan in time: exit 0" "$status" 0
check "scheduled plan in time: the approved PlanTime was sent" \
    "$(jq -r 'select(.action == "BatchEventRebootInstance") | .items[]? |
    select(.ops == "scheduled") | .plan_time' "$tmp/plan.jsonl" | sort -u)" \
    "${start}000"
stop_sim

# ------------------------------------------------------ the secret sentinel
if grep -r -l -- "$SECRET" "$tmp" 2>/dev/null | grep -q .; then
	not_ok "the secret appears in no output, log, journal or report"
	grep -r -l -- "$SECRET" "$tmp" | sed 's/^/#   /'
else
	ok "the secret appears in no output, log, journal or report"
fi

finish
