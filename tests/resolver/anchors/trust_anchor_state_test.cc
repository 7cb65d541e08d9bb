// tests/resolver/anchors/trust_anchor_state_test.cc: RFC 5011 automated trust anchor updates
// (resolver/anchors/trust_anchor_state.h) driven with DNSKEY RRsets signed here, at explicit times:
// seeding, the add hold-down, revocation, missing keys, forged updates, the state file.
#include "resolver/anchors/trust_anchor_state.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "resolver/verify/canonical.h"
#include "resolver/wire/rdata.h"

namespace dnsp::resolver {
namespace {

using Rdata = std::vector<uint8_t>;

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1800000000;  // 2027-01-15T08:00:00Z
constexpr uint32_t kTtl = 172800;    // the root's DNSKEY TTL
constexpr uint16_t kKsk = 257;
constexpr uint16_t kRevokedKsk = 257 | DnskeyRdata::kRevoke;
constexpr uint16_t kZsk = 256;

void put16(Rdata& o, uint16_t v) {
  o.push_back(static_cast<uint8_t>(v >> 8));
  o.push_back(static_cast<uint8_t>(v));
}
void put32(Rdata& o, uint32_t v) {
  put16(o, static_cast<uint16_t>(v >> 16));
  put16(o, static_cast<uint16_t>(v));
}

// An Ed25519 (RFC 8080) key of the root from a fixed seed, published with `flags`.
class Key {
 public:
  Key(uint8_t seed_byte, uint16_t flags) {
    std::array<uint8_t, 32> seed{};
    seed.fill(seed_byte);
    pkey_.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
    if (!pkey_) throw std::runtime_error("no Ed25519 key");
    std::array<uint8_t, 32> pub{};
    size_t len = pub.size();
    EVP_PKEY_get_raw_public_key(pkey_.get(), pub.data(), &len);
    pub_.assign(pub.begin(), pub.end());
    set_flags(flags);
  }
  void set_flags(uint16_t flags) {
    dnskey_.clear();
    put16(dnskey_, flags);
    dnskey_.push_back(3);
    dnskey_.push_back(15);
    dnskey_.insert(dnskey_.end(), pub_.begin(), pub_.end());
  }
  const Rdata& dnskey() const { return dnskey_; }
  uint16_t tag() const { return key_tag(dnskey_); }
  Rdata ds() const {
    auto d = crypto::ds_digest(2, ds_digest_input(Name::root(), dnskey_));
    Rdata out;
    put16(out, tag());
    out.push_back(15);
    out.push_back(2);
    out.insert(out.end(), d.digest.begin(), d.digest.end());
    return out;
  }
  // RRSIG RDATA over the root's DNSKEY RRset `rdatas`, valid [inception, expiration].
  Rdata sign(const std::vector<Rdata>& rdatas, int64_t inception, int64_t expiration) const {
    Rdata rr;
    put16(rr, to_u16(RRType::DNSKEY));
    rr.push_back(15);
    rr.push_back(0);  // labels: the root
    put32(rr, kTtl);
    put32(rr, static_cast<uint32_t>(expiration));
    put32(rr, static_cast<uint32_t>(inception));
    put16(rr, tag());
    rr.push_back(0);  // signer: the root
    Rdata with_placeholder = rr;
    with_placeholder.push_back(0);
    auto sig = parse_rrsig(with_placeholder);
    REQUIRE(sig);
    RRset set{Name::root(), RRType::DNSKEY, RRClass::IN, kTtl, Section::Answer, rdatas, {}};
    const auto data = signed_data(*sig, with_placeholder, set);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::array<uint8_t, 64> signature{};
    size_t siglen = signature.size();
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) == 1);
    REQUIRE(EVP_DigestSign(ctx.get(), signature.data(), &siglen, data.data(), data.size()) == 1);
    rr.insert(rr.end(), signature.begin(), signature.begin() + static_cast<long>(siglen));
    return rr;
  }

 private:
  struct Free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  };
  std::unique_ptr<EVP_PKEY, Free> pkey_;
  Rdata pub_;
  Rdata dnskey_;
};

// The root's DNSKEY RRset of `published`, signed by `signers` at `now` (valid for 20 days).
RRset dnskey_rrset(const std::vector<const Key*>& published, const std::vector<const Key*>& signers,
                   int64_t now) {
  RRset set{Name::root(), RRType::DNSKEY, RRClass::IN, kTtl, Section::Answer, {}, {}};
  for (const Key* k : published) set.rdatas.push_back(k->dnskey());
  for (const Key* k : signers)
    set.rrsigs.push_back(k->sign(set.rdatas, now - 3600, now + 20 * kDay));
  return set;
}

