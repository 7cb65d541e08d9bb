// End-to-end validation tests (issues: validation, denial): a private signed hierarchy on
// loopback (tests/fixtures/hierarchy.sh: Knot serving signed zones, Unbound as the
// non-validating upstream and Unbound as the validating reference), the real proxy in
// front of it, queried with dig. Every verdict is compared with the reference's.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>

#include "harness.h"
#include "hierarchy.h"

using namespace dnsp::test;

namespace {

struct Case {
  const char* name;
  const char* type;
  const char* rcode;
  bool ad;
  int ede;                   // -1: none expected
  const char* zone_in_text;  // the zone the EDE text must name
};

// The verdict each case must get (the same as the reference Unbound's; see
// tests/fixtures/README.md). Bogus cases carry the EDE code we give.
const Case kCases[] = {
    {"www.secure-ecdsa.test.", "A", "NOERROR", true, -1, ""},
    {"www.secure-rsasha256.test.", "A", "NOERROR", true, -1, ""},
    {"www.secure-rsasha512.test.", "A", "NOERROR", true, -1, ""},
    {"www.secure-ed25519.test.", "A", "NOERROR", true, -1, ""},
    {"www.secure-ed448.test.", "A", "NOERROR", true, -1, ""},
    {"www.secure-ecdsa384.test.", "A", "NOERROR", true, -1, ""},
    {"www.secure-rsasha1.test.", "A", "NOERROR", true, -1, ""},
    {"big.secure-ecdsa.test.", "TXT", "NOERROR", true, -1, ""},
    {"www.cname.test.", "A", "NOERROR", true, -1, ""},
    {"chain.cname.test.", "A", "NOERROR", true, -1, ""},
    {"tobogus.cname.test.", "A", "SERVFAIL", false, 6, "badsig.test."},
    {"toinsecure.cname.test.", "A", "NOERROR", false, -1, ""},
    {"www.expired.test.", "A", "SERVFAIL", false, 7, "expired.test."},
    {"www.future.test.", "A", "SERVFAIL", false, 8, "future.test."},
    {"www.badsig.test.", "A", "SERVFAIL", false, 6, "badsig.test."},
    {"www.nosig.test.", "A", "SERVFAIL", false, 10, "nosig.test."},
    {"www.dsmismatch.test.", "A", "SERVFAIL", false, 9, "dsmismatch.test."},
    {"www.unsigneddnskey.test.", "A", "SERVFAIL", false, 10, "unsigneddnskey.test."},
    {"www.insecure.test.", "A", "NOERROR", false, -1, ""},
    {"www.unknownalg.test.", "A", "NOERROR", false, 1, "unknownalg.test."},
    {"www.unknowndigest.test.", "A", "NOERROR", false, 2, "unknowndigest.test."},
    {"www.nsec3.test.", "A", "NOERROR", true, -1, ""},
    {"www.nsec3optout.test.", "A", "NOERROR", true, -1, ""},
    {"www.unsigned.nsec3optout.test.", "A", "NOERROR", false, -1, ""},
    {"www.nsec3iter.test.", "A", "NOERROR", true, -1, ""},
    {"www.wildcard.test.", "A", "NOERROR", true, -1, ""},
    {"www.dname.test.", "A", "NOERROR", true, -1, ""},
    // Issue 14: a DS RRset of only algorithms 100 and 253, DNSKEY RRset unsigned: insecure
    // from the DS alone, EDE 1 (RFC 4035 §5.2); eight DNSKEYs sharing the ZSK's tag: secure.
    {"www.dsunsupported.test.", "A", "NOERROR", false, 1, "dsunsupported.test."},
    {"www.collide.test.", "A", "NOERROR", true, -1, ""},
};

// Denial cases (NSEC, NSEC3, wildcards, DNAME).
const Case kDenialCases[] = {
    {"nx.secure-ecdsa.test.", "A", "NXDOMAIN", true, -1, ""},
    {"www.secure-ecdsa.test.", "AAAA", "NOERROR", true, -1, ""},
    {"ent.secure-ecdsa.test.", "A", "NOERROR", true, -1, ""},
    {"tonx.cname.test.", "A", "NXDOMAIN", true, -1, ""},
    {"nx.insecure.test.", "A", "NXDOMAIN", false, -1, ""},
    {"nx.nsec3.test.", "A", "NXDOMAIN", true, -1, ""},
    {"www.nsec3.test.", "AAAA", "NOERROR", true, -1, ""},
    {"ent.nsec3.test.", "A", "NOERROR", true, -1, ""},
    {"nx.nsec3optout.test.", "A", "NXDOMAIN", false, -1, ""},
    {"nx.nsec3iter.test.", "A", "NXDOMAIN", false, 27, "nsec3iter.test."},
    {"foo.wildcard.test.", "A", "NOERROR", true, -1, ""},
    {"foo.wildcard.test.", "AAAA", "NOERROR", true, -1, ""},
    {"www.wildcard3.test.", "A", "NOERROR", true, -1, ""},
    {"foo.wildcard3.test.", "A", "NOERROR", true, -1, ""},
    {"foo.wildcard3.test.", "AAAA", "NOERROR", true, -1, ""},
    {"www.sub.dname.test.", "A", "NOERROR", true, -1, ""},
    {"nx.collide.test.", "A", "NXDOMAIN", true, -1, ""},
    // Issue 14: the root has no parent; its apex NSEC proves . DS NODATA.
    {".", "DS", "NOERROR", true, -1, ""},
};

void check_case(uint16_t proxy_port, const Case& c) {
  auto& h = Hierarchy::get();
  const std::string q = std::string("+dnssec ") + c.name + " " + c.type;
  auto got = dig(proxy_port, q);
  auto ref = dig(h.reference_port(), q);
  INFO(c.name << " " << c.type << "\nproxy:\n" << got.output << "\nreference:\n" << ref.output);
  CHECK(got.status == c.rcode);
  CHECK(got.has_flag("ad") == c.ad);
  // Same verdict as Unbound in the same role.
  CHECK(got.status == ref.status);
  CHECK(got.has_flag("ad") == ref.has_flag("ad"));
  if (c.ede < 0) CHECK_FALSE(got.ede_code);
  if (c.ede >= 0) {
    REQUIRE(got.ede_code);
    CHECK(*got.ede_code == c.ede);
    CHECK(got.ede_text.find(c.zone_in_text) != std::string::npos);
    // Missing records may be the upstream's doing: the text says where they came from.
    if (c.ede == 10) CHECK(got.ede_text.find("upstream 127.0.0.1:") != std::string::npos);
  }
  if (c.ede >= 0 && std::string(c.rcode) == "SERVFAIL") {
    // +cd hands the data over unvalidated, CD echoed, AD clear (RFC 4035 §3.2.2).
    auto cd = dig(proxy_port, "+cd " + q);
    CHECK(cd.status == "NOERROR");
    CHECK(cd.has_flag("cd"));
    CHECK_FALSE(cd.has_flag("ad"));
    CHECK(cd.answer_count > 0);
  }
}

}  // namespace

