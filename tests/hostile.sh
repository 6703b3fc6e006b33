#!/bin/sh
# Hostile inputs: each generated manifest must end within a time limit with
# the expected exit status and rule id, and never crash (status >= 128) or
# hang (124 from timeout).  Inputs are generated deterministically in a
# temporary directory; nothing is read from the working directory.
#
# Environment (set by "make check"): ENSBATCH.
set -u

if [ -z "${ENSBATCH:-}" ]; then
	echo "hostile.sh: ENSBATCH is not set" >&2
	exit 99
fi
LC_ALL=C
NO_COLOR=1
export LC_ALL NO_COLOR
NOW=2026-11-27T00:00:00Z

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-hostile.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 130' INT TERM

n=0
pass=0
fail=0

result()
{
	n=$((n + 1))
	if [ -z "$2" ]; then
		pass=$((pass + 1))
		printf 'ok %d - %s\n' "$n" "$1"
	else
		fail=$((fail + 1))
		printf 'not ok %d - %s: %s\n' "$n" "$1" "$2"
		grep -E ': (error|warning): ' "$tmp/err" 2>/dev/null |
		    cut -c 1-200 | head -n 3 | sed 's/^/#   /'
	fi
}

# status_reason RC WANT: empty when RC is WANT, else why not.
status_reason()
{
	if [ "$1" -eq "$2" ]; then
		return 0
	elif [ "$1" -eq 124 ]; then
		echo "hang (timeout)"
	elif [ "$1" -ge 128 ]; then
		echo "crash (status $1)"
	else
		echo "exit $1, want $2"
	fi
}

# check NAME RULES FILE: validate must exit 2 within 10 s with an error
# whose rule is one of RULES ("a|b").
check()
{
	timeout 10 "$ENSBATCH" validate --now "$NOW" "$3" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=$(status_reason "$rc" 2)
	if [ -z "$why" ] &&
	    ! grep -Eq ": error: .* \[($2)\]\$" "$tmp/err"; then
		why="no error [$2] in stderr"
	fi
	result "$1" "$why"
}

# A valid preamble and one target, for manifests that add something hostile.
preamble()
{
	printf '%s\n' 'ensbatch: 1' "name: $1" 'policies:' '  p:' \
	    '    ops: immediate' 'groups:' '  - name: g1' '    policy: p'
}
one_target()
{
	printf '%s\n' '    targets:' \
	    '      - event: e-00000000000000000000000000000001' \
	    '        resource: i-00000001'
}

# 1. Billion laughs: 9 levels of 9-element sequences of aliases.
f=$tmp/laughs.yaml
{
	preamble laughs
	one_target
	echo 'lol:'
	echo '  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'
	i=1
	while [ $i -le 9 ]; do
		p=$((i - 1))
		echo "  - &l$i [*l$p, *l$p, *l$p, *l$p, *l$p, *l$p, *l$p," \
		    "*l$p, *l$p]"
		i=$((i + 1))
	done
} >"$f"
check "billion laughs (alias expansion)" yaml-limits "$f"

# 2. Nesting depth 200, flow and block.
f=$tmp/deep-flow.yaml
{
	preamble deep-flow
	one_target
	awk 'BEGIN { s = "description: "
		for (i = 0; i < 200; i++) s = s "["
		for (i = 0; i < 200; i++) s = s "]"
		print s }'
} >"$f"
check "nesting depth 200 (flow)" yaml-limits "$f"

f=$tmp/deep-block.yaml
{
	preamble deep-block
	one_target
	awk 'BEGIN { ind = ""
		for (i = 0; i < 200; i++) { print ind "k" i ":"; ind = ind " " }
		print ind "leaf" }'
} >"$f"
check "nesting depth 200 (block)" yaml-limits "$f"

# 3. A file over 64 MiB: valid header, then a long comment.
f=$tmp/huge.yaml
{
	preamble huge
	one_target
	yes '# padding padding padding padding padding padding padding' |
	    head -c 68157440
} >"$f"
check "65 MiB file" yaml-limits "$f"
rm -f "$f"

