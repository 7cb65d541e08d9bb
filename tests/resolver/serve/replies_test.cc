// tests/resolver: replies — error replies (RFC 1035 §4.1.1, RFC 6891 §7), upstream answers
// re-addressed to the client (DNSSEC records stripped without DO, RFC 4035 §3.2.1; TC when
// too large, RFC 1035 §4.2.1 / RFC 2181 §9; EDE in the OPT, RFC 8914) and the upstream query.
#include "resolver/serve/replies.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/wire/message_builder.h"
#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

constexpr uint16_t kClientId = 0x1111;
constexpr uint16_t kUpstreamId = 0x9999;
const Bytes kAddr = {192, 0, 2, 1};

ClientQuery client(std::string_view qname, RRType type, uint16_t flags = flag::kRD) {
  ClientQuery q;
  q.id = kClientId;
  q.flags = flags;
  q.question = Question{name(qname), type, RRClass::IN};
  return q;
}

ClientQuery with_edns(ClientQuery q, uint16_t payload, bool dnssec_ok) {
  q.has_edns = true;
  q.udp_payload = payload;
  q.dnssec_ok = dnssec_ok;
  return q;
}

// RRSIG RDATA covering `covered`, signed by example.com.
Bytes rrsig_rdata(RRType covered) {
  return Wire()
      .u16(to_u16(covered))
      .u8(13)
      .u8(2)
      .u32(300)
      .u32(2000000000)
      .u32(1700000000)
      .u16(4242)
      .name("example.com")
      .raw(Bytes(64, 0x5A))
      .bytes();
}

// The upstream's answer for www.example.com A (lowercase), DNSSEC records included: an A
// and its RRSIG, an NSEC and an NSEC3 in the authority section with their RRSIGs, and an
// A in the additional section.
Bytes upstream_answer(uint16_t flags = flag::kQR | flag::kRD | flag::kRA | flag::kAD | flag::kCD) {
  MessageBuilder b;
  b.set_header(kUpstreamId, flags);
  (void)b.add_question(name("www.example.com"), RRType::A, RRClass::IN);
  (void)b.add_record(Section::Answer, name("www.example.com"), RRType::A, RRClass::IN, 300, kAddr);
  (void)b.add_record(Section::Answer, name("www.example.com"), RRType::RRSIG, RRClass::IN, 300,
                     rrsig_rdata(RRType::A));
  const Bytes nsec = Wire().name("z.example.com").raw({0x00, 0x01, 0x40}).bytes();
  (void)b.add_record(Section::Authority, name("a.example.com"), RRType::NSEC, RRClass::IN, 300,
                     nsec);
  (void)b.add_record(Section::Authority, name("a.example.com"), RRType::RRSIG, RRClass::IN, 300,
                     rrsig_rdata(RRType::NSEC));
  const Bytes nsec3 = Wire().u8(1).u8(0).u16(0).u8(0).u8(20).raw(Bytes(20, 0x33)).bytes();
  (void)b.add_record(Section::Authority, name("abcdef.example.com"), RRType::NSEC3, RRClass::IN,
                     300, nsec3);
  (void)b.add_record(Section::Additional, name("ns.example.com"), RRType::A, RRClass::IN, 300,
                     Bytes{192, 0, 2, 53});
  return b.finish();
}

std::vector<RRType> types_of(const Message& m) {
  std::vector<RRType> out;
  for (const auto& rr : m.records()) out.push_back(rr.type);
  return out;
}

TEST_CASE("replies: reply_limit is 512 without EDNS, the payload with it, 65535 over TCP") {
  const ClientQuery plain = client("example.com", RRType::A);
  CHECK(reply_limit(plain, Transport::Udp) == 512);
  CHECK(reply_limit(plain, Transport::Tcp) == 65535);
  const ClientQuery edns = with_edns(plain, 1232, false);
  CHECK(reply_limit(edns, Transport::Udp) == 1232);
  CHECK(reply_limit(edns, Transport::Tcp) == 65535);
  CHECK(reply_limit(with_edns(plain, 512, true), Transport::Udp) == 512);
}

