// StatsHistory: the last hour of the proxy's counters, minute by minute, for the dashboard's
// chart (proxy/pages/dashboard.h): snapshots of the totals over every event loop taken once a
// minute on loop 0, kept as a ring of kMinutes + 1 and read as per-minute differences.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "proxy/stats.h"

namespace dnsp::proxy {

// The counters the dashboard draws, summed over every loop since the start.
struct Totals {
  uint64_t queries = 0;  // UDP and TCP
  uint64_t cache_hits = 0;
  uint64_t secure = 0;
  uint64_t insecure = 0;
  uint64_t bogus = 0;
  uint64_t upstream_queries = 0;
  uint64_t upstream_failures = 0;  // timeouts, unreachable, server failures, bad replies
};
Totals totals_of(std::span<const Stats* const> stats);
Totals operator-(const Totals& a, const Totals& b);
Totals& operator+=(Totals& a, const Totals& b);

struct MinuteSample {
  int64_t end = 0;     // unix seconds
  double seconds = 0;  // how long it covers (the last one: up to now)
  Totals delta;
};

class StatsHistory {
 public:
  static constexpr size_t kMinutes = 60;
  // A snapshot at `now` (once a minute; the first is the proxy's start).
  void sample(int64_t now, const Totals& totals);
  // The minutes of the last hour, oldest first, the one in progress (up to `current` at
  // `now`) last.
  std::vector<MinuteSample> minutes(int64_t now, const Totals& current) const;

 private:
  struct Snapshot {
    int64_t at;
    Totals totals;
  };
  std::deque<Snapshot> snapshots_;
};

}  // namespace dnsp::proxy