TEST_CASE("validation: each case gets the reference validator's verdict, with EDE for bogus") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  for (const auto& c : kCases) check_case(proxy->port(), c);
}

TEST_CASE("denial: NSEC, NSEC3, opt-out, wildcards and DNAME get the reference's verdict") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  for (const auto& c : kDenialCases) check_case(proxy->port(), c);
}

TEST_CASE(
    "validation: root key sentinel names (RFC 8509) get the answer or SERVFAIL, as Unbound's") {
  // Issue 14, point 4. The wildcard zone answers any name below it, securely; the leftmost
  // label then asks about the root key with that tag.
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  std::ifstream in(h.anchor());
  std::string owner, ttl, klass, type;
  unsigned tag = 0;
  REQUIRE(static_cast<bool>(in >> owner >> ttl >> klass >> type >>
                            tag));  // ". 3600 IN DS TAG 13 2 HEX"
  REQUIRE(type == "DS");
  const unsigned other = (tag + 1) % 65536;
  auto proxy = start_proxy();
  char trusted[6], untrusted[6];
  std::snprintf(trusted, sizeof trusted, "%05u", tag);
  std::snprintf(untrusted, sizeof untrusted, "%05u", other);
  struct Sentinel {
    std::string label;
    const char* rcode;
  };
  for (const Sentinel& c :
       {Sentinel{"root-key-sentinel-is-ta-" + std::string(trusted), "NOERROR"},
        Sentinel{"root-key-sentinel-is-ta-" + std::string(untrusted), "SERVFAIL"},
        Sentinel{"root-key-sentinel-not-ta-" + std::string(trusted), "SERVFAIL"},
        Sentinel{"root-key-sentinel-not-ta-" + std::string(untrusted), "NOERROR"}}) {
    for (int round = 0; round < 2; ++round) {  // the second from the cache, where kept
      const std::string q = "+dnssec " + c.label + ".wildcard.test. A";
      auto got = dig(proxy->port(), q);
      auto ref = dig(h.reference_port(), q);
      INFO(q << "\nproxy:\n" << got.output << "\nreference:\n" << ref.output);
      CHECK(got.status == c.rcode);
      CHECK(got.status == ref.status);
      CHECK(got.has_flag("ad") == (std::string(c.rcode) == "NOERROR"));
    }
  }
  // The switch: off, a sentinel name is just a name.
  TempDir dir;
  const auto cfg = dir.write("sentinel-off.toml", "[dnssec]\nroot_key_sentinel = false\n");
  ProxyProcess off({"--config", cfg, "--upstream", "127.0.0.1:" + std::to_string(h.upstream_port()),
                    "--trust-anchor", h.anchor()});
  auto plain = dig(
      off.port(), "+dnssec root-key-sentinel-not-ta-" + std::string(trusted) + ".wildcard.test. A");
  CHECK(plain.status == "NOERROR");
  CHECK(plain.has_flag("ad"));
}

