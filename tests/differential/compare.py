#!/usr/bin/python3
"""compare.py: ask the proxy and the reference Unbound every case of cases.tsv, compare.

  compare.py PROXY_PORT REFERENCE_PORT CASES.tsv EXPECTED_DIFFERENCES [JOBS]
             [--forged FPROXY_PORT FREF_PORT EXPECTED_FORGED FORGE_LOG]

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

--forged (issue 21): then every case again, of a second proxy and a second Unbound that both
forward to tests/forging/forging_upstream.py --generic (FORGE_LOG is its log: the forgery of
each question). Asked UDP with DO, UDP without DO, TCP with DO; half the cases (a hash of the
case name) with CD first, whose reply may hold forged records (checking disabled) but must
not poison the cache. Failures no list excuses: a forged record in the proxy's reply
(forging_upstream.forged_records: the attacker's names and addresses; a TTL above the zone
file's, or above its RRSIG's Original TTL when larger, RFC 4035 §5.3.3) when the reply has AD
or the case is secure or bogus without forgery; AD where the proxy's genuine answer (same
way, first pass) had none; AD on another rcode or answer section than the genuine one. Then
rcode and AD must equal Unbound's (a way Unbound did not answer at all is counted, not
compared), except the cases in EXPECTED_FORGED, or a case of EXPECTED_DIFFERENCES whose
proxy answers the forgery left as they were ("as without forgery"). Forged records in insecure
answers without AD (nobody can tell them) are counted, for the proxy and for Unbound.
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


def tcp(q, port):
    """Over TCP; a connection closed before the answer is tried twice more (Unbound closes
    some when many of its TCP clients wait on slow validations)."""
    for attempt in range(3):
        try:
            return dns.query.tcp(q, "127.0.0.1", timeout=TIMEOUT, port=port)
        except (EOFError, ConnectionError):
            if attempt == 2:
                raise
            time.sleep(0.2)


def ask_msg(port, qname, qtype, mode):
    """(rcode, ad, data, ede) and the reply (None when there was none)."""
    q = dns.message.make_query(qname, qtype, want_dnssec="do" in mode, use_edns=0, payload=1232)
    q.flags |= dns.flags.AD | dns.flags.RD
    if "cd" in mode:
        q.flags |= dns.flags.CD
    try:
        if mode.startswith("tcp"):
            r = tcp(q, port)
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
                return ("TIMEOUT", 0, 0, "-"), None
            if r.flags & dns.flags.TC:
                r = tcp(q, port)
    except dns.exception.Timeout:
        return ("TIMEOUT", 0, 0, "-"), None
    except Exception as e:  # noqa: BLE001 - a broken reply is a result to report
        return ("ERROR:" + type(e).__name__, 0, 0, "-"), None
    rtype = dns.rdatatype.from_text(qtype)
    data = int(any(rrset.rdtype == rtype for rrset in r.answer))
    ede = "-"
    for opt in r.options:
        if opt.otype == dns.edns.EDE:
            ede = str(int(opt.code))
            break
    return (dns.rcode.to_text(r.rcode()), int(bool(r.flags & dns.flags.AD)), data, ede), r


def ask(port, qname, qtype, mode):
    return ask_msg(port, qname, qtype, mode)[0]


def answer_set(msg):
    """The answer section's records without TTLs: what a secure answer must repeat."""
    if msg is None:
        return frozenset()
    return frozenset((rrset.name.to_text().lower(), rrset.rdtype, rd.to_text().lower())
                     for rrset in msg.answer for rd in rrset)


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
    genuine = {}
    for mode in MODES:
        p, pm = ask_msg(pport, qname, qtype, mode)
        r = ask(rport, qname, qtype, mode)
        genuine[mode] = (p, answer_set(pm), r)
        if first is None:
            first = (p, r)
        if not same(mode, p, r):
            diffs.append("%s: proxy %s, unbound %s" % (mode, show(p), show(r)))
    return name, first, diffs, genuine


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


# ---------------------------------------------------------------------------------------------
# The forged pass: the same cases through tests/forging/forging_upstream.py --generic, asked of
# a second proxy and a second Unbound behind it.

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "forging"))
import forging_upstream as F  # noqa: E402

# Half the cases (by a hash of the case's name) are asked with CD first: that reply may hold
# forged records (the client turned checking off), but must not poison what follows.
FORGED_MODES = ("udp+do", "udp", "tcp+do")


def cd_first(name):
    return F.stable_hash(name, "cd-first") % 2 == 0


def verdict(res):
    if res[1]:
        return "secure"
    if res[0] == "SERVFAIL":
        return "bogus"
    return "insecure"


def too_long(msg, ttls):
    """Records of MSG whose TTL is above the genuine one (a raised TTL kept): TTLS maps
    (owner, type) to the zone file's TTL or its RRSIG's Original TTL, whichever is larger
    (RFC 4035 §5.3.3 lets a validator keep up to the Original TTL); other owners (wildcard
    expansions, synthesised CNAMEs) get the largest TTL of the zone files."""
    if msg is None:
        return []
    out = []
    for section in (msg.answer, msg.authority, msg.additional):
        for r in section:
            rtype = r.covers if r.rdtype == dns.rdatatype.RRSIG else r.rdtype
            bound = ttls.get((r.name.to_text().lower(), rtype), ttls[None])
            if r.ttl > bound:
                out.append("%s %d %s (at most %d)" % (r.name, r.ttl,
                                                      dns.rdatatype.to_text(r.rdtype), bound))
    return out


