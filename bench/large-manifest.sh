#!/bin/sh
# Benchmark: load, validate and plan a manifest of N targets (default
# 100,000), RUNS times each (default 5), and print the median wall time
# and peak RSS of each command, and its ratio to a bare libyaml event
# scan of the same file (bench/yaml-scan.c, built here with cc and
# pkg-config) and to the file's size.  Not part of make check: the
# machines are shared and noisy; compare medians from one machine.
#
#   bench/large-manifest.sh [N] [RUNS]      (run from a built tree)
set -eu

n=${1:-100000}
runs=${2:-5}
ensbatch=${ENSBATCH:-./ensbatch}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: time)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

awk -v n="$n" 'BEGIN {
	print "ensbatch: 1\nname: bench\npolicies:\n  night:\n    ops: scheduled"
	print "    batch_size: 50\n    start: 2026-12-01T02:00:00Z\n    stagger: 1m"
	print "groups:\n  - name: all\n    policy: night\n    targets:"
	for (i = 0; i < n; i++) {
		printf "      - event: e-%032x\n", i
		printf "        resource: i-%020x\n", i
	}
}' >"$tmp/m.yaml"
bytes=$(wc -c <"$tmp/m.yaml")
echo "manifest: $n targets, $bytes bytes; $runs runs each"
here=$(dirname "$0")
# shellcheck disable=SC2046 # pkg-config gives several words on purpose
${CC:-cc} -O2 -o "$tmp/yaml-scan" "$here/yaml-scan.c" \
    $(pkg-config --cflags --libs yaml-0.1)

# median FILE: the middle value of a column of numbers.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

bench() {
	label=$1
	shift
	: >"$tmp/t"
	: >"$tmp/m"
	i=0
	while [ "$i" -lt "$runs" ]; do
		/usr/bin/time -f "%e %M" -o "$tmp/one" "$@" >/dev/null 2>&1
		read -r secs kib <"$tmp/one"
		echo "$secs" >>"$tmp/t"
		echo "$kib" >>"$tmp/m"
		i=$((i + 1))
	done
	secs=$(median "$tmp/t")
	kib=$(median "$tmp/m")
	if [ -z "${scan:-}" ]; then
		scan=$secs
		printf '%-28s median %6s s  %8s KiB peak RSS\n' "$label" \
		    "$secs" "$kib"
		return
	fi
	printf '%-28s median %6s s  %8s KiB peak RSS  %5s x scan  %5s x file\n' \
	    "$label" "$secs" "$kib" \
	    "$(awk -v a="$secs" -v b="$scan" 'BEGIN { if (b > 0)
		printf "%.1f", a / b; else print "-" }')" \
	    "$(awk -v k="$kib" -v b="$bytes" 'BEGIN {
		printf "%.1f", k * 1024 / b }')"
}

now=2026-11-27T00:00:00Z
scan=
bench "bare libyaml scan" "$tmp/yaml-scan" "$tmp/m.yaml"
bench "validate" "$ensbatch" validate --now "$now" "$tmp/m.yaml"
bench "plan -q" "$ensbatch" plan -q --now "$now" "$tmp/m.yaml"
bench "plan --report" "$ensbatch" plan -q --now "$now" \
    --report "$tmp/r.xml" "$tmp/m.yaml"
bench "plan --out" "$ensbatch" plan -q --now "$now" \
    --out "$tmp/p.json" "$tmp/m.yaml"
bench "plan --format json" "$ensbatch" plan --format json --now "$now" \
    "$tmp/m.yaml"
