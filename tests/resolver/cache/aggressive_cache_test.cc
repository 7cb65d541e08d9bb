// RFC 8198 aggressive use of the DNSSEC-validated cache (resolver/cache/aggressive_cache.h): zones
// signed at test time, answers validated by the real Validation, learned from its evidence,
// and the synthesised replies validated again from scratch.
#include "resolver/cache/aggressive_cache.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/base32hex.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/nsec3.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "resolver/wire/rdata.h"
#include "tests/resolver/signed_zone.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver::test {
namespace {

using Bytes = std::vector<uint8_t>;

// One validation of `packet` with the zone's DNSKEY reply at hand, sharing `keys`; learns
// from it into `cache`. Returns the verdict.
Verdict validate_and_learn(const SignedZone& z, KeyCache& keys, AggressiveCache& cache,
                           const Question& q, const Bytes& packet, int64_t now = kNow) {
  auto msg = Message::parse(packet);
  REQUIRE(msg.has_value());
  const TrustAnchors anchors = z.anchors();
  Validation v(anchors, keys, Limits{}, now);
  Step step = v.start(q, *msg);
  while (auto* need = std::get_if<NeedRecords>(&step)) {
    if (need->name == z.zone && need->type == RRType::DNSKEY) {
      step = v.resume(z.dnskey_reply());
    } else {
      step = v.resume(std::nullopt);
    }
  }
  const Verdict verdict = std::get<Finished>(step).verdict;
  cache.learn(verdict, v.evidence(), *msg, keys, now);
  return verdict;
}

// The synthesised reply, validated from scratch with a key cache of its own.
Verdict validate_synthesis(const SignedZone& z, const Question& q, const Synthesis& s) {
  KeyCache keys;
  AggressiveCache none;
  return validate_and_learn(z, keys, none, q, s.message);
}

size_t count(const Message& m, Section s, RRType t) {
  return static_cast<size_t>(
      std::count_if(m.records().begin(), m.records().end(),
                    [&](const RecordView& r) { return r.section == s && r.type == t; }));
}

// agg.test. (NSEC): apex, b (A), m (A TXT), w (A), *.w (A).
struct NsecZone : SignedZone {
  NsecZone() : SignedZone("agg.test.", 0x41) {}
  Name apex = N("agg.test."), b = N("b.agg.test."), m = N("m.agg.test."), w = N("w.agg.test."),
       star = N("*.w.agg.test.");
  std::map<std::string, std::pair<Name, std::vector<RRType>>> chain() const {
    return {
        {"apex", {b, {RRType::SOA, RRType::NS, RRType::DNSKEY, RRType::RRSIG, RRType::NSEC}}},
        {"b", {m, {RRType::A, RRType::RRSIG, RRType::NSEC}}},
        {"m", {w, {RRType::A, RRType::TXT, RRType::RRSIG, RRType::NSEC}}},
        {"w", {star, {RRType::A, RRType::RRSIG, RRType::NSEC}}},
        {"star", {apex, {RRType::A, RRType::RRSIG, RRType::NSEC}}},
    };
  }
  Name owner(const std::string& which) const {
    if (which == "apex") return apex;
    if (which == "b") return b;
    if (which == "m") return m;
    if (which == "w") return w;
    return star;
  }
  // Adds the NSEC of `which` (and its RRSIG) to the authority section.
  void nsec(SignedResponse& r, const std::string& which, bool good_signature = true) const {
    const auto links = chain();
    const auto& [next, types] = links.at(which);
    if (good_signature) {
      r.add(Section::Authority, owner(which), RRType::NSEC, {nsec_rdata(next, types)}, {&zsk});
    } else {
      r.add(Section::Authority, owner(which), RRType::NSEC, {nsec_rdata(next, types)});
      Bytes sig = zsk.sign(owner(which), RRType::NSEC, 3600, {nsec_rdata(next, types)}, kInception,
                           kExpiration);
      sig.back() ^= 0x01;
      r.raw(Section::Authority, owner(which), RRType::RRSIG, sig);
    }
  }
  SignedResponse response(const Name& qname, RRType qtype, RCode rcode = RCode::NoError,
                          uint32_t expiration = kExpiration) const {
    return SignedResponse(qname, qtype, rcode, kInception, expiration);
  }
  // NXDOMAIN for c.agg.test.: NSEC b -> m covers it, NSEC apex -> b covers *.agg.test.
  Bytes nxdomain(uint32_t expiration = kExpiration) const {
    auto r = response(N("c.agg.test."), RRType::A, RCode::NXDomain, expiration);
    r.add(Section::Authority, apex, RRType::SOA, {soa_rdata(apex)}, {&zsk});
    nsec(r, "b");
    nsec(r, "apex");
    return r.packet();
  }
  // NODATA for b.agg.test. AAAA.
  Bytes nodata() const {
    auto r = response(b, RRType::AAAA);
    r.add(Section::Authority, apex, RRType::SOA, {soa_rdata(apex)}, {&zsk});
    nsec(r, "b");
    return r.packet();
  }
  // x.w.agg.test. A expanded from *.w.agg.test., with NSEC *.w -> apex covering x.
  Bytes wildcard_answer(const Name& qname) const {
    auto r = response(qname, RRType::A);
    r.add(Section::Answer, qname, RRType::A, {{192, 0, 2, 99}});
    r.raw(Section::Answer, qname, RRType::RRSIG,
          zsk.sign(star, RRType::A, 3600, {{192, 0, 2, 99}}, kInception, kExpiration));
    nsec(r, "star");
    return r.packet();
  }
};

TEST_CASE("aggressive: NSEC NXDOMAIN is synthesised for another name in the same span") {
  NsecZone z;
  KeyCache keys;
  AggressiveCache cache;
  const Question learned{N("c.agg.test."), RRType::A, RRClass::IN};
  REQUIRE(validate_and_learn(z, keys, cache, learned, z.nxdomain()).security == Security::Secure);
  CHECK(cache.entries() == 3);  // two NSECs and the SOA

  for (const char* name : {"d.agg.test.", "e.f.agg.test.", "C.AGG.TEST."}) {
    const Question q{N(name), RRType::AAAA, RRClass::IN};
    auto s = cache.synthesise(q, kNow + 10);
    REQUIRE_MESSAGE(s.has_value(), name);
    CHECK(s->kind == DenialKind::NxDomain);
    CHECK(s->zone == N("agg.test."));
    CHECK(s->valid_until == kExpiration);
    auto m = Message::parse(s->message);
    REQUIRE(m.has_value());
    CHECK(m->rcode() == RCode::NXDomain);
    CHECK(m->count(Section::Answer) == 0);
    CHECK(count(*m, Section::Authority, RRType::SOA) == 1);
    CHECK(count(*m, Section::Authority, RRType::NSEC) == 2);
    CHECK(count(*m, Section::Authority, RRType::RRSIG) == 3);
    // RFC 2308 §5 / RFC 9077: the TTL is min(SOA TTL, SOA MINIMUM, NSEC TTL) minus the age.
    for (const auto& rr : m->records()) CHECK(rr.ttl == 300);
    CHECK(validate_synthesis(z, q, *s).security == Security::Secure);
  }
  // Names beyond the spans held: no answer from memory.
  CHECK_FALSE(cache.synthesise({N("z.agg.test."), RRType::A, RRClass::IN}, kNow));
  CHECK_FALSE(cache.synthesise({N("www.other.test."), RRType::A, RRClass::IN}, kNow));
  // The NSEC at b proves b exists: no NXDOMAIN for it, and A exists there.
  CHECK_FALSE(cache.synthesise({N("b.agg.test."), RRType::A, RRClass::IN}, kNow));
}

TEST_CASE("aggressive: NSEC NODATA is synthesised for another type lacking at the name") {
  NsecZone z;
  KeyCache keys;
  AggressiveCache cache;
  REQUIRE(
      validate_and_learn(z, keys, cache, {z.b, RRType::AAAA, RRClass::IN}, z.nodata()).security ==
      Security::Secure);
  const Question q{z.b, RRType::TXT, RRClass::IN};
  auto s = cache.synthesise(q, kNow);
  REQUIRE(s.has_value());
  CHECK(s->kind == DenialKind::NoData);
  auto m = Message::parse(s->message);
  REQUIRE(m.has_value());
  CHECK(m->rcode() == RCode::NoError);
  CHECK(m->count(Section::Answer) == 0);
  CHECK(count(*m, Section::Authority, RRType::NSEC) == 1);
  CHECK(validate_synthesis(z, q, *s).security == Security::Secure);
  // A is in the bitmap; DS is never synthesised (it belongs to the parent).
  CHECK_FALSE(cache.synthesise({z.b, RRType::A, RRClass::IN}, kNow));
  CHECK_FALSE(cache.synthesise({z.b, RRType::DS, RRClass::IN}, kNow));
  CHECK_FALSE(cache.synthesise({z.b, RRType::ANY, RRClass::IN}, kNow));
}

TEST_CASE("aggressive: a wildcard answer is expanded for another name under the wildcard") {
  NsecZone z;
  KeyCache keys;
  AggressiveCache cache;
  const Name x = N("x.w.agg.test.");
  REQUIRE(validate_and_learn(z, keys, cache, {x, RRType::A, RRClass::IN}, z.wildcard_answer(x))
              .security == Security::Secure);
  CHECK(cache.entries() == 2);  // the covering NSEC and the wildcard RRset

  const Question q{N("Unique-1234.w.agg.test."), RRType::A, RRClass::IN};
  auto s = cache.synthesise(q, kNow + 100);
  REQUIRE(s.has_value());
  CHECK(s->kind == DenialKind::WildcardAnswerOk);
  auto m = Message::parse(s->message);
  REQUIRE(m.has_value());
  CHECK(m->rcode() == RCode::NoError);
  REQUIRE(count(*m, Section::Answer, RRType::A) == 1);
  CHECK(count(*m, Section::Answer, RRType::RRSIG) == 1);
  CHECK(count(*m, Section::Authority, RRType::NSEC) == 1);
  for (const auto& rr : m->records()) {
    if (rr.section == Section::Answer) CHECK(rr.owner == q.name);  // the owner rewritten
    CHECK(rr.ttl == 3500);                                         // 3600 minus 100 s
  }
  CHECK(validate_synthesis(z, q, *s).security == Security::Secure);
  // Not for another type (no wildcard RRset of it held, no SOA), nor for names the NSEC
  // does not cover, nor for the wildcard's own parent.
  CHECK_FALSE(cache.synthesise({q.name, RRType::AAAA, RRClass::IN}, kNow));
  CHECK_FALSE(cache.synthesise({N("x.m.agg.test."), RRType::A, RRClass::IN}, kNow));
  CHECK_FALSE(cache.synthesise({z.w, RRType::A, RRClass::IN}, kNow));
}

TEST_CASE("aggressive: entries are not used past their TTL or their RRSIG expiration") {
  NsecZone z;
  {
    KeyCache keys;
    AggressiveCache cache;
    REQUIRE(
        validate_and_learn(z, keys, cache, {N("c.agg.test."), RRType::A, RRClass::IN}, z.nxdomain())
            .security == Security::Secure);
    CHECK(cache.synthesise({N("d.agg.test."), RRType::A, RRClass::IN}, kNow + 3599));
    // The NSECs live 3600 s (their TTL), the SOA too.
    CHECK_FALSE(cache.synthesise({N("d.agg.test."), RRType::A, RRClass::IN}, kNow + 3600));
  }
  {
    KeyCache keys;
    AggressiveCache cache;
    const uint32_t soon = static_cast<uint32_t>(kNow + 60);
    REQUIRE(validate_and_learn(z, keys, cache, {N("c.agg.test."), RRType::A, RRClass::IN},
                               z.nxdomain(soon))
                .security == Security::Secure);
    auto s = cache.synthesise({N("d.agg.test."), RRType::A, RRClass::IN}, kNow + 59);
    REQUIRE(s.has_value());
    CHECK(s->valid_until == soon);
    CHECK_FALSE(cache.synthesise({N("d.agg.test."), RRType::A, RRClass::IN}, kNow + 60));
    CHECK(cache.entries() < 3);  // the expired ones were dropped on the way
  }
}

TEST_CASE("aggressive: nothing is learned from insecure or bogus answers") {
  NsecZone z;
  const Question q{N("c.agg.test."), RRType::A, RRClass::IN};
  KeyCache keys;
  AggressiveCache cache;
  REQUIRE(validate_and_learn(z, keys, cache, q, z.nxdomain()).security == Security::Secure);
  const Bytes packet = z.nxdomain();  // the message views it
  auto msg = Message::parse(packet);
  REQUIRE(msg.has_value());
  // The same evidence under a verdict that is not Secure teaches nothing.
  {
    AggressiveCache fresh;
    const TrustAnchors anchors = z.anchors();
    Validation v(anchors, keys, Limits{}, kNow);
    auto step = v.start(q, *msg);
    REQUIRE(std::holds_alternative<Finished>(step));
    for (Security s : {Security::Insecure, Security::Bogus, Security::Indeterminate}) {
      fresh.learn(Verdict{s, Reason::None, z.zone, ""}, v.evidence(), *msg, keys, kNow);
      CHECK(fresh.entries() == 0);
    }
  }
  // An answer from a zone without a trust anchor is Insecure: nothing kept.
  {
    NsecZone other;
    KeyCache k2;
    AggressiveCache fresh;
    const Bytes other_packet = other.nxdomain();
    auto m = Message::parse(other_packet);
    REQUIRE(m.has_value());
    auto a =
        TrustAnchors::from_text("elsewhere.test. DS 1 15 2 " + std::string(64, 'A') + "\n", "test");
    REQUIRE(a.has_value());
    Validation v(*a, k2, Limits{}, kNow);
    auto step = v.start(q, *m);
    REQUIRE(std::holds_alternative<Finished>(step));
    const Verdict verdict = std::get<Finished>(step).verdict;
    CHECK(verdict.security == Security::Insecure);
    fresh.learn(verdict, v.evidence(), *m, k2, kNow);
    CHECK(fresh.entries() == 0);
  }
}

TEST_CASE("aggressive: an NSEC whose RRSIG did not verify is not learned from a secure answer") {
  NsecZone z;
  KeyCache keys;
  AggressiveCache cache;
  // NODATA for b AAAA, proven by b's NSEC, with m's NSEC alongside under a broken RRSIG: the
  // validator calls the answer Secure (the proof needs only b's), m's NSEC is not kept.
  auto r = z.response(z.b, RRType::AAAA);
  r.add(Section::Authority, z.apex, RRType::SOA, {soa_rdata(z.apex)}, {&z.zsk});
  z.nsec(r, "b");
  z.nsec(r, "m", false);
  REQUIRE(
      validate_and_learn(z, keys, cache, {z.b, RRType::AAAA, RRClass::IN}, r.packet()).security ==
      Security::Secure);
  CHECK(cache.entries() == 2);  // b's NSEC and the SOA
  CHECK(cache.synthesise({z.b, RRType::TXT, RRClass::IN}, kNow));
  // m's NSEC would prove NODATA for m MX: not held.
  CHECK_FALSE(cache.synthesise({z.m, RRType::MX, RRClass::IN}, kNow));
}

TEST_CASE("aggressive: the byte budget evicts the least recently used records") {
  NsecZone z;
  KeyCache keys;
  AggressiveCache probe;
  REQUIRE(
      validate_and_learn(z, keys, probe, {z.b, RRType::AAAA, RRClass::IN}, z.nodata()).security ==
      Security::Secure);
  const size_t two = probe.bytes();  // b's NSEC, the SOA and the zone
  AggressiveCacheLimits limits;
  limits.max_bytes = two * 3;  // room for a few more NSECs, not 40
  AggressiveCache cache(limits);
  // NODATA answers for n00..n39.agg.test., each with the NSEC at its name.
  for (int i = 0; i < 40; ++i) {
    char label[8];
    std::snprintf(label, sizeof label, "n%02d", i);
    const Name n = N(std::string(label) + ".agg.test.");
    char next[8];
    std::snprintf(next, sizeof next, "n%02d", i + 1);
    auto r = z.response(n, RRType::AAAA);
    r.add(Section::Authority, z.apex, RRType::SOA, {soa_rdata(z.apex)}, {&z.zsk});
    r.add(
        Section::Authority, n, RRType::NSEC,
        {nsec_rdata(N(std::string(next) + ".agg.test."), {RRType::A, RRType::RRSIG, RRType::NSEC})},
        {&z.zsk});
    REQUIRE(
        validate_and_learn(z, keys, cache, {n, RRType::AAAA, RRClass::IN}, r.packet()).security ==
        Security::Secure);
    CHECK(cache.bytes() <= limits.max_bytes);
  }
  CHECK(cache.entries() < 40);
  CHECK(cache.synthesise({N("n39.agg.test."), RRType::TXT, RRClass::IN}, kNow));
  CHECK_FALSE(cache.synthesise({N("n00.agg.test."), RRType::TXT, RRClass::IN}, kNow));
}

// n3.test. (NSEC3, no salt, 1 iteration): apex, b, c; `opt_out_at` names the record that
// carries the Opt-Out flag ("" for none).
struct Nsec3Zone : SignedZone {
  explicit Nsec3Zone(std::string opt_out = "")
      : SignedZone("n3.test.", 0x41), opt_out_at(std::move(opt_out)) {
    for (const char* n : {"n3.test.", "b.n3.test.", "c.n3.test."}) names.push_back(N(n));
    for (const auto& n : names) hashes.push_back(nsec3_hash_label(n, {}, 1));
    std::vector<size_t> order{0, 1, 2};
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return hashes[a] < hashes[b]; });
    for (size_t i = 0; i < order.size(); ++i) next_of[order[i]] = order[(i + 1) % order.size()];
  }
  std::string opt_out_at;
  std::vector<Name> names;
  std::vector<std::string> hashes;
  std::map<size_t, size_t> next_of;

  static std::string h(const Name& n) { return nsec3_hash_label(n, {}, 1); }
  // The record (index into names) whose hash matches, or whose span covers, `hash`.
  size_t covering(const std::string& hash) const {
    size_t best = 0;
    bool found = false;
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (hashes[i] <= hash && (!found || hashes[i] > hashes[best])) {
        best = i;
        found = true;
      }
    }
    if (found) return best;
    return static_cast<size_t>(std::max_element(hashes.begin(), hashes.end()) - hashes.begin());
  }
  void add(SignedResponse& r, size_t i) const {
    const Name owner = N(hashes[i] + ".n3.test.");
    auto next = crypto::base32hex_decode(hashes[next_of.at(i)]);
    REQUIRE(next.has_value());
    std::vector<RRType> types{RRType::RRSIG};
    if (i == 0)
      types = {RRType::SOA, RRType::NS, RRType::DNSKEY, RRType::NSEC3PARAM, RRType::RRSIG};
    if (i > 0) types = {RRType::A, RRType::RRSIG};
    const uint8_t flags = names[i] == N(opt_out_at.empty() ? "." : opt_out_at) ? 1 : 0;
    r.add(Section::Authority, owner, RRType::NSEC3, {nsec3_rdata(flags, 1, *next, types)}, {&zsk});
  }
  SignedResponse response(const Name& qname, RRType qtype, RCode rcode = RCode::NoError) const {
    SignedResponse r(qname, qtype, rcode, kInception, kExpiration);
    r.add(Section::Authority, zone, RRType::SOA, {soa_rdata(zone)}, {&zsk});
    return r;
  }
  // NXDOMAIN for `qname` (a child of the apex): apex match, next closer and wildcard covers.
  Bytes nxdomain(const Name& qname) const {
    auto r = response(qname, RRType::A, RCode::NXDomain);
    std::vector<size_t> used{0, covering(h(qname)), covering(h(N("*.n3.test.")))};
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    for (size_t i : used) add(r, i);
    return r.packet();
  }
  // A child of the apex whose hash falls in the span of record `span` (and matches none).
  Name name_in_span(size_t span, int skip = 0) const {
    for (int i = 0; i < 10000; ++i) {
      const Name n = N("q" + std::to_string(i) + ".n3.test.");
      const std::string hn = h(n);
      if (covering(hn) == span && hn != hashes[span] && skip-- == 0) return n;
    }
    FAIL("no name found");
    return Name::root();
  }
};

