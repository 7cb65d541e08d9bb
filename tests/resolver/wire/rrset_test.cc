// tests/resolver: group_rrsets() (RFC 2181 §5 RRsets, RFC 4035 §5.3 RRSIGs over them).
#include "resolver/wire/rrset.h"

#include <doctest/doctest.h>

#include "resolver/wire/rdata.h"
#include "tests/resolver/rrset_packets.h"

namespace dnsp::resolver::test {
namespace {

constexpr auto kAnswer = Section::Answer;
constexpr auto kAuthority = Section::Authority;
constexpr auto kAdditional = Section::Additional;

const char kSig[] = "AAECAwQFBgcICQ==";  // a placeholder signature: grouping never checks it

Bytes sig_over(RRType covered, std::string_view signer = "example.") {
  return rrsig_rdata(
      {covered, 8, 2, 3600, "20300101000000", "20000101000000", 1, signer, b64(kSig)});
}

}  // namespace

TEST_CASE("rrset: records group by owner (case-insensitively), type and class, in order") {
  const Bytes packet = build_packet({
      {kAnswer, "www.Example.", RRType::A, a_rdata(192, 0, 2, 1)},
      {kAnswer, "mail.example.", RRType::A, a_rdata(192, 0, 2, 9)},
      {kAnswer, "WWW.example.", RRType::A, a_rdata(192, 0, 2, 2)},
      {kAnswer, "www.example.", RRType::AAAA, Bytes(16, 1)},
      {kAnswer, "www.example.", RRType::A, a_rdata(192, 0, 2, 3), 3600, RRClass::CH},
  });
  const auto sets = group(packet);
  REQUIRE(sets.size() == 4);
  CHECK(sets[0].owner.to_string() == "www.Example.");  // the first spelling is kept
  CHECK(sets[0].type == RRType::A);
  CHECK(sets[0].klass == RRClass::IN);
  CHECK(sets[0].section == kAnswer);
  CHECK(sets[0].rdatas == std::vector<Bytes>{a_rdata(192, 0, 2, 1), a_rdata(192, 0, 2, 2)});
  CHECK(sets[0].rrsigs.empty());
  CHECK(sets[1].owner == name("mail.example."));
  CHECK(sets[2].type == RRType::AAAA);
  CHECK(sets[3].klass == RRClass::CH);
  CHECK(sets[3].rdatas == std::vector<Bytes>{a_rdata(192, 0, 2, 3)});
}

TEST_CASE("rrset: the same owner and type in two sections are two RRsets") {
  const Bytes packet = build_packet({
      {kAnswer, "example.", RRType::NS, name_wire("ns1.example.")},
      {kAuthority, "example.", RRType::NS, name_wire("ns2.example.")},
  });
  const auto sets = group(packet);
  REQUIRE(sets.size() == 2);
  CHECK(sets[0].section == kAnswer);
  CHECK(sets[1].section == kAuthority);
  CHECK(sets[1].rdatas == std::vector<Bytes>{name_wire("ns2.example.")});
}

TEST_CASE("rrset: identical records are kept once and the TTL is the smallest") {
  const Bytes packet = build_packet({
      {kAnswer, "example.", RRType::A, a_rdata(192, 0, 2, 1), 300},
      {kAnswer, "example.", RRType::A, a_rdata(192, 0, 2, 1), 100},
      {kAnswer, "example.", RRType::A, a_rdata(192, 0, 2, 2), 200},
  });
  const auto sets = group(packet);
  REQUIRE(sets.size() == 1);
  CHECK(sets[0].ttl == 100);
  CHECK(sets[0].rdatas.size() == 2);
}

TEST_CASE("rrset: RRSIGs join the RRset of their Type Covered, even when listed first") {
  const Bytes packet = build_packet({
      {kAnswer, "example.", RRType::RRSIG, sig_over(RRType::MX), 60},
      {kAnswer, "example.", RRType::A, a_rdata(192, 0, 2, 1)},
      {kAnswer, "EXAMPLE.", RRType::RRSIG, sig_over(RRType::A)},
      {kAnswer, "example.", RRType::MX, mx_rdata(10, "mail.example.")},
      {kAnswer, "example.", RRType::RRSIG, sig_over(RRType::A)},  // a duplicate
      {kAnswer, "example.", RRType::RRSIG, sig_over(RRType::A, "other.")},
  });
  const auto sets = group(packet);
  REQUIRE(sets.size() == 2);
  CHECK(sets[0].type == RRType::A);  // the A record precedes the first MX record
  CHECK(sets[0].rrsigs == std::vector<Bytes>{sig_over(RRType::A), sig_over(RRType::A, "other.")});
  CHECK(sets[1].type == RRType::MX);
  CHECK(sets[1].rrsigs == std::vector<Bytes>{sig_over(RRType::MX)});
  CHECK(sets[1].ttl == 3600);  // RRSIG TTLs are not folded into the RRset's
}

TEST_CASE("rrset: an RRSIG covering no RRset of its owner, class and section is kept apart") {
  const Bytes packet = build_packet({
      {kAnswer, "example.", RRType::A, a_rdata(192, 0, 2, 1)},
      {kAnswer, "example.", RRType::RRSIG, sig_over(RRType::AAAA), 50},
      {kAnswer, "example.", RRType::RRSIG, sig_over(RRType::MX), 40},
      {kAnswer, "other.example.", RRType::RRSIG, sig_over(RRType::A)},
      {kAdditional, "example.", RRType::RRSIG, sig_over(RRType::A)},  // another section
  });
  const auto sets = group(packet);
  REQUIRE(sets.size() == 4);
  CHECK(sets[0].type == RRType::A);
  CHECK(sets[0].rrsigs.empty());
  CHECK(sets[1].type == RRType::RRSIG);
  CHECK(sets[1].owner == name("example."));
  CHECK(sets[1].rdatas == std::vector<Bytes>{sig_over(RRType::AAAA), sig_over(RRType::MX)});
  CHECK(sets[1].rrsigs.empty());
  CHECK(sets[1].ttl == 40);
  CHECK(sets[2].type == RRType::RRSIG);
  CHECK(sets[2].owner == name("other.example."));
  CHECK(sets[3].type == RRType::RRSIG);
  CHECK(sets[3].section == kAdditional);
}

TEST_CASE("rrset: RDATA is held uncompressed") {
  // Header, then the answer "www.example. CNAME alias.<pointer to example.>".
  Wire w;
  w.u16(1).u16(0x8000).u16(0).u16(1).u16(0).u16(0);
  w.raw(name_wire("www.example.")).u16(to_u16(RRType::CNAME)).u16(1).u32(60);
  w.u16(8).u8(5).raw(Bytes{'a', 'l', 'i', 'a', 's'}).u8(0xC0).u8(16);  // 16: "example."
  const auto sets = group(w.bytes());
  REQUIRE(sets.size() == 1);
  CHECK(sets[0].rdatas == std::vector<Bytes>{name_wire("alias.example.")});
}

TEST_CASE("rrset: malformed RDATA is BadRdata") {
  SUBCASE("an MX without its exchange") {
    const Bytes packet = build_packet({{kAnswer, "example.", RRType::MX, Bytes{0, 10}}});
    auto sets = group_rrsets(parse(packet));
    REQUIRE_FALSE(sets.has_value());
    CHECK(sets.error() == WireError::BadRdata);
  }
  SUBCASE("an RRSIG shorter than its fixed fields") {
    const Bytes packet = build_packet({{kAnswer, "example.", RRType::RRSIG, Bytes(10, 0)}});
    auto sets = group_rrsets(parse(packet));
    REQUIRE_FALSE(sets.has_value());
    CHECK(sets.error() == WireError::BadRdata);
  }
}

TEST_CASE("rrset: a message without records has no RRsets") {
  const Bytes packet = build_packet({});
  CHECK(group(packet).empty());
}

}  // namespace dnsp::resolver::test
