#include "proxy/upstream/failover_upstream.h"

#include <algorithm>
#include <utility>

#include "proxy/log.h"
#include "proxy/upstream/cares_upstream.h"
#include "proxy/upstream/tls_upstream.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

namespace {

// RFC 6891 §7: a server that knows EDNS answers a query with OPT with an OPT.
bool has_opt(const std::vector<uint8_t>& packet) {
  auto msg = resolver::Message::parse(packet);
  return msg && msg->edns().has_value();
}

}  // namespace

FailoverUpstream::FailoverUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters)
    : loop_(loop), handler_(std::move(handler)), counters_(counters) {}

FailoverUpstream::~FailoverUpstream() {
  if (open_) shutdown();
}

std::string FailoverUpstream::build(const UpstreamSettings& settings,
                                    std::unique_ptr<Generation>& out) {
  // A member opens no libuv handle before its first query (CaresUpstream::init,
  // TlsUpstream::init), so when one cannot be set up (an unreadable CA file, a server c-ares
  // refuses), the members built before it are dropped at once: nothing to close, nothing
  // changed (a failed SIGHUP keeps the servers it had).
  auto generation = std::make_unique<Generation>();
  Generation* g = generation.get();
  std::string error;
  for (const auto& server : settings.servers) {
    UpstreamSettings one = settings;
    one.servers = {server};
    Member made;
    error = make_member(g, g->members.size(), one, made);
    g->members.push_back(std::move(made));
    if (!error.empty()) break;
  }
  if (error.empty() && g->members.empty()) error = "no upstream server";
  if (!error.empty()) return error;  // `generation` goes: its members hold no handle yet
  g->selection.emplace(g->members.size(), settings.strategy,
                       reinterpret_cast<uintptr_t>(g) ^ uv_hrtime());
  for (const auto& server : settings.servers) {
    UpstreamBoard* board = counters_ != nullptr ? counters_->board : nullptr;
    g->board.push_back(board != nullptr
                           ? &board->server(proxy::servers_text({server}), transport_label(server))
                           : nullptr);
  }
  g->hedge = settings.hedge;
  out = std::move(generation);
  return "";
}

std::string FailoverUpstream::make_member(Generation* g, size_t index,
                                          const UpstreamSettings& server, Member& out) {
  auto handler = [this, g, index](UpstreamReply&& r) { on_reply(g, index, std::move(r)); };
  if (server.servers.front().protocol != config::UpstreamProtocol::Plain) {
    auto tls = std::make_unique<TlsUpstream>(loop_, handler, counters_);
    std::string error = tls->init(server);
    out.upstream = std::move(tls);
    return error;
  }
  auto udp = std::make_unique<CaresUpstream>(loop_, handler, counters_);
  std::string error = udp->init(server, UpstreamTransport::Udp);
  out.upstream = std::move(udp);
  if (!error.empty()) return error;
  auto tcp = std::make_unique<CaresUpstream>(loop_, handler, counters_);
  error = tcp->init(server, UpstreamTransport::Tcp);
  out.over_tcp = std::move(tcp);
  return error;
}

std::string FailoverUpstream::init(const UpstreamSettings& settings) {
  // Built first: a failure leaves this object with no handle, free to be destroyed at once
  // (make_upstream does).
  if (auto err = build(settings, current_); !err.empty()) return err;
  for (uv_timer_t* t : {&reap_timer_, &hedge_timer_}) {
    uv_timer_init(loop_, t);
    t->data = this;
  }
  timer_open_ = true;
  open_ = true;
  servers_text_ = proxy::servers_text(settings.servers);
  return "";
}

std::string FailoverUpstream::reconfigure(const UpstreamSettings& settings) {
  if (!open_) return "the upstream is shut down";
  std::unique_ptr<Generation> next;
  if (auto err = build(settings, next); !err.empty()) return err;
  current_->retired = true;
  retired_.push_back(std::move(current_));
  current_ = std::move(next);
  servers_text_ = proxy::servers_text(settings.servers);
  schedule_reap();
  return "";
}

void FailoverUpstream::send(std::span<const uint8_t> query, uint64_t tag,
                            UpstreamTransport transport) {
  send_avoiding(query, tag, transport, {});
}

