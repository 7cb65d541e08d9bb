#include "resolver/cache/aggressive_cache.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "resolver/validate/nsec.h"
#include "resolver/validate/nsec3.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/wire/message_builder.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/rrset.h"
#include "resolver/wire/serial_time.h"

namespace dnsp::resolver {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kAllocOverhead = 16;  // what the allocator keeps beside each allocation
constexpr size_t kNodeOverhead = 48;   // a map or list node's links and colour
constexpr uint8_t kStar[] = {'*'};

size_t heap_size(const std::vector<Bytes>& v) {
  size_t n = v.capacity() * sizeof(Bytes) + kAllocOverhead;
  for (const auto& b : v) n += b.capacity() + kAllocOverhead;
  return n;
}

std::string wildcard_key(const Name& wildcard, RRType type) {
  return wildcard.lowercased().to_string() + "/" + std::to_string(to_u16(type));
}

std::string hash_key(const Name& nsec3_owner) {
  const Name lower = nsec3_owner.lowercased();
  const auto label = lower.first_label();
  return std::string(label.begin(), label.end());
}

// Types an answer is never synthesised for: DS lives in the parent zone, ANY and the meta
// types (RFC 6895 §3.1: 128-255) are no RRsets, and DNSSEC records are asked for by type.
bool synthesisable(RRType t) {
  const uint16_t v = to_u16(t);
  if (v >= 128 && v <= 255) return false;
  return t != RRType::DS && t != RRType::RRSIG && t != RRType::NSEC && t != RRType::NSEC3 &&
         t != RRType::OPT;
}

// The RRSIGs of a verified RRset made by the key that verified it, with their validity.
struct VerifiedSigs {
  std::vector<Bytes> rrsigs;
  int64_t sig_until = std::numeric_limits<int64_t>::max();
  uint32_t original_ttl = std::numeric_limits<uint32_t>::max();
  uint8_t labels = 0;
};

// The RRSIGs over `r` whose signer is its zone and whose key tag is the one that verified
// it (CheckedRrset::verified_by), inside their validity window at `now`; nullopt when there
// is none, or when they disagree on the Labels field (only one of them verified).
std::optional<VerifiedSigs> verified_sigs(const CheckedRrset& r, int64_t now) {
  if (r.security != Security::Secure) return std::nullopt;
  VerifiedSigs out;
  bool first = true;
  for (const auto& s : r.rrsigs) {
    auto sig = parse_rrsig(s);
    if (!sig || sig->key_tag != r.verified_by || !(sig->signer == r.zone) ||
        sig->type_covered != r.type) {
      continue;
    }
    const int64_t inception = serial_to_unix(sig->inception, now);
    const int64_t expiration = serial_to_unix(sig->expiration, now);
    if (inception > now || expiration <= now) continue;
    if (!first && sig->labels != out.labels) return std::nullopt;
    first = false;
    out.labels = sig->labels;
    out.sig_until = std::min(out.sig_until, expiration);
    out.original_ttl = std::min(out.original_ttl, sig->original_ttl);
    out.rrsigs.push_back(s);
  }
  if (out.rrsigs.empty()) return std::nullopt;
  return out;
}

bool is_proven(DenialKind k) {
  return k == DenialKind::NxDomain || k == DenialKind::NoData || k == DenialKind::WildcardNoData;
}

}  // namespace

void AggressiveCache::learn(const Verdict& verdict, const ValidationTrace& evidence,
                            const Message& answer, const KeyCache& keys, int64_t now) {
  // RFC 8198 §4: only records from answers validated Secure.
  if (verdict.security != Security::Secure) return;
  std::lock_guard lock(mu_);
  for (const auto& d : evidence.denials) {
    for (const auto& r : d.records) learn_rrset(r, now);
    if (d.purpose == DenialPurpose::NegativeAnswer && is_proven(d.kind)) {
      learn_soa(d.zone, answer, keys, now);
    }
  }
  for (const auto& z : evidence.zones) {
    if (z.no_ds) {
      for (const auto& r : z.no_ds->records) learn_rrset(r, now);
    }
  }
  for (const auto& a : evidence.answer) learn_rrset(a, now);
}

