// The one place the proxy reads the wall clock. It goes through the C library's
// clock_gettime(CLOCK_REALTIME) so that tests can shift it with libfaketime; signature
// validity windows are checked against this value (resolver/ takes it as a parameter).
// Whether the proxy believes it (the time floor, the kernel's word, [dnssec] clock) is
// proxy/clock_watch.h.
#pragma once

#include <cstdint>

namespace dnsp::proxy {

using UnixTime = int64_t;  // seconds since the epoch, UTC

UnixTime wall_clock_now();

}  // namespace dnsp::proxy
