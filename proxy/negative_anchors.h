// NegativeAnchors: the RFC 7646 negative trust anchors in force and when each ends, from
// [dnssec] negative_trust_anchors (no end unless `until` is set) and from `dnssec-proxy
// control nta add` (1 h unless --for says otherwise). Sans I/O: the time is a parameter; the
// daemon (proxy/main.cc) expires them on a timer and hands the list to every loop
// (Server::set_negative_trust_anchors), the path a reload takes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace dnsp::proxy {

// RFC 7646 §2: an NTA is temporary. An added one lasts this long unless told otherwise.
inline constexpr int64_t kDefaultAddedNtaSeconds = 3600;

enum class NtaSource : uint8_t { Config, Control };
const char* to_string(NtaSource source);  // "config", "control"

struct NtaEntry {
  std::string zone;  // normalised: lower case, final "."
  NtaSource source = NtaSource::Config;
  std::optional<int64_t> until;  // unix seconds; nullopt: until removed
  friend bool operator==(const NtaEntry&, const NtaEntry&) = default;
};

class NegativeAnchors {
 public:
  // The configured anchors (start-up, reload) replace the configured ones held; anchors
  // added by control stay, unless the file now names the same zone (the file wins).
  // Returns those already expired at `now`, which are not taken (for the log).
  std::vector<NtaEntry> set_configured(const std::vector<config::NegativeTrustAnchor>& configured,
                                       int64_t now);
  // Adds (or replaces, whatever its source) the anchor for `zone` until `until`.
  // True when it replaced one.
  bool add(const std::string& zone, std::optional<int64_t> until);
  // Removes the anchor for `zone`; false when there is none.
  bool remove(const std::string& zone);
  // Removes and returns the anchors whose time is up at `now` (until <= now).
  std::vector<NtaEntry> expire(int64_t now);
  // The next end among the anchors, if any has one.
  std::optional<int64_t> next_expiry() const;
  const std::vector<NtaEntry>& entries() const { return entries_; }
  // What the loops validate with: config's shape, in order (configured first, then added).
  std::vector<config::NegativeTrustAnchor> in_force() const;

 private:
  std::vector<NtaEntry> entries_;
};

}  // namespace dnsp::proxy
