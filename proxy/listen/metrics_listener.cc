#include "proxy/listen/metrics_listener.h"

#include <arpa/inet.h>

#include <cctype>
#include <optional>
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
  bool answered = false;
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
    if (c->request.find("\r\n\r\n") != std::string::npos ||
        c->request.find("\n\n") != std::string::npos || c->request.size() > kMaxRequestBytes) {
      c->answered = true;
      uv_read_stop(s);
      c->owner->respond(c);
    }
  }
  static void on_written(uv_write_t* w, int) noexcept {
    static_cast<Connection*>(w->data)->close();
  }
};

MetricsListener::MetricsListener(uv_loop_t* loop, Render render)
    : loop_(loop), render_(std::move(render)) {}

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

bool same_letters(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The value of the request head's Host field (RFC 9110 §7.2), trimmed; nullopt when absent.
std::optional<std::string_view> host_field(std::string_view head) {
  size_t pos = head.find('\n');  // past the request line
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    const size_t start = pos + 1;
    const size_t end = head.find('\n', start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header fields
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && same_letters(line.substr(0, colon), "host")) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      return value;
    }
    pos = end;
  }
  return std::nullopt;
}

bool is_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

// DNS rebinding: a page on attacker.example whose name is made to resolve to 127.0.0.1 can
// read this listener from the victim's browser, which then sends "Host: attacker.example".
// Only a Host naming the listener by address (IPv4, or [IPv6], with an optional port) or as
// localhost can come from a page of our own origin.
bool host_allowed(std::string_view host) {
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && is_port(rest.substr(1)))) return false;
    const std::string v6(host.substr(1, close - 1));
    in6_addr a6{};
    return inet_pton(AF_INET6, v6.c_str(), &a6) == 1;
  }
  if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!is_port(host.substr(colon + 1))) return false;
    name = host.substr(0, colon);
  }
  if (same_letters(name, "localhost")) return true;
  const std::string v4(name);
  in_addr a4{};
  return inet_pton(AF_INET, v4.c_str(), &a4) == 1;
}

}  // namespace

void MetricsListener::respond(Connection* c) {
  // Request line (RFC 9112 §3): METHOD SP TARGET SP VERSION.
  const std::string_view req = c->request;
  const std::string_view line = req.substr(0, req.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  const std::string_view method = line.substr(0, sp1);
  std::string_view target =
      sp2 == std::string_view::npos ? std::string_view() : line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));  // Prometheus may add query parameters
  if (c->request.size() > kMaxRequestBytes || sp2 == std::string_view::npos) {
    c->response = http_response("400 Bad Request", "text/plain", "bad request\n");
  } else if (const auto host = host_field(req); host && !host_allowed(*host)) {
    // No Host at all (HTTP/1.0 tools) is served: browsers always send one.
    c->response = http_response(
        "403 Forbidden", "text/plain",
        "dnssec-proxy serves metrics only for a Host that is an IP address or localhost "
        "(DNS rebinding)\n");
  } else if (method != "GET" && method != "HEAD") {
    c->response =
        http_response("405 Method Not Allowed", "text/plain", "only GET\n", "Allow: GET, HEAD\r\n");
  } else if (target != "/metrics") {
    c->response =
        http_response("404 Not Found", "text/plain", "dnssec-proxy serves /metrics only\n");
  } else {
    c->response = http_response("200 OK", "text/plain; version=0.0.4; charset=utf-8", render_());
    if (method == "HEAD") c->response.resize(c->response.find("\r\n\r\n") + 4);
  }
  c->write.data = c;
  uv_buf_t b = uv_buf_init(c->response.data(), static_cast<unsigned>(c->response.size()));
  if (uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1,
               &Connection::on_written) != 0) {
    c->close();
  }
}

}  // namespace dnsp::proxy
