#!/usr/bin/env bash
# bench/encrypted.sh: cache misses through encrypted upstreams (issue 16). In one run,
# through one upstream (an Unbound serving plain DNS, DoT and DoH on 127.0.6.1 in front of
# tests/fixtures/hierarchy.sh's signed hierarchy, its cache warmed with every name first):
# dnssec-proxy forwarding over plain UDP, DoT and DoH, and Unbound as a validating
# forwarder over plain UDP and DoT (forward-tls-upstream: yes; Unbound 1.17 has no DoH
# upstream). Each asks names nobody asked it before (true misses: a validation each).
# Prints queries/s, CPU µs per miss (utime+stime from /proc), p50/p99 latency of those
# queries (dnsperf -v), and for the proxy TLS handshakes per 10 000 queries (its metrics),
# then the ratios the issue sets targets for. Not a test: run it by hand as root.
#
#   bench/encrypted.sh [BUILD_DIR]        (default: build)
# Environment: BENCH_NAMES (default 30000) names, split over the five servers and the
# rounds; BENCH_ROUNDS (3) interleaved rounds whose median is reported; BENCH_THREADS
# (default: nproc) event loops / Unbound threads; BENCH_CLIENTS (8) dnsperf sockets.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
proxy_bin=$build/dnssec-proxy
[[ -x $proxy_bin ]] || { echo "bench: $proxy_bin not built" >&2; exit 1; }
for t in dnsperf unbound knotd dnssec-signzone openssl curl; do
  command -v "$t" >/dev/null || { echo "bench: $t missing (apt-get install dnsperf unbound knot bind9-utils openssl curl)" >&2; exit 1; }
done
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
export BENCH_NAMES=${BENCH_NAMES:-30000}
threads=${BENCH_THREADS:-$(nproc)}
clients=${BENCH_CLIENTS:-8}
rounds=${BENCH_ROUNDS:-3}
export HIERARCHY_NET=127.0.5 UPSTREAM_PORT=5400 REFERENCE_PORT=5401
tls_addr=127.0.6.1
work=$(mktemp -d /tmp/dnsp-bench-tls.XXXXXX)
fixture=$here/tests/fixtures/hierarchy.sh
servers="proxy-udp proxy-dot proxy-doh unbound-udp unbound-dot"
declare -A port=([proxy-udp]=5410 [proxy-dot]=5411 [proxy-doh]=5412 [unbound-udp]=5413
  [unbound-dot]=5414)