void AggressiveCache::learn_rrset(const CheckedRrset& r, int64_t now) {
  if (r.rdatas.empty() || !r.owner.is_subdomain_of(r.zone)) return;
  const bool denial = r.type == RRType::NSEC || r.type == RRType::NSEC3;
  // An answer RRset is kept only when it was expanded from a wildcard (checked first: the
  // cheap test before parsing RRSIGs).
  if (!denial && (r.section != Section::Answer || !synthesisable(r.type) ||
                  r.type == RRType::CNAME || r.type == RRType::DNAME)) {
    return;
  }
  auto sigs = verified_sigs(r, now);
  if (!sigs) return;
  Entry e;
  e.type = r.type;
  e.owner = r.owner;
  // RFC 4035 §5.3.3: no longer than the RRSIG's original TTL; RFC 8198 §5.4: no longer than
  // the record's own TTL.
  e.ttl = std::min({r.ttl, sigs->original_ttl, limits_.max_ttl});
  if (e.ttl == 0) return;
  e.ttl_until = now + e.ttl;
  e.sig_until = sigs->sig_until;
  e.rdatas = r.rdatas;
  e.rrsigs = std::move(sigs->rrsigs);
  if (r.type == RRType::NSEC) {
    // One NSEC per owner (RFC 4034 §4); anything else proves nothing we would trust.
    if (r.rdatas.size() != 1 || !make_nsec_record(r.owner, r.rdatas[0])) return;
    e.kind = Kind::Nsec;
    insert(r.zone, std::move(e));
    return;
  }
  if (r.type == RRType::NSEC3) {
    if (r.rdatas.size() != 1) return;
    auto rec = make_nsec3_record(r.owner, r.rdatas[0]);
    // RFC 5155 §3: owner <hash>.<zone>; §8.1-8.2: SHA-1 and flags 0 or 1 only; RFC 9276
    // §3.2: iterations above the limit make the zone insecure, so never Secure here anyway.
    if (!rec || rec->hash_algorithm != 1 || (rec->flags & ~Nsec3Rdata::kOptOut) != 0 ||
        rec->iterations > limits_.max_nsec3_iterations ||
        r.owner.label_count() != r.zone.label_count() + 1) {
      return;
    }
    if (auto zit = zones_.find(r.zone); zit != zones_.end()) {
      Zone& z = zit->second;
      // The zone changed its NSEC3 parameters (RFC 5155 §7.3): the old chain is useless.
      if (!z.nsec3s.empty() && (z.salt != rec->salt || z.iterations != rec->iterations)) {
        std::vector<It> old;
        for (auto& [k, it] : z.nsec3s) old.push_back(it);
        for (It it : old) erase(it);
      }
    }
    e.kind = Kind::Nsec3;
    e.key = hash_key(r.owner);
    Nsec3Record params = std::move(*rec);
    insert(r.zone, std::move(e));
    if (auto zit = zones_.find(r.zone); zit != zones_.end() && !zit->second.nsec3s.empty()) {
      zit->second.salt = std::move(params.salt);
      zit->second.iterations = params.iterations;
    }
    return;
  }
  // RFC 4035 §5.3.4: an RRSIG with fewer labels than the owner shows a wildcard expansion;
  // the RRSIG covers the RRset owned by "*." + the owner's last `labels` labels.
  if (sigs->labels >= r.owner.label_count()) return;
  auto wildcard = r.owner.suffix(sigs->labels).prepend(kStar);
  if (!wildcard || !wildcard->is_subdomain_of(r.zone)) return;
  e.kind = Kind::Wildcard;
  e.owner = *wildcard;
  e.key = wildcard_key(*wildcard, r.type);
  insert(r.zone, std::move(e));
}

