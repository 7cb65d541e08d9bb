// TlsUpstream: the Upstream (upstream.h) over DNS-over-TLS (RFC 7858) with the strict
// privacy profile of RFC 8310: a server is used only once its certificate is valid for its
// authentication name (against tls_ca_file or the system store, X509_VERIFY_PARAM_set1_host)
// and/or its keys match one of its SPKI pins (RFC 7858 §4.2). A server that fails that is
// not used until its backoff ends; a query never goes out in cleartext instead.
//
// OpenSSL runs on libuv TCP streams through memory BIOs: no blocking call, no thread. One
// connection per server shared by every query of this event loop, pipelined (RFC 7766
// §6.2.1.1: answers in any order, matched by ID and question; random IDs, unique per
// connection); past kMaxInFlight queries a second connection opens (at most
// kMaxConnections), and past those, queries wait for a free slot. Idle connections close
// after kIdleTimeoutMs, or sooner when the server says so with edns-tcp-keepalive (RFC
// 7828); sessions are resumed (the server's last SSL_SESSION). Queries are padded to
// 128-octet blocks (RFC 7830, RFC 8467) and ask for keepalive.
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
#include "proxy/upstream/dot_framing.h"
#include "proxy/upstream/upstream.h"

// OpenSSL types, declared here so that this header does not include OpenSSL.
struct ssl_ctx_st;
struct ssl_st;
struct ssl_session_st;
struct x509_store_ctx_st;

namespace dnsp::proxy {

class TlsUpstream final : public Upstream {
 public:
  TlsUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters);
  ~TlsUpstream() override;
  TlsUpstream(const TlsUpstream&) = delete;
  TlsUpstream& operator=(const TlsUpstream&) = delete;

  // Whether the TLS settings can be used (the CA file loads), before anything is built: ""
  // or what is wrong. "" when `settings` has no TLS server.
  static std::string check(const UpstreamSettings& settings);
  // Sets up the TLS context (CA store, TLS 1.2 minimum); every server must be Tls. Nothing
  // is connected until the first query. "" or what went wrong (an unreadable CA file).
  std::string init(const UpstreamSettings& settings);
  // Timeouts and attempts only: other servers need a new TlsUpstream (FailoverUpstream
  // makes one on reload); returns an error then.
  std::string reconfigure(const UpstreamSettings& settings) override;
  void send(std::span<const uint8_t> query, uint64_t tag) override;
  void shutdown(std::function<void()> closed = {}) override;
  const std::string& servers_text() const override { return servers_text_; }

  static constexpr uint32_t kMaxInFlight = 256;      // queries per connection
  static constexpr size_t kMaxConnections = 2;       // per server
  static constexpr uint64_t kIdleTimeoutMs = 10000;  // unless the server says otherwise
  static constexpr uint64_t kMinBackoffMs = 1000;
  static constexpr uint64_t kMaxBackoffMs = 60000;

 private:
  enum class ConnState : uint8_t { Connecting, Handshaking, Ready, Closed };
  struct Connection;
  struct Server;
  struct Query {
    uint64_t tag = 0;
    std::vector<uint8_t> packet;  // padded; the ID is set per connection
    uint64_t sent_ms = 0;         // send() time, for elapsed_ms
    uint64_t deadline = 0;        // loop time this try gives up
    uint32_t tries = 0;           // tries counted so far (round the servers)
    size_t server = 0;            // the server of this try
    Connection* conn = nullptr;   // where it waits or was written; null: queued on server
    uint16_t wire_id = 0;
    bool resent = false;   // already sent again after a connection died under it
    bool failing = false;  // finished with status/detail by the next timer run
    UpstreamStatus status = UpstreamStatus::Timeout;  // why the last try failed
    std::string detail;                               // ... in words, with the server
  };
  struct Connection {
    TlsUpstream* owner = nullptr;  // null once the upstream is destroyed
    size_t server = 0;
    uint64_t id = 0;
    uv_tcp_t tcp{};
    uv_connect_t connect{};
    ssl_st* ssl = nullptr;
    void* rbio = nullptr;  // BIO*: ciphertext from the server, for OpenSSL to read
    void* wbio = nullptr;  // BIO*: ciphertext OpenSSL wrote, for us to send
    ConnState state = ConnState::Connecting;
    bool counted_open = false;  // in TransportCounters::tls_connections_open
    uint64_t opened_ms = 0;
    uint64_t idle_since = 0;
    uint64_t idle_timeout_ms = kIdleTimeoutMs;
    std::unordered_map<uint16_t, uint64_t> in_flight;  // wire ID -> query id
    std::vector<uint64_t> waiting;                     // query ids until the handshake is done
    std::string verify_error;                          // the first certificate problem, in words
    FrameReader reader;
  };
  struct Server {
    config::UpstreamServer config;
    std::string name;  // "tls://127.0.0.1:853#dns.test"
    std::vector<Connection*> conns;
    std::vector<uint64_t> queue;        // query ids waiting for a connection slot
    ssl_session_st* session = nullptr;  // the last session, for resumption
    uint64_t down_until = 0;            // loop time the backoff ends
    uint64_t backoff_ms = 0;
    UpstreamStatus down_status = UpstreamStatus::Unreachable;
    std::string down_detail;
  };

  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_timer(uv_timer_t* handle) noexcept;
  static int on_verify(int ok, x509_store_ctx_st* store) noexcept;
  static int on_new_session(ssl_st* ssl, ssl_session_st* session) noexcept;

  // Sends query `qid` on its next try, or fails it (soon) when the tries are used up.
  void dispatch(uint64_t qid);
  // Puts query `qid` on a connection to server `s` (opening one if needed) or in its queue.
  void assign(uint64_t qid, size_t s);
  void write_query(Connection& c, Query& q);
  Connection* open_connection(size_t s);
  void start_handshake(Connection& c);
  void drive(Connection& c);  // runs the handshake or reads, after ciphertext arrived
  void handshake_done(Connection& c);
  void on_message(Connection& c, std::span<const uint8_t> message);
  void flush(Connection& c);
  // The connection failed: `status` and `reason` in words. A failed connect or handshake
  // puts the server in backoff; a working connection that dies is just reopened.
  void connection_failed(Connection& c, UpstreamStatus status, const std::string& reason);
  void close_connection(Connection& c);
  void fill_from_queue(Connection& c);
  // The try of `qid` failed: count it, and try the next server or fail the query.
  void retry(uint64_t qid, UpstreamStatus status, std::string detail);
  void finish(uint64_t qid, UpstreamReply reply);
  void detach(Query& q, uint64_t qid);  // off its connection or queue
  void run_timers();
  void rearm();
  void maybe_closed();
  bool in_backoff(const Server& s) const;

  uv_loop_t* loop_;
  Handler handler_;
  TransportCounters* counters_;
  TransportCounters own_counters_;  // when none were given
  ssl_ctx_st* ctx_ = nullptr;
  std::vector<Server> servers_;
  std::string servers_text_;
  uint32_t timeout_ms_ = 1500;
  uint32_t attempts_ = 2;
  bool open_ = false;
  std::unordered_map<uint64_t, Query> queries_;
  std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline, query id)
  std::set<Connection*> alive_;                        // every connection not yet freed
  uint64_t next_query_ = 1;
  uint64_t next_conn_ = 1;
  crypto::RandomPool random_;
  uv_timer_t timer_{};
  bool timer_open_ = false;
  int handles_ = 0;  // connection handles not closed yet
  std::function<void()> closed_;
  std::vector<uint8_t> read_buf_;
};

}  // namespace dnsp::proxy
