// End-to-end tests of the forwarding proxy (issue: foundation): the real binary on a
// loopback port, a mock upstream speaking real DNS, queried with raw sockets and dig.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <thread>

#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/message.h"
#include "resolver/wire/message_builder.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

struct QueryOpts {
  uint16_t id = 0x4242;
  uint16_t flags = flag::kRD;
  RRType type = RRType::A;
  bool edns = false;
  uint16_t payload = 1232;
  uint8_t version = 0;
  bool do_bit = false;
};

std::vector<uint8_t> make_query(const std::string& name, QueryOpts o = {}) {
  MessageBuilder b;
  b.set_header(o.id, o.flags);
  (void)b.add_question(*Name::from_text(name), o.type, RRClass::IN);
  if (o.edns) {
    // The version octet is not in EdnsOut (we only ever send 0): patch it after.
    EdnsOut e;
    e.udp_payload = o.payload;
    e.flags = o.do_bit ? kEdnsDo : 0;
    (void)b.add_opt(e);
  }
  auto p = b.finish();
  if (o.edns && o.version != 0) p[p.size() - 5] = o.version;  // OPT TTL: ext-rcode, version
  return p;
}

// A mock with www.example.test A + RRSIG and a few other names.
void add_example(MockUpstream& m) {
  MockRule r;
  r.answer = {
      {"www.example.test.", RRType::A, 300, a_rdata("192.0.2.1")},
      {"www.example.test.", RRType::RRSIG, 300, fake_rrsig_rdata(RRType::A, "example.test.")}};
  m.set_rule("www.example.test", RRType::A, r);
  MockRule big;
  big.answer = {{"big.example.test.", RRType::TXT, 300, txt_rdata(3000)}};
  m.set_rule("big.example.test", RRType::TXT, big);
}

// These tests are about forwarding: an empty trust anchor file turns validation off (every
// answer insecure), so the mock upstream needs no signed root.
std::vector<std::string> forwarding(std::vector<std::string> args) {
  static TempDir dir;
  static const std::string empty = dir.write("no-anchors", "; validation off\n");
  args.push_back("--trust-anchor");
  args.push_back(empty);
  return args;
}

std::vector<std::string> upstream_args(const MockUpstream& m) {
  return {"--upstream", m.address(), "--log-level", "debug"};
}

}  // namespace

TEST_CASE("forwarding: the client's ID and question (with its case) are echoed") {
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto reply = udp_exchange(proxy.port(), make_query("WwW.ExAmPlE.TeSt", {.id = 0xBEEF}));
  REQUIRE(reply);
  auto m = Message::parse(*reply);
  REQUIRE(m);
  CHECK(m->id() == 0xBEEF);
  CHECK(m->has_flag(flag::kQR));
  CHECK(m->has_flag(flag::kRD));
  CHECK(m->rcode() == RCode::NoError);
  REQUIRE(m->questions().size() == 1);
  CHECK(m->questions()[0].name.to_string() == "WwW.ExAmPlE.TeSt.");
  REQUIRE(m->records().size() == 1);  // no DO: the RRSIG is left out (RFC 4035 §3.2.1)
  CHECK(m->records()[0].type == RRType::A);
}

TEST_CASE("forwarding: dig +dnssec gets the upstream's records with their RRSIGs") {
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto d = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 2);
  CHECK(d.output.find("192.0.2.1") != std::string::npos);
  CHECK(d.output.find("RRSIG\tA 13 2 3600") != std::string::npos);
  CHECK_FALSE(d.has_flag("ad"));  // validation is off here: nothing is proven secure
  // The upstream was asked with DO and CD so that the signed data comes back raw.
  CHECK(up.last_query_had_do());
  CHECK(up.last_query_had_cd());
  auto plain = dig(proxy.port(), "www.example.test A");
  CHECK(plain.answer_count == 1);
}

