// ControlService: what the proxy does for each control request (proxy/control/protocol.h),
// on the main event loop, against the state every loop shares: the caches (Shared), the
// negative trust anchors (NegativeAnchors, handed to every loop as a reload does), the
// configuration, the metrics and the upstream board. main.cc wires it to the daemon.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/control/protocol.h"
#include "proxy/negative_anchors.h"
#include "proxy/pages/dashboard.h"  // UpstreamRow
#include "proxy/pipeline/server.h"  // Shared

namespace dnsp::proxy {

struct ControlWiring {
  Shared* shared = nullptr;
  NegativeAnchors* ntas = nullptr;
  std::function<int64_t()> now;      // wall clock, unix seconds
  std::function<void()> apply_ntas;  // ntas->in_force() to every loop
  // SIGHUP's reload: "" when it applied (warnings in `said`), else why not.
  std::function<std::string(std::vector<std::string>& said)> reload;
  std::function<std::string()> prometheus;  // what /metrics serves
  std::function<std::vector<config::ForwardZone>()> forwards;
  std::function<std::vector<UpstreamRow>()> upstreams;
  // Hotspot mode for `ms` milliseconds (0: off now); what was done, in words.
  std::function<std::string(uint64_t ms)> hotspot;
};

class ControlService {
 public:
  explicit ControlService(ControlWiring wiring) : w_(std::move(wiring)) {}
  // One request line -> the reply's bytes (format_control_reply).
  std::string handle(std::string_view line);
  ControlReply run(const ControlRequest& request);

 private:
  ControlReply flush(const ControlRequest& r);
  ControlReply nta(const ControlRequest& r);
  ControlReply stats(bool json);
  ControlReply forward_list();
  ControlReply upstreams();
  ControlWiring w_;
};

// The Prometheus text as a JSON object: each sample "name{labels}" -> its value.
std::string prometheus_to_json(std::string_view text);

// "up", "failing", "unused": an upstream's state from its counters (for now: a failure
// more recent than the last answer is failing).
std::string upstream_state(const UpstreamRow& row);

}  // namespace dnsp::proxy
