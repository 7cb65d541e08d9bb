// LoopGroup: what the event loops ([server] threads) share besides the caches, so that
// several loops behave like one server: the limits on queries in flight and on client TCP
// connections count every loop, and identical concurrent misses make one upstream query
// even when the kernel handed them to different loops (SO_REUSEPORT spreads clients, not
// names). A miss whose question another loop is already resolving is parked on its own
// loop; when that flight lands (its answer is cached, or it failed), the parked queries
// are handled again: a cache hit, or a new flight.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "resolver/cache/answer_cache.h"

namespace dnsp::proxy {

class LoopGroup {
 public:
  // Called (from the landing loop's thread) for each loop that parked queries for `key`;
  // it must only queue the key and wake its own loop.
  using Notify = std::function<void(const resolver::CacheKey& key)>;

  // Each loop registers how to wake it before it takes queries, and unregisters before it
  // closes the handle that wakes it.
  void attach(size_t loop, Notify notify);
  void detach(size_t loop);

  enum class Claim : uint8_t { Lead, Elsewhere };
  // Lead: nobody resolves `key`; `loop` now does (call land() when it ends). Elsewhere:
  // another loop does and will notify `loop` when it lands.
  Claim claim(const resolver::CacheKey& key, size_t loop);
  // The flight for `key` ended: every loop that parked queries for it is notified.
  void land(const resolver::CacheKey& key);

  // Every loop's queries in flight and client TCP connections, for the global limits.
  std::atomic<size_t> in_flight{0};
  std::atomic<size_t> tcp_connections{0};
  // Explain traces running in every loop (ExplainService::kMaxRunning in all).
  std::atomic<size_t> explain_traces{0};
  // Some upstream answered (a probe or a client's query) on any loop: /ready, READY=1.
  std::atomic<bool> upstream_answered{false};

  // Each loop's heartbeat (proxy/health.h): `now_ms` on the monotonic clock, from a timer
  // on that loop; 0 forgets the loop (it stopped). heartbeats(): one entry per loop index,
  // 0 for loops that never beat or stopped.
  void beat(size_t loop, uint64_t now_ms);
  std::vector<uint64_t> heartbeats() const;

 private:
  // Any number of loops ([server] threads defaults to one per CPU, which may be more than
  // 64): `waiting` is a bitset of as many 64-bit words as the highest loop that parked needs.
  // It stays empty, allocating nothing, for the flights nobody parks behind (nearly all);
  // only claim()'s Elsewhere path, which copies the parked query anyway, grows it.
  struct Flight {
    size_t leader = 0;
    std::vector<uint64_t> waiting{};  // bit i % 64 of word i / 64: loop i parked queries
  };
  mutable std::mutex mu_;
  std::vector<uint64_t> beats_;  // guarded by mu_
  std::unordered_map<resolver::CacheKey, Flight, resolver::CacheKeyHash> flights_;
  std::vector<Notify> loops_;
};

}  // namespace dnsp::proxy
