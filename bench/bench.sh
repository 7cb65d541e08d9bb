#!/usr/bin/env bash
# bench/bench.sh: dnssec-proxy against Unbound as the same kind of validating forwarder, in
# one run, on one machine, through one non-validating upstream (tests/fixtures/hierarchy.sh:
# a private signed root on loopback). Prints queries/s, CPU time per answered query
# (utime+stime from /proc over the run / queries answered), latency and peak RSS, and the
# ratios proxy / peer. Not a test: run it by hand as root.
#
#   bench/bench.sh [BUILD_DIR]        (default: build)
# Environment: BENCH_NAMES (default 50000) names in the signed zone, SECONDS_HIT (10),
# BENCH_THREADS (default: nproc) event loops for the proxy and threads for Unbound,
# BENCH_CLIENTS (8) dnsperf sockets, BENCH_RSS_NAMES (600000; 0 skips that phase, which takes
# minutes because Unbound validates each wildcard answer).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
proxy_bin=$build/dnssec-proxy
[[ -x $proxy_bin ]] || { echo "bench: $proxy_bin not built" >&2; exit 1; }
for t in dnsperf unbound knotd dnssec-signzone; do
  command -v "$t" >/dev/null || { echo "bench: $t missing (apt-get install dnsperf unbound knot bind9-utils)" >&2; exit 1; }
done
export BENCH_NAMES=${BENCH_NAMES:-50000}
export BENCH_THREADS=${BENCH_THREADS:-$(nproc)}
export REFERENCE_THREADS=$BENCH_THREADS
# dnsperf clients, each its own socket: SO_REUSEPORT spreads sockets, not queries, over the
# threads of both servers.
clients=${BENCH_CLIENTS:-8}
hit_secs=${SECONDS_HIT:-10}
export HIERARCHY_NET=127.0.5 UPSTREAM_PORT=5400 REFERENCE_PORT=5401
proxy_port=5402
work=$(mktemp -d /tmp/dnsp-bench.XXXXXX)
fixture=$here/tests/fixtures/hierarchy.sh
proxy_pid=
cleanup() {
  [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null || true
  "$fixture" stop "$work/h" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "bench: building a signed hierarchy with $BENCH_NAMES names (this takes a while)" >&2
"$fixture" build "$work/h" >/dev/null
"$fixture" start "$work/h" >/dev/null
"$proxy_bin" --listen "127.0.0.1:$proxy_port" --upstream "127.0.0.1:$UPSTREAM_PORT" \
  --trust-anchor "$work/h/root-anchor.ds" --log-level warn --threads "$BENCH_THREADS" \
  2>"$work/proxy.log" &
proxy_pid=$!
peer_pid=$(cat "$work/h/run/unbound-reference.pid")
sleep 0.5

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_kib() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
tck=$(getconf CLK_TCK)

# run_dnsperf PORT PID FILE ARGS... -> "qps completed cpu_us_per_query avg_latency_ms"
run_dnsperf() {
  local port=$1 pid=$2 file=$3; shift 3
  local t0 t1 out
  t0=$(cpu_ticks "$pid")
  out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$file" -D -c "$clients" "$@" 2>&1)
  t1=$(cpu_ticks "$pid")
  local qps done lat
  qps=$(awk '/Queries per second/ { print $4 }' <<<"$out")
  done=$(awk '/Queries completed/ { print $3 }' <<<"$out")
  lat=$(awk '/Average Latency/ { print $4 * 1000 }' <<<"$out")
  awk -v q="$qps" -v d="$done" -v t=$((t1 - t0)) -v hz="$tck" -v l="$lat" \
    'BEGIN { printf "%.0f %d %.1f %.3f\n", q, d, (d > 0 ? t / hz * 1e6 / d : 0), l }'
}

# latency_pcts PORT FILE -> "p50_ms p99_ms" at 20k queries/s
latency_pcts() {
  dnsperf -s 127.0.0.1 -p "$1" -d "$2" -D -c "$clients" -l 5 -Q 20000 -v 2>/dev/null |
    awk '$1 == ">" { print $NF * 1000 }' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR) printf "%.3f %.3f\n", a[int(NR*0.5)+1], a[int(NR*0.99)] ; else print "- -" }'
}

