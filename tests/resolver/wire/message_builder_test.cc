// tests/resolver: MessageBuilder — what it writes parses back with Message::parse, owner
// names are compressed (RFC 1035 §4.1.4), a record that does not fit leaves the message
// as it was, and the OPT carries an Extended DNS Error (RFC 8914 §2).
#include "resolver/wire/message_builder.h"

#include <doctest/doctest.h>

#include <string>

#include "resolver/wire/wire_reader.h"
#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

const Bytes kAddr = {192, 0, 2, 1};

TEST_CASE("message builder: an empty builder gives a header with the ID and flags") {
  MessageBuilder b;
  b.set_header(0x1234, flag::kQR | flag::kRA);
  const Bytes packet = b.finish();
  CHECK(packet == Wire().header(0x1234, flag::kQR | flag::kRA, 0, 0, 0, 0).bytes());
}

TEST_CASE("message builder: set_flags replaces the second header word only") {
  MessageBuilder b;
  b.set_header(7, flag::kRD);
  b.set_flags(flag::kQR | flag::kTC | 2);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  CHECK(m.id() == 7);
  CHECK(m.flags() == (flag::kQR | flag::kTC | 2));
}

TEST_CASE("message builder: a question and records in each section parse back") {
  MessageBuilder b;
  b.set_header(0xABCD, flag::kQR | flag::kRD | flag::kRA);
  CHECK(b.add_question(name("www.example.com"), RRType::AAAA, RRClass::IN) == Fit::Fitted);
  const Bytes ns_rdata = wire_of(name("ns.example.com"));
  const Bytes aaaa(16, 0x20);
  CHECK(b.add_record(Section::Answer, name("www.example.com"), RRType::AAAA, RRClass::IN, 300,
                     aaaa) == Fit::Fitted);
  CHECK(b.add_record(Section::Authority, name("example.com"), RRType::NS, RRClass::IN, 3600,
                     ns_rdata) == Fit::Fitted);
  CHECK(b.add_record(Section::Additional, name("ns.example.com"), RRType::A, RRClass::IN, 86400,
                     kAddr) == Fit::Fitted);
  const Bytes packet = b.finish();

  const Message m = parsed(packet);
  CHECK(m.id() == 0xABCD);
  CHECK(m.flags() == (flag::kQR | flag::kRD | flag::kRA));
  REQUIRE(m.questions().size() == 1);
  CHECK(m.questions()[0].name == name("www.example.com"));
  CHECK(m.questions()[0].type == RRType::AAAA);
  CHECK(m.questions()[0].klass == RRClass::IN);
  CHECK(m.count(Section::Answer) == 1);
  CHECK(m.count(Section::Authority) == 1);
  CHECK(m.count(Section::Additional) == 1);
  const auto& rrs = m.records();
  REQUIRE(rrs.size() == 3);
  CHECK(rrs[0].owner == name("www.example.com"));
  CHECK(rrs[0].type == RRType::AAAA);
  CHECK(rrs[0].ttl == 300);
  CHECK(rrs[0].section == Section::Answer);
  CHECK(to_bytes(m.rdata(rrs[0])) == aaaa);
  CHECK(rrs[1].owner == name("example.com"));
  CHECK(rrs[1].type == RRType::NS);
  CHECK(rrs[1].section == Section::Authority);
  CHECK(to_bytes(m.rdata(rrs[1])) == ns_rdata);
  CHECK(rrs[2].owner == name("ns.example.com"));
  CHECK(rrs[2].ttl == 86400);
  CHECK(rrs[2].section == Section::Additional);
  CHECK(to_bytes(m.rdata(rrs[2])) == kAddr);
}

