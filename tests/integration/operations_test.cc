// Operations (issue: real use): SIGHUP reloads the configuration for real (listeners,
// upstreams, anchors; the cache kept), statistics scraped from the [metrics] HTTP listener
// with curl and printed on SIGUSR1, and the structured log line of a bogus verdict.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "harness.h"
#include "hierarchy.h"
#include "mock_upstream.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Sends SIGHUP and waits for the proxy to say how the reload ended (the n-th time).
void reload(ProxyProcess& proxy, size_t nth) {
  kill(proxy.pid(), SIGHUP);
  CHECK(eventually([&] {
    const std::string log = proxy.log();
    return count_of(log, "reloaded the configuration") + count_of(log, "reload failed") >= nth;
  }));
}

std::string config_file(uint16_t listen1, std::optional<uint16_t> listen2,
                        const MockUpstream& upstream, const std::string& anchors) {
  std::string listen = "\"127.0.0.1:" + std::to_string(listen1) + "\"";
  if (listen2) listen += ", \"127.0.0.1:" + std::to_string(*listen2) + "\"";
  return "[server]\nlisten = [" + listen + "]\n[upstream]\nservers = [\"" + upstream.address() +
         "\"]\n[dnssec]\ntrust_anchor_file = \"" + anchors + "\"\n[log]\nlevel = \"debug\"\n";
}

MockRule a_rule(const std::string& owner, const std::string& address) {
  MockRule r;
  r.answer = {{owner, RRType::A, 300, a_rdata(address)}};
  return r;
}

}  // namespace