void AggressiveCache::learn_soa(const Name& zone, const Message& answer, const KeyCache& keys,
                                int64_t now) {
  if (auto zit = zones_.find(zone); zit != zones_.end() && zit->second.soa) {
    if (fresh(*zit->second.soa, now)) return;  // held: no signature check needed
  }
  auto grouped = group_rrsets(answer);
  if (!grouped) return;
  const RRset* soa = nullptr;
  for (const auto& r : *grouped) {
    if (r.section == Section::Authority && r.type == RRType::SOA && r.owner == zone) soa = &r;
  }
  if (soa == nullptr || soa->rdatas.size() != 1) return;
  auto soa_rdata = parse_soa(soa->rdatas[0]);
  if (!soa_rdata) return;
  // Verified again with the zone's Secure keys: the validator checked it too, but does not
  // record which RRSIG did it.
  auto k = keys.find(zone, now);
  if (!k || k->security != Security::Secure) return;
  Limits limits;
  Budget budget(limits);
  const RrsetCheck check = verify_rrset(*soa, zone, k->keys, now, budget, limits);
  if (check.security != Security::Secure) return;
  CheckedRrset c;
  c.owner = soa->owner;
  c.type = RRType::SOA;
  c.ttl = soa->ttl;
  c.section = Section::Authority;
  c.rdatas = soa->rdatas;
  c.rrsigs = soa->rrsigs;
  c.zone = zone;
  c.security = Security::Secure;
  c.verified_by = check.key_tag;
  auto sigs = verified_sigs(c, now);
  if (!sigs) return;
  Entry e;
  e.kind = Kind::Soa;
  e.owner = soa->owner;
  e.type = RRType::SOA;
  e.ttl = std::min({soa->ttl, sigs->original_ttl, limits_.max_ttl});
  if (e.ttl == 0) return;
  e.ttl_until = now + e.ttl;
  e.sig_until = std::min(sigs->sig_until, check.valid_until);
  e.rdatas = soa->rdatas;
  e.rrsigs = std::move(sigs->rrsigs);
  e.soa_minimum = soa_rdata->minimum;
  insert(zone, std::move(e));
}

void AggressiveCache::insert(const Name& zone, Entry e) {
  // What the entry really holds on the heap, and its node in a zone's map.
  e.cost = sizeof(Entry) + kNodeOverhead + kAllocOverhead + heap_size(e.rdatas) +
           heap_size(e.rrsigs) + e.key.capacity() +
           (e.kind == Kind::Nsec ? sizeof(Name) : e.key.capacity() + sizeof(std::string)) +
           sizeof(It) + kNodeOverhead;
  const size_t zone_cost = sizeof(Zone) + sizeof(Name) + kNodeOverhead + kAllocOverhead;
  if (e.cost + zone_cost > limits_.max_bytes) return;
  // The entry it replaces, if any.
  if (auto zit = zones_.find(zone); zit != zones_.end()) {
    Zone& z = zit->second;
    std::optional<It> old;
    switch (e.kind) {
      case Kind::Nsec:
        if (auto f = z.nsecs.find(e.owner); f != z.nsecs.end()) old = f->second;
        break;
      case Kind::Nsec3:
        if (auto f = z.nsec3s.find(e.key); f != z.nsec3s.end()) old = f->second;
        break;
      case Kind::Wildcard:
        if (auto f = z.wildcards.find(e.key); f != z.wildcards.end()) old = f->second;
        break;
      case Kind::Soa:
        old = z.soa;
        break;
    }
    if (old) erase(*old);
  }
  const bool new_zone = zones_.count(zone) == 0;
  const size_t need = e.cost + (new_zone ? zone_cost : 0);
  while (bytes_ + need > limits_.max_bytes && !lru_.empty()) {
    const It victim = std::prev(lru_.end());
    const Name victim_zone = victim->zone->apex;
    erase(victim);
    if (!(victim_zone == zone)) drop_if_empty(victim_zone);
  }
  auto [zit, created] = zones_.try_emplace(zone);
  Zone& z = zit->second;
  if (created) {
    z.apex = zone;
    bytes_ += zone_cost;
  }
  e.zone = &z;
  bytes_ += e.cost;
  lru_.push_front(std::move(e));
  const It it = lru_.begin();
  switch (it->kind) {
    case Kind::Nsec:
      z.nsecs.emplace(it->owner, it);
      break;
    case Kind::Nsec3:
      z.nsec3s.emplace(it->key, it);
      break;
    case Kind::Wildcard:
      z.wildcards.emplace(it->key, it);
      break;
    case Kind::Soa:
      z.soa = it;
      break;
  }
}

