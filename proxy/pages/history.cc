#include "proxy/pages/history.h"

namespace dnsp::proxy {

Totals totals_of(std::span<const Stats* const> stats) {
  Totals t;
  for (const Stats* s : stats) {
    t.queries += s->queries_udp.get() + s->queries_tcp.get();
    t.cache_hits += s->cache_hits.get();
    t.secure += s->secure.get();
    t.insecure += s->insecure.get();
    for (const auto& c : s->bogus_by_ede) t.bogus += c.get();
    t.upstream_queries += s->upstream_queries.get();
    t.upstream_failures += s->upstream_timeouts.get() + s->upstream_unreachable.get() +
                           s->upstream_server_failed.get() + s->upstream_bad_replies.get();
  }
  return t;
}

Totals operator-(const Totals& a, const Totals& b) {
  // Counters only grow; a reload that replaced a loop's stats must not wrap around.
  auto d = [](uint64_t x, uint64_t y) { return x > y ? x - y : 0; };
  return {d(a.queries, b.queries),
          d(a.cache_hits, b.cache_hits),
          d(a.secure, b.secure),
          d(a.insecure, b.insecure),
          d(a.bogus, b.bogus),
          d(a.upstream_queries, b.upstream_queries),
          d(a.upstream_failures, b.upstream_failures)};
}

Totals& operator+=(Totals& a, const Totals& b) {
  a.queries += b.queries;
  a.cache_hits += b.cache_hits;
  a.secure += b.secure;
  a.insecure += b.insecure;
  a.bogus += b.bogus;
  a.upstream_queries += b.upstream_queries;
  a.upstream_failures += b.upstream_failures;
  return a;
}

void StatsHistory::sample(int64_t now, const Totals& totals) {
  snapshots_.push_back({now, totals});
  while (snapshots_.size() > kMinutes + 1) snapshots_.pop_front();
}

std::vector<MinuteSample> StatsHistory::minutes(int64_t now, const Totals& current) const {
  std::vector<MinuteSample> out;
  for (size_t i = 1; i < snapshots_.size(); ++i) {
    const Snapshot& a = snapshots_[i - 1];
    const Snapshot& b = snapshots_[i];
    out.push_back({b.at, static_cast<double>(b.at - a.at), b.totals - a.totals});
  }
  if (!snapshots_.empty() && now > snapshots_.back().at) {
    out.push_back(
        {now, static_cast<double>(now - snapshots_.back().at), current - snapshots_.back().totals});
  }
  while (out.size() > kMinutes) out.erase(out.begin());
  return out;
}

}  // namespace dnsp::proxy
