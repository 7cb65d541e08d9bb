// Validation cost limits (resolver/verify/rrset_verify.h Limits; CVE-2023-50387 KeyTrap,
// CVE-2023-50868): answers crafted to make a validator work without end (many DNSKEYs
// sharing a key tag, many bad signatures on one RRset or spread over many, many NSEC3 records with
// high iterations, long CNAME chains, deep delegation chains) each end Bogus with EDE 6
// (TooMuchWork), with the number of signature checks bounded by the limits and in bounded time.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/nsec3.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "tests/resolver/signed_zone.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver::test {
namespace {

using Bytes = std::vector<uint8_t>;

// trap.test., anchored by the DS of its KSK; its ZSK signs the data.
struct TrapZone : SignedZone {
  TrapZone() : SignedZone("trap.test.", 0x21) {}
};

struct Outcome {
  Verdict verdict;
  uint32_t signature_checks = 0;
  std::chrono::milliseconds took{};
  size_t fetches = 0;
};

// Runs one validation of `answer`, answering each NeedRecords from `replies` (a missing
// one is a failed fetch).
Outcome validate(const TrustAnchors& anchors, const Question& q, const Bytes& answer_packet,
                 const Replies& replies, const Limits& limits = Limits{}) {
  const auto start = std::chrono::steady_clock::now();
  auto answer = Message::parse(answer_packet);
  REQUIRE(answer.has_value());
  KeyCache keys;
  Validation v(anchors, keys, limits, kNow);
  Run run = run_to_end(v, v.start(q, *answer), replies, limits.max_fetches);
  Outcome out;
  out.verdict = std::move(run.finished.verdict);
  out.signature_checks = v.signature_checks();
  out.fetches = run.asked.size();
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
}

TEST_CASE("limits: a correctly signed answer of the trap zone is secure (the fixture works)") {
  const TrapZone z;
  const Name www = N("www.trap.test.");
  const Bytes answer = z.response(www, RRType::A)
                           .add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}}, {&z.zsk})
                           .packet();
  const auto o = validate(z.anchors(), {www, RRType::A, RRClass::IN}, answer,
                          {{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply()}});
  CHECK(o.verdict.security == Security::Secure);
  CHECK(o.signature_checks == 2);  // the DNSKEY RRset by the KSK, the A RRset by the ZSK
}

TEST_CASE("limits: KeyTrap, many DNSKEYs sharing the key tag of many RRSIGs, is Bogus EDE 6") {
  const TrapZone z;
  const Name www = N("www.trap.test.");
  std::vector<Bytes> colliding;
  for (unsigned i = 1; i <= 30; ++i) {
    colliding.push_back(same_tag_dnskey(z.zsk.dnskey_rdata(), i));
    REQUIRE(key_tag(colliding.back()) == z.zsk.tag());
    REQUIRE(colliding.back() != z.zsk.dnskey_rdata());
  }
  SignedResponse r = z.response(www, RRType::A);
  r.add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}});
  for (unsigned i = 0; i < 40; ++i) {
    r.raw(Section::Answer, www, RRType::RRSIG,
          junk_rrsig(RRType::A, 3, kEd25519, z.zsk.tag(), z.zone, i));
  }
  const Question q{www, RRType::A, RRClass::IN};
  const Replies replies{{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply(colliding)}};

  // 40 RRSIGs x 31 keys with that tag would be 1240 verifications; the budget stops at 64.
  const auto o = validate(z.anchors(), q, r.packet(), replies);
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.verdict.reason == Reason::TooMuchWork);
  CHECK(ede_code(o.verdict.reason) == EdeCode::DnssecBogus);
  CHECK(o.signature_checks <= 64);
  CHECK(o.took < std::chrono::milliseconds(2000));

  // With a large budget, the failures allowed on one RRset bound it: 1 (DNSKEY) + 16.
  Limits generous;
  generous.max_signature_checks = 10000;
  const auto g = validate(z.anchors(), q, r.packet(), replies, generous);
  CHECK(g.verdict.security == Security::Bogus);
  CHECK(g.verdict.reason == Reason::TooMuchWork);
  CHECK(g.verdict.detail.find("after 16 failed signature checks") != std::string::npos);
  CHECK(g.signature_checks == 1 + 16);

  // And with both bounds raised, the signature budget stops it all the same.
  Limits budget_only;
  budget_only.max_failed_checks_per_rrset = 1000;
  const auto b = validate(z.anchors(), q, r.packet(), replies, budget_only);
  CHECK(b.verdict.reason == Reason::TooMuchWork);
  CHECK(b.verdict.detail.find("gave up after 64 signature checks") != std::string::npos);
  CHECK(b.signature_checks == 64);
  CHECK(b.took < std::chrono::milliseconds(2000));

  // And configured lower, it stops lower.
  Limits tight;
  tight.max_signature_checks = 8;
  const auto t = validate(z.anchors(), q, r.packet(), replies, tight);
  CHECK(t.verdict.reason == Reason::TooMuchWork);
  CHECK(t.signature_checks == 8);
}

