#include "proxy/clock.h"

#include <time.h>

namespace dnsp::proxy {

UnixTime wall_clock_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<UnixTime>(ts.tv_sec);
}

}  // namespace dnsp::proxy
