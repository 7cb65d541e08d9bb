#include "resolver/validate/nsec3.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "crypto/base32hex.h"
#include "crypto/digest.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {

std::optional<Nsec3Record> make_nsec3_record(const Name& owner, std::span<const uint8_t> rdata) {
  auto parsed = parse_nsec3(rdata);
  if (!parsed) return std::nullopt;
  return Nsec3Record{owner,
                     parsed->hash_algorithm,
                     parsed->flags,
                     parsed->iterations,
                     std::vector<uint8_t>(parsed->salt.begin(), parsed->salt.end()),
                     std::vector<uint8_t>(parsed->next_hashed.begin(), parsed->next_hashed.end()),
                     std::vector<uint8_t>(parsed->types.raw.begin(), parsed->types.raw.end())};
}

namespace {

constexpr uint8_t kSha1 = 1;      // RFC 5155 §11: the only NSEC3 hash algorithm
constexpr size_t kSha1Size = 20;  // octets

using Hash = std::vector<uint8_t>;

// The NSEC3 hash input: the name in canonical wire form (RFC 4034 §6.2, RFC 5155 §5).
std::optional<Hash> hash_name(const Name& name, std::span<const uint8_t> salt,
                              uint16_t iterations) {
  const Name canonical = name.lowercased();
  return crypto::nsec3_hash(kSha1, canonical.wire(), salt, iterations);
}

bool is_proper_subdomain(const Name& name, const Name& ancestor) {
  return name.is_subdomain_of(ancestor) && !(name == ancestor);
}

DenialResult not_proven(std::string detail) {
  return {DenialKind::NotProven, Name::root(), std::move(detail)};
}

struct Usable {
  const Nsec3Record* rec;
  Hash owner_hash;  // the decoded first label of the owner
  TypeBitmap types() const { return TypeBitmap{rec->type_bitmap}; }
  bool opt_out() const { return (rec->flags & Nsec3Rdata::kOptOut) != 0; }
};

// One proof: the usable records, their shared parameters, and a cache of the names hashed
// so far, charged against the validation's hash budget.
class Nsec3Proof {
 public:
  Nsec3Proof(const Name& zone, Nsec3Limits& limits) : zone_(zone), limits_(limits) {}

  // Keeps the records a validator may use; a result when none can prove anything.
  std::optional<DenialResult> select(const std::vector<Nsec3Record>& records) {
    for (const Nsec3Record& r : records) {
      // RFC 5155 §8.1: unknown hash algorithms are ignored; §8.2: so are flags other than
      // 0 and 1 (Opt-Out is the only flag defined).
      if (r.hash_algorithm != kSha1 || (r.flags & ~Nsec3Rdata::kOptOut) != 0) continue;
      if (r.next_hashed.size() != kSha1Size) continue;
      // The owner is base32hex(hash) "." zone (RFC 5155 §3).
      if (r.owner.label_count() != zone_.label_count() + 1 || !(r.owner.parent() == zone_)) {
        continue;
      }
      const auto label = r.owner.first_label();
      auto owner_hash = crypto::base32hex_decode(
          std::string_view(reinterpret_cast<const char*>(label.data()), label.size()));
      if (!owner_hash || owner_hash->size() != kSha1Size) continue;
      usable_.push_back({&r, std::move(*owner_hash)});
    }
    if (usable_.empty()) {
      return not_proven("no usable NSEC3 record for zone " + zone_.to_string() +
                        " (hash algorithm 1, flags 0 or 1, owner <base32hex hash>." +
                        zone_.to_string() + ")");
    }
    const Nsec3Record& first = *usable_.front().rec;
    for (const Usable& u : usable_) {
      // RFC 5155 §8.2: the records of one proof share one set of hash parameters.
      if (u.rec->salt != first.salt || u.rec->iterations != first.iterations) {
        return not_proven("NSEC3 records of zone " + zone_.to_string() +
                          " disagree on salt or iterations");
      }
    }
    salt_ = first.salt;
    iterations_ = first.iterations;
    if (iterations_ > limits_.max_iterations) {
      return DenialResult{DenialKind::UnsupportedIterations, Name::root(),
                          "NSEC3 iterations " + std::to_string(iterations_) + " of zone " +
                              zone_.to_string() + " are above the limit " +
                              std::to_string(limits_.max_iterations) + " (RFC 9276)"};
    }
    return std::nullopt;
  }

  // H(name), or nullopt when the budget is spent or hashing fails (see failure()).
  std::optional<Hash> hash(const Name& name) {
    for (const auto& [n, h] : cache_) {
      if (n == name) return h;
    }
    if (limits_.hashes_used >= limits_.max_hash_computations) {
      failure_ = "NSEC3 hash budget of " + std::to_string(limits_.max_hash_computations) +
                 " computations exhausted before the proof completed (CVE-2023-50868)";
      return std::nullopt;
    }
    ++limits_.hashes_used;
    auto h = hash_name(name, salt_, iterations_);
    if (!h) {
      failure_ = "NSEC3 hash of " + name.to_string() + " failed";
      return std::nullopt;
    }
    cache_.emplace_back(name, *h);
    return h;
  }
  DenialResult failure() const { return not_proven(failure_); }

