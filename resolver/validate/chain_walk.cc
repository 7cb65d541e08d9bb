// Validation's walk down the chain of trust (RFC 4035 §5.2): the keys of a zone, from the
// closest trust anchor or cached key entry down through DS (signed by the parent) and DNSKEY
// (matching a DS, signed by such a key), or the parent's proof that a delegation has no DS.
// A key entry is Secure (the zone's keys), Insecure or Bogus; most are cached (remember).
#include <algorithm>

#include "resolver/validate/validation.h"
#include "resolver/validate/validation_parts.h"

namespace dnsp::resolver {
namespace {

// The parent's proof that a delegation has no DS, as Validation::prove_denial runs proofs.
DenialProof no_ds(const DenialRecords& records, const Name& delegation, RRType /*DS*/,
                  Nsec3Limits limits) {
  return prove_no_ds(records, delegation, limits);
}

}  // namespace

// RFC 4035 §5.2: the DNSKEY RRset of `zone`, authenticated from the anchor or from the DS
// RRset in the parent, which is itself verified with the parent's keys.
Validation::OrNeed<Validation::Entry> Validation::find_key(const Name& zone, int depth) {
  if (depth > static_cast<int>(limits_.max_chain_depth)) {
    return uncached_entry(
        Security::Bogus, Reason::TooMuchWork, zone,
        "the chain of trust is deeper than " + std::to_string(limits_.max_chain_depth) + " zones");
  }
  if (auto e = keys_.find(zone, now_)) {
    note_cached(*e);
    return e;
  }
  const TrustAnchor* anchor = anchors_.closest_enclosing(zone);
  // An insecure delegation above the closest trust anchor says nothing about the island of
  // trust below it (RFC 4035 §4.3: a configured anchor starts a chain of its own).
  if (auto e = keys_.find_insecure_ancestor(zone, now_);
      e && (anchor == nullptr || e->zone.is_subdomain_of(anchor->zone))) {
    note_cached(*e);
    return e;
  }
  if (anchor == nullptr) {
    return uncached_entry(Security::Insecure, Reason::NoTrustAnchor, zone,
                          "no trust anchor covers " + zone.to_string());
  }
  if (anchor->zone == zone) return key_from_anchor(zone, *anchor);
  const Fetched* f = fetched(zone, RRType::DS);
  if (f == nullptr) return NeedRecords{zone, RRType::DS};
  return key_from_ds_reply(zone, *f, depth);
}

// The DNSKEY RRset of a trust anchor's zone, authenticated by the anchor's DS or DNSKEY
// records.
Validation::OrNeed<Validation::Entry> Validation::key_from_anchor(const Name& zone,
                                                                  const TrustAnchor& anchor) {
  const Fetched* f = fetched(zone, RRType::DNSKEY);
  if (f == nullptr) return NeedRecords{zone, RRType::DNSKEY};
  const RRset* dnskeys =
      f->ok ? find_rrset(f->rrsets, zone, RRType::DNSKEY, Section::Answer) : nullptr;
  ZoneTrace& z = evidence_.zone(zone);
  z.ds_source = DsSource::TrustAnchor;
  z.ds_rdatas = anchor.ds_rdatas;
  z.anchor_dnskeys = anchor.dnskey_rdatas;
  if (dnskeys != nullptr) z.dnskeys = unchecked_evidence(*dnskeys, zone);
  if (dnskeys != nullptr && dnskeys->rrsigs.empty()) {
    z.dnskeys->security = Security::Bogus;
    z.dnskeys->reason = Reason::UpstreamStripsDnssec;
    return remember_keyless(
        zone, verdict(Security::Bogus, Reason::UpstreamStripsDnssec, zone,
                      "the upstream returned the DNSKEY RRset of " + zone.to_string() +
                          " without RRSIGs: it strips DNSSEC records"));
  }
  auto check = validate_dnskeys(zone, dnskeys, anchor.ds_rdatas, anchor.dnskey_rdatas, now_,
                                budget_, limits_);
  note([&] {
    return "trust anchor " + zone.to_string() + ": DNSKEY " +
           std::string(to_string(check.security));
  });
  note_dnskey_check(evidence_.zone(zone), check);
  const uint32_t ttl = check.ttl;
  KeyEntry e{zone,
             check.security,
             verdict(check.security, check.reason, zone, check.detail),
             std::move(check.keys),
             anchor.ds_rdatas,
             0};
  return remember(std::move(e), check.valid_until, ttl);
}

// The keys of `zone` from the reply `f` to its DS query: a signed DS RRset, or the parent's
// proof that there is none.
Validation::OrNeed<Validation::Entry> Validation::key_from_ds_reply(const Name& zone,
                                                                    const Fetched& f, int depth) {
  if (!f.ok) {
    return uncached_entry(Security::Bogus, Reason::DnskeyMissing, zone,
                          "no usable reply to the DS query for " + zone.to_string());
  }
  const RRset* ds = find_rrset(f.rrsets, zone, RRType::DS, Section::Answer);
  if (ds != nullptr && !ds->rrsigs.empty()) return key_from_signed_ds(zone, *ds, depth);
  return key_without_ds(zone, f, ds, depth);
}

// A signed DS RRset: verified with the parent's keys, it names the keys of `zone`.
Validation::OrNeed<Validation::Entry> Validation::key_from_signed_ds(const Name& zone,
                                                                     const RRset& ds, int depth) {
  auto signer = signer_of(ds);
  // RFC 4035 §5.3.1: the DS RRset is signed by the parent zone, a proper ancestor.
  if (!signer || zone == *signer || !zone.is_subdomain_of(*signer)) {
    return remember_keyless(
        zone, verdict(Security::Bogus, Reason::BadSigner, zone,
                      "the DS RRset of " + zone.to_string() + " is not signed by its parent zone"));
  }
  auto parent = find_key(*signer, depth + 1);
  if (auto* need = std::get_if<NeedRecords>(&parent)) return *need;
  const Entry& pe = std::get<Entry>(parent);
  if (pe->security != Security::Secure) return pe;
  auto ds_check = verify_rrset(ds, *signer, pe->keys, now_, budget_, limits_);
  note([&] {
    return "DS " + zone.to_string() + " signed by " + signer->to_string() + ": " +
           std::string(to_string(ds_check.security));
  });
  ZoneTrace& z = evidence_.zone(zone);
  z.ds_source = DsSource::Parent;
  z.ds_rdatas = ds.rdatas;
  z.ds = checked_evidence(ds, *signer, ds_check);
  if (ds_check.security != Security::Secure) {
    return remember_keyless(zone,
                            verdict(Security::Bogus, ds_check.reason, *signer, ds_check.detail));
  }
  return key_from_validated_ds(zone, ds, ds_check);
}

// The DNSKEY RRset of `zone`, authenticated from its validated DS RRset.
Validation::OrNeed<Validation::Entry> Validation::key_from_validated_ds(
    const Name& zone, const RRset& ds, const RrsetCheck& ds_check) {
  // RFC 4035 §5.2, RFC 6840 §5.2: a validated DS RRset naming only algorithms (or digest
  // types) we do not implement makes the zone insecure from the DS RRset alone. Its DNSKEY
  // RRset is not asked for: nobody can sign it in an algorithm that exists nowhere.
  if (auto insecure = insecure_by_ds(ds.rdatas)) {
    note_dnskey_check(evidence_.zone(zone), *insecure);
    KeyEntry e{zone,
               Security::Insecure,
               verdict(Security::Insecure, insecure->reason, zone, insecure->detail),
               {},
               ds.rdatas,
               0};
    return remember(std::move(e), ds_check.valid_until, std::min(ds.ttl, ds_check.original_ttl));
  }
  const Fetched* kf = fetched(zone, RRType::DNSKEY);
  if (kf == nullptr) return NeedRecords{zone, RRType::DNSKEY};
  const RRset* dnskeys =
      kf->ok ? find_rrset(kf->rrsets, zone, RRType::DNSKEY, Section::Answer) : nullptr;
  if (dnskeys != nullptr) evidence_.zone(zone).dnskeys = unchecked_evidence(*dnskeys, zone);
  if (dnskeys != nullptr && dnskeys->rrsigs.empty() && !has_any_rrsig(kf->rrsets)) {
    evidence_.zone(zone).dnskeys->security = Security::Bogus;
    evidence_.zone(zone).dnskeys->reason = Reason::RrsigsMissing;
    return remember_keyless(
        zone, verdict(Security::Bogus, Reason::RrsigsMissing, zone,
                      "the DNSKEY RRset of " + zone.to_string() + " came back without RRSIGs"));
  }
  auto check = validate_dnskeys(zone, dnskeys, ds.rdatas, {}, now_, budget_, limits_);
  note_dnskey_check(evidence_.zone(zone), check);
  // RFC 4035 §5.3.3: the entry lives no longer than the DS and DNSKEY RRsets may.
  const uint32_t ttl = check.security == Security::Secure
                           ? std::min({check.ttl, ds.ttl, ds_check.original_ttl})
                           : std::min(ds.ttl, ds_check.original_ttl);
  KeyEntry e{zone,
             check.security,
             verdict(check.security, check.reason, zone, check.detail),
             std::move(check.keys),
             ds.rdatas,
             0};
  return remember(std::move(e), std::min(check.valid_until, ds_check.valid_until), ttl);
}

// No signed DS RRset in the reply `f`: the parent must prove there is none (RFC 4035 §5.2).
Validation::OrNeed<Validation::Entry> Validation::key_without_ds(const Name& zone, const Fetched& f,
                                                                 const RRset* unsigned_ds,
                                                                 int depth) {
  const auto authority = section_rrsets(f.rrsets, Section::Authority);
  const std::optional<Name> parent_zone = denial_signer(authority);
  if (!parent_zone || zone == *parent_zone || !zone.is_subdomain_of(*parent_zone)) {
    return unsigned_ds_reply(zone, unsigned_ds, depth);
  }
  auto parent = find_key(*parent_zone, depth + 1);
  if (auto* need = std::get_if<NeedRecords>(&parent)) return *need;
  const Entry& pe = std::get<Entry>(parent);
  if (pe->security != Security::Secure) return pe;
  Denial denial =
      prove_denial(authority, *pe, zone, RRType::DS, Vouch::No, DenialPurpose::NoDs, &no_ds);
  evidence_.zone(zone).no_ds = denial.trace;
  return key_from_no_ds_proof(zone, *parent_zone, denial);
}

// Nothing signed came back for the DS query of `zone`: Bogus if the parent is signed.
Validation::OrNeed<Validation::Entry> Validation::unsigned_ds_reply(const Name& zone,
                                                                    const RRset* unsigned_ds,
                                                                    int depth) {
  if (zone.is_root()) {
    return uncached_entry(Security::Bogus, Reason::RrsigsMissing, zone,
                          "unsigned reply for root DS");
  }
  auto pz = find_zone(zone.parent(), depth + 1);
  if (auto* need = std::get_if<NeedRecords>(&pz)) return *need;
  const Entry& pe = std::get<Entry>(pz);
  if (pe->security != Security::Secure) return pe;
  if (unsigned_ds != nullptr) {
    ZoneTrace& z = evidence_.zone(zone);
    z.ds_source = DsSource::Parent;
    z.ds_rdatas = unsigned_ds->rdatas;
    z.ds = judged_evidence(*unsigned_ds, pe->zone,
                           verdict(Security::Bogus, Reason::RrsigsMissing, pe->zone, "no RRSIG"));
    return remember_keyless(
        zone, verdict(Security::Bogus, Reason::RrsigsMissing, pe->zone,
                      "the DS RRset of " + zone.to_string() + " came back without RRSIGs"));
  }
  return remember_keyless(zone, verdict(Security::Bogus, Reason::NsecMissing, pe->zone,
                                        "no signed proof that " + zone.to_string() + " has no DS"));
}

// What the parent's denial for the DS query of `zone` makes of it.
Validation::Entry Validation::key_from_no_ds_proof(const Name& zone, const Name& parent_zone,
                                                   const Denial& denial) {
  const DenialProof& proof = denial.proof;
  // An insecure delegation is known for as long as the proof's records may be kept.
  const uint32_t ttl = denial.evidence.ttl;
  const int64_t until = denial.evidence.valid_until;
  switch (proof.denied) {
    case Denied::Proven:
      return remember_keyless(
          zone,
          verdict(Security::Insecure, Reason::UnsignedDelegation, zone,
                  zone.to_string() + " is unsigned: " + parent_zone.to_string() +
                      " proves there is no DS (" + proof.found.detail + ")"),
          until, ttl);
    case Denied::OptOut:
      return remember_keyless(zone,
                              verdict(Security::Insecure, Reason::OptOutDelegation, zone,
                                      zone.to_string() + " lies in an NSEC3 opt-out span of " +
                                          parent_zone.to_string()),
                              until, ttl);
    case Denied::IterationsTooHigh:
      return remember_keyless(zone,
                              verdict(Security::Insecure, Reason::Nsec3IterationsTooHigh,
                                      parent_zone, proof.found.detail),
                              until, ttl);
    case Denied::NotACut:
    case Denied::NoName:
      // Not a delegation: the name belongs to the parent's zone. The caller asked for
      // keys of a zone that does not exist (a signer name that is no zone apex).
      return uncached_entry(Security::Bogus, Reason::BadSigner, zone,
                            zone.to_string() + " is not a zone: " + proof.found.detail);
    case Denied::NotProven:
      break;
  }
  if (auto failure = denial_failure(denial)) return remember_keyless(zone, std::move(*failure));
  return remember_keyless(zone, verdict(Security::Bogus, Reason::DenialNotProven, parent_zone,
                                        "the reply to DS " + zone.to_string() +
                                            " neither holds a DS nor proves there is none" +
                                            in_parentheses(proof.found.detail)));
}

// The key entry of the zone that holds `name`, found by walking DS queries down from the
// closest secure ancestor (for unsigned data, whose signer we cannot read off an RRSIG).
Validation::OrNeed<Validation::Entry> Validation::find_zone(const Name& name, int depth) {
  if (depth > static_cast<int>(limits_.max_chain_depth)) {
    return uncached_entry(Security::Bogus, Reason::TooMuchWork, name, "zone walk too deep");
  }
  const TrustAnchor* anchor = anchors_.closest_enclosing(name);
  // As in find_key: an insecure ancestor counts only at or below the closest anchor.
  if (auto e = keys_.find_insecure_ancestor(name, now_);
      e && (anchor == nullptr || e->zone.is_subdomain_of(anchor->zone))) {
    return e;
  }
  if (anchor == nullptr) {
    return uncached_entry(Security::Insecure, Reason::NoTrustAnchor, name,
                          "no trust anchor covers " + name.to_string());
  }
  Name zone = anchor->zone;
  if (auto e = keys_.find_secure_ancestor(name, now_); e && e->zone.is_subdomain_of(zone)) {
    zone = e->zone;
  }
  auto start = find_key(zone, depth + 1);
  if (auto* need = std::get_if<NeedRecords>(&start)) return *need;
  Entry current = std::get<Entry>(start);
  Name probe = zone;
  while (current->security == Security::Secure && !(probe == name)) {
    probe = name.suffix(probe.label_count() + 1);
    auto step = probe_for_cut(probe, zone, current, depth);
    if (auto* need = std::get_if<NeedRecords>(&step)) return *need;
    Probe& found = std::get<Probe>(step);
    switch (found.then) {
      case Probe::Then::Descend:
        current = std::move(found.entry);
        zone = probe;
        break;
      case Probe::Then::NoCut:
        break;
      case Probe::Then::Stop:
        return std::move(found.entry);
    }
  }
  return current;
}

// Is `probe`, a name just below `zone` (whose keys are the Secure `current`), a zone cut?
// Asks its DS RRset: present, a delegation with keys; denied, an insecure delegation or a
// name of `zone`.
Validation::OrNeed<Validation::Probe> Validation::probe_for_cut(const Name& probe, const Name& zone,
                                                                const Entry& current, int depth) {
  if (auto e = keys_.find(probe, now_)) {
    if (e->security == Security::Bogus) bogus_key_zones_.push_back(e->zone);
    return Probe{Probe::Then::Descend, e};
  }
  const Fetched* f = fetched(probe, RRType::DS);
  if (f == nullptr) return NeedRecords{probe, RRType::DS};
  if (!f->ok) {
    return Probe{Probe::Then::Stop,
                 uncached_entry(Security::Bogus, Reason::DnskeyMissing, probe,
                                "no usable reply to the DS query for " + probe.to_string())};
  }
  if (find_rrset(f->rrsets, probe, RRType::DS, Section::Answer) != nullptr) {
    // A delegation with DS: its keys become the current zone's.
    auto child = key_from_ds_reply(probe, *f, depth + 1);
    if (auto* need = std::get_if<NeedRecords>(&child)) return *need;
    return Probe{Probe::Then::Descend, std::get<Entry>(child)};
  }
  const auto authority = section_rrsets(f->rrsets, Section::Authority);
  if (!has_any_rrsig(authority)) {
    return Probe{Probe::Then::Stop,
                 remember_keyless(probe, verdict(Security::Bogus, Reason::NsecMissing, zone,
                                                 "the reply to DS " + probe.to_string() +
                                                     " carries no signed denial although " +
                                                     zone.to_string() + " is signed"))};
  }
  Denial denial =
      prove_denial(authority, *current, probe, RRType::DS, Vouch::No, DenialPurpose::NoDs, &no_ds);
  switch (denial.proof.denied) {
    case Denied::Proven:
    case Denied::OptOut:
    case Denied::IterationsTooHigh: {
      // An insecure delegation: key_from_ds_reply makes its entry from the same reply.
      auto child = key_from_ds_reply(probe, *f, depth + 1);
      if (auto* need = std::get_if<NeedRecords>(&child)) return *need;
      return Probe{Probe::Then::Stop, std::get<Entry>(child)};
    }
    case Denied::NotACut:
      return Probe{Probe::Then::NoCut, nullptr};  // an ordinary name or empty non-terminal
    case Denied::NoName:
      return Probe{Probe::Then::Stop, current};  // nothing exists below: the name is in `zone`
    case Denied::NotProven:
      break;
  }
  evidence_.zone(probe).no_ds = denial.trace;
  if (auto failure = denial_failure(denial)) {
    return Probe{Probe::Then::Stop, remember_keyless(probe, std::move(*failure))};
  }
  return Probe{Probe::Then::Stop,
               remember_keyless(probe, verdict(Security::Bogus, Reason::DenialNotProven, zone,
                                               "the reply to DS " + probe.to_string() +
                                                   " does not prove whether it is a delegation" +
                                                   in_parentheses(denial.proof.found.detail)))};
}

}  // namespace dnsp::resolver
