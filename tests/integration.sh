#!/bin/sh
# Integration: ensbatch against ensbatch-sim over real HTTP and HTTPS on
# loopback.  Every scenario starts its own simulator on a free port and
# stops it; the simulator's request log (JSON Lines, read with jq) is the
# proof that no event was asked to reboot twice.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=itest-key
SECRET=itest-SENTINEL-secret-5f1c
. "${srcdir:-.}/tests/lib-sim.sh"

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# fleet N STATUS...: a fleet file with N reboot events; the optional
# arguments override the status of events 1, 2, ... in order.
fleet() {
	awk -v n="$1" -v over="${2:-}" 'BEGIN {
		split(over, st, ",")
		print "events:"
		for (i = 1; i <= n; i++) {
			printf "  - event: e-%032x\n", i + 4096
			printf "    resource: i-itest%08d\n", i
			printf "    status: %s\n", (i in st && st[i] != "") ? st[i] : "Inquiring"
		}
	}'
}

# manifest NAME N BATCH MAXFAIL [after-group N2]: an immediate manifest
# for the first N fleet events; with N2, a second group "rest" after the
# first one takes the next N2 events.
manifest() {
	awk -v name="$1" -v n="$2" -v bs="$3" -v mf="$4" -v n2="${5:-0}" \
	    -v ep="$ENDPOINT" 'BEGIN {
		printf "ensbatch: 1\nname: %s\n", name
		printf "api:\n  endpoint: \"%s\"\n  retries: 8\n  rate: 50\n", ep
		printf "policies:\n  p:\n    ops: immediate\n"
		printf "    batch_size: %d\n    max_failures: %d\n", bs, mf
		printf "groups:\n  - name: first\n    policy: p\n    targets:\n"
		for (i = 1; i <= n; i++) {
			printf "      - event: e-%032x\n", i + 4096
			printf "        resource: i-itest%08d\n", i
		}
		if (n2 > 0) {
			printf "  - name: rest\n    policy: p\n"
			printf "    after: [first]\n    targets:\n"
			for (i = n + 1; i <= n + n2; i++) {
				printf "      - event: e-%032x\n", i + 4096
				printf "        resource: i-itest%08d\n", i
			}
		}
	}'
}

# Count the effective reboot requests per event in the log; print the
# events requested more than once.
twice() {
	jq -r '.items[]? | select(.effective == true) | .event' "$1" |
	    sort | uniq -d
}

effective() {
	jq -r '.items[]? | select(.effective == true) | .event' "$1" | wc -l |
	    tr -d ' '
}

# attr FILE ATTR: an attribute of the report's root element.
attr() {
	sed -n "s/.*<testsuites [^>]*$2=\"\\([^\"]*\\)\".*/\\1/p" "$1" |
	    head -n 1
}

# suites_shorter REPORT: the suites with a case that took longer than
# the suite itself (none, or their names), and "no time" when the
# report has no timed case at all.
suites_shorter() {
	awk '
	function value(k) {
		if (!match($0, " " k "=\"[^\"]*\"")) return ""
		return substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 4)
	}
	/<testsuite / { name = value("name"); st = value("time") + 0 }
	/<testcase / { ct = value("time") + 0; timed += ct > 0
		if (ct > st) short[name] = 1 }
	END { for (n in short) print n; if (!timed) print "no time" }' "$1"
}



# run ARGS...: ensbatch, with its output kept for the sentinel check.
# Each run starts in a fresh directory, where apply's default journal
# goes when there is no --report.
runs=0
run() {
	runs=$((runs + 1))
	mkdir -p "$tmp/run$runs"
	(cd "$tmp/run$runs" && timeout 120 "$ENSBATCH" "$@") \
	    >"$tmp/out" 2>"$tmp/err"
	status=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
}

reboot_calls() {
	jq -r 'select(.action == "BatchEventRebootInstance") | .seq' "$1" |
	    wc -l | tr -d ' '
}

