// Hardening (issue 7): the real proxy against an upstream that misbehaves on purpose
// (silence, garbage, truncation, forged replies, TC forever, slow TCP, SERVFAIL/REFUSED)
// and against abusive clients (UDP floods, idle and slow-loris TCP connections, oversized
// length prefixes, absurd EDNS options). Each case gets the right reply within the
// configured timeout, the proxy stays up and keeps answering well-behaved clients, and its
// memory (VmRSS) stays bounded. Loopback only.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/message.h"
#include "resolver/wire/message_builder.h"

using namespace dnsp::test;
using namespace dnsp::resolver;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::vector<uint8_t> query(const std::string& name, uint16_t id = 0x4242, bool edns = true,
                           RRType type = RRType::A) {
  MessageBuilder b;
  b.set_header(id, flag::kRD);
  (void)b.add_question(*Name::from_text(name), type, RRClass::IN);
  if (edns) (void)b.add_opt({});
  return b.finish();
}

// Validation off (empty trust anchor file): these tests are about transport.
std::vector<std::string> proxy_args(const TempDir& dir, const std::string& toml,
                                    const std::vector<std::string>& upstreams) {
  std::vector<std::string> args{"--config", dir.write("p.toml", toml), "--trust-anchor",
                                dir.write("anchors", "; none\n")};
  for (const auto& u : upstreams) {
    args.push_back("--upstream");
    args.push_back(u);
  }
  return args;
}

constexpr const char* kFastUpstream =
    "[upstream]\ntimeout_ms = 200\nattempts = 1\nquery_timeout_ms = 1500\n";

void add_www(MockUpstream& m, MockRule r = {}) {
  r.answer = {{"www.example.test.", RRType::A, 300, a_rdata("192.0.2.1")}};
  m.set_rule("www.example.test", RRType::A, r);
}

struct Reply {
  std::optional<Message> msg;
  std::vector<uint8_t> bytes;
  milliseconds took{};
  bool has_a(const std::string& ipv4) const {
    if (!msg) return false;
    const auto want = a_rdata(ipv4);
    for (const auto& rr : msg->records()) {
      if (rr.type != RRType::A) continue;
      auto rd = msg->rdata(rr);
      if (std::equal(rd.begin(), rd.end(), want.begin(), want.end())) return true;
    }
    return false;
  }
  std::optional<int> ede() const {
    if (!msg) return std::nullopt;
    for (const auto& o : msg->edns_options()) {
      if (o.code == 15 && o.data.size() >= 2) return o.data[0] << 8 | o.data[1];
    }
    return std::nullopt;
  }
  RCode rcode() const { return msg ? msg->rcode() : RCode::NoError; }
};

std::optional<std::vector<uint8_t>> wire_name(const std::string& text) {
  auto n = Name::from_text(text);
  if (!n) return std::nullopt;
  return std::vector<uint8_t>(n->wire().begin(), n->wire().end());
}

Reply ask(uint16_t port, const std::string& name, int timeout_ms = 4000) {
  Reply r;
  const auto start = Clock::now();
  auto bytes = udp_exchange(port, query(name), timeout_ms);
  r.took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  if (bytes) {
    r.bytes = std::move(*bytes);
    auto m = Message::parse(r.bytes);
    if (m) r.msg.emplace(std::move(*m));
  }
  return r;
}

// Under AddressSanitizer (the CI's second build) freed memory sits in a quarantine of up
// to 256 MiB, so RSS says little about leaks there; LeakSanitizer checks those at exit.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssSlackKib = 512 * 1024;
#else
constexpr long kRssSlackKib = 0;
#endif

// VmRSS of a process, in KiB (0 when unreadable).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

// --- Upstream faults ---