TEST_CASE("forwarding: a reply too big for the client's UDP size has TC; over TCP it is whole") {
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto small = dig(proxy.port(), "+ignore +bufsize=1232 big.example.test TXT");
  CHECK(small.status == "NOERROR");
  CHECK(small.has_flag("tc"));
  CHECK(small.answer_count == 0);
  auto no_edns = dig(proxy.port(), "+ignore +noedns big.example.test TXT");
  CHECK(no_edns.has_flag("tc"));
  auto tcp = dig(proxy.port(), "+tcp big.example.test TXT");
  CHECK(tcp.status == "NOERROR");
  CHECK_FALSE(tcp.has_flag("tc"));
  CHECK(tcp.answer_count == 1);
  // The 3000-octet answer does not fit the proxy's 1232-octet upstream UDP size either:
  // c-ares retried over TCP.
  CHECK(up.tcp_queries() >= 1);
}

TEST_CASE(
    "forwarding: an upstream UDP reply over 512 octets without TC is taken, not re-asked over "
    "TCP") {
  // Issue 22: c-ares 1.18 treats every UDP reply over 512 octets as truncated unless told
  // the EDNS size, and asked again over TCP (a DNSKEY RRset of two RSA keys is ~900 octets).
  MockUpstream up;
  MockRule medium;
  medium.answer = {{"medium.example.test.", RRType::TXT, 300, txt_rdata(800)}};
  up.set_rule("medium.example.test", RRType::TXT, medium);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto d = dig(proxy.port(), "+tcp medium.example.test TXT");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 1);
  CHECK(up.udp_queries() == 1);
  CHECK(up.tcp_queries() == 0);
}

