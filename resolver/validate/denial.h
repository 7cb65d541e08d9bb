// Authenticated denial of existence, shared by the NSEC (nsec.h) and NSEC3 (nsec3.h) proofs:
// what a proof concludes (DenialKind), and owned copies of the NSEC (RFC 4034 §4) and NSEC3
// (RFC 5155 §3) records it reads. The caller verifies their signatures first; the proofs
// only reason about names, hashes and type bit maps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/name.h"

namespace dnsp::resolver {

enum class DenialKind : uint8_t {
  NxDomain,          // the name does not exist and no wildcard could have matched: Secure
  NoData,            // the name exists, the type does not: Secure
  WildcardNoData,    // no exact match; the wildcard at the closest encloser exists without the
                     // type: Secure
  NoDs,              // DS queries: a delegation (NS present) without DS: an insecure delegation
  OptOut,            // an NSEC3 Opt-Out span covers the next closer name (RFC 5155 §6): an
                     // unsigned delegation may exist there, so the answer is Insecure, never
                     // Secure
  NotACut,           // DS queries: the name exists in the parent's zone and is no delegation
                     // (no NS): no zone cut here, keep walking down
  WildcardAnswerOk,  // positive wildcard-expanded answer: the exact name is proven absent
                     // (RFC 4035 §5.3.4, RFC 5155 §8.8)
  NotProven,         // the records do not prove what was asked: Bogus
  UnsupportedIterations,  // NSEC3 iterations above the limit (RFC 9276 §3.2): Insecure
};

inline std::string_view to_string(DenialKind k) {
  switch (k) {
    case DenialKind::NxDomain:
      return "NxDomain";
    case DenialKind::NoData:
      return "NoData";
    case DenialKind::WildcardNoData:
      return "WildcardNoData";
    case DenialKind::NoDs:
      return "NoDs";
    case DenialKind::OptOut:
      return "OptOut";
    case DenialKind::NotACut:
      return "NotACut";
    case DenialKind::WildcardAnswerOk:
      return "WildcardAnswerOk";
    case DenialKind::NotProven:
      return "NotProven";
    case DenialKind::UnsupportedIterations:
      return "UnsupportedIterations";
  }
  return "?";
}

// How much a proof says in DenialResult::detail. Full: always (the validator: EDE text, logs,
// explain). Failures: only when it fails; a proven result has an empty detail (RFC 8198
// synthesis, which runs a proof on every answer it builds and needs only the kind).
enum class Wording : uint8_t { Full, Failures };

struct DenialResult {
  DenialKind kind;
  // NxDomain, WildcardNoData, OptOut, WildcardAnswerOk: the closest encloser. NoData, NoDs,
  // NotACut: the query name itself. NotProven, UnsupportedIterations: the root.
  Name closest_encloser;
  // Plain words for EDE EXTRA-TEXT and logs, e.g.
  // "NSEC a.example. -> c.example. covers b.example."
  std::string detail;
};

struct NsecRecord {
  Name owner;
  Name next;
  std::vector<uint8_t> type_bitmap;  // RFC 4034 §4.1.2 windows, as on the wire
};

struct Nsec3Record {
  Name owner;  // base32hex(hash) "." zone
  uint8_t hash_algorithm;
  uint8_t flags;  // bit 0 (0x01): Opt-Out, RFC 5155 §3.1.2.1
  uint16_t iterations;
  std::vector<uint8_t> salt;
  std::vector<uint8_t> next_hashed;  // raw hash octets, not base32hex
  std::vector<uint8_t> type_bitmap;
};

// Owned records from uncompressed RDATA (resolver/wire/rdata.h parse_nsec / parse_nsec3);
// nullopt when the RDATA does not parse.
std::optional<NsecRecord> make_nsec_record(const Name& owner, std::span<const uint8_t> rdata);
std::optional<Nsec3Record> make_nsec3_record(const Name& owner, std::span<const uint8_t> rdata);

}  // namespace dnsp::resolver
