#!/usr/bin/python3
"""A forging upstream (issue 21): relays every query to a real recursive resolver and
rewrites the replies the way an on-path attacker can, replaying the genuine signed records
it fetched. UDP and TCP on 127.0.0.1:PORT.

usage: forging_upstream.py PORT UPSTREAM_PORT
           the named rules of forging_test.sh (RULES): chosen questions of the fixture
           hierarchy (tests/fixtures/hierarchy.sh), every other reply relayed as it is;
       forging_upstream.py PORT UPSTREAM_PORT --generic CASES.tsv [LOG]
           every question forged (tests/differential): a stable hash of qname+qtype chooses
           one of KINDS (choose()), the same for whoever asks; DS and DNSKEY questions only
           for a quarter of the names (never for the root and its child). CASES.tsv (the
           differential corpus, `case qname qtype`) names the questions whose genuine
           replies are replayed. LOG gets one line per forged question:
           `FORGE qname qtype kind detail`.

The forging functions below are the only copy: the named rules and the generic mode both
use them, and the differential compare.py imports forged_records() to recognise what they
add (the attacker's addresses ATTACKER_A/ATTACKER_AAAA and names with a label starting
with "forged", or "evil").
"""
import hashlib
import socket
import socketserver
import struct
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

UPSTREAM = ("127.0.0.1", 5300)  # set by main()
ATTACKER_A = "6.6.6.6"
ATTACKER_AAAA = "2001:db8:666::6"
RAISED_TTL = 2000000000
T = dns.rdatatype
DENIAL = (T.NSEC, T.NSEC3)


# ---------------------------------------------------------------------------------------------
# Talking to the real upstream


def relay_wire(wire):
    """The genuine reply to the query WIRE, as octets: over UDP, then TCP if truncated."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        try:
            s.sendto(wire, UPSTREAM)
            while True:
                out, _ = s.recvfrom(65535)
                if out[:2] == wire[:2]:
                    break
            if len(out) < 3 or not out[2] & 0x02:  # TC
                return out
        except socket.timeout:
            pass
    with socket.create_connection(UPSTREAM, timeout=4) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        head = _recv(s, 2)
        return _recv(s, struct.unpack("!H", head)[0])


def _recv(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("upstream closed the connection")
        data += chunk
    return data


def relay(query):
    """The genuine reply to QUERY (a dns.message), parsed."""
    return dns.message.from_wire(relay_wire(query.to_wire()), ignore_trailing=True)


_cache = {}
_cache_lock = threading.Lock()


def ask(qname, qtype):
    """The genuine reply (DO, CD) to QNAME QTYPE, kept: the replies an attacker replays."""
    key = (str(qname).lower(), str(qtype).upper())
    with _cache_lock:
        if key in _cache:
            return copy(_cache[key])
    q = dns.message.make_query(qname, qtype, want_dnssec=True, payload=1232)
    q.flags |= dns.flags.CD
    reply = relay(q)
    with _cache_lock:
        if len(_cache) > 20000:
            _cache.clear()
        _cache[key] = copy(reply)
    return reply


def copy(msg):
    return dns.message.from_wire(msg.to_wire(max_size=65535), ignore_trailing=True)


# ---------------------------------------------------------------------------------------------
# Forging primitives: each changes REPLY in place (and says whether it applied).


def unsigned(name, ttl, rtype, text):
    return dns.rrset.from_text(name, ttl, "IN", rtype, text)


def attacker_rdata(rdtype):
    """Text of a record of RDTYPE pointing at the attacker, or None for types without one."""
    return {T.A: ATTACKER_A, T.AAAA: ATTACKER_AAAA, T.TXT: '"forged"',
            T.MX: "10 forged-mx.evil.", T.NS: "forged-ns.evil.",
            T.CNAME: "forged-cname.evil."}.get(rdtype)


def insert_cname(reply, owner, target, rdtype=T.A):
    """An unsigned CNAME OWNER -> TARGET and TARGET's attacker record before the answer."""
    rdtype = rdtype if attacker_rdata(rdtype) and rdtype != T.CNAME else T.A
    reply.answer.insert(0, unsigned(target, 300, rdtype, attacker_rdata(rdtype)))
    reply.answer.insert(0, unsigned(owner, 300, "CNAME", str(target)))