TrustAnchor ds_anchor(const Key& k) { return TrustAnchor{Name::root(), {k.ds()}, {}}; }

std::optional<KeyState> state_of(const TrustAnchorState& s, const Key& k) {
  for (const auto& t : s.keys()) {
    if (t.dnskey == k.dnskey()) return t.state;
  }
  return std::nullopt;
}

bool trusts(const TrustAnchorState& s, const Key& k) {
  const auto a = s.active();
  return std::find(a.dnskey_rdatas.begin(), a.dnskey_rdatas.end(), k.dnskey()) !=
         a.dnskey_rdatas.end();
}

TEST_CASE("rfc5011: a seed DS makes the key it names Valid on first sight, without hold-down") {
  const Key k1(1, kKsk), zsk(2, kZsk);
  auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
  CHECK(s.active().ds_rdatas.size() == 1);
  const RRset set = dnskey_rrset({&k1, &zsk}, {&k1}, kT0);
  const RefreshResult r = s.observe(&set, kT0);
  CHECK(r.validated);
  CHECK(r.anchors_changed);
  CHECK(state_of(s, k1) == KeyState::Valid);
  CHECK_FALSE(state_of(s, zsk));  // RFC 5011 tracks KSKs (SEP) only
  CHECK(s.ds_seeds().empty());
  CHECK(trusts(s, k1));
  REQUIRE(r.changes.size() == 1);
  CHECK(r.changes[0] == "key " + std::to_string(k1.tag()) + " (ED25519): seed DS -> Valid");
  // RFC 5011 §2.3: MAX(1 hr, MIN(15 days, 1/2 OrigTTL = 1 day, 1/2 expiry = 10 days)).
  CHECK(r.next_refresh == kT0 + kDay);
}

TEST_CASE("rfc5011: a new KSK waits out the 30-day add hold-down, then is trusted") {
  const Key k1(1, kKsk), k2(3, kKsk);
  auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
  auto seen = dnskey_rrset({&k1}, {&k1}, kT0);
  s.observe(&seen, kT0);
  const int64_t t1 = kT0 + kDay;
  auto both = dnskey_rrset({&k1, &k2}, {&k1}, t1);
  RefreshResult r = s.observe(&both, t1);
  CHECK(r.validated);
  CHECK_FALSE(r.anchors_changed);
  CHECK(state_of(s, k2) == KeyState::AddPend);
  CHECK_FALSE(trusts(s, k2));
  // Every refresh during the hold-down sees it again; one second short of 30 days it waits.
  for (int64_t t = t1 + kDay; t < t1 + 30 * kDay; t += 7 * kDay) {
    auto again = dnskey_rrset({&k1, &k2}, {&k1}, t);
    CHECK_FALSE(s.observe(&again, t).anchors_changed);
  }
  auto almost = dnskey_rrset({&k1, &k2}, {&k1}, t1 + 30 * kDay - 1);
  s.observe(&almost, t1 + 30 * kDay - 1);
  CHECK(state_of(s, k2) == KeyState::AddPend);
  auto done = dnskey_rrset({&k1, &k2}, {&k1}, t1 + 30 * kDay);
  r = s.observe(&done, t1 + 30 * kDay);
  CHECK(r.anchors_changed);
  CHECK(state_of(s, k2) == KeyState::Valid);
  CHECK(trusts(s, k2));
  CHECK(trusts(s, k1));
}

TEST_CASE("rfc5011: a pending key that leaves the RRset starts its hold-down again") {
  const Key k1(1, kKsk), k2(3, kKsk);
  auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
  auto both = dnskey_rrset({&k1, &k2}, {&k1}, kT0);
  s.observe(&both, kT0);
  CHECK(state_of(s, k2) == KeyState::AddPend);
  auto gone = dnskey_rrset({&k1}, {&k1}, kT0 + 20 * kDay);
  s.observe(&gone, kT0 + 20 * kDay);
  CHECK_FALSE(state_of(s, k2));
  auto back = dnskey_rrset({&k1, &k2}, {&k1}, kT0 + 25 * kDay);
  s.observe(&back, kT0 + 25 * kDay);
  auto later = dnskey_rrset({&k1, &k2}, {&k1}, kT0 + 40 * kDay);
  s.observe(&later, kT0 + 40 * kDay);  // 15 days after it came back: still pending
  CHECK(state_of(s, k2) == KeyState::AddPend);
}

