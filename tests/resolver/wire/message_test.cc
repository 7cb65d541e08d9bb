// tests/resolver: Message::parse — header, question and record views (RFC 1035 §4.1), the
// EDNS0 OPT record (RFC 6891 §6.1) and the errors for malformed packets.
#include "resolver/wire/message.h"

#include <doctest/doctest.h>

#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

constexpr uint16_t kId = 0xBEEF;

// Offsets of interest in the sample response.
struct Sample {
  Bytes bytes;
  size_t example_com = 0;  // "example.com" inside the question name
  size_t cname_rdata = 0;  // RDATA of the CNAME
  size_t a_rdata = 0;      // RDATA of web.example.com A
  size_t additional = 0;   // the additional record
};

// www.example.com A: a CNAME to web.example.com, its A record, the zone's NS in the
// authority section and the NS's address in the additional section, compressed as a
// server would.
Sample sample_response() {
  Sample s;
  Wire p;
  p.header(kId, flag::kQR | flag::kAA | flag::kRD | flag::kRA, 1, 2, 1, 1);
  const size_t qname = p.size();
  s.example_com = qname + 4;
  p.name("www.example.com").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));

  p.ptr(static_cast<uint16_t>(qname)).rr_fixed(RRType::CNAME, RRClass::IN, 300);
  size_t rdlength = p.begin_rdata();
  s.cname_rdata = p.size();
  p.labels("web").ptr(static_cast<uint16_t>(s.example_com));
  p.end_rdata(rdlength);

  p.ptr(static_cast<uint16_t>(s.cname_rdata)).rr_fixed(RRType::A, RRClass::IN, 300);
  s.a_rdata = p.size() + 2;
  p.rdata(Bytes{192, 0, 2, 1});

  p.ptr(static_cast<uint16_t>(s.example_com)).rr_fixed(RRType::NS, RRClass::IN, 3600);
  rdlength = p.begin_rdata();
  const size_t ns_name = p.size();
  p.labels("ns").ptr(static_cast<uint16_t>(s.example_com));
  p.end_rdata(rdlength);

  s.additional = p.size();
  p.ptr(static_cast<uint16_t>(ns_name)).rr_fixed(RRType::A, RRClass::IN, 3600);
  p.rdata(Bytes{192, 0, 2, 53});
  s.bytes = p.bytes();
  return s;
}

// A query for example.com A with `ar` additional records still to be written.
Wire query_header(uint16_t flags, uint16_t ar) {
  Wire p;
  p.header(kId, flags, 1, 0, 0, ar);
  p.name("example.com").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));
  return p;
}

WireError parse_error(const Bytes& packet) {
  auto m = Message::parse(packet);
  REQUIRE_FALSE(m.has_value());
  return m.error();
}

TEST_CASE("message: header, question and records of a compressed response are parsed") {
  const Sample s = sample_response();
  const Message m = parsed(s.bytes);
  CHECK(m.id() == kId);
  CHECK(m.flags() == (flag::kQR | flag::kAA | flag::kRD | flag::kRA));
  CHECK(m.has_flag(flag::kQR));
  CHECK_FALSE(m.has_flag(flag::kTC));
  CHECK(m.opcode() == Opcode::Query);
  CHECK(m.rcode() == RCode::NoError);
  CHECK(m.count(Section::Answer) == 2);
  CHECK(m.count(Section::Authority) == 1);
  CHECK(m.count(Section::Additional) == 1);
  CHECK_FALSE(m.edns().has_value());
  CHECK(m.packet().data() == s.bytes.data());

  REQUIRE(m.questions().size() == 1);
  CHECK(m.questions()[0].name == name("www.example.com"));
  CHECK(m.questions()[0].type == RRType::A);
  CHECK(m.questions()[0].klass == RRClass::IN);

  const auto& rrs = m.records();
  REQUIRE(rrs.size() == 4);
  CHECK(rrs[0].owner == name("www.example.com"));
  CHECK(rrs[0].type == RRType::CNAME);
  CHECK(rrs[0].klass == RRClass::IN);
  CHECK(rrs[0].ttl == 300);
  CHECK(rrs[0].section == Section::Answer);
  CHECK(rrs[0].rdata_offset == s.cname_rdata);
  CHECK(rrs[0].rdata_length == 6);  // still compressed: "web" + pointer

  CHECK(rrs[1].owner == name("web.example.com"));
  CHECK(rrs[1].type == RRType::A);
  CHECK(rrs[1].section == Section::Answer);
  CHECK(rrs[1].rdata_offset == s.a_rdata);
  CHECK(to_bytes(m.rdata(rrs[1])) == Bytes{192, 0, 2, 1});

  CHECK(rrs[2].owner == name("example.com"));
  CHECK(rrs[2].type == RRType::NS);
  CHECK(rrs[2].ttl == 3600);
  CHECK(rrs[2].section == Section::Authority);

  CHECK(rrs[3].owner == name("ns.example.com"));
  CHECK(rrs[3].type == RRType::A);
  CHECK(rrs[3].section == Section::Additional);
  CHECK(to_bytes(m.rdata(rrs[3])) == Bytes{192, 0, 2, 53});
}

