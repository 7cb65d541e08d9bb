// resolver/explain/explain.h: the report built from constructed evidence and verdicts, its cause
// lines, the EDE the daemon would attach, exit codes, text rendering (with and without
// colour) and JSON that parses and validates against docs/explain-schema.json.
#include "resolver/explain/explain.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "resolver/verify/canonical.h"
#include "resolver/wire/message_builder.h"
#include "tests/json_lite.h"
#include "tests/resolver/explain/trace_helpers.h"

using namespace dnsp::resolver;
using namespace dnsp::test::explain;
namespace json = dnsp::test::json;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json::Value schema() {
  std::ifstream f(std::string(DNSSEC_PROXY_SOURCE_DIR) + "/docs/explain-schema.json");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string err;
  auto v = json::parse(ss.str(), &err);
  REQUIRE_MESSAGE(v, "docs/explain-schema.json does not parse: " << err);
  return *v;
}

// The JSON rendering parses, validates against the schema and agrees with the report.
void check_json(const Report& r) {
  const std::string text = render_json(r);
  std::string err;
  auto v = json::parse(text, &err);
  REQUIRE_MESSAGE(v, "render_json output does not parse: " << err << "\n" << text);
  const json::Value s = schema();
  const auto problems = json::SchemaChecker(s).check(*v);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  CHECK_MESSAGE(problems.empty(), all << text);
  CHECK((*v)["verdict"]["security"].str() == std::string(to_string(r.verdict.security)));
  CHECK((*v)["exit_code"].num() == r.exit_code);
  CHECK((*v)["zones"].arr().size() == r.zones.size());
  if (r.ede) {
    CHECK((*v)["ede"]["code"].num() == static_cast<int>(r.ede->code));
  } else {
    CHECK((*v)["ede"].is_null());
  }
}

}  // namespace

TEST_CASE("explain: a secure chain shows every zone from the anchor down and no cause") {
  ValidationTrace t;
  ZoneTrace ex;  // added first: the report sorts parents first
  ex.zone = N("example.");
  ex.ds_source = DsSource::Parent;
  const auto ksk = dnskey(257, 7);
  const auto zsk = dnskey(256, 8);
  ex.ds_rdatas = {ds(key_tag(ksk), 15, 2), ds(key_tag(ksk), 15, 1)};
  ex.ds = rrset(N("example."), RRType::DS, ex.ds_rdatas,
                {rrsig(RRType::DS, 4242, Name::root(), kNow - kDay, kNow + 10 * kDay)},
                Name::root(), Security::Secure, Reason::None, "", 4242);
  ex.dnskeys =
      rrset(N("example."), RRType::DNSKEY, {ksk, zsk},
            {rrsig(RRType::DNSKEY, key_tag(ksk), N("example."), kNow - kDay, kNow + 5 * kDay)},
            N("example."), Security::Secure, Reason::None, "", key_tag(ksk));
  ex.matches = {DsKeyMatch{key_tag(ksk), 15, 2, key_tag(ksk), false}};
  ex.verdict = Verdict{Security::Secure, Reason::None, N("example."), ""};
  t.zones.push_back(ex);
  t.zones.push_back(secure_root());
  t.answer.push_back(
      rrset(N("www.example."), RRType::A, {{192, 0, 2, 1}},
            {rrsig(RRType::A, key_tag(zsk), N("example."), kNow - kDay, kNow + 3 * kDay)},
            N("example."), Security::Secure, Reason::None, "", key_tag(zsk)));
  const Report r =
      build_report(input(t, Verdict{Security::Secure, Reason::None, N("www.example."), ""}));
  CHECK(r.exit_code == kExplainSecure);
  CHECK(r.cause.empty());
  CHECK(r.next_step.empty());
  CHECK_FALSE(r.ede);
  REQUIRE(r.zones.size() == 2);
  CHECK(r.zones[0].zone.is_root());
  const ZoneView& z = r.zones[1];
  REQUIRE(z.ds.size() == 2);
  CHECK(z.ds[0].usable);
  CHECK(z.ds[0].matches_key == key_tag(ksk));
  CHECK_FALSE(z.ds[1].usable);  // SHA-1 beside SHA-256 (RFC 4509 §3)
  REQUIRE(z.keys.size() == 2);
  CHECK(z.keys[0].role() == "KSK");
  CHECK(z.keys[0].bits == 256);
  CHECK(z.keys[0].trusted);
  CHECK(z.keys[0].signs_dnskey);
  CHECK(z.keys[1].role() == "ZSK");
  CHECK_FALSE(z.keys[1].signs_dnskey);
  REQUIRE(z.dnskey_rrsigs.size() == 1);
  CHECK(z.dnskey_rrsigs[0].verified);
  CHECK(z.dnskey_rrsigs[0].expiration == kNow + 5 * kDay);

  const std::string text = render_text(r, Color::Off);
  CHECK(contains(text, "zone .  secure  (trust anchor)"));
  CHECK(contains(text, "zone example.  secure  (DS at .)"));
  CHECK(contains(text, "-> matches key " + std::to_string(key_tag(ksk))));
  CHECK(contains(text, "ignored: SHA-1 ignored beside SHA-256"));
  CHECK(contains(text, "flags 257 KSK ED25519 256 bits  [DS match, signs the DNSKEY RRset]"));
  CHECK(contains(text, "5 days left  verified"));
  CHECK(contains(text, "www.example. 300 A 192.0.2.1  secure"));
  CHECK(contains(text, "verdict  secure"));
  CHECK_FALSE(contains(text, "cause"));
  CHECK_FALSE(contains(text, "\033["));
  CHECK(contains(render_text(r, Color::On), "\033[1;32msecure\033[0m"));
  check_json(r);
}

