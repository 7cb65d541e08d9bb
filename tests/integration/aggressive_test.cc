// RFC 8198 aggressive use of the DNSSEC-validated cache, end to end: the proxy in front of the
// signed hierarchy (tests/fixtures/hierarchy.sh), its debug log counting the client queries
// it sends upstream ("query N: NAME TYPE"). After one wildcard-expanded answer and one
// NXDOMAIN per zone, other names under the wildcard and other non-existent names are
// answered from memory with the reference validator's rcode and AD.
#include <doctest/doctest.h>
#include <signal.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "hierarchy.h"

using namespace dnsp::test;

namespace {

// Client queries sent upstream so far: the debug line "query N: NAME TYPE" (sub-queries
// log "query N: fetching NAME TYPE", verdicts "query N: Secure").
size_t upstream_queries(const ProxyProcess& proxy) {
  std::istringstream log(proxy.log());
  size_t n = 0;
  for (std::string line; std::getline(log, line);) {
    const size_t at = line.find("query ");
    if (at == std::string::npos) continue;
    const size_t colon = line.find(": ", at);
    if (colon == std::string::npos) continue;
    const std::string rest = line.substr(colon + 2);
    const size_t space = rest.find(' ');
    // NAME ends in a dot, then exactly one more word (the type).
    if (space == std::string::npos || space == 0 || rest[space - 1] != '.') continue;
    if (rest.find(' ', space + 1) != std::string::npos) continue;
    ++n;
  }
  return n;
}

struct Ask {
  std::string name;
  const char* type;
  const char* rcode;
};

// The proxy's reply has `rcode`, AD and, with DO, RRSIGs; the reference agrees.
void check_secure(uint16_t port, const Ask& a) {
  auto& h = Hierarchy::get();
  const std::string q = "+dnssec " + a.name + " " + a.type;
  auto got = dig(port, q);
  auto ref = dig(h.reference_port(), q);
  INFO(a.name << " " << a.type << "\nproxy:\n" << got.output << "\nreference:\n" << ref.output);
  CHECK(got.status == a.rcode);
  CHECK(got.has_flag("ad"));
  CHECK(got.status == ref.status);
  CHECK(got.has_flag("ad") == ref.has_flag("ad"));
  CHECK(got.output.find("RRSIG") != std::string::npos);
  if (std::string(a.rcode) == "NOERROR" && std::string(a.type) == "A" &&
      a.name.find("wildcard") != std::string::npos) {
    CHECK(got.answer_count == 2);  // the expanded A and its RRSIG
    CHECK(got.output.find(a.name) != std::string::npos);
    CHECK(got.output.find("192.0.2.99") != std::string::npos);
  }
}

// The first answers of each kind, which teach the proxy the records.
const Ask kFirst[] = {
    {"w0.wildcard.test.", "A", "NOERROR"},
    {"foo.wildcard.test.", "AAAA", "NOERROR"},  // wildcard NODATA: the NSEC at *.wildcard.test.
    {"nx.secure-ecdsa.test.", "A", "NXDOMAIN"},
    {"nx.nsec3.test.", "A", "NXDOMAIN"},
};
// Names nobody asked before, each proven by what the first answers brought.
const Ask kThen[] = {
    {"w1.wildcard.test.", "A", "NOERROR"},           {"unique-7b3f.wildcard.test.", "A", "NOERROR"},
    {"w2.wildcard.test.", "AAAA", "NOERROR"},        {"nx1.secure-ecdsa.test.", "A", "NXDOMAIN"},
    {"sub.nx.secure-ecdsa.test.", "MX", "NXDOMAIN"}, {"nx.secure-ecdsa.test.", "TXT", "NXDOMAIN"},
    {"below.nx.nsec3.test.", "A", "NXDOMAIN"},       {"nx.nsec3.test.", "AAAA", "NXDOMAIN"},
};

}  // namespace

