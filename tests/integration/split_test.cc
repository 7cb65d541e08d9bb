// Split DNS and private zones (issue 17): [[forward]] zones with their own servers and a
// DNSSEC policy each, the private zones treated as insecure by default with the built-in
// root anchors, and reloads that change forward zones. The public upstream is the signed
// hierarchy's iterating Unbound; the private one a mock upstream serving an unsigned
// corp.test (a zone the hierarchy's test. proves does not exist) and a home network's names.
// Also the start-up warning for [local] data inside a signed public zone (local_test.cc has
// the rest of local data; this file starts the hierarchy anyway).
#include <doctest/doctest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "harness.h"
#include "hierarchy.h"
#include "mock_upstream.h"

using namespace dnsp::test;
using dnsp::resolver::RRType;

namespace {

MockRule answer(const std::string& owner, RRType type, std::vector<uint8_t> rdata) {
  MockRule rule;
  rule.answer = {{owner, type, 60, std::move(rdata)}};
  return rule;
}

// The private resolver: www.corp.test A 10.1.2.3, router.lan A 192.168.1.1, and the PTR of
// 192.168.1.1; anything else NXDOMAIN.
void private_zone(MockUpstream& up) {
  up.set_rule("www.corp.test", RRType::A, answer("www.corp.test", RRType::A, a_rdata("10.1.2.3")));
  up.set_rule("router.lan", RRType::A, answer("router.lan", RRType::A, a_rdata("192.168.1.1")));
}

int64_t metric(const std::string& body, const std::string& sample) {
  const size_t at = body.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + sample.size() + 2));
}

std::string forward(const std::string& zone, const std::string& server, const char* dnssec) {
  return "[[forward]]\nzone = \"" + zone + "\"\nservers = [\"" + server + "\"]\ndnssec = \"" +
         dnssec + "\"\n";
}

}  // namespace

