#include "proxy/upstream/tls_upstream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "proxy/address.h"
#include "proxy/log.h"
#include "resolver/serve/padding.h"

namespace dnsp::proxy {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;
constexpr uint64_t kMaxKeepaliveMs = 120000;  // what we honour of a server's keepalive

BIO* bio(void* p) { return static_cast<BIO*>(p); }

// A write of ciphertext to the socket; freed by its callback.
struct WriteReq {
  uv_write_t req{};
  std::vector<char> data;
};

std::string utc(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "(unknown time)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The DNS names a certificate is for (subjectAltName), "a, b"; "" when none.
std::string dns_names(X509* cert) {
  std::string out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_DNS) continue;
    const ASN1_STRING* s = n->d.dNSName;
    if (!out.empty()) out += ", ";
    out.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
               static_cast<size_t>(ASN1_STRING_length(s)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

// RFC 7858 §4.2: SHA-256 of the DER SubjectPublicKeyInfo.
bool spki_sha256(X509* cert, config::SpkiPin& out) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return false;
  unsigned int n = 0;
  const bool ok =
      EVP_Digest(der, static_cast<size_t>(len), out.data(), &n, EVP_sha256(), nullptr) == 1 &&
      n == out.size();
  OPENSSL_free(der);
  return ok;
}

// True when a certificate the server showed has a key one of `pins` names.
bool pins_match(SSL* ssl, const std::vector<config::SpkiPin>& pins) {
  auto matches = [&pins](X509* cert) {
    config::SpkiPin digest{};
    if (cert == nullptr || !spki_sha256(cert, digest)) return false;
    return std::find(pins.begin(), pins.end(), digest) != pins.end();
  };
  if (matches(SSL_get0_peer_certificate(ssl))) return true;
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    if (matches(sk_X509_value(chain, i))) return true;
  }
  return false;
}

// The TLS failure OpenSSL left on its error queue, in words; clears the queue.
std::string ssl_failure() {
  const unsigned long e = ERR_peek_last_error();
  std::string out = "TLS handshake failed";
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    out += ": ";
    out += reason != nullptr ? reason : "error " + std::to_string(e);
  }
  ERR_clear_error();
  return out;
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
  for (Connection* c : alive_) c->owner = nullptr;  // their close callbacks free them alone
  for (Server& s : servers_) {
    if (s.session != nullptr) SSL_SESSION_free(s.session);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

namespace {

// A client context checking certificates against `ca_file` (or the system store); null and
// `error` set when that cannot be loaded.
SSL_CTX* client_context(const std::string& ca_file, std::string& error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    error = "cannot set up TLS: " + ssl_failure();
    return nullptr;
  }
  // RFC 8310 §9 / RFC 7525: TLS 1.2 at least; OpenSSL offers 1.3 first.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      ERR_clear_error();
      error = "cannot read the TLS CA file " + ca_file +
              " (tls_ca_file, --tls-ca-file): not readable or no PEM certificate in it";
      SSL_CTX_free(ctx);
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    ERR_clear_error();
    error = "cannot load the system CA store (OpenSSL default verify paths)";
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

std::string TlsUpstream::check(const UpstreamSettings& settings) {
  bool any = false;
  for (const auto& s : settings.servers) any = any || s.protocol == config::UpstreamProtocol::Tls;
  if (!any) return "";
  std::string error;
  if (SSL_CTX* ctx = client_context(settings.tls_ca_file, error)) SSL_CTX_free(ctx);
  return error;
}

std::string TlsUpstream::init(const UpstreamSettings& settings) {
  std::string error;
  ctx_ = client_context(settings.tls_ca_file, error);
  if (ctx_ == nullptr) return error;
  // Client sessions go to on_new_session (kept per server), not to OpenSSL's cache.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx_, &TlsUpstream::on_new_session);
  for (const auto& s : settings.servers) {
    if (s.protocol != config::UpstreamProtocol::Tls) {
      return "internal error: " + config::to_string(s) + " is not a TLS upstream";
    }
    Server server;
    server.config = s;
    server.name = config::to_string(s);
    servers_.push_back(std::move(server));
  }
  if (servers_.empty()) return "no TLS upstream";
  servers_text_ = proxy::servers_text(settings.servers);
  timeout_ms_ = settings.timeout_ms;
  attempts_ = std::max<uint32_t>(settings.attempts, 1);
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_open_ = true;
  open_ = true;
  return "";
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

void TlsUpstream::send(std::span<const uint8_t> query, uint64_t tag) {
  if (!open_) {
    handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}, 0});
    return;
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
  Connection* chosen = nullptr;
  for (Connection* c : sv.conns) {
    if (c->state != ConnState::Closed && c->in_flight.size() < kMaxInFlight) {
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
  if (chosen == nullptr) {
    q.conn = nullptr;
    sv.queue.push_back(qid);  // every connection is full: wait for a slot
    return;
  }
  // A random ID no other query on this connection has (RFC 5452 §9.2; RFC 7766 §6.2.1.1
  // matches answers by it).
  uint16_t id = 0;
  do {
    id = random_.u16();
  } while (chosen->in_flight.count(id) != 0);
  chosen->in_flight.emplace(id, qid);
  q.conn = chosen;
  q.wire_id = id;
  if (q.packet.size() >= 2) {
    q.packet[0] = static_cast<uint8_t>(id >> 8);
    q.packet[1] = static_cast<uint8_t>(id);
  }
  if (chosen->state == ConnState::Ready) {
    write_query(*chosen, q);
  } else {
    chosen->waiting.push_back(qid);
  }
}

void TlsUpstream::write_query(Connection& c, Query& q) {
  std::vector<uint8_t> frame;
  frame.reserve(q.packet.size() + 2);
  append_frame(frame, q.packet);
  ERR_clear_error();
  const int n = SSL_write(c.ssl, frame.data(), static_cast<int>(frame.size()));
  if (n != static_cast<int>(frame.size())) {
    connection_failed(c, UpstreamStatus::Unreachable, ssl_failure());
    return;
  }
  counters_->add(counters_->tls_queries);
  flush(c);
}

TlsUpstream::Connection* TlsUpstream::open_connection(size_t s) {
  Server& sv = servers_[s];
  auto addr = to_socket_address(sv.config.endpoint);
  if (!addr) return nullptr;
  auto* c = new Connection();
  c->owner = this;
  c->server = s;
  c->id = next_conn_++;
  c->opened_ms = uv_now(loop_);
  alive_.insert(c);
  uv_tcp_init(loop_, &c->tcp);
  c->tcp.data = c;
  ++handles_;
  sv.conns.push_back(c);
  // TLS state: memory BIOs between OpenSSL and the socket.
  c->ssl = SSL_new(ctx_);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio, -1);  // empty means "wait for more", not end of stream
  SSL_set_bio(c->ssl, rbio, wbio);
  c->rbio = rbio;
  c->wbio = wbio;
  SSL_set_app_data(c->ssl, c);
  SSL_set_connect_state(c->ssl);
  const std::string& name = sv.config.auth_name;
  if (!name.empty()) {
    // RFC 8310 §8.1: the authentication name is checked against the certificate (and sent
    // as SNI, RFC 6066 §3).
    SSL_set_tlsext_host_name(c->ssl, name.c_str());
    SSL_set_verify(c->ssl, SSL_VERIFY_PEER, &TlsUpstream::on_verify);
    X509_VERIFY_PARAM* param = SSL_get0_param(c->ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  } else {
    // Pins only (RFC 7858 §4.2): the chain is not checked against a CA; the pins are,
    // after the handshake and before any query is written.
    SSL_set_verify(c->ssl, SSL_VERIFY_NONE, nullptr);
  }
  if (sv.session != nullptr) SSL_set_session(c->ssl, sv.session);
  uv_tcp_nodelay(&c->tcp, 1);
  c->connect.data = c;
  if (const int rc = uv_tcp_connect(&c->connect, &c->tcp, addr->get(), &TlsUpstream::on_connect);
      rc < 0) {
    connection_failed(*c, UpstreamStatus::Unreachable,
                      std::string("cannot connect: ") + uv_strerror(rc));
    return nullptr;
  }
  return c;
}

void TlsUpstream::on_connect(uv_connect_t* req, int status) noexcept {
  auto* c = static_cast<Connection*>(req->data);
  TlsUpstream* self = c->owner;
  if (self == nullptr || c->state == ConnState::Closed || status == UV_ECANCELED) return;
  if (status < 0) {
    self->connection_failed(*c, UpstreamStatus::Unreachable,
                            std::string("cannot connect: ") + uv_strerror(status));
    self->rearm();
    return;
  }
  c->state = ConnState::Handshaking;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &TlsUpstream::on_alloc,
                &TlsUpstream::on_read);
  self->drive(*c);
  self->rearm();
}

void TlsUpstream::on_alloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) noexcept {
  auto* c = static_cast<Connection*>(handle->data);
  if (c->owner == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(reinterpret_cast<char*>(c->owner->read_buf_.data()),
                     static_cast<unsigned>(c->owner->read_buf_.size()));
}

void TlsUpstream::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* c = static_cast<Connection*>(stream->data);
  TlsUpstream* self = c->owner;
  if (self == nullptr || c->state == ConnState::Closed) return;
  if (nread < 0) {
    if (c->state == ConnState::Ready && c->in_flight.empty()) {
      // The server closed an idle connection (its idle timeout): the next query reconnects.
      LOG_DEBUG("upstream " << self->servers_[c->server].name << " closed an idle connection");
      self->close_connection(*c);
    } else {
      const std::string what =
          nread == UV_EOF ? "connection closed by the server"
                          : std::string("connection lost: ") + uv_strerror(static_cast<int>(nread));
      self->connection_failed(
          *c, UpstreamStatus::Unreachable,
          what + (c->state == ConnState::Ready ? "" : " during the TLS handshake"));
    }
    self->rearm();
    return;
  }
  if (nread == 0) return;
  BIO_write(bio(c->rbio), buf->base, static_cast<int>(nread));
  self->drive(*c);
  self->rearm();
}

void TlsUpstream::drive(Connection& c) {
  if (c.state == ConnState::Handshaking) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(c.ssl);
    flush(c);  // our part of the handshake, or the alert that ends it
    if (c.state == ConnState::Closed) return;
    if (rc != 1) {
      const int err = SSL_get_error(c.ssl, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
      const std::string reason = c.verify_error.empty() ? ssl_failure() : c.verify_error;
      ERR_clear_error();
      connection_failed(c, UpstreamStatus::Unreachable, reason);
      return;
    }
    handshake_done(c);
    if (c.state != ConnState::Ready) return;
  }
  if (c.state != ConnState::Ready) return;
  // Whatever records arrived: decrypt all of it, then hand out the whole messages.
  bool peer_closed = false;
  std::string lost;
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(c.ssl, read_buf_.data(), static_cast<int>(read_buf_.size()));
    if (n > 0) {
      c.reader.feed({read_buf_.data(), static_cast<size_t>(n)});
      continue;
    }
    const int err = SSL_get_error(c.ssl, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed = true;  // close_notify
    } else {
      lost = ssl_failure();
    }
    break;
  }
  flush(c);  // e.g. a key update
  while (c.state == ConnState::Ready) {
    auto message = c.reader.next();
    if (!message) break;
    on_message(c, *message);  // may call the handler, which may send on this connection
  }
  if (c.state != ConnState::Ready) return;
  if (!lost.empty()) {
    connection_failed(c, UpstreamStatus::Unreachable, "connection lost: " + lost);
  } else if (peer_closed) {
    if (c.in_flight.empty()) {
      LOG_DEBUG("upstream " << servers_[c.server].name << " closed an idle connection");
      close_connection(c);
    } else {
      connection_failed(c, UpstreamStatus::Unreachable, "connection closed by the server");
    }
  }
}

void TlsUpstream::handshake_done(Connection& c) {
  Server& sv = servers_[c.server];
  if (!sv.config.spki_pins.empty() && !pins_match(c.ssl, sv.config.spki_pins)) {
    // RFC 7858 §4.2: no pin matches, the server is not authenticated. Nothing was written.
    connection_failed(c, UpstreamStatus::Unreachable,
                      "SPKI pin mismatch (no key the server shows matches spki_pins)");
    return;
  }
  counters_->add(counters_->tls_handshakes);
  if (SSL_session_reused(c.ssl) == 1) counters_->add(counters_->tls_resumed);
  counters_->add(counters_->tls_connections_open);
  c.counted_open = true;
  c.state = ConnState::Ready;
  c.idle_since = uv_now(loop_);
  if (sv.down_detail.size() > 0) LOG_INFO("upstream " << sv.name << " is usable again");
  sv.backoff_ms = 0;
  sv.down_until = 0;
  sv.down_detail.clear();
  LOG_DEBUG("upstream " << sv.name << ": " << SSL_get_version(c.ssl) << " connection ready"
                        << (SSL_session_reused(c.ssl) == 1 ? " (session resumed)" : ""));
  std::vector<uint64_t> waiting = std::move(c.waiting);
  c.waiting.clear();
  for (uint64_t qid : waiting) {
    if (c.state != ConnState::Ready) break;
    auto it = queries_.find(qid);
    if (it == queries_.end() || it->second.conn != &c) continue;
    write_query(c, it->second);
  }
}

void TlsUpstream::on_message(Connection& c, std::span<const uint8_t> message) {
  const auto id = message_id(message);
  if (!id) return;
  auto slot = c.in_flight.find(*id);
  if (slot == c.in_flight.end()) {
    LOG_DEBUG("upstream " << servers_[c.server].name << ": reply with unknown ID " << *id
                          << " (late, after its query timed out?)");
    return;
  }
  const uint64_t qid = slot->second;
  auto it = queries_.find(qid);
  if (it == queries_.end()) {
    c.in_flight.erase(slot);
    return;
  }
  if (!reply_matches(it->second.packet, message)) {
    LOG_DEBUG("upstream " << servers_[c.server].name << ": reply " << *id
                          << " does not answer its query's question: ignored");
    return;
  }
  c.in_flight.erase(slot);
  it->second.conn = nullptr;
  if (auto keepalive = resolver::tcp_keepalive_timeout(message)) {
    // RFC 7828 §3.2.2: the server's idle timeout, in units of 100 ms.
    c.idle_timeout_ms = std::min<uint64_t>(uint64_t(*keepalive) * 100, kMaxKeepaliveMs);
  }
  if (c.in_flight.empty()) c.idle_since = uv_now(loop_);
  fill_from_queue(c);
  UpstreamReply reply{it->second.tag, UpstreamStatus::Answered,
                      std::vector<uint8_t>(message.begin(), message.end()),
                      uv_now(loop_) - it->second.sent_ms};
  finish(qid, std::move(reply));
}

void TlsUpstream::fill_from_queue(Connection& c) {
  Server& sv = servers_[c.server];
  while (!sv.queue.empty() && c.state == ConnState::Ready && c.in_flight.size() < kMaxInFlight) {
    const uint64_t qid = sv.queue.front();
    sv.queue.erase(sv.queue.begin());
    if (queries_.count(qid) != 0) assign(qid, c.server);
  }
}

void TlsUpstream::flush(Connection& c) {
  for (;;) {
    const size_t pending = BIO_ctrl_pending(bio(c.wbio));
    if (pending == 0 || c.state == ConnState::Closed) return;
    auto* w = new WriteReq();
    w->data.resize(pending);
    const int n = BIO_read(bio(c.wbio), w->data.data(), static_cast<int>(pending));
    if (n <= 0) {
      delete w;
      return;
    }
    w->data.resize(static_cast<size_t>(n));
    w->req.data = w;
    const uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    if (const int rc =
            uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c.tcp), &buf, 1, &on_write);
        rc < 0) {
      delete w;
      connection_failed(c, UpstreamStatus::Unreachable,
                        std::string("cannot write: ") + uv_strerror(rc));
      return;
    }
  }
}

