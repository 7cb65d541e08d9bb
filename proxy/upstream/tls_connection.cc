#include "proxy/upstream/tls_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "proxy/log.h"
#include "resolver/serve/padding.h"

namespace dnsp::proxy {
namespace {

// A write of ciphertext to the socket; freed by its callback.
struct WriteReq {
  uv_write_t req{};
  std::vector<uint8_t> data;
};

}  // namespace

TlsConnection::TlsConnection(uv_loop_t* loop, Owner& owner, size_t server, std::string name,
                             std::unique_ptr<crypto::TlsSession> session,
                             TransportCounters& counters, std::unique_ptr<DohSession> doh)
    : loop_(loop),
      owner_(&owner),
      server_(server),
      name_(std::move(name)),
      session_(std::move(session)),
      counters_(&counters),
      doh_(std::move(doh)) {
  opened_ms_ = uv_now(loop_);
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  uv_tcp_nodelay(&tcp_, 1);
  connect_.data = this;
}

std::string TlsConnection::connect(const sockaddr* address) {
  if (const int rc = uv_tcp_connect(&connect_, &tcp_, address, &TlsConnection::on_connect);
      rc < 0) {
    return uv_strerror(rc);
  }
  return "";
}

void TlsConnection::on_connect(uv_connect_t* req, int status) noexcept {
  auto* c = static_cast<TlsConnection*>(req->data);
  if (c->owner_ == nullptr || c->state_ == State::Closed || status == UV_ECANCELED) return;
  if (status < 0) {
    c->fail(UpstreamStatus::Unreachable, std::string("cannot connect: ") + uv_strerror(status));
  } else {
    c->state_ = State::Handshaking;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp_), &TlsConnection::on_alloc,
                  &TlsConnection::on_read);
    c->drive();  // the ClientHello
  }
  if (c->owner_ != nullptr) c->owner_->connection_event_done();
}

void TlsConnection::on_alloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) noexcept {
  auto* c = static_cast<TlsConnection*>(handle->data);
  if (c->owner_ == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  const std::span<uint8_t> scratch = c->owner_->read_buffer();
  *buf =
      uv_buf_init(reinterpret_cast<char*>(scratch.data()), static_cast<unsigned>(scratch.size()));
}

void TlsConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* c = static_cast<TlsConnection*>(stream->data);
  if (c->owner_ == nullptr || c->state_ == State::Closed) return;
  if (nread < 0) {
    if (c->state_ == State::Ready && c->in_flight_.empty()) {
      // The server closed an idle connection (its idle timeout): the next query reconnects.
      LOG_DEBUG("upstream " << c->name_ << " closed an idle connection");
      c->close();
    } else {
      const std::string what =
          nread == UV_EOF ? "connection closed by the server"
                          : std::string("connection lost: ") + uv_strerror(static_cast<int>(nread));
      c->fail(UpstreamStatus::Unreachable,
              what + (c->state_ == State::Ready ? "" : " during the TLS handshake"));
    }
  } else if (nread > 0) {
    c->quick_ack();
    c->session_->receive({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)});
    c->drive();
  }
  if (c->owner_ != nullptr) c->owner_->connection_event_done();
}

void TlsConnection::quick_ack() {
#ifdef TCP_QUICKACK
  // Linux turns quick ACKs off again on its own (delayed ACKs, 40 ms at least), and a server
  // whose socket has Nagle's algorithm on (RFC 896; Unbound's DoT and DoH listeners) holds
  // its next answer until our ACK comes: the answers stall in 40 ms steps. An ACK at once
  // for what we read keeps them flowing (tcp(7): TCP_QUICKACK is not permanent, so each read).
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd) == 0) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }
#endif
}

void TlsConnection::drive() {
  if (state_ == State::Handshaking) {
    const crypto::TlsState tls = session_->handshake();
    flush();  // our part of the handshake, or the alert that ends it
    if (state_ != State::Handshaking || tls == crypto::TlsState::Handshaking) return;
    if (tls != crypto::TlsState::Ready) {
      // Refused (certificate, name, pins) or the handshake broke: nothing was written.
      fail(UpstreamStatus::Unreachable, session_->failure());
      return;
    }
    became_ready();
  }
  if (state_ == State::Ready) read_messages();
}

void TlsConnection::became_ready() {
  state_ = State::Ready;
  idle_since_ = uv_now(loop_);
  if (doh_ && !doh_->start()) {
    fail(UpstreamStatus::Unreachable, doh_->error());
    return;
  }
  if (owner_ != nullptr) owner_->connection_ready(*this);
  if (doh_) flush_http();  // the connection preface and our SETTINGS
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> waiting = std::move(waiting_);
  waiting_.clear();
  for (const auto& [id, packet] : waiting) {
    if (state_ != State::Ready) break;
    send_query(id, packet);
  }
  uncork();  // every waiting query in one record
}

size_t TlsConnection::max_in_flight() const {
  if (!doh_) return kMaxInFlight;
  if (doh_->going_away()) return 0;
  return state_ == State::Ready ? doh_->max_streams() : kMaxInFlight;
}

