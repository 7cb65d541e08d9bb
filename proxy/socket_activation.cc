#include "proxy/socket_activation.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "proxy/address.h"

namespace dnsp::proxy {
namespace {

constexpr int kMaxPassed = 1024;

bool parse_number(std::string_view text, long& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

ListenCount parse_listen_environment(const ListenEnvironment& env, long pid) {
  ListenCount out;
  if (env.listen_pid == nullptr || env.listen_fds == nullptr) return out;
  long listen_pid = 0;
  if (!parse_number(env.listen_pid, listen_pid)) {
    out.error = std::string("LISTEN_PID is not a process id: \"") + env.listen_pid + "\"";
    return out;
  }
  if (listen_pid != pid) return out;  // meant for another process (our parent's)
  long count = 0;
  if (!parse_number(env.listen_fds, count) || count < 1 || count > kMaxPassed) {
    out.error =
        std::string("LISTEN_FDS is not a count of 1 to 1024 sockets: \"") + env.listen_fds + "\"";
    return out;
  }
  out.count = static_cast<int>(count);
  out.names.assign(out.count, "");
  if (env.listen_fdnames != nullptr) {
    std::vector<std::string> names;
    std::string_view rest = env.listen_fdnames;
    for (;;) {
      const size_t colon = rest.find(':');
      names.emplace_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    if (names.size() != out.names.size()) {
      out.error = "LISTEN_FDNAMES names " + std::to_string(names.size()) +
                  " sockets but LISTEN_FDS says " + std::to_string(out.count);
      out.count = 0;
      out.names.clear();
      return out;
    }
    out.names = std::move(names);
  }
  return out;
}

PassedSockets take_passed_sockets() {
  const ListenCount count = parse_listen_environment(
      {std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), std::getenv("LISTEN_FDNAMES")},
      static_cast<long>(getpid()));
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  PassedSockets out;
  if (!count.error.empty()) {
    out.error = "socket activation: " + count.error;
    return out;
  }
  for (int i = 0; i < count.count; ++i) {
    const int fd = kListenFdsStart + i;
    const std::string which = "socket activation: descriptor " + std::to_string(fd) +
                              (count.names[i].empty() ? "" : " (" + count.names[i] + ")");
    int type = 0;
    int domain = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
      out.error = which + " is not a socket: " + std::strerror(errno);
      return out;
    }
    len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        (domain != AF_INET && domain != AF_INET6)) {
      out.error = which +
                  " is not an IPv4 or IPv6 socket (use ListenDatagram= and "
                  "ListenStream= with an address in the .socket unit)";
      return out;
    }
    if (type != SOCK_DGRAM && type != SOCK_STREAM) {
      out.error = which + " is neither a datagram (UDP) nor a stream (TCP) socket";
      return out;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    sockaddr_storage local{};
    len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    out.sockets.push_back({fd, type, count.names[i],
                           std::string(type == SOCK_DGRAM ? "udp " : "tcp ") +
                               to_string(reinterpret_cast<const sockaddr*>(&local))});
  }
  return out;
}

}  // namespace dnsp::proxy
