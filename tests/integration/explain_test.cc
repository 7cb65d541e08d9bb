// End-to-end tests of `dnssec-proxy explain` (issue 8): the real binary against the private
// signed hierarchy (hierarchy.h) for every bogus and insecure case and some secure ones: the
// cause line by text, the exit code, the EDE, and --json output that parses and validates
// against docs/explain-schema.json; an upstream that does not answer gives exit 3.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "../json_lite.h"
#include "harness.h"
#include "hierarchy.h"
#include "mock_upstream.h"

using namespace dnsp::test;

namespace {

std::string explain_command(const std::string& upstream, const std::string& anchor,
                            const std::string& name, const std::string& type,
                            const std::string& extra = "") {
  return std::string(DNSSEC_PROXY_BINARY) + " explain " + name + " " + type + " --upstream " +
         upstream + " --trust-anchor " + anchor + " " + extra;
}

RunResult explain(const std::string& name, const std::string& type, const std::string& extra = "") {
  auto& h = Hierarchy::get();
  // stderr apart: stdout alone must be the report (or the JSON object).
  return run_command(explain_command("127.0.0.1:" + std::to_string(h.upstream_port()), h.anchor(),
                                     name, type, extra) +
                     " 2>/dev/null");
}

json::Value load_schema() {
  std::ifstream f(std::string(DNSSEC_PROXY_SOURCE_DIR) + "/docs/explain-schema.json");
  std::stringstream ss;
  ss << f.rdbuf();
  auto v = json::parse(ss.str());
  REQUIRE(v);
  return *v;
}

struct ExplainCase {
  const char* name;
  const char* type;
  int exit_code;
  const char* security;
  int ede;                         // -1: none
  std::vector<const char*> cause;  // each must appear in the cause line
};

// One per bogus and insecure kind of the fixture (tests/fixtures/README.md), and secure ones.
const ExplainCase kExplainCases[] = {
    {"www.secure-ecdsa.test", "A", 0, "secure", -1, {}},
    {"nx.nsec3.test", "A", 0, "secure", -1, {}},
    {"foo.wildcard.test", "A", 0, "secure", -1, {}},
    {"www.expired.test",
     "A",
     2,
     "bogus",
     7,
     {"The RRSIG over the DNSKEY RRset of expired.test. expired 10 days ago (",
      "): the zone is no longer being re-signed."}},
    {"www.future.test",
     "A",
     2,
     "bogus",
     8,
     {"The RRSIG over the DNSKEY RRset of future.test. is not valid until ",
      "it was made with an inception date in the future."}},
    {"www.badsig.test",
     "A",
     2,
     "bogus",
     6,
     {"The RRSIG over www.badsig.test. A by key ",
      "does not verify: the data or the signature was changed after signing."}},
    {"tobogus.cname.test", "A", 2, "bogus", 6, {"The RRSIG over www.badsig.test. A by key "}},
    {"www.nosig.test",
     "A",
     2,
     "bogus",
     10,
     {"www.nosig.test. A comes without an RRSIG although nosig.test. is signed"}},
    {"www.dsmismatch.test",
     "A",
     2,
     "bogus",
     9,
     {"DS at test. names key ", " (ECDSAP256SHA256) but dsmismatch.test. publishes only keys ",
      ": the DS at the registrar was not updated after a key or provider change."}},
    {"www.unsigneddnskey.test",
     "A",
     2,
     "bogus",
     10,
     {"The DNSKEY RRset of unsigneddnskey.test. comes without RRSIGs"}},
    {"www.insecure.test",
     "A",
     1,
     "insecure",
     -1,
     {"insecure.test. is unsigned: test. proves with NSEC that there is no DS. Answers are "
      "insecure, not bogus."}},
    {"nx.insecure.test", "A", 1, "insecure", -1, {"insecure.test. is unsigned"}},
    {"www.unsigned.nsec3optout.test",
     "A",
     1,
     "insecure",
     -1,
     {"unsigned.nsec3optout.test. is unsigned: nsec3optout.test. proves with NSEC3",
      "Answers are insecure, not bogus."}},
    {"nx.nsec3optout.test",
     "A",
     1,
     "insecure",
     -1,
     {"rests on an NSEC3 opt-out span of nsec3optout.test.", "insecure, not bogus"}},
    {"www.unknownalg.test",
     "A",
     1,
     "insecure",
     1,
     {"The DS at test. for unknownalg.test. names only algorithm PRIVATEDNS (253)",
      "Answers are insecure, not bogus."}},
    {"www.unknowndigest.test",
     "A",
     1,
     "insecure",
     2,
     {"The DS at test. for unknowndigest.test. uses only digest type 200"}},
    {"nx.nsec3iter.test",
     "A",
     1,
     "insecure",
     27,
     {"nsec3iter.test. uses NSEC3 with 200 iterations, more than the 150"}},
};

}  // namespace

