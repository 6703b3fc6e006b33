#!/bin/sh
# TLS session resumption under load: "ensbatch apply" of 30 scheduled
# reboot calls at --parallel 8 over HTTPS, each on a fresh connection,
# while busy loops keep both cores loaded, makes one full TLS handshake
# (the first connection's) and resumes on every other connection, as
# the simulator saw them.  OpenSSL marks a TLS 1.3 session not
# resumable once a handshake resumed it; libcurl 7.88 kept handing that
# session out until the next ticket came, and the connections started
# meanwhile (a window that load stretches) made full handshakes.
# Skipped without openssl, or when the simulator resumes no session at
# all (its libmicrohttpd offers no tickets).  apply -v counts the same
# full and resumed handshakes.
#
# Environment (set by make check): srcdir, ENSBATCH, ENSBATCH_SIM.
set -u
. "${srcdir:-.}/tests/lib.sh"

AK=tls-key
SECRET=tls-secret
. "${srcdir:-.}/tests/lib-sim.sh"

if ! command -v openssl >/dev/null 2>&1; then
	echo "$0: needs openssl; skipped"
	exit 77
fi

hogs=
stop_hogs() {
	for h in $hogs; do
		kill "$h" 2>/dev/null
		wait "$h" 2>/dev/null
	done
	hogs=
}
trap 'stop_hogs; stop_sim; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" >/dev/null 2>&1 || {
	echo "$0: cannot make a certificate; skipped"
	exit 77
}

calls=30
batch=20
start_sim --generate $((calls * batch)) --seed 7 --latency 20 \
    --log "$tmp/log.jsonl" --emit-manifest "$tmp/emitted.yaml" \
    --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" || exit 1
wait_file "$tmp/emitted.yaml" || { echo "# no manifest emitted"; exit 1; }
ENDPOINT="https://127.0.0.1:$port"
scheduled_manifest tls "$tmp/emitted.yaml" "$batch" 1000 \
    "max_failures: 100%" >"$tmp/m.yaml"

# Load: a busy loop per core (and one more), stopped right after apply.
for i in 1 2 3; do
	(while :; do :; done) &
	hogs="$hogs $!"
done
timeout 120 "$ENSBATCH" apply -v --yes --parallel 8 --cacert "$tmp/cert.pem" \
    --journal "$tmp/j.jsonl" --report "$tmp/r.xml" "$tmp/m.yaml" \
    >"$tmp/out" 2>"$tmp/err"
status=$?
stop_hogs
stop_sim

check "apply over HTTPS under load: exit 0" "$status" 0
reboots=$(jq -s '[.[] | select(.type == "request" and
    .action == "BatchEventRebootInstance")] | length' "$tmp/log.jsonl")
check "apply over HTTPS under load: $calls reboot calls" "$reboots" "$calls"
full=$(jq -s '[.[] | select(.handshake == "full")] | length' \
    "$tmp/log.jsonl")
resumed=$(jq -s '[.[] | select(.handshake == "resumed")] | length' \
    "$tmp/log.jsonl")
if [ "$resumed" -eq 0 ]; then
	echo "$0: the simulator resumed no TLS session ($full full" \
	    "handshakes): no session tickets; skipped"
	exit 77
fi
# Every reboot call came on a connection of its own.
conns=$(jq -s '[.[] | select(.action == "BatchEventRebootInstance" and
    .handshake != null)] | length' "$tmp/log.jsonl")
check "each reboot call on a fresh connection" "$conns" "$calls"
if [ "$full" -le 1 ]; then
	ok "one full TLS handshake ($full full, $resumed resumed)"
else
	at=$(jq -r 'select(.handshake == "full") | .seq' "$tmp/log.jsonl" |
	    tr '\n' ' ')
	not_ok "one full TLS handshake: $full full, at requests $at"
fi
# -v counts what the server did, not what the client offered.
check "-v counts the handshakes as the simulator saw them" \
    "$(sed -n 's/^ensbatch: TLS handshakes: \([0-9]*\) full, \([0-9]*\) resumed$/\1 \2/p' "$tmp/err")" \
    "$full $resumed"
finish