def run_forged(case, genuine, pport, rport, ttls):
    """Ask CASE of the proxy and Unbound behind the forging relay. Returns the case name,
    bugs (never excused: forged records from a case that can be checked, or with AD; AD
    where the genuine answer had none; a secure answer other than the genuine one),
    differences from Unbound (rcode, AD), and the insecure leaks of each (information)."""
    name, qname, qtype = case
    bugs, diffs, results = [], [], {}
    leaks = {"proxy": [], "unbound": []}
    modes = (("udp+do+cd",) if cd_first(name) else ()) + FORGED_MODES
    for mode in modes:
        p, pm = ask_msg(pport, qname, qtype, mode)
        r, rm = ask_msg(rport, qname, qtype, mode)
        forged = (F.forged_records(pm) if pm is not None else []) + \
            ["TTL " + t for t in too_long(pm, ttls)]
        if mode == "udp+do+cd":
            if p[1] and forged:
                bugs.append("%s: AD with forged records: %s" % (mode, "; ".join(forged[:3])))
            continue
        g, g_answer, g_ref = genuine[mode]
        results[mode] = (p, r)
        if forged and (p[1] or verdict(g) != "insecure"):
            bugs.append("%s: forged records (%s, genuine answer %s): %s" % (
                mode, show(p), verdict(g), "; ".join(forged[:3])))
        elif forged:
            leaks["proxy"].append(mode)
        if rm is not None and (F.forged_records(rm) or too_long(rm, ttls)) \
                and verdict(g_ref) == "insecure" and not r[1]:
            leaks["unbound"].append(mode)
        if p[1] and not g[1]:
            bugs.append("%s: AD, but without forgery %s" % (mode, show(g)))
        elif p[1] and (p[0] != g[0] or answer_set(pm) != g_answer):
            bugs.append("%s: AD on %s, not the genuine %s" % (mode, show(p), show(g)))
        if (r[0] == "TIMEOUT" or r[0].startswith("ERROR")) and not (
                p[0] == "TIMEOUT" or p[0].startswith("ERROR")):
            # Unbound sometimes closes a TCP connection without answering when many of its
            # validations wait on the relay: nothing to compare with (counted).
            leaks["unbound_silent"] = leaks.get("unbound_silent", 0) + 1
        elif p[:2] != r[:2]:
            diffs.append("%s: proxy %s, unbound %s" % (mode, show(p), show(r)))
    return name, bugs, diffs, results, leaks


def read_forge_log(path):
    kinds = {}
    if path and os.path.exists(path):
        for line in open(path):
            parts = line.split(None, 4)
            if len(parts) >= 4 and parts[0] == "FORGE":
                kinds[(parts[1], parts[2])] = (parts[3], parts[4].strip() if len(parts) > 4 else "")
            elif len(parts) >= 3 and parts[0] == "PASS":
                kinds.setdefault((parts[1], parts[2]), ("none", " ".join(parts[3:])))
    return kinds


