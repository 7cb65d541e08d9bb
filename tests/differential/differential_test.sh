#!/usr/bin/env bash
# Issue 14: the differential corpus. generate.py signs ~170 zones (~680 cases) under a private
# root; tests/fixtures/hierarchy.sh serves them (one knotd per depth on 127.231.20.x:53, an
# iterating Unbound, a validating Unbound); the proxy forwards to the same iterating Unbound.
# compare.py asks both validators every case four ways and compares rcode, AD and data.
# Issue 21: then the forged pass. tests/forging/forging_upstream.py --generic relays to the same
# iterating Unbound and forges every reply (one forgery per question, chosen by a hash of
# qname+qtype); a second proxy and a second validating Unbound behind it are asked every case
# again: no forged record, no AD the genuine answer lacks, rcode/AD as Unbound's (except
# expected_forged.txt). Prints one line per case and "N passed, M failed" last. See
# tests/differential/README.md.
# usage: differential_test.sh PROXY_BINARY [KEEP_DIR]   (KEEP_DIR: keep the zones and logs there)
set -uo pipefail
PROXY=$1
HERE=$(cd "$(dirname "$0")" && pwd)
HIER=$HERE/../fixtures/hierarchy.sh
KEEP=${2:-}
W=${KEEP:-$(mktemp -d /tmp/differential.XXXXXX)}
mkdir -p "$W"
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UPSTREAM_PORT=$(port) REFERENCE_PORT=$(port) PROXY_PORT=$(port)
FORGE_PORT=$(port) FREF_PORT=$(port) FPROXY_PORT=$(port)
UPSTREAM_EXTRA="rrset-roundrobin: no"
export HIERARCHY_NET=${HIERARCHY_NET:-127.231.20} UPSTREAM_PORT REFERENCE_PORT UPSTREAM_EXTRA
proxy_pid= fproxy_pid= relay_pid=
cleanup() {
  [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null
  [[ -n $fproxy_pid ]] && kill "$fproxy_pid" 2>/dev/null
  [[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null
  [[ -f $W/fref.pid ]] && kill "$(cat "$W/fref.pid")" 2>/dev/null
  "$HIER" stop "$W/h" >/dev/null 2>&1
  [[ -n $KEEP ]] || rm -rf "$W"
}
trap cleanup EXIT
start=$(date +%s)
export DIFFERENTIAL_START=$start
fail() { echo "$*"; echo "0 passed, 1 failed"; exit 1; }

/usr/bin/python3 "$HERE/generate.py" "$W/h" 2>"$W/generate.log" || fail "generate.py: $(cat "$W/generate.log")"
cat "$W/generate.log"
"$HIER" start "$W/h" >"$W/start.log" 2>&1 || fail "hierarchy.sh start: $(cat "$W/start.log")"
"$PROXY" --listen "127.0.0.1:$PROXY_PORT" --upstream "127.0.0.1:$UPSTREAM_PORT" \
  --trust-anchor "$W/h/root-anchor.ds" --log-level info 2>"$W/proxy.log" &
proxy_pid=$!
# The forged side: the relay, the hierarchy's validating Unbound configured again to forward
# to it (as tests/forging/forging_test.sh does), and a second proxy.
rm -f "$W/forge.log"
/usr/bin/python3 "$HERE/../forging/forging_upstream.py" "$FORGE_PORT" "$UPSTREAM_PORT" \
  --generic "$W/h/cases.tsv" "$W/forge.log" >"$W/relay.out" 2>"$W/relay.err" &
relay_pid=$!
sed -e "s/port: $REFERENCE_PORT/port: $FREF_PORT/" -e "s/@$UPSTREAM_PORT/@$FORGE_PORT/" \
  -e "s|pidfile: .*|pidfile: \"$W/fref.pid\"|" -e "s|logfile: .*|logfile: \"$W/fref.log\"|" \
  "$W/h/run/unbound-reference.conf" >"$W/fref.conf"
unbound -c "$W/fref.conf" || fail "the Unbound behind the forging relay did not start"
"$PROXY" --listen "127.0.0.1:$FPROXY_PORT" --upstream "127.0.0.1:$FORGE_PORT" \
  --trust-anchor "$W/h/root-anchor.ds" --log-level "${FORGED_LOG_LEVEL:-info}" 2>"$W/fproxy.log" &
fproxy_pid=$!
for _ in $(seq 1 50); do
  dig +time=1 +tries=1 @127.0.0.1 -p "$PROXY_PORT" test. SOA >/dev/null 2>&1 &&
    dig +time=1 +tries=1 @127.0.0.1 -p "$FPROXY_PORT" ready.test. TXT >/dev/null 2>&1 &&
    dig +time=1 +tries=1 @127.0.0.1 -p "$FREF_PORT" ready.test. TXT >/dev/null 2>&1 && break
  sleep 0.2
done
echo "servers up after $(($(date +%s) - start)) s (zones and logs: $W)"
/usr/bin/python3 "$HERE/compare.py" "$PROXY_PORT" "$REFERENCE_PORT" "$W/h/cases.tsv" \
  "$HERE/expected_differences.txt" "${DIFFERENTIAL_JOBS:-12}" \
  --forged "$FPROXY_PORT" "$FREF_PORT" "$HERE/expected_forged.txt" "$W/forge.log"