void AggressiveCache::erase(It it) {
  Zone& z = *it->zone;
  switch (it->kind) {
    case Kind::Nsec:
      z.nsecs.erase(it->owner);
      break;
    case Kind::Nsec3:
      z.nsec3s.erase(it->key);
      break;
    case Kind::Wildcard:
      z.wildcards.erase(it->key);
      break;
    case Kind::Soa:
      z.soa.reset();
      break;
  }
  bytes_ -= it->cost;
  lru_.erase(it);
}

void AggressiveCache::drop_if_empty(const Name& zone) {
  auto zit = zones_.find(zone);
  if (zit == zones_.end() || !zit->second.empty()) return;
  bytes_ -= sizeof(Zone) + sizeof(Name) + kNodeOverhead + kAllocOverhead;
  zones_.erase(zit);
}

void AggressiveCache::clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  zones_.clear();
  bytes_ = 0;
}

size_t AggressiveCache::clear_below(const Name& zone) {
  std::lock_guard lock(mu_);
  size_t dropped = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->zone->apex.is_subdomain_of(zone)) {
      erase(it);
      ++dropped;
    }
    it = next;
  }
  std::erase_if(zones_, [&](const auto& kv) { return kv.first.is_subdomain_of(zone); });
  return dropped;
}

std::optional<AggressiveCache::It> AggressiveCache::fresh(It it, int64_t now) {
  // RFC 8198 §5.4: a record is used no longer than its TTL, and never past its RRSIG's
  // expiration (RFC 4035 §5.3.3).
  if (now >= it->ttl_until || now >= it->sig_until) {
    erase(it);
    return std::nullopt;
  }
  return it;
}

std::optional<AggressiveCache::It> AggressiveCache::nsec_at_or_before(Zone& z, const Name& name,
                                                                      int64_t now) {
  auto f = z.nsecs.upper_bound(name);
  // Nothing at or before `name`: the apex NSEC, which would be first, is not held. (Only
  // NSEC3 chains wrap around for a name's position.)
  if (f == z.nsecs.begin()) return std::nullopt;
  return fresh(std::prev(f)->second, now);
}

std::optional<AggressiveCache::It> AggressiveCache::nsec3_at_or_before(
    Zone& z, const std::string& hash_label, int64_t now) {
  if (z.nsec3s.empty()) return std::nullopt;
  auto f = z.nsec3s.upper_bound(hash_label);
  // RFC 5155 §8.3: the last NSEC3 of the chain covers the hashes after it and before the
  // first.
  const It it = f == z.nsec3s.begin() ? std::prev(z.nsec3s.end())->second : std::prev(f)->second;
  return fresh(it, now);
}

std::optional<AggressiveCache::It> AggressiveCache::wildcard(Zone& z, const Name& closest_encloser,
                                                             RRType type, int64_t now) {
  if (z.wildcards.empty()) return std::nullopt;
  auto w = closest_encloser.prepend(kStar);
  if (!w) return std::nullopt;
  auto f = z.wildcards.find(wildcard_key(*w, type));
  if (f == z.wildcards.end()) return std::nullopt;
  return fresh(f->second, now);
}

