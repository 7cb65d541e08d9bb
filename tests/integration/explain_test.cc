// End-to-end tests of `dnssec-proxy explain` (issue 8): the real binary against the private
// signed hierarchy (hierarchy.h) for every bogus and insecure case and some secure ones: the
// cause line by text, the exit code, the EDE, and --json output that parses and validates
// against docs/explain-schema.json; an upstream that does not answer gives exit 3. Then the
// configuration's negative trust anchors and RFC 5011 state, and `explain --server` against
// a real proxy on loopback.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "../json_lite.h"
#include "harness.h"
#include "hierarchy.h"
#include "mock_upstream.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/anchors/trust_anchor_state.h"
#include "resolver/serve/explain_option.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/message.h"

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

// ---------------------------------------------------------------------------------------
// explain --server: a running proxy does the validation and returns the report.

namespace {

std::string cause_line(const std::string& out) {
  const size_t at = out.find("cause    ");
  return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
}

// The report without its first line (the header names the time of the run) and without
// the running proxy's probe lines (a local run has no probes).
std::string body(const std::string& out) {
  std::istringstream in(out.substr(out.find('\n') + 1));
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("probe    ")) kept += line + "\n";
  }
  return kept;
}

RunResult explain_server(uint16_t port, const std::string& name, const std::string& type,
                         const std::string& extra, bool with_stderr = false) {
  return run_command(std::string(DNSSEC_PROXY_BINARY) + " explain " + name + " " + type +
                     " --server 127.0.0.1:" + std::to_string(port) + " " + extra +
                     (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

}  // namespace

TEST_CASE("explain --server: a running proxy returns the same report, verdict and exit code") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  struct Want {
    const char* name;
    int exit_code;
    const char* verdict;
  };
  for (const Want& w :
       {Want{"www.secure-ecdsa.test", 0, "secure"}, Want{"www.expired.test", 2, "bogus"},
        Want{"www.dsmismatch.test", 2, "bogus"}, Want{"www.insecure.test", 1, "insecure"}}) {
    auto remote = explain_server(proxy->port(), w.name, "A", "--no-color");
    auto local = explain(w.name, "A", "--no-color");
    INFO(w.name << "\nremote:\n"
                << remote.out << "\nlocal:\n"
                << local.out << "\nlog:\n"
                << proxy->log());
    CHECK(remote.exit_code == w.exit_code);
    CHECK(local.exit_code == w.exit_code);
    CHECK(remote.out.find(std::string("verdict  ") + w.verdict) != std::string::npos);
    // The whole chain from the anchor down: the trace's key cache starts empty.
    CHECK(remote.out.find("zone .  secure  (trust anchor)") != std::string::npos);
    CHECK(remote.out.find("zone test.  secure  (DS at .)") != std::string::npos);
    CHECK(remote.out.find("\033[") == std::string::npos);
    CHECK(cause_line(remote.out) == cause_line(local.out));
    // Line for line the local report, but for the times (a second may pass between the runs).
    if (body(remote.out) != body(local.out)) {
      CHECK(body(remote.out).find("EDE      ") == body(local.out).find("EDE      "));
    }
  }
  // The daemon's own caches are neither used nor filled by a trace: a second one for the
  // same name shows the whole chain again, and ordinary queries still work.
  auto again = explain_server(proxy->port(), "www.secure-ecdsa.test", "A", "--no-color");
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("zone secure-ecdsa.test.  secure  (DS at test.)") != std::string::npos);
  // What the proxy's probes found of its upstream (issue 18): a local run cannot know.
  CHECK(again.out.find("\nprobe    127.0.0.1:" + std::to_string(Hierarchy::get().upstream_port()) +
                       " ok: . DNSKEY signed over UDP and TCP") != std::string::npos);
  CHECK(explain("www.secure-ecdsa.test", "A", "--no-color").out.find("probe ") ==
        std::string::npos);
  CHECK(dig(proxy->port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  CHECK(proxy->log().find("explain: tracing www.expired.test. A for 127.0.0.1:") !=
        std::string::npos);
  CHECK(proxy->terminate() == 0);
}

TEST_CASE("explain --server --json: validates against the schema and agrees with the local one") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  const json::Value schema = load_schema();
  for (const auto* name : {"www.secure-ecdsa.test", "www.expired.test", "www.insecure.test"}) {
    auto remote = explain_server(proxy->port(), name, "A", "--json");
    auto local = explain(name, "A", "--json");
    INFO(name << "\n" << remote.out);
    CHECK(remote.exit_code == local.exit_code);
    auto r = json::parse(remote.out);
    auto l = json::parse(local.out);
    REQUIRE(r);
    REQUIRE(l);
    CHECK(json::SchemaChecker(schema).check(*r).empty());
    CHECK((*r)["verdict"]["security"].str() == (*l)["verdict"]["security"].str());
    CHECK((*r)["verdict"]["reason"].str() == (*l)["verdict"]["reason"].str());
    CHECK((*r)["exit_code"].num() == (*l)["exit_code"].num());
    CHECK((*r)["zones"].arr().size() == (*l)["zones"].arr().size());
    CHECK((*r)["upstreams"].str() == (*l)["upstreams"].str());
  }
  CHECK(proxy->terminate() == 0);
}

TEST_CASE("explain --server: the proxy's negative trust anchors apply to its trace") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  const auto conf = dir.write("nta.toml", "[dnssec]\nnegative_trust_anchors = [\"badsig.test\"]\n");
  auto proxy = start_proxy({"--config", conf});
  auto r = explain_server(proxy->port(), "www.badsig.test", "A", "--no-color");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("verdict  insecure") != std::string::npos);
  CHECK(cause_line(r.out).find("is at or below the negative trust anchor badsig.test.") !=
        std::string::npos);
  CHECK(proxy->terminate() == 0);
}