void TlsConnection::read_streams() {
  // Whatever records arrived: decrypt all of it through HTTP/2, answer its frames (SETTINGS
  // and PING acknowledgements, window updates), then hand out what became of the queries.
  const std::span<uint8_t> scratch = owner_->read_buffer();
  std::vector<DohSession::Event> events;
  bool broken = false;
  while (const size_t n = session_->read(scratch)) {
    if (!doh_->receive(scratch.first(n), events)) {
      broken = true;
      break;
    }
  }
  const crypto::TlsState after = session_->state();
  if (broken) {
    fail(UpstreamStatus::Unreachable, doh_->error());
    return;
  }
  flush_http();
  if (state_ == State::Ready) deliver(events);
  if (state_ != State::Ready) return;
  if (after == crypto::TlsState::Failed) {
    fail(UpstreamStatus::Unreachable, "connection lost: " + session_->failure());
  } else if (after == crypto::TlsState::Closed || (doh_->going_away() && in_flight_.empty())) {
    if (in_flight_.empty()) {
      LOG_DEBUG("upstream " << name_ << " closed an idle connection");
      close();
    } else {
      fail(UpstreamStatus::Unreachable, "connection closed by the server");
    }
  }
}

void TlsConnection::deliver(std::vector<DohSession::Event>& events) {
  for (DohSession::Event& e : events) {
    if (owner_ == nullptr || state_ != State::Ready) return;
    auto slot = in_flight_.find(e.key);
    if (slot == in_flight_.end()) continue;  // (forgotten meanwhile)
    if (e.status == UpstreamStatus::Answered) {
      owner_->connection_reply(*this, e.key, slot->second, e.body);
    } else {
      owner_->connection_query_failed(*this, e.key, slot->second, e.status, e.detail);
    }
  }
}

void TlsConnection::flush_http() {
  if (state_ != State::Ready) return;
  const std::vector<uint8_t> bytes = doh_->take_output();
  if (!doh_->error().empty()) {
    fail(UpstreamStatus::Unreachable, doh_->error());
    return;
  }
  if (!bytes.empty()) write_plaintext(bytes);
  std::vector<DohSession::Event> events = doh_->take_events();
  if (!events.empty()) deliver(events);
}

void TlsConnection::read_messages() {
  // Whatever records arrived: decrypt all of it, then hand out the whole messages.
  if (owner_ == nullptr) return;
  if (doh_) {
    read_streams();
    return;
  }
  const std::span<uint8_t> scratch = owner_->read_buffer();
  while (const size_t n = session_->read(scratch)) reader_.feed(scratch.first(n));
  const crypto::TlsState after = session_->state();
  flush();  // e.g. a key update
  while (state_ == State::Ready) {
    auto message = reader_.next();
    if (!message) break;
    deliver(*message);  // may call the handler, which may send on this connection
  }
  if (state_ != State::Ready) return;
  if (after == crypto::TlsState::Failed) {
    fail(UpstreamStatus::Unreachable, "connection lost: " + session_->failure());
  } else if (after == crypto::TlsState::Closed) {  // close_notify
    if (in_flight_.empty()) {
      LOG_DEBUG("upstream " << name_ << " closed an idle connection");
      close();
    } else {
      fail(UpstreamStatus::Unreachable, "connection closed by the server");
    }
  }
}

void TlsConnection::deliver(std::span<const uint8_t> message) {
  const auto id = message_id(message);
  if (!id || owner_ == nullptr) return;
  auto slot = in_flight_.find(*id);
  if (slot == in_flight_.end()) {
    LOG_DEBUG("upstream " << name_ << ": reply with unknown ID " << *id
                          << " (late, after its query timed out?)");
    return;
  }
  owner_->connection_reply(*this, *id, slot->second, message);
}

uint16_t TlsConnection::take_id(uint64_t qid, std::span<uint8_t> packet,
                                crypto::RandomPool& random) {
  uint16_t id = 0;
  do {
    id = random.u16();
  } while (in_flight_.count(id) != 0);
  in_flight_.emplace(id, qid);
  if (packet.size() >= 2) {
    const uint16_t wire_id = doh_ ? 0 : id;  // RFC 8484 §4.1: 0 over HTTP (cache friendly)
    packet[0] = static_cast<uint8_t>(wire_id >> 8);
    packet[1] = static_cast<uint8_t>(wire_id);
  }
  return id;
}

void TlsConnection::write_query(uint64_t /*qid*/, uint16_t id, std::span<const uint8_t> packet) {
  if (state_ == State::Ready) {
    send_query(id, packet);
  } else {
    waiting_.emplace_back(id, std::vector<uint8_t>(packet.begin(), packet.end()));
  }
}

