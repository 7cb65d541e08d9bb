// sd_notify(3) without libsystemd: datagrams to the AF_UNIX socket named by $NOTIFY_SOCKET
// (a path, or an abstract name when it starts with '@'), for Type=notify services:
// READY=1 once /ready would say 200 (proxy/health.h), STOPPING=1 when draining,
// RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload) around SIGHUP, and
// WATCHDOG=1 every half of $WATCHDOG_USEC when the unit sets WatchdogSec=.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dnsp::proxy {

class SdNotify {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (for `pid`) and removes them from
  // the environment. Without NOTIFY_SOCKET, send() does nothing.
  static SdNotify from_environment(long pid);
  // For tests: `socket` as $NOTIFY_SOCKET would name it, `watchdog_usec` 0 for none.
  SdNotify(std::string socket, uint64_t watchdog_usec)
      : socket_(std::move(socket)), watchdog_usec_(watchdog_usec) {}
  SdNotify() = default;

  bool enabled() const { return !socket_.empty(); }
  // How often WATCHDOG=1 is due: half of WATCHDOG_USEC, in ms (0: no watchdog).
  uint64_t watchdog_interval_ms() const { return watchdog_usec_ / 2000; }
  // One datagram, "READY=1" or "RELOADING=1\nMONOTONIC_USEC=...". "" or what went wrong
  // (logged by the caller once; systemd then times the service out).
  std::string send(std::string_view message) const;

 private:
  std::string socket_;
  uint64_t watchdog_usec_ = 0;
};

}  // namespace dnsp::proxy
