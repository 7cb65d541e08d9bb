#!/usr/bin/python3
"""generate.py DIR: the differential corpus. Keys, signed zones and cases, written in the layout
of tests/fixtures/hierarchy.sh (zones.list, zones/, root.hints, root-anchor.*), so that
`hierarchy.sh start DIR` serves them (one knotd per depth) behind an iterating Unbound and a
validating Unbound. Also writes DIR/cases.tsv: `case qname qtype` per line.

Every zone is signed here, by hand (dnssec_lib.py), so that any field can be made wrong. A
case is one query name and type against one zone; a zone serves several cases. New keys
and new signature windows (relative to now) on every run.

Environment: HIERARCHY_NET (default 127.231.20): the root is NET.1, test. NET.2, the other
zones NET.3 up, then the next /24s (127.231.21.x, ...).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dns.name  # noqa: E402
import dns.rdatatype  # noqa: E402

import dnssec_lib as L  # noqa: E402

TTL = 300
DAY = 86400
NOW = int(time.time())
T = dns.rdatatype.from_text

# ---------------------------------------------------------------------------------------------
# Zone model


class K:
    """A key in a zone: ROLE ksk (signs the DNSKEY RRset), zsk (everything else), both, none."""

    def __init__(self, key, role, published=True):
        self.key, self.role, self.published = key, role, published


def key(alg, flags=256, protocol=3):
    """A fresh key (RSA ones: 1024 bits for speed; Unbound and the proxy accept them)."""
    return L.Key(alg, flags=flags, protocol=protocol, bits=1024)


def ksk(alg=13, **kw):
    return K(key(alg, 257), "ksk", **kw)


def zsk(alg=13, **kw):
    return K(key(alg, 256), "zsk", **kw)


class Zone:
    def __init__(self, family, label, parent="test.", keys=None, ds=None, denial="nsec",
                 records=None, queries=None, sig=None, extra_sigs=None, edits=None,
                 bitmap_extra=None, bitmap_bits=True, window=None):
        self.family, self.label, self.parent = family, label, parent
        self.name = label + "." + (parent if parent != "." else "")
        self.origin = L.name(self.name)
        self.keys = [] if keys is None else keys
        # DS entries: dict(key=index or L.Key, digest=2, alg=, tag=, corrupt=, short=)
        self.ds = [dict(key=0)] if ds is None and self.keys else (ds or [])
        self.denial = denial if self.keys else None
        self.records = std_records() if records is None else records
        self.queries = STD_QUERIES if queries is None else queries
        self.sig = sig                  # sig(owner_rel, rdtype_text, K) -> None | False | dict
        self.extra_sigs = extra_sigs or []  # (owner_rel, rdtype_text, Key, dict)
        self.edits = edits or []        # edit(zone, records) -> records
        self.bitmap_extra = bitmap_extra or {}
        self.bitmap_bits = bitmap_bits
        self.window = window or (NOW - 3600, NOW + 30 * DAY)
        self.children = []
        self.addr = None
        self.nsec3_owners = {}  # hashed owner -> original name (NSEC3 zones)

    def rel(self, owner):
        if owner == self.origin:
            return "@"
        return owner.relativize(self.origin).to_text()

    def abs(self, rel):
        return self.origin if rel == "@" else dns.name.from_text(rel, self.origin)


def std_records():
    return [
        ("www", "A", "192.0.2.1"),
        ("www", "TXT", '"www"'),
        ("a", "A", "192.0.2.2"),
        ("host.ent", "A", "192.0.2.3"),
        ("*.wc", "A", "192.0.2.99"),
        ("z", "A", "192.0.2.4"),
    ]


# The standard questions: positive, NODATA, NXDOMAIN, empty non-terminal, wildcard answer,
# wildcard NODATA.
STD_QUERIES = [("www", "A"), ("www", "AAAA"), ("nx", "A"), ("ent", "A"), ("x.wc", "A"),
               ("x.wc", "AAAA")]
SHORT_QUERIES = [("www", "A"), ("nx", "A")]

# ---------------------------------------------------------------------------------------------
# Building and signing one zone


def build(zone):
    o = zone.origin
    rrsets = {}  # (owner, type) -> [ttl, [rdata]]
    order = []

    def add(owner, rdtype, text, ttl=TTL):
        k = (owner, T(rdtype))
        if k not in rrsets:
            rrsets[k] = [ttl, []]
            order.append(k)
        rrsets[k][1].append(L.rdata(rdtype, text, origin=o) if isinstance(text, str) else text)

    add(o, "SOA", "ns hostmaster %d 3600 900 604800 %d" % (NOW, TTL))
    add(o, "NS", "ns")
    add(zone.abs("ns"), "A", zone.addr)
    for owner, rdtype, text in zone.records:
        add(zone.abs(owner), rdtype, text)
    for child in zone.children:
        c = child.origin
        add(c, "NS", "ns." + child.name)
        add(dns.name.from_text("ns", c), "A", child.addr)
        for text in ds_rdatas(child):
            add(c, "DS", text)
    signed = bool(zone.keys)
    if signed:
        for k in zone.keys:
            if k.published:
                add(o, "DNSKEY", k.key.dnskey_text())

    cuts = {owner for (owner, t) in rrsets if t == T("NS") and owner != o}

    def below_cut(owner):
        return any(owner != c and owner.is_subdomain(c) for c in cuts)

    def authoritative(owner, rdtype):
        if below_cut(owner):
            return False  # glue
        if owner in cuts:
            return rdtype in (T("DS"), T("NSEC"))  # the parent's data at a delegation
        return True

    records = []  # (owner, ttl, type, rdata)
    for k in order:
        for rd in rrsets[k][1]:
            records.append((k[0], rrsets[k][0], k[1], rd))

    if signed and zone.denial:
        records += denial_chain(zone, rrsets, cuts, below_cut)

    if signed:
        sets = {}
        for owner, ttl, rdtype, rd in records:
            sets.setdefault((owner, rdtype), [ttl, []])[1].append(rd)
        sigs = []
        for (owner, rdtype), (ttl, rds) in sets.items():
            if not authoritative(owner, rdtype):
                continue
            is_dnskey = rdtype == T("DNSKEY")
            for k in zone.keys:
                if k.role == "none" or (k.role == "ksk" and not is_dnskey) or \
                        (k.role == "zsk" and is_dnskey):
                    continue
                opts = {}
                if zone.sig:
                    opts = zone.sig(zone.rel(owner), dns.rdatatype.to_text(rdtype), k)
                    if opts is False:
                        continue
                    opts = dict(opts or {})
                sigs.append(sign(zone, owner, rdtype, ttl, rds, k.key, opts))
        for owner_rel, rdtype, k, opts in zone.extra_sigs:
            owner = zone.abs(owner_rel)
            ttl, rds = sets[(owner, T(rdtype))]
            sigs.append(sign(zone, owner, T(rdtype), ttl, rds, k, dict(opts)))
        records += sigs
    for edit in zone.edits:
        records = edit(zone, records)
    return records


def sign(zone, owner, rdtype, ttl, rds, k, opts):
    inc, exp = opts.pop("window", zone.window)
    signer = L.name(opts.pop("signer")) if "signer" in opts else zone.origin
    sig = L.make_rrsig(owner, rdtype, ttl, rds, k, signer, inc, exp, **opts)
    return (owner, ttl, T("RRSIG"), sig)


def denial_chain(zone, rrsets, cuts, below_cut):
    o = zone.origin
    types = {}
    for (owner, rdtype) in rrsets:
        if below_cut(owner):
            continue
        types.setdefault(owner, set()).add(rdtype)
    out = []
    if zone.denial == "nsec":
        names = sorted(types)
        for i, owner in enumerate(names):
            nxt = names[(i + 1) % len(names)]
            ts = set(types[owner])
            if zone.bitmap_bits:
                ts |= {T("NSEC"), T("RRSIG")}
            ts |= {T(x) for x in zone.bitmap_extra.get(zone.rel(owner), [])}
            text = nxt.to_text() + " " + " ".join(sorted(dns.rdatatype.to_text(t) for t in ts))
            out.append((owner, TTL, T("NSEC"), L.rdata("NSEC", text)))
        return out
    # NSEC3: ("nsec3", salt hex or "", iterations, opt_out, hash algorithm field)
    _, salt, iterations, opt_out, hash_alg = zone.denial
    salt_text = salt if salt else "-"
    nodes = {}
    for owner, ts in types.items():
        if opt_out and owner in cuts and T("DS") not in ts:
            continue  # RFC 5155 §6: opt-out leaves insecure delegations out of the chain
        nodes[owner] = set(ts)
        # Empty non-terminals between the apex and the owner (RFC 5155 §7.1).
        n = owner
        while n != o:
            n = n.parent()
            nodes.setdefault(n, set())
    if T("NSEC3PARAM") not in nodes[o]:
        nodes[o].add(T("NSEC3PARAM"))
        out.append((o, TTL, T("NSEC3PARAM"), L.rdata("NSEC3PARAM", "1 0 %d %s" % (iterations, salt_text))))
    hashed = {}
    for owner in nodes:
        h = L.nsec3_hash(owner, salt, iterations)
        hashed[h] = owner
    zone.nsec3_owners = {dns.name.from_text(h, o): owner for h, owner in hashed.items()}
    zone.nsec3_params = (salt, iterations)
    hs = sorted(hashed)
    for i, h in enumerate(hs):
        owner = hashed[h]
        ts = set(nodes[owner])
        signed_data = ts and not (owner in cuts and T("DS") not in ts)
        if signed_data and zone.bitmap_bits:
            ts.add(T("RRSIG"))
        ts |= {T(x) for x in zone.bitmap_extra.get(zone.rel(owner), [])}
        text = "%d %d %d %s %s %s" % (hash_alg, 1 if opt_out else 0, iterations, salt_text,
                                      hs[(i + 1) % len(hs)],
                                      " ".join(sorted(dns.rdatatype.to_text(t) for t in ts)))
        out.append((dns.name.from_text(h, o), TTL, T("NSEC3"), L.rdata("NSEC3", text.strip())))
    return out


def ds_rdatas(child):
    out = []
    for d in child.ds:
        k = d["key"]
        k = child.keys[k].key if isinstance(k, int) else k
        text = L.ds_text(child.origin, k, d.get("digest", 2))
        tag, alg, dtype, digest = text.split()
        if "alg" in d:
            alg = str(d["alg"])
        if "tag" in d:
            tag = str(d["tag"])
        if d.get("corrupt"):
            digest = ("%02x" % (int(digest[:2], 16) ^ 0x01)) + digest[2:]
        if d.get("short"):
            digest = digest[:40]
        if d.get("empty"):
            digest = ""  # no digest at all: 4 octets of DS (written in RFC 3597 form)
        out.append(" ".join((tag, alg, dtype, digest)).strip())
    return out


# ---------------------------------------------------------------------------------------------
# Edits after signing


def drop(owner_rel, rdtype, covered=None):
    """Delete OWNER's RDTYPE records (RRSIG: only those covering COVERED)."""
    def edit(zone, records):
        owner = zone.abs(owner_rel) if isinstance(owner_rel, str) else owner_rel(zone)
        out = [r for r in records if not (
            r[0] == owner and r[2] == T(rdtype) and
            (covered is None or r[3].type_covered == T(covered)))]
        assert len(out) < len(records), "%s: nothing to drop at %s %s %s" % (
            zone.name, owner, rdtype, covered)
        return out
    return edit


