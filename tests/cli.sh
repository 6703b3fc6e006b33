#!/bin/sh
# CLI golden tests: each directory under tests/cli/ holds "args" (one
# line, split by the shell, run from the source directory; @TMP@ is a
# scratch directory), and the expected "stdout", "stderr" and "status".
# An optional "stdout-to" holds "full" (stdout is /dev/full) or "closed"
# (stdout is closed); such a test has no expected "stdout".
# REGEN=1 rewrites the expected files from the current behaviour.
set -u
. "${srcdir:-.}/tests/lib.sh"
# Goldens must not depend on the developer's credentials (plan --out
# pins the account it finds): no ~/.aliyun, no ALIBABA_CLOUD_* variables.
HOME=$tmp
export HOME
for v in $(env | sed -n 's/^\(ALIBABA_CLOUD_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done

cd "$srcdir" || exit 1
for dir in tests/cli/*/; do
	name=$(basename "$dir")
	[ -f "$dir/args" ] || continue
	args=$(sed "s|@TMP@|$tmp|g" "$dir/args")
	to=
	[ -f "$dir/stdout-to" ] && to=$(cat "$dir/stdout-to")
	files="status stdout stderr"
	# shellcheck disable=SC2086
	case $to in
	full)
		timeout 20 "$ENSBATCH" $args >/dev/full 2>"$tmp/stderr"
		status=$?
		files="status stderr" ;;
	closed)
		timeout 20 "$ENSBATCH" $args >&- 2>"$tmp/stderr"
		status=$?
		files="status stderr" ;;
	*)
		timeout 20 "$ENSBATCH" $args >"$tmp/stdout" 2>"$tmp/stderr"
		status=$? ;;
	esac
	echo "$status" >"$tmp/status"
	if [ "${REGEN:-0}" = 1 ]; then
		for f in $files; do
			cp "$tmp/$f" "$dir"
		done
		ok "$name (regenerated)"
		continue
	fi
	bad=
	for f in $files; do
		if ! cmp -s "$dir/$f" "$tmp/$f"; then
			bad="$bad $f"
			diff -u "$dir/$f" "$tmp/$f" | head -40
		fi
	done
	if [ -z "$bad" ]; then
		ok "$name"
	else
		not_ok "$name: differs in$bad"
	fi
done
finish