def flip_rcode(reply, rcode, soa_owner=None, soa_text=None, soa_ttl=86400):
    """RCODE instead of the genuine one, all records kept; an unsigned SOA if given."""
    reply.set_rcode(rcode)
    if soa_owner is not None:
        reply.authority.append(unsigned(soa_owner, soa_ttl, "SOA", soa_text))


def add_other_names(reply, zone, evil):
    """Unsigned records for other names in each section: an address of the attacker's in
    the answer, the zone delegated to the attacker's server in the authority, addresses for
    it and for the zone's own server in the additional."""
    zone = dns.name.from_text(zone) if isinstance(zone, str) else zone
    evil = dns.name.from_text(evil) if isinstance(evil, str) else evil
    ns = dns.name.from_text("ns", evil)
    reply.answer.append(unsigned(evil, 300, "A", ATTACKER_A))
    reply.authority.append(unsigned(zone, 300, "NS", ns.to_text()))
    reply.additional.append(unsigned(ns, 300, "A", ATTACKER_A))
    reply.additional.append(unsigned(dns.name.from_text("ns", zone), 300, "A", ATTACKER_A))


def raise_ttls(reply, sections=("answer",), ttl=RAISED_TTL):
    for section in sections:
        for rrset in getattr(reply, section):
            rrset.ttl = ttl


def moved_rrsig(sig, owner):
    """The RRSIG RRset SIG (another owner's) moved onto OWNER."""
    moved = dns.rrset.RRset(dns.name.from_text(owner) if isinstance(owner, str) else owner,
                            dns.rdataclass.IN, T.RRSIG, sig.covers)
    moved.update(sig)
    moved.ttl = sig.ttl
    return moved


def replay_denial(reply, donor):
    """The denial of another question's reply in place of the genuine records: a positive
    reply loses its answer and takes the donor's whole authority section and rcode; a
    negative one keeps its SOA and rcode and takes the donor's NSEC/NSEC3 records."""
    if any(r.rdtype in DENIAL or r.covers in DENIAL for r in reply.authority):
        keep = [r for r in reply.authority if r.rdtype not in DENIAL and r.covers not in DENIAL]
        reply.authority = keep + [r for r in donor.authority
                                  if r.rdtype in DENIAL or r.covers in DENIAL]
    else:
        reply.answer = []
        reply.authority = list(donor.authority)
        reply.set_rcode(donor.rcode())


def drop_denial(reply, index=None):
    """Drop every NSEC/NSEC3 (index None) or the INDEXth one, with its RRSIGs."""
    owners = [(r.name, r.rdtype) for r in reply.authority if r.rdtype in DENIAL]
    if not owners:
        return False
    gone = owners if index is None else [owners[index % len(owners)]]
    reply.authority = [r for r in reply.authority
                       if (r.name, r.rdtype) not in gone and (r.name, r.covers) not in gone]
    return True


def replay_reply(reply, donor):
    """Another question's whole genuine reply, its ID and question rewritten to REPLY's."""
    reply.answer, reply.authority, reply.additional = donor.answer, donor.authority, donor.additional
    reply.set_rcode(donor.rcode())


# ---------------------------------------------------------------------------------------------
# Recognising the forged records (tests/differential/compare.py)


def _forged_name(name):
    return any(label.lower().startswith(b"forged") or label.lower() == b"evil"
               for label in name.labels)


def forged_records(msg):
    """The records of MSG (every section) that only the forgeries add: owners or targets
    with a label "forged..." or "evil", the attacker's addresses, TXT "forged"."""
    found = []
    for section in (msg.answer, msg.authority, msg.additional):
        for rrset in section:
            for rd in rrset:
                bad = _forged_name(rrset.name)
                if rrset.rdtype == T.A:
                    bad = bad or rd.address == ATTACKER_A
                elif rrset.rdtype == T.AAAA:
                    bad = bad or rd.address == ATTACKER_AAAA
                elif rrset.rdtype == T.TXT:
                    bad = bad or any(b"forged" in s for s in rd.strings)
                elif rrset.rdtype in (T.CNAME, T.DNAME, T.NS):
                    bad = bad or _forged_name(rd.target)
                elif rrset.rdtype == T.MX:
                    bad = bad or _forged_name(rd.exchange)
                elif rrset.rdtype == T.SOA:
                    bad = bad or _forged_name(rd.mname) or _forged_name(rd.rname)
                if bad:
                    found.append("%s %d %s %s" % (rrset.name, rrset.ttl,
                                                  T.to_text(rrset.rdtype), rd.to_text()))
    return found


