// Islands of trust (RFC 4035 §4.3, §5): a trust anchor below the root starts a chain of its
// own. What is known about the zones above it (an insecure delegation cached from the root's
// chain, an RRSIG naming a signer up there) can never make data under the anchor insecure or
// secure: it is validated from that anchor down (issue 21, point 6).
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver::test {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int64_t kNow = 1700000000;
constexpr uint32_t kInception = 1690000000;
constexpr uint32_t kExpiration = 1710000000;

Name N(const std::string& text) {
  auto n = Name::from_text(text);
  REQUIRE(n.has_value());
  return *n;
}

// island.test., anchored by the DS of its KSK (no root anchor at all); test. above it is
// "known insecure" from an earlier validation of the public chain.
struct Island {
  Name zone = N("island.test.");
  TestKey ksk{zone, kKskFlags, 0x41};
  TestKey zsk{zone, kZoneKeyFlags, 0x42};
  TestKey above{N("test."), kZoneKeyFlags, 0x43};  // a key of test., the zone above

  TrustAnchors anchors() const {
    auto a = TrustAnchors::from_text(ksk.ds_anchor_text(), "test");
    REQUIRE(a.has_value());
    return std::move(*a);
  }
  SignedResponse response(const Name& qname, RRType qtype) const {
    return SignedResponse(qname, qtype, RCode::NoError, kInception, kExpiration);
  }
  Bytes dnskey_reply() const {
    return response(zone, RRType::DNSKEY)
        .add(Section::Answer, zone, RRType::DNSKEY, {ksk.dnskey_rdata(), zsk.dnskey_rdata()},
             {&ksk})
        .packet();
  }
};

// A key cache that already holds test. as an insecure delegation.
void cache_test_insecure(KeyCache& keys) {
  auto e = std::make_shared<KeyEntry>();
  e->zone = N("test.");
  e->security = Security::Insecure;
  e->verdict =
      Verdict{Security::Insecure, Reason::UnsignedDelegation, N("test."), "no DS for test."};
  e->expires = kNow + 3600;
  keys.put(std::move(e), kNow);
}

Verdict validate(const Island& island, KeyCache& keys, const Bytes& answer_packet) {
  const TrustAnchors anchors = island.anchors();
  const std::map<std::pair<std::string, RRType>, Bytes> replies{
      {{"island.test.", RRType::DNSKEY}, island.dnskey_reply()}};
  auto answer = Message::parse(answer_packet);
  REQUIRE(answer.has_value());
  Validation v(anchors, keys, Limits{}, kNow);
  Step step = v.start(Question{N("www.island.test."), RRType::A, RRClass::IN}, *answer);
  for (int fetches = 0; auto* need = std::get_if<NeedRecords>(&step); ++fetches) {
    REQUIRE(fetches < 10);
    auto it = replies.find({need->name.lowercased().to_string(), need->type});
    step = it == replies.end() ? v.resume(std::nullopt) : v.resume(it->second);
  }
  return std::get<Finished>(step).verdict;
}

}  // namespace

TEST_CASE("islands: data signed by the island's key is secure, its parent cached insecure or not") {
  Island island;
  KeyCache keys;
  cache_test_insecure(keys);
  const Name www = N("www.island.test.");
  const auto v = validate(island, keys,
                          island.response(www, RRType::A)
                              .add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}}, {&island.zsk})
                              .packet());
  CHECK(v.security == Security::Secure);
}

TEST_CASE(
    "islands: unsigned data under the anchor is bogus, not insecure through a cached insecure "
    "ancestor") {
  Island island;
  KeyCache keys;
  cache_test_insecure(keys);
  const Name www = N("www.island.test.");
  const auto v = validate(island, keys,
                          island.response(www, RRType::A)
                              .add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}}, {})
                              .packet());
  CHECK(v.security == Security::Bogus);
  // (Which bogus reason depends on the DS question for www.island.test. this test leaves
  // unanswered; what matters is that the insecure test. above the anchor does not count.)
}

TEST_CASE("islands: an RRSIG whose signer is above the anchor is bogus (BadSigner)") {
  Island island;
  KeyCache keys;
  cache_test_insecure(keys);
  const Name www = N("www.island.test.");
  const auto v =
      validate(island, keys,
               island.response(www, RRType::A)
                   .add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}}, {&island.above})
                   .packet());
  CHECK(v.security == Security::Bogus);
  CHECK(v.reason == Reason::BadSigner);
}

TEST_CASE("islands: the signer closest to the owner is used, whatever order the RRSIGs come in") {
  Island island;
  KeyCache keys;
  cache_test_insecure(keys);
  const Name www = N("www.island.test.");
  // The attacker's RRSIG (signer test.) comes first; the island's own one second.
  const auto v = validate(
      island, keys,
      island.response(www, RRType::A)
          .add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}}, {&island.above, &island.zsk})
          .packet());
  CHECK(v.security == Security::Secure);
}

}  // namespace dnsp::resolver::test