TEST_CASE("limits: many bad signatures by the right key end at the failures allowed per RRset") {
  const TrapZone z;
  const Name www = N("www.trap.test.");
  SignedResponse r = z.response(www, RRType::A);
  r.add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}});
  for (unsigned i = 0; i < 500; ++i) {
    r.raw(Section::Answer, www, RRType::RRSIG,
          junk_rrsig(RRType::A, 3, kEd25519, z.zsk.tag(), z.zone, i));
  }
  const auto o = validate(z.anchors(), {www, RRType::A, RRClass::IN}, r.packet(),
                          {{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply()}});
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.verdict.reason == Reason::TooMuchWork);
  CHECK(ede_code(o.verdict.reason) == EdeCode::DnssecBogus);
  CHECK(o.signature_checks == 1 + 16);  // the DNSKEY RRset, then 16 failures on the A RRset
  CHECK(o.took < std::chrono::milliseconds(2000));
}

TEST_CASE("limits: many RRsets each with bad signatures end at the signature budget") {
  // Every RRset stays under the failures allowed per RRset; their sum meets the budget.
  const TrapZone z;
  const Name qname = N("www.trap.test.");
  SignedResponse r = z.response(qname, RRType::A, RCode::NXDomain);
  for (unsigned n = 0; n < 20; ++n) {
    const Name owner = N("n" + std::to_string(n) + ".trap.test.");
    r.add(Section::Authority, owner, RRType::NSEC,
          {nsec_rdata(N("n" + std::to_string(n) + "a.trap.test."), {RRType::A})});
    for (unsigned i = 0; i < 10; ++i) {
      r.raw(Section::Authority, owner, RRType::RRSIG,
            junk_rrsig(RRType::NSEC, 3, kEd25519, z.zsk.tag(), z.zone, n * 100 + i));
    }
  }
  const auto o = validate(z.anchors(), {qname, RRType::A, RRClass::IN}, r.packet(),
                          {{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply()}});
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.signature_checks <= 64);
  CHECK(o.took < std::chrono::milliseconds(2000));
}

// NXDOMAIN for `qname` with `count` NSEC3 records at `iterations`, each correctly signed,
// none of which proves anything about qname.
Bytes nsec3_flood(const TrapZone& z, const Name& qname, unsigned count, uint16_t iterations) {
  SignedResponse r = z.response(qname, RRType::A, RCode::NXDomain);
  r.add(Section::Authority, z.zone, RRType::SOA, {soa_rdata(z.zone)}, {&z.zsk});
  for (unsigned i = 0; i < count; ++i) {
    Bytes hash(20, 0);
    hash[0] = static_cast<uint8_t>(i);
    hash[1] = static_cast<uint8_t>(i >> 8);
    Bytes next = hash;
    next[19] = 1;
    const std::string label = nsec3_hash_label(N("h" + std::to_string(i) + ".trap.test."), {}, 0);
    const Name owner = *z.zone.prepend(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(label.data()), label.size()));
    r.add(Section::Authority, owner, RRType::NSEC3,
          {nsec3_rdata(0, iterations, next, {RRType::A, RRType::RRSIG})}, {&z.zsk});
  }
  return r.packet();
}

Name long_name(size_t labels) {
  std::string text;
  for (size_t i = 0; i < labels; ++i) text += "a.";
  return N(text + "trap.test.");
}

