// Socket addresses: config endpoints to sockaddr and back to text ("127.0.0.1:53",
// "[::1]:53"). Only proxy/ deals with sockets.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>

#include "config/config.h"

namespace dnsp::proxy {

struct SocketAddress {
  sockaddr_storage storage{};
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  bool is_ipv6() const { return storage.ss_family == AF_INET6; }
};

std::optional<SocketAddress> to_socket_address(const config::Endpoint& endpoint);

// How a listening address is bound when several event loops serve it (proxy/workers.h):
// each loop binds its own socket with SO_REUSEPORT and the kernel spreads clients over
// them by their address and port.
enum class PortSharing : uint8_t { Exclusive, ReusePort };

// A socket of `type` (SOCK_DGRAM, SOCK_STREAM) bound to `address` (IPv6 sockets IPv6-only,
// so that [::]:53 and 0.0.0.0:53 can both be listed; TCP with SO_REUSEADDR so a restart
// does not wait for TIME_WAIT). Returns the descriptor, or a negative errno.
int bind_socket(const SocketAddress& address, int type, PortSharing sharing);

// True when another socket without SO_REUSEPORT could not bind `address` right now, i.e.
// another process already listens there: checked once before the loops bind with
// SO_REUSEPORT, which would otherwise silently share the port with it. Negative errno or 0.
int probe_exclusive(const SocketAddress& address, int type);
std::string to_string(const sockaddr* address);

}  // namespace dnsp::proxy
