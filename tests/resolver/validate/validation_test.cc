// The validator's verdicts on answers signed at test time (resolver/validate/validation.h): the
// edges of RFC 4035 §5, RFC 6840 and RFC 6672 where a validator is easily wrong. Each case runs the
// state machine to its end, answering every NeedRecords from a table of signed replies.
#include "resolver/validate/validation.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "resolver/anchors/trust_anchor.h"
#include "resolver/validate/nsec3.h"
#include "resolver/verify/key_cache.h"
#include "tests/resolver/signed_zone.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver::test {
namespace {

using Bytes = std::vector<uint8_t>;

struct Outcome {
  Finished finished;
  std::vector<std::pair<std::string, RRType>> asked;  // every NeedRecords, in order
  uint32_t signature_checks = 0;
};

Outcome validate(const TrustAnchors& anchors, const Question& q, const Bytes& answer_packet,
                 const Replies& replies, const Limits& limits = Limits{}) {
  auto answer = Message::parse(answer_packet);
  REQUIRE(answer.has_value());
  KeyCache keys;
  Validation v(anchors, keys, limits, kNow);
  Run run = run_to_end(v, v.start(q, *answer), replies, limits.max_fetches);
  return Outcome{std::move(run.finished), std::move(run.asked), v.signature_checks()};
}

// A DS RDATA naming `algorithm` with a SHA-256-sized digest no key will ever match.
Bytes ds_with_algorithm(uint16_t tag, uint8_t algorithm) {
  Bytes out{static_cast<uint8_t>(tag >> 8), static_cast<uint8_t>(tag), algorithm, 2};
  out.insert(out.end(), 32, 0xA5);
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. RFC 4035 §5.2, RFC 6840 §5.2: a DS RRset of only unsupported algorithms.

struct UnsupportedChild {
  SignedZone parent{"test.", 0x31};
  Name child = N("unsupp.test.");
  Name www = N("www.unsupp.test.");
  // The child's DNSKEY RRset: one key of algorithm 100, no RRSIG (nobody can make one).
  Bytes child_dnskeys() const {
    Bytes key{1, 1, 3, 100};
    key.insert(key.end(), 32, 0x42);
    return parent.response(child, RRType::DNSKEY)
        .add(Section::Answer, child, RRType::DNSKEY, {key})
        .packet();
  }
  Replies replies() const {
    Replies r;
    r[{"test.", RRType::DNSKEY}] = parent.dnskey_reply();
    r[{"unsupp.test.", RRType::DS}] =
        parent.response(child, RRType::DS)
            .add(Section::Answer, child, RRType::DS,
                 {ds_with_algorithm(4711, 100), ds_with_algorithm(4712, 253)}, {&parent.zsk})
            .packet();
    r[{"unsupp.test.", RRType::DNSKEY}] = child_dnskeys();
    return r;
  }
};

TEST_CASE("validation: a DS RRset of only unsupported algorithms makes the zone insecure") {
  const UnsupportedChild u;
  const Question q{u.www, RRType::A, RRClass::IN};
  // The answer as such a zone gives it: signed, in an algorithm we do not implement.
  const Bytes answer =
      u.parent.response(u.www, RRType::A)
          .add(Section::Answer, u.www, RRType::A, {{192, 0, 2, 7}})
          .raw(Section::Answer, u.www, RRType::RRSIG, junk_rrsig(RRType::A, 3, 100, 4711, u.child))
          .packet();
  const auto o = validate(u.parent.anchors(), q, answer, u.replies());
  CHECK(o.finished.verdict.security == Security::Insecure);
  CHECK(o.finished.verdict.reason == Reason::UnsupportedAlgorithm);
  CHECK(o.finished.verdict.zone == u.child);
  // Decided from the validated DS RRset alone (RFC 4035 §5.2): the child's DNSKEY RRset,
  // without RRSIG, is never asked for.
  for (const auto& a : o.asked)
    CHECK_FALSE((a.first == "unsupp.test." && a.second == RRType::DNSKEY));
  // The reply carries EDE 1 beside NOERROR data, AD clear (not Secure).
  const auto ede = reply_ede(o.finished.verdict, "upstream");
  REQUIRE(ede.has_value());
  CHECK(ede->code == EdeCode::UnsupportedDnskeyAlgorithm);
  CHECK(ede->text.find("unsupp.test.") != std::string::npos);
  CHECK(o.finished.proven.empty());
}

TEST_CASE("validation: unsigned data under a DS RRset of only unsupported algorithms is insecure") {
  const UnsupportedChild u;
  const Question q{u.www, RRType::A, RRClass::IN};
  const Bytes answer = u.parent.response(u.www, RRType::A)
                           .add(Section::Answer, u.www, RRType::A, {{192, 0, 2, 7}})
                           .packet();
  const auto o = validate(u.parent.anchors(), q, answer, u.replies());
  CHECK(o.finished.verdict.security == Security::Insecure);
  CHECK(o.finished.verdict.reason == Reason::UnsupportedAlgorithm);
  for (const auto& a : o.asked)
    CHECK_FALSE((a.first == "unsupp.test." && a.second == RRType::DNSKEY));
}

TEST_CASE("validation: a DS RRset of unsupported algorithms that is not validated stays bogus") {
  const UnsupportedChild u;
  Replies r = u.replies();
  // The same DS RRset, its RRSIG made by a key the parent does not publish.
  const SignedZone stranger{"test.", 0x55};
  r[{"unsupp.test.", RRType::DS}] =
      u.parent.response(u.child, RRType::DS)
          .add(Section::Answer, u.child, RRType::DS,
               {ds_with_algorithm(4711, 100), ds_with_algorithm(4712, 253)}, {&stranger.zsk})
          .packet();
  const Bytes answer = u.parent.response(u.www, RRType::A)
                           .add(Section::Answer, u.www, RRType::A, {{192, 0, 2, 7}})
                           .packet();
  const auto o = validate(u.parent.anchors(), {u.www, RRType::A, RRClass::IN}, answer, r);
  CHECK(o.finished.verdict.security == Security::Bogus);
}

// ---------------------------------------------------------------------------------------------
// 2. Key tag collisions in a legitimate zone (CVE-2023-50387 is bounded by work, not by
// refusing collisions a real zone can have).

// Whether the validation vouches for `owner`/`type` (the records a reply with AD may carry).
bool proves(const Finished& f, const Name& owner, RRType type) {
  for (const auto& p : f.proven) {
    if (p.owner == owner && p.type == type) return true;
  }
  return false;
}

TEST_CASE("validation: ten DNSKEYs sharing the key tag of the real ZSK validate secure") {
  const SignedZone z{"collide.test.", 0x41};
  const Name www = N("www.collide.test.");
  // The decoys first, so that each is tried (and fails) before the real ZSK.
  std::vector<Bytes> keys;
  for (unsigned i = 1; i <= 10; ++i) {
    keys.push_back(same_tag_dnskey(z.zsk.dnskey_rdata(), i));
    REQUIRE(key_tag(keys.back()) == z.zsk.tag());
  }
  keys.push_back(z.ksk.dnskey_rdata());
  keys.push_back(z.zsk.dnskey_rdata());
  Replies r;
  r[{"collide.test.", RRType::DNSKEY}] =
      z.response(z.zone, RRType::DNSKEY)
          .add(Section::Answer, z.zone, RRType::DNSKEY, keys, {&z.ksk})
          .packet();
  const Bytes answer = z.response(www, RRType::A)
                           .add(Section::Answer, www, RRType::A, {{192, 0, 2, 8}}, {&z.zsk})
                           .packet();
  const auto o = validate(z.anchors(), {www, RRType::A, RRClass::IN}, answer, r);
  CHECK(o.finished.verdict.security == Security::Secure);
  // The DNSKEY RRset by the KSK, then the A RRset: ten decoys fail, the ZSK verifies.
  CHECK(o.signature_checks == 1 + 11);
  CHECK(proves(o.finished, www, RRType::A));
}

// ---------------------------------------------------------------------------------------------
// 3. The root's own DS question: the root has no parent, so its apex NSEC/NSEC3 speaks.

struct Root {
  SignedZone root{".", 0x51};
  Replies replies() const { return {{{".", RRType::DNSKEY}, root.dnskey_reply()}}; }
};

TEST_CASE("validation: . DS NODATA is proven secure by the root's apex NSEC (RFC 4035 §5.4)") {
  const Root r;
  const Name dot = Name::root();
  const Bytes answer =
      r.root.response(dot, RRType::DS)
          .add(Section::Authority, dot, RRType::SOA, {soa_rdata(dot)}, {&r.root.zsk})
          .add(Section::Authority, dot, RRType::NSEC,
               {nsec_rdata(N("aaa."),
                           {RRType::NS, RRType::SOA, RRType::RRSIG, RRType::NSEC, RRType::DNSKEY})},
               {&r.root.zsk})
          .packet();
  const auto o = validate(r.root.anchors(), {dot, RRType::DS, RRClass::IN}, answer, r.replies());
  CHECK(o.finished.verdict.security == Security::Secure);
  // The authority section stays in the reply: both RRsets are proven.
  CHECK(proves(o.finished, dot, RRType::NSEC));
  CHECK(proves(o.finished, dot, RRType::SOA));
}

TEST_CASE("validation: . DS NODATA is proven secure by the root's apex NSEC3 (RFC 5155 §8.6)") {
  const Root r;
  const Name dot = Name::root();
  const std::string label = nsec3_hash_label(dot, {}, 0);
  const Name owner = *dot.prepend(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(label.data()), label.size()));
  const Bytes next(20, 0xFF);
  const Bytes answer =
      r.root.response(dot, RRType::DS)
          .add(Section::Authority, dot, RRType::SOA, {soa_rdata(dot)}, {&r.root.zsk})
          .add(Section::Authority, owner, RRType::NSEC3,
               {nsec3_rdata(
                   0, 0, next,
                   {RRType::NS, RRType::SOA, RRType::RRSIG, RRType::DNSKEY, RRType::NSEC3PARAM})},
               {&r.root.zsk})
          .packet();
  const auto o = validate(r.root.anchors(), {dot, RRType::DS, RRClass::IN}, answer, r.replies());
  CHECK(o.finished.verdict.security == Security::Secure);
  CHECK(proves(o.finished, owner, RRType::NSEC3));
}

TEST_CASE("validation: . DS NODATA whose root NSEC lists DS is bogus") {
  const Root r;
  const Name dot = Name::root();
  const Bytes answer =
      r.root.response(dot, RRType::DS)
          .add(Section::Authority, dot, RRType::SOA, {soa_rdata(dot)}, {&r.root.zsk})
          .add(Section::Authority, dot, RRType::NSEC,
               {nsec_rdata(N("aaa."), {RRType::NS, RRType::SOA, RRType::DS, RRType::RRSIG,
                                       RRType::NSEC, RRType::DNSKEY})},
               {&r.root.zsk})
          .packet();
  const auto o = validate(r.root.anchors(), {dot, RRType::DS, RRClass::IN}, answer, r.replies());
  CHECK(o.finished.verdict.security == Security::Bogus);
}

TEST_CASE("validation: a zone's own apex NSEC still cannot deny its DS (RFC 6840 §4.4)") {
  const SignedZone z{"apex.test.", 0x61};
  const Bytes answer =
      z.response(z.zone, RRType::DS)
          .add(Section::Authority, z.zone, RRType::SOA, {soa_rdata(z.zone)}, {&z.zsk})
          .add(Section::Authority, z.zone, RRType::NSEC,
               {nsec_rdata(N("www.apex.test."),
                           {RRType::NS, RRType::SOA, RRType::RRSIG, RRType::NSEC, RRType::DNSKEY})},
               {&z.zsk})
          .packet();
  const auto o = validate(z.anchors(), {z.zone, RRType::DS, RRClass::IN}, answer,
                          {{{"apex.test.", RRType::DNSKEY}, z.dnskey_reply()}});
  CHECK(o.finished.verdict.security == Security::Bogus);
}

// ---------------------------------------------------------------------------------------------
// 6. DNAME towards an ancestor (RFC 6672 §2.2, §3): x. DNAME . rewrites a.x.x. to a.x. to a.

Bytes name_rdata(const Name& n) { return Bytes(n.wire().begin(), n.wire().end()); }

struct DnameUp {
  Root r;
  Name dot = Name::root();
  Name x = N("x.");
  Name a = N("a.");
  Name ax = N("a.x.");
  Name axx = N("a.x.x.");
  // The DNAME as the server sends it: before each CNAME it synthesises.
  SignedResponse& dname(SignedResponse& s) const {
    return s.add(Section::Answer, x, RRType::DNAME, {name_rdata(dot)}, {&r.root.zsk});
  }
};

TEST_CASE("validation: a DNAME to the root, followed twice, is secure with every link proven") {
  const DnameUp d;
  SignedResponse s = d.r.root.response(d.axx, RRType::A);
  d.dname(s);
  s.add(Section::Answer, d.axx, RRType::CNAME, {name_rdata(d.ax)});
  d.dname(s);
  s.add(Section::Answer, d.ax, RRType::CNAME, {name_rdata(d.a)});
  s.add(Section::Answer, d.a, RRType::A, {{192, 0, 2, 9}}, {&d.r.root.zsk});
  const auto o =
      validate(d.r.root.anchors(), {d.axx, RRType::A, RRClass::IN}, s.packet(), d.r.replies());
  INFO(o.finished.verdict.detail);
  CHECK(o.finished.verdict.security == Security::Secure);
  CHECK(proves(o.finished, d.x, RRType::DNAME));
  CHECK(proves(o.finished, d.axx, RRType::CNAME));
  CHECK(proves(o.finished, d.ax, RRType::CNAME));
  CHECK(proves(o.finished, d.a, RRType::A));
}

TEST_CASE("validation: a DNAME substitution keeps the order of several labels (RFC 6672 §2.2)") {
  // b.a.x. under x. DNAME . is b.a., not a.b.
  const DnameUp d;
  const Name bax = N("b.a.x."), ba = N("b.a.");
  SignedResponse s = d.r.root.response(bax, RRType::A);
  d.dname(s);
  s.add(Section::Answer, bax, RRType::CNAME, {name_rdata(ba)});
  s.add(Section::Answer, ba, RRType::A, {{192, 0, 2, 10}}, {&d.r.root.zsk});
  const auto o =
      validate(d.r.root.anchors(), {bax, RRType::A, RRClass::IN}, s.packet(), d.r.replies());
  INFO(o.finished.verdict.detail);
  CHECK(o.finished.verdict.security == Security::Secure);
  CHECK(proves(o.finished, bax, RRType::CNAME));
}

TEST_CASE("validation: a DNAME and CNAME loop ends bogus, saying it is a loop") {
  // a.x. -> (DNAME) a. -> (CNAME) a.x. -> ...
  const DnameUp d;
  SignedResponse s = d.r.root.response(d.ax, RRType::A);
  d.dname(s);
  s.add(Section::Answer, d.ax, RRType::CNAME, {name_rdata(d.a)});
  s.add(Section::Answer, d.a, RRType::CNAME, {name_rdata(d.ax)}, {&d.r.root.zsk});
  const auto o =
      validate(d.r.root.anchors(), {d.ax, RRType::A, RRClass::IN}, s.packet(), d.r.replies());
  CHECK(o.finished.verdict.security == Security::Bogus);
  CHECK(o.finished.verdict.detail.find("loop") != std::string::npos);
  CHECK(o.finished.verdict.detail.find("a.x.") != std::string::npos);
  CHECK(o.finished.proven.empty());
}

// RFC 4034 §3.1.3: the Labels field "MUST NOT count ... the wildcard label"; RFC 4035 §5.3.1:
// it is at most the owner's label count. Found by the differential corpus (Unbound: bogus).
TEST_CASE("validation: an RRSIG over *.zone whose Labels field counts the '*' is bogus") {
  SignedZone z("wcs.test.", 0x51);
  const Name star = N("*.wcs.test.");
  const Bytes a{192, 0, 2, 9};
  for (int labels : {2, 3}) {  // right (2: wcs, test), then counting the '*'
    CAPTURE(labels);
    const Bytes answer =
        z.response(star, RRType::A)
            .add(Section::Answer, star, RRType::A, {a})
            .raw(Section::Answer, star, RRType::RRSIG,
                 z.zsk.sign(star, RRType::A, 3600, {a}, kInception, kExpiration, labels))
            .packet();
    const auto o = validate(z.anchors(), Question{star, RRType::A, RRClass::IN}, answer,
                            {{{"wcs.test.", RRType::DNSKEY}, z.dnskey_reply()}});
    CHECK(o.finished.verdict.security == (labels == 2 ? Security::Secure : Security::Bogus));
  }
}

}  // namespace
}  // namespace dnsp::resolver::test
