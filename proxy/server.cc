#include "proxy/server.h"

#include <variant>

#include "proxy/log.h"
#include "resolver/message.h"
#include "resolver/replies.h"

namespace dnsp::proxy {

using resolver::EdeCode;
using resolver::ExtendedError;
using resolver::RCode;

namespace {

// Queries in flight at once; past it a new query gets SERVFAIL at once rather than
// memory without bound.
constexpr size_t kMaxInFlight = 10000;

}  // namespace

Server::Server(uv_loop_t* loop, config::Config config)
    : loop_(loop),
      config_(std::move(config)),
      upstream_(loop, [this](UpstreamReply&& r) { on_upstream(std::move(r)); }) {}

std::string Server::start() {
  uv_timer_init(loop_, &deadline_timer_);
  deadline_timer_.data = this;
  timer_open_ = true;
  if (auto err =
          upstream_.init(config_.upstreams, config_.upstream_timeout_ms, config_.upstream_attempts);
      !err.empty()) {
    return err;
  }
  for (const auto& ep : config_.listen) {
    auto addr = to_socket_address(ep);
    if (!addr) return "cannot listen on " + config::to_string(ep) + ": not an IP address";
    auto udp = std::make_unique<UdpListener>(loop_, *this);
    auto err = udp->start(*addr);
    udp_.push_back(std::move(udp));
    if (!err.empty()) return err;
    auto tcp = std::make_unique<TcpListener>(
        loop_, *this, TcpLimits{config_.tcp_idle_timeout_ms, config_.tcp_max_connections});
    err = tcp->start(*addr);
    tcp_.push_back(std::move(tcp));
    if (!err.empty()) return err;
    LOG_INFO("listening on " << config::to_string(ep) << " (udp, tcp)");
  }
  LOG_INFO("forwarding to " << upstream_.servers_text());
  return "";
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& l : udp_) l->close();
  for (auto& l : tcp_) l->close();
  // Copy: closing a connection removes it from the map.
  std::vector<TcpConnection*> conns;
  for (auto& [id, c] : connections_) conns.push_back(c);
  for (auto* c : conns) c->close();
  upstream_.shutdown();  // outstanding queries come back Cancelled and are dropped
  transactions_.clear();
  deadlines_.clear();
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_timer_), nullptr);
  }
}

void Server::connection_opened(TcpConnection* c) {
  connections_.emplace(c->id(), c);
  ++connections_alive_;
}

void Server::connection_closed(uint64_t id) { connections_.erase(id); }

void Server::handle_query(std::span<const uint8_t> packet, const ClientRef& client) {
  if (stopping_) return;
  auto check = resolver::check_query(packet);
  if (std::holds_alternative<resolver::DropQuery>(check)) {
    LOG_DEBUG("dropped an undecodable packet of " << packet.size() << " octets");
    if (auto* tcp = std::get_if<TcpClient>(&client)) {
      if (auto it = connections_.find(tcp->connection); it != connections_.end())
        it->second->answered();
    }
    return;
  }
  if (auto* reject = std::get_if<resolver::RejectQuery>(&check)) {
    LOG_DEBUG("rejected a query: " << resolver::to_string(reject->rcode));
    send_to(client,
            resolver::error_reply(reject->query, reject->has_question, reject->rcode, nullptr));
    return;
  }
  auto& query = std::get<resolver::ClientQuery>(check);
  if (transactions_.size() >= kMaxInFlight) {
    const ExtendedError ede{EdeCode::Other, "too many queries in flight; try again"};
    send_to(client, resolver::error_reply(query, true, RCode::ServFail, &ede));
    return;
  }
  const uint64_t tid = next_tid_++;
  const uint64_t deadline = uv_now(loop_) + config_.query_timeout_ms;
  LOG_DEBUG("query " << tid << ": " << query.question.name.to_string() << " "
                     << resolver::to_string(query.question.type));
  transactions_.emplace(tid, Transaction{query, client, deadlines_.emplace(deadline, tid)});
  arm_deadline_timer();
  upstream_.send(resolver::upstream_query(query.question, 0), tid);
}