TEST_CASE("aggressive: NSEC3 NXDOMAIN is synthesised when the next closer name is covered") {
  Nsec3Zone z;
  KeyCache keys;
  AggressiveCache cache;
  const size_t span = z.covering(Nsec3Zone::h(N("*.n3.test.")));
  const Name first = z.name_in_span(span, 0);
  REQUIRE(validate_and_learn(z, keys, cache, {first, RRType::A, RRClass::IN}, z.nxdomain(first))
              .security == Security::Secure);
  for (const Name& other : {z.name_in_span(span, 1), z.name_in_span(span, 2)}) {
    const Question q{other, RRType::A, RRClass::IN};
    auto s = cache.synthesise(q, kNow);
    REQUIRE(s.has_value());
    CHECK(s->kind == DenialKind::NxDomain);
    auto m = Message::parse(s->message);
    REQUIRE(m.has_value());
    CHECK(m->rcode() == RCode::NXDomain);
    // The apex match, the next closer cover and the wildcard cover, kept once each.
    CHECK(count(*m, Section::Authority, RRType::NSEC3) == (span == 0 ? 1u : 2u));
    CHECK(validate_synthesis(z, q, *s).security == Security::Secure);
  }
  // Below a name that does not exist: the next closer name is the same.
  const Name below = N("deep.er." + first.to_string());
  CHECK(cache.synthesise({below, RRType::A, RRClass::IN}, kNow));
  // A name hashing into a span not held: asked upstream.
  for (size_t i = 0; i < 3; ++i) {
    if (i == span || i == 0) continue;
    CHECK_FALSE(cache.synthesise({z.name_in_span(i), RRType::A, RRClass::IN}, kNow));
  }
}

