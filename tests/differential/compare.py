#!/usr/bin/python3
"""compare.py: ask the proxy and the reference Unbound every case of cases.tsv, compare.

  compare.py PROXY_PORT REFERENCE_PORT CASES.tsv EXPECTED_DIFFERENCES [JOBS]

Each case (name, qname, qtype) is asked of both, on 127.0.0.1, four ways: UDP with DO, UDP
without DO, UDP with DO and CD, TCP with DO (a truncated UDP reply is asked again over
TCP, as a stub would). Every query has RD and AD set, as dig sends them (RFC 6840 §5.7: AD
in a query asks for the AD bit without DO). For each way the rcode, the AD bit and whether
the answer section holds the asked type (data) must be the same, except that AD is not
compared with CD (RFC 4035 §3.2.2 leaves it to the server; Unbound sets it only from cache).

A case named in EXPECTED_DIFFERENCES that differs is "known", not a failure; one that no
longer differs is reported so that the list can shrink (unless its reason says "(flaky)"). Prints one line per case and
"N passed, M failed" last (N counts known differences; the line before says how many).
Exits 1 when a case failed. Needs /usr/bin/python3 with python3-dnspython.
"""
import concurrent.futures
import os
import sys
import time

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

TIMEOUT = 8.0
MODES = ("udp+do", "udp", "udp+do+cd", "tcp+do")


def ask(port, qname, qtype, mode):
    q = dns.message.make_query(qname, qtype, want_dnssec="do" in mode, use_edns=0, payload=1232)
    q.flags |= dns.flags.AD | dns.flags.RD
    if "cd" in mode:
        q.flags |= dns.flags.CD
    try:
        if mode.startswith("tcp"):
            r = dns.query.tcp(q, "127.0.0.1", timeout=TIMEOUT, port=port)
        else:
            r = None
            for _ in range(2):
                try:
                    r = dns.query.udp(q, "127.0.0.1", timeout=TIMEOUT / 2, port=port,
                                      ignore_trailing=True)
                    break
                except dns.exception.Timeout:
                    continue
            if r is None:
                return ("TIMEOUT", 0, 0, "-")
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(q, "127.0.0.1", timeout=TIMEOUT, port=port)
    except dns.exception.Timeout:
        return ("TIMEOUT", 0, 0, "-")
    except Exception as e:  # noqa: BLE001 - a broken reply is a result to report
        return ("ERROR:" + type(e).__name__, 0, 0, "-")
    rtype = dns.rdatatype.from_text(qtype)
    data = int(any(rrset.rdtype == rtype for rrset in r.answer))
    ede = "-"
    for opt in r.options:
        if opt.otype == dns.edns.EDE:
            ede = str(int(opt.code))
            break
    return (dns.rcode.to_text(r.rcode()), int(bool(r.flags & dns.flags.AD)), data, ede)


def show(res):
    rcode, ad, data, ede = res
    return "%s%s%s%s" % (rcode, " ad" if ad else "", " data" if data else "",
                         "" if ede == "-" else " ede=" + ede)


def same(mode, a, b):
    if mode == "udp+do+cd":
        return a[0] == b[0] and a[2] == b[2]
    return a[:3] == b[:3]


def run_case(case, pport, rport):
    name, qname, qtype = case
    diffs = []
    first = None
    for mode in MODES:
        p = ask(pport, qname, qtype, mode)
        r = ask(rport, qname, qtype, mode)
        if first is None:
            first = (p, r)
        if not same(mode, p, r):
            diffs.append("%s: proxy %s, unbound %s" % (mode, show(p), show(r)))
    return name, first, diffs


def load_known(path):
    known = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            known[parts[0]] = parts[1] if len(parts) > 1 else ""
    return known


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    pport, rport = int(sys.argv[1]), int(sys.argv[2])
    cases = [tuple(line.rstrip("\n").split("\t")) for line in open(sys.argv[3]) if line.strip()]
    known = load_known(sys.argv[4])
    jobs = int(sys.argv[5]) if len(sys.argv) == 6 else 12
    names = {c[0] for c in cases}
    for k in known:
        if k not in names:
            print("note: %s is listed in expected differences but is no case" % k)
    started = time.time()
    passed = failed = known_hits = 0
    no_longer = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda c: run_case(c, pport, rport), cases)
        for name, (p, r), diffs in results:
            if not diffs:
                passed += 1
                print("ok    %-44s %s" % (name, show(p)))
                if name in known:
                    no_longer.append(name)
            elif name in known:
                known_hits += 1
                print("known %-44s %s  [%s]" % (name, "; ".join(diffs), known[name][:100]))
            else:
                failed += 1
                print("FAIL  %-44s %s" % (name, "; ".join(diffs)))
    for name in no_longer:
        if "(flaky)" not in known[name]:
            print("note: %s no longer differs from Unbound: remove it from the expected "
                  "differences" % name)
    start = float(os.environ.get("DIFFERENTIAL_START", started))
    print("%d cases, %d passed: %d as Unbound, %d known differences (%s); %.0f s" % (
        len(cases), passed + known_hits, passed, known_hits, sys.argv[4].rsplit("/", 1)[-1],
        time.time() - start))
    print("%d passed, %d failed" % (passed + known_hits, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
