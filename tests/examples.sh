#!/bin/sh
# The bundled examples stay valid, and ensbatch(1) documents exactly the
# options the program has.
#
#  - every examples/*.yaml manifest validates cleanly (exit 0, nothing on
#    stderr) and plans to a JSON document with targets_total > 0;
#    examples/*-fleet.yaml are ensbatch-sim fleets, not manifests;
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
	case $name in
	*-fleet.yaml)
		continue ;;
	esac
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