TEST_CASE("explain: each fixture case gets its verdict, exit code, EDE and cause line") {
  REQUIRE_HIERARCHY();
  for (const auto& c : kExplainCases) {
    auto r = explain(c.name, c.type, "--no-color");
    INFO(c.name << " " << c.type << "\n" << r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.out.find(std::string("verdict  ") + c.security) != std::string::npos);
    CHECK(r.out.find("\033[") == std::string::npos);  // no colour into a pipe
    CHECK(r.out.find("zone .  secure  (trust anchor)") != std::string::npos);
    if (c.ede >= 0) {
      CHECK(r.out.find("EDE      " + std::to_string(c.ede) + " (") != std::string::npos);
    } else {
      CHECK(r.out.find("EDE      ") == std::string::npos);
    }
    const size_t cause = r.out.find("cause    ");
    if (c.cause.empty()) {
      CHECK(cause == std::string::npos);
      continue;
    }
    REQUIRE(cause != std::string::npos);
    const std::string line = r.out.substr(cause, r.out.find('\n', cause) - cause);
    for (const char* part : c.cause) {
      INFO("cause line: " << line);
      CHECK(line.find(part) != std::string::npos);
    }
    CHECK(r.out.find("next     ") != std::string::npos);
  }
}

TEST_CASE("explain --json: parses, validates against the schema, and agrees with the text") {
  REQUIRE_HIERARCHY();
  const json::Value schema = load_schema();
  for (const auto& c : kExplainCases) {
    auto r = explain(c.name, c.type, "--json");
    INFO(c.name << " " << c.type << "\n" << r.out);
    CHECK(r.exit_code == c.exit_code);
    std::string err;
    auto v = json::parse(r.out, &err);
    REQUIRE_MESSAGE(v, "not JSON: " << err);
    const auto problems = json::SchemaChecker(schema).check(*v);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    CHECK_MESSAGE(problems.empty(), all);
    CHECK((*v)["verdict"]["security"].str() == c.security);
    CHECK((*v)["exit_code"].num() == c.exit_code);
    CHECK((*v)["query"]["name"].str() == std::string(c.name) + ".");
    REQUIRE((*v)["zones"].arr().size() >= 2);  // the root and test. at least
    CHECK((*v)["zones"].arr()[0]["zone"].str() == ".");
    CHECK((*v)["zones"].arr()[0]["ds_source"].str() == "trust_anchor");
    if (c.ede >= 0) {
      REQUIRE((*v)["ede"].is_object());
      CHECK((*v)["ede"]["code"].num() == c.ede);
    } else {
      CHECK((*v)["ede"].is_null());
    }
    if (!c.cause.empty()) {
      REQUIRE((*v)["cause"].is_string());
      CHECK((*v)["cause"].str().find(c.cause[0]) != std::string::npos);
    } else {
      CHECK((*v)["cause"].is_null());
    }
  }
}

