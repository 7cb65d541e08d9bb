#!/usr/bin/env bash
# Issue 14: the differential corpus. generate.py signs ~170 zones (~680 cases) under a private
# root; tests/fixtures/hierarchy.sh serves them (one knotd per depth on 127.231.20.x:53, an
# iterating Unbound, a validating Unbound); the proxy forwards to the same iterating Unbound.
# compare.py asks both validators every case four ways and compares rcode, AD and data.
# Prints one line per case and "N passed, M failed" last. See tests/differential/README.md.
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
UPSTREAM_EXTRA="rrset-roundrobin: no"
export HIERARCHY_NET=${HIERARCHY_NET:-127.231.20} UPSTREAM_PORT REFERENCE_PORT UPSTREAM_EXTRA
proxy_pid=
cleanup() {
  [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null
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
for _ in $(seq 1 50); do
  dig +time=1 +tries=1 @127.0.0.1 -p "$PROXY_PORT" test. SOA >/dev/null 2>&1 && break
  sleep 0.2
done
echo "servers up after $(($(date +%s) - start)) s (zones and logs: $W)"
/usr/bin/python3 "$HERE/compare.py" "$PROXY_PORT" "$REFERENCE_PORT" "$W/h/cases.tsv" \
  "$HERE/expected_differences.txt" "${DIFFERENTIAL_JOBS:-12}"
