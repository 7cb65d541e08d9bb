// Test helpers for rrset_test, canonical_test and trust_anchor_test: messages written with
// MessageBuilder from records given as text and bytes, RRSIG RDATA from its fields, and the
// published RFC 4035 Appendix A/B key and signatures used to verify signed_data end to end.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/message.h"
#include "resolver/wire/message_builder.h"
#include "resolver/wire/name.h"
#include "resolver/wire/rrset.h"
#include "resolver/wire/types.h"
#include "tests/support/wire_bytes.h"

namespace dnsp::resolver::test {

using ::dnsp::test::b64;
using ::dnsp::test::Bytes;
using ::dnsp::test::hex;
using ::dnsp::test::rrsig_time;
using ::dnsp::test::to_hex;
using ::dnsp::test::Wire;

inline Name name(std::string_view text) {
  auto n = Name::from_text(text);
  REQUIRE_MESSAGE(n.has_value(), "bad name in test: " << text);
  return *n;
}

// Uncompressed wire form of a name, as written (case kept).
inline Bytes name_wire(std::string_view text) {
  const Name n = name(text);
  return {n.wire().begin(), n.wire().end()};
}

struct Record {
  Section section;
  std::string_view owner;
  RRType type;
  Bytes rdata;
  uint32_t ttl = 3600;
  RRClass klass = RRClass::IN;
};

// A response holding `records` (in section order), owners compressed by MessageBuilder.
inline Bytes build_packet(const std::vector<Record>& records) {
  MessageBuilder b;
  b.set_header(0x1234, flag::kQR);
  for (const Record& r : records) {
    REQUIRE(b.add_record(r.section, name(r.owner), r.type, r.klass, r.ttl, r.rdata) == Fit::Fitted);
  }
  return b.finish();
}

inline Message parse(const Bytes& packet) {
  auto m = Message::parse(packet);
  REQUIRE(m.has_value());
  return *m;
}

inline std::vector<RRset> group(const Bytes& packet) {
  auto sets = group_rrsets(parse(packet));
  REQUIRE(sets.has_value());
  return *sets;
}

// RRSIG RDATA (RFC 4034 §3.1) from its presentation fields.
struct RrsigFields {
  RRType covered;
  uint8_t algorithm;
  uint8_t labels;
  uint32_t original_ttl;
  std::string_view expiration;  // YYYYMMDDHHmmSS
  std::string_view inception;
  uint16_t key_tag;
  std::string_view signer;
  Bytes signature;
};

inline Bytes rrsig_rdata(const RrsigFields& f) {
  Wire w;
  w.u16(to_u16(f.covered)).u8(f.algorithm).u8(f.labels).u32(f.original_ttl);
  w.u32(rrsig_time(f.expiration)).u32(rrsig_time(f.inception)).u16(f.key_tag);
  w.raw(name_wire(f.signer)).raw(f.signature);
  return w.bytes();
}

inline Bytes a_rdata(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

inline Bytes mx_rdata(uint16_t preference, std::string_view exchange) {
  return Wire().u16(preference).raw(name_wire(exchange)).bytes();
}

// DNSKEY RDATA (RFC 4034 §2.1) with protocol 3.
inline Bytes dnskey_rdata(uint16_t flags, uint8_t algorithm, std::string_view key_b64) {
  return Wire().u16(flags).u8(3).u8(algorithm).raw(b64(key_b64)).bytes();
}

// RFC 4035 Appendix A: the example. zone signing key (256 3 5, key tag 38519) and the
// validity window of every signature in Appendices A and B.
inline constexpr std::string_view kRfc4035Zsk =
    "AQOy1bZVvpPqhg4j7EJoM9rI3ZmyEx2OzDBVrZy/lvI5CQePxXHZS4i8dANH4DX3tbHol61e"
    "k8EFMcsGXxKciJFHyhl94C+NwILQdzsUlSFovBZsyl/NX6yEbtw/xN9ZNcrbYvgjjZ/UVPZI"
    "ySFNsgEYvh0z2542lzMKR4Dh8uZffQ==";

inline RrsigFields rfc4035_rrsig(RRType covered, uint8_t labels, std::string_view signature) {
  return {covered,          5,     labels,     3600,          "20040509183619",
          "20040409183619", 38519, "example.", b64(signature)};
}

}  // namespace dnsp::resolver::test
