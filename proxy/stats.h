// Statistics: the counters the server bumps on its paths (one event loop, so plain integers),
// and their two renderings: the Prometheus text exposition format (version 0.0.4), served
// at /metrics by proxy/metrics_listener.h when [metrics] listen is set, and a few log lines
// written on SIGUSR1. Names follow Prometheus conventions: `_total` counters, base units
// (seconds, bytes), labels for the dimension that varies.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/upstream.h"
#include "resolver/ede.h"
#include "resolver/verdict.h"

namespace dnsp::proxy {

struct Stats {
  // Client side.
  uint64_t queries_udp = 0;
  uint64_t queries_tcp = 0;
  uint64_t cache_hits = 0;       // answered from the answer cache (no upstream query)
  uint64_t coalesced = 0;        // waited for an identical query already in flight
  uint64_t dropped = 0;          // undecodable packets, no reply (RFC 1035 §4.1.1 header)
  uint64_t overloaded = 0;       // SERVFAIL because too many queries were in flight
  uint64_t deadline_missed = 0;  // SERVFAIL after query_timeout_ms
  uint64_t stale_answers = 0;    // RFC 8767: expired answers served because upstreams failed
  uint64_t prefetches = 0;       // background refreshes of popular cached answers
  std::array<uint64_t, 16> responses_by_rcode{};  // every reply sent, by header RCODE

  // Verdicts, one per client reply that went through validation (not cache hits).
  uint64_t secure = 0;
  uint64_t insecure = 0;
  uint64_t unchecked = 0;  // CD set: handed over without validation (RFC 4035 §3.2.2)
  static constexpr size_t kEdeSlots = 32;          // RFC 8914 codes 0-29 and RFC 9276's 27
  std::array<uint64_t, kEdeSlots> bogus_by_ede{};  // index: EDE info code (last slot: others)

  // Upstream side: every query c-ares was given (client questions and DS/DNSKEY fetches).
  uint64_t upstream_queries = 0;
  uint64_t upstream_timeouts = 0;
  uint64_t upstream_unreachable = 0;
  uint64_t upstream_server_failed = 0;  // SERVFAIL / REFUSED / NOTIMP from every server
  uint64_t upstream_bad_replies = 0;
  // Latency of answered upstream queries, a cumulative histogram in milliseconds.
  static constexpr std::array<uint32_t, 12> kLatencyBucketsMs = {1,   2,   5,   10,   20,   50,
                                                                 100, 200, 500, 1000, 2000, 5000};
  std::array<uint64_t, kLatencyBucketsMs.size()> latency_buckets{};  // count with ms <= bound
  uint64_t latency_count = 0;
  uint64_t latency_sum_ms = 0;

  // Operations.
  uint64_t reloads = 0;
  uint64_t reload_failures = 0;

  void count_response(std::span<const uint8_t> packet) {
    if (packet.size() >= 4) ++responses_by_rcode[packet[3] & 0x0F];
  }
  void count_bogus(resolver::EdeCode code) {
    const auto i = static_cast<size_t>(code);
    ++bogus_by_ede[i < kEdeSlots - 1 ? i : kEdeSlots - 1];
  }
  // One upstream query ended: its outcome and how long it took.
  void count_upstream(UpstreamStatus status, uint64_t elapsed_ms);
};

// What the server holds right now (not counters).
struct Gauges {
  uint64_t in_flight = 0;
  uint64_t tcp_connections = 0;
  uint64_t answer_cache_bytes = 0;
  uint64_t answer_cache_entries = 0;
  uint64_t key_cache_bytes = 0;
  uint64_t cache_max_bytes = 0;
  int64_t start_time_unix = 0;
};

// The Prometheus text exposition format, every metric with HELP and TYPE lines.
std::string render_prometheus(const Stats& stats, const Gauges& gauges, std::string_view version);

// A short human summary, one string per log line (SIGUSR1).
std::vector<std::string> render_summary(const Stats& stats, const Gauges& gauges);

}  // namespace dnsp::proxy
