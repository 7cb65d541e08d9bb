// RRset: the records of one owner, type and class in one message section, with the RRSIGs
// that cover them (RFC 2181 §5, RFC 4034 §3, RFC 4035 §5.3), grouped once per message.
// RDATA is held uncompressed (RFC 3597 §4), ready for canonical form (canonical.h).
#pragma once

#include <cstdint>
#include <vector>

#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "resolver/wire/wire_error.h"

namespace dnsp::resolver {

struct RRset {
  Name owner;  // as it appeared first in the message (case preserved)
  RRType type;
  RRClass klass;
  uint32_t ttl;  // the smallest TTL of the records in `rdatas` (RRSIG TTLs not folded in)
  Section section;
  // Uncompressed RDATA of each record, in message order, identical ones kept once.
  std::vector<std::vector<uint8_t>> rdatas;
  // Uncompressed RDATA of the RRSIGs whose Type Covered is `type` (same owner, class and
  // section), in message order, identical ones kept once.
  std::vector<std::vector<uint8_t>> rrsigs;
};

// Groups the records of each section (OPT excluded) by owner (case-insensitively, RFC
// 4343), type and class, in order of first appearance. Each RRSIG joins the RRset of its
// owner, class and section whose type is its Type Covered, wherever it appears in the
// section. An RRSIG that covers no RRset of the message lands in an entry of type RRSIG
// whose `rdatas` are those RRSIGs (and whose `rrsigs` is empty), so nothing is dropped.
// Identical RDATAs within an RRset are kept once (RFC 2181 §5). BadRdata when a record's
// RDATA does not match its type's layout (including an RRSIG that does not parse).
WireResult<std::vector<RRset>> group_rrsets(const Message& msg);

}  // namespace dnsp::resolver
