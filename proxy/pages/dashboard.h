// The dashboard at "/" of [metrics] listen: queries per second, cache hit ratio, the secure,
// insecure and bogus verdicts of the last hour as a small SVG chart drawn here, the upstreams
// and how the upstream side fares, and the most frequent bogus questions of the last hour with
// their EDE text (RFC 8914), each a link to its /explain page. HTML without script or external
// resource; every name from DNS data escaped (resolver/explain/markup.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/bogus_log.h"
#include "proxy/pages/history.h"

namespace dnsp::proxy {

struct DashboardData {
  std::string version;
  int64_t now = 0;
  int64_t started = 0;
  std::vector<MinuteSample> minutes;   // the last hour, oldest first (StatsHistory)
  std::vector<std::string> upstreams;  // as configured: "127.0.0.1:53", "tls://9.9.9.9"
  std::vector<BogusEntry> bogus;       // BogusLog::frequent()
};

std::string render_dashboard(const DashboardData& d);

// The chart alone: one stacked bar per minute (secure, insecure, bogus), an SVG element.
std::string verdict_chart(const std::vector<MinuteSample>& minutes);

}  // namespace dnsp::proxy
