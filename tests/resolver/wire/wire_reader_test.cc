// tests/resolver: WireReader — bounds-checked integers and compressed names (RFC 1035
// §4.1.4): each malformed name gives its WireError instead of a read past the packet.
#include "resolver/wire/wire_reader.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

// A packet whose first 12 octets stand in for a header, so names start at offset 12 as
// they do in a message.
Wire after_header() {
  Wire p;
  p.header(0, 0, 0, 0, 0, 0);
  return p;
}

WireError name_error(const Bytes& packet, size_t pos) {
  WireReader r(packet, pos);
  auto n = r.name();
  REQUIRE_FALSE(n.has_value());
  return n.error();
}

TEST_CASE("wire reader: integers are read big-endian and advance the position") {
  const Bytes packet = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xAA, 0xBB};
  WireReader r(packet);
  CHECK(*r.u8() == 0x01);
  CHECK(*r.u16() == 0x0203);
  CHECK(*r.u32() == 0x04050607u);
  CHECK(r.pos() == 7);
  CHECK(r.remaining() == 2);
  auto rest = r.bytes(2);
  REQUIRE(rest.has_value());
  CHECK(to_bytes(*rest) == Bytes{0xAA, 0xBB});
  CHECK(r.at_end());
}

TEST_CASE("wire reader: a read past the end is Truncated and consumes nothing") {
  const Bytes packet = {0x01, 0x02, 0x03};
  WireReader r(packet, 1);
  CHECK(r.u32().error() == WireError::Truncated);
  CHECK(r.bytes(3).error() == WireError::Truncated);
  CHECK(r.pos() == 1);
  CHECK(*r.u16() == 0x0203);
  CHECK(r.u8().error() == WireError::Truncated);
  CHECK(r.u16().error() == WireError::Truncated);
  CHECK(r.pos() == 3);
  auto none = r.bytes(0);
  REQUIRE(none.has_value());
  CHECK(none->empty());
}

TEST_CASE("wire reader: reads stop at the given end, which is clamped to the packet") {
  const Bytes packet = {0x01, 0x02, 0x03, 0x04, 0x05};
  WireReader r(packet, 1, 3);
  CHECK(r.remaining() == 2);
  CHECK(*r.u16() == 0x0203);
  CHECK(r.at_end());
  CHECK(r.u8().error() == WireError::Truncated);

  WireReader clamped(packet, 0, 100);
  CHECK(clamped.remaining() == packet.size());
}

TEST_CASE("wire reader: an uncompressed name is read up to and including its root label") {
  const Bytes packet = after_header().name("www.Example.com").u16(0xABCD).bytes();
  WireReader r(packet, 12);
  auto n = r.name();
  REQUIRE(n.has_value());
  CHECK(wire_of(*n) == Wire().name("www.Example.com").bytes());
  CHECK(r.pos() == 12 + 17);
  CHECK(*r.u16() == 0xABCD);
}

TEST_CASE("wire reader: the root name is a single zero octet") {
  const Bytes packet = after_header().root().bytes();
  WireReader r(packet, 12);
  auto n = r.name();
  REQUIRE(n.has_value());
  CHECK(n->is_root());
  CHECK(r.at_end());
}

TEST_CASE("wire reader: compressed names are decoded and the position ends after the pointer") {
  Wire p = after_header();
  p.name("Example.com");                 // 12..24
  p.labels("www").ptr(12);               // 25..30: www.Example.com
  p.ptr(25);                             // 31..32: www.Example.com again
  p.labels("mail.eu").ptr(25).u8(0x7F);  // 33..43: mail.eu.www.Example.com, then an octet
  const Bytes packet = p.bytes();

  WireReader r(packet, 12);
  auto first = r.name();
  REQUIRE(first.has_value());
  CHECK(wire_of(*first) == Wire().name("Example.com").bytes());
  CHECK(r.pos() == 25);

  auto second = r.name();
  REQUIRE(second.has_value());
  CHECK(wire_of(*second) == Wire().name("www.Example.com").bytes());
  CHECK(r.pos() == 31);

  auto third = r.name();
  REQUIRE(third.has_value());
  CHECK(wire_of(*third) == Wire().name("www.Example.com").bytes());
  CHECK(r.pos() == 33);

  auto fourth = r.name();
  REQUIRE(fourth.has_value());
  CHECK(wire_of(*fourth) == Wire().name("mail.eu.www.Example.com").bytes());
  CHECK(r.pos() == 43);
  CHECK(*r.u8() == 0x7F);
}

TEST_CASE("wire reader: a pointer may point into the header or before the reader's start") {
  Wire p;
  p.u16(0).u8(0).name("a").root();  // 3..5: "a."; 6: a stray root octet
  p.raw({0, 0, 0, 0, 0});           // up to 12
  p.labels("b").ptr(3);
  const Bytes packet = p.bytes();
  WireReader r(packet, 12);
  auto n = r.name();
  REQUIRE(n.has_value());
  CHECK(*n == name("b.a"));
}

