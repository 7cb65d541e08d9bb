// What the parts of Validation share (validation.cc, chain_walk.cc, answer_checks.cc,
// cname_chain.cc): finding RRsets and signers in a reply, building verdicts, and RRsets as
// evidence for the trace. Private to resolver/validate/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/validation_trace.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/name.h"
#include "resolver/wire/rrset.h"

namespace dnsp::resolver {

const RRset* find_rrset(const std::vector<RRset>& rrsets, const Name& owner, RRType type,
                        Section section);
std::vector<RRset> section_rrsets(const std::vector<RRset>& all, Section s);
bool has_any_rrsig(const std::vector<RRset>& rrsets);

// The signer an RRset is validated with: of its RRSIGs' signers that are the owner or an
// ancestor of it (RFC 4035 §5.3.1), the closest to the owner; else the first one named (which
// then fails as a bad signer). An RRSIG added by an attacker cannot pull the RRset into a
// zone above the one that really signs it.
std::optional<Name> signer_of(const RRset& rrset);
// The zone that signed a negative reply: the signer of its first signed SOA, NSEC or NSEC3
// RRset in `authority`; nullopt when none is signed.
std::optional<Name> denial_signer(const std::vector<RRset>& authority);

inline Verdict verdict(Security s, Reason r, const Name& zone, std::string detail) {
  return Verdict{s, r, zone, std::move(detail)};
}
// " (detail)", or nothing when there is no detail.
inline std::string in_parentheses(const std::string& detail) {
  return detail.empty() ? std::string() : " (" + detail + ")";
}
// The earlier of two expirations where 0 means none yet.
inline int64_t earliest(int64_t until, int64_t other) {
  return until == 0 ? other : std::min(until, other);
}

// RFC 4035 §4.3/§5: data at or below a trust anchor is validated from that anchor down, so
// an RRSIG whose signer lies above the closest anchor enclosing the owner cannot vouch for it
// (nor make it insecure through an unsigned zone above an island of trust): Bogus.
std::optional<Verdict> signer_above_anchor(const TrustAnchors& anchors, const Name& owner,
                                           const Name& signer);

// An RRset as evidence for the trace: not checked yet, with the check of its RRSIGs, or with
// a verdict about it.
CheckedRrset unchecked_evidence(const RRset& r, const Name& zone);
CheckedRrset checked_evidence(const RRset& r, const Name& zone, const RrsetCheck& check);
CheckedRrset judged_evidence(const RRset& r, const Name& zone, const Verdict& v);

// What authenticating a DNSKEY RRset found: which DS matched which key, which key signed.
void note_dnskey_check(ZoneTrace& z, const DnskeyCheck& check);

}  // namespace dnsp::resolver