# ---------------------------------------------------------------------------------------------
# The named rules of forging_test.sh


def cname_before_signed(reply):
    # An unsigned CNAME to a name of the attacker's and its A, before the genuine signed A.
    insert_cname(reply, "www.secure-ecdsa.test.", "evil.secure-ecdsa.test.")


def nxdomain_around_signed(reply):
    # NXDOMAIN and an unsigned SOA around the replayed signed A: a blackhole for a day.
    flip_rcode(reply, dns.rcode.NXDOMAIN, "secure-rsasha256.test.",
               "ns.secure-rsasha256.test. h.test. 1 3600 900 604800 86400")


def other_names_everywhere(reply):
    add_other_names(reply, "secure-rsasha512.test.", "evil.test.")


def raised_ttl(reply):
    raise_ttls(reply)


def redirected_dname(reply):
    # The DNAME sub.dname.test. -> secure-ecdsa.test. is genuine; the synthesised CNAME is
    # redirected to www.secure-rsasha1.test., whose genuine signed A is replayed after it.
    replay = ask("www.secure-rsasha1.test.", "A")
    kept = [r for r in reply.answer if r.rdtype in (T.DNAME, T.RRSIG)
            and r.name == dns.name.from_text("sub.dname.test.")]
    reply.answer = kept + [unsigned("www.sub.dname.test.", 300, "CNAME", "www.secure-rsasha1.test.")]
    reply.answer += replay.answer


def noerror_around_nxdomain(reply):
    flip_rcode(reply, dns.rcode.NOERROR)


def rrsig_onto_other_owner(reply):
    # The genuine RRSIG of ns.secure-ecdsa384.test. A, replayed over a forged www A.
    replay = ask("ns.secure-ecdsa384.test.", "A")
    sig = [r for r in replay.answer if r.rdtype == T.RRSIG][0]
    reply.answer = [unsigned("www.secure-ecdsa384.test.", 300, "A", ATTACKER_A),
                    moved_rrsig(sig, "www.secure-ecdsa384.test.")]


def ds_denial_from_other_zone(reply):
    # The signed proof that insecure.test. has no DS, replayed for secure-ed448.test. DS.
    replay_denial(reply, ask("insecure.test.", "DS"))


def long_cname_web(reply):
    # 2000 CNAMEs pointing at each other: the reply is large and costly to walk naively.
    names = ["c%d.secure-rsasha1.test." % i for i in range(2000)]
    reply.answer = [unsigned("host.ent.secure-rsasha1.test.", 300, "CNAME", names[0])]
    for i, n in enumerate(names):
        reply.answer.append(unsigned(n, 300, "CNAME", names[(i * 7 + 1) % len(names)]))


RULES = {
    ("www.secure-ecdsa.test.", "A"): cname_before_signed,
    ("www.secure-rsasha256.test.", "A"): nxdomain_around_signed,
    ("www.secure-rsasha512.test.", "A"): other_names_everywhere,
    ("www.secure-ed25519.test.", "A"): raised_ttl,
    ("www.sub.dname.test.", "A"): redirected_dname,
    ("nx.secure-ed448.test.", "A"): noerror_around_nxdomain,
    ("www.secure-ecdsa384.test.", "A"): rrsig_onto_other_owner,
    ("secure-ed448.test.", "DS"): ds_denial_from_other_zone,
    ("host.ent.secure-rsasha1.test.", "A"): long_cname_web,
}


def named_rule(query, reply):
    q = query.question[0]
    rule = RULES.get((q.name.to_text().lower(), T.to_text(q.rdtype)))
    if rule is not None:
        rule(reply)


# ---------------------------------------------------------------------------------------------
# The generic mode: one forgery per question, chosen by a stable hash of qname and qtype


KINDS = ("cname", "rcode", "others", "ttl", "rrsig-move", "nsec-drop", "nsec-replay", "replay")
CASES = []   # (qname, qtype) of the corpus: the questions whose replies are replayed
LOG = None
_logged = set()
_log_lock = threading.Lock()