TEST_CASE("explain: a DS naming a key the zone does not publish: update the DS at the registrar") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ZoneTrace ex;
  ex.zone = N("example.com.");
  ex.ds_source = DsSource::Parent;
  ex.ds_rdatas = {ds(2371, 13, 2)};
  ex.ds = rrset(ex.zone, RRType::DS, ex.ds_rdatas, {}, Name::root(), Security::Secure);
  const auto ksk = dnskey(257, 40);
  const auto zsk = dnskey(256, 41);
  ex.dnskeys = rrset(ex.zone, RRType::DNSKEY, {ksk, zsk}, {}, ex.zone, Security::Indeterminate);
  ex.verdict = Verdict{Security::Bogus, Reason::NoDnskeyMatchesDs, ex.zone, "DS 2371/13/2 ..."};
  t.zones.push_back(ex);
  const Report r = build_report(input(t, ex.verdict, "www.example.com."));
  CHECK(r.exit_code == kExplainBogus);
  REQUIRE(r.ede);
  CHECK(r.ede->code == EdeCode::DnskeyMissing);
  CHECK(r.ede->text == "example.com.: DS 2371/13/2 ...");
  const uint16_t low = std::min(key_tag(ksk), key_tag(zsk));
  const uint16_t high = std::max(key_tag(ksk), key_tag(zsk));
  CHECK(r.cause ==
        "DS at . names key 2371 (ECDSAP256SHA256) but example.com. publishes only keys " +
            std::to_string(low) + " and " + std::to_string(high) +
            ": the DS at the registrar was not updated after a key or provider change.");
  // The upstream may rotate the DNSKEY records (rrset-roundrobin): the same sentence.
  ValidationTrace rotated = t;
  rotated.zones[1].dnskeys->rdatas = {zsk, ksk};
  CHECK(build_report(input(rotated, ex.verdict, "www.example.com.")).cause == r.cause);
  CHECK(r.next_step == "Publish the DS of the current KSK (key " + std::to_string(key_tag(ksk)) +
                           ") at the registrar, or remove the old one.");
  const std::string text = render_text(r, Color::Off);
  CHECK(contains(text, "DS     tag 2371 ECDSAP256SHA256 SHA-256  -> matches no DNSKEY"));
  CHECK(contains(text, "EDE      9 (DNSKEY Missing): example.com.: DS 2371/13/2 ..."));
  CHECK(contains(text, "cause    DS at . names key 2371"));
  check_json(r);
}

TEST_CASE("explain: an expired RRSIG says how long ago and that the zone is not re-signed") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  const Name zone = N("example.");
  t.answer.push_back(rrset(N("www.example."), RRType::A, {{192, 0, 2, 1}},
                           {rrsig(RRType::A, 1234, zone, kNow - 33 * kDay, kNow - 3 * kDay)}, zone,
                           Security::Bogus, Reason::SignatureExpired, "RRSIG over ... expired"));
  const Verdict v{Security::Bogus, Reason::SignatureExpired, zone, "RRSIG over ... expired"};
  const Report r = build_report(input(t, v));
  CHECK(r.cause == "The RRSIG over www.example. A expired 3 days ago (" +
                       format_utc(kNow - 3 * kDay) + "): the zone is no longer being re-signed.");
  CHECK(contains(r.next_step, "Re-sign example. and check that its signer runs"));
  CHECK(r.ede->code == EdeCode::SignatureExpired);
  CHECK(contains(render_text(r, Color::Off), "expired 3 days ago"));
  check_json(r);
}

