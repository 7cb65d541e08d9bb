// Server's life: the caches every loop shares, start-up (listeners, upstreams, timers),
// SIGHUP reload, stop, and the bookkeeping of TCP connections and transactions. The query
// pipeline itself: query_arrives.cc -> upstream_replies.cc -> answers_leave.cc (deadlines.cc
// watches them all).
#include "proxy/pipeline/server.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <variant>

#include "proxy/clock.h"
#include "proxy/health.h"
#include "proxy/log.h"
#include "proxy/settings.h"
#include "proxy/split_dns.h"
#include "resolver/verify/verdict.h"  // format_utc

namespace dnsp::proxy {

namespace {

// [cache] max_size bounds every cache: an eighth for validated keys, an eighth for the
// NSEC/NSEC3 records of RFC 8198 (when aggressive_nsec is on), the rest for answers.
size_t aggressive_share(const config::CacheSettings& c) {
  return c.aggressive_nsec ? c.max_size / 8 : 0;
}

// The names in one list and not the other.
std::vector<resolver::Name> changed_names(const std::vector<resolver::Name>& a,
                                          const std::vector<resolver::Name>& b) {
  std::vector<resolver::Name> out;
  for (const auto& n : a) {
    if (std::find(b.begin(), b.end(), n) == b.end()) out.push_back(n);
  }
  for (const auto& n : b) {
    if (std::find(a.begin(), a.end(), n) == a.end()) out.push_back(n);
  }
  return out;
}

}  // namespace

Shared::Shared(const config::CacheSettings& c, const config::ValidationLimits& limits)
    : keys(c.max_size / 8),
      answers(resolver::AnswerCacheLimits{
          .max_bytes = c.max_size - c.max_size / 8 - aggressive_share(c),
          .max_ttl = c.max_ttl,
          .bogus_ttl = c.bogus_ttl,
          .stale_window = c.serve_stale ? c.max_stale : 0,
          .prefetch = c.prefetch}),
      aggressive(resolver::AggressiveCacheLimits{
          .max_bytes = aggressive_share(c),
          .max_ttl = c.max_ttl,
          .max_nsec3_iterations = static_cast<uint16_t>(limits.max_nsec3_iterations),
          .max_nsec3_hashes = limits.max_nsec3_hashes}) {}

Gauges Shared::gauges() const {
  Gauges g;
  g.answer_cache_bytes = answers.bytes();
  g.answer_cache_entries = answers.entries();
  g.key_cache_bytes = keys.bytes();
  g.aggressive_cache_bytes = aggressive.bytes();
  g.clock_verified = clock.verified();
  const uint64_t now = monotonic_ms(), until = hotspot_until_ms.load(std::memory_order_relaxed);
  g.hotspot_seconds_left = until > now ? (until - now + 999) / 1000 : 0;
  return g;
}

size_t Shared::flush_caches() {
  const size_t dropped =
      keys.size() + answers.entries() + aggressive.entries() + relaxed_keys.size();
  keys.clear();
  answers.clear();
  aggressive.clear();
  relaxed_keys.clear();
  return dropped;
}

Server::Server(uv_loop_t* loop, config::Config config, resolver::TrustAnchors anchors,
               Shared& caches, LoopRole role)
    : loop_(loop),
      config_(std::move(config)),
      anchors_(std::move(anchors)),
      key_cache_(caches.keys),
      answer_cache_(caches.answers),
      aggressive_cache_(caches.aggressive),
      shared_(caches),
      group_(caches.loops),
      role_(role) {
  limits_ = validation_limits(config_.limits);
  negative_anchors_ = negative_anchors(config_, &insecure_why_);
}

void Server::set_trust_anchors(resolver::TrustAnchors anchors) {
  anchors_ = std::move(anchors);
  key_cache_.clear();
  answer_cache_.clear();
  aggressive_cache_.clear();
}

const resolver::Name* Server::negative_anchor_for(const resolver::Name& name) const {
  for (const auto& nta : negative_anchors_) {
    if (name.is_subdomain_of(nta)) return &nta;
  }
  return nullptr;
}

std::string Server::start() {
  uv_async_init(loop_, &wake_, &Server::on_wake);
  wake_.data = this;
  wake_open_ = true;
  group_.attach(role_.index, [this](const resolver::CacheKey& key) {
    std::lock_guard lock(landed_mu_);
    landed_.push_back(key);
    uv_async_send(&wake_);
  });
  uv_timer_init(loop_, &deadline_timer_);
  deadline_timer_.data = this;
  timer_open_ = true;
  // One upstream for both transports: the TCP retries share its TLS connections.
  stats_.transport.board = &shared_.upstreams;
  auto made = make_upstream(
      loop_, [this](UpstreamReply&& r) { on_upstream(std::move(r)); },
      UpstreamSettings::of(config_), &stats_.transport);
  if (!made) return made.error();
  upstream_ = std::move(*made);
  if (auto err = set_forwards(config_, true); !err.empty()) return err;
  if (shared_.dnstap != nullptr) {
    const config::DnstapSettings& d = config_.dnstap;
    taps_ = static_cast<uint8_t>((d.client_queries ? kTapClientQuery : 0) |
                                 (d.client_responses ? kTapClientResponse : 0) |
                                 (d.forwarder_queries ? kTapForwarderQuery : 0) |
                                 (d.forwarder_responses ? kTapForwarderResponse : 0));
  }
  group_.beat(role_.index, monotonic_ms());
  uv_timer_init(loop_, &heartbeat_timer_);
  heartbeat_timer_.data = this;
  heartbeat_open_ = true;
  uv_timer_start(&heartbeat_timer_, &Server::on_heartbeat, kHeartbeatIntervalMs,
                 kHeartbeatIntervalMs);
  if (!passed_.empty()) {
    // Socket activation replaces [server] listen: none of its addresses is bound.
    std::vector<PassedSocket> passed = std::move(passed_);
    passed_.clear();
    for (const PassedSocket& p : passed) {
      Listener listener{{}, nullptr, nullptr};
      std::string err;
      if (p.type == SOCK_DGRAM) {
        listener.udp = std::make_unique<UdpListener>(loop_, *this);
        err = listener.udp->adopt(p.fd);
      } else {
        listener.tcp = std::make_unique<TcpListener>(
            loop_, *this,
            TcpLimits{config_.tcp_idle_timeout_ms, config_.tcp_max_connections,
                      config_.tcp_max_queries_per_connection});
        err = listener.tcp->adopt(p.fd);
      }
      passed_listeners_.push_back(std::move(listener));
      if (!err.empty()) return err;
      if (role_.index == 0) {
        LOG_INFO("listening on " << p.local << " (passed by systemd"
                                 << (p.name.empty() ? "" : ": " + p.name) << ")");
      }
    }
    if (role_.index == 0) {
      LOG_INFO("[server] listen is not used: systemd passed the listening sockets");
    }
  } else {
    for (const auto& ep : config_.listen) {
      if (auto err = open_listener(ep); !err.empty()) return err;
    }
  }
  if (role_.index == 0) log_start_up();
  return "";
}

void Server::on_heartbeat(uv_timer_t* t) noexcept {
  auto* self = static_cast<Server*>(t->data);
  self->group_.beat(self->role_.index, monotonic_ms());
}

void Server::probe_upstream() {
  if (stopping_ || !upstream_ || probe_tag_ != 0 || group_.upstream_answered.load()) return;
  probe_tag_ = next_tid_++;
  send_upstream({resolver::Name::root(), resolver::RRType::NS}, probe_tag_, UpstreamTransport::Udp);
}

void Server::drain() {
  if (stopping_) return;
  for (auto& l : listeners_) {
    l.tcp->close();
    if (auto err = l.udp->stop_new_datagrams(); !err.empty()) {
      LOG_WARN(err);
      l.udp->close();
    }
  }
  // Passed sockets are systemd's too: it keeps them, with what is queued on them, for the
  // next start of the service. Only this process's descriptors close; connecting them would
  // leave systemd's sockets connected, deaf to every client.
  for (auto& l : passed_listeners_) {
    if (l.tcp) l.tcp->close();
    if (l.udp) l.udp->close();
  }
}

void Server::log_start_up() const {
  LOG_INFO("forwarding to " << upstream_->servers_text());
  if (anchors_.empty()) {
    LOG_WARN("no trust anchor configured: nothing can be validated, every answer is insecure");
  } else {
    std::string zones;
    for (const auto& a : anchors_.anchors())
      zones += (zones.empty() ? "" : ", ") + a.zone.to_string();
    LOG_INFO("validating from trust anchors for " << zones);
  }
  if (!config_.negative_trust_anchors.empty()) {
    std::string names;
    for (const auto& n : config_.negative_trust_anchors) {
      names += (names.empty() ? "" : ", ") + n.zone;
      if (n.until) names += " (until " + resolver::format_utc(*n.until) + ")";
    }
    LOG_WARN("negative trust anchors (RFC 7646): answers at or below " << names
                                                                       << " are not validated");
  }
  for (const auto& f : forwards_) {
    LOG_INFO("forwarding " << f.zone.to_string() << " to " << f.upstream->servers_text()
                           << (f.config.dnssec == config::ForwardDnssec::Insecure
                                   ? " (dnssec = \"insecure\": not validated)"
                                   : " (validated)"));
  }
  if (const auto zones = config::private_zones(config_); !zones.empty()) {
    LOG_INFO("private zones are not validated ("
             << zones.size() << " zones: " << zones.front() << " ... " << zones.back()
             << "; [dnssec] private_zones" << (config_.private_zones ? "" : ", the defaults")
             << ")");
  }
}

std::string Server::open_listener(const config::Endpoint& ep) {
  auto addr = to_socket_address(ep);
  if (!addr) return "cannot listen on " + config::to_string(ep) + ": not an IP address";
  // [server] reuse_port: a new process may bind beside this one (handover), so the port is
  // shared on purpose and not checked for another holder.
  const PortSharing sharing =
      role_.count > 1 || config_.reuse_port ? PortSharing::ReusePort : PortSharing::Exclusive;
  if (sharing == PortSharing::ReusePort && role_.index == 0 && !config_.reuse_port) {
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      if (const int rc = probe_exclusive(*addr, type); rc < 0) {
        return std::string("cannot listen on ") + (type == SOCK_DGRAM ? "udp " : "tcp ") +
               config::to_string(ep) + ": " + uv_strerror(rc);
      }
    }
  }
  Listener listener{ep, std::make_unique<UdpListener>(loop_, *this),
                    std::make_unique<TcpListener>(
                        loop_, *this,
                        TcpLimits{config_.tcp_idle_timeout_ms, config_.tcp_max_connections,
                                  config_.tcp_max_queries_per_connection})};
  const uint32_t receive_buffer =
      config_.udp_receive_buffer.value_or(config::kDefaultUdpReceiveBuffer);
  auto err = listener.udp->start(*addr, sharing, receive_buffer);
  if (err.empty()) err = listener.tcp->start(*addr, sharing);
  if (!err.empty()) {
    listener.udp->close();
    listener.tcp->close();
    retired_listeners_.push_back(std::move(listener));  // freed after the loop closed them
    return err;
  }
  // Linux reports twice the size asked (the other half is its bookkeeping): in the
  // setting's terms the socket got half of what it reports.
  const uint32_t granted = listener.udp->receive_buffer() / 2;
  listeners_.push_back(std::move(listener));
  if (role_.index != 0) return "";
  LOG_INFO("listening on " << config::to_string(ep) << " (udp, tcp; UDP receive buffer "
                           << granted / 1024 << " KiB)");
  // The default is best effort (a proxy started as a plain user gets rmem_max); a value
  // the operator set and did not get is worth a line.
  if (config_.udp_receive_buffer && granted < receive_buffer) {
    LOG_WARN("udp " << config::to_string(ep) << ": the kernel granted a receive buffer of "
                    << granted / 1024 << " KiB, not the " << receive_buffer / 1024
                    << " KiB of [server] udp_receive_buffer: start the proxy as root (or with "
                       "CAP_NET_ADMIN), or raise net.core.rmem_max (sysctl); bursts beyond "
                       "it are dropped by the kernel");
  }
  return "";
}

