#!/usr/bin/env python3
"""bench/soak.py: the query mixes, the client abuse and the answer sampler of bench/soak.sh.

Each mix is written here once: `queries` turns it into a dnsperf file, `sample` asks the
proxy and the validating reference the same questions drawn from it and compares them.

  soak.py queries validating|mock FILE COUNT [NAMES]   dnsperf input, COUNT lines
  soak.py abuse PORT SECONDS                           junk datagrams, idle/slow-loris TCP
  soak.py sample PROXY_PORT REFERENCE_PORT SECONDS NAMES OUTAGES   (see sample() below)

Needs only python3 and, for `sample`, dig (bind9-dnsutils).
"""
import os
import random
import re
import socket
import subprocess
import sys
import time

# ---------------------------------------------------------------------------------------------
# The validating mix: the signed hierarchy of tests/fixtures/hierarchy.sh (see its README for
# each zone and the reference verdicts). A question is (name, type, rcode, ad): what a
# validator must answer, AD 1 meaning proven secure. NAMES is the fixture's BENCH_NAMES: the
# names hN.wildcard.test (N = 1..NAMES) exist; wN.wildcard.test do not (wildcard answers).

SECURE_ZONES = ["secure-ecdsa", "secure-rsasha256", "secure-rsasha512", "secure-ed25519",
                "secure-ed448", "secure-ecdsa384", "secure-rsasha1", "cname", "nsec3",
                "nsec3optout", "wildcard", "wildcard3", "dname", "collide"]

# Cache hits: a few secure names asked again and again (big TXT: TC over UDP at 1232 octets).
HITS = [(f"www.{z}.test.", "A", "NOERROR", 1) for z in SECURE_ZONES[:7]] + [
    ("www.nsec3.test.", "A", "NOERROR", 1), ("www.wildcard.test.", "A", "NOERROR", 1),
    ("www.collide.test.", "A", "NOERROR", 1), ("big.secure-ecdsa.test.", "TXT", "NOERROR", 1)]

# Bogus: every kind the fixture has, at the fixed names and at random names under the zones
# whose keys are bogus (their answers fail before any data is looked at).
BOGUS = [("www.expired.test.", "A"), ("www.future.test.", "A"), ("www.badsig.test.", "A"),
         ("www.nosig.test.", "A"), ("www.dsmismatch.test.", "A"),
         ("www.unsigneddnskey.test.", "A"), ("tobogus.cname.test.", "A")]
BOGUS_ZONES = ["expired", "future", "dsmismatch", "unsigneddnskey"]

# DS/DNSKEY-heavy: the key RRsets of every signed zone and both kinds of DS answer (a DS,
# a proven absent one), CNAME and DNAME chains across zones, and the deepest delegation
# (unsigned.nsec3optout.test., below an opt-out NSEC3 span: insecure).
KEYS = ([(f"{z}.test.", "DNSKEY", "NOERROR", 1) for z in SECURE_ZONES] +
        [(f"{z}.test.", "DS", "NOERROR", 1) for z in SECURE_ZONES] +
        [("test.", "DNSKEY", "NOERROR", 1), (".", "DNSKEY", "NOERROR", 1),
         ("test.", "DS", "NOERROR", 1), (".", "DS", "NOERROR", 1),
         ("insecure.test.", "DS", "NOERROR", 1), ("chain.cname.test.", "A", "NOERROR", 1),
         ("www.cname.test.", "A", "NOERROR", 1), ("www.sub.dname.test.", "A", "NOERROR", 1),
         ("www.unsigned.nsec3optout.test.", "A", "NOERROR", 0),
         ("unsigned.nsec3optout.test.", "DS", "NOERROR", 0)])

# Provably insecure: unsigned, or a DS RRset with only algorithms/digests nobody implements.
INSECURE = [("www.insecure.test.", "A", "NOERROR", 0), ("toinsecure.cname.test.", "A", "NOERROR", 0),
            ("www.unknownalg.test.", "A", "NOERROR", 0), ("www.unknowndigest.test.", "A", "NOERROR", 0),
            ("www.dsunsupported.test.", "A", "NOERROR", 0)]


def rand_label(r, prefix):
    return f"{prefix}{r.randrange(10**9)}"


def q_miss(r, names):
    return (f"h{r.randint(1, names)}.wildcard.test.", "A", "NOERROR", 1)


