// Split DNS and private zones, the rules the daemon's pipeline and explain share: what is not
// validated and why (negative trust anchors, insecure [[forward]] zones, private zones), and
// which forward zone answers a question (the DS of a zone is asked of its parent's servers,
// RFC 4034 §5: the parent zone holds it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "resolver/wire/message.h"
#include "resolver/wire/name.h"

namespace dnsp::proxy {

// Why a name is not validated, for the log and explain: "the private zone" lan.
// "([dnssec] private_zones)".
struct InsecureWhy {
  std::string what;
  std::string setting;
};

// What is not validated, as names (config/ checked and normalised them), each with where it
// comes from (`why`, when given, gets one entry per name): [dnssec] negative_trust_anchors
// (RFC 7646), [[forward]] zones with dnssec = "insecure", and the private zones in force.
std::vector<resolver::Name> negative_anchors(const config::Config& c,
                                             std::vector<InsecureWhy>* why = nullptr);

// The name whose zone answers `q`: its own, or for DS its parent's (RFC 4034 §5).
inline const resolver::Name& routing_name(const resolver::Question& q, resolver::Name& storage) {
  if (q.type != resolver::RRType::DS || q.name.label_count() == 0) return q.name;
  storage = q.name.parent();
  return storage;
}

// The deepest of `zones` ([[forward]] zones as config/ normalised them) at or above `name`:
// its index, or nullopt (then [upstream] answers).
std::optional<size_t> forward_zone_of(const resolver::Name& name,
                                      const std::vector<config::ForwardZone>& zones);

}  // namespace dnsp::proxy