# Cache hits: a handful of secure names, asked over and over.
hits=$work/hits.txt
printf '%s\n' "www.secure-ecdsa.test A" "www.secure-rsasha256.test A" "nx.secure-ecdsa.test A" \
  "www.wildcard.test A" "foo.wildcard.test A" "www.nsec3.test A" >"$hits"
# Misses: names nobody asked yet, half for each server; the upstream is warmed first so that
# both measure validation, not the authoritative servers.
half=$((BENCH_NAMES / 2))
seq -f 'h%g.wildcard.test A' 1 "$half" >"$work/miss-proxy.txt"
seq -f 'h%g.wildcard.test A' $((half + 1)) "$BENCH_NAMES" >"$work/miss-peer.txt"
seq -f 'w%g.wildcard.test A' 1 "$half" >"$work/wild-proxy.txt"
seq -f 'w%g.wildcard.test A' $((half + 1)) "$BENCH_NAMES" >"$work/wild-peer.txt"
cat "$work"/miss-*.txt "$work"/wild-*.txt >"$work/warm.txt"
echo "bench: warming the upstream with $(wc -l <"$work/warm.txt") names" >&2
dnsperf -s 127.0.0.1 -p "$UPSTREAM_PORT" -d "$work/warm.txt" -D -n 1 -q 200 >/dev/null 2>&1 || true

for who in proxy peer; do
  port=$proxy_port pid=$proxy_pid
  [[ $who == peer ]] && port=$REFERENCE_PORT pid=$peer_pid
  dnsperf -s 127.0.0.1 -p "$port" -d "$hits" -D -n 2 >/dev/null 2>&1 || true  # fill caches
  read -r hit_qps _ hit_cpu _ < <(run_dnsperf "$port" "$pid" "$hits" -l "$hit_secs")
  read -r p50 p99 < <(latency_pcts "$port" "$hits")
  read -r miss_qps _ miss_cpu _ < <(run_dnsperf "$port" "$pid" "$work/miss-$who.txt" -n 1 -q 100)
  read -r wild_qps _ wild_cpu _ < <(run_dnsperf "$port" "$pid" "$work/wild-$who.txt" -n 1 -q 100)
  rss=$(hwm_kib "$pid")
  declare "r_${who}=$hit_qps $hit_cpu $p50 $p99 $miss_qps $miss_cpu $wild_qps $wild_cpu $rss"
done

# Memory under load: BENCH_RSS_NAMES (default 600000) more unique names under the wildcard,
# each a new cache entry for both, then the resident set of each (default cache sizes).
rss_names=${BENCH_RSS_NAMES:-600000}
if ((rss_names > 0)); then
  seq -f 'm%g.wildcard.test A' 1 "$rss_names" >"$work/rss.txt"
  echo "bench: $rss_names unique names into each cache" >&2
  for who in proxy peer; do
    port=$proxy_port pid=$proxy_pid
    [[ $who == peer ]] && port=$REFERENCE_PORT pid=$peer_pid
    dnsperf -s 127.0.0.1 -p "$port" -d "$work/rss.txt" -D -c "$clients" -n 1 -q 400 \
      >/dev/null 2>&1 || true
    declare "rss_${who}=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")"
  done
fi

read -r -a P <<<"$r_proxy ${rss_proxy:--}"
read -r -a U <<<"$r_peer ${rss_peer:--}"
labels=("cache-hit queries/s" "cache-hit CPU us/query" "cache-hit p50 ms @20k/s" "cache-hit p99 ms @20k/s"
        "miss queries/s (unique names)" "miss CPU us/query" "wildcard-miss queries/s" "wildcard-miss CPU us/query"
        "peak RSS KiB" "RSS KiB after ${rss_names} more names")
printf '\n%s, %s cores, %s thread(s) each, %s\n' "$(uname -m)" "$(nproc)" "$BENCH_THREADS" \
  "$(date -u +%Y-%m-%d)"
printf '| %-30s | %12s | %12s | %8s |\n' "measure" "dnssec-proxy" "unbound" "ratio"
printf '|%s|%s|%s|%s|\n' "--------------------------------" "--------------" "--------------" "----------"
for i in "${!labels[@]}"; do
  ratio=$(awk -v a="${P[$i]}" -v b="${U[$i]}" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')
  printf '| %-30s | %12s | %12s | %8s |\n' "${labels[$i]}" "${P[$i]}" "${U[$i]}" "$ratio"
done