TEST_CASE("message builder: owner names are compressed and parse back to the same names") {
  const char* owners[] = {"www.example.com", "www.example.com",      "mail.example.com",
                          "example.com",     "a.b.mail.example.com", "www.example.org"};
  MessageBuilder b;
  b.set_header(1, flag::kQR);
  REQUIRE(b.add_question(name("www.example.com"), RRType::A, RRClass::IN) == Fit::Fitted);
  size_t uncompressed = kHeaderSize + name("www.example.com").wire_size() + 4;
  for (const char* owner : owners) {
    REQUIRE(b.add_record(Section::Answer, name(owner), RRType::A, RRClass::IN, 60, kAddr) ==
            Fit::Fitted);
    uncompressed += name(owner).wire_size() + 10 + kAddr.size();
  }
  const Bytes packet = b.finish();
  // Every owner but www.example.org ends in a name written before it.
  CHECK(packet.size() < uncompressed);
  CHECK(packet.size() == uncompressed - 15 - 15 - 11 - 11 - 16);

  const Message m = parsed(packet);
  REQUIRE(m.records().size() == std::size(owners));
  for (size_t i = 0; i < std::size(owners); ++i) {
    CAPTURE(owners[i]);
    CHECK(wire_of(m.records()[i].owner) == wire_of(name(owners[i])));
  }
}

TEST_CASE("message builder: compression keeps each owner's case") {
  MessageBuilder b;
  REQUIRE(b.add_question(name("www.Example.COM"), RRType::A, RRClass::IN) == Fit::Fitted);
  REQUIRE(b.add_record(Section::Answer, name("www.example.com"), RRType::A, RRClass::IN, 60,
                       kAddr) == Fit::Fitted);
  REQUIRE(b.add_record(Section::Answer, name("mail.Example.COM"), RRType::A, RRClass::IN, 60,
                       kAddr) == Fit::Fitted);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  CHECK(wire_of(m.questions()[0].name) == wire_of(name("www.Example.COM")));
  REQUIRE(m.records().size() == 2);
  CHECK(wire_of(m.records()[0].owner) == wire_of(name("www.example.com")));
  CHECK(wire_of(m.records()[1].owner) == wire_of(name("mail.Example.COM")));
}

TEST_CASE("message builder: a record that does not fit leaves the message unchanged") {
  const Bytes txt = {3, 'a', 'b', 'c'};
  auto start = [&](MessageBuilder& b) {
    b.set_header(9, flag::kQR);
    REQUIRE(b.add_question(name("example.com"), RRType::TXT, RRClass::IN) == Fit::Fitted);
    REQUIRE(b.add_record(Section::Answer, name("example.com"), RRType::TXT, RRClass::IN, 60, txt) ==
            Fit::Fitted);
  };
  MessageBuilder b(100);
  start(b);
  const size_t before = b.size();
  const Bytes big(60, 'x');
  CHECK(b.add_record(Section::Answer, name("new.example.com"), RRType::TXT, RRClass::IN, 60, big) ==
        Fit::DidNotFit);
  CHECK(b.size() == before);
  CHECK(b.add_record(Section::Additional, name("other.example.net"), RRType::TXT, RRClass::IN, 60,
                     big) == Fit::DidNotFit);
  CHECK(b.add_question(name(std::string(63, 'q') + ".example.com"), RRType::A, RRClass::IN) ==
        Fit::DidNotFit);
  CHECK(b.size() == before);
  // A record whose name was seen only in a failed one: no pointer may aim at the
  // octets that were taken back.
  CHECK(b.add_record(Section::Answer, name("new.example.com"), RRType::A, RRClass::IN, 60, kAddr) ==
        Fit::Fitted);
  const Bytes packet = b.finish();

  MessageBuilder reference(100);
  start(reference);
  REQUIRE(reference.add_record(Section::Answer, name("new.example.com"), RRType::A, RRClass::IN, 60,
                               kAddr) == Fit::Fitted);
  CHECK(packet == reference.finish());

  const Message m = parsed(packet);
  CHECK(m.questions().size() == 1);
  REQUIRE(m.records().size() == 2);
  CHECK(m.count(Section::Answer) == 2);
  CHECK(m.count(Section::Additional) == 0);
  CHECK(m.records()[1].owner == name("new.example.com"));
  CHECK(m.records()[1].type == RRType::A);
}