# ---------------------------------------------------------------- HTTP
fleet 30 >"$tmp/fleet.yaml"
start_sim --fleet "$tmp/fleet.yaml" --log "$tmp/http.jsonl" \
    --reboot-seconds 0 || exit 1
ENDPOINT="http://127.0.0.1:$port"
manifest itest-http 10 3 0 20 >"$tmp/http.yaml"

run validate --online "$tmp/http.yaml"
check "validate --online: valid" "$status" 0
run apply --yes --report "$tmp/http.xml" "$tmp/http.yaml"
check "apply over HTTP: exit 0" "$status" 0
check "apply over HTTP: 30 tests" "$(attr "$tmp/http.xml" tests)" 30
check "apply over HTTP: no failures" "$(attr "$tmp/http.xml" failures)" 0
check "apply over HTTP: no errors" "$(attr "$tmp/http.xml" errors)" 0
check "apply over HTTP: 30 effective reboots" "$(effective "$tmp/http.jsonl")" 30
check "apply over HTTP: none twice" "$(twice "$tmp/http.jsonl")" ""
if [ -n "${XMLLINT:-}" ]; then
	if "$XMLLINT" --noout --schema "$srcdir/tests/junit-10.xsd" \
	    "$tmp/http.xml" 2>/dev/null; then
		ok "apply report matches the junit-10 schema"
	else
		not_ok "apply report matches the junit-10 schema"
	fi
fi

# Applying the same manifest again: refused while its journal exists;
# with --resume everything is already confirmed and nothing is sent.
run apply --yes --report "$tmp/again.xml" "$tmp/http.yaml"
check "apply again without --resume: refused" "$status" 2
contains "apply again without --resume: says why" "$tmp/err" '--resume'
run apply --yes --resume --report "$tmp/again.xml" "$tmp/http.yaml"
check "apply --resume after success: exit 0" "$status" 0
check "apply --resume after success: still 30 effective" \
    "$(effective "$tmp/http.jsonl")" 30
contains "apply --resume after success: confirmed by the journal" \
    "$tmp/again.xml" 'settled in an earlier run'
check "apply --resume after success: 30 passed" \
    "$(attr "$tmp/again.xml" failures)/$(attr "$tmp/again.xml" errors)" 0/0
check "apply --resume after success: no suite shorter than its cases" \
    "$(suites_shorter "$tmp/again.xml")" ""

# An unknown event fails preflight: exit 3, nothing sent.
sed 's/e-00000000000000000000000000001001/e-0000000000000000000000000000dead/' \
    "$tmp/http.yaml" >"$tmp/missing.yaml"
run validate --online "$tmp/missing.yaml"
check "validate --online: unknown event is exit 2" "$status" 2
contains "validate --online: event-missing named" "$tmp/err" \
    'error: event e-0000000000000000000000000000dead was not found.*\[event-missing\]'
before=$(reboot_calls "$tmp/http.jsonl")
run apply --yes "$tmp/missing.yaml"
check "apply with a missing event: exit 3" "$status" 3
check "apply with a missing event: no reboot requested" \
    "$(reboot_calls "$tmp/http.jsonl")" "$before"

# Wrong secret: the API's message, exit 1, nothing retried.
n0=$(wc -l <"$tmp/http.jsonl")
ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong-secret run apply --yes "$tmp/http.yaml"
check "wrong secret: exit 1" "$status" 1
contains "wrong secret: SignatureDoesNotMatch" "$tmp/err" SignatureDoesNotMatch
check "wrong secret: one request, not retried" \
    "$(($(wc -l <"$tmp/http.jsonl") - n0))" 1

# Unknown access key id.
ALIBABA_CLOUD_ACCESS_KEY_ID=nobody run apply --yes "$tmp/http.yaml"
check "unknown key id: exit 1" "$status" 1
contains "unknown key id: named" "$tmp/err" InvalidAccessKeyId.NotFound