TEST_CASE("explain --server: nothing listening, or a server that ignores the option, is exit 3") {
  const uint16_t closed = free_port();
  auto r = explain_server(closed, "www.example", "A", "--no-color", true);
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("dnssec-proxy explain: 127.0.0.1:" + std::to_string(closed) +
                   " did not return a trace (Connection refused): is it dnssec-proxy >= ") !=
        std::string::npos);
  CHECK(r.out.find("and is this client on its host (loopback)?") != std::string::npos);

  // A DNS server that knows nothing of the option answers the question as usual.
  MockUpstream other;
  const uint16_t port = static_cast<uint16_t>(std::stoi(other.address().substr(10)));
  auto o = explain_server(port, "www.example", "A", "--json", true);
  INFO(o.out);
  CHECK(o.exit_code == 3);
  CHECK(o.out.find(other.address() + " did not return a trace (it answered ") != std::string::npos);

  // Flags that would only change a local run are refused with --server.
  auto u = run_proxy_to_exit(
      {"explain", "www.example", "--server", "127.0.0.1", "--upstream", "127.0.0.1:5300"});
  CHECK(u.exit_code == 4);
  CHECK(u.out.find("--server asks a running proxy") != std::string::npos);
  auto bad = run_proxy_to_exit({"explain", "www.example", "--server", "localhost"});
  CHECK(bad.exit_code == 4);
}