TEST_CASE("limits: many NSEC3 records with high iterations end Bogus EDE 6 within budget") {
  const TrapZone z;
  const Name qname = long_name(100);
  const auto o =
      validate(z.anchors(), {qname, RRType::A, RRClass::IN}, nsec3_flood(z, qname, 150, 150),
               {{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply()}});
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.verdict.reason == Reason::TooMuchWork);
  CHECK(ede_code(o.verdict.reason) == EdeCode::DnssecBogus);
  CHECK(o.signature_checks <= 64);
  CHECK(o.took < std::chrono::milliseconds(2000));
}

TEST_CASE("limits: the NSEC3 hash budget stops a closest encloser proof over a long name") {
  const TrapZone z;
  const Name qname = long_name(100);
  const Bytes answer = nsec3_flood(z, qname, 4, 150);
  const Question q{qname, RRType::A, RRClass::IN};
  const Replies replies{{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply()}};
  Limits tight;
  tight.max_nsec3_hashes = 20;
  const auto o = validate(z.anchors(), q, answer, replies, tight);
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.verdict.reason == Reason::TooMuchWork);
  CHECK(o.verdict.detail.find("hash budget of 20") != std::string::npos);
  CHECK(o.took < std::chrono::milliseconds(2000));
  // Within the default budget the same records simply prove nothing (and stay cheap).
  const auto d = validate(z.anchors(), q, answer, replies);
  CHECK(d.verdict.security == Security::Bogus);
  CHECK(d.verdict.reason != Reason::TooMuchWork);
  CHECK(d.took < std::chrono::milliseconds(2000));
}

TEST_CASE("limits: a CNAME chain longer than max_cname_chain is Bogus EDE 6") {
  const TrapZone z;
  SignedResponse r = z.response(N("c0.trap.test."), RRType::A);
  for (int i = 0; i < 20; ++i) {
    const Name target = N("c" + std::to_string(i + 1) + ".trap.test.");
    r.add(Section::Answer, N("c" + std::to_string(i) + ".trap.test."), RRType::CNAME,
          {Bytes(target.wire().begin(), target.wire().end())}, {&z.zsk});
  }
  const Bytes answer = r.packet();
  const Question q{N("c0.trap.test."), RRType::A, RRClass::IN};
  const Replies replies{{{"trap.test.", RRType::DNSKEY}, z.dnskey_reply()}};
  Limits l;
  l.max_cname_chain = 5;
  const auto o = validate(z.anchors(), q, answer, replies, l);
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.verdict.reason == Reason::TooMuchWork);
  CHECK(o.verdict.detail.find("CNAME chain longer than 5") != std::string::npos);
  CHECK(o.signature_checks <= 1 + 6 * 2);
}

TEST_CASE("limits: a chain of trust deeper than max_chain_depth is Bogus EDE 6") {
  const TrapZone z;
  // d.c.b.trap.test. signs the answer; each DS reply names the next zone up as its signer,
  // so finding the keys walks up one zone per reply.
  const Name www = N("www.d.c.b.trap.test.");
  SignedResponse r = z.response(www, RRType::A);
  r.add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}});
  auto junk_by = [](const std::string& signer, RRType type, uint8_t labels) {
    return junk_rrsig(type, labels, kEd25519, 1234, N(signer));
  };
  r.raw(Section::Answer, www, RRType::RRSIG, junk_by("d.c.b.trap.test.", RRType::A, 6));
  Replies replies;
  const char* zones[] = {"d.c.b.trap.test.", "c.b.trap.test.", "b.trap.test.", "trap.test."};
  for (int i = 0; i < 3; ++i) {
    SignedResponse ds = z.response(N(zones[i]), RRType::DS);
    ds.add(Section::Answer, N(zones[i]), RRType::DS, {{0x04, 0xD2, 15, 2, 1, 2, 3}});
    ds.raw(Section::Answer, N(zones[i]), RRType::RRSIG,
           junk_by(zones[i + 1], RRType::DS, static_cast<uint8_t>(5 - i)));
    replies[{zones[i], RRType::DS}] = ds.packet();
  }
  Limits l;
  l.max_chain_depth = 2;
  const auto o = validate(z.anchors(), {www, RRType::A, RRClass::IN}, r.packet(), replies, l);
  CHECK(o.verdict.security == Security::Bogus);
  CHECK(o.verdict.reason == Reason::TooMuchWork);
  CHECK(o.verdict.detail.find("deeper than 2 zones") != std::string::npos);
  CHECK(o.signature_checks == 0);
}

}  // namespace
}  // namespace dnsp::resolver::test
