// tests/resolver: canonical form (RFC 4034 §6, RFC 6840 §5.1), signed data (RFC 4034
// §3.1.8.1, RFC 4035 §5.3.2) checked end to end against the published signatures of RFC 4035
// Appendix B, RFC 5702 §6 and RFC 8080 §6, key tags (RFC 4034 Appendix B) and DS input.
#include "resolver/verify/canonical.h"

#include <doctest/doctest.h>

#include "crypto/digest.h"
#include "crypto/public_key.h"
#include "resolver/wire/rdata.h"
#include "tests/crypto/rfc_vectors.h"
#include "tests/resolver/rrset_packets.h"

namespace dnsp::resolver::test {
namespace {

constexpr auto kAnswer = Section::Answer;
constexpr auto kAuthority = Section::Authority;

Bytes canonical(RRType type, const Bytes& rdata) {
  Bytes out = {0xEE};  // appending must keep what is already there
  append_canonical_rdata(type, rdata, out);
  REQUIRE(out.size() == rdata.size() + 1);  // canonical form never changes the length
  REQUIRE(out[0] == 0xEE);
  return Bytes(out.begin() + 1, out.end());
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The single RRset of `type` (and its RRSIGs) among the records.
RRset rrset_of(const Bytes& packet, RRType type) {
  for (RRset& set : group(packet)) {
    if (set.type == type) return set;
  }
  FAIL("no RRset of type " << to_string(type));
  return {};
}

crypto::VerifyResult verify(const RRset& set, uint8_t algorithm, const Bytes& key) {
  REQUIRE(set.rrsigs.size() == 1);
  auto sig = parse_rrsig(set.rrsigs[0]);
  REQUIRE(sig.has_value());
  const Bytes data = signed_data(*sig, set.rrsigs[0], set);
  REQUIRE_FALSE(data.empty());
  auto decoded = crypto::PublicKey::decode(algorithm, key);
  REQUIRE(decoded.status == crypto::KeyStatus::Ok);
  return decoded.key->verify(data, sig->signature);
}

// The RDATA of each RR in signed data whose RRs all have `owner_size`-octet owners.
std::vector<Bytes> rr_rdatas(const Bytes& data, const RrsigRdata& sig, size_t owner_size) {
  std::vector<Bytes> out;
  size_t pos = 18 + sig.signer.wire_size();
  while (pos < data.size()) {
    pos += owner_size + 8;
    REQUIRE(pos + 2 <= data.size());
    const size_t len = size_t{data[pos]} << 8 | data[pos + 1];
    pos += 2;
    REQUIRE(pos + len <= data.size());
    out.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(pos),
                     data.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
  }
  return out;
}

// RFC 4035 Appendix B: RRsets of the example. zone and their RRSIGs by key 38519.
constexpr std::string_view kNsSig =
    "gl13F00f2U0R+SWiXXLHwsMY+qStYy5k6zfdEuivWc+wd1fmbNCyql0Tk7lHTX6UOxc8AgNf"
    "4ISFve8XqF4q+o9qlnqIzmppU3LiNeKT4FZ8RO5urFOvoMRTbQxW3U0hXWuggE4g3ZpsHv48"
    "0HjMeRaZB/FRPGfJPajngcq6Kwg=";
constexpr std::string_view kMxSig =  // x.w.example. MX 1 xx.example.
    "Il2WTZ+Bkv+OytBx4LItNW5mjB4RCwhOO8y1XzPHZmZUTVYL7LaA63f6T9ysVBzJRI3KRjAP"
    "H3U1qaYnDoN1DrWqmi9RJe4FoObkbcdm7P3Ikx70ePCoFgRz1Yq+bVVXCvGuAU4xALv3W/Y1"
    "jNSlwZ2mSWKHfxFQxPtLj8s32+k=";
constexpr std::string_view kWildcardMxSig =  // a.z.w.example. MX 1 ai.example. from *.w.example.
    "OMK8rAZlepfzLWW75Dxd63jy2wswESzxDKG2f9AMN1CytCd10cYISAxfAdvXSZ7xujKAtPbc"
    "tvOQ2ofO7AZJ+d01EeeQTVBPq4/6KCWhqe2XTjnkVLNvvhnc0u28aoSsG0+4InvkkOHknKxw"
    "4kX18MMR34i8lC36SR5xBni8vHI=";
constexpr std::string_view kSoaSig =
    "ONx0k36rcjaxYtcNgq6iQnpNV5+drqYAsC9h7TSJaHCqbhE67Sr6aH2xDUGcqQWu/n0UVzrF"
    "vkgO9ebarZ0GWDKcuwlM6eNB5SiX2K74l5LWDA7S/Un/IbtDq4Ay8NMNLQI7Dw7n4p8/rjkB"
    "jV7j86HyQgM5e7+miRAz8V01b0I=";
constexpr std::string_view kNsecSig =  // b.example. NSEC ns1.example. NS RRSIG NSEC
    "GNuxHn844wfmUhPzGWKJCPY5ttEX/RfjDoOx9ueK1PtYkOWKOOdiJ/PJKCYB3hYX+858dDWS"
    "xb2qnV/LSTCNVBnkm6owOpysY97MVj5VQEWs0lm9tFoqjcptQkmQKYPrwUnCSNwvvclSF1xZ"
    "vhRXgWT7OuFXldoCG6TfVFMs9xE=";
constexpr std::string_view kDsSig =  // a.example. DS 57855 5 1 B6DC...
    "oXIKit/QtdG64J/CB+Gi8dOvnwRvqrto1AdQoRkAN15FP3iZ7suB7gvTBmXzCjL7XUgQVcoH"
    "kdhyCuzp8W9qJHgRUSwKKkczSyuL64nhgjuDEML8l9wlWVsl7PR2VnZduM9bLyBhaaPmRKX/"
    "Fm+v6ccF2EGNLRiY08kdkz+XHHo=";

Bytes soa_rdata(std::string_view mname, std::string_view rname) {
  return Wire()
      .raw(name_wire(mname))
      .raw(name_wire(rname))
      .u32(1081539377)
      .u32(3600)
      .u32(300)
      .u32(3600000)
      .u32(3600)
      .bytes();
}

// NSEC RDATA: next name, then the bit map of NS, RRSIG, NSEC (RFC 4034 §4.1.2).
Bytes nsec_ns_rrsig_nsec(std::string_view next) {
  return concat({name_wire(next), hex("00 06 20 00 00 00 00 03")});
}

crypto::VerifyResult verify_rfc4035(const Bytes& packet, RRType type) {
  return verify(rrset_of(packet, type), 5, b64(kRfc4035Zsk));
}

Bytes rfc4035_sig(RRType covered, uint8_t labels, std::string_view signature) {
  return rrsig_rdata(rfc4035_rrsig(covered, labels, signature));
}

// RFC 5702 §6.1: www.example.net. 3600 IN A 192.0.2.91 and its RRSIG by key 9033.
struct Rfc5702 {
  std::string_view owner = "www.example.net.";
  uint32_t ttl = 3600;
  Bytes address = a_rdata(192, 0, 2, 91);
  uint8_t labels = 3;
  std::string_view signer = "example.net.";

  Bytes packet() const {
    const auto v = crypto::test::rfc5702_rsasha256();
    const Bytes sig = rrsig_rdata({RRType::A, 8, labels, 3600, "20300101000000", "20000101000000",
                                   9033, signer, v.signature});
    return build_packet(
        {{kAnswer, owner, RRType::A, address, ttl}, {kAnswer, owner, RRType::RRSIG, sig, ttl}});
  }
  crypto::VerifyResult verify_it() const {
    return verify(rrset_of(packet(), RRType::A), 8, crypto::test::rfc5702_rsasha256().key);
  }
};

}  // namespace

// --- canonical RDATA ---------------------------------------------------------------------

TEST_CASE("canonical: names in the RFC 4034 §6.2 types are lowercased, the rest kept") {
  const Bytes upper = name_wire("Mail.EXAMPLE.");
  const Bytes lower = name_wire("mail.example.");
  for (RRType type : {RRType::NS, RRType::MD, RRType::MF, RRType::CNAME, RRType::MB, RRType::MG,
                      RRType::MR, RRType::PTR, RRType::DNAME}) {
    CAPTURE(to_string(type));
    CHECK(canonical(type, upper) == lower);
  }
  // RFC 3597 §7: types defined later (and unknown ones) keep their case.
  for (RRType type : {RRType::A, RRType::TXT, RRType::NSEC3, RRType::SVCB, RRType::HTTPS,
                      static_cast<RRType>(65280)}) {
    CAPTURE(to_string(type));
    CHECK(canonical(type, upper) == upper);
  }
  const Bytes fixed = {'A', 'B'};  // octets that look like letters stay as they are
  for (RRType type : {RRType::MX, RRType::AFSDB, static_cast<RRType>(21) /* RT */, RRType::KX}) {
    CAPTURE(to_string(type));
    CHECK(canonical(type, concat({fixed, upper})) == concat({fixed, lower}));
  }
  for (RRType type : {RRType::MINFO, RRType::RP}) {
    CAPTURE(to_string(type));
    CHECK(canonical(type, concat({upper, name_wire("X.Y.")})) ==
          concat({lower, name_wire("x.y.")}));
  }
  CHECK(canonical(RRType::PX, concat({fixed, upper, name_wire("X.")})) ==
        concat({fixed, lower, name_wire("x.")}));
  CHECK(canonical(RRType::SRV, concat({Bytes{'A', 'B', 'C', 'D', 'E', 'F'}, upper})) ==
        concat({Bytes{'A', 'B', 'C', 'D', 'E', 'F'}, lower}));
  const Bytes hinfo = {3, 'P', 'D', 'P', 4, 'U', 'N', 'I', 'X'};
  CHECK(canonical(RRType::HINFO, hinfo) == hinfo);
}

TEST_CASE("canonical: SOA lowers both names and keeps its counters") {
  const Bytes soa = soa_rdata("NS1.Example.", "Bugs.X.W.Example.");
  CHECK(canonical(RRType::SOA, soa) == soa_rdata("ns1.example.", "bugs.x.w.example."));
}

TEST_CASE("canonical: NAPTR lowers its replacement and keeps its character-strings") {
  const Bytes strings = {1, 'U', 7, 'E', '2', 'U', '+', 'S', 'I', 'P', 0};
  const Bytes naptr = concat({Bytes{0, 100, 0, 10}, strings, name_wire("SIP.Example.")});
  CHECK(canonical(RRType::NAPTR, naptr) ==
        concat({Bytes{0, 100, 0, 10}, strings, name_wire("sip.example.")}));
}

TEST_CASE("canonical: A6 lowers its prefix name only when there is one") {
  const Bytes suffix(8, 'A');
  CHECK(canonical(static_cast<RRType>(38), concat({Bytes{64}, suffix, name_wire("P.Example.")})) ==
        concat({Bytes{64}, suffix, name_wire("p.example.")}));
  const Bytes full = concat({Bytes{0}, Bytes(16, 'A')});
  CHECK(canonical(static_cast<RRType>(38), full) == full);
}

TEST_CASE("canonical: RFC 6840 §5.1 keeps NSEC's next name, lowers RRSIG's and SIG's signer") {
  const Bytes bitmap = hex("00 06 20 00 00 00 00 03");
  const Bytes nsec = concat({name_wire("NS1.Example."), bitmap});
  CHECK(canonical(RRType::NSEC, nsec) == nsec);
  // NXT (RFC 2535) stays in the list.
  CHECK(canonical(RRType::NXT, nsec) == concat({name_wire("ns1.example."), bitmap}));

  const Bytes fixed = hex("0001 08 02 00000e10 70dbd880 386d4380 2349");
  const Bytes signature = {'S', 'I', 'G'};
  for (RRType type : {RRType::RRSIG, RRType::SIG}) {
    CAPTURE(to_string(type));
    CHECK(canonical(type, concat({fixed, name_wire("Example.NET."), signature})) ==
          concat({fixed, name_wire("example.net."), signature}));
  }
}

TEST_CASE("canonical: RDATA that does not fit its layout is copied unchanged") {
  const Bytes cut = {0, 10, 4, 'M', 'A'};  // MX whose exchange runs past the end
  CHECK(canonical(RRType::MX, cut) == cut);
  const Bytes pointer = {0, 10, 1, 'M', 0xC0, 12};  // compression is not canonical
  CHECK(canonical(RRType::MX, pointer) == pointer);
  const Bytes trailing = concat({name_wire("A."), Bytes{'X'}});  // lowered, then kept
  CHECK(canonical(RRType::CNAME, trailing) == concat({name_wire("a."), Bytes{'X'}}));
  CHECK(canonical(RRType::NS, {}).empty());
}

// --- key tag and DS input ----------------------------------------------------------------

TEST_CASE("canonical: key tags of the RFC 4034, 4035, 5702, 6605 and 8080 keys") {
  struct Case {
    const char* source;
    uint16_t flags;
    uint8_t algorithm;
    std::string_view key;
    uint16_t tag;
  };
  const Case cases[] = {
      {"RFC 4034 §5.4 dskey.example.com.", 256, 5,
       "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ"
       "DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc"
       "nOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
       60485},
      {"RFC 4035 App. A ZSK", 256, 5, kRfc4035Zsk, 38519},
      {"RFC 5702 §6.1", 256, 8,
       "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8P"
       "kxUdp6p/DlUmObdk=",
       9033},
      {"RFC 5702 §6.2", 256, 10,
       "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFDx"
       "j13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3"
       "PFY12ZTSncorffcGmhOL",
       3740},
      {"RFC 6605 §6.1", 257, 13,
       "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMW"
       "yQLc8NAA==",
       55648},
      {"RFC 6605 §6.2", 257, 14,
       "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEk"
       "rbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
       10771},
      {"RFC 8080 §6.1", 257, 15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613},
      {"RFC 8080 §6.1", 257, 15, "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 35217},
      {"RFC 8080 §6.2", 257, 16,
       "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA", 9713},
      {"RFC 8080 §6.2", 257, 16,
       "kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNLp5HlHAMy12VoISsA", 38353},
  };
  for (const Case& c : cases) {
    CAPTURE(c.source);
    CHECK(key_tag(dnskey_rdata(c.flags, c.algorithm, c.key)) == c.tag);
  }
}

TEST_CASE("canonical: RFC 4034 App. B.1 key tag of an algorithm 1 key is from its modulus") {
  // The most significant 16 of the least significant 24 bits of the modulus.
  CHECK(key_tag(hex("0100 03 01 03 010001 ffeeddccbbaa998877 abcd ef")) == 0xabcd);
  CHECK(key_tag(hex("0100 03 01")) == 0);
}

TEST_CASE("canonical: the RFC 4034 §5.4 DS digest comes from the lowercased owner") {
  const Bytes rdata = dnskey_rdata(256, 5,
                                   "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9"
                                   "BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6"
                                   "DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==");
  const Bytes input = ds_digest_input(name("DSKEY.Example.COM"), rdata);
  CHECK(input == concat({name_wire("dskey.example.com."), rdata}));
  const auto digest = crypto::ds_digest(1, input);
  REQUIRE(digest.status == crypto::DigestStatus::Ok);
  CHECK(to_hex(digest.digest) == "2bb183af5f22588179a53b0a98631fad1a292118");
}

TEST_CASE("canonical: canonical_name_wire is the lowercased uncompressed name") {
  CHECK(canonical_name_wire(name("WWW.Example.")) == name_wire("www.example."));
  CHECK(canonical_name_wire(Name::root()) == Bytes{0});
}

// --- signed data -------------------------------------------------------------------------

TEST_CASE("canonical: RFC 5702 §6.1 signed data is rebuilt and verifies") {
  const Rfc5702 v;
  const RRset set = rrset_of(v.packet(), RRType::A);
  auto sig = parse_rrsig(set.rrsigs.at(0));
  REQUIRE(sig.has_value());
  CHECK(signed_data(*sig, set.rrsigs[0], set) == crypto::test::rfc5702_rsasha256().signed_data);
  CHECK(v.verify_it() == crypto::VerifyResult::Valid);
}

TEST_CASE("canonical: RFC 5702 §6.1 twins: owner case and TTL do not matter, RDATA does") {
  SUBCASE("owner in other case: canonical form lowercases it") {
    Rfc5702 v;
    v.owner = "WWW.Example.NET.";
    CHECK(v.verify_it() == crypto::VerifyResult::Valid);
  }
  SUBCASE("signer in other case: RFC 6840 §5.1 lowercases it") {
    Rfc5702 v;
    v.signer = "EXAMPLE.net.";
    CHECK(v.verify_it() == crypto::VerifyResult::Valid);
  }
  SUBCASE("a decremented TTL: the RRSIG's original TTL is signed") {
    Rfc5702 v;
    v.ttl = 1234;
    CHECK(v.verify_it() == crypto::VerifyResult::Valid);
  }
  SUBCASE("another address") {
    Rfc5702 v;
    v.address = a_rdata(192, 0, 2, 92);
    CHECK(v.verify_it() == crypto::VerifyResult::Invalid);
  }
  SUBCASE("another owner") {
    Rfc5702 v;
    v.owner = "ww.example.net.";
    CHECK(v.verify_it() == crypto::VerifyResult::Invalid);
  }
}

TEST_CASE("canonical: RFC 8080 §6 Ed25519 MX signed data is rebuilt and verifies") {
  for (const auto& v : crypto::test::rfc8080_ed25519()) {
    CAPTURE(v.name);
    const uint16_t tag = key_tag(Wire().u16(257).u8(3).u8(15).raw(v.key).bytes());
    for (std::string_view exchange : {"mail.example.com.", "MAIL.Example.COM."}) {
      const Bytes sig = rrsig_rdata({RRType::MX, 15, 2, 3600, "20150819220000", "20150729220000",
                                     tag, "example.com.", v.signature});
      const Bytes packet =
          build_packet({{kAnswer, "example.com.", RRType::MX, mx_rdata(10, exchange)},
                        {kAnswer, "example.com.", RRType::RRSIG, sig}});
      const RRset set = rrset_of(packet, RRType::MX);
      auto parsed = parse_rrsig(set.rrsigs.at(0));
      REQUIRE(parsed.has_value());
      CHECK(signed_data(*parsed, set.rrsigs[0], set) == v.signed_data);
      CHECK(verify(set, 15, v.key) == crypto::VerifyResult::Valid);
    }
  }
}

TEST_CASE("canonical: RFC 4035 App. B.1 NS RRset: sorted, lowercased, duplicates removed") {
  // Listed out of order, in mixed case and twice: the signer saw ns1.example., ns2.example.
  const Bytes packet = build_packet({
      {kAuthority, "example.", RRType::NS, name_wire("ns2.example.")},
      {kAuthority, "example.", RRType::NS, name_wire("NS1.Example.")},
      {kAuthority, "example.", RRType::NS, name_wire("NS2.example.")},
      {kAuthority, "example.", RRType::RRSIG, rfc4035_sig(RRType::NS, 1, kNsSig)},
  });
  const RRset set = rrset_of(packet, RRType::NS);
  CHECK(set.rdatas.size() == 3);  // distinct as octets: grouping keeps all three
  auto sig = parse_rrsig(set.rrsigs.at(0));
  REQUIRE(sig.has_value());
  const Bytes data = signed_data(*sig, set.rrsigs[0], set);
  CHECK(rr_rdatas(data, *sig, name_wire("example.").size()) ==
        std::vector<Bytes>{name_wire("ns1.example."), name_wire("ns2.example.")});
  CHECK(verify_rfc4035(packet, RRType::NS) == crypto::VerifyResult::Valid);
}

TEST_CASE("canonical: RFC 4035 App. B RRsets verify with the zone signing key") {
  struct Case {
    const char* what;
    Record record;
    Bytes rrsig;
    crypto::VerifyResult expected;
  };
  const Case cases[] = {
      {"B.1 MX",
       {kAnswer, "x.w.example.", RRType::MX, mx_rdata(1, "xx.example.")},
       rfc4035_sig(RRType::MX, 3, kMxSig),
       crypto::VerifyResult::Valid},
      {"B.1 MX, exchange in upper case",
       {kAnswer, "X.W.Example.", RRType::MX, mx_rdata(1, "XX.EXAMPLE.")},
       rfc4035_sig(RRType::MX, 3, kMxSig),
       crypto::VerifyResult::Valid},
      {"B.1 MX, another preference",
       {kAnswer, "x.w.example.", RRType::MX, mx_rdata(2, "xx.example.")},
       rfc4035_sig(RRType::MX, 3, kMxSig),
       crypto::VerifyResult::Invalid},
      {"B.2 SOA",
       {kAuthority, "example.", RRType::SOA, soa_rdata("ns1.example.", "bugs.x.w.example.")},
       rfc4035_sig(RRType::SOA, 1, kSoaSig),
       crypto::VerifyResult::Valid},
      {"B.2 SOA, names in upper case",
       {kAuthority, "example.", RRType::SOA, soa_rdata("NS1.EXAMPLE.", "Bugs.X.W.Example.")},
       rfc4035_sig(RRType::SOA, 1, kSoaSig),
       crypto::VerifyResult::Valid},
      {"B.2 NSEC",
       {kAuthority, "b.example.", RRType::NSEC, nsec_ns_rrsig_nsec("ns1.example.")},
       rfc4035_sig(RRType::NSEC, 2, kNsecSig),
       crypto::VerifyResult::Valid},
      {"B.2 NSEC, owner in upper case",
       {kAuthority, "B.EXAMPLE.", RRType::NSEC, nsec_ns_rrsig_nsec("ns1.example.")},
       rfc4035_sig(RRType::NSEC, 2, kNsecSig),
       crypto::VerifyResult::Valid},
      // RFC 6840 §5.1: the next name is signed as it is; changing its case breaks it.
      {"B.2 NSEC, next name in upper case",
       {kAuthority, "b.example.", RRType::NSEC, nsec_ns_rrsig_nsec("NS1.example.")},
       rfc4035_sig(RRType::NSEC, 2, kNsecSig),
       crypto::VerifyResult::Invalid},
      {"B.4 DS",
       {kAuthority, "a.example.", RRType::DS,
        hex("e1ff 05 01 b6dcd485719adca18e5f3d48a2331627fdd3636b")},
       rfc4035_sig(RRType::DS, 2, kDsSig),
       crypto::VerifyResult::Valid},
      {"B.6 wildcard MX",
       {kAnswer, "a.z.w.example.", RRType::MX, mx_rdata(1, "ai.example.")},
       rfc4035_sig(RRType::MX, 2, kWildcardMxSig),
       crypto::VerifyResult::Valid},
      {"B.6 wildcard MX, another expansion",
       {kAnswer, "b.y.w.example.", RRType::MX, mx_rdata(1, "ai.example.")},
       rfc4035_sig(RRType::MX, 2, kWildcardMxSig),
       crypto::VerifyResult::Valid},
      {"B.6 wildcard MX, the wildcard itself",
       {kAnswer, "*.w.example.", RRType::MX, mx_rdata(1, "ai.example.")},
       rfc4035_sig(RRType::MX, 2, kWildcardMxSig),
       crypto::VerifyResult::Valid},
      {"B.6 wildcard MX under another parent",
       {kAnswer, "a.z.v.example.", RRType::MX, mx_rdata(1, "ai.example.")},
       rfc4035_sig(RRType::MX, 2, kWildcardMxSig),
       crypto::VerifyResult::Invalid},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const Bytes packet =
        build_packet({c.record, {c.record.section, c.record.owner, RRType::RRSIG, c.rrsig}});
    CHECK(verify_rfc4035(packet, c.record.type) == c.expected);
  }
}

TEST_CASE("canonical: RFC 4035 §5.3.2 a wildcard expansion is signed as *. + Labels labels") {
  const RRset set{name("A.Z.W.Example."),       RRType::MX, RRClass::IN, 3600, kAnswer,
                  {mx_rdata(1, "ai.example.")}, {}};
  const Bytes rrsig = rfc4035_sig(RRType::MX, 2, kWildcardMxSig);
  auto sig = parse_rrsig(rrsig);
  REQUIRE(sig.has_value());
  const Bytes data = signed_data(*sig, rrsig, set);
  const Bytes star = name_wire("*.w.example.");
  const size_t rr = 18 + sig->signer.wire_size();
  REQUIRE(data.size() > rr + star.size());
  CHECK(Bytes(data.begin() + rr, data.begin() + static_cast<std::ptrdiff_t>(rr + star.size())) ==
        star);
}

TEST_CASE("canonical: a wildcard at the root (Labels 0) is signed as \"*.\"") {
  const RRset set{name("www.Example."),    RRType::A, RRClass::IN, 3600, kAnswer,
                  {a_rdata(192, 0, 2, 1)}, {}};
  const Bytes rrsig =
      rrsig_rdata({RRType::A, 8, 0, 3600, "20300101000000", "20000101000000", 1, ".", Bytes{1}});
  auto sig = parse_rrsig(rrsig);
  REQUIRE(sig.has_value());
  const Bytes data = signed_data(*sig, rrsig, set);
  CHECK(data == concat({Bytes(rrsig.begin(), rrsig.begin() + 19), name_wire("*."),
                        hex("0001 0001 00000e10 0004 c0000201")}));
}

TEST_CASE("canonical: RRs are sorted by canonical RDATA octets, shorter first on a tie") {
  const RRset set{name("example."),
                  static_cast<RRType>(65280),
                  RRClass::IN,
                  60,
                  kAnswer,
                  {Bytes{1, 0}, Bytes{1}, Bytes{0, 0xFF}, Bytes{1}, Bytes{}},
                  {}};
  const Bytes rrsig = rrsig_rdata({static_cast<RRType>(65280), 8, 1, 60, "20300101000000",
                                   "20000101000000", 1, "example.", Bytes{1, 2, 3}});
  auto sig = parse_rrsig(rrsig);
  REQUIRE(sig.has_value());
  const Bytes data = signed_data(*sig, rrsig, set);
  CHECK(rr_rdatas(data, *sig, name_wire("example.").size()) ==
        std::vector<Bytes>{Bytes{}, Bytes{0, 0xFF}, Bytes{1}, Bytes{1, 0}});
  // Each RR: owner | type | class | original TTL (60, whatever the RRset's TTL) | length.
  const size_t rr = 18 + sig->signer.wire_size();
  CHECK(Bytes(data.begin() + static_cast<std::ptrdiff_t>(rr),
              data.begin() + static_cast<std::ptrdiff_t>(rr + 19)) ==
        concat({name_wire("example."), hex("ff00 0001 0000003c 0000")}));
}

TEST_CASE("canonical: signed_data is empty for input no signer produces") {
  const RRset set{name("www.example.net."), RRType::A, RRClass::IN, 3600, kAnswer,
                  {a_rdata(192, 0, 2, 91)}, {}};
  auto make = [](RRType covered, uint8_t labels) {
    return rrsig_rdata({covered, 8, labels, 3600, "20300101000000", "20000101000000", 9033,
                        "example.net.", Bytes{1}});
  };
  SUBCASE("more RRSIG labels than owner labels") {
    const Bytes rrsig = make(RRType::A, 4);
    CHECK(signed_data(*parse_rrsig(rrsig), rrsig, set).empty());
  }
  SUBCASE("a Type Covered other than the RRset's type") {
    const Bytes rrsig = make(RRType::AAAA, 3);
    CHECK(signed_data(*parse_rrsig(rrsig), rrsig, set).empty());
  }
  SUBCASE("as many labels is fine") {
    const Bytes rrsig = make(RRType::A, 3);
    CHECK_FALSE(signed_data(*parse_rrsig(rrsig), rrsig, set).empty());
  }
}

}  // namespace dnsp::resolver::test