std::optional<AggressiveCache::It> AggressiveCache::soa(Zone& z, int64_t now) {
  if (!z.soa) return std::nullopt;
  return fresh(*z.soa, now);
}

std::optional<Synthesis> AggressiveCache::synthesise(const Question& question, int64_t now,
                                                     Wording wording) {
  // An upstream's reply: QR RD RA (reply_flags() adds QR and RA), every DNSSEC record kept
  // (DO), no OPT (no EDNS), never truncated.
  ClientQuery upstream_style;
  upstream_style.flags = flag::kRD;
  upstream_style.question = question;
  upstream_style.dnssec_ok = true;
  return answer(upstream_style, AdBit::Clear, 65535, now, wording);
}

std::optional<Synthesis> AggressiveCache::answer(const ClientQuery& query, AdBit ad, size_t limit,
                                                 int64_t now, Wording wording) {
  const Question& question = query.question;
  std::lock_guard lock(mu_);
  if (zones_.empty() || question.klass != RRClass::IN || !synthesisable(question.type)) {
    return std::nullopt;
  }
  // The deepest zone held at or above the name: a zone below it would hold the name, and a
  // zone above it cannot speak for it (its NSECs at the cut prove nothing below, RFC 6840
  // §4.1).
  Zone* zone = nullptr;
  for (size_t labels = question.name.label_count() + 1; labels-- > 0;) {
    auto zit = zones_.find(question.name.suffix(labels));
    if (zit != zones_.end()) {
      zone = &zit->second;
      break;
    }
  }
  if (zone == nullptr) return std::nullopt;
  const Target target{query, ad, limit, wording};
  std::optional<Synthesis> out;
  if (!zone->nsecs.empty()) out = from_nsec(*zone, target, now);
  if (!out && !zone->nsec3s.empty()) out = from_nsec3(*zone, target, now);
  if (zone->empty()) {  // expired entries have left it empty
    const Name apex = zone->apex;
    drop_if_empty(apex);
  }
  return out;
}

std::optional<Synthesis> AggressiveCache::from_nsec(Zone& z, const Target& t, int64_t now) {
  const Question& q = t.query.question;
  const Wording wording = t.wording;
  const Name& qname = q.name;
  auto at = nsec_at_or_before(z, qname, now);
  if (!at) return std::nullopt;
  auto rec = make_nsec_record((*at)->owner, (*at)->rdatas[0]);
  if (!rec) return std::nullopt;
  // Every proof below needs this NSEC to be owned by qname or to cover it. Its owner sorts
  // before qname (the map said so), so it covers qname only if qname sorts before its next
  // name, or the next name is the apex (the chain's last NSEC). A cheap filter: an existing
  // name between two NSECs held, the usual positive miss, ends here; the proofs check all.
  if (!(rec->owner == qname) && canonical_compare(qname, rec->next) >= 0 &&
      !(rec->next == z.apex)) {
    return std::nullopt;
  }
  std::vector<NsecRecord> records{*rec};
  if (!(rec->owner == qname)) {
    // Only to pick which wildcard to look at: prove_nsec() / prove_wildcard_answer_nsec()
    // derive the closest encloser again and decide.
    const Name ce = nsec_closest_encloser(*rec, qname);
    // RFC 8198 §5.3: the wildcard RRset at the closest encloser, expanded to qname, with
    // the NSEC covering qname (RFC 4035 §5.3.4).
    if (ce.label_count() < qname.label_count() && ce.is_subdomain_of(z.apex)) {
      if (auto w = wildcard(z, ce, q.type, now)) {
        auto proof = prove_wildcard_answer_nsec(records, qname, ce, z.apex, wording);
        if (proof.kind != DenialKind::WildcardAnswerOk) return std::nullopt;
        return build(t, z, proof, w, std::nullopt, {*at}, now);
      }
      if (auto star = ce.prepend(kStar)) {
        if (auto w = nsec_at_or_before(z, *star, now); w && *w != *at) {
          if (auto wrec = make_nsec_record((*w)->owner, (*w)->rdatas[0])) {
            records.push_back(std::move(*wrec));
            auto s = soa(z, now);
            if (!s) return std::nullopt;
            // RFC 8198 §5.1 (NXDOMAIN) and §5.2 (wildcard NODATA): two NSECs.
            auto proof = prove_nsec(records, qname, q.type, z.apex, wording);
            if (!is_proven(proof.kind)) return std::nullopt;
            if (proof.kind == DenialKind::NoData) {
              return build(t, z, proof, std::nullopt, s, {*at}, now);  // an empty non-terminal
            }
            return build(t, z, proof, std::nullopt, s, {*at, *w}, now);
          }
        }
      }
    }
  }
  // RFC 8198 §5.2: NODATA from the NSEC at qname (or before an empty non-terminal), or an
  // NXDOMAIN whose one NSEC also covers the wildcard.
  auto s = soa(z, now);
  if (!s) return std::nullopt;
  auto proof = prove_nsec(records, qname, q.type, z.apex, wording);
  if (!is_proven(proof.kind)) return std::nullopt;
  return build(t, z, proof, std::nullopt, s, {*at}, now);
}

