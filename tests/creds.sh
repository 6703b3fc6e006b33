#!/bin/sh
# Temporary credentials end to end: ensbatch gets them from loopback STS,
# metadata and credentials-URI services (tests/credsrv) and uses them
# against ensbatch-sim, which accepts only the key credsrv hands out.
# Each source of SPEC section 6 once; failures name the source and exit
# 3; renewal through tests/creds-probe; no secret in any output.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM,
# CREDSRV, CREDS_PROBE.
set -u
. "${srcdir:-.}/tests/lib.sh"

# What credsrv hands out, and so what the simulator accepts.
AK=STS.creds-itest
SECRET=SENTINEL-sts-secret-7d2e
. "${srcdir:-.}/tests/lib-sim.sh"

if [ -z "${CREDSRV:-}" ] || [ -z "${CREDS_PROBE:-}" ]; then
	echo "$0: needs CREDSRV and CREDS_PROBE; skipped"
	exit 77
fi

# The profile's own key, which signs AssumeRole, and the OIDC token.
KEY_ID=LTAI-creds-itest
KEY_SECRET=SENTINEL-signing-secret-91ab
OIDC_TOKEN=SENTINEL-oidc-jwt-44c1

unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
for v in ROLE_ARN OIDC_PROVIDER_ARN OIDC_TOKEN_FILE ROLE_SESSION_NAME \
    STS_REGION VPC_ENDPOINT_ENABLED ECS_METADATA ECS_METADATA_DISABLED \
    IMDSV1_DISABLED CREDENTIALS_URI STS_ENDPOINT IMDS_ENDPOINT; do
	unset "ALIBABA_CLOUD_$v"
done

srv_pid=
srv_port=

stop_credsrv() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	srv_pid=
}

