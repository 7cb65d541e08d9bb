#include "proxy/address.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dnsp::proxy {

std::optional<SocketAddress> to_socket_address(const config::Endpoint& endpoint) {
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, endpoint.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(endpoint.port);
    return a;
  }
  if (inet_pton(AF_INET6, endpoint.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(endpoint.port);
    return a;
  }
  return std::nullopt;
}

int bind_socket(const SocketAddress& address, int type, PortSharing sharing) {
  const int family = address.is_ipv6() ? AF_INET6 : AF_INET;
  const int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int one = 1;
  const bool ok =
      (!address.is_ipv6() || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
      (type != SOCK_STREAM || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0) &&
      (sharing != PortSharing::ReusePort ||
       setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0) &&
      bind(fd, address.get(), address.is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in)) == 0;
  if (!ok) {
    const int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

int probe_exclusive(const SocketAddress& address, int type) {
  const int fd = bind_socket(address, type, PortSharing::Exclusive);
  if (fd < 0) return fd;
  close(fd);
  return 0;
}

std::string to_string(const sockaddr* address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return "(unknown address family)";
}

}  // namespace dnsp::proxy
