#!/bin/sh
# Colour and words of apply's live line and recap, in a real terminal:
# ensbatch apply runs in a tmux pane 60 columns wide, under script(1)
# which keeps every byte written.  On a terminal the counts are
# coloured, the live line never takes more than 59 columns (so it never
# wraps and leaves no stale line), each coloured frame ends with a
# reset; with NO_COLOR or into a pipe nothing is coloured; the progress,
# the recap and the summary give the same counts with the same words.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=colour-key
SECRET=colour-SENTINEL-secret-3f9c
. "${srcdir:-.}/tests/lib-sim.sh"

if ! command -v tmux >/dev/null 2>&1 || ! command -v script >/dev/null 2>&1
then
	echo "$0: needs tmux and script; skipped"
	exit 77
fi

sock=$tmp/tmux.sock
stop_tmux() {
	[ -S "$sock" ] && tmux -S "$sock" kill-server 2>/dev/null
	rm -f "$sock"
}
trap 'stop_tmux; stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ESC=$(printf '\033')
SGR="$ESC\\[[0-9;]*m"		# a colour sequence, for grep and sed

ev() { printf 'e-%032x' "$(($1 + 12288))"; }
res() { printf 'i-colour%08d' "$1"; }

# Seven events, the fourth fails; events 1-6 reboot in 2 s, which the
# group "slow" (event 7, settle_timeout 1s) does not wait for: one of
# each outcome but skipped, and slow's error is over its budget of 0.
{
	echo "events:"
	for i in 1 2 3 4 5 6 7; do
		printf '  - event: %s\n    resource: %s\n' "$(ev $i)" \
		    "$(res $i)"
		[ "$i" -eq 4 ] && echo "    outcome: failed"
	done
} >"$tmp/fleet.yaml"

# manifest: for the simulator on $ENDPOINT.
manifest() {
	printf 'ensbatch: 1\nname: colour\napi:\n  endpoint: "%s"\n' \
	    "$ENDPOINT"
	cat <<EOF
  retries: 4
  rate: 100
policies:
  canary:
    ops: immediate
    batch_size: 1
    settle_timeout: 20s
    soak: 1s
  waves:
    ops: immediate
    batch_size: 3
    pause: 1s
    max_failures: 1
    settle_timeout: 20s
  slow:
    ops: immediate
    batch_size: 1
    settle_timeout: 1s
groups:
  - name: canary
    policy: canary
    targets:
EOF
	t() { printf '      - event: %s\n        resource: %s\n' "$(ev "$1")" \
	    "$(res "$1")"; }
	t 1
	printf '  - name: wave\n    policy: waves\n    after: [canary]\n'
	printf '    targets:\n'
	for i in 2 3 4 5 6; do t "$i"; done
	printf '  - name: slow\n    policy: slow\n    targets:\n'
	t 7
}

# fresh: a simulator that has rebooted nothing yet, and its manifest.
fresh() {
	start_sim --fleet "$tmp/fleet.yaml" --reboot-seconds 2 || exit 1
	manifest >"$tmp/m.yaml"
	rm -rf "$tmp/run"
	mkdir -p "$tmp/run"
}

# in_tmux WIDTH NO_COLOR: apply in a WIDTH x 30 tmux pane (NO_COLOR set to
# the value, or unset when empty); every byte in $tmp/ts, the final
# screen in $tmp/screen, the exit status in status.
in_tmux() {
	fresh
	stop_tmux
	rm -f "$tmp/rc" "$tmp/ts"
	cat >"$tmp/go.sh" <<EOF
cd "$tmp/run" || exit 1
if [ -n "$2" ]; then NO_COLOR="$2"; export NO_COLOR; else unset NO_COLOR; fi
script -qfec "timeout 120 '$ENSBATCH' apply --yes --report r.xml \
    '$tmp/m.yaml'" "$tmp/ts"
echo \$? >"$tmp/rc.new" && mv "$tmp/rc.new" "$tmp/rc"
exec sleep 300
EOF
	tmux -S "$sock" -f /dev/null new-session -d -x "$1" -y 30 \
	    "sh '$tmp/go.sh'"
	i=0
	while [ ! -s "$tmp/rc" ] && [ "$i" -lt 1300 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	status=$(cat "$tmp/rc" 2>/dev/null)
	tmux -S "$sock" capture-pane -p >"$tmp/screen"
	stop_tmux
}

# frames FILE: the live line's frames (each drawn as CR TEXT ESC [ K),
# as written; plain FILE: without colour or erase sequences.
frames() {
	tr '\r' '\n' <"$1" | grep "$ESC\\[K\$" | sed "s/$ESC\\[K\$//" |
	    grep -v '^$'
}
plain() {
	sed "s/$ESC\\[[0-9;]*[mK]//g" "$1" | tr '\r' '\n'
}

# The "N word" pairs of the report's words in a line, one a line.
pairs() {
	printf '%s\n' "$1" | grep -oE '[0-9]+ (passed|failed|errors|skipped)'
}

# words WHAT PROGRESS SUMMARY RECAP...: every count of the last progress
# line is in the summary, and the recap's per-group lines add up to it.
words() {
	what=$1 prog=$2 summary=$3
	shift 3
	bad=
	for p in $(pairs "$prog" | tr ' ' '_'); do
		case ", $summary," in
		*", $(echo "$p" | tr '_' ' '),"*) ;;
		*) bad="$bad $p" ;;
		esac
	done
	check "$what: the progress uses the summary's words and counts" \
	    "${bad:-none}|$(pairs "$prog" | wc -l | tr -d ' ')" "none|3"
	sum=$(printf '%s\n' "$@" | grep -oE '[0-9]+ [a-z]+' | awk '
	    { n[$2] += $1 }
	    END { printf "%d passed, %d failed, %d errors, %d skipped",
	    n["passed"], n["failed"], n["errors"], n["skipped"] }')
	check "$what: the recap adds up to the summary" "$sum" "$summary"
}