namespace {

// The text of the first EDE option of a reply, or "" when it has none.
std::string ede_of(const dnsp::resolver::Message& m) {
  for (const auto& opt : m.edns_options()) {
    if (opt.code == dnsp::resolver::kEdnsOptionEde && opt.data.size() >= 2) {
      return std::string(opt.data.begin() + 2, opt.data.end());
    }
  }
  return {};
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "explain --server: past four traces in progress, SERVFAIL with an EDE; freed when they end") {
  // An upstream that never answers keeps each trace running until its query deadline.
  MockUpstream up;
  up.set_default_silent(true);
  TempDir dir;
  const auto conf = dir.write("slow.toml",
                              "[upstream]\ntimeout_ms = 2500\nattempts = 1\n"
                              "query_timeout_ms = 3000\n");
  // Two event loops: the limit holds for all of them together (the connections are spread
  // over the loops' sockets by SO_REUSEPORT).
  ProxyProcess proxy(
      {"--upstream", up.address(), "--config", conf, "--threads", "2", "--log-level", "info"});
  const auto q =
      dnsp::resolver::explain_query({*dnsp::resolver::Name::from_text("www.example."),
                                     dnsp::resolver::RRType::A, dnsp::resolver::RRClass::IN},
                                    0x4242, dnsp::resolver::ExplainFormat::Text);
  std::vector<std::unique_ptr<TcpClient>> running;
  for (int i = 0; i < 4; ++i) {
    running.push_back(std::make_unique<TcpClient>(proxy.port()));
    REQUIRE(running.back()->connected());
    running.back()->send_framed(q);
  }
  REQUIRE(eventually([&] { return count_of(proxy.log(), "explain: tracing www.example.") == 4; }));

  TcpClient fifth(proxy.port());
  REQUIRE(fifth.connected());
  fifth.send_framed(q);
  auto busy = fifth.receive(1000);
  REQUIRE(busy);
  auto bm = dnsp::resolver::Message::parse(*busy);
  REQUIRE(bm);
  CHECK(bm->rcode() == dnsp::resolver::RCode::ServFail);
  CHECK(bm->id() == 0x4242);
  CHECK_FALSE(dnsp::resolver::find_explain_reply(*bm));
  CHECK(ede_of(*bm) == "too many explain traces in progress; try again");

  // The four end at their deadline with a trace each (the upstream did not answer: exit 3).
  for (auto& c : running) {
    auto t = c->receive(8000);
    REQUIRE(t);
    auto m = dnsp::resolver::Message::parse(*t);
    REQUIRE(m);
    auto trace = dnsp::resolver::find_explain_reply(*m);
    REQUIRE(trace);
    CHECK(trace->exit_code == 3);
  }
  // Their places are free as soon as their replies are out (their handles may still be
  // closing): the next request is traced, not refused.
  fifth.send_framed(q);
  INFO(proxy.log());
  auto again = fifth.receive(8000);
  REQUIRE(again);
  auto am = dnsp::resolver::Message::parse(*again);
  REQUIRE(am);
  INFO("EDE: " << ede_of(*am));
  auto trace = dnsp::resolver::find_explain_reply(*am);
  REQUIRE(trace);
  CHECK(trace->exit_code == 3);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("explain --server [::1]:PORT: a proxy listening on IPv6 loopback returns the trace") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  const uint16_t port = free_port();
  const std::string p = std::to_string(port);
  ProxyProcess proxy({"--upstream", "127.0.0.1:" + std::to_string(h.upstream_port()),
                      "--trust-anchor", h.anchor(), "--listen", "[::1]:" + p},
                     false);
  REQUIRE(eventually([&] {
    return run_command("dig @::1 -p " + p + " +tcp +tries=1 +time=1 www.secure-ecdsa.test A")
               .out.find("status: NOERROR") != std::string::npos;
  }));
  auto r = run_command(std::string(DNSSEC_PROXY_BINARY) +
                       " explain www.secure-ecdsa.test A --no-color --server [::1]:" + p + " 2>&1");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("verdict  secure") != std::string::npos);
  CHECK(r.out.find("zone secure-ecdsa.test.  secure  (DS at test.)") != std::string::npos);
  CHECK(proxy.log().find("explain: tracing www.secure-ecdsa.test. A for [::1]:") !=
        std::string::npos);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("explain --server: UDP gets REFUSED with an EDE; the query path is unaffected") {
  REQUIRE_HIERARCHY();
  auto proxy = start_proxy();
  const auto q =
      dnsp::resolver::explain_query({*dnsp::resolver::Name::from_text("www.secure-ecdsa.test."),
                                     dnsp::resolver::RRType::A, dnsp::resolver::RRClass::IN},
                                    0x5151, dnsp::resolver::ExplainFormat::Text);
  auto reply = udp_exchange(proxy->port(), q);
  REQUIRE(reply);
  auto m = dnsp::resolver::Message::parse(*reply);
  REQUIRE(m);
  CHECK(m->rcode() == dnsp::resolver::RCode::Refused);
  CHECK_FALSE(dnsp::resolver::find_explain_reply(*m));
  bool ede = false;
  for (const auto& opt : m->edns_options()) {
    if (opt.code == dnsp::resolver::kEdnsOptionEde) {
      ede = std::string(opt.data.begin() + 2, opt.data.end()).find("over TCP only") !=
            std::string::npos;
    }
  }
  CHECK(ede);
  // Over TCP from loopback it is a trace.
  TcpClient tcp(proxy->port());
  REQUIRE(tcp.connected());
  tcp.send_framed(q);
  auto t = tcp.receive(10000);
  REQUIRE(t);
  auto tm = dnsp::resolver::Message::parse(*t);
  REQUIRE(tm);
  auto trace = dnsp::resolver::find_explain_reply(*tm);
  REQUIRE(trace);
  CHECK(trace->exit_code == 0);
  CHECK(trace->report.find("verdict  secure") != std::string::npos);
  CHECK(proxy->terminate() == 0);
}

TEST_CASE("explain: the configured negative trust anchors make a name insecure, with the cause") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  const auto conf =
      dir.write("nta.toml", "[dnssec]\nnegative_trust_anchors = [\"Expired.test\"]\n");
  auto r = explain("www.expired.test", "A", "--no-color --config " + conf);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("verdict  insecure") != std::string::npos);
  CHECK(r.out.find("EDE      ") == std::string::npos);
  const std::string cause = cause_line(r.out);
  CHECK(cause.find("www.expired.test. is at or below the negative trust anchor expired.test. "
                   "([dnssec] negative_trust_anchors, RFC 7646)") != std::string::npos);
  CHECK(cause.find("Without it the answer would be bogus: expired.test.: RRSIG over") !=
        std::string::npos);
  // The chain is still shown: it says whether the anchor can go.
  CHECK(r.out.find("zone expired.test.  bogus") != std::string::npos);
  CHECK(r.out.find("next     Remove expired.test. from [dnssec] negative_trust_anchors") !=
        std::string::npos);
  // Its neighbours are validated as before.
  CHECK(explain("www.dsmismatch.test", "A", "--no-color --config " + conf).exit_code == 2);
  auto j = explain("www.expired.test", "A", "--json --config " + conf);
  auto v = json::parse(j.out);
  REQUIRE(v);
  CHECK(json::SchemaChecker(load_schema()).check(*v).empty());
  CHECK((*v)["verdict"]["reason"].str() == "negative_trust_anchor");
  CHECK((*v)["verdict_without_negative_anchor"]["security"].str() == "bogus");
}

