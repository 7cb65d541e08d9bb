// TcpListener and TcpConnection: DNS over TCP (RFC 1035 §4.2.2, RFC 7766): 2-octet length
// framing, several queries per connection answered as each completes (out of order),
// an idle timeout, a cap on open connections, and one on each connection's queries in flight.
#pragma once

#include <uv.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proxy/address.h"

namespace dnsp::proxy {

class QuerySink;

struct TcpLimits {
  uint32_t idle_timeout_ms;
  uint32_t max_connections;
  uint32_t max_queries_per_connection;  // read and not answered yet ([server])
};

class TcpConnection {
 public:
  TcpConnection(QuerySink& sink, uint64_t id, const TcpLimits& limits);
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Takes the accepted socket from `listener`; false when that failed (call close()).
  bool accept(uv_loop_t* loop, uv_stream_t* listener);
  void send(std::span<const uint8_t> packet);  // adds the length prefix
  void answered();  // one query of this connection has been answered (or dropped)
  // Closes both handles; the object deletes itself when both are closed.
  void close();
  uint64_t id() const { return id_; }
  // The client's address and ours (for explain's same-host rule); nullopt when unknown.
  std::optional<SocketAddress> peer() const;
  std::optional<SocketAddress> local() const;

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept;
  static void on_idle(uv_timer_t* t) noexcept;
  static void on_closed(uv_handle_t* h) noexcept;
  static void on_resume(uv_timer_t* t) noexcept;
  void take_frames();
  void touch();

  QuerySink& sink_;
  uint64_t id_;
  uint32_t idle_timeout_ms_;
  uint32_t max_pending_;
  uv_tcp_t tcp_{};
  uv_timer_t idle_{};
  // Past max_pending_ the socket is not read (reading_ false); once a reply brings it
  // below, this timer (0 ms: the next loop iteration, outside the Server's call that
  // answered) handles the frames already buffered and reads again.
  uv_timer_t resume_{};
  bool reading_ = true;
  int open_handles_ = 0;
  bool closing_ = false;
  bool peer_done_ = false;  // the client sent EOF: close once every query is answered
  size_t pending_ = 0;      // queries read but not answered yet
  std::vector<uint8_t> inbuf_;
};

class TcpListener {
 public:
  TcpListener(uv_loop_t* loop, QuerySink& sink, TcpLimits limits);
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  std::string start(const SocketAddress& address, PortSharing sharing = PortSharing::Exclusive);
  // Takes a listening socket bound by someone else (systemd socket activation) and accepts
  // on it; the listener owns `fd` from now on (closed with it, even on error).
  std::string adopt(int fd);
  void close();

 private:
  static void on_connection(uv_stream_t* s, int status) noexcept;

  uv_loop_t* loop_;
  QuerySink& sink_;
  TcpLimits limits_;
  uv_tcp_t handle_{};
  bool open_ = false;
  std::string name_;
};

}  // namespace dnsp::proxy