TEST_CASE("message: the opcode and rcode are read from the second header word") {
  Wire p;
  p.header(1, static_cast<uint16_t>(5 << 11) | flag::kQR | 3, 0, 0, 0, 0);
  const Message m = parsed(p.bytes());
  CHECK(m.opcode() == Opcode::Update);
  CHECK(m.rcode() == RCode::NXDomain);
  CHECK(m.questions().empty());
  CHECK(m.records().empty());
}

TEST_CASE("message: a header shorter than 12 octets is Truncated") {
  const Bytes full = sample_response().bytes;
  for (size_t n = 0; n < kHeaderSize; ++n) {
    CAPTURE(n);
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(parse_error(cut) == WireError::Truncated);
    CHECK(Message::parse_question(cut).error() == WireError::Truncated);
  }
}

TEST_CASE("message: every proper prefix of a valid response is Truncated") {
  const Bytes full = sample_response().bytes;
  for (size_t n = kHeaderSize; n < full.size(); ++n) {
    CAPTURE(n);
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(parse_error(cut) == WireError::Truncated);
  }
}

TEST_CASE("message: a qdcount larger than the packet holds is Truncated") {
  Wire two = query_header(0, 0);
  two.patch_u16(4, 2);
  CHECK(parse_error(two.bytes()) == WireError::Truncated);

  Wire huge = query_header(0, 0);
  huge.patch_u16(4, 0xFFFF);
  CHECK(parse_error(huge.bytes()) == WireError::Truncated);
  CHECK(Message::parse_question(huge.bytes()).error() == WireError::Truncated);
}

TEST_CASE("message: an answer count larger than the records present is Truncated") {
  Bytes packet = sample_response().bytes;
  Wire p;
  p.raw(packet).patch_u16(6, 3);  // ancount 3 with 2 answers: the NS becomes the third
  CHECK(parse_error(p.bytes()) == WireError::Truncated);

  Wire huge;
  huge.raw(packet).patch_u16(10, 0xFFFF);
  CHECK(parse_error(huge.bytes()) == WireError::Truncated);
}

TEST_CASE("message: an RDLENGTH past the end of the packet is Truncated") {
  Wire p = query_header(flag::kQR, 0);
  p.patch_u16(6, 1);
  p.ptr(12).rr_fixed(RRType::A, RRClass::IN, 60).u16(5).raw({192, 0, 2, 1});
  CHECK(parse_error(p.bytes()) == WireError::Truncated);
}

TEST_CASE("message: a record cut inside its TTL is Truncated") {
  // 5-octet owner, TYPE and CLASS, then 2 of the TTL's 4 octets: 11 octets, the minimum
  // size of a record, so only the TTL read notices.
  Wire p;
  p.header(kId, flag::kQR, 0, 1, 0, 0);
  p.name("abc").rr_fixed(RRType::A, RRClass::IN, 0);
  Bytes cut = p.bytes();
  cut.resize(cut.size() - 2);
  CHECK(parse_error(cut) == WireError::Truncated);
  cut.resize(cut.size() + 1);  // 3 of the TTL's octets
  CHECK(parse_error(cut) == WireError::Truncated);
}