def stable_hash(qname, qtype):
    text = "%s|%s" % (str(qname).lower(), str(qtype).upper())
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def choose(qname, qtype):
    """The kinds to try for QNAME QTYPE, first choice first (the next one when a kind does
    not apply to the reply), or () when the question is relayed unchanged: DS and DNSKEY
    questions are forged for a quarter of the names, never for the root and `test.`
    (every case would fail alike)."""
    h = stable_hash(qname, qtype)
    name = dns.name.from_text(qname) if isinstance(qname, str) else qname
    if T.from_text(qtype) in (T.DS, T.DNSKEY) and (len(name.labels) <= 2 or h % 4 != 0):
        return ()
    first = (h >> 8) % len(KINDS)
    return KINDS[first:] + KINDS[:first]


def zone_of(reply, qname):
    """The zone that signed REPLY: an RRSIG's signer, else the SOA's owner, else the parent
    of QNAME."""
    for section in (reply.answer, reply.authority):
        for r in section:
            if r.rdtype == T.RRSIG:
                return r[0].signer
    for r in reply.authority:
        if r.rdtype == T.SOA:
            return r.name
    return qname.parent() if qname != dns.name.root else qname


def donors(h, zone, qname, qtype, want=None, count=4):
    """Up to COUNT corpus questions (not QNAME QTYPE) under ZONE (any zone if None) and of
    type WANT if given, from a place chosen by H: the same ones for whoever asks."""
    pool = [c for c in CASES if (c[0], c[1]) != (qname, qtype)
            and (zone is None or c[0].is_subdomain(zone)) and (want is None or c[1] == want)]
    if not pool:
        return []
    start = h % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(min(count, len(pool)))]


def has_denial(msg):
    return any(r.rdtype in DENIAL for r in msg.authority)


def forge(kind, reply, qname, qtype, h):
    """Apply KIND to REPLY; returns a description, or None when KIND does not apply."""
    rdtype = T.from_text(qtype)
    zone = zone_of(reply, qname)
    if kind == "cname":
        target = dns.name.from_text("forged-cname", qname)
        insert_cname(reply, qname, target, rdtype)
        return "unsigned %s CNAME %s and its record before the genuine answer" % (qname, target)
    if kind == "rcode":
        if reply.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return None
        new = dns.rcode.NXDOMAIN if reply.rcode() == dns.rcode.NOERROR else dns.rcode.NOERROR
        has_soa = any(r.rdtype == T.SOA for r in reply.authority)
        flip_rcode(reply, new, None if has_soa else zone,
                   "forged-ns.evil. forged-host.evil. 1 3600 900 604800 86400")
        return "rcode %s around the genuine records%s" % (
            dns.rcode.to_text(new), "" if has_soa else ", unsigned SOA %s" % zone)
    if kind == "others":
        add_other_names(reply, zone, "forged.evil.")
        return "unsigned records for forged.evil. and %s in every section" % zone
    if kind == "ttl":
        if not reply.answer and not reply.authority:
            return None
        raise_ttls(reply, ("answer", "authority", "additional"))
        return "every TTL %d" % RAISED_TTL
    if kind == "rrsig-move":
        ours = [r for r in reply.answer if r.name == qname and r.rdtype == rdtype]
        if attacker_rdata(rdtype) is None and not ours:
            return None
        for dq, dt in donors(h >> 12, None, qname, qtype, want=qtype):
            sigs = [r for r in ask(dq, dt).answer
                    if r.rdtype == T.RRSIG and r.covers == rdtype and r.name == dq]
            if not sigs:
                continue
            if attacker_rdata(rdtype) is not None:
                data = unsigned(qname, 300, rdtype, attacker_rdata(rdtype))
            else:
                data = ours[0]
            reply.answer = [data, moved_rrsig(sigs[0], qname)]
            reply.authority = []
            reply.set_rcode(dns.rcode.NOERROR)
            return "%s %s with the RRSIG of %s %s" % (
                "attacker's" if attacker_rdata(rdtype) else "genuine", qtype, dq, dt)
        return None
    if kind == "nsec-drop":
        index = None if (h >> 24) % 2 == 0 else (h >> 28)
        if not drop_denial(reply, index):
            return None
        return "every NSEC/NSEC3 dropped" if index is None else "one NSEC/NSEC3 dropped"
    if kind == "nsec-replay":
        mine = sorted(r.to_text() for r in reply.authority if r.rdtype in DENIAL)
        for dq, dt in donors(h >> 12, zone, qname, qtype):
            donor = ask(dq, dt)
            theirs = sorted(r.to_text() for r in donor.authority if r.rdtype in DENIAL)
            if not theirs or theirs == mine:
                continue
            replay_denial(reply, donor)
            return "denial of %s %s replayed" % (dq, dt)
        return None
    if kind == "replay":
        way = (h >> 16) % 3
        if way == 0:
            others = [t for t in ("A", "AAAA", "TXT", "DS") if t != qtype]
            choices = [(qname, others[(h >> 20) % len(others)])]
        else:
            choices = donors(h >> 20, zone if way == 1 else None, qname, qtype, count=2)
        for dq, dt in choices:
            donor = ask(dq, dt)
            if donor.rcode() == dns.rcode.SERVFAIL:
                continue
            replay_reply(reply, donor)
            return "reply to %s %s replayed" % (dq, dt)
        return None
    raise ValueError(kind)


