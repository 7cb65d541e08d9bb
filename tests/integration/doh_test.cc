// DNS-over-HTTPS upstreams end to end (issue 16, RFC 8484 over HTTP/2, strict RFC 8310):
// Unbound serving DoH in front of the signed hierarchy (secure, bogus and insecure answers),
// and tests/integration/doh_server.py (Debian's python3-h2) that counts what it gets and
// answers with HTTP errors, another content type, nothing at all, or refuses HTTP/2.
// Certificates, the cleartext trap and the clients are encrypted_fixtures.h's. Each server
// listens on port 443 of a 127.x.y.z address of this process's own. Needs root.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "encrypted_fixtures.h"
#include "harness.h"
#include "hierarchy.h"

using namespace dnsp::test;

namespace {

// doh_server.py on ADDR:443 in `mode`, stopped (SIGKILL) when this goes or by kill().
class DohServer {
 public:
  DohServer(const std::string& addr, const std::string& mode, const std::string& cert = "",
            const std::string& key = "") {
    const auto& c = Certs::get();
    stats_ = dir_.path() + "/stats";
    pid_ = fork();
    if (pid_ == 0) {
      const std::string script =
          std::string(DNSSEC_PROXY_SOURCE_DIR) + "/tests/integration/doh_server.py";
      execl("/usr/bin/python3", "python3", script.c_str(), addr.c_str(),
            (cert.empty() ? c.good_cert : cert).c_str(), (key.empty() ? c.good_key : key).c_str(),
            mode.c_str(), stats_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ok_ = eventually([&] { return !stats().empty(); });
  }
  ~DohServer() { kill(); }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool ok() const { return ok_; }
  std::map<std::string, int> stats() const {
    std::map<std::string, int> out;
    std::ifstream in(stats_);
    std::string line;
    while (std::getline(in, line)) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos) out[line.substr(0, eq)] = std::stoi(line.substr(eq + 1));
    }
    return out;
  }
  int count(const std::string& what) const {
    auto s = stats();
    return s.count(what) ? s[what] : -1;
  }

 private:
  TempDir dir_;
  std::string stats_;
  pid_t pid_ = -1;
  bool ok_ = false;
};

std::string url(const std::string& addr, const std::string& name = "dns.test") {
  return "https://" + addr + "/dns-query#" + name;
}

// What the proxy names the server in logs and EDE texts.
std::string shown(const std::string& addr, const std::string& name = "dns.test") {
  return "https://" + addr + ":443/dns-query#" + name;
}

}  // namespace

