// MockUpstream: a DNS server in the test process on 127.0.0.1 (ephemeral port, UDP and
// TCP on the same port) that answers from rules, or stays silent, answers slowly, or
// truncates over UDP. It speaks real DNS wire format over real sockets.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "resolver/message.h"
#include "resolver/types.h"

namespace dnsp::test {

struct MockRecord {
  std::string owner;  // presentation format
  resolver::RRType type;
  uint32_t ttl;
  std::vector<uint8_t> rdata;  // uncompressed
};

struct MockRule {
  resolver::RCode rcode = resolver::RCode::NoError;
  std::vector<MockRecord> answer;
  std::vector<MockRecord> authority;
  bool silent = false;  // never answer
  int delay_ms = 0;     // answer after this long (other queries are not held up)
};

class MockUpstream {
 public:
  MockUpstream();  // binds 127.0.0.1:0 for UDP and the same port for TCP, starts its thread
  ~MockUpstream();
  MockUpstream(const MockUpstream&) = delete;
  MockUpstream& operator=(const MockUpstream&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Rules are keyed by lowercased qname and qtype; an unknown name gets NXDOMAIN.
  void set_rule(const std::string& qname, resolver::RRType qtype, MockRule rule);
  void set_default_silent(bool silent) { default_silent_ = silent; }
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }
  // The DO and CD bits of the last query seen.
  bool last_query_had_do() const { return last_do_; }
  bool last_query_had_cd() const { return last_cd_; }

 private:
  struct Pending {
    int64_t due_ms;
    int fd;  // UDP socket or TCP connection
    bool tcp;
    std::vector<uint8_t> dest;  // sockaddr bytes for UDP
    std::vector<uint8_t> packet;
  };
  void run();
  std::optional<std::vector<uint8_t>> answer(std::span<const uint8_t> query, bool tcp,
                                             int& delay_ms);

  int udp_fd_ = -1;
  int tcp_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::pair<std::string, uint16_t>, MockRule> rules_;
  std::atomic<bool> default_silent_{false};
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
  std::atomic<bool> last_do_{false};
  std::atomic<bool> last_cd_{false};
  std::vector<Pending> pending_;
};

// RDATA helpers for rules.
std::vector<uint8_t> a_rdata(const std::string& ipv4);
std::vector<uint8_t> txt_rdata(size_t total_octets);  // character-strings of 'x'
// An RRSIG-shaped RDATA with a junk signature (no validation happens in these tests).
std::vector<uint8_t> fake_rrsig_rdata(resolver::RRType covered, const std::string& signer);

}  // namespace dnsp::test
