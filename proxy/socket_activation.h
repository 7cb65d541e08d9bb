// Socket activation: the listening sockets systemd (or any launcher speaking the protocol
// of sd_listen_fds(3)) passes from descriptor 3 on, named by LISTEN_FDS, LISTEN_PID and
// LISTEN_FDNAMES. Read directly, without libsystemd. Passed sockets replace [server] listen:
// none of its addresses is bound then (proxy/pipeline/server.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dnsp::proxy {

// sd_listen_fds(3): the first passed descriptor.
inline constexpr int kListenFdsStart = 3;

struct PassedSocket {
  int fd;
  int type;           // SOCK_DGRAM (DNS over UDP) or SOCK_STREAM (DNS over TCP), by SO_TYPE
  std::string name;   // from LISTEN_FDNAMES ("" when not given)
  std::string local;  // "udp 127.0.0.1:53", for the log
};

struct PassedSockets {
  std::vector<PassedSocket> sockets;  // empty: nothing passed (bind [server] listen)
  std::string error;                  // "" or what is wrong with what was passed
};

// The environment's word on passed sockets, checked: LISTEN_PID must be `pid` (else the
// variables were meant for another process and are ignored, as sd_listen_fds does);
// LISTEN_FDS a count of 1 to 1024; LISTEN_FDNAMES, when set, as many names as sockets,
// separated by ':'. Pure: `getenv`-free, for tests.
struct ListenEnvironment {
  const char* listen_pid = nullptr;
  const char* listen_fds = nullptr;
  const char* listen_fdnames = nullptr;
};
struct ListenCount {
  int count = 0;                   // 0: nothing passed to this process
  std::vector<std::string> names;  // one per socket, "" when not named
  std::string error;
};
ListenCount parse_listen_environment(const ListenEnvironment& env, long pid);

// The sockets passed to this process: each descriptor from 3 is checked to be an IPv4 or
// IPv6 socket of type SOCK_DGRAM or SOCK_STREAM (getsockopt SO_TYPE, SO_DOMAIN), made
// close-on-exec. The LISTEN_* variables are removed from the environment, as
// sd_listen_fds(unset_environment=1) does.
PassedSockets take_passed_sockets();

}  // namespace dnsp::proxy
