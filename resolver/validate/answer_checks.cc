// Validation's checks of the answer itself: each RRset signed by a zone whose keys are
// trusted, or provably in an insecure zone (RFC 4035 §5.3); wildcard expansions with proof
// that the exact name does not exist (§5.3.4); negative answers with their NSEC/NSEC3 proof
// (§5.4), through the proofs of denial_proofs.h.
#include <algorithm>

#include "resolver/validate/validation.h"
#include "resolver/validate/validation_parts.h"

namespace dnsp::resolver {

Validation::OrNeed<Verdict> Validation::check_rrset(const RRset& rrset,
                                                    const std::vector<RRset>& authority) {
  // The RRset as evidence with the verdict of its own check...
  const auto as_evidence = [&](const Name& zone, const Verdict& v) {
    evidence_.set_answer(judged_evidence(rrset, zone, v));
    return v;
  };
  // ... or with its zone's: insecure, or not checked (Indeterminate) when the keys are bogus.
  const auto zone_evidence = [&](const KeyEntry& e) {
    CheckedRrset c = judged_evidence(rrset, e.zone, e.verdict);
    if (c.security == Security::Bogus) c.security = Security::Indeterminate;
    evidence_.set_answer(std::move(c));
    return e.verdict;
  };
  if (rrset.rrsigs.empty()) {
    auto z = find_zone(rrset.owner, 0);
    if (auto* need = std::get_if<NeedRecords>(&z)) return *need;
    const Entry& ze = std::get<Entry>(z);
    if (ze->security != Security::Secure) return zone_evidence(*ze);
    return as_evidence(
        ze->zone, verdict(Security::Bogus, Reason::RrsigsMissing, ze->zone,
                          "no RRSIG over " + rrset.owner.to_string() + " " + to_string(rrset.type) +
                              " although " + ze->zone.to_string() + " is signed"));
  }
  auto signer = signer_of(rrset);
  if (!signer || !rrset.owner.is_subdomain_of(*signer)) {
    // RFC 4035 §5.3.1: an RRSIG whose signer is not the zone holding the RRset signs
    // nothing here, so the RRset is as good as unsigned (Unbound likewise): insecure in an
    // insecure zone (an RRSIG moved in from elsewhere), bogus in a signed one.
    auto z = find_zone(rrset.owner, 0);
    if (auto* need = std::get_if<NeedRecords>(&z)) return *need;
    const Entry& ze = std::get<Entry>(z);
    if (ze->security != Security::Secure) return zone_evidence(*ze);
    return as_evidence(rrset.owner, verdict(Security::Bogus, Reason::BadSigner, rrset.owner,
                                            "the RRSIG over " + rrset.owner.to_string() + " " +
                                                to_string(rrset.type) +
                                                " names a signer that is not an ancestor"));
  }
  if (auto v = signer_above_anchor(anchors_, rrset.owner, *signer)) return as_evidence(*signer, *v);
  auto k = find_key(*signer, 0);
  if (auto* need = std::get_if<NeedRecords>(&k)) return *need;
  const Entry& ke = std::get<Entry>(k);
  if (ke->security != Security::Secure) return zone_evidence(*ke);
  auto check = verify_rrset(rrset, *signer, ke->keys, now_, budget_, limits_);
  note([&] {
    return "RRset " + rrset.owner.to_string() + " " + to_string(rrset.type) + " by " +
           signer->to_string() + ": " + std::string(to_string(check.security));
  });
  evidence_.set_answer(checked_evidence(rrset, *signer, check));
  if (check.security != Security::Secure) {
    return verdict(Security::Bogus, check.reason, *signer, check.detail);
  }
  valid_until_ = earliest(valid_until_, check.valid_until);
  vouch(rrset, check);
  // RFC 4035 §5.3.4: an RRset expanded from a wildcard (RRSIG labels fewer than the
  // owner's) is secure only with proof that the exact name does not exist. RFC 4034
  // §3.1.3: the labels field does not count a leading "*", so an RRset owned by the
  // wildcard itself (a direct question for "*.zone") has one label more than it says.
  const size_t owner_labels = rrset.owner.label_count() - (rrset.owner.is_wildcard() ? 1 : 0);
  if (check.labels < owner_labels) {
    return check_wildcard_answer(rrset, *signer, ke->keys, check.labels, authority);
  }
  return verdict(Security::Secure, Reason::None, *signer, "");
}

// RFC 4035 §5.3.4, RFC 5155 §8.8: `rrset`, verified with the `keys` of `signer` by an RRSIG
// whose Labels field is `rrsig_labels`, was expanded from the wildcard at its ancestor with
// that many labels; the NSEC/NSEC3 records in `authority` must prove the exact name absent.
Verdict Validation::check_wildcard_answer(const RRset& rrset, const Name& signer,
                                          const std::vector<ZoneKey>& keys, uint8_t rrsig_labels,
                                          const std::vector<RRset>& authority) {
  const Name closest_encloser = rrset.owner.suffix(rrsig_labels);
  DenialEvidence ev = verify_denial(authority, signer, keys, Vouch::ForReply);
  const DenialProof proof =
      prove_wildcard(ev.records, rrset.owner, closest_encloser, nsec3_limits());
  note([&] { return "wildcard proof for " + rrset.owner.to_string() + ": " + proof.found.detail; });
  evidence_.set_denial(DenialTrace{DenialPurpose::WildcardAnswer, rrset.owner, rrset.type, signer,
                                   proof.found.kind, proof.found.detail, std::move(ev.checked)});
  if (proof.out_of_hashes) {
    // CVE-2023-50868: the proof ran out of hash budget.
    return verdict(Security::Bogus, Reason::TooMuchWork, signer, proof.found.detail);
  }
  switch (proof.denied) {
    case Denied::Proven:
      return verdict(Security::Secure, Reason::None, signer, "");
    case Denied::OptOut:
      return verdict(Security::Insecure, Reason::OptOutDelegation, signer,
                     "wildcard answer under an NSEC3 opt-out span");
    case Denied::IterationsTooHigh:
      return verdict(Security::Insecure, Reason::Nsec3IterationsTooHigh, signer,
                     proof.found.detail);
    case Denied::NotACut:
    case Denied::NoName:
    case Denied::NotProven:
      break;
  }
  const bool none = ev.records.nsecs.empty() && ev.records.nsec3s.empty();
  return verdict(Security::Bogus, none ? Reason::NsecMissing : Reason::DenialNotProven, signer,
                 "the answer for " + rrset.owner.to_string() +
                     " was expanded from a wildcard without proof that the name does not exist");
}

// A negative answer (RFC 4035 §5.4): NXDOMAIN or NODATA for `name`/`type`.
Validation::OrNeed<Verdict> Validation::check_denial(const Name& name, RRType type, RCode rcode,
                                                     const std::vector<RRset>& authority) {
  const std::optional<Name> signer = denial_signer(authority);
  if (!signer) return unsigned_denial(name, type, rcode);
  if (!name.is_subdomain_of(*signer)) {
    return verdict(Security::Bogus, Reason::BadSigner, name,
                   "the denial for " + name.to_string() + " is signed by " + signer->to_string() +
                       ", which is not an ancestor");
  }
  if (auto v = signer_above_anchor(anchors_, name, *signer)) return *v;
  auto k = find_key(*signer, 0);
  if (auto* need = std::get_if<NeedRecords>(&k)) return *need;
  const Entry& ke = std::get<Entry>(k);
  if (ke->security != Security::Secure) return ke->verdict;
  if (const RRset* soa = find_rrset(authority, *signer, RRType::SOA, Section::Authority)) {
    auto c = verify_rrset(*soa, *signer, ke->keys, now_, budget_, limits_);
    if (c.security != Security::Secure) {
      return verdict(Security::Bogus, c.reason, *signer, c.detail);
    }
    vouch(*soa, c);
  }
  const bool nxdomain = rcode == RCode::NXDomain;
  Denial denial =
      prove_denial(authority, *ke, name, type, Vouch::ForReply, DenialPurpose::NegativeAnswer,
                   nxdomain ? &prove_name_error : &prove_nodata);
  const DenialProof& proof = denial.proof;
  evidence_.set_denial(std::move(denial.trace));
  switch (proof.denied) {
    case Denied::Proven:
      return verdict(Security::Secure, Reason::None, *signer, "");
    case Denied::OptOut:
      return verdict(Security::Insecure, Reason::OptOutDelegation, *signer,
                     name.to_string() + " is covered by an NSEC3 opt-out span");
    case Denied::IterationsTooHigh:
      return verdict(Security::Insecure, Reason::Nsec3IterationsTooHigh, *signer,
                     proof.found.detail);
    case Denied::NotACut:
    case Denied::NoName:
    case Denied::NotProven:
      break;
  }
  if (auto failure = denial_failure(denial)) return *failure;
  const bool any = std::any_of(authority.begin(), authority.end(), [](const RRset& r) {
    return r.type == RRType::NSEC || r.type == RRType::NSEC3;
  });
  return verdict(
      Security::Bogus, any ? Reason::DenialNotProven : Reason::NsecMissing, *signer,
      std::string(nxdomain ? "NXDOMAIN" : "NODATA") + " for " + name.to_string() + " " +
          to_string(type) +
          (any ? " is not proven by the NSEC/NSEC3 records" : " comes without NSEC/NSEC3") +
          in_parentheses(proof.found.detail));
}

// A negative answer with nothing signed in it: Bogus when the zone of `name` is signed, else
// the zone's own verdict (Insecure, or the Bogus of its keys).
Validation::OrNeed<Verdict> Validation::unsigned_denial(const Name& name, RRType type,
                                                        RCode rcode) {
  auto z = find_zone(name, 0);
  if (auto* need = std::get_if<NeedRecords>(&z)) return *need;
  const Entry& ze = std::get<Entry>(z);
  if (ze->security != Security::Secure) return ze->verdict;
  DenialTrace none;
  none.qname = name;
  none.qtype = type;
  none.zone = ze->zone;
  none.detail = "no signed NSEC/NSEC3 records in the reply";
  evidence_.set_denial(std::move(none));
  return verdict(Security::Bogus, Reason::NsecMissing, ze->zone,
                 std::string(rcode == RCode::NXDomain ? "NXDOMAIN" : "NODATA") + " for " +
                     name.to_string() + " " + to_string(type) + " without signed proof, although " +
                     ze->zone.to_string() + " is signed");
}

Validation::DenialEvidence Validation::verify_denial(const std::vector<RRset>& rrsets,
                                                     const Name& zone,
                                                     const std::vector<ZoneKey>& keys,
                                                     Vouch vouch) {
  DenialEvidence ev;
  ev.records.zone = zone;
  for (const auto& r : rrsets) {
    if (r.type != RRType::NSEC && r.type != RRType::NSEC3) continue;
    auto check = verify_rrset(r, zone, keys, now_, budget_, limits_);
    ev.checked.push_back(checked_evidence(r, zone, check));
    if (check.security != Security::Secure) {
      // RFC 4035 §5.4: only authenticated NSEC/NSEC3 records prove anything.
      if (!ev.failure) {
        ev.failure = verdict(Security::Bogus, check.reason, zone, check.detail);
      }
      continue;
    }
    ev.ttl = std::min({ev.ttl, r.ttl, check.original_ttl});
    ev.valid_until = earliest(ev.valid_until, check.valid_until);
    if (vouch == Vouch::ForReply) this->vouch(r, check);
    for (const auto& rd : r.rdatas) {
      if (r.type == RRType::NSEC) {
        if (auto n = make_nsec_record(r.owner, rd)) ev.records.nsecs.push_back(std::move(*n));
      } else if (auto n = make_nsec3_record(r.owner, rd)) {
        ev.records.nsec3s.push_back(std::move(*n));
      }
    }
  }
  return ev;
}

Validation::Denial Validation::prove_denial(const std::vector<RRset>& authority,
                                            const KeyEntry& zone_keys, const Name& name,
                                            RRType type, Vouch vouch, DenialPurpose purpose,
                                            ProveFn prove) {
  Denial d;
  d.evidence = verify_denial(authority, zone_keys.zone, zone_keys.keys, vouch);
  valid_until_ = earliest(valid_until_, d.evidence.valid_until);
  d.proof = prove(d.evidence.records, name, type, nsec3_limits());
  note([&] {
    return "denial of " + name.to_string() + " " + to_string(type) + " in " +
           zone_keys.zone.to_string() + ": " + d.proof.found.detail;
  });
  d.trace = DenialTrace{purpose,
                        name,
                        type,
                        zone_keys.zone,
                        d.proof.found.kind,
                        d.proof.found.detail,
                        std::move(d.evidence.checked)};
  return d;
}

std::optional<Verdict> Validation::denial_failure(const Denial& denial) {
  if (denial.proof.out_of_hashes) {
    // CVE-2023-50868: the proof ran out of hash budget; that is too much work, not a gap.
    return verdict(Security::Bogus, Reason::TooMuchWork, denial.evidence.records.zone,
                   denial.proof.found.detail);
  }
  return denial.evidence.failure;
}

}  // namespace dnsp::resolver
