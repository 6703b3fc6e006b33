# Shared by the tests that run ensbatch against ensbatch-sim (source it
# after lib.sh): test credentials in a private HOME, no proxies, and
# start_sim/stop_sim.  Set AK and SECRET first.

if [ -z "${ENSBATCH_SIM:-}" ] || ! command -v jq >/dev/null 2>&1; then
	echo "$0: needs ENSBATCH_SIM and jq; skipped"
	exit 77
fi

HOME="$tmp/home"
mkdir -p "$HOME"
ALIBABA_CLOUD_ACCESS_KEY_ID=$AK
ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SECRET
unset ALIBABA_CLOUD_SECURITY_TOKEN ALIBABA_CLOUD_PROFILE
export HOME ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
# Never reach a proxy: everything here is loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

sim_pid=
port=
ENDPOINT=

stop_sim() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	sim_pid=
}

# start_sim ARGS...: start on a free port, wait (bounded) for the port;
# sets port and ENDPOINT.  Reboots take no time unless ARGS say
# otherwise (--reboot-seconds S): tests that are not about settling
# should not wait for it.
start_sim() {
	stop_sim
	rm -f "$tmp/port"
	"$ENSBATCH_SIM" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	    --access-key "$AK:$SECRET" --reboot-seconds 0 "$@" \
	    2>>"$tmp/sim.err" &
	sim_pid=$!
	i=0
	while [ ! -s "$tmp/port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$sim_pid" 2>/dev/null; then
			echo "# ensbatch-sim did not start:"
			sed 's/^/#   /' "$tmp/sim.err"
			sim_pid=
			return 1
		fi
		sleep 0.1
	done
	port=$(cat "$tmp/port")
	ENDPOINT="http://127.0.0.1:$port"
}

# wait_file FILE: wait (at most 10 s) until FILE is not empty, e.g. the
# manifest that --emit-manifest writes once the fleet is made.
wait_file() {
	w=0
	while [ ! -s "$1" ] && [ "$w" -lt 100 ]; do
		w=$((w + 1))
		sleep 0.1
	done
	[ -s "$1" ]
}

# scheduled_manifest NAME EMITTED BATCH RATE [POLICY_LINE...]: on
# standard output, a manifest of one scheduled group "all" (policy
# "night", starting in 3 hours, a minute between batches of BATCH)
# holding every target of EMITTED (a manifest written by
# --emit-manifest), after the target lines in $first_targets if set.
# Each POLICY_LINE ("max_failures: 0") goes into the policy.
scheduled_manifest() {
	printf 'ensbatch: 1\nname: %s\napi:\n  endpoint: "%s"\n' "$1" \
	    "$ENDPOINT"
	printf '  rate: %s\n  retries: 4\npolicies:\n  night:\n' "$4"
	printf '    ops: scheduled\n    batch_size: %s\n' "$3"
	printf '    start: %s\n    stagger: 1m\n' \
	    "$(date -u -d '+3 hours' +%Y-%m-%dT%H:00:00Z)"
	emitted=$2
	shift 4
	for line in "$@"; do
		printf '    %s\n' "$line"
	done
	printf 'groups:\n  - name: all\n    policy: night\n    targets:\n'
	[ -n "${first_targets:-}" ] && printf '%s\n' "$first_targets"
	grep -E '^  - event: |^    resource: ' "$emitted" | sed 's/^/    /'
}