TEST_CASE("explain: a not-yet-valid RRSIG names its inception and the clocks to check") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ZoneTrace ex;
  ex.zone = N("future.");
  ex.dnskeys = rrset(ex.zone, RRType::DNSKEY, {dnskey(257, 3)},
                     {rrsig(RRType::DNSKEY, 99, ex.zone, kNow + 10 * kDay, kNow + 40 * kDay)},
                     ex.zone, Security::Bogus, Reason::SignatureNotYetValid, "not valid before");
  ex.verdict = Verdict{Security::Bogus, Reason::SignatureNotYetValid, ex.zone, "not valid before"};
  t.zones.push_back(ex);
  const Report r = build_report(input(t, ex.verdict, "www.future."));
  CHECK(r.cause == "The RRSIG over the DNSKEY RRset of future. is not valid until " +
                       format_utc(kNow + 10 * kDay) +
                       " (in 10 days): it was made with an inception date in the future.");
  CHECK(contains(r.next_step, "Check the clock of the signer of future. and of this machine"));
  CHECK(r.ede->code == EdeCode::SignatureNotYetValid);
  check_json(r);
}

TEST_CASE("explain: bad signature, missing RRSIG, missing NSEC and unsigned DNSKEY RRset") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  const Name zone = N("example.");
  SUBCASE("bad signature") {
    const Verdict v{Security::Bogus, Reason::SignatureInvalid, zone,
                    "RRSIG over www.example. A by key 5 (ED25519) does not verify"};
    const Report r = build_report(input(t, v));
    CHECK(r.cause ==
          "The RRSIG over www.example. A by key 5 (ED25519) does not verify: the data or the "
          "signature was changed after signing.");
    CHECK(contains(r.next_step, "Re-sign example. If its servers answer"));
    CHECK(r.ede->code == EdeCode::DnssecBogus);
  }
  SUBCASE("missing RRSIG") {
    t.answer.push_back(rrset(N("www.example."), RRType::A, {{192, 0, 2, 1}}, {}, zone,
                             Security::Bogus, Reason::RrsigsMissing, "no RRSIG"));
    const Verdict v{Security::Bogus, Reason::RrsigsMissing, zone, "no RRSIG"};
    const Report r = build_report(input(t, v));
    CHECK(contains(r.cause, "www.example. A comes without an RRSIG although example. is signed"));
    CHECK(r.ede->code == EdeCode::RrsigsMissing);
  }
  SUBCASE("unsigned DNSKEY RRset") {
    ZoneTrace ex;
    ex.zone = zone;
    ex.ds_rdatas = {ds(77, 15, 2)};
    ex.dnskeys = rrset(zone, RRType::DNSKEY, {dnskey(257, 9)}, {}, zone, Security::Bogus,
                       Reason::RrsigsMissing);
    ex.verdict = Verdict{Security::Bogus, Reason::RrsigsMissing, zone, "came back without RRSIGs"};
    t.zones.push_back(ex);
    const Report r = build_report(input(t, ex.verdict));
    CHECK(
        r.cause ==
        "The DNSKEY RRset of example. comes without RRSIGs: nothing vouches for the zone's keys.");
    CHECK(r.next_step ==
          "Re-sign example. so that the KSK the DS names (key 77) signs the DNSKEY RRset.");
  }
  SUBCASE("NSEC missing") {
    const Verdict v{Security::Bogus, Reason::NsecMissing, zone,
                    "NXDOMAIN for nx.example. A comes without NSEC/NSEC3"};
    const Report r = build_report(input(t, v, "nx.example."));
    CHECK(contains(r.cause,
                   "A denial of existence comes without its proof: NXDOMAIN for nx.example."));
    CHECK(r.ede->code == EdeCode::NsecMissing);
  }
}

