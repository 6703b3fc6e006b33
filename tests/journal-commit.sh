#!/bin/sh
# Group commit, seen from the system calls: ensbatch apply of a
# scheduled group (12 calls, 4 in flight) under strace.  The journal's
# promise is that no BatchEventRebootInstance request leaves before the
# record of its call is fsync'd, and that every record is fsync'd before
# the run ends; the group commit keeps it with fewer fsyncs than records
# (calls that start together share one, and so do the calls committed
# ahead of a free slot and the results that came meanwhile).  Every
# reboot request is checked against the journal's state at the moment
# it is sent.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

if ! command -v strace >/dev/null 2>&1; then
	echo "$0: needs strace; skipped"
	exit 77
fi
AK=commit-key
SECRET=commit-SENTINEL-secret-5c1e
. "${srcdir:-.}/tests/lib-sim.sh"

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

start_sim --generate 48 --seed 11 --latency 20 \
    --emit-manifest "$tmp/emitted.yaml" --log "$tmp/log.jsonl" || exit 1
wait_file "$tmp/emitted.yaml" || exit 1
scheduled_manifest commit "$tmp/emitted.yaml" 4 1000 >"$tmp/m.yaml"

# LeakSanitizer cannot run under ptrace: without it in a sanitizer build.
(cd "$tmp" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    timeout 120 strace -f -y -s 4096 -o "$tmp/trace" \
    -e trace=write,writev,fsync,fdatasync,sendto,sendmsg \
    "$ENSBATCH" apply --yes --parallel 4 --journal j.jsonl \
    --report r.xml m.yaml) >"$tmp/out" 2>"$tmp/err"
status=$?
check "apply under strace exits 0" "$status" 0
check "the simulator saw 12 reboot calls" \
    "$(grep -c '"BatchEventRebootInstance"' "$tmp/log.jsonl")" 12

# For each send of a reboot request: was the record of its call (the
# call record naming its first event) written and fsync'd before it?
# And is the journal clean at the end?  Prints "sends writes fsyncs
# unsafe dirty_at_end".
awk '
/j\.jsonl>/ && /(^|[ \t])(write|writev)\(/ {
	writes++
	dirty = 1
	if ($0 !~ /type\\":\\"call\\"/)
		next
	rest = $0
	while (match(rest, /event\\":\\"e-[0-9a-f]+/)) {
		ev = substr(rest, RSTART + 10, RLENGTH - 10)
		state[ev] = "written"
		rest = substr(rest, RSTART + RLENGTH)
	}
	next
}
/(fsync|fdatasync)\([0-9]+<[^>]*j\.jsonl>\) += 0$/ {
	dirty = 0
	syncs++
	for (ev in state)
		state[ev] = "durable"
	next
}
/(sendto|sendmsg|write|writev)\([0-9]+<(socket|TCP)/ && /BatchEventRebootInstance/ {
	sends++
	if (!match($0, /EventId%22%3A%22e-[0-9a-f]+/) ||
	    state[substr($0, RSTART + 16, RLENGTH - 16)] != "durable")
		unsafe++
}
END { printf "%d %d %d %d %d\n", sends, writes, syncs, unsafe, dirty }
' "$tmp/trace" >"$tmp/counts"
read -r sends writes syncs unsafe dirty <"$tmp/counts"
check "strace saw the 12 reboot requests leave" "$sends" 12
check "no reboot request left before its call record was fsync'd" \
    "$unsafe" 0
check "every journal record was fsync'd by the end" "$dirty" 0
check "the journal got a write per record (start, 12 calls, 12 results)" \
    "$([ "$writes" -ge 25 ] && echo yes || echo "no: $writes")" yes
check "calls that start together share an fsync" \
    "$([ "$syncs" -lt "$writes" ] && echo yes ||
    echo "no: $syncs fsyncs for $writes writes")" yes
check "the journal reads back: 12 calls" \
    "$(grep -c '"type":"call"' "$tmp/j.jsonl")" 12
check "the journal reads back: 12 results" \
    "$(grep -c '"type":"result"' "$tmp/j.jsonl")" 12
[ "$failed" -eq 0 ] || sed 's/^/# /' "$tmp/err" | tail -n 5
stop_sim
finish
