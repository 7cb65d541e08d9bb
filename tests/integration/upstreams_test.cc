// Which upstream server a query goes to (issue 18, "slow and broken paths"): [upstream]
// strategy (order, fastest, round-robin), a server that black-holes costing one hedge
// delay instead of a timeout, and a server that stopped answering tried last. Mock
// upstreams on loopback count what each was asked; validation is off (an empty trust anchor
// file), so every upstream query is a client's.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/name.h"
#include "tests/resolver/test_signer.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

// The proxy with one event loop (selection is per loop) and `upstream_table` as the
// [upstream] section of its configuration.
std::vector<std::string> proxy_args(const TempDir& dir, const std::string& upstream_table) {
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const std::string config = dir.write("proxy.toml", "[upstream]\n" + upstream_table);
  return {"--config", config, "--trust-anchor", anchors, "--threads", "1", "--log-level", "debug"};
}

std::string servers(const MockUpstream& a, const MockUpstream& b) {
  return "servers = [\"" + a.address() + "\", \"" + b.address() + "\"]\n";
}

}  // namespace

TEST_CASE("upstreams: a first server that black-holes costs one hedge delay, not a timeout") {
  MockUpstream hole;
  hole.set_default_silent(true);
  MockUpstream good;
  TempDir dir;
  // Each try waits 2 s, but a client's query ends (SERVFAIL) after 1.5 s: only asking the
  // second server before the first has timed out can answer it.
  const std::string table =
      servers(hole, good) + "timeout_ms = 2000\nattempts = 1\nquery_timeout_ms = 1500\n";
  {
    ProxyProcess proxy(proxy_args(dir, table));
    const DigResult r = dig(proxy.port(), "+time=4 +tries=1 one.hedge.test A");
    CHECK(r.status == "NXDOMAIN");
    CHECK(hole.udp_queries() >= 1);
    CHECK(good.udp_queries() >= 1);
    CHECK(proxy.log().find("is slow; asking " + good.address() + " too") != std::string::npos);
  }
  {
    // The same without hedging: the second server is asked only after the first timed out,
    // which is after the client's deadline.
    ProxyProcess proxy(proxy_args(dir, table + "hedge = false\n"));
    const int good_before = good.udp_queries();
    const DigResult r = dig(proxy.port(), "+time=4 +tries=1 two.hedge.test A");
    CHECK(r.status == "SERVFAIL");
    CHECK(good.udp_queries() == good_before);
  }
}

namespace {

// An IPv6 server that black-holes: a UDP socket on [::1] that takes every datagram and
// answers none, and no TCP listener at all (a black-holing path gives no RST either, but
// the proxy asks over UDP first).
class BlackHole6 {
 public:
  BlackHole6() {
    fd_ = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      throw std::runtime_error("cannot bind a UDP socket on [::1]");
    }
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin6_port);
  }
  ~BlackHole6() { close(fd_); }
  BlackHole6(const BlackHole6&) = delete;
  BlackHole6& operator=(const BlackHole6&) = delete;
  std::string address() const { return "[::1]:" + std::to_string(port_); }
  // The datagrams that arrived since the last call (read and dropped).
  int take() {
    int n = 0;
    uint8_t buf[1500];
    while (recv(fd_, buf, sizeof buf, 0) >= 0) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace

TEST_CASE("upstreams: an IPv6 server that black-holes costs one hedge delay, then nothing") {
  BlackHole6 hole;
  MockUpstream good;
  TempDir dir;
  // As above: a try waits 2 s, a client's query ends after 1.5 s, so only the hedge to the
  // second (IPv4) server answers in time.
  ProxyProcess proxy(proxy_args(dir, "servers = [\"" + hole.address() + "\", \"" + good.address() +
                                         "\"]\ntimeout_ms = 2000\nattempts = 1\n"
                                         "query_timeout_ms = 1500\n"));
  for (int i = 0; i < 3; ++i) {
    CHECK(dig(proxy.port(), "+time=4 +tries=1 v" + std::to_string(i) + ".hedge6.test A").status ==
          "NXDOMAIN");
  }
  CHECK(hole.take() >= 1);
  CHECK(proxy.log().find(hole.address() + " is slow; asking " + good.address() + " too") !=
        std::string::npos);
  // Once its tries have timed out (2 s), it is down: the next queries go straight to the
  // IPv4 server and the IPv6 one sees none of them.
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  hole.take();
  const int good_before = good.udp_queries();
  for (int i = 0; i < 5; ++i) {
    CHECK(dig(proxy.port(), "+time=4 +tries=1 w" + std::to_string(i) + ".hedge6.test A").status ==
          "NXDOMAIN");
  }
  CHECK(hole.take() == 0);
  CHECK(good.udp_queries() == good_before + 5);
}

TEST_CASE("upstreams: a server that stopped answering is asked last, whatever comes first") {
  MockUpstream hole;
  hole.set_default_silent(true);
  MockUpstream good;
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, servers(hole, good) + "timeout_ms = 300\nattempts = 1\n"));
  for (int i = 0; i < 3; ++i) {
    CHECK(dig(proxy.port(), "+time=3 +tries=1 warm" + std::to_string(i) + ".down.test A").status ==
          "NXDOMAIN");
  }
  // Its tries have timed out by now: two failures in a row make it "down".
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const int hole_before = hole.udp_queries();
  const int good_before = good.udp_queries();
  for (int i = 0; i < 10; ++i) {
    CHECK(dig(proxy.port(), "+time=3 +tries=1 n" + std::to_string(i) + ".down.test A").status ==
          "NXDOMAIN");
  }
  CHECK(hole.udp_queries() == hole_before);
  CHECK(good.udp_queries() == good_before + 10);
}