std::optional<Synthesis> AggressiveCache::from_nsec3(Zone& z, const Target& t, int64_t now) {
  const Question& q = t.query.question;
  const Wording wording = t.wording;
  const Name& qname = q.name;
  const Name apex = z.apex;
  // Hashing is bounded like a validation's proof (CVE-2023-50868); the proof functions hash
  // again within their own budget.
  size_t hashes = 0;
  const auto hash = [&](const Name& n) -> std::optional<std::string> {
    if (hashes++ >= limits_.max_nsec3_hashes) return std::nullopt;
    std::string h = nsec3_hash_label(n, z.salt, z.iterations);
    if (h.empty()) return std::nullopt;
    return h;
  };
  Nsec3Limits nl;
  nl.max_iterations = limits_.max_nsec3_iterations;
  nl.max_hash_computations = limits_.max_nsec3_hashes;
  std::vector<It> used;
  std::vector<Nsec3Record> records;
  const auto use = [&](It it) {
    if (std::find(used.begin(), used.end(), it) != used.end()) return true;
    auto rec = make_nsec3_record(it->owner, it->rdatas[0]);
    if (!rec) return false;
    used.push_back(it);
    records.push_back(std::move(*rec));
    return true;
  };
  const auto exact = [&](const std::string& h) -> std::optional<It> {
    auto f = z.nsec3s.find(h);
    if (f == z.nsec3s.end()) return std::nullopt;
    return fresh(f->second, now);
  };

  auto h_qname = hash(qname);
  if (!h_qname) return std::nullopt;

  if (auto m = exact(*h_qname)) {
    // RFC 8198 §5.2, RFC 5155 §8.5: NODATA from the NSEC3 matching qname.
    auto s = soa(z, now);
    if (!s || !use(*m)) return std::nullopt;
    auto proof = prove_nsec3(records, qname, q.type, apex, nl, wording);
    if (proof.kind != DenialKind::NoData) return std::nullopt;
    return build(t, z, proof, std::nullopt, s, used, now);
  }
  // RFC 5155 §8.3: the closest encloser (an ancestor with a matching NSEC3) and the NSEC3
  // covering the next closer name.
  Name ce = qname;
  std::optional<It> ce_match;
  while (!ce_match && !(ce == apex)) {
    ce = ce.parent();
    auto h = hash(ce);
    if (!h) return std::nullopt;
    ce_match = exact(*h);
  }
  if (!ce_match) return std::nullopt;
  const Name next_closer = qname.suffix(ce.label_count() + 1);
  auto h_nc = next_closer == qname ? h_qname : hash(next_closer);
  if (!h_nc) return std::nullopt;
  auto nc_cover = nsec3_at_or_before(z, *h_nc, now);
  if (!nc_cover) return std::nullopt;
  if (auto w = wildcard(z, ce, q.type, now)) {
    // RFC 8198 §5.3, RFC 5155 §8.8: the wildcard expanded, with the NSEC3 covering the next
    // closer name; never under Opt-Out (the proof says OptOut then).
    if (!use(*nc_cover)) return std::nullopt;
    auto proof = prove_wildcard_answer_nsec3(records, qname, ce, apex, nl, wording);
    if (proof.kind != DenialKind::WildcardAnswerOk) return std::nullopt;
    return build(t, z, proof, w, std::nullopt, used, now);
  }
  auto star = ce.prepend(kStar);
  if (!star) return std::nullopt;
  auto h_wc = hash(*star);
  if (!h_wc) return std::nullopt;
  auto wc = nsec3_at_or_before(z, *h_wc, now);
  auto s = soa(z, now);
  if (!wc || !s) return std::nullopt;
  if (!use(*ce_match) || !use(*nc_cover) || !use(*wc)) return std::nullopt;
  // RFC 8198 §5.1, RFC 5155 §8.4 and §8.7: NXDOMAIN or wildcard NODATA. An Opt-Out span
  // over the next closer name gives OptOut, never one of these (RFC 8198 §4).
  auto proof = prove_nsec3(records, qname, q.type, apex, nl, wording);
  if (proof.kind != DenialKind::NxDomain && proof.kind != DenialKind::WildcardNoData) {
    return std::nullopt;
  }
  return build(t, z, proof, std::nullopt, s, used, now);
}

