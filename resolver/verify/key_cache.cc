#include "resolver/verify/key_cache.h"

namespace dnsp::resolver {

std::shared_ptr<const KeyEntry> KeyCache::find(const Name& zone, int64_t now) const {
  std::lock_guard lock(mu_);
  return find_locked(zone, now);
}

std::shared_ptr<const KeyEntry> KeyCache::find_locked(const Name& zone, int64_t now) const {
  auto it = entries_.find(zone);
  if (it == entries_.end() || it->second.entry->expires <= now) return nullptr;
  return it->second.entry;
}

std::shared_ptr<const KeyEntry> KeyCache::find_insecure_ancestor(const Name& name,
                                                                 int64_t now) const {
  std::lock_guard lock(mu_);
  Name n = name;
  while (true) {
    if (auto e = find_locked(n, now); e && e->security == Security::Insecure) return e;
    if (n.is_root()) return nullptr;
    n = n.parent();
  }
}

std::shared_ptr<const KeyEntry> KeyCache::find_secure_ancestor(const Name& name,
                                                               int64_t now) const {
  std::lock_guard lock(mu_);
  Name n = name;
  while (true) {
    if (auto e = find_locked(n, now); e && e->security == Security::Secure) return e;
    if (n.is_root()) return nullptr;
    n = n.parent();
  }
}

void KeyCache::forget_bogus(std::span<const Name> zones) {
  std::lock_guard lock(mu_);
  for (const Name& zone : zones) {
    auto it = entries_.find(zone);
    if (it == entries_.end() || it->second.entry->security != Security::Bogus) continue;
    bytes_ -= it->second.cost;
    entries_.erase(it);
  }
}

size_t KeyCache::cost_of(const KeyEntry& e) {
  constexpr size_t kOpenSslKey = 1024;  // EVP_PKEY and its parameters, roughly
  size_t cost = sizeof(Slot) + sizeof(KeyEntry) + 64 + e.verdict.detail.size();
  for (const auto& k : e.keys) cost += sizeof(ZoneKey) + k.rdata.size() + kOpenSslKey;
  for (const auto& d : e.ds_rdatas) cost += sizeof(d) + d.size();
  return cost;
}

void KeyCache::put(std::shared_ptr<const KeyEntry> entry, int64_t now) {
  const size_t cost = cost_of(*entry);
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(entry->zone); it != entries_.end()) {
    bytes_ -= it->second.cost;
    entries_.erase(it);
  }
  if (bytes_ + cost > max_bytes_) {
    std::erase_if(entries_, [&](const auto& kv) {
      if (kv.second.entry->expires > now) return false;
      bytes_ -= kv.second.cost;
      return true;
    });
    // Still full: drop entries in table order until it fits (keys are cheap to refetch).
    while (bytes_ + cost > max_bytes_ && !entries_.empty()) {
      bytes_ -= entries_.begin()->second.cost;
      entries_.erase(entries_.begin());
    }
  }
  bytes_ += cost;
  const Name zone = entry->zone;
  entries_.emplace(zone, Slot{std::move(entry), cost});
}

}  // namespace dnsp::resolver
