#!/bin/sh
# Benchmark: validate and plan a manifest of N targets, for each N of a
# comma-separated list (default 100000,1000000), RUNS times (default 3),
# and print for each command the median wall time, its median ratio to a
# bare libyaml event scan of the same files (bench/yaml-scan.c, built
# here with cc and pkg-config), the median CPU time (user + system: the
# loader reads and hashes a large file on a second thread, so the wall
# time counts on a second core being free), the median peak RSS and its
# ratio to the files' size.  Each run times the scan and every command
# one after the other, and a ratio pairs a command with the scan of the
# same run, so that the load of a shared machine weighs on both.
#
# A manifest is limited to 64 MiB: N targets that do not fit inline
# (more than about 700,000) go to a targets_file CSV next to it, and the
# scan then also reads that file.  "RSS-base" subtracts the peak RSS of
# "ensbatch version" (the shared libraries every run maps).
#
# Not part of make check: the machines are shared and noisy; compare
# medians from one machine.
#
#   bench/large-manifest.sh [N[,N...]] [RUNS]      (run from a built tree)
set -eu

sizes=${1:-100000,1000000}
runs=${2:-3}
ensbatch=${ENSBATCH:-./ensbatch}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
# shellcheck disable=SC2046 # pkg-config gives several words on purpose
${CC:-cc} -O2 -o "$tmp/yaml-scan" "$here/yaml-scan.c" \
    $(pkg-config --cflags --libs yaml-0.1)
now=2026-11-27T00:00:00Z

# gen N: $tmp/m.yaml, with the targets inline or in $tmp/t.csv.
gen() {
	rm -f "$tmp/t.csv"
	if [ "$1" -le 700000 ]; then
		inline=1
	else
		inline=0
	fi
	awk -v n="$1" -v inline="$inline" -v csv="$tmp/t.csv" 'BEGIN {
		print "ensbatch: 1\nname: bench\npolicies:\n  night:"
		print "    ops: scheduled\n    batch_size: 50"
		print "    start: 2026-12-01T02:00:00Z\n    stagger: 1m"
		print "groups:\n  - name: all\n    policy: night"
		if (!inline) {
			print "    targets_file: t.csv"
			print "event,resource" >csv
			for (i = 0; i < n; i++)
				printf "e-%032x,i-%020x\n", i, i >csv
			exit
		}
		print "    targets:"
		for (i = 0; i < n; i++) {
			printf "      - event: e-%032x\n", i
			printf "        resource: i-%020x\n", i
		}
	}' >"$tmp/m.yaml"
}

# median FILE: the middle value of a column of numbers.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# now_ns: nanoseconds, where date has them (GNU), else nothing.
case $(date +%N) in
*[!0-9]*)	ns=0 ;;
*)		ns=1 ;;
esac
now_ns() {
	[ "$ns" = 0 ] || date +%s%N
}

# one LABEL CMD...: time one run; append its seconds and KiB to files.
# Wall time from date's nanoseconds where it has them (time's %e counts
# hundredths only: a tenth of a 0.1 s run).
one() {
	label=$1
	shift
	t0=$(now_ns)
	/usr/bin/time -f "%e %M %U %S" -o "$tmp/one" "$@" >/dev/null \
	    2>"$tmp/err" ||
	    { cat "$tmp/err" >&2; echo "$label failed" >&2; exit 1; }
	t1=$(now_ns)
	read -r secs kib user sys <"$tmp/one"
	if [ -n "$t0" ] && [ -n "$t1" ]; then
		secs=$(awk -v ns="$((t1 - t0))" 'BEGIN { printf "%.4f", ns / 1e9 }')
	fi
	echo "$secs" >>"$tmp/$label.t"
	echo "$kib" >>"$tmp/$label.m"
	awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f\n", u + s }' \
	    >>"$tmp/$label.c"
	awk -v a="$secs" -v b="$scan_secs" 'BEGIN {
		printf "%.2f\n", (b > 0 ? a / b : 0) }' >>"$tmp/$label.r"
}

labels="validate plan plan-json plan-report plan-out"
/usr/bin/time -f "%M" -o "$tmp/base" "$ensbatch" version >/dev/null
base=$(cat "$tmp/base")
echo "ensbatch version: $base KiB peak RSS (the base)"
for n in $(echo "$sizes" | tr ',' ' '); do
	gen "$n"
	files="$tmp/m.yaml"
	[ -f "$tmp/t.csv" ] && files="$files $tmp/t.csv"
	# shellcheck disable=SC2086 # files is a list on purpose
	bytes=$(cat $files | wc -c)
	echo
	echo "$n targets$([ -f "$tmp/t.csv" ] && echo " (targets_file CSV)"):" \
	    "$bytes bytes; median of $runs runs"
	for l in scan $labels; do
		rm -f "$tmp/$l.t" "$tmp/$l.m" "$tmp/$l.r" "$tmp/$l.c"
	done
	i=0
	while [ "$i" -lt "$runs" ]; do
		scan_secs=0
		# shellcheck disable=SC2086
		one scan "$tmp/yaml-scan" $files
		scan_secs=$(tail -n 1 "$tmp/scan.t")
		one validate "$ensbatch" validate --now "$now" "$tmp/m.yaml"
		one plan "$ensbatch" plan --now "$now" "$tmp/m.yaml"
		one plan-json "$ensbatch" plan --format json --now "$now" \
		    "$tmp/m.yaml"
		one plan-report "$ensbatch" plan -q --now "$now" \
		    --report "$tmp/r.xml" "$tmp/m.yaml"
		one plan-out "$ensbatch" plan -q --now "$now" \
		    --out "$tmp/p.json" "$tmp/m.yaml"
		i=$((i + 1))
	done
	printf '  %-22s %7s %7s %6s %9s %6s %8s\n' "" "s" "x scan" "cpu s" \
	    "KiB RSS" "x file" "RSS-base"
	for l in scan $labels; do
		kib=$(median "$tmp/$l.m")
		printf '  %-22s %7s %7s %6s %9s %6s %8s\n' \
		    "$(echo "$l" | sed 's/^plan-/plan --/; s/--json/--format json/')" \
		    "$(median "$tmp/$l.t")" \
		    "$([ "$l" = scan ] && echo - || median "$tmp/$l.r")" \
		    "$(median "$tmp/$l.c")" \
		    "$kib" \
		    "$(awk -v k="$kib" -v b="$bytes" 'BEGIN {
			printf "%.2f", k * 1024 / b }')" \
		    "$(awk -v k="$kib" -v s="$base" -v b="$bytes" 'BEGIN {
			printf "%.2f", (k - s) * 1024 / b }')"
	done
done
