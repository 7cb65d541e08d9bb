// Test zones for the validator's tests: the clock their signatures are made for, a zone whose
// KSK signs the DNSKEY RRset and whose ZSK signs the data, anchored by the DS of its KSK, and a
// Validation run to its end with sub-query replies from a table (RFC 4035 §5, no sockets).
// Built on test_signer.h, which the fuzz corpus generator uses without doctest.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/validation.h"
#include "resolver/wire/name.h"
#include "resolver/wire/types.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver::test {

// Validations run at kNow; signatures are valid from kInception to kExpiration around it.
inline constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z
inline constexpr uint32_t kInception = 1690000000;
inline constexpr uint32_t kExpiration = 1710000000;

inline Name N(std::string_view text) {
  auto n = Name::from_text(text);
  REQUIRE(n.has_value());
  return *n;
}

// A signed zone: a KSK (key seed `seed`) that signs the DNSKEY RRset, a ZSK (`seed` + 1) that
// signs the data.
struct SignedZone {
  SignedZone(std::string_view apex, uint8_t seed)
      : zone(N(apex)),
        ksk(zone, kKskFlags, seed),
        zsk(zone, kZoneKeyFlags, static_cast<uint8_t>(seed + 1)) {}
  Name zone;
  TestKey ksk;
  TestKey zsk;

  // A response whose RRSIGs are valid from kInception to kExpiration.
  SignedResponse response(const Name& qname, RRType qtype, RCode rcode = RCode::NoError) const {
    return SignedResponse(qname, qtype, rcode, kInception, kExpiration);
  }
  // The DNSKEY RRset {KSK, ZSK, extra...}, signed by the KSK.
  std::vector<uint8_t> dnskey_reply(const std::vector<std::vector<uint8_t>>& extra = {}) const {
    std::vector<std::vector<uint8_t>> keys{ksk.dnskey_rdata(), zsk.dnskey_rdata()};
    keys.insert(keys.end(), extra.begin(), extra.end());
    return response(zone, RRType::DNSKEY)
        .add(Section::Answer, zone, RRType::DNSKEY, keys, {&ksk})
        .packet();
  }
  // A trust anchor for this zone: the DS of its KSK.
  TrustAnchors anchors() const {
    auto a = TrustAnchors::from_text(ksk.ds_anchor_text(), "test");
    REQUIRE(a.has_value());
    return std::move(*a);
  }
};

// The upstream's replies to sub-queries, by lowercased name and type.
using Replies = std::map<std::pair<std::string, RRType>, std::vector<uint8_t>>;

// How a validation ended, and every NeedRecords it returned on the way, in order.
struct Run {
  Finished finished;
  std::vector<std::pair<std::string, RRType>> asked;
};

// Runs `v` from `step` (what start() returned) to its end, answering each NeedRecords from
// `replies`; one the table lacks is a failed fetch (resume(nullopt)). Requires that it asks
// no more than `max_fetches` + 1 times (the validation gives up before that).
inline Run run_to_end(Validation& v, Step step, const Replies& replies, size_t max_fetches) {
  Run run;
  while (auto* need = std::get_if<NeedRecords>(&step)) {
    REQUIRE(run.asked.size() <= max_fetches);
    run.asked.emplace_back(need->name.lowercased().to_string(), need->type);
    auto it = replies.find(run.asked.back());
    step = it == replies.end() ? v.resume(std::nullopt) : v.resume(it->second);
  }
  run.finished = std::get<Finished>(step);
  return run;
}

}  // namespace dnsp::resolver::test
