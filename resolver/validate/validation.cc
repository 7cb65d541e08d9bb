#include "resolver/validate/validation.h"

#include <algorithm>

#include "resolver/validate/nsec.h"
#include "resolver/validate/nsec3.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

std::string key_of(const Name& name) { return name.lowercased().to_string(); }

const RRset* find_rrset(const std::vector<RRset>& rrsets, const Name& owner, RRType type,
                        Section section) {
  for (const auto& r : rrsets) {
    if (r.section == section && r.type == type && r.owner == owner) return &r;
  }
  return nullptr;
}

// The signer an RRset is validated with: of its RRSIGs' signers that are the owner or an
// ancestor of it (RFC 4035 §5.3.1), the closest to the owner; else the first one named (which
// then fails as a bad signer). An RRSIG added by an attacker cannot pull the RRset into a
// zone above the one that really signs it.
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

Verdict verdict(Security s, Reason r, const Name& zone, std::string detail) {
  return Verdict{s, r, zone, std::move(detail)};
}

// `overall` becomes the worse of itself and `v` (Bogus < Indeterminate < Insecure <
// Secure); a tie keeps `overall`. Copies nothing when `v` is not worse.
void worsen(Verdict& overall, Verdict&& v) {
  if (v.security < overall.security) overall = std::move(v);
}

// RFC 4035 §4.3/§5: data at or below a trust anchor is validated from that anchor down, so
// an RRSIG whose signer lies above the closest anchor enclosing the owner cannot vouch for it
// (nor make it insecure through an unsigned zone above an island of trust): Bogus.
std::optional<Verdict> signer_above_anchor(const TrustAnchors& anchors, const Name& owner,
                                           const Name& signer) {
  const TrustAnchor* anchor = anchors.closest_enclosing(owner);
  if (anchor == nullptr || signer.is_subdomain_of(anchor->zone)) return std::nullopt;
  return verdict(Security::Bogus, Reason::BadSigner, anchor->zone,
                 "the RRSIG over " + owner.to_string() + " names signer " + signer.to_string() +
                     ", above the trust anchor " + anchor->zone.to_string());
}

// An RRset as evidence, not yet checked.
CheckedRrset checked(const RRset& r, const Name& zone) {
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

CheckedRrset checked(const RRset& r, const Name& zone, const RrsetCheck& check) {
  CheckedRrset c = checked(r, zone);
  c.security = check.security;
  c.reason = check.reason;
  c.detail = check.detail;
  c.verified_by = check.security == Security::Secure ? check.key_tag : 0;
  return c;
}

CheckedRrset checked(const RRset& r, const Name& zone, const Verdict& v) {
  CheckedRrset c = checked(r, zone);
  c.security = v.security;
  c.reason = v.reason;
  c.detail = v.detail;
  return c;
}

// What authenticating a DNSKEY RRset found: which DS matched which key, which key signed.
void note_dnskey_check(ZoneTrace& z, const DnskeyCheck& check) {
  z.matches = check.matches;
  if (!z.dnskeys) return;
  z.dnskeys->security = check.security;
  z.dnskeys->reason = check.reason;
  z.dnskeys->detail = check.detail;
  z.dnskeys->verified_by = check.signed_by;
}

}  // namespace

Validation::Validation(const TrustAnchors& anchors, KeyCache& keys, const Limits& limits,
                       int64_t now)
    : anchors_(anchors), keys_(keys), limits_(limits), now_(now), budget_(limits) {}

void Validation::note(std::string line) { trace_.push_back(std::move(line)); }

void Validation::vouch(const RRset& rrset, const RrsetCheck& check) {
  proven_.push_back(ProvenRrset{rrset.section, rrset.owner, rrset.type,
                                ttl_cap(check.original_ttl, check.valid_until, now_)});
}

void Validation::note_cached(const KeyEntry& entry) {
  if (entry.security == Security::Bogus) bogus_key_zones_.push_back(entry.zone);
  if (evidence_.find_zone(entry.zone) != nullptr) return;
  ZoneTrace& z = evidence_.zone(entry.zone);
  z.ds_source = entry.ds_rdatas.empty() ? DsSource::None : DsSource::KeyCache;
  z.ds_rdatas = entry.ds_rdatas;
  if (!entry.keys.empty()) {
    CheckedRrset keys;
    keys.owner = entry.zone;
    keys.type = RRType::DNSKEY;
    keys.zone = entry.zone;
    keys.security = entry.security;
    for (const auto& k : entry.keys) keys.rdatas.push_back(k.rdata);
    z.dnskeys = std::move(keys);
  }
  z.verdict = entry.verdict;
}

Step Validation::start(const Question& question, const Message& answer) {
  question_ = question;
  answer_ = &answer;
  auto grouped = group_rrsets(answer);
  if (!grouped) {
    return Finished{verdict(Security::Bogus, Reason::MalformedData, question.name,
                            "the answer holds records that do not parse")};
  }
  answer_rrsets_ = std::move(*grouped);
  return run();
}

