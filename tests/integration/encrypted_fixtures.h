// Fixtures shared by the encrypted-upstream tests (tls_test.cc: DNS-over-TLS, doh_test.cc:
// DNS-over-HTTPS, issue 16): loopback addresses of this process's own, a CA and
// certificates made with the openssl CLI at test time, a trap that counts cleartext DNS,
// Unbound serving DoT and DoH in front of the signed hierarchy, and small clients.
#pragma once

#include <doctest/doctest.h>
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace dnsp::test {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

// 127.A.B.N: A.B chosen by pid, away from the hierarchy's 127.64-191.3 nets.
std::string address(int n);
sockaddr_in socket_address(const std::string& addr, uint16_t port);

// A CA, and certificates made by it (or not) for the test servers, once per test run.
struct Certs {
  TempDir dir;
  bool ok = false;
  std::string why;
  std::string ca, good_cert, good_key, other_cert, other_key, expired_cert, expired_key, self_cert,
      self_key, good_pin, other_pin;

  static Certs& get();

 private:
  Certs();
};

#define REQUIRE_CERTS()                                                             \
  do {                                                                              \
    if (!::dnsp::test::Certs::get().ok) FAIL("TLS fixtures: " << Certs::get().why); \
  } while (0)

// Plain DNS on ADDR:53, UDP and TCP, counting what arrives: must stay 0 when the proxy talks
// to ADDR over TLS only.
class CleartextTrap {
 public:
  explicit CleartextTrap(const std::string& addr);
  ~CleartextTrap();
  bool bound() const { return bound_; }
  int packets() const { return packets_; }

 private:
  int udp_ = -1;
  int tcp_ = -1;
  bool bound_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> packets_{0};
  std::thread thread_;
};

// Unbound as a DoT (port 853) and DoH (port 443, path /dns-query) server on `addr` with the
// certificate for dns.test, forwarding to the signed hierarchy's iterating upstream;
// stopped when this goes. ready() once kdig gets an answer over both.
class EncryptedUnbound {
 public:
  explicit EncryptedUnbound(const std::string& addr);
  ~EncryptedUnbound();
  bool ready() const { return ready_; }
  const std::string& log_path() const { return log_; }

 private:
  TempDir dir_;
  std::string pidfile_;
  std::string log_;
  bool ready_ = false;
};

// A query for `name` A with ID `id`, RD set, no EDNS.
Bytes query(const std::string& name, uint16_t id);

// Sends one UDP query per name (IDs 0..n-1) to the proxy, at most `window` unanswered at a
// time; the rcode of each reply by ID (-1: none within timeout_ms of the last send).
std::vector<int> udp_burst(uint16_t port, const std::vector<std::string>& names, size_t window,
                           int timeout_ms = 5000);

std::string empty_anchor_file(const TempDir& dir);

// The proxy forwarding to `upstream` only, validation off (an empty anchor file), the test
// CA as its CA store.
std::unique_ptr<ProxyProcess> proxy_to(const TempDir& dir, const std::string& upstream,
                                       std::vector<std::string> extra = {});

// The value of `sample` in a Prometheus text body; -1 when absent.
int64_t metric(const std::string& body, const std::string& sample);

}  // namespace dnsp::test
