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

# check WHAT GOT WANT: ok when GOT is WANT.
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: expected [$3], got [$2]"
	fi
}

# contains WHAT FILE REGEX / contains_text WHAT FILE TEXT / lacks WHAT
# FILE TEXT: whether FILE has a line matching; on failure, its head.
contains() {
	if grep -q -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1: [$3] not in $2"
		sed 's/^/#   /' "$2" | head -n 15
	fi
}

contains_text() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1: [$3] not in $2"
		sed 's/^/#   /' "$2" | head -n 30
	fi
}

lacks() {
	if grep -qF -- "$3" "$2"; then
		not_ok "$1: [$3] in $2"
	else
		ok "$1"
	fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
