#!/bin/sh
# Validate JUnit reports against tests/junit-10.xsd (SPEC section 7):
#  - the sample report of the unit tests (every outcome, hostile strings),
#  - the report `ensbatch plan` writes for each example manifest,
#  - the reports of apply and status against ensbatch-sim (when
#    ENSBATCH_SIM is set): a passed run and a stopped one,
#  - and broken reports, which must fail, so the schema is not vacuous.
# Every report carries the run's properties once, in its first suite,
# and the access key id only masked; no report holds the secret or the
# STS token.
# Needs xmllint ($XMLLINT, else on PATH); without it the test is skipped.
# The Makefile sets srcdir, top_srcdir, ENSBATCH and ENSBATCH_SIM.
set -eu

: "${srcdir:=.}"
: "${top_srcdir:=$srcdir}"
: "${ENSBATCH:?ENSBATCH must name the ensbatch program}"

xsd="$top_srcdir/tests/junit-10.xsd"
unit="${CHECK_ENSBATCH:-$(dirname "$ENSBATCH")/tests/unit/check_ensbatch}"
xmllint="${XMLLINT:-}"
[ -n "$xmllint" ] || xmllint=xmllint
if ! command -v "$xmllint" >/dev/null 2>&1; then
	echo "SKIP: xmllint not found"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-schema.XXXXXX")
# The simulator of section (c), if one runs, stops with the test.
sim=
trap '[ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

failed=0

fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}

# Succeeds if $1 is valid; xmllint's messages are kept in $tmp/lint.out.
lint() {
	"$xmllint" --noout --nonet --schema "$xsd" "$1" >"$tmp/lint.out" 2>&1
}

must_pass() {
	if lint "$1"; then
		echo "ok: $2 validates"
	else
		sed 's/^/  /' "$tmp/lint.out" >&2
		fail "$2 does not validate"
	fi
}

must_fail() {
	if lint "$1"; then
		fail "$2 validates but must not"
	else
		echo "ok: $2 is rejected"
	fi
}

# The suite (0-based) each property NAME stands in, one line each.
prop_suites() {
	awk -v want="name=\"$2\"" '
	/<testsuite / { suite++ }
	/<property / && index($0, want) { print suite - 1 }' "$1"
}

# once FILE WHAT NAME...: each property NAME is in FILE exactly once,
# in the first suite.
once() {
	f=$1
	what=$2
	shift 2
	for name in "$@"; do
		got=$(prop_suites "$f" "$name" | tr '\n' ' ')
		if [ "$got" = "0 " ]; then
			echo "ok: $what: $name once, at the top"
		else
			fail "$what: property $name in suites [$got], want [0 ]"
		fi
	done
}

# The schema itself must load: otherwise every check below means nothing.
if ! "$xmllint" --noout --nonet "$xsd" >"$tmp/lint.out" 2>&1; then
	cat "$tmp/lint.out" >&2
	fail "$xsd is not well-formed"
	exit 1
fi

# (a) The unit tests' sample report, written through the real code.
if [ -x "$unit" ]; then
	if ENSBATCH_REPORT_SAMPLE="$tmp/sample.xml" CK_RUN_SUITE=report \
	    CK_RUN_CASE=schema CK_VERBOSITY=silent "$unit" \
	    >"$tmp/unit.out" 2>&1 && [ -f "$tmp/sample.xml" ]; then
		must_pass "$tmp/sample.xml" "unit test sample report"
	else
		cat "$tmp/unit.out" >&2
		fail "$unit did not write the sample report"
	fi
else
	fail "$unit not found (build it with make check)"
fi

