#include "resolver/key_cache.h"

namespace dnsp::resolver {

std::shared_ptr<const KeyEntry> KeyCache::find(const Name& zone, int64_t now) const {
  auto it = entries_.find(zone);
  if (it == entries_.end() || it->second->expires <= now) return nullptr;
  return it->second;
}

std::shared_ptr<const KeyEntry> KeyCache::find_insecure_ancestor(const Name& name,
                                                                 int64_t now) const {
  Name n = name;
  while (true) {
    if (auto e = find(n, now); e && e->security == Security::Insecure) return e;
    if (n.is_root()) return nullptr;
    n = n.parent();
  }
}

std::shared_ptr<const KeyEntry> KeyCache::find_secure_ancestor(const Name& name,
                                                               int64_t now) const {
  Name n = name;
  while (true) {
    if (auto e = find(n, now); e && e->security == Security::Secure) return e;
    if (n.is_root()) return nullptr;
    n = n.parent();
  }
}

void KeyCache::put(std::shared_ptr<const KeyEntry> entry, int64_t now) {
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now](const auto& kv) { return kv.second->expires <= now; });
    // Still full: drop an arbitrary entry (an LRU comes with the answer cache).
    if (entries_.size() >= max_entries_) entries_.erase(entries_.begin());
  }
  entries_[entry->zone] = std::move(entry);
}

}  // namespace dnsp::resolver