std::vector<std::string> Server::reload(config::Config next,
                                        std::optional<resolver::TrustAnchors> anchors) {
  std::vector<std::string> problems;
  if (stopping_) return problems;
  // Listeners: keep those still configured, close the others, open the new ones. Sockets
  // systemd passed stay: [server] listen is not used with them.
  if (!passed_listeners_.empty()) {
    if (next.listen != config_.listen && role_.index == 0) {
      LOG_INFO("reload: [server] listen is not used: systemd passed the listening sockets");
    }
    next.listen = config_.listen;
  }
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (std::find(next.listen.begin(), next.listen.end(), it->endpoint) != next.listen.end()) {
      ++it;
      continue;
    }
    if (role_.index == 0)
      LOG_INFO("reload: no longer listening on " << config::to_string(it->endpoint));
    it->udp->close();
    it->tcp->close();
    retired_listeners_.push_back(std::move(*it));
    it = listeners_.erase(it);
  }
  config_.tcp_idle_timeout_ms = next.tcp_idle_timeout_ms;  // for listeners opened from now on
  config_.tcp_max_connections = next.tcp_max_connections;
  config_.tcp_max_queries_per_connection = next.tcp_max_queries_per_connection;
  config_.udp_receive_buffer = next.udp_receive_buffer;
  // With passed sockets [server] listen binds nothing, now or on reload.
  for (const auto& ep : passed_listeners_.empty() ? next.listen : std::vector<config::Endpoint>{}) {
    const bool open = std::any_of(listeners_.begin(), listeners_.end(),
                                  [&ep](const Listener& l) { return l.endpoint == ep; });
    if (open) continue;
    if (auto err = open_listener(ep); !err.empty()) {
      problems.push_back(err + (ep.port < 1024 && geteuid() != 0
                                    ? " (a port below 1024 needs root or CAP_NET_BIND_SERVICE, "
                                      "and the proxy dropped root after start-up: restart it)"
                                    : ""));
    }
  }
  // Upstreams: queries in flight finish on the old servers.
  if (const auto settings = UpstreamSettings::of(next);
      settings != UpstreamSettings::of(config_) && upstream_) {
    if (auto err = upstream_->reconfigure(settings); !err.empty()) {
      problems.push_back("cannot switch upstreams: " + err);
    }
    if (role_.index == 0) LOG_INFO("reload: forwarding to " << upstream_->servers_text());
  }
  // Split DNS: changed zones get their new servers and lose their cached data.
  if (next.forwards != config_.forwards) {
    if (auto err = set_forwards(next, false); !err.empty()) problems.push_back(err);
  }
  // Validation policy for new validations.
  limits_ = validation_limits(next.limits);
  insecure_why_.clear();
  std::vector<resolver::Name> ntas = negative_anchors(next, &insecure_why_);
  const bool ntas_changed = ntas != negative_anchors_;
  std::vector<resolver::Name> old_ntas = std::exchange(negative_anchors_, std::move(ntas));
  if (anchors && *anchors != anchors_) {
    if (role_.index == 0) LOG_INFO("reload: trust anchors changed; emptying the caches");
    set_trust_anchors(std::move(*anchors));
  } else if (next.root_key_sentinel != config_.root_key_sentinel) {
    // Sentinel answers kept under the other setting are stale.
    if (role_.index == 0) LOG_INFO("reload: root_key_sentinel changed; emptying the answer cache");
    answer_cache_.clear();
  } else if (ntas_changed) {
    forget_answers_below(changed_names(old_ntas, negative_anchors_), "reload: ");
  }
  if (next.cache != config_.cache) {
    problems.push_back("[cache] settings take effect at the next restart");
  }
  if (next.user != config_.user || next.group != config_.group) {
    problems.push_back("[server] user and group take effect at the next restart");
  }
  if (next.dnstap != config_.dnstap) {
    // The writer's I/O thread and its connection are the process's, made once at start.
    problems.push_back("[dnstap] settings take effect at the next restart");
  }
  next.cache = config_.cache;    // what the caches really use
  next.dnstap = config_.dnstap;  // what the writer really uses
  query_log_.set_rate(next.log_queries_per_second);
  config_ = std::move(next);
  return problems;
}

