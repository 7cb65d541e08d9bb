// tests/resolver: RDATA — expand_rdata uncompresses embedded names (RFC 3597 §4), and the
// typed parsers read DS, DNSKEY, RRSIG, NSEC (RFC 4034 §2-5), NSEC3, NSEC3PARAM (RFC 5155
// §3-4), SOA and single-name RDATA, rejecting what does not match the layout.
#include "resolver/wire/rdata.h"

#include <doctest/doctest.h>

#include <span>
#include <string>
#include <utility>

#include "resolver/wire/rdata_layout.h"
#include "tests/resolver/packet_helpers.h"

namespace dnsp::resolver::wire_test {
namespace {

constexpr uint16_t kExampleCom = 12;
constexpr RRType kPrivateType = static_cast<RRType>(65280);

// A response for example.com (the question name, at offset 12) whose records each hold
// RDATA with compressed names pointing at it.
Bytes compressed_response() {
  Wire p;
  p.header(1, flag::kQR, 1, 9, 0, 0);
  p.name("example.com").u16(to_u16(RRType::ANY)).u16(to_u16(RRClass::IN));

  p.ptr(kExampleCom).rr_fixed(RRType::CNAME, RRClass::IN, 60);
  size_t at = p.begin_rdata();
  p.labels("www").ptr(kExampleCom);
  p.end_rdata(at);

  p.ptr(kExampleCom).rr_fixed(RRType::MX, RRClass::IN, 60);
  at = p.begin_rdata();
  p.u16(10).labels("mail").ptr(kExampleCom);
  p.end_rdata(at);

  p.ptr(kExampleCom).rr_fixed(RRType::SOA, RRClass::IN, 60);
  at = p.begin_rdata();
  p.labels("ns1").ptr(kExampleCom).labels("hostmaster").ptr(kExampleCom);
  p.u32(2024010101).u32(7200).u32(3600).u32(1209600).u32(300);
  p.end_rdata(at);

  p.labels("_sip._tcp").ptr(kExampleCom).rr_fixed(RRType::SRV, RRClass::IN, 60);
  at = p.begin_rdata();
  p.u16(1).u16(2).u16(5060).labels("sip").ptr(kExampleCom);
  p.end_rdata(at);

  p.ptr(kExampleCom).rr_fixed(RRType::RRSIG, RRClass::IN, 60);
  at = p.begin_rdata();
  p.u16(to_u16(RRType::A)).u8(8).u8(2).u32(3600).u32(1700000000).u32(1690000000).u16(12345);
  p.ptr(kExampleCom).raw({0xC0, 0x0C, 0xAB});  // signer, then a "signature" like a pointer
  p.end_rdata(at);

  p.ptr(kExampleCom).rr_fixed(RRType::NSEC, RRClass::IN, 60);
  at = p.begin_rdata();
  p.labels("a").ptr(kExampleCom).raw({0x00, 0x01, 0x40});
  p.end_rdata(at);

  p.ptr(kExampleCom).rr_fixed(kPrivateType, RRClass::IN, 60);
  p.rdata(Bytes{0xC0, 0x0C, 0x01, 0x02});  // unknown layout: the octets are opaque

  p.ptr(kExampleCom).rr_fixed(RRType::TXT, RRClass::IN, 60);
  p.rdata(Bytes{4, 0xC0, 0x0C, 'h', 'i'});

  p.ptr(kExampleCom).rr_fixed(RRType::DNAME, RRClass::IN, 60);
  p.rdata(Wire().name("example.net").bytes());  // already uncompressed
  return p.bytes();
}

// The expanded RDATA of the record of type `type` in `m`.
Bytes expanded(const Message& m, RRType type) {
  for (const auto& rr : m.records()) {
    if (rr.type != type) continue;
    Bytes out;
    auto ok = expand_rdata(m, rr, out);
    REQUIRE_MESSAGE(ok.has_value(), "expand_rdata failed: " << std::string(to_string(ok.error())));
    return out;
  }
  FAIL("no record of type " << to_string(type));
  return {};
}

// A message with one answer of type `type` and RDATA `rdata`, for the error cases.
Bytes one_record(RRType type, const Bytes& rdata) {
  Wire p;
  p.header(1, flag::kQR, 1, 1, 0, 0);
  p.name("example.com").u16(to_u16(type)).u16(to_u16(RRClass::IN));
  p.ptr(kExampleCom).rr_fixed(type, RRClass::IN, 60).rdata(rdata);
  return p.bytes();
}

WireError expand_error(const Bytes& packet) {
  const Message m = parsed(packet);
  REQUIRE(m.records().size() == 1);
  Bytes out;
  auto r = expand_rdata(m, m.records()[0], out);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

TEST_CASE("rdata: expand_rdata uncompresses the CNAME target") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), RRType::CNAME) == Wire().name("www.example.com").bytes());
}

