#!/usr/bin/env bash
# Soak test (not a CI test): the ASan+UBSan build of dnssec-proxy under SOAK_SECONDS
# (default 600) of mixed dnsperf load with fault injection, all on loopback:
#   - upstream: build/mock_upstream_server, answering ok-/slow-/silent-/garbage-/servfail-/
#     big- (TCP)/forged-/cut-N.soak.test, NXDOMAIN for the rest, and stopped (SIGSTOP) for
#     3 s every 60 s: an upstream outage;
#   - clients: dnsperf over UDP with that mix, plus an abuser sending junk datagrams, idle
#     and slow-loris TCP connections and oversized length prefixes.
# Reports queries answered, replies by rcode, lost queries, sanitizer reports, VmRSS at the
# start and at the end, and whether the proxy is still up. Validation is off (empty trust
# anchor file): the mock upstream serves no signed zones.
#
#   bench/soak.sh                   # 10 minutes
#   SOAK_SECONDS=120 bench/soak.sh  # 2 minutes
# Needs: dnsperf, python3, cmake, a C++ compiler. BUILD_DIR (default build-asan) is
# configured with -DDNSSEC_PROXY_SANITIZE=ON and built if it has no dnssec-proxy yet.
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_QPS=${SOAK_QPS:-2000}
BUILD_DIR=${BUILD_DIR:-build-asan}
PORT=${SOAK_PORT:-5399}

