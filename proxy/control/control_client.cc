#include "proxy/control/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace dnsp::proxy {

ControlExchange control_exchange(const std::string& socket_path, const std::string& line,
                                 int timeout_ms) {
  ControlExchange out;
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path) {
    out.error = "control socket path " + socket_path + " is too long for a Unix socket";
    return out;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    out.error = std::string("cannot make a Unix socket: ") + std::strerror(errno);
    return out;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == ENOENT) {
      out.error = "no control socket at " + socket_path +
                  ": dnssec-proxy is not running, or runs with another [control] socket "
                  "(give it with --config FILE or --socket PATH)";
    } else if (err == ECONNREFUSED) {
      out.error = "nothing listens on " + socket_path +
                  ": dnssec-proxy is not running (the socket file is left from an earlier run)";
    } else if (err == EACCES || err == EPERM) {
      out.error = "permission denied on " + socket_path +
                  ": the control socket is for root and the proxy's group (mode 0660); run "
                  "this as root (sudo) or as a member of that group";
    } else {
      out.error = "cannot connect to " + socket_path + ": " + std::strerror(err);
    }
    return out;
  }
  const std::string request = line + "\n";
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = "cannot send to " + socket_path + ": " + std::strerror(errno);
      ::close(fd);
      return out;
    }
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{fd, POLLIN, 0};
    const int ready = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      out.error = "no reply from the proxy on " + socket_path + " within " +
                  std::to_string(timeout_ms / 1000) + " s";
      ::close(fd);
      return out;
    }
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = "cannot read the reply from " + socket_path + ": " + std::strerror(errno);
      ::close(fd);
      return out;
    }
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
    if (reply.size() > (64u << 20)) break;
  }
  ::close(fd);
  out.reply = parse_control_reply(reply);
  if (!out.reply) out.error = "the reply from " + socket_path + " is not a control reply";
  return out;
}

}  // namespace dnsp::proxy
