#include "resolver/validate/validation_trace.h"

namespace dnsp::resolver {

ZoneTrace& ValidationTrace::zone(const Name& zone) {
  for (auto& z : zones) {
    if (z.zone == zone) return z;
  }
  ZoneTrace z;
  z.zone = zone;
  zones.push_back(std::move(z));
  return zones.back();
}

const ZoneTrace* ValidationTrace::find_zone(const Name& zone) const {
  for (const auto& z : zones) {
    if (z.zone == zone) return &z;
  }
  return nullptr;
}

void ValidationTrace::set_answer(CheckedRrset rrset) {
  for (auto& a : answer) {
    if (a.owner == rrset.owner && a.type == rrset.type) {
      a = std::move(rrset);
      return;
    }
  }
  answer.push_back(std::move(rrset));
}

void ValidationTrace::set_denial(DenialTrace denial) {
  for (auto& d : denials) {
    if (d.purpose == denial.purpose && d.qname == denial.qname && d.qtype == denial.qtype) {
      d = std::move(denial);
      return;
    }
  }
  denials.push_back(std::move(denial));
}

}  // namespace dnsp::resolver