TEST_CASE("upstreams: round-robin spreads queries over the servers") {
  MockUpstream a;
  MockUpstream b;
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, servers(a, b) + "strategy = \"round-robin\"\n"));
  const int a_before = a.udp_queries();
  const int b_before = b.udp_queries();
  for (int i = 0; i < 20; ++i) {
    CHECK(dig(proxy.port(), "+time=3 +tries=1 n" + std::to_string(i) + ".rr.test A").status ==
          "NXDOMAIN");
  }
  CHECK(a.udp_queries() - a_before == 10);
  CHECK(b.udp_queries() - b_before == 10);
}

TEST_CASE("upstreams: fastest leaves a server 700 ms slower than the other alone") {
  MockUpstream slow;
  MockUpstream fast;
  MockRule late;
  late.rcode = RCode::NXDomain;
  late.delay_ms = 700;
  for (int i = 0; i < 30; ++i)
    slow.set_rule("n" + std::to_string(i) + ".fast.test", RRType::A, late);
  slow.set_rule(".", RRType::SOA, late);  // the readiness probe, if it comes here
  TempDir dir;
  ProxyProcess proxy(
      proxy_args(dir, servers(slow, fast) + "strategy = \"fastest\"\nhedge = false\n"));
  const int slow_before = slow.udp_queries();
  for (int i = 0; i < 30; ++i) {
    CHECK(dig(proxy.port(), "+time=3 +tries=1 n" + std::to_string(i) + ".fast.test A").status ==
          "NXDOMAIN");
  }
  // Each server is measured once while unmeasured; after that the slow one is outside the
  // 400 ms band (and re-measured only every 100th query).
  CHECK(slow.udp_queries() - slow_before <= 2);
}

namespace {

// What a resolver that passes DNSSEC through answers the probes (proxy/upstream/probe.h):
// the root's DNSKEY with an RRSIG, and com. DS denied by a signed NSEC. The signatures are
// not checked by the probe, only their presence.
void answer_probes(MockUpstream& m) {
  std::vector<uint8_t> key{0x01, 0x01, 3, 13};  // flags 257, protocol 3, ECDSAP256SHA256
  key.resize(4 + 64, 0x42);
  MockRule keys;
  keys.answer = {{".", RRType::DNSKEY, 3600, key},
                 {".", RRType::RRSIG, 3600, fake_rrsig_rdata(RRType::DNSKEY, ".")}};
  m.set_rule(".", RRType::DNSKEY, keys);
  MockRule ds;
  ds.rcode = RCode::NXDomain;
  ds.authority = {{".", RRType::RRSIG, 3600, fake_rrsig_rdata(RRType::NSEC, ".")}};
  m.set_rule("com", RRType::DS, ds);
}

// The sample of `family` for `upstream` in Prometheus text, or "".
std::string metric_line(const std::string& text, const std::string& family,
                        const std::string& upstream) {
  size_t at = 0;
  while ((at = text.find("dnssec_proxy_" + family + "{upstream=\"" + upstream + "\"", at)) !=
         std::string::npos) {
    const size_t end = text.find('\n', at);
    return text.substr(at, end - at);
  }
  return "";
}

}  // namespace

