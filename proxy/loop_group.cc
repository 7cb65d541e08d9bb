#include "proxy/loop_group.h"

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
  auto [it, inserted] = flights_.try_emplace(key, Flight{loop, 0});
  if (inserted || it->second.leader == loop) {
    it->second.leader = loop;
    return Claim::Lead;
  }
  it->second.waiting |= uint64_t{1} << loop;
  return Claim::Elsewhere;
}

void LoopGroup::land(const resolver::CacheKey& key) {
  std::lock_guard lock(mu_);  // held while notifying: a loop cannot detach meanwhile
  auto it = flights_.find(key);
  if (it == flights_.end()) return;
  const uint64_t waiting = it->second.waiting;
  flights_.erase(it);
  for (size_t loop = 0; loop < loops_.size() && loop < 64; ++loop) {
    if ((waiting >> loop & 1) != 0 && loops_[loop]) loops_[loop](key);
  }
}

}  // namespace dnsp::proxy