def q_nxdomain(r, names):
    # Signed denials: NSEC (secure-ecdsa, collide: two NSEC RRsets signed by a colliding key
    # tag), NSEC3 (nsec3), a CNAME to a proven-absent name, and NODATA beside them.
    k = r.randrange(10)
    if k < 3:
        return (f"{rand_label(r, 'nx')}.secure-ecdsa.test.", "A", "NXDOMAIN", 1)
    if k < 6:
        return (f"{rand_label(r, 'nx')}.nsec3.test.", "A", "NXDOMAIN", 1)
    if k < 7:
        return (f"{rand_label(r, 'nx')}.collide.test.", "A", "NXDOMAIN", 1)
    return r.choice([("tonx.cname.test.", "A", "NXDOMAIN", 1),
                     ("www.secure-ecdsa.test.", "AAAA", "NOERROR", 1),
                     ("www.nsec3.test.", "AAAA", "NOERROR", 1),
                     ("ent.nsec3.test.", "A", "NOERROR", 1)])


def q_wildcard(r, names):
    # Expansions under NSEC (wildcard) and NSEC3 (wildcard3), and wildcard NODATA.
    k = r.randrange(5)
    if k < 2:
        return (f"{rand_label(r, 'w')}.wildcard.test.", "A", "NOERROR", 1)
    if k < 4:
        return (f"{rand_label(r, 'w')}.wildcard3.test.", "A", "NOERROR", 1)
    return (f"{rand_label(r, 'w')}.wildcard.test.", "AAAA", "NOERROR", 1)


def q_bogus(r, names):
    if r.randrange(2):
        return r.choice(BOGUS) + ("SERVFAIL", 0)
    return (f"{rand_label(r, 'nx')}.{r.choice(BOGUS_ZONES)}.test.", "A", "SERVFAIL", 0)


def q_insecure(r, names):
    if r.randrange(4) == 0:
        return (f"{rand_label(r, 'nx')}.insecure.test.", "A", "NXDOMAIN", 0)
    return r.choice(INSECURE)


# class: (weight out of 100, question generator). The weights of the validating soak.
VALIDATING_MIX = {
    "hit": (35, lambda r, n: r.choice(HITS)),
    "miss": (20, q_miss),
    "nxdomain": (10, q_nxdomain),
    "wildcard": (10, q_wildcard),
    "bogus": (10, q_bogus),
    "keys": (10, lambda r, n: r.choice(KEYS)),
    "insecure": (5, q_insecure),
}

# The unvalidated mix of build/mock_upstream_server (weights out of 100): each kind-N.soak.test
# name makes the mock answer that way (tests/integration/mock_upstream_server.cc).
MOCK_MIX = [("ok", "A", 55), ("nx", "A", 10), ("slow", "A", 8), ("big", "TXT", 5),
            ("forged", "A", 5), ("garbage", "A", 4), ("servfail", "A", 5), ("cut", "A", 4),
            ("silent", "A", 4)]


def queries(mode, path, count, names):
    r = random.Random(7)
    with open(path, "w") as f:
        if mode == "mock":
            kinds = [k for k in MOCK_MIX for _ in range(k[2])]
            for _ in range(count):
                kind, qtype, _ = r.choice(kinds)
                f.write(f"{kind}-{r.randrange(1000)}.soak.test {qtype}\n")
            return
        classes = [c for c, (w, _) in VALIDATING_MIX.items() for _ in range(w)]
        for _ in range(count):
            name, qtype, _, _ = VALIDATING_MIX[r.choice(classes)][1](r, names)
            f.write(f"{name} {qtype}\n")


# ---------------------------------------------------------------------------------------------
# Client abuse, for the whole run: junk datagrams, idle TCP connections, slow-loris TCP (one
# octet of a length prefix, never more) and oversized length prefixes.

def abuse(port, seconds):
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


# ---------------------------------------------------------------------------------------------
# The sampler: every EVERY seconds one question, the classes in turn, asked of the proxy and of
# the validating reference Unbound with dig +dnssec (DO=1; dig retries over TCP on TC, and
# once after 3 s: dnsperf, not the sampler, counts lost queries). A sample agrees when both
# give the rcode and AD the mix says, and a bogus answer from the proxy carries a DNSSEC
# Extended DNS Error (RFC 8914, 6-12). The upstream is stopped now and then (the
# OUTAGES file: "stop EPOCH" and "cont EPOCH" lines): a disagreement involving a SERVFAIL or
# a timeout while the sample overlaps an outage, or the GRACE seconds after it (the proxy's
# query deadline is 2 s), is counted as an outage SERVFAIL, not as a mismatch.

EVERY = 2.0
GRACE = 3.0
# The EDEs of a bogus verdict, RFC 8914 §4.7-4.13: 6 DNSSEC Bogus, 7 Signature Expired, 8 Not
# Yet Valid, 9 DNSKEY Missing, 10 RRSIGs Missing, 11 No Zone Key Bit Set, 12 NSEC Missing.
# 22 No Reachable Authority and 23 Network Error are outages, not a verdict.
DNSSEC_EDE = set(range(6, 13))