TEST_CASE("upstream faults: garbage from the upstream gives SERVFAIL in time, then it recovers") {
  MockUpstream up;
  MockRule junk;
  junk.garbage = true;
  junk.answer = {{"junk.example.test.", RRType::A, 300, a_rdata("192.0.2.9")}};
  up.set_rule("junk.example.test", RRType::A, junk);
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, kFastUpstream, {up.address()}));
  auto r = ask(proxy.port(), "junk.example.test");
  REQUIRE(r.msg);
  CHECK(r.rcode() == RCode::ServFail);
  CHECK(r.ede() == 22);  // c-ares ignored what did not match the question: no answer
  CHECK(r.took < milliseconds(1500 + 500));
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("upstream faults: a reply cut inside its records gives SERVFAIL EDE 23 at once") {
  MockUpstream up;
  MockRule cut;
  cut.answer = {{"cut.example.test.", RRType::A, 300, a_rdata("192.0.2.7")}};
  cut.truncate_to = 12 + 22 + 6;  // header, question, half a record
  up.set_rule("cut.example.test", RRType::A, cut);
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, kFastUpstream, {up.address()}));
  auto r = ask(proxy.port(), "cut.example.test");
  REQUIRE(r.msg);
  CHECK(r.rcode() == RCode::ServFail);
  CHECK(r.ede() == 23);
  CHECK(r.took < milliseconds(1000));
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("spoofing: a reply with the wrong ID, question, port or address is ignored") {
  for (auto kind : {MockRule::Forgery::WrongId, MockRule::Forgery::WrongQuestion,
                    MockRule::Forgery::OtherPort, MockRule::Forgery::OtherAddress}) {
    CAPTURE(static_cast<int>(kind));
    MockUpstream up;
    MockRule r;
    r.forge_first = kind;
    add_www(up, r);
    TempDir dir;
    ProxyProcess proxy(proxy_args(dir, kFastUpstream, {up.address()}));
    auto reply = ask(proxy.port(), "www.example.test");
    REQUIRE(reply.msg);
    CHECK(reply.rcode() == RCode::NoError);
    CHECK(reply.has_a("192.0.2.1"));
    CHECK_FALSE(reply.has_a("203.0.113.66"));  // the forgery
    CHECK(up.udp_queries() == 1);              // and no retry was needed
  }
}

TEST_CASE("spoofing: upstream queries use unpredictable IDs and rotate their source port") {
  MockUpstream up;
  for (int i = 0; i < 200; ++i) {
    MockRule r;
    r.answer = {{"n" + std::to_string(i) + ".example.test.", RRType::A, 300, a_rdata("192.0.2.3")}};
    up.set_rule("n" + std::to_string(i) + ".example.test", RRType::A, r);
  }
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, kFastUpstream, {up.address()}));
  for (int i = 0; i < 200; ++i) {
    REQUIRE(ask(proxy.port(), "n" + std::to_string(i) + ".example.test").has_a("192.0.2.3"));
  }
  const auto sources = up.udp_query_sources();
  REQUIRE(sources.size() >= 200);
  std::set<uint16_t> ports, ids;
  int sequential = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    ports.insert(sources[i].first);
    ids.insert(sources[i].second);
    if (i > 0 && sources[i].second == static_cast<uint16_t>(sources[i - 1].second + 1)) {
      ++sequential;
    }
  }
  INFO("distinct source ports: " << ports.size() << ", distinct IDs: " << ids.size());
  // A new channel (new socket) every 64 queries: at least 3 source ports for 200 queries.
  CHECK(ports.size() >= 3);
  CHECK(ids.size() >= 195);  // random 16-bit IDs: a few collisions at most
  CHECK(sequential < 5);
}

TEST_CASE("spoofing: under load, queries in flight at once leave from several source ports") {
  // c-ares 1.18 keeps one UDP socket per server while queries are outstanding: only the
  // channel rotation (a new channel every 64 queries) spreads them over several ports.
  MockUpstream up;
  for (int i = 0; i < 200; ++i) {
    MockRule r;
    r.delay_ms = 300;
    r.answer = {{"c" + std::to_string(i) + ".example.test.", RRType::A, 300, a_rdata("192.0.2.4")}};
    up.set_rule("c" + std::to_string(i) + ".example.test", RRType::A, r);
  }
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, "", {up.address()}));
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(proxy.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 200; ++i) {
    const auto q = query("c" + std::to_string(i) + ".example.test", static_cast<uint16_t>(i));
    sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  int answered = 0;
  pollfd p{fd, POLLIN, 0};
  while (answered < 200 && poll(&p, 1, 3000) == 1) {
    uint8_t buf[4096];
    if (recv(fd, buf, sizeof buf, 0) > 0) ++answered;
  }
  close(fd);
  CHECK(answered == 200);
  std::set<uint16_t> ports;
  for (const auto& [port, id] : up.udp_query_sources()) ports.insert(port);
  INFO("distinct source ports for 200 concurrent queries: " << ports.size());
  CHECK(ports.size() >= 3);
}