# 4. 1 MiB of pseudo-random bytes (Park-Miller, fixed seed; no NULs).
f=$tmp/random.yaml
awk 'BEGIN { x = 42
	for (i = 0; i < 1048576; i++) {
		x = (x * 16807) % 2147483647
		b = int(x / 8388608)	# top 8 of 31 bits
		if (b == 0) b = 1
		printf "%c", b
	} }' >"$f"
check "1 MiB random bytes" "yaml-limits|yaml-syntax" "$f"

# 5. Invalid UTF-8 in a value: Latin-1, overlong, surrogate, truncated.
for v in 'caf\351' 'x\300\257y' '\355\240\200' 'tail\342\202'; do
	f=$tmp/utf8.yaml
	# shellcheck disable=SC2059 # $v holds octal escapes on purpose
	{ preamble utf8; one_target; printf "description: $v\\n"; } >"$f"
	check "invalid UTF-8 in a value ($v)" yaml-limits "$f"
done

# 6. An empty file.
f=$tmp/empty.yaml
: >"$f"
check "empty file" empty "$f"

# 7. A zero-length targets CSV.
f=$tmp/zero-csv.yaml
: >"$tmp/zero.csv"
{ preamble zero-csv; echo '    targets_file: zero.csv'; } >"$f"
check "zero-length targets CSV" targets-file "$f"

# 8. Two YAML documents.
f=$tmp/two-docs.yaml
{ preamble two-docs; one_target; echo '---'; preamble second; } >"$f"
check "two YAML documents" yaml-limits "$f"

# 9. A CSV with a broken line (one field, then an unterminated quote).
f=$tmp/broken-csv.yaml
printf '%s\n' 'event,resource' \
    'e-00000000000000000000000000000001,i-00000001' \
    'this line has no comma' \
    '"e-00000000000000000000000000000003,i-00000003' >"$tmp/broken.csv"
{ preamble broken-csv; echo '    targets_file: broken.csv'; } >"$f"
check "CSV with a broken line" targets-file "$f"

# 10. A NUL byte in the middle of the file.
f=$tmp/nul.yaml
{
	preamble nul
	printf 'description: before\000after\n'
	one_target
} >"$f"
check "NUL byte in the middle" yaml-limits "$f"

# 11. Recursive aliases (an alias inside its own anchor's node): a clean
# error, not an endless walk.
f=$tmp/self-alias.yaml
{ preamble self-alias; echo '    targets: &a [*a]'; } >"$f"
check "recursive alias in targets" "yaml-syntax|yaml-limits|type" "$f"
f=$tmp/self-alias-root.yaml
echo '&r {ensbatch: 1, name: r, groups: [{name: g, policy: *r}]}' >"$f"
check "recursive alias of the root" \
    "yaml-syntax|yaml-limits|type|unknown-key|required" "$f"

# 11b. An endless stream (not a regular file) must stop at the size limit.
check "endless stream /dev/zero" yaml-limits /dev/zero

# 12. 100,000 distinct unknown keys (quadratic duplicate-key detection).
f=$tmp/many-keys.yaml
{
	preamble many-keys
	one_target
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "k%06d: v\n", i }'
} >"$f"
check "100,000 unknown keys" unknown-key "$f"

# 13. 20,000 groups in one after-cycle (deep recursion in the cycle walk).
f=$tmp/long-cycle.yaml
{
	printf '%s\n' 'ensbatch: 1' 'name: long-cycle' 'policies:' '  p:' \
	    '    ops: immediate' 'groups:'
	awk 'BEGIN { m = 20000
		for (i = 0; i < m; i++) {
			printf "  - name: g%d\n    policy: p\n", i
			printf "    after: [g%d]\n", (i + m - 1) % m
			printf "    targets:\n"
			printf "      - event: e-%032x\n", i
			printf "        resource: i-%08d\n", i
		} }'
} >"$f"
check "20,000-group after-cycle" after-cycle "$f"

