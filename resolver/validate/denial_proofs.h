// The denials a validator asks for, named for what they prove (as Unbound's nsec3_prove_*),
// over the NSEC (nsec.h) and NSEC3 (nsec3.h) engines: a name error or NODATA answer (RFC 4035
// §5.4, RFC 5155 §8.4-8.7), a delegation without DS (RFC 4035 §5.2, RFC 5155 §8.6, RFC 6840
// §4.4) and a wildcard-expanded answer (RFC 4035 §5.3.4, RFC 5155 §8.8).
#pragma once

#include <cstdint>
#include <vector>

#include "resolver/validate/denial.h"
#include "resolver/validate/nsec3.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

// The NSEC or NSEC3 records of one zone whose signatures verified. A proof reads the NSEC
// records when there are any, else the NSEC3 records.
struct DenialRecords {
  Name zone;
  std::vector<NsecRecord> nsecs;
  std::vector<Nsec3Record> nsec3s;
};

// What a proof establishes about the question it was asked.
enum class Denied : uint8_t {
  Proven,             // what was asked is proven (for prove_no_ds: an insecure delegation)
  OptOut,             // an NSEC3 Opt-Out span covers the name (RFC 5155 §6): Insecure
  IterationsTooHigh,  // NSEC3 iterations above the limit (RFC 9276 §3.2): Insecure
  NotACut,            // prove_no_ds: the name exists in the zone (or is an empty
                      // non-terminal) and is no delegation
  NoName,             // prove_no_ds: the name does not exist in the zone
  NotProven,          // the records prove nothing of the kind: Bogus
};

struct DenialProof {
  Denied denied = Denied::NotProven;
  DenialResult found;  // what the engine concluded (kind and words), for traces and verdicts
  // NSEC3: the engine gave NotProven because the hash budget ran out (CVE-2023-50868): too
  // much work rather than a gap in the proof.
  bool out_of_hashes = false;
};

// Each proof has a hash budget of its own: `limits` is copied, its hashes_used left as given.

// NXDOMAIN: qname does not exist and no wildcard could have answered it (RFC 4035 §5.4,
// RFC 5155 §8.4). Proven for DenialKind::NxDomain.
[[nodiscard]] DenialProof prove_name_error(const DenialRecords& records, const Name& qname,
                                           RRType qtype, Nsec3Limits limits);
// NODATA: qname exists without qtype, or a wildcard that would match it does (RFC 4035 §5.4,
// RFC 5155 §8.5-8.7; for qtype DS also an insecure delegation or no cut, §8.6). Proven for
// NoData, WildcardNoData, NoDs and NotACut.
[[nodiscard]] DenialProof prove_nodata(const DenialRecords& records, const Name& qname,
                                       RRType qtype, Nsec3Limits limits);
// The parent's proof that `delegation` has no DS (RFC 4035 §5.2, RFC 5155 §8.6, RFC 6840
// §4.4): Proven (NoDs: an insecure delegation), OptOut (an unsigned delegation may be there),
// NotACut (NotACut, NoData: a name of the zone, no cut), NoName (NxDomain).
[[nodiscard]] DenialProof prove_no_ds(const DenialRecords& records, const Name& delegation,
                                      Nsec3Limits limits);
// A positive answer expanded from the wildcard at `closest_encloser` (the RRSIG Labels field
// names it): qname itself does not exist (RFC 4035 §5.3.4, RFC 5155 §8.8). Proven for
// WildcardAnswerOk.
[[nodiscard]] DenialProof prove_wildcard(const DenialRecords& records, const Name& qname,
                                         const Name& closest_encloser, Nsec3Limits limits);

}  // namespace dnsp::resolver