Step Validation::resume(std::optional<std::vector<uint8_t>> packet) {
  if (!pending_) return run();
  Fetched f;
  if (packet) {
    f.packet = std::move(*packet);
    auto msg = Message::parse(f.packet);
    if (msg) {
      auto grouped = group_rrsets(*msg);
      if (grouped) {
        f.rrsets = std::move(*grouped);
        f.message.emplace(std::move(*msg));
        f.ok = true;
      }
    }
  }
  note("fetched " + pending_->name.to_string() + " " + to_string(pending_->type) +
       (f.ok ? "" : " (no usable reply)"));
  fetched_[{key_of(pending_->name), to_u16(pending_->type)}] = std::move(f);
  pending_.reset();
  return run();
}

const Validation::Fetched* Validation::fetched(const Name& name, RRType type) const {
  auto it = fetched_.find({key_of(name), to_u16(type)});
  return it == fetched_.end() ? nullptr : &it->second;
}

Validation::Entry Validation::remember(KeyEntry entry, int64_t valid_until, uint32_t ttl) {
  // A key entry lives until its signatures expire, at most the TTL of the records it rests
  // on and max_key_ttl; a bogus one only bogus_ttl (RFC 9520 §3).
  int64_t until = now_ + std::min(limits_.max_key_ttl, ttl);
  if (entry.security == Security::Bogus) until = now_ + limits_.bogus_ttl;
  if (valid_until > now_) until = std::min(until, valid_until);
  entry.expires = until;
  if (entry.security == Security::Bogus) bogus_key_zones_.push_back(entry.zone);
  evidence_.zone(entry.zone).verdict = entry.verdict;
  note("key entry " + entry.zone.to_string() + ": " + std::string(to_string(entry.security)) +
       (entry.security == Security::Secure
            ? " (" + std::to_string(entry.keys.size()) + " zone keys)"
            : " (" + ede_text(entry.verdict) + ")"));
  auto p = std::make_shared<const KeyEntry>(std::move(entry));
  keys_.put(p, now_);
  return p;
}

Validation::Entry Validation::temporary(Security security, Reason reason, const Name& zone,
                                        std::string detail) {
  KeyEntry e;
  e.zone = zone;
  e.security = security;
  e.verdict = verdict(security, reason, zone, std::move(detail));
  evidence_.zone(zone).verdict = e.verdict;
  return std::make_shared<const KeyEntry>(std::move(e));
}