TEST_CASE("rfc5011: a self-signed revoked key is never trusted again; removed after 30 days") {
  Key k1(1, kKsk);
  const Key k2(3, kKsk);
  TrustAnchorState s = TrustAnchorState::seeded(TrustAnchor{Name::root(), {}, {k1.dnskey()}}, kT0);
  auto both = dnskey_rrset({&k1, &k2}, {&k1}, kT0);
  s.observe(&both, kT0);
  auto trusted = dnskey_rrset({&k1, &k2}, {&k1}, kT0 + 30 * kDay);
  s.observe(&trusted, kT0 + 30 * kDay);
  REQUIRE(state_of(s, k2) == KeyState::Valid);
  // The roll: k1 is published with the REVOKE bit and signs the RRset, as does k2.
  const Rdata k1_plain = k1.dnskey();
  k1.set_flags(kRevokedKsk);
  const int64_t t = kT0 + 40 * kDay;
  auto revoked = dnskey_rrset({&k1, &k2}, {&k1, &k2}, t);
  RefreshResult r = s.observe(&revoked, t);
  CHECK(r.validated);
  CHECK(r.anchors_changed);
  CHECK(state_of(s, k1) == KeyState::Revoked);
  const auto active = s.active();
  CHECK(active.dnskey_rdatas == std::vector<Rdata>{k2.dnskey()});
  CHECK(std::find(r.changes.begin(), r.changes.end(),
                  "key " + std::to_string(key_tag(k1_plain)) + " (ED25519): Valid -> Revoked " +
                      "(published as key " + std::to_string(k1.tag()) + " (ED25519))") !=
        r.changes.end());
  auto still = dnskey_rrset({&k1, &k2}, {&k1, &k2}, t + 30 * kDay - 1);
  s.observe(&still, t + 30 * kDay - 1);
  CHECK(state_of(s, k1) == KeyState::Revoked);
  auto after = dnskey_rrset({&k2}, {&k2}, t + 30 * kDay);
  s.observe(&after, t + 30 * kDay);
  CHECK(state_of(s, k1) == KeyState::Removed);
  // Published again without the REVOKE bit, it is not a new key: it stays out.
  k1.set_flags(kKsk);
  auto again = dnskey_rrset({&k1, &k2}, {&k2}, t + 31 * kDay);
  s.observe(&again, t + 31 * kDay);
  CHECK_FALSE(trusts(s, k1));
  CHECK(s.keys().size() == 2);
}

TEST_CASE("rfc5011: a revoked seed key counts; a REVOKE bit without its own signature does not") {
  Key k1(1, kKsk);
  const Key k2(3, kKsk);
  {
    auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
    k1.set_flags(kRevokedKsk);
    auto unsigned_by_it = dnskey_rrset({&k1, &k2}, {&k2}, kT0);
    RefreshResult r = s.observe(&unsigned_by_it, kT0);
    CHECK_FALSE(r.validated);  // k2 is not trusted, and k1 did not sign
    CHECK(s.ds_seeds().size() == 1);
    auto self_signed = dnskey_rrset({&k1, &k2}, {&k1}, kT0);
    r = s.observe(&self_signed, kT0);
    CHECK(state_of(s, k1) == KeyState::Revoked);
    CHECK(s.ds_seeds().empty());
    CHECK_FALSE(s.has_active());
    CHECK_FALSE(r.validated);
    CHECK(r.why == "no trusted key is left for .: every one was revoked");
    CHECK(r.anchors_changed);
  }
}