# 14. 100,000 targets, valid: must load within 30 s and 1 GiB.
f=$tmp/large.yaml
{
	printf '%s\n' 'ensbatch: 1' 'name: large' 'policies:' '  p:' \
	    '    ops: immediate' '    batch_size: 50' 'groups:' \
	    '  - name: all' '    policy: p' '    targets:'
	awk 'BEGIN { for (i = 0; i < 100000; i++) {
		printf "      - event: e-%032x\n", i
		printf "        resource: i-%08d\n", i } }'
} >"$f"
rss=
if [ -x /usr/bin/time ]; then
	timeout 30 /usr/bin/time -f %M -o "$tmp/rss" \
	    "$ENSBATCH" validate --now "$NOW" "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	rss=$(tail -n 1 "$tmp/rss" 2>/dev/null)
else
	timeout 30 "$ENSBATCH" validate --now "$NOW" "$f" \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
fi
why=$(status_reason "$rc" 0)
if [ -z "$why" ] && ! grep -q 'valid: 1 group, 100000 targets' "$tmp/out"
then
	why="no \"valid: 1 group, 100000 targets\" on stdout"
fi
case $rss in
'')	;;
*[!0-9]*)	why="${why:+$why; }cannot read peak RSS: $rss" ;;
*)	if [ "$rss" -gt 1048576 ]; then
		why="${why:+$why; }peak RSS ${rss} KiB > 1 GiB"
	fi ;;
esac
result "100,000-target manifest loads${rss:+ (peak RSS $rss KiB)}" "$why"

# 15. A 10 MB single scalar: a clean error or success, never a crash.
f=$tmp/big-scalar.yaml
{
	preamble big-scalar
	one_target
	printf 'description: '
	yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' |
	    tr -d '\n' | head -c 10485760
	echo
} >"$f"
timeout 10 "$ENSBATCH" validate --now "$NOW" "$f" >"$tmp/out" 2>"$tmp/err"
rc=$?
case $rc in
0)	why= ;;
2)	if grep -Eq ': error: .* \[[a-z-]+\]$' "$tmp/err"; then
		why=
	else
		why="exit 2 without a located diagnostic"
	fi ;;
*)	why=$(status_reason "$rc" 0) ;;
esac
result "10 MB scalar value" "$why"

# 16. targets_file may not name any file: relative, inside the manifest's
# directory after links, a regular file.  A FIFO must not block.
# csv_manifest NAME TARGETS_FILE: a manifest in $tmp/place reading it.
mkdir -p "$tmp/place/sub"
csv_manifest()
{
	{ preamble "$1"; echo "    targets_file: $2"; } >"$tmp/place/$1.yaml"
}
printf '%s\n' 'event,resource' \
    'e-00000000000000000000000000000001,i-00000001' >"$tmp/outside.csv"
csv_manifest environ /proc/self/environ
check "targets_file: /proc/self/environ" targets-file \
    "$tmp/place/environ.yaml"
csv_manifest parent ../outside.csv
check "targets_file: ../outside.csv" targets-file "$tmp/place/parent.yaml"
ln -s ../outside.csv "$tmp/place/link.csv"
csv_manifest link link.csv
check "targets_file: a link out of the directory" targets-file \
    "$tmp/place/link.yaml"
ln -s /etc "$tmp/place/etc"
csv_manifest dirlink etc/passwd
check "targets_file: through a linked directory" targets-file \
    "$tmp/place/dirlink.yaml"
mkfifo "$tmp/place/fifo.csv"
csv_manifest fifo fifo.csv
check "targets_file: a FIFO (must not block)" targets-file \
    "$tmp/place/fifo.yaml"
csv_manifest dir sub
check "targets_file: a directory" targets-file "$tmp/place/dir.yaml"
truncate -s 65M "$tmp/place/huge.csv"
csv_manifest huge huge.csv
check "targets_file: a sparse 65 MiB file" targets-file \
    "$tmp/place/huge.yaml"
rm -f "$tmp/place/huge.csv"

