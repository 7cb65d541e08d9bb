// ServerSelection: which of a list of upstream servers a query asks first, and when to ask
// the next one too. Sans I/O (times are given, nothing is sent): FailoverUpstream holds one
// per loop and list and tells it what each try did. Issue 18, "slow and broken paths":
//
// - Strategy ([upstream] strategy): Order, the configured order; Fastest, the lowest
//   smoothed RTT, picked at random among the servers within kFastestBandMs of it (as
//   Unbound picks among servers within 400 ms), with every kExploreEvery-th query starting
//   at the server measured longest ago so a slow server that got faster is seen; RoundRobin,
//   each query starting at the next server.
// - Health, from the tries themselves: a server whose last kDownAfter tries failed
//   (timeout, refused, TLS refused) is "down" and goes to the end of every order, whatever
//   the strategy, until kRetryDownMs (doubling up to kRetryDownMaxMs) have passed; then one
//   query may start there again (a probe by real traffic); an answer makes it "up".
//   Servers the prober found breaking DNSSEC (set_avoided: strips RRSIGs, drops CD,
//   unreachable; probe.h) come after every other up server, in configured order: used only
//   when no healthy one is left.
// - Hedging (RFC 8305 §5 in spirit: a connection attempt delay, 10 ms minimum and 250 ms
//   recommended there): when the server asked has not answered after hedge_delay_ms(), the
//   next one in the order is asked too and the first answer wins, so a server that
//   black-holes costs one delay, not a timeout per query. The delay is twice the server's
//   smoothed RTT, within [kHedgeMinMs, kHedgeMaxMs]; kHedgeMaxMs while nothing is measured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/config.h"

namespace dnsp::proxy {

class ServerSelection {
 public:
  static constexpr uint64_t kFastestBandMs = 400;
  static constexpr uint32_t kExploreEvery = 100;
  static constexpr uint32_t kDownAfter = 2;
  static constexpr uint64_t kRetryDownMs = 5000;
  static constexpr uint64_t kRetryDownMaxMs = 60000;
  static constexpr uint64_t kHedgeMinMs = 50;
  static constexpr uint64_t kHedgeMaxMs = 250;

  ServerSelection(size_t servers, config::UpstreamStrategy strategy, uint64_t seed = 0x9e3779b9);

  size_t size() const { return servers_.size(); }
  // The servers to try for the next query, first to last (every server once).
  void order(uint64_t now_ms, std::vector<size_t>& out);
  // What a try did: an answer after `rtt_ms`, or a failure (timeout, unreachable...).
  void answered(size_t server, uint64_t rtt_ms, uint64_t now_ms);
  void failed(size_t server, uint64_t now_ms);
  // How long to wait for `server` before asking the next one too.
  uint64_t hedge_delay_ms(size_t server) const;
  // The prober's word on `server` (upstream.h avoid()): asked after the others.
  void set_avoided(size_t server, bool avoided) { servers_[server].avoided = avoided; }
  // Whether `server` is down (kDownAfter failures in a row, no answer since).
  bool down(size_t server) const { return servers_[server].down; }
  // Its smoothed RTT in ms (0: not measured yet).
  uint64_t srtt_ms(size_t server) const { return servers_[server].srtt_us / 1000; }

 private:
  struct Server {
    uint64_t srtt_us = 0;  // RFC 6298 §2 smoothing, 1/8 of each sample; 0 = none yet
    uint64_t last_measured_ms = 0;
    uint32_t failures = 0;  // in a row
    bool down = false;
    bool avoided = false;
    uint64_t retry_at_ms = 0;  // down: when one query may start here again
    uint64_t backoff_ms = 0;
  };
  uint64_t next_random();

  std::vector<Server> servers_;
  config::UpstreamStrategy strategy_;
  uint64_t rng_;
  uint64_t queries_ = 0;
  std::vector<size_t> scratch_;
};

}  // namespace dnsp::proxy