TEST_CASE("rfc5011: an RRset no trusted key signed changes nothing (a forged new key)") {
  const Key k1(1, kKsk), forged(9, kKsk);
  auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
  auto seen = dnskey_rrset({&k1}, {&k1}, kT0);
  s.observe(&seen, kT0);
  auto attack = dnskey_rrset({&k1, &forged}, {&forged}, kT0 + kDay);
  const RefreshResult r = s.observe(&attack, kT0 + kDay);
  CHECK_FALSE(r.validated);
  CHECK_FALSE(r.why.empty());
  CHECK_FALSE(state_of(s, forged));
  CHECK(r.next_refresh == kT0 + kDay + 17280);  // retryTime: 1/10 of the last TTL
  // Even 40 days of such RRsets never make it trusted.
  auto later = dnskey_rrset({&k1, &forged}, {&forged}, kT0 + 41 * kDay);
  s.observe(&later, kT0 + 41 * kDay);
  CHECK_FALSE(trusts(s, forged));
  // An expired signature by the trusted key does not count either.
  RRset expired{Name::root(), RRType::DNSKEY, RRClass::IN, kTtl, Section::Answer, {}, {}};
  expired.rdatas = {k1.dnskey(), forged.dnskey()};
  expired.rrsigs = {k1.sign(expired.rdatas, kT0, kT0 + kDay)};
  CHECK_FALSE(s.observe(&expired, kT0 + 50 * kDay).validated);
  CHECK_FALSE(s.observe(nullptr, kT0 + 50 * kDay).validated);
}

TEST_CASE("rfc5011: a trusted key absent from the RRset is Missing and still trusted") {
  const Key k1(1, kKsk), k2(3, kKsk);
  TrustAnchorState s =
      TrustAnchorState::seeded(TrustAnchor{Name::root(), {}, {k1.dnskey(), k2.dnskey()}}, kT0);
  auto only_k1 = dnskey_rrset({&k1}, {&k1}, kT0);
  RefreshResult r = s.observe(&only_k1, kT0);
  CHECK(state_of(s, k2) == KeyState::Missing);
  CHECK(trusts(s, k2));
  CHECK_FALSE(r.anchors_changed);
  auto back = dnskey_rrset({&k1, &k2}, {&k2}, kT0 + kDay);
  r = s.observe(&back, kT0 + kDay);
  CHECK(r.validated);
  CHECK(state_of(s, k2) == KeyState::Valid);
}

TEST_CASE("rfc5011: an older DNSKEY RRset replayed changes no state (RRSIG inception)") {
  const Key k1(1, kKsk), k2(3, kKsk);
  auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
  const RRset old_set = dnskey_rrset({&k1}, {&k1}, kT0);  // still within its validity
  REQUIRE(s.observe(&old_set, kT0).validated);
  const RRset both = dnskey_rrset({&k1, &k2}, {&k1}, kT0 + kDay);
  REQUIRE(s.observe(&both, kT0 + kDay).validated);
  REQUIRE(state_of(s, k2) == KeyState::AddPend);
  // The old RRset again (an attacker's replay): k2 would leave AddPend for Start.
  RefreshResult r = s.observe(&old_set, kT0 + 2 * kDay);
  CHECK_FALSE(r.validated);
  CHECK(r.why.find("older than that of the last one accepted") != std::string::npos);
  CHECK(r.changes.empty());
  CHECK(state_of(s, k2) == KeyState::AddPend);
  // The same RRset as last time (active refresh between re-signings) still counts.
  CHECK(s.observe(&both, kT0 + 3 * kDay).validated);
  // The state file keeps the last inception: after a restart the replay is still ignored.
  auto back = TrustAnchorState::parse(s.to_text(), "root.state");
  REQUIRE(back.has_value());
  CHECK(back->to_text() == s.to_text());
  CHECK_FALSE(back->observe(&old_set, kT0 + 4 * kDay).validated);
  CHECK(state_of(*back, k2) == KeyState::AddPend);
}

TEST_CASE("rfc5011: an older RRset without a trusted key, replayed, does not make it Missing") {
  const Key k1(1, kKsk), k2(3, kKsk);
  TrustAnchorState s =
      TrustAnchorState::seeded(TrustAnchor{Name::root(), {}, {k1.dnskey(), k2.dnskey()}}, kT0);
  const RRset only_k1 = dnskey_rrset({&k1}, {&k1}, kT0);
  s.observe(&only_k1, kT0);
  REQUIRE(state_of(s, k2) == KeyState::Missing);
  const RRset back = dnskey_rrset({&k1, &k2}, {&k1}, kT0 + kDay);
  s.observe(&back, kT0 + kDay);
  REQUIRE(state_of(s, k2) == KeyState::Valid);
  CHECK_FALSE(s.observe(&only_k1, kT0 + 2 * kDay).validated);
  CHECK(state_of(s, k2) == KeyState::Valid);
}

