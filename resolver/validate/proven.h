// What a secure verdict vouches for, and the one rule built on it (README "Security"):
// every record that leaves in a reply with AD set, or is cached as secure, was validated in
// that validation (or is an RRSIG over such an RRset, or the client's own OPT). Validation
// lists the RRsets it proved; replies.cc keeps only those when it builds a secure reply, each
// with its TTL capped as RFC 4035 §5.3.3 requires (original TTL, time to RRSIG expiration).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

struct ProvenRrset {
  Section section;
  Name owner;  // compared case-insensitively
  RRType type;
  uint32_t max_ttl;  // RFC 4035 §5.3.3: no record of the RRset (nor its RRSIGs) lives longer
};
using ProvenRrsets = std::vector<ProvenRrset>;

// RFC 4035 §5.3.3: the TTL of a validated RRset is at most the RRSIG's Original TTL and the
// time left until that RRSIG's expiration.
uint32_t ttl_cap(uint32_t original_ttl, int64_t valid_until, int64_t now);

// The entry of `proven` that vouches for `rr` of `msg` (an RRSIG is vouched for by the entry
// of the RRset it covers, at the same owner and section), or null: the record must not go out
// in a secure reply.
const ProvenRrset* vouched_for(std::span<const ProvenRrset> proven, const Message& msg,
                               const RecordView& rr);

}  // namespace dnsp::resolver
