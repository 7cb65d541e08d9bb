#include "proxy/health_check.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>

#include "proxy/address.h"
#include "resolver/wire/types.h"

namespace dnsp::proxy {

int run_health_check(const config::Endpoint& proxy, int timeout_ms) {
  const std::string where = config::to_string(proxy);
  const auto addr = to_socket_address(proxy);
  if (!addr) {
    std::cout << "unhealthy: " << where << " is not an IP address\n";
    return 1;
  }
  uint16_t id = 0;
  if (getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint16_t>(getpid());
  // Header (RFC 1035 §4.1.1): ID, RD, one question; then ". NS IN".
  const std::array<uint8_t, 17> query = {static_cast<uint8_t>(id >> 8),
                                         static_cast<uint8_t>(id),
                                         0x01,
                                         0x00,
                                         0,
                                         1,
                                         0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         2,
                                         0,
                                         1};
  const int fd = socket(addr->storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::cout << "unhealthy: socket: " << std::strerror(errno) << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto len = addr->is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (connect(fd, addr->get(), static_cast<socklen_t>(len)) != 0 ||
      send(fd, query.data(), query.size(), 0) != static_cast<ssize_t>(query.size())) {
    std::cout << "unhealthy: cannot send to " << where << ": " << std::strerror(errno) << "\n";
    close(fd);
    return 1;
  }
  std::array<uint8_t, 4096> reply{};
  while (true) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    pollfd p{fd, POLLIN, 0};
    if (waited >= timeout_ms || poll(&p, 1, static_cast<int>(timeout_ms - waited)) != 1) {
      std::cout << "unhealthy: no reply from " << where << " within " << timeout_ms << " ms\n";
      close(fd);
      return 1;
    }
    const ssize_t n = recv(fd, reply.data(), reply.size(), 0);
    if (n < 0) {
      // ECONNREFUSED: nothing listens there (ICMP port unreachable).
      std::cout << "unhealthy: " << where << ": " << std::strerror(errno) << "\n";
      close(fd);
      return 1;
    }
    // A reply to our query: same ID, QR set.
    if (n >= 12 && reply[0] == query[0] && reply[1] == query[1] && (reply[2] & 0x80) != 0) break;
  }
  close(fd);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  const auto rcode = static_cast<resolver::RCode>(reply[3] & 0x0f);
  std::cout << "ok: " << where << " answered " << resolver::to_string(rcode) << " in " << ms
            << " ms\n";
  return 0;
}

}  // namespace dnsp::proxy
