# Shared by the benchmarks (sourced after their options are read, with
# calls, batch and latency set, and me naming the script): the binaries,
# a temporary directory removed on exit, test credentials, a
# certificate, start_sim/stop_sim and median.

ensbatch=${ENSBATCH:-./ensbatch}
sim=${ENSBATCH_SIM:-./ensbatch-sim}
for p in "$ensbatch" "$sim"; do
	[ -x "$p" ] || { echo "$me: no $p: build first" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "needs openssl" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ensbatch-bench.XXXXXX")
sim_pid=
cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || :
		wait "$sim_pid" 2>/dev/null || :
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

AK=bench-ak
SECRET=bench-secret
HOME=$tmp/home
mkdir -p "$HOME"
# The run lock of apply lives there: benches run side by side.
XDG_RUNTIME_DIR=$tmp
export XDG_RUNTIME_DIR
ALIBABA_CLOUD_ACCESS_KEY_ID=$AK
ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SECRET
unset ALIBABA_CLOUD_SECURITY_TOKEN ALIBABA_CLOUD_PROFILE
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export HOME ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" >/dev/null 2>&1

targets=$((calls * batch))
start=$(date -u -d '+3 hours' +%Y-%m-%dT%H:00:00Z)

# start_sim SCHEME: a fresh fleet (every event Inquiring) on a free port.
start_sim() {
	rm -f "$tmp/port" "$tmp/log.jsonl" "$tmp/emitted.yaml"
	tls=
	[ "$1" = https ] && tls="--tls-cert $tmp/cert.pem --tls-key $tmp/key.pem"
	# shellcheck disable=SC2086
	"$sim" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	    --access-key "$AK:$SECRET" --generate "$targets" --seed 7 \
	    --latency "$latency" --log "$tmp/log.jsonl" \
	    --emit-manifest "$tmp/emitted.yaml" $tls 2>>"$tmp/sim.err" &
	sim_pid=$!
	w=0
	while [ ! -s "$tmp/port" ] || [ ! -s "$tmp/emitted.yaml" ]; do
		w=$((w + 1))
		if [ "$w" -gt 300 ] || ! kill -0 "$sim_pid" 2>/dev/null; then
			echo "$me: ensbatch-sim did not start" >&2
			cat "$tmp/sim.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	# One scheduled group of every target the simulator made.
	{
		printf 'ensbatch: 1\nname: bench\napi:\n'
		printf '  endpoint: %s://127.0.0.1:%s\n' "$1" "$(cat "$tmp/port")"
		printf '  rate: 1000\npolicies:\n  night:\n    ops: scheduled\n'
		printf '    batch_size: %s\n    start: %s\n' "$batch" "$start"
		printf '    stagger: 1m\n    max_failures: 100%%\n'
		printf 'groups:\n  - name: all\n    policy: night\n    targets:\n'
		grep -E '^  - event: |^    resource: ' "$tmp/emitted.yaml" |
		    sed 's/^/    /'
	} >"$tmp/m.yaml"
}

stop_sim() {
	kill "$sim_pid" 2>/dev/null || :
	wait "$sim_pid" 2>/dev/null || :
	sim_pid=
}

# median FILE: the middle value of a column of numbers.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