def corrupt_sigs(pred):
    """Flip a signature bit of every RRSIG for which pred(owner_rel, covered_text) holds."""
    def edit(zone, records):
        out = []
        for r in records:
            if r[2] == T("RRSIG") and pred(zone.rel(r[0]), dns.rdatatype.to_text(r[3].type_covered)):
                sig = r[3].signature
                r = (r[0], r[1], r[2], r[3].replace(signature=sig[:2] + bytes([sig[2] ^ 1]) + sig[3:]))
            out.append(r)
        return out
    return edit


def nsec3_of(qname_rel, role):
    """The hashed owner of the NSEC3 that matches (role "match") or covers (role "cover")
    QNAME_REL in the zone's chain: a function of the zone, for drop()."""
    def find(zone):
        salt, iterations = zone.nsec3_params
        q = zone.abs(qname_rel)
        h = L.nsec3_hash(q, salt, iterations)
        owners = sorted(x.labels[0].decode() for x in zone.nsec3_owners)
        if role == "match":
            assert h in owners, "%s: no NSEC3 matches %s" % (zone.name, qname_rel)
            return dns.name.from_text(h, zone.origin)
        assert h not in owners, "%s: %s exists" % (zone.name, qname_rel)
        prev = [x for x in owners if x < h]
        return dns.name.from_text(prev[-1] if prev else owners[-1], zone.origin)
    return find