TEST_CASE("explain: an upstream that strips RRSIGs from the root DNSKEY is named") {
  ValidationTrace t;
  ZoneTrace root;
  root.zone = Name::root();
  root.ds_source = DsSource::TrustAnchor;
  root.dnskeys = rrset(Name::root(), RRType::DNSKEY, {dnskey(257, 1)}, {}, Name::root(),
                       Security::Bogus, Reason::UpstreamStripsDnssec);
  root.verdict = Verdict{Security::Bogus, Reason::UpstreamStripsDnssec, Name::root(),
                         "the upstream returned the DNSKEY RRset of . without RRSIGs: it strips "
                         "DNSSEC records"};
  t.zones.push_back(root);
  const Report r = build_report(input(t, root.verdict));
  CHECK(r.cause ==
        "Upstream 10.0.0.1:53 returned no RRSIG for the root DNSKEY: it strips DNSSEC records, so "
        "nothing can be validated through it.");
  REQUIRE(r.ede);
  CHECK(r.ede->code == EdeCode::RrsigsMissing);
  CHECK(r.ede->text.starts_with("upstream 10.0.0.1:53 returns no DNSSEC records (.: "));
  check_json(r);
}

TEST_CASE("explain: an unsigned zone proven by NSEC3 is insecure, not bogus") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ZoneTrace net;
  net.zone = N("net.");
  net.verdict = Verdict{Security::Secure, Reason::None, net.zone, ""};
  t.zones.push_back(net);
  ZoneTrace ex;
  ex.zone = N("example.net.");
  DenialTrace d;
  d.purpose = DenialPurpose::NoDs;
  d.qname = ex.zone;
  d.qtype = RRType::DS;
  d.zone = N("net.");
  d.kind = DenialKind::NoDs;
  d.detail = "NSEC3 ... matches example.net. and lists NS without DS: insecure delegation";
  std::vector<uint8_t> nsec3 = {1, 0, 0, 0, 0, 20};  // SHA-1, no flags, 0 iterations, no salt
  for (int i = 0; i < 20; ++i) nsec3.push_back(static_cast<uint8_t>(i));
  for (uint8_t b : {0, 1, 0x20}) nsec3.push_back(b);  // window 0: NS
  d.records.push_back(
      rrset(N("abc.net."), RRType::NSEC3, {nsec3}, {}, N("net."), Security::Secure));
  ex.no_ds = d;
  ex.verdict = Verdict{Security::Insecure, Reason::UnsignedDelegation, ex.zone, "unsigned"};
  t.zones.push_back(ex);
  const Report r = build_report(input(t, ex.verdict, "www.example.net."));
  CHECK(r.exit_code == kExplainInsecure);
  CHECK(r.cause ==
        "example.net. is unsigned: net. proves with NSEC3 that there is no DS. Answers are "
        "insecure, not bogus.");
  CHECK_FALSE(r.ede);
  REQUIRE(r.zones.back().no_ds);
  REQUIRE(r.zones.back().no_ds->records.size() == 1);
  CHECK(r.zones.back().no_ds->records[0].types == std::vector<std::string>{"NS"});
  CHECK(r.zones.back().no_ds->records[0].salt == "-");
  const std::string text = render_text(r, Color::Off);
  CHECK(contains(text, "zone example.net.  insecure  (no DS at net.)"));
  CHECK(contains(text, "NSEC3  abc.net. -> "));
  CHECK(contains(text, "  [NS]  iterations 0 salt -"));
  check_json(r);
}