TEST_CASE("message builder: a record that fits exactly is accepted") {
  MessageBuilder probe;
  (void)probe.add_record(Section::Answer, name("example"), RRType::A, RRClass::IN, 60, kAddr);
  const size_t exact = probe.size();

  MessageBuilder b(exact);
  CHECK(b.add_record(Section::Answer, name("example"), RRType::A, RRClass::IN, 60, kAddr) ==
        Fit::Fitted);
  CHECK(b.size() == exact);
  MessageBuilder short_by_one(exact - 1);
  CHECK(short_by_one.add_record(Section::Answer, name("example"), RRType::A, RRClass::IN, 60,
                                kAddr) == Fit::DidNotFit);
  CHECK(short_by_one.size() == kHeaderSize);
}

TEST_CASE("message builder: set_max_size applies to what is added next") {
  MessageBuilder b;
  REQUIRE(b.add_question(name("example"), RRType::A, RRClass::IN) == Fit::Fitted);
  b.set_max_size(b.size() + 5);
  CHECK(b.add_record(Section::Answer, name("example"), RRType::A, RRClass::IN, 60, kAddr) ==
        Fit::DidNotFit);
  b.set_max_size(512);
  CHECK(b.add_record(Section::Answer, name("example"), RRType::A, RRClass::IN, 60, kAddr) ==
        Fit::Fitted);
}

TEST_CASE("message builder: finish leaves the builder empty") {
  MessageBuilder b;
  b.set_header(5, flag::kQR);
  REQUIRE(b.add_question(name("example.com"), RRType::A, RRClass::IN) == Fit::Fitted);
  (void)b.finish();
  CHECK(b.size() == kHeaderSize);
  // No compression pointer into the old packet survives.
  REQUIRE(b.add_record(Section::Answer, name("www.example.com"), RRType::A, RRClass::IN, 60,
                       kAddr) == Fit::Fitted);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  CHECK(m.id() == 0);
  CHECK(m.questions().empty());
  REQUIRE(m.records().size() == 1);
  CHECK(m.records()[0].owner == name("www.example.com"));
}

TEST_CASE("message builder: add_opt writes the payload, extended rcode and DO") {
  MessageBuilder b;
  REQUIRE(b.add_question(name("example"), RRType::A, RRClass::IN) == Fit::Fitted);
  EdnsOut edns;
  edns.udp_payload = 1400;
  edns.extended_rcode = 1;
  edns.flags = kEdnsDo;
  REQUIRE(b.add_opt(edns) == Fit::Fitted);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->udp_payload == 1400);
  CHECK(m.edns()->extended_rcode == 1);
  CHECK(m.edns()->version == 0);
  CHECK(m.edns()->dnssec_ok());
  CHECK(m.rcode() == RCode::BadVers);
  CHECK(m.count(Section::Additional) == 1);
  CHECK(m.records().empty());
  CHECK(m.edns_options().empty());
}

TEST_CASE("message builder: add_opt with an EDE writes option 15 with INFO-CODE and text") {
  const ExtendedError ede{EdeCode::SignatureExpired, "example.com: RRSIG for A expired"};
  MessageBuilder b;
  REQUIRE(b.add_question(name("example.com"), RRType::A, RRClass::IN) == Fit::Fitted);
  EdnsOut edns;
  edns.ede = &ede;
  REQUIRE(b.add_opt(edns) == Fit::Fitted);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  REQUIRE(m.edns().has_value());
  CHECK(m.edns()->udp_payload == 1232);
  const auto options = m.edns_options();
  REQUIRE(options.size() == 1);
  CHECK(options[0].code == kEdnsOptionEde);
  CHECK(options[0].code == 15);
  Wire expected;
  expected.u16(7).raw(to_bytes(ede.text));
  CHECK(to_bytes(options[0].data) == expected.bytes());
}

