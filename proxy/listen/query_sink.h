// QuerySink: where the listeners hand what arrives. The UDP and TCP listeners know the
// pipeline only through this interface (proxy/pipeline/server.h implements it), so proxy/listen/
// depends on nothing above it: one query in, and the TCP connections' comings and goings
// that the connection limits and the in-flight gauge count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "proxy/listen/client_ref.h"

namespace dnsp::proxy {

class TcpConnection;

class QuerySink {
 public:
  // One DNS message from a client (a UDP datagram, or one RFC 7766 frame); the reply goes
  // to `client` later, through the listener that ClientRef names.
  virtual void handle_query(std::span<const uint8_t> packet, const ClientRef& client) = 0;
  // TCP connections: an id for a new one; opened (accepted and registered); closed (no
  // more replies can be sent to it); freed (its handles are closed, its memory gone).
  virtual uint64_t next_connection_id() = 0;
  virtual void connection_opened(TcpConnection* c) = 0;
  virtual void connection_closed(uint64_t id) = 0;
  virtual void connection_freed() = 0;
  // Connections not closing, on every event loop: against [server] tcp_max_connections.
  virtual size_t open_connections() const = 0;
  // A UDP reply dropped because the socket's send queue stayed full (counted in stats).
  virtual void udp_reply_dropped() = 0;

 protected:
  ~QuerySink() = default;
};

}  // namespace dnsp::proxy