TEST_CASE("explain: unsupported algorithm, digest and NSEC3 iterations carry their EDE") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ZoneTrace ex;
  ex.zone = N("example.");
  ex.ds_source = DsSource::Parent;
  SUBCASE("algorithm") {
    ex.ds_rdatas = {ds(5, 253, 2)};
    ex.verdict =
        Verdict{Security::Insecure, Reason::UnsupportedAlgorithm, ex.zone, "only PRIVATEDNS"};
    t.zones.push_back(ex);
    const Report r = build_report(input(t, ex.verdict));
    CHECK(contains(r.cause,
                   "names only algorithm PRIVATEDNS (253), which this validator does not "
                   "implement: example. is treated as unsigned"));
    CHECK(contains(r.cause, "Answers are insecure, not bogus."));
    CHECK(r.ede->code == EdeCode::UnsupportedDnskeyAlgorithm);
    CHECK(r.exit_code == kExplainInsecure);
  }
  SUBCASE("digest") {
    ex.ds_rdatas = {ds(5, 13, 200)};
    ex.verdict = Verdict{Security::Insecure, Reason::UnsupportedDigest, ex.zone, "digest"};
    t.zones.push_back(ex);
    const Report r = build_report(input(t, ex.verdict));
    CHECK(contains(r.cause, "uses only digest type 200 (DIGEST200)"));
    CHECK(r.next_step == "Publish a SHA-256 DS (digest type 2) for example. at the registrar.");
    CHECK(r.ede->code == EdeCode::UnsupportedDsDigestType);
  }
  SUBCASE("NSEC3 iterations") {
    t.zones.push_back(ex);
    DenialTrace d;
    d.qname = N("nx.example.");
    d.zone = ex.zone;
    d.kind = DenialKind::UnsupportedIterations;
    std::vector<uint8_t> nsec3 = {1, 0, 0, 200, 0, 20};
    for (int i = 0; i < 20; ++i) nsec3.push_back(0);
    d.records.push_back(
        rrset(N("x.example."), RRType::NSEC3, {nsec3}, {}, ex.zone, Security::Secure));
    t.denials.push_back(d);
    const Verdict v{Security::Insecure, Reason::Nsec3IterationsTooHigh, ex.zone, "200 > 150"};
    const Report r = build_report(input(t, v, "nx.example."));
    CHECK(r.cause ==
          "example. uses NSEC3 with 200 iterations, more than the 150 this validator accepts "
          "(RFC 9276 §3.2): its denials are insecure, not bogus.");
    CHECK(r.ede->code == EdeCode::UnsupportedNsec3Iterations);
    check_json(r);
  }
}

TEST_CASE("explain: no upstream answer is exit 3 with the daemon's EDE 22 or 23") {
  ExplainInput in;
  in.question = Question{N("www.example."), RRType::AAAA, RRClass::IN};
  in.now = kNow;
  in.upstreams = "10.0.0.1:53";
  in.failure = FetchFailure::Timeout;
  in.failed_query = "DS example.";
  in.dig_server = "@10.0.0.1";
  Report r = build_report(in);
  CHECK(r.exit_code == kExplainUnresolved);
  CHECK(r.verdict.security == Security::Indeterminate);
  REQUIRE(r.ede);
  CHECK(r.ede->code == EdeCode::NoReachableAuthority);
  CHECK(r.ede->text == "no answer from upstream 10.0.0.1:53");
  CHECK(r.cause == "Upstream 10.0.0.1:53 did not answer in time; no answer to DS example.");
  CHECK(r.next_step ==
        "Check that the upstream is reachable and answers: dig @10.0.0.1 +dnssec +cd www.example. "
        "AAAA.");
  check_json(r);
  in.failure = FetchFailure::Unreachable;
  r = build_report(in);
  CHECK(r.ede->code == EdeCode::NetworkError);
  CHECK(r.ede->text == "upstream 10.0.0.1:53 unreachable");
  CHECK(r.exit_code == kExplainUnresolved);
  const std::string text = render_text(r, Color::Off);
  CHECK(contains(text, "answer  (no answer)"));
  CHECK(contains(text, "verdict  indeterminate"));
}

