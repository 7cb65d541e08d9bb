// NSEC denial of existence: NXDOMAIN, NODATA, wildcard NODATA, insecure delegations and
// wildcard-expanded answers proven from NSEC records whose signatures are already verified.
// RFC 4035 §3.1.3 and §5.4, RFC 4034 §4 and §6.1 (canonical order), RFC 6840 §4.1, §4.3, §4.4.
#pragma once

#include <vector>

#include "resolver/validate/denial.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

// True when `nsec` proves `name` absent from `zone` by order alone: owner < name < next in
// canonical order (RFC 4034 §6.1). The last NSEC of the chain has next == the zone apex and
// covers every name of the zone after its owner. Says nothing about delegations: the proofs
// below also refuse NSECs owned above a zone cut (RFC 6840 §4.1).
[[nodiscard]] bool nsec_covers(const NsecRecord& nsec, const Name& name, const Name& zone);

// Where an NSEC covering `name` leaves its closest encloser (RFC 4035 §5.4): the longest
// ancestor `name` shares with the NSEC's owner or next name; every longer ancestor lies
// strictly between them and so does not exist. The one copy: the proofs below and the
// RFC 8198 cache (resolver/cache/, to pick which wildcard to look at) use it.
[[nodiscard]] Name nsec_closest_encloser(const NsecRecord& cover, const Name& name);

// Proves that `qname`/`qtype` has no answer in `zone`, whose NSEC records are `nsecs`.
//   NoData:         an NSEC owned by qname lists neither qtype nor CNAME (RFC 4035 §5.4,
//                   RFC 6840 §4.3); or qname is an empty non-terminal: an NSEC owner < qname
//                   whose next name lies below qname.
//   NxDomain:       an NSEC covers qname, and one covers *.closest_encloser.
//   WildcardNoData: an NSEC covers qname, and the NSEC at *.closest_encloser lists neither
//                   qtype nor CNAME.
//   NoDs:           qtype DS, the NSEC at qname has NS, no DS, no SOA (RFC 6840 §4.4).
//   NotACut:        qtype DS, qname exists (or is an empty non-terminal) without NS or SOA.
//   NotProven:      anything else, including an NSEC with NS and no SOA (parent side of a
//                   cut) offered for a type other than DS, or owned above the name it would
//                   prove absent (RFC 6840 §4.1), and the apex NSEC (SOA) offered to deny DS.
[[nodiscard]] DenialResult prove_nsec(const std::vector<NsecRecord>& nsecs, const Name& qname,
                                      RRType qtype, const Name& zone,
                                      Wording wording = Wording::Full);

// RFC 4035 §5.3.4: a positive answer synthesised from the wildcard at
// `wildcard_closest_encloser` (the RRSIG Labels field tells which) is valid only when qname
// itself does not exist and no name between it and the closest encloser does: an NSEC covers
// qname and its own closest encloser is exactly `wildcard_closest_encloser`.
// WildcardAnswerOk or NotProven.
[[nodiscard]] DenialResult prove_wildcard_answer_nsec(const std::vector<NsecRecord>& nsecs,
                                                      const Name& qname,
                                                      const Name& wildcard_closest_encloser,
                                                      const Name& zone,
                                                      Wording wording = Wording::Full);

}  // namespace dnsp::resolver