TEST_CASE("replies: reply_limit over UDP is capped at 4096 octets") {
  // RFC 6891 §6.2.5: we never send more than we are prepared to.
  const ClientQuery big = with_edns(client("example.com", RRType::A), 65000, true);
  CHECK(reply_limit(big, Transport::Udp) == 4096);
  CHECK(reply_limit(big, Transport::Tcp) == 65535);
}

TEST_CASE("replies: error_reply echoes ID, question, RD and CD and sets QR, RA and the rcode") {
  const ClientQuery q = client("WwW.Example.com", RRType::MX, flag::kRD | flag::kCD | flag::kAD);
  const Bytes packet = error_reply(q, EchoQuestion::Yes, RCode::ServFail, nullptr);
  const Message m = parsed(packet);
  CHECK(m.id() == kClientId);
  CHECK(m.has_flag(flag::kQR));
  CHECK(m.has_flag(flag::kRA));
  CHECK(m.has_flag(flag::kRD));
  CHECK(m.has_flag(flag::kCD));
  CHECK_FALSE(m.has_flag(flag::kAD));
  CHECK_FALSE(m.has_flag(flag::kTC));
  CHECK_FALSE(m.has_flag(flag::kAA));
  CHECK(m.opcode() == Opcode::Query);
  CHECK(m.rcode() == RCode::ServFail);
  REQUIRE(m.questions().size() == 1);
  CHECK(wire_of(m.questions()[0].name) == wire_of(name("WwW.Example.com")));
  CHECK(m.questions()[0].type == RRType::MX);
  CHECK(m.questions()[0].klass == RRClass::IN);
  CHECK(m.records().empty());
  CHECK_FALSE(m.edns().has_value());
}

TEST_CASE("replies: error_reply without RD in the query has no RD") {
  const Bytes packet =
      error_reply(client("example.com", RRType::A, 0), EchoQuestion::Yes, RCode::Refused, nullptr);
  const Message m = parsed(packet);
  CHECK_FALSE(m.has_flag(flag::kRD));
  CHECK_FALSE(m.has_flag(flag::kCD));
  CHECK(m.rcode() == RCode::Refused);
}

TEST_CASE("replies: error_reply keeps the query's opcode") {
  const uint16_t notify = static_cast<uint16_t>(static_cast<uint16_t>(Opcode::Notify) << 11);
  const Bytes packet = error_reply(client("example.com", RRType::SOA, notify), EchoQuestion::Yes,
                                   RCode::NotImp, nullptr);
  const Message m = parsed(packet);
  CHECK(m.opcode() == Opcode::Notify);
  CHECK(m.rcode() == RCode::NotImp);
}

TEST_CASE("replies: error_reply without a question has QDCOUNT 0") {
  const Bytes packet = error_reply(ClientQuery{}, EchoQuestion::No, RCode::FormErr, nullptr);
  const Message m = parsed(packet);
  CHECK(m.questions().empty());
  CHECK(m.rcode() == RCode::FormErr);
  CHECK(packet.size() == kHeaderSize);
}

TEST_CASE("replies: error_reply to an EDNS query has an OPT echoing DO") {
  const ClientQuery q = with_edns(client("example.com", RRType::A), 4096, true);
  const Bytes packet = error_reply(q, EchoQuestion::Yes, RCode::ServFail, nullptr);
  const Message m = parsed(packet);
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->udp_payload == kOurUdpPayload);
  CHECK(m.edns()->version == 0);
  CHECK(m.edns()->dnssec_ok());
  CHECK(m.edns()->extended_rcode == 0);
  CHECK(m.rcode() == RCode::ServFail);
  CHECK(m.edns_options().empty());

  const Bytes no_do = error_reply(with_edns(client("example.com", RRType::A), 4096, false),
                                  EchoQuestion::Yes, RCode::ServFail, nullptr);
  CHECK_FALSE(parsed(no_do).edns()->dnssec_ok());
}

