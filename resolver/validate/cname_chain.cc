// Validation's walk along the answer from the question name through CNAME and DNAME links
// (RFC 1034 §3.6.2, RFC 6672 §3): each link is validated in its own zone, and the reply's
// other parts must agree with what the links proved (RFC 2181 §10.1, RFC 6604 §2).
#include <algorithm>

#include "resolver/validate/validation.h"
#include "resolver/validate/validation_parts.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

// The name in the first RDATA of a CNAME or DNAME RRset; an error when there is none or it
// does not parse.
WireResult<Name> first_target(const RRset& rrset) {
  return parse_single_name(rrset.rdatas.empty() ? std::span<const uint8_t>{}
                                                : std::span<const uint8_t>(rrset.rdatas[0]));
}

}  // namespace

Validation::ChainEnd Validation::walk_chain(RCode rcode, const std::vector<RRset>& authority) {
  Name current = question_.name;
  // The names the chain has reached: one reached again is a loop, which no number of links
  // ends (a DNAME towards an ancestor with a CNAME back below it, RFC 6672 §3).
  std::vector<Name> visited;
  for (uint32_t link = 0; link <= limits_.max_cname_chain; ++link) {
    if (std::find(visited.begin(), visited.end(), current) != visited.end()) {
      join(verdict(Security::Bogus, Reason::TooMuchWork, current,
                   "CNAME/DNAME loop: the chain from " + question_.name.to_string() +
                       " comes back to " + current.to_string()));
      return ChainEnd::Answered;
    }
    visited.push_back(current);
    const RRset* exact = nullptr;
    const RRset* cname = nullptr;
    const RRset* dname = nullptr;
    for (const auto& r : answer_rrsets_) {
      if (r.section != Section::Answer) continue;
      if (r.owner == current && (r.type == question_.type || question_.type == RRType::ANY) &&
          r.type != RRType::RRSIG) {
        exact = &r;
      } else if (r.owner == current && r.type == RRType::CNAME) {
        cname = &r;
      } else if (r.type == RRType::DNAME && current.is_subdomain_of(r.owner) &&
                 !(current == r.owner)) {
        dname = &r;
      }
    }
    Link next{Link::End::Answered, {}};
    if (exact != nullptr) {
      next = answer_link(current, *exact, cname, rcode, authority);
    } else if (dname != nullptr) {
      next = dname_link(current, *dname, cname, authority);
    } else if (cname != nullptr && question_.type != RRType::CNAME) {
      next = cname_link(*cname, authority);
    } else {
      // No data for `current`: the rest of the answer is a denial (RFC 4035 §5.4).
      next = denial_link(current, rcode, authority);
    }
    switch (next.end) {
      case Link::End::Next:
        current = std::move(next.next);
        break;
      case Link::End::Answered:
        return ChainEnd::Answered;
      case Link::End::Pending:
        return ChainEnd::Pending;
      case Link::End::Broken:
        return ChainEnd::Unanswered;
    }
  }
  return ChainEnd::Unanswered;
}

Validation::Link Validation::answer_link(const Name& current, const RRset& exact,
                                         const RRset* cname, RCode rcode,
                                         const std::vector<RRset>& authority) {
  std::optional<Name> zone;
  for (const auto& r : answer_rrsets_) {  // ANY: every RRset at the name
    if (r.section != Section::Answer || !(r.owner == current) || r.type == RRType::RRSIG) {
      continue;
    }
    if (question_.type != RRType::ANY && &r != &exact) continue;
    auto step = check_rrset(r, authority);
    if (auto* n = std::get_if<NeedRecords>(&step)) {
      pending_ = *n;
      return {Link::End::Pending, {}};
    }
    Name z = join(std::get<Verdict>(std::move(step)));
    if (!zone) zone = std::move(z);
  }
  // RFC 2181 §10.1: a name with a CNAME has no other data; both at once means records were
  // added to a signed answer (the CNAME would lead clients elsewhere).
  if (cname != nullptr && question_.type != RRType::CNAME && question_.type != RRType::ANY) {
    inconsistent(*zone, "the reply holds both a CNAME and a " + to_string(question_.type) +
                            " RRset at " + current.to_string() + " (RFC 2181 §10.1)");
  }
  // RFC 1035 §4.1.1, RFC 6604 §2: NXDOMAIN says the last name of the chain does not exist,
  // which the validated RRset there contradicts.
  if (rcode == RCode::NXDomain) {
    inconsistent(*zone, "the reply says NXDOMAIN, yet " + current.to_string() + " " +
                            to_string(exact.type) + " is signed and exists");
  }
  return {Link::End::Answered, {}};
}

Validation::Link Validation::dname_link(const Name& current, const RRset& dname, const RRset* cname,
                                        const std::vector<RRset>& authority) {
  auto step = check_rrset(dname, authority);
  if (auto* n = std::get_if<NeedRecords>(&step)) {
    pending_ = *n;
    return {Link::End::Pending, {}};
  }
  const Name dname_zone = join(std::get<Verdict>(std::move(step)));
  auto target = first_target(dname);
  if (!target) {
    join(verdict(Security::Bogus, Reason::MalformedData, dname.owner, "malformed DNAME"));
    return {Link::End::Answered, {}};
  }
  // RFC 6672 §2.2: replace the DNAME owner suffix of the name with the target.
  auto substituted = current.substitute_suffix(dname.owner, *target);
  if (!substituted) return {Link::End::Answered, {}};
  const Name next = *substituted;
  // RFC 6672 §3.1, §5.3.3: the CNAME synthesised from a DNAME is unsigned and is accepted
  // only as exactly the substitution the validated DNAME gives, with at most the DNAME's TTL;
  // one that points elsewhere was forged.
  if (cname != nullptr) {
    auto cname_target = first_target(*cname);
    if (cname->rdatas.size() != 1 || !cname_target || !(*cname_target == next)) {
      inconsistent(dname_zone,
                   "the CNAME at " + current.to_string() + " points to " +
                       (cname_target ? cname_target->to_string() : std::string("nothing")) +
                       ", not to " + next.to_string() + " as the DNAME at " +
                       dname.owner.to_string() + " synthesises (RFC 6672 §3.1)");
      return {Link::End::Answered, {}};
    }
    for (const ProvenRrset& p : proven_) {
      if (p.type == RRType::DNAME && p.owner == dname.owner) {
        proven_.push_back(ProvenRrset{Section::Answer, current, RRType::CNAME, p.max_ttl});
        break;
      }
    }
  }
  return {Link::End::Next, next};
}

Validation::Link Validation::cname_link(const RRset& cname, const std::vector<RRset>& authority) {
  auto step = check_rrset(cname, authority);
  if (auto* n = std::get_if<NeedRecords>(&step)) {
    pending_ = *n;
    return {Link::End::Pending, {}};
  }
  join(std::get<Verdict>(std::move(step)));
  auto target = first_target(cname);
  if (!target) return {Link::End::Broken, {}};
  return {Link::End::Next, *target};
}

Validation::Link Validation::denial_link(const Name& current, RCode rcode,
                                         const std::vector<RRset>& authority) {
  auto step = check_denial(current, question_.type, rcode, authority);
  if (auto* n = std::get_if<NeedRecords>(&step)) {
    pending_ = *n;
    return {Link::End::Pending, {}};
  }
  join(std::get<Verdict>(std::move(step)));
  return {Link::End::Answered, {}};
}

}  // namespace dnsp::resolver