command -v dnsperf > /dev/null || { echo "soak: dnsperf is missing (apt-get install dnsperf)"; exit 2; }
if [[ ! -x $BUILD_DIR/dnssec-proxy || ! -x $BUILD_DIR/mock_upstream_server ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DDNSSEC_PROXY_SANITIZE=ON > /dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target dnssec-proxy mock_upstream_server > /dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2> /dev/null || true; kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The upstream.
"$BUILD_DIR/mock_upstream_server" 1000 > "$work/mock.out" 2>&1 &
mock_pid=$!
pids+=("$mock_pid")
for _ in $(seq 50); do grep -q '^port' "$work/mock.out" && break; sleep 0.1; done
up_port=$(awk '/^port/ {print $2}' "$work/mock.out")

# The proxy, under the sanitizers; reports go to its log.
echo "; no anchors: validation off" > "$work/anchors"
cat > "$work/proxy.toml" << EOF
[server]
tcp_idle_timeout_ms = 2000
tcp_max_connections = 64
[upstream]
timeout_ms = 500
attempts = 1
query_timeout_ms = 2000
EOF
ASAN_OPTIONS=detect_leaks=1:log_path="$work/asan" UBSAN_OPTIONS=print_stacktrace=1:log_path="$work/ubsan" \
  "$BUILD_DIR/dnssec-proxy" --config "$work/proxy.toml" --listen "127.0.0.1:$PORT" \
  --upstream "127.0.0.1:$up_port" --trust-anchor "$work/anchors" --log-level warn \
  2> "$work/proxy.log" &
proxy_pid=$!
pids+=("$proxy_pid")
for _ in $(seq 100); do dig +short +tries=1 +time=1 -p "$PORT" @127.0.0.1 ok-1.soak.test > /dev/null 2>&1 && break; sleep 0.1; done

# The query mix (weights out of 100): ok 55, nx 10, slow 8, big (TXT, TCP retry) 5,
# forged 5, garbage 4, servfail 5, cut 4, silent 4.
python3 - "$work/queries" << 'EOF'
import random, sys
random.seed(7)
mix = [("ok", "A", 55), ("nx", "A", 10), ("slow", "A", 8), ("big", "TXT", 5), ("forged", "A", 5),
       ("garbage", "A", 4), ("servfail", "A", 5), ("cut", "A", 4), ("silent", "A", 4)]
kinds = [k for k in mix for _ in range(k[2])]
with open(sys.argv[1], "w") as f:
    for _ in range(200000):
        kind, qtype, _ = random.choice(kinds)
        f.write(f"{kind}-{random.randrange(1000)}.soak.test {qtype}\n")
EOF

rss() { awk '/^VmRSS/ {print $2}' "/proc/$proxy_pid/status" 2> /dev/null || echo 0; }
rss_start=$(rss)

# Client abuse, in the background for the whole run.
python3 - "$PORT" "$SOAK_SECONDS" > "$work/abuse.out" 2>&1 << 'EOF' &
import os, random, socket, sys, time
port, seconds = int(sys.argv[1]), int(sys.argv[2])
end = time.time() + seconds
counts = {"junk datagrams": 0, "idle tcp": 0, "slow-loris tcp": 0, "oversized prefixes": 0}
held = []
while time.time() < end:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(50):
        u.sendto(os.urandom(random.randrange(1, 600)), ("127.0.0.1", port))
        counts["junk datagrams"] += 1
    u.close()
    for kind in ("idle tcp", "slow-loris tcp", "oversized prefixes"):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            if kind == "slow-loris tcp":
                s.send(b"\x00")
            elif kind == "oversized prefixes":
                s.send(b"\xff\xff" + os.urandom(1000))
            held.append(s)
            counts[kind] += 1
        except OSError:
            pass
    if len(held) > 40:
        for s in held[:20]:
            s.close()
        del held[:20]
    time.sleep(0.5)
print(", ".join(f"{k} {v}" for k, v in counts.items()))
EOF
abuse_pid=$!
pids+=("$abuse_pid")

# Upstream outages: SIGSTOP the mock for 3 s every 60 s.
(
  while sleep 57; do kill -STOP "$mock_pid" 2> /dev/null || exit 0; sleep 3; kill -CONT "$mock_pid" 2> /dev/null || exit 0; done
) &
pids+=($!)

# VmRSS every 30 s: growth that levels off is caches filling, growth that does not is a leak.
(
  while sleep 30; do echo "$(rss)" >> "$work/rss"; done
) &
pids+=($!)

echo "soak: $SOAK_SECONDS s at up to $SOAK_QPS queries/s against $BUILD_DIR/dnssec-proxy (pid $proxy_pid), RSS $rss_start KiB"
dnsperf -s 127.0.0.1 -p "$PORT" -d "$work/queries" -l "$SOAK_SECONDS" -c 20 -q 2000 -Q "$SOAK_QPS" \
  -t 3 -S 60 > "$work/dnsperf.out" 2>&1 || true
wait "$abuse_pid" 2> /dev/null || true
rss_end=$(rss)
alive=no
kill -0 "$proxy_pid" 2> /dev/null && alive=yes
after=$(dig +short +tries=1 +time=2 -p "$PORT" @127.0.0.1 ok-1.soak.test 2> /dev/null || true)
kill "$proxy_pid" 2> /dev/null || true
wait "$proxy_pid" 2> /dev/null || true
sanitizer_reports=$(cat "$work"/asan.* "$work"/ubsan.* 2> /dev/null | grep -c -E "ERROR: (Address|Leak)Sanitizer|runtime error" || true)

echo "== dnsperf"
grep -E "Queries (sent|completed|lost)|Response codes|Queries per second|Average Latency|Latency StdDev" "$work/dnsperf.out" | sed 's/^ *//'
echo "== client abuse"
cat "$work/abuse.out"
echo "== proxy"
echo "RSS at start: $rss_start KiB, at end: $rss_end KiB; every 30 s: $(paste -sd' ' "$work/rss" 2> /dev/null) KiB"
echo "still up: $alive; answers a query after the soak: ${after:-no}"
echo "sanitizer reports: $sanitizer_reports"
[[ $sanitizer_reports -gt 0 ]] && cat "$work"/asan.* "$work"/ubsan.* 2> /dev/null | head -40
[[ $alive == yes && $sanitizer_reports -eq 0 ]]