TEST_CASE("replies: error_reply puts BADVERS's upper bits in the OPT's extended rcode") {
  const ClientQuery q = with_edns(client("example.com", RRType::A), 1232, false);
  const Bytes packet = error_reply(q, EchoQuestion::Yes, RCode::BadVers, nullptr);
  const Message m = parsed(packet);
  CHECK((m.flags() & 0xF) == 0);  // 16 = 0x10: nothing in the header's 4 bits
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->extended_rcode == 1);
  CHECK(m.edns()->version == 0);
  CHECK(m.rcode() == RCode::BadVers);
}

TEST_CASE("replies: error_reply carries the EDE in the OPT") {
  const ExtendedError ede{EdeCode::DnssecBogus, "example.com: no DNSKEY matches the DS"};
  const ClientQuery q = with_edns(client("example.com", RRType::A), 1232, true);
  const Bytes packet = error_reply(q, EchoQuestion::Yes, RCode::ServFail, &ede);
  const Message m = parsed(packet);
  const auto options = m.edns_options();
  REQUIRE(options.size() == 1);
  CHECK(options[0].code == kEdnsOptionEde);
  CHECK(to_bytes(options[0].data) == Wire().u16(6).raw(to_bytes(ede.text)).bytes());
}

TEST_CASE("replies: forward_reply keeps the upstream's records with the client's ID and case") {
  const Bytes upstream_bytes = upstream_answer();
  const Message upstream = parsed(upstream_bytes);
  const ClientQuery q =
      with_edns(client("WWW.example.COM", RRType::A, flag::kRD | flag::kCD), 1232, true);
  const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 1232, nullptr);
  const Message m = parsed(packet);
  CHECK(m.id() == kClientId);
  CHECK(m.has_flag(flag::kQR));
  CHECK(m.has_flag(flag::kRA));
  CHECK(m.has_flag(flag::kRD));
  CHECK(m.has_flag(flag::kCD));
  CHECK_FALSE(m.has_flag(flag::kTC));
  CHECK(m.rcode() == RCode::NoError);
  REQUIRE(m.questions().size() == 1);
  CHECK(wire_of(m.questions()[0].name) == wire_of(name("WWW.example.COM")));
  CHECK(types_of(m) == types_of(upstream));
  REQUIRE(m.records().size() == upstream.records().size());
  for (size_t i = 0; i < m.records().size(); ++i) {
    const auto& got = m.records()[i];
    const auto& want = upstream.records()[i];
    CAPTURE(i);
    CHECK(wire_of(got.owner) == wire_of(want.owner));
    CHECK(got.section == want.section);
    CHECK(got.ttl == want.ttl);
    CHECK(to_bytes(m.rdata(got)) == to_bytes(upstream.rdata(want)));
  }
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->dnssec_ok());
  CHECK(m.edns()->udp_payload == kOurUdpPayload);
}

TEST_CASE("replies: forward_reply keeps the upstream's rcode") {
  Wire p;
  p.header(kUpstreamId, flag::kQR | flag::kRD | flag::kRA | 3, 1, 0, 0, 0);
  p.name("nope.example.com").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));
  const Bytes upstream_bytes = p.bytes();
  const Message upstream = parsed(upstream_bytes);
  const Bytes packet =
      forward_reply(client("nope.example.com", RRType::A), upstream, AdBit::Clear, 512, nullptr);
  CHECK(parsed(packet).rcode() == RCode::NXDomain);
}