TEST_CASE("reload: SIGHUP switches upstreams and listeners, keeps the cache, survives a bad file") {
  TempDir dir;
  // Validation off (an empty anchor file): this is about what a reload changes.
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  MockUpstream first, second;
  first.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  second.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.2"));
  second.set_rule("new.example.test", RRType::A, a_rule("new.example.test.", "192.0.2.3"));
  const uint16_t p1 = free_port();
  uint16_t p2 = free_port();
  while (p2 == p1) p2 = free_port();
  const std::string path = dir.write("proxy.toml", config_file(p1, std::nullopt, first, anchors));
  ProxyProcess proxy({"--config", path}, /*add_listen=*/false);
  REQUIRE(eventually([&] { return tcp_accepts(p1); }));

  auto before = dig(p1, "www.example.test A");
  CHECK(before.status == "NOERROR");
  CHECK(before.output.find("192.0.2.1") != std::string::npos);
  CHECK(first.udp_queries() == 1);

  // A second listener and another upstream.
  dir.write("proxy.toml", config_file(p1, p2, second, anchors));
  reload(proxy, 1);
  CHECK(proxy.log().find("reloaded the configuration") != std::string::npos);
  REQUIRE(eventually([&] { return tcp_accepts(p2); }));
  // The cached answer survives the reload: no upstream is asked again.
  auto cached = dig(p1, "www.example.test A");
  CHECK(cached.output.find("192.0.2.1") != std::string::npos);
  CHECK(first.udp_queries() == 1);
  CHECK(second.udp_queries() == 0);
  // New questions go to the new upstream, on the old and the new listener.
  auto fresh = dig(p2, "new.example.test A");
  CHECK(fresh.status == "NOERROR");
  CHECK(fresh.output.find("192.0.2.3") != std::string::npos);
  CHECK(second.udp_queries() == 1);
  CHECK(first.udp_queries() == 1);

  // A file with an error changes nothing, and the log says where the error is.
  dir.write("proxy.toml", "[upstream]\nservers = [\"not an address\"]\n");
  reload(proxy, 2);
  const std::string log = proxy.log();
  CHECK(log.find("reload: " + path + ":2") != std::string::npos);
  CHECK(log.find("upstream.servers[0]") != std::string::npos);
  CHECK(log.find("still running with the previous configuration") != std::string::npos);
  CHECK(dig(p2, "new.example.test A").status == "NOERROR");

  // Dropping the second listener closes it; the first keeps answering.
  dir.write("proxy.toml", config_file(p1, std::nullopt, second, anchors));
  reload(proxy, 3);
  CHECK(eventually([&] { return !tcp_accepts(p2); }));
  CHECK(dig(p1, "new.example.test A").status == "NOERROR");
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("reload: changed trust anchors empty the caches, unchanged ones keep them") {
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  const uint16_t port = free_port();
  const std::string path = dir.write("proxy.toml", config_file(port, std::nullopt, up, anchors));
  ProxyProcess proxy({"--config", path}, false);
  REQUIRE(eventually([&] { return tcp_accepts(port); }));
  CHECK(dig(port, "www.example.test A").status == "NOERROR");
  reload(proxy, 1);  // same file: cache kept
  CHECK(dig(port, "www.example.test A").status == "NOERROR");
  CHECK(up.udp_queries() == 1);
  // Another set of anchors in the same file (a real root DS): both caches are emptied, so
  // the next query goes upstream again.
  dir.write("no-anchors",
            ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
  reload(proxy, 2);
  CHECK(proxy.log().find("trust anchors changed") != std::string::npos);
  dig(port, "www.example.test A");
  CHECK(up.udp_queries() >= 2);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("metrics: curl scrapes Prometheus text from [metrics] listen; SIGUSR1 logs the same") {
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  MockRule silent;
  silent.silent = true;
  up.set_rule("slow.example.test", RRType::A, silent);
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  const std::string path = dir.write(
      "proxy.toml", "[server]\nlisten = [\"127.0.0.1:" + std::to_string(port) +
                        "\"]\n[upstream]\nservers = [\"" + up.address() +
                        "\"]\ntimeout_ms = 200\nattempts = 1\nquery_timeout_ms = 600\n[dnssec]\n"
                        "trust_anchor_file = \"" +
                        anchors + "\"\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) +
                        "\"\n");
  ProxyProcess proxy({"--config", path}, false);
  REQUIRE(eventually([&] { return tcp_accepts(port); }));
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));

  CHECK(dig(port, "www.example.test A").status == "NOERROR");       // miss
  CHECK(dig(port, "www.example.test A").status == "NOERROR");       // hit
  CHECK(dig(port, "+tcp www.example.test A").status == "NOERROR");  // hit over TCP
  CHECK(dig(port, "slow.example.test A").status == "SERVFAIL");     // upstream timeout

  const std::string url = "http://127.0.0.1:" + std::to_string(metrics);
  const std::string body = curl(url + "/metrics");
  INFO(body);
  CHECK(body.find("HTTP 200") != std::string::npos);
  CHECK(body.find("# TYPE dnssec_proxy_queries_total counter") != std::string::npos);
  CHECK(body.find("dnssec_proxy_queries_total{transport=\"udp\"} 3\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_queries_total{transport=\"tcp\"} 1\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_cache_hits_total 2\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_responses_total{rcode=\"NOERROR\"} 3\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_responses_total{rcode=\"SERVFAIL\"} 1\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_answers_total{security=\"insecure\"} 1\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_upstream_failures_total{reason=\"timeout\"} 1\n") !=
        std::string::npos);
  CHECK(body.find("dnssec_proxy_upstream_latency_seconds_count 1\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_upstream_latency_seconds_bucket{le=\"+Inf\"} 1\n") !=
        std::string::npos);
  CHECK(body.find("dnssec_proxy_cache_entries 1\n") != std::string::npos);
  // Every sample line is NAME{LABELS} VALUE or NAME VALUE (the text format's grammar).
  std::regex sample(R"(^dnssec_proxy_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.]+$)");
  size_t samples = 0;
  for (size_t pos = 0, end; (end = body.find('\n', pos)) != std::string::npos; pos = end + 1) {
    const std::string line = body.substr(pos, end - pos);
    if (line.empty() || line[0] == '#' || line.starts_with("HTTP ")) continue;
    CHECK_MESSAGE(std::regex_match(line, sample), line);
    ++samples;
  }
  CHECK(samples > 30);
  CHECK(curl(url + "/other").find("HTTP 404") != std::string::npos);
  CHECK(run_command("curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST " + url +
                    "/metrics")
            .out == "405");

  kill(proxy.pid(), SIGUSR1);
  // The summary is several log lines written one after the other: wait for its last one
  // ("in flight ..."), so that the upstream line with the timeouts is whole, not only for
  // the first.
  CHECK(
      eventually([&] { return proxy.log().find("statistics: in flight ") != std::string::npos; }));
  const std::string log = proxy.log();
  CHECK(log.find("statistics: queries 4 (udp 3, tcp 1), cache hits 2 (50%)") != std::string::npos);
  CHECK(log.find("statistics: upstream queries ") != std::string::npos);
  CHECK(log.find(", timeouts 1, ") != std::string::npos);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("metrics: only a Host that is an IP address or localhost is served (DNS rebinding)") {
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  MockUpstream up;
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  const std::string path = dir.write(
      "proxy.toml", "[server]\nlisten = [\"127.0.0.1:" + std::to_string(port) +
                        "\"]\n[upstream]\nservers = [\"" + up.address() +
                        "\"]\n[dnssec]\ntrust_anchor_file = \"" + anchors +
                        "\"\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n");
  ProxyProcess proxy({"--config", path}, false);
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  const std::string url = "http://127.0.0.1:" + std::to_string(metrics) + "/metrics";
  const auto with_host = [&](const std::string& host) {
    return run_command("curl -sS --max-time 5 -o - -w '\\nHTTP %{http_code}\\n' -H 'Host: " + host +
                       "' '" + url + "'")
        .out;
  };
  const std::string m = std::to_string(metrics);
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1:" + m, "127.0.0.1", "[::1]:" + m, "[::1]",
                                "localhost:" + m, "LocalHost", "192.0.2.7:80"}) {
    CAPTURE(host);
    CHECK(with_host(host).find("HTTP 200") != std::string::npos);
  }
  // A name, as a browser sends it for a page whose name was rebound to 127.0.0.1.
  for (const std::string& host :
       std::vector<std::string>{"attacker.example:" + m, "attacker.example", "127.0.0.1.nip.io",
                                "[::1", "::1", "127.0.0.1:80:80", "localhost.attacker.example"}) {
    CAPTURE(host);
    const std::string out = with_host(host);
    CHECK(out.find("HTTP 403") != std::string::npos);
    CHECK(out.find("only for a Host that is an IP address or localhost") != std::string::npos);
    CHECK(out.find("dnssec_proxy_") == std::string::npos);
  }
}

