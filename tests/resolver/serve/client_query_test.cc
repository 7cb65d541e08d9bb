// tests/resolver: check_query — what a client sent becomes a query to resolve, an error to
// reply with (RFC 1035 §4.1.1, RFC 6891 §6.1.1/§6.1.3, RFC 9619), or a packet to drop.
#include "resolver/serve/client_query.h"

#include <doctest/doctest.h>

#include <string_view>
#include <variant>

#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

constexpr uint16_t kId = 0x4242;

// A query with one question; `ar` additional records (OPTs) are for the caller to write.
Wire query(std::string_view qname, RRType type = RRType::A, RRClass klass = RRClass::IN,
           uint16_t flags = flag::kRD, uint16_t ar = 0) {
  Wire p;
  p.header(kId, flags, 1, 0, 0, ar);
  p.name(qname).u16(to_u16(type)).u16(to_u16(klass));
  return p;
}

uint16_t opcode_flags(Opcode op) { return static_cast<uint16_t>(static_cast<uint16_t>(op) << 11); }

ClientQuery accepted(const Bytes& packet) {
  const QueryCheck check = check_query(packet);
  const auto* q = std::get_if<ClientQuery>(&check);
  REQUIRE_MESSAGE(q != nullptr, "query not accepted, variant index " << check.index());
  return *q;
}

RejectQuery rejected(const Bytes& packet) {
  const QueryCheck check = check_query(packet);
  const auto* r = std::get_if<RejectQuery>(&check);
  REQUIRE_MESSAGE(r != nullptr, "query not rejected, variant index " << check.index());
  return *r;
}

bool dropped(const Bytes& packet) { return std::holds_alternative<DropQuery>(check_query(packet)); }

TEST_CASE("client query: fewer than 12 octets are dropped") {
  const Bytes full = query("example.com").bytes();
  for (size_t n : {size_t{0}, size_t{1}, size_t{11}}) {
    CAPTURE(n);
    CHECK(dropped(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n))));
  }
}

TEST_CASE("client query: a response (QR=1) is dropped") {
  CHECK(dropped(query("example.com", RRType::A, RRClass::IN, flag::kQR | flag::kRD).bytes()));
  Wire header_only;
  header_only.header(kId, flag::kQR, 0, 0, 0, 0);
  CHECK(dropped(header_only.bytes()));
}

TEST_CASE("client query: a good query gives its ID, flags and question with the case kept") {
  const ClientQuery q =
      accepted(query("WwW.Example.COM", RRType::AAAA, RRClass::IN, flag::kRD).bytes());
  CHECK(q.id == kId);
  CHECK(q.flags == flag::kRD);
  CHECK(wire_of(q.question.name) == Wire().name("WwW.Example.COM").bytes());
  CHECK(q.question.type == RRType::AAAA);
  CHECK(q.question.klass == RRClass::IN);
  CHECK_FALSE(q.has_edns);
  CHECK(q.udp_payload == 512);
  CHECK_FALSE(q.dnssec_ok);
  CHECK(q.recursion_desired());
  CHECK_FALSE(q.checking_disabled());
  CHECK_FALSE(q.wants_ad());
}

TEST_CASE("client query: the EDNS payload and DO are taken from the OPT") {
  Wire p = query("example.com", RRType::DNSKEY, RRClass::IN, flag::kRD | flag::kCD, 1);
  p.opt(4096, 0, 0, kEdnsDo);
  const ClientQuery q = accepted(p.bytes());
  CHECK(q.has_edns);
  CHECK(q.udp_payload == 4096);
  CHECK(q.dnssec_ok);
  CHECK(q.checking_disabled());
  CHECK(q.wants_ad());
}

TEST_CASE("client query: an EDNS payload below 512 is taken as 512") {
  for (uint16_t payload : {uint16_t{0}, uint16_t{100}, uint16_t{511}}) {
    CAPTURE(payload);
    Wire p = query("example.com", RRType::A, RRClass::IN, flag::kRD, 1);
    p.opt(payload, 0, 0, 0);
    const ClientQuery q = accepted(p.bytes());
    CHECK(q.has_edns);
    CHECK(q.udp_payload == 512);
    CHECK_FALSE(q.dnssec_ok);
  }
}

TEST_CASE("client query: AD in the query asks for AD in the reply without DO") {
  // RFC 6840 §5.7.
  const ClientQuery q =
      accepted(query("example.com", RRType::A, RRClass::IN, flag::kRD | flag::kAD).bytes());
  CHECK(q.wants_ad());
  CHECK_FALSE(q.dnssec_ok);
}

TEST_CASE("client query: the opcodes STATUS, NOTIFY, UPDATE and IQUERY are NotImp") {
  for (Opcode op : {Opcode::Status, Opcode::Notify, Opcode::Update, Opcode::IQuery}) {
    CAPTURE(static_cast<int>(op));
    const uint16_t flags = opcode_flags(op) | flag::kRD;
    const RejectQuery r = rejected(query("example.com", RRType::SOA, RRClass::IN, flags).bytes());
    CHECK(r.rcode == RCode::NotImp);
    CHECK(r.query.id == kId);
    CHECK(r.query.flags == flags);
    CHECK(r.has_question);
    CHECK(r.query.question.name == name("example.com"));
  }
}

TEST_CASE("client query: QDCOUNT 0 is FormErr without a question") {
  Wire p;
  p.header(kId, flag::kRD, 0, 0, 0, 0);
  const RejectQuery r = rejected(p.bytes());
  CHECK(r.rcode == RCode::FormErr);
  CHECK_FALSE(r.has_question);
  CHECK(r.query.id == kId);
}

