#include "proxy/upstream/failover_upstream.h"

#include <utility>

#include "proxy/log.h"
#include "proxy/upstream/cares_upstream.h"
#include "proxy/upstream/tls_upstream.h"

namespace dnsp::proxy {

FailoverUpstream::FailoverUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters)
    : loop_(loop), handler_(std::move(handler)), counters_(counters) {}

FailoverUpstream::~FailoverUpstream() {
  if (open_) shutdown();
}

std::string FailoverUpstream::build(const UpstreamSettings& settings,
                                    std::unique_ptr<Generation>& out) {
  // A run opens no libuv handle before its first query (CaresUpstream::init,
  // TlsUpstream::init), so when one cannot be set up (an unreadable CA file, a server c-ares
  // refuses), the runs built before it are dropped at once: nothing to close, nothing
  // changed (a failed SIGHUP keeps the servers it had).
  auto generation = std::make_unique<Generation>();
  Generation* g = generation.get();
  size_t i = 0;
  std::string error;
  while (i < settings.servers.size() && error.empty()) {
    // One run: the servers from i on that are all plain, or all encrypted (DoT and DoH
    // servers share one TlsUpstream).
    const bool plain = settings.servers[i].protocol == config::UpstreamProtocol::Plain;
    UpstreamSettings run = settings;
    run.servers.clear();
    while (i < settings.servers.size() &&
           (settings.servers[i].protocol == config::UpstreamProtocol::Plain) == plain) {
      run.servers.push_back(settings.servers[i++]);
    }
    Run made;
    error = make_run(g, g->runs.size(), run, made);
    g->runs.push_back(std::move(made));
  }
  if (error.empty() && g->runs.empty()) error = "no upstream server";
  if (!error.empty()) return error;  // `generation` goes: its runs hold no handle yet
  out = std::move(generation);
  return "";
}

std::string FailoverUpstream::make_run(Generation* g, size_t index, const UpstreamSettings& servers,
                                       Run& out) {
  auto handler = [this, g, index](UpstreamReply&& r) { on_reply(g, index, std::move(r)); };
  if (servers.servers.front().protocol != config::UpstreamProtocol::Plain) {
    auto tls = std::make_unique<TlsUpstream>(loop_, handler, counters_);
    std::string error = tls->init(servers);
    out.upstream = std::move(tls);
    return error;
  }
  auto udp = std::make_unique<CaresUpstream>(loop_, handler, counters_);
  std::string error = udp->init(servers, UpstreamTransport::Udp);
  out.upstream = std::move(udp);
  if (!error.empty()) return error;
  auto tcp = std::make_unique<CaresUpstream>(loop_, handler, counters_);
  error = tcp->init(servers, UpstreamTransport::Tcp);
  out.over_tcp = std::move(tcp);
  return error;
}

std::string FailoverUpstream::init(const UpstreamSettings& settings) {
  // Built first: a failure leaves this object with no handle, free to be destroyed at once
  // (make_upstream does).
  if (auto err = build(settings, current_); !err.empty()) return err;
  uv_timer_init(loop_, &reap_timer_);
  reap_timer_.data = this;
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
  if (!open_ || !current_) {
    handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}, 0});
    return;
  }
  Generation* g = current_.get();
  if (g->runs.size() > 1) {
    pending_[tag] = Pending{
        g, 0, transport, std::vector<uint8_t>(query.begin(), query.end()), uv_now(loop_), {}};
  }
  send_to(g, 0, query, tag, transport);
}

void FailoverUpstream::send_to(Generation* g, size_t run, std::span<const uint8_t> query,
                               uint64_t tag, UpstreamTransport transport) {
  ++g->outstanding;
  g->runs[run].over(transport).send(query, tag, transport);
}

void FailoverUpstream::on_reply(Generation* g, size_t run, UpstreamReply&& reply) {
  --g->outstanding;
  auto it = pending_.find(reply.tag);
  if (it != pending_.end() && it->second.generation == g) {
    Pending& p = it->second;
    if (!reply.detail.empty()) {
      p.details += (p.details.empty() ? "" : "; ") + reply.detail;
    }
    const bool failed =
        reply.status != UpstreamStatus::Answered && reply.status != UpstreamStatus::Cancelled;
    if (failed && run + 1 < g->runs.size() && open_ && !g->retired) {
      LOG_DEBUG("upstream " << g->runs[run].upstream->servers_text() << " failed; asking "
                            << g->runs[run + 1].upstream->servers_text());
      p.run = run + 1;
      send_to(g, run + 1, p.query, reply.tag, p.transport);
      return;
    }
    reply.elapsed_ms = uv_now(loop_) - p.sent_ms;
    if (failed) reply.detail = std::move(p.details);
    pending_.erase(it);
  }
  if (g->retired && g->outstanding == 0) schedule_reap();
  handler_(std::move(reply));
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
  for (auto& r : g.runs) {
    for (Upstream* u : {r.upstream.get(), r.over_tcp.get()}) {
      if (u != nullptr) upstreams.push_back(u);
    }
  }
  g.closing = upstreams.size();
  Generation* raw = &g;
  for (Upstream* u : upstreams) {
    // Fails what the run still has with Cancelled (the handler gets each tag once).
    u->shutdown([this, raw] {
      --raw->closing;
      schedule_reap();  // freed from the timer, not inside the run that called this
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
    pending_.clear();
    for (size_t i = 0; i < retired_.size(); ++i) shut(*retired_[i]);
    if (timer_open_) {
      timer_open_ = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&reap_timer_), [](uv_handle_t* h) {
        auto* self = static_cast<FailoverUpstream*>(h->data);
        self->timer_closed_ = true;
        self->maybe_closed();
      });
    }
  }
  maybe_closed();
}

void FailoverUpstream::maybe_closed() {
  if (open_ || timer_open_ || (!timer_closed_ && reap_timer_.data != nullptr)) return;
  for (auto& g : retired_) {
    if (g->closing > 0) return;
  }
  if (closed_) std::exchange(closed_, nullptr)();
}

}  // namespace dnsp::proxy
