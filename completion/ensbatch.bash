# bash completion for ensbatch(1) and ensbatch-sim(1)
#
# The commands and their options are read at completion time from the
# program being completed: the commands from the lines under "commands:"
# in "ensbatch --help", the options of a command from "ensbatch COMMAND
# --help" (its usage line's [--opt ARG] forms and the lines that start
# with "-", such as "  -q, --quiet   ..."), so a new command or option
# completes without touching this file. A static list stands in when the
# program cannot be run.
#
# Installed as $(datadir)/bash-completion/completions/ensbatch (and
# ensbatch-sim); source it by hand otherwise.

# Commands when "ensbatch --help" gives none.
_ensbatch_fallback_commands="validate plan apply events status version"

# Run the program being completed ($1) with the rest of the arguments,
# or nothing when it cannot be found.
_ensbatch_run()
{
	local prog=$1
	shift
	prog=${prog/#\~/$HOME}
	command -v -- "$prog" >/dev/null 2>&1 || return 1
	LC_ALL=C "$prog" "$@" 2>/dev/null </dev/null
}

# Print the commands listed by "PROG --help", one a line.
_ensbatch_commands()
{
	_ensbatch_run "$1" --help | awk '
		/^[Cc]ommands:/ { in_list = 1; next }
		in_list && /^[ \t]+[a-z]/ { print $1; next }
		in_list && !/^[ \t]/ { in_list = 0 }'
}

# Print the options in the help text on stdin, one a line: the option,
# a tab and its argument's placeholder (empty for a flag). A line
# "@positional WORD" names each placeholder of the usage line that
# belongs to no option (MANIFEST, FILE...).
_ensbatch_parse_help()
{
	awk '
	function strip(t) {
		gsub(/^[[(]+/, "", t)
		gsub(/[])]+$/, "", t)
		return t
	}
	function note(opt, arg) {
		if (!(opt in args) || args[opt] == "")
			args[opt] = arg
		if (!(opt in seen)) {
			seen[opt] = 1
			order[++n] = opt
		}
	}
	# One piece of text with options in it: each -x, --word or
	# --word=ARG, and the token after an option when it is its
	# argument (not closed by "]" or ",", not an option or bracket).
	# In "-o, --out FILE" the short form takes the argument too.
	function scan(text, usage,    nt, t, i, j, tok, raw, opt, arg, eq,
	    na, alias) {
		na = 0
		nt = split(text, t, /[ \t]+/)
		for (i = 1; i <= nt; i++) {
			raw = t[i]
			tok = strip(raw)
			if (tok !~ /^--?[A-Za-z0-9][-A-Za-z0-9]*(=.*)?,?$/) {
				if (usage && raw !~ /^\[/ && tok ~ /^[A-Z][A-Z_.]*$/)
					pos[tok] = 1
				continue
			}
			sub(/,$/, "", tok)
			opt = tok
			arg = ""
			eq = index(tok, "=")
			if (eq > 0) {
				opt = substr(tok, 1, eq - 1)
				arg = substr(tok, eq + 1)
			} else if (raw !~ /[],]$/ && i < nt &&
			    t[i + 1] !~ /^[-[|]/) {
				arg = strip(t[++i])
			}
			note(opt, arg)
			if (raw ~ /,$/) {
				alias[++na] = opt
				continue
			}
			for (j = 1; j <= na; j++)
				note(alias[j], arg)
			na = 0
		}
	}
	/^usage:/ || /^[ \t]+\[/ { in_usage = 1; scan($0, 1); next }
	/^[ \t]*-/ {
		in_usage = 0
		spec = $0
		sub(/^[ \t]+/, "", spec)
		sub(/  .*/, "", spec)
		scan(spec, 0)
		next
	}
	in_usage && /^[ \t]+[A-Z]/ { scan($0, 1); next }
	{ in_usage = 0 }
	END {
		for (i = 1; i <= n; i++)
			printf "%s\t%s\n", order[i], args[order[i]]
		for (p in pos)
			printf "@positional\t%s\n", p
	}'
}

# Values of an option whose placeholder does not list them ("WHEN",
# "FMT"): $1 is the command, $2 the option.
_ensbatch_static_values()
{
	case $1:$2 in
	plan:--format)		echo "text json markdown" ;;
	events:--format)	echo "table yaml json csv" ;;
	*:--color)		echo "auto always never" ;;
	*:--signature)		echo "v3 v1" ;;
	*:--status)
		echo "Inquiring Scheduled Executing Executed Failed Canceled Avoided"
		;;
	esac
}