void TlsUpstream::on_write(uv_write_t* req, int status) noexcept {
  auto* w = static_cast<WriteReq*>(req->data);
  auto* c = static_cast<Connection*>(req->handle->data);
  delete w;
  if (status >= 0 || status == UV_ECANCELED) return;
  TlsUpstream* self = c->owner;
  if (self == nullptr || c->state == ConnState::Closed) return;
  self->connection_failed(*c, UpstreamStatus::Unreachable,
                          std::string("cannot write: ") + uv_strerror(status));
  self->rearm();
}

void TlsUpstream::connection_failed(Connection& c, UpstreamStatus status,
                                    const std::string& reason) {
  if (c.state == ConnState::Closed) return;
  const bool was_ready = c.state == ConnState::Ready;
  const size_t s = c.server;
  Server& sv = servers_[s];
  const std::string detail = sv.name + ": " + reason;
  if (!was_ready) {
    // The server could not be reached or authenticated: back off, and say so once.
    counters_->add(counters_->tls_handshake_failures);
    sv.backoff_ms = sv.backoff_ms == 0 ? kMinBackoffMs : std::min(sv.backoff_ms * 2, kMaxBackoffMs);
    sv.down_until = uv_now(loop_) + sv.backoff_ms;
    sv.down_status = status;
    sv.down_detail = detail;
    LOG_WARN("upstream " << detail << "; not used for the next " << sv.backoff_ms << " ms");
  } else {
    LOG_INFO("upstream " << detail << (c.in_flight.empty() ? "" : "; asking its queries again"));
  }
  std::vector<uint64_t> queries;
  for (const auto& [id, qid] : c.in_flight) queries.push_back(qid);
  std::sort(queries.begin(), queries.end());  // in the order they were sent
  c.in_flight.clear();
  c.waiting.clear();
  close_connection(c);
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

void TlsUpstream::close_connection(Connection& c) {
  if (c.state == ConnState::Closed) return;
  if (c.state == ConnState::Ready) {
    SSL_shutdown(c.ssl);  // close_notify, best effort
    flush(c);             // (a failed write closes the connection in there)
    if (c.state == ConnState::Closed) return;
  }
  if (c.counted_open) counters_->sub(counters_->tls_connections_open);
  c.counted_open = false;
  c.state = ConnState::Closed;
  auto& conns = servers_[c.server].conns;
  conns.erase(std::remove(conns.begin(), conns.end(), &c), conns.end());
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.tcp));
  uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    TlsUpstream* self = conn->owner;
    if (self != nullptr) self->alive_.erase(conn);
    SSL_free(conn->ssl);  // frees both BIOs
    delete conn;
    if (self != nullptr) {
      --self->handles_;
      self->maybe_closed();
    }
  });
}

