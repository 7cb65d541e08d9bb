// tests/resolver: padding — EDNS(0) Padding of upstream queries to 128-octet blocks (RFC 7830,
// RFC 8467 §4.1), the edns-tcp-keepalive option asked for (RFC 7828 §3.2.1) and read back.
#include "resolver/serve/padding.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/serve/replies.h"
#include "resolver/wire/message.h"
#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

std::vector<EdnsOption> options_of(const std::vector<uint8_t>& packet) {
  auto msg = Message::parse(packet);
  REQUIRE(msg);
  REQUIRE(msg->edns());
  return msg->edns_options();
}

TEST_CASE("padding: an upstream query grows to a multiple of 128 octets and still parses") {
  for (const char* qname : {"a.", "www.example.com.", "a-much-longer-name.sub.sub.example.org."}) {
    std::vector<uint8_t> q = upstream_query({name(qname), RRType::A, RRClass::IN}, 0x1234);
    const size_t before = q.size();
    REQUIRE(pad_query(q, kQueryPaddingBlock, Keepalive::Ask));
    CHECK(q.size() % 128 == 0);
    CHECK(q.size() >= before + 8);
    const auto opts = options_of(q);
    REQUIRE(opts.size() == 2);
    CHECK(opts[0].code == kEdnsOptionTcpKeepalive);
    CHECK(opts[0].data.empty());
    CHECK(opts[1].code == kEdnsOptionPadding);
    for (uint8_t b : opts[1].data) CHECK(b == 0);
    auto msg = Message::parse(q);
    CHECK(msg->edns()->dnssec_ok());  // DO stays
    CHECK(msg->questions().size() == 1);
  }
}

TEST_CASE("padding: without keepalive only the Padding option is added; a padded query is left") {
  std::vector<uint8_t> q = upstream_query({name("example."), RRType::DNSKEY, RRClass::IN}, 1);
  REQUIRE(pad_query(q, 128, Keepalive::Omit));
  CHECK(q.size() == 128);
  CHECK(options_of(q).size() == 1);
  const std::vector<uint8_t> padded = q;
  CHECK_FALSE(pad_query(q, 128, Keepalive::Omit));
  CHECK(q == padded);
}

TEST_CASE("padding: a query without OPT is not touched") {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
  const auto before = q;
  CHECK_FALSE(pad_query(q, 128, Keepalive::Ask));
  CHECK(q == before);
  std::vector<uint8_t> junk = {1, 2, 3};
  CHECK_FALSE(pad_query(junk, 128, Keepalive::Ask));
}

TEST_CASE("padding: the edns-tcp-keepalive TIMEOUT of a reply is read, absent when not sent") {
  std::vector<uint8_t> q = upstream_query({name("example."), RRType::A, RRClass::IN}, 7);
  CHECK_FALSE(tcp_keepalive_timeout(q).has_value());
  // A reply-like message whose OPT carries keepalive with TIMEOUT 0x0102 (25.8 s).
  std::vector<uint8_t> r = q;
  r[2] |= 0x80;
  const size_t rdlength_at = r.size() - 2;
  r[rdlength_at] = 0;
  r[rdlength_at + 1] = 6;
  for (uint8_t b : {0, 11, 0, 2, 1, 2}) r.push_back(b);
  CHECK(tcp_keepalive_timeout(r) == uint16_t{0x0102});
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
