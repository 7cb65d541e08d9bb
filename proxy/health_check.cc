#include "proxy/health_check.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

std::optional<HttpStatus> parse_http_status(std::string_view response) {
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF.
  constexpr std::string_view kVersion = "HTTP/1.";
  if (response.size() < kVersion.size() + 5 || !response.starts_with(kVersion)) {
    return std::nullopt;
  }
  const std::string_view rest = response.substr(kVersion.size());
  if (rest[0] < '0' || rest[0] > '9' || rest[1] != ' ') return std::nullopt;
  int code = 0;
  for (size_t i = 2; i < 5; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return std::nullopt;
    code = code * 10 + (rest[i] - '0');
  }
  if (rest.size() > 5 && rest[5] != ' ' && rest[5] != '\r') return std::nullopt;
  HttpStatus status;
  status.code = code;
  const size_t body = response.find("\r\n\r\n");
  if (body != std::string_view::npos) {
    std::string_view text = response.substr(body + 4);
    text = text.substr(0, std::min(text.find('\n'), size_t{200}));
    for (char c : text) status.first_body_line += (c >= ' ' && c < 0x7f) ? c : '?';
  }
  return status;
}

int run_http_health_check(const config::Endpoint& listener, const std::string& path,
                          int timeout_ms) {
  const std::string where = "http://" + config::to_string(listener) + path;
  const auto addr = to_socket_address(listener);
  if (!addr) {
    std::cout << "unhealthy: " << where << ": not an IP address\n";
    return 1;
  }
  const int fd = socket(addr->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    std::cout << "unhealthy: socket: " << std::strerror(errno) << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto left = [&] {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    return static_cast<int>(waited >= timeout_ms ? 0 : timeout_ms - waited);
  };
  const auto fail = [&](const std::string& why) {
    std::cout << "unhealthy: " << where << ": " << why << "\n";
    close(fd);
    return 1;
  };
  const auto len = addr->is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (connect(fd, addr->get(), static_cast<socklen_t>(len)) != 0 && errno != EINPROGRESS) {
    return fail(std::strerror(errno));
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t err_len = sizeof err;
  if (poll(&p, 1, left()) != 1)
    return fail("no connection within " + std::to_string(timeout_ms) + " ms");
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
    return fail(std::strerror(err != 0 ? err : errno));
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + config::to_string(listener) +
                              "\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return fail(std::string("cannot send the request: ") + std::strerror(errno));
  }
  std::string response;
  constexpr size_t kMaxResponse = 64 * 1024;
  while (response.size() < kMaxResponse) {
    pollfd r{fd, POLLIN, 0};
    if (poll(&r, 1, left()) != 1) {
      return fail("no complete response within " + std::to_string(timeout_ms) + " ms");
    }
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return fail(std::strerror(errno));
    }
    if (n == 0) break;  // Connection: close: the whole response
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const auto status = parse_http_status(response);
  if (!status) {
    std::cout << "unhealthy: " << where << ": not an HTTP response (is this the [metrics] "
              << "listen address?)\n";
    return 1;
  }
  if (status->code != 200) {
    std::cout << "unhealthy: " << where << " answered " << status->code << ": "
              << status->first_body_line << "\n";
    return 1;
  }
  std::cout << "ok: " << where << " answered 200\n";
  return 0;
}

}  // namespace dnsp::proxy
