#include "proxy/listen/metrics_listener.h"

#include <string>
#include <string_view>

#include "proxy/log.h"

namespace dnsp::proxy {

// One HTTP client: read the request head, answer once, close. Freed when both of its
// handles are closed.
struct MetricsListener::Connection {
  MetricsListener* owner = nullptr;
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_write_t write{};
  std::string request;
  std::string response;
  int open_handles = 0;
  bool closing = false;
  bool answered = false;  // the request head is read: respond() has it
  bool written = false;   // a response is on its way
  uint64_t serial = 0;    // how a handler's late reply finds it
  Connection* prev = nullptr;
  Connection* next = nullptr;

  void close() {
    if (closing) return;
    closing = true;
    // Unlink now: the listener may close before the callbacks run.
    if (owner != nullptr) {
      if (prev != nullptr) prev->next = next;
      if (next != nullptr) next->prev = prev;
      if (owner->first_ == this) owner->first_ = next;
      --owner->connections_;
      owner = nullptr;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), &Connection::on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), &Connection::on_closed);
  }
  static void on_closed(uv_handle_t* h) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles == 0) delete c;
  }
  static void on_timeout(uv_timer_t* t) noexcept { static_cast<Connection*>(t->data)->close(); }
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    const size_t old = c->request.size();
    const size_t room = kMaxRequestBytes + 1 - old;  // one more octet shows "too long"
    c->request.resize(old + room);
    buf->base = c->request.data() + old;
    buf->len = room;
  }
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(s->data);
    const size_t unused = buf->len - static_cast<size_t>(n > 0 ? n : 0);
    if (buf->base != nullptr) c->request.resize(c->request.size() - unused);
    if (n < 0) {
      c->close();
      return;
    }
    if (c->answered || c->owner == nullptr) return;
    if (parse_http_request(c->request, kMaxRequestBytes).status != HttpParse::Incomplete) {
      c->answered = true;
      uv_read_stop(s);
      c->owner->respond(c);
    }
  }
  static void on_written(uv_write_t* w, int) noexcept {
    static_cast<Connection*>(w->data)->close();
  }
};

MetricsListener::MetricsListener(uv_loop_t* loop, Render render, HttpHandler* pages)
    : loop_(loop), render_(std::move(render)), pages_(pages) {}

std::string MetricsListener::start(const SocketAddress& address) {
  uv_tcp_init(loop_, &handle_);
  handle_.data = this;
  open_ = true;
  int rc = uv_tcp_bind(&handle_, address.get(), address.is_ipv6() ? UV_TCP_IPV6ONLY : 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), 64, &on_connection);
  if (rc != 0) {
    return "cannot serve metrics on " + to_string(address.get()) + ": " + uv_strerror(rc) +
           " (check [metrics] listen)";
  }
  return "";
}

void MetricsListener::close() {
  if (!open_) return;
  open_ = false;
  *self_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
  while (first_ != nullptr) first_->close();
}

void MetricsListener::on_connection(uv_stream_t* server, int status) noexcept {
  auto* self = static_cast<MetricsListener*>(server->data);
  if (status < 0 || !self->open_) return;
  auto* c = new Connection;
  c->tcp.data = c;
  c->timer.data = c;
  uv_tcp_init(self->loop_, &c->tcp);
  uv_timer_init(self->loop_, &c->timer);
  c->open_handles = 2;
  c->owner = self;
  c->next = self->first_;
  if (self->first_ != nullptr) self->first_->prev = c;
  self->first_ = c;
  ++self->connections_;
  c->serial = self->next_serial_++;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0 ||
      self->connections_ > kMaxConnections) {
    c->close();
    return;
  }
  uv_timer_start(&c->timer, &Connection::on_timeout, kRequestTimeoutMs, 0);
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Connection::on_alloc,
                    &Connection::on_read) != 0) {
    c->close();
  }
}

namespace {

std::string http_response(std::string_view status, std::string_view content_type,
                          std::string_view body, std::string_view extra_header = {}) {
  std::string r = "HTTP/1.1 ";
  r += status;
  r += "\r\nContent-Type: ";
  r += content_type;
  r += "\r\nContent-Length: " + std::to_string(body.size());
  r += "\r\nConnection: close\r\n";
  r += extra_header;
  r += "\r\n";
  r += body;
  return r;
}

// The two ends of the connection, for handlers' policies (same host).
HttpPeer peer_of(const uv_tcp_t* tcp) {
  HttpPeer p;
  SocketAddress a;
  int len = sizeof a.storage;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&a.storage), &len) == 0) p.peer = a;
  len = sizeof a.storage;
  if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&a.storage), &len) == 0) p.local = a;
  return p;
}

}  // namespace

void MetricsListener::respond(Connection* c) {
  const ParsedRequest parsed = parse_http_request(c->request, kMaxRequestBytes);
  const HttpRequest& req = parsed.request;
  const bool head = req.method == "HEAD";
  if (parsed.status != HttpParse::Ok) {
    return send(c, {"400 Bad Request", "text/plain", "bad request\n", ""}, false);
  }
  if (req.host && !host_allowed(*req.host)) {
    // No Host at all (HTTP/1.0 tools) is served: browsers always send one.
    return send(c,
                {"403 Forbidden", "text/plain",
                 "dnssec-proxy serves this listener only for a Host that is an IP address or "
                 "localhost (DNS rebinding)\n",
                 ""},
                false);
  }
  if (req.method != "GET" && !head) {
    return send(c, {"405 Method Not Allowed", "text/plain", "only GET\n", "Allow: GET, HEAD\r\n"},
                false);
  }
  if (req.path == "/metrics") {
    return send(c, {"200 OK", "text/plain; version=0.0.4; charset=utf-8", render_(), ""}, head);
  }
  if (pages_ == nullptr) {
    return send(c, {"404 Not Found", "text/plain", "dnssec-proxy serves /metrics only\n", ""},
                false);
  }
  // A handler may take seconds (an /explain trace): the connection waits that long.
  uv_timer_start(&c->timer, &Connection::on_timeout, kResponseTimeoutMs, 0);
  pages_->handle(
      req, peer_of(&c->tcp),
      [weak = std::weak_ptr<MetricsListener*>(self_), serial = c->serial, head](HttpResponse r) {
        const auto self = weak.lock();
        if (!self || *self == nullptr) return;  // the listener has closed
        for (Connection* k = (*self)->first_; k != nullptr; k = k->next) {
          if (k->serial == serial) return (*self)->send(k, std::move(r), head);
        }
      });
}

void MetricsListener::send(Connection* c, HttpResponse r, bool head_only) {
  if (c->written) return;
  c->written = true;
  c->response = http_response(
      r.status, r.content_type, r.body,
      "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" + r.extra_headers);
  if (head_only) c->response.resize(c->response.find("\r\n\r\n") + 4);
  c->write.data = c;
  uv_buf_t b = uv_buf_init(c->response.data(), static_cast<unsigned>(c->response.size()));
  if (uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1,
               &Connection::on_written) != 0) {
    c->close();
  }
}

}  // namespace dnsp::proxy
