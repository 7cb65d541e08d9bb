#include "proxy/bogus_log.h"

#include <algorithm>

namespace dnsp::proxy {

void BogusLog::record(const resolver::Question& question, const resolver::Name& zone,
                      const resolver::ExtendedError& ede, int64_t now) {
  std::string name = question.name.to_string();
  std::string type = resolver::to_string(question.type);
  std::string key = name + " " + type;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxEntries) {
      auto oldest = std::min_element(
          entries_.begin(), entries_.end(),
          [](const auto& a, const auto& b) { return a.second.last_seen < b.second.last_seen; });
      entries_.erase(oldest);
    }
    BogusEntry fresh;
    fresh.name = std::move(name);
    fresh.type = std::move(type);
    it = entries_.emplace(std::move(key), std::move(fresh)).first;
  }
  BogusEntry& e = it->second;
  if (now - e.last_seen > kWindowSeconds) {  // seen last more than an hour ago: start again
    e.count = 0;
    e.first_seen = now;
  }
  ++e.count;
  e.last_seen = now;
  e.zone = zone.to_string();
  e.ede_code = static_cast<uint16_t>(ede.code);
  e.ede_text = ede.text;
}

std::vector<BogusEntry> BogusLog::frequent(int64_t now, size_t n) const {
  std::vector<BogusEntry> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, e] : entries_) {
      if (now - e.last_seen <= kWindowSeconds) out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(), [](const BogusEntry& a, const BogusEntry& b) {
    return a.count != b.count ? a.count > b.count : a.last_seen > b.last_seen;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace dnsp::proxy