# (b) Every example manifest's plan report.  Exit status 2 (invalid
# manifest) is tolerated only when the report was written anyway.
for manifest in "$top_srcdir"/examples/*.yaml; do
	[ -e "$manifest" ] || continue
	name=$(basename "$manifest" .yaml)
	report="$tmp/$name.xml"
	status=0
	"$ENSBATCH" plan --now 2026-11-27T00:00:00Z --report "$report" \
	    "$manifest" >"$tmp/plan.out" 2>&1 || status=$?
	if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
		sed 's/^/  /' "$tmp/plan.out" >&2
		fail "plan $name exited with $status"
		continue
	fi
	if [ ! -f "$report" ]; then
		sed 's/^/  /' "$tmp/plan.out" >&2
		fail "plan $name (exit $status) wrote no report"
		continue
	fi
	must_pass "$report" "plan report of examples/$name.yaml"
	once "$report" "plan report of examples/$name.yaml" manifest \
	    manifest_sha256 mode operator ensbatch_version endpoint now
done
for left in "$tmp"/*.tmp.*; do
	[ -e "$left" ] || continue
	fail "temporary file left behind: $(basename "$left")"
done

# (c) Reports of real runs against the simulator, with STS credentials
# whose secret and token must never be written.
if [ -n "${ENSBATCH_SIM:-}" ] && [ -x "$ENSBATCH_SIM" ]; then
	key=LTAI5tSchemaCheck4321
	secret=schema-SENTINEL-secret-6b2f
	token=schema-SENTINEL-token-91c4
	mkdir -p "$tmp/home"
	simrun() {
		rm -f "$tmp/port"
		"$ENSBATCH_SIM" --listen 127.0.0.1:0 --port-file "$tmp/port" \
		    --access-key "$key:$secret" --reboot-seconds 0 \
		    --generate 6 --emit-manifest "$tmp/sim.yaml" "$@" \
		    2>>"$tmp/sim.err" &
		sim=$!
		i=0
		while [ ! -s "$tmp/port" ] && [ "$i" -lt 100 ] &&
		    kill -0 "$sim" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		sed 's/^name: .*/&\nticket: CHG-SCHEMA-1/' "$tmp/sim.yaml" \
		    >"$tmp/sim.tmp" && mv "$tmp/sim.tmp" "$tmp/sim.yaml"
	}
	# ens NAME ARGS...: ensbatch with the test credentials only.
	ens() {
		n=$1
		shift
		(cd "$tmp" && env -u http_proxy -u https_proxy -u HTTP_PROXY \
		    -u HTTPS_PROXY -u ALL_PROXY -u all_proxy \
		    -u ALIBABA_CLOUD_PROFILE HOME="$tmp/home" \
		    ALIBABA_CLOUD_ACCESS_KEY_ID=$key \
		    ALIBABA_CLOUD_ACCESS_KEY_SECRET=$secret \
		    ALIBABA_CLOUD_SECURITY_TOKEN=$token \
		    timeout 60 "$ENSBATCH" "$@" sim.yaml) >"$tmp/$n.out" 2>&1 ||
		    :	# the exit status is not what is checked here
	}
	unsim() {
		kill "$sim" 2>/dev/null
		wait "$sim" 2>/dev/null
		sim=
	}
	masked=$(printf '%s' "$key" | sed 's/^\(....\).*\(....\)$/\1****\2/')

	simrun
	ens apply apply --yes --report apply.xml --journal a.jsonl
	ens status status --report status.xml --journal a.jsonl
	unsim
	simrun --reboot-fail 1
	ens stop apply --yes --report stop.xml --journal s.jsonl
	unsim
	for r in apply status stop; do
		if [ ! -f "$tmp/$r.xml" ]; then
			sed 's/^/  /' "$tmp/$r.out" >&2
			fail "$r against ensbatch-sim wrote no report"
			continue
		fi
		must_pass "$tmp/$r.xml" "$r report against ensbatch-sim"
		once "$tmp/$r.xml" "$r report" ticket manifest_sha256 mode \
		    operator ensbatch_version endpoint
		nc=$(grep -c '<testcase ' "$tmp/$r.xml" || :)
		no=$(grep -c '<system-out>' "$tmp/$r.xml" || :)
		if [ "$nc" -eq "$no" ]; then
			echo "ok: $r report: a system-out in each of $nc testcases"
		else
			fail "$r report: $no system-out for $nc testcases"
		fi
	done
	for r in apply status stop; do
		once "$tmp/$r.xml" "$r report" access_key_id
		if grep -qF "name=\"access_key_id\" value=\"$masked\"" \
		    "$tmp/$r.xml"; then
			echo "ok: $r report: the access key id is masked" \
			    "($masked)"
		else
			fail "$r report: no access_key_id $masked"
		fi
	done
	for r in "$tmp"/*.xml; do
		for s in "$key" "$secret" "$token"; do
			if grep -q -- "$s" "$r"; then
				fail "$(basename "$r") holds $s"
			fi
		done
	done
	echo "ok: no report holds the whole key, the secret or the token"
	if [ -f "$tmp/stop.xml" ]; then
		first=$(grep -m 1 '<testsuite ' "$tmp/stop.xml" |
		    sed 's/.* name="\([^"]*\)".*/\1/')
		if [ "$first" = "(run)" ]; then
			echo "ok: stopped run: the failing (run) suite comes first"
		else
			fail "stopped run: the first suite is [$first]"
		fi
		if grep -q 'name="(not started)"' "$tmp/stop.xml" &&
		    grep -q '<failure type="NotStarted" message="fleet not started' \
		    "$tmp/stop.xml"; then
			echo "ok: stopped run: the group never started fails"
		else
			fail "stopped run: no failing (not started) case"
		fi
	fi
