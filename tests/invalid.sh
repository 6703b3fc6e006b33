#!/bin/sh
# Invalid-manifest corpus: every tests/manifests/invalid/*.yaml must make
# "ensbatch validate" exit 2 and report each diagnostic named in its header:
#
#   # expect: RULE LINE:COL [WORD...]          an error at LINE:COL
#   # expect: RULE OTHER.csv:LINE:COL          an error located in OTHER.csv
#   # expect-warning: RULE LINE:COL [WORD...]  a warning
#   # expect-note: LINE:COL [WORD...]          a note (e.g. "first listed here")
#
# COL may be "*" (any column).  Optional WORDs must all appear in the
# matching diagnostic line (used for "did you mean" suggestions).  Extra
# diagnostics are allowed.  "plan --report" must also exit 2 and still
# write a well-formed report.
#
# Environment (set by "make check"): srcdir, ENSBATCH, optional XMLLINT.
set -u

: "${srcdir:=.}"
if [ -z "${ENSBATCH:-}" ]; then
	echo "invalid.sh: ENSBATCH is not set" >&2
	exit 99
fi
XMLLINT=${XMLLINT:-}
NOW=2026-11-27T00:00:00Z
NO_COLOR=1
export NO_COLOR

dir=$srcdir/tests/manifests/invalid
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-invalid.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 130' INT TERM

# check_diags MANIFEST STDERR: print one reason per unmet expectation
# (nothing when all are met).
check_diags()
{
	awk -v base="${1##*/}" '
	function words_ok(s, w,    n, a, i) {
		n = split(w, a, " ")
		for (i = 1; i <= n; i++)
			if (index(s, a[i]) == 0)
				return 0
		return 1
	}
	FNR == NR {
		if (FNR == 1)
			hdr = 1
		sub(/\r$/, "")
		if (hdr && $0 !~ /^#/)
			hdr = 0
		if (!hdr || $0 !~ /^# expect(-warning|-note)?: /)
			next
		n++
		if ($2 == "expect-note:") {
			sev[n] = "note"; rule[n] = ""; f = 3
		} else {
			sev[n] = ($2 == "expect:") ? "error" : "warning"
			rule[n] = $3; f = 4
		}
		np = split($f, p, ":")
		if (np == 3) {
			fn[n] = p[1]; ln[n] = p[2]; cl[n] = p[3]
		} else {
			fn[n] = base; ln[n] = p[1]; cl[n] = p[2]
		}
		w = ""
		for (i = f + 1; i <= NF; i++)
			w = w " " $i
		wd[n] = w
		spec[n] = sev[n] " " (f == 4 ? rule[n] " " : "") fn[n] ":" \
		    ln[n] ":" cl[n] w
		next
	}
	{
		s = $0
		if (!match(s, /:[0-9]+:[0-9]+: (error|warning|note): /))
			next
		path = substr(s, 1, RSTART - 1)
		sub(/.*\//, "", path)
		split(substr(s, RSTART + 1, RLENGTH - 2), q, ":")
		dsev = substr(q[3], 2)
		drule = ""
		if (match(s, / \[[a-z0-9-]+\]$/))
			drule = substr(s, RSTART + 2, RLENGTH - 3)
		else if (dsev != "note")
			next
		seen[drule] = seen[drule] " " q[1] ":" q[2] "(" dsev ")"
		for (i = 1; i <= n; i++)
			if (!hit[i] && path == fn[i] && q[1] == ln[i] &&
			    (cl[i] == "*" || q[2] == cl[i]) &&
			    dsev == sev[i] && drule == rule[i] &&
			    words_ok(s, wd[i]))
				hit[i] = 1
	}
	END {
		if (n == 0)
			print "no \"# expect:\" header"
		for (i = 1; i <= n; i++) {
			if (hit[i])
				continue
			got = (rule[i] in seen) ? seen[rule[i]] : " none"
			print "missing " spec[i] " (" (rule[i] == "" ? "notes" : \
			    rule[i]) " at:" got ")"
		}
	}' "$1" "$2"
}

pass=0
fail=0
n=0
for f in "$dir"/*.yaml; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=${f##*/}
	why=

	timeout 10 "$ENSBATCH" validate --now "$NOW" "$f" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	case $rc in
	2)	r=$(check_diags "$f" "$tmp/err")
		[ -n "$r" ] && why="$why; $(echo "$r" | paste -sd ';' -)" ;;
	124)	why="$why; validate hung (timeout)" ;;
	*)	if [ "$rc" -ge 128 ]; then
			why="$why; validate crashed (status $rc)"
		else
			why="$why; validate exit $rc, want 2"
		fi ;;
	esac

	rm -f "$tmp/report.xml"
	timeout 10 "$ENSBATCH" plan --now "$NOW" --report "$tmp/report.xml" \
	    "$f" >"$tmp/pout" 2>"$tmp/perr"
	rc=$?
	if [ "$rc" -ne 2 ]; then
		why="$why; plan exit $rc, want 2"
	fi
	if [ ! -s "$tmp/report.xml" ]; then
		why="$why; plan wrote no report"
	elif [ -n "$XMLLINT" ] &&
	    ! "$XMLLINT" --noout "$tmp/report.xml" 2>"$tmp/xerr"; then
		why="$why; report not well-formed: $(head -n 1 "$tmp/xerr")"
	fi

	if [ -z "$why" ]; then
		pass=$((pass + 1))
		printf 'ok %d - %s\n' "$n" "$name"
	else
		fail=$((fail + 1))
		printf 'not ok %d - %s: %s\n' "$n" "$name" "${why#; }"
		grep -E ': (error|warning|note): ' "$tmp/err" | head -n 5 |
		    sed 's/^/#   /'
	fi
done

if [ "$n" -eq 0 ]; then
	echo "invalid.sh: no manifests in $dir" >&2
	exit 99
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