def dig(port, name, qtype):
    """(rcode, ad, ede) of one answer; rcode TIMEOUT when none came."""
    try:
        out = subprocess.run(["dig", "+dnssec", "+time=3", "+tries=2", "@127.0.0.1", "-p", str(port),
                              name, qtype], capture_output=True, text=True, timeout=15).stdout
    except subprocess.TimeoutExpired:
        return ("TIMEOUT", 0, None)
    m = re.search(r"status: ([A-Z]+),", out)
    if not m:
        return ("TIMEOUT", 0, None)
    flags = re.search(r"^;; flags:([a-z ]*);", out, re.M)
    ad = 1 if flags and " ad" in f" {flags.group(1)} " else 0
    ede = re.search(r"^; EDE: (\d+)", out, re.M)
    return (m.group(1), ad, int(ede.group(1)) if ede else None)


def outage_windows(path):
    windows, start = [], None
    try:
        with open(path) as f:
            for line in f:
                what, t = line.split()
                if what == "stop":
                    start = float(t)
                elif start is not None:
                    windows.append((start, float(t)))
                    start = None
    except (OSError, ValueError):
        pass
    if start is not None:
        windows.append((start, float("inf")))  # stopped now
    return windows


def sample(proxy_port, reference_port, seconds, names, outages):
    r = random.Random()
    end = time.time() + seconds
    classes = list(VALIDATING_MIX)
    counts = {"samples": 0, "agree": 0, "mismatches": 0, "outage": 0}
    per_class = {c: 0 for c in classes}
    bogus_ede = {}
    first = []
    i = 0
    while time.time() < end:
        cls = classes[i % len(classes)]
        i += 1
        name, qtype, want_rc, want_ad = VALIDATING_MIX[cls][1](r, names)
        t0 = time.time()
        p = dig(proxy_port, name, qtype)
        ref = dig(reference_port, name, qtype)
        t1 = time.time()
        counts["samples"] += 1
        per_class[cls] += 1
        problems = []
        if (p[0], p[1]) != (want_rc, want_ad):
            problems.append(f"proxy {p[0]} ad={p[1]}")
        if (ref[0], ref[1]) != (want_rc, want_ad):
            problems.append(f"reference {ref[0]} ad={ref[1]}")
        if want_rc == "SERVFAIL" and p[0] == "SERVFAIL":
            bogus_ede[p[2]] = bogus_ede.get(p[2], 0) + 1
            if p[2] not in DNSSEC_EDE:
                problems.append(f"proxy SERVFAIL with EDE {p[2]}, not a DNSSEC one")
        failed = {p[0], ref[0]} & {"SERVFAIL", "TIMEOUT"}
        if not problems:
            counts["agree"] += 1
        elif failed and any(t0 <= e + GRACE and t1 >= s for s, e in outage_windows(outages)):
            counts["outage"] += 1
        else:
            counts["mismatches"] += 1
            line = (f"{time.strftime('%H:%M:%S', time.gmtime(t0))} {cls}: {name} {qtype}: want "
                    f"{want_rc} ad={want_ad}, got {'; '.join(problems)} (proxy EDE {p[2]}, "
                    f"reference EDE {ref[2]})")
            if len(first) < 10:
                first.append(line)
                print(f"soak: mismatch: {line}", file=sys.stderr, flush=True)
        time.sleep(max(0.0, EVERY - (time.time() - t0)))
    print(f"samples {counts['samples']} ({', '.join(f'{c} {n}' for c, n in per_class.items())}): "
          f"agree {counts['agree']}, mismatches {counts['mismatches']}, "
          f"SERVFAIL or timeout during an upstream outage {counts['outage']}")
    print("proxy EDE codes on bogus samples (22/23 during outages): " +
          (", ".join(f"{k} x{v}" for k, v in sorted(bogus_ede.items(), key=lambda kv: kv[0] or 0))
           or "none"))
    for line in first:
        print(f"  mismatch: {line}")
    print(f"mismatches={counts['mismatches']}")


def main(argv):
    if len(argv) >= 4 and argv[0] == "queries":
        queries(argv[1], argv[2], int(argv[3]), int(argv[4]) if len(argv) > 4 else 0)
    elif len(argv) == 3 and argv[0] == "abuse":
        abuse(int(argv[1]), float(argv[2]))
    elif len(argv) == 6 and argv[0] == "sample":
        sample(int(argv[1]), int(argv[2]), float(argv[3]), int(argv[4]), argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