TEST_CASE("replies: forward_reply turns an extended upstream rcode into SERVFAIL without EDNS") {
  Wire p;
  p.header(kUpstreamId, flag::kQR | flag::kRA, 1, 0, 0, 1);
  p.name("example.com").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));
  p.opt(1232, 1, 0, 0);  // BADVERS from upstream
  const Bytes upstream_bytes = p.bytes();
  const Message upstream = parsed(upstream_bytes);
  REQUIRE(upstream.rcode() == RCode::BadVers);
  const Bytes plain =
      forward_reply(client("example.com", RRType::A), upstream, AdBit::Clear, 512, nullptr);
  CHECK(parsed(plain).rcode() == RCode::ServFail);
  const Bytes edns = forward_reply(with_edns(client("example.com", RRType::A), 1232, false),
                                   upstream, AdBit::Clear, 1232, nullptr);
  CHECK(parsed(edns).rcode() == RCode::BadVers);
}

TEST_CASE("replies: forward_reply sets AD only when told, whatever the upstream said") {
  const Bytes with_ad = upstream_answer();
  const Bytes without_ad = upstream_answer(flag::kQR | flag::kRD | flag::kRA);
  const ClientQuery q = with_edns(client("www.example.com", RRType::A), 1232, true);
  for (const Bytes* bytes : {&with_ad, &without_ad}) {
    const Message upstream = parsed(*bytes);
    const Bytes cleared = forward_reply(q, upstream, AdBit::Clear, 1232, nullptr);
    CHECK_FALSE(parsed(cleared).has_flag(flag::kAD));
    const Bytes set = forward_reply(q, upstream, AdBit::Set, 1232, nullptr);
    CHECK(parsed(set).has_flag(flag::kAD));
  }
}

TEST_CASE("replies: forward_reply strips RRSIG, NSEC and NSEC3 for a client without DO") {
  const Bytes upstream_bytes = upstream_answer();
  const Message upstream = parsed(upstream_bytes);
  for (const ClientQuery& q : {client("www.example.com", RRType::A),
                               with_edns(client("www.example.com", RRType::A), 1232, false)}) {
    const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 4096, nullptr);
    const Message m = parsed(packet);
    CHECK(types_of(m) == std::vector<RRType>{RRType::A, RRType::A});
    REQUIRE(m.records().size() == 2);
    CHECK(m.records()[0].section == Section::Answer);
    CHECK(m.records()[1].section == Section::Additional);
  }
}

TEST_CASE("replies: forward_reply keeps RRSIG, NSEC and NSEC3 for a client with DO") {
  const Bytes upstream_bytes = upstream_answer();
  const Message upstream = parsed(upstream_bytes);
  const ClientQuery q = with_edns(client("www.example.com", RRType::A), 1232, true);
  const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 1232, nullptr);
  CHECK(types_of(parsed(packet)) == types_of(upstream));
}

TEST_CASE("replies: forward_reply keeps RRSIGs without DO when the question is for RRSIG") {
  MessageBuilder b;
  b.set_header(kUpstreamId, flag::kQR | flag::kRA);
  (void)b.add_question(name("example.com"), RRType::RRSIG, RRClass::IN);
  (void)b.add_record(Section::Answer, name("example.com"), RRType::RRSIG, RRClass::IN, 300,
                     rrsig_rdata(RRType::SOA));
  (void)b.add_record(Section::Answer, name("example.com"), RRType::RRSIG, RRClass::IN, 300,
                     rrsig_rdata(RRType::NS));
  const Bytes upstream_bytes = b.finish();
  const Message upstream = parsed(upstream_bytes);
  const Bytes packet =
      forward_reply(client("example.com", RRType::RRSIG), upstream, AdBit::Clear, 512, nullptr);
  CHECK(types_of(parsed(packet)) == std::vector<RRType>{RRType::RRSIG, RRType::RRSIG});
}

