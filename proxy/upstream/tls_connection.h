// TlsConnection: one encrypted connection of a TlsUpstream (tls_upstream.h), DNS-over-TLS or
// DNS-over-HTTPS. It moves bytes between a libuv TCP stream and a crypto::TlsSession
// (crypto/tls_client.h: the TLS itself, sans I/O) and keeps the queries written on it by a
// 16-bit key, pipelined. DoT: the key is the message ID, messages framed with their
// two-octet length (dot_framing.h, RFC 7858 §3.3), answers in any order (RFC 7766
// §6.2.1.1). DoH: the key is ours (the message ID is 0, RFC 8484 §4.1), each query a stream
// of the DohSession (doh_session.h: HTTP/2 by nghttp2, sans I/O). Queries given to it before
// the server is authenticated wait and are written once it is; nothing is written to a
// server that was refused.
//
// What a reply, a failure or a close means for the queries is its Owner's business: the
// connection reports them and the owner decides (retry, back off, close).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/random.h"
#include "crypto/tls_client.h"
#include "proxy/upstream/doh_session.h"
#include "proxy/upstream/dot_framing.h"
#include "proxy/upstream/upstream.h"

namespace dnsp::proxy {

class TlsConnection {
 public:
  enum class State : uint8_t { Connecting, Handshaking, Ready, Closed };

  // What a connection tells whoever opened it (TlsUpstream), on the loop. A connection may
  // outlive its owner (detach()): it then closes quietly and frees itself.
  class Owner {
   public:
    virtual ~Owner() = default;
    // The server is authenticated; the queries waiting for that are written right after.
    virtual void connection_ready(TlsConnection& c) = 0;
    // A message with the ID `id` of query `qid` arrived. If it answers that query, the
    // owner takes it (c.release(id, message)); otherwise the query stays in flight.
    virtual void connection_reply(TlsConnection& c, uint16_t id, uint64_t qid,
                                  std::span<const uint8_t> message) = 0;
    // DoH: query `qid` (key `id`) got no usable reply on its stream (an HTTP error status,
    // another content type, a reset stream: `detail`); the connection goes on.
    virtual void connection_query_failed(TlsConnection& c, uint16_t id, uint64_t qid,
                                         UpstreamStatus status, const std::string& detail) = 0;
    // The connection failed (`reason` in words) and is still in the state it failed in: the
    // owner takes its queries (take_queries()) and closes it.
    virtual void connection_failed(TlsConnection& c, UpstreamStatus status,
                                   const std::string& reason) = 0;
    // close() began: the connection takes no more queries.
    virtual void connection_closing(TlsConnection& c) = 0;
    // The socket is closed; `c` is freed right after this returns.
    virtual void connection_freed(TlsConnection* c) = 0;
    // After each libuv callback that reached the connection (the owner re-arms its timer).
    virtual void connection_event_done() = 0;
    // Queries are waiting in the connection to be encrypted and written together: the owner
    // calls uncork() once this loop iteration has given it every query it will (a uv_check).
    virtual void connection_corked(TlsConnection& c) = 0;
    // Where the connection decrypts what it read (shared by the owner's connections).
    virtual std::span<uint8_t> read_buffer() = 0;
  };

  static constexpr uint32_t kMaxInFlight = 256;        // queries per connection
  static constexpr uint64_t kIdleTimeoutMs = 10000;    // unless the server says otherwise
  static constexpr uint64_t kMaxKeepaliveMs = 120000;  // what we honour of a server's keepalive

