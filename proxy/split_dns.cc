#include "proxy/split_dns.h"

namespace dnsp::proxy {

std::vector<resolver::Name> negative_anchors(const config::Config& c,
                                             std::vector<InsecureWhy>* why) {
  std::vector<resolver::Name> names;
  auto add = [&](const std::string& text, InsecureWhy from) {
    auto name = resolver::Name::from_text(text);
    if (!name) return;
    for (const auto& n : names) {
      if (n == *name) return;
    }
    names.push_back(*name);
    if (why != nullptr) why->push_back(from);
  };
  for (const auto& nta : c.negative_trust_anchors) {
    add(nta.zone, {"the negative trust anchor",
                   "([dnssec] negative_trust_anchors or dnssec-proxy control nta, RFC 7646)"});
  }
  for (const auto& f : c.forwards) {
    if (f.dnssec == config::ForwardDnssec::Insecure) {
      add(f.zone, {"the insecure forward zone", "([[forward]] dnssec = \"insecure\")"});
    }
  }
  for (const auto& text : config::private_zones(c)) {
    add(text, {"the private zone", "([dnssec] private_zones)"});
  }
  return names;
}

std::optional<size_t> forward_zone_of(const resolver::Name& name,
                                      const std::vector<config::ForwardZone>& zones) {
  std::optional<size_t> best;
  size_t best_labels = 0;
  for (size_t i = 0; i < zones.size(); ++i) {
    auto zone = resolver::Name::from_text(zones[i].zone);
    if (!zone || !name.is_subdomain_of(*zone)) continue;
    if (!best || zone->label_count() > best_labels) {
      best = i;
      best_labels = zone->label_count();
    }
  }
  return best;
}

}  // namespace dnsp::proxy