def generic(query, reply):
    q = query.question[0]
    qtype = T.to_text(q.rdtype)
    kinds = choose(q.name, qtype)
    h = stable_hash(q.name, qtype)
    for kind in kinds:
        what = forge(kind, reply, q.name, qtype, h)
        if what is not None:
            log("FORGE %s %s %s %s" % (q.name.to_text().lower(), qtype, kind, what))
            return
    log("PASS %s %s %s" % (q.name.to_text().lower(), qtype,
                           "not chosen" if not kinds else "no kind applies"))


def log(line):
    if LOG is None:
        return
    with _log_lock:
        if line in _logged:
            return
        _logged.add(line)
        LOG.write(line + "\n")
        LOG.flush()


# ---------------------------------------------------------------------------------------------
# The server

REWRITE = named_rule


def answer(wire, tcp):
    query = dns.message.from_wire(wire)
    raw = relay_wire(wire)
    limit = max(512, query.payload) if query.edns >= 0 else 512
    try:
        reply = dns.message.from_wire(raw, ignore_trailing=True)
    except Exception:  # noqa: BLE001 - what dnspython cannot parse (a DS of digest type 0)
        if tcp or len(raw) <= limit:
            return raw  # goes through unchanged
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.TC
        return reply.to_wire()
    if query.question and reply.rcode() != dns.rcode.SERVFAIL:
        REWRITE(query, reply)
    reply.id = query.id
    reply.question = query.question
    out = reply.to_wire(max_size=65535)
    if not tcp and len(out) > limit:
        reply.answer, reply.authority, reply.additional = [], [], []
        reply.flags |= dns.flags.TC
        out = reply.to_wire()
    return out


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        try:
            sock.sendto(answer(data, False), self.client_address)
        except Exception as e:  # a failed relay is silence, as from a real upstream
            print("udp:", e, file=sys.stderr)


class Tcp(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        try:
            while True:
                head = s.recv(2)
                if len(head) < 2:
                    return
                (n,) = struct.unpack("!H", head)
                data = b""
                while len(data) < n:
                    chunk = s.recv(n - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = answer(data, True)
                s.sendall(struct.pack("!H", len(out)) + out)
        except Exception as e:
            print("tcp:", e, file=sys.stderr)


class UdpServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    global UPSTREAM, REWRITE, LOG
    args = sys.argv[1:]
    if len(args) < 2 or (len(args) > 2 and (args[2] != "--generic" or len(args) not in (4, 5))):
        sys.exit(__doc__)
    port = int(args[0])
    UPSTREAM = ("127.0.0.1", int(args[1]))
    if len(args) > 2:
        REWRITE = generic
        for line in open(args[3]):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                CASES.append((dns.name.from_text(parts[1]), parts[2].upper()))
        if len(args) == 5:
            LOG = open(args[4], "a")
    udp = UdpServer(("127.0.0.1", port), Udp)
    tcp = TcpServer(("127.0.0.1", port), Tcp)
    threading.Thread(target=udp.serve_forever, daemon=True).start()
    print("ready", flush=True)
    tcp.serve_forever()


if __name__ == "__main__":
    main()