TEST_CASE("doh: secure, bogus and insecure answers from the signed hierarchy over DoH") {
  REQUIRE_HIERARCHY();
  REQUIRE_CERTS();
  auto& h = Hierarchy::get();
  auto& c = Certs::get();
  const std::string addr = address(21);
  CleartextTrap trap(addr);
  REQUIRE(trap.bound());
  EncryptedUnbound unbound(addr);
  REQUIRE(unbound.ready());
  ProxyProcess proxy({"--upstream", url(addr), "--tls-ca-file", c.ca, "--trust-anchor", h.anchor(),
                      "--threads", "1", "--log-level", "debug"});
  const auto secure = dig(proxy.port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(secure.status == "NOERROR");
  CHECK(secure.has_flag("ad"));
  const auto bogus = dig(proxy.port(), "+dnssec www.badsig.test A");
  CHECK(bogus.status == "SERVFAIL");
  CHECK(bogus.ede_code.has_value());
  const auto insecure = dig(proxy.port(), "+dnssec www.insecure.test A");
  CHECK(insecure.status == "NOERROR");
  CHECK_FALSE(insecure.has_flag("ad"));
  CHECK(insecure.answer_count == 1);
  // The same three through Unbound's own DoH listener (kdig, no validation there): the
  // proxy's AD and SERVFAIL are its own verdicts over the same data.
  const auto direct = run_command("kdig @" + addr + " +https=/dns-query +tls-ca=" + c.ca +
                                  " +tls-hostname=dns.test +dnssec +cd www.badsig.test A");
  CHECK(direct.out.find("status: NOERROR") != std::string::npos);
  CHECK(proxy.log().find("forwarding to " + shown(addr)) != std::string::npos);
  CHECK(proxy.log().find("TLSv1.3 connection ready") != std::string::npos);
  CHECK(trap.packets() == 0);
}

TEST_CASE("doh: a refused server is never used, and nothing goes out in cleartext") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  struct Case {
    const char* what;
    std::string mode, cert, key, name;
    std::string expected;  // in the EDE text
    int address;
  };
  const std::vector<Case> cases = {
      {"wrong name", "answer", c.good_cert, c.good_key, "dns.other",
       "certificate name dns.other does not match (the certificate is for dns.test)", 22},
      {"self-signed", "answer", c.self_cert, c.self_key, "dns.test", "self-signed certificate", 23},
      {"expired", "answer", c.expired_cert, c.expired_key, "dns.test", "certificate expired 20",
       24},
      {"no HTTP/2", "http1", c.good_cert, c.good_key, "dns.test",
       "the server did not agree to h2 by ALPN", 25},
  };
  for (const Case& k : cases) {
    SUBCASE(k.what) {
      const std::string addr = address(k.address);
      CleartextTrap trap(addr);
      REQUIRE(trap.bound());
      DohServer server(addr, k.mode, k.cert, k.key);
      REQUIRE(server.ok());
      TempDir dir;
      auto proxy = proxy_to(dir, url(addr, k.name));
      const auto start = Clock::now();
      const auto d = dig(proxy->port(), "www.example.test A");
      CHECK(Clock::now() - start < std::chrono::seconds(2));
      CHECK(d.status == "SERVFAIL");
      CHECK(d.ede_code == 23);
      CHECK(d.ede_text.find(shown(addr, k.name) + ": " + k.expected) != std::string::npos);
      INFO(d.output);
      CHECK(proxy->log().find("warn: upstream " + shown(addr, k.name) + ": " + k.expected) !=
            std::string::npos);
      CHECK(server.count("requests") == 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      CHECK(trap.packets() == 0);
    }
  }
}

TEST_CASE("doh: a wrong pin refuses the server; the right pin alone authenticates it") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(26);
  DohServer server(addr, "answer", c.self_cert, c.self_key);
  REQUIRE(server.ok());
  TempDir dir;
  const std::string pin =
      run_command("openssl pkey -in " + c.self_key +
                  " -pubout -outform der | openssl dgst -sha256 -binary | base64 | tr -d '\\n'")
          .out;
  auto with_pin = [&](const std::string& p) {
    const std::string cfg =
        dir.write("proxy.toml", "[[upstream.server]]\nurl = \"https://" + addr +
                                    "/dns-query\"\nspki_pins = [\"" + p + "\"]\n");
    return std::make_unique<ProxyProcess>(std::vector<std::string>{
        "--config", cfg, "--trust-anchor", empty_anchor_file(dir), "--threads", "1"});
  };
  {
    auto wrong = with_pin(c.other_pin);
    const auto d = dig(wrong->port(), "pin.example.test A");
    CHECK(d.status == "SERVFAIL");
    CHECK(d.ede_text.find("SPKI pin mismatch") != std::string::npos);
    CHECK(server.count("requests") == 0);
  }
  auto right = with_pin(pin);
  const auto d = dig(right->port(), "pin.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 1);
  CHECK(server.count("requests") == 1);
}

TEST_CASE("doh: 2000 queries as concurrent streams on one connection, ID 0, padded") {
  // 90 at a time: under the server's 100 concurrent streams (python-h2's default, as
  // Unbound's http-max-streams), so one connection carries them all.
  REQUIRE_CERTS();
  const std::string addr = address(27);
  DohServer server(addr, "answer");
  REQUIRE(server.ok());
  TempDir dir;
  const uint16_t metrics = free_port();
  const std::string cfg = dir.write(
      "proxy.toml", "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n");
  auto proxy = proxy_to(dir, url(addr), {"--config", cfg});
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back("s" + std::to_string(i) + ".example.test");
  const auto start = Clock::now();
  const auto rcodes = udp_burst(proxy->port(), names, 90);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  int noerror = 0;
  for (int r : rcodes) noerror += r == 0 ? 1 : 0;
  MESSAGE("2000 queries over DoH in " << took.count() << " ms");
  CHECK(noerror == 2000);
  const auto stats = server.stats();
  CHECK(stats.at("connections") == 1);
  CHECK(stats.at("requests") == 2000);
  CHECK(stats.at("posts") == 2000);   // RFC 8484 §4.1: POST application/dns-message
  CHECK(stats.at("id0") == 2000);     // ... with message ID 0
  CHECK(stats.at("padded") == 2000);  // RFC 8467: multiples of 128 octets
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  const std::string body =
      run_command("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(metrics) + "/metrics")
          .out;
  CHECK(metric(body, "dnssec_proxy_upstream_tls_handshakes_total{resumed=\"false\"}") == 1);
  CHECK(metric(body, "dnssec_proxy_upstream_tls_queries_total") == 2000);
  // Per server (issue 16): its queries, answers, handshakes, connections and RTT.
  const std::string server_label = "{upstream=\"" + shown(addr) + "\",transport=\"https\"";
  CHECK(metric(body, "dnssec_proxy_upstream_server_queries_total" + server_label + "}") == 2000);
  CHECK(metric(body, "dnssec_proxy_upstream_server_answers_total" + server_label + "}") == 2000);
  CHECK(metric(body, "dnssec_proxy_upstream_server_failures_total" + server_label +
                         ",kind=\"timeout\"}") == 0);
  CHECK(metric(body, "dnssec_proxy_upstream_server_handshakes_total" + server_label +
                         ",resumed=\"false\"}") == 1);
  CHECK(metric(body, "dnssec_proxy_upstream_server_connections" + server_label + "}") == 1);
  const std::string srtt_line = "dnssec_proxy_upstream_server_srtt_seconds" + server_label + "} ";
  const size_t srtt_at = body.find(srtt_line);
  REQUIRE(srtt_at != std::string::npos);
  const double srtt = std::stod(body.substr(srtt_at + srtt_line.size()));
  CHECK(srtt > 0.0);
  CHECK(srtt < 1.0);
  // 200 at a time: past the server's 100 streams a second connection opens, and no third
  // (TlsUpstream::kMaxConnections); the rest wait for a free stream.
  std::vector<std::string> more;
  for (int i = 0; i < 1000; ++i) more.push_back("m" + std::to_string(i) + ".example.test");
  const auto more_rcodes = udp_burst(proxy->port(), more, 200);
  int more_noerror = 0;
  for (int r : more_rcodes) more_noerror += r == 0 ? 1 : 0;
  CHECK(more_noerror == 1000);
  CHECK(server.count("connections") == 2);
  CHECK(server.count("requests") == 3000);
}

TEST_CASE("doh: HTTP errors and a body that is not a DNS message: SERVFAIL naming them") {
  REQUIRE_CERTS();
  struct Case {
    const char* mode;
    std::string expected;
    int address;
  };
  const std::vector<Case> cases = {
      {"status:503", "HTTP status 503", 28},
      {"status:404", "HTTP status 404", 29},
      {"type:text/html", "HTTP reply of type text/html, not application/dns-message", 30},
  };
  for (const Case& k : cases) {
    SUBCASE(k.mode) {
      const std::string addr = address(k.address);
      DohServer server(addr, k.mode);
      REQUIRE(server.ok());
      TempDir dir;
      auto proxy = proxy_to(dir, url(addr));
      const auto start = Clock::now();
      const auto d = dig(proxy->port(), "err.example.test A");
      CHECK(Clock::now() - start < std::chrono::seconds(2));
      CHECK(d.status == "SERVFAIL");
      CHECK(d.ede_text.find(shown(addr) + ": " + k.expected) != std::string::npos);
      INFO(d.output);
      // Each try asked once more (attempts = 2), on the same connection: an HTTP error is
      // the query's, not the connection's.
      CHECK(server.count("requests") == 2);
      CHECK(server.count("connections") == 1);
      INFO(proxy->log());
    }
  }
}

TEST_CASE("doh: the server killed with queries in flight: each gets SERVFAIL in time") {
  REQUIRE_CERTS();
  const std::string addr = address(31);
  DohServer server(addr, "silent");
  REQUIRE(server.ok());
  TempDir dir;
  auto proxy = proxy_to(dir, url(addr));
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back("k" + std::to_string(i) + ".example.test");
  std::thread killer([&] {
    eventually([&] { return server.count("requests") >= 10; });
    server.kill();
  });
  const auto start = Clock::now();
  const auto rcodes = udp_burst(proxy->port(), names, 10);
  killer.join();
  CHECK(Clock::now() - start < std::chrono::seconds(5));
  for (int r : rcodes) CHECK(r == 2);  // SERVFAIL, each one
}

TEST_CASE("doh: a host-name URL with bootstrap addresses; explain names the transport") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(32);
  DohServer server(addr, "answer");
  REQUIRE(server.ok());
  TempDir dir;
  const std::string cfg = dir.write(
      "proxy.toml", "[upstream]\nservers = [\"https://dns.test/dns-query\"]\ntls_ca_file = \"" +
                        c.ca + "\"\n[upstream.bootstrap]\n\"dns.test\" = [\"" + addr + "\"]\n");
  ProxyProcess proxy({"--config", cfg, "--trust-anchor", empty_anchor_file(dir), "--threads", "1"});
  const auto d = dig(proxy.port(), "boot.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 1);
  CHECK(proxy.log().find("forwarding to https://dns.test/dns-query (" + addr + ":443)") !=
        std::string::npos);
  // explain over the same upstream: the report names it and its transport.
  const auto r = run_proxy_to_exit({"explain", "boot.example.test", "A", "--no-color", "--config",
                                    cfg, "--trust-anchor", empty_anchor_file(dir)});
  INFO(r.out);
  CHECK(r.exit_code == 1);  // insecure: no trust anchor here
  CHECK(r.out.find("upstream https://dns.test/dns-query (" + addr + ":443)") != std::string::npos);
  CHECK(server.count("requests") >= 2);
}

TEST_CASE("doh: SIGHUP switches a plain upstream to DoH: the next query goes over HTTPS") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(33);
  DohServer server(addr, "answer");
  REQUIRE(server.ok());
  CleartextTrap trap(addr);
  REQUIRE(trap.bound());
  TempDir dir;
  // First plain DNS to the trap's address: answered by nobody (the trap reads and drops).
  const std::string plain = "[upstream]\nservers = [\"" + addr +
                            "\"]\ntimeout_ms = 300\nattempts = 1\ntls_ca_file = \"" + c.ca + "\"\n";
  const std::string cfg = dir.write("proxy.toml", plain);
  ProxyProcess proxy({"--config", cfg, "--trust-anchor", empty_anchor_file(dir), "--threads", "1"});
  CHECK(dig(proxy.port(), "+tries=1 +time=3 before.example.test A").status == "SERVFAIL");
  CHECK(trap.packets() >= 1);
  // Reload onto DoH: the next query goes over HTTPS, and nothing more in cleartext.
  dir.write("proxy.toml",
            "[upstream]\nservers = [\"" + url(addr) + "\"]\ntls_ca_file = \"" + c.ca + "\"\n");
  const int cleartext = trap.packets();
  kill(proxy.pid(), SIGHUP);
  REQUIRE(eventually(
      [&] { return proxy.log().find("reloaded the configuration") != std::string::npos; }));
  const auto d = dig(proxy.port(), "after.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 1);
  CHECK(server.count("requests") == 1);
  CHECK(trap.packets() == cleartext);
  INFO(proxy.log());
  CHECK(proxy.log().find("forwarding to " + shown(addr)) != std::string::npos);
}