void FailoverUpstream::send_avoiding(std::span<const uint8_t> query, uint64_t tag,
                                     UpstreamTransport transport,
                                     const std::vector<std::string>& suspects) {
  if (!open_ || !current_) {
    handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}, 0});
    return;
  }
  Generation* g = current_.get();
  if (g->members.size() == 1) {
    // One server: nothing to choose, the reply comes back with the caller's tag.
    ++g->outstanding;
    g->members[0].over(transport).send(query, tag, transport);
    return;
  }
  const uint64_t id = next_id_++;
  Query& q = queries_[id];
  q.generation = g;
  q.tag = tag;
  q.transport = transport;
  q.packet.assign(query.begin(), query.end());
  q.sent_ms = uv_now(loop_);
  for (size_t i = 0; i < g->board.size(); ++i) {
    if (g->board[i] != nullptr) {
      g->selection->set_avoided(i, avoid(g->board[i]->health.load(std::memory_order_relaxed)));
    }
  }
  g->selection->order(q.sent_ms, q.order);
  // The suspects left out; if that leaves none, only the first (the prime suspect); if
  // that leaves none either, every server is asked.
  for (size_t count : {suspects.size(), std::min<size_t>(suspects.size(), 1)}) {
    const auto first = suspects.begin();
    const auto last = first + static_cast<std::ptrdiff_t>(count);
    std::vector<size_t> others;
    for (size_t m : q.order) {
      if (std::find(first, last, g->members[m].upstream->servers_text()) == last) {
        others.push_back(m);
      }
    }
    if (count > 0 && !others.empty()) {
      q.order = std::move(others);
      break;
    }
  }
  try_next(id, q);
}

void FailoverUpstream::try_next(uint64_t id, Query& q) {
  Generation* g = q.generation;
  drop_hedge(q);
  const size_t member = q.order[q.next++];
  const uint64_t now = uv_now(loop_);
  if (q.next < q.order.size() && g->hedge) {
    q.hedge = hedges_.emplace(now + g->selection->hedge_delay_ms(member), id);
    arm_hedge_timer();
  }
  const uint64_t t = next_try_++;
  tries_[t] = Try{id, member, now};
  ++q.outstanding;
  ++g->outstanding;
  // May reply at once (a member shut down answers Cancelled inside send): nothing of `q`
  // is used after this.
  g->members[member].over(q.transport).send(q.packet, t, q.transport);
}

void FailoverUpstream::on_reply(Generation* g, size_t member, UpstreamReply&& reply) {
  --g->outstanding;
  if (g->members.size() > 1) {
    on_try_reply(g, member, std::move(reply));
  } else {
    handler_(std::move(reply));
  }
  if (g->retired && g->outstanding == 0) schedule_reap();
}

void FailoverUpstream::on_try_reply(Generation* g, size_t member, UpstreamReply&& reply) {
  auto t = tries_.find(reply.tag);
  if (t == tries_.end()) return;
  const Try attempt = t->second;
  tries_.erase(t);
  const uint64_t now = uv_now(loop_);
  switch (reply.status) {
    case UpstreamStatus::Answered:
    case UpstreamStatus::ServerFailed:
    case UpstreamStatus::BadReply:
      g->selection->answered(member, now - attempt.sent_ms, now);  // it is there
      break;
    case UpstreamStatus::Timeout:
    case UpstreamStatus::Unreachable:
      g->selection->failed(member, now);
      break;
    case UpstreamStatus::Cancelled:
      break;
  }
  auto it = queries_.find(attempt.query);
  if (it == queries_.end()) return;  // answered by another server first: dropped
  Query& q = it->second;
  --q.outstanding;
  if (reply.status == UpstreamStatus::Answered) {
    reply.server = g->members[member].upstream->servers_text();
    if (has_opt(reply.packet) || (q.next == q.order.size() && q.outstanding == 0)) {
      finish(attempt.query, q, std::move(reply));
      return;
    }
    // RFC 6891 §7: this server does not do EDNS, so its answer has no DNSSEC records;
    // another server's answer with OPT is better, this one stands if none comes.
    if (q.next < q.order.size()) {
      LOG_INFO("upstream " << g->members[member].upstream->servers_text()
                           << " answered without EDNS (it rejects EDNS queries?): asking "
                           << g->members[q.order[q.next]].upstream->servers_text());
    }
    if (!q.without_opt) q.without_opt = std::move(reply);
  } else {
    if (!reply.detail.empty()) q.details += (q.details.empty() ? "" : "; ") + reply.detail;
    q.last = reply.status;
  }
  const bool more = q.next < q.order.size() && open_ && !g->retired;
  if (more && reply.status != UpstreamStatus::Cancelled) {
    if (reply.status != UpstreamStatus::Answered)
      LOG_DEBUG("upstream " << g->members[member].upstream->servers_text() << " failed; asking "
                            << g->members[q.order[q.next]].upstream->servers_text());
    try_next(attempt.query, q);
    return;
  }
  if (q.outstanding > 0) return;  // another server may still answer
  if (q.without_opt) {
    finish(attempt.query, q, std::move(*q.without_opt));
    return;
  }
  UpstreamReply failed{q.tag, q.last, {}, 0};
  if (!q.details.empty()) failed.detail = std::move(q.details);
  finish(attempt.query, q, std::move(failed));
}

