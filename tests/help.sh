#!/bin/sh
# --help, ensbatch(1) and README.md list exactly the options the parser
# accepts, per command.
#
#  - the accepted set comes from the command table through the program:
#    the option list of "ensbatch CMD --help"; each listed option (long
#    and short) is probed and must be accepted, and every option some
#    other command has (or the man page documents) but CMD does not list
#    must be refused as an unknown option;
#  - the usage line of --help names the same options as its list;
#  - doc/ensbatch.1: the SYNOPSIS block of "ensbatch CMD" (.OP lines)
#    holds exactly those options; under OPTIONS, the ".SS CMD options"
#    section documents only options CMD has, every option of CMD is in
#    that section or a shared one (API options, Output options), every
#    documented option is some command's, and a short form is written
#    with its long one as in --help;
#  - README.md: the "## Usage" block's lines for CMD name exactly them.
#
# Environment (set by make check): srcdir, ENSBATCH.
set -u
. "${srcdir:-.}/tests/lib.sh"

MAN="$srcdir/doc/ensbatch.1"
README="$srcdir/README.md"
COMMANDS=$("$ENSBATCH" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
if [ -z "$COMMANDS" ]; then
	not_ok "ensbatch --help lists no commands"
	finish
	exit
fi

# same NAME FILE1 FILE2: the two sorted lists are equal.
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1 (< first, > second):"
		diff "$2" "$3" | grep '^[<>]' | sed 's/^/#   /'
	fi
}

# The man page without its '\-' escapes.
sed 's/\\-/-/g' "$MAN" >"$tmp/man"

# Every option any command lists or the man page documents.
: >"$tmp/all"
for cmd in $COMMANDS; do
	"$ENSBATCH" "$cmd" --help >"$tmp/help-$cmd" 2>&1
	# The option list: "  -q, --quiet  ..." or "      --now TIME  ...".
	sed -n '/^options:$/,$p' "$tmp/help-$cmd" |
	    sed -n 's/^  \(-[a-zA-Z], \|    \)\(--[a-z][a-z-]*\).*/\2/p' |
	    sort -u >"$tmp/list-$cmd"
	sed -n '/^options:$/,$p' "$tmp/help-$cmd" |
	    sed -n 's/^  \(-[a-zA-Z]\), \(--[a-z][a-z-]*\).*/\1 \2/p' |
	    sort -u >"$tmp/short-$cmd"
	cat "$tmp/list-$cmd" >>"$tmp/all"
done
grep -oE -- '--[a-z]+(-[a-z]+)*' "$tmp/man" >>"$tmp/all"
sort -u "$tmp/all" | grep -vx -- '--version' >"$tmp/all-sorted"

