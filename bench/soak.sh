#!/usr/bin/env bash
# Soak test (not a CI test): the ASan+UBSan build of dnssec-proxy under SOAK_SECONDS (default
# 600) of mixed dnsperf load with upstream outages and client abuse, all on loopback. Two modes:
#
# SOAK_MODE=validating (the default; run as root): the signed hierarchy of
#   tests/fixtures/hierarchy.sh (Knot serving signed zones, with SOAK_NAMES more names) behind
#   the fixture's iterating, non-validating Unbound as the proxy's upstream, and its validating
#   Unbound as the reference. The dnsperf mix (bench/soak.py, weights out of 100): cache hits
#   35 (a few secure names), secure misses 20 (hN.wildcard.test of SOAK_NAMES), NXDOMAIN and
#   NODATA 10 (NSEC and NSEC3), wildcard answers 10 (NSEC and NSEC3), bogus 10 (expired, not
#   yet valid, bad signature, missing RRSIG, DS matching no DNSKEY, unsigned DNSKEY, CNAME to
#   bogus), DS/DNSKEY queries and cross-zone chains 10, insecure 5. The proxy keeps answers at
#   most 60 s (`[cache] max_ttl`), so names and keys are fetched and validated again all along.
#   A sampler asks the proxy and the reference the same question every 2 s (each class in
#   turn) and compares rcode and AD; a bogus answer from the proxy must carry an EDE.
# SOAK_MODE=mock: validation off (no trust anchor) against build/mock_upstream_server, which
#   answers ok-/slow-/silent-/garbage-/servfail-/big- (TCP)/forged-/cut-N.soak.test and
#   NXDOMAIN for the rest.
#
# Both: the upstream (the upstream Unbound, or the mock) is stopped (SIGSTOP) for 3 s every
# 60 s, an outage; a client sends junk datagrams, idle and slow-loris TCP connections and
# oversized length prefixes. The report: dnsperf's queries sent/completed/lost, queries/s and
# rcodes, the samples, sanitizer reports, VmRSS every 30 s with a verdict, and whether the
# proxy still answers. Exit status 1 when: a sanitizer reported, the proxy is down or does not
# answer afterwards, a sample mismatched, a query that reached the proxy was lost (its deadline
# per query, 2 s, is below dnsperf's timeout, 3 s, so even a query caught by an outage gets its
# SERVFAIL in time; only datagrams the kernel dropped at the proxy's full sockets may be lost,
# at most 1 % of those sent), or RSS is not flat (the largest sample of the second half of the
# run more than 10 % above the sample at the end of its first third: the warm-up, while the
# caches and ASan's quarantine fill); 2 when it cannot run. The work directory is kept when
# the soak fails.
#
#   bench/soak.sh                                  # 10 minutes, validating
#   SOAK_SECONDS=120 BUILD_DIR=build-test bench/soak.sh
#   SOAK_MODE=mock bench/soak.sh
# Environment: SOAK_SECONDS (600), SOAK_QPS (validating 1000, mock 2000), SOAK_NAMES (50000),
# SOAK_PORT (validating 5379, mock 5399); validating: SOAK_NET (127.0.77: the fixture's servers
# on SOAK_NET.N:53), SOAK_UPSTREAM_PORT (5377), SOAK_REFERENCE_PORT (5378), apart from the
# tests' hierarchies (127.0.1 and others, ports 5300/5301 and 20000-32767).
# Needs: dnsperf, python3, dig; validating also knot, unbound, bind9-utils, ldnsutils and root
# (tests/fixtures/README.md). BUILD_DIR (default build-test, the README test command's
# build) is configured with -DDNSSEC_PROXY_SANITIZE=ON and built if it lacks the executables.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)

SOAK_MODE=${SOAK_MODE:-validating}
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_NAMES=${SOAK_NAMES:-50000}
BUILD_DIR=${BUILD_DIR:-build-test}
outage_every=60 outage_secs=3

