#!/bin/sh
# An approved plan is pinned to its account: "plan --out" records the
# endpoint and the access key id (masked, and its SHA-256: never the id
# itself), and "apply --plan" against ensbatch-sim refuses (exit 2,
# "stale plan: planned for ... but running against ...", nothing sent)
# another key or another endpoint; a plan made without credentials (or
# with temporary ones) pins the endpoint only and runs with any key.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=pintest-key-0123456789
SECRET=pintest-SENTINEL-secret-5c
. "${srcdir:-.}/tests/lib-sim.sh"

trap 'stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# run DIR ARGS...: ensbatch in DIR (created); stdout, stderr in DIR/out,
# DIR/err, the exit status in $status.
run() {
	dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && timeout 60 "$ENSBATCH" "$@") >"$dir/out" 2>"$dir/err"
	status=$?
}

# requests: how many requests the simulator has logged.
requests() {
	wc -l <"$tmp/sim.jsonl" | tr -d ' '
}

start_sim --generate 6 --seed 3 --emit-manifest "$tmp/m.yaml" \
    --log "$tmp/sim.jsonl" || exit 1

# ------------------------------------------------ the plan file's account
run "$tmp/p1" plan --format markdown --out "$tmp/p1/plan.json" "$tmp/m.yaml"
check "plan --out with credentials: exit 0" "$status" 0
check "the plan file pins the endpoint" \
    "$(jq -r .account.endpoint "$tmp/p1/plan.json")" "$ENDPOINT/"
check "the plan file pins the key" \
    "$(jq -r .account.access_key "$tmp/p1/plan.json")" pinned
check "the plan file shows the key masked" \
    "$(jq -r .account.access_key_id "$tmp/p1/plan.json")" "pint****6789"
check "the plan file has the key's SHA-256" \
    "$(jq -r .account.access_key_id_sha256 "$tmp/p1/plan.json")" \
    "$(printf %s "$AK" | sha256sum | cut -d' ' -f1)"
lacks "the plan file does not carry the key id" "$tmp/p1/plan.json" "$AK"
lacks "the plan file does not carry the secret" "$tmp/p1/plan.json" "$SECRET"
contains_text "the Markdown plan names the endpoint" "$tmp/p1/out" \
    "- Endpoint: \`$ENDPOINT/\`"
contains_text "the Markdown plan shows the pinned key, masked" "$tmp/p1/out" \
    "- Access key: \`pint****6789\`, pinned"
lacks "the Markdown plan does not carry the key id" "$tmp/p1/out" "$AK"

# ------------------------------------------------ another key: refused
before=$(requests)
ALIBABA_CLOUD_ACCESS_KEY_ID=other-key-abcdefgh9999 \
    run "$tmp/a2" apply --yes --plan "$tmp/p1/plan.json" \
    --journal "$tmp/a2/j.jsonl" "$tmp/m.yaml"
check "apply --plan with another key: exit 2" "$status" 2
contains_text "another key: stale plan, both keys masked" "$tmp/a2/err" \
    "stale plan: planned for $ENDPOINT/ (key pint****6789) but running against $ENDPOINT/ (key othe****9999)"
lacks "another key: the key id is not shown" "$tmp/a2/err" \
    other-key-abcdefgh9999
check "another key: nothing was sent" "$(requests)" "$before"

# Another key with the same first and last characters: the hashes tell.
ALIBABA_CLOUD_ACCESS_KEY_ID=pintest-KEY-0123456789 \
    run "$tmp/a3" apply --yes --plan "$tmp/p1/plan.json" \
    --journal "$tmp/a3/j.jsonl" "$tmp/m.yaml"
check "apply --plan with a key masked alike: exit 2" "$status" 2
contains "a key masked alike: the SHA-256 prefixes differ" "$tmp/a3/err" \
    "(key pint\*\*\*\*6789, sha256 [0-9a-f]\{12\}\.\.\.) but running against .* (key pint\*\*\*\*6789, sha256 [0-9a-f]\{12\}\.\.\.)"
check "a key masked alike: nothing was sent" "$(requests)" "$before"

# ------------------------------------------------ another endpoint: refused
run "$tmp/p4" plan -q --endpoint http://127.0.0.1:1 \
    --out "$tmp/p4/plan.json" "$tmp/m.yaml"
check "plan --out --endpoint elsewhere: exit 0" "$status" 0
run "$tmp/a4" apply --yes --plan "$tmp/p4/plan.json" \
    --journal "$tmp/a4/j.jsonl" "$tmp/m.yaml"