void FailoverUpstream::finish(uint64_t id, Query& q, UpstreamReply&& reply) {
  drop_hedge(q);
  reply.tag = q.tag;
  reply.elapsed_ms = uv_now(loop_) - q.sent_ms;
  queries_.erase(id);  // `q` is gone
  handler_(std::move(reply));
}

void FailoverUpstream::drop_hedge(Query& q) {
  if (q.hedge) {
    hedges_.erase(*q.hedge);
    q.hedge.reset();
  }
}

void FailoverUpstream::arm_hedge_timer() {
  if (!timer_open_ || hedges_.empty()) return;
  const uint64_t now = uv_now(loop_);
  const uint64_t due = hedges_.begin()->first;
  uv_timer_start(
      &hedge_timer_,
      [](uv_timer_t* t) { static_cast<FailoverUpstream*>(t->data)->on_hedge_timer(); },
      due > now ? due - now : 0, 0);
}

void FailoverUpstream::on_hedge_timer() {
  const uint64_t now = uv_now(loop_);
  while (!hedges_.empty() && hedges_.begin()->first <= now && open_) {
    const uint64_t id = hedges_.begin()->second;
    hedges_.erase(hedges_.begin());
    auto it = queries_.find(id);
    if (it == queries_.end()) continue;
    Query& q = it->second;
    q.hedge.reset();
    if (q.next < q.order.size() && !q.generation->retired) {
      LOG_DEBUG("upstream " << q.generation->members[q.order[q.next - 1]].upstream->servers_text()
                            << " is slow; asking "
                            << q.generation->members[q.order[q.next]].upstream->servers_text()
                            << " too");
      try_next(id, q);
    }
  }
  arm_hedge_timer();
}

void FailoverUpstream::schedule_reap() {
  if (timer_open_) {
    uv_timer_start(
        &reap_timer_, [](uv_timer_t* t) { static_cast<FailoverUpstream*>(t->data)->reap(); }, 0, 0);
  }
}

void FailoverUpstream::shut(Generation& g) {
  if (g.shut) return;
  g.shut = true;
  std::vector<Upstream*> upstreams;
  for (auto& m : g.members) {
    for (Upstream* u : {m.upstream.get(), m.over_tcp.get()}) {
      if (u != nullptr) upstreams.push_back(u);
    }
  }
  g.closing = upstreams.size();
  Generation* raw = &g;
  for (Upstream* u : upstreams) {
    // Fails what the member still has with Cancelled (each query then ends once).
    u->shutdown([this, raw] {
      --raw->closing;
      schedule_reap();  // freed from the timer, not inside the member that called this
      // Last: the owner's `closed` callback may destroy this object (ExplainRun does).
      maybe_closed();
    });
  }
}

void FailoverUpstream::reap() {
  for (size_t i = 0; i < retired_.size(); ++i) {
    if (retired_[i]->outstanding == 0) shut(*retired_[i]);  // may add nothing to retired_
  }
  for (auto it = retired_.begin(); it != retired_.end();) {
    if ((*it)->shut && (*it)->closing == 0 && open_) {
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
}

void FailoverUpstream::shutdown(std::function<void()> closed) {
  if (closed) closed_ = std::move(closed);
  if (open_) {
    open_ = false;
    if (current_) {
      current_->retired = true;
      retired_.push_back(std::move(current_));
    }
    hedges_.clear();
    for (auto& [id, q] : queries_) q.hedge.reset();
    // The members fail every try they hold with Cancelled, which ends each query once.
    for (size_t i = 0; i < retired_.size(); ++i) shut(*retired_[i]);
    if (timer_open_) {
      timer_open_ = false;
      for (uv_timer_t* t : {&reap_timer_, &hedge_timer_}) {
        uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) {
          auto* self = static_cast<FailoverUpstream*>(h->data);
          ++self->timers_closed_;
          self->maybe_closed();
        });
      }
    }
  }
  maybe_closed();
}

void FailoverUpstream::maybe_closed() {
  if (open_ || timer_open_ || (timers_closed_ < 2 && reap_timer_.data != nullptr)) return;
  for (auto& g : retired_) {
    if (g->closing > 0) return;
  }
  if (closed_) std::exchange(closed_, nullptr)();
}

}  // namespace dnsp::proxy
