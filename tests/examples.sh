#!/bin/sh
# The bundled examples stay valid, and ensbatch(1) documents exactly the
# options the program has.
#
#  - every examples/*.yaml manifest validates cleanly (exit 0, nothing on
#    stderr) and plans to a JSON document with targets_total > 0;
#    the simulator's fleet lives in examples/sim/, so that
#    "ensbatch validate examples/*.yaml" sees manifests only;
#  - they validate without --now too: no example has dates that expire;
#  - examples/rehearsal.yaml settles, checks and soaks after its canary;
#  - for every command, the options of its SYNOPSIS block in
#    doc/ensbatch.1 (one .OP line each) are exactly those of its usage
#    line (ensbatch CMD --help): nothing missing, nothing extra;
#  - every option in a usage line is documented in doc/ensbatch.1;
#  - every long option documented in doc/ensbatch.1 appears in a usage
#    line, or (for --help, --quiet, --verbose, --version, which usage
#    lines leave out) is accepted by the program.
#
# Environment (set by make check): srcdir, top_srcdir, ENSBATCH.
set -u

top_srcdir=${top_srcdir:-${srcdir:-.}}
ENSBATCH=${ENSBATCH:-./ensbatch}
if [ ! -x "$ENSBATCH" ]; then
	echo "examples.sh: $ENSBATCH is not an executable" >&2
	exit 99
fi
NOW=2026-11-27T00:00:00Z
MAN="$top_srcdir/doc/ensbatch.1"
COMMANDS="validate plan apply events version"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-examples.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

passed=0
failed=0

pass() {
	passed=$((passed + 1))
}

fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

# ------------------------------------------------------------ examples

