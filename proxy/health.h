// What /health and /ready say (the [metrics] listener, proxy/pages/pages.h) and what systemd
// hears (proxy/sd_notify.h): pure decisions over facts the daemon gathers, so that the rules
// are tested with an injected clock. /health: every event loop beat lately (a loop stuck in
// one callback for seconds stops its heartbeat timer). /ready: the listeners are bound, the
// trust anchors loaded, an upstream answered, and the proxy is not draining after SIGTERM.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace dnsp::proxy {

// How often each loop's heartbeat timer fires, and how old a beat may be before its loop
// counts as stuck ("more than a few seconds").
inline constexpr uint64_t kHeartbeatIntervalMs = 1000;
inline constexpr uint64_t kStuckAfterMs = 5000;

// `beats`: each loop's last heartbeat (monotonic ms; 0: no loop there, or it stopped).
// "" when every loop beat within `stuck_after_ms` before `now_ms`, else the reason, one line:
// "event loop 2 has not run for 7.3 s (stuck in a callback?)".
std::string stuck_loops(std::span<const uint64_t> beats, uint64_t now_ms,
                        uint64_t stuck_after_ms = kStuckAfterMs);
// How many loops stuck_loops() names (the dnssec_proxy_event_loops_stuck gauge).
size_t count_stuck_loops(std::span<const uint64_t> beats, uint64_t now_ms,
                         uint64_t stuck_after_ms = kStuckAfterMs);

// What readiness rests on, gathered by proxy/main.cc.
struct ReadinessFacts {
  bool listeners_bound = false;    // every [server] listen address or passed socket
  bool anchors_loaded = false;     // the trust anchors (and RFC 5011 state) read
  bool upstream_answered = false;  // an upstream answered a probe or a query, on any loop
  bool draining = false;           // SIGTERM received: stop sending us queries
  std::string upstreams;           // for the reason: "127.0.0.1:5300, 9.9.9.9:53"
};

// "" when ready, else why not, one line (the body of /ready's 503 and the log's words):
// "draining: SIGTERM received, stopping", "no upstream has answered a probe yet (...)".
std::string not_ready_reason(const ReadinessFacts& facts);

}  // namespace dnsp::proxy