# Discovery: events lists the fleet; its starter manifest validates.
run events --endpoint "$ENDPOINT" --format json
check "events --format json: exit 0" "$status" 0
check "events --format json: 30 events" "$(jq length "$tmp/out")" 30
run events --endpoint "$ENDPOINT" --status Inquiring --format table
check "events --status Inquiring: none left (all rebooted)" \
    "$(wc -l <"$tmp/out" | tr -d ' ')" 1
stop_sim
fleet 5 >"$tmp/fleet5.yaml"
start_sim --fleet "$tmp/fleet5.yaml" --log "$tmp/events.jsonl" || exit 1
run events --endpoint "$ENDPOINT" --format yaml
check "events --format yaml: exit 0" "$status" 0
cp "$tmp/out" "$tmp/starter.yaml"
run validate --online --endpoint "$ENDPOINT" "$tmp/starter.yaml"
check "events --format yaml: the starter manifest validates online" \
    "$status" 0
stop_sim

# A client clock 20 minutes off: the API's InvalidTimeStamp.Expired.
start_sim --fleet "$tmp/fleet5.yaml" --clock-skew 20m || exit 1
run events --endpoint "$ENDPOINT"
check "clock skew: exit 1" "$status" 1
contains "clock skew: InvalidTimeStamp.Expired named" "$tmp/err" \
    InvalidTimeStamp.Expired
stop_sim
start_sim --fleet "$tmp/fleet.yaml" --log "$tmp/http.jsonl" || exit 1
ENDPOINT="http://127.0.0.1:$port"

# No credentials at all: exit 3, nothing looked up on the network.
(unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
 mkdir -p "$tmp/nocreds" && cd "$tmp/nocreds" && timeout 60 "$ENSBATCH" apply --yes "$tmp/http.yaml" >"$tmp/out" 2>"$tmp/err")
check "no credentials: exit 3" "$?" 3
contains "no credentials: says where it looked" "$tmp/err" 'config.json'
stop_sim

# A port nobody listens on (the simulator just left it).
run apply --yes --endpoint "http://127.0.0.1:$port" "$tmp/http.yaml"
check "refused connection: exit 3" "$status" 3

# ----------------------------------------------- per-target failures, budget
# Event 2 is already Executed: without preflight the API refuses it.
fleet 12 ",Executed" >"$tmp/fleet2.yaml"
start_sim --fleet "$tmp/fleet2.yaml" --log "$tmp/fail.jsonl" || exit 1
ENDPOINT="http://127.0.0.1:$port"
manifest itest-fail 4 2 1 >"$tmp/fail.yaml"
run apply --yes --no-preflight --report "$tmp/fail.xml" "$tmp/fail.yaml"
check "per-target failure: exit 1" "$status" 1
check "per-target failure: one failure" "$(attr "$tmp/fail.xml" failures)" 1
contains "per-target failure: API message kept" "$tmp/fail.xml" \
    'IncorrectEventStatus'
check "per-target failure: the rest rebooted" "$(effective "$tmp/fail.jsonl")" 3

# Budget 0, batches of 1: the failing second target stops the group and
# the dependent group.
stop_sim
start_sim --fleet "$tmp/fleet2.yaml" --log "$tmp/budget.jsonl" || exit 1
ENDPOINT="http://127.0.0.1:$port"
manifest itest-budget 4 1 0 4 >"$tmp/budget.yaml"
run apply --yes --no-preflight --report "$tmp/budget.xml" "$tmp/budget.yaml"
check "budget: exit 1" "$status" 1
contains "budget: later batches skipped" "$tmp/budget.xml" \
    'first stopped: 1 failed target, more than max_failures 0'
contains "budget: dependent group skipped" "$tmp/budget.xml" \
    'not started: group first did not finish'
check "budget: 6 skipped" "$(grep -c '<skipped' "$tmp/budget.xml")" 6
stop_sim

