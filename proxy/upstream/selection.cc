#include "proxy/upstream/selection.h"

#include <algorithm>

namespace dnsp::proxy {

ServerSelection::ServerSelection(size_t servers, config::UpstreamStrategy strategy, uint64_t seed)
    : servers_(servers), strategy_(strategy), rng_(seed | 1) {}

uint64_t ServerSelection::next_random() {
  // xorshift64: spreading queries, not security.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return rng_;
}

void ServerSelection::order(uint64_t now_ms, std::vector<size_t>& out) {
  out.clear();
  const size_t n = servers_.size();
  if (n == 0) return;
  const uint64_t query = queries_++;
  // A down server whose wait is over takes one query (then waits again unless it answers).
  size_t retry = n;
  for (size_t i = 0; i < n; ++i) {
    Server& s = servers_[i];
    if (s.down && now_ms >= s.retry_at_ms && retry == n) {
      retry = i;
      s.retry_at_ms = now_ms + s.backoff_ms;
    }
  }
  // Up servers in the strategy's order, then avoided ones and down ones in configured order.
  scratch_.clear();
  for (size_t i = 0; i < n; ++i) {
    if (!servers_[i].down && !servers_[i].avoided) scratch_.push_back(i);
  }
  if (!scratch_.empty()) {
    switch (strategy_) {
      case config::UpstreamStrategy::Order:
        break;
      case config::UpstreamStrategy::RoundRobin:
        std::rotate(scratch_.begin(), scratch_.begin() + static_cast<long>(query % scratch_.size()),
                    scratch_.end());
        break;
      case config::UpstreamStrategy::Fastest: {
        // Unmeasured servers count as the fastest: they get measured first.
        std::stable_sort(scratch_.begin(), scratch_.end(), [this](size_t a, size_t b) {
          return servers_[a].srtt_us < servers_[b].srtt_us;
        });
        size_t first = 0;
        if (query % kExploreEvery == kExploreEvery - 1) {
          // Re-measure the server measured longest ago.
          first = static_cast<size_t>(std::min_element(scratch_.begin(), scratch_.end(),
                                                       [this](size_t a, size_t b) {
                                                         return servers_[a].last_measured_ms <
                                                                servers_[b].last_measured_ms;
                                                       }) -
                                      scratch_.begin());
        } else {
          const uint64_t band = servers_[scratch_[0]].srtt_us + kFastestBandMs * 1000;
          size_t in_band = 1;
          while (in_band < scratch_.size() && servers_[scratch_[in_band]].srtt_us <= band) {
            ++in_band;
          }
          first = static_cast<size_t>(next_random() % in_band);
        }
        std::rotate(scratch_.begin(), scratch_.begin() + static_cast<long>(first),
                    scratch_.begin() + static_cast<long>(first) + 1);
        break;
      }
    }
  }
  if (retry != n) out.push_back(retry);
  for (size_t i : scratch_) out.push_back(i);
  for (size_t i = 0; i < n; ++i) {
    if (!servers_[i].down && servers_[i].avoided) out.push_back(i);
  }
  for (size_t i = 0; i < n; ++i) {
    if (servers_[i].down && i != retry) out.push_back(i);
  }
}

void ServerSelection::answered(size_t server, uint64_t rtt_ms, uint64_t now_ms) {
  Server& s = servers_[server];
  const uint64_t sample = std::max<uint64_t>(rtt_ms, 1) * 1000;
  s.srtt_us = s.srtt_us == 0 ? sample : s.srtt_us - s.srtt_us / 8 + sample / 8;
  s.last_measured_ms = now_ms;
  s.failures = 0;
  s.down = false;
  s.backoff_ms = 0;
}

void ServerSelection::failed(size_t server, uint64_t now_ms) {
  Server& s = servers_[server];
  s.last_measured_ms = now_ms;
  if (++s.failures < kDownAfter) return;
  if (!s.down) {
    s.down = true;
    s.backoff_ms = kRetryDownMs;
  } else {
    s.backoff_ms = std::min(s.backoff_ms * 2, kRetryDownMaxMs);
  }
  s.retry_at_ms = now_ms + s.backoff_ms;
}

uint64_t ServerSelection::hedge_delay_ms(size_t server) const {
  const uint64_t srtt_ms = servers_[server].srtt_us / 1000;
  if (servers_[server].srtt_us == 0) return kHedgeMaxMs;
  return std::clamp<uint64_t>(2 * srtt_ms, kHedgeMinMs, kHedgeMaxMs);
}

}  // namespace dnsp::proxy