for cmd in $COMMANDS; do
	: >"$tmp/section-$cmd"
	if [ ! -s "$tmp/list-$cmd" ]; then
		not_ok "$cmd --help lists no options (not even --help)"
		continue
	fi
	grep -qx -- '--help' "$tmp/list-$cmd" && ok "$cmd: lists --help" ||
	    not_ok "$cmd: does not list --help"

	# The usage line names the same options as the list.
	sed -n '/^usage:/,/^$/p' "$tmp/help-$cmd" |
	    grep -oE -- '\[--[a-z]+(-[a-z]+)*' | tr -d '[' | sort -u \
	    >"$tmp/usage-$cmd"
	same "$cmd: usage line and option list agree" "$tmp/usage-$cmd" \
	    "$tmp/list-$cmd"

	# Probe: every listed option is accepted (a bad value is not an
	# unknown option), every other one is refused as unknown.
	bad=
	while read -r opt; do
		"$ENSBATCH" "$cmd" "$opt" x --help >/dev/null 2>"$tmp/err" \
		    </dev/null
		grep -q 'unknown option' "$tmp/err" && bad="$bad $opt"
	done <"$tmp/list-$cmd"
	while read -r short long; do
		"$ENSBATCH" "$cmd" "$short" --help >/dev/null 2>"$tmp/err" \
		    </dev/null
		grep -q 'unknown option' "$tmp/err" && bad="$bad $short"
	done <"$tmp/short-$cmd"
	[ -z "$bad" ] && ok "$cmd: accepts every option it lists" ||
	    not_ok "$cmd: lists but refuses:$bad"
	extra=
	for opt in $(grep -vxF -f "$tmp/list-$cmd" "$tmp/all-sorted"); do
		"$ENSBATCH" "$cmd" "$opt" x >/dev/null 2>"$tmp/err" </dev/null
		grep -q "unknown option $opt" "$tmp/err" || extra="$extra $opt"
	done
	for short in -q -v -h -y -f -o; do
		grep -q "^$short " "$tmp/short-$cmd" && continue
		"$ENSBATCH" "$cmd" "$short" >/dev/null 2>"$tmp/err" </dev/null
		grep -q "unknown option $short" "$tmp/err" ||
		    extra="$extra $short"
	done
	[ -z "$extra" ] && ok "$cmd: refuses every option it does not list" ||
	    not_ok "$cmd: accepts but does not list:$extra"

	# The man page's SYNOPSIS block for this command.
	awk -v want="ensbatch $cmd" '
	    /^\.SY / {
		name = $0
		sub(/^\.SY +/, "", name)
		gsub(/"/, "", name)
		on = (name == want)
		next
	    }
	    /^\.YS/ { on = 0; next }
	    on && /^\.OP / { print $2 }
	' "$tmp/man" | sort -u >"$tmp/synopsis-$cmd"
	same "$cmd: ensbatch(1) SYNOPSIS lists exactly its options" \
	    "$tmp/synopsis-$cmd" "$tmp/list-$cmd"

	# OPTIONS: ".SS CMD options" holds only CMD's options.
	awk -v want="$cmd options" '
	    /^\.S[SH] / { t = $0; sub(/^\.S[SH] +/, "", t); on = (t == want) }
	    on && prev == ".TP" { print }
	    { prev = $0 }
	' "$tmp/man" | grep -oE -- '--[a-z]+(-[a-z]+)*' | sort -u \
	    >"$tmp/section-$cmd"
	grep -vxF -f "$tmp/list-$cmd" "$tmp/section-$cmd" >"$tmp/foreign"
	[ -s "$tmp/foreign" ] &&
	    not_ok "$cmd: ensbatch(1) '$cmd options' has options $cmd does not take: $(tr '\n' ' ' <"$tmp/foreign")" ||
	    ok "$cmd: ensbatch(1) '$cmd options' holds only its options"

	# README's usage block.
	awk -v want="ensbatch $cmd" '
	    /^## Usage/ { usage = 1; next }
	    usage && /^```/ { block++; if (block == 2) exit; next }
	    usage && block == 1 {
		if ($0 ~ /^ensbatch /) on = ($1 " " $2 == want)
		if (on) print
	    }
	' "$README" | grep -oE -- '\[--[a-z]+(-[a-z]+)*' | tr -d '[' |
	    sort -u >"$tmp/readme-$cmd"
	same "$cmd: README usage names exactly its options" \
	    "$tmp/readme-$cmd" "$tmp/list-$cmd"
done

# OPTIONS as a whole: each option of each command is documented in its
# own section or a shared one, and each documented option is someone's.
awk '
    /^\.SH / { opts = ($0 == ".SH OPTIONS") }
    /^\.S[SH] / { t = $0; sub(/^\.S[SH] +/, "", t) }
    opts && prev == ".TP" { print t "\t" $0 }
    { prev = $0 }
' "$tmp/man" >"$tmp/documented"
grep -oE -- '--[a-z]+(-[a-z]+)*' "$tmp/documented" | sort -u \
    >"$tmp/documented-all"
grep -E '^(API|Output) options' "$tmp/documented" |
    grep -oE -- '--[a-z]+(-[a-z]+)*' | sort -u >"$tmp/shared"
cat "$tmp"/list-* | sort -u >"$tmp/listed-all"
same "every option some command lists is under OPTIONS, and no other" \
    "$tmp/listed-all" "$tmp/documented-all"
for cmd in $COMMANDS; do
	sort -u "$tmp/section-$cmd" "$tmp/shared" >"$tmp/home"
	missing=$(grep -vxF -f "$tmp/home" "$tmp/list-$cmd" | tr '\n' ' ')
	[ -z "$missing" ] &&
	    ok "$cmd: each option is in '$cmd options' or a shared section" ||
	    not_ok "$cmd: options documented only for other commands: $missing"
	while read -r short long; do
		grep -q -- "^\.BR $short \", \" $long\$" "$tmp/man" &&
		    ok "$cmd: ensbatch(1) writes $short with $long" ||
		    not_ok "$cmd: ensbatch(1) has no '.BR $short \", \" $long'"
	done <"$tmp/short-$cmd"
done
finish
