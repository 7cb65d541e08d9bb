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
#include "resolver/wire/types.h"

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

// The NODATA rule, one copy for NSEC (RFC 4035 §5.4) and NSEC3 (RFC 5155 §8.5-8.6): what the
// type bit map of the record owned by (NSEC) or matching (NSEC3) qname says about qtype.
// For a non-DS question: qtype absent, CNAME absent (it would have been followed, RFC 6840
// §4.3), and not the parent side of a zone cut (NS without SOA speaks for DS only, RFC 6840
// §4.1). For DS (RFC 6840 §4.4): the parent's record, so SOA clear (set: the child's apex)
// and DS and CNAME absent; then NS present is an insecure delegation, NS absent no cut. The
// root has no parent: its apex record proves `. DS` NODATA like any other type.
enum class NodataRule : uint8_t {
  NoData,      // proven: NoData
  NoDs,        // proven: NoDs (DS)
  NotACut,     // proven: NotACut (DS)
  ChildApex,   // DS: SOA set, the child zone's apex record cannot deny DS
  HasDs,       // DS: the DS RRset exists
  HasCname,    // CNAME listed
  HasType,     // qtype listed
  ParentSide,  // NS without SOA, for a type other than DS
};
[[nodiscard]] NodataRule nodata_rule(std::span<const uint8_t> type_bitmap, const Name& qname,
                                     RRType qtype);
// NoData, NoDs or NotACut for the rules that prove one; NotProven for the others.
[[nodiscard]] DenialKind nodata_kind(NodataRule rule);

// How a proof names the record it read: `record` is "NSEC" or "NSEC3", and `joint` joins the
// record's description to a finding ("NSEC a. -> c. lists DS", "NSEC3 ... matches b. and
// lists DS").
struct RecordWords {
  std::string_view record;
  std::string_view joint;
};

// The result of `rule` for qname/qtype: the kind it proves (NotProven for the others), with
// `what` (the record's description) and the rule's words as detail.
[[nodiscard]] DenialResult nodata_result(NodataRule rule, const Name& qname, RRType qtype,
                                         std::string what, RecordWords words);

// nodata_rule() and nodata_result(), describing the record (`what()`) only when the detail
// needs it: with Wording::Failures a proven result has none.
template <class Describe>
DenialResult nodata_from_bitmap(std::span<const uint8_t> type_bitmap, const Name& qname,
                                RRType qtype, Wording wording, const Describe& what,
                                RecordWords words) {
  const NodataRule rule = nodata_rule(type_bitmap, qname, qtype);
  const DenialKind kind = nodata_kind(rule);
  if (wording == Wording::Failures && kind != DenialKind::NotProven) return {kind, qname, {}};
  return nodata_result(rule, qname, qtype, what(), words);
}

// Owned records from uncompressed RDATA (resolver/wire/rdata.h parse_nsec / parse_nsec3);
// nullopt when the RDATA does not parse.
std::optional<NsecRecord> make_nsec_record(const Name& owner, std::span<const uint8_t> rdata);
std::optional<Nsec3Record> make_nsec3_record(const Name& owner, std::span<const uint8_t> rdata);

}  // namespace dnsp::resolver