TEST_CASE("rfc5011: the state file text reads back to the same state") {
  Key k1(1, kKsk);
  const Key k2(3, kKsk), k3(4, kKsk), other(5, kKsk);
  TrustAnchorState s =
      TrustAnchorState::seeded(TrustAnchor{Name::root(), {other.ds()}, {k1.dnskey()}}, kT0);
  auto set = dnskey_rrset({&k1, &k2}, {&k1}, kT0);
  s.observe(&set, kT0);
  auto later = dnskey_rrset({&k1, &k2, &k3}, {&k1}, kT0 + 31 * kDay);
  s.observe(&later, kT0 + 31 * kDay);
  k1.set_flags(kRevokedKsk);
  auto rev = dnskey_rrset({&k1, &k2, &k3}, {&k1, &k2}, kT0 + 32 * kDay);
  s.observe(&rev, kT0 + 32 * kDay);
  const std::string text = s.to_text();
  CAPTURE(text);
  CHECK(text.find(". SEED - DS " + std::to_string(other.tag()) + " 15 2 ") != std::string::npos);
  CHECK(text.find(". VALID 2027-02-15T08:00:00Z DNSKEY 257 3 15 ") != std::string::npos);
  CHECK(text.find(". REVOKED 2027-02-16T08:00:00Z DNSKEY 385 3 15 ") != std::string::npos);
  CHECK(text.find(". ADDPEND 2027-02-15T08:00:00Z DNSKEY 257 3 15 ") != std::string::npos);
  auto back = TrustAnchorState::parse(text, "root.state");
  REQUIRE(back.has_value());
  CHECK(back->to_text() == text);
  CHECK(back->ds_seeds() == s.ds_seeds());
  REQUIRE(back->keys().size() == s.keys().size());
  for (size_t i = 0; i < s.keys().size(); ++i) {
    CHECK(back->keys()[i].dnskey == s.keys()[i].dnskey);
    CHECK(back->keys()[i].state == s.keys()[i].state);
    CHECK(back->keys()[i].since == s.keys()[i].since);
  }
}

TEST_CASE("rfc5011: a damaged state file is an error naming the file and line") {
  const auto error = [](std::string_view text) {
    auto r = TrustAnchorState::parse(text, "root.state");
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  CHECK(error("; only a comment\n") == "root.state: holds no trust anchor");
  CHECK(error("; c\n. VALID\n") == "root.state:2: expected ZONE STATE SINCE RECORD");
  CHECK(error(". VALID 2027-01-01T00:00:00Z DNSKEY 257 3 15 AAAA\n. BOGUS - DS 1 15 2 00\n")
            .starts_with("root.state:2: unknown state \"BOGUS\""));
  CHECK(error(". VALID 2027-13-01T00:00:00Z DNSKEY 257 3 15 AAAA\n") ==
        "root.state:1: bad time \"2027-13-01T00:00:00Z\" (expected YYYY-MM-DDTHH:MM:SSZ)");
  CHECK(error(". VALID 2027-01-01T00:00:00Z DNSKEY 257 3 15 !!!!\n").starts_with("root.state:1: "));
  CHECK(error(". SEED - DNSKEY 257 3 15 AAAA\n") == "root.state:1: a SEED is a DS record");
  CHECK(error(". INCEPTION 2027-13-01T00:00:00Z\n") ==
        "root.state:1: bad time \"2027-13-01T00:00:00Z\" (expected YYYY-MM-DDTHH:MM:SSZ)");
  CHECK(error(". INCEPTION 2027-01-01T00:00:00Z DNSKEY 257 3 15 AAAA\n") ==
        "root.state:1: expected ZONE INCEPTION TIME");
  CHECK(error(". VALID 2027-01-01T00:00:00Z DNSKEY 257 3 15 AAAA\nexample. VALID "
              "2027-01-01T00:00:00Z DNSKEY 257 3 15 AAAA\n")
            .starts_with("root.state:2: zone example. differs"));
}

TEST_CASE("rfc5011: retry time after no reply is 1 hour, or a tenth of the last TTL") {
  const Key k1(1, kKsk);
  auto s = TrustAnchorState::seeded(ds_anchor(k1), kT0);
  CHECK(s.retry_time(kT0) == kT0 + 3600);
  auto set = dnskey_rrset({&k1}, {&k1}, kT0);
  s.observe(&set, kT0);
  CHECK(s.retry_time(kT0) == kT0 + kTtl / 10);
}

}  // namespace
}  // namespace dnsp::resolver
