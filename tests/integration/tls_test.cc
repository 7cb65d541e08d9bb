// DNS-over-TLS upstreams end to end (issue 16, RFC 7858 with the strict profile of RFC 8310):
// Unbound serving DoT in front of the signed hierarchy (secure, bogus and insecure answers),
// and a small DoT server in this process (OpenSSL, a thread per connection) that answers in
// reverse order, goes silent, drops connections, closes idle ones or never completes the
// handshake. Certificates are made with the openssl CLI at test time (an expired one under
// libfaketime). Each DoT server listens on port 853 of a 127.x.y.z address of this process's
// own, where a plain DNS listener on port 53 (UDP and TCP) checks that nothing ever goes out
// in cleartext. Needs root (ports 853 and 53).
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "encrypted_fixtures.h"
#include "harness.h"
#include "hierarchy.h"

using namespace dnsp::test;

namespace {

// The DoT server writes to connections the proxy may have closed: EPIPE, not a signal.
const bool kNoSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

// A DNS-over-TLS server on ADDR:853 answering every query with one A record (192.0.2.1),
// the replies to all queries read together written in reverse order.
class DotServer {
 public:
  enum class Mode : uint8_t {
    Answer,  // answer (in reverse order per batch)
    Silent,  // read queries, answer none; with drop_after, then drop the connection
    Stall,   // accept TCP, never read: the handshake never completes
  };

