#!/bin/sh
# Integration test of ensbatch-sim with the curl CLI: error bodies,
# limits, signatures (V1 signed here with openssl), faults, the request
# log, --emit-manifest, usage errors, --drop and --corrupt, and HTTPS
# with a certificate made for the test.  ENSBATCH_SIM names the simulator (absolute path);
# without it the test is skipped.  Needs curl and jq (tools/bootstrap
# installs both); the signed and HTTPS checks are skipped without openssl.
set -u

: "${srcdir:=.}"
if [ -z "${ENSBATCH_SIM:-}" ]; then
	echo "SKIP: ENSBATCH_SIM is not set"
	exit 77
fi
for tool in curl jq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found"
		exit 77
	fi
done
have_openssl=0
command -v openssl >/dev/null 2>&1 && have_openssl=1

passed=0
failed=0
pid=
port=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-sim-test.XXXXXX") || exit 1

cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
}

# check NAME COMMAND...: ok when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# start_sim NAME ARGS...: start in the background, wait (at most ~10 s)
# for the port file; sets pid and port.
start_sim() {
	sname=$1
	shift
	rm -f "$tmp/$sname.port"
	"$ENSBATCH_SIM" --listen 127.0.0.1:0 --port-file "$tmp/$sname.port" \
	    "$@" 2>"$tmp/$sname.stderr" &
	pid=$!
	i=0
	while [ ! -s "$tmp/$sname.port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "# ensbatch-sim did not start:" >&2
			cat "$tmp/$sname.stderr" >&2
			wait "$pid" 2>/dev/null
			pid=
			return 1
		fi
		sleep 0.1
	done
	port=$(cat "$tmp/$sname.port")
}

# stop_sim: SIGTERM, then the exit status must be 0.
stop_sim() {
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	pid=
	return "$status"
}

# req NAME CURL-ARGS...: body in $tmp/NAME.body, headers in
# $tmp/NAME.headers, HTTP status in $code.
req() {
	rname=$1
	shift
	code=$(curl -sS --max-time 20 -o "$tmp/$rname.body" \
	    -D "$tmp/$rname.headers" -w '%{http_code}' "$@") || code=000
}

# body_is NAME FILTER: a jq filter that must be true of the body.
body_is() {
	jq -e "$2" "$tmp/$1.body" >/dev/null 2>&1
}

# The error body format of the ENS API.
error_shape='(.RequestId | type == "string" and length > 0) and
    .HostId == "ens.aliyuncs.com" and (.Code | type == "string") and
    (.Message | type == "string") and
    .Recommend == "https://api.aliyun.com/troubleshoot?q=\(.Code)"'

# header_id NAME: the x-acs-request-id header equals the body's RequestId.
header_id() {
	hid=$(tr -d '\r' <"$tmp/$1.headers" |
	    sed -n 's/^[Xx]-[Aa][Cc][Ss]-[Rr]equest-[Ii]d: //p')
	[ -n "$hid" ] && body_is "$1" ".RequestId == \"$hid\""
}

is_4xx() {
	[ "$code" -ge 400 ] && [ "$code" -lt 500 ]
}

json_type() {
	tr -d '\r' <"$tmp/$1.headers" |
	    grep -qi '^content-type: application/json'
}

utc_now() {
	date -u +%Y-%m-%dT%H:%M:%SZ
}

# v1_query SECRET ACTION NONCE TIMESTAMP EXTRA: a V1-signed query string
# (SPEC section 6).  EXTRA is "Key=encoded-value&" pairs that sort
# between Action and Format, or empty.  Values here need no encoding
# besides ':' in the timestamp.
v1_query() {
	ts=$(printf '%s' "$4" | sed 's/:/%3A/g')
	canon="AccessKeyId=ensbatch-sim&Action=$2&${5}Format=JSON"
	canon="$canon&SignatureMethod=HMAC-SHA1&SignatureNonce=$3"
	canon="$canon&SignatureVersion=1.0&Timestamp=$ts&Version=2017-11-10"
	sts="POST&%2F&$(printf '%s' "$canon" |
	    sed 's/%/%25/g; s/=/%3D/g; s/&/%26/g')"
	sig=$(printf '%s' "$sts" |
	    openssl dgst -sha1 -hmac "$1&" -binary | openssl base64 -A |
	    sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
	printf '%s&Signature=%s' "$canon" "$sig"
}

# batch_query NONCE EVENT: a V1-signed immediate BatchEventRebootInstance
# of one event.
batch_query() {
	infos="%5B%7B%22EventId%22%3A%22$2%22%2C"
	infos="$infos%22OpsType%22%3A%22immediate%22%7D%5D"
	v1_query ensbatch-sim-secret BatchEventRebootInstance "$1" \
	    "$(utc_now)" "EventInfos=$infos&"
}

# v1_sign ACTION KEY=VALUE...: a V1-signed query string for any
# parameters (values raw here, percent-encoded with jq's @uri), with a
# nonce made of $nonce_count (which call increments: this runs in a
# subshell).
nonce_count=0
v1_sign() {
	action=$1
	shift
	ts=$(utc_now | sed 's/:/%3A/g')
	{
		printf 'AccessKeyId=ensbatch-sim\nAction=%s\n' "$action"
		printf 'Format=JSON\nSignatureMethod=HMAC-SHA1\n'
		printf 'SignatureNonce=sign-%s-%s\n' "$$" "$nonce_count"
		printf 'SignatureVersion=1.0\nTimestamp=%s\n' "$ts"
		printf 'Version=2017-11-10\n'
		for kv in "$@"; do
			printf '%s=%s\n' "${kv%%=*}" \
			    "$(jq -rn --arg v "${kv#*=}" '$v | @uri')"
		done
	} | LC_ALL=C sort >"$tmp/canon"
	canon=$(paste -sd '&' "$tmp/canon")
	sts="POST&%2F&$(printf '%s' "$canon" |
	    sed 's/%/%25/g; s/=/%3D/g; s/&/%26/g')"
	sig=$(printf '%s' "$sts" |
	    openssl dgst -sha1 -hmac "ensbatch-sim-secret&" -binary |
	    openssl base64 -A | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
	printf '%s&Signature=%s' "$canon" "$sig"
}

# call NAME ACTION KEY=VALUE...: a signed request to the simulator on
# $port, answered as req does.
call() {
	cname=$1
	shift
	nonce_count=$((nonce_count + 1))
	req "$cname" -X POST "http://127.0.0.1:$port/?$(v1_sign "$@")"
}

# retry COMMAND...: run it every 0.1 s, at most 150 times, until it
# succeeds.
retry() {
	w=0
	while [ "$w" -lt 150 ]; do
		"$@" && return 0
		w=$((w + 1))
		sleep 0.1
	done
	return 1
}

# call_is NAME FILTER ACTION KEY=VALUE...: call, then body_is.
call_is() {
	ciname=$1
	cifilter=$2
	shift 2
	call "$ciname" "$@" && body_is "$ciname" "$cifilter"
}

# wait_body NAME FILTER ACTION KEY=VALUE...: repeat the call (at most
# 15 s) until the jq filter is true of its answer.
wait_body() {
	retry call_is "$@"
}

# wait_log FILE FILTER: wait (at most 15 s) until the jq filter is true
# of the slurped log.
wait_log() {
	retry log_is "$@"
}

now_ms() {
	date +%s%3N
}

# log_is FILE FILTER: a jq filter that must be true of the whole log
# (slurped into an array).
log_is() {
	jq -e -s "$2" "$1" >/dev/null 2>&1
}

# ----------------------------------------------------- usage errors

"$ENSBATCH_SIM" --no-such-flag >/dev/null 2>"$tmp/usage.err"
status=$?
check "unknown flag: exit 2" [ "$status" -eq 2 ]
check "unknown flag: usage on stderr" grep -q '^usage: ensbatch-sim' \
    "$tmp/usage.err"

"$ENSBATCH_SIM" --listen 192.0.2.1:0 >/dev/null 2>&1
check "non-loopback --listen: exit 2" [ "$?" -eq 2 ]

"$ENSBATCH_SIM" --throttle 2 >/dev/null 2>&1
check "--throttle out of range: exit 2" [ "$?" -eq 2 ]

"$ENSBATCH_SIM" --drop 1.5 >/dev/null 2>"$tmp/drop.err"
check "--drop 1.5: exit 2" [ "$?" -eq 2 ]
check "--drop 1.5: says why" grep -q -- '--drop must be a probability' \
    "$tmp/drop.err"

"$ENSBATCH_SIM" --corrupt -0.1 >/dev/null 2>&1
check "--corrupt -0.1: exit 2" [ "$?" -eq 2 ]

"$ENSBATCH_SIM" --help >"$tmp/help.out" 2>&1
check "--help: exit 0" [ "$?" -eq 0 ]

"$ENSBATCH_SIM" --version >"$tmp/version.out" 2>&1
check "--version: exit 0" [ "$?" -eq 0 ]
check "--version: ensbatch-sim VERSION" grep -Eq \
    '^ensbatch-sim [0-9]+\.[0-9]+' "$tmp/version.out"

for bad in "--reboot-fail 2" "--stuck -1" "--lag -1s" "--lag soon" \
    "--fault-seed x" "--reboot-seconds 1.5x" "--reboot-seconds 90000"; do
	# shellcheck disable=SC2086
	"$ENSBATCH_SIM" $bad >/dev/null 2>"$tmp/bad.err"
	check "$bad: exit 2, says why" sh -c \
	    '[ "$1" -eq 2 ] && grep -q -- "${2%% *} must" "$3"' sh "$?" \
	    "$bad" "$tmp/bad.err"
done

cat >"$tmp/bad-fleet.yaml" <<'EOF'
events:
  - event: e-00000000000000000000000000000001
    resource: i-badfleet01
    colour: red
EOF
"$ENSBATCH_SIM" --fleet "$tmp/bad-fleet.yaml" >/dev/null 2>"$tmp/fleet.err"
status=$?
check "unknown fleet key: exit 2" [ "$status" -eq 2 ]
check "unknown fleet key: FILE:LINE:COL" grep -q \
    "bad-fleet.yaml:4:5: error: unknown key \"colour\"" "$tmp/fleet.err"

cat >"$tmp/bad-outcome.yaml" <<'EOF'
events:
  - event: e-00000000000000000000000000000001
    resource: i-badfleet01
    outcome: maybe
    lag: soon
EOF
"$ENSBATCH_SIM" --fleet "$tmp/bad-outcome.yaml" >/dev/null \
    2>"$tmp/outcome.err"
check "bad outcome and lag: exit 2" [ "$?" -eq 2 ]
check "bad outcome: located" grep -q \
    "bad-outcome.yaml:4:14: error: outcome must be ok, failed or stuck" \
    "$tmp/outcome.err"
check "bad lag: located" grep -q "bad-outcome.yaml:5:10: error: lag:" \
    "$tmp/outcome.err"

# ------------------------------------------------------------- HTTP

cat >"$tmp/fleet.yaml" <<'EOF'
events:
  - event: e-0000000000000000000000000000000a
    resource: i-simtest0001
    status: Executed
  - event: e-0000000000000000000000000000000b
    resource: i-simtest0002
  - event: e-0000000000000000000000000000000c
    resource: n-simtest0003
    status: Scheduled
    not_before: 2099-01-01T00:00:00Z
  - event: e-0000000000000000000000000000000d
    resource: i-simtest0004
    type: SystemMaintenance.Redeploy
EOF

if start_sim http --fleet "$tmp/fleet.yaml" --log "$tmp/requests.jsonl" \
    --emit-manifest "$tmp/manifest.yaml"; then
	ok "starts and writes the port file"
	nreq=0
	base="http://127.0.0.1:$port"

	check "announces the endpoint" grep -q \
	    "^ensbatch-sim: listening on $base\$" "$tmp/http.stderr"

	req unsigned -X POST "$base/?Action=DescribeHistoryEvents"
	nreq=$((nreq + 1))
	check "unsigned: HTTP 400" [ "$code" = 400 ]
	check "unsigned: MissingParameter or IncompleteSignature" body_is \
	    unsigned '.Code == "MissingParameter" or
	    .Code == "IncompleteSignature"'
	check "unsigned: error body fields" body_is unsigned "$error_shape"
	check "unsigned: JSON content type" json_type unsigned
	check "unsigned: x-acs-request-id header" header_id unsigned

	req get "$base/"
	nreq=$((nreq + 1))
	check "GET /: 4xx" is_4xx
	check "GET /: JSON error body" body_is get "$error_shape"

	req path -X POST "$base/other"
	nreq=$((nreq + 1))
	check "other path: JSON error body" body_is path "$error_shape"

	long=$(head -c 70000 /dev/zero | tr '\0' a)
	req long -X POST "$base/?Action=DescribeHistoryEvents&x=$long"
	nreq=$((nreq + 1))
	check "query over 64 KiB: 4xx" is_4xx
	check "query over 64 KiB: JSON error body" body_is long \
	    "$error_shape"

	head -c 1100000 /dev/zero >"$tmp/big.bin"
	req bigbody --data-binary @"$tmp/big.bin" "$base/"
	nreq=$((nreq + 1))
	check "body over 1 MiB: HTTP 413" [ "$code" = 413 ]

	date=$(utc_now)
	sha_empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	signed="host;x-acs-action;x-acs-content-sha256;x-acs-date"
	signed="$signed;x-acs-signature-nonce;x-acs-version"
	for who in ensbatch-sim nobody; do
		req "v3-$who" -X POST \
		    -H "Authorization: ACS3-HMAC-SHA256 Credential=$who,SignedHeaders=$signed,Signature=0123456789abcdef" \
		    -H "x-acs-action: DescribeHistoryEvents" \
		    -H "x-acs-version: 2017-11-10" \
		    -H "x-acs-date: $date" \
		    -H "x-acs-signature-nonce: nonce-$who" \
		    -H "x-acs-content-sha256: $sha_empty" \
		    "$base/?EventTypes=Instance%3ASystemMaintenance.Reboot"
		nreq=$((nreq + 1))
	done
	check "bad V3 signature: SignatureDoesNotMatch" body_is \
	    v3-ensbatch-sim '.Code == "SignatureDoesNotMatch"'
	check "bad V3 signature: HTTP 400" [ "$(sed -n 1p \
	    "$tmp/v3-ensbatch-sim.headers" | cut -d' ' -f2)" = 400 ]
	check "unknown V3 key id: InvalidAccessKeyId.NotFound" body_is \
	    v3-nobody '.Code == "InvalidAccessKeyId.NotFound"'

	req bad-authz -X POST -H "Authorization: Basic Zm9vOmJhcg==" "$base/"
	nreq=$((nreq + 1))
	check "other Authorization scheme: IncompleteSignature" body_is \
	    bad-authz '.Code == "IncompleteSignature"'

	# Two requests on one connection: keep-alive.
	conns=$(curl -sS --max-time 20 -o /dev/null -o /dev/null \
	    -w '%{num_connects}\n' "$base/" "$base/" | tr '\n' ' ')
	nreq=$((nreq + 2))
	check "keep-alive: one connection for two requests" \
	    [ "$conns" = "1 0 " ]

	if [ "$have_openssl" = 1 ]; then
		et='EventTypes=Instance%3ASystemMaintenance.Reboot&'
		q=$(v1_query ensbatch-sim-secret DescribeHistoryEvents n1 \
		    "$(utc_now)" "$et")
		req v1 -X POST "$base/?$q"
		nreq=$((nreq + 1))
		check "V1 signed DescribeHistoryEvents: HTTP 200" \
		    [ "$code" = 200 ]
		check "V1 signed DescribeHistoryEvents: reboot events" \
		    body_is v1 '.TotalCount == 3 and
		    ([.Events[].EventId] == ["e-0000000000000000000000000000000a",
		    "e-0000000000000000000000000000000b",
		    "e-0000000000000000000000000000000c"]) and
		    .Events[0].EventStatus == "Executed" and
		    .Events[2].NotBefore == 4070908800000'
		req v1-again -X POST "$base/?$q"
		nreq=$((nreq + 1))
		check "V1 nonce reused: SignatureNonceUsed" body_is v1-again \
		    '.Code == "SignatureNonceUsed"'
		q=$(v1_query wrong-secret DescribeHistoryEvents n2 \
		    "$(utc_now)" "$et")
		req v1-wrong -X POST "$base/?$q"
		nreq=$((nreq + 1))
		check "V1 wrong secret: SignatureDoesNotMatch" body_is \
		    v1-wrong '.Code == "SignatureDoesNotMatch"'
		q=$(v1_query ensbatch-sim-secret DescribeHistoryEvents n3 \
		    2000-01-01T00:00:00Z "$et")
		req v1-old -X POST "$base/?$q"
		nreq=$((nreq + 1))
		check "V1 clock skew: InvalidTimeStamp.Expired" body_is \
		    v1-old '.Code == "InvalidTimeStamp.Expired"'
		q=$(v1_query ensbatch-sim-secret DescribeRegions n4 \
		    "$(utc_now)" "")
		req v1-action -X POST "$base/?$q"
		nreq=$((nreq + 1))
		check "V1 unknown action: InvalidAction.NotFound" body_is \
		    v1-action '.Code == "InvalidAction.NotFound"'
	else
		echo "# openssl not found: V1 signed checks skipped"
	fi

	check "--emit-manifest: a manifest" grep -q '^ensbatch: 1' \
	    "$tmp/manifest.yaml"
	check "--emit-manifest: the endpoint" grep -Eq \
	    "endpoint: \"?$base\"?\$" "$tmp/manifest.yaml"
	check "--emit-manifest: the eligible events" sh -c '
	    grep -q "event: e-0000000000000000000000000000000b" "$1" &&
	    grep -q "resource: i-simtest0002" "$1" &&
	    grep -q "event: e-0000000000000000000000000000000c" "$1" &&
	    grep -q "resource: n-simtest0003" "$1" &&
	    ! grep -q "e-0000000000000000000000000000000a" "$1" &&
	    ! grep -q "e-0000000000000000000000000000000d" "$1"' sh \
	    "$tmp/manifest.yaml"
	if [ -n "${ENSBATCH:-}" ] && [ -x "$ENSBATCH" ]; then
		check "--emit-manifest: ensbatch validate accepts it" \
		    "$ENSBATCH" validate -q "$tmp/manifest.yaml"
	fi

	if stop_sim; then ok "SIGTERM: exit 0"; else not_ok "SIGTERM: exit 0"; fi
	lines=$(wc -l <"$tmp/requests.jsonl" | tr -d ' ')
	check "log: one line per request ($nreq)" [ "$lines" -eq "$nreq" ]
	check "log: every line a JSON object with the fields" sh -c '
	    jq -e -s "length == $2 and all(.[]; has(\"seq\") and
	    has(\"time\") and .remote == \"127.0.0.1\" and has(\"method\") and
	    has(\"action\") and has(\"signature\") and has(\"access_key_id\")
	    and (.http_status | type == \"number\") and has(\"code\") and
	    (.request_id | type == \"string\") and has(\"fault\") and
	    (.items | type == \"array\")) and
	    ([.[].seq] == [range(1; $2 + 1)])" "$1" >/dev/null' sh \
	    "$tmp/requests.jsonl" "$nreq"
	check "log: no secret" sh -c '! grep -q "ensbatch-sim-secret" "$1"' \
	    sh "$tmp/requests.jsonl"
	check "log: the request ids answered" grep -q \
	    "\"request_id\":\"$(jq -r .RequestId "$tmp/unsigned.body")\"" \
	    "$tmp/requests.jsonl"
else
	not_ok "starts and writes the port file"
fi

# ----------------------------------------------------------- faults

if [ "$have_openssl" = 1 ]; then
	et='EventTypes=Instance%3ASystemMaintenance.Reboot&'
	if start_sim throttle --generate 2 --throttle 1 \
	    --log "$tmp/throttle.jsonl"; then
		base="http://127.0.0.1:$port"
		req t-unsigned -X POST "$base/"
		check "--throttle: a bad request is still reported as such" \
		    body_is t-unsigned '.Code == "MissingParameter"'
		q=$(v1_query ensbatch-sim-secret DescribeHistoryEvents t1 \
		    "$(utc_now)" "$et")
		req throttled -X POST "$base/?$q"
		check "--throttle 1: Throttling.User, HTTP 400" \
		    [ "$code" = 400 ]
		check "--throttle 1: Throttling.User body" body_is throttled \
		    '.Code == "Throttling.User" and .Message ==
		    "Request was denied due to user flow control."'
		stop_sim
		check "--throttle: logged as a fault" sh -c \
		    'tail -n 1 "$1" | jq -e ".fault == \"throttle\"" >/dev/null' \
		    sh "$tmp/throttle.jsonl"
	else
		not_ok "starts with --throttle"
	fi
	if start_sim fail --generate 2 --fail 1; then
		base="http://127.0.0.1:$port"
		q=$(v1_query ensbatch-sim-secret DescribeHistoryEvents f1 \
		    "$(utc_now)" "$et")
		req failed -X POST "$base/?$q"
		check "--fail 1: HTTP 503 ServiceUnavailable" \
		    [ "$code" = 503 ]
		check "--fail 1: error body" body_is failed \
		    '.Code == "ServiceUnavailable"'
		stop_sim
	else
		not_ok "starts with --fail"
	fi
fi

# --------------------------------------------------- drop and corrupt

cat >"$tmp/faults.yaml" <<'EOF'
events:
  - event: e-000000000000000000000000000000f1
    resource: i-simfault0001
  - event: e-000000000000000000000000000000f2
    resource: i-simfault0002
  - event: e-000000000000000000000000000000f3
    resource: i-simfault0003
  - event: e-000000000000000000000000000000f4
    resource: i-simfault0004
  - event: e-000000000000000000000000000000f5
    resource: i-simfault0005
  - event: e-000000000000000000000000000000f6
    resource: i-simfault0006
EOF
ev=e-000000000000000000000000000000f
et='EventTypes=Instance%3ASystemMaintenance.Reboot&'

if start_sim drop --fleet "$tmp/faults.yaml" --drop 1 \
    --log "$tmp/drop.jsonl"; then
	base="http://127.0.0.1:$port"
	req d-unsigned -X POST "$base/"
	check "--drop 1: an unsigned request still gets its error" \
	    body_is d-unsigned '.Code == "MissingParameter"'
	if [ "$have_openssl" = 1 ]; then
		q=$(batch_query d1 "${ev}1")
		curl -sS --max-time 20 -o "$tmp/dropped.body" -X POST \
		    "$base/?$q" 2>"$tmp/dropped.err"
		status=$?
		check "--drop 1: reboot answered by an empty reply (curl 52)" \
		    [ "$status" -eq 52 ]
		check "--drop 1: nothing received" [ ! -s "$tmp/dropped.body" ]
		# A dropped request then another: the second gets its
		# answer, on a new connection.
		q=$(batch_query d2 "${ev}2")
		curl -sS --max-time 20 -o /dev/null -o "$tmp/after.body" \
		    -w '%{num_connects}\n' -X POST "$base/?$q" "$base/" \
		    >"$tmp/after.conns" 2>/dev/null
		check "--drop 1: the next request gets its answer" \
		    body_is after '.Code == "MissingParameter"'
		check "--drop 1: ... on a new connection" \
		    [ "$(tr '\n' ' ' <"$tmp/after.conns")" = "1 1 " ]
		q=$(v1_query ensbatch-sim-secret DescribeHistoryEvents d3 \
		    "$(utc_now)" "$et")
		curl -sS --max-time 20 -o /dev/null -X POST "$base/?$q" \
		    2>/dev/null
		check "--drop 1: DescribeHistoryEvents dropped too" \
		    [ "$?" -eq 52 ]
	fi
	if stop_sim; then ok "--drop: SIGTERM exit 0"
	else not_ok "--drop: SIGTERM exit 0"; fi
	check "--drop: the unsigned request logged without a fault" \
	    log_is "$tmp/drop.jsonl" '.[0].code == "MissingParameter" and
	    .[0].fault == null'
	if [ "$have_openssl" = 1 ]; then
		check "--drop: dropped reboots logged as applied" \
		    log_is "$tmp/drop.jsonl" '[.[] | select(.action ==
		    "BatchEventRebootInstance")] | length == 2 and
		    all(.[]; .fault == "drop" and .http_status == 200 and
		    .items[0].code == 200 and .items[0].effective == true)'
		check "--drop: the read logged as dropped" \
		    log_is "$tmp/drop.jsonl" '.[-1].action ==
		    "DescribeHistoryEvents" and .[-1].fault == "drop"'
	fi
else
	not_ok "starts with --drop"
fi

if [ "$have_openssl" = 1 ]; then
	if start_sim corrupt --fleet "$tmp/faults.yaml" --corrupt 1 \
	    --seed 3 --log "$tmp/corrupt.jsonl"; then
		base="http://127.0.0.1:$port"
		html=0
		nores=0
		bad=0
		for i in 1 2 3 4 5 6; do
			req "c$i" -X POST "$base/?$(batch_query "c$i" "$ev$i")"
			if [ "$code" != 200 ]; then
				bad=$((bad + 1))
			elif ! jq -e . "$tmp/c$i.body" >/dev/null 2>&1; then
				html=$((html + 1))
			elif body_is "c$i" 'has("Results") | not'; then
				nores=$((nores + 1))
			else
				bad=$((bad + 1))
			fi
		done
		check "--corrupt 1: every reboot answer 200 and unusable" \
		    [ "$bad" -eq 0 ]
		check "--corrupt 1: both non-JSON and JSON without Results" \
		    [ "$((html > 0 && nores > 0))" = 1 ]
		q=$(v1_query ensbatch-sim-secret DescribeHistoryEvents c7 \
		    "$(utc_now)" "$et")
		req c-describe -X POST "$base/?$q"
		check "--corrupt 1: DescribeHistoryEvents 200, not JSON" sh -c \
		    '[ "$1" = 200 ] && ! jq -e . "$2" >/dev/null 2>&1' sh \
		    "$code" "$tmp/c-describe.body"
		stop_sim
		check "--corrupt: reboots logged as applied" \
		    log_is "$tmp/corrupt.jsonl" 'map(select(.type ==
		    "request")) | length == 7 and
		    all(.[]; .fault == "corrupt") and
		    ([.[].items[].effective] == [true, true, true, true, true,
		    true])'
	else
		not_ok "starts with --corrupt"
	fi

	# The same seed and requests give the same faults.
	# --fault-seed, when given, decides instead of --seed.
	for run in 1 2 3 4; do
		case $run in
		1|2)	seeds="--seed 5" ;;
		3)	seeds="--seed 77 --fault-seed 5" ;;
		4)	seeds="--seed 5 --fault-seed 6" ;;
		esac
		# shellcheck disable=SC2086
		if start_sim "seed$run" --fleet "$tmp/faults.yaml" \
		    --drop 0.4 --corrupt 0.4 $seeds \
		    --log "$tmp/seed$run.jsonl"; then
			base="http://127.0.0.1:$port"
			for i in 1 2 3 4 5 6; do
				curl -sS --max-time 20 -o /dev/null -X POST \
				    "$base/?$(batch_query "s$run$i" "$ev$i")" \
				    2>/dev/null
			done
			stop_sim
		fi
		jq -c 'select(.type == "request") | .fault' \
		    "$tmp/seed$run.jsonl" >"$tmp/seed$run.faults" 2>/dev/null
	done
	check "--seed: the same drops and corruptions twice" sh -c '
	    [ "$(wc -l <"$1")" -eq 6 ] && cmp -s "$1" "$2" &&
	    grep -q drop "$1" && grep -q corrupt "$1"' sh \
	    "$tmp/seed1.faults" "$tmp/seed2.faults"
	check "--fault-seed: the request faults follow it, not --seed" \
	    cmp -s "$tmp/seed1.faults" "$tmp/seed3.faults"
	check "--fault-seed: another one, other request faults" sh -c \
	    '! cmp -s "$1" "$2"' sh "$tmp/seed1.faults" "$tmp/seed4.faults"