TEST_CASE("rdata: expand_rdata uncompresses the MX exchange after its preference") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), RRType::MX) == Wire().u16(10).name("mail.example.com").bytes());
}

TEST_CASE("rdata: expand_rdata uncompresses both SOA names and keeps the five numbers") {
  const Bytes packet = compressed_response();
  const Bytes expected = Wire()
                             .name("ns1.example.com")
                             .name("hostmaster.example.com")
                             .u32(2024010101)
                             .u32(7200)
                             .u32(3600)
                             .u32(1209600)
                             .u32(300)
                             .bytes();
  CHECK(expanded(parsed(packet), RRType::SOA) == expected);
}

TEST_CASE("rdata: expand_rdata uncompresses the SRV target after its three numbers") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), RRType::SRV) ==
        Wire().u16(1).u16(2).u16(5060).name("sip.example.com").bytes());
}

TEST_CASE("rdata: expand_rdata uncompresses the RRSIG signer and copies the signature") {
  const Bytes packet = compressed_response();
  const Bytes expected = Wire()
                             .u16(to_u16(RRType::A))
                             .u8(8)
                             .u8(2)
                             .u32(3600)
                             .u32(1700000000)
                             .u32(1690000000)
                             .u16(12345)
                             .name("example.com")
                             .raw({0xC0, 0x0C, 0xAB})
                             .bytes();
  CHECK(expanded(parsed(packet), RRType::RRSIG) == expected);
}

TEST_CASE("rdata: expand_rdata uncompresses the NSEC next name and copies the bit map") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), RRType::NSEC) ==
        Wire().name("a.example.com").raw({0x00, 0x01, 0x40}).bytes());
}

TEST_CASE("rdata: expand_rdata copies an unknown type's RDATA as it is") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), kPrivateType) == Bytes{0xC0, 0x0C, 0x01, 0x02});
}

TEST_CASE("rdata: expand_rdata copies RDATA without names as it is") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), RRType::TXT) == Bytes{4, 0xC0, 0x0C, 'h', 'i'});
}

TEST_CASE("rdata: expand_rdata leaves an uncompressed name as it is") {
  const Bytes packet = compressed_response();
  CHECK(expanded(parsed(packet), RRType::DNAME) == Wire().name("example.net").bytes());
}

TEST_CASE("rdata: expand_rdata appends to what the output already holds") {
  const Bytes packet = compressed_response();
  const Message m = parsed(packet);
  Bytes out = {0xFF};
  for (const auto& rr : m.records()) {
    if (rr.type == RRType::CNAME) REQUIRE(expand_rdata(m, rr, out).has_value());
  }
  CHECK(out == Wire().u8(0xFF).name("www.example.com").bytes());
}

TEST_CASE("rdata: expand_rdata on a truncated SOA is BadRdata") {
  Wire soa;
  soa.name("ns1.example.com").name("hostmaster.example.com").u32(1).u32(2).u32(3).u32(4);
  soa.raw({0, 0, 0});  // 19 of the 20 octets of numbers
  CHECK(expand_error(one_record(RRType::SOA, soa.bytes())) == WireError::BadRdata);

  Wire no_rname;
  no_rname.name("ns1.example.com");
  CHECK(expand_error(one_record(RRType::SOA, no_rname.bytes())) == WireError::BadRdata);
}

