#include "proxy/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace dnsp::proxy {
namespace {

uint64_t parse_u64(const char* text) {
  if (text == nullptr) return 0;
  uint64_t value = 0;
  const char* end = text + std::strlen(text);
  const auto [p, ec] = std::from_chars(text, end, value);
  return ec == std::errc() && p == end ? value : 0;
}

}  // namespace

SdNotify SdNotify::from_environment(long pid) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  uint64_t watchdog = parse_u64(std::getenv("WATCHDOG_USEC"));
  // sd_watchdog_enabled(3): WATCHDOG_PID, when set, must be ours.
  if (const char* wpid = std::getenv("WATCHDOG_PID");
      wpid != nullptr && parse_u64(wpid) != static_cast<uint64_t>(pid)) {
    watchdog = 0;
  }
  SdNotify n(socket != nullptr ? socket : "", watchdog);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  return n;
}

std::string SdNotify::send(std::string_view message) const {
  if (socket_.empty()) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof addr.sun_path || (socket_[0] != '/' && socket_[0] != '@')) {
    return "NOTIFY_SOCKET is not an absolute path or an abstract name (@...): " + socket_;
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace: no terminating NUL
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                               (socket_[0] == '@' ? 0 : 1));
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("cannot notify systemd: ") + std::strerror(errno);
  const ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                              reinterpret_cast<const sockaddr*>(&addr), len);
  const int err = errno;
  close(fd);
  if (sent < 0) return "cannot notify systemd on " + socket_ + ": " + std::strerror(err);
  return "";
}

}  // namespace dnsp::proxy
