#!/usr/bin/env bash
# bench/bench.sh: dnssec-proxy against Unbound as the same kind of validating forwarder, and
# against Knot Resolver (kresd) as one too when it is installed, in one run, on one machine,
# through one non-validating upstream (tests/fixtures/hierarchy.sh: a private signed root on
# loopback). Prints queries/s, CPU time per answered query (utime+stime from /proc over the
# run / queries answered), latency and peak RSS, and the ratios proxy / peer. Not a test: run
# it by hand as root.
#
#   bench/bench.sh [BUILD_DIR]        (default: build)
# Environment: BENCH_NAMES (default 50000) names in the signed zone, BENCH_WILD_NAMES (150000)
# wildcard names asked of the proxy and kresd, BENCH_ROUNDS (3) interleaved rounds whose
# median is reported, SECONDS_HIT (5 per round), BENCH_LAT_SLICES (5 slices of 2 s per server
# and round for the latency at 20k q/s, servers alternating; each round the median of its slices),
# BENCH_THREADS (default: nproc) event loops for the proxy, threads for Unbound and kresd
# processes (kresd is single-threaded: N processes share the port with SO_REUSEPORT and one
# LMDB cache; their CPU and RSS are summed),
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
hit_secs=${SECONDS_HIT:-5}
# Latency at 20k q/s: BENCH_LAT_SLICES slices of lat_secs per server and round, the servers
# alternating slice by slice, each percentile the median over the slices. A tail on this
# shared machine comes in bursts of a few seconds (a server's p99 over one 2 s slice ranged
# 0.1-3 ms in a row of slices); interleaving puts a burst on whichever server is measured
# then, and the median keeps one burst from deciding the figure.
lat_slices=${BENCH_LAT_SLICES:-5}
lat_secs=2
rounds=${BENCH_ROUNDS:-3}
export HIERARCHY_NET=127.0.5 UPSTREAM_PORT=5400 REFERENCE_PORT=5401
proxy_port=5402 kresd_port=5403
work=$(mktemp -d /tmp/dnsp-bench.XXXXXX)
fixture=$here/tests/fixtures/hierarchy.sh
proxy_pid= kresd_pids=
cleanup() {
  [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null || true
  local p
  for p in $kresd_pids; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work/kresd/cache"  # 64 MiB file
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
unbound_pid=$(cat "$work/h/run/unbound-reference.pid")

# Knot Resolver, when installed: BENCH_THREADS kresd processes (each single-threaded) on one
# port (kresd binds with SO_REUSEPORT) sharing one LMDB cache of the proxy's default size,
# forwarding everything to the same upstream. policy.FORWARD validates (policy.STUB would
# not); as a policy.rules entry it is evaluated before kresd's special-use-name rules, so
# test. is forwarded, not refused. The ICANN root key, loaded before the config, is replaced
# by the private root's DS, read-only (no RFC 5011 updates).
servers="proxy unbound"
if command -v kresd >/dev/null; then
  servers="proxy unbound kresd"
  if ss -Hlnu "( sport = :$kresd_port )" | grep -q . || ss -Hlnt "( sport = :$kresd_port )" | grep -q .; then
    echo "bench: 127.0.0.1 port $kresd_port is in use (a kresd left from another run?)" >&2
    exit 1
  fi
  mkdir -p "$work/kresd/cache"
  cat >"$work/kresd/kresd.conf" <<EOF
net.listen('127.0.0.1', $kresd_port, { kind = 'dns' })
trust_anchors.remove('.')
trust_anchors.add_file('$work/h/root-anchor.ds', true)
cache.open(64 * MB, 'lmdb://$work/kresd/cache')
policy.add(policy.all(policy.FORWARD('127.0.0.1@$UPSTREAM_PORT')))
EOF
  for i in $(seq 1 "$BENCH_THREADS"); do
    kresd -n -c "$work/kresd/kresd.conf" "$work/kresd" </dev/null >"$work/kresd/kresd-$i.log" 2>&1 &
    kresd_pids+="${kresd_pids:+ }$!"
  done
else
  echo "bench: kresd not installed (apt-get install knot-resolver): its columns show -" >&2
fi
sleep 0.5

pids_of() { # pids_of WHO -> the pids of that server
  case $1 in proxy) echo "$proxy_pid" ;; unbound) echo "$unbound_pid" ;; kresd) echo "$kresd_pids" ;; esac
}
port_of() {
  case $1 in proxy) echo "$proxy_port" ;; unbound) echo "$REFERENCE_PORT" ;; kresd) echo "$kresd_port" ;; esac
}

# Summed over every process of a server (kresd runs one per thread): bench/lib.sh.
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

