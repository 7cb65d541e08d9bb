#include "proxy/upstream/tls_upstream.h"

#include <algorithm>

#include "proxy/address.h"
#include "proxy/log.h"
#include "resolver/serve/padding.h"

namespace dnsp::proxy {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;

// The TLS context for `settings`, or what is wrong with them, in words naming the setting.
crypto::TlsContextResult tls_context(const UpstreamSettings& settings, std::string& error) {
  crypto::TlsContextResult made = crypto::TlsContext::make(settings.tls_ca_file);
  switch (made.error) {
    case crypto::TlsContextError::None:
      break;
    case crypto::TlsContextError::CaFileUnreadable:
      error = "cannot read the TLS CA file " + settings.tls_ca_file +
              " (tls_ca_file, --tls-ca-file): not readable or no PEM certificate in it";
      break;
    case crypto::TlsContextError::SystemStoreUnreadable:
      error = "cannot load the system CA store (OpenSSL default verify paths)";
      break;
    case crypto::TlsContextError::SetupFailed:
      error = "cannot set up TLS" + (made.detail.empty() ? "" : ": " + made.detail);
      break;
  }
  return made;
}

// RFC 9113 §8.3.1: :authority, the URL's host (the name the certificate is checked
// against when the URL held an address).
std::string authority(const config::UpstreamServer& s) {
  const std::string port =
      s.endpoint.port == config::kDohPort ? std::string() : ":" + std::to_string(s.endpoint.port);
  if (!s.url_host.empty()) return s.url_host + port;
  if (!s.auth_name.empty()) return s.auth_name + port;
  return config::to_string(s.endpoint);
}

}  // namespace

TlsUpstream::TlsUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters)
    : loop_(loop),
      handler_(std::move(handler)),
      counters_(counters != nullptr ? counters : &own_counters_) {
  read_buf_.resize(kReadBuffer);
}

TlsUpstream::~TlsUpstream() {
  if (open_) shutdown();
  for (TlsConnection* c : alive_) c->detach();  // their close callbacks free them alone
}

std::string TlsUpstream::init(const UpstreamSettings& settings) {
  std::string error;
  tls_ = tls_context(settings, error).context;
  if (!tls_) return error;
  for (const auto& s : settings.servers) {
    if (s.protocol == config::UpstreamProtocol::Plain) {
      return "internal error: " + config::to_string(s) + " is not an encrypted upstream";
    }
    Server server;
    server.config = s;
    server.name = config::to_string(s);
    if (counters_->board != nullptr) {
      server.board = &counters_->board->server(server.name, transport_label(s));
    }
    servers_.push_back(std::move(server));
  }
  if (servers_.empty()) return "no TLS upstream";
  servers_text_ = proxy::servers_text(settings.servers);
  timeout_ms_ = settings.timeout_ms;
  attempts_ = std::max<uint32_t>(settings.attempts, 1);
  open_ = true;
  return "";  // the timer opens with the first query
}

std::string TlsUpstream::reconfigure(const UpstreamSettings& settings) {
  if (!open_) return "the upstream is shut down";
  if (settings.servers.size() != servers_.size()) return "TLS upstreams changed: needs a new one";
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (!(settings.servers[i] == servers_[i].config)) {
      return "TLS upstreams changed: needs a new one";
    }
  }
  timeout_ms_ = settings.timeout_ms;
  attempts_ = std::max<uint32_t>(settings.attempts, 1);
  return "";
}

bool TlsUpstream::in_backoff(const Server& s) const { return uv_now(loop_) < s.down_until; }

void TlsUpstream::send(std::span<const uint8_t> query, uint64_t tag,
                       UpstreamTransport /*transport*/) {
  if (!open_) {
    handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}, 0});
    return;
  }
  if (!timer_open_) {
    // No libuv handle before the first query: an upstream that is built and dropped unused
    // (a list that failed to build further on) has nothing to close.
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
    uv_check_init(loop_, &check_);
    check_.data = this;
    check_open_ = true;
  }
  const uint64_t qid = next_query_++;
  Query& q = queries_[qid];
  q.tag = tag;
  q.packet.assign(query.begin(), query.end());
  // RFC 8467 §4.1: queries padded to 128 octets; RFC 7828: ask how long to stay idle.
  (void)resolver::pad_query(q.packet, resolver::kQueryPaddingBlock, resolver::Keepalive::Ask);
  q.sent_ms = uv_now(loop_);
  dispatch(qid);
  rearm();
}