else
	echo "# ENSBATCH_SIM not set: no reports of runs checked"
fi

# Negative checks: a known-good report must pass, and each breakage of
# it must be rejected.
cat >"$tmp/good.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="m" tests="2" failures="1" errors="0" time="1.500">
  <testsuite name="g" tests="2" failures="1" errors="0" skipped="0"
      time="1.500" timestamp="2026-11-27T00:00:00" hostname="h" id="0"
      package="m">
    <properties>
      <property name="mode" value="dry-run"/>
    </properties>
    <testcase classname="m.g" name="i-1 e-1" time="1.000"/>
    <testcase classname="m.g" name="i-2 e-2" time="0.500">
      <failure type="404" message="gone">gone</failure>
      <system-out>Batch 1</system-out>
    </testcase>
  </testsuite>
</testsuites>
EOF
must_pass "$tmp/good.xml" "reference report"

n=0
broken() {
	n=$((n + 1))
	sed "$2" "$tmp/good.xml" >"$tmp/bad$n.xml"
	if cmp -s "$tmp/good.xml" "$tmp/bad$n.xml"; then
		fail "breakage '$1' changed nothing (fix the test)"
		return 0
	fi
	must_fail "$tmp/bad$n.xml" "$1"
}

broken "testcase without name" \
    's/ name="i-1 e-1"//'
broken "extra attribute on the root" \
    's/<testsuites name="m"/<testsuites name="m" skipped="0"/'
broken "testsuite without skipped" \
    's/ skipped="0"$//'
broken "testsuite without hostname" \
    's/ hostname="h"//'
broken "time with a thousands separator" \
    's/time="1.000"/time="1,000.0"/'
broken "time with four decimals" \
    's/time="0.500"/time="0.5000"/'
broken "timestamp with a zone designator" \
    's/T00:00:00"/T00:00:00Z"/'
broken "non-numeric suite id" \
    's/id="0"/id="zero"/'
broken "failure and error in one testcase" \
    's|</failure>|</failure><error/>|'
broken "properties after the test cases" \
    '/<properties>/,/<\/properties>/d
     s|</testsuite>|<properties><property name="a" value="b"/></properties>&|'
broken "duplicate test case name" \
    's/name="i-2 e-2"/name="i-1 e-1"/'
broken "unknown element in a testcase" \
    's|<system-out>Batch 1</system-out>|&<stdout/>|'
broken "testsuite as the root" \
    's/<testsuites name="m"[^>]*>//;s|</testsuites>||'

if [ "$failed" -ne 0 ]; then
	echo "$failed check(s) failed" >&2
	exit 1
fi
exit 0
