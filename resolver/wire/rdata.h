// RDATA: uncompressing embedded names (RFC 3597 §4) and typed views of the RDATA the
// validator reads: DS, DNSKEY, RRSIG (RFC 4034 §2-5), NSEC3, NSEC3PARAM (RFC 5155 §3-4),
// SOA, CNAME, DNAME. Typed parsers take uncompressed RDATA.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "resolver/wire/message.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "resolver/wire/wire_error.h"

namespace dnsp::resolver {

// Appends the record's RDATA to `out` with every embedded name written uncompressed.
// RFC 3597 §4: names in RFC 1035 types may be compressed; we also accept compression in
// RP, AFSDB, RT, SIG, PX, NXT, NAPTR, SRV and in RRSIG, NSEC, DNAME (which senders must
// not compress, but decompressing an uncompressed name is the identity). Other types are
// copied as they are. Fails when the RDATA does not match its type's layout. The types and
// where their names sit: resolver/wire/rdata_layout.h, shared with canonical form.
WireResult<bool> expand_rdata(const Message& msg, const RecordView& rr, std::vector<uint8_t>& out);

struct SoaRdata {
  Name mname, rname;
  uint32_t serial, refresh, retry, expire, minimum;
};
struct DsRdata {
  uint16_t key_tag;
  uint8_t algorithm;
  uint8_t digest_type;
  std::span<const uint8_t> digest;
};
struct DnskeyRdata {
  uint16_t flags;
  uint8_t protocol;
  uint8_t algorithm;
  std::span<const uint8_t> public_key;
  static constexpr uint16_t kZoneKey = 0x0100;  // RFC 4034 §2.1.1 bit 7
  static constexpr uint16_t kSep = 0x0001;      // bit 15
  static constexpr uint16_t kRevoke = 0x0080;   // RFC 5011 §3 bit 8
};
struct RrsigRdata {
  RRType type_covered;
  uint8_t algorithm;
  uint8_t labels;
  uint32_t original_ttl;
  uint32_t expiration;
  uint32_t inception;
  uint16_t key_tag;
  Name signer;
  std::span<const uint8_t> signature;
  size_t signed_prefix_length;  // octets before the signature (RFC 4034 §3.1.8.1)
};
// RFC 4034 §4.1.2: the type bit map, as windows.
struct TypeBitmap {
  std::span<const uint8_t> raw;
  bool contains(RRType t) const;
};
struct NsecRdata {
  Name next;
  TypeBitmap types;
};
struct Nsec3Rdata {
  uint8_t hash_algorithm;
  uint8_t flags;
  uint16_t iterations;
  std::span<const uint8_t> salt;
  std::span<const uint8_t> next_hashed;
  TypeBitmap types;
  static constexpr uint8_t kOptOut = 0x01;  // RFC 5155 §3.1.2.1
};
struct Nsec3ParamRdata {
  uint8_t hash_algorithm;
  uint8_t flags;
  uint16_t iterations;
  std::span<const uint8_t> salt;
};

WireResult<SoaRdata> parse_soa(std::span<const uint8_t> rdata);
WireResult<Name> parse_single_name(std::span<const uint8_t> rdata);  // CNAME, DNAME, NS, PTR
WireResult<DsRdata> parse_ds(std::span<const uint8_t> rdata);
WireResult<DnskeyRdata> parse_dnskey(std::span<const uint8_t> rdata);
WireResult<RrsigRdata> parse_rrsig(std::span<const uint8_t> rdata);
WireResult<NsecRdata> parse_nsec(std::span<const uint8_t> rdata);
WireResult<Nsec3Rdata> parse_nsec3(std::span<const uint8_t> rdata);
WireResult<Nsec3ParamRdata> parse_nsec3param(std::span<const uint8_t> rdata);
// Checks the bit map's window structure (RFC 4034 §4.1.2): increasing windows, lengths 1-32.
bool type_bitmap_valid(std::span<const uint8_t> raw);

}  // namespace dnsp::resolver
