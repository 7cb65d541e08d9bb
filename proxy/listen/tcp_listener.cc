#include "proxy/listen/tcp_listener.h"

#include <unistd.h>

#include "proxy/listen/query_sink.h"
#include "proxy/log.h"

namespace dnsp::proxy {
namespace {

struct WriteRequest {
  uv_write_t req;
  std::vector<uint8_t> bytes;
};

// RFC 7766 §6.2.3: a client that keeps a connection busy may have this much queued for
// it before we give up on it (it is not reading its replies).
constexpr size_t kMaxWriteQueue = 1 << 20;

}  // namespace

// --- TcpConnection ---

TcpConnection::TcpConnection(QuerySink& sink, uint64_t id, const TcpLimits& limits)
    : sink_(sink),
      id_(id),
      idle_timeout_ms_(limits.idle_timeout_ms),
      max_pending_(limits.max_queries_per_connection) {}

bool TcpConnection::accept(uv_loop_t* loop, uv_stream_t* listener) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
  ++open_handles_;
  uv_timer_init(loop, &idle_);
  idle_.data = this;
  ++open_handles_;
  uv_timer_init(loop, &resume_);
  resume_.data = this;
  ++open_handles_;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) return false;
  uv_tcp_nodelay(&tcp_, 1);
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &TcpConnection::on_alloc,
                    &TcpConnection::on_read) != 0) {
    return false;
  }
  touch();
  return true;
}

void TcpConnection::touch() {
  uv_timer_start(&idle_, &TcpConnection::on_idle, idle_timeout_ms_, 0);
}

void TcpConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  // Read straight onto the end of the input buffer.
  auto* self = static_cast<TcpConnection*>(h->data);
  const size_t old = self->inbuf_.size();
  self->inbuf_.resize(old + 16384);
  buf->base = reinterpret_cast<char*>(self->inbuf_.data() + old);
  buf->len = 16384;
}

void TcpConnection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<TcpConnection*>(s->data);
  // Give back the part of the buffer that on_alloc added but nothing was read into.
  const size_t unused = buf->len - static_cast<size_t>(n > 0 ? n : 0);
  if (buf->base != nullptr) self->inbuf_.resize(self->inbuf_.size() - unused);
  if (n < 0) {
    if (n != UV_EOF) {
      self->close();
      return;
    }
    self->peer_done_ = true;
    self->reading_ = false;
    uv_read_stop(s);
    if (self->pending_ == 0) self->close();
    return;
  }
  if (n == 0) return;
  // Only a whole message counts as activity (take_frames): a client that trickles in
  // octets of a frame it never finishes (slow loris) is still closed when idle.
  self->take_frames();
}

void TcpConnection::take_frames() {
  size_t pos = 0;
  while (!closing_ && pending_ < max_pending_ && inbuf_.size() - pos >= 2) {
    const size_t len = size_t{inbuf_[pos]} << 8 | inbuf_[pos + 1];
    if (len == 0) {  // no DNS message is empty: the stream is out of step
      close();
      return;
    }
    if (inbuf_.size() - pos < 2 + len) break;
    ++pending_;
    touch();
    sink_.handle_query({inbuf_.data() + pos + 2, len}, ClientRef{TcpClient{id_}});
    pos += 2 + len;
  }
  if (pos > 0 && !closing_) inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<long>(pos));
  // [server] tcp_max_queries_per_connection: RFC 7766 §6.2.1.1 lets a server bound how
  // many pipelined queries it takes from one connection. Past it we stop reading rather
  // than answer SERVFAIL: TCP flow control makes the client wait, and queries that are
  // merely early are not failed. Either way one connection cannot hold every slot of
  // max_queries_in_flight.
  if (!closing_ && reading_ && pending_ >= max_pending_) {
    reading_ = false;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  }
}

void TcpConnection::on_resume(uv_timer_t* t) noexcept {
  auto* self = static_cast<TcpConnection*>(t->data);
  if (self->closing_ || self->reading_ || self->peer_done_ ||
      self->pending_ >= self->max_pending_) {
    return;
  }
  self->take_frames();  // what was read before it paused; may pause it again
  if (self->closing_ || self->pending_ >= self->max_pending_) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), &TcpConnection::on_alloc,
                    &TcpConnection::on_read) != 0) {
    self->close();
    return;
  }
  self->reading_ = true;
}