TEST_CASE("upstreams: probes find servers that strip RRSIGs, drop CD, lack TCP or are gone") {
  MockUpstream ok, strips, drops_cd, no_tcp, gone;
  for (MockUpstream* m : {&ok, &strips, &drops_cd, &no_tcp}) answer_probes(*m);
  strips.set_strip_rrsig_over_udp(true);
  drops_cd.set_drop_cd(true);
  no_tcp.set_no_tcp(true);
  gone.set_default_silent(true);
  TempDir dir;
  // A root anchor that nothing here is signed with: the probes only run when validating.
  const std::string anchor =
      dir.write("root.ds", ". 3600 IN DS 12345 13 2 " + std::string(64, 'A') + "\n");
  const uint16_t metrics = free_port();
  const std::string config = dir.write(
      "proxy.toml", "[upstream]\nservers = [\"" + strips.address() + "\", \"" + ok.address() +
                        "\", \"" + drops_cd.address() + "\", \"" + no_tcp.address() + "\", \"" +
                        gone.address() +
                        "\"]\ntimeout_ms = 300\nattempts = 1\n[metrics]\nlisten = \"127.0.0.1:" +
                        std::to_string(metrics) + "\"\n");
  ProxyProcess proxy({"--config", config, "--trust-anchor", anchor, "--threads", "1"});
  const std::string url = "http://127.0.0.1:" + std::to_string(metrics) + "/metrics";
  auto state_of = [&](const MockUpstream& m) {
    const std::string line = metric_line(curl(url), "upstream_server_state", m.address());
    const size_t at = line.find("state=\"");
    return at == std::string::npos ? std::string()
                                   : line.substr(at + 7, line.find('"', at + 7) - at - 7);
  };
  REQUIRE(eventually([&] { return state_of(gone) == "unreachable"; }));
  CHECK(state_of(ok) == "ok");
  CHECK(state_of(strips) == "strips-dnssec");
  CHECK(state_of(drops_cd) == "drops-cd");
  CHECK(state_of(no_tcp) == "no-tcp");
  const std::string log = proxy.log();
  CHECK(log.find("upstream " + strips.address() +
                 " (strips-dnssec): answered . DNSKEY over UDP without its RRSIG") !=
        std::string::npos);
  CHECK(log.find("upstream " + drops_cd.address() +
                 " (drops-cd): answered . DNSKEY without CD but not with CD") != std::string::npos);
  CHECK(log.find("upstream " + no_tcp.address() + " (no-tcp): no answer to . DNSKEY over TCP") !=
        std::string::npos);
  CHECK(log.find("upstream " + ok.address() + " passes DNSSEC through") != std::string::npos);

  // explain --server shows what the probes found of each server, and a failure's cause
  // names the servers that are not ok (the anchor here matches no key: bogus).
  const std::vector<std::string> explain{
      "explain",   "www.probe.test", "A", "--server", "127.0.0.1:" + std::to_string(proxy.port()),
      "--no-color"};
  const auto text = run_proxy_to_exit(explain);
  INFO(text.out);
  CHECK(text.out.find("probe    " + strips.address() +
                      " strips-dnssec: answered . DNSKEY over UDP without its RRSIG\n") !=
        std::string::npos);
  CHECK(text.out.find("probe    " + ok.address() + " ok: ") != std::string::npos);
  CHECK(text.out.find("probe    " + gone.address() + " unreachable") != std::string::npos);
  CHECK(text.out.find("The proxy's probes found: upstream " + strips.address() +
                      " is strips-dnssec (answered . DNSKEY over UDP without its RRSIG)") !=
        std::string::npos);
  CHECK(text.out.find("upstream " + ok.address() + " is ok") == std::string::npos);
  auto json_args = explain;
  json_args.push_back("--json");
  const auto json = run_proxy_to_exit(json_args);
  CHECK(json.out.find("\"upstream_probes\"") != std::string::npos);
  CHECK(json.out.find("\"server\":\"" + drops_cd.address() + "\",\"state\":\"drops-cd\"") !=
        std::string::npos);

  // The first server strips: queries go to the healthy one first, so it is never asked.
  const std::string before =
      metric_line(curl(url), "upstream_server_queries_total", strips.address());
  const int ok_before = ok.udp_queries();
  for (int i = 0; i < 5; ++i) {
    dig(proxy.port(), "+time=3 +tries=1 +cd n" + std::to_string(i) + ".probe.test A");
  }
  CHECK(metric_line(curl(url), "upstream_server_queries_total", strips.address()) == before);
  CHECK(ok.udp_queries() >= ok_before + 5);
}

