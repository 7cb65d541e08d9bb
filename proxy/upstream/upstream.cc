#include "proxy/upstream/upstream.h"

#include "proxy/upstream/failover_upstream.h"

namespace dnsp::proxy {

std::string servers_text(const std::vector<config::UpstreamServer>& servers) {
  std::string text;
  for (const auto& s : servers) {
    if (!text.empty()) text += ',';
    text += config::to_string(s);
  }
  return text;
}

resolver::Result<std::unique_ptr<Upstream>, std::string> make_upstream(
    uv_loop_t* loop, Upstream::Handler handler, const UpstreamSettings& settings,
    TransportCounters* counters) {
  auto upstream = std::make_unique<FailoverUpstream>(loop, std::move(handler), counters);
  if (auto err = upstream->init(settings); !err.empty()) {
    return resolver::unexpected(std::move(err));
  }
  return std::unique_ptr<Upstream>(std::move(upstream));
}

}  // namespace dnsp::proxy
