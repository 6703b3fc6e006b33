#!/bin/sh
# The CI recipes in examples/ci/ stay usable:
#
#  - .gitlab-ci.yml and github-workflow.yml parse as YAML (PyYAML,
#    Debian's python3-yaml, which .ci/run installs; without it this part
#    is skipped) and have the shape the recipe relies on: GitLab's JUnit
#    reports and a manual job, GitHub's environment for the approval;
#  - the Jenkinsfile's braces, brackets and parentheses pair up outside
#    strings and comments, and it has its junit and input steps;
#  - every "ensbatch COMMAND ..." line in them (comments aside) names a
#    command that "ensbatch --help" lists, and each of its options is one
#    that "ensbatch COMMAND --help" prints;
#  - each recipe validates, plans with --format markdown --out --report,
#    and applies with --plan --yes --report;
#  - the credentials come from the environment by name, and nothing
#    prints them (no echo of ALIBABA_CLOUD_*, no "set -x").
#
# Environment (set by make check): srcdir, ENSBATCH.
set -u
. "${srcdir:-.}/tests/lib.sh"

ci=$srcdir/examples/ci
RECIPES=".gitlab-ci.yml github-workflow.yml Jenkinsfile"

for f in $RECIPES; do
	if [ ! -f "$ci/$f" ]; then
		not_ok "no examples/ci/$f"
		finish
		exit 1
	fi
done

# ---------------------------------------------------------------- syntax

if python3 -c 'import yaml' 2>/dev/null; then
	if python3 - "$ci/.gitlab-ci.yml" "$ci/github-workflow.yml" \
	    >"$tmp/yaml.out" 2>&1 <<'END'
import sys
import yaml

def jobs_with(doc, pred):
    return [n for n, j in doc.items() if isinstance(j, dict) and pred(j)]

gitlab = yaml.safe_load(open(sys.argv[1]))
github = yaml.safe_load(open(sys.argv[2]))
bad = []
junit = jobs_with(gitlab, lambda j: "junit" in
    j.get("artifacts", {}).get("reports", {}))
if len(junit) < 2:
    bad.append("gitlab: want 2 jobs with artifacts:reports:junit, got %r"
        % junit)
manual = jobs_with(gitlab, lambda j: any(r.get("when") == "manual"
    for r in j.get("rules", [])))
if not manual:
    bad.append("gitlab: no manual job")
jobs = github.get("jobs", {})
if not jobs_with(jobs, lambda j: "environment" in j and "needs" in j):
    bad.append("github: no job waiting for an environment")
# PyYAML reads the key "on" as True.
on = github.get("on", github.get(True, {}))
if "pull_request" not in on:
    bad.append("github: not run on pull_request")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
END
	then
		ok "the YAML recipes parse and have their jobs"
	else
		not_ok "YAML recipes: $(cat "$tmp/yaml.out")"
	fi
else
	ok "# SKIP YAML parse: no python3-yaml"
fi

# Brackets of the Jenkinsfile, outside '...', "..." and // comments.
if awk '
	{
		n = length($0)
		for (i = 1; i <= n; i++) {
			c = substr($0, i, 1)
			if (q != "") {
				if (c == "\\") i++
				else if (c == q) q = ""
				continue
			}
			if (c == "/" && substr($0, i + 1, 1) == "/") break
			if (c == "\"" || c == "'\''") { q = c; continue }
			if (c == "{" || c == "[" || c == "(") st[++d] = c
			else if (c == "}" || c == "]" || c == ")") {
				o = d > 0 ? st[d--] : ""
				if (o == "" || (o == "{") != (c == "}") ||
				    (o == "[") != (c == "]")) {
					bad = 1
					exit
				}
			}
		}
		if (q != "") {
			bad = 1
			exit
		}
	}
	END { exit bad || d != 0 }' "$ci/Jenkinsfile"; then
	ok "the Jenkinsfile's brackets pair up"
else
	not_ok "the Jenkinsfile's brackets or quotes do not pair up"
fi
for step in "junit testResults: 'dry-run.xml'" \
    "junit testResults: 'apply.xml'" "input message:" "withCredentials("; do
	if grep -qF "$step" "$ci/Jenkinsfile"; then
		ok "Jenkinsfile has $step"
	else
		not_ok "Jenkinsfile lacks $step"
	fi
done

# -------------------------------------------------------------- commands

commands=$("$ENSBATCH" --help | awk '/^commands:/ { c = 1; next }
    c && /^[ \t]+[a-z]/ { print $1; next } c && !/^[ \t]/ { c = 0 }')
if [ -z "$commands" ]; then
	not_ok "ensbatch --help lists no commands"
fi

# The ensbatch command lines of a recipe, one a line: comments and
# continuation backslashes removed, cut at a quote that ends a shell
# string, a pipe, a redirection or a separator.
command_lines() {
	sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*\/\//d' "$1" |
	    sed -e ':a' -e '/\\$/N' -e 's/\\\n//' -e 'ta' |
	    grep -o "ensbatch [a-z][^'|>;&]*" | tr -d '"'
}

for f in $RECIPES; do
	command_lines "$ci/$f" >"$tmp/lines"
	seen=
	while read -r _ cmd args; do
		if ! printf '%s\n' "$commands" | grep -qxF "$cmd"; then
			not_ok "$f: ensbatch $cmd: no such command"
			continue
		fi
		"$ENSBATCH" "$cmd" --help >"$tmp/help" 2>&1
		bad=
		for a in $args; do
			case $a in
			-*)	o=${a%%=*}
				grep -Eq -- "(^|[^-[:alnum:]])$o([^-[:alnum:]]|\$)" \
				    "$tmp/help" || bad="$bad $o" ;;
			esac
		done
		if [ -n "$bad" ]; then
			not_ok "$f: ensbatch $cmd has no option$bad"
		else
			ok "$f: ensbatch $cmd $args"
		fi
		seen="$seen
$cmd $args "
	done <"$tmp/lines"

	for want in "validate " "plan --format markdown --out --report" \
	    "apply --plan --yes --report"; do
		cmd=${want%% *}
		missing=
		for o in ${want#"$cmd"}; do
			printf '%s\n' "$seen" | grep "^$cmd " |
			    grep -qF -- " $o " || missing="$missing $o"
		done
		if printf '%s\n' "$seen" | grep -q "^$cmd " &&
		    [ -z "$missing" ]; then
			ok "$f runs $want"
		else
			not_ok "$f: no 'ensbatch $cmd' with$missing"
		fi
	done

	for v in ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET; do
		if grep -q "$v" "$ci/$f"; then
			ok "$f passes $v"
		else
			not_ok "$f does not pass $v"
		fi
	done
	if grep -Eq 'echo[^#]*ALIBABA_CLOUD|set -[a-z]*x|printenv|\benv\b *$' \
	    "$ci/$f"; then
		not_ok "$f may print the credentials"
	else
		ok "$f prints no credentials"
	fi
done

finish