TEST_CASE("rdata: expand_rdata on a SOA with octets after its numbers is BadRdata") {
  Wire soa;
  soa.name("ns1.example.com").name("hostmaster.example.com");
  soa.u32(1).u32(2).u32(3).u32(4).u32(5).u8(0);
  CHECK(expand_error(one_record(RRType::SOA, soa.bytes())) == WireError::BadRdata);
}

TEST_CASE("rdata: expand_rdata on a name running past the RDLENGTH is BadRdata") {
  // The MX exchange's root label lies after the RDATA, in the next record's octets.
  Wire p;
  p.header(1, flag::kQR, 0, 2, 0, 0);
  p.name("example.com").rr_fixed(RRType::MX, RRClass::IN, 60);
  p.u16(2 + 5).u16(10).labels("mail");  // RDLENGTH stops before the root label
  p.root().rr_fixed(RRType::A, RRClass::IN, 60).rdata(Bytes{192, 0, 2, 1});
  const Bytes packet = p.bytes();
  const Message m = parsed(packet);
  REQUIRE(m.records().size() == 2);
  Bytes out;
  auto r = expand_rdata(m, m.records()[0], out);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == WireError::BadRdata);
}

TEST_CASE("rdata: expand_rdata on a CNAME with a pointer loop is BadRdata") {
  Wire p;
  p.header(1, flag::kQR, 0, 1, 0, 0);
  p.name("example.com").rr_fixed(RRType::CNAME, RRClass::IN, 60);
  const size_t rdata = p.size() + 2;
  p.u16(2).ptr(static_cast<uint16_t>(rdata));  // points at itself
  const Bytes packet = p.bytes();
  CHECK(expand_error(packet) == WireError::BadRdata);
}

TEST_CASE("rdata: expand_rdata on an RRSIG shorter than its fixed fields is BadRdata") {
  CHECK(expand_error(one_record(RRType::RRSIG, Bytes(17, 0))) == WireError::BadRdata);
}

TEST_CASE("rdata: parse_soa reads both names and the five numbers") {
  const Bytes rdata = Wire()
                          .name("ns1.example.com")
                          .name("hostmaster.example.com")
                          .u32(2024010101)
                          .u32(7200)
                          .u32(3600)
                          .u32(1209600)
                          .u32(300)
                          .bytes();
  auto soa = parse_soa(rdata);
  REQUIRE(soa.has_value());
  CHECK(soa->mname == name("ns1.example.com"));
  CHECK(soa->rname == name("hostmaster.example.com"));
  CHECK(soa->serial == 2024010101u);
  CHECK(soa->refresh == 7200);
  CHECK(soa->retry == 3600);
  CHECK(soa->expire == 1209600);
  CHECK(soa->minimum == 300);
}

TEST_CASE("rdata: parse_soa rejects missing or extra number octets") {
  Wire base;
  base.name("ns1.example.com").name("hostmaster.example.com");
  Bytes short_by_one = Wire().raw(base.bytes()).raw(Bytes(19, 0)).bytes();
  Bytes one_extra = Wire().raw(base.bytes()).raw(Bytes(21, 0)).bytes();
  CHECK(parse_soa(short_by_one).error() == WireError::BadRdata);
  CHECK(parse_soa(one_extra).error() == WireError::BadRdata);
  CHECK(parse_soa(Bytes{}).error() == WireError::BadRdata);
}

TEST_CASE("rdata: parse_single_name reads one uncompressed name and nothing else") {
  auto n = parse_single_name(Wire().name("target.example").bytes());
  REQUIRE(n.has_value());
  CHECK(*n == name("target.example"));
  CHECK_FALSE(parse_single_name(Wire().name("target.example").u8(0).bytes()).has_value());
  CHECK_FALSE(parse_single_name(Bytes{0xC0, 0x00}).has_value());
  CHECK_FALSE(parse_single_name(Bytes{}).has_value());
}