void TlsUpstream::dispatch(uint64_t qid) {
  auto it = queries_.find(qid);
  if (it == queries_.end()) return;
  Query& q = it->second;
  const size_t n = servers_.size();
  const uint64_t total = uint64_t(attempts_) * n;
  while (q.tries < total) {
    const size_t s = q.tries % n;
    if (in_backoff(servers_[s])) {
      // Refused lately (a bad certificate, a dead server): not used, and the query learns why.
      q.status = servers_[s].down_status;
      q.detail = servers_[s].down_detail;
      ++q.tries;
      continue;
    }
    q.server = s;
    deadlines_.erase({q.deadline, qid});
    q.deadline = uv_now(loop_) + timeout_ms_;
    deadlines_.insert({q.deadline, qid});
    assign(qid, s);
    return;
  }
  // Every try used: the query fails with the last reason, from the timer (never inside
  // send(): the caller may not expect its handler yet).
  deadlines_.erase({q.deadline, qid});
  q.failing = true;
  q.deadline = uv_now(loop_);
  deadlines_.insert({q.deadline, qid});
}

void TlsUpstream::assign(uint64_t qid, size_t s) {
  Query& q = queries_.at(qid);
  Server& sv = servers_[s];
  TlsConnection* chosen = nullptr;
  for (TlsConnection* c : sv.conns) {
    if (c->state() != TlsConnection::State::Closed && !c->full()) {
      chosen = c;
      break;
    }
  }
  if (chosen == nullptr && sv.conns.size() < kMaxConnections) {
    chosen = open_connection(s);
    if (chosen == nullptr) {
      retry(qid, sv.down_status, sv.down_detail);
      return;
    }
  }
  q.server = s;
  q.conn = chosen;
  if (chosen == nullptr) {
    sv.queue.push_back(qid);  // every connection is full: wait for a slot
    return;
  }
  q.wire_id = chosen->take_id(qid, q.packet, random_);
  q.try_us = uv_hrtime() / 1000;
  if (sv.board != nullptr) sv.board->add(sv.board->queries);
  // A failed write moves the query on: `q` is not ours now.
  chosen->write_query(qid, q.wire_id, q.packet);
}

TlsConnection* TlsUpstream::open_connection(size_t s) {
  Server& sv = servers_[s];
  auto addr = to_socket_address(sv.config.endpoint);
  if (!addr) return nullptr;
  crypto::TlsPeer peer{sv.config.auth_name, sv.config.spki_pins, sv.name};
  std::unique_ptr<DohSession> doh;
  if (sv.config.protocol == config::UpstreamProtocol::Https) {
    peer.alpn = "h2";  // RFC 8484 §5.2: HTTP/2 at least; RFC 9113 §3.2: by ALPN
    doh = std::make_unique<DohSession>(authority(sv.config), sv.config.http_path);
  }
  auto* c = new TlsConnection(loop_, *this, s, sv.name,
                              std::make_unique<crypto::TlsSession>(tls_, std::move(peer)),
                              *counters_, std::move(doh));
  alive_.insert(c);
  sv.conns.push_back(c);
  if (auto err = c->connect(addr->get()); !err.empty()) {
    connection_failed(*c, UpstreamStatus::Unreachable, "cannot connect: " + err);
    return nullptr;
  }
  return c;
}

void TlsUpstream::connection_ready(TlsConnection& c) {
  Server& sv = servers_[c.server()];
  counters_->add(counters_->tls_handshakes);
  if (c.resumed()) counters_->add(counters_->tls_resumed);
  counters_->add(counters_->tls_connections_open);
  if (sv.board != nullptr) {
    sv.board->add(sv.board->handshakes);
    if (c.resumed()) sv.board->add(sv.board->resumed);
    sv.board->add(sv.board->connections);
  }
  if (!sv.down_detail.empty()) LOG_INFO("upstream " << sv.name << " is usable again");
  sv.backoff_ms = 0;
  sv.down_until = 0;
  sv.down_detail.clear();
  LOG_DEBUG("upstream " << sv.name << ": " << c.tls_version() << " connection ready"
                        << (c.resumed() ? " (session resumed)" : ""));
}

void TlsUpstream::connection_reply(TlsConnection& c, uint16_t id, uint64_t qid,
                                   std::span<const uint8_t> message) {
  auto it = queries_.find(qid);
  if (it == queries_.end()) {
    c.release(id);
    return;
  }
  if (!reply_matches(it->second.packet, message)) {
    LOG_DEBUG("upstream " << c.name() << ": reply " << id
                          << " does not answer its query's question: ignored");
    return;
  }
  c.release(id, message);
  it->second.conn = nullptr;
  if (ServerCounters* b = servers_[c.server()].board)
    b->answer(uv_hrtime() / 1000 - it->second.try_us);
  fill_from_queue(c);
  UpstreamReply reply{it->second.tag, UpstreamStatus::Answered,
                      std::vector<uint8_t>(message.begin(), message.end()),
                      uv_now(loop_) - it->second.sent_ms};
  finish(qid, std::move(reply));
}

