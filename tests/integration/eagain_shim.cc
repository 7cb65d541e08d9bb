// LD_PRELOAD shim for the hardening tests: sendmsg(2) and sendmmsg(2) on the UDP socket
// bound to port DNSP_EAGAIN_PORT fail with EAGAIN, as when its send buffer stays full (which
// loopback never does by itself). Every other socket works as usual. libuv 1.44 sends its
// queued datagrams with syscall(__NR_sendmmsg, ...): that is caught too.
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdarg>
#include <cstdlib>

namespace {

bool blocked(int fd) {
  static const int port = [] {
    const char* p = std::getenv("DNSP_EAGAIN_PORT");
    return p != nullptr ? std::atoi(p) : -1;
  }();
  int type = 0;
  socklen_t len = sizeof type;
  if (port <= 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) {
    return false;
  }
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return false;
  if (local.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port) == port;
  }
  if (local.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port) == port;
  }
  return false;
}

}  // namespace

extern "C" ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  using Fn = ssize_t (*)(int, const msghdr*, int);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "sendmsg"));
  if (blocked(fd)) {
    errno = EAGAIN;
    return -1;
  }
  return real(fd, msg, flags);
}

extern "C" int sendmmsg(int fd, mmsghdr* msgs, unsigned int n, int flags) {
  using Fn = int (*)(int, mmsghdr*, unsigned int, int);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "sendmmsg"));
  if (blocked(fd)) {
    errno = EAGAIN;
    return -1;
  }
  return real(fd, msgs, n, flags);
}

extern "C" long syscall(long number, ...) {
  using Fn = long (*)(long, ...);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "syscall"));
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_sendmmsg && blocked(static_cast<int>(a[0]))) {
    errno = EAGAIN;
    return -1;
  }
  return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
