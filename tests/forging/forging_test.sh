#!/usr/bin/env bash
# Issue 21: nothing forged leaves with AD or enters the cache. The signed fixture hierarchy
# (tests/fixtures/hierarchy.sh) behind a forging upstream (forging_upstream.py: relays to the
# hierarchy's iterating Unbound and rewrites chosen replies), with the proxy and Unbound as a
# validating forwarder both behind it, in the same run. Each case is asked with and without
# DO, twice (the second from the caches). Prints a line per check and "N passed, M failed".
# usage: forging_test.sh PROXY_BINARY
set -uo pipefail
PROXY=$1
HERE=$(cd "$(dirname "$0")" && pwd)
HIER=$HERE/../fixtures/hierarchy.sh
W=$(mktemp -d /tmp/forging.XXXXXX)
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UPSTREAM_PORT=$(port) REFERENCE_PORT=$(port) FORGE_PORT=$(port) FREF_PORT=$(port) PROXY_PORT=$(port)
export HIERARCHY_NET=127.231.3 UPSTREAM_PORT REFERENCE_PORT
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [[ -f $W/fref.pid ]] && kill "$(cat "$W/fref.pid")" 2>/dev/null
  "$HIER" stop "$W/h" >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT
"$HIER" build "$W/h" >"$W/build.log" 2>&1 || { cat "$W/build.log"; echo "0 passed, 1 failed"; exit 1; }
"$HIER" start "$W/h" >"$W/start.log" 2>&1 || { cat "$W/start.log"; echo "0 passed, 1 failed"; exit 1; }

/usr/bin/python3 "$HERE/forging_upstream.py" "$FORGE_PORT" "$UPSTREAM_PORT" 2>"$W/forge.log" &
pids+=($!)
# The reference: the hierarchy's validating Unbound, forwarding to the forging upstream.
sed -e "s/port: $REFERENCE_PORT/port: $FREF_PORT/" -e "s/@$UPSTREAM_PORT/@$FORGE_PORT/" \
  -e "s|pidfile: .*|pidfile: \"$W/fref.pid\"|" -e "s|logfile: .*|logfile: \"$W/fref.log\"|" \
  "$W/h/run/unbound-reference.conf" >"$W/fref.conf"
unbound -c "$W/fref.conf" || { echo "reference unbound did not start"; echo "0 passed, 1 failed"; exit 1; }
"$PROXY" --listen "127.0.0.1:$PROXY_PORT" --upstream "127.0.0.1:$FORGE_PORT" \
  --trust-anchor "$W/h/root-anchor.ds" --log-level info 2>"$W/proxy.log" &
pids+=($!)
for i in $(seq 1 50); do
  dig +time=1 +tries=1 @127.0.0.1 -p "$PROXY_PORT" www.insecure.test A >/dev/null 2>&1 &&
    dig +time=1 +tries=1 @127.0.0.1 -p "$FREF_PORT" www.insecure.test A >/dev/null 2>&1 && break
  sleep 0.2
done

passed=0 failed=0
check() { # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
    echo "---- proxy:"; echo "$got"; echo "---- reference:"; echo "$ref"
  fi
}
status() { sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$1" | head -1; }
has_ad() { grep -qE '^;; flags:[^;]* ad[ ;]' <<<"$1"; }
ede() { sed -n 's/^; EDE: \([0-9]*\).*/\1/p' <<<"$1" | head -1; }

# name type | our rcode, AD (1/0), EDE ("-": none), forged data that must never appear,
# whether Unbound must give the same rcode and AD ("same", or "differs: why").
while read -r name type rcode ad code forged same; do
  [[ -z $name ]] && continue
  for round in 1 2; do
    for opt in "+dnssec" "+nodnssec"; do
      got=$(dig +time=4 +tries=1 @127.0.0.1 -p "$PROXY_PORT" $opt "$name" "$type" 2>&1)
      ref=$(dig +time=4 +tries=1 @127.0.0.1 -p "$FREF_PORT" $opt "$name" "$type" 2>&1)
      tag="$name $type $opt round $round"
      check "$tag: rcode $rcode" test "$(status "$got")" == "$rcode"
      want_ad=$ad  # dig sets AD in its queries, so AD comes back without DO too (RFC 6840 §5.7)
      if [[ $want_ad == 1 ]]; then check "$tag: AD set" has_ad "$got"; else check "$tag: AD clear" bash -c '! grep -qE "^;; flags:[^;]* ad[ ;]" <<<"$0"' "$got"; fi
      if [[ $code != - && $rcode == SERVFAIL ]]; then
        check "$tag: EDE $code" test "$(ede "$got")" == "$code"
      fi
      check "$tag: no forged $forged" bash -c '! grep -qF -- "$1" <<<"$0"' "$got" "$forged"
      if [[ $same == same ]]; then
        check "$tag: same rcode as Unbound" test "$(status "$got")" == "$(status "$ref")"
        if [[ $opt == +dnssec ]]; then
          check "$tag: same AD as Unbound" test "$(has_ad "$got" && echo 1 || echo 0)" == "$(has_ad "$ref" && echo 1 || echo 0)"
        fi
      else
        echo "note $tag: Unbound answers $(status "$ref")$(has_ad "$ref" && echo ' with AD') ($same)"
      fi
      if [[ $name == www.secure-ed25519.test. ]]; then
        # RFC 4035 §5.3.3: never above the RRSIG's original TTL (300).
        ttl=$(awk '$1 == "www.secure-ed25519.test." && $4 == "A" { print $2 }' <<<"$got" | head -1)
        check "$tag: TTL $ttl <= 300" test "${ttl:-999999}" -le 300
      fi
      if [[ $name == www.secure-rsasha512.test. ]]; then
        check "$tag: only the genuine A" test "$(awk '$4 == "A" || $4 == "NS"' <<<"$got" | grep -vc '^;')" == 1
      fi
    done
  done
done <<'CASES'
www.secure-ecdsa.test.        A  SERVFAIL 0 6  6.6.6.6      same
www.secure-rsasha256.test.    A  SERVFAIL 0 6  h.test.      same
www.secure-rsasha512.test.    A  NOERROR  1 -  6.6.6.6      same
www.secure-ed25519.test.      A  NOERROR  1 -  2000000000   same
www.sub.dname.test.           A  SERVFAIL 0 6  192.0.2.16   same
nx.secure-ed448.test.         A  SERVFAIL 0 12 NOERROR      same
www.secure-ecdsa384.test.     A  SERVFAIL 0 6  6.6.6.6      same
www.secure-ed448.test.        A  SERVFAIL 0 -  192.0.2.14   same
*.wildcard.test.              A  NOERROR  1 -  6.6.6.6      same
host.ent.secure-rsasha1.test. A  SERVFAIL 0 -  c1999        differs:_Unbound_may_need_more_than_dig's_4_s_for_2000_CNAMEs
CASES
# The proxy is still up and answers the genuine data.
got=$(dig +time=4 +tries=1 @127.0.0.1 -p "$PROXY_PORT" +dnssec www.secure-rsasha1.test A 2>&1)
ref=""
check "proxy still answers after the forgeries" test "$(status "$got")" == NOERROR
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