void TlsConnection::send_query(uint16_t id, std::span<const uint8_t> packet) {
  if (counters_ != nullptr) counters_->add(counters_->tls_queries);
  const bool was_corked = !corked_.empty() || http_corked_;
  if (doh_) {
    if (!doh_->submit(id, packet)) {
      auto slot = in_flight_.find(id);
      if (slot != in_flight_.end() && owner_ != nullptr) {
        owner_->connection_query_failed(*this, id, slot->second, UpstreamStatus::Unreachable,
                                        "the HTTP/2 connection takes no more streams");
      }
      return;
    }
    http_corked_ = true;
  } else {
    append_frame(corked_, packet);
  }
  if (!was_corked && owner_ != nullptr) owner_->connection_corked(*this);
}

void TlsConnection::uncork() {
  if (state_ != State::Ready) return;
  if (!corked_.empty()) {
    const std::vector<uint8_t> frames = std::move(corked_);
    corked_.clear();
    write_plaintext(frames);
  }
  if (http_corked_ && state_ == State::Ready) {
    http_corked_ = false;
    flush_http();
  }
}

void TlsConnection::write_plaintext(std::span<const uint8_t> bytes) {
  if (!session_->write(bytes)) {
    fail(UpstreamStatus::Unreachable, session_->failure());
    return;
  }
  flush();
}

void TlsConnection::forget(uint16_t id, uint64_t qid) {
  auto slot = in_flight_.find(id);
  if (slot != in_flight_.end() && slot->second == qid) {
    in_flight_.erase(slot);
    std::erase_if(waiting_, [id](const auto& w) { return w.first == id; });
    if (doh_) {
      doh_->cancel(id);  // RST_STREAM: the server may stop working on it
      if (state_ == State::Ready) {
        const std::vector<uint8_t> bytes = doh_->take_output();
        if (!bytes.empty() && session_->write(bytes)) flush();
      }
    }
  }
  if (in_flight_.empty()) idle_since_ = uv_now(loop_);
}

void TlsConnection::release(uint16_t id, std::span<const uint8_t> reply) {
  in_flight_.erase(id);
  // RFC 7828 is about DNS over TCP; over HTTP/2 the server's idle timeout is its business.
  if (auto keepalive = doh_ ? std::nullopt : resolver::tcp_keepalive_timeout(reply)) {
    // RFC 7828 §3.2.2: the server's idle timeout, in units of 100 ms.
    idle_timeout_ms_ = std::min<uint64_t>(uint64_t(*keepalive) * 100, kMaxKeepaliveMs);
  }
  if (in_flight_.empty()) idle_since_ = uv_now(loop_);
}

std::vector<uint64_t> TlsConnection::take_queries() {
  std::vector<uint64_t> queries;
  for (const auto& [id, qid] : in_flight_) queries.push_back(qid);
  std::sort(queries.begin(), queries.end());  // query ids grow: the order they were given
  in_flight_.clear();
  waiting_.clear();
  return queries;
}

void TlsConnection::flush() {
  if (state_ == State::Closed) return;
  std::vector<uint8_t> bytes = session_->take_ciphertext();
  if (bytes.empty()) return;
  auto* w = new WriteReq();
  w->data = std::move(bytes);
  w->req.data = w;
  const uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(w->data.data()), static_cast<unsigned>(w->data.size()));
  if (const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, &on_write);
      rc < 0) {
    delete w;
    fail(UpstreamStatus::Unreachable, std::string("cannot write: ") + uv_strerror(rc));
  }
}

void TlsConnection::on_write(uv_write_t* req, int status) noexcept {
  auto* w = static_cast<WriteReq*>(req->data);
  auto* c = static_cast<TlsConnection*>(req->handle->data);
  delete w;
  if (status >= 0 || status == UV_ECANCELED) return;
  if (c->owner_ == nullptr || c->state_ == State::Closed) return;
  c->fail(UpstreamStatus::Unreachable, std::string("cannot write: ") + uv_strerror(status));
  if (c->owner_ != nullptr) c->owner_->connection_event_done();
}

void TlsConnection::fail(UpstreamStatus status, const std::string& reason) {
  if (state_ == State::Closed) return;
  if (owner_ != nullptr) owner_->connection_failed(*this, status, reason);
  close();  // the owner closed it already, unless it has gone
}

void TlsConnection::close() {
  if (state_ == State::Closed) return;
  corked_.clear();
  http_corked_ = false;
  if (state_ == State::Ready) {
    if (doh_) {
      doh_->close();  // GOAWAY, best effort
      const std::vector<uint8_t> bytes = doh_->take_output();
      if (!bytes.empty()) (void)session_->write(bytes);
    }
    session_->close();  // close_notify, best effort
    flush();            // (a failed write closes the connection in there)
    if (state_ == State::Closed) return;
  }
  if (owner_ != nullptr) owner_->connection_closing(*this);
  state_ = State::Closed;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &TlsConnection::on_closed);
}

void TlsConnection::on_closed(uv_handle_t* handle) noexcept {
  auto* c = static_cast<TlsConnection*>(handle->data);
  if (c->owner_ != nullptr) c->owner_->connection_freed(c);
  delete c;
}

}  // namespace dnsp::proxy
