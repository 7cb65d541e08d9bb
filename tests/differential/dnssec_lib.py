"""dnssec_lib: keys, RRSIGs, NSEC and NSEC3 chains for the differential corpus (generate.py).

Signs by hand (RFC 4034 §3.1.8.1 signature data, §6 canonical form) so that every field a
validator checks can be set wrong on purpose: algorithm, flags, protocol, labels, original
TTL, inception/expiration (32-bit serial values), key tag, signer. Needs /usr/bin/python3 with
Debian's python3-dnspython (2.3) and python3-cryptography.
"""
import base64
import hashlib
import os
import struct

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

IN = dns.rdataclass.IN
_B32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghijklmnopqrstuv")

# Algorithms this generator can really sign with; any other number gets random key and
# signature bytes (a validator cannot check them: unsupported, RFC 4035 §5.2).
_HASH = {3: hashes.SHA1, 5: hashes.SHA1, 6: hashes.SHA1, 7: hashes.SHA1, 8: hashes.SHA256,
         10: hashes.SHA512, 13: hashes.SHA256, 14: hashes.SHA384}


def name(text):
    return dns.name.from_text(text)


def rdata(rdtype, text, origin=None):
    try:
        return dns.rdata.from_text(IN, rdtype, text, origin=origin, relativize=False)
    except dns.exception.SyntaxError:
        if rdtype != "DS":
            raise
    # dnspython refuses DS digest type 0, digests of the wrong length and no digest at all:
    # write those in RFC 3597 generic form.
    tag, alg, dtype, *digest = text.split()
    digest = "".join(digest)
    wire = struct.pack("!HBB", int(tag), int(alg), int(dtype)) + bytes.fromhex(digest)
    return dns.rdata.GenericRdata(IN, dns.rdatatype.DS, wire)


def key_tag(flags, protocol, algorithm, key):
    """RFC 4034 Appendix B (algorithm 1 has its own rule; never used here)."""
    wire = struct.pack("!HBB", flags, protocol, algorithm) + key
    acc = 0
    for i, b in enumerate(wire):
        acc += b if i & 1 else b << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


class Key:
    """One DNSKEY and, when the algorithm is real, its private key."""

    def __init__(self, algorithm, flags=256, protocol=3, bits=2048, public=None):
        self.algorithm, self.flags, self.protocol = algorithm, flags, protocol
        self.real_alg = algorithm  # what the private key signs with, whatever DNSKEY says
        self.private = None
        if public is not None:
            self.public = public
        elif algorithm in (5, 7, 8, 10):
            self.private = rsa.generate_private_key(65537, bits)
            n = self.private.public_key().public_numbers().n
            self.public = b"\x03\x01\x00\x01" + n.to_bytes((n.bit_length() + 7) // 8, "big")
        elif algorithm in (3, 6):
            self.private = dsa.generate_private_key(1024)
            pn = self.private.public_key().public_numbers()
            p = pn.parameter_numbers
            self.public = (b"\x08" + p.q.to_bytes(20, "big") + p.p.to_bytes(128, "big") +
                           p.g.to_bytes(128, "big") + pn.y.to_bytes(128, "big"))
        elif algorithm in (13, 14):
            self.private = ec.generate_private_key(ec.SECP256R1() if algorithm == 13 else ec.SECP384R1())
            pn = self.private.public_key().public_numbers()
            size = 32 if algorithm == 13 else 48
            self.public = pn.x.to_bytes(size, "big") + pn.y.to_bytes(size, "big")
        elif algorithm == 15:
            self.private = ed25519.Ed25519PrivateKey.generate()
            self.public = _raw(self.private.public_key())
        elif algorithm == 16:
            self.private = ed448.Ed448PrivateKey.generate()
            self.public = _raw(self.private.public_key())
        elif algorithm == 253:
            # RFC 4034 A.1.1: PRIVATEDNS keys start with the wire form of a domain name.
            self.public = b"\x07private\x07example\x00" + os.urandom(64)
        else:
            self.public = os.urandom(64)

    @property
    def tag(self):
        return key_tag(self.flags, self.protocol, self.algorithm, self.public)

    def dnskey_text(self):
        return "%d %d %d %s" % (self.flags, self.protocol, self.algorithm,
                                base64.b64encode(self.public).decode())

    def dnskey(self):
        return rdata("DNSKEY", self.dnskey_text())

    def sign(self, data):
        a = self.real_alg
        if self.private is None:
            return os.urandom(64)  # nobody can check it: the algorithm exists nowhere
        if a in (5, 7, 8, 10):
            return self.private.sign(data, padding.PKCS1v15(), _HASH[a]())
        if a in (3, 6):
            r, s = decode_dss_signature(self.private.sign(data, hashes.SHA1()))
            return b"\x08" + r.to_bytes(20, "big") + s.to_bytes(20, "big")
        if a in (13, 14):
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(_HASH[a]())))
            size = 32 if a == 13 else 48
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return self.private.sign(data)