# ---------------------------------------------------------------------------------------------
# The corpus


def corpus():
    zones = []
    add = zones.append

    # Algorithms, each signing a whole zone: supported 5 7 8 10 13 14 15 16; DSA 3 and 6
    # (RFC 8624: MUST NOT validate); 12 (GOST), 100 (unassigned), 253 (PRIVATEDNS) with
    # random key and signature bytes: a DS naming only these is insecure (RFC 4035 §5.2).
    for a in (5, 7, 8, 10, 13, 14, 15, 16, 3, 6, 12, 100, 253):
        add(Zone("alg", "alg-%d" % a, keys=[ksk(a), zsk(a)],
                 denial=("nsec3", "", 0, False, 1) if a in (6, 7) else "nsec",
                 queries=[("www", "A"), ("www", "AAAA"), ("nx", "A"), ("x.wc", "A"),
                          ("@", "DNSKEY")]))

    # As nobody can sign with these algorithms: DNSKEYs of the algorithm, no RRSIG at all
    # (issue 14, item 1). The DS RRset alone makes the zone insecure.
    for a in (12, 100, 253):
        add(Zone("alg", "alg-%d-nosig" % a, keys=[K(key(a, 257), "none"), K(key(a), "none")],
                 queries=[("www", "A"), ("www", "AAAA"), ("nx", "A"), ("@", "DNSKEY")]))

    # The DS's algorithm field says something else than the key's (13).
    for a in (0, 3, 5, 6, 8, 12, 14, 15, 100, 253):
        add(Zone("dsalg", "dsalg-%d" % a, keys=[ksk(), zsk()], ds=[dict(key=0, alg=a)],
                 queries=SHORT_QUERIES))
    # The DNSKEY's algorithm field says 8 or 100 while the key signs with 13 (RRSIGs say 13).
    for a in (8, 100):
        bad = ksk()
        bad.key.algorithm = a
        add(Zone("dsalg", "keyalg-%d" % a, keys=[bad, zsk()], queries=SHORT_QUERIES,
                 sig=lambda o, t, k: dict(algorithm=13) if k.role == "ksk" else None))

    # DS digests: SHA-1, SHA-256, SHA-384, GOST (3: not implemented), 5/6 (newer), unassigned
    # 200 and reserved 0; wrong digests; RFC 4509 §3 (SHA-1 ignored beside SHA-256).
    digests = {
        "d1": [dict(key=0, digest=1)], "d2": [dict(key=0, digest=2)], "d4": [dict(key=0, digest=4)],
        "d3": [dict(key=0, digest=3)], "d5": [dict(key=0, digest=5)], "d6": [dict(key=0, digest=6)],
        "d200": [dict(key=0, digest=200)], "d0": [dict(key=0, digest=0)],
        "d1bad": [dict(key=0, digest=1, corrupt=True)], "d2bad": [dict(key=0, digest=2, corrupt=True)],
        "d4bad": [dict(key=0, digest=4, corrupt=True)],
        "d1ok-2bad": [dict(key=0, digest=1), dict(key=0, digest=2, corrupt=True)],
        "d1bad-2ok": [dict(key=0, digest=1, corrupt=True), dict(key=0, digest=2)],
        "d2ok-4bad": [dict(key=0, digest=2), dict(key=0, digest=4, corrupt=True)],
        "d2bad-4ok": [dict(key=0, digest=2, corrupt=True), dict(key=0, digest=4)],
        "d2ok-200": [dict(key=0, digest=2), dict(key=0, digest=200)],
        "d1ok-200": [dict(key=0, digest=1), dict(key=0, digest=200)],
        "d2short": [dict(key=0, digest=2, short=True)],
        "d2empty": [dict(key=0, digest=2, empty=True)],
        "d2tag": [dict(key=0, digest=2, tag="x")],
    }
    for label, ds in digests.items():
        z = Zone("digest", "ds-" + label, keys=[ksk(), zsk()], ds=ds, queries=SHORT_QUERIES)
        for d in ds:
            if d.get("tag") == "x":
                d["tag"] = (z.keys[0].key.tag + 1) & 0xFFFF
        add(z)
    # Two KSKs with a DS each, only one of them signs the DNSKEY RRset.
    add(Zone("digest", "ds-twoksk", keys=[ksk(), ksk(), zsk()], queries=SHORT_QUERIES,
             ds=[dict(key=0), dict(key=1)], sig=lambda o, t, k: False if k is z2 else None))
    z2 = zones[-1].keys[1]

    # Mixed algorithms and rollovers (RFC 4035 §2.2, RFC 6840 §5.11).
    q3 = [("www", "A"), ("nx", "A"), ("www", "AAAA")]

    def mixed(label, keys, ds, sig=None, extra=None):
        add(Zone("mixed", label, keys=keys, ds=ds, queries=q3, sig=sig, extra_sigs=extra))
    mixed("mix-both", [ksk(13), zsk(13), ksk(8), zsk(8)], [dict(key=0), dict(key=2)])
    mixed("mix-8idle", [ksk(13), zsk(13), K(key(8, 257), "none"), K(key(8), "none")],
          [dict(key=0), dict(key=2)])
    mixed("mix-ds8nokey", [ksk(13), zsk(13)], [dict(key=0), dict(key=L.Key(8, 257, bits=1024))])
    mixed("mix-data8", [ksk(13), zsk(8)], [dict(key=0)])
    mixed("mix-ds100", [ksk(13), zsk(13)], [dict(key=0), dict(key=L.Key(100, 257))])
    mixed("mix-13bad-8ok", [ksk(13), zsk(13), zsk(8)], [dict(key=0)],
          sig=lambda o, t, k: dict(corrupt=True) if k.key.algorithm == 13 and k.role == "zsk" else None)
    mixed("mix-key8-data13", [ksk(13), zsk(13), ksk(8)], [dict(key=0), dict(key=2)],
          sig=lambda o, t, k: False if t == "DNSKEY" and k.key.algorithm == 13 else None)
    extra_key = L.Key(100, 256)
    m = Zone("mixed", "mix-rrsig100", keys=[ksk(13), zsk(13), K(extra_key, "none")], queries=q3)
    m.extra_sigs = [("www", "A", extra_key, {}), ("@", "SOA", extra_key, {})]
    add(m)
    mixed("mix-13ok-8bad", [ksk(13), zsk(13), ksk(8), zsk(8)], [dict(key=0), dict(key=2)],
          sig=lambda o, t, k: dict(corrupt=True) if k.key.algorithm == 8 and t != "DNSKEY" else None)
    mixed("mix-8-15", [ksk(8), zsk(8), ksk(15), zsk(15)], [dict(key=0), dict(key=2)],
          sig=lambda o, t, k: False if t != "DNSKEY" and k.key.algorithm == 8 else None)

    # Key flags and protocol (RFC 4034 §2.1.1-2, RFC 5011 §2.1 REVOKE, RFC 4035 §5.2).
    def keys_zone(label, keys, ds=None, sig=None):
        add(Zone("keys", label, keys=keys, ds=ds, queries=SHORT_QUERIES, sig=sig))
    keys_zone("rev-ksk", [K(key(13, 257 | 0x80), "ksk"), zsk()])
    keys_zone("rev-zsk", [ksk(), K(key(13, 256 | 0x80), "zsk")])
    keys_zone("rev-extra", [ksk(), zsk(), K(key(13, 257 | 0x80), "none")])
    keys_zone("rev-plus", [K(key(13, 257 | 0x80), "ksk"), ksk(), zsk()], ds=[dict(key=0), dict(key=1)])
    keys_zone("nozone-ksk", [K(key(13, 1), "ksk"), zsk()])
    keys_zone("nozone-zsk", [ksk(), K(key(13, 0), "zsk")])
    keys_zone("proto2-zsk", [ksk(), K(key(13, 256, protocol=2), "zsk")])
    keys_zone("proto0-ksk", [K(key(13, 257, protocol=0), "ksk"), zsk()])
    keys_zone("ds-zsk", [ksk(), zsk()], ds=[dict(key=1)])
    keys_zone("ds-zsk-signs", [ksk(), K(key(13, 256), "both")], ds=[dict(key=1)])
    keys_zone("csk-257", [K(key(13, 257), "both")])
    keys_zone("csk-256", [K(key(13, 256), "both")])
    keys_zone("zsk-sep", [ksk(), K(key(13, 257), "zsk")])
    keys_zone("unpub-ksk", [ksk(published=False), zsk()])

    # DNSKEYs of unsupported algorithms beside a supported chain; a DS RRset with a
    # supported algorithm that fails beside an unsupported one.
    k100 = L.Key(100, 257)
    z = Zone("keys", "extra-key100", keys=[ksk(), zsk(), K(k100, "none")], queries=SHORT_QUERIES)
    z.extra_sigs = [("@", "DNSKEY", k100, {}), ("www", "A", k100, {})]
    add(z)
    add(Zone("keys", "ds13bad-ds100", keys=[ksk(), zsk()], queries=SHORT_QUERIES,
             ds=[dict(key=0, corrupt=True), dict(key=L.Key(100, 257))]))
    add(Zone("keys", "ds253-key253", keys=[ksk(253), zsk(253)], queries=SHORT_QUERIES))

    # RRSIG fields (RFC 4035 §5.3.1): signer not the zone, key tag or algorithm that name no
    # key; names in mixed case (RFC 4034 §6.2, RFC 6840 §5.1: lowercased when verifying).
    rrsig_opts = {"s-signer": dict(signer="test."), "s-tag": dict(tag=1), "s-alg": dict(algorithm=8),
                  "s-signer-case": dict(signer="RrSiG.TeSt.")}
    recs = [(n, "A", "192.0.2.%d" % (i + 20)) for i, n in enumerate(rrsig_opts)]
    recs += [("MiXeD", "A", "192.0.2.30"), ("mx", "MX", "10 WwW.RrSiG.TeSt."),
             ("www", "A", "192.0.2.1"), ("cn", "CNAME", "WWW.rrsig.test.")]
    add(Zone("rrsig", "rrsig", keys=[ksk(), zsk()], records=recs,
             queries=[(n, "A") for n in rrsig_opts] + [("mixed", "A"), ("MIXED", "A"), ("mx", "MX"),
                                                       ("cn", "A"), ("@", "NS"), ("@", "SOA"),
                                                       ("ns", "A"), ("www", "TXT")],
             sig=lambda o, t, k: rrsig_opts.get(o) if t == "A" else None))

    # Key tag collisions: N DNSKEYs share the real key's tag and algorithm (RSASHA256); the
    # others are decoys that verify nothing. The data is validly signed.
    def collide(label, n, role="zsk", corrupt=False, real_first=False):
        real_k, real_z = ksk(8), zsk(8)
        target = real_z if role == "zsk" else real_k
        flags = 256 if role == "zsk" else 257
        # The DNSKEY RRset is served in canonical order: decoys whose modulus starts 80 00
        # come before the real key (the validator meets it last), FF FF after it.
        lead = b"\xff\xff" if real_first else b"\x80\x00"
        decoys = [K(L.decoy(8, target.key.tag, flags=flags, lead=lead), "none") for _ in range(n - 1)]
        sig = (lambda o, t, k: dict(corrupt=True) if k is real_z else None) if corrupt else None
        add(Zone("tag", label, keys=[real_k, real_z] + decoys, ds=[dict(key=0)],
                 queries=q3, sig=sig))
    for n in (2, 3, 4, 5, 6, 8, 12, 16):
        collide("tag-zsk-%d" % n, n)
    for n in (4, 16):
        collide("tag-ksk-%d" % n, n, role="ksk")
    collide("tag-zsk-8-bad", 8, corrupt=True)
    collide("tag-zsk-8-first", 8, real_first=True)
    collide("tag-zsk-16-first", 16, real_first=True)

    # Signature validity windows (RFC 4034 §3.1.5 serial arithmetic, RFC 4035 §5.3.1):
    # every RRSIG but the DNSKEY RRset's gets the window, unless the zone name says dnskey.
    def win(label, inc, exp, dnskey=False, both=False):
        keys = [ksk(), zsk()] + ([zsk()] if both else [])
        windowed = keys[0] if dnskey else keys[1]

        def sig(o, t, k, inc=inc, exp=exp):
            return dict(window=(inc, exp)) if k is windowed else None
        add(Zone("window", label, keys=keys, queries=SHORT_QUERIES, sig=sig))
    H = 3600
    win("w-exp-1s", NOW - H, NOW - 1)
    win("w-exp-2h", NOW - 3 * H, NOW - 2 * H)
    win("w-exp-11d", NOW - 41 * DAY, NOW - 11 * DAY)
    win("w-inc-1s", NOW + 1, NOW + 30 * DAY)
    win("w-inc-10m", NOW + 600, NOW + 30 * DAY)
    win("w-inc-2h", NOW + 2 * H, NOW + 3 * H)
    win("w-inc-11d", NOW + 11 * DAY, NOW + 41 * DAY)
    win("w-exp-1h", NOW - H, NOW + H)
    win("w-inc-zero", 0, NOW + 30 * DAY)
    win("w-exp-max", NOW - H, 0xFFFFFFFF)
    win("w-exp-wrap", NOW - H, NOW + 2 ** 31 + H)
    win("w-exp-far", NOW - H, NOW + 2 ** 31 - 2 * DAY)
    win("w-inc-after-exp", NOW - 60, NOW - 2 * H)
    win("w-dnskey-exp", NOW - 41 * DAY, NOW - 11 * DAY, dnskey=True)
    win("w-dnskey-inc", NOW + 11 * DAY, NOW + 41 * DAY, dnskey=True)
    win("w-exp-11d-plus-valid", NOW - 41 * DAY, NOW - 11 * DAY, both=True)

    # Original TTL (RFC 4035 §5.3.3) larger and smaller than the RRset's; liars.
    ttl_names = {"big": dict(original_ttl=3600), "small": dict(original_ttl=60),
                 "zero": dict(original_ttl=0), "liar": dict(original_ttl=3600, signed_ttl=TTL),
                 "liar2": dict(original_ttl=60, signed_ttl=TTL)}
    add(Zone("ttl", "ttl", keys=[ksk(), zsk()],
             records=[(n, "A", "192.0.2.%d" % (i + 10)) for i, n in enumerate(ttl_names)],
             queries=[(n, "A") for n in ttl_names],
             sig=lambda o, t, k: ttl_names.get(o) if t == "A" else None))

    # The RRSIG labels field (RFC 4035 §5.3.1-2, RFC 4034 §3.1.3): NSEC and NSEC3.
    lbl = {"l1": dict(labels=2), "l2": dict(labels=4), "*.wcs": dict(labels=4),
           "*.wcd": dict(labels=2)}
    lbl_records = [("www", "A", "192.0.2.1"), ("l1", "A", "192.0.2.2"), ("l2", "A", "192.0.2.3"),
                   ("*.wc", "A", "192.0.2.4"), ("*.wcs", "A", "192.0.2.5"),
                   ("*.wcd", "A", "192.0.2.6")]
    lbl_queries = [("www", "A"), ("l1", "A"), ("l2", "A"), ("x.wc", "A"), ("a.b.wc", "A"),
                   ("*.wc", "A"), ("x.wcs", "A"), ("*.wcs", "A"), ("x.wcd", "A")]
    for label, denial in (("labels", "nsec"), ("labels3", ("nsec3", "", 0, False, 1))):
        add(Zone("labels", label, keys=[ksk(), zsk()], denial=denial, records=lbl_records,
                 queries=lbl_queries, sig=lambda o, t, k: lbl.get(o) if t == "A" else None))

    # NSEC denial, and each record of each proof taken away in turn.
    add(Zone("nsec", "nsec", keys=[ksk(), zsk()]))
    nsec_drops = {
        "cover-nx": drop("ns", "NSEC"), "cover-nx-sig": drop("ns", "RRSIG", "NSEC"),
        "cover-wild": drop("@", "NSEC"), "cover-wild-sig": drop("@", "RRSIG", "NSEC"),
        "soa-sig": drop("@", "RRSIG", "SOA"), "nodata": drop("www", "NSEC"),
        "nodata-sig": drop("www", "RRSIG", "NSEC"), "ent": drop("a", "NSEC"),
        "ent-sig": drop("a", "RRSIG", "NSEC"), "wild": drop("*.wc", "NSEC"),
        "wild-sig": drop("*.wc", "RRSIG", "NSEC"), "wild-a-sig": drop("*.wc", "RRSIG", "A"),
    }
    for label, edit in nsec_drops.items():
        add(Zone("nsec", "nsec-no-" + label, keys=[ksk(), zsk()], edits=[edit]))
    add(Zone("nsec", "nsec-nobits", keys=[ksk(), zsk()], bitmap_bits=False))
    add(Zone("nsec", "nsec-lie-aaaa", keys=[ksk(), zsk()], bitmap_extra={"www": ["AAAA"]}))
    add(Zone("nsec", "nsec-lie-ent", keys=[ksk(), zsk()], bitmap_extra={"a": ["AAAA"]}))

    # NSEC3: iterations (RFC 9276: 150 is Unbound's and our limit), salts 0-255 octets,
    # opt-out, an unknown hash algorithm.
    n3 = {
        "n3-i0": ("", 0), "n3-i1": ("ab", 1), "n3-i100": ("aabbccdd", 100),
        "n3-i150": ("aabbccdd", 150), "n3-i151": ("aabbccdd", 151), "n3-i500": ("aabbccdd", 500),
        "n3-salt8": ("0011223344556677", 10), "n3-salt64": ("5a" * 64, 5),
        "n3-salt255": ("c3" * 255, 0),
    }
    for label, (salt, it) in n3.items():
        add(Zone("nsec3", label, keys=[ksk(), zsk()], denial=("nsec3", salt, it, False, 1)))
    add(Zone("nsec3", "n3-optout", keys=[ksk(), zsk()], denial=("nsec3", "", 0, True, 1)))
    add(Zone("nsec3", "n3-hash2", keys=[ksk(), zsk()], denial=("nsec3", "", 0, False, 2)))
    add(Zone("nsec3", "n3-nobits", keys=[ksk(), zsk()], denial=("nsec3", "", 0, False, 1),
             bitmap_bits=False))
    add(Zone("nsec3", "n3-lie-aaaa", keys=[ksk(), zsk()], denial=("nsec3", "", 0, False, 1),
             bitmap_extra={"www": ["AAAA"]}))

    # NSEC3 proofs with one record (or its RRSIG) taken away: NXDOMAIN's closest encloser,
    # next closer and wildcard NSEC3s (RFC 5155 §8.4), NODATA's match (§8.5), the ENT's,
    # the wildcard answer's next closer (§8.8), wildcard NODATA's three (§8.7).
    roles = {"nx-ce": ("@", "match"), "nx-nc": ("nx", "cover"), "nx-wc": ("*", "cover"),
             "nodata": ("www", "match"), "ent": ("ent", "match"), "wild-nc": ("x.wc", "cover"),
             "wildnd-ce": ("wc", "match"), "wildnd-wc": ("*.wc", "match")}
    for label, (qn, role) in roles.items():
        for what in ("", "-sig"):
            edit = drop(nsec3_of(qn, role), "NSEC3") if not what else \
                drop(nsec3_of(qn, role), "RRSIG", "NSEC3")
            add(Zone("nsec3", "n3-no-" + label + what, keys=[ksk(), zsk()],
                     denial=("nsec3", "", 0, False, 1), edits=[edit]))
    add(Zone("nsec3", "n3-no-soa-sig", keys=[ksk(), zsk()], denial=("nsec3", "", 0, False, 1),
             edits=[drop("@", "RRSIG", "SOA")]))

    # Delegations from NSEC, NSEC3 and NSEC3 opt-out parents (depth 3 children).
    for plabel, denial in (("p-nsec", "nsec"), ("p-n3", ("nsec3", "", 0, False, 1)),
                           ("p-n3o", ("nsec3", "", 0, True, 1))):
        parent = Zone("deleg", plabel, keys=[ksk(), zsk()], denial=denial,
                      queries=STD_QUERIES[:3])
        add(parent)
        p = parent.name
        kids = [
            Zone("deleg", "ins", parent=p, queries=SHORT_QUERIES),
            Zone("deleg", "dsun", parent=p, queries=SHORT_QUERIES,
                 ds=[dict(key=L.Key(13, 257))]),
            Zone("deleg", "sec", parent=p, keys=[ksk(), zsk()], queries=SHORT_QUERIES),
            Zone("deleg", "unsdk", parent=p, keys=[ksk(), zsk()], queries=SHORT_QUERIES,
                 edits=[drop("@", "RRSIG", "DNSKEY")]),
            Zone("deleg", "nodk", parent=p, keys=[ksk(published=False), zsk(published=False)],
                 queries=SHORT_QUERIES),
        ]
        for kid in kids:
            kid.queries = kid.queries + [("@", "DS")]
            add(kid)

    # CNAME and DNAME chains through secure (c-s), insecure (c-i) and bogus (c-b) zones.
    kinds = ("s", "i", "b")
    for x in kinds:
        recs = [("www", "A", "192.0.2.1"), ("host.ent", "A", "192.0.2.3")]
        qs = []
        for y in kinds:
            # DNAME substitution of a two-label prefix (RFC 6672 §2.2): data and NXDOMAIN.
            qs += [("host.ent.d-" + y, "A"), ("a.b.d-" + y, "A")]
            recs += [("t-" + y, "CNAME", "www.c-%s.test." % y), ("n-" + y, "CNAME", "nx.c-%s.test." % y),
                     ("d-" + y, "DNAME", "c-%s.test." % y)]
            qs += [("t-" + y, "A"), ("n-" + y, "A"), ("www.d-" + y, "A"), ("nx.d-" + y, "A")]
            for zz in kinds:
                recs.append(("tt-%s-%s" % (y, zz), "CNAME", "t-%s.c-%s.test." % (zz, y)))
                qs.append(("tt-%s-%s" % (y, zz), "A"))
        qs += [("t-s", "AAAA"), ("www", "A")]
        # The DNAME to the zone's own apex (an ancestor) applied twice and three times.
        qs += [("www.d-%s.d-%s" % (x, x), "A"), ("d-%s.d-%s.d-%s" % (x, x, x), "A")]
        # Loops: a DNAME onto itself, two CNAMEs onto each other.
        recs += [("lp", "DNAME", "lp.c-%s.test." % x), ("cl1", "CNAME", "cl2.c-%s.test." % x),
                 ("cl2", "CNAME", "cl1.c-%s.test." % x)]
        qs += [("www.lp", "A"), ("cl1", "A")]
        if x == "i":
            add(Zone("chain", "c-i", records=recs, queries=qs))
        else:
            edits = [corrupt_sigs(lambda o, t: t not in ("DNSKEY",))] if x == "b" else []
            add(Zone("chain", "c-" + x, keys=[ksk(), zsk()], records=recs, queries=qs, edits=edits))
    return zones


