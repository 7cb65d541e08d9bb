// tests/resolver/verify/dnskey_from_ds_test.cc: authenticating a zone's DNSKEY RRset from its DS
// RRset (RFC 4035 §5.2): digest types, SHA-1 ignored beside SHA-256 (RFC 4509 §3), DS that
// match no key, unsupported algorithms and digests making the zone insecure.
#include <doctest/doctest.h>

#include "crypto/digest.h"
#include "resolver/validate/proven.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/wire/rdata.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver {
namespace {

using test::TestKey;

constexpr uint32_t kNow = 1'800'000'000;

struct Zone {
  Name name = *Name::from_text("example.test");
  TestKey ksk{name, 257, 7};
  RRset dnskeys;
  Zone() {
    dnskeys =
        RRset{name, RRType::DNSKEY, RRClass::IN, 3600, Section::Answer, {ksk.dnskey_rdata()}, {}};
    dnskeys.rrsigs.push_back(
        ksk.sign(name, RRType::DNSKEY, 3600, dnskeys.rdatas, kNow - 3600, kNow + 86400));
  }
  // DS RDATA for the KSK with `digest_type`; `corrupt` flips a digest octet.
  std::vector<uint8_t> ds(uint8_t digest_type, bool corrupt = false) const {
    auto d = crypto::ds_digest(digest_type, ds_digest_input(name, ksk.dnskey_rdata()));
    std::vector<uint8_t> out;
    out.reserve(4 + d.digest.size());
    out.push_back(static_cast<uint8_t>(ksk.tag() >> 8));
    out.push_back(static_cast<uint8_t>(ksk.tag()));
    out.push_back(15);  // ED25519
    out.push_back(digest_type);
    for (uint8_t b : d.digest) out.push_back(b);
    if (corrupt) out.back() ^= 0x01;
    return out;
  }
  DnskeyCheck check(const std::vector<std::vector<uint8_t>>& ds_rdatas) const {
    Limits limits;
    Budget budget(limits);
    return validate_dnskeys(name, &dnskeys, ds_rdatas, {}, kNow, budget, limits);
  }
};

TEST_CASE("dnskey: a DS with SHA-1, SHA-256 or SHA-384 digest authenticates the key") {
  Zone z;
  for (uint8_t type : {1, 2, 4}) {
    auto c = z.check({z.ds(type)});
    CHECK(c.security == Security::Secure);
    CHECK(c.keys.size() == 1);
  }
}

TEST_CASE("dnskey: SHA-1 DS records are ignored when a SHA-256 one is present (RFC 4509 §3)") {
  Zone z;
  // The SHA-256 DS is wrong, the SHA-1 one right: the SHA-1 one must not rescue the zone.
  auto c = z.check({z.ds(2, true), z.ds(1)});
  CHECK(c.security == Security::Bogus);
  CHECK(c.reason == Reason::NoDnskeyMatchesDs);
  // Twin: both right is secure.
  CHECK(z.check({z.ds(2), z.ds(1)}).security == Security::Secure);
}

TEST_CASE("dnskey: a DS that matches no key is bogus and names the DS and the keys") {
  Zone z;
  auto c = z.check({z.ds(2, true)});
  CHECK(c.security == Security::Bogus);
  CHECK(c.reason == Reason::NoDnskeyMatchesDs);
  CHECK(c.detail.find(std::to_string(z.ksk.tag()) + "/15/2") != std::string::npos);
}

TEST_CASE("dnskey: a DS cut short to its digest type matches no key: bogus, not insecure") {
  Zone z;
  auto cut = z.ds(2);
  cut.resize(4);  // key tag, algorithm, digest type; no digest
  auto c = z.check({cut});
  CHECK(c.security == Security::Bogus);
  CHECK(c.reason == Reason::NoDnskeyMatchesDs);
  // Twin: the whole DS is secure; with an unknown digest type the cut one is insecure.
  CHECK(z.check({z.ds(2)}).security == Security::Secure);
  cut[3] = 200;
  CHECK(z.check({cut}).security == Security::Insecure);
}

TEST_CASE("dnskey: only unsupported digest types or algorithms make the zone insecure") {
  Zone z;
  auto digest = z.ds(2);
  digest[3] = 200;  // an unassigned digest type
  auto c = z.check({digest});
  CHECK(c.security == Security::Insecure);
  CHECK(c.reason == Reason::UnsupportedDigest);
  auto alg = z.ds(2);
  alg[2] = 253;  // PRIVATEDNS: not an algorithm we implement
  c = z.check({alg});
  CHECK(c.security == Security::Insecure);
  CHECK(c.reason == Reason::UnsupportedAlgorithm);
  // One supported DS among unsupported ones: that one decides.
  CHECK(z.check({alg, z.ds(2)}).security == Security::Secure);
  CHECK(z.check({alg, z.ds(2, true)}).security == Security::Bogus);
}

TEST_CASE("dnskey: a revoked key in the RRset validates no zone data (RFC 5011 §2.1)") {
  const Name www = *Name::from_text("www.example.test");
  for (const uint16_t flags : {uint16_t{256}, uint16_t{256 | DnskeyRdata::kRevoke}}) {
    CAPTURE(flags);
    Zone z;
    TestKey zsk{z.name, flags, 9};
    z.dnskeys.rdatas.push_back(zsk.dnskey_rdata());
    z.dnskeys.rrsigs = {
        z.ksk.sign(z.name, RRType::DNSKEY, 3600, z.dnskeys.rdatas, kNow - 3600, kNow + 86400)};
    auto c = z.check({z.ds(2)});
    REQUIRE(c.security == Security::Secure);
    RRset a{www, RRType::A, RRClass::IN, 300, Section::Answer, {{192, 0, 2, 1}}, {}};
    a.rrsigs.push_back(zsk.sign(www, RRType::A, 300, a.rdatas, kNow - 3600, kNow + 86400));
    Limits limits;
    Budget budget(limits);
    const auto verified = verify_rrset(a, z.name, c.keys, kNow, budget, limits).security;
    // The twin without the REVOKE bit verifies the same data.
    CHECK(verified == (flags & DnskeyRdata::kRevoke ? Security::Bogus : Security::Secure));
    CHECK(c.keys.size() == (flags & DnskeyRdata::kRevoke ? 1u : 2u));
  }
}

TEST_CASE("dnskey: the key entry's TTL is at most the RRSIG's Original TTL (RFC 4035 §5.3.3)") {
  Zone z;
  CHECK(z.check({z.ds(2)}).ttl == 3600);
  z.dnskeys.ttl = 2'000'000'000;  // raised on the way: the signature still verifies
  auto c = z.check({z.ds(2)});
  CHECK(c.security == Security::Secure);
  CHECK(c.ttl == 3600);
  z.dnskeys.ttl = 60;  // lowered: the lower one counts
  CHECK(z.check({z.ds(2)}).ttl == 60);
}

TEST_CASE("ttl cap: the Original TTL and the time left to the RRSIG's expiration") {
  CHECK(ttl_cap(300, kNow + 1000, kNow) == 300);
  CHECK(ttl_cap(300, kNow + 100, kNow) == 100);
  CHECK(ttl_cap(300, kNow - 5, kNow) == 0);
}

}  // namespace
}  // namespace dnsp::resolver
