#!/bin/sh
# The preflight's progress on the live line, driven in a pseudo-terminal
# against ensbatch-sim answering after 150 ms: "preflight: N of 1,200
# events" while the chunks come back (thousands separators, at most a
# few redraws a second), then a clean screen: the run's own lines and,
# with -v, one line per request, none of them mixed with a live line.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=progress-key-0123456789
SECRET=progress-SENTINEL-secret-31bb
. "${srcdir:-.}/tests/lib-sim.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "$0: needs python3 for the pseudo-terminal; skipped"
	exit 77
fi

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

LATENCY=150

# tty OUT ARGS...: run ARGS in a pseudo-terminal of 100 columns; the raw
# output goes to OUT, the exit status to $status.  Bounded: 60 s, then
# the child is killed.
TTY_PY='
import fcntl, os, pty, select, signal, struct, sys, termios, time
out_path, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    os.execvp(argv[0], argv)
out, deadline = b"", time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
else:
    os.kill(pid, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
open(out_path, "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
'
tty() {
	out=$1
	shift
	python3 -c "$TTY_PY" "$out" "$@" 2>"$tmp/tty.err"
	status=$?
}

# screen RAW: the lines a terminal shows at the end, as it would draw
# them: CR goes back to column 0, ESC [ K erases to the end of the line,
# other escape sequences (colour) take no room.
SCREEN_PY='
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
for line in raw.replace("\r\n", "\n").split("\n"):
    cells, col, i = [], 0, 0
    while i < len(line):
        ch = line[i]
        if ch == "\x1b":
            m = re.match(r"\x1b\[[0-9;?]*([@-~])", line[i:])
            if m is None:
                i += 1
                continue
            if m.group(1) == "K":
                del cells[col:]
            i += len(m.group(0))
            continue
        if ch == "\r":
            col = 0
        else:
            if col < len(cells):
                cells[col] = ch
            else:
                cells.append(ch)
            col += 1
        i += 1
    print("".join(cells).rstrip())
'
screen() {
	python3 -c "$SCREEN_PY" "$1"
}

# draws RAW: the live line's texts, one a line, in the order drawn.
draws() {
	tr '\r\033' '\n\n' <"$1" | grep '^preflight: '
}

start_sim --generate 1200 --seed 3 --latency "$LATENCY" \
    --emit-manifest "$tmp/emitted.yaml" --log "$tmp/sim.jsonl" || exit 1
wait_file "$tmp/emitted.yaml" || exit 1
# One scheduled group of every target: 24 calls of 50, nothing settles.
scheduled_manifest progress "$tmp/emitted.yaml" 50 100 \
    "max_failures: 100%" >"$tmp/m.yaml"

# ------------------------------------------------- the progress itself
tty "$tmp/tty1" "$ENSBATCH" apply --yes --parallel 4 \
    --journal "$tmp/j1.jsonl" "$tmp/m.yaml"
check "apply in a terminal exits 0" "$status" 0
draws "$tmp/tty1" >"$tmp/draws1"
contains "the live line starts at 0 of 1,200" "$tmp/draws1" \
    "preflight: 0 of 1,200 events"
contains "the live line ends at 1,200 of 1,200" "$tmp/draws1" \
    "preflight: 1,200 of 1,200 events"
# Between them, counts of whole chunks (50 resources each).
mid=$(grep -v -e ' 0 of ' -e ' 1,200 of ' "$tmp/draws1" |
    sed 's/^preflight: \([0-9,]*\) of 1,200 events$/\1/' | tr -d ,)
n_mid=$(printf '%s\n' "$mid" | grep -c '^[0-9][0-9]*$')
if [ "$n_mid" -ge 1 ]; then
	ok "the live line is updated as chunks come back ($n_mid times)"
else
	not_ok "the live line is updated as chunks come back"
	sed 's/^/#   /' "$tmp/draws1"
fi
odd=$(printf '%s\n' "$mid" | awk '$1 % 50 != 0 || $1 <= 0 || $1 >= 1200')
check "each update counts whole chunks of 50" "$odd" ""
# Not more than a few times a second: 4 a second over the preflight's
# span in the simulator's log, plus the first and the last.
span=$(jq -r 'select(.type == "request" and
    .action == "DescribeHistoryEvents") | .time' "$tmp/sim.jsonl" |
    sort -n | awk -v lat="$LATENCY" 'NR == 1 { a = $1 } { b = $1 }
    END { print b + lat - a }')
n_draws=$(wc -l <"$tmp/draws1" | tr -d ' ')
limit=$(awk -v s="$span" 'BEGIN { print int(s / 250) + 3 }')
if [ "$n_draws" -le "$limit" ]; then
	ok "at most 4 redraws a second ($n_draws in $span ms)"
else
	not_ok "at most 4 redraws a second: $n_draws in $span ms"
fi

# ------------------------------------------------ what stays on screen
screen "$tmp/tty1" | sed '/^$/d' >"$tmp/screen1"
lacks "no live line is left on the screen" "$tmp/screen1" "preflight:"
lacks "no batch progress is left on the screen" "$tmp/screen1" \
    "targets final"
first=$(sed -n 1p "$tmp/screen1")
case $first in
"1200 scheduled (first "*"): follow with ensbatch status")
	ok "the first line on the screen is the run's own" ;;
*)
	not_ok "the first line on the screen is the run's own: $first" ;;