# Before measuring: every server answers, validates and rejects a bogus answer (bench/lib.sh).
for who in $servers; do
  if ! check_validates "$who" "$(port_of "$who")"; then
    [[ $who == kresd ]] && tail -n 20 "$work"/kresd/kresd-*.log >&2
    exit 1
  fi
done

# run_dnsperf PORT PIDS FILE ARGS... -> "qps completed cpu_us_per_query avg_latency_ms"
run_dnsperf() {
  local port=$1 pids=$2 file=$3; shift 3
  local t0 t1 out
  t0=$(cpu_ticks "$pids")
  out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$file" -D -c "$clients" "$@" 2>&1)
  t1=$(cpu_ticks "$pids")
  local qps done lat
  qps=$(awk '/Queries per second/ { print $4 }' <<<"$out")
  done=$(awk '/Queries completed/ { print $3 }' <<<"$out")
  lat=$(awk '/Average Latency/ { print $4 * 1000 }' <<<"$out")
  awk -v q="$qps" -v d="$done" -v t=$((t1 - t0)) -v hz="$tck" -v l="$lat" \
    'BEGIN { printf "%.0f %d %.1f %.3f\n", q, d, (d > 0 ? t / hz * 1e6 / d : 0), l }'
}

# latency_pcts PORT FILE -> "p50_ms p99_ms" at 20k queries/s over lat_secs
latency_pcts() {
  dnsperf -s 127.0.0.1 -p "$1" -d "$2" -D -c "$clients" -l "$lat_secs" -Q 20000 -v 2>/dev/null |
    awk '$1 == ">" { print $NF * 1000 }' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR) printf "%.3f %.3f\n", a[int(NR*0.5)+1], a[int(NR*0.99)] ; else print "- -" }'
}

# Cache hits: a handful of secure names, asked over and over.
hits=$work/hits.txt
printf '%s\n' "www.secure-ecdsa.test A" "www.secure-rsasha256.test A" "nx.secure-ecdsa.test A" \
  "www.wildcard.test A" "foo.wildcard.test A" "www.nsec3.test A" >"$hits"