found=0
for manifest in "$top_srcdir"/examples/*.yaml; do
	[ -f "$manifest" ] || continue
	name=${manifest#"$top_srcdir"/}
	found=$((found + 1))

	"$ENSBATCH" validate --now "$NOW" "$manifest" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "validate $name: exit $rc"
		cat "$tmp/err"
	elif [ -s "$tmp/err" ]; then
		fail "validate $name: stderr is not empty"
		cat "$tmp/err"
	else
		pass
	fi

	"$ENSBATCH" plan --now "$NOW" --format json "$manifest" \
	    >"$tmp/plan.json" 2>"$tmp/err"
	rc=$?
	total=$(sed -n 's/^ *"targets_total": *\([0-9][0-9]*\),*$/\1/p' \
	    "$tmp/plan.json" | sed -n 1p)
	if [ "$rc" -ne 0 ]; then
		fail "plan --format json $name: exit $rc"
		cat "$tmp/err"
	elif [ -z "$total" ]; then
		fail "plan --format json $name: no targets_total"
	elif [ "$total" -le 0 ]; then
		fail "plan --format json $name: targets_total is $total"
	else
		pass
	fi
done
if [ "$found" -eq 0 ]; then
	fail "no examples/*.yaml under $top_srcdir"
fi

# All at once and at the real time, as a user would run it.
if "$ENSBATCH" validate "$top_srcdir"/examples/*.yaml >"$tmp/out" \
    2>"$tmp/err" && [ ! -s "$tmp/err" ]; then
	pass
else
	fail "validate examples/*.yaml (without --now) fails:"
	cat "$tmp/err"
fi

# The rehearsal gates on outcomes: settle_timeout and a check in both
# policies, a soak after the canary.
if "$ENSBATCH" plan --format json "$top_srcdir/examples/rehearsal.yaml" \
    >"$tmp/plan.json" 2>"$tmp/err"; then
	tr -d ' \n' <"$tmp/plan.json" >"$tmp/plan.min"
	for want in '"name":"canary","after":[]' '"settle_timeout_ms":120000' \
	    '"soak_ms":5000' '"check":{"command":"test-n\"$ENSBATCH_RESOURCE\""'
	do
		if grep -qF -- "$want" "$tmp/plan.min"; then
			pass
		else
			fail "plan of examples/rehearsal.yaml lacks $want"
		fi
	done
else
	fail "plan examples/rehearsal.yaml: $(cat "$tmp/err")"
fi
if [ -f "$top_srcdir/examples/sim/rehearsal-fleet.yaml" ] &&
    grep -q 'examples/sim/rehearsal-fleet.yaml' "$top_srcdir/tools/demo"; then
	pass
else
	fail "tools/demo does not use examples/sim/rehearsal-fleet.yaml"
fi

# ------------------------------------------------------------- options

if [ ! -r "$MAN" ]; then
	fail "cannot read $MAN"
else
	# Options in the usage lines: long ones and bracketed short ones.
	: >"$tmp/usage"
	for cmd in $COMMANDS; do
		# version takes no options.
		"$ENSBATCH" "$cmd" --help >"$tmp/help" 2>&1
		cat "$tmp/help" >>"$tmp/usage"
		# This command's options, one per line.
		{
			grep -oE -- '--[a-z]+(-[a-z]+)*' "$tmp/help"
			grep -oE -- '\[-[a-zA-Z]\]' "$tmp/help" | tr -d '[]'
		} | sort -u >"$tmp/usage-$cmd"
	done
	grep -oE -- '--[a-z]+(-[a-z]+)*' "$tmp/usage" | sort -u \
	    >"$tmp/usage-long"
	grep -oE -- '\[-[a-zA-Z]\]' "$tmp/usage" | tr -d '[]' | sort -u \
	    >"$tmp/usage-short"

	# In the man page every '-' of an option is written '\-'.
	sed 's/\\-/-/g' "$MAN" >"$tmp/man"
	grep -oE -- '--[a-z]+(-[a-z]+)*' "$tmp/man" | sort -u \
	    >"$tmp/man-long"

	# The .OP lines of each "ensbatch CMD" SYNOPSIS block.
	for cmd in $COMMANDS; do
		awk -v want="ensbatch $cmd" '
		    /^\.SY / {
			name = $0
			sub(/^\.SY +/, "", name)
			gsub(/"/, "", name)
			on = (name == want)
			seen = seen || on
			next
		    }
		    /^\.YS/ { on = 0; next }
		    on && /^\.OP / { print $2 }
		    END { if (!seen) print "(no SYNOPSIS block)" }
		' "$tmp/man" | sort -u >"$tmp/synopsis-$cmd"
		if cmp -s "$tmp/usage-$cmd" "$tmp/synopsis-$cmd"; then
			pass
		else
			fail "ensbatch $cmd: the SYNOPSIS of doc/ensbatch.1" \
			    "differs from the usage line (< usage, > man):"
			diff "$tmp/usage-$cmd" "$tmp/synopsis-$cmd" | \
			    grep '^[<>]'
		fi
	done

	for opt in $(cat "$tmp/usage-long"); do
		if grep -qx -- "$opt" "$tmp/man-long"; then
			pass
		else
			fail "$opt is in a usage line but not in doc/ensbatch.1"
		fi
	done
	for opt in $(cat "$tmp/usage-short"); do
		if grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)" "$tmp/man"; then
			pass
		else
			fail "$opt is in a usage line but not in doc/ensbatch.1"
		fi
	done

	for opt in $(cat "$tmp/man-long"); do
		if grep -qx -- "$opt" "$tmp/usage-long"; then
			pass
			continue
		fi
		# Not in a usage line: the program must still accept it,
		# either after a command or on its own.
		accepted=0
		for cmd in $COMMANDS; do
			[ "$cmd" = version ] && continue
			"$ENSBATCH" "$cmd" "$opt" --help >/dev/null \
			    2>"$tmp/err" </dev/null
			if ! grep -qE 'unrecognized option|unknown option' \
			    "$tmp/err"; then
				accepted=1
				break
			fi
		done
		if [ "$accepted" -eq 0 ] && \
		    "$ENSBATCH" "$opt" >/dev/null 2>&1 </dev/null; then
			accepted=1
		fi
		if [ "$accepted" -eq 1 ]; then
			pass
		else
			fail "$opt is documented in doc/ensbatch.1 but no" \
			    "command accepts it"
		fi
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