TEST_CASE("explain: under a negative trust anchor the verdict is insecure, with what it hides") {
  // The upstream's answer: only its presence matters (the daemon forwards it unvalidated).
  MessageBuilder b;
  b.set_header(1, flag::kQR | flag::kRD | flag::kRA);
  (void)b.add_question(N("www.broken.example."), RRType::A, RRClass::IN);
  const std::vector<uint8_t> packet = b.finish();
  auto answer = Message::parse(packet);
  REQUIRE(answer);
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ExplainInput in = input(t,
                          Verdict{Security::Bogus, Reason::SignatureExpired, N("broken.example."),
                                  "RRSIG over broken.example. DNSKEY expired"},
                          "www.broken.example.");
  in.answer = &*answer;
  in.negative_anchor = N("broken.example.");
  Report r = build_report(in);
  CHECK(r.exit_code == kExplainInsecure);
  CHECK(r.verdict.security == Security::Insecure);
  CHECK(r.verdict.reason == Reason::NegativeTrustAnchor);
  CHECK(r.verdict.zone == N("broken.example."));
  CHECK_FALSE(r.ede);  // the daemon attaches none to an insecure answer
  CHECK(contains(r.cause,
                 "www.broken.example. is at or below the negative trust anchor broken.example. "
                 "([dnssec] negative_trust_anchors, RFC 7646): the proxy does not validate it"));
  CHECK(contains(r.cause,
                 "Without it the answer would be bogus: broken.example.: RRSIG over "
                 "broken.example. DNSKEY expired."));
  CHECK(contains(r.next_step, "Remove broken.example. from [dnssec] negative_trust_anchors once"));
  const std::string text = render_text(r, Color::Off);
  CHECK(contains(text, "zone .  secure  (trust anchor)"));  // the chain is still shown
  CHECK(contains(text, "verdict  insecure"));
  check_json(r);
  auto v = json::parse(render_json(r));
  REQUIRE(v);
  CHECK((*v)["verdict"]["reason"].str() == "negative_trust_anchor");
  CHECK((*v)["verdict_without_negative_anchor"]["security"].str() == "bogus");

  // Fixed since: the anchor can go.
  in.verdict = Verdict{Security::Secure, Reason::None, N("broken.example."), ""};
  r = build_report(in);
  CHECK(r.exit_code == kExplainInsecure);
  CHECK(contains(r.cause, "Without it the answer validates as secure now."));
  CHECK(contains(r.next_step, "it is no longer needed"));
  check_json(r);

  // No answer at all: could not resolve, as the daemon's SERVFAIL.
  in.answer = nullptr;
  in.verdict.reset();
  in.failure = FetchFailure::Timeout;
  r = build_report(in);
  CHECK(r.exit_code == kExplainUnresolved);
}

TEST_CASE("explain: split DNS: insecure by the forward zone's policy or as a private zone") {
  MessageBuilder b;
  b.set_header(1, flag::kQR | flag::kRD | flag::kRA);
  (void)b.add_question(N("www.corp.example."), RRType::A, RRClass::IN);
  const std::vector<uint8_t> packet = b.finish();
  auto answer = Message::parse(packet);
  REQUIRE(answer);
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ExplainInput in = input(t,
                          Verdict{Security::Bogus, Reason::NsecMissing, N("example."),
                                  "no proof that corp.example. has no DS"},
                          "www.corp.example.");
  in.answer = &*answer;
  in.upstreams = "10.8.0.1:53";
  in.negative_anchor = N("corp.example.");
  in.insecure_what = "the insecure forward zone";
  in.insecure_setting = "([[forward]] dnssec = \"insecure\")";
  in.forward = ExplainForward{N("corp.example."), ForwardPolicy::Insecure};
  Report r = build_report(in);
  CHECK(r.exit_code == kExplainInsecure);
  CHECK(contains(r.cause,
                 "www.corp.example. is in the forward zone corp.example. (dnssec = \"insecure\"), "
                 "answered by 10.8.0.1:53: by that [[forward]] policy the proxy does not "
                 "validate it"));
  CHECK(contains(r.next_step, "set dnssec = \"validate\" in its [[forward]] table"));
  CHECK(contains(render_text(r, Color::Off),
                 "upstream 10.8.0.1:53 for the forward zone corp.example. (dnssec = "
                 "\"insecure\")"));
  check_json(r);

  in.forward.reset();
  in.negative_anchor = N("example.");
  in.insecure_what = "the private zone";
  in.insecure_setting = "([dnssec] private_zones)";
  r = build_report(in);
  CHECK(contains(r.cause,
                 "www.corp.example. is at or below the private zone example. ([dnssec] "
                 "private_zones): the proxy does not validate it"));
  CHECK(contains(r.next_step, "take it out of [dnssec] private_zones."));
}

TEST_CASE("explain: split DNS: a validated forward zone the chain does not reach is named") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  const Verdict denied{Security::Bogus, Reason::RrsigsMissing, N("test."),
                       "no RRSIG over www.corp.test. A although test. is signed"};
  ExplainInput in = input(t, denied, "www.corp.test.");
  in.upstreams = "10.0.0.53:53";
  in.forward = ExplainForward{N("corp.test."), ForwardPolicy::Validate};
  Report r = build_report(in);
  CHECK(r.exit_code == kExplainBogus);
  CHECK(contains(r.cause,
                 "www.corp.test. is in the forward zone corp.test. (dnssec = \"validate\"), "
                 "answered by 10.0.0.53:53, but corp.test. is a [[forward]] zone validated from "
                 "the chain above it, which does not lead to it securely"));
  CHECK(r.next_step ==
        "Set dnssec = \"insecure\" in the [[forward]] table of corp.test. (answers then pass "
        "with AD clear), or add the trust anchor of corp.test. to trust_anchor_file so that it "
        "is validated from there.");
  // The daemon's EDE text says the same (resolver/verify/verdict.h).
  CHECK(contains(*forward_unproven_note(denied, N("corp.test.")),
                 "set dnssec = \"insecure\" for it"));
  // Bogus inside the zone itself: its own data is broken, not the chain above.
  CHECK_FALSE(forward_unproven_note(
      Verdict{Security::Bogus, Reason::SignatureExpired, N("corp.test."), ""}, N("corp.test.")));
  in.verdict = Verdict{Security::Bogus, Reason::SignatureExpired, N("corp.test."), "expired"};
  r = build_report(in);
  CHECK_FALSE(contains(r.cause, "[[forward]]"));
}

