// One dnstap message (dnstap.proto, https://dnstap.info): a DNS message with the addresses,
// ports, transport and times around it, encoded as a `dnstap.Dnstap` protobuf, the payload
// of one Frame Streams data frame (content type "protobuf:dnstap.Dnstap"). Sans I/O: bytes
// in, bytes out, so it is unit-tested without sockets; writer.h moves the bytes.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dnsp::proxy::dnstap {

// dnstap.Message.Type: the four this proxy writes (values as in dnstap.proto).
enum class MessageType : uint8_t {
  ClientQuery = 5,        // a client's query, as received
  ClientResponse = 6,     // the reply sent to the client
  ForwarderQuery = 7,     // a query sent to an upstream resolver
  ForwarderResponse = 8,  // the upstream resolver's reply, as received
};

// dnstap.SocketProtocol (values as in dnstap.proto). Debian 12's dnstap-read (BIND 9.18) tells
// only TCP from the rest: it prints DOT and DOH as "UDP"; other readers (golang-dnstap's
// `dnstap`) name all four.
enum class SocketProtocol : uint8_t { Udp = 1, Tcp = 2, Dot = 3, Doh = 4 };

// One end of the exchange: an IPv4 (4 octets) or IPv6 (16 octets) address and a port.
struct Peer {
  std::array<uint8_t, 16> address{};
  uint8_t length = 0;  // 4 or 16
  uint16_t port = 0;
};
// The Peer of an AF_INET or AF_INET6 socket address (an IPv4-mapped IPv6 address stays
// IPv6); nullopt for any other family.
std::optional<Peer> peer_of(const sockaddr* address);

struct Timestamp {
  uint64_t seconds = 0;  // since the Unix epoch
  uint32_t nanoseconds = 0;
};
// Now, by the wall clock (CLOCK_REALTIME): dnstap times are Unix times.
Timestamp wall_clock_timestamp();
// `micros_ago` microseconds before `now`.
Timestamp before(Timestamp now, uint64_t micros_ago);

struct Event {
  MessageType type = MessageType::ClientQuery;
  SocketProtocol protocol = SocketProtocol::Udp;
  // The initiator of the exchange (the client; this proxy for FORWARDER_*) and the
  // responder (this proxy's listening address; the upstream server for FORWARDER_*).
  // socket_family is taken from them; a peer of the other family than the first is left out.
  std::optional<Peer> query_peer;
  std::optional<Peer> response_peer;
  std::optional<Timestamp> query_time;
  std::optional<Timestamp> response_time;
  std::span<const uint8_t> query_message;     // wire format; empty = left out
  std::span<const uint8_t> response_message;  // wire format; empty = left out
};

// Who writes: dnstap.Dnstap identity and version ("" = left out).
struct Origin {
  std::string identity;
  std::string version;
};

// The encoded dnstap.Dnstap (type MESSAGE) for `event`.
std::vector<uint8_t> encode(const Origin& origin, const Event& event);

}  // namespace dnsp::proxy::dnstap
