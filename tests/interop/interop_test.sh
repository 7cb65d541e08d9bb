#!/usr/bin/env bash
# Issue 22: the interop matrix. The signed fixture hierarchy (tests/fixtures/hierarchy.sh) with
# every real resolver Debian ships started on loopback in front of it, as the upstream:
#
#   unbound          the hierarchy's iterating Unbound (module-config: "iterator")
#   bind             BIND named, recursive, dnssec-validation no, root hints = the private root
#   kresd            Knot Resolver, no trust anchor (validation off), root hints = the private root
#   kresd-validating Knot Resolver with the private root's trust anchor (its default mode)
#   pdns             PowerDNS Recursor, dnssec=process-no-validate, hint-file = the private root
#   pdns-dnssec-off  PowerDNS Recursor, dnssec=off: strips every DNSSEC record. Every case must
#                    be SERVFAIL with EDE 10 naming the upstream, never insecure
#   dnsmasq-bind     dnsmasq --no-daemon (one TCP connection at a time) forwarding to named
#   dnsmasq-unbound  dnsmasq --no-daemon forwarding to the iterating Unbound (a chain)
#
# Behind each upstream U: one dnssec-proxy and one Unbound as a validating forwarder (a copy of
# the hierarchy's reference configuration pointed at U). The same cases (hierarchy.sh's EXPECT
# table plus DS and DNSKEY questions asked directly) go to both, in parallel; a cell passes when
# the proxy's rcode, AD and first EDE code equal the table and equal Unbound's behind the same
# U in the same run, except where KNOWN or QUIRKS below say otherwise (each such cell prints
# the reason). Prints one line per cell and "N passed, M failed" last.
#
# usage: interop_test.sh PROXY_BINARY
# env:   INTEROP_NET (default 127.231.40: the hierarchy on .N:53, dnsmasq on .250/.251:53)
#        INTEROP_JOBS (parallel queries, default 8)  INTEROP_KEEP=1 (keep the work dir)
# Needs root and (Debian 12): knot unbound bind9 bind9-utils bind9-dnsutils ldnsutils
# knot-resolver pdns-recursor dnsmasq. Nothing is queried beyond loopback: every resolver's
# only root server is the private root at $INTEROP_NET.1.
set -uo pipefail
PROXY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
HIER=$HERE/../fixtures/hierarchy.sh
START=$(date +%s.%N)
W=$(mktemp -d /tmp/interop.XXXXXX)
NET=${INTEROP_NET:-127.231.40}
JOBS=${INTEROP_JOBS:-8}
mkdir -p "$W/pids" "$W/res"

fatal() { # fatal MESSAGE [LOG]: a setup failure counts as one failed check
  echo "interop: $1" >&2
  [[ -n ${2:-} && -f $2 ]] && tail -n 30 "$2" >&2
  echo "0 passed, 1 failed"
  exit 1
}
for tool in knotd unbound named kresd pdns_recursor dnsmasq dig /usr/bin/python3; do
  command -v "$tool" >/dev/null 2>&1 ||
    fatal "'$tool' not found: apt-get install -y knot unbound bind9 bind9-utils bind9-dnsutils ldnsutils knot-resolver pdns-recursor dnsmasq-base"
done
[[ $(id -u) == 0 ]] || fatal "needs root (Knot and dnsmasq bind port 53 on $NET.N)"

