#include "resolver/validate/validation.h"

#include <algorithm>

#include "resolver/validate/validation_parts.h"

// The state machine and its bookkeeping. The steps live beside it: the chain of trust in
// chain_walk.cc, the answer's RRsets and denials in answer_checks.cc, the CNAME/DNAME walk
// in cname_chain.cc.
namespace dnsp::resolver {
namespace {

std::string key_of(const Name& name) { return name.lowercased().to_string(); }

std::string too_many_fetches(size_t fetches) {
  return "gave up after " + std::to_string(fetches) + " DNSSEC sub-queries";
}

}  // namespace

Validation::Validation(const TrustAnchors& anchors, KeyCache& keys, const Limits& limits,
                       int64_t now)
    : anchors_(anchors), keys_(keys), limits_(limits), now_(now), budget_(limits) {}

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
  note([&] {
    return "fetched " + pending_->name.to_string() + " " + to_string(pending_->type) +
           (f.ok ? "" : " (no usable reply)");
  });
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
  note([&] {
    return "key entry " + entry.zone.to_string() + ": " + std::string(to_string(entry.security)) +
           (entry.security == Security::Secure
                ? " (" + std::to_string(entry.keys.size()) + " zone keys)"
                : " (" + ede_text(entry.verdict) + ")");
  });
  auto p = std::make_shared<const KeyEntry>(std::move(entry));
  keys_.put(p, now_);
  return p;
}

Validation::Entry Validation::remember_keyless(const Name& zone, Verdict v, int64_t valid_until,
                                               uint32_t ttl) {
  const Security security = v.security;
  return remember(KeyEntry{zone, security, std::move(v), {}, {}, 0}, valid_until, ttl);
}

Validation::Entry Validation::uncached_entry(Security security, Reason reason, const Name& zone,
                                             std::string detail) {
  KeyEntry e;
  e.zone = zone;
  e.security = security;
  e.verdict = verdict(security, reason, zone, std::move(detail));
  evidence_.zone(zone).verdict = e.verdict;
  return std::make_shared<const KeyEntry>(std::move(e));
}

Nsec3Limits Validation::nsec3_limits() const {
  Nsec3Limits nl;
  nl.max_iterations = limits_.max_nsec3_iterations;
  nl.max_hash_computations = limits_.max_nsec3_hashes;
  return nl;
}

Name Validation::join(Verdict v) {
  Name zone = v.zone;
  // The worse of the two wins (Bogus < Indeterminate < Insecure < Secure); a tie keeps the
  // verdict so far.
  if (v.security < overall_.security) overall_ = std::move(v);
  return zone;
}

void Validation::inconsistent(const Name& zone, std::string detail) {
  join(verdict(Security::Bogus, Reason::InconsistentAnswer, zone, std::move(detail)));
}

Step Validation::run() {
  if (anchors_.empty()) {
    return Finished{verdict(Security::Insecure, Reason::NoTrustAnchor, Name::root(),
                            "no trust anchor is configured")};
  }
  if (fetched_.size() > limits_.max_fetches) {
    return Finished{verdict(Security::Bogus, Reason::TooMuchWork, question_.name,
                            too_many_fetches(fetched_.size()))};
  }
  const RCode rcode = answer_->rcode();
  if (rcode != RCode::NoError && rcode != RCode::NXDomain) {
    return Finished{verdict(Security::Indeterminate, Reason::None, question_.name,
                            "upstream answered " + to_string(rcode))};
  }
  valid_until_ = 0;
  proven_.clear();
  overall_ = verdict(Security::Secure, Reason::None, question_.name, "");
  switch (walk_chain(rcode, section_rrsets(answer_rrsets_, Section::Authority))) {
    case ChainEnd::Pending:
      if (fetched_.size() >= limits_.max_fetches) {
        return Finished{verdict(Security::Bogus, Reason::TooMuchWork, question_.name,
                                too_many_fetches(fetched_.size()))};
      }
      note([&] { return "need " + pending_->name.to_string() + " " + to_string(pending_->type); });
      return *pending_;
    case ChainEnd::Unanswered:
      join(verdict(Security::Bogus, Reason::TooMuchWork, question_.name,
                   "CNAME chain longer than " + std::to_string(limits_.max_cname_chain)));
      break;
    case ChainEnd::Answered:
      break;
  }
  return finish();
}

Step Validation::finish() {
  note([&] {
    return "verdict " + std::string(to_string(overall_.security)) +
           (overall_.security == Security::Secure ? "" : ": " + ede_text(overall_));
  });
  Finished done{overall_, valid_until_, {}};
  if (overall_.security == Security::Secure) done.proven = proven_;
  done.validity_windows = limits_.validity_windows;
  done.clock_skew = clock_skew(overall_, evidence_, now_);
  return done;
}

}  // namespace dnsp::resolver
