// DNS numbers: RR types, classes, opcodes, rcodes, header flag bits (RFC 1035 §4.1,
// RFC 6891 §6.1.3 extended rcodes, RFC 4035 DO/AD/CD) and their mnemonics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnsp::resolver {

// Any 16-bit value is a valid RRType; the named ones are those the proxy reads.
enum class RRType : uint16_t {
  A = 1,
  NS = 2,
  MD = 3,
  MF = 4,
  CNAME = 5,
  SOA = 6,
  MB = 7,
  MG = 8,
  MR = 9,
  NULL_ = 10,
  WKS = 11,
  PTR = 12,
  HINFO = 13,
  MINFO = 14,
  MX = 15,
  TXT = 16,
  RP = 17,
  AFSDB = 18,
  SIG = 24,
  KEY = 25,
  PX = 26,
  AAAA = 28,
  NXT = 30,
  SRV = 33,
  NAPTR = 35,
  KX = 36,
  DNAME = 39,
  OPT = 41,
  DS = 43,
  RRSIG = 46,
  NSEC = 47,
  DNSKEY = 48,
  NSEC3 = 50,
  NSEC3PARAM = 51,
  CDS = 59,
  CDNSKEY = 60,
  SVCB = 64,
  HTTPS = 65,
  IXFR = 251,
  AXFR = 252,
  MAILB = 253,
  MAILA = 254,
  ANY = 255,
};

enum class RRClass : uint16_t { IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255 };

enum class Opcode : uint8_t { Query = 0, IQuery = 1, Status = 2, Notify = 4, Update = 5 };

// 12-bit extended rcode (RFC 6891 §6.1.3): low 4 bits in the header, high 8 in OPT TTL.
enum class RCode : uint16_t {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NXDomain = 3,
  NotImp = 4,
  Refused = 5,
  YXDomain = 6,
  YXRRSet = 7,
  NXRRSet = 8,
  NotAuth = 9,
  NotZone = 10,
  BadVers = 16,
};

// Header flag bits (second 16-bit word of the header).
namespace flag {
inline constexpr uint16_t kQR = 0x8000;
inline constexpr uint16_t kAA = 0x0400;
inline constexpr uint16_t kTC = 0x0200;
inline constexpr uint16_t kRD = 0x0100;
inline constexpr uint16_t kRA = 0x0080;
inline constexpr uint16_t kZ = 0x0040;
inline constexpr uint16_t kAD = 0x0020;  // RFC 4035 §3.2.3
inline constexpr uint16_t kCD = 0x0010;  // RFC 4035 §3.2.2
}  // namespace flag

// EDNS0 OPT TTL bit (RFC 3225): DNSSEC OK.
inline constexpr uint16_t kEdnsDo = 0x8000;

// A meta-type (RFC 6895 §3.1) or QTYPE-only value: never stored as data.
bool is_meta_type(RRType t);

// "A", "DNSKEY", or "TYPE65534" (RFC 3597 §5) for unnamed types.
std::string to_string(RRType t);
// Accepts mnemonics case-insensitively and TYPEnnn.
std::optional<RRType> parse_rr_type(std::string_view text);
std::string to_string(RCode r);
std::string to_string(RRClass c);

inline uint16_t to_u16(RRType t) { return static_cast<uint16_t>(t); }
inline uint16_t to_u16(RRClass c) { return static_cast<uint16_t>(c); }

}  // namespace dnsp::resolver