TEST_CASE("metrics: no HTTP listener unless [metrics] listen is set") {
  MockUpstream up;
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  ProxyProcess proxy({"--upstream", up.address(), "--trust-anchor", anchors});
  CHECK(proxy.log().find("metrics") == std::string::npos);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("metrics: bogus verdicts are counted by EDE and logged as one structured line") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  const uint16_t metrics = free_port();
  TempDir dir;
  const std::string path = dir.write(
      "proxy.toml", "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n");
  ProxyProcess proxy({"--config", path, "--upstream",
                      "127.0.0.1:" + std::to_string(h.upstream_port()), "--trust-anchor",
                      h.anchor()});
  INFO(proxy.log());
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  CHECK(dig(proxy.port(), "+dnssec www.expired.test A").ede_code == 7);
  CHECK(dig(proxy.port(), "+dnssec www.badsig.test A").ede_code == 6);
  CHECK(dig(proxy.port(), "+dnssec www.badsig.test A").ede_code == 6);  // cached bogus
  CHECK(dig(proxy.port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  const std::string body = curl("http://127.0.0.1:" + std::to_string(metrics) + "/metrics");
  INFO(body);
  CHECK(body.find("dnssec_proxy_bogus_total{ede=\"7\",name=\"Signature Expired\"} 1\n") !=
        std::string::npos);
  CHECK(body.find("dnssec_proxy_bogus_total{ede=\"6\",name=\"DNSSEC Bogus\"} 1\n") !=
        std::string::npos);
  CHECK(body.find("dnssec_proxy_answers_total{security=\"bogus\"} 2\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_answers_total{security=\"secure\"} 1\n") != std::string::npos);
  CHECK(body.find("dnssec_proxy_responses_total{rcode=\"SERVFAIL\"} 3\n") != std::string::npos);
  // logfmt: event qname qtype zone ede ede_name text client upstream, the text as sent.
  const std::string log = proxy.log();
  std::smatch m;
  REQUIRE(std::regex_search(
      log, m,
      std::regex(R"re(info: event=bogus qname=www\.expired\.test\. qtype=A zone=([^ ]+) ede=7 )re"
                 R"re(ede_name="Signature Expired" text="([^"]*)" client=127\.0\.0\.1:[0-9]+ )re"
                 R"re(upstream=127\.0\.0\.1:[0-9]+)re")));
  CHECK(m[1] == "expired.test.");
  CHECK(m[2].str().find("expired.test") != std::string::npos);
  CHECK(count_of(log, "event=bogus qname=www.badsig.test.") == 1);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("threads: two event loops share the port, the cache and identical misses") {
  MockUpstream up;
  MockRule slow;
  slow.delay_ms = 300;
  slow.answer = {{"slow.example.test.", RRType::A, 60, a_rdata("192.0.2.2")}};
  up.set_rule("slow.example.test", RRType::A, slow);
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  ProxyProcess proxy({"--upstream", up.address(), "--trust-anchor", anchors, "--threads", "2"});
  CHECK(eventually([&] { return proxy.log().find("2 threads") != std::string::npos; }));
  // 24 clients, each on its own socket (the kernel spreads them over both loops), ask the
  // same slow question at once: one upstream query, every client answered.
  std::vector<std::thread> clients;
  std::vector<int> answered(24, 0);
  for (int i = 0; i < 24; ++i) {
    clients.emplace_back([&, i] {
      answered[i] = dig(proxy.port(), "slow.example.test A").status == "NOERROR" ? 1 : 0;
    });
  }
  for (auto& c : clients) c.join();
  for (int i = 0; i < 24; ++i) CHECK(answered[i] == 1);
  CHECK(up.udp_queries() == 1);
  // Both loops took queries, and a hit on either comes from the one shared cache.
  for (int i = 0; i < 8; ++i) CHECK(dig(proxy.port(), "slow.example.test A").status == "NOERROR");
  CHECK(up.udp_queries() == 1);
  kill(proxy.pid(), SIGUSR1);
  CHECK(eventually([&] { return proxy.log().find("per event loop") != std::string::npos; }));
  std::smatch m;
  const std::string log = proxy.log();
  REQUIRE(std::regex_search(log, m, std::regex("queries per event loop: ([0-9]+), ([0-9]+)")));
  CHECK(std::stoi(m[1]) > 0);
  CHECK(std::stoi(m[2]) > 0);
  CHECK(std::stoi(m[1]) + std::stoi(m[2]) == 32);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("threads: a port another process holds is an error, not a silent share") {
  MockUpstream up;
  // Our own mock holds UDP and TCP on its port without SO_REUSEPORT.
  auto r = run_proxy_to_exit({"--listen", up.address(), "--upstream", "127.0.0.1:1", "--threads",
                              "2", "--trust-anchor", "/dev/null"});
  CHECK(r.exit_code != 0);
  CHECK(r.out.find("address already in use") != std::string::npos);
}
