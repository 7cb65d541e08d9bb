// A DNAME towards the root, end to end (issue 14, item 6; RFC 6672 §2.2, §3): a mock upstream
// that hands the proxy the whole chain, as a forwarding resolver does, serving a private root
// signed at test time (Ed25519, tests/resolver/test_signer.h) under its own trust anchor.
// `x. DNAME .` rewrites a.x.x. to a.x. to a.; a CNAME from a. back to a.x. makes a loop.
#include <doctest/doctest.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/name.h"
#include "tests/resolver/test_signer.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

using Bytes = std::vector<uint8_t>;

Name N(const std::string& text) { return *Name::from_text(text); }
Bytes wire(const Name& n) { return Bytes(n.wire().begin(), n.wire().end()); }

// The private root: its keys, and records signed with them as the mock serves them.
struct SignedRoot {
  Name root = Name::root();
  test::TestKey ksk{root, test::kKskFlags, 0x71};
  test::TestKey zsk{root, test::kZoneKeyFlags, 0x72};
  uint32_t inception = static_cast<uint32_t>(std::time(nullptr) - 3600);
  uint32_t expiration = static_cast<uint32_t>(std::time(nullptr) + 30 * 86400);

  // `rdatas` at `owner`/`type`, with an RRSIG by `key` unless it is null.
  void add(std::vector<MockRecord>& to, const std::string& owner, RRType type,
           const std::vector<Bytes>& rdatas, const test::TestKey* key) const {
    for (const auto& rd : rdatas) to.push_back({owner, type, 300, rd});
    if (key != nullptr) {
      to.push_back({owner, RRType::RRSIG, 300,
                    key->sign(N(owner), type, 300, rdatas, inception, expiration)});
    }
  }
  std::string anchor_text() const {
    std::string hex;
    const Bytes ds = ksk.ds_rdata();
    for (size_t i = 4; i < ds.size(); ++i) {
      char b[3];
      std::snprintf(b, sizeof b, "%02X", ds[i]);
      hex += b;
    }
    return ". DS " + std::to_string(ksk.tag()) + " 15 2 " + hex + "\n";
  }
  MockRule dnskey_rule() const {
    MockRule r;
    add(r.answer, ".", RRType::DNSKEY, {ksk.dnskey_rdata(), zsk.dnskey_rdata()}, &ksk);
    return r;
  }
  void dname(std::vector<MockRecord>& to) const {
    add(to, "x.", RRType::DNAME, {wire(root)}, &zsk);
  }
};

std::vector<std::string> args_for(const MockUpstream& up, const TempDir& dir,
                                  const SignedRoot& root) {
  const std::string anchors = dir.write("root.ds", root.anchor_text());
  return {"--upstream", up.address(), "--trust-anchor", anchors, "--log-level", "debug"};
}

}  // namespace

TEST_CASE("dname: x. DNAME . followed twice is secure, every link in the answer") {
  const SignedRoot root;
  MockUpstream up;
  up.set_rule(".", RRType::DNSKEY, root.dnskey_rule());
  MockRule answer;
  root.dname(answer.answer);
  root.add(answer.answer, "a.x.x.", RRType::CNAME, {wire(N("a.x."))}, nullptr);
  root.add(answer.answer, "a.x.", RRType::CNAME, {wire(N("a."))}, nullptr);
  root.add(answer.answer, "a.", RRType::A, {a_rdata("192.0.2.44")}, &root.zsk);
  up.set_rule("a.x.x.", RRType::A, answer);
  TempDir dir;
  ProxyProcess proxy(args_for(up, dir, root));
  const auto got = dig(proxy.port(), "+dnssec a.x.x. A");
  INFO(got.output << "\n" << proxy.log());
  CHECK(got.status == "NOERROR");
  CHECK(got.has_flag("ad"));
  CHECK_FALSE(got.ede_code.has_value());
  // The DNAME and its RRSIG (once, as Unbound sends it), both synthesised CNAMEs, the A RRset
  // and its RRSIG.
  CHECK(got.answer_count == 6);
  CHECK(got.output.find("x.\t\t\t300\tIN\tDNAME\t.") != std::string::npos);
  CHECK(got.output.find("RRSIG\tDNAME") != std::string::npos);
  CHECK(got.output.find("a.x.x.\t\t\t300\tIN\tCNAME\ta.x.") != std::string::npos);
  CHECK(got.output.find("a.x.\t\t\t300\tIN\tCNAME\ta.") != std::string::npos);
  CHECK(got.output.find("192.0.2.44") != std::string::npos);
}

TEST_CASE("dname: a DNAME and CNAME loop is SERVFAIL with an EDE naming the loop") {
  const SignedRoot root;
  MockUpstream up;
  up.set_rule(".", RRType::DNSKEY, root.dnskey_rule());
  MockRule answer;  // a.x. -> (DNAME) a. -> (CNAME) a.x. -> ...
  root.dname(answer.answer);
  root.add(answer.answer, "a.x.", RRType::CNAME, {wire(N("a."))}, nullptr);
  root.add(answer.answer, "a.", RRType::CNAME, {wire(N("a.x."))}, &root.zsk);
  up.set_rule("a.x.", RRType::A, answer);
  TempDir dir;
  ProxyProcess proxy(args_for(up, dir, root));
  const auto got = dig(proxy.port(), "+dnssec a.x. A");
  INFO(got.output << "\n" << proxy.log());
  CHECK(got.status == "SERVFAIL");
  CHECK_FALSE(got.has_flag("ad"));
  REQUIRE(got.ede_code.has_value());
  CHECK(got.ede_text.find("loop") != std::string::npos);
  // Asked once: no retry, no hang (a retry over TCP at most).
  CHECK(up.queries_for("a.x.", RRType::A) <= 2);
}