TEST_CASE("rdata: parse_ds reads the RFC 4034 §5.4 example") {
  // dskey.example.com. 86400 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )
  const Bytes digest = hex("2BB183AF5F22588179A53B0A98631FAD1A292118");
  const Bytes rdata = Wire().u16(60485).u8(5).u8(1).raw(digest).bytes();
  auto ds = parse_ds(rdata);
  REQUIRE(ds.has_value());
  CHECK(ds->key_tag == 60485);
  CHECK(ds->algorithm == 5);
  CHECK(ds->digest_type == 1);
  CHECK(to_bytes(ds->digest) == digest);
}

TEST_CASE("rdata: parse_ds rejects RDATA without a digest") {
  CHECK(parse_ds(Bytes{0xEC, 0x45, 5, 1}).error() == WireError::BadRdata);
  CHECK(parse_ds(Bytes{}).error() == WireError::BadRdata);
}

TEST_CASE("rdata: parse_dnskey reads flags, protocol, algorithm and the key") {
  // RFC 4034 §2.3: example.com. 86400 IN DNSKEY 256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3 ...)
  const Bytes key = hex("0103d22a6ca77f35b893206fd35e4c506d83788437");  // its first 21 octets
  const Bytes zsk = Wire().u16(256).u8(3).u8(5).raw(key).bytes();
  auto k = parse_dnskey(zsk);
  REQUIRE(k.has_value());
  CHECK(k->flags == 256);
  CHECK((k->flags & DnskeyRdata::kZoneKey) != 0);
  CHECK((k->flags & DnskeyRdata::kSep) == 0);
  CHECK(k->protocol == 3);
  CHECK(k->algorithm == 5);
  CHECK(to_bytes(k->public_key) == key);

  const Bytes ksk = Wire().u16(257).u8(3).u8(13).raw(key).bytes();
  auto s = parse_dnskey(ksk);
  REQUIRE(s.has_value());
  CHECK((s->flags & DnskeyRdata::kSep) != 0);
  CHECK((s->flags & DnskeyRdata::kRevoke) == 0);
  CHECK(s->algorithm == 13);

  const Bytes revoked = Wire().u16(257 | 0x0080).u8(3).u8(8).raw(key).bytes();
  CHECK((parse_dnskey(revoked)->flags & DnskeyRdata::kRevoke) != 0);
}

TEST_CASE("rdata: parse_dnskey rejects RDATA without a key") {
  CHECK(parse_dnskey(Bytes{1, 0, 3, 5}).error() == WireError::BadRdata);
}

TEST_CASE("rdata: parse_rrsig reads the RFC 4034 §3.3 example and the signed prefix") {
  // host.example.com. 86400 IN RRSIG A 5 3 86400 20030322173103 ( 20030220173103 2642
  //     example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr... ) : a 128-octet signature.
  Bytes signature(128, 0);
  for (size_t i = 0; i < signature.size(); ++i) signature[i] = static_cast<uint8_t>(i * 7 + 1);
  const Bytes rdata = Wire()
                          .u16(to_u16(RRType::A))
                          .u8(5)
                          .u8(3)
                          .u32(86400)
                          .u32(1048354263)  // 2003-03-22T17:31:03Z
                          .u32(1045762263)  // 2003-02-20T17:31:03Z
                          .u16(2642)
                          .name("example.com")
                          .raw(signature)
                          .bytes();
  auto sig = parse_rrsig(rdata);
  REQUIRE(sig.has_value());
  CHECK(sig->type_covered == RRType::A);
  CHECK(sig->algorithm == 5);
  CHECK(sig->labels == 3);
  CHECK(sig->original_ttl == 86400);
  CHECK(sig->expiration == 1048354263u);
  CHECK(sig->inception == 1045762263u);
  CHECK(sig->key_tag == 2642);
  CHECK(sig->signer == name("example.com"));
  CHECK(sig->signed_prefix_length == 18 + 13);
  CHECK(to_bytes(sig->signature) == signature);
  CHECK(sig->signature.data() == rdata.data() + sig->signed_prefix_length);
}