TEST_CASE("explain: format_duration and the JSON writer's escaping") {
  CHECK(format_duration(40) == "40 seconds");
  CHECK(format_duration(1) == "1 second");
  CHECK(format_duration(300) == "5 minutes");
  CHECK(format_duration(3 * 3600) == "3 hours");
  CHECK(format_duration(3 * kDay + 100) == "3 days");
  CHECK(format_duration(-2 * kDay) == "2 days");

  ValidationTrace t;
  const Verdict v{Security::Bogus, Reason::MalformedData, N("example."), "a \"quoted\"\\ \ttab"};
  const Report r = build_report(input(t, v));
  auto parsed = json::parse(render_json(r));
  REQUIRE(parsed);
  CHECK((*parsed)["verdict"]["detail"].str() == "a \"quoted\"\\ \ttab");
  check_json(r);
  // The checker does reject what the schema forbids.
  auto broken = json::parse(R"({"schema_version": 2, "extra": true})");
  REQUIRE(broken);
  const json::Value s = schema();
  const auto problems = json::SchemaChecker(s).check(*broken);
  CHECK(problems.size() > 3);
}

TEST_CASE("explain: the daemon's probe findings are shown, and named in a failure's cause") {
  ValidationTrace t;
  t.zones.push_back(secure_root());
  ExplainInput in = input(t, Verdict{Security::Bogus, Reason::RrsigsMissing, N("example."),
                                     "no RRSIG over www.example. A"});
  in.probes = {{"10.0.0.1:53", "strips-dnssec", "answered . DNSKEY over UDP without its RRSIG"},
               {"10.0.0.2:53", "ok", ". DNSKEY signed over UDP and TCP"}};
  Report r = build_report(in);
  CHECK(contains(r.cause,
                 "The proxy's probes found: upstream 10.0.0.1:53 is strips-dnssec "
                 "(answered . DNSKEY over UDP without its RRSIG)."));
  CHECK_FALSE(contains(r.cause, "10.0.0.2:53"));  // an ok server is not a cause
  const std::string text = render_text(r, Color::Off);
  CHECK(contains(text, "probe    10.0.0.1:53 strips-dnssec: answered . DNSKEY over UDP without"));
  CHECK(contains(text, "probe    10.0.0.2:53 ok: . DNSKEY signed over UDP and TCP\n"));
  const std::string html = render_html(r);
  CHECK(contains(html, "<dd id=\"upstream-probes\"><ul>"));
  CHECK(contains(html, "<li><code>10.0.0.1:53</code> <span class=\"probe strips-dnssec\">"));
  check_json(r);
  auto v = json::parse(render_json(r));
  REQUIRE(v);
  const auto& probes = (*v)["upstream_probes"].arr();
  REQUIRE(probes.size() == 2);
  CHECK(probes[0]["state"].str() == "strips-dnssec");
  CHECK(probes[1]["server"].str() == "10.0.0.2:53");

  // A secure answer: the findings are shown, but they are no cause of anything.
  in.verdict = Verdict{Security::Secure, Reason::None, N("www.example."), ""};
  r = build_report(in);
  CHECK(r.cause.empty());
  CHECK(contains(render_text(r, Color::Off), "probe    10.0.0.1:53 strips-dnssec"));
  // Without a daemon there are none: no line, an empty list.
  in.probes.clear();
  r = build_report(in);
  CHECK_FALSE(contains(render_text(r, Color::Off), "probe "));
  CHECK_FALSE(contains(render_html(r), "upstream-probes"));
  check_json(r);
}