TEST_CASE("client query: QDCOUNT 2 is FormErr") {
  Wire p;
  p.header(kId, flag::kRD, 2, 0, 0, 0);
  p.name("a.example").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));
  p.name("b.example").u16(to_u16(RRType::A)).u16(to_u16(RRClass::IN));
  const RejectQuery r = rejected(p.bytes());
  CHECK(r.rcode == RCode::FormErr);
  CHECK_FALSE(r.has_question);
  CHECK(r.query.id == kId);
}

TEST_CASE("client query: EDNS version 1 is BadVers and keeps the EDNS fields") {
  Wire p = query("example.com", RRType::A, RRClass::IN, flag::kRD, 1);
  p.opt(1400, 0, 1, kEdnsDo);
  const RejectQuery r = rejected(p.bytes());
  CHECK(r.rcode == RCode::BadVers);
  CHECK(r.has_question);
  CHECK(r.query.question.name == name("example.com"));
  CHECK(r.query.has_edns);
  CHECK(r.query.udp_payload == 1400);
  CHECK(r.query.dnssec_ok);
}

TEST_CASE("client query: two OPT records are FormErr with the question echoed") {
  Wire p = query("Example.com", RRType::MX, RRClass::IN, flag::kRD | flag::kCD, 2);
  p.opt(1232, 0, 0, kEdnsDo);
  p.opt(1232, 0, 0, kEdnsDo);
  const RejectQuery r = rejected(p.bytes());
  CHECK(r.rcode == RCode::FormErr);
  CHECK(r.query.id == kId);
  CHECK(r.query.flags == (flag::kRD | flag::kCD));
  REQUIRE(r.has_question);
  CHECK(wire_of(r.query.question.name) == Wire().name("Example.com").bytes());
  CHECK(r.query.question.type == RRType::MX);
  CHECK(r.query.question.klass == RRClass::IN);
}

TEST_CASE("client query: AXFR and IXFR are Refused") {
  for (RRType t : {RRType::AXFR, RRType::IXFR}) {
    CAPTURE(t);
    const RejectQuery r = rejected(query("example.com", t).bytes());
    CHECK(r.rcode == RCode::Refused);
    CHECK(r.has_question);
    CHECK(r.query.question.type == t);
  }
}

TEST_CASE("client query: MAILA and MAILB are NotImp") {
  for (RRType t : {RRType::MAILA, RRType::MAILB}) {
    CAPTURE(t);
    CHECK(rejected(query("example.com", t).bytes()).rcode == RCode::NotImp);
  }
}

TEST_CASE("client query: QTYPE OPT is FormErr") {
  CHECK(rejected(query("example.com", RRType::OPT).bytes()).rcode == RCode::FormErr);
}

TEST_CASE("client query: classes other than IN are Refused") {
  for (RRClass c : {RRClass::CH, RRClass::HS, RRClass::ANY}) {
    CAPTURE(c);
    const RejectQuery r = rejected(query("version.bind", RRType::TXT, c).bytes());
    CHECK(r.rcode == RCode::Refused);
    CHECK(r.has_question);
    CHECK(r.query.question.klass == c);
  }
}

TEST_CASE("client query: ANY and DNSSEC types are accepted as questions") {
  for (RRType t : {RRType::ANY, RRType::DS, RRType::RRSIG, RRType::NSEC3, RRType::DNSKEY}) {
    CAPTURE(t);
    CHECK(accepted(query("example.com", t).bytes()).question.type == t);
  }
}

TEST_CASE("client query: garbage after the header that is no question is dropped") {
  Wire garbage;
  garbage.header(kId, flag::kRD, 1, 0, 0, 0).raw({0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  CHECK(dropped(garbage.bytes()));

  Wire nothing;
  nothing.header(kId, flag::kRD, 1, 0, 0, 0);
  CHECK(dropped(nothing.bytes()));

  Wire cut;
  cut.header(kId, flag::kRD, 1, 0, 0, 0).name("example.com").u16(1);  // no QCLASS
  CHECK(dropped(cut.bytes()));
}

TEST_CASE("client query: a good question followed by garbage is FormErr with the question") {
  Wire p = query("example.com", RRType::A, RRClass::IN, flag::kRD, 1);
  p.raw({0xFF, 0xFF});
  const RejectQuery r = rejected(p.bytes());
  CHECK(r.rcode == RCode::FormErr);
  CHECK(r.has_question);
  CHECK(r.query.question.name == name("example.com"));

  Wire trailing = query("example.com");
  trailing.u8(0);
  CHECK(rejected(trailing.bytes()).rcode == RCode::FormErr);
}

TEST_CASE("client query: an OPT cut inside its TTL is FormErr, not a crash (fuzz_message)") {
  // Found by fuzz_message (tests/fuzz/corpus/fuzz_message/crash-opt-cut-inside-ttl.bin): the
  // TTL read failed, the shorter RDLENGTH read after it did not, and the TTL was used.
  Wire p;
  p.header(kId, flag::kRD, 1, 0, 0, 1).name("www.test").u16(49).u16(1);
  p.u8(0).u16(41).u16(4096).raw({0x00, 0x01, 0x00});  // 3 of the TTL's 4 octets
  const RejectQuery r = rejected(p.bytes());
  CHECK(r.rcode == RCode::FormErr);
  CHECK(r.has_question);
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