TEST_CASE("upstream faults: TC over UDP and over TCP gives SERVFAIL EDE 23, not an empty answer") {
  MockUpstream up;
  MockRule tc;
  tc.tc_always = true;
  tc.answer = {{"tc.example.test.", RRType::A, 300, a_rdata("192.0.2.5")}};
  up.set_rule("tc.example.test", RRType::A, tc);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, kFastUpstream, {up.address()}));
  auto r = ask(proxy.port(), "tc.example.test");
  REQUIRE(r.msg);
  CHECK(r.rcode() == RCode::ServFail);
  CHECK(r.ede() == 23);
  CHECK(r.took < milliseconds(1500 + 500));
  CHECK(up.tcp_queries() >= 1);
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE(
    "upstream faults: a slow TCP upstream answers within the deadline or gets SERVFAIL at it") {
  MockUpstream up;
  MockRule slow;  // 3000 octets: TC over UDP, then the TCP answer comes late
  slow.answer = {{"slow.example.test.", RRType::TXT, 300, txt_rdata(3000)}};
  slow.tcp_delay_ms = 400;
  up.set_rule("slow.example.test", RRType::TXT, slow);
  MockRule slower = slow;
  slower.answer = {{"slower.example.test.", RRType::TXT, 300, txt_rdata(3000)}};
  slower.tcp_delay_ms = 5000;
  up.set_rule("slower.example.test", RRType::TXT, slower);
  TempDir dir;
  ProxyProcess proxy(
      proxy_args(dir, "[upstream]\ntimeout_ms = 1000\nattempts = 1\nquery_timeout_ms = 1200\n",
                 {up.address()}));
  TcpClient c(proxy.port());
  REQUIRE(c.connected());
  c.send_framed(query("slow.example.test", 1, true, RRType::TXT));
  auto ok = c.receive(3000);
  REQUIRE(ok);
  auto m = Message::parse(*ok);
  REQUIRE(m);
  CHECK(m->rcode() == RCode::NoError);
  CHECK(m->records().size() == 1);
  const auto start = Clock::now();
  c.send_framed(query("slower.example.test", 2, true, RRType::TXT));
  auto late = c.receive(4000);
  REQUIRE(late);
  CHECK(Message::parse(*late)->rcode() == RCode::ServFail);
  CHECK(Clock::now() - start < milliseconds(1200 + 600));
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("upstream faults: SERVFAIL or REFUSED from the first upstream fails over to the next") {
  for (RCode bad : {RCode::ServFail, RCode::Refused}) {
    CAPTURE(static_cast<int>(bad));
    MockUpstream first;
    MockRule r;
    r.rcode = bad;
    first.set_rule("www.example.test", RRType::A, r);
    MockUpstream second;
    add_www(second);
    TempDir dir;
    ProxyProcess proxy(proxy_args(dir, "[upstream]\ntimeout_ms = 300\nattempts = 1\n",
                                  {first.address(), second.address()}));
    auto reply = ask(proxy.port(), "www.example.test");
    CHECK(reply.rcode() == RCode::NoError);
    CHECK(reply.has_a("192.0.2.1"));
    CHECK(first.udp_queries() == 1);
    CHECK(second.udp_queries() == 1);
  }
}

TEST_CASE("upstream faults: when every upstream answers SERVFAIL the client gets SERVFAIL EDE 23") {
  MockUpstream a, b;
  MockRule r;
  r.rcode = RCode::ServFail;
  a.set_rule("www.example.test", RRType::A, r);
  b.set_rule("www.example.test", RRType::A, r);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, kFastUpstream, {a.address(), b.address()}));
  auto reply = ask(proxy.port(), "www.example.test");
  CHECK(reply.rcode() == RCode::ServFail);
  CHECK(reply.ede() == 23);
  CHECK(reply.took < milliseconds(1500));
}

TEST_CASE("upstream faults: answer records outside the question's chain are not passed on") {
  MockUpstream up;
  MockRule r;
  r.answer = {{"alias.example.test.", RRType::CNAME, 300, *wire_name("www.example.test.")},
              {"www.example.test.", RRType::A, 300, a_rdata("192.0.2.1")},
              {"www.bank.test.", RRType::A, 300, a_rdata("203.0.113.66")},
              {"example.test.", RRType::A, 300, a_rdata("203.0.113.67")}};
  r.authority = {{"example.test.", RRType::NS, 300, *wire_name("ns.example.test.")}};
  up.set_rule("alias.example.test", RRType::A, r);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, kFastUpstream, {up.address()}));
  auto reply = ask(proxy.port(), "alias.example.test");
  REQUIRE(reply.msg);
  CHECK(reply.rcode() == RCode::NoError);
  CHECK(reply.has_a("192.0.2.1"));
  CHECK_FALSE(reply.has_a("203.0.113.66"));
  CHECK_FALSE(reply.has_a("203.0.113.67"));
  int answers = 0;
  for (const auto& rr : reply.msg->records()) answers += rr.section == Section::Answer ? 1 : 0;
  CHECK(answers == 2);  // the CNAME and the A it leads to
}