esac
contains "the recap is on a line of its own" "$tmp/screen1" \
    "all: 0 passed, 0 failed, 0 errors, 1200 skipped"

# ------------------------------ findings after the live line, exit 3
# One event the API does not know: the preflight looks further, then
# stops the run; its findings start on a clean line.
sed 's/^name: progress$/name: progress-missing/' "$tmp/m.yaml" >"$tmp/m3.yaml"
printf '      - event: e-%032x\n        resource: i-nosuch000000000000000001\n' 1 \
    >>"$tmp/m3.yaml"
tty "$tmp/tty3" "$ENSBATCH" apply --yes --parallel 4 \
    --journal "$tmp/j3.jsonl" "$tmp/m3.yaml"
check "a preflight finding exits 3" "$status" 3
draws "$tmp/tty3" >"$tmp/draws3"
contains "the live line counts the extra target" "$tmp/draws3" \
    "preflight: 1,201 of 1,201 events"
contains "then it looks for the event not found" "$tmp/draws3" \
    "preflight: looking for 1 event not found"
screen "$tmp/tty3" | sed '/^$/d' >"$tmp/screen3"
lacks "no live line is left above the findings" "$tmp/screen3" \
    "preflight: "
first=$(sed -n 1p "$tmp/screen3")
case $first in
"$tmp/m3.yaml:"*": error: event e-"*" was not found for instance "*)
	ok "the first finding starts its own line" ;;
*)
	not_ok "the first finding starts its own line: $first" ;;
esac

# ------------------------------------------- -v lines above the live line
start_sim --generate 1200 --seed 3 --latency "$LATENCY" \
    --log "$tmp/sim2.jsonl" || exit 1
sed "s#^  endpoint: .*#  endpoint: \"$ENDPOINT\"#" "$tmp/m.yaml" \
    >"$tmp/m2.yaml"
tty "$tmp/tty2" "$ENSBATCH" apply -v --yes --parallel 4 \
    --journal "$tmp/j2.jsonl" "$tmp/m2.yaml"
check "apply -v in a terminal exits 0" "$status" 0
draws "$tmp/tty2" >"$tmp/draws2"
contains "with -v the progress is drawn too" "$tmp/draws2" \
    "preflight: 1,200 of 1,200 events"
screen "$tmp/tty2" | sed '/^$/d' >"$tmp/screen2"
lacks "with -v no live line is left on the screen" "$tmp/screen2" \
    "preflight:"
n_reads=$(grep -c '^ensbatch: DescribeHistoryEvents attempt 1: HTTP 200 ' \
    "$tmp/screen2")
check "with -v each of the 24 reads has a clean line" "$n_reads" 24
n_calls=$(grep -c '^ensbatch: BatchEventRebootInstance attempt 1: HTTP 200 ' \
    "$tmp/screen2")
check "with -v each of the 24 calls has a clean line" "$n_calls" 24
mixed=$(grep -v -e '^ensbatch: ' -e '^credentials from ' \
    -e '^1200 scheduled ' -e '^all: ' -e '^0 passed, ' "$tmp/screen2")
check "with -v no other line is on the screen" "$mixed" ""

finish