namespace {

// A private root signed at test time (tests/resolver/test_signer.h): its keys, and `www.` A
// signed by its ZSK.
struct SignedRootZone {
  test::TestKey ksk{Name::root(), test::kKskFlags, 0x61};
  test::TestKey zsk{Name::root(), test::kZoneKeyFlags, 0x62};
  uint32_t inception = static_cast<uint32_t>(std::time(nullptr) - 3600);
  uint32_t expiration = static_cast<uint32_t>(std::time(nullptr) + 30 * 86400);

  MockRule signed_rule(const std::string& owner, RRType type,
                       const std::vector<std::vector<uint8_t>>& rdatas,
                       const test::TestKey& key) const {
    MockRule r;
    for (const auto& rd : rdatas) r.answer.push_back({owner, type, 300, rd});
    r.answer.push_back(
        {owner, RRType::RRSIG, 300,
         key.sign(*Name::from_text(owner), type, 300, rdatas, inception, expiration)});
    return r;
  }
  // www. A 192.0.2.1 signed by the ZSK.
  MockRule www_a() const { return signed_rule("www.", RRType::A, {a_rdata("192.0.2.1")}, zsk); }
  void serve_keys(MockUpstream& m) const {
    m.set_rule(".", RRType::DNSKEY,
               signed_rule(".", RRType::DNSKEY, {ksk.dnskey_rdata(), zsk.dnskey_rdata()}, ksk));
  }
};

}  // namespace

TEST_CASE("upstreams: a forged answer that wins the hedge is validated, then asked elsewhere") {
  // The honest server is asked first but answers www. A late (600 ms); the hedge asks the
  // forger too, whose unsigned A arrives first. Whatever server answers, the answer is
  // validated: the forged one is bogus, never handed out, and the question goes again to
  // the servers that gave none of its records: the honest answer, validated, with AD.
  const SignedRootZone root;
  MockUpstream honest;
  MockUpstream forger;
  root.serve_keys(honest);
  root.serve_keys(forger);
  MockRule late = root.www_a();
  late.delay_ms = 600;
  honest.set_rule("www.", RRType::A, late);
  MockRule forged;
  forged.answer = {{"www.", RRType::A, 300, a_rdata("203.0.113.66")}};
  forger.set_rule("www.", RRType::A, forged);
  TempDir dir;
  const std::string anchor = dir.write("root.ds", root.ksk.ds_anchor_text());
  auto args = [&](const std::string& extra) {
    const std::string config =
        dir.write("proxy.toml", "[upstream]\n" + servers(honest, forger) + extra);
    return std::vector<std::string>{"--config",  config, "--trust-anchor", anchor,
                                    "--threads", "1",    "--log-level",    "info"};
  };
  {
    ProxyProcess proxy(args(""));
    const DigResult r = dig(proxy.port(), "+dnssec +time=5 +tries=1 www. A");
    INFO(r.output << proxy.log());
    CHECK(r.status == "NOERROR");
    CHECK(r.has_flag("ad"));
    CHECK(r.output.find("192.0.2.1") != std::string::npos);
    CHECK(r.output.find("203.0.113.66") == std::string::npos);
    CHECK(forger.queries_for("www.", RRType::A) == 1);  // the hedge asked it, the retry not
    CHECK(proxy.log().find("asking again elsewhere (the answer came from " + forger.address()) !=
          std::string::npos);
  }
  {
    // Without the hedge only the honest server is asked: its signed answer, with AD.
    const int forger_before = forger.queries_for("www.", RRType::A);
    ProxyProcess proxy(args("hedge = false\n"));
    const DigResult r = dig(proxy.port(), "+dnssec +time=5 +tries=1 www. A");
    INFO(r.output << proxy.log());
    CHECK(r.status == "NOERROR");
    CHECK(r.has_flag("ad"));
    CHECK(r.output.find("192.0.2.1") != std::string::npos);
    CHECK(forger.queries_for("www.", RRType::A) == forger_before);
  }
  {
    // Only the forger: the retry has no other server to go to, and the verdict stands.
    ProxyProcess proxy(
        {"--upstream", forger.address(), "--trust-anchor", anchor, "--threads", "1"});
    const DigResult r = dig(proxy.port(), "+dnssec +time=5 +tries=1 www. A");
    INFO(r.output << proxy.log());
    CHECK(r.status == "SERVFAIL");
    CHECK_FALSE(r.has_flag("ad"));
    CHECK(r.ede_code.has_value());
    CHECK(r.output.find("203.0.113.66") == std::string::npos);
  }
}