die() { echo "soak: $*" >&2; exit 2; }
case $SOAK_MODE in
  # Validating costs the ASan+UBSan Debug build ~0.4 ms of CPU per query: 1000 queries/s
  # leave a shared 2-core machine room for dnsperf, the fixture's servers and the rest.
  validating)
    PORT=${SOAK_PORT:-5379} METRICS_PORT=${SOAK_METRICS_PORT:-5376} SOAK_QPS=${SOAK_QPS:-1000}
    targets=(dnssec-proxy)
    ;;
  mock)
    PORT=${SOAK_PORT:-5399} METRICS_PORT=${SOAK_METRICS_PORT:-5398} SOAK_QPS=${SOAK_QPS:-2000}
    targets=(dnssec-proxy mock_upstream_server)
    ;;
  *) die "SOAK_MODE must be validating or mock, got '$SOAK_MODE'" ;;
esac
for t in dnsperf python3 dig; do
  command -v "$t" > /dev/null || die "$t is missing (apt-get install dnsperf python3 bind9-dnsutils)"
done
if [[ $SOAK_MODE == validating && $(id -u) != 0 ]]; then
  die "the validating soak needs root (its Knot servers bind port 53); SOAK_MODE=mock does not"
fi
for t in "${targets[@]}"; do
  [[ -x $BUILD_DIR/$t ]] && continue
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DDNSSEC_PROXY_SANITIZE=ON > /dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" > /dev/null
  break
done
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

work=$(mktemp -d /tmp/dnsp-soak.XXXXXX)
fixture=$here/tests/fixtures/hierarchy.sh
pids=()
upstream_pid=
cleanup() {
  local rc=$? p
  [[ -n $upstream_pid ]] && kill -CONT "$upstream_pid" 2> /dev/null
  for p in "${pids[@]}"; do kill -CONT "$p" 2> /dev/null || true; kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  [[ $SOAK_MODE == validating ]] && "$fixture" stop "$work/h" > /dev/null 2>&1
  if ((rc == 0)); then
    rm -rf "$work"
  else
    echo "soak: kept $work (proxy.log, dnsperf.out, sampler.out, asan.*, h/run/*.log)" >&2
  fi
}
trap cleanup EXIT

# The upstream and the proxy's configuration.
cat > "$work/proxy.toml" << EOF
[server]
tcp_idle_timeout_ms = 2000
tcp_max_connections = 64
[upstream]
timeout_ms = 500
attempts = 1
query_timeout_ms = 2000
[metrics]
listen = "127.0.0.1:$METRICS_PORT"
EOF
if [[ $SOAK_MODE == mock ]]; then
  "$BUILD_DIR/mock_upstream_server" 1000 > "$work/mock.out" 2>&1 &
  upstream_pid=$!
  pids+=("$upstream_pid")
  for _ in $(seq 50); do grep -q '^port' "$work/mock.out" && break; sleep 0.1; done
  upstream=127.0.0.1:$(awk '/^port/ {print $2}' "$work/mock.out")
  echo "; no anchors: validation off" > "$work/anchors"
  anchors=$work/anchors probe=ok-1.soak.test
else
  echo "soak: building the signed hierarchy with $SOAK_NAMES more names in $work/h (~30 s)"
  HIERARCHY_NET=${SOAK_NET:-127.0.77} BENCH_NAMES=$SOAK_NAMES "$fixture" build "$work/h" \
    > /dev/null 2> "$work/fixture.log" || { cat "$work/fixture.log" >&2; exit 1; }
  export UPSTREAM_PORT=${SOAK_UPSTREAM_PORT:-5377} REFERENCE_PORT=${SOAK_REFERENCE_PORT:-5378}
  "$fixture" start "$work/h" > /dev/null 2>> "$work/fixture.log" || { cat "$work/fixture.log" >&2; exit 1; }
  upstream_pid=$(cat "$work/h/run/unbound-upstream.pid")
  upstream=127.0.0.1:$UPSTREAM_PORT anchors=$work/h/root-anchor.ds probe=www.secure-ecdsa.test
  # Answers are kept at most 60 s: misses, keys and their validation come back all along. A
  # 16 MiB cache (64 MiB by default) is full after a minute or two, then evicts: expired
  # answers stay until evicted, so a larger one would still be filling (RSS growing) at the
  # end of a 10-minute run, and that growth would hide any other.
  printf '[cache]\nmax_ttl = 60\nmax_size = 16777216\n' >> "$work/proxy.toml"
