#!/usr/bin/python3
"""A small DNS-over-HTTPS server for tests/integration/doh_test.cc (Debian's python3-h2).

  doh_server.py ADDR CERT KEY MODE STATS

Listens on ADDR:443 with TLS (ALPN h2, or only http/1.1 in mode "http1"), one thread per
connection, and answers every POST with one A record (192.0.2.1) for its question, or as
MODE says: "answer", "status:NNN" (that HTTP status, a text body), "type:MEDIA" (status 200,
that content type), "silent" (reads, never answers), "http1" (refuses HTTP/2 by ALPN).
After each request STATS is rewritten with counters (key=value lines): connections,
requests, posts (POST with content-type application/dns-message), id0 (message ID 0, RFC
8484 section 4.1), padded (length a multiple of 128, RFC 8467).
"""
import os
import socket
import ssl
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.exceptions

addr, cert, key, mode, stats_path = sys.argv[1:6]
lock = threading.Lock()
counts = {"connections": 0, "requests": 0, "posts": 0, "id0": 0, "padded": 0}


def save():
    tmp = stats_path + ".tmp"
    with open(tmp, "w") as f:
        for k, v in counts.items():
            f.write(f"{k}={v}\n")
    os.replace(tmp, stats_path)


def reply_to(q):
    # The query's header and question, QR and RA set, one A record, no OPT.
    pos = 12
    while pos < len(q) and q[pos] != 0:
        pos += 1 + q[pos]
    pos += 5
    r = bytearray(q[:pos])
    r[2] |= 0x80
    r[3] = 0x80
    r[6:12] = b"\x00\x01\x00\x00\x00\x00"
    r += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"
    return bytes(r)


def respond(conn, stream_id, headers, body):
    with lock:
        counts["requests"] += 1
        if headers.get(":method") == "POST" and \
                headers.get("content-type") == "application/dns-message":
            counts["posts"] += 1
        if body[:2] == b"\x00\x00":
            counts["id0"] += 1
        if len(body) % 128 == 0:
            counts["padded"] += 1
        save()
    if mode == "silent":
        return
    status, ctype, payload = "200", "application/dns-message", reply_to(body)
    if mode.startswith("status:"):
        status, ctype, payload = mode[7:], "text/plain", b"no\n"
    elif mode.startswith("type:"):
        ctype, payload = mode[5:], b"<html>not DNS</html>\n"
    conn.send_headers(stream_id, [(":status", status), ("content-type", ctype),
                                  ("content-length", str(len(payload)))])
    conn.send_data(stream_id, payload, end_stream=True)


def serve(sock):
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    headers, bodies = {}, {}
    try:
        while True:
            data = sock.recv(65535)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    headers[ev.stream_id] = dict(ev.headers)
                    bodies[ev.stream_id] = b""
                elif isinstance(ev, h2.events.DataReceived):
                    bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    respond(conn, ev.stream_id, headers.pop(ev.stream_id, {}),
                            bodies.pop(ev.stream_id, b""))
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
        pass
    finally:
        sock.close()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"] if mode == "http1" else ["h2"])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((addr, 443))
    listener.listen(64)
    with lock:
        save()
    while True:
        raw, _ = listener.accept()
        with lock:
            counts["connections"] += 1
            save()
        try:
            tls = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(tls,), daemon=True).start()


main()