TEST_CASE("wire reader: a pointer to itself is a PointerLoop") {
  const Bytes packet = after_header().ptr(12).bytes();
  CHECK(name_error(packet, 12) == WireError::PointerLoop);
}

TEST_CASE("wire reader: a pointer that points forward is a PointerLoop") {
  Wire p = after_header();
  p.ptr(14);    // 12: forward to 14
  p.name("a");  // 14
  const Bytes packet = p.bytes();
  CHECK(name_error(packet, 12) == WireError::PointerLoop);
}

TEST_CASE("wire reader: two pointers pointing at each other are a PointerLoop") {
  Wire p = after_header();
  p.ptr(14);  // 12 -> 14
  p.ptr(12);  // 14 -> 12
  const Bytes packet = p.bytes();
  CHECK(name_error(packet, 12) == WireError::PointerLoop);
  CHECK(name_error(packet, 14) == WireError::PointerLoop);
}

TEST_CASE("wire reader: a pointer back to a label of its own name is a PointerLoop") {
  // 12: "a" then a pointer to 12: a.a.a.a... Each pointer points backwards, but the name
  // it reaches runs back into the pointer itself.
  Wire p = after_header();
  p.labels("a").ptr(12);
  const Bytes packet = p.bytes();
  CHECK(name_error(packet, 12) == WireError::PointerLoop);

  // The same loop entered from a later name.
  p.labels("b").ptr(14);  // 16: "b" then -> 14, the pointer to 12
  const Bytes longer = p.bytes();
  CHECK(name_error(longer, 16) == WireError::PointerLoop);
}

TEST_CASE("wire reader: a pointer past the end of the packet is a PointerLoop") {
  const Bytes packet = after_header().ptr(0x3FFF).bytes();
  CHECK(name_error(packet, 12) == WireError::PointerLoop);
}

TEST_CASE("wire reader: a pointer cut after its first octet is Truncated") {
  const Bytes packet = after_header().labels("a").u8(0xC0).bytes();
  CHECK(name_error(packet, 12) == WireError::Truncated);
}

TEST_CASE("wire reader: the reserved label types 0x40 and 0x80 are BadLabel") {
  for (uint8_t type : {uint8_t{0x40}, uint8_t{0x80}}) {
    CAPTURE(int{type});
    const Bytes direct = after_header().u8(type | 1).u8('a').root().bytes();
    CHECK(name_error(direct, 12) == WireError::BadLabel);

    Wire p = after_header();
    p.labels("x").u8(type).root();  // 12: x, then the reserved type
    p.ptr(12);                      // 16: reached through a pointer
    const Bytes via_pointer = p.bytes();
    CHECK(name_error(via_pointer, 16) == WireError::BadLabel);
  }
}

TEST_CASE("wire reader: a label cut by the end of the packet is Truncated") {
  const Bytes packet = after_header().u8(5).raw({'a', 'b'}).bytes();
  CHECK(name_error(packet, 12) == WireError::Truncated);
}

TEST_CASE("wire reader: a name without its root label is Truncated") {
  const Bytes packet = after_header().labels("www.example").bytes();
  CHECK(name_error(packet, 12) == WireError::Truncated);
}

TEST_CASE("wire reader: a name is cut by the reader's end, not the packet's") {
  const Bytes packet = after_header().name("example").bytes();
  WireReader r(packet, 12, 16);
  CHECK(r.name().error() == WireError::Truncated);
}

TEST_CASE("wire reader: a name over 255 octets built through pointers is NameTooLong") {
  // Each step adds a 63-octet label in front of the previous name: 64 + 64 + 64 + 1 = 193
  // octets after three, then a fourth label of n octets makes 193 + 1 + n.
  Wire p = after_header();
  const size_t a = p.size();
  p.label(std::string(63, 'a')).root();
  const size_t b = p.size();
  p.label(std::string(63, 'b')).ptr(static_cast<uint16_t>(a));
  const size_t c = p.size();
  p.label(std::string(63, 'c')).ptr(static_cast<uint16_t>(b));
  const size_t fits = p.size();
  p.label(std::string(61, 'd')).ptr(static_cast<uint16_t>(c));  // 255 octets
  const size_t too_long = p.size();
  p.label(std::string(62, 'd')).ptr(static_cast<uint16_t>(c));  // 256 octets
  const Bytes packet = p.bytes();

  WireReader ok(packet, fits);
  auto n = ok.name();
  REQUIRE(n.has_value());
  CHECK(n->wire_size() == 255);
  CHECK(n->label_count() == 4);
  CHECK(name_error(packet, too_long) == WireError::NameTooLong);
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