TEST_CASE("message: octets after the last record are TrailingData") {
  Wire p;
  p.raw(sample_response().bytes).u8(0);
  CHECK(parse_error(p.bytes()) == WireError::TrailingData);

  Wire q = query_header(0, 0);
  q.raw({0xDE, 0xAD});
  CHECK(parse_error(q.bytes()) == WireError::TrailingData);
}

TEST_CASE("message: a malformed name in the question gives the name's error") {
  Wire loop;
  loop.header(kId, 0, 1, 0, 0, 0).ptr(12).u16(1).u16(1);
  CHECK(parse_error(loop.bytes()) == WireError::PointerLoop);

  Wire reserved;
  reserved.header(kId, 0, 1, 0, 0, 0).u8(0x41).u8('a').root().u16(1).u16(1);
  CHECK(parse_error(reserved.bytes()) == WireError::BadLabel);
}

TEST_CASE("message: a malformed owner name gives the name's error") {
  Wire p = query_header(flag::kQR, 0);
  p.patch_u16(6, 1);
  p.ptr(0x100).rr_fixed(RRType::A, RRClass::IN, 60).rdata(Bytes{192, 0, 2, 1});
  CHECK(parse_error(p.bytes()) == WireError::PointerLoop);
}

TEST_CASE("message: an OPT in the answer section is BadOpt") {
  Wire p = query_header(flag::kQR, 0);
  p.patch_u16(6, 1);
  p.opt(1232, 0, 0, 0);
  CHECK(parse_error(p.bytes()) == WireError::BadOpt);
}

TEST_CASE("message: an OPT in the authority section is BadOpt") {
  Wire p = query_header(flag::kQR, 0);
  p.patch_u16(8, 1);
  p.opt(1232, 0, 0, 0);
  CHECK(parse_error(p.bytes()) == WireError::BadOpt);
}

TEST_CASE("message: two OPT records are BadOpt") {
  Wire p = query_header(0, 2);
  p.opt(1232, 0, 0, 0);
  p.opt(1232, 0, 0, 0);
  CHECK(parse_error(p.bytes()) == WireError::BadOpt);
}

TEST_CASE("message: an OPT whose owner is not the root is BadOpt") {
  Wire p = query_header(0, 1);
  p.ptr(12).u16(to_u16(RRType::OPT)).u16(1232).u32(0).u16(0);
  CHECK(parse_error(p.bytes()) == WireError::BadOpt);
}

TEST_CASE("message: the OPT's payload, version and DO are read and it is not a record") {
  Wire p = query_header(flag::kRD, 2);
  p.ptr(12).rr_fixed(RRType::A, RRClass::IN, 60).rdata(Bytes{192, 0, 2, 1});
  p.opt(4096, 0, 0, kEdnsDo);
  const Message m = parsed(p.bytes());
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->udp_payload == 4096);
  CHECK(m.edns()->version == 0);
  CHECK(m.edns()->extended_rcode == 0);
  CHECK(m.edns()->flags == kEdnsDo);
  CHECK(m.edns()->dnssec_ok());
  CHECK(m.edns()->options_length == 0);
  CHECK(m.count(Section::Additional) == 2);  // as in the header, OPT included
  REQUIRE(m.records().size() == 1);          // OPT excluded
  CHECK(m.records()[0].type == RRType::A);
  CHECK(m.edns_options().empty());
}

TEST_CASE("message: an OPT without DO and with version 1 is read as such") {
  Wire p = query_header(0, 1);
  p.opt(512, 0, 1, 0x0001);
  const Message m = parsed(p.bytes());
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->version == 1);
  CHECK(m.edns()->flags == 0x0001);
  CHECK_FALSE(m.edns()->dnssec_ok());
}