TEST_CASE("aggressive: NSEC3 NODATA is synthesised from the NSEC3 matching the name") {
  Nsec3Zone z;
  KeyCache keys;
  AggressiveCache cache;
  const Name b = N("b.n3.test.");
  auto r = z.response(b, RRType::AAAA);
  z.add(r, 1);
  REQUIRE(validate_and_learn(z, keys, cache, {b, RRType::AAAA, RRClass::IN}, r.packet()).security ==
          Security::Secure);
  const Question q{b, RRType::MX, RRClass::IN};
  auto s = cache.synthesise(q, kNow);
  REQUIRE(s.has_value());
  CHECK(s->kind == DenialKind::NoData);
  CHECK(validate_synthesis(z, q, *s).security == Security::Secure);
  CHECK_FALSE(cache.synthesise({b, RRType::A, RRClass::IN}, kNow));
}

TEST_CASE("aggressive: an NSEC3 Opt-Out span never proves a name absent (RFC 8198 §4)") {
  // b's NSEC3 has Opt-Out. Learn it from a secure NODATA (a match, not a span), and the
  // apex and wildcard records from a secure NXDOMAIN elsewhere.
  Nsec3Zone z("b.n3.test.");
  KeyCache keys;
  AggressiveCache cache;
  const Name b = N("b.n3.test.");
  auto r = z.response(b, RRType::AAAA);
  z.add(r, 1);
  REQUIRE(validate_and_learn(z, keys, cache, {b, RRType::AAAA, RRClass::IN}, r.packet()).security ==
          Security::Secure);
  const size_t wc_span = z.covering(Nsec3Zone::h(N("*.n3.test.")));
  size_t plain_span = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (i != 1) plain_span = i;  // a span without Opt-Out
  }
  const Name first = z.name_in_span(plain_span);
  const auto v =
      validate_and_learn(z, keys, cache, {first, RRType::A, RRClass::IN}, z.nxdomain(first));
  // The wildcard's cover may be b's span (allowed for the wildcard, RFC 5155 §8.4).
  REQUIRE(v.security == Security::Secure);
  (void)wc_span;
  // Every record needed is held, but the next closer name falls in b's Opt-Out span.
  const Name in_opt_out = z.name_in_span(1);
  CHECK_FALSE(cache.synthesise({in_opt_out, RRType::A, RRClass::IN}, kNow));
  // Outside it the same records prove NXDOMAIN.
  CHECK(cache.synthesise({z.name_in_span(plain_span, 1), RRType::A, RRClass::IN}, kNow));
  // The NODATA at b itself (a match, not a span) stays provable.
  CHECK(cache.synthesise({b, RRType::MX, RRClass::IN}, kNow));
}

TEST_CASE("aggressive: an NSEC3 zone above the iteration limit is not held (RFC 9276)") {
  Nsec3Zone z;
  KeyCache keys;
  AggressiveCacheLimits limits;
  limits.max_nsec3_iterations = 0;  // the zone uses 1
  AggressiveCache cache(limits);
  const Name b = N("b.n3.test.");
  auto r = z.response(b, RRType::AAAA);
  z.add(r, 1);
  REQUIRE(validate_and_learn(z, keys, cache, {b, RRType::AAAA, RRClass::IN}, r.packet()).security ==
          Security::Secure);
  CHECK_FALSE(cache.synthesise({b, RRType::MX, RRClass::IN}, kNow));
}

}  // namespace
}  // namespace dnsp::resolver::test