# --------------------------------------------------- colour, 60 columns
in_tmux 60 ""
check "terminal: exit 1 (one failed, one error)" "$status" 1
plain "$tmp/ts" >"$tmp/ts.txt"
contains_text "terminal: the summary" "$tmp/ts.txt" \
    "5 passed, 1 failed, 1 errors, 0 skipped; report r.xml"
frames "$tmp/ts" >"$tmp/frames"
n=$(wc -l <"$tmp/frames" | tr -d ' ')
if [ "$n" -ge 5 ]; then
	ok "terminal: the live line was drawn ($n frames)"
else
	not_ok "terminal: the live line was drawn: $n frames"
fi
contains "terminal: passed in green on the live line" "$tmp/frames" \
    "$ESC\\[32m[0-9]* passed$ESC\\[0m"
contains "terminal: failed in red on the live line" "$tmp/frames" \
    "$ESC\\[1;31m1 failed$ESC\\[0m"
contains "terminal: the countdown is dim" "$tmp/frames" \
    "soak before wave: $ESC\\[2m[0-9]s left$ESC\\[0m"
green="${ESC}[32m" red="${ESC}[1;31m" reset="${ESC}[0m"
contains_text "terminal: the recap's counts are coloured" "$tmp/ts" \
    "wave: ${green}4 passed$reset, ${red}1 failed$reset, 0 errors, 0 skipped"
contains_text "terminal: errors in red in the recap" "$tmp/ts" \
    "slow: 0 passed, 0 failed, ${red}1 errors$reset, 0 skipped"
contains_text "terminal: the failure's type in red" "$tmp/ts" \
    "${red}RebootFailed$reset: "
contains_text "terminal: a stopped group in red" "$tmp/ts" \
    "slow: 0 passed, 0 failed, ${red}1 errors$reset, 0 skipped$red (stopped)"
contains_text "terminal: the budget speaks of errors as the recap does" \
    "$tmp/ts.txt" \
    "group slow stopped: 0 failed, 1 errors, more than max_failures 0"
wide=$(sed "s/$SGR//g" "$tmp/frames" | awk 'length($0) > 59' | head -n 3)
check "terminal: no frame wider than 59 columns" "$wide" ""
long=$(sed "s/$SGR//g" "$tmp/frames" | awk 'length($0) == 59' | wc -l)
if [ "$long" -ge 1 ]; then
	ok "terminal: long frames are cut at 59 columns ($long)"
else
	not_ok "terminal: no frame reached 59 columns: the cut is untested"
fi
open=$(grep "$SGR" "$tmp/frames" | grep -v "$ESC\\[0m\$" | head -n 3 |
    cat -v)
check "terminal: every coloured frame ends with a reset" "$open" ""
for stale in "settling:" " left" "done; "; do
	lacks "terminal: no stale live line on the screen ($stale)" \
	    "$tmp/screen" "$stale"
done
recap=$(grep -E '^(canary|wave|slow): ' "$tmp/screen" | awk 'length($0) > 59')
check "terminal: the recap's group lines fit 60 columns" "$recap" ""
contains "terminal: the recap is on the screen" "$tmp/screen" \
    '^canary: 1 passed, 0 failed, 0 errors, 0 skipped$'

# ------------------------------------ NO_COLOR, wide: the words compare
in_tmux 200 1
check "NO_COLOR: exit 1" "$status" 1
if grep -q "$SGR" "$tmp/ts"; then
	not_ok "NO_COLOR: a colour sequence on the terminal"
	grep "$SGR" "$tmp/ts" | head -n 3 | cat -v | sed 's/^/#   /'
else
	ok "NO_COLOR: no colour sequence on the terminal"
fi
frames "$tmp/ts" >"$tmp/frames"
prog=$(grep ' done; ' "$tmp/frames" | tail -n 1)
plain "$tmp/ts" >"$tmp/ts.txt"
summary=$(sed -n 's/; report r.xml$//p' "$tmp/ts.txt" | tail -n 1)
words "NO_COLOR" "$prog" "$summary" \
    "$(grep -E '^(canary|wave|slow): [0-9]' "$tmp/ts.txt")"

# --------------------------------------------------------- into a pipe
fresh
unset NO_COLOR
(cd "$tmp/run" && timeout 120 "$ENSBATCH" apply --yes --report r.xml \
    "$tmp/m.yaml") >"$tmp/out" 2>"$tmp/err"
check "pipe: exit 1" "$?" 1
if grep -q "$ESC" "$tmp/out" "$tmp/err"; then
	not_ok "pipe: an escape sequence in the output"
else
	ok "pipe: no escape sequence on stdout or stderr"
fi
prog=$(grep ' done; ' "$tmp/err" | tail -n 1)
summary=$(sed 's/; report r.xml$//' "$tmp/out")
words "pipe" "$prog" "$summary" "$(grep -E '^(canary|wave|slow): [0-9]' \
    "$tmp/err")"
contains_text "pipe: the progress line" "$tmp/err" \
    "slow: batch 1/1 done; 7 of 7 final: 5 passed, 1 failed, 1 errors"

finish