declare -A metrics=([proxy-udp]=5420 [proxy-dot]=5421 [proxy-doh]=5422)
declare -A pid
cleanup() {
  local who
  for who in "${!pid[@]}"; do kill "${pid[$who]}" 2>/dev/null || true; done
  [[ -f $work/front.pid ]] && kill "$(cat "$work/front.pid")" 2>/dev/null || true
  "$fixture" stop "$work/h" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "bench: building a signed hierarchy with $BENCH_NAMES names (this takes a while)" >&2
"$fixture" build "$work/h" >/dev/null
"$fixture" start "$work/h" >/dev/null

# A CA and a certificate for dns.test, as the tests make them.
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
# shellcheck disable=SC2086
{
  openssl req -x509 $ec -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 -subj '/CN=bench CA'
  openssl req $ec -keyout "$work/front.key" -out "$work/front.csr" -subj /CN=dns.test
  printf 'subjectAltName=DNS:dns.test\n' >"$work/front.ext"
  openssl x509 -req -in "$work/front.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -out "$work/front.pem" -days 2 -extfile "$work/front.ext"
} >/dev/null 2>&1

unbound_conf() { # unbound_conf NAME: the common server: lines
  cat <<EOF
server:
  verbosity: 1
  do-ip6: no
  do-daemonize: yes
  chroot: ""
  username: ""
  directory: "$work"
  pidfile: "$work/$1.pid"
  logfile: "$work/$1.log"
  use-syslog: no
  do-not-query-localhost: no
  local-zone: "test." nodefault
  msg-cache-size: 128m
  rrset-cache-size: 256m
EOF
}
# The encrypted front: plain DNS, DoT and DoH in front of the hierarchy's iterating upstream.
{
  unbound_conf front
  cat <<EOF
  num-threads: 1
  interface: $tls_addr@53
  interface: $tls_addr@853
  interface: $tls_addr@443
  tls-port: 853
  https-port: 443
  tls-service-key: "$work/front.key"
  tls-service-pem: "$work/front.pem"
  incoming-num-tcp: 1000
  module-config: "iterator"
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$UPSTREAM_PORT
remote-control:
  control-enable: no
EOF
} >"$work/front.conf"
unbound -c "$work/front.conf"
# Unbound as a validating forwarder to the front, over UDP and over DoT.
for who in unbound-udp unbound-dot; do
  {
    unbound_conf "$who"
    cat <<EOF
  num-threads: $threads
  interface: 127.0.0.1@${port[$who]}
  module-config: "validator iterator"
  trust-anchor-file: "$work/h/root-anchor.unbound"
  tls-cert-bundle: "$work/ca.pem"
forward-zone:
  name: "."
EOF
    if [[ $who == unbound-dot ]]; then
      echo "  forward-tls-upstream: yes"
      echo "  forward-addr: $tls_addr@853#dns.test"
    else
      echo "  forward-addr: $tls_addr@53"
    fi
    printf 'remote-control:\n  control-enable: no\n'
  } >"$work/$who.conf"
  unbound -c "$work/$who.conf"
  # The daemon writes its pid file after it forks: wait for it.
  for _ in $(seq 1 50); do [[ -s $work/$who.pid ]] && break; sleep 0.1; done
  pid[$who]=$(cat "$work/$who.pid")
done
# The proxy, one process per transport.
declare -A upstream=([proxy-udp]="$tls_addr:53" [proxy-dot]="tls://$tls_addr#dns.test"
  [proxy-doh]="https://$tls_addr/dns-query#dns.test")
for who in proxy-udp proxy-dot proxy-doh; do
  printf '[metrics]\nlisten = "127.0.0.1:%s"\n' "${metrics[$who]}" >"$work/$who.toml"
  "$proxy_bin" --config "$work/$who.toml" --listen "127.0.0.1:${port[$who]}" \
    --upstream "${upstream[$who]}" --tls-ca-file "$work/ca.pem" \
    --trust-anchor "$work/h/root-anchor.ds" --log-level warn --threads "$threads" \
    2>"$work/$who.log" &
  pid[$who]=$!
done

# Before measuring: each answers, validates (ad) and rejects a bad signature (SERVFAIL).
for who in $servers; do
  p=${port[$who]}
  for _ in $(seq 1 50); do
    dig +time=1 +tries=1 @127.0.0.1 -p "$p" . SOA 2>/dev/null | grep -q 'status: NOERROR' && break
    sleep 0.2
  done
  out=$(dig +dnssec +time=2 +tries=2 @127.0.0.1 -p "$p" www.secure-ecdsa.test A 2>&1) || true
  if ! grep -qE ';; flags:[a-z ]* ad[ ;]' <<<"$out"; then
    echo "bench: $who does not validate (no ad for www.secure-ecdsa.test):" >&2
    echo "$out" >&2
    exit 1
  fi
  if ! dig +dnssec +time=2 +tries=2 @127.0.0.1 -p "$p" www.badsig.test A | grep -q 'status: SERVFAIL'; then
    echo "bench: $who accepts a bad signature" >&2
    exit 1
  fi
done

# Names: an equal share per server and round, never asked of that server before. The front
# is warmed with all of them, so every server measures its own validation and transport.
read -r -a S <<<"$servers"
share=$((BENCH_NAMES / ${#S[@]} / rounds))
next=1
for r in $(seq 1 "$rounds"); do
  for who in "${S[@]}"; do
    seq -f 'h%g.wildcard.test A' "$next" $((next + share - 1)) >"$work/miss-$who-$r.txt"
    next=$((next + share))
  done
done
cat "$work"/miss-*.txt >"$work/warm.txt"
echo "bench: warming the front with $(wc -l <"$work/warm.txt") names" >&2
dnsperf -s "$tls_addr" -p 53 -d "$work/warm.txt" -D -n 1 -q 200 >/dev/null 2>&1 || true

handshakes() { # handshakes WHO -> TLS handshakes the proxy made so far
  curl -s "http://127.0.0.1:${metrics[$1]}/metrics" |
    awk '/^dnssec_proxy_upstream_tls_handshakes_total/ { t += $2 } END { print t + 0 }'
}
# measure WHO FILE -> "qps cpu_us p50_ms p99_ms handshakes_per_10k"
measure() {
  local who=$1 file=$2 t0 t1 h0 h1 out
  t0=$(cpu_ticks "${pid[$who]}")
  [[ $who == proxy-* ]] && h0=$(handshakes "$who")
  out=$(dnsperf -s 127.0.0.1 -p "${port[$who]}" -d "$file" -D -c "$clients" -n 1 -q 100 -v 2>&1)
  t1=$(cpu_ticks "${pid[$who]}")
  h1=-
  [[ $who == proxy-* ]] && h1=$(($(handshakes "$who") - h0))
  local qps done pcts
  qps=$(awk '/Queries per second/ { print $4 }' <<<"$out")
  done=$(awk '/Queries completed/ { print $3 }' <<<"$out")
  pcts=$(awk '$1 == ">" { print $NF * 1000 }' <<<"$out" | sort -n |
    awk '{ a[NR] = $1 } END { if (NR) printf "%.3f %.3f", a[int(NR*0.5)+1], a[int(NR*0.99)]; else print "- -" }')
  awk -v q="$qps" -v d="$done" -v t=$((t1 - t0)) -v hz="$tck" -v p="$pcts" -v h="$h1" \
    'BEGIN { printf "%.0f %.1f %s %s\n", q, (d > 0 ? t / hz * 1e6 / d : 0), p,
             (h == "-" || d == 0 ? "-" : sprintf("%.2f", h * 10000 / d)) }'
}

declare -A got
for r in $(seq 1 "$rounds"); do
  order=("${S[@]:$(((r - 1) % ${#S[@]}))}" "${S[@]:0:$(((r - 1) % ${#S[@]}))}")
  for who in "${order[@]}"; do
    row=$(measure "$who" "$work/miss-$who-$r.txt")
    got[$who]+="$row;"
    echo "bench: round $r $who: $row (q/s, CPU us/miss, p50 ms, p99 ms, handshakes/10k)" >&2
  done
done
declare -A col
for who in $servers; do
  row=
  for c in 1 2 3 4 5; do
    v=$(tr ';' '\n' <<<"${got[$who]}" | awk -v c="$c" 'NF && $c != "-" { print $c }' | median)
    row+="${v:--} "
  done
  col[$who]=$row
done

printf '\n%s, %s cores, %s thread(s) each, %s, %s misses per server and round, median of %s rounds; unbound %s\n' \
  "$(uname -m)" "$(nproc)" "$threads" "$(date -u +%Y-%m-%d)" "$share" "$rounds" \
  "$(unbound -V | awk 'NR == 1 { print $2 }')"
labels=("miss queries/s" "miss CPU us/query" "miss p50 ms" "miss p99 ms" "TLS handshakes per 10k")
printf '| %-24s | %9s | %9s | %9s | %11s | %11s |\n' "measure" "proxy UDP" "proxy DoT" \
  "proxy DoH" "unbound UDP" "unbound DoT"
printf '|%s|%s|%s|%s|%s|%s|\n' "--------------------------" "-----------" "-----------" \
  "-----------" "-------------" "-------------"
for i in 0 1 2 3 4; do
  vals=()
  for who in $servers; do
    read -r -a v <<<"${col[$who]}"
    vals+=("${v[$i]}")
  done
  printf '| %-24s | %9s | %9s | %9s | %11s | %11s |\n' "${labels[$i]}" "${vals[@]}"
done
read -r -a pu <<<"${col[proxy-udp]}"
read -r -a pt <<<"${col[proxy-dot]}"
read -r -a ph <<<"${col[proxy-doh]}"
read -r -a ut <<<"${col[unbound-dot]}"
printf '\nproxy DoT / proxy UDP misses/s: %s (target >= 0.8)\n' "$(ratio "${pt[0]}" "${pu[0]}")"
printf 'proxy DoT / unbound DoT misses/s: %s (target >= 1.5)\n' "$(ratio "${pt[0]}" "${ut[0]}")"
printf 'proxy DoH / proxy UDP misses/s: %s\n' "$(ratio "${ph[0]}" "${pu[0]}")"
printf 'proxy TLS handshakes per 10k queries: DoT %s, DoH %s (target <= 2)\n' "${pt[4]}" "${ph[4]}"