TEST_CASE("message: rcode() combines the OPT's extended rcode with the header's 4 bits") {
  Wire badvers = query_header(flag::kQR, 1);  // header rcode 0, extended 1: 16
  badvers.opt(1232, 1, 0, 0);
  CHECK(parsed(badvers.bytes()).rcode() == RCode::BadVers);

  Wire nxdomain = query_header(flag::kQR | 3, 1);
  nxdomain.opt(1232, 0, 0, 0);
  CHECK(parsed(nxdomain.bytes()).rcode() == RCode::NXDomain);

  Wire high = query_header(flag::kQR | 2, 1);  // 0x12 << 4 | 2
  high.opt(1232, 0x12, 0, 0);
  CHECK(static_cast<uint16_t>(parsed(high.bytes()).rcode()) == 0x122);
}

TEST_CASE("message: without an OPT, rcode() is the header's 4 bits") {
  const Bytes packet = query_header(flag::kQR | 5, 0).bytes();
  const Message m = parsed(packet);
  CHECK(m.rcode() == RCode::Refused);
  CHECK_FALSE(m.edns().has_value());
  CHECK(m.edns_options().empty());
}

TEST_CASE("message: edns_options() iterates the OPT's options in order") {
  Wire options;
  options.u16(10).u16(8).raw({1, 2, 3, 4, 5, 6, 7, 8});  // COOKIE
  options.u16(12).u16(0);                                // PADDING, empty
  options.u16(15).u16(5).u16(6).raw({'b', 'a', 'd'});    // EDE: DNSSEC Bogus, "bad"
  Wire p = query_header(0, 1);
  p.opt(1232, 0, 0, kEdnsDo, options.bytes());
  const Message m = parsed(p.bytes());
  CHECK(m.edns()->options_length == options.size());
  const auto opts = m.edns_options();
  REQUIRE(opts.size() == 3);
  CHECK(opts[0].code == 10);
  CHECK(to_bytes(opts[0].data) == Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(opts[1].code == 12);
  CHECK(opts[1].data.empty());
  CHECK(opts[2].code == 15);
  CHECK(to_bytes(opts[2].data) == Bytes{0, 6, 'b', 'a', 'd'});
}

TEST_CASE("message: malformed EDNS options are BadOpt") {
  const Bytes cases[] = {
      {0x00},                          // a lone octet
      {0x00, 0x0A, 0x00},              // code and half a length
      {0x00, 0x0A},                    // a code without a length
      {0x00, 0x0A, 0x00, 0x04, 1, 2},  // length 4, 2 octets of data
      {0x00, 0x0C, 0x00, 0x00, 0x00},  // a good option then a stray octet
  };
  for (const Bytes& options : cases) {
    CAPTURE(options);
    Wire p = query_header(0, 1);
    p.opt(1232, 0, 0, 0, options);
    CHECK(parse_error(p.bytes()) == WireError::BadOpt);
  }
}

TEST_CASE("message: an option length reaching past the OPT into the next record is BadOpt") {
  // The OPT is not last: its option claims the octets of the record after it.
  Wire p = query_header(0, 2);
  p.opt(1232, 0, 0, 0, Bytes{0x00, 0x0A, 0x00, 0x08});
  p.ptr(12).rr_fixed(RRType::A, RRClass::IN, 60).rdata(Bytes{192, 0, 2, 1});
  CHECK(parse_error(p.bytes()) == WireError::BadOpt);
}

TEST_CASE("message: parse_question reads the header and question and ignores the rest") {
  Wire p = query_header(flag::kRD, 1);
  p.raw({0xFF, 0xFF, 0xFF});  // not a record
  CHECK(parse_error(p.bytes()) == WireError::Truncated);
  auto m = Message::parse_question(p.bytes());
  REQUIRE(m.has_value());
  CHECK(m->id() == kId);
  CHECK(m->flags() == flag::kRD);
  REQUIRE(m->questions().size() == 1);
  CHECK(m->questions()[0].name == name("example.com"));
  CHECK(m->records().empty());
  CHECK_FALSE(m->edns().has_value());
}

TEST_CASE("message: parse_question fails on a question cut short") {
  Bytes packet = query_header(0, 0).bytes();
  packet.pop_back();
  CHECK(Message::parse_question(packet).error() == WireError::Truncated);
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
