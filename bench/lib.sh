# bench/lib.sh: helpers shared by bench/bench.sh, bench/encrypted.sh and bench/soak.sh (sourced).
# shellcheck shell=bash

# cpu_ticks "PID..." -> utime+stime clock ticks summed over the processes.
cpu_ticks() { local p; for p in $1; do cat "/proc/$p/stat"; done | awk '{ t += $14 + $15 } END { print t }'; }
# status_kib FIELD "PID..." -> a /proc/PID/status field (VmRSS, VmHWM) summed, in KiB.
status_kib() { local p; for p in $2; do cat "/proc/$p/status"; done | awk -v f="$1:" '$1 == f { t += $2 } END { print t }'; }
# median: of the numbers on stdin, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# ratio A B -> A/B with two decimals, "-" when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
# shellcheck disable=SC2034 # used by the scripts that source this file
tck=$(getconf CLK_TCK)

# check_validates WHO PORT: the validator on 127.0.0.1:PORT answers, validates (ad for a
# secure name of tests/fixtures/hierarchy.sh) and rejects bogus answers (SERVFAIL for a bad
# signature and for an expired one); else says what it answered, on stderr, and fails.
check_validates() {
  local who=$1 port=$2 out name
  for _ in $(seq 1 50); do
    dig +time=1 +tries=1 @127.0.0.1 -p "$port" . SOA 2>/dev/null | grep -q 'status: NOERROR' && break
    sleep 0.2
  done
  out=$(dig +dnssec +time=2 +tries=2 @127.0.0.1 -p "$port" www.secure-ecdsa.test A 2>&1) || true
  if ! grep -q 'status: NOERROR' <<<"$out" || ! grep -qE ';; flags:[a-z ]* ad[ ;]' <<<"$out"; then
    echo "${0##*/}: $who (127.0.0.1 port $port) does not validate: www.secure-ecdsa.test A is not NOERROR with ad:" >&2
    echo "$out" >&2
    return 1
  fi
  for name in www.badsig.test www.expired.test; do
    out=$(dig +dnssec +time=2 +tries=2 @127.0.0.1 -p "$port" "$name" A 2>&1) || true
    if ! grep -q 'status: SERVFAIL' <<<"$out"; then
      echo "${0##*/}: $who (127.0.0.1 port $port) accepts a bogus answer: $name A is not SERVFAIL:" >&2
      echo "$out" >&2
      return 1
    fi
  done
}
