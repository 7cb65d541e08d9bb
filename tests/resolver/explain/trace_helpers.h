// Validation traces built by hand for the explain tests (explain_test.cc, picture_test.cc):
// Ed25519 DNSKEYs of any bytes, DS and RRSIG RDATA, checked RRsets, a secure root and the
// ExplainInput around a trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resolver/explain/explain.h"
#include "resolver/verify/canonical.h"

namespace dnsp::test::explain {

using namespace dnsp::resolver;

constexpr int64_t kNow = 1795000000;  // 2026-11-18T...Z
constexpr int64_t kDay = 86400;

inline Name N(const char* text) { return *Name::from_text(text); }

inline void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
inline void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, static_cast<uint16_t>(x >> 16));
  put16(v, static_cast<uint16_t>(x));
}

// An Ed25519 DNSKEY (32-octet key: any value decodes) with the given flags.
inline std::vector<uint8_t> dnskey(uint16_t flags, uint8_t seed) {
  std::vector<uint8_t> rd;
  put16(rd, flags);
  rd.push_back(3);
  rd.push_back(15);
  for (int i = 0; i < 32; ++i) rd.push_back(static_cast<uint8_t>(seed + i));
  return rd;
}

inline std::vector<uint8_t> ds(uint16_t tag, uint8_t alg, uint8_t digest_type) {
  std::vector<uint8_t> rd;
  put16(rd, tag);
  rd.push_back(alg);
  rd.push_back(digest_type);
  for (int i = 0; i < 32; ++i) rd.push_back(0xAB);
  return rd;
}

inline std::vector<uint8_t> rrsig(RRType covered, uint16_t tag, const Name& signer,
                                  int64_t inception, int64_t expiration, uint8_t alg = 15) {
  std::vector<uint8_t> rd;
  put16(rd, to_u16(covered));
  rd.push_back(alg);
  rd.push_back(2);
  put32(rd, 300);
  put32(rd, static_cast<uint32_t>(expiration));
  put32(rd, static_cast<uint32_t>(inception));
  put16(rd, tag);
  rd.insert(rd.end(), signer.wire().begin(), signer.wire().end());
  for (int i = 0; i < 64; ++i) rd.push_back(0x11);
  return rd;
}

inline CheckedRrset rrset(const Name& owner, RRType type, Rdatas rdatas, Rdatas sigs,
                          const Name& zone, Security s, Reason r = Reason::None,
                          std::string detail = "", uint16_t verified_by = 0) {
  CheckedRrset c;
  c.owner = owner;
  c.type = type;
  c.ttl = 300;
  c.rdatas = std::move(rdatas);
  c.rrsigs = std::move(sigs);
  c.zone = zone;
  c.security = s;
  c.reason = r;
  c.detail = std::move(detail);
  c.verified_by = verified_by;
  return c;
}

// A secure root, anchored by the DS of its KSK.
inline ZoneTrace secure_root() {
  ZoneTrace z;
  z.zone = Name::root();
  z.ds_source = DsSource::TrustAnchor;
  const auto ksk = dnskey(257, 1);
  const auto zsk = dnskey(256, 2);
  z.ds_rdatas = {ds(key_tag(ksk), 15, 2)};
  z.dnskeys =
      rrset(Name::root(), RRType::DNSKEY, {ksk, zsk},
            {rrsig(RRType::DNSKEY, key_tag(ksk), Name::root(), kNow - kDay, kNow + 20 * kDay)},
            Name::root(), Security::Secure, Reason::None, "", key_tag(ksk));
  z.matches = {DsKeyMatch{key_tag(ksk), 15, 2, key_tag(ksk), false}};
  z.verdict = Verdict{Security::Secure, Reason::None, Name::root(), ""};
  return z;
}

inline ExplainInput input(const ValidationTrace& trace, Verdict v,
                          const char* qname = "www.example.", RRType qtype = RRType::A) {
  ExplainInput in;
  in.question = Question{N(qname), qtype, RRClass::IN};
  in.now = kNow;
  in.upstreams = "10.0.0.1:53";
  in.evidence = &trace;
  in.verdict = std::move(v);
  return in;
}

}  // namespace dnsp::test::explain