TEST_CASE("rdata: parse_rrsig rejects a missing signature, short RDATA and a bad signer") {
  Wire fixed;
  fixed.u16(1).u8(13).u8(2).u32(300).u32(2).u32(1).u16(7);
  const Bytes no_signature = Wire().raw(fixed.bytes()).name("example").bytes();
  CHECK(parse_rrsig(no_signature).error() == WireError::BadRdata);
  CHECK(parse_rrsig(fixed.bytes()).error() == WireError::BadRdata);
  CHECK(parse_rrsig(Bytes(10, 0)).error() == WireError::BadRdata);
  const Bytes bad_signer = Wire().raw(fixed.bytes()).u8(0x40).raw({1, 2, 3}).bytes();
  CHECK(parse_rrsig(bad_signer).error() == WireError::BadRdata);
  const Bytes unterminated = Wire().raw(fixed.bytes()).labels("example").bytes();
  CHECK(parse_rrsig(unterminated).error() == WireError::BadRdata);
}

// RFC 4034 §4.3: alfa.example.com. 86400 IN NSEC host.example.com. (
//                                        A MX RRSIG NSEC TYPE1234 )
Bytes rfc4034_nsec_rdata() {
  return Wire()
      .name("host.example.com")
      .raw(hex("0006 4001 0000 0003"
               "041b 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 20"))
      .bytes();
}

TEST_CASE("rdata: parse_nsec reads the RFC 4034 §4.3 example") {
  const Bytes rdata = rfc4034_nsec_rdata();
  auto nsec = parse_nsec(rdata);
  REQUIRE(nsec.has_value());
  CHECK(nsec->next == name("host.example.com"));
  CHECK(nsec->types.raw.size() == 2 + 6 + 2 + 27);
}

TEST_CASE("rdata: the RFC 4034 §4.3 bit map contains exactly A MX RRSIG NSEC TYPE1234") {
  const Bytes rdata = rfc4034_nsec_rdata();
  auto nsec = parse_nsec(rdata);
  REQUIRE(nsec.has_value());
  const TypeBitmap& types = nsec->types;
  for (RRType t : {RRType::A, RRType::MX, RRType::RRSIG, RRType::NSEC, static_cast<RRType>(1234)}) {
    CAPTURE(t);
    CHECK(types.contains(t));
  }
  for (RRType t :
       {RRType::NS, RRType::SOA, RRType::AAAA, RRType::DNSKEY, RRType::DS, RRType::NSEC3,
        static_cast<RRType>(0), static_cast<RRType>(1233), static_cast<RRType>(1235),
        static_cast<RRType>(1024 + 1), static_cast<RRType>(256 + 1), static_cast<RRType>(65535)}) {
    CAPTURE(t);
    CHECK_FALSE(types.contains(t));
  }
}

TEST_CASE("rdata: an NSEC with an empty bit map is accepted and contains nothing") {
  const Bytes rdata = Wire().name("next.example").bytes();
  auto nsec = parse_nsec(rdata);
  REQUIRE(nsec.has_value());
  CHECK_FALSE(nsec->types.contains(RRType::A));
}

TEST_CASE("rdata: parse_nsec rejects a bad next name or an invalid bit map") {
  CHECK(parse_nsec(Wire().labels("next").bytes()).error() == WireError::BadRdata);
  CHECK(parse_nsec(Wire().name("next").raw({0x00, 0x00}).bytes()).error() == WireError::BadRdata);
  CHECK(parse_nsec(Wire().name("next").raw({0x00, 0x02, 0x40}).bytes()).error() ==
        WireError::BadRdata);
}

// RFC 5155 Appendix A: 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 1 12 aabbccdd (
//     2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG )
const char kNextHashedHex[] = "174eb2409fe28bcb4887a1836f957f0a8425e27b";  // 2t7b4g4v...bojr