size_t Server::forget_answers_below(const std::vector<resolver::Name>& names,
                                    std::string_view log_prefix) {
  // Cached verdicts at or below an added or removed negative trust anchor (or insecure or
  // private zone) are stale; answers elsewhere are not. The cache is shared: loop 0 does it.
  if (role_.index != 0) return 0;
  size_t total = 0;
  for (const auto& name : names) {
    const size_t dropped = answer_cache_.clear_below(name);
    total += dropped;
    LOG_INFO(log_prefix << name.to_string() << " is validated differently now; dropped " << dropped
                        << " answers at or below it");
  }
  return total;
}

size_t Server::set_negative_trust_anchors(std::vector<config::NegativeTrustAnchor> ntas) {
  if (stopping_) return 0;
  config_.negative_trust_anchors = std::move(ntas);
  insecure_why_.clear();
  std::vector<resolver::Name> next = negative_anchors(config_, &insecure_why_);
  if (next == negative_anchors_) return 0;
  std::vector<resolver::Name> old = std::exchange(negative_anchors_, std::move(next));
  return forget_answers_below(changed_names(old, negative_anchors_), "");
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto* list : {&listeners_, &passed_listeners_}) {
    for (auto& l : *list) {
      if (l.udp) l.udp->close();
      if (l.tcp) l.tcp->close();
    }
  }
  if (heartbeat_open_) {
    heartbeat_open_ = false;
    group_.beat(role_.index, 0);  // a stopped loop is not a stuck one
    uv_close(reinterpret_cast<uv_handle_t*>(&heartbeat_timer_), nullptr);
  }
  // Copy: closing a connection removes it from the map.
  std::vector<TcpConnection*> conns;
  for (auto& [id, c] : connections_) conns.push_back(c);
  for (auto* c : conns) c->close();
  // Outstanding queries come back Cancelled and are dropped.
  if (upstream_) upstream_->shutdown();
  for (auto& f : forwards_) f.upstream->shutdown();
  explain_.stop();
  retry_tags_.clear();
  if (wake_open_) {
    wake_open_ = false;
    group_.detach(role_.index);
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  }
  for (const auto& [key, tid] : in_flight_) group_.land(key);  // parked elsewhere: retry there
  group_.in_flight -= transactions_.size();
  transactions_.clear();
  in_flight_.clear();
  for (auto& [key, queries] : parked_) group_.in_flight -= queries.size();
  parked_.clear();
  parked_ids_.clear();
  subqueries_.clear();
  subquery_by_key_.clear();
  deadlines_.clear();
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_timer_), nullptr);
  }
}

void Server::connection_opened(TcpConnection* c) {
  connections_.emplace(c->id(), c);
  ++connections_alive_;
  ++group_.tcp_connections;
  publish_gauges();
}

void Server::connection_closed(uint64_t id) {
  if (connections_.erase(id) != 0) --group_.tcp_connections;
  publish_gauges();
}

Server::Transaction& Server::add_transaction(uint64_t tid, Transaction t) {
  ++group_.in_flight;
  if (t.started_us == 0) t.started_us = uv_hrtime() / 1000;
  return transactions_.emplace(tid, std::move(t)).first->second;
}

void Server::erase_transaction(std::unordered_map<uint64_t, Transaction>::iterator it) {
  --group_.in_flight;
  transactions_.erase(it);
  publish_gauges();
}

ClientAddresses Server::addresses_of(const ClientRef& client) const {
  if (const auto* udp = std::get_if<UdpClient>(&client)) return {udp->address, std::nullopt};
  auto it = connections_.find(std::get<TcpClient>(client).connection);
  if (it == connections_.end()) return {};
  return {it->second->peer(), it->second->local()};
}

}  // namespace dnsp::proxy