# Complete file names in COMPREPLY, keeping only those that end in one
# of the extensions given (all files when none is given) and directories.
_ensbatch_files()
{
	local cur=$1 ext f
	shift
	compopt -o filenames 2>/dev/null
	if [ $# -eq 0 ]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -d -- "$cur")
	for ext in "$@"; do
		while IFS= read -r f; do
			COMPREPLY+=("$f")
		done < <(compgen -f -X "!*.$ext" -- "$cur")
	done
}

# Complete the word $4, the argument of option $2 (placeholder $3) of
# command $1, into COMPREPLY.
_ensbatch_value()
{
	local cmd=$1 opt=$2 ph=$3 cur=$4 values prefix
	if [[ $ph == *\|* ]]; then
		values=${ph//|/ }
	else
		values=$(_ensbatch_static_values "$cmd" "$opt")
	fi
	if [ -n "$values" ]; then
		# A comma list (--status S,...): complete its last item.
		prefix=
		if [[ $ph == *,* && $cur == *,* ]]; then
			prefix=${cur%,*},
			cur=${cur##*,}
		fi
		mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$values" \
		    -- "$cur")
		return
	fi
	case $ph in
	*.yaml|*.yml)	_ensbatch_files "$cur" yaml yml ;;
	*.jsonl)	_ensbatch_files "$cur" jsonl ;;
	*.json)		_ensbatch_files "$cur" json ;;
	*.xml)		_ensbatch_files "$cur" xml ;;
	*.pem)		_ensbatch_files "$cur" pem crt ;;
	*.csv)		_ensbatch_files "$cur" csv ;;
	*FILE*|*PATH*|*DIR*)	_ensbatch_files "$cur" ;;
	"")
		case $opt in
		--out|--report|--journal|--plan|--cacert|--manifest|--log)
			_ensbatch_files "$cur" ;;
		*)	COMPREPLY=() ;;
		esac
		;;
	*)	COMPREPLY=() ;;
	esac
}

# The completion function of ensbatch and ensbatch-sim: the command
# (ensbatch only), then that command's options, their values, and
# manifests or files for the positional arguments.
_ensbatch()
{
	local prog=${COMP_WORDS[0]} cword=$COMP_CWORD
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' i w table opts
	local -A takes=()
	local positional='' has_cmds=1 opt ph ended=0

	COMPREPLY=()
	[[ ${prog##*/} == ensbatch-sim* ]] && has_cmds=0

	# "--opt=value", whether or not "=" breaks words.
	if [ "$cur" = "=" ]; then
		prev=${COMP_WORDS[cword - 1]}
		cur=
	elif [ "$cword" -ge 2 ] && [ "${COMP_WORDS[cword - 1]}" = "=" ]; then
		prev=${COMP_WORDS[cword - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	elif [ "$cword" -ge 1 ]; then
		prev=${COMP_WORDS[cword - 1]}
	fi

	# The command is the first word that is not an option.
	if [ "$has_cmds" = 1 ]; then
		for ((i = 1; i < cword; i++)); do
			w=${COMP_WORDS[i]}
			case $w in
			-*|=) ;;
			*)	cmd=$w; break ;;
			esac
		done
		if [ -z "$cmd" ]; then
			if [[ $cur == -* ]]; then
				mapfile -t COMPREPLY < <(compgen \
				    -W "--help --version" -- "$cur")
				return 0
			fi
			w=$(_ensbatch_commands "$prog")
			[ -n "$w" ] || w=$_ensbatch_fallback_commands
			mapfile -t COMPREPLY < <(compgen -W "$w" -- "$cur")
			return 0
		fi
		table=$(_ensbatch_run "$prog" "$cmd" --help |
		    _ensbatch_parse_help)
	else
		table=$(_ensbatch_run "$prog" --help | _ensbatch_parse_help)
	fi

	opts=
	while IFS=$'\t' read -r opt ph; do
		if [ "$opt" = "@positional" ]; then
			positional="$positional $ph"
			continue
		fi
		opts="$opts $opt"
		takes[$opt]=$ph
	done <<<"$table"
	[[ " $opts " == *" --help "* ]] || opts="$opts --help"

	# An option that takes an argument wants its value.
	if [ -n "$prev" ] && [[ $prev == -* ]] && [ -n "${takes[$prev]+x}" ] &&
	    { [ -n "${takes[$prev]}" ] ||
	    [ -n "$(_ensbatch_static_values "$cmd" "$prev")" ]; }; then
		_ensbatch_value "$cmd" "$prev" "${takes[$prev]}" "$cur"
		return 0
	fi

	for ((i = 1; i < cword; i++)); do
		[ "${COMP_WORDS[i]}" = "--" ] && ended=1
	done
	if [ "$ended" = 0 ] && [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
	fi

	# Positional arguments: manifests unless the usage line names
	# only other files; nothing for a command that takes none.
	if [ -z "$table" ] || [[ $positional == *MANIFEST* ]]; then
		_ensbatch_files "$cur" yaml yml
	elif [[ $positional == *FILE* ]]; then
		_ensbatch_files "$cur"
	fi
	return 0
}

complete -F _ensbatch ensbatch ensbatch-sim
