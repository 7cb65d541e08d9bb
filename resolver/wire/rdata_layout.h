// Where the domain names sit inside RDATA, per type: the one table that both uncompressing
// received RDATA (expand_rdata in rdata.cc, RFC 3597 §4) and building canonical RDATA for
// signatures (append_canonical_rdata in canonical.cc, RFC 4034 §6.2) walk. A type with
// no entry holds no name either needs to know about and is copied unchanged.
#pragma once

#include <cstdint>

#include "resolver/wire/types.h"

namespace dnsp::resolver {

enum class RdataField : uint8_t {
  Name,        // a domain name
  Fixed,       // `size` octets
  CharString,  // <character-string> (RFC 1035 §3.3): length octet + that many octets
  A6,          // RFC 2874 §3.1.1: prefix length, address suffix, a name when prefix > 0
  Rest,        // everything left (bit maps, signatures, ...); always the last field
};

struct RdataPart {
  RdataField kind;
  uint8_t size = 0;  // Fixed only
};

struct RdataLayout {
  RRType type;
  RdataPart parts[5];
  uint8_t count;
  // The names may arrive compressed and are uncompressed on receipt. RFC 3597 §4 requires
  // it for the RFC 1035 types; we also accept it in later types with names (RRSIG, NSEC,
  // DNAME must not be compressed by senders, but uncompressing an uncompressed name is
  // the identity). A6 is not: its name follows a variable-length suffix nobody compresses.
  bool decompress;
  // Canonical form lowercases the names: RFC 4034 §6.2 item 3 as corrected by RFC 6840
  // §5.1, which takes NSEC out (its Next Domain Name keeps its case). HINFO is in that
  // list but holds only character-strings, so it needs no entry.
  bool lowercase;
};

// The layout of `type`, or nullptr for a type whose RDATA holds no domain name we handle.
const RdataLayout* rdata_layout(RRType type);

}  // namespace dnsp::resolver
