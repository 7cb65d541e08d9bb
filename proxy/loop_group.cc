#include "proxy/loop_group.h"

#include <utility>

namespace dnsp::proxy {

void LoopGroup::attach(size_t loop, Notify notify) {
  std::lock_guard lock(mu_);
  if (loops_.size() <= loop) loops_.resize(loop + 1);
  loops_[loop] = std::move(notify);
}

void LoopGroup::detach(size_t loop) {
  std::lock_guard lock(mu_);
  if (loop < loops_.size()) loops_[loop] = nullptr;
}

LoopGroup::Claim LoopGroup::claim(const resolver::CacheKey& key, size_t loop) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = flights_.try_emplace(key, Flight{loop});
  if (inserted || it->second.leader == loop) {
    it->second.leader = loop;
    return Claim::Lead;
  }
  std::vector<uint64_t>& waiting = it->second.waiting;
  if (waiting.size() <= loop / 64) waiting.resize(loop / 64 + 1, 0);
  waiting[loop / 64] |= uint64_t{1} << (loop % 64);
  return Claim::Elsewhere;
}

void LoopGroup::land(const resolver::CacheKey& key) {
  std::lock_guard lock(mu_);  // held while notifying: a loop cannot detach meanwhile
  auto it = flights_.find(key);
  if (it == flights_.end()) return;
  const std::vector<uint64_t> waiting = std::move(it->second.waiting);
  flights_.erase(it);
  for (size_t loop = 0; loop < loops_.size() && loop / 64 < waiting.size(); ++loop) {
    if ((waiting[loop / 64] >> (loop % 64) & 1) != 0 && loops_[loop]) loops_[loop](key);
  }
}

void LoopGroup::beat(size_t loop, uint64_t now_ms) {
  std::lock_guard lock(mu_);
  if (beats_.size() <= loop) beats_.resize(loop + 1, 0);
  beats_[loop] = now_ms;
}

std::vector<uint64_t> LoopGroup::heartbeats() const {
  std::lock_guard lock(mu_);
  return beats_;
}

}  // namespace dnsp::proxy