fi

# The proxy, under the sanitizers; reports go to files beside its log.
ASAN_OPTIONS=detect_leaks=1:log_path="$work/asan" UBSAN_OPTIONS=print_stacktrace=1:log_path="$work/ubsan" \
  "$BUILD_DIR/dnssec-proxy" --config "$work/proxy.toml" --listen "127.0.0.1:$PORT" \
  --upstream "$upstream" --trust-anchor "$anchors" --log-level warn 2> "$work/proxy.log" &
proxy_pid=$!
pids+=("$proxy_pid")
for _ in $(seq 100); do dig +short +tries=1 +time=1 -p "$PORT" @127.0.0.1 "$probe" > /dev/null 2>&1 && break; sleep 0.1; done
if [[ $SOAK_MODE == validating ]]; then
  for who in "reference:$REFERENCE_PORT" "proxy:$PORT"; do
    check_validates "${who%%:*}" "${who##*:}" || exit 1
  done
fi

# The query mix (bench/soak.py has it, with its weights): one line per query to send, so that
# the random names (NXDOMAIN, wildcard, bogus) do not come round again.
python3 bench/soak.py queries "$SOAK_MODE" "$work/queries" \
  "$((SOAK_SECONDS * SOAK_QPS < 2000000 ? SOAK_SECONDS * SOAK_QPS : 2000000))" "$SOAK_NAMES"

rss_start=$(status_kib VmRSS "$proxy_pid")
cpu_start=$(cpu_ticks "$proxy_pid")
t_start=$(date +%s)

python3 bench/soak.py abuse "$PORT" "$SOAK_SECONDS" > "$work/abuse.out" 2>&1 &
abuse_pid=$!
pids+=("$abuse_pid")

# Upstream outages: SIGSTOP for 3 s every 60 s, each written down for the sampler.
(
  while sleep $((outage_every - outage_secs)); do
    echo "stop $(date +%s.%N)" >> "$work/outages"
    kill -STOP "$upstream_pid" 2> /dev/null || exit 0
    sleep "$outage_secs"
    kill -CONT "$upstream_pid" 2> /dev/null || exit 0
    echo "cont $(date +%s.%N)" >> "$work/outages"
  done
) &
pids+=($!)

# VmRSS every 30 s (seconds since the start, KiB): growth that levels off is caches filling,
# growth that does not is a leak.
(
  for ((t = 30; ; t += 30)); do
    now=$(date +%s)
    ((t_start + t <= now)) || sleep $((t_start + t - now))
    echo "$t $(status_kib VmRSS "$proxy_pid")" >> "$work/rss"
  done
) &
pids+=($!)

sampler_pid=
if [[ $SOAK_MODE == validating ]]; then
  python3 bench/soak.py sample "$PORT" "$REFERENCE_PORT" "$SOAK_SECONDS" "$SOAK_NAMES" \
    "$work/outages" > "$work/sampler.out" 2> "$work/sampler.err" &
  sampler_pid=$!
  pids+=("$sampler_pid")
fi

load() { awk '{ print $1, $2, $3 }' /proc/loadavg; }
load_start=$(load)
echo "soak: $SOAK_MODE, $SOAK_SECONDS s at up to $SOAK_QPS queries/s against" \
  "$BUILD_DIR/dnssec-proxy (pid $proxy_pid), RSS $rss_start KiB; work directory $work;" \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $load_start"
dnsperf_opts=()
[[ $SOAK_MODE == validating ]] && dnsperf_opts=(-D)
dnsperf -s 127.0.0.1 -p "$PORT" -d "$work/queries" -l "$SOAK_SECONDS" -c 20 -q 2000 -Q "$SOAK_QPS" \
  -t 3 -S 60 "${dnsperf_opts[@]}" > "$work/dnsperf.out" 2>&1 || true