TEST_CASE("split: a forward zone's questions reach only its servers; insecure vs validate") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  MockUpstream corp;
  private_zone(corp);
  TempDir dir;
  const uint16_t http = free_port();
  const std::string public_upstream = "127.0.0.1:" + std::to_string(h.upstream_port());
  const std::string head = "[upstream]\nservers = [\"" + public_upstream +
                           "\"]\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(http) + "\"\n";
  const std::string cfg =
      dir.write("proxy.toml", head + forward("corp.test", corp.address(), "insecure"));
  ProxyProcess proxy({"--config", cfg, "--trust-anchor", h.anchor(), "--log-level", "debug"});
  // The private name: from the private server, passed with AD clear (not validated).
  const auto priv = dig(proxy.port(), "+dnssec www.corp.test A");
  CHECK(priv.status == "NOERROR");
  CHECK(priv.answer_count == 1);
  CHECK(priv.output.find("10.1.2.3") != std::string::npos);
  CHECK_FALSE(priv.has_flag("ad"));
  const int asked = corp.udp_queries() + corp.tcp_queries();
  CHECK(asked >= 1);
  // A public name: validated from the public chain, never asked of the private server.
  const auto pub = dig(proxy.port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(pub.status == "NOERROR");
  CHECK(pub.has_flag("ad"));
  CHECK(corp.udp_queries() + corp.tcp_queries() == asked);
  CHECK(proxy.log().find("forwarding corp.test. to " + corp.address() +
                         " (dnssec = \"insecure\": not validated)") != std::string::npos);
  CHECK(proxy.log().find("at or below the insecure forward zone corp.test. ([[forward]] dnssec = "
                         "\"insecure\")") != std::string::npos);
  // The public side as Unbound sees it: corp.test does not exist (test. proves it).
  const auto reference = run_command("dig +time=2 @127.0.0.1 -p " +
                                     std::to_string(h.reference_port()) + " www.corp.test A");
  CHECK(reference.out.find("status: NXDOMAIN") != std::string::npos);

  // The same zone validated: the public parent proves it does not exist, so the private
  // answer cannot be secure: SERVFAIL, and the private server was asked (the DS of corp.test
  // from the public side). Reload keeps the public answers cached.
  REQUIRE(eventually([&] { return tcp_accepts(http); }));
  auto public_queries = [&] {
    const std::string body =
        run_command("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(http) + "/metrics")
            .out;
    return metric(body, "dnssec_proxy_upstream_server_queries_total{upstream=\"" + public_upstream +
                            "\",transport=\"plain\"}");
  };
  const int64_t before = public_queries();
  dir.write("proxy.toml", head + forward("corp.test", corp.address(), "validate"));
  kill(proxy.pid(), SIGHUP);
  REQUIRE(eventually(
      [&] { return proxy.log().find("reloaded the configuration") != std::string::npos; }));
  CHECK(proxy.log().find("reload: forward zone corp.test. changed; dropped ") != std::string::npos);
  CHECK(dig(proxy.port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  CHECK(public_queries() == before);  // still cached: an unchanged zone keeps its answers
  const auto bogus = dig(proxy.port(), "+dnssec www.corp.test A");
  CHECK(bogus.status == "SERVFAIL");
  CHECK(bogus.ede_text.find(
            "; corp.test. is a [[forward]] zone validated from the chain above it, which does "
            "not lead to it securely: set dnssec = \"insecure\" for it, or add its trust anchor "
            "to trust_anchor_file") != std::string::npos);
  CHECK(bogus.ede_text.find("upstream " + corp.address()) != std::string::npos);
  CHECK(corp.udp_queries() + corp.tcp_queries() > asked);

  // No forward zone any more: the name goes to the public side, and the private answer
  // cached earlier is never served for it.
  dir.write("proxy.toml", head);
  kill(proxy.pid(), SIGHUP);
  REQUIRE(eventually(
      [&] { return proxy.log().find("reload: 0 forward zone(s)") != std::string::npos; }));
  const int now_asked = corp.udp_queries() + corp.tcp_queries();
  const auto gone = dig(proxy.port(), "+dnssec www.corp.test A");
  CHECK(gone.status == "NXDOMAIN");
  CHECK(gone.has_flag("ad"));
  CHECK(gone.output.find("10.1.2.3") == std::string::npos);
  CHECK(corp.udp_queries() + corp.tcp_queries() == now_asked);
}

TEST_CASE("split: the longest forward zone wins; reverse zones route the same way") {
  MockUpstream outer;
  MockUpstream inner;
  outer.set_rule("a.example.test", RRType::A,
                 answer("a.example.test", RRType::A, a_rdata("192.0.2.1")));
  inner.set_rule("b.lab.example.test", RRType::A,
                 answer("b.lab.example.test", RRType::A, a_rdata("192.0.2.2")));
  inner.set_rule("5.1.168.192.in-addr.arpa", RRType::PTR,
                 answer("5.1.168.192.in-addr.arpa", RRType::PTR,
                        {4, 'h', 'o', 's', 't', 3, 'l', 'a', 'n', 0}));
  MockUpstream fallback;
  fallback.set_default_silent(true);
  TempDir dir;
  const std::string cfg =
      dir.write("proxy.toml", "[upstream]\nservers = [\"" + fallback.address() + "\"]\n" +
                                  forward("example.test", outer.address(), "insecure") +
                                  forward("lab.example.test", inner.address(), "insecure") +
                                  forward("168.192.in-addr.arpa", inner.address(), "insecure"));
  // Validation on (the built-in root anchors), so the insecure policy is what lets the
  // unsigned private answers through.
  ProxyProcess proxy({"--config", cfg});
  CHECK(dig(proxy.port(), "a.example.test A").answer_count == 1);
  CHECK(dig(proxy.port(), "b.lab.example.test A").answer_count == 1);
  const auto ptr = dig(proxy.port(), "-x 192.168.1.5");
  CHECK(ptr.status == "NOERROR");
  CHECK(ptr.output.find("host.lan.") != std::string::npos);
  CHECK(outer.udp_queries() == 1);
  CHECK(inner.udp_queries() == 2);
  // The fallback ([upstream]) is probed (. DNSKEY, com. DS) but asked none of these.
  CHECK(fallback.queries_for("a.example.test", RRType::A) == 0);
  CHECK(fallback.queries_for("b.lab.example.test", RRType::A) == 0);
  CHECK(fallback.queries_for("5.1.168.192.in-addr.arpa", RRType::PTR) == 0);
}

TEST_CASE("split: private zones are insecure by default with the built-in anchors only") {
  MockUpstream home;
  private_zone(home);
  TempDir dir;
  {
    // Built-in root anchors: router.lan is a private name, passed without validation.
    ProxyProcess proxy({"--upstream", home.address()});
    const auto d = dig(proxy.port(), "+dnssec router.lan A");
    CHECK(d.status == "NOERROR");
    CHECK(d.answer_count == 1);
    CHECK_FALSE(d.has_flag("ad"));
    CHECK(proxy.log().find("private zones are not validated (") != std::string::npos);
    CHECK(proxy.log().find("the defaults") != std::string::npos);
  }
  {
    // The list emptied: router.lan is validated from the root, which this upstream cannot
    // prove: SERVFAIL.
    const std::string cfg = dir.write("empty.toml", "[dnssec]\nprivate_zones = []\n");
    ProxyProcess proxy({"--upstream", home.address(), "--config", cfg});
    CHECK(dig(proxy.port(), "+dnssec router.lan A").status == "SERVFAIL");
    CHECK(proxy.log().find("private zones are not validated") == std::string::npos);
  }
  {
    // A trust anchor file (a private root may sign lan.): no defaults.
    REQUIRE_HIERARCHY();
    ProxyProcess proxy({"--upstream", home.address(), "--trust-anchor", Hierarchy::get().anchor()});
    CHECK(dig(proxy.port(), "+dnssec router.lan A").status == "SERVFAIL");
  }
}

namespace {

// The report's line that starts with `label` ("cause", "next"): the labels are padded to 9.
std::string line_starting(const std::string& out, const std::string& label) {
  const std::string start = "\n" + label + std::string(9 - label.size(), ' ');
  const size_t at = out.find(start);
  return at == std::string::npos ? std::string()
                                 : out.substr(at + 1, out.find('\n', at + 1) - at - 1);
}

}  // namespace

TEST_CASE("split: explain and explain --server route through the forward zones and name them") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  MockUpstream corp;
  private_zone(corp);
  TempDir dir;
  const std::string head =
      "[upstream]\nservers = [\"127.0.0.1:" + std::to_string(h.upstream_port()) + "\"]\n";
  const std::string insecure =
      dir.write("insecure.toml", head + forward("corp.test", corp.address(), "insecure"));
  const std::string validate =
      dir.write("validate.toml", head + forward("corp.test", corp.address(), "validate"));
  const std::string binary = DNSSEC_PROXY_BINARY;
  auto explain = [&](const std::string& cfg, const std::string& where) {
    return run_command(binary + " explain www.corp.test A --no-color --config " + cfg +
                       " --trust-anchor " + h.anchor() + " " + where + " 2>/dev/null");
  };
  // Insecure by the [[forward]] policy: the question went to the private server, and the
  // report says which zone and which policy.
  const auto local = explain(insecure, "");
  INFO(local.out);
  CHECK(local.exit_code == 1);
  CHECK(local.out.find("upstream " + corp.address() +
                       " for the forward zone corp.test. (dnssec = \"insecure\")") !=
        std::string::npos);
  CHECK(
      line_starting(local.out, "cause")
          .find(
              "www.corp.test. is in the forward zone corp.test. (dnssec = \"insecure\"), answered "
              "by " +
              corp.address() + ": by that [[forward]] policy the proxy does not validate it") !=
      std::string::npos);
  CHECK(local.out.find("10.1.2.3") != std::string::npos);
  CHECK(corp.udp_queries() + corp.tcp_queries() >= 1);

  // Validated: the public parent (test.) proves corp.test does not exist, so the chain cannot
  // lead to it: bogus, and the cause says so and names the fix.
  const auto denied = explain(validate, "");
  INFO(denied.out);
  CHECK(denied.exit_code == 2);
  CHECK(
      line_starting(denied.out, "cause")
          .find(
              "corp.test. is a [[forward]] zone validated from the chain above it, which does not "
              "lead to it securely") != std::string::npos);
  CHECK(line_starting(denied.out, "next")
            .find("Set dnssec = \"insecure\" in the [[forward]] table of corp.test.") !=
        std::string::npos);

  // explain --server (and so the /explain page, the same service): the running proxy's
  // forward zones, the same words.
  const uint16_t http = free_port();
  const std::string with_page = dir.write(
      "page.toml", read_text_file(insecure) +
                       "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(http) + "\"\n");
  ProxyProcess proxy({"--config", with_page, "--trust-anchor", h.anchor()});
  const auto remote =
      run_command(binary + " explain www.corp.test A --no-color --server 127.0.0.1:" +
                  std::to_string(proxy.port()) + " 2>/dev/null");
  INFO(remote.out);
  CHECK(remote.exit_code == 1);
  CHECK(line_starting(remote.out, "cause") == line_starting(local.out, "cause"));
  REQUIRE(eventually([&] { return tcp_accepts(http); }));
  const auto page = run_command("curl -sS --max-time 10 'http://127.0.0.1:" + std::to_string(http) +
                                "/explain?name=www.corp.test&type=A&format=text'");
  CHECK(line_starting(page.out, "cause") == line_starting(local.out, "cause"));
  ProxyProcess validating({"--config", validate, "--trust-anchor", h.anchor()});
  const auto remote_denied =
      run_command(binary + " explain www.corp.test A --no-color --server 127.0.0.1:" +
                  std::to_string(validating.port()) + " 2>/dev/null");
  CHECK(remote_denied.exit_code == 2);
  CHECK(line_starting(remote_denied.out, "next") == line_starting(denied.out, "next"));
}

TEST_CASE("split: [local] data inside a signed public zone gets a warning naming it") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  TempDir dir;
  const std::string cfg = dir.write(
      "proxy.toml", "[upstream]\nservers = [\"127.0.0.1:" + std::to_string(h.upstream_port()) +
                        "\"]\n" +
                        "[local]\nrecords = [\n  \"www.secure-ecdsa.test. A 10.9.9.9\",\n"
                        "  \"local.insecure.test. A 10.9.9.8\",\n]\n");
  ProxyProcess proxy({"--config", cfg, "--trust-anchor", h.anchor()});
  INFO(proxy.log());
  const auto a = dig(proxy.port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(a.has_flag("aa"));
  CHECK_FALSE(a.has_flag("ad"));
  CHECK(a.output.find("10.9.9.9") != std::string::npos);
  CHECK(eventually([&] {
    return proxy.log().find("[local] www.secure-ecdsa.test. (" + cfg +
                            ":5: local.records[0]) is inside secure-ecdsa.test., a zone signed "
                            "and proven secure: clients that validate themselves will reject") !=
           std::string::npos;
  }));
  // The unsigned zone's name is not warned about.
  CHECK(proxy.log().find("[local] local.insecure.test. (") == std::string::npos);
}