trap 'stop_sim; stop_credsrv; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# start_credsrv ARGS...: a fresh credsrv and log on a free port, waited
# for (bounded); points STS and the metadata service at it.
start_credsrv() {
	stop_credsrv
	rm -f "$tmp/srv.port" "$tmp/srv.log"
	: >"$tmp/srv.log"
	"$CREDSRV" --port-file "$tmp/srv.port" --log "$tmp/srv.log" \
	    --key "$KEY_ID:$KEY_SECRET" --issue "$AK:$SECRET" \
	    --oidc-token "$OIDC_TOKEN" "$@" 2>>"$tmp/srv.err" &
	srv_pid=$!
	i=0
	while [ ! -s "$tmp/srv.port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$srv_pid" 2>/dev/null; then
			echo "# credsrv did not start:"
			sed 's/^/#   /' "$tmp/srv.err"
			srv_pid=
			return 1
		fi
		sleep 0.1
	done
	srv_port=$(cat "$tmp/srv.port")
	SRV="http://127.0.0.1:$srv_port"
	ALIBABA_CLOUD_STS_ENDPOINT=$SRV
	ALIBABA_CLOUD_IMDS_ENDPOINT=$SRV
	export ALIBABA_CLOUD_STS_ENDPOINT ALIBABA_CLOUD_IMDS_ENDPOINT
}



# calls PATTERN: how many requests of credsrv's log match.
calls() {
	grep -c -- "$1" "$tmp/srv.log" | tr -d ' '
}

# run ARGS...: ensbatch (or the probe with "probe ARGS..."), output
# kept for the sentinel check.
run() {
	if [ "$1" = probe ]; then
		shift
		timeout 60 "$CREDS_PROBE" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		timeout 60 "$ENSBATCH" "$@" >"$tmp/out" 2>"$tmp/err"
	fi
	status=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
}

CFG="$HOME/.aliyun/config.json"
mkdir -p "$HOME/.aliyun"
printf '%s\n' "$OIDC_TOKEN" >"$tmp/oidc-token"

# config PROFILE-JSON...: config.json with these profiles, "p" current.
config() {
	{
		printf '{"current": "p", "profiles": [\n'
		sep=
		for p in "$@"; do
			printf '%s  %s\n' "$sep" "$p"
			sep=,
		done
		printf ']}\n'
	} >"$CFG"
}

RRA="\"mode\": \"RamRoleArn\", \"access_key_id\": \"$KEY_ID\", \
\"access_key_secret\": \"$KEY_SECRET\", \
\"ram_role_arn\": \"acs:ram::1:role/maint\", \"ram_session_name\": \"ci-42\""

start_sim --generate 5 --seed 7 --emit-manifest "$tmp/m.yaml" || exit 1
start_credsrv --role ecs-maint || exit 1

# ------------------------------------------------------------- sources

config "{\"name\": \"p\", $RRA}"
run events --endpoint "$ENDPOINT" --format json
check "RamRoleArn profile: events exit 0" "$status" 0
check "RamRoleArn profile: the simulator's events" "$(jq length "$tmp/out")" 5
contains "RamRoleArn profile: AssumeRole signed with the profile's key" \
    "$tmp/srv.log" \
    "^AssumeRole ak=$KEY_ID role=acs:ram::1:role/maint session=ci-42 duration=3600 token=no$"

run validate --online --endpoint "$ENDPOINT" -v "$tmp/m.yaml"
check "RamRoleArn profile: validate --online exit 0" "$status" 0

config "{\"name\": \"p\", $RRA}" \
    "{\"name\": \"c\", \"mode\": \"ChainableRamRoleArn\", \
\"source_profile\": \"p\", \"ram_role_arn\": \"acs:ram::1:role/second\", \
\"expired_seconds\": 900}"
: >"$tmp/srv.log"
run events --endpoint "$ENDPOINT" --profile c
check "ChainableRamRoleArn: exit 0" "$status" 0
contains "ChainableRamRoleArn: the source profile's role first" \
    "$tmp/srv.log" "^AssumeRole ak=$KEY_ID role=acs:ram::1:role/maint"
contains "ChainableRamRoleArn: then its role, signed with the STS token" \
    "$tmp/srv.log" \
    "^AssumeRole ak=$AK role=acs:ram::1:role/second .*duration=900 token=yes$"

config "{\"name\": \"p\", \"mode\": \"EcsRamRole\", \"ram_role_name\": \"\"}"
: >"$tmp/srv.log"
run events --endpoint "$ENDPOINT"
check "EcsRamRole profile: exit 0" "$status" 0
contains "EcsRamRole profile: an IMDSv2 session token" "$tmp/srv.log" \
    "^imds-token ttl=21600$"
contains "EcsRamRole profile: the role's name asked for" "$tmp/srv.log" \
    "^imds-role token=yes$"
contains "EcsRamRole profile: the role's credentials" "$tmp/srv.log" \
    "^imds-creds role=ecs-maint token=yes$"

config "{\"name\": \"p\", \"mode\": \"OIDC\", \
\"ram_role_arn\": \"acs:ram::1:role/oidc\", \
\"oidc_provider_arn\": \"acs:ram::1:oidc-provider/gh\", \
\"oidc_token_file\": \"$tmp/oidc-token\"}"
: >"$tmp/srv.log"
run events --endpoint "$ENDPOINT"
check "OIDC profile: exit 0" "$status" 0
contains "OIDC profile: AssumeRoleWithOIDC" "$tmp/srv.log" \
    "^AssumeRoleWithOIDC role=acs:ram::1:role/oidc provider=acs:ram::1:oidc-provider/gh "

# The environment's sources, with no files at all.
rm -f "$CFG"
: >"$tmp/srv.log"
run probe
contains "OIDC environment: not without the variables" "$tmp/err" \
    "no credentials: "
(
	export ALIBABA_CLOUD_ROLE_ARN=acs:ram::1:role/gha
	export ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1:oidc-provider/gha
	export ALIBABA_CLOUD_OIDC_TOKEN_FILE="$tmp/oidc-token"
	export ALIBABA_CLOUD_ROLE_SESSION_NAME=gha-run-7
	run events --endpoint "$ENDPOINT"
	echo "$status" >"$tmp/status"
	run probe
)
check "OIDC environment: exit 0" "$(cat "$tmp/status")" 0
contains "OIDC environment: AssumeRoleWithOIDC with the session name" \
    "$tmp/srv.log" "^AssumeRoleWithOIDC role=acs:ram::1:role/gha .*session=gha-run-7$"
contains "OIDC environment: the source" "$tmp/out" \
    "^source: OIDC role arn acs:ram::1:role/gha (environment)$"

: >"$tmp/srv.log"
(
	export ALIBABA_CLOUD_ECS_METADATA=ecs-maint
	run events --endpoint "$ENDPOINT"
	echo "$status" >"$tmp/status"
	run probe
)
check "ALIBABA_CLOUD_ECS_METADATA: exit 0" "$(cat "$tmp/status")" 0
contains "ALIBABA_CLOUD_ECS_METADATA: the role's credentials" "$tmp/srv.log" \
    "^imds-creds role=ecs-maint token=yes$"
contains "ALIBABA_CLOUD_ECS_METADATA: the source" "$tmp/out" \
    "^source: ECS RAM role ecs-maint (ALIBABA_CLOUD_ECS_METADATA)$"

: >"$tmp/srv.log"
(
	export ALIBABA_CLOUD_CREDENTIALS_URI="$SRV/creds?auth=$KEY_SECRET"
	run events --endpoint "$ENDPOINT"
	echo "$status" >"$tmp/status"
	run probe
)
check "ALIBABA_CLOUD_CREDENTIALS_URI: exit 0" "$(cat "$tmp/status")" 0
check "ALIBABA_CLOUD_CREDENTIALS_URI: one GET per run" "$(calls '^uri$')" 2
contains "ALIBABA_CLOUD_CREDENTIALS_URI: the source, without the query" \
    "$tmp/out" "^source: credentials URI $SRV/creds (ALIBABA_CLOUD_CREDENTIALS_URI)$"

# ------------------------------------------------------------- renewal

config "{\"name\": \"p\", $RRA}"
: >"$tmp/srv.log"
run probe --margin 60 --at 0 --at 3000 --at 3590
check "renewal: exit 0" "$status" 0
contains "renewal: nothing to do an hour before expiry" "$tmp/out" \
    "^at +0s: kept key $AK$"
contains "renewal: nothing to do 10 minutes before" "$tmp/out" \
    "^at +3000s: kept key $AK$"
contains "renewal: renewed within the margin" "$tmp/out" \
    "^at +3590s: renewed key $AK$"
check "renewal: one AssumeRole to resolve, one to renew" \
    "$(calls '^AssumeRole ')" 2

start_credsrv --role ecs-maint --lifetime 30 || exit 1
run probe --margin 60 --at 0 --at 0
check "short Expiration: exit 0" "$status" 0
contains "short Expiration: renewed at once" "$tmp/out" "^at +0s: renewed"
check "short Expiration: every call renews" "$(calls '^AssumeRole ')" 3

# Renewal inside ensbatch: credentials that last 30 s (inside the 5 min
# margin) are renewed before each run of requests.
config "{\"name\": \"p\", $RRA}"
start_credsrv --role ecs-maint --lifetime 30 || exit 1
run validate --online --endpoint "$ENDPOINT" "$tmp/m.yaml"
check "renewal in ensbatch: validate --online exit 0" "$status" 0
n=$(calls '^AssumeRole ')
if [ "$n" -gt 1 ]; then
	ok "renewal in ensbatch: renewed before the requests ($n AssumeRole)"
else
	not_ok "renewal in ensbatch: renewed before the requests ($n AssumeRole)"
fi
run version -v
check "version -v: exit 0" "$status" 0
contains "version -v: names the source" "$tmp/out" \
    "^credentials: profile \"p\" ($CFG, RamRoleArn)$"

# A renewal that fails: quiet while the credentials are valid, then an
# error naming the source.
config "{\"name\": \"p\", \"mode\": \"OIDC\", \
\"ram_role_arn\": \"acs:ram::1:role/oidc\", \
\"oidc_provider_arn\": \"acs:ram::1:oidc-provider/gh\", \
\"oidc_token_file\": \"$tmp/oidc-token\"}"
start_credsrv --role ecs-maint || exit 1
run probe --remove "$tmp/oidc-token" --at 3590
check "renewal failing while valid: exit 0" "$status" 0
contains "renewal failing while valid: kept" "$tmp/out" "^at +3590s: kept"
printf '%s\n' "$OIDC_TOKEN" >"$tmp/oidc-token"
run probe --remove "$tmp/oidc-token" --at 3700
check "renewal failing after expiry: exit 3" "$status" 3
contains "renewal failing after expiry: names the source" "$tmp/err" \
    "^creds-probe: profile \"p\" ($CFG, OIDC): the credentials expired and renewing them failed: OIDC token file $tmp/oidc-token: no such file$"
printf '%s\n' "$OIDC_TOKEN" >"$tmp/oidc-token"

# ------------------------------------------------------------- failures

config "{\"name\": \"p\", $RRA}"
sed "s/$KEY_SECRET/SENTINEL-wrong-secret/" "$CFG" >"$CFG.new" &&
    mv "$CFG.new" "$CFG"
run events --endpoint "$ENDPOINT"
check "wrong signing secret: exit 3" "$status" 3
contains "wrong signing secret: names the source" "$tmp/err" \
    "profile \"p\" ($CFG, RamRoleArn): AssumeRole at $SRV: HTTP 400 SignatureDoesNotMatch"

start_credsrv --role ecs-maint --fail NoPermission || exit 1
config "{\"name\": \"p\", $RRA}"
run events --endpoint "$ENDPOINT"
check "failing STS: exit 3" "$status" 3
contains "failing STS: names the source and the code" "$tmp/err" \
    "^ensbatch events: profile \"p\" ($CFG, RamRoleArn): AssumeRole at $SRV: HTTP 403 NoPermission: The key $KEY_ID is refused (secret \*\*\*"
run validate --online --endpoint "$ENDPOINT" "$tmp/m.yaml"
check "failing STS: validate --online exit 3" "$status" 3
(
	export ALIBABA_CLOUD_ECS_METADATA=ecs-maint
	rm -f "$CFG"
	run events --endpoint "$ENDPOINT"
	echo "$status" >"$tmp/status"
)
check "failing metadata service: exit 3" "$(cat "$tmp/status")" 3
contains "failing metadata service: names the source" "$tmp/err" \
    "ECS RAM role ecs-maint (ALIBABA_CLOUD_ECS_METADATA): metadata service $SRV/latest/meta-data/ram/security-credentials/ecs-maint: HTTP 500 NoPermission: refused"

start_credsrv --role ecs-maint --lifetime -60 || exit 1
config "{\"name\": \"p\", $RRA}"
run events --endpoint "$ENDPOINT"
check "expired on arrival: exit 3" "$status" 3
contains "expired on arrival: said" "$tmp/err" "have already expired"

start_credsrv --role ecs-maint --imdsv2-only || exit 1
(
	export ALIBABA_CLOUD_ECS_METADATA=ecs-maint
	rm -f "$CFG"
	run events --endpoint "$ENDPOINT"
	echo "$status" >"$tmp/status"
)
check "IMDSv2-only service: exit 0 with a session token" \
    "$(cat "$tmp/status")" 0

: >"$tmp/srv.log"
(
	export ALIBABA_CLOUD_CREDENTIALS_URI="http://192.0.2.1/creds"
	rm -f "$CFG"
	run events --endpoint "$ENDPOINT"
	echo "$status" >"$tmp/status"
)
check "plain http to a non-loopback URI: exit 3" "$(cat "$tmp/status")" 3
contains "plain http to a non-loopback URI: said" "$tmp/err" \
    "plain http:// is allowed only for loopback"
check "plain http to a non-loopback URI: nothing asked" "$(calls .)" 0

# ------------------------------------------------------------- secrets

if grep -q SENTINEL "$tmp/all-output"; then
	not_ok "no secret in any output"
	grep -n SENTINEL "$tmp/all-output" | sed 's/^/#   /' | head -n 5
else
	ok "no secret in any output ($(wc -l <"$tmp/all-output" | tr -d ' ') lines)"
fi

stop_credsrv
stop_sim
finish