void TcpConnection::send(std::span<const uint8_t> packet) {
  if (closing_) return;
  if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&tcp_)) > kMaxWriteQueue) {
    LOG_DEBUG("tcp connection " << id_ << " is not reading its replies: closing it");
    close();
    return;
  }
  auto* w = new WriteRequest{{}, {}};
  w->req.data = w;
  w->bytes.reserve(packet.size() + 2);
  w->bytes.push_back(static_cast<uint8_t>(packet.size() >> 8));
  w->bytes.push_back(static_cast<uint8_t>(packet.size()));
  w->bytes.insert(w->bytes.end(), packet.begin(), packet.end());
  uv_buf_t b =
      uv_buf_init(reinterpret_cast<char*>(w->bytes.data()), static_cast<unsigned>(w->bytes.size()));
  const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1,
                          [](uv_write_t* r, int) { delete static_cast<WriteRequest*>(r->data); });
  if (rc != 0) {
    delete w;
    close();
  }
}

std::optional<SocketAddress> TcpConnection::peer() const {
  SocketAddress a;
  int len = sizeof a.storage;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&a.storage), &len) != 0) {
    return std::nullopt;
  }
  return a;
}

std::optional<SocketAddress> TcpConnection::local() const {
  SocketAddress a;
  int len = sizeof a.storage;
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&a.storage), &len) != 0) {
    return std::nullopt;
  }
  return a;
}

void TcpConnection::answered() {
  if (pending_ > 0) --pending_;
  if (!closing_) touch();
  if (!closing_ && !reading_ && !peer_done_ && pending_ < max_pending_) {
    uv_timer_start(&resume_, &TcpConnection::on_resume, 0, 0);
  }
  if (peer_done_ && pending_ == 0) close();
}

void TcpConnection::on_idle(uv_timer_t* t) noexcept {
  auto* self = static_cast<TcpConnection*>(t->data);
  // RFC 7766 §6.2.3: close idle connections; queries still being resolved keep it open.
  if (self->pending_ > 0) {
    self->touch();
    return;
  }
  LOG_DEBUG("tcp connection " << self->id_ << " idle: closing it");
  self->close();
}

void TcpConnection::close() {
  if (closing_) return;
  closing_ = true;
  sink_.connection_closed(id_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &TcpConnection::on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), &TcpConnection::on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&resume_), &TcpConnection::on_closed);
}

void TcpConnection::on_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<TcpConnection*>(h->data);
  if (--self->open_handles_ == 0) {
    self->sink_.connection_freed();
    delete self;
  }
}

// --- TcpListener ---

TcpListener::TcpListener(uv_loop_t* loop, QuerySink& sink, TcpLimits limits)
    : loop_(loop), sink_(sink), limits_(limits) {}

std::string TcpListener::start(const SocketAddress& address, PortSharing sharing) {
  name_ = "tcp " + to_string(address.get());
  uv_tcp_init(loop_, &handle_);
  handle_.data = this;
  open_ = true;
  const int fd = bind_socket(address, SOCK_STREAM, sharing);
  if (fd < 0) return "cannot listen on " + name_ + ": " + uv_strerror(fd);
  if (const int rc = uv_tcp_open(&handle_, fd); rc != 0) {
    ::close(fd);
    return "cannot listen on " + name_ + ": " + uv_strerror(rc);
  }
  if (const int rc =
          uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), 128, &TcpListener::on_connection);
      rc != 0) {
    return "cannot listen on " + name_ + ": " + uv_strerror(rc);
  }
  return "";
}

std::string TcpListener::adopt(int fd) {
  SocketAddress local;
  socklen_t len = sizeof local.storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local.storage), &len);
  name_ = "tcp " + to_string(local.get());
  uv_tcp_init(loop_, &handle_);
  handle_.data = this;
  open_ = true;
  if (const int rc = uv_tcp_open(&handle_, fd); rc != 0) {
    ::close(fd);
    return "cannot accept on " + name_ + " (passed by systemd): " + uv_strerror(rc);
  }
  if (const int rc =
          uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), 128, &TcpListener::on_connection);
      rc != 0) {
    return "cannot accept on " + name_ + " (passed by systemd): " + uv_strerror(rc);
  }
  return "";
}

void TcpListener::on_connection(uv_stream_t* s, int status) noexcept {
  auto* self = static_cast<TcpListener*>(s->data);
  if (status < 0) return;
  auto* conn = new TcpConnection(self->sink_, self->sink_.next_connection_id(), self->limits_);
  if (!conn->accept(self->loop_, s)) {
    self->sink_.connection_opened(conn);
    conn->close();
    return;
  }
  self->sink_.connection_opened(conn);
  if (self->sink_.open_connections() > self->limits_.max_connections) {
    // RFC 7766 §6.2.2: past the limit, close new connections rather than old ones.
    LOG_WARN("tcp connection limit (" << self->limits_.max_connections
                                      << ") reached: closing a new connection");
    conn->close();
  }
}

void TcpListener::close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
}

}  // namespace dnsp::proxy
