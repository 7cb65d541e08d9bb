// The dashboard at "/" of [metrics] listen: queries per second, cache hit ratio, the secure,
// insecure and bogus verdicts of the last hour as a small SVG chart drawn here, each upstream
// server with its state (answering, failing and why, not asked yet), queries and RTT, and the most
// frequent bogus questions of the last hour with their EDE text (RFC 8914), each a link to its
// /explain page. HTML without script or external resource; every name from DNS data escaped
// (resolver/explain/markup.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/bogus_log.h"
#include "proxy/pages/history.h"

namespace dnsp::proxy {

// One upstream server (or list of plain servers) as UpstreamBoard has it.
struct UpstreamRow {
  std::string name;       // "tls://9.9.9.9:853#dns.quad9.net", "127.0.0.1:53"
  std::string transport;  // "plain", "tls", "https"
  uint64_t queries = 0;
  uint64_t answered = 0;
  uint64_t failed = 0;  // the sum of the four kinds below
  uint64_t timeouts = 0;
  uint64_t unreachable = 0;
  uint64_t server_failed = 0;
  uint64_t bad_replies = 0;
  uint64_t srtt_us = 0;
  int64_t last_answer = 0;  // unix seconds; 0: never
  int64_t last_failure = 0;
  std::string last_failure_text;  // the transport's words ("...: certificate expired ...")
  std::string dnssec;             // the last probe's verdict: "strips-dnssec", ... ("" if none)
  std::string dnssec_evidence;    // ... and why ("answered . DNSKEY over UDP without its RRSIG")
};

struct DashboardData {
  std::string version;
  int64_t now = 0;
  int64_t started = 0;
  std::vector<MinuteSample> minutes;  // the last hour, oldest first (StatsHistory)
  // Each server since start, then configured ones not asked yet (queries 0).
  std::vector<UpstreamRow> upstreams;
  std::vector<BogusEntry> bogus;  // BogusLog::frequent()
};

std::string render_dashboard(const DashboardData& d);

// The chart alone: one stacked bar per minute (secure, insecure, bogus), an SVG element.
std::string verdict_chart(const std::vector<MinuteSample>& minutes);

}  // namespace dnsp::proxy