void TlsUpstream::connection_query_failed(TlsConnection& c, uint16_t id, uint64_t qid,
                                          UpstreamStatus status, const std::string& detail) {
  c.release(id);
  auto it = queries_.find(qid);
  if (it != queries_.end()) it->second.conn = nullptr;
  LOG_DEBUG("upstream " << c.name() << ": " << detail);
  fill_from_queue(c);
  retry(qid, status, c.name() + ": " + detail);
}

void TlsUpstream::fill_from_queue(TlsConnection& c) {
  Server& sv = servers_[c.server()];
  while (!sv.queue.empty() && c.state() == TlsConnection::State::Ready && !c.full()) {
    const uint64_t qid = sv.queue.front();
    sv.queue.erase(sv.queue.begin());
    if (queries_.count(qid) != 0) assign(qid, c.server());
  }
}

void TlsUpstream::back_off(Server& sv, UpstreamStatus status, const std::string& detail) {
  counters_->add(counters_->tls_handshake_failures);
  sv.backoff_ms = sv.backoff_ms == 0 ? kMinBackoffMs : std::min(sv.backoff_ms * 2, kMaxBackoffMs);
  sv.down_until = uv_now(loop_) + sv.backoff_ms;
  sv.down_status = status;
  sv.down_detail = detail;
  LOG_WARN("upstream " << detail << "; not used for the next " << sv.backoff_ms << " ms");
}

void TlsUpstream::connection_failed(TlsConnection& c, UpstreamStatus status,
                                    const std::string& reason) {
  if (c.state() == TlsConnection::State::Closed) return;
  const bool was_ready = c.state() == TlsConnection::State::Ready;
  const size_t s = c.server();
  Server& sv = servers_[s];
  const std::string detail = sv.name + ": " + reason;
  if (!was_ready) {
    // The server could not be reached or authenticated: back off, and say so once.
    back_off(sv, status, detail);
  } else {
    LOG_INFO("upstream " << detail << (c.in_flight() == 0 ? "" : "; asking its queries again"));
  }
  const std::vector<uint64_t> queries = c.take_queries();
  c.close();
  for (uint64_t qid : queries) {
    auto it = queries_.find(qid);
    if (it == queries_.end()) continue;
    Query& q = it->second;
    q.conn = nullptr;
    if (was_ready && !q.resent) {
      // It may have been lost with the connection: once more on a new one, not a new try.
      q.resent = true;
      deadlines_.erase({q.deadline, qid});
      q.deadline = uv_now(loop_) + timeout_ms_;
      deadlines_.insert({q.deadline, qid});
      assign(qid, s);
    } else {
      retry(qid, status, detail);
    }
  }
  if (!was_ready) {
    // Queries waiting for a slot on this server move on too.
    std::vector<uint64_t> queued = std::move(sv.queue);
    sv.queue.clear();
    for (uint64_t qid : queued) retry(qid, status, detail);
  }
}

void TlsUpstream::connection_closing(TlsConnection& c) {
  if (c.state() == TlsConnection::State::Ready) {
    counters_->sub(counters_->tls_connections_open);
    if (ServerCounters* b = servers_[c.server()].board) b->sub(b->connections);
  }
  auto& conns = servers_[c.server()].conns;
  conns.erase(std::remove(conns.begin(), conns.end(), &c), conns.end());
}

void TlsUpstream::connection_corked(TlsConnection& c) {
  if (!check_open_) {  // (shutting down: nothing more is written)
    return;
  }
  if (corked_.empty()) uv_check_start(&check_, &TlsUpstream::on_check);
  corked_.insert(&c);
}

void TlsUpstream::on_check(uv_check_t* handle) noexcept {
  auto* self = static_cast<TlsUpstream*>(handle->data);
  uv_check_stop(&self->check_);
  const std::set<TlsConnection*> corked = std::move(self->corked_);
  self->corked_.clear();
  for (TlsConnection* c : corked) {
    if (self->alive_.count(c) != 0) c->uncork();  // a write may fail it: owner callbacks run
  }
  self->rearm();
}

void TlsUpstream::connection_freed(TlsConnection* c) {
  alive_.erase(c);
  corked_.erase(c);
  maybe_closed();
}

void TlsUpstream::detach(Query& q, uint64_t qid) {
  if (q.conn != nullptr) {
    q.conn->forget(q.wire_id, qid);
    q.conn = nullptr;
    return;
  }
  auto& queue = servers_[q.server].queue;
  queue.erase(std::remove(queue.begin(), queue.end(), qid), queue.end());
}

