// TlsUpstream: the Upstream (upstream.h) over DNS-over-TLS (RFC 7858) and DNS-over-HTTPS
// (RFC 8484, HTTP/2 streams instead of DoT's framing: TlsConnection tells them apart), with
// the strict privacy profile of RFC 8310: a server is used only once its certificate is valid for
// its authentication name (against tls_ca_file or the system store) and/or its keys match one of
// its SPKI pins (RFC 7858 §4.2); crypto/tls_client.h checks both. A server that fails that is
// not used until its backoff ends; a query never goes out in cleartext instead.
//
// Each connection is a TlsConnection (tls_connection.h: a libuv TCP stream and the TLS
// session from crypto/, no blocking call, no thread); this file decides which connection a
// query goes to. One connection per server shared by every query of this event loop,
// pipelined (RFC 7766 §6.2.1.1: answers in any order, matched by ID and question; random IDs,
// unique per connection); past TlsConnection::kMaxInFlight queries a second connection opens
// (at most kMaxConnections), and past those, queries wait for a free slot. Idle connections
// close after TlsConnection::kIdleTimeoutMs, or sooner when the server says so with
// edns-tcp-keepalive (RFC 7828); sessions are resumed (the server's last session, kept by
// the crypto::TlsContext). Queries are padded to 128-octet blocks (RFC 7830, RFC 8467) and
// ask for keepalive.
//
// Patience as [upstream] timeout_ms and attempts say: each try waits timeout_ms (the
// handshake included), tries go round the servers in order, `attempts` times. A connection
// that dies with queries on it sends each of them once more on a new connection (that does
// not count as a try); a server whose connection or handshake fails backs off (doubling from
// kMinBackoffMs to kMaxBackoffMs) and its failure, in words, is what queries that needed it
// get back (UpstreamReply::detail) and what the log says, once per backoff period.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.h"
#include "crypto/random.h"
#include "crypto/tls_client.h"
#include "proxy/upstream/tls_connection.h"
#include "proxy/upstream/upstream.h"

namespace dnsp::proxy {

class TlsUpstream final : public Upstream, private TlsConnection::Owner {
 public:
  TlsUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters);
  ~TlsUpstream() override;
  TlsUpstream(const TlsUpstream&) = delete;
  TlsUpstream& operator=(const TlsUpstream&) = delete;

  // Sets up the TLS context (CA store, TLS 1.2 minimum); every server must be Tls. Nothing
  // is connected, and no libuv handle opened, until the first query: an upstream dropped
  // unused needs no shutdown(). "" or what went wrong (an unreadable CA file).
  std::string init(const UpstreamSettings& settings);
  // Timeouts and attempts only: other servers need a new TlsUpstream (FailoverUpstream
  // makes one on reload); returns an error then.
  std::string reconfigure(const UpstreamSettings& settings) override;
  using Upstream::send;
  // `transport` does not matter: every query goes on the same connections (streams already).
  void send(std::span<const uint8_t> query, uint64_t tag, UpstreamTransport transport) override;
  void shutdown(std::function<void()> closed = {}) override;
  const std::string& servers_text() const override { return servers_text_; }

  static constexpr size_t kMaxConnections = 2;  // per server
  static constexpr uint64_t kMinBackoffMs = 1000;
  static constexpr uint64_t kMaxBackoffMs = 60000;

 private:
  struct Query {
    uint64_t tag = 0;
    std::vector<uint8_t> packet;    // padded; the ID is set per connection
    uint64_t sent_ms = 0;           // send() time, for elapsed_ms
    uint64_t try_us = 0;            // when this try was written (uv_hrtime), for the RTT
    uint64_t deadline = 0;          // loop time this try gives up
    uint32_t tries = 0;             // tries counted so far (round the servers)
    size_t server = 0;              // the server of this try
    TlsConnection* conn = nullptr;  // where it waits or was written; null: queued on server
    uint16_t wire_id = 0;
    bool resent = false;   // already sent again after a connection died under it
    bool failing = false;  // finished with status/detail by the next timer run
    UpstreamStatus status = UpstreamStatus::Timeout;  // why the last try failed
    std::string detail;                               // ... in words, with the server
  };
  struct Server {
    config::UpstreamServer config;
    std::string name;  // "tls://127.0.0.1:853#dns.test"
    std::vector<TlsConnection*> conns;
    std::vector<uint64_t> queue;  // query ids waiting for a connection slot
    uint64_t down_until = 0;      // loop time the backoff ends
    uint64_t backoff_ms = 0;
    UpstreamStatus down_status = UpstreamStatus::Unreachable;
    std::string down_detail;
    ServerCounters* board = nullptr;  // its entry on counters_->board, if any
  };

  // TlsConnection::Owner
  void connection_ready(TlsConnection& c) override;
  void connection_reply(TlsConnection& c, uint16_t id, uint64_t qid,
                        std::span<const uint8_t> message) override;
  // A failed connect or handshake puts the server in backoff and moves its queries on; a
  // working connection that dies sends its queries once more on a new one.
  void connection_failed(TlsConnection& c, UpstreamStatus status,
                         const std::string& reason) override;
  // A DoH stream failed (HTTP status, content type): the next try, as after a timeout.
  void connection_query_failed(TlsConnection& c, uint16_t id, uint64_t qid, UpstreamStatus status,
                               const std::string& detail) override;
  void connection_closing(TlsConnection& c) override;
  void connection_freed(TlsConnection* c) override;
  void connection_event_done() override { rearm(); }
  void connection_corked(TlsConnection& c) override;
  static void on_check(uv_check_t* handle) noexcept;
  std::span<uint8_t> read_buffer() override { return read_buf_; }

  static void on_timer(uv_timer_t* handle) noexcept;

  // Sends query `qid` on its next try, or fails it (soon) when the tries are used up.
  void dispatch(uint64_t qid);
  // Puts query `qid` on a connection to server `s` (opening one if needed) or in its queue.
  void assign(uint64_t qid, size_t s);
  TlsConnection* open_connection(size_t s);
  void back_off(Server& sv, UpstreamStatus status, const std::string& detail);
  void fill_from_queue(TlsConnection& c);
  // The try of `qid` failed: count it, and try the next server or fail the query.
  void retry(uint64_t qid, UpstreamStatus status, std::string detail);
  void finish(uint64_t qid, UpstreamReply reply);
  void detach(Query& q, uint64_t qid);  // off its connection or queue
  void run_timers();
  void check_connections(uint64_t now);  // stalled handshakes, idle connections
  void rearm();
  void maybe_closed();
  bool in_backoff(const Server& s) const;

  uv_loop_t* loop_;
  Handler handler_;
  TransportCounters* counters_;
  TransportCounters own_counters_;  // when none were given
  std::shared_ptr<crypto::TlsContext> tls_;
  std::vector<Server> servers_;
  std::string servers_text_;
  uint32_t timeout_ms_ = 1500;
  uint32_t attempts_ = 2;
  bool open_ = false;
  std::unordered_map<uint64_t, Query> queries_;
  std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline, query id)
  std::set<TlsConnection*> alive_;                     // every connection not yet freed
  uint64_t next_query_ = 1;
  crypto::RandomPool random_;
  uv_timer_t timer_{};
  bool timer_open_ = false;
  // Runs once per loop iteration while connections hold queries to write (uncork()).
  uv_check_t check_{};
  bool check_open_ = false;
  std::set<TlsConnection*> corked_;
  std::function<void()> closed_;
  std::vector<uint8_t> read_buf_;
};

}  // namespace dnsp::proxy