  const Usable* match(const Hash& h) const {
    for (const Usable& u : usable_) {
      if (u.owner_hash == h) return &u;
    }
    return nullptr;
  }

  // RFC 5155 §8.3: covers when owner hash < h < next hash, in the order of the hash octets;
  // the last record of the chain (next <= owner) wraps around to the first.
  const Usable* cover(const Hash& h) const {
    for (const Usable& u : usable_) {
      const Hash& owner = u.owner_hash;
      const Hash& next = u.rec->next_hashed;
      const bool covers = owner < next ? (owner < h && h < next) : (owner < h || h < next);
      if (covers) return &u;
    }
    return nullptr;
  }

  std::string describe(const Usable& u) const {
    return "NSEC3 " + u.rec->owner.to_string() + " -> " +
           crypto::base32hex_encode(u.rec->next_hashed);
  }

 private:
  const Name& zone_;
  Nsec3Limits& limits_;
  std::vector<Usable> usable_;
  std::vector<uint8_t> salt_;
  uint16_t iterations_ = 0;
  std::vector<std::pair<Name, Hash>> cache_;
  std::string failure_;
};

// A proven result: its words only when `wording` asks for them on success.
template <class Words>
DenialResult proven(DenialKind kind, const Name& ce, Wording wording, const Words& words) {
  return {kind, ce, wording == Wording::Full ? words() : std::string()};
}

// NODATA from the NSEC3 matching qname: the shared rule (denial.h, RFC 5155 §8.5-8.6).
DenialResult nodata_at(const Nsec3Proof& p, const Usable& m, const Name& qname, RRType qtype,
                       Wording wording) {
  return nodata_from_bitmap(m.rec->type_bitmap, qname, qtype, wording,
                            [&] { return p.describe(m) + " matches " + qname.to_string(); },
                            {"NSEC3", " and"});
}

// The next closer name: the ancestor of qname one label longer than the closest encloser
// (RFC 5155 §1.3).
Name next_closer(const Name& qname, const Name& closest_encloser) {
  return qname.suffix(closest_encloser.label_count() + 1);
}

// RFC 5155 §8.3, the closest encloser proof: the closest encloser is the longest ancestor of
// qname with a matching NSEC3, and an NSEC3 covers the next closer name below it.
struct EncloserProof {
  Name closest_encloser;
  const Usable* match;  // the NSEC3 matching the closest encloser
  Name next_closer;
  const Usable* next_closer_cover;
  std::string words(const Nsec3Proof& p) const {
    return p.describe(*match) + " matches closest encloser " + closest_encloser.to_string() + "; " +
           p.describe(*next_closer_cover) + " covers next closer " + next_closer.to_string();
  }
};

// The closest encloser proof for qname (not matched itself), or why there is none.
std::variant<EncloserProof, DenialResult> closest_encloser_proof(Nsec3Proof& p, const Name& qname,
                                                                 const Name& zone) {
  const Usable* ce_match = nullptr;
  Name ce = qname;
  while (!(ce == zone)) {
    ce = ce.parent();
    const auto h = p.hash(ce);
    if (!h) return p.failure();
    ce_match = p.match(*h);
    if (ce_match) break;
  }
  if (!ce_match) {
    return not_proven("no NSEC3 matches an ancestor of " + qname.to_string() +
                      " up to the zone apex: no closest encloser proof");
  }
  const auto ce_proof = [&] {
    return p.describe(*ce_match) + " matches closest encloser " + ce.to_string();
  };
  // RFC 6840 §4.1 and RFC 5155 §8.3: a closest encloser at a zone cut (the parent's record:
  // NS without SOA) or a DNAME proves nothing about the names below it.
  const TypeBitmap ce_types = ce_match->types();
  if ((ce_types.contains(RRType::NS) && !ce_types.contains(RRType::SOA)) ||
      ce_types.contains(RRType::DNAME)) {
    return not_proven(ce_proof() + ", which is a zone cut or DNAME: it proves nothing below it");
  }
  const Name nc = next_closer(qname, ce);
  const auto h_nc = p.hash(nc);
  if (!h_nc) return p.failure();
  const Usable* nc_cover = p.cover(*h_nc);
  if (!nc_cover) {
    return not_proven(ce_proof() + ", but no NSEC3 covers the next closer name " + nc.to_string());
  }
  return EncloserProof{ce, ce_match, nc, nc_cover};
}

}  // namespace

