# Shared helpers for the shell tests: counters, a temp dir cleaned on
# exit, and the closing "N passed, M failed" line.
# Expects srcdir and ENSBATCH in the environment (set by make check).

: "${srcdir:=.}"
: "${ENSBATCH:?ENSBATCH must name the ensbatch binary}"
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# apply's run lock (one run per manifest name and account) lives here:
# tests running side by side must not see each other's runs.
XDG_RUNTIME_DIR=$tmp
export XDG_RUNTIME_DIR

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
