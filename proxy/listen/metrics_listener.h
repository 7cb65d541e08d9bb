// MetricsListener: a minimal HTTP/1.1 server on the proxy's libuv loop for [metrics] listen.
// It answers `GET /metrics` with the Prometheus text format, hands other GET/HEAD requests to
// an HttpHandler when it has one (the dashboard and /explain pages, proxy/pages/), and closes
// the connection (Connection: close); without a handler anything else gets 404, other methods
// 405, and a request whose Host is not an IP address or localhost gets 403 (a page whose name
// was rebound to us: DNS rebinding). Requests are bounded (8 KiB of header, 5 s to send it,
// 64 connections at once, 70 s for a handler's answer) so a client cannot hold memory or
// sockets.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "proxy/address.h"
#include "proxy/listen/http_handler.h"

namespace dnsp::proxy {

class MetricsListener {
 public:
  using Render = std::function<std::string()>;  // the body of GET /metrics

  // `pages` (may be null) serves every path but /metrics and must outlive the listener.
  MetricsListener(uv_loop_t* loop, Render render, HttpHandler* pages = nullptr);
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  // Binds and listens; "" or what went wrong.
  std::string start(const SocketAddress& address);
  // Stops listening and closes open connections. The object must live until the loop has
  // run the close callbacks (the owner keeps it until uv_run returns).
  void close();

  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr uint64_t kRequestTimeoutMs = 5000;
  static constexpr size_t kMaxConnections = 64;
  // A handler's answer (an /explain trace: at most [upstream] query_timeout_ms, 60 s).
  static constexpr uint64_t kResponseTimeoutMs = 70000;

 private:
  struct Connection;
  static void on_connection(uv_stream_t* server, int status) noexcept;
  void respond(Connection* c);
  void send(Connection* c, HttpResponse response, bool head_only);

  uv_loop_t* loop_;
  Render render_;
  HttpHandler* pages_;
  uint64_t next_serial_ = 1;
  // Handlers' late replies hold a weak reference: a reply after close() is dropped.
  std::shared_ptr<MetricsListener*> self_ = std::make_shared<MetricsListener*>(this);
  uv_tcp_t handle_{};
  bool open_ = false;
  size_t connections_ = 0;
  Connection* first_ = nullptr;  // open connections, to close them with the listener
};

}  // namespace dnsp::proxy
