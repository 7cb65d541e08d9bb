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
std::string to_string(const sockaddr* address);

}  // namespace dnsp::proxy