# Every pid we start goes to $W/pids/NAME.pid; cleanup signals only pids whose command line
# still names $W (every daemon here gets a file or directory under $W on its command line).
ours() { [[ $1 =~ ^[0-9]+$ ]] && { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$W"; }
cleanup() {
  local f pid i
  local -a pids=()
  for f in "$W"/pids/*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f" 2>/dev/null)
    if ours "$pid"; then kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); fi
  done
  for i in $(seq 1 50); do
    for f in "${!pids[@]}"; do ours "${pids[$f]}" || unset 'pids[f]'; done
    ((${#pids[@]} > 0)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  "$HIER" stop "$W/h" >/dev/null 2>&1
  if [[ ${INTEROP_KEEP:-0} == 1 ]]; then echo "interop: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ephemeral ports, all distinct: one call binds them all at once.
read -r UPSTREAM_PORT REFERENCE_PORT P_BIND P_KRESD P_KRESDV P_PDNS P_PDNSOFF PORTS_REST < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(23)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
read -ra FREE <<<"$PORTS_REST"   # 16 more: a proxy and a reference per upstream
export HIERARCHY_NET=$NET UPSTREAM_PORT REFERENCE_PORT

"$HIER" build "$W/h" >"$W/build.log" 2>&1 || fatal "hierarchy build failed" "$W/build.log"
"$HIER" start "$W/h" >"$W/start.log" 2>&1 || fatal "hierarchy start failed" "$W/start.log"
HINTS=$W/h/root.hints

# wait_up ADDR PORT LOG: until the resolver answers ". SOA" at all (at most ~10 s; SERVFAIL
# counts: the proxy behind the stripping upstream answers nothing else).
wait_up() {
  local i
  for i in $(seq 1 50); do
    dig +time=1 +tries=1 @"$1" -p "$2" . SOA 2>/dev/null | grep -q "status: " && return 0
    sleep 0.2
  done
  fatal "nothing answers on $1 port $2" "$3"
}
# started NAME: record the pid of the last background job.
started() { echo $! >"$W/pids/$1.pid"; }

# --- BIND named: recursive, no validation, the private root as its only hint ----------------
mkdir -p "$W/bind"
cat >"$W/bind/named.conf" <<EOF
options {
    directory "$W/bind";
    pid-file "$W/bind/named.pid";
    session-keyfile "$W/bind/session.key";
    managed-keys-directory "$W/bind";
    listen-on port $P_BIND { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion yes;
    allow-query { 127.0.0.0/8; };
    allow-recursion { 127.0.0.0/8; };
    dnssec-validation no;
    empty-zones-enable no;
    notify no;
};
controls { };
logging {
    channel file { file "$W/bind/named.log"; severity info; print-time yes; print-category yes; };
    category default { file; };
    category lame-servers { file; };
    category resolver { file; };
};
// The only root hints: the private root (named's built-in hints are for the real root).
zone "." { type hint; file "$HINTS"; };
EOF
named-checkconf "$W/bind/named.conf" >"$W/bind/check.log" 2>&1 || fatal "named-checkconf failed" "$W/bind/check.log"
named -4 -f -c "$W/bind/named.conf" >"$W/bind/stderr.log" 2>&1 &
started bind

# --- Knot Resolver: the private root as its only hint ---------------------------------------
kresd_start() { # kresd_start NAME PORT TRUST-ANCHOR-LINE
  mkdir -p "$W/$1"
  cat >"$W/$1/kresd.conf" <<EOF
net.listen('127.0.0.1', $2, { kind = 'dns' })
net.ipv6 = false
$3
modules = { 'hints > iterate' }
-- Replaces the built-in root hints (the real root servers).
hints.root({ ['a.root-servers.'] = '$NET.1' })
cache.open(20 * MB, 'lmdb://$W/$1/cache')
-- Loopback authoritative servers are refused unless ALLOW_LOCAL; test. is refused by the
-- special-use-names rules (RFC 6761) unless a rule before them lets it pass.
policy.add(policy.all(policy.FLAGS({'ALLOW_LOCAL'})))
policy.add(policy.suffix(policy.PASS, { todname('test.') }))
log_level('info')
EOF
  (cd "$W/$1" && exec kresd -n -c "$W/$1/kresd.conf" "$W/$1" >"$W/$1/kresd.log" 2>&1) &
  started "$1"
}
# Validation off: no trust anchor at all (kresd bootstraps the real root's otherwise).
kresd_start kresd "$P_KRESD" "trust_anchors.remove('.')"
# Validating (kresd's default), from the private root's anchor, read-only (no RFC 5011 file).
kresd_start kresd-validating "$P_KRESDV" "trust_anchors.add_file('$W/h/root-anchor.ds', true)"

# --- PowerDNS Recursor: the private root as its only hint -----------------------------------
pdns_start() { # pdns_start NAME PORT DNSSEC-MODE
  mkdir -p "$W/$1"
  cat >"$W/$1/recursor.conf" <<EOF
local-address=127.0.0.1
local-port=$2
allow-from=127.0.0.0/8
# The default dont-query list holds 127.0.0.0/8: the private hierarchy lives there.
dont-query=
hint-file=$HINTS
dnssec=$3
security-poll-suffix=
threads=1
daemon=no
socket-dir=$W/$1
disable-syslog=yes
loglevel=6
trace=fail
EOF
  pdns_recursor --config-dir="$W/$1" >"$W/$1/pdns.log" 2>&1 &
  started "$1"
}
# DNSSEC records passed through to clients that set DO, nothing validated.
pdns_start pdns "$P_PDNS" process-no-validate
# No DO upstream, no DNSSEC records to clients: a stripping upstream.
pdns_start pdns-dnssec-off "$P_PDNSOFF" off

wait_up 127.0.0.1 "$P_BIND" "$W/bind/named.log"
wait_up 127.0.0.1 "$P_KRESD" "$W/kresd/kresd.log"
wait_up 127.0.0.1 "$P_KRESDV" "$W/kresd-validating/kresd.log"
wait_up 127.0.0.1 "$P_PDNS" "$W/pdns/pdns.log"
wait_up 127.0.0.1 "$P_PDNSOFF" "$W/pdns-dnssec-off/pdns.log"

# --- dnsmasq 2.90, exactly as issue 22 ran it (--no-daemon: one TCP connection at a time) ----
dnsmasq_start() { # dnsmasq_start NAME ADDR SERVER
  dnsmasq --no-daemon --no-resolv --server="$3" --listen-address="$2" --bind-interfaces \
    --port=53 --no-hosts --log-queries --log-facility=- --pid-file="$W/pids/$1.dnsmasq.pid" \
    >"$W/$1.log" 2>&1 &
  started "$1"
  wait_up "$2" 53 "$W/$1.log"
}
dnsmasq_start dnsmasq-bind "$NET.250" "127.0.0.1#$P_BIND"
dnsmasq_start dnsmasq-unbound "$NET.251" "127.0.0.1#$UPSTREAM_PORT"

# The upstreams: name, address for --upstream, address for Unbound's forward-addr, and
# "strip" for the one that strips DNSSEC (every case: SERVFAIL, EDE 10 naming it).
UPSTREAMS="
unbound          127.0.0.1:$UPSTREAM_PORT 127.0.0.1@$UPSTREAM_PORT -
bind             127.0.0.1:$P_BIND        127.0.0.1@$P_BIND        -
kresd            127.0.0.1:$P_KRESD       127.0.0.1@$P_KRESD       -
kresd-validating 127.0.0.1:$P_KRESDV      127.0.0.1@$P_KRESDV      -
pdns             127.0.0.1:$P_PDNS        127.0.0.1@$P_PDNS        -
dnsmasq-bind     $NET.250                 $NET.250@53              -
dnsmasq-unbound  $NET.251                 $NET.251@53              -
pdns-dnssec-off  127.0.0.1:$P_PDNSOFF     127.0.0.1@$P_PDNSOFF     strip
"

# --- behind each upstream: a dnssec-proxy and a validating Unbound --------------------------
i=0
: >"$W/targets"
while read -r u addr fwd mode; do
  [[ -n ${u:-} ]] || continue
  pp=${FREE[$i]} rp=${FREE[$((i + 1))]}
  i=$((i + 2))
  # Unbound keeps a TCP connection to its upstream open for reuse for 60 s by default
  # (tcp-reuse-timeout); dnsmasq --no-daemon serves one TCP connection at a time and reads no
  # UDP meanwhile, so every query behind it would stall for a minute after each TC answer.
  sed -e "s/port: $REFERENCE_PORT/port: $rp/" -e "s/forward-addr: .*/forward-addr: $fwd/" \
    -e "s/^server:/server:\n    tcp-reuse-timeout: 200/" \
    -e "s|pidfile: .*|pidfile: \"$W/pids/ref-$u.pid\"|" -e "s|logfile: .*|logfile: \"$W/ref-$u.log\"|" \
    "$W/h/run/unbound-reference.conf" >"$W/ref-$u.conf"
  unbound -c "$W/ref-$u.conf" >"$W/ref-$u.out" 2>&1 || fatal "reference Unbound behind $u did not start" "$W/ref-$u.out"
  "$PROXY" --listen "127.0.0.1:$pp" --upstream "$addr" --trust-anchor "$W/h/root-anchor.ds" \
    --threads 1 --log-level debug 2>"$W/proxy-$u.log" &
  started "proxy-$u"
  echo "$u $pp $rp $addr $mode" >>"$W/targets"
done <<<"$UPSTREAMS"
while read -r u pp rp addr mode; do
  wait_up 127.0.0.1 "$pp" "$W/proxy-$u.log"
  wait_up 127.0.0.1 "$rp" "$W/ref-$u.log"
done <"$W/targets"
SETUP=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

# --- the cases ------------------------------------------------------------------------------
# hierarchy.sh's EXPECT table (name type rcode ad ede; ede "A/B": either), then DS and DNSKEY
# questions asked directly (verdicts checked against the reference Unbound 1.17.1).
{
  sed -n '/^readonly EXPECT="/,/^"/p' "$HIER" | sed '1d;$d'
  cat <<'EOF'
.                                 DNSKEY NOERROR 1 -
test.                             DNSKEY NOERROR 1 -
secure-ecdsa.test.                DNSKEY NOERROR 1 -
secure-rsasha256.test.            DNSKEY NOERROR 1 -
nsec3.test.                       DNSKEY NOERROR 1 -
badsig.test.                      DNSKEY NOERROR 1 -
secure-ecdsa.test.                DS     NOERROR 1 -
nsec3.test.                       DS     NOERROR 1 -
dsmismatch.test.                  DS     NOERROR 1 -
insecure.test.                    DS     NOERROR 1 -
www.secure-ecdsa.test.            DS     NOERROR 1 -
unsigned.nsec3optout.test.        DS     NOERROR 0 -
insecure.test.                    DNSKEY NOERROR 0 -
expired.test.                     DNSKEY SERVFAIL 0 7
unsigneddnskey.test.              DNSKEY SERVFAIL 0 10
dsmismatch.test.                  DNSKEY SERVFAIL 0 9/6
www.test.                         A      NOERROR 1 -
nx.test.                          A      NXDOMAIN 1 -
EOF
} | awk 'NF == 5' >"$W/cases"
[[ $(wc -l <"$W/cases") -gt 40 ]] || fatal "could not read the EXPECT table from $HIER"

# Where the proxy's verdict differs from Unbound 1.17's (the EXPECT table's) by design
# (tests/integration/validation_test.cc expects the same; README "Compared with Unbound"): an
# informational EDE on an insecure answer, which Unbound 1.17 does not attach, and a DNAME
# chain Unbound gives up on. Unbound must still give the table's verdict.
#   name type proxy-verdict why
KNOWN="
nx.nsec3iter.test.        A NXDOMAIN,ad=0,ede=27 Unbound_1.17_has_no_EDE_27_(NSEC3_iterations_over_its_limit:_insecure)
www.unknownalg.test.      A NOERROR,ad=0,ede=1   Unbound_1.17_attaches_no_EDE_1_to_an_insecure_answer
www.unknowndigest.test.   A NOERROR,ad=0,ede=2   Unbound_1.17_attaches_no_EDE_2_to_an_insecure_answer
www.dsunsupported.test.   A NOERROR,ad=0,ede=1   Unbound_1.17_attaches_no_EDE_1_to_an_insecure_answer
a.x.x.dnameup.test.       A NOERROR,ad=1,ede=-   Unbound_1.17_asks_a_DS_at_the_second_synthesised_CNAME,_gets_the_DNAME,_gives_up_(RFC_6672_§5.3.3:_secure)
"
# What an upstream does that changes the verdict behind it (README: "Upstreams it is tested
# behind"). upstream name type proxy-verdict ("-": the table's) Unbound-verdict (accepted
# besides the proxy's) why
QUIRKS="
kresd foo.wildcard.test.  A SERVFAIL,ad=0,ede=12 SERVFAIL,ad=0,ede=6 kresd_without_a_trust_anchor_drops_the_NSEC_that_proves_a_wildcard_expansion
kresd foo.wildcard3.test. A SERVFAIL,ad=0,ede=12 SERVFAIL,ad=0,ede=6 kresd_without_a_trust_anchor_drops_the_NSEC3_that_proves_a_wildcard_expansion
pdns  www.sub.dname.test. A - SERVFAIL,ad=0,ede=9 pdns_puts_the_synthesised_CNAME_before_its_DNAME:_Unbound_1.17_then_asks_for_a_DS_below_the_DNAME_and_fails
"
export KNOWN QUIRKS

# verdict OUTPUT -> "RCODE,ad=A,ede=E" (bash only: no process per field)
verdict() {
  local rc=NOANSWER ad=0 ede=- re_st='status: ([A-Z]+),' re_fl=$'\n;; flags:[a-z ]* ad[ ;]' re_ede=$'\n; EDE: ([0-9]+)'
  [[ $1 =~ $re_st ]] && rc=${BASH_REMATCH[1]}
  [[ $1 =~ $re_fl ]] && ad=1
  [[ $1 =~ $re_ede ]] && ede=${BASH_REMATCH[1]}
  echo "$rc,ad=$ad,ede=$ede"
}
# ask PORT NAME TYPE FILE -> "VERDICT MS"; dig's whole output goes to FILE
ask() {
  local t0=$EPOCHREALTIME t1
  # dig falls back to TCP by itself on TC; 8 s is above the proxy's 5 s deadline.
  dig +time=8 +tries=1 +dnssec @127.0.0.1 -p "$1" "$2" "$3" >"$4" 2>&1
  t1=$EPOCHREALTIME
  echo "$(verdict "$(<"$4")") $(((${t1/./} - ${t0/./}) / 1000))"
}
# in_alt VERDICT PATTERN: VERDICT matches PATTERN, whose EDE may list alternatives ("9/6")
in_alt() { [[ ${1%,ede=*} == "${2%,ede=*}" && /${2##*ede=}/ == */${1##*ede=}/* ]]; }
# cell U PROXYPORT REFPORT UPSTREAM MODE N NAME TYPE RCODE AD EDE: ask both, print the result line
cell() {
  local u=$1 pp=$2 rp=$3 addr=$4 mode=$5 n=$6 name=$7 type=$8 rcode=$9 ad=${10} ede=${11}
  local p r pms rms want=$9,ad=${10},ede=${11} note="" known quirk ok=ok
  p=$(ask "$pp" "$name" "$type" "$W/raw/$u.$n.proxy") r=$(ask "$rp" "$name" "$type" "$W/raw/$u.$n.unbound")
  pms=${p##* } p=${p% *} rms=${r##* } r=${r% *}
  known=$(awk -v n="$name" -v t="$type" '$1 == n && $2 == t { print $3, $4 }' <<<"$KNOWN")
  quirk=$(awk -v u="$u" -v n="$name" -v t="$type" '$1 == u && $2 == n && $3 == t { print $4, $5, $6 }' <<<"$QUIRKS")
  if [[ $mode == strip ]]; then
    # Nothing can be proven behind it: SERVFAIL, EDE 10, and the EDE text names the upstream.
    want=SERVFAIL,ad=0,ede=10
    in_alt "$p" "$want" && grep -qF "upstream $addr" "$W/raw/$u.$n.proxy" || ok=FAIL
    in_alt "$r" "$want" || ok=FAIL
    note=" (upstream strips DNSSEC)"
  else
    if [[ -n $quirk ]]; then
      [[ ${quirk%% *} != - ]] && want=${quirk%% *}
      note=" (upstream quirk: ${quirk##* })"
    elif [[ -n $known ]]; then
      want=${known%% *}
    fi
    in_alt "$p" "$want" || ok=FAIL
    # Unbound behind the same upstream: the same verdict (EDE alternatives of the table
    # count as equal), or the known or quirk difference named above.
    if [[ $r == "$p" ]] || { in_alt "$r" "$want" && in_alt "$p" "$want"; }; then
      :
    elif [[ -n $known ]] && in_alt "$r" "$rcode,ad=$ad,ede=$ede"; then
      note=" (known: ${known#* })"
    elif [[ -n $quirk ]] && in_alt "$r" "$(cut -d' ' -f2 <<<"$quirk")"; then
      :
    else
      ok=FAIL
    fi
  fi
  [[ $ok == FAIL ]] && note="$note want proxy=$want"
  printf '%s %s %s: proxy=%s unbound=%s (%s/%s ms) %s%s\n' "$u" "$name" "$type" "$p" "$r" \
    "$pms" "$rms" "$ok" "$note"
}
# one ARGS...: cell, written to $W/res/U.N. A cell that fails is asked once more, 2 s later:
# eight real resolvers on a loaded 2-core machine drop a packet now and then (a dnsmasq busy
# with one TCP connection reads no UDP), and a wrong verdict fails twice. A pass on the second
# try says so, with the first try's line, so that a flaky cell stays visible.
one() {
  local first second
  first=$(cell "$@")
  if [[ $first == *" FAIL"* ]]; then
    sleep 2
    second=$(cell "$@")
    first=${first#*: }
    [[ $second != *" FAIL"* ]] && second="$second (on the second try; the first: ${first// FAIL/ mismatch})"
    first=$second
  fi
  echo "$first" >"$W/res/$1.$6"
}
export -f one cell ask verdict in_alt
export W
mkdir -p "$W/raw"

QSTART=$(date +%s.%N)
awk 'NR == FNR { t[++nt] = $0; next }
     { for (i = 1; i <= nt; i++) print t[i], FNR, $0 }' "$W/targets" "$W/cases" | xargs -P "$JOBS" -L 1 bash -c 'one "$@"' one
QTIME=$(awk -v s="$QSTART" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

# --- results --------------------------------------------------------------------------------
passed=0 failed=0
ncases=$(wc -l <"$W/cases")
while read -r u pp rp addr mode; do
  for n in $(seq 1 "$ncases"); do
    if [[ -f $W/res/$u.$n ]]; then line=$(cat "$W/res/$u.$n"); else line="$u case $n: no result FAIL"; fi
    echo "$line"
    if [[ $line == *" FAIL"* ]]; then failed=$((failed + 1)); else passed=$((passed + 1)); fi
  done
done <"$W/targets"

# Each upstream iterated from the private root, nowhere else: its ". NS" is a.root-servers.
# (Up to three tries: a dnsmasq busy with a TCP connection reads no UDP meanwhile.)
while read -r u a fwd mode; do
  [[ -n ${u:-} ]] || continue
  p=${fwd##*@} a=${fwd%@*}
  ns=$(dig +time=3 +tries=3 +short @"$a" -p "$p" . NS 2>&1 | tr '\n' ' ')
  if [[ $ns == "a.root-servers. " ]]; then
    echo "$u . NS: $ns(the private root) ok"
    passed=$((passed + 1))
  else
    echo "$u . NS: '$ns' is not the private root FAIL"
    failed=$((failed + 1))
  fi
done <<<"$UPSTREAMS"

if ((failed > 0)); then
  echo "---- proxy debug log lines of the failed cells:"
  grep -h ' FAIL' "$W"/res/* 2>/dev/null | while read -r u name type rest; do
    type=${type%:}
    echo "-- $u $name $type (log $W/proxy-$u.log; dig outputs in $W/raw/)"
    grep -F -- "${name%.}" "$W/proxy-$u.log" | tail -n 15
  done
fi
echo "setup ${SETUP} s, queries ${QTIME} s, total $(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