def forged_pass(cases, genuine, known, gknown, pport, rport, jobs, expected_path, log_path,
                ttls):
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda c: run_forged(c, genuine[c[0]], pport, rport, ttls),
                                cases))
    kinds = read_forge_log(log_path)
    qnames = {c[0]: (dns.name.from_text(c[1]).to_text().lower(), c[2].upper()) for c in cases}
    counts = dict(passed=0, same=0, known=0, inherited=0, failed=0, bugs=0, diffs=0,
                  leak_proxy=0, leak_unbound=0, cd=0, silent=0)
    per_kind = {}
    no_longer = []
    for name, bugs, diffs, res, leaks in results:
        kind = kinds.get(qnames[name], ("not-asked", ""))[0]
        per_kind[kind] = per_kind.get(kind, 0) + 1
        counts["leak_proxy"] += bool(leaks["proxy"])
        counts["leak_unbound"] += bool(leaks["unbound"])
        counts["silent"] += leaks.get("unbound_silent", 0)
        counts["cd"] += cd_first(name)
        label = "forged %-44s %-11s" % (name, kind)
        # A difference of the case without forgery (EXPECTED_DIFFERENCES) where the forgery
        # left the proxy's answers as they were. Unbound's side is not required to be the
        # same: some listed differences come and go with Unbound's own limits (tag-zsk-16:
        # its KeyTrap cap depends on the order the keys arrive in), so its forged answer may
        # equal the proxy's in one run and not in the next.
        inherited = name in gknown and all(
            p[:2] == genuine[name][m][0][:2] for m, (p, r) in res.items())
        if bugs:
            counts["failed"] += 1
            counts["bugs"] += 1
            print("FAIL  %s BUG %s%s" % (label, "; ".join(bugs),
                                         ("; " + "; ".join(diffs)) if diffs else ""))
            print("      forgery: %s" % kinds.get(qnames[name], ("", "?"))[1])
        elif not diffs:
            counts["passed"] += 1
            counts["same"] += 1
            p = res[FORGED_MODES[0]][0]
            print("ok    %s %s%s" % (label, show(p), " (forged records passed, insecure)"
                                     if leaks["proxy"] else ""))
            if name in known:
                no_longer.append(name)
        elif name in known:
            counts["passed"] += 1
            counts["known"] += 1
            print("known %s %s  [%s]" % (label, "; ".join(diffs), known[name][:100]))
        elif inherited:
            counts["passed"] += 1
            counts["inherited"] += 1
            print("known %s %s  [as without forgery: %s]" % (label, "; ".join(diffs),
                                                              gknown[name][:80]))
        else:
            counts["failed"] += 1
            counts["diffs"] += 1
            print("FAIL  %s %s" % (label, "; ".join(diffs)))
            print("      forgery: %s" % kinds.get(qnames[name], ("", "?"))[1])
    for name in no_longer:
        if "(flaky)" not in known[name]:
            print("note: forged %s no longer differs from Unbound: remove it from %s" % (
                name, os.path.basename(expected_path)))
    sub = {}
    case_q = set(qnames.values())
    for (qn, qt), (kind, _) in kinds.items():
        if kind != "none" and qt in ("DS", "DNSKEY") and (qn, qt) not in case_q:
            sub[qt] = sub.get(qt, 0) + 1
    print("forged: %d cases (%s; %d asked with CD first); forged DS/DNSKEY sub-queries: %s" % (
        len(cases), ", ".join("%s %d" % kv for kv in sorted(per_kind.items())), counts["cd"],
        ", ".join("%s %d" % kv for kv in sorted(sub.items())) or "none"))
    print("forged: %d passed: %d as Unbound, %d known differences (%s), %d as without forgery; "
          "%d failed: %d forged record or false AD, %d other differences; forged records "
          "passed in insecure answers (no AD): proxy %d cases, Unbound %d; Unbound gave no "
          "answer to compare with %d times; %.0f s" % (
              counts["passed"], counts["same"], counts["known"],
              os.path.basename(expected_path), counts["inherited"], counts["failed"],
              counts["bugs"], counts["diffs"], counts["leak_proxy"], counts["leak_unbound"],
              counts["silent"], time.time() - started))
    return counts["passed"], counts["failed"]


def zone_ttls(cases_path):
    """(owner, type) -> the largest of its TTL and its RRSIGs' Original TTL in the zone files
    next to CASES.tsv (zones/*.zone); None -> the largest TTL of all records."""
    ttls = {None: 0}
    d = os.path.join(os.path.dirname(os.path.abspath(cases_path)), "zones")
    for f in os.listdir(d) if os.path.isdir(d) else []:
        for line in open(os.path.join(d, f)):
            parts = line.split()
            if len(parts) < 4 or line.startswith((";", "$")) or not parts[1].isdigit():
                continue
            ttl = int(parts[1])
            ttls[None] = max(ttls[None], ttl)
            try:
                rtype = dns.rdatatype.from_text(parts[3])
                if rtype == dns.rdatatype.RRSIG and len(parts) > 7:
                    rtype, ttl = dns.rdatatype.from_text(parts[4]), max(ttl, int(parts[7]))
            except (ValueError, dns.exception.DNSException):
                continue
            key = (parts[0].lower(), rtype)
            ttls[key] = max(ttls.get(key, 0), ttl)
    ttls[None] = ttls[None] or 86400
    return ttls


def main():
    args = sys.argv[1:]
    forged = None
    if "--forged" in args:
        i = args.index("--forged")
        forged, args = args[i + 1:], args[:i]
        if len(forged) != 4:
            sys.exit(__doc__)
    if len(args) not in (4, 5):
        sys.exit(__doc__)
    pport, rport = int(args[0]), int(args[1])
    cases = [tuple(line.rstrip("\n").split("\t")) for line in open(args[2]) if line.strip()]
    known = load_known(args[3])
    jobs = int(args[4]) if len(args) == 5 else 12
    names = {c[0] for c in cases}
    for k in known:
        if k not in names:
            print("note: %s is listed in expected differences but is no case" % k)
    started = time.time()
    passed = failed = known_hits = 0
    no_longer = []
    genuine = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda c: run_case(c, pport, rport), cases)
        for name, (p, r), diffs, gen in results:
            genuine[name] = gen
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
        len(cases), passed + known_hits, passed, known_hits, args[3].rsplit("/", 1)[-1],
        time.time() - start))
    passed += known_hits
    if forged is not None:
        fknown = load_known(forged[2])
        for k in fknown:
            if k not in names:
                print("note: %s is listed in %s but is no case" % (k, forged[2]))
        fp, ff = forged_pass(cases, genuine, fknown, known, int(forged[0]), int(forged[1]),
                             jobs, forged[2], forged[3], zone_ttls(args[2]))
        passed, failed = passed + fp, failed + ff
        print("%d cases without forgery and %d forged; %.0f s in all" % (
            len(cases), len(cases), time.time() - start))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