# Misses: names nobody asked yet, an equal share for each server and round; the upstream is
# warmed first so that all measure validation, not the authoritative servers. Wildcard
# misses: BENCH_WILD_NAMES per server for the two that synthesise them from validated NSEC
# (RFC 8198), fewer for Unbound, which asks the upstream for each one (a rate either way).
read -r -a S <<<"$servers"
share=$((BENCH_NAMES / ${#S[@]} / rounds))
wild=${BENCH_WILD_NAMES:-150000}
wild_share=$((wild / rounds))
next=1 wnext=1
for r in $(seq 1 "$rounds"); do
  for who in "${S[@]}"; do
    seq -f 'h%g.wildcard.test A' "$next" $((next + share - 1)) >"$work/miss-$who-$r.txt"
    next=$((next + share))
    n=$wild_share
    [[ $who == unbound ]] && n=$share
    seq -f 'w%g.wildcard.test A' "$wnext" $((wnext + n - 1)) >"$work/wild-$who-$r.txt"
    wnext=$((wnext + n))
  done
done
cat "$work"/miss-*.txt "$work"/wild-unbound-*.txt >"$work/warm.txt"
echo "bench: warming the upstream with $(wc -l <"$work/warm.txt") names" >&2
dnsperf -s 127.0.0.1 -p "$UPSTREAM_PORT" -d "$work/warm.txt" -D -n 1 -q 200 >/dev/null 2>&1 || true

for who in $servers; do
  dnsperf -s 127.0.0.1 -p "$(port_of "$who")" -d "$hits" -D -n 2 >/dev/null 2>&1 || true  # fill caches
done
# BENCH_ROUNDS rounds, the servers interleaved (their order rotated each round), so that
# what the machine does meanwhile falls on all of them; each figure is the median of its
# rounds.
declare -A got lat50 lat99
for r in $(seq 1 "$rounds"); do
  echo "bench: round $r of $rounds" >&2
  order=("${S[@]:$(((r - 1) % ${#S[@]}))}" "${S[@]:0:$(((r - 1) % ${#S[@]}))}")
  lat50=() lat99=()
  for s in $(seq 1 "$lat_slices"); do
    for who in "${order[@]}"; do
      read -r p50 p99 < <(latency_pcts "$(port_of "$who")" "$hits")
      lat50[$who]+="$p50 " lat99[$who]+="$p99 "
    done
  done
  for who in "${order[@]}"; do
    echo "bench: round $r $who: p99 ms of each ${lat_secs} s slice at 20k q/s: ${lat99[$who]}" >&2
  done
  for who in "${order[@]}"; do
    port=$(port_of "$who") pids=$(pids_of "$who")
    read -r hit_qps _ hit_cpu _ < <(run_dnsperf "$port" "$pids" "$hits" -l "$hit_secs")
    p50=$(tr ' ' '\n' <<<"${lat50[$who]}" | awk 'NF' | median)
    p99=$(tr ' ' '\n' <<<"${lat99[$who]}" | awk 'NF' | median)
    read -r miss_qps _ miss_cpu _ < <(run_dnsperf "$port" "$pids" "$work/miss-$who-$r.txt" -n 1 -q 100)
    read -r wild_qps _ wild_cpu _ < <(run_dnsperf "$port" "$pids" "$work/wild-$who-$r.txt" -n 1 -q 100)
    got[$who]+="$hit_qps $hit_cpu $p50 $p99 $miss_qps $miss_cpu $wild_qps $wild_cpu;"
    echo "bench: round $r $who: hit $hit_qps q/s $hit_cpu us p50 $p50 p99 $p99 ms;" \
      "miss $miss_qps q/s $miss_cpu us; wildcard $wild_qps q/s $wild_cpu us" >&2
  done
done
for who in $servers; do
  row=
  for col in 1 2 3 4 5 6 7 8; do
    row+="$(tr ';' '\n' <<<"${got[$who]}" | awk -v c="$col" 'NF { print $c }' | median) "
  done
  declare "r_${who}=$row$(status_kib VmHWM "$(pids_of "$who")")"
done

# Memory under load: BENCH_RSS_NAMES (default 600000) more unique names under the wildcard,
# each a new cache entry for both, then the resident set of each (default cache sizes).
rss_names=${BENCH_RSS_NAMES:-600000}
if ((rss_names > 0)); then
  seq -f 'm%g.wildcard.test A' 1 "$rss_names" >"$work/rss.txt"
  echo "bench: $rss_names unique names into each cache" >&2
  for who in $servers; do
    dnsperf -s 127.0.0.1 -p "$(port_of "$who")" -d "$work/rss.txt" -D -c "$clients" -n 1 -q 400 \
      >/dev/null 2>&1 || true
    declare "rss_${who}=$(status_kib VmRSS "$(pids_of "$who")")"
  done
fi

read -r -a P <<<"$r_proxy ${rss_proxy:--}"
read -r -a U <<<"$r_unbound ${rss_unbound:--}"
if [[ -n $kresd_pids ]]; then
  read -r -a K <<<"$r_kresd ${rss_kresd:--}"
else
  K=(- - - - - - - - - -)
fi
labels=("cache-hit queries/s" "cache-hit CPU us/query" "cache-hit p50 ms @20k/s" "cache-hit p99 ms @20k/s"
        "miss queries/s (unique names)" "miss CPU us/query" "wildcard-miss queries/s" "wildcard-miss CPU us/query"
        "peak RSS KiB" "RSS KiB after ${rss_names} more names")
kresd_version="not installed"
command -v kresd >/dev/null && kresd_version=$(kresd --version | awk '{ print $NF }')
printf '\n%s, %s cores, %s thread(s) each, %s, %s names, median of %s rounds; unbound %s, kresd %s\n' \
  "$(uname -m)" "$(nproc)" "$BENCH_THREADS" "$(date -u +%Y-%m-%d)" "$BENCH_NAMES" "$rounds" \
  "$(unbound -V | awk 'NR == 1 { print $2 }')" "$kresd_version"
printf '| %-30s | %12s | %12s | %12s | %13s | %11s |\n' "measure" "dnssec-proxy" "unbound" "kresd" \
  "proxy/unbound" "proxy/kresd"
printf '|%s|%s|%s|%s|%s|%s|\n' "--------------------------------" "--------------" "--------------" \
  "--------------" "---------------" "-------------"
for i in "${!labels[@]}"; do
  printf '| %-30s | %12s | %12s | %12s | %13s | %11s |\n' "${labels[$i]}" "${P[$i]}" "${U[$i]}" \
    "${K[$i]}" "$(ratio "${P[$i]}" "${U[$i]}")" "$(ratio "${P[$i]}" "${K[$i]}")"
done
if [[ -n $kresd_pids ]]; then
  printf '\nkresd: %s process(es) (single-threaded each) on one port and one 64 MiB LMDB cache;\n' \
    "$BENCH_THREADS"
  printf 'its CPU and RSS are sums over them (the shared cache pages count once per process).\n'
else
  printf '\nkresd: not installed (apt-get install knot-resolver), not compared.\n'
fi
