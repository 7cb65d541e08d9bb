#include "resolver/validate/validation_parts.h"

#include <algorithm>

#include "resolver/wire/rdata.h"

namespace dnsp::resolver {

const RRset* find_rrset(const std::vector<RRset>& rrsets, const Name& owner, RRType type,
                        Section section) {
  for (const auto& r : rrsets) {
    if (r.section == section && r.type == type && r.owner == owner) return &r;
  }
  return nullptr;
}

std::vector<RRset> section_rrsets(const std::vector<RRset>& all, Section s) {
  std::vector<RRset> out;
  for (const auto& r : all) {
    if (r.section == s) out.push_back(r);
  }
  return out;
}

bool has_any_rrsig(const std::vector<RRset>& rrsets) {
  return std::any_of(rrsets.begin(), rrsets.end(),
                     [](const RRset& r) { return !r.rrsigs.empty(); });
}

std::optional<Name> signer_of(const RRset& rrset) {
  std::optional<Name> best;
  std::optional<Name> first;
  for (const auto& s : rrset.rrsigs) {
    auto sig = parse_rrsig(s);
    if (!sig) continue;
    if (!first) first = sig->signer;
    if (!rrset.owner.is_subdomain_of(sig->signer)) continue;
    if (!best || sig->signer.label_count() > best->label_count()) best = sig->signer;
  }
  return best ? best : first;
}

std::optional<Name> denial_signer(const std::vector<RRset>& authority) {
  for (const auto& r : authority) {
    if ((r.type == RRType::SOA || r.type == RRType::NSEC || r.type == RRType::NSEC3) &&
        !r.rrsigs.empty()) {
      if (auto signer = signer_of(r)) return signer;
    }
  }
  return std::nullopt;
}

std::optional<Verdict> signer_above_anchor(const TrustAnchors& anchors, const Name& owner,
                                           const Name& signer) {
  const TrustAnchor* anchor = anchors.closest_enclosing(owner);
  if (anchor == nullptr || signer.is_subdomain_of(anchor->zone)) return std::nullopt;
  return verdict(Security::Bogus, Reason::BadSigner, anchor->zone,
                 "the RRSIG over " + owner.to_string() + " names signer " + signer.to_string() +
                     ", above the trust anchor " + anchor->zone.to_string());
}

CheckedRrset unchecked_evidence(const RRset& r, const Name& zone) {
  CheckedRrset c;
  c.owner = r.owner;
  c.type = r.type;
  c.ttl = r.ttl;
  c.section = r.section;
  c.rdatas = r.rdatas;
  c.rrsigs = r.rrsigs;
  c.zone = zone;
  return c;
}

CheckedRrset checked_evidence(const RRset& r, const Name& zone, const RrsetCheck& check) {
  CheckedRrset c = unchecked_evidence(r, zone);
  c.security = check.security;
  c.reason = check.reason;
  c.detail = check.detail;
  c.verified_by = check.security == Security::Secure ? check.key_tag : 0;
  return c;
}

CheckedRrset judged_evidence(const RRset& r, const Name& zone, const Verdict& v) {
  CheckedRrset c = unchecked_evidence(r, zone);
  c.security = v.security;
  c.reason = v.reason;
  c.detail = v.detail;
  return c;
}

void note_dnskey_check(ZoneTrace& z, const DnskeyCheck& check) {
  z.matches = check.matches;
  if (!z.dnskeys) return;
  z.dnskeys->security = check.security;
  z.dnskeys->reason = check.reason;
  z.dnskeys->detail = check.detail;
  z.dnskeys->verified_by = check.signed_by;
}

}  // namespace dnsp::resolver