check "apply --plan against another endpoint: exit 2" "$status" 2
contains_text "another endpoint: stale plan names both" "$tmp/a4/err" \
    "stale plan: planned for http://127.0.0.1:1/ (key pint****6789) but running against $ENDPOINT/ (key pint****6789)"
check "another endpoint: nothing was sent" "$(requests)" "$before"

# An old plan file without the account is refused.
jq 'del(.account)' "$tmp/p1/plan.json" >"$tmp/old.json"
run "$tmp/a5" apply --yes --plan "$tmp/old.json" \
    --journal "$tmp/a5/j.jsonl" "$tmp/m.yaml"
check "apply --plan, a plan file without account: exit 2" "$status" 2
contains_text "a plan file without account: make a new plan" "$tmp/a5/err" \
    "does not say which endpoint and account it was approved for"
check "a plan file without account: nothing was sent" "$(requests)" "$before"

# ------------------------------------------------ endpoint-only plans
# No credentials when planning (CI for a pull request): the endpoint
# alone is pinned, and any key at that endpoint runs it.
(
	unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
	run "$tmp/p6" plan --out "$tmp/p6/plan.json" "$tmp/m.yaml"
	echo "$status" >"$tmp/p6/status"
)
check "plan --out without credentials: exit 0" "$(cat "$tmp/p6/status")" 0
check "without credentials: no key pinned" \
    "$(jq -r '.account.access_key + " " + (.account.access_key_id // "null")' \
    "$tmp/p6/plan.json")" "none null"
contains_text "without credentials: plan says so" "$tmp/p6/err" \
    "the plan pins the endpoint only: no credentials"
contains_text "without credentials: the text plan says so" "$tmp/p6/out" \
    "Access key: not pinned (no credentials when planned)"

# Temporary credentials get a new id each session: not pinned either.
ALIBABA_CLOUD_SECURITY_TOKEN=sts-token-for-the-test \
    run "$tmp/p7" plan -q --out "$tmp/p7/plan.json" "$tmp/m.yaml"
check "plan --out with STS credentials: the key is temporary" \
    "$(jq -r .account.access_key "$tmp/p7/plan.json")" temporary

run "$tmp/a6" apply --yes --plan "$tmp/p6/plan.json" \
    --journal "$tmp/a6/j.jsonl" --report "$tmp/a6/r.xml" "$tmp/m.yaml"
check "apply --plan of an endpoint-only plan: exit 0" "$status" 0
contains_text "an endpoint-only plan: apply says the key is not checked" \
    "$tmp/a6/err" "pins the endpoint only, not the access key"
check "an endpoint-only plan: the targets were rebooted" \
    "$(jq -r 'select(.action == "BatchEventRebootInstance") | .items[]? |
    .event' "$tmp/sim.jsonl" | sort -u | wc -l | tr -d ' ')" 6

# ------------------------------------------------ the same key runs
# (its events are done by now: the preflight skips them, exit 0).
run "$tmp/a7" apply --yes --plan "$tmp/p1/plan.json" \
    --journal "$tmp/a7/j.jsonl" "$tmp/m.yaml"
check "apply --plan with the planned key: exit 0" "$status" 0
lacks "the planned key: no stale plan" "$tmp/a7/err" "stale plan"

# --profile chooses the credentials plan pins, as it does for apply.
mkdir -p "$HOME/.alibabacloud"
printf '[other]\ntype = access_key\naccess_key_id = profile-key-77778888\naccess_key_secret = s\n' \
    >"$HOME/.alibabacloud/credentials"
run "$tmp/p8" plan -q --profile other --out "$tmp/p8/plan.json" "$tmp/m.yaml"
check "plan --profile: that profile's key is pinned" \
    "$(jq -r .account.access_key_id "$tmp/p8/plan.json")" "prof****8888"

# A --profile that cannot be read is an error, as for apply: exit 3.
run "$tmp/p9" plan -q --profile nosuch --out "$tmp/p9/plan.json" "$tmp/m.yaml"
check "plan --profile NOSUCH --out: exit 3" "$status" 3
contains_text "plan --profile NOSUCH: says which" "$tmp/p9/err" \
    'profile "nosuch" not found'
if [ -e "$tmp/p9/plan.json" ]; then
	not_ok "plan --profile NOSUCH: a plan file was written"
else
	ok "plan --profile NOSUCH: no plan file"
fi

stop_sim
finish