Synthesis AggressiveCache::build(const Target& target, const Zone& z, const DenialResult& proof,
                                 const std::optional<It>& wildcard_rrset,
                                 const std::optional<It>& soa, const std::vector<It>& authority,
                                 int64_t now) {
  // RFC 8198 §5.4 and RFC 9077 §3: no record outlives what it was learned with; a negative
  // answer lives min(SOA TTL, SOA MINIMUM, NSEC TTLs) (RFC 2308 §5).
  int64_t ttl = limits_.max_ttl;
  int64_t valid_until = std::numeric_limits<int64_t>::max();
  const auto use = [&](It it) {
    ttl = std::min(ttl, it->ttl_until - now);
    valid_until = std::min(valid_until, it->sig_until);
    touch(it);
  };
  for (It it : authority) use(it);
  if (wildcard_rrset) use(*wildcard_rrset);
  if (soa) use(*soa);
  if (soa) ttl = std::min<int64_t>(ttl, (*soa)->soa_minimum);
  const uint32_t t = static_cast<uint32_t>(std::max<int64_t>(ttl, 0));

  const RCode rcode = proof.kind == DenialKind::NxDomain ? RCode::NXDomain : RCode::NoError;
  std::vector<ReplyRecord> records;
  records.reserve(8);
  const auto add = [&](Section section, const Name& owner, const Entry& e) {
    for (const auto& rd : e.rdatas) records.push_back({section, &owner, e.type, t, rd});
    for (const auto& sig : e.rrsigs) records.push_back({section, &owner, RRType::RRSIG, t, sig});
  };
  // RFC 4035 §5.3.4: the expanded RRset is owned by qname; its RRSIG (Labels field
  // unchanged) still verifies over the wildcard.
  if (wildcard_rrset) add(Section::Answer, target.query.question.name, **wildcard_rrset);
  if (soa) add(Section::Authority, (*soa)->owner, **soa);
  for (It it : authority) add(Section::Authority, it->owner, *it);

  Synthesis out;
  out.kind = proof.kind;
  out.zone = z.apex;
  out.message = records_reply(target.query, rcode, target.ad, 65535, records);
  if (out.message.size() > target.limit) {
    out.fitted = records_reply(target.query, rcode, target.ad, target.limit, records);
  }
  out.valid_until = valid_until;
  out.detail = proof.detail;
  return out;
}

}  // namespace dnsp::resolver