// RFC 4035 §5.2: the DNSKEY RRset of `zone`, authenticated from the anchor or from the DS
// RRset in the parent, which is itself verified with the parent's keys.
Validation::Eval<Validation::Entry> Validation::find_key(const Name& zone, int depth) {
  if (depth > static_cast<int>(limits_.max_chain_depth)) {
    return temporary(
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
    return temporary(Security::Insecure, Reason::NoTrustAnchor, zone,
                     "no trust anchor covers " + zone.to_string());
  }
  if (anchor->zone == zone) {
    const Fetched* f = fetched(zone, RRType::DNSKEY);
    if (f == nullptr) return NeedRecords{zone, RRType::DNSKEY};
    const RRset* dnskeys =
        f->ok ? find_rrset(f->rrsets, zone, RRType::DNSKEY, Section::Answer) : nullptr;
    {
      ZoneTrace& z = evidence_.zone(zone);
      z.ds_source = DsSource::TrustAnchor;
      z.ds_rdatas = anchor->ds_rdatas;
      z.anchor_dnskeys = anchor->dnskey_rdatas;
      if (dnskeys != nullptr) z.dnskeys = checked(*dnskeys, zone);
    }
    if (dnskeys != nullptr && dnskeys->rrsigs.empty()) {
      evidence_.zone(zone).dnskeys->security = Security::Bogus;
      evidence_.zone(zone).dnskeys->reason = Reason::UpstreamStripsDnssec;
      return remember(
          KeyEntry{zone,
                   Security::Bogus,
                   verdict(Security::Bogus, Reason::UpstreamStripsDnssec, zone,
                           "the upstream returned the DNSKEY RRset of " + zone.to_string() +
                               " without RRSIGs: it strips DNSSEC records"),
                   {},
                   {},
                   0},
          0);
    }
    auto check = validate_dnskeys(zone, dnskeys, anchor->ds_rdatas, anchor->dnskey_rdatas, now_,
                                  budget_, limits_);
    note("trust anchor " + zone.to_string() + ": DNSKEY " + std::string(to_string(check.security)));
    note_dnskey_check(evidence_.zone(zone), check);
    const uint32_t ttl = check.ttl;
    KeyEntry e{zone,
               check.security,
               verdict(check.security, check.reason, zone, check.detail),
               std::move(check.keys),
               anchor->ds_rdatas,
               0};
    return remember(std::move(e), check.valid_until, ttl);
  }
  const Fetched* f = fetched(zone, RRType::DS);
  if (f == nullptr) return NeedRecords{zone, RRType::DS};
  return key_from_ds_reply(zone, *f, depth);
}

Validation::Eval<Validation::Entry> Validation::key_from_ds_reply(const Name& zone,
                                                                  const Fetched& f, int depth) {
  if (!f.ok) {
    return temporary(Security::Bogus, Reason::DnskeyMissing, zone,
                     "no usable reply to the DS query for " + zone.to_string());
  }
  const RRset* ds = find_rrset(f.rrsets, zone, RRType::DS, Section::Answer);
  if (ds != nullptr && !ds->rrsigs.empty()) {
    auto signer = signer_of(*ds);
    // RFC 4035 §5.3.1: the DS RRset is signed by the parent zone, a proper ancestor.
    if (!signer || zone == *signer || !zone.is_subdomain_of(*signer)) {
      return remember(KeyEntry{zone,
                               Security::Bogus,
                               verdict(Security::Bogus, Reason::BadSigner, zone,
                                       "the DS RRset of " + zone.to_string() +
                                           " is not signed by its parent zone"),
                               {},
                               {},
                               0},
                      0);
    }
    auto parent = find_key(*signer, depth + 1);
    if (auto* need = std::get_if<NeedRecords>(&parent)) return *need;
    const Entry& pe = std::get<Entry>(parent);
    if (pe->security != Security::Secure) return pe;
    auto ds_check = verify_rrset(*ds, *signer, pe->keys, now_, budget_, limits_);
    note("DS " + zone.to_string() + " signed by " + signer->to_string() + ": " +
         std::string(to_string(ds_check.security)));
    {
      ZoneTrace& z = evidence_.zone(zone);
      z.ds_source = DsSource::Parent;
      z.ds_rdatas = ds->rdatas;
      z.ds = checked(*ds, *signer, ds_check);
    }
    if (ds_check.security != Security::Secure) {
      return remember(KeyEntry{zone,
                               Security::Bogus,
                               verdict(Security::Bogus, ds_check.reason, *signer, ds_check.detail),
                               {},
                               {},
                               0},
                      0);
    }
    // RFC 4035 §5.2, RFC 6840 §5.2: a validated DS RRset naming only algorithms (or digest
    // types) we do not implement makes the zone insecure from the DS RRset alone. Its DNSKEY
    // RRset is not asked for: nobody can sign it in an algorithm that exists nowhere.
    if (auto insecure = insecure_by_ds(ds->rdatas)) {
      note_dnskey_check(evidence_.zone(zone), *insecure);
      KeyEntry e{zone,
                 Security::Insecure,
                 verdict(Security::Insecure, insecure->reason, zone, insecure->detail),
                 {},
                 ds->rdatas,
                 0};
      return remember(std::move(e), ds_check.valid_until, std::min(ds->ttl, ds_check.original_ttl));
    }
    const Fetched* kf = fetched(zone, RRType::DNSKEY);
    if (kf == nullptr) return NeedRecords{zone, RRType::DNSKEY};
    const RRset* dnskeys =
        kf->ok ? find_rrset(kf->rrsets, zone, RRType::DNSKEY, Section::Answer) : nullptr;
    if (dnskeys != nullptr) evidence_.zone(zone).dnskeys = checked(*dnskeys, zone);
    if (dnskeys != nullptr && dnskeys->rrsigs.empty() && !has_any_rrsig(kf->rrsets)) {
      evidence_.zone(zone).dnskeys->security = Security::Bogus;
      evidence_.zone(zone).dnskeys->reason = Reason::RrsigsMissing;
      return remember(
          KeyEntry{zone,
                   Security::Bogus,
                   verdict(Security::Bogus, Reason::RrsigsMissing, zone,
                           "the DNSKEY RRset of " + zone.to_string() + " came back without RRSIGs"),
                   {},
                   {},
                   0},
          0);
    }
    auto check = validate_dnskeys(zone, dnskeys, ds->rdatas, {}, now_, budget_, limits_);
    note_dnskey_check(evidence_.zone(zone), check);
    // RFC 4035 §5.3.3: the entry lives no longer than the DS and DNSKEY RRsets may.
    const uint32_t ttl = check.security == Security::Secure
                             ? std::min({check.ttl, ds->ttl, ds_check.original_ttl})
                             : std::min(ds->ttl, ds_check.original_ttl);
    KeyEntry e{zone,
               check.security,
               verdict(check.security, check.reason, zone, check.detail),
               std::move(check.keys),
               ds->rdatas,
               0};
    return remember(std::move(e), std::min(check.valid_until, ds_check.valid_until), ttl);
  }
  // No signed DS RRset: the parent must prove there is none (RFC 4035 §5.2).
  const auto authority = section_rrsets(f.rrsets, Section::Authority);
  std::optional<Name> parent_zone;
  for (const auto& r : authority) {
    if ((r.type == RRType::SOA || r.type == RRType::NSEC || r.type == RRType::NSEC3) &&
        !r.rrsigs.empty()) {
      parent_zone = signer_of(r);
      if (parent_zone) break;
    }
  }
  if (!parent_zone || zone == *parent_zone || !zone.is_subdomain_of(*parent_zone)) {
    // Nothing signed came back: is the parent signed at all?
    if (zone.is_root()) {
      return temporary(Security::Bogus, Reason::RrsigsMissing, zone, "unsigned reply for root DS");
    }
    auto pz = find_zone(zone.parent(), depth + 1);
    if (auto* need = std::get_if<NeedRecords>(&pz)) return *need;
    const Entry& pe = std::get<Entry>(pz);
    if (pe->security != Security::Secure) return pe;
    if (ds != nullptr) {
      ZoneTrace& z = evidence_.zone(zone);
      z.ds_source = DsSource::Parent;
      z.ds_rdatas = ds->rdatas;
      z.ds = checked(*ds, pe->zone,
                     verdict(Security::Bogus, Reason::RrsigsMissing, pe->zone, "no RRSIG"));
    }
    return remember(
        KeyEntry{zone,
                 Security::Bogus,
                 verdict(Security::Bogus,
                         ds != nullptr ? Reason::RrsigsMissing : Reason::NsecMissing, pe->zone,
                         ds != nullptr
                             ? "the DS RRset of " + zone.to_string() + " came back without RRSIGs"
                             : "no signed proof that " + zone.to_string() + " has no DS"),
                 {},
                 {},
                 0},
        0);
  }
  auto parent = find_key(*parent_zone, depth + 1);
  if (auto* need = std::get_if<NeedRecords>(&parent)) return *need;
  const Entry& pe = std::get<Entry>(parent);
  if (pe->security != Security::Secure) return pe;
  Verdict failure;
  auto proof = prove(authority, *pe, zone, RRType::DS, failure, Vouch::No);
  last_denial_.purpose = DenialPurpose::NoDs;
  evidence_.zone(zone).no_ds = last_denial_;
  // An insecure delegation is known for as long as the proof's records may be kept.
  const uint32_t proof_ttl = last_proof_ttl_;
  const int64_t proof_until = last_proof_until_;
  switch (proof.kind) {
    case DenialKind::NoDs:
      return remember(
          KeyEntry{zone,
                   Security::Insecure,
                   verdict(Security::Insecure, Reason::UnsignedDelegation, zone,
                           zone.to_string() + " is unsigned: " + parent_zone->to_string() +
                               " proves there is no DS (" + proof.detail + ")"),
                   {},
                   {},
                   0},
          proof_until, proof_ttl);
    case DenialKind::OptOut:
      return remember(KeyEntry{zone,
                               Security::Insecure,
                               verdict(Security::Insecure, Reason::OptOutDelegation, zone,
                                       zone.to_string() + " lies in an NSEC3 opt-out span of " +
                                           parent_zone->to_string()),
                               {},
                               {},
                               0},
                      proof_until, proof_ttl);
    case DenialKind::UnsupportedIterations:
      return remember(KeyEntry{zone,
                               Security::Insecure,
                               verdict(Security::Insecure, Reason::Nsec3IterationsTooHigh,
                                       *parent_zone, proof.detail),
                               {},
                               {},
                               0},
                      proof_until, proof_ttl);
    case DenialKind::NotACut:
    case DenialKind::NoData:
    case DenialKind::NxDomain:
      // Not a delegation: the name belongs to the parent's zone. The caller asked for
      // keys of a zone that does not exist (a signer name that is no zone apex).
      return temporary(Security::Bogus, Reason::BadSigner, zone,
                       zone.to_string() + " is not a zone: " + proof.detail);
    default:
      if (failure.security == Security::Bogus) {
        return remember(KeyEntry{zone, Security::Bogus, failure, {}, {}, 0}, 0);
      }
      return remember(KeyEntry{zone,
                               Security::Bogus,
                               verdict(Security::Bogus, Reason::DenialNotProven, *parent_zone,
                                       "the reply to DS " + zone.to_string() +
                                           " neither holds a DS nor proves there is none" +
                                           (proof.detail.empty() ? "" : " (" + proof.detail + ")")),
                               {},
                               {},
                               0},
                      0);
  }
}

// The key entry of the zone that holds `name`, found by walking DS queries down from the
// closest secure ancestor (for unsigned data, whose signer we cannot read off an RRSIG).
Validation::Eval<Validation::Entry> Validation::find_zone(const Name& name, int depth) {
  if (depth > static_cast<int>(limits_.max_chain_depth)) {
    return temporary(Security::Bogus, Reason::TooMuchWork, name, "zone walk too deep");
  }
  const TrustAnchor* anchor = anchors_.closest_enclosing(name);
  // As in find_key: an insecure ancestor counts only at or below the closest anchor.
  if (auto e = keys_.find_insecure_ancestor(name, now_);
      e && (anchor == nullptr || e->zone.is_subdomain_of(anchor->zone))) {
    return e;
  }
  if (anchor == nullptr) {
    return temporary(Security::Insecure, Reason::NoTrustAnchor, name,
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
    if (auto e = keys_.find(probe, now_)) {
      if (e->security == Security::Bogus) bogus_key_zones_.push_back(e->zone);
      current = e;
      zone = probe;
      continue;
    }
    const Fetched* f = fetched(probe, RRType::DS);
    if (f == nullptr) return NeedRecords{probe, RRType::DS};
    if (!f->ok) {
      return temporary(Security::Bogus, Reason::DnskeyMissing, probe,
                       "no usable reply to the DS query for " + probe.to_string());
    }
    const RRset* ds = find_rrset(f->rrsets, probe, RRType::DS, Section::Answer);
    if (ds != nullptr) {
      // A delegation with DS: its keys become the current zone's.
      auto child = key_from_ds_reply(probe, *f, depth + 1);
      if (auto* need = std::get_if<NeedRecords>(&child)) return *need;
      current = std::get<Entry>(child);
      zone = probe;
      continue;
    }
    const auto authority = section_rrsets(f->rrsets, Section::Authority);
    if (!has_any_rrsig(authority)) {
      return remember(KeyEntry{probe,
                               Security::Bogus,
                               verdict(Security::Bogus, Reason::NsecMissing, zone,
                                       "the reply to DS " + probe.to_string() +
                                           " carries no signed denial although " +
                                           zone.to_string() + " is signed"),
                               {},
                               {},
                               0},
                      0);
    }
    Verdict failure;
    auto proof = prove(authority, *current, probe, RRType::DS, failure, Vouch::No);
    switch (proof.kind) {
      case DenialKind::NoDs:
      case DenialKind::OptOut:
      case DenialKind::UnsupportedIterations: {
        auto child = key_from_ds_reply(probe, *f, depth + 1);
        if (auto* need = std::get_if<NeedRecords>(&child)) return *need;
        return std::get<Entry>(child);
      }
      case DenialKind::NotACut:
      case DenialKind::NoData:
        continue;  // an ordinary name (or empty non-terminal) of `zone`: look deeper
      case DenialKind::NxDomain:
        return current;  // nothing exists below: the name would be in `zone`
      default:
        last_denial_.purpose = DenialPurpose::NoDs;
        evidence_.zone(probe).no_ds = last_denial_;
        return remember(
            KeyEntry{probe,
                     Security::Bogus,
                     failure.security == Security::Bogus
                         ? failure
                         : verdict(Security::Bogus, Reason::DenialNotProven, zone,
                                   "the reply to DS " + probe.to_string() +
                                       " does not prove whether it is a delegation" +
                                       (proof.detail.empty() ? "" : " (" + proof.detail + ")")),
                     {},
                     {},
                     0},
            0);
    }
  }
  return current;
}

DenialResult Validation::prove(const std::vector<RRset>& rrsets, const KeyEntry& zone_keys,
                               const Name& qname, RRType qtype, Verdict& failure, Vouch vouch) {
  last_proof_ttl_ = UINT32_MAX;
  last_proof_until_ = 0;
  std::vector<NsecRecord> nsecs;
  std::vector<Nsec3Record> nsec3s;
  DenialTrace seen;
  seen.qname = qname;
  seen.qtype = qtype;
  seen.zone = zone_keys.zone;
  for (const auto& r : rrsets) {
    if (r.type != RRType::NSEC && r.type != RRType::NSEC3) continue;
    auto check = verify_rrset(r, zone_keys.zone, zone_keys.keys, now_, budget_, limits_);
    seen.records.push_back(checked(r, zone_keys.zone, check));
    if (check.security != Security::Secure) {
      // RFC 4035 §5.4: only authenticated NSEC/NSEC3 records prove anything.
      if (failure.security != Security::Bogus) {
        failure = verdict(Security::Bogus, check.reason, zone_keys.zone, check.detail);
      }
      continue;
    }
    valid_until_ =
        valid_until_ == 0 ? check.valid_until : std::min(valid_until_, check.valid_until);
    last_proof_ttl_ = std::min({last_proof_ttl_, r.ttl, check.original_ttl});
    last_proof_until_ =
        last_proof_until_ == 0 ? check.valid_until : std::min(last_proof_until_, check.valid_until);
    if (vouch == Vouch::ForReply) this->vouch(r, check);
    for (const auto& rd : r.rdatas) {
      if (r.type == RRType::NSEC) {
        if (auto n = make_nsec_record(r.owner, rd)) nsecs.push_back(std::move(*n));
      } else {
        if (auto n = make_nsec3_record(r.owner, rd)) nsec3s.push_back(std::move(*n));
      }
    }
  }
  DenialResult result{DenialKind::NotProven, zone_keys.zone, ""};
  if (!nsecs.empty()) {
    result = prove_nsec(nsecs, qname, qtype, zone_keys.zone);
  } else if (!nsec3s.empty()) {
    Nsec3Limits nl;
    nl.max_iterations = limits_.max_nsec3_iterations;
    nl.max_hash_computations = limits_.max_nsec3_hashes;
    result = prove_nsec3(nsec3s, qname, qtype, zone_keys.zone, nl);
    if (result.kind == DenialKind::NotProven && nl.hashes_used >= nl.max_hash_computations) {
      // CVE-2023-50868: the proof ran out of hash budget; that is too much work, not a gap.
      failure = verdict(Security::Bogus, Reason::TooMuchWork, zone_keys.zone, result.detail);
    }
  }
  note("denial of " + qname.to_string() + " " + to_string(qtype) + " in " +
       zone_keys.zone.to_string() + ": " + result.detail);
  seen.kind = result.kind;
  seen.detail = result.detail;
  last_denial_ = std::move(seen);
  return result;
}

// One RRset of the answer (RFC 4035 §5.3): signed by a zone whose keys we trust, or
// provably in an insecure zone.
Validation::Eval<Verdict> Validation::check_rrset(const RRset& rrset,
                                                  const std::vector<RRset>& authority) {
  // The RRset as evidence with the verdict of its own check...
  const auto as_evidence = [&](const Name& zone, const Verdict& v) {
    evidence_.set_answer(checked(rrset, zone, v));
    return v;
  };
  // ... or with its zone's: insecure, or not checked (Indeterminate) when the keys are bogus.
  const auto zone_evidence = [&](const KeyEntry& e) {
    CheckedRrset c = checked(rrset, e.zone, e.verdict);
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
  note("RRset " + rrset.owner.to_string() + " " + to_string(rrset.type) + " by " +
       signer->to_string() + ": " + std::string(to_string(check.security)));
  evidence_.set_answer(checked(rrset, *signer, check));
  if (check.security != Security::Secure) {
    return verdict(Security::Bogus, check.reason, *signer, check.detail);
  }
  valid_until_ = valid_until_ == 0 ? check.valid_until : std::min(valid_until_, check.valid_until);
  vouch(rrset, check);
  // RFC 4035 §5.3.4: an RRset expanded from a wildcard (RRSIG labels fewer than the
  // owner's) is secure only with proof that the exact name does not exist. RFC 4034
  // §3.1.3: the labels field does not count a leading "*", so an RRset owned by the
  // wildcard itself (a direct question for "*.zone") has one label more than it says.
  const size_t owner_labels = rrset.owner.label_count() - (rrset.owner.is_wildcard() ? 1 : 0);
  if (check.labels < owner_labels) {
    const Name closest_encloser = rrset.owner.suffix(check.labels);
    std::vector<NsecRecord> nsecs;
    std::vector<Nsec3Record> nsec3s;
    Verdict failure;
    DenialTrace seen;
    seen.purpose = DenialPurpose::WildcardAnswer;
    seen.qname = rrset.owner;
    seen.qtype = rrset.type;
    seen.zone = *signer;
    for (const auto& r : authority) {
      if (r.type != RRType::NSEC && r.type != RRType::NSEC3) continue;
      auto c = verify_rrset(r, *signer, ke->keys, now_, budget_, limits_);
      seen.records.push_back(checked(r, *signer, c));
      if (c.security != Security::Secure) continue;
      vouch(r, c);
      for (const auto& rd : r.rdatas) {
        if (r.type == RRType::NSEC) {
          if (auto n = make_nsec_record(r.owner, rd)) nsecs.push_back(std::move(*n));
        } else if (auto n = make_nsec3_record(r.owner, rd)) {
          nsec3s.push_back(std::move(*n));
        }
      }
    }
    DenialResult proof{DenialKind::NotProven, *signer, ""};
    bool hash_budget_spent = false;
    if (!nsecs.empty()) {
      proof = prove_wildcard_answer_nsec(nsecs, rrset.owner, closest_encloser, *signer);
    } else if (!nsec3s.empty()) {
      Nsec3Limits nl;
      nl.max_iterations = limits_.max_nsec3_iterations;
      nl.max_hash_computations = limits_.max_nsec3_hashes;
      proof = prove_wildcard_answer_nsec3(nsec3s, rrset.owner, closest_encloser, *signer, nl);
      hash_budget_spent = nl.hashes_used >= nl.max_hash_computations;
    }
    note("wildcard proof for " + rrset.owner.to_string() + ": " + proof.detail);
    seen.kind = proof.kind;
    seen.detail = proof.detail;
    evidence_.set_denial(std::move(seen));
    if (proof.kind == DenialKind::NotProven && hash_budget_spent) {
      // CVE-2023-50868: the proof ran out of hash budget.
      return verdict(Security::Bogus, Reason::TooMuchWork, *signer, proof.detail);
    }
    switch (proof.kind) {
      case DenialKind::WildcardAnswerOk:
        break;
      case DenialKind::OptOut:
        return verdict(Security::Insecure, Reason::OptOutDelegation, *signer,
                       "wildcard answer under an NSEC3 opt-out span");
      case DenialKind::UnsupportedIterations:
        return verdict(Security::Insecure, Reason::Nsec3IterationsTooHigh, *signer, proof.detail);
      default:
        return verdict(
            Security::Bogus,
            nsecs.empty() && nsec3s.empty() ? Reason::NsecMissing : Reason::DenialNotProven,
            *signer,
            "the answer for " + rrset.owner.to_string() +
                " was expanded from a wildcard without proof that the name does "
                "not exist");
    }
  }
  return verdict(Security::Secure, Reason::None, *signer, "");
}

// A negative answer (RFC 4035 §5.4): NXDOMAIN or NODATA for `name`/`type`.
Validation::Eval<Verdict> Validation::check_denial(const Name& name, RRType type, RCode rcode,
                                                   const std::vector<RRset>& authority) {
  std::optional<Name> signer;
  for (const auto& r : authority) {
    if ((r.type == RRType::SOA || r.type == RRType::NSEC || r.type == RRType::NSEC3) &&
        !r.rrsigs.empty()) {
      signer = signer_of(r);
      if (signer) break;
    }
  }
  if (!signer) {
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
                       name.to_string() + " " + to_string(type) +
                       " without signed proof, although " + ze->zone.to_string() + " is signed");
  }
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
    if (c.security != Security::Secure)
      return verdict(Security::Bogus, c.reason, *signer, c.detail);
    vouch(*soa, c);
  }
  Verdict failure;
  auto proof = prove(authority, *ke, name, type, failure, Vouch::ForReply);
  last_denial_.purpose = DenialPurpose::NegativeAnswer;
  evidence_.set_denial(last_denial_);
  const bool nxdomain = rcode == RCode::NXDomain;
  switch (proof.kind) {
    case DenialKind::NxDomain:
      if (nxdomain) return verdict(Security::Secure, Reason::None, *signer, "");
      break;
    case DenialKind::NoData:
    case DenialKind::WildcardNoData:
    case DenialKind::NoDs:
    case DenialKind::NotACut:
      if (!nxdomain) return verdict(Security::Secure, Reason::None, *signer, "");
      break;
    case DenialKind::OptOut:
      return verdict(Security::Insecure, Reason::OptOutDelegation, *signer,
                     name.to_string() + " is covered by an NSEC3 opt-out span");
    case DenialKind::UnsupportedIterations:
      return verdict(Security::Insecure, Reason::Nsec3IterationsTooHigh, *signer, proof.detail);
    default:
      break;
  }
  if (failure.security == Security::Bogus) return failure;
  const bool any = std::any_of(authority.begin(), authority.end(), [](const RRset& r) {
    return r.type == RRType::NSEC || r.type == RRType::NSEC3;
  });
  return verdict(
      Security::Bogus, any ? Reason::DenialNotProven : Reason::NsecMissing, *signer,
      std::string(nxdomain ? "NXDOMAIN" : "NODATA") + " for " + name.to_string() + " " +
          to_string(type) +
          (any ? " is not proven by the NSEC/NSEC3 records" : " comes without NSEC/NSEC3") +
          (proof.detail.empty() ? "" : " (" + proof.detail + ")"));
}

Step Validation::run() {
  if (anchors_.empty()) {
    return Finished{verdict(Security::Insecure, Reason::NoTrustAnchor, Name::root(),
                            "no trust anchor is configured")};
  }
  if (fetched_.size() > limits_.max_fetches) {
    return Finished{
        verdict(Security::Bogus, Reason::TooMuchWork, question_.name,
                "gave up after " + std::to_string(fetched_.size()) + " DNSSEC sub-queries")};
  }
  const RCode rcode = answer_->rcode();
  if (rcode != RCode::NoError && rcode != RCode::NXDomain) {
    return Finished{verdict(Security::Indeterminate, Reason::None, question_.name,
                            "upstream answered " + to_string(rcode))};
  }
  const auto authority = section_rrsets(answer_rrsets_, Section::Authority);
  valid_until_ = 0;
  proven_.clear();
  Verdict overall = verdict(Security::Secure, Reason::None, question_.name, "");
  // A step's verdict joins `overall`; its zone is returned (the zone a later
  // inconsistency is reported in), or the record it still needs.
  auto need_or = [&](Eval<Verdict>&& e) -> Eval<Name> {
    if (auto* n = std::get_if<NeedRecords>(&e)) return *n;
    Verdict v = std::get<Verdict>(std::move(e));
    Name zone = v.zone;
    worsen(overall, std::move(v));
    return zone;
  };
  auto inconsistent = [&](const Name& zone, std::string detail) {
    worsen(overall, verdict(Security::Bogus, Reason::InconsistentAnswer, zone, std::move(detail)));
  };

  // Follow the answer from the question name through CNAME and DNAME links (RFC 1034
  // §3.6.2, RFC 6672 §3): each link is validated in its own zone.
  Name current = question_.name;
  bool answered = false;
  // The names the chain has reached: one reached again is a loop, which no number of links
  // ends (a DNAME towards an ancestor with a CNAME back below it, RFC 6672 §3).
  std::vector<Name> visited;
  for (uint32_t link = 0; link <= limits_.max_cname_chain && !answered; ++link) {
    if (std::find(visited.begin(), visited.end(), current) != visited.end()) {
      worsen(overall, verdict(Security::Bogus, Reason::TooMuchWork, current,
                              "CNAME/DNAME loop: the chain from " + question_.name.to_string() +
                                  " comes back to " + current.to_string()));
      answered = true;
      break;
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
    if (exact != nullptr) {
      std::optional<Name> zone;
      for (const auto& r : answer_rrsets_) {  // ANY: every RRset at the name
        if (r.section != Section::Answer || !(r.owner == current) || r.type == RRType::RRSIG)
          continue;
        if (question_.type != RRType::ANY && &r != exact) continue;
        auto step = need_or(check_rrset(r, authority));
        if (auto* n = std::get_if<NeedRecords>(&step)) {
          pending_ = *n;
          break;
        }
        if (!zone) zone = std::get<Name>(std::move(step));
      }
      if (pending_) break;
      // RFC 2181 §10.1: a name with a CNAME has no other data; both at once means records
      // were added to a signed answer (the CNAME would lead clients elsewhere).
      if (cname != nullptr && question_.type != RRType::CNAME && question_.type != RRType::ANY) {
        inconsistent(*zone, "the reply holds both a CNAME and a " + to_string(question_.type) +
                                " RRset at " + current.to_string() + " (RFC 2181 §10.1)");
      }
      // RFC 1035 §4.1.1, RFC 6604 §2: NXDOMAIN says the last name of the chain does not
      // exist, which the validated RRset there contradicts.
      if (rcode == RCode::NXDomain) {
        inconsistent(*zone, "the reply says NXDOMAIN, yet " + current.to_string() + " " +
                                to_string(exact->type) + " is signed and exists");
      }
      answered = true;
      break;
    }
    if (dname != nullptr) {
      auto step = need_or(check_rrset(*dname, authority));
      if (auto* n = std::get_if<NeedRecords>(&step)) {
        pending_ = *n;
        break;
      }
      const Name dname_zone = std::get<Name>(std::move(step));
      auto target =
          parse_single_name(dname->rdatas.empty() ? std::span<const uint8_t>{}
                                                  : std::span<const uint8_t>(dname->rdatas[0]));
      if (!target) {
        worsen(overall,
               verdict(Security::Bogus, Reason::MalformedData, dname->owner, "malformed DNAME"));
        answered = true;
        break;
      }
      // RFC 6672 §2.2: replace the DNAME owner suffix of the name with the target.
      auto substituted = current.substitute_suffix(dname->owner, *target);
      if (!substituted) {
        answered = true;
        break;
      }
      const Name next = *substituted;
      // RFC 6672 §3.1, §5.3.3: the CNAME synthesised from a DNAME is unsigned and is
      // accepted only as exactly the substitution the validated DNAME gives, with at most the
      // DNAME's TTL; one that points elsewhere was forged.
      if (cname != nullptr) {
        auto cname_target =
            parse_single_name(cname->rdatas.empty() ? std::span<const uint8_t>{}
                                                    : std::span<const uint8_t>(cname->rdatas[0]));
        if (cname->rdatas.size() != 1 || !cname_target || !(*cname_target == next)) {
          inconsistent(dname_zone,
                       "the CNAME at " + current.to_string() + " points to " +
                           (cname_target ? cname_target->to_string() : std::string("nothing")) +
                           ", not to " + next.to_string() + " as the DNAME at " +
                           dname->owner.to_string() + " synthesises (RFC 6672 §3.1)");
          answered = true;
          break;
        }
        for (const ProvenRrset& p : proven_) {
          if (p.type == RRType::DNAME && p.owner == dname->owner) {
            proven_.push_back(ProvenRrset{Section::Answer, current, RRType::CNAME, p.max_ttl});
            break;
          }
        }
      }
      current = next;
      continue;
    }
    if (cname != nullptr && question_.type != RRType::CNAME) {
      auto step = need_or(check_rrset(*cname, authority));
      if (auto* n = std::get_if<NeedRecords>(&step)) {
        pending_ = *n;
        break;
      }
      auto target =
          parse_single_name(cname->rdatas.empty() ? std::span<const uint8_t>{}
                                                  : std::span<const uint8_t>(cname->rdatas[0]));
      if (!target) break;
      current = *target;
      continue;
    }
    // No data for `current`: the rest of the answer is a denial (RFC 4035 §5.4).
    auto step = need_or(check_denial(current, question_.type, rcode, authority));
    if (auto* n = std::get_if<NeedRecords>(&step)) {
      pending_ = *n;
      break;
    }
    answered = true;
  }
  if (pending_) {
    if (fetched_.size() >= limits_.max_fetches) {
      return Finished{
          verdict(Security::Bogus, Reason::TooMuchWork, question_.name,
                  "gave up after " + std::to_string(fetched_.size()) + " DNSSEC sub-queries")};
    }
    note("need " + pending_->name.to_string() + " " + to_string(pending_->type));
    return *pending_;
  }
  if (!answered) {
    worsen(overall, verdict(Security::Bogus, Reason::TooMuchWork, question_.name,
                            "CNAME chain longer than " + std::to_string(limits_.max_cname_chain)));
  }
  note("verdict " + std::string(to_string(overall.security)) +
       (overall.security == Security::Secure ? "" : ": " + ede_text(overall)));
  Finished done{overall, valid_until_, {}};
  if (overall.security == Security::Secure) done.proven = proven_;
  return done;
}

}  // namespace dnsp::resolver