ROOT_QUERIES = [(".", "DS"), (".", "DNSKEY"), (".", "SOA"), ("nxtld.", "A"), ("test.", "DS"),
                ("test.", "DNSKEY"), ("www.test.", "A"), ("nx.test.", "A"), ("www.test.", "AAAA"),
                # dn. DNAME . (issue 14, item 6): a DNAME to the root, applied 1-3 times.
                ("www.test.dn.", "A"), ("www.test.dn.dn.", "A"), ("nx.test.dn.dn.dn.", "A"),
                ("dn.dn.", "A")]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py DIR")
    w = os.path.abspath(sys.argv[1])
    net = os.environ.get("HIERARCHY_NET", "127.231.20")
    a, b, c = (int(x) for x in net.split(".")[:3])
    os.makedirs(os.path.join(w, "zones"), exist_ok=True)
    start = time.time()

    root = Zone("root", "", parent=".", keys=[ksk(), zsk()], records=[("dn", "DNAME", ".")],
                queries=[])
    root.name, root.origin = ".", dns.name.root
    tld = Zone("root", "test", parent=".", keys=[ksk(), zsk()],
               records=[("www", "A", "192.0.2.2")], queries=[])
    zones = corpus()
    by_name = {z.name: z for z in zones}
    by_name["test."], by_name["."] = tld, root
    root.addr, tld.addr = "%s.1" % net, "%s.2" % net
    n = 3
    for z in zones:
        z.addr = "%d.%d.%d.%d" % (a, b, c + (n - 1) // 254, (n - 1) % 254 + 1)
        n += 1
        by_name[z.parent].children.append(z)
    tld.children.sort(key=lambda z: z.name)
    root.children = [tld]

    everything = [root, tld] + zones
    # Children first: a parent needs its children's DS.
    everything.sort(key=lambda z: -len(z.origin))
    zlist = []
    for z in everything:
        records = build(z)
        stem = "root" if z.name == "." else z.name[:-1]
        with open(os.path.join(w, "zones", stem + ".zone"), "w") as f:
            for owner, ttl, rdtype, rd in records:
                f.write("%s %d IN %s %s\n" % (owner.to_text(), ttl, dns.rdatatype.to_text(rdtype),
                                              rd.to_text(origin=None, relativize=False)))
        zlist.append("%s %s %d %s.zone" % (z.name, z.addr, len(z.origin) - 1, stem))

    cases = []
    for q, t in ROOT_QUERIES:
        cases.append(("root/%s/%s" % (q, t), q, t))
    for z in zones:
        for q, t in z.queries:
            qname = z.name if q == "@" else q + "." + z.name
            cases.append(("%s/%s/%s/%s" % (z.family, z.name[:-len(".test.")], q, t), qname, t))
    with open(os.path.join(w, "cases.tsv"), "w") as f:
        for c_ in cases:
            f.write("\t".join(c_) + "\n")
    with open(os.path.join(w, "zones.list"), "w") as f:
        f.write("\n".join(zlist) + "\n")
    with open(os.path.join(w, "root.hints"), "w") as f:
        f.write(". 3600000 IN NS ns.\nns. 3600000 IN A %s\n" % root.addr)
    with open(os.path.join(w, "net"), "w") as f:
        f.write(net + "\n")
    # Trust anchors: the root KSK as DS (proxy, Unbound) and DNSKEY.
    rk = root.keys[0].key
    with open(os.path.join(w, "root-anchor.ds"), "w") as f:
        f.write(". 3600 IN DS %s\n" % L.ds_text(dns.name.root, rk, 2))
    with open(os.path.join(w, "root-anchor.unbound"), "w") as f:
        f.write(". 3600 IN DS %s\n" % L.ds_text(dns.name.root, rk, 2))
    with open(os.path.join(w, "root-anchor.dnskey"), "w") as f:
        f.write(". 3600 IN DNSKEY %s\n" % rk.dnskey_text())
    print("generate.py: %d zones, %d cases in %s (%.1f s)" % (len(everything), len(cases), w,
                                                              time.time() - start), file=sys.stderr)


if __name__ == "__main__":
    main()