TEST_CASE("validation: AD only when the query had DO or AD; without DO no RRSIGs") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  auto plain = dig(proxy->port(), "+noadflag www.secure-ecdsa.test A");
  CHECK(plain.status == "NOERROR");
  CHECK_FALSE(plain.has_flag("ad"));
  CHECK(plain.output.find("RRSIG") == std::string::npos);
  auto adflag = dig(proxy->port(), "+adflag www.secure-ecdsa.test A");
  CHECK(adflag.has_flag("ad"));
  CHECK(adflag.output.find("RRSIG") == std::string::npos);
  auto with_do = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(with_do.has_flag("ad"));
  CHECK(with_do.output.find("RRSIG") != std::string::npos);
}

TEST_CASE("validation: a second query into the same zone fetches no key again") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  CHECK(dig(proxy->port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  const auto count_fetches = [&] {
    const std::string log = proxy->log();
    size_t n = 0;
    for (size_t p = log.find("fetching"); p != std::string::npos; p = log.find("fetching", p + 1))
      ++n;
    return n;
  };
  const size_t after_first = count_fetches();
  CHECK(after_first > 0);
  CHECK(dig(proxy->port(), "+dnssec www.secure-ecdsa.test AAAA").has_flag("ad"));
  CHECK(dig(proxy->port(), "+dnssec big.secure-ecdsa.test TXT").has_flag("ad"));
  CHECK(count_fetches() == after_first);
}

TEST_CASE("validation: with an empty trust anchor file everything is insecure, and it says so") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  const auto empty = dir.write("empty.anchor", "; no anchors\n");
  auto& h = Hierarchy::get();
  ProxyProcess proxy(
      {"--upstream", "127.0.0.1:" + std::to_string(h.upstream_port()), "--trust-anchor", empty});
  auto d = dig(proxy.port(), "+dnssec www.badsig.test A");
  CHECK(d.status == "NOERROR");
  CHECK_FALSE(d.has_flag("ad"));
  CHECK(proxy.log().find("no trust anchor configured") != std::string::npos);
}

TEST_CASE("cache: a bogus verdict is remembered briefly; a secure answer is served from memory") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  const auto misses = [&](const std::string& what) {
    const std::string log = proxy->log();
    size_t n = 0;
    for (size_t p = log.find(what); p != std::string::npos; p = log.find(what, p + 1)) ++n;
    return n;
  };
  for (int i = 0; i < 3; ++i) {
    auto d = dig(proxy->port(), "+dnssec www.badsig.test A");
    CHECK(d.status == "SERVFAIL");
    CHECK(d.ede_code == 6);
    auto s = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
    CHECK(s.has_flag("ad"));
  }
  // Only the first of each went upstream (the debug log names each query it resolves).
  CHECK(misses("event=bogus qname=www.badsig.test. qtype=A") == 1);
  CHECK(misses(": www.secure-ecdsa.test. A") == 1);
}

TEST_CASE("denial: . DS is a secure NODATA that keeps the root's SOA and NSEC") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  auto got = dig(proxy->port(), "+dnssec . DS");
  INFO(got.output);
  CHECK(got.status == "NOERROR");
  CHECK(got.has_flag("ad"));
  CHECK(got.answer_count == 0);
  CHECK(got.output.find("IN\tSOA\ta.root-servers.") != std::string::npos);
  CHECK(got.output.find("IN\tNSEC\t") != std::string::npos);
  CHECK(got.output.find("RRSIG\tNSEC") != std::string::npos);
}

// Unbound 1.17 (the reference) answers this one SERVFAIL: following the second synthesised
// CNAME it asks for DS a.x.dnameup.test., gets the DNAME back and calls the chain of trust
// broken. RFC 6672 §3 and §5.3.3 have the DNAME validated and each CNAME checked against it,
// which is what the proxy does; README "Compared with Unbound" lists the difference.
TEST_CASE("denial: a DNAME towards its zone's apex, followed twice, is secure (RFC 6672 §2.2)") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  auto got = dig(proxy->port(), "+dnssec a.x.x.dnameup.test. A");
  INFO(got.output);
  CHECK(got.status == "NOERROR");
  CHECK(got.has_flag("ad"));
  CHECK_FALSE(got.ede_code.has_value());
  // DNAME, its RRSIG, two synthesised CNAMEs, the A RRset and its RRSIG.
  CHECK(got.answer_count == 6);
  CHECK(got.output.find("a.x.x.dnameup.test.\t") != std::string::npos);
  CHECK(got.output.find("CNAME\ta.x.dnameup.test.") != std::string::npos);
  CHECK(got.output.find("CNAME\ta.dnameup.test.") != std::string::npos);
}
