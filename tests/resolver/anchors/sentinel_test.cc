// The root key trust anchor sentinel (RFC 8509): which names are sentinels, and which
// answer each gets from the root's trust anchors.
#include "resolver/anchors/sentinel.h"

#include <doctest/doctest.h>

#include <string>

namespace dnsp::resolver {
namespace {

Name N(const std::string& text) {
  auto n = Name::from_text(text);
  REQUIRE(n.has_value());
  return *n;
}

// Built in: KSK-2017 (20326) and KSK-2024 (38696), as DS records.
const TrustAnchors kBuiltin = TrustAnchors::builtin();

}  // namespace

TEST_CASE("sentinel: is-ta and not-ta labels with five digits, any case, A or AAAA only") {
  auto s = parse_sentinel(N("root-key-sentinel-is-ta-20326.example."), RRType::A);
  REQUIRE(s);
  CHECK(s->kind == Sentinel::Kind::IsTa);
  CHECK(s->key_tag == 20326);
  s = parse_sentinel(N("ROOT-Key-Sentinel-NOT-TA-00042.example."), RRType::AAAA);
  REQUIRE(s);
  CHECK(s->kind == Sentinel::Kind::NotTa);
  CHECK(s->key_tag == 42);
  CHECK_FALSE(parse_sentinel(N("root-key-sentinel-is-ta-20326.example."), RRType::TXT));
  CHECK_FALSE(parse_sentinel(N("root-key-sentinel-is-ta-2032.example."), RRType::A));
  CHECK_FALSE(parse_sentinel(N("root-key-sentinel-is-ta-203266.example."), RRType::A));
  CHECK_FALSE(parse_sentinel(N("root-key-sentinel-is-ta-65536.example."), RRType::A));
  CHECK_FALSE(parse_sentinel(N("root-key-sentinel-is-ta-2032x.example."), RRType::A));
  CHECK_FALSE(parse_sentinel(N("www.root-key-sentinel-is-ta-20326.example."), RRType::A));
  CHECK_FALSE(parse_sentinel(Name::root(), RRType::A));
}

TEST_CASE(
    "sentinel: RFC 8509 §3.2, the answer is kept for is-ta of a trusted key and not-ta of "
    "another") {
  CHECK(is_root_trust_anchor(kBuiltin, 20326));
  CHECK(is_root_trust_anchor(kBuiltin, 38696));
  CHECK_FALSE(is_root_trust_anchor(kBuiltin, 19036));  // KSK-2010, retired
  CHECK(sentinel_keeps_answer({Sentinel::Kind::IsTa, 20326}, kBuiltin));
  CHECK_FALSE(sentinel_keeps_answer({Sentinel::Kind::IsTa, 19036}, kBuiltin));
  CHECK_FALSE(sentinel_keeps_answer({Sentinel::Kind::NotTa, 38696}, kBuiltin));
  CHECK(sentinel_keeps_answer({Sentinel::Kind::NotTa, 19036}, kBuiltin));
  // No root anchor at all (an island elsewhere): no key is a root trust anchor.
  CHECK_FALSE(is_root_trust_anchor(TrustAnchors{}, 20326));
}

}  // namespace dnsp::resolver
