#!/bin/sh
# CLI golden tests: each directory under tests/cli/ holds "args" (one
# line, split by the shell, run from the source directory; @TMP@ is a
# scratch directory), and the expected "stdout", "stderr" and "status".
# REGEN=1 rewrites the expected files from the current behaviour.
set -u
. "${srcdir:-.}/tests/lib.sh"

cd "$srcdir" || exit 1
for dir in tests/cli/*/; do
	name=$(basename "$dir")
	[ -f "$dir/args" ] || continue
	args=$(sed "s|@TMP@|$tmp|g" "$dir/args")
	# shellcheck disable=SC2086
	timeout 20 "$ENSBATCH" $args >"$tmp/stdout" 2>"$tmp/stderr"
	status=$?
	echo "$status" >"$tmp/status"
	if [ "${REGEN:-0}" = 1 ]; then
		cp "$tmp/stdout" "$tmp/stderr" "$tmp/status" "$dir"
		ok "$name (regenerated)"
		continue
	fi
	bad=
	for f in status stdout stderr; do
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