load_end=$(load)
wait "$abuse_pid" 2> /dev/null || true
[[ -z $sampler_pid ]] || wait "$sampler_pid" 2> /dev/null || true
cpu_end=$(cpu_ticks "$proxy_pid" 2> /dev/null || echo "$cpu_start")
rss_end=$(status_kib VmRSS "$proxy_pid" 2> /dev/null || echo 0)
alive=no
kill -0 "$proxy_pid" 2> /dev/null && alive=yes
after=$(dig +dnssec +tries=1 +time=2 -p "$PORT" @127.0.0.1 "$probe" 2> /dev/null || true)
answering=no
if grep -q 'status: NOERROR' <<< "$after"; then
  answering=yes
  # Validating: still proven secure.
  [[ $SOAK_MODE == mock ]] || grep -qE ';; flags:[a-z ]* ad[ ;]' <<< "$after" || answering="no (NOERROR without ad)"
fi
# The proxy's own counters (/metrics): queries taken, answered, dropped (junk), in flight.
python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
  "http://127.0.0.1:$METRICS_PORT/metrics" > "$work/metrics" 2>&1 || true
# Datagrams the kernel dropped because a listening socket of the proxy was full (its
# receive buffer, while the proxy was short of CPU): lost before the proxy saw them.
kernel_drops=$(ss -Huamn "( sport = :$PORT )" | grep -o 'skmem:([^)]*' | grep -o ',d[0-9]*' |
  awk -F d '{ t += $2 } END { print t + 0 }')
kill "$proxy_pid" 2> /dev/null || true
wait "$proxy_pid" 2> /dev/null || true
sanitizer_reports=$(cat "$work"/asan.* "$work"/ubsan.* 2> /dev/null | grep -c -E "ERROR: (Address|Leak)Sanitizer|runtime error" || true)

verdict=ok
fail() { verdict=FAIL; echo "FAIL: $*"; }
echo "== dnsperf"
grep -E "Queries (sent|completed|lost)|Response codes|Queries per second|Average Latency|Latency StdDev" "$work/dnsperf.out" | sed 's/^ *//'
sent=$(awk '/Queries sent/ { print $3 }' "$work/dnsperf.out")
lost=$(awk '/Queries lost/ { print $3 }' "$work/dnsperf.out")
completed=$(awk '/Queries completed/ { print $3 }' "$work/dnsperf.out")
outages=$(grep -c '^stop' "$work/outages" 2> /dev/null || true)
echo "queries/s each minute: $(awk '/^[0-9.]+: [0-9.]+$/ { printf "%s%.0f", (n++ ? " " : ""), $2 } END { if (!n) print "-" }' "$work/dnsperf.out")"
echo "upstream outages: ${outages:-0} of $outage_secs s; load average (1, 5, 15 min) at the start $load_start, at the end $load_end"
echo "proxy CPU time per answered query: $(awk -v t=$((cpu_end - cpu_start)) -v hz="$tck" -v d="${completed:-0}" \
  'BEGIN { if (d > 0) printf "%.0f us", t / hz * 1e6 / d; else print "-" }')"
[[ -n $sent ]] || fail "dnsperf reported nothing: $(tail -n 5 "$work/dnsperf.out")"
# Lost queries: every query that reached the proxy must be answered (its deadline, 2 s, is
# below dnsperf's timeout, 3 s, so even one caught by an outage gets its SERVFAIL in time): by
# its own counters, queries taken = replies + junk dropped, none in flight, no reply dropped
# for a full socket. Queries the kernel dropped at the proxy's full sockets never reached it:
# allowed up to 1 % of the queries sent (a busy machine starving the ASan build for moments);
# more is falling behind. dnsperf's lost queries must be no more than those kernel drops
# (which also count junk datagrams of the abuser).
metric() { awk -v k="$1" 'index($0, k) == 1 { t += $NF } END { print t + 0 }' "$work/metrics"; }
taken=$(metric dnssec_proxy_queries_total) answered=$(metric dnssec_proxy_responses_total)
junk=$(metric dnssec_proxy_dropped_total) in_flight=$(metric dnssec_proxy_in_flight)
replies_dropped=$(metric dnssec_proxy_udp_replies_dropped_total)
unanswered=$((taken - answered - junk - in_flight))
echo "queries lost: ${lost:-0}; the kernel dropped $kernel_drops datagrams at the proxy's full sockets"
echo "proxy's counters: $taken queries taken, $answered answered, $junk dropped as junk," \
  "$in_flight in flight, $unanswered unanswered, $replies_dropped replies dropped for a full socket," \
  "$(metric dnssec_proxy_deadline_missed_total) answered SERVFAIL at the deadline"