# ------------------------------------------- preflight findings, no flood
# Twelve of fourteen events already Executed: five warnings of the kind
# are shown, then how many more, then one line that says what it means.
fleet 14 "Executed,Executed,Executed,Executed,Executed,Executed,Executed,Executed,Executed,Executed,Executed,Executed" \
    >"$tmp/fleet6.yaml"
start_sim --fleet "$tmp/fleet6.yaml" || exit 1
ENDPOINT="http://127.0.0.1:$port"
manifest itest-flood 14 7 0 >"$tmp/flood.yaml"
run apply --yes "$tmp/flood.yaml"
check "preflight findings: exit 0" "$status" 0
check "preflight findings: five of the kind shown" \
    "$(grep -c '\[event-status\]$' "$tmp/err")" 5
contains "preflight findings: how many more" "$tmp/err" \
    '^\.\.\. and 7 more \[event-status\] like these (-v lists them all)$'
contains "preflight findings: what they mean" "$tmp/err" \
    '12 events already final: skipped, not sent'
# Now all fourteen are Executed; -v lists every one.
manifest itest-flood-v 14 7 0 >"$tmp/flood-v.yaml"
run apply --yes -v "$tmp/flood-v.yaml"
check "preflight findings with -v: all fourteen" \
    "$(grep -c '\[event-status\]$' "$tmp/err")" 14
stop_sim

# ------------------------------------------------- throttling and 5xx bursts
fleet 20 >"$tmp/fleet3.yaml"
start_sim --fleet "$tmp/fleet3.yaml" --log "$tmp/faults.jsonl" \
    --throttle 0.3 --fail 0.2 --seed 11 || exit 1
ENDPOINT="http://127.0.0.1:$port"
manifest itest-faults 20 4 0 >"$tmp/faults.yaml"
run apply --yes --report "$tmp/faults.xml" "$tmp/faults.yaml"
check "throttling and 503s: exit 0 after retries" "$status" 0
check "throttling and 503s: 20 effective" "$(effective "$tmp/faults.jsonl")" 20
check "throttling and 503s: none twice" "$(twice "$tmp/faults.jsonl")" ""
if [ "$(jq -r 'select(.fault != null) | .fault' "$tmp/faults.jsonl" |
    wc -l)" -gt 0 ]; then
	ok "throttling and 503s: faults were injected"
else
	not_ok "throttling and 503s: faults were injected"
fi
stop_sim

# ----------------------------------------------------------------- HTTPS
if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" \
	    -out "$tmp/cert.pem" >/dev/null 2>&1
	fleet 6 >"$tmp/fleet4.yaml"
	start_sim --fleet "$tmp/fleet4.yaml" --log "$tmp/tls.jsonl" \
	    --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" || exit 1
	ENDPOINT="https://127.0.0.1:$port"
	manifest itest-tls 6 3 0 >"$tmp/tls.yaml"
	run apply --yes "$tmp/tls.yaml"
	check "self-signed without --cacert: exit 3" "$status" 3
	contains "self-signed without --cacert: TLS named" "$tmp/err" 'TLS'
	check "self-signed without --cacert: nothing sent" \
	    "$(effective "$tmp/tls.jsonl")" 0
	run apply --yes --cacert "$tmp/cert.pem" --report "$tmp/tls.xml" \
	    "$tmp/tls.yaml"
	check "HTTPS with --cacert: exit 0" "$status" 0
	check "HTTPS with --cacert: 6 effective" "$(effective "$tmp/tls.jsonl")" 6
	ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SECRET run apply --yes -v \
	    --signature v1 --cacert "$tmp/cert.pem" "$tmp/tls.yaml"
	check "HTTPS, signature v1, again: exit 0" "$status" 0
	stop_sim
fi

# ------------------------------------------------------ the secret sentinel
if grep -r -l -- "$SECRET" "$tmp" 2>/dev/null | grep -q .; then
	not_ok "the secret appears in no output, log or report"
	grep -r -l -- "$SECRET" "$tmp" | sed 's/^/#   /'
else
	ok "the secret appears in no output, log or report"
fi

finish
