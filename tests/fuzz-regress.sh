#!/bin/sh
# Fuzz regressions: every fuzz target, built with a plain main()
# (tests/fuzz/standalone.c) instead of libFuzzer, replays its seed corpus
# (tests/fuzz/corpus/TARGET/) and every input that once crashed it
# (tests/fuzz/regress/TARGET/).  A crash, a failed invariant or, in the
# sanitizer build, an ASan/UBSan report fails the test.
#
# Environment (set by "make check"): srcdir, FUZZ_REPLAY (the directory
# holding fuzz_TARGET_replay).
. "$srcdir/tests/lib.sh"

: "${FUZZ_REPLAY:?FUZZ_REPLAY must name the directory of the replay programs}"

# Every target with a seed corpus: a new target cannot be forgotten.
for target in $(cd "$srcdir/tests/fuzz/corpus" && ls); do
	prog=$FUZZ_REPLAY/fuzz_${target}_replay
	if [ ! -x "$prog" ]; then
		not_ok "$target: no replay program $prog"
		continue
	fi
	for kind in corpus regress; do
		dir=$srcdir/tests/fuzz/$kind/$target
		[ -d "$dir" ] || continue
		if "$prog" "$dir" >"$tmp/out" 2>"$tmp/err"; then
			ok "$target $kind: $(cat "$tmp/out")"
		else
			tail -n 40 "$tmp/err"
			not_ok "$target $kind: $prog $dir"
		fi
	done
done
finish