TEST_CASE("aggressive: unique names under a wildcard and non-existent names need no upstream") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  for (const auto& a : kFirst) check_secure(proxy->port(), a);
  const size_t learned = upstream_queries(*proxy);
  CHECK(learned == std::size(kFirst));
  for (const auto& a : kThen) check_secure(proxy->port(), a);
  CHECK(upstream_queries(*proxy) == learned);
  CHECK(proxy->log().find("RFC 8198 synthesis for w1.wildcard.test. A") != std::string::npos);

  // Without DO: no DNSSEC records, AD as the client asked (RFC 6840 §5.7).
  auto plain = dig(proxy->port(), "+noadflag w3.wildcard.test A");
  CHECK(plain.status == "NOERROR");
  CHECK_FALSE(plain.has_flag("ad"));
  CHECK(plain.answer_count == 1);
  CHECK(plain.output.find("RRSIG") == std::string::npos);
  auto ad = dig(proxy->port(), "+adflag nx2.secure-ecdsa.test A");
  CHECK(ad.status == "NXDOMAIN");
  CHECK(ad.has_flag("ad"));
  CHECK(ad.output.find("NSEC") == std::string::npos);
  // CD queries always go upstream (RFC 4035 §3.2.2).
  auto cd = dig(proxy->port(), "+dnssec +cd w4.wildcard.test A");
  CHECK(cd.status == "NOERROR");
  CHECK_FALSE(cd.has_flag("ad"));
  CHECK(upstream_queries(*proxy) == learned + 1);
  // A name synthesised once is not cached (a flood of random names must not evict the
  // answer cache); synthesised a second time it is, and then a repeat is an answer-cache
  // hit: no third synthesis.
  CHECK(dig(proxy->port(), "+dnssec w1.wildcard.test A").has_flag("ad"));  // second
  const std::string log_before = proxy->log();
  CHECK(dig(proxy->port(), "+dnssec w1.wildcard.test A").has_flag("ad"));
  CHECK(proxy->log().size() == log_before.size());
}

TEST_CASE("aggressive: nothing is synthesised at or below a negative trust anchor") {
  // RFC 7646: below a negative trust anchor nothing is validated, so records learned before
  // the anchor was added (the aggressive cache keeps them over a reload) prove nothing now:
  // a new name there goes upstream and comes back insecure. Other zones are unaffected.
  REQUIRE_HIERARCHY();
  TempDir dir;
  const std::string path = dir.write("proxy.toml", "[log]\nlevel = \"debug\"\n");
  auto proxy = start_proxy({"--config", path});
  for (const auto& a : kFirst) check_secure(proxy->port(), a);
  const size_t learned = upstream_queries(*proxy);
  dir.write("proxy.toml",
            "[log]\nlevel = \"debug\"\n[dnssec]\nnegative_trust_anchors = [\"wildcard.test\"]\n");
  kill(proxy->pid(), SIGHUP);
  REQUIRE(eventually(
      [&] { return proxy->log().find("reloaded the configuration") != std::string::npos; }));
  auto below = dig(proxy->port(), "+dnssec w5.wildcard.test A");
  CHECK(below.status == "NOERROR");
  CHECK_FALSE(below.has_flag("ad"));
  CHECK(upstream_queries(*proxy) == learned + 1);
  check_secure(proxy->port(), {"nx3.secure-ecdsa.test.", "A", "NXDOMAIN"});  // from memory
  CHECK(upstream_queries(*proxy) == learned + 1);
}

TEST_CASE("aggressive: with [cache] aggressive_nsec = false every new name goes upstream") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  const auto cfg = dir.write("off.toml", "[cache]\naggressive_nsec = false\n");
  auto proxy = start_proxy({"--config", cfg});
  for (const auto& a : kFirst) check_secure(proxy->port(), a);
  const size_t learned = upstream_queries(*proxy);
  for (const auto& a : kThen) check_secure(proxy->port(), a);
  CHECK(upstream_queries(*proxy) == learned + std::size(kThen));
  CHECK(proxy->log().find("RFC 8198") == std::string::npos);
}
