// ValidationTrace: what one Validation established, as data rather than log lines, for the
// explain command (resolver/explain/explain.h): per zone the DS and DNSKEY RRsets and how they were
// authenticated (RFC 4035 §5.2), each answer RRset with its RRSIGs (§5.3), and the NSEC/NSEC3
// proofs used (§5.4). Reruns after resume() overwrite entries, they never duplicate them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/validate/denial.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

using Rdatas = std::vector<std::vector<uint8_t>>;

// One RRset as the validator saw it and what checking its RRSIGs with `zone`'s keys gave.
struct CheckedRrset {
  Name owner;
  RRType type = RRType::A;
  uint32_t ttl = 0;
  Section section = Section::Answer;
  Rdatas rdatas;
  Rdatas rrsigs;
  Name zone;  // the zone whose keys were (or would have been) used: the RRSIG signer
  // Secure: an RRSIG verified with `verified_by`. Bogus: none did (reason, detail).
  // Insecure: the zone is provably unsigned. Indeterminate: not checked, because the
  // zone's keys are not trusted (the zone's verdict says why).
  Security security = Security::Indeterminate;
  Reason reason = Reason::None;
  std::string detail;
  uint16_t verified_by = 0;  // key tag, when Secure
};

// What an NSEC/NSEC3 proof was asked and what it concluded.
enum class DenialPurpose : uint8_t {
  NegativeAnswer,  // NXDOMAIN or NODATA for the query (or a CNAME target)
  WildcardAnswer,  // RFC 4035 §5.3.4: a wildcard-expanded answer needs the exact name absent
  NoDs,            // RFC 4035 §5.2: the parent proves a delegation has no DS
};

struct DenialTrace {
  DenialPurpose purpose = DenialPurpose::NegativeAnswer;
  Name qname;
  RRType qtype = RRType::A;
  Name zone;  // whose NSEC/NSEC3 records were used
  DenialKind kind = DenialKind::NotProven;
  std::string detail;                 // DenialResult::detail: which record covers/matches what
  std::vector<CheckedRrset> records;  // the NSEC/NSEC3 RRsets offered, each with its check
};

// Where the DS RRset a zone was authenticated from came from.
enum class DsSource : uint8_t {
  None,         // no DS (insecure delegation, or it was never reached)
  TrustAnchor,  // the configured anchor (DS and/or DNSKEY records)
  Parent,       // the DS RRset signed by the parent zone
  KeyCache,     // a key entry validated by an earlier query (its DS kept in the cache)
};

struct ZoneTrace {
  Name zone;
  DsSource ds_source = DsSource::None;
  Rdatas ds_rdatas;                     // anchor DS, the parent's DS RRset, or the cached one
  Rdatas anchor_dnskeys;                // TrustAnchor: DNSKEY records of the anchor
  std::optional<CheckedRrset> ds;       // Parent: the DS RRset and its check with the parent's keys
  std::optional<CheckedRrset> dnskeys;  // the DNSKEY RRset and its check with the DS-named keys
  std::vector<DsKeyMatch> matches;
  std::optional<DenialTrace> no_ds;  // the parent's proof that there is no DS
  Verdict verdict;                   // Secure, Insecure or Bogus (Indeterminate while unfinished)
};

struct ValidationTrace {
  std::vector<ZoneTrace> zones;      // in the order they were first reached
  std::vector<CheckedRrset> answer;  // the answer RRsets checked, CNAME/DNAME links included
  std::vector<DenialTrace> denials;  // negative answers and wildcard proofs

  // The entry for `zone`, added when missing.
  ZoneTrace& zone(const Name& zone);
  const ZoneTrace* find_zone(const Name& zone) const;
  // Adds or replaces the entry with the same owner and type.
  void set_answer(CheckedRrset rrset);
  // Adds or replaces the entry with the same purpose, qname and qtype.
  void set_denial(DenialTrace denial);
};

}  // namespace dnsp::resolver
