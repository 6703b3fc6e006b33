#!/bin/sh
# Validate JUnit reports against tests/junit-10.xsd (SPEC section 7):
#  - the sample report of the unit tests (every outcome, hostile strings),
#  - the report `ensbatch plan` writes for each example manifest,
#  - and broken reports, which must fail, so the schema is not vacuous.
# Needs xmllint ($XMLLINT, else on PATH); without it the test is skipped.
# The Makefile sets srcdir, top_srcdir and ENSBATCH.
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
trap 'rm -rf "$tmp"' EXIT
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
done
for left in "$tmp"/*.tmp.*; do
	[ -e "$left" ] || continue
	fail "temporary file left behind: $(basename "$left")"
done

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
