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

#include "resolver/wire/message.h"
#include "resolver/wire/types.h"

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

  // Misbehaviour, for the hardening tests; the defaults change nothing.
  enum class Forgery : uint8_t {
    None,
    WrongId,        // right question, wrong ID
    WrongQuestion,  // right ID, another name in the question
    OtherPort,      // perfect copy, but from another port of 127.0.0.1
    OtherAddress,   // perfect copy, but from 127.0.0.2
  };
  // Over UDP, first send a forged reply (answer A 203.0.113.66) of this kind at once, then
  // the real one at least 100 ms later: a spoofing attempt the client must never see.
  Forgery forge_first = Forgery::None;
  bool garbage = false;    // reply with random octets (the query's ID kept) instead
  size_t truncate_to = 0;  // cut the reply to this many octets (0: leave it whole)
  bool tc_always = false;  // TC and no records, over UDP and over TCP
  int tcp_delay_ms = -1;   // TCP replies only: after this long (-1: delay_ms)
  // A server that knows no EDNS (RFC 6891 §7): a query with OPT gets FORMERR without OPT and
  // without records; one without OPT gets the rule's answer.
  bool formerr_on_edns = false;
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
  // Like dnsmasq --no-daemon (-d): one process that, while a TCP connection is open, serves
  // only that connection and reads no UDP query until the client closes it.
  void set_tcp_blocks_udp(bool blocks) { tcp_blocks_udp_ = blocks; }
  // Server-wide faults of home routers and hotel resolvers (issue 18): answers over UDP lose
  // their RRSIG records; queries with CD get no answer; TCP connections are closed at once.
  void set_strip_rrsig_over_udp(bool strip) { strip_rrsig_udp_ = strip; }
  void set_drop_cd(bool drop) { drop_cd_ = drop; }
  void set_no_tcp(bool no_tcp) { no_tcp_ = no_tcp; }
  // Answers over UDP longer than 512 octets come back with TC, whatever EDNS size the query
  // offers (routers that ignore EDNS): the whole answer only over TCP.
  void set_udp_limit_512(bool on) { udp_limit_512_ = on; }
  int open_tcp_connections() const { return open_tcp_; }
  int udp_queries() const { return udp_queries_; }
  // Queries for one question (lowercased name as set_rule takes it), over UDP and TCP: the
  // count a test asserts when the proxy's upstream probes (. DNSKEY, com. DS) may also come.
  int queries_for(const std::string& qname, resolver::RRType qtype) const;
  // UDP and TCP queries other than the proxy's upstream probes (proxy/upstream/probe.h:
  // . DNSKEY and com. DS, which a validating proxy asks every [upstream] server).
  int queries_except_probes() const {
    return udp_queries() + tcp_queries() - queries_for(".", resolver::RRType::DNSKEY) -
           queries_for("com.", resolver::RRType::DS);
  }
  int tcp_queries() const { return tcp_queries_; }
  // The DO and CD bits of the last query seen.
  bool last_query_had_do() const { return last_do_; }
  bool last_query_had_cd() const { return last_cd_; }
  int queries_without_edns() const { return queries_without_edns_; }
  // Source port and ID of every UDP query seen, in order.
  std::vector<std::pair<uint16_t, uint16_t>> udp_query_sources() const {
    std::lock_guard lock(mu_);
    return udp_sources_;
  }

 private:
  struct Pending {
    int64_t due_ms;
    int fd;  // UDP socket or TCP connection
    bool tcp;
    std::vector<uint8_t> dest;  // sockaddr bytes for UDP
    std::vector<uint8_t> packet;
  };
  struct Forged {
    std::vector<uint8_t> packet;
    MockRule::Forgery kind;
  };
  void run();
  std::optional<std::vector<uint8_t>> answer(std::span<const uint8_t> query, bool tcp,
                                             int& delay_ms, std::vector<Forged>* forged = nullptr);

  int udp_fd_ = -1;
  int other_port_fd_ = -1;  // 127.0.0.1, another port: forged replies
  int other_addr_fd_ = -1;  // 127.0.0.2: forged replies
  int tcp_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, uint16_t>, MockRule> rules_;
  std::vector<std::pair<uint16_t, uint16_t>> udp_sources_;
  std::map<std::pair<std::string, uint16_t>, int> asked_;  // by question
  std::atomic<bool> default_silent_{false};
  std::atomic<bool> tcp_blocks_udp_{false};
  std::atomic<bool> strip_rrsig_udp_{false};
  std::atomic<bool> drop_cd_{false};
  std::atomic<bool> no_tcp_{false};
  std::atomic<bool> udp_limit_512_{false};
  std::atomic<int> open_tcp_{0};
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
  std::atomic<bool> last_do_{false};
  std::atomic<bool> last_cd_{false};
  std::atomic<int> queries_without_edns_{0};
  std::vector<Pending> pending_;
};

// RDATA helpers for rules.
std::vector<uint8_t> a_rdata(const std::string& ipv4);
// SOA RDATA: ns.example.test. admin.example.test. 1 3600 600 86400 `minimum` (the negative
// TTL of RFC 2308 §5 when the record's own TTL is larger).
std::vector<uint8_t> soa_rdata(uint32_t minimum);
std::vector<uint8_t> txt_rdata(size_t total_octets);  // character-strings of 'x'
// An RRSIG-shaped RDATA with a junk signature (no validation happens in these tests).
std::vector<uint8_t> fake_rrsig_rdata(resolver::RRType covered, const std::string& signer);

}  // namespace dnsp::test