std::string nsec3_hash_label(const Name& name, std::span<const uint8_t> salt, uint16_t iterations) {
  auto h = hash_name(name, salt, iterations);
  return h ? crypto::base32hex_encode(*h) : std::string();
}

DenialResult prove_nsec3(const std::vector<Nsec3Record>& records, const Name& qname, RRType qtype,
                         const Name& zone, Nsec3Limits& limits, Wording wording) {
  if (!qname.is_subdomain_of(zone)) {
    return not_proven(qname.to_string() + " is not in zone " + zone.to_string());
  }
  Nsec3Proof p(zone, limits);
  if (auto early = p.select(records)) return *early;

  const auto h_qname = p.hash(qname);
  if (!h_qname) return p.failure();
  if (const Usable* m = p.match(*h_qname)) return nodata_at(p, *m, qname, qtype, wording);

  auto encloser = closest_encloser_proof(p, qname, zone);
  if (auto* failed = std::get_if<DenialResult>(&encloser)) return std::move(*failed);
  const EncloserProof& e = std::get<EncloserProof>(encloser);
  const Name& ce = e.closest_encloser;
  const auto proof = [&] { return e.words(p); };
  const bool opt_out = e.next_closer_cover->opt_out();
  // RFC 5155 §8.6, RFC 6840 §4.4: for DS, an Opt-Out span over the next closer name is the
  // insecure delegation proof.
  if (qtype == RRType::DS && opt_out) {
    return proven(DenialKind::OptOut, ce, wording,
                  [&] { return proof() + " with Opt-Out: an unsigned delegation may exist"; });
  }

  static constexpr uint8_t kStar[] = {'*'};
  auto wildcard = ce.prepend(kStar);
  if (!wildcard) return not_proven(proof() + "; the wildcard name is too long");
  const auto h_wc = p.hash(*wildcard);
  if (!h_wc) return p.failure();
  // Under an Opt-Out span an unsigned delegation may exist at the next closer name, so the
  // name error or wildcard NODATA below is not proven secure (as Unbound does for NXDOMAIN).
  const char* const opt_out_note = " (next closer under Opt-Out: may be an unsigned delegation)";
  if (const Usable* w = p.match(*h_wc)) {
    // RFC 5155 §8.7: wildcard NODATA.
    const TypeBitmap t = w->types();
    const auto wc_proof = [&] {
      return proof() + "; " + p.describe(*w) + " matches " + wildcard->to_string();
    };
    if (t.contains(qtype) || t.contains(RRType::CNAME)) {
      return not_proven(wc_proof() + ", which has the type: expect an expanded answer");
    }
    if (opt_out) {
      return proven(DenialKind::OptOut, ce, wording, [&] { return wc_proof() + opt_out_note; });
    }
    return proven(DenialKind::WildcardNoData, ce, wording,
                  [&] { return wc_proof() + " without " + to_string(qtype); });
  }
  if (const Usable* w = p.cover(*h_wc)) {
    // RFC 5155 §8.4: name error.
    const auto nx_proof = [&] {
      return proof() + "; " + p.describe(*w) + " covers " + wildcard->to_string();
    };
    if (opt_out) {
      return proven(DenialKind::OptOut, ce, wording, [&] { return nx_proof() + opt_out_note; });
    }
    return proven(DenialKind::NxDomain, ce, wording, nx_proof);
  }
  return not_proven(proof() + ", but no NSEC3 matches or covers the wildcard " +
                    wildcard->to_string());
}

DenialResult prove_wildcard_answer_nsec3(const std::vector<Nsec3Record>& records, const Name& qname,
                                         const Name& closest_encloser, const Name& zone,
                                         Nsec3Limits& limits, Wording wording) {
  if (!is_proper_subdomain(qname, closest_encloser) || !closest_encloser.is_subdomain_of(zone)) {
    return not_proven("the wildcard's closest encloser " + closest_encloser.to_string() +
                      " is not a proper ancestor of " + qname.to_string() + " in zone " +
                      zone.to_string());
  }
  Nsec3Proof p(zone, limits);
  if (auto early = p.select(records)) return *early;
  const Name nc = next_closer(qname, closest_encloser);
  const auto h_nc = p.hash(nc);
  if (!h_nc) return p.failure();
  const Usable* cover = p.cover(*h_nc);
  if (!cover) return not_proven("no NSEC3 covers the next closer name " + nc.to_string());
  const auto proof = [&] { return p.describe(*cover) + " covers next closer " + nc.to_string(); };
  if (cover->opt_out()) {
    return proven(DenialKind::OptOut, closest_encloser, wording, [&] {
      return proof() + " with Opt-Out: an unsigned delegation may exist there";
    });
  }
  return proven(DenialKind::WildcardAnswerOk, closest_encloser, wording, proof);
}

}  // namespace dnsp::resolver