TEST_CASE("replies: forward_reply over 512 octets without EDNS sets TC with an empty answer") {
  MessageBuilder b;
  b.set_header(kUpstreamId, flag::kQR | flag::kRD | flag::kRA);
  (void)b.add_question(name("big.example.com"), RRType::TXT, RRClass::IN);
  Bytes txt(1, 200);
  txt.resize(201, 't');
  for (int i = 0; i < 3; ++i) {
    (void)b.add_record(Section::Answer, name("big.example.com"), RRType::TXT, RRClass::IN, 60, txt);
  }
  const Bytes upstream_bytes = b.finish();
  REQUIRE(upstream_bytes.size() > 512);
  const Message upstream = parsed(upstream_bytes);
  const ClientQuery q = client("Big.Example.com", RRType::TXT);
  const Bytes packet =
      forward_reply(q, upstream, AdBit::Clear, reply_limit(q, Transport::Udp), nullptr);
  CHECK(packet.size() <= 512);
  const Message m = parsed(packet);
  CHECK(m.id() == kClientId);
  CHECK(m.has_flag(flag::kTC));
  CHECK(m.has_flag(flag::kQR));
  CHECK(m.records().empty());
  REQUIRE(m.questions().size() == 1);
  CHECK(wire_of(m.questions()[0].name) == wire_of(name("Big.Example.com")));
  CHECK_FALSE(m.edns().has_value());

  const Bytes tcp =
      forward_reply(q, upstream, AdBit::Clear, reply_limit(q, Transport::Tcp), nullptr);
  const Message full = parsed(tcp);
  CHECK_FALSE(full.has_flag(flag::kTC));
  CHECK(full.records().size() == 3);
}

TEST_CASE("replies: a truncated forward_reply keeps the OPT and its EDE") {
  MessageBuilder b;
  b.set_header(kUpstreamId, flag::kQR | flag::kRA);
  (void)b.add_question(name("big.example.com"), RRType::TXT, RRClass::IN);
  Bytes txt(1, 250);
  txt.resize(251, 't');
  for (int i = 0; i < 3; ++i) {
    (void)b.add_record(Section::Answer, name("big.example.com"), RRType::TXT, RRClass::IN, 60, txt);
  }
  const Bytes upstream_bytes = b.finish();
  const Message upstream = parsed(upstream_bytes);
  const ExtendedError ede{EdeCode::DnssecIndeterminate, "example.com: not yet validated"};
  const ClientQuery q = with_edns(client("big.example.com", RRType::TXT), 600, true);
  const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 600, &ede);
  CHECK(packet.size() <= 600);
  const Message m = parsed(packet);
  CHECK(m.has_flag(flag::kTC));
  CHECK(m.records().empty());
  REQUIRE(m.edns().has_value());
  const auto options = m.edns_options();
  REQUIRE(options.size() == 1);
  CHECK(options[0].code == kEdnsOptionEde);
  CHECK(to_bytes(options[0].data) == Wire().u16(5).raw(to_bytes(ede.text)).bytes());
}

TEST_CASE("replies: forward_reply drops additional records that do not fit without TC") {
  MessageBuilder b;
  b.set_header(kUpstreamId, flag::kQR | flag::kRA);
  (void)b.add_question(name("example.com"), RRType::MX, RRClass::IN);
  const Bytes mx = Wire().u16(10).name("mail.example.com").bytes();
  (void)b.add_record(Section::Answer, name("example.com"), RRType::MX, RRClass::IN, 300, mx);
  for (int i = 0; i < 40; ++i) {
    (void)b.add_record(Section::Additional, name("mail.example.com"), RRType::AAAA, RRClass::IN,
                       300, Bytes(16, static_cast<uint8_t>(i)));
  }
  const Bytes upstream_bytes = b.finish();
  REQUIRE(upstream_bytes.size() > 512);
  const Message upstream = parsed(upstream_bytes);
  const ClientQuery q = client("example.com", RRType::MX);
  const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 512, nullptr);
  CHECK(packet.size() <= 512);
  const Message m = parsed(packet);
  CHECK_FALSE(m.has_flag(flag::kTC));
  CHECK(m.count(Section::Answer) == 1);
  CHECK(m.records()[0].type == RRType::MX);
  CHECK(m.count(Section::Additional) > 0);
  CHECK(m.count(Section::Additional) < 40);
  // Those that fitted are the first ones, in order.
  for (size_t i = 1; i < m.records().size(); ++i) {
    CHECK(m.records()[i].section == Section::Additional);
    CHECK(m.rdata(m.records()[i])[0] == i - 1);
  }
}

