// ServerSelection (proxy/upstream/selection.h): the order each strategy gives, health from
// failures, the retry of a down server, and the hedge delay.
#include "proxy/upstream/selection.h"

#include <doctest/doctest.h>

#include <map>
#include <vector>

using dnsp::config::UpstreamStrategy;
using dnsp::proxy::ServerSelection;

namespace {

std::vector<size_t> order_of(ServerSelection& s, uint64_t now) {
  std::vector<size_t> out;
  s.order(now, out);
  return out;
}

// How often each server comes first over `n` queries.
std::map<size_t, int> firsts(ServerSelection& s, int n, uint64_t now) {
  std::map<size_t, int> count;
  for (int i = 0; i < n; ++i) ++count[order_of(s, now).front()];
  return count;
}

}  // namespace

TEST_CASE("order: the configured order; a server that failed twice goes last until it is retried") {
  ServerSelection s(3, UpstreamStrategy::Order);
  CHECK(order_of(s, 0) == std::vector<size_t>{0, 1, 2});
  s.failed(0, 10);
  CHECK_FALSE(s.down(0));  // one failure is not enough
  CHECK(order_of(s, 10) == std::vector<size_t>{0, 1, 2});
  s.failed(0, 20);
  CHECK(s.down(0));
  CHECK(order_of(s, 30) == std::vector<size_t>{1, 2, 0});
  // After kRetryDownMs one query starts there again; the next ones do not.
  const uint64_t later = 20 + ServerSelection::kRetryDownMs;
  CHECK(order_of(s, later) == std::vector<size_t>{0, 1, 2});
  CHECK(order_of(s, later + 1) == std::vector<size_t>{1, 2, 0});
  // It failed again: the wait doubles.
  s.failed(0, later + 2);
  CHECK(order_of(s, later + ServerSelection::kRetryDownMs + 10).front() == 1);
  CHECK(order_of(s, later + 2 + 2 * ServerSelection::kRetryDownMs).front() == 0);
  // An answer brings it back at once.
  s.answered(0, 5, later + 3 * ServerSelection::kRetryDownMs);
  CHECK_FALSE(s.down(0));
  CHECK(order_of(s, later + 3 * ServerSelection::kRetryDownMs + 1) == std::vector<size_t>{0, 1, 2});
}

TEST_CASE("round-robin: each server first in turn, down servers skipped") {
  ServerSelection s(3, UpstreamStrategy::RoundRobin);
  auto count = firsts(s, 300, 0);
  CHECK(count[0] == 100);
  CHECK(count[1] == 100);
  CHECK(count[2] == 100);
  s.failed(1, 1);
  s.failed(1, 2);
  count = firsts(s, 100, 3);
  CHECK(count[1] == 0);
  CHECK(count[0] + count[2] == 100);
  // Every order still holds every server once, the down one last.
  const auto o = order_of(s, 4);
  CHECK(o.size() == 3);
  CHECK(o.back() == 1);
}

TEST_CASE("fastest: the lowest RTT, random within the 400 ms band, the others re-measured") {
  ServerSelection s(3, UpstreamStrategy::Fastest);
  // Unmeasured servers come first: each gets measured.
  s.answered(0, 900, 1);  // slow, and measured longest ago
  s.answered(1, 10, 2);
  s.answered(2, 30, 3);  // within the band of server 1
  auto count = firsts(s, 1000, 4);
  CHECK(count[1] > 300);
  CHECK(count[2] > 300);
  // Server 0 only when it is re-measured: one query in kExploreEvery.
  CHECK(count[0] == 1000 / int(ServerSelection::kExploreEvery));
  // After the first, the others by RTT.
  const auto o = order_of(s, 5);
  CHECK(o.size() == 3);
  CHECK(o.back() == 0);
}

TEST_CASE("hedge delay: twice the smoothed RTT, within 50-250 ms; 250 ms before any answer") {
  ServerSelection s(2, UpstreamStrategy::Order);
  CHECK(s.hedge_delay_ms(0) == ServerSelection::kHedgeMaxMs);
  s.answered(0, 1, 0);
  CHECK(s.hedge_delay_ms(0) == ServerSelection::kHedgeMinMs);
  s.answered(1, 60, 0);
  CHECK(s.hedge_delay_ms(1) == 120);
  for (int i = 0; i < 50; ++i) s.answered(1, 2000, 0);
  CHECK(s.hedge_delay_ms(1) == ServerSelection::kHedgeMaxMs);
  CHECK(s.srtt_ms(1) > 1500);
}

TEST_CASE("a server the prober found breaking DNSSEC is asked after the healthy ones") {
  ServerSelection s(3, UpstreamStrategy::RoundRobin);
  s.set_avoided(0, true);
  for (int i = 0; i < 10; ++i) {
    const auto o = order_of(s, 0);
    CHECK(o.front() != 0);
    CHECK(o.back() == 0);
  }
  s.set_avoided(0, false);
  CHECK(firsts(s, 30, 0)[0] == 10);
}
