#!/usr/bin/python3
"""A forging upstream (issue 21): relays every query to a real recursive resolver and
rewrites the replies to chosen questions the way an on-path attacker can, replaying the
genuine signed records it fetched. UDP and TCP on 127.0.0.1:PORT.

usage: forging_upstream.py PORT UPSTREAM_PORT
"""
import socket
import socketserver
import struct
import sys
import threading

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

UPSTREAM = ("127.0.0.1", int(sys.argv[2]))


def ask(qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    q.flags |= dns.flags.CD
    return dns.query.tcp(q, UPSTREAM[0], port=UPSTREAM[1], timeout=3)


def unsigned(name, ttl, rtype, text):
    return dns.rrset.from_text(name, ttl, "IN", rtype, text)


def cname_before_signed(reply):
    # An unsigned CNAME to a name of the attacker's and its A, before the genuine signed A.
    reply.answer.insert(0, unsigned("evil.secure-ecdsa.test.", 300, "A", "6.6.6.6"))
    reply.answer.insert(0, unsigned("www.secure-ecdsa.test.", 300, "CNAME", "evil.secure-ecdsa.test."))


def nxdomain_around_signed(reply):
    # NXDOMAIN and an unsigned SOA around the replayed signed A: a blackhole for a day.
    reply.set_rcode(dns.rcode.NXDOMAIN)
    reply.authority.append(unsigned("secure-rsasha256.test.", 86400, "SOA",
                                    "ns.secure-rsasha256.test. h.test. 1 3600 900 604800 86400"))


def other_names_everywhere(reply):
    reply.answer.append(unsigned("evil.test.", 300, "A", "6.6.6.6"))
    reply.authority.append(unsigned("secure-rsasha512.test.", 300, "NS", "ns.evil.test."))
    reply.additional.append(unsigned("ns.evil.test.", 300, "A", "6.6.6.6"))
    reply.additional.append(unsigned("ns.secure-rsasha512.test.", 300, "A", "6.6.6.6"))


def raised_ttl(reply):
    for rrset in reply.answer:
        rrset.ttl = 2000000000


def redirected_dname(reply):
    # The DNAME sub.dname.test. -> secure-ecdsa.test. is genuine; the synthesised CNAME is
    # redirected to www.secure-rsasha1.test., whose genuine signed A is replayed after it.
    replay = ask("www.secure-rsasha1.test.", "A")
    kept = [r for r in reply.answer if r.rdtype in (dns.rdatatype.DNAME, dns.rdatatype.RRSIG)
            and r.name == dns.name.from_text("sub.dname.test.")]
    reply.answer = kept + [unsigned("www.sub.dname.test.", 300, "CNAME", "www.secure-rsasha1.test.")]
    reply.answer += replay.answer


def noerror_around_nxdomain(reply):
    reply.set_rcode(dns.rcode.NOERROR)


def rrsig_onto_other_owner(reply):
    # The genuine RRSIG of ns.secure-ecdsa384.test. A, replayed over a forged www A.
    replay = ask("ns.secure-ecdsa384.test.", "A")
    sig = [r for r in replay.answer if r.rdtype == dns.rdatatype.RRSIG][0]
    moved = dns.rrset.RRset(dns.name.from_text("www.secure-ecdsa384.test."), dns.rdataclass.IN,
                            dns.rdatatype.RRSIG, dns.rdatatype.A)
    moved.update(sig)
    reply.answer = [unsigned("www.secure-ecdsa384.test.", 300, "A", "6.6.6.6"), moved]


def ds_denial_from_other_zone(reply):
    # The signed proof that insecure.test. has no DS, replayed for secure-ed448.test. DS.
    replay = ask("insecure.test.", "DS")
    reply.answer = []
    reply.authority = replay.authority


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


def answer(wire, tcp):
    query = dns.message.from_wire(wire)
    q = query.question[0]
    key = (q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype))
    up = dns.message.from_wire(wire)
    reply = dns.query.tcp(up, UPSTREAM[0], port=UPSTREAM[1], timeout=4)
    rule = RULES.get(key)
    if rule is not None:
        rule(reply)
    out = reply.to_wire(max_size=65535)
    if not tcp and len(out) > 1232:
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


def main():
    port = int(sys.argv[1])
    udp = UdpServer(("127.0.0.1", port), Udp)
    tcp = TcpServer(("127.0.0.1", port), Tcp)
    threading.Thread(target=udp.serve_forever, daemon=True).start()
    print("ready", flush=True)
    tcp.serve_forever()


if __name__ == "__main__":
    main()