void TlsUpstream::retry(uint64_t qid, UpstreamStatus status, std::string detail) {
  auto it = queries_.find(qid);
  if (it == queries_.end()) return;
  Query& q = it->second;
  detach(q, qid);
  if (ServerCounters* b = servers_[q.server].board) {
    counters_->board->failed(*b, status, detail.empty() ? "no answer in time" : detail);
  }
  q.status = status;
  if (!detail.empty() || status == UpstreamStatus::Timeout) q.detail = std::move(detail);
  ++q.tries;
  dispatch(qid);
}

void TlsUpstream::finish(uint64_t qid, UpstreamReply reply) {
  auto it = queries_.find(qid);
  if (it == queries_.end()) return;
  deadlines_.erase({it->second.deadline, qid});
  detach(it->second, qid);
  queries_.erase(it);
  handler_(std::move(reply));
}

void TlsUpstream::on_timer(uv_timer_t* handle) noexcept {
  auto* self = static_cast<TlsUpstream*>(handle->data);
  self->run_timers();
  self->rearm();
}

void TlsUpstream::check_connections(uint64_t now) {
  std::vector<TlsConnection*> conns;
  for (Server& sv : servers_) conns.insert(conns.end(), sv.conns.begin(), sv.conns.end());
  for (TlsConnection* c : conns) {
    using State = TlsConnection::State;
    if (c->state() == State::Closed) continue;  // (closed by an earlier one's failure)
    if (c->state() != State::Ready && now >= c->opened_ms() + timeout_ms_) {
      connection_failed(
          *c, UpstreamStatus::Timeout,
          c->state() == State::Connecting
              ? "connection timed out after " + std::to_string(timeout_ms_) + " ms"
              : "TLS handshake timed out after " + std::to_string(timeout_ms_) + " ms");
    } else if (c->state() == State::Ready && c->in_flight() == 0 &&
               now >= c->idle_since() + c->idle_timeout_ms()) {
      LOG_DEBUG("upstream " << c->name() << ": closing an idle connection");
      c->close();
    }
  }
}

void TlsUpstream::run_timers() {
  const uint64_t now = uv_now(loop_);
  // Connections first, so that queries waiting for a stalled handshake learn why.
  check_connections(now);
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const uint64_t qid = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = queries_.find(qid);
    if (it == queries_.end()) continue;
    Query& q = it->second;
    q.deadline = 0;
    if (q.failing) {
      finish(qid, UpstreamReply{q.tag, q.status, {}, now - q.sent_ms, q.detail});
      continue;
    }
    // This try got no answer in time: the next server (or this one again).
    retry(qid, UpstreamStatus::Timeout, {});
  }
}

void TlsUpstream::rearm() {
  if (!timer_open_) return;
  const uint64_t now = uv_now(loop_);
  uint64_t next = UINT64_MAX;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  for (const Server& sv : servers_) {
    for (const TlsConnection* c : sv.conns) {
      using State = TlsConnection::State;
      if (c->state() == State::Connecting || c->state() == State::Handshaking) {
        next = std::min(next, c->opened_ms() + timeout_ms_);
      } else if (c->state() == State::Ready && c->in_flight() == 0) {
        next = std::min(next, c->idle_since() + c->idle_timeout_ms());
      }
    }
  }
  if (next == UINT64_MAX) {
    uv_timer_stop(&timer_);
    return;
  }
  uv_timer_start(&timer_, &TlsUpstream::on_timer, next > now ? next - now : 0, 0);
}

void TlsUpstream::shutdown(std::function<void()> closed) {
  const bool was_open = open_;
  open_ = false;
  if (was_open) {
    auto queries = std::move(queries_);
    queries_.clear();
    deadlines_.clear();
    for (Server& sv : servers_) {
      sv.queue.clear();
      for (TlsConnection* c : std::vector<TlsConnection*>(sv.conns)) {
        (void)c->take_queries();
        c->close();
      }
    }
    // In the order they were sent: stable for tests and logs.
    std::vector<std::pair<uint64_t, uint64_t>> order;
    for (auto& [qid, q] : queries) order.emplace_back(qid, q.tag);
    std::sort(order.begin(), order.end());
    for (auto& [qid, tag] : order) {
      handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}, 0});
    }
  }
  if (closed) closed_ = std::move(closed);
  corked_.clear();
  if (check_open_) {
    check_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), [](uv_handle_t* h) {
      auto* self = static_cast<TlsUpstream*>(h->data);
      self->check_.data = nullptr;  // closed
      self->maybe_closed();
    });
  }
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
      auto* self = static_cast<TlsUpstream*>(h->data);
      self->timer_.data = nullptr;  // closed
      self->maybe_closed();
    });
    return;
  }
  maybe_closed();
}

void TlsUpstream::maybe_closed() {
  if (open_ || timer_open_ || timer_.data != nullptr || check_open_ || check_.data != nullptr ||
      !alive_.empty()) {
    return;
  }
  if (closed_) std::exchange(closed_, nullptr)();
}

}  // namespace dnsp::proxy
