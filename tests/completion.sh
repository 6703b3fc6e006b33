#!/bin/sh
# The bash completion (completion/ensbatch.bash), sourced in a bare bash
# (--norc, no bash-completion package) and called the way readline
# does: COMP_WORDS and COMP_CWORD set, COMPREPLY checked.
#
#  - the commands are those "ensbatch --help" lists; a prefix narrows
#    them; without a program the static list stands in;
#  - "apply --" offers every option of "ensbatch apply --help";
#  - "plan --format " (and "--format=") offers the formats, and plan
#    accepts each one; --color and --signature offer their values;
#  - manifests (*.yaml, *.yml) and directories for positional arguments,
#    *.xml for "--report FILE.xml", nothing for a command without any;
#  - ensbatch-sim's options come from ensbatch-sim --help;
#  - the zsh completion (completion/_ensbatch) offers the same, with
#    its completion builtins replaced by functions that print (when zsh
#    is installed).
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

: "${ENSBATCH_SIM:=${ENSBATCH%/*}/ensbatch-sim}"
COMPLETION=$(cd "$srcdir" && pwd)/completion/ensbatch.bash
ZCOMPLETION=${COMPLETION%/*}/_ensbatch
if ! command -v bash >/dev/null 2>&1; then
	echo "completion.sh: no bash" >&2
	exit 77
fi

# comp WORD... : the sorted COMPREPLY, one a line, for the command
# line WORD... with the cursor in its last word (run in $tmp/work).
comp() {
	(cd "$tmp/work" && bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_ensbatch || exit 1
		for w in "${COMPREPLY[@]}"; do
			printf "%s\n" "$w"
		done' completion "$COMPLETION" "$@") | LC_ALL=C sort
}

# has LIST WORD...: every WORD is a line of LIST.
has() {
	list=$1
	shift
	for w in "$@"; do
		printf '%s\n' "$list" | grep -qxF -- "$w" || return 1
	done
	return 0
}

mkdir -p "$tmp/work/sub" || exit 99
: >"$tmp/work/m1.yaml"
: >"$tmp/work/m2.yml"
: >"$tmp/work/notes.txt"
: >"$tmp/work/old.xml"

# ------------------------------------------------------------ commands

want=$("$ENSBATCH" --help | awk '/^commands:/ { c = 1; next }
    c && /^[ \t]+[a-z]/ { print $1; next } c && !/^[ \t]/ { c = 0 }' |
    LC_ALL=C sort)
got=$(comp "$ENSBATCH" "")
if [ -n "$want" ] && has "$want" validate plan apply events version &&
    [ "$got" = "$want" ]; then
	ok "commands are those of ensbatch --help"
else
	not_ok "commands: got '$got', want '$want'"
fi

got=$(comp "$ENSBATCH" pl)
[ "$got" = plan ] && ok "a prefix narrows the commands" ||
    not_ok "'pl' completes to '$got'"

got=$(comp "$tmp/no-such-dir/ensbatch" "")
has "$got" validate plan apply events version &&
    ok "without the program, the static command list" ||
    not_ok "fallback commands: '$got'"

got=$(comp "$ENSBATCH" --)
has "$got" --help --version && ok "global options" ||
    not_ok "global options: '$got'"

# ------------------------------------------------------------- options

want=$("$ENSBATCH" apply --help | grep -o -- '--[a-z][-a-z0-9]*' |
    LC_ALL=C sort -u)
got=$(comp "$ENSBATCH" apply --)
# shellcheck disable=SC2086
if [ -n "$want" ] && has "$got" --plan --yes --report $want; then
	ok "apply -- offers every option of apply --help"
else
	not_ok "apply --: got '$got', want at least '$want'"
fi

got=$(comp "$ENSBATCH" apply --re)
has "$got" --report --resume && ! has "$got" --plan &&
    ok "an option prefix narrows the options" ||
    not_ok "apply --re: '$got'"

got=$(comp "$ENSBATCH" validate -q --)
has "$got" --online && ! has "$got" --plan &&
    ok "options follow the command, not the word before" ||
    not_ok "validate -q --: '$got'"

# ------------------------------------------------------- option values

got=$(comp "$ENSBATCH" plan --format "")
if has "$got" json markdown; then
	ok "plan --format offers json and markdown"
else
	not_ok "plan --format: '$got'"
fi
bad=
for f in $got; do
	"$ENSBATCH" plan --now 2026-11-27T00:00:00Z --format "$f" \
	    "$srcdir/examples/maintenance.yaml" >/dev/null 2>&1 ||
	    bad="$bad $f"
done
[ -n "$got" ] && [ -z "$bad" ] && ok "plan accepts every --format offered" ||
    not_ok "plan refuses --format$bad"

got=$(comp "$ENSBATCH" plan --format=m)
[ "$got" = markdown ] && ok "--format=m completes to markdown" ||
    not_ok "--format=m: '$got'"

got=$(comp "$ENSBATCH" plan --format = j)
[ "$got" = json ] && ok "--format = j (= breaks words) completes to json" ||
    not_ok "--format = j: '$got'"

got=$(comp "$ENSBATCH" validate --color "")
[ "$got" = "$(printf 'always\nauto\nnever')" ] &&
    ok "--color offers auto, always, never" || not_ok "--color: '$got'"

got=$(comp "$ENSBATCH" apply --signature "")
has "$got" v1 v3 && ok "--signature offers v3 and v1" ||
    not_ok "--signature: '$got'"

got=$(comp "$ENSBATCH" events --status Inquiring,Sch)
[ "$got" = Inquiring,Scheduled ] &&
    ok "--status completes the last item of its comma list" ||
    not_ok "--status Inquiring,Sch: '$got'"

got=$(comp "$ENSBATCH" plan --now "")
[ -z "$got" ] && ok "--now TIME offers nothing" || not_ok "--now: '$got'"

# ----------------------------------------------------------------- files

got=$(comp "$ENSBATCH" validate "")
if [ "$got" = "$(printf 'm1.yaml\nm2.yml\nsub')" ]; then
	ok "manifests and directories for validate's arguments"
else
	not_ok "validate files: '$got'"
fi

got=$(comp "$ENSBATCH" apply --yes m)
[ "$got" = "$(printf 'm1.yaml\nm2.yml')" ] &&
    ok "a manifest after a flag" || not_ok "apply --yes m: '$got'"

got=$(comp "$ENSBATCH" plan --report "")
[ "$got" = "$(printf 'old.xml\nsub')" ] &&
    ok "--report FILE.xml offers *.xml and directories" ||
    not_ok "--report: '$got'"

got=$(comp "$ENSBATCH" plan --out m1.yaml "")
[ "$got" = "$(printf 'm1.yaml\nm2.yml\nsub')" ] &&
    ok "an option's argument is not taken for the positional" ||
    not_ok "after --out FILE: '$got'"

got=$(comp "$ENSBATCH" events "")
[ -z "$got" ] && ok "no files for events, which takes no arguments" ||
    not_ok "events: '$got'"

# A help in the one-line-per-option form, with a command ensbatch does
# not have today: both come from the help, not from a list.
mkdir -p "$tmp/fake" || exit 99
cat >"$tmp/fake/ensbatch" <<'END'
#!/bin/sh
case $* in
--help)
	printf 'usage: ensbatch COMMAND [OPTIONS] [ARGS]\n\ncommands:\n'
	printf '  plan       dry run\n  rollcall   new\n\nsee ensbatch(1)\n'
	;;
"rollcall --help")
	printf 'usage: ensbatch rollcall [OPTIONS] MANIFEST\n\n'
	printf '  -q, --quiet         print nothing\n'
	printf '      --format FMT    text or json; see --color\n'
	printf '      --since=TIME    only after TIME\n'
	printf '  -o, --out FILE      write there\n'
	;;
esac
END
chmod +x "$tmp/fake/ensbatch"
got=$(comp "$tmp/fake/ensbatch" "")
[ "$got" = "$(printf 'plan\nrollcall')" ] &&
    ok "commands from a help with other commands" ||
    not_ok "fake commands: '$got'"
got=$(comp "$tmp/fake/ensbatch" rollcall -)
[ "$got" = "$(printf -- '--format\n--help\n--out\n--quiet\n--since\n-o\n-q')" ] &&
    ok "options from one-line-per-option help" ||
    not_ok "fake options: '$got'"
got=$(comp "$tmp/fake/ensbatch" rollcall --since "")
[ -z "$got" ] && ok "--since=TIME takes an argument" ||
    not_ok "fake --since: '$got'"
got=$(comp "$tmp/fake/ensbatch" rollcall -q "")
[ "$got" = "$(printf 'm1.yaml\nm2.yml\nsub')" ] &&
    ok "a flag from an option line takes no argument" ||
    not_ok "fake -q: '$got'"
got=$(comp "$tmp/fake/ensbatch" rollcall -o n)
[ "$got" = notes.txt ] && ok "-o of '-o, --out FILE' takes a file" ||
    not_ok "fake -o: '$got'"

# ----------------------------------------------------------- ensbatch-sim

if [ -x "$ENSBATCH_SIM" ]; then
	got=$(comp "$ENSBATCH_SIM" --fl)
	[ "$got" = --fleet ] && ok "ensbatch-sim --fl completes to --fleet" ||
	    not_ok "ensbatch-sim --fl: '$got'"
	got=$(comp "$ENSBATCH_SIM" --fleet "")
	[ "$got" = "$(printf 'm1.yaml\nm2.yml\nsub')" ] &&
	    ok "ensbatch-sim --fleet offers YAML files" ||
	    not_ok "ensbatch-sim --fleet: '$got'"
else
	not_ok "no ensbatch-sim at $ENSBATCH_SIM"
fi

# ------------------------------------------------------------------- zsh

# zcomp SERVICE WORD...: what completion/_ensbatch offers for the command
# line WORD... (cursor in the last word), sorted, one a line. zsh's
# completion builtins are replaced by functions that print what they are
# given: candidates as they are, "_files ARGS" for file completion.
zcomp() {
	(cd "$tmp/work" && zsh -f -c '
		compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }
		_files() { print -r -- "_files${*:+ $*}"; }
		_describe() { local -a d; d=("${(@P)${@[-1]}}")
			print -rl -- "${d[@]%%:*}"; }
		compset() { [[ $1 == -P ]] && PREFIX=${PREFIX##${~2}}; }
		_call_program() { shift; eval "$@"; }
		f=$1 service=$2
		shift 2
		words=("$@") CURRENT=$#
		PREFIX=$words[CURRENT]
		source $f' zcomp "$ZCOMPLETION" "$@") |
	    LC_ALL=C sort
}

if command -v zsh >/dev/null 2>&1; then
	want=$(comp "$ENSBATCH" "")
	got=$(zcomp ensbatch "$ENSBATCH" "")
	[ -n "$got" ] && [ "$got" = "$want" ] &&
	    ok "zsh: the commands of ensbatch --help" ||
	    not_ok "zsh commands: '$got', want '$want'"
	want=$("$ENSBATCH" apply --help | grep -o -- '--[a-z][-a-z0-9]*' |
	    LC_ALL=C sort -u)
	got=$(zcomp ensbatch "$ENSBATCH" apply --)
	# shellcheck disable=SC2086
	has "$got" --plan --yes $want && ok "zsh: the options of apply" ||
	    not_ok "zsh apply --: '$got'"
	got=$(zcomp ensbatch "$ENSBATCH" plan --format "")
	has "$got" json markdown && ok "zsh: plan --format values" ||
	    not_ok "zsh plan --format: '$got'"
	got=$(zcomp ensbatch "$ENSBATCH" events --status Inquiring,S)
	has "$got" Scheduled && ok "zsh: the last item of a comma list" ||
	    not_ok "zsh --status: '$got'"
	got=$(zcomp ensbatch "$ENSBATCH" validate -q "")
	[ "$got" = "_files -g *.(yaml|yml)" ] &&
	    ok "zsh: manifests for validate's arguments" ||
	    not_ok "zsh validate: '$got'"
	got=$(zcomp ensbatch "$ENSBATCH" events "")
	[ -z "$got" ] && ok "zsh: no files for events" ||
	    not_ok "zsh events: '$got'"
	got=$(zcomp ensbatch "$tmp/fake/ensbatch" rollcall -o "")
	[ "$got" = _files ] && ok "zsh: -o of '-o, --out FILE' takes a file" ||
	    not_ok "zsh fake -o: '$got'"
	got=$(zcomp ensbatch-sim "$ENSBATCH_SIM" --fleet "")
	[ "$got" = "_files -g *.(yaml|yml)" ] &&
	    ok "zsh: ensbatch-sim --fleet offers YAML files" ||
	    not_ok "zsh ensbatch-sim --fleet: '$got'"
else
	ok "# SKIP zsh: not installed"
fi

finish