TEST_CASE("replies: forward_reply puts the EDE in the OPT") {
  const Bytes upstream_bytes = upstream_answer();
  const Message upstream = parsed(upstream_bytes);
  const ExtendedError ede{EdeCode::SignatureExpired,
                          "example.com: RRSIG for A expired 2026-11-20T00:00:00Z"};
  const ClientQuery q = with_edns(client("www.example.com", RRType::A), 1232, true);
  const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 1232, &ede);
  const Message m = parsed(packet);
  CHECK(types_of(m) == types_of(upstream));
  const auto options = m.edns_options();
  REQUIRE(options.size() == 1);
  CHECK(options[0].code == 15);
  CHECK(to_bytes(options[0].data) == Wire().u16(7).raw(to_bytes(ede.text)).bytes());
}

TEST_CASE("replies: forward_reply to a client without EDNS has no OPT, even with an EDE") {
  const Bytes upstream_bytes = upstream_answer();
  const Message upstream = parsed(upstream_bytes);
  const ExtendedError ede{EdeCode::DnssecBogus, "bogus"};
  const Bytes packet =
      forward_reply(client("www.example.com", RRType::A), upstream, AdBit::Clear, 512, &ede);
  CHECK_FALSE(parsed(packet).edns().has_value());
}

TEST_CASE("replies: forward_reply leaves room for the OPT within the limit") {
  // Upstream records that fill exactly the client's limit: the OPT and EDE must still fit,
  // so the reply gets TC rather than exceeding the limit.
  const ExtendedError ede{EdeCode::DnssecBogus, std::string(40, 'e')};
  const ClientQuery q = with_edns(client("example.com", RRType::TXT), 700, true);
  for (size_t fill = 560; fill <= 700; fill += 7) {
    MessageBuilder b;
    b.set_header(kUpstreamId, flag::kQR | flag::kRA);
    (void)b.add_question(name("example.com"), RRType::TXT, RRClass::IN);
    (void)b.add_record(Section::Answer, name("example.com"), RRType::TXT, RRClass::IN, 60,
                       Bytes(fill - b.size() - 12, 0));
    const Bytes upstream_bytes = b.finish();
    const Message upstream = parsed(upstream_bytes);
    const Bytes packet = forward_reply(q, upstream, AdBit::Clear, 700, &ede);
    CAPTURE(fill);
    CHECK(packet.size() <= 700);
    const Message m = parsed(packet);
    REQUIRE(m.edns().has_value());
    CHECK(m.edns_options().size() == 1);
  }
}

TEST_CASE("replies: upstream_query has RD, CD, one question and an OPT with 1232 and DO") {
  const Bytes packet =
      upstream_query(Question{name("Www.Example.com"), RRType::DNSKEY, RRClass::IN}, 0xCAFE);
  const Message m = parsed(packet);
  CHECK(m.id() == 0xCAFE);
  CHECK(m.has_flag(flag::kRD));
  CHECK(m.has_flag(flag::kCD));
  CHECK_FALSE(m.has_flag(flag::kQR));
  CHECK_FALSE(m.has_flag(flag::kAD));
  CHECK(m.opcode() == Opcode::Query);
  CHECK(m.rcode() == RCode::NoError);
  REQUIRE(m.questions().size() == 1);
  CHECK(wire_of(m.questions()[0].name) == wire_of(name("Www.Example.com")));
  CHECK(m.questions()[0].type == RRType::DNSKEY);
  CHECK(m.questions()[0].klass == RRClass::IN);
  CHECK(m.records().empty());
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->udp_payload == 1232);
  CHECK(m.edns()->udp_payload == kUpstreamUdpPayload);
  CHECK(m.edns()->version == 0);
  CHECK(m.edns()->dnssec_ok());
  CHECK(m.edns_options().empty());
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