void TlsUpstream::detach(Query& q, uint64_t qid) {
  if (q.conn != nullptr) {
    Connection& c = *q.conn;
    auto slot = c.in_flight.find(q.wire_id);
    if (slot != c.in_flight.end() && slot->second == qid) c.in_flight.erase(slot);
    c.waiting.erase(std::remove(c.waiting.begin(), c.waiting.end(), qid), c.waiting.end());
    if (c.in_flight.empty()) c.idle_since = uv_now(loop_);
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

void TlsUpstream::run_timers() {
  const uint64_t now = uv_now(loop_);
  // Connections first, so that queries waiting for a stalled handshake learn why.
  std::vector<Connection*> conns;
  for (Server& sv : servers_) conns.insert(conns.end(), sv.conns.begin(), sv.conns.end());
  for (Connection* c : conns) {
    if (c->state == ConnState::Closed) continue;
    if (c->state != ConnState::Ready && now >= c->opened_ms + timeout_ms_) {
      connection_failed(
          *c, UpstreamStatus::Timeout,
          c->state == ConnState::Connecting
              ? "connection timed out after " + std::to_string(timeout_ms_) + " ms"
              : "TLS handshake timed out after " + std::to_string(timeout_ms_) + " ms");
    } else if (c->state == ConnState::Ready && c->in_flight.empty() &&
               now >= c->idle_since + c->idle_timeout_ms) {
      LOG_DEBUG("upstream " << servers_[c->server].name << ": closing an idle connection");
      close_connection(*c);
    }
  }
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const uint64_t qid = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = queries_.find(qid);
    if (it == queries_.end()) continue;
    Query& q = it->second;
    if (q.failing) {
      UpstreamReply reply{q.tag, q.status, {}, now - q.sent_ms, q.detail};
      q.deadline = 0;
      finish(qid, std::move(reply));
      continue;
    }
    // This try got no answer in time: the next server (or this one again).
    q.deadline = 0;
    retry(qid, UpstreamStatus::Timeout, {});
  }
}

void TlsUpstream::rearm() {
  if (!timer_open_) return;
  const uint64_t now = uv_now(loop_);
  uint64_t next = UINT64_MAX;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  for (const Server& sv : servers_) {
    for (const Connection* c : sv.conns) {
      if (c->state == ConnState::Connecting || c->state == ConnState::Handshaking) {
        next = std::min(next, c->opened_ms + timeout_ms_);
      } else if (c->state == ConnState::Ready && c->in_flight.empty()) {
        next = std::min(next, c->idle_since + c->idle_timeout_ms);
      }
    }
  }
  if (next == UINT64_MAX) {
    uv_timer_stop(&timer_);
    return;
  }
  uv_timer_start(&timer_, &TlsUpstream::on_timer, next > now ? next - now : 0, 0);
}

int TlsUpstream::on_verify(int ok, x509_store_ctx_st* store) noexcept {
  if (ok == 1) return ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* c = ssl != nullptr ? static_cast<Connection*>(SSL_get_app_data(ssl)) : nullptr;
  if (c == nullptr || c->owner == nullptr || !c->verify_error.empty()) return ok;
  const int err = X509_STORE_CTX_get_error(store);
  const int depth = X509_STORE_CTX_get_error_depth(store);
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  const std::string& name = c->owner->servers_[c->server].config.auth_name;
  const std::string which =
      depth == 0 ? "certificate" : "CA certificate (depth " + std::to_string(depth) + ")";
  switch (err) {
    case X509_V_ERR_HOSTNAME_MISMATCH: {
      const std::string names = cert != nullptr ? dns_names(cert) : "";
      c->verify_error = "certificate name " + name + " does not match" +
                        (names.empty() ? std::string(" the certificate")
                                       : " (the certificate is for " + names + ")");
      break;
    }
    case X509_V_ERR_CERT_HAS_EXPIRED:
      c->verify_error =
          which + " expired " + utc(cert != nullptr ? X509_get0_notAfter(cert) : nullptr);
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      c->verify_error =
          which + " not valid before " + utc(cert != nullptr ? X509_get0_notBefore(cert) : nullptr);
      break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      c->verify_error = "self-signed certificate (not issued by a trusted CA)";
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      c->verify_error = "certificate not issued by a trusted CA";
      break;
    default:
      c->verify_error = which + " not accepted: " + std::string(X509_verify_cert_error_string(err));
      break;
  }
  return ok;
}

int TlsUpstream::on_new_session(ssl_st* ssl, ssl_session_st* session) noexcept {
  auto* c = static_cast<Connection*>(SSL_get_app_data(ssl));
  if (c == nullptr || c->owner == nullptr || c->state == ConnState::Closed) return 0;
  Server& sv = c->owner->servers_[c->server];
  if (sv.session != nullptr) SSL_SESSION_free(sv.session);
  sv.session = session;  // ours now: returning 1 keeps the reference
  return 1;
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
      for (Connection* c : std::vector<Connection*>(sv.conns)) {
        c->in_flight.clear();
        c->waiting.clear();
        close_connection(*c);
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
  if (open_ || timer_open_ || timer_.data != nullptr || handles_ > 0) return;
  if (closed_) std::exchange(closed_, nullptr)();
}

}  // namespace dnsp::proxy
