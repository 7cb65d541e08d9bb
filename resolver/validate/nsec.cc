#include "resolver/validate/nsec.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "resolver/wire/rdata.h"

namespace dnsp::resolver {

std::optional<NsecRecord> make_nsec_record(const Name& owner, std::span<const uint8_t> rdata) {
  auto parsed = parse_nsec(rdata);
  if (!parsed) return std::nullopt;
  return NsecRecord{owner, parsed->next,
                    std::vector<uint8_t>(parsed->types.raw.begin(), parsed->types.raw.end())};
}

namespace {

TypeBitmap types_of(const NsecRecord& r) { return TypeBitmap{r.type_bitmap}; }

// RFC 6840 §4.1: an NSEC with NS and no SOA is the parent's record at a zone cut, and one
// with DNAME redirects every name below it. Neither says anything about names below its
// owner.
bool is_cut_or_dname(const NsecRecord& r) {
  const TypeBitmap t = types_of(r);
  return (t.contains(RRType::NS) && !t.contains(RRType::SOA)) || t.contains(RRType::DNAME);
}

// RFC 6840 §4.1: may `r` be used to prove something about `name`? Not when its owner is a
// proper ancestor of `name` at a zone cut or a DNAME.
bool usable_below(const NsecRecord& r, const Name& name) {
  return !(name.is_subdomain_of(r.owner) && !(name == r.owner) && is_cut_or_dname(r));
}

bool is_proper_subdomain(const Name& name, const Name& ancestor) {
  return name.is_subdomain_of(ancestor) && !(name == ancestor);
}

std::string describe(const NsecRecord& r) {
  return "NSEC " + r.owner.to_string() + " -> " + r.next.to_string();
}

DenialResult not_proven(std::string detail) {
  return {DenialKind::NotProven, Name::root(), std::move(detail)};
}

// What the NSEC records say about one name.
enum class Existence : uint8_t {
  Match,             // an NSEC is owned by the name
  EmptyNonTerminal,  // an NSEC owner < name < next, and next lies below the name
  Covered,           // an NSEC owner < name < next: the name does not exist
  Unknown,
};
struct Lookup {
  Existence existence;
  const NsecRecord* nsec;
  const NsecRecord* refused = nullptr;  // Unknown: an NSEC that covers the name from above a
                                        // zone cut or DNAME (RFC 6840 §4.1)
};

Lookup look_up(const std::vector<NsecRecord>& nsecs, const Name& name, const Name& zone) {
  for (const NsecRecord& r : nsecs) {
    if (r.owner.is_subdomain_of(zone) && r.owner == name) return {Existence::Match, &r};
  }
  const NsecRecord* refused = nullptr;
  for (const NsecRecord& r : nsecs) {
    if (!nsec_covers(r, name, zone)) continue;
    if (!usable_below(r, name)) {
      refused = &r;
      continue;
    }
    // RFC 4035 §3.1.3.2: the NSEC before an empty non-terminal points at a name below it,
    // so the name exists without data.
    if (is_proper_subdomain(r.next, name)) return {Existence::EmptyNonTerminal, &r};
    return {Existence::Covered, &r};
  }
  return {Existence::Unknown, nullptr, refused};
}

std::string unknown(const Lookup& l, const Name& name) {
  if (l.refused) {
    return describe(*l.refused) + " covers " + name.to_string() +
           " but is owned at a zone cut or DNAME above it: it proves nothing below its owner";
  }
  return "no NSEC matches or covers " + name.to_string();
}

// A proven result: its words only when `wording` asks for them on success.
template <class Words>
DenialResult proven(DenialKind kind, const Name& ce, Wording wording, const Words& words) {
  return {kind, ce, wording == Wording::Full ? words() : std::string()};
}

// NODATA from the NSEC owned by qname: the shared rule (denial.h, RFC 4035 §5.4).
DenialResult nodata_at(const NsecRecord& r, const Name& qname, RRType qtype, Wording wording) {
  return nodata_from_bitmap(r.type_bitmap, qname, qtype, wording, [&] { return describe(r); },
                            {"NSEC", ""});
}

}  // namespace

Name nsec_closest_encloser(const NsecRecord& cover, const Name& name) {
  return name.suffix(std::max(name.common_labels(cover.owner), name.common_labels(cover.next)));
}

bool nsec_covers(const NsecRecord& nsec, const Name& name, const Name& zone) {
  if (!name.is_subdomain_of(zone) || !nsec.owner.is_subdomain_of(zone)) return false;
  if (canonical_compare(nsec.owner, name) >= 0) return false;
  if (canonical_compare(nsec.owner, nsec.next) < 0) return canonical_compare(name, nsec.next) < 0;
  // next <= owner: only the last NSEC of the chain, whose next name is the apex, wraps.
  return nsec.next == zone;
}

DenialResult prove_nsec(const std::vector<NsecRecord>& nsecs, const Name& qname, RRType qtype,
                        const Name& zone, Wording wording) {
  if (!qname.is_subdomain_of(zone)) {
    return not_proven(qname.to_string() + " is not in zone " + zone.to_string());
  }
  const Lookup q = look_up(nsecs, qname, zone);
  switch (q.existence) {
    case Existence::Match:
      return nodata_at(*q.nsec, qname, qtype, wording);
    case Existence::EmptyNonTerminal:
      return proven(
          qtype == RRType::DS ? DenialKind::NotACut : DenialKind::NoData, qname, wording, [&] {
            return describe(*q.nsec) + ": " + qname.to_string() + " is an empty non-terminal";
          });
    case Existence::Unknown:
      return not_proven(unknown(q, qname));
    case Existence::Covered:
      break;
  }

  // Name error (RFC 4035 §5.4): qname is covered; now no wildcard may match it.
  const Name ce = nsec_closest_encloser(*q.nsec, qname);
  const auto qname_proof = [&] { return describe(*q.nsec) + " covers " + qname.to_string(); };
  if (!ce.is_subdomain_of(zone)) {
    return not_proven(qname_proof() + " but its closest encloser is outside the zone");
  }
  static constexpr uint8_t kStar[] = {'*'};
  auto wildcard = ce.prepend(kStar);
  if (!wildcard) return not_proven(qname_proof() + "; the wildcard name is too long");
  const Lookup w = look_up(nsecs, *wildcard, zone);
  switch (w.existence) {
    case Existence::Match: {
      const TypeBitmap t = types_of(*w.nsec);
      if (t.contains(qtype) || t.contains(RRType::CNAME)) {
        return not_proven(qname_proof() + "; " + describe(*w.nsec) +
                          " shows the wildcard has the type: expect an expanded answer");
      }
      return proven(DenialKind::WildcardNoData, ce, wording, [&] {
        return qname_proof() + "; " + describe(*w.nsec) + " lacks " + to_string(qtype);
      });
    }
    case Existence::EmptyNonTerminal:
      return proven(DenialKind::WildcardNoData, ce, wording, [&] {
        return qname_proof() + "; " + describe(*w.nsec) + ": the wildcard " +
               wildcard->to_string() + " is an empty non-terminal";
      });
    case Existence::Covered:
      return proven(DenialKind::NxDomain, ce, wording, [&] {
        return qname_proof() + "; " + describe(*w.nsec) + " covers " + wildcard->to_string();
      });
    case Existence::Unknown:
      break;
  }
  return not_proven(qname_proof() + ", but " + unknown(w, *wildcard));
}

DenialResult prove_wildcard_answer_nsec(const std::vector<NsecRecord>& nsecs, const Name& qname,
                                        const Name& wildcard_closest_encloser, const Name& zone,
                                        Wording wording) {
  if (!is_proper_subdomain(qname, wildcard_closest_encloser) ||
      !wildcard_closest_encloser.is_subdomain_of(zone)) {
    return not_proven("the wildcard's closest encloser " + wildcard_closest_encloser.to_string() +
                      " is not a proper ancestor of " + qname.to_string() + " in zone " +
                      zone.to_string());
  }
  const Lookup q = look_up(nsecs, qname, zone);
  if (q.existence == Existence::Unknown) return not_proven(unknown(q, qname));
  if (q.existence != Existence::Covered) {
    return not_proven(describe(*q.nsec) + " shows " + qname.to_string() +
                      " exists: it cannot be a wildcard expansion");
  }
  // RFC 4035 §5.3.4: the expansion is right only if no name closer to qname exists, i.e.
  // the closest encloser the NSEC proves is the one the RRSIG Labels field names.
  const Name ce = nsec_closest_encloser(*q.nsec, qname);
  const auto proof = [&] { return describe(*q.nsec) + " covers " + qname.to_string(); };
  if (!(ce == wildcard_closest_encloser)) {
    return not_proven(proof() + " but leaves " + ce.to_string() +
                      " as closest encloser, not the wildcard's " +
                      wildcard_closest_encloser.to_string());
  }
  return proven(DenialKind::WildcardAnswerOk, ce, wording, proof);
}

}  // namespace dnsp::resolver