  // A connection to server `server` (the owner's index; `name` for logs) over `session`;
  // DNS-over-HTTPS when `doh` is given (the session offers ALPN h2), DoT otherwise.
  // Nothing happens until connect().
  TlsConnection(uv_loop_t* loop, Owner& owner, size_t server, std::string name,
                std::unique_ptr<crypto::TlsSession> session, TransportCounters& counters,
                std::unique_ptr<DohSession> doh = nullptr);
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Starts connecting to `address`: "" or libuv's words when it refused at once (then the
  // caller fails the connection).
  std::string connect(const sockaddr* address);
  // Takes query `qid`: a random key no other query here has, returned. DoT: it becomes the
  // message ID of `packet` (RFC 5452 §9.2; answers are matched by it); DoH: the ID is set
  // to 0 (RFC 8484 §4.1). Then write_query() sends it.
  uint16_t take_id(uint64_t qid, std::span<uint8_t> packet, crypto::RandomPool& random);
  // Writes query `qid` (`packet`, key `id` from take_id) now, or once the server is
  // authenticated. A write may fail the connection (Owner::connection_failed) before this
  // returns.
  void write_query(uint64_t qid, uint16_t id, std::span<const uint8_t> packet);
  // Encrypts and writes the queries given since the last uncork(): one TLS record (up to
  // 16 KiB) and one socket write for all of them, not one per query.
  void uncork();
  // Query `qid` (ID `id`) no longer waits here (it timed out or went elsewhere).
  void forget(uint16_t id, uint64_t qid);
  // The query with ID `id` got its answer `reply` (empty: its owner has gone): no longer in
  // flight. RFC 7828: the reply's edns-tcp-keepalive sets the idle timeout.
  void release(uint16_t id, std::span<const uint8_t> reply = {});
  // The queries in flight or waiting, in the order they were given; none are left here.
  std::vector<uint64_t> take_queries();
  // Sends close_notify (when authenticated) and closes the socket; frees itself once closed.
  void close();
  // The owner is going away: from now on the connection tells it nothing.
  void detach() {
    owner_ = nullptr;
    counters_ = nullptr;
  }

  State state() const { return state_; }
  size_t server() const { return server_; }
  const std::string& name() const { return name_; }
  size_t in_flight() const { return in_flight_.size(); }
  bool full() const { return in_flight_.size() >= max_in_flight(); }
  // kMaxInFlight; DoH: no more than the server's concurrent streams, none after GOAWAY.
  size_t max_in_flight() const;
  bool https() const { return doh_ != nullptr; }
  uint64_t opened_ms() const { return opened_ms_; }
  uint64_t idle_since() const { return idle_since_; }
  uint64_t idle_timeout_ms() const { return idle_timeout_ms_; }
  bool resumed() const { return session_->resumed(); }
  std::string tls_version() const { return session_->version(); }

 private:
  ~TlsConnection() = default;  // freed by its close callback only

  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_closed(uv_handle_t* handle) noexcept;

  void quick_ack();  // TCP_QUICKACK after each read (tls_connection.cc says why)
  // Runs the handshake or reads, after ciphertext arrived.
  void drive();
  void became_ready();
  void read_messages();
  void read_streams();  // DoH
  void deliver(std::span<const uint8_t> message);
  void deliver(std::vector<DohSession::Event>& events);
  void send_query(uint16_t id, std::span<const uint8_t> packet);
  void write_plaintext(std::span<const uint8_t> bytes);
  void flush_http();  // DoH: what the HTTP/2 session has to send, then its events
  void flush();       // the session's ciphertext to the socket
  // Tells the owner (which closes the connection); closes it when there is none.
  void fail(UpstreamStatus status, const std::string& reason);

  uv_loop_t* loop_;
  Owner* owner_;  // null once detached
  size_t server_;
  std::string name_;
  std::unique_ptr<crypto::TlsSession> session_;
  TransportCounters* counters_;  // null once detached
  uv_tcp_t tcp_{};
  uv_connect_t connect_{};
  State state_ = State::Connecting;
  uint64_t opened_ms_ = 0;
  uint64_t idle_since_ = 0;
  uint64_t idle_timeout_ms_ = kIdleTimeoutMs;
  std::unordered_map<uint16_t, uint64_t> in_flight_;  // message ID -> query id
  // Queries given before the server was authenticated: (key, packet).
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> waiting_;
  FrameReader reader_;
  std::unique_ptr<DohSession> doh_;  // DoH only
  std::vector<uint8_t> corked_;      // DoT frames not yet encrypted (uncork())
  bool http_corked_ = false;         // DoH requests submitted, not yet taken out
};

}  // namespace dnsp::proxy
