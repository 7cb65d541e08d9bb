#include "proxy/health.h"

#include <cstdio>

namespace dnsp::proxy {

namespace {

bool is_stuck(uint64_t beat, uint64_t now_ms, uint64_t stuck_after_ms) {
  return beat != 0 && now_ms > beat && now_ms - beat > stuck_after_ms;
}

}  // namespace

size_t count_stuck_loops(std::span<const uint64_t> beats, uint64_t now_ms,
                         uint64_t stuck_after_ms) {
  size_t n = 0;
  for (uint64_t beat : beats) n += is_stuck(beat, now_ms, stuck_after_ms) ? 1 : 0;
  return n;
}

std::string stuck_loops(std::span<const uint64_t> beats, uint64_t now_ms, uint64_t stuck_after_ms) {
  std::string reason;
  for (size_t i = 0; i < beats.size(); ++i) {
    if (!is_stuck(beats[i], now_ms, stuck_after_ms)) continue;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(now_ms - beats[i]) / 1000);
    reason += (reason.empty() ? "" : "; ") + std::string("event loop ") + std::to_string(i) +
              " has not run for " + seconds + " s (stuck in a callback?)";
  }
  return reason;
}

std::string not_ready_reason(const ReadinessFacts& f) {
  // Draining first: it is what the operator asked for, whatever else holds.
  if (f.draining) return "draining: SIGTERM received, stopping";
  if (!f.listeners_bound) return "starting: the listeners are not bound yet";
  if (!f.anchors_loaded) return "starting: the trust anchors are not loaded yet";
  if (!f.upstream_answered) {
    return "no upstream has answered a probe yet (" + f.upstreams +
           "); check [upstream] servers and the network";
  }
  return "";
}

}  // namespace dnsp::proxy