void Server::on_upstream(UpstreamReply&& reply) {
  auto it = transactions_.find(reply.tag);
  if (it == transactions_.end()) return;  // already answered (deadline) or shutting down
  const Transaction& t = it->second;
  switch (reply.status) {
    case UpstreamStatus::Answered: {
      auto msg = resolver::Message::parse(reply.packet);
      if (!msg) {
        const ExtendedError ede{EdeCode::NetworkError,
                                "upstream sent a malformed reply (" +
                                    std::string(resolver::to_string(msg.error())) + ")"};
        fail(reply.tag, RCode::ServFail, &ede);
        return;
      }
      const auto transport = std::holds_alternative<TcpClient>(t.client) ? resolver::Transport::Tcp
                                                                         : resolver::Transport::Udp;
      // Not validated yet: AD stays clear (we vouch only for what we validated ourselves).
      finish(reply.tag,
             resolver::forward_reply(t.query, *msg, resolver::AdBit::Clear,
                                     resolver::reply_limit(t.query, transport), nullptr));
      return;
    }
    case UpstreamStatus::Timeout: {
      const ExtendedError ede{EdeCode::NoReachableAuthority,
                              "no answer from upstream " + upstream_.servers_text()};
      fail(reply.tag, RCode::ServFail, &ede);
      return;
    }
    case UpstreamStatus::Unreachable: {
      const ExtendedError ede{EdeCode::NetworkError,
                              "upstream " + upstream_.servers_text() + " unreachable"};
      fail(reply.tag, RCode::ServFail, &ede);
      return;
    }
    case UpstreamStatus::ServerFailed: {
      const ExtendedError ede{EdeCode::NetworkError,
                              "every upstream answered SERVFAIL, REFUSED or NOTIMP"};
      fail(reply.tag, RCode::ServFail, &ede);
      return;
    }
    case UpstreamStatus::BadReply: {
      const ExtendedError ede{EdeCode::NetworkError, "no usable reply from upstream"};
      fail(reply.tag, RCode::ServFail, &ede);
      return;
    }
    case UpstreamStatus::Cancelled:
      deadlines_.erase(it->second.deadline);
      transactions_.erase(it);
      return;
  }
}

void Server::fail(uint64_t tid, RCode rcode, const ExtendedError* ede) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  LOG_DEBUG("query " << tid << ": " << resolver::to_string(rcode)
                     << (ede ? " (" + ede->text + ")" : std::string()));
  finish(tid, resolver::error_reply(it->second.query, true, rcode, ede));
}

void Server::finish(uint64_t tid, std::vector<uint8_t> packet) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  const ClientRef client = it->second.client;
  deadlines_.erase(it->second.deadline);
  transactions_.erase(it);
  send_to(client, std::move(packet));
}

void Server::send_to(const ClientRef& client, std::vector<uint8_t> packet) {
  if (const auto* udp = std::get_if<UdpClient>(&client)) {
    udp->listener->send(udp->address, std::move(packet));
    return;
  }
  const auto& tcp = std::get<TcpClient>(client);
  auto it = connections_.find(tcp.connection);
  if (it == connections_.end()) return;  // the client went away
  it->second->send(std::move(packet));
  it->second->answered();
}

void Server::arm_deadline_timer() {
  if (!timer_open_) return;
  if (deadlines_.empty()) {
    uv_timer_stop(&deadline_timer_);
    return;
  }
  const uint64_t now = uv_now(loop_);
  const uint64_t first = deadlines_.begin()->first;
  uv_timer_start(&deadline_timer_, &Server::on_deadline, first > now ? first - now : 0, 0);
}

void Server::on_deadline(uv_timer_t* t) noexcept {
  auto* self = static_cast<Server*>(t->data);
  const uint64_t now = uv_now(self->loop_);
  while (!self->deadlines_.empty() && self->deadlines_.begin()->first <= now) {
    const uint64_t tid = self->deadlines_.begin()->second;
    if (self->transactions_.count(tid) == 0) {  // cannot happen; never loop on it
      self->deadlines_.erase(self->deadlines_.begin());
      continue;
    }
    // fail() removes the transaction and its entry here.
    const ExtendedError ede{EdeCode::NoReachableAuthority,
                            "no answer from upstream " + self->upstream_.servers_text() +
                                " within " + std::to_string(self->config_.query_timeout_ms) +
                                " ms"};
    self->fail(tid, RCode::ServFail, &ede);
  }
  self->arm_deadline_timer();
}

}  // namespace dnsp::proxy