TEST_CASE("explain: the secure chain shows DS matches, key sizes and the signing KSK") {
  REQUIRE_HIERARCHY();
  auto r = explain("www.secure-rsasha256.test", "A", "--json");
  auto v = json::parse(r.out);
  REQUIRE(v);
  const auto& zones = (*v)["zones"].arr();
  REQUIRE(zones.size() == 3);
  const auto& z = zones[2];
  CHECK(z["zone"].str() == "secure-rsasha256.test.");
  CHECK(z["parent"].str() == "test.");
  REQUIRE(z["ds"].arr().size() >= 1);
  const double ds_tag = z["ds"].arr()[0]["key_tag"].num();
  CHECK(z["ds"].arr()[0]["matches_key"].num() == ds_tag);
  bool ksk_signs = false;
  for (const auto& k : z["dnskeys"].arr()) {
    CHECK(k["bits"].num() == 2048);
    CHECK(k["algorithm_name"].str() == "RSASHA256");
    if (k["role"].str() == "KSK") {
      CHECK(k["key_tag"].num() == ds_tag);
      ksk_signs = k["signs_dnskey"].boolean();
    }
  }
  CHECK(ksk_signs);
  REQUIRE((*v)["answer"].arr().size() == 1);
  CHECK((*v)["answer"].arr()[0]["records"].arr()[0].str() == "192.0.2.11");
  CHECK((*v)["answer"].arr()[0]["rrsigs"].arr()[0]["verified"].boolean());
}

TEST_CASE("explain: an upstream that does not answer is exit 3 with EDE 22 or 23") {
  MockUpstream silent;
  silent.set_default_silent(true);
  TempDir dir;
  const auto cfg = dir.write("fast.toml", "[upstream]\ntimeout_ms = 200\nattempts = 1\n");
  const auto anchor =
      dir.write("root.ds",
                "; none needed: nothing comes back\n. IN DS 20326 8 2 "
                "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
  auto r = run_command(explain_command(silent.address(), anchor, "www.example", "A",
                                       "--config " + cfg + " --no-color") +
                       " 2>/dev/null");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("verdict  indeterminate") != std::string::npos);
  CHECK(r.out.find("EDE      22 (No Reachable Authority): no answer from upstream " +
                   silent.address()) != std::string::npos);
  CHECK(r.out.find("did not answer in time") != std::string::npos);

  // Nothing listens on a freshly freed port: connection refused.
  const uint16_t closed = free_port();
  auto j = run_command(explain_command("127.0.0.1:" + std::to_string(closed), anchor, "www.example",
                                       "A", "--config " + cfg + " --json") +
                       " 2>/dev/null");
  INFO(j.out);
  CHECK(j.exit_code == 3);
  auto v = json::parse(j.out);
  REQUIRE(v);
  CHECK((*v)["verdict"]["security"].str() == "indeterminate");
  CHECK((*v)["failure"].str() != "none");
  CHECK((*v)["ede"].is_object());
  CHECK((*v)["rcode"].is_null());
  CHECK(json::SchemaChecker(load_schema()).check(*v).empty());
}

TEST_CASE("explain: usage errors exit 4; explain-only flags are refused elsewhere") {
  auto none = run_proxy_to_exit({"explain"});
  CHECK(none.exit_code == 4);
  CHECK(none.out.find("expected NAME and an optional TYPE") != std::string::npos);
  auto bad_type = run_proxy_to_exit({"explain", "example.com", "NOTATYPE"});
  CHECK(bad_type.exit_code == 4);
  auto bad_flag = run_proxy_to_exit({"explain", "example.com", "--bogus-flag"});
  CHECK(bad_flag.exit_code == 4);
  auto help = run_proxy_to_exit({"explain", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Usage: dnssec-proxy explain NAME [TYPE]") != std::string::npos);
  auto json_alone = run_proxy_to_exit({"--json", "--check-config"});
  CHECK(json_alone.exit_code == 2);
  CHECK(json_alone.out.find("--json: only with the explain command") != std::string::npos);
}

TEST_CASE("explain: validates with the configuration's [limits], as the daemon does") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  // 200 NSEC3 iterations are insecure under the default limit of 150, secure under 250.
  const auto cfg = dir.write("limits.toml", "[limits]\nmax_nsec3_iterations = 250\n");
  auto r = explain("nx.nsec3iter.test", "A", "--no-color --config " + cfg);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("verdict  secure") != std::string::npos);
}