  DotServer(const std::string& addr, const std::string& cert, const std::string& key, Mode mode)
      : mode_(mode) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_set_session_id_context(ctx_, reinterpret_cast<const unsigned char*>("dot"), 3);
    listen_ = socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const sockaddr_in a = socket_address(addr, 853);
    ok_ = bind(listen_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
          listen(listen_, 64) == 0;
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~DotServer() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (auto& t : workers_) t.join();
    for (int fd : stalled_) close(fd);
    close(listen_);
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  void set_mode(Mode m) { mode_ = m; }
  // Silent: once this many queries were read (all connections), close them and answer.
  void drop_after(int n) { drop_after_ = n; }
  // Close a connection idle this long (0: never).
  void close_idle_after(int ms) { idle_ms_ = ms; }

  std::atomic<int> accepts{0};
  std::atomic<int> handshakes{0};
  std::atomic<int> resumed{0};
  std::atomic<int> queries{0};
  std::atomic<int> answered{0};
  std::atomic<int> reversed_batches{0};  // batches of 2+ answered last first
  std::atomic<int> padded{0};            // queries whose length is a multiple of 128

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int fd = accept(listen_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepts;
      std::lock_guard lock(mu_);
      if (mode_ == Mode::Stall) {
        stalled_.push_back(fd);
        continue;
      }
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Waits up to ms for bytes; false on stop, timeout or error.
  bool readable(SSL* ssl, int fd, int ms) {
    if (SSL_pending(ssl) > 0) return true;
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
  }

  static Bytes reply_to(const Bytes& q) {
    // Header and question of the query, QR and RA set, one A record, no OPT.
    size_t pos = 12;
    while (pos < q.size() && q[pos] != 0) pos += 1 + q[pos];
    pos += 1 + 4;
    Bytes r(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(std::min(pos, q.size())));
    r[2] |= 0x80;
    r[3] = 0x80;
    r[6] = 0;
    r[7] = 1;  // ANCOUNT
    r[8] = r[9] = r[10] = r[11] = 0;
    const Bytes rr = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
    r.insert(r.end(), rr.begin(), rr.end());
    return r;
  }

  void serve(int fd) {
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc = -1;
    for (int i = 0; i < 25 && !stop_; ++i) {  // 5 s
      rc = SSL_accept(ssl);
      if (rc == 1) break;
      const int err = SSL_get_error(ssl, rc);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_SYSCALL) break;
      ERR_clear_error();
    }
    if (rc == 1) {
      ++handshakes;
      if (SSL_session_reused(ssl) == 1) ++resumed;
      session(ssl, fd);
    }
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
  }

  void session(SSL* ssl, int fd) {
    Bytes in;
    auto last = Clock::now();
    while (!stop_) {
      // A batch: whatever queries arrive within 5 ms of each other.
      std::vector<Bytes> batch;
      for (;;) {
        if (!readable(ssl, fd, batch.empty() ? 50 : 5)) break;
        unsigned char buf[16384];
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) {
          const int err = SSL_get_error(ssl, n);
          if (err == SSL_ERROR_WANT_READ) continue;
          return;  // closed
        }
        in.insert(in.end(), buf, buf + n);
        while (in.size() >= 2) {
          const size_t len = (size_t(in[0]) << 8) | in[1];
          if (in.size() < 2 + len) break;
          batch.emplace_back(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
          in.erase(in.begin(), in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
        }
      }
      if (batch.empty()) {
        const int idle = idle_ms_;
        if (idle > 0 && Clock::now() - last > std::chrono::milliseconds(idle)) {
          SSL_shutdown(ssl);
          return;
        }
        continue;
      }
      last = Clock::now();
      for (const Bytes& q : batch) {
        if (q.size() % 128 == 0) ++padded;
      }
      const int total = queries += static_cast<int>(batch.size());
      if (mode_ == Mode::Silent) {
        if (drop_after_ > 0 && total >= drop_after_) {
          mode_ = Mode::Answer;
          return;  // dropped with every query unanswered
        }
        continue;
      }
      Bytes out;
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
        const Bytes r = reply_to(*it);
        out.push_back(static_cast<uint8_t>(r.size() >> 8));
        out.push_back(static_cast<uint8_t>(r.size()));
        out.insert(out.end(), r.begin(), r.end());
      }
      if (batch.size() > 1) ++reversed_batches;
      if (SSL_write(ssl, out.data(), static_cast<int>(out.size())) <= 0) return;
      answered += static_cast<int>(batch.size());
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int listen_ = -1;
  bool ok_ = false;
  std::atomic<Mode> mode_;
  std::atomic<int> drop_after_{0};
  std::atomic<int> idle_ms_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> stalled_;
  std::thread acceptor_;
};

}  // namespace

TEST_CASE("tls: secure, bogus and insecure answers from the signed hierarchy over DoT") {
  REQUIRE_HIERARCHY();
  REQUIRE_CERTS();
  auto& h = Hierarchy::get();
  auto& c = Certs::get();
  const std::string addr = address(1);
  CleartextTrap trap(addr);
  REQUIRE(trap.bound());
  // Unbound as a DoT forwarder in front of the hierarchy's iterating upstream.
  EncryptedUnbound unbound(addr);
  REQUIRE(unbound.ready());

  ProxyProcess proxy({"--upstream", "tls://" + addr + "#dns.test", "--tls-ca-file", c.ca,
                      "--trust-anchor", h.anchor(), "--threads", "1", "--log-level", "debug"});
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
  // A real DoT client agrees the proxy is answering what Unbound serves.
  CHECK(proxy.log().find("forwarding to tls://" + addr + ":853#dns.test") != std::string::npos);
  CHECK(trap.packets() == 0);
}

TEST_CASE("tls: a refused server is never used, and nothing goes out in cleartext") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  struct Case {
    const char* what;
    std::string cert, key;
    std::string auth;  // "#NAME", or "" for a pin-only table
    std::string pin;
    std::string expected;  // in the EDE text
    int address;
  };
  const std::vector<Case> cases = {
      {"wrong name", c.good_cert, c.good_key, "#dns.other", "",
       "certificate name dns.other does not match (the certificate is for dns.test)", 2},
      {"expired", c.expired_cert, c.expired_key, "#dns.test", "", "certificate expired 20", 3},
      {"self-signed", c.self_cert, c.self_key, "#dns.test", "", "self-signed certificate", 4},
      {"wrong pin", c.good_cert, c.good_key, "", c.other_pin, "SPKI pin mismatch", 5},
      {"name from another CA's view", c.other_cert, c.other_key, "#dns.test", "",
       "certificate name dns.test does not match (the certificate is for dns.other)", 6},
  };
  for (const Case& k : cases) {
    SUBCASE(k.what) {
      const std::string addr = address(k.address);
      CleartextTrap trap(addr);
      REQUIRE(trap.bound());
      DotServer server(addr, k.cert, k.key, DotServer::Mode::Answer);
      REQUIRE(server.ok());
      TempDir dir;
      std::unique_ptr<ProxyProcess> proxy;
      std::string name = "tls://" + addr + ":853" + k.auth;
      if (k.pin.empty()) {
        proxy = proxy_to(dir, name);
      } else {
        const std::string cfg = dir.write(
            "proxy.toml", "[upstream]\ntls_ca_file = \"" + c.ca +
                              "\"\n[[upstream.server]]\naddress = \"" + addr +
                              "\"\ntransport = \"tls\"\nspki_pins = [\"" + k.pin + "\"]\n");
        proxy = std::make_unique<ProxyProcess>(std::vector<std::string>{
            "--config", cfg, "--trust-anchor", empty_anchor_file(dir), "--threads", "1"});
      }
      const auto start = Clock::now();
      const auto d = dig(proxy->port(), "www.example.test A");
      CHECK(Clock::now() - start < std::chrono::seconds(2));
      CHECK(d.status == "SERVFAIL");
      CHECK(d.ede_code == 23);
      CHECK(d.ede_text.find(name + ": " + k.expected) != std::string::npos);
      INFO(d.output);
      // The log says it too, once; the second query fails at once (backoff), same words.
      const auto again = dig(proxy->port(), "www2.example.test A");
      CHECK(again.ede_text == d.ede_text);
      CHECK(proxy->log().find("warn: upstream " + name + ": " + k.expected) != std::string::npos);
      CHECK(server.answered == 0);
      CHECK(server.queries == 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      CHECK(trap.packets() == 0);
    }
  }
}

TEST_CASE("tls: a pin that matches authenticates the server without a CA") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(7);
  DotServer server(addr, c.self_cert, c.self_key, DotServer::Mode::Answer);
  REQUIRE(server.ok());
  TempDir dir;
  const std::string pin =
      run_command("openssl pkey -in " + c.self_key +
                  " -pubout -outform der | openssl dgst -sha256 -binary | base64 | tr -d '\\n'")
          .out;
  const std::string cfg =
      dir.write("proxy.toml", "[upstream]\nservers = [{address = \"" + addr +
                                  "\", transport = \"tls\", spki_pins = [\"" + pin + "\"]}]\n");
  ProxyProcess proxy({"--config", cfg, "--trust-anchor", empty_anchor_file(dir), "--threads", "1"});
  const auto d = dig(proxy.port(), "www.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(d.answer_count == 1);
  CHECK(server.handshakes == 1);
}

TEST_CASE("tls: 2000 queries over one connection, answered out of order, padded") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(8);
  DotServer server(addr, c.good_cert, c.good_key, DotServer::Mode::Answer);
  REQUIRE(server.ok());
  TempDir dir;
  const uint16_t metrics = free_port();
  const std::string cfg = dir.write(
      "proxy.toml", "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n");
  auto proxy = proxy_to(dir, "tls://" + addr + "#dns.test", {"--config", cfg});
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back("q" + std::to_string(i) + ".example.test");
  const auto start = Clock::now();
  const auto rcodes = udp_burst(proxy->port(), names, 200);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  int noerror = 0;
  for (int r : rcodes) noerror += r == 0 ? 1 : 0;
  MESSAGE("2000 queries over DoT in " << took.count() << " ms; " << server.reversed_batches.load()
                                      << " batches answered in reverse order");
  CHECK(noerror == 2000);
  CHECK(server.queries == 2000);
  CHECK(server.accepts == 1);
  CHECK(server.handshakes == 1);
  CHECK(server.reversed_batches > 0);
  CHECK(server.padded == 2000);  // RFC 8467: every query a multiple of 128 octets
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  const std::string body =
      run_command("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(metrics) + "/metrics")
          .out;
  CHECK(metric(body, "dnssec_proxy_upstream_tls_handshakes_total{resumed=\"false\"}") == 1);
  CHECK(metric(body, "dnssec_proxy_upstream_tls_connections") == 1);
  CHECK(metric(body, "dnssec_proxy_upstream_tls_queries_total") == 2000);
  CHECK(metric(body, "dnssec_proxy_upstream_tls_handshake_failures_total") == 0);
}

TEST_CASE("tls: a connection dropped with queries in flight: each asked again, answered in time") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(9);
  DotServer server(addr, c.good_cert, c.good_key, DotServer::Mode::Silent);
  REQUIRE(server.ok());
  server.drop_after(20);
  TempDir dir;
  auto proxy = proxy_to(dir, "tls://" + addr + "#dns.test");
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("drop" + std::to_string(i) + ".example.test");
  const auto start = Clock::now();
  const auto rcodes = udp_burst(proxy->port(), names, 20);
  CHECK(Clock::now() - start < std::chrono::seconds(3));
  for (int r : rcodes) CHECK(r == 0);
  CHECK(server.accepts == 2);
  CHECK(server.answered == 20);
  CHECK(proxy->log().find("connection closed by the server; asking its queries again") !=
        std::string::npos);
}

TEST_CASE("tls: the upstream killed with queries in flight: each gets SERVFAIL in time") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(10);
  auto server = std::make_unique<DotServer>(addr, c.good_cert, c.good_key, DotServer::Mode::Silent);
  REQUIRE(server->ok());
  TempDir dir;
  auto proxy = proxy_to(dir, "tls://" + addr + "#dns.test");
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back("kill" + std::to_string(i) + ".example.test");
  std::thread killer([&] {
    eventually([&] { return server->queries >= 10; });
    server.reset();  // listener and connections gone
  });
  const auto start = Clock::now();
  const auto rcodes = udp_burst(proxy->port(), names, 10);
  killer.join();
  CHECK(Clock::now() - start < std::chrono::seconds(5));
  for (int r : rcodes) CHECK(r == 2);  // SERVFAIL, each one
}

TEST_CASE("tls: the server closes idle connections; the next query reconnects, resuming") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(11);
  DotServer server(addr, c.good_cert, c.good_key, DotServer::Mode::Answer);
  REQUIRE(server.ok());
  server.close_idle_after(200);
  TempDir dir;
  auto proxy = proxy_to(dir, "tls://" + addr + "#dns.test");
  CHECK(dig(proxy->port(), "idle1.example.test A").status == "NOERROR");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(dig(proxy->port(), "idle2.example.test A").status == "NOERROR");
  CHECK(server.accepts == 2);
  CHECK(server.handshakes == 2);
  CHECK(server.resumed == 1);  // the session of the first connection
  CHECK(proxy->log().find("closed an idle connection") != std::string::npos);
}