grep -q '^dnssec_proxy_queries_total' "$work/metrics" ||
  fail "no counters from http://127.0.0.1:$METRICS_PORT/metrics: $(head -c 300 "$work/metrics")"
((unanswered == 0 && in_flight == 0 && replies_dropped == 0)) ||
  fail "the proxy took queries it did not answer (allowed: none)"
((${lost:-0} <= kernel_drops)) ||
  fail "dnsperf lost $((lost - kernel_drops)) more queries than the kernel dropped at the proxy's sockets"
((kernel_drops * 100 <= ${sent:-0})) ||
  fail "the kernel dropped $kernel_drops datagrams at the proxy's full sockets, over 1 % of $sent queries sent: the proxy fell behind"
echo "== client abuse"
cat "$work/abuse.out"
if [[ $SOAK_MODE == validating ]]; then
  echo "== samples (proxy vs reference Unbound on 127.0.0.1:$REFERENCE_PORT, every 2 s)"
  grep -v '^mismatches=' "$work/sampler.out" || true
  mismatches=$(sed -n 's/^mismatches=//p' "$work/sampler.out")
  [[ -n $mismatches ]] || fail "the sampler did not finish: $(tail -n 5 "$work/sampler.err")"
  [[ ${mismatches:-0} -eq 0 ]] || fail "$mismatches sampled answers mismatched"
fi
echo "== proxy"
echo "cache at the end: $(metric dnssec_proxy_cache_entries) entries, $(metric dnssec_proxy_cache_bytes) of" \
  "$(metric dnssec_proxy_cache_max_bytes) bytes"
echo "VmRSS KiB: $rss_start at start; every 30 s: $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }' "$work/rss" 2> /dev/null); $rss_end at the end"
# Flat: the largest sample of the second half at most 10 % above the sample at the end of
# the first third (the warm-up: caches and ASan's quarantine filling).
read -r base top < <(awk -v d="$SOAK_SECONDS" '
  $1 <= d / 3 { base = $2 } $1 > d / 2 && $2 > top { top = $2 }
  END { print (base == "" ? "-" : base), (top == "" ? "-" : top) }' "$work/rss" 2> /dev/null || echo "- -")
if ((SOAK_SECONDS < 300)) || [[ $base == - || $top == - ]]; then
  echo "RSS verdict: none (needs SOAK_SECONDS >= 300: the warm-up, a third of the run, must cover the" \
    "caches and ASan's quarantine filling, ~2 minutes)"
else
  growth=$(awk -v b="$base" -v t="$top" 'BEGIN { printf "%+.1f", (t - b) * 100 / b }')
  rule="largest sample after $((SOAK_SECONDS / 2)) s $top KiB vs $base KiB at the end of the first third (warm-up): $growth %"
  if awk -v b="$base" -v t="$top" 'BEGIN { exit !(t <= b * 1.10) }'; then
    echo "RSS flat within 10 % after warm-up: $rule"
  else
    fail "RSS not flat within 10 % after warm-up: $rule"
  fi
fi
echo "still up: $alive; answers $probe after the soak: $answering"
[[ $alive == yes ]] || fail "the proxy is down (see $work/proxy.log)"
[[ $answering == yes ]] || fail "the proxy does not answer $probe correctly after the soak"
echo "sanitizer reports: $sanitizer_reports"
if ((sanitizer_reports > 0)); then
  cat "$work"/asan.* "$work"/ubsan.* 2> /dev/null | head -40
  fail "$sanitizer_reports sanitizer reports"
fi
echo "== verdict: $verdict"
[[ $verdict == ok ]]
