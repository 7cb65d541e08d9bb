// The validator and a clock that is wrong (issue 18): RRSIG validity windows checked or not
// (Limits::validity_windows, RFC 4035 §5.3.1), and a window failure at the root read as the
// clock's fault (resolver/validate/clock_skew.h). A root zone signed at test time, valid from
// kInception to kExpiration; the clock is the parameter each validation runs with.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/validate/clock_skew.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "tests/resolver/signed_zone.h"
#include "tests/resolver/test_signer.h"

namespace dnsp::resolver::test {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr int64_t kDay = 86400;

struct RootAnswer {
  SignedZone root{".", 0x61};
  Name www = N("www.");
  Replies replies() const { return {{{".", RRType::DNSKEY}, root.dnskey_reply()}}; }
  // www. A signed by the root's ZSK; `tampered` adds a record after signing, so that the
  // signature no longer verifies.
  Bytes answer(bool tampered = false) const {
    auto r = root.response(www, RRType::A);
    r.add(Section::Answer, www, RRType::A, {{192, 0, 2, 1}}, {&root.zsk});
    if (tampered) r.raw(Section::Answer, www, RRType::A, {192, 0, 2, 66});
    return r.packet();
  }
  Finished validate(int64_t now, ValidityWindows windows, bool tampered = false) const {
    const Bytes packet = answer(tampered);
    auto msg = Message::parse(packet);
    REQUIRE(msg.has_value());
    KeyCache keys;
    Limits limits;
    limits.validity_windows = windows;
    const TrustAnchors anchors = root.anchors();
    Validation v(anchors, keys, limits, now);
    return run_to_end(v, v.start({www, RRType::A, RRClass::IN}, *msg), replies(),
                      limits.max_fetches)
        .finished;
  }
};

TEST_CASE("clock: at a time inside the windows the answer is secure and no skew is reported") {
  const RootAnswer r;
  const Finished f = r.validate(kNow, ValidityWindows::Checked);
  CHECK(f.verdict.security == Security::Secure);
  CHECK(f.validity_windows == ValidityWindows::Checked);
  CHECK_FALSE(f.clock_skew.has_value());
}

TEST_CASE("clock: a clock before the root's inception is bogus (EDE 8) and named as behind") {
  const RootAnswer r;
  const int64_t now = kInception - 400 * kDay;  // a device that booted with an old clock
  const Finished f = r.validate(now, ValidityWindows::Checked);
  CHECK(f.verdict.security == Security::Bogus);
  CHECK(f.verdict.reason == Reason::SignatureNotYetValid);
  CHECK(f.verdict.zone.is_root());
  REQUIRE(f.clock_skew.has_value());
  CHECK(f.clock_skew->seconds == 400 * kDay);
  CHECK(f.clock_skew->window_edge == kInception);
  CHECK(f.clock_skew->rrset == ". DNSKEY");
}

TEST_CASE("clock: a clock past the root's expiration is bogus (EDE 7) and named as ahead") {
  const RootAnswer r;
  const int64_t now = int64_t{kExpiration} + 3 * kDay;
  const Finished f = r.validate(now, ValidityWindows::Checked);
  CHECK(f.verdict.reason == Reason::SignatureExpired);
  REQUIRE(f.clock_skew.has_value());
  CHECK(f.clock_skew->seconds == -3 * kDay);
  CHECK(f.clock_skew->window_edge == kExpiration);
}

TEST_CASE("clock: with windows not checked, the same answers are secure, and say so") {
  const RootAnswer r;
  for (const int64_t now : {kInception - 400 * kDay, int64_t{kExpiration} + 3 * kDay, kNow}) {
    CAPTURE(now);
    const Finished f = r.validate(now, ValidityWindows::NotChecked);
    CHECK(f.verdict.security == Security::Secure);
    CHECK(f.validity_windows == ValidityWindows::NotChecked);
    CHECK_FALSE(f.clock_skew.has_value());
  }
}

TEST_CASE("clock: with windows not checked, a signature that does not verify is still bogus") {
  const RootAnswer r;
  const Finished f =
      r.validate(kInception - 400 * kDay, ValidityWindows::NotChecked, /*tampered=*/true);
  CHECK(f.verdict.security == Security::Bogus);
  CHECK(f.verdict.reason == Reason::SignatureInvalid);
}

// `zone`'s DNSKEY RRset as the trace keeps it, its RRSIG valid from `inception` to
// `expiration`, checked with `reason` (Reason::None: not checked, as after an earlier failure).
CheckedRrset dnskeys_of(const Name& zone, Reason reason, uint32_t inception = kInception,
                        uint32_t expiration = kExpiration) {
  const SignedZone z(zone.to_string(), 0x71);
  CheckedRrset c;
  c.owner = zone;
  c.type = RRType::DNSKEY;
  c.zone = zone;
  c.rdatas = {z.ksk.dnskey_rdata()};
  c.rrsigs = {z.ksk.sign(zone, RRType::DNSKEY, 3600, c.rdatas, inception, expiration)};
  c.security = reason == Reason::None ? Security::Indeterminate : Security::Bogus;
  c.reason = reason;
  return c;
}

// A trace of one failing RRset in `zone`, its RRSIG valid from kInception to kExpiration.
ValidationTrace trace_of(const Name& zone, Reason reason) {
  ValidationTrace t;
  t.zone(zone).dnskeys = dnskeys_of(zone, reason);
  return t;
}

TEST_CASE("clock: a window failure below the root is the zone's, not the clock's") {
  const Name example = N("example.");
  const ValidationTrace t = trace_of(example, Reason::SignatureExpired);
  const Verdict v{Security::Bogus, Reason::SignatureExpired, example, "expired"};
  CHECK_FALSE(clock_skew(v, t, int64_t{kExpiration} + kDay).has_value());
  // The same at the root is the clock's.
  const ValidationTrace root = trace_of(Name::root(), Reason::SignatureExpired);
  const Verdict at_root{Security::Bogus, Reason::SignatureExpired, Name::root(), "expired"};
  CHECK(clock_skew(at_root, root, int64_t{kExpiration} + kDay).has_value());
  // Other reasons never are.
  const Verdict invalid{Security::Bogus, Reason::SignatureInvalid, Name::root(), "bad"};
  CHECK_FALSE(clock_skew(invalid, root, int64_t{kExpiration} + kDay).has_value());
}

TEST_CASE(
    "clock: most signed RRsets of an answer, in two zones, outside their windows: the "
    "clock's") {
  // The root's signatures are fine (made long ago, valid long after): two zones below it
  // have both expired one day ago. A clock ahead by a day, more likely than two operators
  // failing together.
  const int64_t now = int64_t{kExpiration} + kDay;
  ValidationTrace t;
  t.zone(Name::root()).dnskeys =
      dnskeys_of(Name::root(), Reason::None, kInception - 1000, kExpiration + 10 * kDay);
  t.zone(N("example.")).dnskeys = dnskeys_of(N("example."), Reason::SignatureExpired);
  t.zone(N("other.")).dnskeys = dnskeys_of(N("other."), Reason::None);
  const Verdict v{Security::Bogus, Reason::SignatureExpired, N("example."), "expired"};
  const auto s = clock_skew(v, t, now);
  REQUIRE(s.has_value());
  CHECK_FALSE(s->at_root);
  CHECK(s->seconds == -kDay);
  CHECK(s->rrset == "2 of the 3 signed RRsets of this answer (in 2 zones)");
  // One zone whose DNSKEY and data expired, beside a root that is fine: the zone's fault.
  ValidationTrace one;
  one.zone(Name::root()).dnskeys =
      dnskeys_of(Name::root(), Reason::None, kInception - 1000, kExpiration + 10 * kDay);
  one.zone(N("example.")).dnskeys = dnskeys_of(N("example."), Reason::SignatureExpired);
  CheckedRrset data = dnskeys_of(N("example."), Reason::None);
  data.owner = N("www.example.");
  data.type = RRType::A;
  data.rrsigs = {
      SignedZone("example.", 0x71)
          .zsk.sign(data.owner, RRType::A, 3600, {{192, 0, 2, 1}}, kInception, kExpiration)};
  one.set_answer(data);
  CHECK_FALSE(clock_skew(v, one, now).has_value());
  // Two zones out of date among five signed RRsets: not most.
  t.zone(N("third.")).dnskeys =
      dnskeys_of(N("third."), Reason::None, kInception - 1000, kExpiration + 10 * kDay);
  t.zone(N("fourth.")).dnskeys =
      dnskeys_of(N("fourth."), Reason::None, kInception - 1000, kExpiration + 10 * kDay);
  CHECK_FALSE(clock_skew(v, t, now).has_value());
}

}  // namespace
}  // namespace dnsp::resolver::test