fi

# -------------------------------------------------- DescribeInstances

if [ "$have_openssl" = 1 ]; then
	if start_sim di --generate 25; then
		call di-all DescribeInstances
		check "DescribeInstances: HTTP 200" [ "$code" = 200 ]
		check "DescribeInstances: Code 0, paging, first page of 10" \
		    body_is di-all '.Code == 0 and .TotalCount == 25 and
		    .PageNumber == 1 and .PageSize == 10 and
		    (.RequestId | length > 0) and
		    (.Instances.Instance | length == 10)'
		check "DescribeInstances: the instance fields" body_is di-all \
		    'all(.Instances.Instance[];
		    (.InstanceId | startswith("i-")) and
		    (.InstanceName | type == "string") and
		    (.HostName | type == "string") and .Status == "Running" and
		    (.EnsRegionId | type == "string") and
		    (.SpecName | type == "string"))'
		call di-p3 DescribeInstances PageNumber=3
		check "DescribeInstances: page 3 of 10 has 5" body_is di-p3 \
		    '.TotalCount == 25 and .PageNumber == 3 and
		    (.Instances.Instance | length == 5)'
		call di-p4 DescribeInstances PageNumber=4
		check "DescribeInstances: page 4 is empty" body_is di-p4 \
		    '.TotalCount == 25 and .Instances.Instance == []'
		call di-100 DescribeInstances PageSize=100
		call di-events DescribeHistoryEvents \
		    EventTypes=SystemMaintenance.Reboot PageSize=100
		jq -c '[.Instances.Instance[].InstanceId]' \
		    "$tmp/di-100.body" >"$tmp/di-ids" 2>/dev/null
		jq -c '[.Events[].ResourceId]' "$tmp/di-events.body" \
		    >"$tmp/ev-ids" 2>/dev/null
		check "DescribeInstances: PageSize 100, the fleet's ids" \
		    sh -c '[ "$(jq length "$1")" = 25 ] && cmp -s "$1" "$2"' \
		    sh "$tmp/di-ids" "$tmp/ev-ids"
		# DescribeHistoryEvents pages, through its indices or not.
		call de-p3 DescribeHistoryEvents \
		    EventTypes=Instance:SystemMaintenance.Reboot PageNumber=3
		check "DescribeHistoryEvents: page 3 of 10 has 5" \
		    body_is de-p3 '.TotalCount == 25 and
		    (.Events | length == 5)'
		jq -c '[.Events[].EventId][20:]' "$tmp/di-events.body" \
		    >"$tmp/de-last"
		check "DescribeHistoryEvents: page 3 is the last 5" sh -c \
		    '[ "$(jq -c "[.Events[].EventId]" "$1")" = "$(cat "$2")" ]' \
		    sh "$tmp/de-p3.body" "$tmp/de-last"
		call de-st DescribeHistoryEvents \
		    EventTypes=SystemMaintenance.Reboot,SystemMaintenance.Redeploy \
		    EventStatus=Inquiring,Executed PageSize=20 PageNumber=2
		check "DescribeHistoryEvents: two types, a status, page 2" \
		    body_is de-st '.TotalCount == 25 and (.Events | length == 5)'
		call de-none DescribeHistoryEvents \
		    EventTypes=SystemMaintenance.Redeploy
		check "DescribeHistoryEvents: a type with no events" \
		    body_is de-none '.TotalCount == 0 and .Events == []'
		for bad in PageSize=101 PageSize=0 PageNumber=0 PageSize=x; do
			call di-bad DescribeInstances "$bad"
			check "DescribeInstances $bad: 400 InvalidParameter" \
			    sh -c '[ "$1" = 400 ] && jq -e "$2 and
			    (.Code | startswith(\"InvalidParameter.Page\"))" \
			    "$3" >/dev/null' sh "$code" "$error_shape" \
			    "$tmp/di-bad.body"
		done
		first=$(jq -r '.[0]' "$tmp/di-ids")
		third=$(jq -r '.[2]' "$tmp/di-ids")
		call di-empty DescribeInstances 'InstanceIds=[]'
		check "InstanceIds []: matches nothing" body_is di-empty \
		    '.Code == 0 and .TotalCount == 0 and
		    .Instances.Instance == []'
		some="[\"$third\",\"i-nosuchinstance\",\"$first\",\"$third\"]"
		call di-some DescribeInstances "InstanceIds=$some"
		check "InstanceIds: known ones once, in fleet order" \
		    body_is di-some ".TotalCount == 2 and
		    [.Instances.Instance[].InstanceId] ==
		    [\"$first\", \"$third\"]"
		ids100=$(jq -c '[range(100) | "i-unknown\(.)"]' -n)
		ids101=$(jq -c '[range(101) | "i-unknown\(.)"]' -n)
		call di-100ids DescribeInstances "InstanceIds=$ids100"
		check "InstanceIds: 100 ids are allowed" body_is di-100ids \
		    '.Code == 0 and .TotalCount == 0'
		call di-101ids DescribeInstances "InstanceIds=$ids101"
		check "InstanceIds: 101 ids, 400 InvalidParameter" sh -c \
		    '[ "$1" = 400 ] &&
		    jq -e "$2 and .Code == \"InvalidParameter\"" "$3" \
		    >/dev/null' \
		    sh "$code" "$error_shape" \
		    "$tmp/di-101ids.body"
		for bad in '[' '{"a":1}' '[1]' 'i-x'; do
			call di-badjson DescribeInstances "InstanceIds=$bad"
			check "InstanceIds $bad: 400 InvalidParameter" sh -c \
			    '[ "$1" = 400 ] && jq -e "$2 and
			    .Code == \"InvalidParameter\" and
			    (.Message | contains(\"InstanceIds\"))" \
			    "$3" >/dev/null' sh "$code" "$error_shape" \
			    "$tmp/di-badjson.body"
		done
		call di-one DescribeInstances "InstanceId=$third"
		check "InstanceId: that one" body_is di-one \
		    ".TotalCount == 1 and
		    .Instances.Instance[0].InstanceId == \"$third\""
		call di-none DescribeInstances InstanceId=i-nosuchinstance
		check "InstanceId unknown: none" body_is di-none \
		    '.TotalCount == 0 and .Instances.Instance == []'
		call di-run DescribeInstances Status=Running PageSize=5
		check "Status Running: all 25 counted, a page of 5" \
		    body_is di-run '.TotalCount == 25 and
		    (.Instances.Instance | length == 5)'
		call di-stopped DescribeInstances Status=Stopped
		check "Status Stopped: none" body_is di-stopped \
		    '.TotalCount == 0'
		call di-status DescribeInstances Status=Sleeping
		check "Status unknown: 400 InvalidParameter.Status" \
		    body_is di-status '.Code == "InvalidParameter.Status"'
		stop_sim
	else
		not_ok "starts for DescribeInstances"
	fi
fi

# ---------------------------------------------------------- lifecycle

cat >"$tmp/life.yaml" <<'EOF'
events:
  - event: e-000000000000000000000000000000a1
    resource: i-simlife0001
  - event: e-000000000000000000000000000000a2
    resource: i-simlife0002
  - event: e-000000000000000000000000000000a3
    resource: i-simlife0003
  - event: e-000000000000000000000000000000a4
    resource: i-simlife0003
EOF
la=e-000000000000000000000000000000a
rt=EventTypes=SystemMaintenance.Reboot

# immediate_infos EVENT...: EventInfos for immediate reboots.
immediate_infos() {
	printf '%s\n' "$@" | jq -R '{EventId: ., OpsType: "immediate"}' |
	    jq -s -c .
}

# event_is NAME FILTER: the first event of a DescribeHistoryEvents answer.
event_is() {
	body_is "$1" ".Events[0] | $2"
}

# instance_is NAME STATUS: the first instance of a DescribeInstances answer.
instance_is() {
	body_is "$1" ".Instances.Instance[0].Status == \"$2\""
}

if [ "$have_openssl" = 1 ]; then
	if start_sim life --fleet "$tmp/life.yaml" --reboot-seconds 2 \
	    --log "$tmp/life.jsonl"; then
		call l-inst DescribeInstances
		check "one instance per resource" body_is l-inst \
		    '.TotalCount == 3 and [.Instances.Instance[].InstanceId] ==
		    ["i-simlife0001", "i-simlife0002", "i-simlife0003"]'

		# Immediate: Executing and Starting for 2 s, then
		# Executed and Running.
		t0=$(now_ms)
		call l-reboot BatchEventRebootInstance \
		    "EventInfos=$(immediate_infos "${la}1")"
		check "immediate reboot accepted" body_is l-reboot \
		    '.Results[0].Code == 200'
		call l-ev1 DescribeHistoryEvents "$rt" \
		    ResourceIds=i-simlife0001
		call l-in1 DescribeInstances 'InstanceIds=["i-simlife0001"]'
		t1=$(now_ms)
		if [ $((t1 - t0)) -lt 2000 ]; then
			check "immediate: event Executing" event_is l-ev1 \
			    '.EventStatus == "Executing"'
			check "immediate: instance Starting" instance_is \
			    l-in1 Starting
		else
			echo "# too slow to see Executing ($((t1 - t0)) ms)"
		fi
		check "immediate: instance Running in the end" wait_body \
		    l-in1 '.Instances.Instance[0].Status == "Running"' \
		    DescribeInstances 'InstanceIds=["i-simlife0001"]'
		t2=$(now_ms)
		call l-ev1 DescribeHistoryEvents "$rt" \
		    ResourceIds=i-simlife0001
		check "immediate: event Executed" event_is l-ev1 \
		    '.EventStatus == "Executed"'
		check "immediate: Running not before 2 s" \
		    [ $((t2 - t0)) -ge 2000 ]

		# Scheduled: Scheduled with NotBefore = PlanTime, then the
		# same from PlanTime on.
		plan=$(($(now_ms) + 1500))
		sched="{\"EventId\":\"${la}2\",\"OpsType\":\"scheduled\""
		call l-sched BatchEventRebootInstance \
		    "EventInfos=[$sched,\"PlanTime\":$plan}]"
		check "scheduled reboot accepted" body_is l-sched \
		    '.Results[0].Code == 200'
		call l-ev2 DescribeHistoryEvents "$rt" \
		    ResourceIds=i-simlife0002
		check "scheduled: Scheduled, NotBefore = PlanTime" event_is \
		    l-ev2 ".EventStatus == \"Scheduled\" and
		    .NotBefore == $plan"
		call l-in2 DescribeInstances InstanceId=i-simlife0002
		check "scheduled: instance Running until PlanTime" \
		    instance_is l-in2 Running
		check "scheduled: Executing from PlanTime" wait_body l-ev2 \
		    '.Events[0].EventStatus != "Scheduled"' \
		    DescribeHistoryEvents "$rt" ResourceIds=i-simlife0002
		check "scheduled: not before PlanTime" \
		    [ "$(now_ms)" -ge "$plan" ]
		check "scheduled: Executed in the end" wait_body l-ev2 \
		    '.Events[0].EventStatus == "Executed"' \
		    DescribeHistoryEvents "$rt" ResourceIds=i-simlife0002
		call l-in2 DescribeInstances InstanceId=i-simlife0002
		check "scheduled: instance Running in the end" instance_is \
		    l-in2 Running

		# Two events of one instance: Starting while one executes.
		call l-reboot3 BatchEventRebootInstance \
		    "EventInfos=$(immediate_infos "${la}3")"
		call l-in3 DescribeInstances InstanceId=i-simlife0003
		call l-ev3 DescribeHistoryEvents "$rt" \
		    ResourceIds=i-simlife0003
		check "two events, one instance: both listed by resource" \
		    body_is l-ev3 '.TotalCount == 2'
		# Nothing asked now: the ticker logs the end by itself.
		check "log: a transition without any request" wait_log \
		    "$tmp/life.jsonl" "any(.[]; .type == \"transition\" and
		    .event == \"${la}3\" and .status == \"Executed\")"

		# Later calls of the same process see the final states.
		call l-final DescribeHistoryEvents "$rt" PageSize=100
		check "afterwards: the final states" body_is l-final \
		    '[.Events[].EventStatus] == ["Executed", "Executed",
		    "Executed", "Inquiring"]'
		call l-finali DescribeInstances
		check "afterwards: every instance Running" body_is l-finali \
		    'all(.Instances.Instance[]; .Status == "Running")'
		stop_sim

		log="$tmp/life.jsonl"
		check "log: transitions have their fields" log_is "$log" \
		    'map(select(.type == "transition")) | length == 7 and
		    all(.[]; (.time | type == "number") and
		    (.event | startswith("e-")) and
		    (.resource | startswith("i-")) and
		    (.status | type == "string") and
		    (.instance_status | type == "string") and
		    .visible == .time)'
		check "log: requests and transitions in time order" log_is \
		    "$log" '[.[].time] as $t | $t == ($t | sort)'
		check "log: immediate Executing/Starting at its request" \
		    log_is "$log" "(map(select(.type == \"request\" and
		    .items[0].event == \"${la}1\"))[0].time) as \$r |
		    any(.[]; .type == \"transition\" and .event == \"${la}1\"
		    and .status == \"Executing\" and
		    .instance_status == \"Starting\" and .time == \$r)"
		check "log: immediate Executed/Running 2 s later" log_is \
		    "$log" "[.[] | select(.event == \"${la}1\")] |
		    .[1].status == \"Executed\" and
		    .[1].instance_status == \"Running\" and
		    .[1].time - .[0].time == 2000"
		check "log: scheduled at the request, Executing at PlanTime" \
		    log_is "$log" "[.[] | select(.event == \"${la}2\")] |
		    [.[].status] == [\"Scheduled\", \"Executing\",
		    \"Executed\"] and .[1].time == $plan and
		    .[2].time == $plan + 2000"
		check "log: a transition follows the request that caused it" \
		    log_is "$log" "(map(.type == \"request\" and
		    .items[0].event == \"${la}1\") | index(true)) as \$i |
		    .[\$i + 1].type == \"transition\""
	else
		not_ok "starts for the lifecycle"
	fi
fi

# --clock-skew: PlanTimes and the lifecycle run on the skewed clock.
if [ "$have_openssl" = 1 ]; then
	if start_sim skew --fleet "$tmp/life.yaml" --reboot-seconds 3 \
	    --clock-skew 10m --log "$tmp/skew.jsonl"; then
		sched="{\"EventId\":\"${la}1\",\"OpsType\":\"scheduled\""
		soon=$(($(now_ms) + 3000))
		call k-past BatchEventRebootInstance \
		    "EventInfos=[$sched,\"PlanTime\":$soon}]"
		check "--clock-skew 10m: 3 s from the client's now is past" \
		    body_is k-past '.Results[0].Message |
		    startswith("InvalidPlanTime.Past")'
		plan=$(($(now_ms) + 600000 + 1500))
		call k-sched BatchEventRebootInstance \
		    "EventInfos=[$sched,\"PlanTime\":$plan}]"
		check "--clock-skew 10m: 10 min 1.5 s ahead is accepted" \
		    body_is k-sched '.Results[0].Code == 200'
		check "--clock-skew: it runs 1.5 s later (DescribeInstances)" \
		    wait_body k-in \
		    '.Instances.Instance[0].Status == "Starting"' \
		    DescribeInstances InstanceId=i-simlife0001
		call k-ev DescribeHistoryEvents "$rt" \
		    ResourceIds=i-simlife0001
		check "--clock-skew: ... and DescribeHistoryEvents agrees" \
		    event_is k-ev '.EventStatus == "Executing" or
		    .EventStatus == "Executed"'
		stop_sim
		check "--clock-skew: the log runs on the skewed clock" log_is \
		    "$tmp/skew.jsonl" ".[0].time >= $soon - 3000 + 600000 and
		    any(.[]; .type == \"transition\" and
		    .status == \"Executing\" and .time == $plan)"
	else
		not_ok "starts with --clock-skew"
	fi
fi

# ------------------------------------------------------ outcome faults

cat >"$tmp/outcomes.yaml" <<'EOF'
events:
  - event: e-000000000000000000000000000000b1
    resource: i-simout0001
    outcome: failed
  - event: e-000000000000000000000000000000b2
    resource: i-simout0002
    outcome: stuck
  - event: e-000000000000000000000000000000b3
    resource: i-simout0003
    outcome: ok
  - event: e-000000000000000000000000000000b4
    resource: i-simout0004
EOF
lb=e-000000000000000000000000000000b
all_final='all(.Events[]; .EventStatus == "Executed" or
    .EventStatus == "Failed")'

if [ "$have_openssl" = 1 ]; then
	for fault in reboot-fail stuck; do
		if start_sim "out-$fault" --fleet "$tmp/outcomes.yaml" \
		    --reboot-seconds 1 "--$fault" 1 \
		    --log "$tmp/out-$fault.jsonl"; then
			infos=$(immediate_infos "${lb}1" "${lb}2" "${lb}3" \
			    "${lb}4")
			call o-reboot BatchEventRebootInstance \
			    "EventInfos=$infos"
			check "--$fault 1: reboots accepted" body_is o-reboot \
			    '[.Results[].Code] == [200, 200, 200, 200]'
			check "--$fault 1: the reboots end" wait_body o-ev \
			    "$all_final" DescribeHistoryEvents "$rt"
			call o-in DescribeInstances
			if [ "$fault" = reboot-fail ]; then
				want='["Failed","Executed","Executed","Failed"]'
				wanti='["Running","Stopped","Running","Running"]'
			else
				want='["Failed","Executed","Executed","Executed"]'
				wanti='["Running","Stopped","Running","Stopped"]'
			fi
			check "--$fault 1: outcome per event, else by P" \
			    body_is o-ev "[.Events[].EventStatus] == $want"
			check "--$fault 1: instances after the reboots" \
			    body_is o-in \
			    "[.Instances.Instance[].Status] == $wanti"
			stop_sim
			check "--$fault 1: the log has the outcomes" log_is \
			    "$tmp/out-$fault.jsonl" "[.[] | select(.type ==
			    \"transition\" and .status != \"Executing\") |
			    .status] | sort == ($want | sort)"
		else
			not_ok "starts with --$fault"
		fi
	done

	# --lag: every status change shows late, a fleet's lag: overrides.
	cat >"$tmp/lag.yaml" <<'EOF'
events:
  - event: e-000000000000000000000000000000c1
    resource: i-simlag0001
  - event: e-000000000000000000000000000000c2
    resource: i-simlag0002
    lag: 3s
EOF
	lc=e-000000000000000000000000000000c
	if start_sim lag --fleet "$tmp/lag.yaml" --reboot-seconds 1 \
	    --lag 1s --log "$tmp/lag.jsonl"; then
		t0=$(now_ms)
		call g-reboot BatchEventRebootInstance \
		    "EventInfos=$(immediate_infos "${lc}1" "${lc}2")"
		call g-ev DescribeHistoryEvents "$rt"
		call g-in DescribeInstances
		if [ $(($(now_ms) - t0)) -lt 1000 ]; then
			check "--lag: still Inquiring just after the reboot" \
			    body_is g-ev 'all(.Events[]; .EventStatus ==
			    "Inquiring")'
			check "--lag: instances still Running" body_is g-in \
			    'all(.Instances.Instance[]; .Status == "Running")'
		else
			echo "# too slow to see the lag"
		fi
		check "--lag: Executed shows in the end" wait_body g-ev \
		    '.Events[0].EventStatus == "Executed"' \
		    DescribeHistoryEvents "$rt"
		t1=$(now_ms)
		check "--lag 1s: Executed shows after reboot + lag" \
		    [ $((t1 - t0)) -ge 2000 ]
		if [ $((t1 - t0)) -lt 4000 ]; then
			check "lag: 3s in the fleet: not shown yet" \
			    body_is g-ev '.Events[1].EventStatus != "Executed"'
		fi
		check "lag: 3s in the fleet: shown in the end" wait_body g-ev \
		    '.Events[1].EventStatus == "Executed"' \
		    DescribeHistoryEvents "$rt"
		check "lag: 3s: not before 4 s" \
		    [ $(($(now_ms) - t0)) -ge 4000 ]
		call g-in DescribeInstances "InstanceIds=[\"i-simlag0002\"]"
		check "lag: the instance Running in the end" instance_is g-in \
		    Running
		stop_sim
		check "--lag: transitions logged at once, visible later" \
		    log_is "$tmp/lag.jsonl" "[.[] | select(.type ==
		    \"transition\")] | length == 4 and all(.[];
		    .visible - .time == (if .event == \"${lc}1\" then 1000
		    else 3000 end))"
	else
		not_ok "starts with --lag"
	fi

	# --fault-seed: the same failures for the same seed, others for
	# another, in the same fleet.
	for run in 7a 7b 8; do
		if start_sim "fs$run" --generate 40 --reboot-seconds 0 \
		    --reboot-fail 0.5 --fault-seed "${run%[ab]}"; then
			call fs-list DescribeHistoryEvents "$rt" PageSize=100
			jq -c '[.Events[].EventId]' "$tmp/fs-list.body" \
			    >"$tmp/fs$run.ids"
			call fs-reboot BatchEventRebootInstance "EventInfos=$(
			    jq -c 'map({EventId: ., OpsType: "immediate"})' \
			    "$tmp/fs$run.ids")"
			call fs-after DescribeHistoryEvents "$rt" PageSize=100
			jq -c '[.Events[] | select(.EventStatus == "Failed") |
			    .EventId]' "$tmp/fs-after.body" \
			    >"$tmp/fs$run.failed"
			stop_sim
		fi
	done
	check "--fault-seed: the fleet does not change" sh -c '
	    [ "$(jq length "$1")" = 40 ] && cmp -s "$1" "$2" &&
	    cmp -s "$1" "$3"' sh "$tmp/fs7a.ids" "$tmp/fs7b.ids" "$tmp/fs8.ids"
	check "--fault-seed: some reboots fail, not all" sh -c '
	    n=$(jq length "$1"); [ "$n" -gt 0 ] && [ "$n" -lt 40 ]' sh \
	    "$tmp/fs7a.failed"
	check "--fault-seed: the same seed, the same failures" \
	    cmp -s "$tmp/fs7a.failed" "$tmp/fs7b.failed"
	check "--fault-seed: another seed, other failures" sh -c \
	    '! cmp -s "$1" "$2"' sh "$tmp/fs7a.failed" "$tmp/fs8.failed"
fi

# ------------------------------------------------------------ HTTPS

if [ "$have_openssl" = 1 ]; then
	if openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
	    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 &&
	    start_sim tls --generate 1 --tls-cert "$tmp/cert.pem" \
	    --tls-key "$tmp/key.pem"; then
		base="https://127.0.0.1:$port"
		check "HTTPS: announces https" grep -q \
		    "listening on $base\$" "$tmp/tls.stderr"
		req tls --cacert "$tmp/cert.pem" -X POST "$base/"
		check "HTTPS with --cacert: JSON error body" body_is tls \
		    "$error_shape"
		if curl -sS --max-time 20 -o /dev/null "$base/" \
		    2>"$tmp/tls-verify.err"; then
			not_ok "HTTPS without --cacert: verification fails"
		else
			ok "HTTPS without --cacert: verification fails"
		fi
		if stop_sim; then ok "HTTPS: SIGTERM exit 0"
		else not_ok "HTTPS: SIGTERM exit 0"; fi
	else
		not_ok "HTTPS: starts with a generated certificate"
	fi
else
	echo "# openssl not found: HTTPS checks skipped"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