TEST_CASE("explain: with [dnssec] trust_anchor_state, the state's anchors are used, read only") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  TempDir dir;
  // Configured: the real root's DS, which the test root does not match (bogus alone).
  const auto iana = dir.write("iana.ds",
                              ". IN DS 20326 8 2 "
                              "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
  // The state (as the daemon keeps it) trusts the test root's key.
  auto test_root = dnsp::resolver::TrustAnchors::from_file(h.anchor());
  REQUIRE(test_root);
  const auto* root = test_root->find(dnsp::resolver::Name::root());
  REQUIRE(root != nullptr);
  const std::string state_text =
      dnsp::resolver::TrustAnchorState::seeded(*root, 1790000000).to_text();
  const std::string state = dir.write("root.state", state_text);
  const auto with_state =
      dir.write("state.toml", "[dnssec]\ntrust_anchor_state = \"" + state + "\"\n");
  const std::string up = "127.0.0.1:" + std::to_string(h.upstream_port());
  auto r = run_command(
      explain_command(up, iana, "www.secure-ecdsa.test", "A", "--no-color --config " + with_state) +
      " 2>/dev/null");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("verdict  secure") != std::string::npos);
  // Not written: same text.
  std::ifstream f(state);
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK(ss.str() == state_text);
  // Without the state the configured anchor alone does not match.
  auto plain = run_command(explain_command(up, iana, "www.secure-ecdsa.test", "A", "--no-color") +
                           " 2>/dev/null");
  CHECK(plain.exit_code == 2);
  // A state file that does not exist yet is not created: the configured anchors apply.
  const std::string missing = dir.path() + "/none.state";
  const auto with_missing =
      dir.write("missing.toml", "[dnssec]\ntrust_anchor_state = \"" + missing + "\"\n");
  auto m = run_command(explain_command(up, iana, "www.secure-ecdsa.test", "A",
                                       "--no-color --config " + with_missing) +
                       " 2>/dev/null");
  CHECK(m.exit_code == 2);
  CHECK(access(missing.c_str(), F_OK) != 0);
  // A damaged one is a configuration error, as for the daemon.
  const auto damaged = dir.write("damaged.state", ". VALID yesterday DNSKEY nonsense\n");
  const auto with_damaged =
      dir.write("damaged.toml", "[dnssec]\ntrust_anchor_state = \"" + damaged + "\"\n");
  auto d = run_command(explain_command(up, iana, "www.secure-ecdsa.test", "A",
                                       "--no-color --config " + with_damaged) +
                       " 2>&1");
  INFO(d.out);
  CHECK(d.exit_code == 4);
  CHECK(d.out.find("trust anchor state " + damaged + ":1:") != std::string::npos);
}
