#include "resolver/verify/rrset_verify.h"

#include <algorithm>

#include "crypto/algorithm.h"
#include "crypto/digest.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/serial_time.h"

namespace dnsp::resolver {
namespace {

std::string rrset_label(const RRset& rrset) {
  return rrset.owner.to_string() + " " + to_string(rrset.type);
}

std::string key_label(uint16_t tag, uint8_t alg) {
  return std::to_string(tag) + " (" + crypto::algorithm_name(alg) + ")";
}

// Of several failures, the one most worth telling: a signature that was checked and
// failed beats a window problem, which beats a missing key.
int severity(Reason r) {
  switch (r) {
    case Reason::SignatureInvalid:
      return 5;
    case Reason::CryptoError:
      return 4;
    case Reason::SignatureExpired:
      return 3;
    case Reason::SignatureNotYetValid:
      return 3;
    case Reason::NoMatchingKey:
      return 2;
    case Reason::BadSigner:
      return 1;
    // Not what verifying one RRSIG reports: below every failure above.
    case Reason::None:
    case Reason::NoTrustAnchor:
    case Reason::UnsignedDelegation:
    case Reason::OptOutDelegation:
    case Reason::UnsupportedAlgorithm:
    case Reason::UnsupportedDigest:
    case Reason::Nsec3IterationsTooHigh:
    case Reason::NegativeTrustAnchor:
    case Reason::DenialNotChecked:
    case Reason::RrsigsMissing:
    case Reason::DnskeyMissing:
    case Reason::NoDnskeyMatchesDs:
    case Reason::DnskeyNotSignedByDsKey:
    case Reason::NoZoneKeyBit:
    case Reason::NsecMissing:
    case Reason::DenialNotProven:
    case Reason::UpstreamStripsDnssec:
    case Reason::TooMuchWork:
    case Reason::MalformedData:
    case Reason::InconsistentAnswer:
      return 0;
  }
  return 0;
}

// Why `sig` cannot vouch for `rrset` in `zone` at `now` before any key is tried (RFC 4035
// §5.3.1: signer, labels, validity window), or nothing.
struct RrsigProblem {
  Reason reason;
  std::string detail;
};
std::optional<RrsigProblem> rrsig_unusable(const RrsigRdata& sig, const RRset& rrset,
                                           const Name& zone, int64_t now, ValidityWindows windows) {
  // The signer must be the zone, and the owner must be in it.
  if (!(sig.signer == zone) || !rrset.owner.is_subdomain_of(zone)) {
    return RrsigProblem{Reason::BadSigner, "RRSIG over " + rrset_label(rrset) + " names signer " +
                                               sig.signer.to_string() + ", not " +
                                               zone.to_string()};
  }
  // Labels is at most the owner's label count, which (RFC 4034 §3.1.3) does not count a
  // leading "*": an RRSIG over *.example. says 1, never 2.
  const size_t owner_labels = rrset.owner.label_count() - (rrset.owner.is_wildcard() ? 1 : 0);
  if (sig.labels > owner_labels) {
    return RrsigProblem{Reason::SignatureInvalid, "RRSIG over " + rrset_label(rrset) +
                                                      " has a labels field larger than its owner"};
  }
  // RFC 4035 §5.3.1 items 4-5 (the validity window), unless the clock cannot be believed yet
  // and the operator chose to resolve without them meanwhile (limits.h, ValidityWindows).
  if (windows == ValidityWindows::NotChecked) return std::nullopt;
  const uint32_t now32 = static_cast<uint32_t>(now);
  if (serial_before(now32, sig.inception)) {
    return RrsigProblem{Reason::SignatureNotYetValid,
                        "RRSIG over " + rrset_label(rrset) + " by key " +
                            key_label(sig.key_tag, sig.algorithm) + " is not valid before " +
                            format_utc(serial_to_unix(sig.inception, now))};
  }
  if (serial_before(sig.expiration, now32)) {
    return RrsigProblem{Reason::SignatureExpired,
                        "RRSIG over " + rrset_label(rrset) + " by key " +
                            key_label(sig.key_tag, sig.algorithm) + " expired " +
                            format_utc(serial_to_unix(sig.expiration, now))};
  }
  return std::nullopt;
}

}  // namespace

std::vector<ZoneKey> decode_zone_keys(const RRset& dnskeys) {
  std::vector<ZoneKey> out;
  for (const auto& rdata : dnskeys.rdatas) {
    auto k = parse_dnskey(rdata);
    if (!k) continue;
    // RFC 4034 §2.1.1-2.1.2: only zone keys with protocol 3 sign zone data. A revoked key
    // (RFC 5011 §3) may still sign the DNSKEY RRset but is not a trust point; keep it.
    if (!(k->flags & DnskeyRdata::kZoneKey) || k->protocol != 3) continue;
    auto decoded = crypto::PublicKey::decode(k->algorithm, k->public_key);
    if (decoded.status != crypto::KeyStatus::Ok) continue;
    out.push_back(ZoneKey{key_tag(rdata), k->algorithm, k->flags, rdata, std::move(*decoded.key)});
  }
  return out;
}

RrsetCheck verify_rrset(const RRset& rrset, const Name& zone, const std::vector<ZoneKey>& keys,
                        int64_t now, Budget& budget, const Limits& limits) {
  std::vector<const ZoneKey*> ptrs;
  ptrs.reserve(keys.size());
  for (const auto& k : keys) ptrs.push_back(&k);
  return verify_rrset(rrset, zone, ptrs, now, budget, limits);
}

RrsetCheck verify_rrset(const RRset& rrset, const Name& zone,
                        const std::vector<const ZoneKey*>& keys, int64_t now, Budget& budget,
                        const Limits& limits) {
  RrsetCheck worst;
  worst.security = Security::Bogus;
  worst.reason = Reason::RrsigsMissing;
  worst.detail = "no RRSIG over " + rrset_label(rrset) + " by " + zone.to_string();
  auto note = [&](Reason r, std::string detail) {
    if (severity(r) >= severity(worst.reason) || worst.reason == Reason::RrsigsMissing) {
      worst.reason = r;
      worst.detail = std::move(detail);
    }
  };
  uint32_t failed = 0;  // verifications of this RRset that did not succeed
  for (const auto& sig_rdata : rrset.rrsigs) {
    auto sig = parse_rrsig(sig_rdata);
    if (!sig || sig->type_covered != rrset.type) continue;
    if (auto problem = rrsig_unusable(*sig, rrset, zone, now, limits.validity_windows)) {
      note(problem->reason, std::move(problem->detail));
      continue;
    }
    bool any_key = false;
    for (const ZoneKey* kp : keys) {
      const ZoneKey& key = *kp;
      if (key.key_tag != sig->key_tag || key.algorithm != sig->algorithm) continue;
      any_key = true;
      // CVE-2023-50387 (KeyTrap): the work is bounded, not the number of colliding keys. A
      // legitimate zone may publish many keys sharing its signer's tag; only an RRset whose
      // tries keep failing is given up on, as BIND and Unbound do.
      if (failed >= limits.max_failed_checks_per_rrset) {
        RrsetCheck r;
        r.reason = Reason::TooMuchWork;
        r.detail = "gave up on " + rrset_label(rrset) + " after " + std::to_string(failed) +
                   " failed signature checks";
        return r;
      }
      if (budget.signature_checks_left == 0) {
        RrsetCheck r;
        r.reason = Reason::TooMuchWork;
        r.detail = "gave up after " + std::to_string(budget.signature_checks_done) +
                   " signature checks for this query";
        return r;
      }
      --budget.signature_checks_left;
      ++budget.signature_checks_done;
      const auto data = signed_data(*sig, sig_rdata, rrset);
      if (data.empty()) {
        ++failed;
        continue;
      }
      switch (key.key.verify(data, sig->signature)) {
        case crypto::VerifyResult::Valid: {
          RrsetCheck ok;
          ok.security = Security::Secure;
          ok.valid_until = serial_to_unix(sig->expiration, now);
          ok.labels = sig->labels;
          ok.key_tag = key.key_tag;
          ok.original_ttl = sig->original_ttl;
          return ok;
        }
        case crypto::VerifyResult::Invalid:
        case crypto::VerifyResult::Unsupported:
          ++failed;
          note(Reason::SignatureInvalid, "RRSIG over " + rrset_label(rrset) + " by key " +
                                             key_label(sig->key_tag, sig->algorithm) +
                                             " does not verify");
          break;
        case crypto::VerifyResult::Error:
          ++failed;
          note(Reason::CryptoError,
               "the cryptographic library failed on the RRSIG over " + rrset_label(rrset));
          break;
      }
    }
    if (!any_key) {
      note(Reason::NoMatchingKey, "RRSIG over " + rrset_label(rrset) + " names key " +
                                      key_label(sig->key_tag, sig->algorithm) + ", which " +
                                      zone.to_string() + " does not publish");
    }
  }
  return worst;
}

namespace {

// RFC 4035 §5.2 / RFC 6840 §5.2: only DS records with an algorithm and digest we support
// count. RFC 4509 §3: SHA-1 DS records are ignored when a SHA-256 one is present.
struct DsSelection {
  std::vector<DsRdata> all;     // every DS record that parses
  std::vector<DsRdata> usable;  // those this validator can check
  bool saw_algorithm = false;   // some DS names an algorithm we implement
};

DsSelection select_ds(const std::vector<std::vector<uint8_t>>& ds_rdatas) {
  DsSelection s;
  bool has_sha256 = false;
  for (const auto& rd : ds_rdatas) {
    auto ds = parse_ds(rd);
    if (!ds && rd.size() == 4) {
      // Algorithm and digest type but no digest: it can match no key. With an algorithm and
      // a digest type we implement it counts (as in Unbound), so a zone whose DS records
      // are all cut short is bogus, not insecure.
      ds = DsRdata{static_cast<uint16_t>((rd[0] << 8) | rd[1]), rd[2], rd[3], {}};
    }
    if (!ds) continue;
    s.all.push_back(*ds);
    if (crypto::algorithm_supported(ds->algorithm) && ds->digest_type == 2) has_sha256 = true;
  }
  for (const auto& ds : s.all) {
    if (!crypto::algorithm_supported(ds.algorithm)) continue;
    s.saw_algorithm = true;
    if (!crypto::digest_supported(ds.digest_type)) continue;
    if (has_sha256 && ds.digest_type == 1) continue;
    s.usable.push_back(ds);
  }
  return s;
}

DnskeyCheck insecure_from(const DsSelection& s) {
  DnskeyCheck out;
  out.security = Security::Insecure;
  if (!s.saw_algorithm) {
    out.reason = Reason::UnsupportedAlgorithm;
    std::string algs;
    for (const auto& ds : s.all)
      algs += (algs.empty() ? "" : ", ") + crypto::algorithm_name(ds.algorithm);
    out.detail = "the DS RRset names only algorithms this validator does not implement (" + algs +
                 "): treated as unsigned";
  } else {
    out.reason = Reason::UnsupportedDigest;
    out.detail =
        "the DS RRset uses only digest types this validator does not implement: "
        "treated as unsigned";
  }
  return out;
}

}  // namespace

std::optional<DnskeyCheck> insecure_by_ds(const std::vector<std::vector<uint8_t>>& ds_rdatas) {
  const DsSelection s = select_ds(ds_rdatas);
  if (!s.usable.empty()) return std::nullopt;
  return insecure_from(s);
}

DnskeyCheck validate_dnskeys(const Name& zone, const RRset* dnskeys,
                             const std::vector<std::vector<uint8_t>>& ds_rdatas,
                             const std::vector<std::vector<uint8_t>>& anchor_dnskeys, int64_t now,
                             Budget& budget, const Limits& limits) {
  DnskeyCheck out;
  const DsSelection selection = select_ds(ds_rdatas);
  const std::vector<DsRdata>& usable = selection.usable;
  // With no usable DS (and no anchor DNSKEY) the zone is insecure, whatever its DNSKEY RRset.
  if (anchor_dnskeys.empty() && usable.empty()) return insecure_from(selection);
  if (dnskeys == nullptr || dnskeys->rdatas.empty()) {
    out.reason = Reason::DnskeyMissing;
    out.detail = "no DNSKEY RRset for " + zone.to_string() + " although its DS exists";
    return out;
  }
  // The keys the DS (or anchor) vouch for.
  std::vector<ZoneKey> all_keys = decode_zone_keys(*dnskeys);
  std::vector<const ZoneKey*> trusted;
  for (const auto& k : all_keys) {
    // RFC 5011 §2.1: a revoked key is no trust point, whatever DS or anchor names it.
    if ((k.flags & DnskeyRdata::kRevoke) != 0) continue;
    for (const auto& a : anchor_dnskeys) {
      if (a == k.rdata) {
        trusted.push_back(&k);
        out.matches.push_back(DsKeyMatch{0, k.algorithm, 0, k.key_tag, true});
      }
    }
    for (const auto& ds : usable) {
      if (ds.key_tag != k.key_tag || ds.algorithm != k.algorithm) continue;
      auto digest = crypto::ds_digest(ds.digest_type, ds_digest_input(zone, k.rdata));
      if (digest.status == crypto::DigestStatus::Ok &&
          std::equal(digest.digest.begin(), digest.digest.end(), ds.digest.begin(),
                     ds.digest.end())) {
        trusted.push_back(&k);
        out.matches.push_back(DsKeyMatch{ds.key_tag, ds.algorithm, ds.digest_type, k.key_tag});
        break;
      }
    }
  }
  if (trusted.empty()) {
    out.reason = Reason::NoDnskeyMatchesDs;
    std::string ds_list, key_list;
    for (const auto& ds : usable)
      ds_list += (ds_list.empty() ? "" : ", ") + std::to_string(ds.key_tag) + "/" +
                 std::to_string(ds.algorithm) + "/" + std::to_string(ds.digest_type);
    for (const auto& k : all_keys)
      key_list += (key_list.empty() ? "" : ", ") + std::to_string(k.key_tag);
    out.detail = anchor_dnskeys.empty() && !usable.empty()
                     ? "DS " + ds_list + " at the parent matches no DNSKEY of " + zone.to_string() +
                           " (it publishes " + (key_list.empty() ? std::string("none") : key_list) +
                           ")"
                     : "no DNSKEY of " + zone.to_string() + " matches the trust anchor";
    return out;
  }
  // RFC 4035 §5.2: the DNSKEY RRset must be signed by one of the trusted keys.
  auto check = verify_rrset(*dnskeys, zone, trusted, now, budget, limits);
  if (check.security != Security::Secure) {
    out.reason = check.reason == Reason::NoMatchingKey || check.reason == Reason::RrsigsMissing
                     ? Reason::DnskeyNotSignedByDsKey
                     : check.reason;
    out.detail = check.reason == Reason::NoMatchingKey || check.reason == Reason::RrsigsMissing
                     ? "the DNSKEY RRset of " + zone.to_string() +
                           " is not signed by the key the DS names (" + check.detail + ")"
                     : check.detail;
    return out;
  }
  out.security = Security::Secure;
  out.valid_until = check.valid_until;
  out.ttl = std::min(dnskeys->ttl, check.original_ttl);
  out.signed_by = check.key_tag;
  // RFC 5011 §2.1: a revoked key signs its own DNSKEY RRset (so resolvers see the
  // revocation) and nothing else: it must not validate zone data.
  std::erase_if(all_keys, [](const ZoneKey& k) { return (k.flags & DnskeyRdata::kRevoke) != 0; });
  out.keys = std::move(all_keys);
  return out;
}

}  // namespace dnsp::resolver
