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

// RRSIG RDATA over `covered` naming key `tag` (`algorithm`) of `signer`, original TTL 3600,
// valid from kInception to kExpiration, whose signature is 64 junk octets: an RRSIG no key
// verifies (KeyTrap-style floods), or a zone signed in an algorithm nobody implements.
// `variant`, when given, is written into the first two octets so that RRSIGs differ
// (identical ones are kept once).
inline std::vector<uint8_t> junk_rrsig(RRType covered, uint8_t labels, uint8_t algorithm,
                                       uint16_t tag, const Name& signer,
                                       std::optional<unsigned> variant = std::nullopt) {
  std::vector<uint8_t> r;
  // Appended one by one: g++ 12 misreads an insert after a braced initialiser as out of
  // bounds (-Warray-bounds) when this is inlined.
  const auto put16 = [&r](uint16_t v) {
    r.push_back(static_cast<uint8_t>(v >> 8));
    r.push_back(static_cast<uint8_t>(v));
  };
  const auto put32 = [&put16](uint32_t v) {
    put16(static_cast<uint16_t>(v >> 16));
    put16(static_cast<uint16_t>(v));
  };
  put16(to_u16(covered));
  r.push_back(algorithm);
  r.push_back(labels);
  put32(3600);
  put32(kExpiration);
  put32(kInception);
  put16(tag);
  r.insert(r.end(), signer.wire().begin(), signer.wire().end());
  const size_t signature = r.size();
  r.resize(signature + 64, 0x5A);
  if (variant) {
    r[signature] = static_cast<uint8_t>(*variant);
    r[signature + 1] = static_cast<uint8_t>(*variant >> 8);
  }
  return r;
}

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
