// Statistics: the counters each server (one per event loop, proxy/workers.h) bumps on its
// paths, and their two renderings, summed over every loop: the Prometheus text exposition format
// (version 0.0.4), served at /metrics by proxy/listen/metrics_listener.h when [metrics] listen is
// set, and a few log lines written on SIGUSR1. Names follow Prometheus conventions: `_total`
// counters, base units (seconds, bytes), labels for the dimension that varies.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "proxy/upstream/upstream.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/ede.h"

namespace dnsp::proxy {

// A count written by one thread (its server's loop) and read by any (the metrics listener).
// Single writer, so an increment is a relaxed load and store: no locked instruction on the
// hot path, and no torn reads.
class Counter {
 public:
  void operator++() { add(1); }
  void add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct Stats {
  // Client side.
  Counter queries_udp;
  Counter queries_tcp;
  Counter cache_hits;           // answered from the answer cache (no upstream query)
  Counter local_answers;        // answered from [local] records or the hosts file
  Counter hotspot_answers;      // answered unvalidated in hotspot mode (Shared::hotspot)
  Counter coalesced;            // waited for an identical query already in flight
  Counter dropped;              // undecodable packets, no reply (RFC 1035 §4.1.1 header)
  Counter overloaded;           // SERVFAIL because too many queries were in flight
  Counter udp_replies_dropped;  // UDP replies not sent: the socket's send queue was full
  Counter deadline_missed;      // SERVFAIL after query_timeout_ms
  Counter stale_answers;        // RFC 8767: expired answers served because upstreams failed
  Counter prefetches;           // background refreshes of popular cached answers
  std::array<Counter, 16> responses_by_rcode;  // every reply sent, by header RCODE

  // Verdicts, one per client reply that went through validation (not cache hits).
  Counter secure;
  Counter insecure;
  Counter unchecked;  // CD set: handed over without validation (RFC 4035 §3.2.2)
  static constexpr size_t kEdeSlots = 32;       // RFC 8914 codes 0-29 and RFC 9276's 27
  std::array<Counter, kEdeSlots> bogus_by_ede;  // index: EDE info code (last slot: others)

  // Upstream side: every query c-ares was given (client questions and DS/DNSKEY fetches).
  Counter upstream_queries;
  Counter upstream_timeouts;
  Counter upstream_unreachable;
  Counter upstream_server_failed;  // SERVFAIL / REFUSED / NOTIMP from every server
  Counter upstream_bad_replies;
  TransportCounters transport;  // DNS-over-TLS connections (proxy/upstream/upstream.h)
  // Latency of answered upstream queries, a cumulative histogram in milliseconds.
  static constexpr std::array<uint32_t, 12> kLatencyBucketsMs = {1,   2,   5,   10,   20,   50,
                                                                 100, 200, 500, 1000, 2000, 5000};
  std::array<Counter, kLatencyBucketsMs.size()> latency_buckets;  // count with ms <= bound
  Counter latency_count;
  Counter latency_sum_ms;

  // Held right now (set, not counted).
  Counter in_flight;
  Counter tcp_connections;

  // [dnstap] (proxy/dnstap/): messages handed to this loop's queue to the collector, and
  // those dropped because it was full (a stalled or slow collector; answers never wait).
  Counter dnstap_messages;
  Counter dnstap_dropped;

  // Operations.
  Counter reloads;
  Counter reload_failures;

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

// What the shared caches hold right now, and when the proxy started.
struct Gauges {
  uint64_t answer_cache_bytes = 0;
  uint64_t answer_cache_entries = 0;
  uint64_t key_cache_bytes = 0;
  uint64_t aggressive_cache_bytes = 0;
  uint64_t cache_max_bytes = 0;
  int64_t start_time_unix = 0;
  bool ready = false;                 // what /ready says (proxy/health.h): 200 = true
  uint64_t event_loops_stuck = 0;     // what /health counts (503 when not 0)
  bool clock_verified = true;         // proxy/clock_watch.h: the wall clock is believed
  uint64_t hotspot_seconds_left = 0;  // hotspot mode: validation suspended this much longer
};

// The Prometheus text exposition format, every metric with HELP and TYPE lines.
// `stats`: one per event loop, summed; `board`, when given: per upstream server.
std::string render_prometheus(std::span<const Stats* const> stats, const Gauges& gauges,
                              std::string_view version, const UpstreamBoard* board = nullptr);

// A short human summary, one string per log line (SIGUSR1).
std::vector<std::string> render_summary(std::span<const Stats* const> stats, const Gauges& gauges);

}  // namespace dnsp::proxy