# 17. Secrets never reach stderr or the report: an aliyun config.json
# beside the manifest, and a CSV whose fields hold secrets.
secret=Hostile5ecretValue0123456789ab
token=HostileT0ken-abcdefghijklmnop
printf '%s\n' '{' '	"current": "default",' '	"profiles": [' '		{' \
    '			"name": "default",' '			"mode": "StsToken",' \
    '			"access_key_id": "LTAI5tHostileKeyId0000",' \
    "			\"access_key_secret\": \"$secret\"," \
    "			\"sts_token\": \"$token\"" '		}' '	]' '}' \
    >"$tmp/place/config.json"
printf '%s\n' 'event,resource' \
    "\"access_key_secret\": \"$secret\",i-00000001" \
    "e-00000000000000000000000000000002,$token" \
    "access_key_secret = $secret,sts_token=$token" >"$tmp/place/leak.csv"
for c in config.json leak.csv; do
	csv_manifest "secret-$c" "$c"
	rm -f "$tmp/report.xml"
	ALIBABA_CLOUD_ACCESS_KEY_SECRET=$secret \
	ALIBABA_CLOUD_SECURITY_TOKEN=$token \
	    timeout 10 "$ENSBATCH" plan --now "$NOW" --report "$tmp/report.xml" \
	    "$tmp/place/secret-$c.yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=$(status_reason "$rc" 2)
	if [ -z "$why" ] && ! grep -q '\[targets-file\]\|\[event-id\]' \
	    "$tmp/err"; then
		why="no targets-file or event-id error"
	fi
	if cat "$tmp/out" "$tmp/err" "$tmp/report.xml" 2>/dev/null |
	    grep -q -e "$secret" -e "$token"; then
		why="${why:+$why; }a secret reached the output"
	fi
	result "no secret quoted from $c" "$why"
done

# 18. A manifest that is a FIFO, a directory or a device: a clear error
# at once, nothing read.
mkfifo "$tmp/m.fifo"
check "manifest is a FIFO (must not block)" yaml-limits "$tmp/m.fifo"
check "manifest is a directory" yaml-limits "$tmp/place"
check "manifest is /dev/urandom" yaml-limits /dev/urandom
truncate -s 65M "$tmp/sparse.yaml"
check "sparse 65 MiB manifest (refused before reading)" yaml-limits \
    "$tmp/sparse.yaml"
rm -f "$tmp/sparse.yaml"

# 19. Huge staggers: no int64 overflow in plan (the sanitizer build
# aborts on one), an over-long stagger is a range error, and 1,000
# batches 30 days apart still plan.
# staggered NAME STAGGER: 50,000 targets in 50-target batches.
staggered()
{
	{
		printf '%s\n' 'ensbatch: 1' "name: $1" 'policies:' '  p:' \
		    '    ops: scheduled' '    batch_size: 50' \
		    '    start: 2026-12-01T00:00:00Z' "    stagger: $2" \
		    'groups:' '  - name: g' '    policy: p' '    targets:'
		awk 'BEGIN { for (i = 0; i < 50000; i++) {
			printf "      - event: e-%032x\n", i
			printf "        resource: i-%08d\n", i } }'
	} >"$tmp/$1.yaml"
}
staggered stagger-overflow 2562047788015h
timeout 20 "$ENSBATCH" plan --now "$NOW" "$tmp/stagger-overflow.yaml" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
why=$(status_reason "$rc" 2)
if [ -z "$why" ] && ! grep -q ' \[range\]$' "$tmp/err"; then
	why="no range error"
fi
result "plan: stagger 2562047788015h" "$why"
staggered stagger-max 720h
timeout 20 "$ENSBATCH" plan --now "$NOW" --format json \
    "$tmp/stagger-max.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
why=$(status_reason "$rc" 0)
if [ -z "$why" ] && ! grep -q '"plan_time_utc": "2108-' "$tmp/out"; then
	why="the last PlanTime is not in 2108"
fi
result "plan: 1,000 batches 720h apart" "$why"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