def _raw(public_key):
    from cryptography.hazmat.primitives import serialization
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def decoy(algorithm, tag, flags=256, bits=1024, lead=b""):
    """A DNSKEY of ALGORITHM whose key tag is TAG and whose key verifies nothing: random key
    bytes (RSA: exponent 65537 and an odd modulus starting with LEAD) with two octets solved
    for the tag."""
    if algorithm in (5, 7, 8, 10):
        n = bytearray(os.urandom(bits // 8))
        n[0] |= 0x80
        n[-1] |= 1
        n[:len(lead)] = lead  # the modulus' first octets: where the key sorts in the RRset
        body = bytearray(b"\x03\x01\x00\x01") + n
    else:
        body = bytearray(os.urandom(64))
    # RDATA = flags(2) protocol(1) algorithm(1) key: key offset 20 is RDATA offset 24 (even:
    # the high byte of a 16-bit word), 21 the low byte. Solve both for the tag.
    i = 20
    body[i] = body[i + 1] = 0
    wire = struct.pack("!HBB", flags, 3, algorithm) + bytes(body)
    base = sum(b if k & 1 else b << 8 for k, b in enumerate(wire))
    for word in range(65536):
        acc = base + word
        if (acc + ((acc >> 16) & 0xFFFF)) & 0xFFFF == tag:
            body[i], body[i + 1] = word >> 8, word & 0xFF
            k = Key(algorithm, flags=flags, public=bytes(body))
            assert k.tag == tag
            return k
    raise AssertionError("no decoy for tag %d" % tag)


def canonical_owner(owner, labels):
    """RFC 4035 §5.3.2: the owner a signature covers, given the RRSIG labels field."""
    owner = owner.canonicalize()
    n = len(owner) - 1
    if labels < n:
        owner = dns.name.from_text("*", owner.split(labels + 1)[1])
    return owner


def signature_data(owner, rdtype, rdatas, rrsig_fields, signer, labels, original_ttl):
    """RFC 4034 §3.1.8.1: RRSIG_RDATA (without signature) | RR(1) | RR(2)..., canonical."""
    covered, algorithm, expiration, inception, tag = rrsig_fields
    data = struct.pack("!HBBIIIH", covered, algorithm, labels, original_ttl,
                       expiration & 0xFFFFFFFF, inception & 0xFFFFFFFF, tag)
    data += signer.canonicalize().to_wire()
    own = canonical_owner(owner, labels).to_wire() if labels <= len(owner) - 1 else \
        owner.canonicalize().to_wire()
    fixed = struct.pack("!HHI", rdtype, IN, original_ttl)
    for rd in sorted(r.to_digestable() for r in rdatas):
        data += own + fixed + struct.pack("!H", len(rd)) + rd
    return data


def make_rrsig(owner, rdtype, ttl, rdatas, key, signer, inception, expiration, labels=None,
               original_ttl=None, signed_ttl=None, algorithm=None, tag=None, corrupt=False):
    """An RRSIG over OWNER/RDTYPE. ORIGINAL_TTL is what the RRSIG says (default TTL);
    SIGNED_TTL is what the signature really covers (default the same: a liar otherwise)."""
    if labels is None:
        labels = len(owner) - 1 - (1 if owner.labels[0] == b"*" else 0)
    original_ttl = ttl if original_ttl is None else original_ttl
    signed_ttl = original_ttl if signed_ttl is None else signed_ttl
    algorithm = key.algorithm if algorithm is None else algorithm
    tag = key.tag if tag is None else tag
    fields = (rdtype, algorithm, expiration, inception, tag)
    sig = key.sign(signature_data(owner, rdtype, rdatas, fields, signer, labels, signed_ttl))
    if corrupt:
        sig = bytes([sig[0], sig[1], sig[2] ^ 0x01]) + sig[3:]
    text = "%s %d %d %d %d %d %d %s %s" % (
        dns.rdatatype.to_text(rdtype), algorithm, labels, original_ttl,
        expiration & 0xFFFFFFFF, inception & 0xFFFFFFFF, tag, signer.to_text(),
        base64.b64encode(sig).decode())
    return rdata("RRSIG", text)


def nsec3_hash(owner, salt_hex, iterations):
    salt = bytes.fromhex(salt_hex) if salt_hex not in ("", "-") else b""
    digest = owner.canonicalize().to_wire()
    digest = hashlib.sha1(digest + salt).digest()
    for _ in range(iterations):
        digest = hashlib.sha1(digest + salt).digest()
    return base64.b32encode(digest).translate(_B32).decode()


def ds_text(owner, key, digest_type):
    """DS RDATA text for KEY: digest 1, 2, 4 computed; any other number gets 32 random octets."""
    if digest_type in (1, 2, 4):
        ds = dns.dnssec.make_ds(owner, key.dnskey(), digest_type, policy=dns.dnssec.allow_all_policy)
        return "%d %d %d %s" % (ds.key_tag, ds.algorithm, ds.digest_type, ds.digest.hex())
    return "%d %d %d %s" % (key.tag, key.algorithm, digest_type, os.urandom(32).hex())
