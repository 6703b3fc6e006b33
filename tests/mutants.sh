#!/bin/sh
# tests/mutants.sh: mutation testing of the safety decisions.
#
# Each line of MUTANTS below is one mutation: a sed expression applied to
# one file of a scratch copy of the tree.  For each, only that file is
# recompiled, the unit test binary relinked and the named Check suite run
# (CK_RUN_SUITE); the mutant must make it fail ("killed").  A mutant that
# survives, or that no longer applies (the sed changed nothing), fails
# the script.  The tree itself is never touched.
#
# Add a mutation: one line "FILE @@ SUITE @@ SED-EXPRESSION @@ WHAT",
# e.g. for the runner:
#   src/runner.c @@ runner @@ s/#define MAX_SENDS\t3/#define MAX_SENDS\t100/ @@ MAX_SENDS 3 -> 100
# SUITE is a suite name of tests/unit (empty = all suites); no single
# quote in a line (the list is one quoted string).  Keep each
# expression specific enough to change exactly the line meant.
#
# Usage: tests/mutants.sh [-k] [-j N]   (from the source or build tree;
# srcdir/builddir in the environment override; -k keeps the scratch dir)
# Needs: a configured tree (config.h), cc, pkg-config, the libraries.
set -u

MUTANTS='
src/ens.c @@ ens @@ s/strcmp(code, "SignatureNonceUsed") != 0)/1)/ @@ SignatureNonceUsed on a reboot treated as final
src/ens.c @@ ens @@ s/if (api \&\& code != NULL \&\& status >= 400 \&\& status < 500 \&\&/if (status >= 400 \&\&/ @@ a 5xx HTML page taken as final
src/ens.c @@ ens @@ s/status >= 400 \&\& status < 500 \&\&/status >= 400 \&\& status < 600 \&\&/ @@ an API 5xx taken as final
src/ens.c @@ ens @@ s/(strncmp(code, "Throttling", 10) == 0 ||/(0 ||/ @@ Throttling not retried
src/ens.c @@ ens @@ s/(status == 503 \&\& strcmp(code, "ServiceUnavailable") == 0)))/(strcmp(code, "ServiceUnavailable") == 0)))/ @@ ServiceUnavailable retried whatever its status
src/ens.c @@ ens @@ s/if (strncmp(p, secrets\[i\], len\[i\]) == 0)/if (0)/ @@ redaction disabled
src/ens.c @@ ens @@ s/res->message = ens_member(it, "Message", cr);/res->message = ens_member(it, "Message", NULL);/ @@ STS token echoed in Results[].Message not masked
src/ens.c @@ ens @@ s/msg = ens_member(root, "Message", c->cfg.creds);/msg = ens_member(root, "Message", NULL);/ @@ secret echoed in an error Message not masked
src/ens.c @@ ens @@ s/else if (cp >= 0x20 \&\& cp != 0x7f \&\&/else if (cp != 0x7f \&\&/ @@ C0 control characters kept
src/ens.c @@ ens @@ s/if (cp == 0x1b || cp == 0x9b/if (cp == 0x9b/ @@ escape sequences kept
src/ens.c @@ ens @@ /^ens_judge_item/,/^}/s/^\t    !json_is_integer(v))/\t    0)/;/^ens_judge_item/,/^}/s/if (n == 200) {/if (n == 200 || !json_is_integer(v)) {/ @@ an unreadable Code taken as 200
src/ens.c @@ ens @@ /^ens_judge_item/,/^}/s/^\t\treturn (ENS_ITEM_UNKNOWN);/\t\treturn (ENS_ITEM_REFUSED);/ @@ an unreadable Code taken as a refusal
src/ens.c @@ ens @@ /^ens_judge_item/,/^}/s/^\treturn (ENS_ITEM_UNKNOWN);/\treturn (ENS_ITEM_REFUSED);/ @@ a per-target 5xx taken as a refusal
src/ens.c @@ ens @@ /"ResourceId"), item->resource) ||$/d @@ a mismatched ResourceId accepted
src/ens.c @@ ens @@ s/if (named\[k\]++ > 0) {/if (named[k]++ > 99) {/ @@ an item named twice taken at its first entry
src/ens.c @@ ens @@ s/v == ENS_V_RETRY \&\& j->reply->attempts <= c->cfg.retries/v == ENS_V_RETRY \&\& j->reply->attempts <= 1 + c->cfg.retries/ @@ one retry more than api.retries
src/ens.c @@ ens @@ s/return (rate > 1 ? rate \/ 2 : 1);/return (rate);/ @@ throttling does not lower the rate
src/ens.c @@ ens @@ s/if (timefmt_mono() - rd->begun > c->cfg.read_deadline_ms ||/if (0 \&\&/ @@ no paging deadline
src/ens.c @@ ens @@ /if (ens_parse_time(s, \&ms) == 0)$/{n;s/return (ms);/;/;} @@ NotBefore as a string read as none
src/ens.c @@ ens @@ s/return (ens_stopping(c) \&\& (!readonly || \*c->cfg.stop >= 2));/return (ens_stopping(c) \&\& readonly \&\& *c->cfg.stop >= 2);/ @@ a reboot call started after a signal
src/ens.c @@ ens @@ s/return (ens_stopping(c) \&\& (!readonly || \*c->cfg.stop >= 2));/return (ens_stopping(c));/ @@ no reconciling read after a first signal
src/http.c @@ http @@ s/return (sent == 0 ? HTTP_NOT_SENT : HTTP_UNKNOWN);/return (HTTP_NOT_SENT);/ @@ a connect error after bytes were sent classified as not sent
src/http.c @@ http @@ /^\tcase CURLE_SEND_ERROR:$/d @@ a send error with no byte counted classified as not sent
src/http.c @@ http @@ s/^\tif (too_big)$/\tif (0)/ @@ a cut-off answer classified as not sent
src/http.c @@ ens @@ s/curl_slist_append(t->headers, "Content-Type:")/curl_slist_append(t->headers, "X-Nothing:")/ @@ the default Content-Type of libcurl sent
src/settle.c @@ settle @@ s/int\tlate = now >= deadline;/int\tlate = now > deadline;/ @@ a target judged only after its deadline passed
src/settle.c @@ settle @@ s/if (settle_is(instance_status, "Running"))/if (1)/ @@ settled whatever the instance shows
src/settle.c @@ settle @@ s/if (settle_is(event_status, "Failed"))/if (0)/ @@ a Failed event not a failure
src/settle.c @@ settle @@ s/return (instance_status != NULL ? SETTLE_NOT_RUNNING :/return (1 ? SETTLE_NOT_RUNNING :/ @@ an unreadable instance taken as not running
src/settle.c @@ settle @@ s/if (scheduled \&\& not_before == plan_time \&\&/if (scheduled \&\&/ @@ a scheduled event confirmed whatever its NotBefore
src/settle.c @@ settle @@ s/return (before != NULL \&\& !settle_rebooting(before) ?/return (before != NULL ?/ @@ a rebooting event confirms a request although it was rebooting before
src/settle.c @@ settle @@ s/return (before != NULL \&\& !settle_rebooting(before) ?/return (1 ?/ @@ without preflight a rebooting event confirms a request
src/settle.c @@ settle @@ s/return (sends < SETTLE_MAX_SENDS);/return (sends < 100);/ @@ MAX_SENDS 3 -> 100
src/journal.c @@ journal @@ s/if (from_result \&\& s == JOURNAL_NOT_SENT/if (s == JOURNAL_NOT_SENT/ @@ a proven-untouched request no longer counts towards the bound
src/runner.c @@ runner @@ /^runner_item_state/,/^}/s/return (JOURNAL_FAILED);/return (JOURNAL_CONFIRMED);/ @@ a refused item taken as accepted
src/runner.c @@ runner @@ /^runner_item_state/,/^}/s/\t\treturn (JOURNAL_UNKNOWN);/\t\treturn (JOURNAL_FAILED);/ @@ an unknown item taken as a refusal
src/runner.c @@ runner @@ /^runner_item_state/,/^}/s/\tcase ENS_UNKNOWN:/\tcase ENS_UNKNOWN: return (JOURNAL_NOT_SENT);/ @@ an unknown outcome taken as not sent
src/plan.c @@ plan @@ /^plan_account_diff/,/^}/s/if (strcasecmp(planned->endpoint, run->endpoint) == 0 \&\&/if (1 \&\&/ @@ an approved plan runs against another endpoint
src/plan.c @@ plan @@ /^plan_account_diff/,/^}/s/if (strcasecmp(planned->endpoint,/if (strcmp(planned->endpoint,/ @@ the case of the endpoint host matters
src/plan.c @@ plan @@ /^plan_account_diff/,/^}/s/(planned->key != PLAN_KEY_PINNED || (run->key ==/(1 || (run->key ==/ @@ an approved plan runs with another access key
src/plan.c @@ plan @@ /^plan_account_diff/,/^}/s/^\t    run->key_sha256) == 0)))/\t    run->key_sha256) == 0 || strcmp(planned->key_masked, run->key_masked) == 0)))/ @@ keys masked alike taken as the same key
src/settle.c @@ settle @@ s/return (watched ? SETTLE_DOUBT_RESEND : SETTLE_DOUBT_STUCK);/return (SETTLE_DOUBT_RESEND);/ @@ resume: an untouched event resent after a window cut short
src/settle.c @@ settle @@ s/return (watched ? SETTLE_DOUBT_RESEND : SETTLE_DOUBT_STUCK);/return (watched ? SETTLE_DOUBT_RESEND : SETTLE_DOUBT_ADOPT);/ @@ resume: an untouched event adopted as accepted
src/settle.c @@ settle @@ /^settle_doubt/,/^}/s/^\treturn (SETTLE_DOUBT_STUCK);/\treturn (SETTLE_DOUBT_RESEND);/ @@ resume: a rebooting event without proof resent
src/settle.c @@ settle @@ /^settle_doubt/,/^}/s/return (SETTLE_DOUBT_FINAL);/return (SETTLE_DOUBT_RESEND);/ @@ resume: an event final some other way resent
src/settle.c @@ settle @@ /^settle_doubt/,/^}/s/return (SETTLE_DOUBT_FOLLOW);/return (SETTLE_DOUBT_RESEND);/ @@ resume: a confirmed request resent
src/settle.c @@ settle @@ s/if (adopt \&\& preflight \&\& settle_rebooting(status))/if (adopt \&\& settle_rebooting(status))/ @@ --adopt-status without the preflight
src/settle.c @@ settle @@ s/if (adopt \&\& preflight \&\& settle_rebooting(status))/if (preflight \&\& settle_rebooting(status))/ @@ adopted without the operator choosing --adopt-status
src/settle.c @@ settle @@ s/if (adopt \&\& preflight \&\& settle_rebooting(status))/if (adopt \&\& preflight)/ @@ an unreadable or un-requested event adopted
src/journal.c @@ journal @@ s/e->adopted = adopted \&\& s == JOURNAL_CONFIRMED;/e->adopted = adopted;/ @@ an adoption marked on a state that is not confirmed
src/journal.c @@ journal @@ /^\t\te->adopted = 0;$/d @@ a new request keeps the adoption of the last one
src/journal.c @@ journal @@ s/if (ad != NULL \&\& (!json_is_boolean(ad) ||/if (ad != NULL \&\& (0 ||/ @@ a reconcile record with a non-boolean adopted accepted
src/journal.c @@ journal @@ s/^\tjournal_set_detail(e, NULL, status);$/\t;/ @@ a reconcile written and read back disagree on the status
src/ens.c @@ ens @@ s|return (starts\[n - (size_t)cap\] + (1000 + windows - 1) / windows);|return (starts[n - (size_t)cap] + 1000 / windows);| @@ the rate window rounded down: more than api.rate a second
src/ens.c @@ ens @@ /^ens_rate_due/,/^}/s/\tcap = rate \/ 10;/\tcap = rate \/ 5;/ @@ the rate window twice as large a burst
src/diag.c @@ manifest @@ s/total == s->size \&\& strcmp(sha, s->sha256) == 0)/total == s->size)/ @@ a source line quoted from a file changed since it was checked
src/manifest.c @@ manifest @@ s/^\tdiags_rollback(l->diags, mark);$/\t;/ @@ diagnostics about bytes before a late bad byte kept
src/manifest.c @@ manifest @@ s/return (need > k ? k : 0);/return (0);/ @@ a character split between two chunks taken as bad
src/ens.c @@ ens @@ s/^\tif ((r->ngo > 0 || (r->judged \&\& ahead == r->ahead)) \&\&$/\tif (0 \&\&/ @@ reboot calls sent without their commit
src/ens.c @@ ens @@ s/^\t\tif (r->pipe->commit(r->pipe->arg) != 0) {$/\t\tif (r->pipe->commit(r->pipe->arg) < -1) {/ @@ calls sent although their commit failed
src/ens.c @@ ens @@ s/(r->pipe->go != NULL \&\& r->pipe->go(r->pipe->arg) != 0)) {/0) {/ @@ committed calls sent although go said no (the budget stopped the group)
src/journal.c @@ journal @@ s/if (!j->held \&\& journal_fsync(j) != 0)/if (0)/ @@ a record outside a group commit not fsync-ed
src/journal.c @@ journal @@ s/\tj->held = hold;/\tj->held = 0;/ @@ the group commit hold ignored
src/journal.c @@ journal @@ s/if (!j->unsynced)/if (0)/ @@ an fsync for nothing new
src/ens.c @@ ens @@ /^ens_send_ready/,/^}/s/^\tif (ens_halted(c, r->reads) ||$/\tif (0 ||/ @@ calls committed before a first signal still sent
src/ens.c @@ ens @@ /^ens_run(/,/^}/s/^\t\t\tens_unsend_ready(c, \&r);$/\t\t\t;/ @@ a committed call left neither sent nor ended when the run halts
src/ens.c @@ ens @@ /^ens_unsent/,/^}/s/^\t(void)j->final(c, j, NULL);$/\t;/ @@ a call held back at its commit never told to its caller
src/journal.c @@ journal @@ s/^\t\tj->broken = 1;$/\t\t;/ @@ an fsync that failed forgotten by the next one
src/rules.c @@ rules @@ s/rules_bytes_in(w, .0., .9.) |/rules_bytes_in(w, 0x30, 0x3a) |/ @@ a colon taken for a digit in the words of an id
src/rules.c @@ rules @@ s/rules_bytes_in(w, .a., last)) != RULES_HIGHS)/rules_bytes_in(w, 0x60, last)) != RULES_HIGHS)/ @@ a backquote taken for a letter in the words of an id
src/rules.c @@ rules @@ s/last = c == RULES_HEX ? .f. : .z.;/last = 0x7a;/ @@ g to z taken for hex digits in the words of an event id
src/rules.c @@ rules @@ s/(uint64_t)(0x7f - hi);/(uint64_t)(0x80 - hi);/ @@ the last character of a range refused in the words of an id
src/rules.c @@ rules @@ s/\[.y.\] = RULES_GZ, \[.z.\] = RULES_GZ/[0x79] = RULES_GZ/ @@ z refused past the words of a resource id
src/manifest.c @@ manifest @@ s/^\thash_update(mf->hash, b->data, (size_t)r);/\tif (mf->size < 1000000) hash_update(mf->hash, b->data, (size_t)r);/ @@ the SHA-256 of a large file missing its later blocks
src/ens.c @@ sanitize @@ s/(pct ||/(0 ||/ @@ the encoded STS token let through the plain-string shortcut
src/ens.c @@ sanitize @@ s/strstr(s, cr->access_key_secret) != NULL)/0)/ @@ the access key secret let through the plain-string shortcut
src/ens.c @@ sanitize @@ s/ || strstr(s, "string to sign") != NULL)/)/ @@ a V1 string to sign let through the plain-string shortcut
src/ens.c @@ sanitize @@ s/while (\*p >= 0x20 \&\& \*p < 0x7f)/while (*p != 0 \&\& *p < 0x7f)/ @@ control characters let through the plain-string shortcut
'

keep=0
jobs=2
while getopts kj: opt; do
	case $opt in
	k) keep=1 ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 [-k] [-j N]" >&2; exit 2 ;;
	esac
done

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${builddir:-$(pwd)}
test -f "$builddir/config.h" || builddir=$srcdir
if ! test -f "$builddir/config.h"; then
	echo "mutants.sh: no config.h: configure the tree first" >&2
	exit 2
fi
CC=${CC:-cc}
pkgs="yaml-0.1 libxml-2.0 jansson libcrypto libcurl check"
cflags="-std=c11 -O0 -w -DENSBATCH_TESTING -DTEST_SRCDIR=\"$srcdir\"
    -I$srcdir/include -I$builddir -I$srcdir/tests/unit
    $(pkg-config --cflags $pkgs)" || exit 2
libs="$(pkg-config --libs $pkgs) -lpthread" || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-mutants.XXXXXX") || exit 2
if test $keep = 0; then
	trap 'rm -rf "$tmp"' EXIT
	trap 'rm -rf "$tmp"; exit 130' INT TERM
fi
mkdir -p "$tmp/obj" "$tmp/src" "$tmp/tests/unit"

# The sources of the unit test binary: the library and tests/unit.
sources=$(cd "$srcdir" && ls src/*.c tests/unit/*.c | grep -v '^src/ensbatch\.c$')
for f in $sources; do
	cp "$srcdir/$f" "$tmp/$f" || exit 2
done

# Object name of a source file.
obj() {
	echo "$tmp/obj/$(echo "$1" | tr / _ | sed 's/\.c$/.o/')"
}

compile() {
	# shellcheck disable=SC2086
	$CC $cflags -c -o "$(obj "$1")" "$tmp/$1"
}

link() {
	# shellcheck disable=SC2086
	$CC -o "$tmp/check" "$tmp"/obj/*.o $libs
}

# run_suite SUITE: the unit tests of one suite, or all when it is empty.
run_suite() {
	if [ -n "$1" ]; then
		CK_RUN_SUITE=$1
		export CK_RUN_SUITE
	else
		unset CK_RUN_SUITE
	fi
	CK_VERBOSITY=silent timeout 300 "$tmp/check" >"$tmp/run.log" 2>&1
}

echo "mutants.sh: building the unit tests in $tmp"
export CC tmp cflags
for f in $sources; do echo "$f"; done | xargs -P "$jobs" -I{} sh -c '
	o="$tmp/obj/$(echo "{}" | tr / _ | sed "s/\.c\$/.o/")"
	$CC $cflags -c -o "$o" "$tmp/{}"' || { echo "mutants.sh: build failed" >&2; exit 2; }
link || { echo "mutants.sh: link failed" >&2; exit 2; }

killed=0
survived=0
broken=0
n=0
printf '%s\n' "$MUTANTS" | while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	echo "$line"
done >"$tmp/list"

# The unmutated suites must pass, or every mutant would look killed.
awk -F' @@ ' '{ print $2 }' "$tmp/list" | sort -u >"$tmp/suites"
while IFS= read -r suite; do
	if ! run_suite "$suite"; then
		echo "mutants.sh: suite $suite fails without mutation" >&2
		tail -n 20 "$tmp/run.log" >&2
		exit 2
	fi
done <"$tmp/suites"

while IFS= read -r line; do
	file=$(printf '%s' "$line" | awk -F' @@ ' '{ print $1 }')
	suite=$(printf '%s' "$line" | awk -F' @@ ' '{ print $2 }')
	expr=$(printf '%s' "$line" | awk -F' @@ ' '{ print $3 }')
	what=$(printf '%s' "$line" | awk -F' @@ ' '{ print $4 }')
	n=$((n + 1))
	if ! sed -e "$expr" "$srcdir/$file" >"$tmp/$file" ||
	    cmp -s "$srcdir/$file" "$tmp/$file"; then
		echo "mutant $n: $what ($file): DOES NOT APPLY"
		broken=$((broken + 1))
		cp "$srcdir/$file" "$tmp/$file"
		continue
	fi
	if ! compile "$file" 2>"$tmp/cc.log" || ! link 2>>"$tmp/cc.log"; then
		# A mutant that does not build is no test of the tests.
		echo "mutant $n: $what ($file): DOES NOT BUILD"
		sed -n 1,5p "$tmp/cc.log"
		broken=$((broken + 1))
	elif run_suite "$suite"; then
		echo "mutant $n: $what ($file): SURVIVED"
		survived=$((survived + 1))
	else
		echo "mutant $n: $what ($file): killed"
		killed=$((killed + 1))
	fi
	cp "$srcdir/$file" "$tmp/$file"
	compile "$file" || exit 2
done <"$tmp/list"
link || exit 2

echo "mutants.sh: $n mutants, $killed killed, $survived survived," \
    "$broken broken"
test $survived -eq 0 && test $broken -eq 0