TEST_CASE("upstream faults: identical queries in flight together all get the whole answer") {
  // Found by bench/soak.sh under ASan: the first of several coalesced queries handed the
  // shared upstream packet to the answer cache, and the others built their replies from
  // freed memory. Under the sanitizer build this test crashes the proxy when that happens.
  MockUpstream up;
  MockRule r;
  r.delay_ms = 300;
  r.answer = {{"same.example.test.", RRType::A, 300, a_rdata("192.0.2.8")},
              {"same.example.test.", RRType::A, 300, a_rdata("192.0.2.9")}};
  up.set_rule("same.example.test", RRType::A, r);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, "", {up.address()}));
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(proxy.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (uint16_t id = 1; id <= 5; ++id) {
    const auto q = query("same.example.test", id);
    sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  std::set<uint16_t> ids;
  pollfd p{fd, POLLIN, 0};
  while (ids.size() < 5 && poll(&p, 1, 3000) == 1) {
    uint8_t buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    auto m = Message::parse({buf, static_cast<size_t>(n)});
    REQUIRE(m);
    CHECK(m->rcode() == RCode::NoError);
    CHECK(m->records().size() == 2);
    ids.insert(m->id());
  }
  close(fd);
  CHECK(ids.size() == 5);
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

// --- Client abuse ---

TEST_CASE(
    "client abuse: a UDP flood gets a defined reply past the in-flight limit, memory stays "
    "bounded, and the proxy answers again afterwards") {
  MockUpstream up;
  up.set_default_silent(true);  // every flood query stays in flight until c-ares gives up
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(
      proxy_args(dir, "[upstream]\ntimeout_ms = 8000\nattempts = 1\nquery_timeout_ms = 8000\n",
                 {up.address()}));
  const long rss_before = rss_kib(proxy.pid());
  REQUIRE(rss_before > 0);

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(proxy.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int too_many = 0, other = 0;
  auto drain = [&](int wait_ms) {
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, wait_ms) == 1) {
      uint8_t buf[4096];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      auto m = Message::parse({buf, static_cast<size_t>(n)});
      if (m && m->rcode() == RCode::ServFail) {
        bool limit = false;
        for (const auto& o : m->edns_options()) {
          const std::string text(o.data.begin() + 2, o.data.end());
          if (o.code == 15 && text.find("too many queries in flight") != std::string::npos)
            limit = true;
        }
        (limit ? too_many : other)++;
      }
      wait_ms = 0;
    }
  };
  // Until the limit (10000 in flight) answers, at most 6 s (before c-ares gives up on the
  // first ones): batches the proxy can take without the loopback socket dropping many.
  const auto start = Clock::now();
  int sent = 0;
  while (too_many == 0 && sent < 40000 && Clock::now() - start < milliseconds(6000)) {
    for (int i = 0; i < 100; ++i, ++sent) {
      const auto q = query("f" + std::to_string(sent) + ".flood.test", static_cast<uint16_t>(sent));
      sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    drain(0);
    std::this_thread::sleep_for(milliseconds(10));
  }
  drain(300);
  const long rss_peak = rss_kib(proxy.pid());
  INFO("sent " << sent << " queries; RSS before " << rss_before << " KiB, during the flood "
               << rss_peak << " KiB; " << too_many << " 'too many in flight' replies, " << other
               << " other SERVFAIL; upstream saw " << up.udp_queries());
  CHECK(too_many > 0);  // the limit was reached and said so
  // Meanwhile a well-behaved client gets that defined reply at once, not silence.
  auto during = ask(proxy.port(), "www.example.test", 1000);
  CHECK(during.rcode() == RCode::ServFail);
  CHECK(during.took < milliseconds(1000));
  CHECK(rss_peak < 256 * 1024 + kRssSlackKib);  // 10000 in flight fit in well under 256 MiB
  // Once c-ares gives up on the flood, a well-behaved client is answered again.
  std::this_thread::sleep_for(milliseconds(8500) - (Clock::now() - start));
  drain(200);
  auto after = ask(proxy.port(), "www.example.test");
  CHECK(after.has_a("192.0.2.1"));
  CHECK(rss_kib(proxy.pid()) < 256 * 1024 + kRssSlackKib);
  close(fd);
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("client abuse: [server] max_queries_in_flight sets that limit, and a reload changes it") {
  MockUpstream up;
  up.set_default_silent(true);  // each query stays in flight until its deadline
  TempDir dir;
  const std::string upstream =
      "[upstream]\ntimeout_ms = 4000\nattempts = 1\nquery_timeout_ms = 4000\n";
  auto args = proxy_args(dir, "[server]\nmax_queries_in_flight = 3\n" + upstream, {up.address()});
  ProxyProcess proxy(args);
  auto limit_ede = [](const std::vector<uint8_t>& reply) {
    auto m = Message::parse(reply);
    if (!m || m->rcode() != RCode::ServFail) return false;
    for (const auto& o : m->edns_options()) {
      if (o.code == 15 && std::string(o.data.begin() + 2, o.data.end()) ==
                              "too many queries in flight; try again") {
        return true;
      }
    }
    return false;
  };
  for (int i = 0; i < 3; ++i) {  // three distinct questions, none answered yet
    CHECK_FALSE(udp_exchange(proxy.port(), query("q" + std::to_string(i) + ".limit.test"), 100));
  }
  auto fourth = udp_exchange(proxy.port(), query("q3.limit.test"), 1000);
  REQUIRE(fourth);
  CHECK(limit_ede(*fourth));

  // Raised by a reload: the next one waits for the upstream like the first three.
  (void)dir.write("p.toml", "[server]\nmax_queries_in_flight = 10\n" + upstream);
  kill(proxy.pid(), SIGHUP);
  REQUIRE(eventually(
      [&] { return proxy.log().find("reloaded the configuration") != std::string::npos; }));
  CHECK_FALSE(udp_exchange(proxy.port(), query("q4.limit.test"), 500));
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("client abuse: many idle TCP connections hit the limit and time out; UDP stays served") {
  MockUpstream up;
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(proxy_args(
      dir, "[server]\ntcp_max_connections = 20\ntcp_idle_timeout_ms = 500\n", {up.address()}));
  // (ProxyProcess waited for the proxy to close its readiness probe connection.)
  std::vector<std::unique_ptr<TcpClient>> idle;
  for (int i = 0; i < 60; ++i) idle.push_back(std::make_unique<TcpClient>(proxy.port()));
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
  // Every one of them is closed: past the limit at once, the rest after the idle timeout.
  int closed = 0;
  for (auto& c : idle) closed += c->closed_by_peer(1500) ? 1 : 0;
  CHECK(closed == 60);
  TcpClient fresh(proxy.port());
  fresh.send_framed(query("www.example.test", 77));
  auto r = fresh.receive();
  INFO(proxy.log());
  REQUIRE(r);
  CHECK(Message::parse(*r)->id() == 77);
}

TEST_CASE("client abuse: a slow-loris TCP client that never completes a frame is closed") {
  MockUpstream up;
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, "[server]\ntcp_idle_timeout_ms = 500\n", {up.address()}));
  TcpClient loris(proxy.port());
  REQUIRE(loris.connected());
  const auto start = Clock::now();
  loris.send_raw({0x00});  // half a length prefix ...
  bool closed = false;
  // ... then one octet every 100 ms of a 200-octet message: never finished in time.
  loris.send_raw({0xC8});
  for (int i = 0; i < 40 && !closed; ++i) {
    loris.send_raw({0x00});
    closed = loris.closed_by_peer(100);
  }
  CHECK(closed);
  CHECK(Clock::now() - start < milliseconds(500 + 1000));
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
}

TEST_CASE("client abuse: an oversized or bogus TCP length prefix costs one connection, no more") {
  MockUpstream up;
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, "[server]\ntcp_idle_timeout_ms = 500\n", {up.address()}));
  const long rss_before = rss_kib(proxy.pid());
  {
    // 65535 announced, 100 sent: waits for the rest, then the idle timeout closes it.
    TcpClient c(proxy.port());
    std::vector<uint8_t> bytes{0xFF, 0xFF};
    bytes.insert(bytes.end(), 100, 0xAA);
    c.send_raw(bytes);
    CHECK(c.closed_by_peer(2000));
  }
  {
    // A whole 65535-octet frame of junk (QR set: not a query): dropped, the connection
    // stays usable.
    TcpClient c(proxy.port());
    std::vector<uint8_t> bytes{0xFF, 0xFF};
    bytes.insert(bytes.end(), 65535, 0x00);
    bytes[2 + 2] = 0x80;
    c.send_raw(bytes);
    c.send_framed(query("www.example.test", 5));
    auto r = c.receive();
    REQUIRE(r);
    CHECK(Message::parse(*r)->id() == 5);
  }
  {
    // A zero length is out of step with DNS: closed at once.
    TcpClient c(proxy.port());
    c.send_raw({0x00, 0x00});
    CHECK(c.closed_by_peer(1000));
  }
  CHECK(rss_kib(proxy.pid()) - rss_before < 16 * 1024 + kRssSlackKib);
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("client abuse: absurd EDNS options get an answer or FORMERR, never a crash") {
  MockUpstream up;
  add_www(up);
  TempDir dir;
  ProxyProcess proxy(proxy_args(dir, "", {up.address()}));
  auto with_options = [](const std::vector<uint8_t>& rdata, uint16_t rdlength) {
    auto q = query("www.example.test", 9);
    // The OPT RR ends the packet with RDLENGTH 0: replace it with ours.
    q[q.size() - 2] = static_cast<uint8_t>(rdlength >> 8);
    q[q.size() - 1] = static_cast<uint8_t>(rdlength);
    q.insert(q.end(), rdata.begin(), rdata.end());
    return q;
  };
  std::vector<std::vector<uint8_t>> cases;
  {
    std::vector<uint8_t> many;  // 300 empty options of assorted codes
    for (int i = 0; i < 300; ++i) {
      many.push_back(static_cast<uint8_t>(i >> 8));
      many.push_back(static_cast<uint8_t>(i));
      many.push_back(0);
      many.push_back(0);
    }
    cases.push_back(with_options(many, static_cast<uint16_t>(many.size())));
  }
  {
    std::vector<uint8_t> huge{0x00, 0x0A, 0x0F, 0x00};  // a 3840-octet COOKIE
    huge.insert(huge.end(), 0x0F00, 0x42);
    cases.push_back(with_options(huge, static_cast<uint16_t>(huge.size())));
  }
  // An option whose length runs past the RDATA; an RDATA length past the packet.
  cases.push_back(with_options({0x00, 0x0A, 0xFF, 0xFF, 1, 2, 3}, 7));
  cases.push_back(with_options({0x00, 0x0A, 0x00, 0x02, 1, 2}, 0xFFF0));
  // A padding option (RFC 7830) of 60000 octets over TCP.
  std::vector<uint8_t> padding{0x00, 0x0C, 0xEA, 0x60};
  padding.insert(padding.end(), 60000, 0x00);
  auto padded = with_options(padding, static_cast<uint16_t>(padding.size()));
  for (const auto& q : cases) {
    auto r = udp_exchange(proxy.port(), q, 2000);
    REQUIRE(r);
    auto m = Message::parse_question(*r);
    REQUIRE(m);
    CHECK(m->id() == 9);
    const auto rcode = static_cast<RCode>(m->flags() & 0xF);
    CHECK((rcode == RCode::NoError || rcode == RCode::FormErr));
  }
  TcpClient c(proxy.port());
  c.send_framed(padded);
  auto r = c.receive();
  REQUIRE(r);
  CHECK(Message::parse_question(*r)->id() == 9);
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
  CHECK(proxy.running());
  // A clean stop: status 0 (under ASan, LeakSanitizer would make it fail on a leak).
  CHECK(proxy.terminate() == 0);
}

TEST_CASE("client abuse: RSS stays flat over repeated rounds of mixed abuse") {
  MockUpstream up;
  add_www(up);
  MockRule junk;
  junk.garbage = true;
  up.set_rule("junk.example.test", RRType::A, junk);
  TempDir dir;
  ProxyProcess proxy(proxy_args(
      dir, "[server]\ntcp_idle_timeout_ms = 300\n[upstream]\ntimeout_ms = 100\nattempts = 1\n",
      {up.address()}));
  auto round = [&](int n) {
    for (int i = 0; i < n; ++i) {
      (void)udp_exchange(proxy.port(), query("x" + std::to_string(i) + ".example.test"), 500);
      (void)udp_exchange(proxy.port(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, 1);
      TcpClient c(proxy.port());
      c.send_raw({0x01});
    }
    (void)ask(proxy.port(), "junk.example.test");
  };
  round(100);  // warm-up: allocator pools, caches
  const long warm = rss_kib(proxy.pid());
  for (int k = 0; k < 3; ++k) round(100);
  std::this_thread::sleep_for(milliseconds(500));
  const long after = rss_kib(proxy.pid());
  INFO("RSS after warm-up " << warm << " KiB, after 300 more rounds " << after << " KiB");
  CHECK(after - warm < 8 * 1024 + kRssSlackKib);
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
}

namespace {

// A TCP connection to 127.0.0.1:port with a small receive buffer, non-blocking (-1: failed).
int small_window_connection(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int small = 4096;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Writes `frames` over and over to `fd` without reading anything back, until the peer
// closes the connection (true) or `limit` passes (false).
bool write_until_closed(int fd, const std::vector<uint8_t>& frames, milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    const ssize_t n = ::send(fd, frames.data(), frames.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    const int e = errno;
    if (n < 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINTR) {
      return e == EPIPE || e == ECONNRESET;
    }
    pollfd p{fd, POLLOUT, 0};
    (void)::poll(&p, 1, 50);
  }
  return false;
}

}  // namespace

TEST_CASE("client abuse: a TCP client that never reads its replies is closed; the proxy stays up") {
  MockUpstream up;
  add_www(up);
  MockRule servfail;  // every batch of these fails at once: a burst of replies to one client
  servfail.rcode = RCode::ServFail;
  up.set_rule("fail.example.test", RRType::A, servfail);
  TempDir dir;
  // glibc fills freed memory (and keeps no per-thread cache that would skip that), so that a
  // use of a freed connection map node crashes this plain build too, not only under ASan
  // (with one event loop it did so every time).
  ::setenv("MALLOC_PERTURB_", "165", 1);
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
  ProxyProcess proxy(
      proxy_args(dir, "[server]\nthreads = 1\ntcp_idle_timeout_ms = 30000\n", {up.address()}));
  ::unsetenv("MALLOC_PERTURB_");
  ::unsetenv("GLIBC_TUNABLES");

  std::vector<uint8_t> frames;
  for (int i = 0; i < 200; ++i) {
    const auto q = query("fail.example.test", static_cast<uint16_t>(i));
    frames.push_back(static_cast<uint8_t>(q.size() >> 8));
    frames.push_back(static_cast<uint8_t>(q.size()));
    frames.insert(frames.end(), q.begin(), q.end());
  }
  const int fd = small_window_connection(proxy.port());
  REQUIRE(fd >= 0);
  // RFC 7766 §6.2.3: past 1 MiB of replies queued for it, the proxy gives up on it.
  CHECK(write_until_closed(fd, frames, milliseconds(20000)));
  ::close(fd);
  std::this_thread::sleep_for(milliseconds(200));  // time to crash, were anything wrong
  INFO(proxy.log());
  REQUIRE(proxy.running());
  TcpClient other(proxy.port());
  other.send_framed(query("www.example.test", 78));
  auto r = other.receive();
  REQUIRE(r);
  CHECK(Message::parse(*r)->id() == 78);
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
}

TEST_CASE("threads: a query parked behind another loop's flight gets SERVFAIL by its deadline") {
  MockUpstream up;
  up.set_default_silent(true);  // the flight never lands with an answer
  TempDir dir;
  auto args =
      proxy_args(dir, "[upstream]\ntimeout_ms = 3000\nattempts = 1\nquery_timeout_ms = 1000\n",
                 {up.address()});
  args.insert(args.end(), {"--threads", "2"});
  ProxyProcess proxy(args);
  // 16 clients on their own sockets (the kernel spreads them over both loops) ask the same
  // question at once: those on the other loop than the first are parked behind its flight.
  std::vector<std::thread> clients;
  std::vector<Reply> replies(16);
  for (size_t i = 0; i < replies.size(); ++i) {
    clients.emplace_back([&, i] { replies[i] = ask(proxy.port(), "silent.example.test", 3000); });
  }
  for (auto& c : clients) c.join();
  for (const auto& r : replies) {
    REQUIRE(r.msg);
    CHECK(r.rcode() == RCode::ServFail);
    CHECK(r.ede() == 22);
    // query_timeout_ms from its arrival, not a second one from the flight's landing.
    CHECK(r.took < milliseconds(1000 + 600));
  }
}

TEST_CASE("client abuse: one TCP connection cannot take every query in flight") {
  MockUpstream up;
  up.set_default_silent(true);  // every query of the TCP client waits for its deadline
  add_www(up);
  TempDir dir;
  // The default tcp_max_queries_per_connection (100) is below max_queries_in_flight.
  ProxyProcess proxy(proxy_args(dir,
                                "[server]\nmax_queries_in_flight = 150\n"
                                "[upstream]\ntimeout_ms = 3000\nattempts = 1\n"
                                "query_timeout_ms = 1000\n",
                                {up.address()}));
  TcpClient greedy(proxy.port());
  REQUIRE(greedy.connected());
  std::vector<uint8_t> frames;
  for (int i = 0; i < 150; ++i) {
    const auto q = query("q" + std::to_string(i) + ".silent.test", static_cast<uint16_t>(i));
    frames.push_back(static_cast<uint8_t>(q.size() >> 8));
    frames.push_back(static_cast<uint8_t>(q.size()));
    frames.insert(frames.end(), q.begin(), q.end());
  }
  greedy.send_raw(frames);
  std::this_thread::sleep_for(milliseconds(200));
  // Another client still gets its query in flight (no "too many queries in flight").
  CHECK(ask(proxy.port(), "www.example.test").has_a("192.0.2.1"));
  // The greedy client gets every reply, the last ones after the first have drained: none
  // of them is the overload SERVFAIL.
  std::set<uint16_t> ids;
  for (int i = 0; i < 150; ++i) {
    auto r = greedy.receive(3000);
    if (!r) break;
    auto m = Message::parse(*r);
    REQUIRE(m);
    ids.insert(m->id());
    Reply reply;
    reply.msg.emplace(std::move(*m));
    CHECK(reply.ede() == 22);
  }
  CHECK(ids.size() == 150);
}

namespace {

// The UDP socket's receive buffer as the kernel reports it (`ss -m`: skmem rb, twice what
// was asked on Linux); -1 when ss shows no such socket.
long udp_receive_buffer_of(uint16_t port) {
  const RunResult ss = run_command("ss -Hulmn '( sport = :" + std::to_string(port) + " )'");
  std::smatch m;
  if (!std::regex_search(ss.out, m, std::regex("[(,]rb([0-9]+),"))) return -1;
  return std::stol(m[1]);
}

}  // namespace

TEST_CASE("listen: [server] udp_receive_buffer sizes each UDP socket's kernel buffer") {
  if (geteuid() != 0) FAIL("needs root (SO_RCVBUFFORCE past net.core.rmem_max)");
  MockUpstream up;
  TempDir dir;
  const auto start = [&](const std::string& setting) {
    const uint16_t port = free_port();
    auto proxy = std::make_unique<ProxyProcess>(
        proxy_args(dir,
                   "[server]\nlisten = [\"127.0.0.1:" + std::to_string(port) + "\"]\n" + setting,
                   {up.address()}),
        false);
    REQUIRE(eventually([&] { return tcp_accepts(port); }));
    return std::make_pair(std::move(proxy), port);
  };
  {
    // Set: granted as root whatever net.core.rmem_max says; the log says what it got.
    auto [proxy, port] = start("udp_receive_buffer = 3000000\n");
    CHECK(udp_receive_buffer_of(port) == 6000000);
    CHECK(proxy->log().find("(udp, tcp; UDP receive buffer 2929 KiB)") != std::string::npos);
    CHECK(proxy->log().find("the kernel granted") == std::string::npos);
  }
  {
    // Unset: the default, 4 MiB.
    auto [proxy, port] = start("");
    CHECK(udp_receive_buffer_of(port) == 2 * 4194304);
  }
  {
    // 0: the system's default (net.core.rmem_default), untouched.
    auto [proxy, port] = start("udp_receive_buffer = 0\n");
    std::ifstream in("/proc/sys/net/core/rmem_default");
    long system_default = 0;
    in >> system_default;
    CHECK(udp_receive_buffer_of(port) == system_default);
  }
}

TEST_CASE("client abuse: replies a full UDP socket cannot take are capped, then dropped") {
  MockUpstream up;
  add_www(up);
  TempDir dir;
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  auto args =
      proxy_args(dir,
                 "[server]\nlisten = [\"127.0.0.1:" + std::to_string(port) +
                     "\"]\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n",
                 {up.address()});
  // Every reply on the proxy's UDP socket meets EAGAIN (tests/integration/eagain_shim.cc).
  std::optional<PreloadBeforeAsan> preload(std::in_place, DNSP_EAGAIN_SHIM);
  // The RSS check below measures what the proxy keeps: ASan's quarantine of freed memory
  // (and its reuse delay) would count the 20000 replies it freed.
  std::optional<AsanOptionInScope> no_quarantine(
      std::in_place, "quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
  ::setenv("DNSP_EAGAIN_PORT", std::to_string(port).c_str(), 1);
  ProxyProcess proxy(args, false);
  no_quarantine.reset();
  preload.reset();
  ::unsetenv("DNSP_EAGAIN_PORT");
  REQUIRE(eventually([&] { return tcp_accepts(port) && tcp_accepts(metrics); }));
  const long before = rss_kib(proxy.pid());
  // 40000 queries of class CH with a long name: each gets REFUSED with its question, about
  // 280 octets, without an upstream query: 11.2 MB of replies the socket never takes.
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string name;
  for (int i = 0; i < 4; ++i) name += std::string(60, 'a' + i) + ".";
  MessageBuilder b;
  b.set_header(0x5151, flag::kRD);
  (void)b.add_question(*Name::from_text(name), RRType::TXT, RRClass::CH);
  const auto chaos = b.finish();
  for (int i = 0; i < 40000; ++i) {
    (void)::sendto(fd, chaos.data(), chaos.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                   sizeof to);
    if (i % 500 == 0) std::this_thread::sleep_for(milliseconds(5));  // let it read them
  }
  ::close(fd);
  std::this_thread::sleep_for(milliseconds(300));
  const long after = rss_kib(proxy.pid());
  INFO("RSS before " << before << " KiB, after " << after << " KiB");
  const std::string body =
      run_command("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(metrics) + "/metrics")
          .out;
  std::smatch m;
  REQUIRE(
      std::regex_search(body, m, std::regex("dnssec_proxy_udp_replies_dropped_total ([0-9]+)")));
  CHECK(std::stol(m[1]) > 1000);
  // 1 MiB of them queued at most; ASan's allocator (redzones, shadow) about doubles that.
  CHECK(after - before < (kSanitized ? 8 : 4) * 1024);
  // TCP is not affected: the proxy still answers there.
  TcpClient tcp(port);
  tcp.send_framed(query("www.example.test", 79));
  auto r = tcp.receive();
  REQUIRE(r);
  CHECK(Message::parse(*r)->id() == 79);
}