TEST_CASE(
    "forwarding: behind an upstream that serves TCP exclusively, the connection closes after a "
    "truncated reply") {
  // Issue 22: dnsmasq --no-daemon serves one TCP connection at a time and reads no UDP
  // while it is open. The proxy once kept its upstream TCP connections open while idle, and
  // every later query to that upstream timed out.
  MockUpstream up;
  add_example(up);
  up.set_tcp_blocks_udp(true);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto big = dig(proxy.port(), "+tcp big.example.test TXT");
  CHECK(big.status == "NOERROR");
  CHECK(big.answer_count == 1);
  CHECK(up.tcp_queries() == 1);
  // The upstream connection is closed once the answer is in (the mock notices within 20 ms).
  for (int i = 0; i < 50 && up.open_tcp_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(up.open_tcp_connections() == 0);
  const int udp_before = up.udp_queries();
  auto next = dig(proxy.port(), "www.example.test A");
  CHECK(next.status == "NOERROR");
  CHECK(next.answer_count == 1);
  CHECK(up.udp_queries() - udp_before == 1);  // answered on the first attempt
}

TEST_CASE(
    "forwarding: an upstream that rejects EDNS is asked again without it; its FORMERR never "
    "reaches the client") {
  // Issue 14, point 5: an old or broken upstream answers FORMERR (no OPT) to any query with
  // EDNS. The client's query was fine: it must not see that FORMERR.
  MockUpstream up;
  MockRule r;
  r.formerr_on_edns = true;
  r.answer = {{"old.example.test.", RRType::A, 300, a_rdata("192.0.2.7")}};
  up.set_rule("old.example.test", RRType::A, r);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto d = dig(proxy.port(), "old.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 1);
  CHECK(up.queries_without_edns() >= 1);
  auto again = dig(proxy.port(), "+tcp old.example.test A");
  CHECK(again.status == "NOERROR");
}

TEST_CASE("forwarding: when the first upstream rejects EDNS, the second one answers with it") {
  MockUpstream first;
  MockUpstream second;
  MockRule r;
  r.formerr_on_edns = true;
  first.set_rule("www.example.test", RRType::A, r);
  add_example(second);
  ProxyProcess proxy(forwarding({"--upstream", first.address(), "--upstream", second.address()}));
  auto d = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 2);  // A and its RRSIG: asked with DO, so with EDNS
  CHECK(second.udp_queries() >= 1);
  CHECK(second.queries_without_edns() == 0);
}

TEST_CASE("forwarding: pipelined TCP queries are answered as they complete, out of order") {
  MockUpstream up;
  add_example(up);
  MockRule slow;
  slow.delay_ms = 400;
  slow.answer = {{"slow.example.test.", RRType::A, 60, a_rdata("192.0.2.2")}};
  up.set_rule("slow.example.test", RRType::A, slow);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  TcpClient c(proxy.port());
  REQUIRE(c.connected());
  auto q1 = make_query("slow.example.test", {.id = 1});
  auto q2 = make_query("www.example.test", {.id = 2});
  std::vector<uint8_t> both;
  for (auto* q : {&q1, &q2}) {
    both.push_back(static_cast<uint8_t>(q->size() >> 8));
    both.push_back(static_cast<uint8_t>(q->size()));
    both.insert(both.end(), q->begin(), q->end());
  }
  c.send_raw(both);  // one write, two queries
  auto first = c.receive();
  auto second = c.receive();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(Message::parse(*first)->id() == 2);
  CHECK(Message::parse(*second)->id() == 1);
}

TEST_CASE("forwarding: a silent upstream gives SERVFAIL with EDE 22 within the timeout") {
  MockUpstream up;
  up.set_default_silent(true);
  TempDir dir;
  const auto cfg =
      dir.write("p.toml", "[upstream]\ntimeout_ms = 200\nattempts = 1\nquery_timeout_ms = 800\n");
  ProxyProcess proxy(forwarding({"--config", cfg, "--upstream", up.address()}));
  const auto start = std::chrono::steady_clock::now();
  auto d = dig(proxy.port(), "+dnssec nothing.example.test A");
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(d.status == "SERVFAIL");
  REQUIRE(d.ede_code);
  CHECK(*d.ede_code == 22);
  CHECK(d.ede_text.find(up.address()) != std::string::npos);
  CHECK(took < std::chrono::milliseconds(1500));
}

TEST_CASE("forwarding: the query deadline answers SERVFAIL even while c-ares still retries") {
  MockUpstream up;
  up.set_default_silent(true);
  TempDir dir;
  const auto cfg =
      dir.write("p.toml", "[upstream]\ntimeout_ms = 2000\nattempts = 3\nquery_timeout_ms = 300\n");
  ProxyProcess proxy(forwarding({"--config", cfg, "--upstream", up.address()}));
  const auto start = std::chrono::steady_clock::now();
  auto d = dig(proxy.port(), "+dnssec nothing.example.test A");
  CHECK(d.status == "SERVFAIL");
  CHECK(d.ede_code == 22);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
}

TEST_CASE("forwarding: when the first upstream is silent the second one answers") {
  MockUpstream silent;
  silent.set_default_silent(true);
  MockUpstream good;
  add_example(good);
  TempDir dir;
  const auto cfg = dir.write("p.toml", "[upstream]\ntimeout_ms = 200\nattempts = 2\n");
  ProxyProcess proxy(
      forwarding({"--config", cfg, "--upstream", silent.address(), "--upstream", good.address()}));
  auto d = dig(proxy.port(), "www.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.output.find("192.0.2.1") != std::string::npos);
  CHECK(silent.udp_queries() >= 1);
}

TEST_CASE("forwarding: an unreachable upstream gives SERVFAIL with EDE 23") {
  const uint16_t closed = free_port();  // nothing listens there
  TempDir dir;
  const auto cfg = dir.write("p.toml", "[upstream]\ntimeout_ms = 300\nattempts = 1\n");
  ProxyProcess proxy(
      forwarding({"--config", cfg, "--upstream", "127.0.0.1:" + std::to_string(closed)}));
  auto d = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(d.status == "SERVFAIL");
  REQUIRE(d.ede_code);
  CHECK((*d.ede_code == 23 || *d.ede_code == 22));
}

TEST_CASE("forwarding: nothing is sent upstream before the first client query") {
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(up.udp_queries() + up.tcp_queries() == 0);
}

TEST_CASE("queries: an opcode other than QUERY gets NOTIMP") {
  MockUpstream up;
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto reply = udp_exchange(proxy.port(), make_query("x.test", {.flags = 2 << 11}));  // STATUS
  REQUIRE(reply);
  auto m = Message::parse(*reply);
  REQUIRE(m);
  CHECK(m->rcode() == RCode::NotImp);
  CHECK(up.udp_queries() == 0);
}

TEST_CASE("queries: no question, or two OPT records, get FORMERR") {
  MockUpstream up;
  ProxyProcess proxy(forwarding(upstream_args(up)));
  MessageBuilder b;
  b.set_header(7, flag::kRD);
  auto empty = b.finish();
  auto reply = udp_exchange(proxy.port(), empty);
  REQUIRE(reply);
  CHECK(Message::parse(*reply)->rcode() == RCode::FormErr);

  MessageBuilder b2;
  b2.set_header(8, flag::kRD);
  (void)b2.add_question(*Name::from_text("x.test"), RRType::A, RRClass::IN);
  (void)b2.add_opt({});
  (void)b2.add_opt({});
  reply = udp_exchange(proxy.port(), b2.finish());
  REQUIRE(reply);
  auto m = Message::parse_question(*reply);
  REQUIRE(m);
  CHECK((m->flags() & 0xF) == static_cast<uint16_t>(RCode::FormErr));
  CHECK(m->id() == 8);
  CHECK(m->questions().size() == 1);
}

TEST_CASE("queries: EDNS version 1 gets BADVERS (dig +edns=1)") {
  MockUpstream up;
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto d = dig(proxy.port(), "+edns=1 +noednsnegotiation www.example.test A");
  CHECK(d.status == "BADVERS");
  auto reply = udp_exchange(proxy.port(), make_query("x.test", {.edns = true, .version = 1}));
  REQUIRE(reply);
  auto m = Message::parse(*reply);
  REQUIRE(m);
  CHECK(m->rcode() == RCode::BadVers);
  REQUIRE(m->edns());
  CHECK(m->edns()->version == 0);
}

TEST_CASE("queries: zone transfers and other classes are refused") {
  MockUpstream up;
  ProxyProcess proxy(forwarding(upstream_args(up)));
  for (RRType t : {RRType::AXFR, RRType::IXFR}) {
    auto reply = udp_exchange(proxy.port(), make_query("example.test", {.type = t}));
    REQUIRE(reply);
    CHECK(Message::parse(*reply)->rcode() == RCode::Refused);
  }
  CHECK(dig(proxy.port(), "-c CH version.bind TXT").status == "REFUSED");
  CHECK(up.udp_queries() == 0);
}

TEST_CASE("queries: garbage is dropped and the proxy keeps answering") {
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  CHECK_FALSE(udp_exchange(proxy.port(), {1, 2, 3, 4, 5}, 300));
  std::vector<uint8_t> header_only_response(12, 0);
  header_only_response[2] = 0x80;  // QR: a response, never answered
  CHECK_FALSE(udp_exchange(proxy.port(), header_only_response, 300));
  TcpClient c(proxy.port());
  c.send_framed({0xde, 0xad, 0xbe, 0xef});
  CHECK(dig(proxy.port(), "www.example.test A").status == "NOERROR");
  CHECK(proxy.running());
}

TEST_CASE("tcp: an idle connection is closed after the idle timeout") {
  MockUpstream up;
  TempDir dir;
  const auto cfg = dir.write("p.toml", "[server]\ntcp_idle_timeout_ms = 300\n");
  ProxyProcess proxy(forwarding({"--config", cfg, "--upstream", up.address()}));
  TcpClient c(proxy.port());
  REQUIRE(c.connected());
  CHECK(c.closed_by_peer(2000));
}

TEST_CASE("tcp: connections past the limit are closed, the others keep working") {
  MockUpstream up;
  add_example(up);
  TempDir dir;
  const auto cfg = dir.write("p.toml", "[server]\ntcp_max_connections = 2\n");
  ProxyProcess proxy(forwarding({"--config", cfg, "--upstream", up.address()}));
  // ProxyProcess waited for the proxy to close its readiness probe: no connection is open.
  TcpClient a(proxy.port()), b(proxy.port());
  // Both are accepted and counted by the proxy (each answered a query: with several event
  // loops, a connection the kernel completed may wait for its loop's accept) before the
  // third arrives.
  uint16_t id = 1;
  for (TcpClient* client : {&a, &b}) {
    client->send_framed(make_query("www.example.test", {.id = id++}));
    REQUIRE(client->receive());
  }
  TcpClient c(proxy.port());
  INFO(proxy.log());
  CHECK(c.closed_by_peer(1000));
  a.send_framed(make_query("www.example.test", {.id = 9}));
  auto r = a.receive();
  REQUIRE(r);
  CHECK(Message::parse(*r)->id() == 9);
}

TEST_CASE("process: SIGTERM stops it with status 0 within a second") {
  MockUpstream up;
  ProxyProcess proxy(forwarding(upstream_args(up)));
  std::chrono::milliseconds took{};
  CHECK(proxy.terminate(&took) == 0);
  CHECK(took < std::chrono::milliseconds(1000));
}

TEST_CASE("process: listening on IPv6 loopback works for UDP and TCP") {
  MockUpstream up;
  add_example(up);
  const uint16_t port = free_port();
  ProxyProcess proxy(
      forwarding({"--upstream", up.address(), "--listen", "[::1]:" + std::to_string(port),
                  "--listen", "127.0.0.1:" + std::to_string(port)}),
      false);
  // The listeners open in the order given: once 127.0.0.1 accepts, [::1] is bound too.
  REQUIRE(eventually([&] { return tcp_accepts(port); }));
  auto udp = run_command("dig @::1 -p " + std::to_string(port) + " +tries=1 www.example.test");
  CHECK(udp.out.find("192.0.2.1") != std::string::npos);
  auto tcp = run_command("dig @::1 -p " + std::to_string(port) + " +tcp +tries=1 www.example.test");
  CHECK(tcp.out.find("192.0.2.1") != std::string::npos);
}

TEST_CASE("config: forwarding to one of our own listening addresses is refused") {
  auto r = run_proxy_to_exit({"--listen", "127.0.0.1:5399", "--upstream", "127.0.0.1:5399"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("127.0.0.1:5399 is one of this proxy's own listening addresses") !=
        std::string::npos);
}

TEST_CASE("config: a bad file is reported with file, line and key, and nothing starts") {
  TempDir dir;
  const auto cfg = dir.write("bad.toml",
                             "[upstream]\nservers = [\"127.0.0.1:5300\"]\n"
                             "timeout_ms = \"fast\"\n");
  auto r = run_proxy_to_exit({"--config", cfg});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find(cfg + ":3") != std::string::npos);
  CHECK(r.out.find("upstream.timeout_ms") != std::string::npos);
  auto check = run_proxy_to_exit({"--check-config", "--config", cfg});
  CHECK(check.exit_code != 0);
  CHECK(check.out.find("upstream.timeout_ms") != std::string::npos);
}

TEST_CASE("config: --check-config says ok for a good file; --help and --version work") {
  TempDir dir;
  const auto cfg = dir.write("good.toml", "[upstream]\nservers = [\"127.0.0.1:5300\"]\n");
  auto r = run_proxy_to_exit({"--check-config", "--config", cfg});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ok") != std::string::npos);
  auto help = run_proxy_to_exit({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--upstream") != std::string::npos);
  auto version = run_proxy_to_exit({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("dnssec-proxy") != std::string::npos);
  auto bad_flag = run_proxy_to_exit({"--no-such-flag"});
  CHECK(bad_flag.exit_code == 2);
}

TEST_CASE("validation: an upstream that strips RRSIGs gives SERVFAIL, EDE 10 naming it") {
  MockUpstream up;
  add_example(up);
  MockRule root_keys;  // the root DNSKEY RRset, but no RRSIG over it
  std::vector<uint8_t> key{0x01, 0x01, 3, 8, 3, 1, 0, 1};
  key.insert(key.end(), 256, 0xC3);
  root_keys.answer = {{".", RRType::DNSKEY, 3600, key}};
  up.set_rule(".", RRType::DNSKEY, root_keys);
  // Built-in root anchors, and test. validated (not a private zone here).
  TempDir dir;
  std::vector<std::string> args = upstream_args(up);
  args.insert(args.end(), {"--config", dir.write("p.toml", "[dnssec]\nprivate_zones = []\n")});
  ProxyProcess proxy(args);
  auto d = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(d.status == "SERVFAIL");
  REQUIRE(d.ede_code);
  CHECK(*d.ede_code == 10);
  CHECK(d.ede_text.find("upstream " + up.address() + " returns no DNSSEC records") !=
        std::string::npos);
  CHECK(proxy.log().find("returns no DNSSEC records") != std::string::npos);
  // Before calling it bogus, the proxy asked once more over TCP (partial DNSSEC data over
  // UDP happens with big resolvers); this upstream strips over TCP too.
  CHECK(up.tcp_queries() >= 2);  // the question and the root DNSKEY again
  CHECK(proxy.log().find("asking again over TCP") != std::string::npos);
  // With CD the client takes the data as it is.
  auto cd = dig(proxy.port(), "+dnssec +cd www.example.test A");
  CHECK(cd.status == "NOERROR");
  CHECK(cd.answer_count == 2);
}

TEST_CASE(
    "validation: an upstream that rejects EDNS gives SERVFAIL for signed data, EDE 10 naming it") {
  // Issue 14, point 5: asked again without EDNS, the upstream can return no DNSSEC records:
  // validation decides, and a signed zone (the root, here) is then bogus, never insecure.
  MockUpstream up;
  MockRule www;
  www.formerr_on_edns = true;
  www.answer = {{"www.example.test.", RRType::A, 300, a_rdata("192.0.2.1")}};
  up.set_rule("www.example.test", RRType::A, www);
  MockRule root_keys;
  root_keys.formerr_on_edns = true;
  std::vector<uint8_t> key{0x01, 0x01, 3, 8, 3, 1, 0, 1};
  key.insert(key.end(), 256, 0xC3);
  root_keys.answer = {{".", RRType::DNSKEY, 3600, key}};
  up.set_rule(".", RRType::DNSKEY, root_keys);
  // Built-in root anchors, and test. validated (not a private zone here).
  TempDir dir;
  std::vector<std::string> args = upstream_args(up);
  args.insert(args.end(), {"--config", dir.write("p.toml", "[dnssec]\nprivate_zones = []\n")});
  ProxyProcess proxy(args);
  auto d = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(d.status == "SERVFAIL");
  REQUIRE(d.ede_code);
  CHECK(*d.ede_code == 10);
  CHECK(d.ede_text.find("upstream " + up.address()) != std::string::npos);
  CHECK(proxy.log().find("answered without EDNS") == std::string::npos);  // one server only
  CHECK(up.queries_without_edns() >= 1);
}

TEST_CASE("cache: a repeated query is answered from memory, TTLs counting down") {
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  auto first = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(first.status == "NOERROR");
  const int asked = up.udp_queries() + up.tcp_queries();
  CHECK(asked == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // Other letter case, same name: the reply echoes this client's case.
  auto reply = udp_exchange(
      proxy.port(), make_query("WWW.example.TEST", {.id = 77, .edns = true, .do_bit = true}));
  REQUIRE(reply);
  auto m = Message::parse(*reply);
  REQUIRE(m);
  CHECK(m->id() == 77);
  CHECK(m->questions()[0].name.to_string() == "WWW.example.TEST.");
  REQUIRE(m->records().size() == 2);
  CHECK(m->records()[0].ttl < 300);  // stored with 300, a second has passed
  CHECK(m->records()[0].ttl >= 297);
  auto again = dig(proxy.port(), "+dnssec www.example.test A");
  CHECK(again.answer_count == 2);
  CHECK(up.udp_queries() + up.tcp_queries() == asked);
  // CD queries always go upstream.
  dig(proxy.port(), "+dnssec +cd www.example.test A");
  CHECK(up.udp_queries() + up.tcp_queries() == asked + 1);
}

TEST_CASE("cache: a burst of hits on one socket is answered in batches, each reply its own") {
  // Queries that arrive together are read by one recvmmsg and answered by one sendmmsg at
  // the end of the batch (proxy/listen/udp_listener.h): every reply must still carry its own ID,
  // the letter case of its own question and its own DO.
  MockUpstream up;
  add_example(up);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  REQUIRE(dig(proxy.port(), "+dnssec www.example.test A").status == "NOERROR");
  REQUIRE(dig(proxy.port(), "www.example.test A").status == "NOERROR");
  const int asked = up.udp_queries() + up.tcp_queries();

  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(proxy.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr int kQueries = 45;  // more than one batch of 20
  std::vector<std::string> names(kQueries);
  for (int i = 0; i < kQueries; ++i) {
    std::string n = "www.example.test";
    for (size_t k = 0; k < n.size(); ++k) {
      if (((i >> (k % 6)) & 1) != 0) n[k] = static_cast<char>(std::toupper(n[k]));
    }
    names[i] = n;
    const auto q =
        make_query(n, {.id = static_cast<uint16_t>(1000 + i), .edns = true, .do_bit = i % 2 == 0});
    REQUIRE(::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                     sizeof(to)) == static_cast<ssize_t>(q.size()));
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::vector<bool> seen(kQueries, false);
  for (int got = 0; got < kQueries; ++got) {
    std::vector<uint8_t> buf(4096);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    REQUIRE_MESSAGE(n > 0, "reply " << got << " of " << kQueries << " missing");
    buf.resize(static_cast<size_t>(n));
    auto m = Message::parse(buf);
    REQUIRE(m);
    const int i = m->id() - 1000;
    REQUIRE(i >= 0);
    REQUIRE(i < kQueries);
    CHECK_FALSE(seen[i]);
    seen[i] = true;
    CHECK(m->rcode() == RCode::NoError);
    REQUIRE(m->questions().size() == 1);
    CHECK(m->questions()[0].name.to_string() == names[i] + ".");
    // DO set: the A and its RRSIG; not set: the A alone (RFC 4035 §3.2.1).
    CHECK(m->count(Section::Answer) == (i % 2 == 0 ? 2u : 1u));
  }
  ::close(fd);
  CHECK(up.udp_queries() + up.tcp_queries() == asked);  // all from the cache
}

TEST_CASE("cache: NXDOMAIN is kept for the SOA minimum (RFC 2308), without SOA not at all") {
  MockUpstream up;
  MockRule nx;
  nx.rcode = RCode::NXDomain;
  nx.authority = {{"example.test.", RRType::SOA, 3600, soa_rdata(2)}};  // minimum 2 s
  up.set_rule("nx.example.test", RRType::A, nx);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  CHECK(dig(proxy.port(), "nx.example.test A").status == "NXDOMAIN");
  CHECK(dig(proxy.port(), "nx.example.test A").status == "NXDOMAIN");
  CHECK(up.udp_queries() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // past the SOA minimum
  CHECK(dig(proxy.port(), "nx.example.test A").status == "NXDOMAIN");
  CHECK(up.udp_queries() == 2);
  // The mock answers unknown names NXDOMAIN without SOA: never cached.
  dig(proxy.port(), "other.example.test A");
  dig(proxy.port(), "other.example.test A");
  CHECK(up.udp_queries() == 4);
}

TEST_CASE("coalescing: identical concurrent misses share one upstream query") {
  MockUpstream up;
  MockRule slow;
  slow.delay_ms = 300;
  slow.answer = {{"slow.example.test.", RRType::A, 60, a_rdata("192.0.2.2")}};
  up.set_rule("slow.example.test", RRType::A, slow);
  ProxyProcess proxy(forwarding(upstream_args(up)));
  std::vector<std::thread> clients;
  std::vector<int> ids(5, -1);
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back([&, i] {
      auto reply = udp_exchange(
          proxy.port(), make_query("slow.example.test", {.id = static_cast<uint16_t>(100 + i)}));
      if (reply) ids[i] = Message::parse(*reply)->id();
    });
  }
  for (auto& c : clients) c.join();
  for (int i = 0; i < 5; ++i) CHECK(ids[i] == 100 + i);
  CHECK(up.udp_queries() == 1);
}
