#include "proxy/negative_anchors.h"

#include <algorithm>

namespace dnsp::proxy {

const char* to_string(NtaSource source) {
  return source == NtaSource::Config ? "config" : "control";
}

std::vector<NtaEntry> NegativeAnchors::set_configured(
    const std::vector<config::NegativeTrustAnchor>& configured, int64_t now) {
  std::vector<NtaEntry> next;
  std::vector<NtaEntry> expired;
  for (const auto& c : configured) {
    NtaEntry e{c.zone, NtaSource::Config, c.until};
    if (e.until && *e.until <= now) {
      expired.push_back(std::move(e));
    } else {
      next.push_back(std::move(e));
    }
  }
  for (const auto& e : entries_) {
    if (e.source != NtaSource::Control) continue;
    const bool in_file = std::any_of(configured.begin(), configured.end(),
                                     [&](const auto& c) { return c.zone == e.zone; });
    if (!in_file) next.push_back(e);
  }
  entries_ = std::move(next);
  return expired;
}

bool NegativeAnchors::add(const std::string& zone, std::optional<int64_t> until) {
  const bool replaced = remove(zone);
  entries_.push_back({zone, NtaSource::Control, until});
  return replaced;
}

bool NegativeAnchors::remove(const std::string& zone) {
  return std::erase_if(entries_, [&](const NtaEntry& e) { return e.zone == zone; }) != 0;
}

std::vector<NtaEntry> NegativeAnchors::expire(int64_t now) {
  std::vector<NtaEntry> expired;
  std::erase_if(entries_, [&](const NtaEntry& e) {
    if (!e.until || *e.until > now) return false;
    expired.push_back(e);
    return true;
  });
  return expired;
}

std::optional<int64_t> NegativeAnchors::next_expiry() const {
  std::optional<int64_t> next;
  for (const auto& e : entries_) {
    if (e.until && (!next || *e.until < *next)) next = e.until;
  }
  return next;
}

std::vector<config::NegativeTrustAnchor> NegativeAnchors::in_force() const {
  std::vector<config::NegativeTrustAnchor> out;
  for (const auto& e : entries_) out.push_back({e.zone, e.until});
  return out;
}

}  // namespace dnsp::proxy