TEST_CASE("message builder: add_opt with an empty EDE text writes the INFO-CODE alone") {
  const ExtendedError ede{EdeCode::DnssecBogus, ""};
  MessageBuilder b;
  EdnsOut edns;
  edns.ede = &ede;
  REQUIRE(b.add_opt(edns) == Fit::Fitted);
  const Bytes packet = b.finish();
  const auto options = parsed(packet).edns_options();
  REQUIRE(options.size() == 1);
  CHECK(to_bytes(options[0].data) == Bytes{0, 6});
}

TEST_CASE("message builder: add_opt drops the EDE before the OPT when space is short") {
  const ExtendedError ede{EdeCode::DnssecBogus, std::string(100, 't')};
  MessageBuilder b(kHeaderSize + 11 + 4);  // room for a bare OPT, not for the EDE
  EdnsOut edns;
  edns.ede = &ede;
  CHECK(b.add_opt(edns) == Fit::Fitted);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  REQUIRE(m.edns().has_value());
  CHECK(m.edns_options().empty());

  MessageBuilder none(kHeaderSize + 10);
  CHECK(none.add_opt(edns) == Fit::DidNotFit);
  const Bytes header_only = none.finish();
  CHECK(header_only.size() == kHeaderSize);
}

TEST_CASE("message builder: add_record_from writes the RDATA uncompressed") {
  // Source: www.example.com CNAME web.<pointer to example.com>.
  Wire p;
  p.header(1, flag::kQR, 1, 1, 0, 0);
  p.name("www.example.com").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));
  p.ptr(12).rr_fixed(RRType::CNAME, RRClass::IN, 300);
  const size_t rdlength = p.begin_rdata();
  p.labels("web").ptr(16);
  p.end_rdata(rdlength);
  const Bytes source = p.bytes();
  const Message src = parsed(source);
  REQUIRE(src.records().size() == 1);

  MessageBuilder b;
  REQUIRE(b.add_record_from(Section::Answer, src, src.records()[0], 42) == Fit::Fitted);
  const Bytes packet = b.finish();
  const Message m = parsed(packet);
  REQUIRE(m.records().size() == 1);
  CHECK(m.records()[0].owner == name("www.example.com"));
  CHECK(m.records()[0].type == RRType::CNAME);
  CHECK(m.records()[0].ttl == 42);
  CHECK(to_bytes(m.rdata(m.records()[0])) == wire_of(name("web.example.com")));
}

TEST_CASE("message builder: compression stays correct in messages longer than 16 KiB") {
  // Pointers reach only offsets below 0x4000; names written beyond that must be written
  // out again rather than pointed at.
  MessageBuilder b(65535);
  REQUIRE(b.add_question(name("example"), RRType::A, RRClass::IN) == Fit::Fitted);
  const Bytes filler(0x3FF0 - b.size() - (1 + 6 + 2) - 10, 0xEE);  // "filler" + pointer
  REQUIRE(b.add_record(Section::Answer, name("filler.example"), RRType::NULL_, RRClass::IN, 60,
                       filler) == Fit::Fitted);
  REQUIRE(b.size() == 0x3FF0);
  const std::string a(30, 'a');
  const std::string bb(30, 'b');
  // Its "bbb..." label starts at 0x3FF0 + 31, beyond what a pointer can reach.
  REQUIRE(b.add_record(Section::Answer, name(a + "." + bb + ".example"), RRType::A, RRClass::IN, 60,
                       kAddr) == Fit::Fitted);
  REQUIRE(b.add_record(Section::Answer, name(bb + ".example"), RRType::A, RRClass::IN, 60, kAddr) ==
          Fit::Fitted);
  REQUIRE(b.add_record(Section::Answer, name("x." + a + "." + bb + ".example"), RRType::A,
                       RRClass::IN, 60, kAddr) == Fit::Fitted);
  const Bytes packet = b.finish();

  const Message m = parsed(packet);
  REQUIRE(m.records().size() == 4);
  CHECK(m.records()[1].owner == name(a + "." + bb + ".example"));
  CHECK(m.records()[2].owner == name(bb + ".example"));
  CHECK(m.records()[3].owner == name("x." + a + "." + bb + ".example"));
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
