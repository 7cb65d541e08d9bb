// NSEC3 denial of existence: closest encloser proofs, NXDOMAIN, NODATA, wildcard NODATA, DS
// NODATA and Opt-Out, and wildcard-expanded answers, from NSEC3 records whose signatures are
// already verified, with iteration and hash-count limits.
// RFC 5155 §7.2.1 and §8, RFC 6840 §4.1 and §4.4, RFC 9276 §3.2, CVE-2023-50868.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "resolver/validate/denial.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

// The NSEC3 work one validation may do. Pass the same object to every proof of a validation:
// hashes_used keeps counting across them.
struct Nsec3Limits {
  // RFC 9276 §3.2: zones whose NSEC3 records use more iterations are treated as Insecure.
  uint16_t max_iterations = 150;
  // CVE-2023-50868: a closest encloser proof hashes every ancestor of a long qname; past
  // this many hash computations a proof stops with NotProven.
  size_t max_hash_computations = 200;
  size_t hashes_used = 0;  // computations so far (a name is hashed once per proof)
};

// base32hex (lowercase, unpadded) of the RFC 5155 §5 hash of `name` in canonical form with
// SHA-1, the salt and iterations: the first label of the NSEC3 owner that matches `name`.
// Empty if hashing fails.
std::string nsec3_hash_label(const Name& name, std::span<const uint8_t> salt, uint16_t iterations);

// Proves that `qname`/`qtype` has no answer in `zone` from its NSEC3 records. Records with a
// hash algorithm other than 1 or flags other than 0 and 1 are ignored (RFC 5155 §8.1, §8.2);
// those left must share salt and iterations, else NotProven; iterations above
// limits.max_iterations give UnsupportedIterations.
//   NoData:         an NSEC3 matches H(qname) and lists neither qtype nor CNAME (§8.5; also
//                   empty non-terminals, which own NSEC3 records).
//   NoDs:           qtype DS, the matching NSEC3 has NS, no DS, no SOA (§8.6, RFC 6840 §4.4).
//   NotACut:        qtype DS, the matching NSEC3 has neither NS nor SOA.
//   NxDomain:       closest encloser proof (§8.3: an NSEC3 matches the closest encloser, one
//                   covers the next closer name) and one covers *.closest_encloser (§8.4).
//   WildcardNoData: closest encloser proof and an NSEC3 matching *.closest_encloser without
//                   qtype and CNAME (§8.7).
//   OptOut:         the NSEC3 covering the next closer name has Opt-Out: for DS this is the
//                   §8.6 insecure delegation proof; for the other proofs an unsigned
//                   delegation may hide there, so NXDOMAIN and wildcard NODATA are Insecure.
//   NotProven:      anything else, including a closest encloser that is a zone cut (NS, no
//                   SOA) or DNAME (RFC 6840 §4.1), a parent-side NSEC3 offered for a type
//                   other than DS, the child's apex NSEC3 (SOA) offered to deny DS, and an
//                   exhausted hash budget.
[[nodiscard]] DenialResult prove_nsec3(const std::vector<Nsec3Record>& records, const Name& qname,
                                       RRType qtype, const Name& zone, Nsec3Limits& limits,
                                       Wording wording = Wording::Full);

// RFC 5155 §8.8: a positive answer expanded from the wildcard at `closest_encloser` (known
// from the RRSIG Labels field) needs an NSEC3 covering the next closer name of qname.
// WildcardAnswerOk, or OptOut when that NSEC3 has Opt-Out (an unsigned delegation may exist
// at the next closer name), else NotProven / UnsupportedIterations.
[[nodiscard]] DenialResult prove_wildcard_answer_nsec3(const std::vector<Nsec3Record>& records,
                                                       const Name& qname,
                                                       const Name& closest_encloser,
                                                       const Name& zone, Nsec3Limits& limits,
                                                       Wording wording = Wording::Full);

}  // namespace dnsp::resolver
