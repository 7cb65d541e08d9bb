// tests/proxy: make_upstream and FailoverUpstream (proxy/upstream/) on a libuv loop of the
// test's own, with nothing listening: a list that cannot be built leaves no handle behind
// (make_upstream destroys the object at once), a failed reload keeps what was there, and
// queries over either UpstreamTransport share one TLS connection per server.
#include "proxy/upstream/upstream.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

namespace dnsp::proxy {
namespace {

// A loop closed (with a check that nothing was left open) when the test ends.
class TestLoop {
 public:
  TestLoop() { uv_loop_init(&loop_); }
  ~TestLoop() {
    uv_run(&loop_, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop_) == 0);
  }
  uv_loop_t* get() { return &loop_; }
  // Handles on the loop, closing ones included.
  int handles() {
    int n = 0;
    uv_walk(
        &loop_, [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); }, &n);
    return n;
  }

 private:
  uv_loop_t loop_{};
};

config::UpstreamServer plain(std::string address) {
  config::UpstreamServer s;
  s.endpoint = {std::move(address), 53};
  return s;
}

config::UpstreamServer tls(std::string address, std::string auth_name) {
  config::UpstreamServer s;
  s.protocol = config::UpstreamProtocol::Tls;
  s.endpoint = {std::move(address), config::kDotPort};
  s.auth_name = std::move(auth_name);
  return s;
}

UpstreamSettings settings(std::vector<config::UpstreamServer> servers) {
  return {std::move(servers), 1000, 1, ""};
}

// A TCP port on 127.0.0.1 that refuses connections: bound (so nobody else takes it), not
// listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

// "www.example. A IN" with an OPT record (EDNS(0), DO), as resolver/serve/replies.h sends.
std::vector<uint8_t> query_packet() {
  return {0x12, 0x34, 0x01, 0x00, 0,    1,    0,   0,   0,    0,   0, 1, 3, 'w',
          'w',  'w',  7,    'e',  'x',  'a',  'm', 'p', 'l',  'e', 0, 0, 1, 0,
          1,    0,    0,    41,   0x04, 0xd0, 0,   0,   0x80, 0,   0, 0};
}

}  // namespace

TEST_CASE("upstream: a list whose last run cannot be set up fails, leaving no handle open") {
  TestLoop loop;
  std::vector<UpstreamReply> replies;
  // Runs 1 (c-ares) and 2 (TLS) are built before run 3 fails: c-ares takes no such address.
  auto made = make_upstream(
      loop.get(), [&replies](UpstreamReply&& r) { replies.push_back(std::move(r)); },
      settings({plain("127.0.0.1"), tls("127.0.0.1", "dns.test"), plain("not-an-address")}));
  REQUIRE_FALSE(made);
  CHECK(made.error().find("not-an-address") != std::string::npos);
  // The FailoverUpstream and its runs are gone: nothing of theirs may be left on the loop,
  // not even closing (its close callback would run on freed memory).
  CHECK(loop.handles() == 0);
  CHECK(replies.empty());
}

TEST_CASE("upstream: an unreadable CA file fails the list, leaving no handle open") {
  TestLoop loop;
  UpstreamSettings s = settings({plain("127.0.0.1"), tls("127.0.0.1", "dns.test")});
  s.tls_ca_file = "/nonexistent/ca.pem";
  auto made = make_upstream(
      loop.get(), [](UpstreamReply&&) {}, s);
  REQUIRE_FALSE(made);
  CHECK(made.error().find("cannot read the TLS CA file /nonexistent/ca.pem") != std::string::npos);
  CHECK(loop.handles() == 0);
}

TEST_CASE("upstream: a reload that cannot be built keeps the servers, and opens nothing") {
  TestLoop loop;
  auto made = make_upstream(
      loop.get(), [](UpstreamReply&&) {},
      settings({plain("127.0.0.1"), tls("127.0.0.1", "dns.test")}));
  REQUIRE(made);
  Upstream& upstream = **made;
  const int before = loop.handles();
  const std::string err = upstream.reconfigure(
      settings({tls("127.0.0.1", "dns.other"), plain("127.0.0.2"), plain("not-an-address")}));
  CHECK(err.find("not-an-address") != std::string::npos);
  CHECK(upstream.servers_text() == "127.0.0.1:53,tls://127.0.0.1:853#dns.test");
  CHECK(loop.handles() == before);
  bool closed = false;
  upstream.shutdown([&closed] { closed = true; });
  uv_run(loop.get(), UV_RUN_DEFAULT);
  CHECK(closed);
  CHECK(loop.handles() == 0);
}

TEST_CASE("upstream: a TCP retry to a TLS server goes on the same connection, not a second") {
  // The pipeline asks over UpstreamTransport::Tcp when DNSSEC records went missing; a TLS run
  // serves that on the connection the first try used. One connection to a refusing port:
  // one failed connect, whatever the transports of the queries on it.
  TestLoop loop;
  RefusingPort refusing;
  TransportCounters counters;
  std::vector<UpstreamReply> replies;
  config::UpstreamServer server = tls("127.0.0.1", "dns.test");
  server.endpoint.port = refusing.port();
  auto made = make_upstream(
      loop.get(), [&replies](UpstreamReply&& r) { replies.push_back(std::move(r)); },
      settings({server}), &counters);
  REQUIRE(made);
  Upstream& upstream = **made;
  const auto query = query_packet();
  upstream.send(query, 1, UpstreamTransport::Udp);
  upstream.send(query, 2, UpstreamTransport::Tcp);
  upstream.send(query, 3);  // Udp
  uv_run(loop.get(), UV_RUN_DEFAULT);
  REQUIRE(replies.size() == 3);
  for (const auto& r : replies) {
    CAPTURE(r.tag);
    CHECK(r.status == UpstreamStatus::Unreachable);
    CHECK(r.detail.find("tls://127.0.0.1:" + std::to_string(refusing.port()) +
                        "#dns.test: cannot connect: ") == 0);
  }
  CHECK(counters.tls_handshake_failures.load() == 1);  // one connection tried, not two
  CHECK(counters.tls_queries.load() == 0);             // nothing written to a refused server
  bool closed = false;
  upstream.shutdown([&closed] { closed = true; });
  uv_run(loop.get(), UV_RUN_DEFAULT);  // before `made` goes: its handles close first
  CHECK(closed);
}

}  // namespace dnsp::proxy