Bytes rfc5155_nsec3_rdata() {
  // Window 0, 7 octets: NS(2) SOA(6) | MX(15) | - | - | - | RRSIG(46) | DNSKEY(48) NSEC3PARAM(51)
  return Wire()
      .u8(1)
      .u8(1)
      .u16(12)
      .u8(4)
      .raw(hex("aabbccdd"))
      .u8(20)
      .raw(hex(kNextHashedHex))
      .raw(hex("0007 2201 0000 0002 90"))
      .bytes();
}

TEST_CASE("rdata: parse_nsec3 reads the RFC 5155 Appendix A example") {
  const Bytes rdata = rfc5155_nsec3_rdata();
  auto nsec3 = parse_nsec3(rdata);
  REQUIRE(nsec3.has_value());
  CHECK(nsec3->hash_algorithm == 1);
  CHECK(nsec3->flags == 1);
  CHECK((nsec3->flags & Nsec3Rdata::kOptOut) != 0);
  CHECK(nsec3->iterations == 12);
  CHECK(to_bytes(nsec3->salt) == hex("aabbccdd"));
  CHECK(to_bytes(nsec3->next_hashed) == hex(kNextHashedHex));
  for (RRType t :
       {RRType::MX, RRType::DNSKEY, RRType::NS, RRType::SOA, RRType::NSEC3PARAM, RRType::RRSIG}) {
    CAPTURE(t);
    CHECK(nsec3->types.contains(t));
  }
  for (RRType t : {RRType::A, RRType::AAAA, RRType::DS, RRType::NSEC3, RRType::CNAME}) {
    CAPTURE(t);
    CHECK_FALSE(nsec3->types.contains(t));
  }
}

TEST_CASE("rdata: parse_nsec3 accepts an empty salt and an empty bit map") {
  const Bytes rdata = Wire().u8(1).u8(0).u16(0).u8(0).u8(20).raw(Bytes(20, 0x11)).bytes();
  auto nsec3 = parse_nsec3(rdata);
  REQUIRE(nsec3.has_value());
  CHECK(nsec3->salt.empty());
  CHECK(nsec3->flags == 0);
  CHECK(nsec3->next_hashed.size() == 20);
  CHECK(nsec3->types.raw.empty());
}

TEST_CASE("rdata: parse_nsec3 rejects a zero hash length, cut fields and a bad bit map") {
  const Bytes zero_hash = Wire().u8(1).u8(0).u16(0).u8(0).u8(0).raw({0, 1, 0x40}).bytes();
  CHECK(parse_nsec3(zero_hash).error() == WireError::BadRdata);

  const Bytes full = rfc5155_nsec3_rdata();
  const size_t bitmap_start = 1 + 1 + 2 + 1 + 4 + 1 + 20;
  for (size_t n = 0; n < bitmap_start; ++n) {
    CAPTURE(n);
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(parse_nsec3(cut).error() == WireError::BadRdata);
  }
  Bytes bad_bitmap(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(bitmap_start));
  bad_bitmap.insert(bad_bitmap.end(), {0x00, 0x21});  // window length 33
  bad_bitmap.resize(bad_bitmap.size() + 33);
  CHECK(parse_nsec3(bad_bitmap).error() == WireError::BadRdata);
}

TEST_CASE("rdata: parse_nsec3param reads example. NSEC3PARAM 1 0 12 aabbccdd") {
  const Bytes rdata = Wire().u8(1).u8(0).u16(12).u8(4).raw(hex("aabbccdd")).bytes();
  auto p = parse_nsec3param(rdata);
  REQUIRE(p.has_value());
  CHECK(p->hash_algorithm == 1);
  CHECK(p->flags == 0);
  CHECK(p->iterations == 12);
  CHECK(to_bytes(p->salt) == hex("aabbccdd"));
}

TEST_CASE("rdata: parse_nsec3param rejects cut fields and octets after the salt") {
  const Bytes full = Wire().u8(1).u8(0).u16(12).u8(4).raw(hex("aabbccdd")).bytes();
  for (size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(parse_nsec3param(cut).error() == WireError::BadRdata);
  }
  Bytes extra = full;
  extra.push_back(0);
  CHECK(parse_nsec3param(extra).error() == WireError::BadRdata);
}

