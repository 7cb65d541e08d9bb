// The cache's behaviour at the edges of a TTL, end to end (issue: cache and speed):
// serve-stale (RFC 8767) when every upstream fails, and prefetch of popular answers.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/name.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

MockRule a_rule(const std::string& owner, uint32_t ttl) {
  MockRule r;
  r.answer = {{owner, RRType::A, ttl, a_rdata("192.0.2.1")}};
  return r;
}

std::vector<std::string> args_for(const MockUpstream& up, const TempDir& dir,
                                  const std::string& cache_table) {
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const std::string path = dir.write(
      "proxy.toml", "[upstream]\nservers = [\"" + up.address() +
                        "\"]\ntimeout_ms = 200\nattempts = 1\nquery_timeout_ms = 1500\n"
                        "[dnssec]\ntrust_anchor_file = \"" +
                        anchors + "\"\n[log]\nlevel = \"debug\"\n[cache]\n" + cache_table);
  return {"--config", path};
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("serve-stale: when the upstream fails, an expired answer comes back with EDE 3") {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", 1));
  TempDir dir;
  ProxyProcess proxy(args_for(up, dir, "serve_stale = true\n"));
  auto fresh = dig(proxy.port(), "www.example.test A");
  REQUIRE(fresh.status == "NOERROR");
  CHECK_FALSE(fresh.ede_code.has_value());
  MockRule silent;
  silent.silent = true;
  up.set_rule("www.example.test", RRType::A, silent);
  sleep_ms(1300);  // the answer has expired
  auto stale = dig(proxy.port(), "www.example.test A");
  CHECK(stale.status == "NOERROR");
  CHECK(stale.output.find("192.0.2.1") != std::string::npos);
  CHECK(stale.output.find("\t30\tIN\tA\t192.0.2.1") != std::string::npos);  // RFC 8767 §4
  REQUIRE(stale.ede_code.has_value());
  CHECK(*stale.ede_code == 3);
  CHECK(stale.ede_text.find("every upstream failed") != std::string::npos);
  CHECK(up.udp_queries() >= 2);  // it did ask first
  // The upstream answers again: fresh data, no EDE.
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", 300));
  auto back = dig(proxy.port(), "www.example.test A");
  CHECK(back.status == "NOERROR");
  CHECK_FALSE(back.ede_code.has_value());
  CHECK(proxy.log().find("stale: www.example.test. A") != std::string::npos);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("serve-stale: off by default, an expired answer is not served") {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", 1));
  TempDir dir;
  ProxyProcess proxy(args_for(up, dir, ""));
  REQUIRE(dig(proxy.port(), "www.example.test A").status == "NOERROR");
  MockRule silent;
  silent.silent = true;
  up.set_rule("www.example.test", RRType::A, silent);
  sleep_ms(1300);
  auto d = dig(proxy.port(), "www.example.test A");
  CHECK(d.status == "SERVFAIL");
  CHECK(d.ede_code == 22);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE(
    "prefetch: a popular answer asked in its last tenth of TTL is refreshed in the background") {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", 10));
  TempDir dir;
  ProxyProcess proxy(args_for(up, dir, ""));  // prefetch is on by default
  REQUIRE(dig(proxy.port(), "www.example.test A").status == "NOERROR");  // t=0, miss
  const auto start = std::chrono::steady_clock::now();
  CHECK(dig(proxy.port(), "www.example.test A").status == "NOERROR");  // hit
  CHECK(up.udp_queries() == 1);
  std::this_thread::sleep_until(start + std::chrono::milliseconds(9200));
  auto late = dig(proxy.port(), "www.example.test A");  // hit, < 1 s of 10 left: prefetch
  CHECK(late.status == "NOERROR");
  for (int i = 0; i < 100 && up.udp_queries() < 2; ++i) sleep_ms(10);
  CHECK(up.udp_queries() == 2);
  CHECK(proxy.log().find("prefetching www.example.test. A") != std::string::npos);
  std::this_thread::sleep_until(start + std::chrono::milliseconds(10600));
  // The old answer has expired; the refreshed one answers without another upstream query.
  auto after = dig(proxy.port(), "www.example.test A");
  CHECK(after.status == "NOERROR");
  CHECK(up.udp_queries() == 2);
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("serve-stale: an expired NXDOMAIN comes back with EDE 19 when the upstream fails") {
  MockUpstream up;
  MockRule nx;
  nx.rcode = RCode::NXDomain;
  nx.authority = {{"example.test.", RRType::SOA, 3600, soa_rdata(1)}};  // minimum 1 s
  up.set_rule("gone.example.test", RRType::A, nx);
  TempDir dir;
  ProxyProcess proxy(args_for(up, dir, "serve_stale = true\n"));
  REQUIRE(dig(proxy.port(), "gone.example.test A").status == "NXDOMAIN");
  MockRule silent;
  silent.silent = true;
  up.set_rule("gone.example.test", RRType::A, silent);
  sleep_ms(1300);  // the negative answer has expired (SOA minimum 1 s, RFC 2308 §5)
  auto stale = dig(proxy.port(), "gone.example.test A");
  CHECK(stale.status == "NXDOMAIN");
  REQUIRE(stale.ede_code.has_value());
  CHECK(*stale.ede_code == 19);  // RFC 8914 §4.20: Stale NXDOMAIN Answer
  CHECK(stale.ede_text.find("every upstream failed") != std::string::npos);
  CHECK(stale.output.find("\t30\tIN\tSOA\t") != std::string::npos);  // RFC 8767 §4: TTL 30
  CHECK(up.udp_queries() >= 2);                                      // it did ask first
  CHECK(proxy.terminate() == 0);
}
