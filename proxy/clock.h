// The one place the proxy reads the clocks. The wall clock goes through the C library's
// clock_gettime(CLOCK_REALTIME) so that tests can shift it with libfaketime; signature
// validity windows are checked against this value (resolver/ takes it as a parameter).
// The monotonic clock (CLOCK_MONOTONIC) is what every thread can compare: the loops'
// heartbeats for /health, sd_notify's MONOTONIC_USEC.
// Whether the proxy believes it (the time floor, the kernel's word, [dnssec] clock) is
// proxy/clock_watch.h.
#pragma once

#include <cstdint>

namespace dnsp::proxy {

using UnixTime = int64_t;  // seconds since the epoch, UTC

UnixTime wall_clock_now();

// Microseconds of CLOCK_MONOTONIC (the clock systemd's MONOTONIC_USEC is on).
uint64_t monotonic_usec();
inline uint64_t monotonic_ms() { return monotonic_usec() / 1000; }

}  // namespace dnsp::proxy