TEST_CASE("rdata: parse_nsec3param on three octets with an empty salt is BadRdata") {
  // Algorithm, flags, then one octet where the 16-bit iterations belong: that octet must not
  // be taken as a salt length of 0.
  CHECK(parse_nsec3param(Bytes{1, 0, 0}).error() == WireError::BadRdata);
}

TEST_CASE("rdata: type_bitmap_valid accepts increasing windows of 1 to 32 octets") {
  CHECK(type_bitmap_valid(Bytes{}));
  CHECK(type_bitmap_valid(hex("0001 40")));
  CHECK(type_bitmap_valid(hex("0006 4001 0000 0003 0101 40")));
  Bytes full_window = {0xFF, 32};
  full_window.resize(2 + 32, 0x01);
  CHECK(type_bitmap_valid(full_window));
  const Bytes nsec = rfc4034_nsec_rdata();
  CHECK(type_bitmap_valid(std::span<const uint8_t>(nsec).subspan(18)));  // after host.example.com
}

TEST_CASE("rdata: type_bitmap_valid rejects malformed window structures") {
  Bytes length_33 = {0x00, 33};
  length_33.resize(2 + 33, 0x01);
  const std::pair<const char*, Bytes> cases[] = {
      {"window length 0", hex("0000")},
      {"window length 33", length_33},
      {"windows out of order", hex("0101 40 0001 40")},
      {"the same window twice", hex("0001 40 0001 20")},
      {"a window longer than the data", hex("0004 4000")},
      {"a lone window number", hex("0001 40 01")},
  };
  // Not a structured binding: clang 14 cannot capture one (CAPTURE is a lambda).
  for (const auto& c : cases) {
    const char* what = c.first;
    CAPTURE(what);
    CHECK_FALSE(type_bitmap_valid(c.second));
  }
}

TEST_CASE("rdata: TypeBitmap::contains is false for an empty map or a window cut short") {
  CHECK_FALSE(TypeBitmap{}.contains(RRType::A));
  const Bytes cut = hex("0006 40");  // claims 6 octets, holds 1
  CHECK_FALSE(TypeBitmap{cut}.contains(RRType::A));
}

TEST_CASE("rdata layouts: one table for decompression and canonical form, Rest only last") {
  // Every type 0..65535: a layout's Rest (or A6) ends it, and Fixed fields have a size.
  for (uint32_t t = 0; t <= 0xFFFF; ++t) {
    const RdataLayout* l = rdata_layout(static_cast<RRType>(t));
    if (l == nullptr) continue;
    INFO("type " << t);
    CHECK(l->type == static_cast<RRType>(t));
    REQUIRE(l->count >= 1);
    for (uint8_t i = 0; i < l->count; ++i) {
      const auto kind = l->parts[i].kind;
      if (kind == RdataField::Rest || kind == RdataField::A6) CHECK(i == l->count - 1);
      if (kind == RdataField::Fixed) CHECK(l->parts[i].size > 0);
    }
  }
  // RFC 6840 §5.1: NSEC's next name is uncompressed on receipt but keeps its case.
  CHECK(rdata_layout(RRType::NSEC)->decompress);
  CHECK_FALSE(rdata_layout(RRType::NSEC)->lowercase);
  // RFC 4034 §6.2: RRSIG's signer is both.
  CHECK(rdata_layout(RRType::RRSIG)->decompress);
  CHECK(rdata_layout(RRType::RRSIG)->lowercase);
  // Types without names have no layout: copied as they are both ways.
  for (RRType t : {RRType::A, RRType::AAAA, RRType::TXT, RRType::DS, RRType::DNSKEY, RRType::NSEC3,
                   RRType::NSEC3PARAM}) {
    CHECK(rdata_layout(t) == nullptr);
  }
}

}  // namespace
}  // namespace dnsp::resolver::wire_test
