// tests/proxy/health_test.cc: what /health and /ready decide (proxy/health.h), with the
// clock injected: a loop whose heartbeat is older than the limit is stuck; readiness needs
// listeners, anchors and an answering upstream, and draining overrides them all.
#include "proxy/health.h"

#include <doctest/doctest.h>

#include <vector>

namespace dnsp::proxy {
namespace {

TEST_CASE("health: loops that beat within the limit are healthy") {
  const std::vector<uint64_t> beats{100000, 99500, 96000};
  CHECK(stuck_loops(beats, 100500, 5000) == "");
  CHECK(stuck_loops(beats, 101000, 5000) == "");  // loop 2: exactly 5 s old, still fine
}

TEST_CASE("health: a loop whose last beat is older than the limit is named as stuck") {
  const std::vector<uint64_t> beats{100000, 92700, 100000};
  CHECK(stuck_loops(beats, 100000, 5000) ==
        "event loop 1 has not run for 7.3 s (stuck in a callback?)");
  CHECK(count_stuck_loops(beats, 100000, 5000) == 1);
  CHECK(count_stuck_loops(beats, 106000, 5000) == 3);
  CHECK(count_stuck_loops(beats, 97000, 5000) == 0);
  CHECK(stuck_loops(beats, 106000, 5000) ==
        "event loop 0 has not run for 6.0 s (stuck in a callback?); event loop 1 has not run "
        "for 13.3 s (stuck in a callback?); event loop 2 has not run for 6.0 s (stuck in a "
        "callback?)");
}

TEST_CASE("health: loops that never beat or stopped (0) are not counted") {
  const std::vector<uint64_t> beats{0, 100000, 0};
  CHECK(stuck_loops(beats, 100000 + kStuckAfterMs, kStuckAfterMs) == "");
  CHECK(stuck_loops({}, 1, kStuckAfterMs) == "");
}

TEST_CASE("health: a beat from after `now` (another thread's clock read later) is not stuck") {
  const std::vector<uint64_t> beats{100010};
  CHECK(stuck_loops(beats, 100000, 5000) == "");
}

TEST_CASE("ready: listeners, anchors and an answering upstream make the proxy ready") {
  ReadinessFacts f{true, true, true, false, "127.0.0.1:5300"};
  CHECK(not_ready_reason(f) == "");
  f.upstream_answered = false;
  CHECK(not_ready_reason(f) ==
        "no upstream has answered a probe yet (127.0.0.1:5300); check [upstream] servers and "
        "the network");
  f.anchors_loaded = false;
  CHECK(not_ready_reason(f) == "starting: the trust anchors are not loaded yet");
  f.listeners_bound = false;
  CHECK(not_ready_reason(f) == "starting: the listeners are not bound yet");
}

TEST_CASE("ready: draining after SIGTERM is not ready, whatever else holds") {
  CHECK(not_ready_reason({true, true, true, true, "x"}) == "draining: SIGTERM received, stopping");
  CHECK(not_ready_reason({false, false, false, true, "x"}) ==
        "draining: SIGTERM received, stopping");
}

}  // namespace
}  // namespace dnsp::proxy