TEST_CASE("upstreams: a bad signature from the first server is asked again at the next one") {
  // The first server answers with its signature broken (a bogus verdict, not missing
  // records): the question goes once more, to the other server, whose answer validates.
  const SignedRootZone root;
  MockUpstream broken;
  MockUpstream good;
  root.serve_keys(broken);
  root.serve_keys(good);
  MockRule bad = root.www_a();
  bad.answer.back().rdata.back() ^= 0x01;  // the RRSIG's last signature octet
  broken.set_rule("www.", RRType::A, bad);
  good.set_rule("www.", RRType::A, root.www_a());
  TempDir dir;
  const std::string anchor = dir.write("root.ds", root.ksk.ds_anchor_text());
  const std::string config =
      dir.write("proxy.toml", "[upstream]\n" + servers(broken, good) + "hedge = false\n");
  ProxyProcess proxy(
      {"--config", config, "--trust-anchor", anchor, "--threads", "1", "--log-level", "info"});
  const DigResult r = dig(proxy.port(), "+dnssec +time=5 +tries=1 www. A");
  INFO(r.output << proxy.log());
  CHECK(r.status == "NOERROR");
  CHECK(r.has_flag("ad"));
  CHECK(broken.queries_for("www.", RRType::A) == 1);
  CHECK(good.queries_for("www.", RRType::A) == 1);
  CHECK(proxy.log().find("asking again elsewhere (the answer came from " + broken.address() +
                         ") before calling it bogus") != std::string::npos);
  // A second question: the bogus verdict was never cached, the good answer was.
  const DigResult again = dig(proxy.port(), "+dnssec +time=5 +tries=1 www. A");
  CHECK(again.has_flag("ad"));
  CHECK(broken.queries_for("www.", RRType::A) == 1);
}

TEST_CASE(
    "upstreams: a server that truncates every UDP answer above 512 octets is asked over TCP") {
  // Home routers that ignore the EDNS size: the signed answer (about 750 octets) comes with
  // TC over UDP; the proxy asks again over TCP and validates the whole answer.
  const SignedRootZone root;
  MockUpstream up;
  root.serve_keys(up);
  up.set_udp_limit_512(true);
  std::vector<uint8_t> txt;
  for (int i = 0; i < 3; ++i) {
    txt.push_back(200);
    txt.insert(txt.end(), 200, static_cast<uint8_t>('a' + i));
  }
  up.set_rule("big.", RRType::TXT, root.signed_rule("big.", RRType::TXT, {txt}, root.zsk));
  TempDir dir;
  const std::string anchor = dir.write("root.ds", root.ksk.ds_anchor_text());
  ProxyProcess proxy({"--upstream", up.address(), "--trust-anchor", anchor, "--threads", "1"});
  const DigResult r = dig(proxy.port(), "+dnssec +time=5 +tries=1 big. TXT");
  INFO(r.output << proxy.log());
  CHECK(r.status == "NOERROR");
  CHECK(r.has_flag("ad"));
  CHECK_FALSE(r.has_flag("tc"));
  CHECK(r.output.find(std::string(200, 'c')) != std::string::npos);
  CHECK(up.queries_for("big.", RRType::TXT) >= 2);  // over UDP (TC), then over TCP
}
