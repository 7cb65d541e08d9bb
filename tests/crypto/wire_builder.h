// Test helper for tests/crypto: the signed data and DNSKEY RDATA of the RFC examples, written
// by hand with Wire (tests/support/wire_bytes.h) as RRSIG RDATA and canonical RRs per RFC 4034
// §3.1.8.1 and §6.2, so the crypto tests need no resolver code. Names must already be in
// canonical (lowercase) form.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/wire_bytes.h"

namespace dnsp::crypto::test {

using ::dnsp::test::b64;
using ::dnsp::test::Bytes;
using ::dnsp::test::hex;
using ::dnsp::test::rrsig_time;
using ::dnsp::test::to_hex;
using ::dnsp::test::Wire;

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeMx = 15;
constexpr uint16_t kTypeDnskey = 48;
constexpr uint16_t kTypeNsec3param = 51;
constexpr uint16_t kClassIn = 1;

// The RRSIG RDATA fields before the signature (RFC 4034 §3.1).
struct RrsigFields {
  uint16_t type_covered;
  uint8_t algorithm;
  uint8_t labels;
  uint32_t original_ttl;
  std::string_view expiration;  // YYYYMMDDHHmmSS
  std::string_view inception;
  uint16_t key_tag;
  std::string_view signer;
};

// RFC 4034 §3.1.8.1: signature = sign(RRSIG_RDATA | RR(1) | RR(2)...), where RRSIG_RDATA
// excludes the Signature field and each RR is owner | type | class | original TTL |
// RDATA length | RDATA. These examples sign single-RR RRsets, so no sorting is needed.
inline Bytes signed_data(const RrsigFields& sig, std::string_view owner,
                         std::span<const uint8_t> rdata) {
  Wire w;
  w.u16(sig.type_covered).u8(sig.algorithm).u8(sig.labels).u32(sig.original_ttl);
  w.u32(rrsig_time(sig.expiration)).u32(rrsig_time(sig.inception)).u16(sig.key_tag);
  w.name(sig.signer);
  w.name(owner).u16(sig.type_covered).u16(kClassIn).u32(sig.original_ttl);
  w.u16(static_cast<uint16_t>(rdata.size())).raw(rdata);
  return w.bytes();
}

// DNSKEY RDATA (RFC 4034 §2.1): flags | protocol 3 | algorithm | public key.
inline Bytes dnskey_rdata(uint16_t flags, uint8_t algorithm, std::span<const uint8_t> key) {
  return Wire().u16(flags).u8(3).u8(algorithm).raw(key).bytes();
}

}  // namespace dnsp::crypto::test
