// Verifying one RRset's RRSIGs with a zone's keys (RFC 4035 §5.3, RFC 4034 §3.1.5 serial
// arithmetic for the validity window) and authenticating a zone's DNSKEY RRset from its DS
// RRset or trust anchor (RFC 4035 §5.2, RFC 4509 §3, RFC 6840 §5.2-5.3). Work is counted
// against a Budget (CVE-2023-50387 KeyTrap): running out is a verdict, never a hang.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/verify/key_cache.h"
#include "resolver/verify/limits.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/rrset.h"

namespace dnsp::resolver {

struct RrsetCheck {
  Security security = Security::Bogus;  // Secure or Bogus
  Reason reason = Reason::None;
  std::string detail;
  int64_t valid_until = 0;    // the verifying RRSIG's expiration (for cache TTLs)
  uint8_t labels = 0;         // the verifying RRSIG's labels field (wildcard detection)
  uint16_t key_tag = 0;       // the key that verified it
  uint32_t original_ttl = 0;  // the verifying RRSIG's Original TTL (RFC 4035 §5.3.3)
};

// RFC 4035 §5.3.1: RRSIGs whose signer is `zone`, covering the RRset's type, inside their
// validity window, made by one of `keys` (tag and algorithm) must verify; one is enough.
// Every key with the RRSIG's tag and algorithm is tried (tags collide, RFC 4034 App. B), each
// try counted against `budget`; after limits.max_failed_checks_per_rrset failed tries, or with
// the budget spent, the RRset is Bogus with Reason::TooMuchWork.
[[nodiscard]] RrsetCheck verify_rrset(const RRset& rrset, const Name& zone,
                                      const std::vector<ZoneKey>& keys, int64_t now, Budget& budget,
                                      const Limits& limits);
[[nodiscard]] RrsetCheck verify_rrset(const RRset& rrset, const Name& zone,
                                      const std::vector<const ZoneKey*>& keys, int64_t now,
                                      Budget& budget, const Limits& limits);

// Which DS record (or anchor DNSKEY) vouched for which DNSKEY.
struct DsKeyMatch {
  uint16_t ds_key_tag = 0;  // 0 with anchor_dnskey
  uint8_t algorithm = 0;
  uint8_t digest_type = 0;
  uint16_t key_tag = 0;  // the DNSKEY it matches
  bool anchor_dnskey = false;
};

struct DnskeyCheck {
  Security security = Security::Bogus;  // Secure, Insecure (only unsupported algorithms or
                                        // digests) or Bogus
  Reason reason = Reason::None;
  std::string detail;
  std::vector<ZoneKey> keys;  // Secure: every zone key in the RRset that may sign zone data
                              // (decoded; revoked keys left out, RFC 5011 §2.1)
  int64_t valid_until = 0;
  uint32_t ttl = 0;  // Secure: the DNSKEY RRset's TTL, at most its RRSIG's Original TTL
  std::vector<DsKeyMatch> matches;  // the DS records (or anchor DNSKEYs) that matched a key
  uint16_t signed_by = 0;           // Secure: the key tag whose RRSIG over the RRset verified
};

// RFC 4035 §5.2, RFC 6840 §5.2: a validated DS RRset none of whose records this validator can
// use (only unsupported algorithms, or only unsupported digest types) makes the zone insecure
// from the DS RRset alone, without its DNSKEY RRset: the Insecure check saying why
// (UnsupportedAlgorithm or UnsupportedDigest). nullopt when some DS record is usable.
[[nodiscard]] std::optional<DnskeyCheck> insecure_by_ds(
    const std::vector<std::vector<uint8_t>>& ds_rdatas);

// Authenticates `dnskeys` (the zone's DNSKEY RRset, or null when none came back) from the
// DS RRdata of the parent or the anchor's DS / DNSKEY RRdata.
[[nodiscard]] DnskeyCheck validate_dnskeys(const Name& zone, const RRset* dnskeys,
                                           const std::vector<std::vector<uint8_t>>& ds_rdatas,
                                           const std::vector<std::vector<uint8_t>>& anchor_dnskeys,
                                           int64_t now, Budget& budget, const Limits& limits);

// Decodes every zone key (flags bit 7, protocol 3) of a DNSKEY RRset; others are skipped.
std::vector<ZoneKey> decode_zone_keys(const RRset& dnskeys);

}  // namespace dnsp::resolver