TEST_CASE("tls: a server that never completes the handshake: SERVFAIL EDE 22 in time") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(12);
  CleartextTrap trap(addr);
  REQUIRE(trap.bound());
  DotServer server(addr, c.good_cert, c.good_key, DotServer::Mode::Stall);
  REQUIRE(server.ok());
  TempDir dir;
  auto proxy = proxy_to(dir, "tls://" + addr + "#dns.test");
  const auto start = Clock::now();
  const auto d = dig(proxy->port(), "stall.example.test A");
  const auto took = Clock::now() - start;
  CHECK(took < std::chrono::milliseconds(4000));  // query_timeout_ms is 5000
  CHECK(d.status == "SERVFAIL");
  CHECK(d.ede_code == 22);
  CHECK(d.ede_text == "tls://" + addr + ":853#dns.test: TLS handshake timed out after 1500 ms");
  CHECK(server.accepts >= 1);
  CHECK(trap.packets() == 0);
}

TEST_CASE("tls: a mixed list fails over from a refused TLS server to the next one") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string bad = address(13);
  const std::string good = address(14);
  DotServer refused(bad, c.self_cert, c.self_key, DotServer::Mode::Answer);
  DotServer server(good, c.good_cert, c.good_key, DotServer::Mode::Answer);
  REQUIRE(refused.ok());
  REQUIRE(server.ok());
  TempDir dir;
  // A plain server that does not exist (nothing listens on 127.0.0.1:PORT), then the
  // self-signed TLS one, then the good one.
  auto proxy =
      proxy_to(dir, "tls://" + bad + "#dns.test", {"--upstream", "tls://" + good + "#dns.test"});
  const auto d = dig(proxy->port(), "mixed.example.test A");
  CHECK(d.status == "NOERROR");
  CHECK(server.answered == 1);
  CHECK(refused.answered == 0);
  const std::string plain = "127.0.0.1:" + std::to_string(free_port());
  auto mixed = proxy_to(dir, plain, {"--upstream", "tls://" + good + "#dns.test"});
  CHECK(dig(mixed->port(), "mixed2.example.test A").status == "NOERROR");
  CHECK(mixed->log().find("forwarding to " + plain + ",tls://" + good + ":853#dns.test") !=
        std::string::npos);
}

TEST_CASE("tls: explain over a refused DoT upstream names the server and the reason") {
  REQUIRE_CERTS();
  auto& c = Certs::get();
  const std::string addr = address(15);
  DotServer server(addr, c.good_cert, c.good_key, DotServer::Mode::Answer);
  REQUIRE(server.ok());
  TempDir dir;
  const auto r = run_proxy_to_exit({"explain", "www.example.test", "A", "--no-color", "--upstream",
                                    "tls://" + addr + "#dns.other", "--tls-ca-file", c.ca,
                                    "--trust-anchor", empty_anchor_file(dir)});
  CHECK(r.exit_code == 3);  // could not resolve
  CHECK(r.out.find("tls://" + addr + ":853#dns.other: certificate name dns.other does not match") !=
        std::string::npos);
  INFO(r.out);
  CHECK(server.queries == 0);
}
