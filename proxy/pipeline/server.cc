// Server's life: the caches every loop shares, start-up (listeners, upstreams, timers),
// SIGHUP reload, stop, and the bookkeeping of TCP connections and transactions. The query
// pipeline itself: query_arrives.cc -> upstream_answers_leave.cc -> answers_leave.cc (deadlines.cc
// watches them all).
#include "proxy/pipeline/server.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <variant>

#include "proxy/log.h"
#include "proxy/settings.h"

namespace dnsp::proxy {

namespace {

// [cache] max_size bounds every cache: an eighth for validated keys, an eighth for the
// NSEC/NSEC3 records of RFC 8198 (when aggressive_nsec is on), the rest for answers.
size_t aggressive_share(const config::CacheSettings& c) {
  return c.aggressive_nsec ? c.max_size / 8 : 0;
}

// [dnssec] negative_trust_anchors as names (config/ checked and normalised them).
std::vector<resolver::Name> negative_anchors(const config::Config& c) {
  std::vector<resolver::Name> names;
  for (const auto& text : c.negative_trust_anchors) {
    if (auto name = resolver::Name::from_text(text)) names.push_back(*name);
  }
  return names;
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
  negative_anchors_ = negative_anchors(config_);
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
  auto made = make_upstream(
      loop_, [this](UpstreamReply&& r) { on_upstream(std::move(r)); },
      UpstreamSettings::of(config_), &stats_.transport);
  if (!made) return made.error();
  upstream_ = std::move(*made);
  for (const auto& ep : config_.listen) {
    if (auto err = open_listener(ep); !err.empty()) return err;
  }
  if (role_.index == 0) log_start_up();
  return "";
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
  if (!negative_anchors_.empty()) {
    std::string names;
    for (const auto& n : negative_anchors_) names += (names.empty() ? "" : ", ") + n.to_string();
    LOG_WARN("negative trust anchors (RFC 7646): answers at or below " << names
                                                                       << " are not validated");
  }
}

std::string Server::open_listener(const config::Endpoint& ep) {
  auto addr = to_socket_address(ep);
  if (!addr) return "cannot listen on " + config::to_string(ep) + ": not an IP address";
  const PortSharing sharing = role_.count > 1 ? PortSharing::ReusePort : PortSharing::Exclusive;
  if (sharing == PortSharing::ReusePort && role_.index == 0) {
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
  auto err = listener.udp->start(*addr, sharing);
  if (err.empty()) err = listener.tcp->start(*addr, sharing);
  if (!err.empty()) {
    listener.udp->close();
    listener.tcp->close();
    retired_listeners_.push_back(std::move(listener));  // freed after the loop closed them
    return err;
  }
  listeners_.push_back(std::move(listener));
  if (role_.index == 0) LOG_INFO("listening on " << config::to_string(ep) << " (udp, tcp)");
  return "";
}

std::vector<std::string> Server::reload(config::Config next,
                                        std::optional<resolver::TrustAnchors> anchors) {
  std::vector<std::string> problems;
  if (stopping_) return problems;
  // Listeners: keep those still configured, close the others, open the new ones.
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
  for (const auto& ep : next.listen) {
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
  // Validation policy for new validations.
  limits_ = validation_limits(next.limits);
  std::vector<resolver::Name> ntas = negative_anchors(next);
  const bool ntas_changed = ntas != negative_anchors_;
  negative_anchors_ = std::move(ntas);
  if (anchors && *anchors != anchors_) {
    if (role_.index == 0) LOG_INFO("reload: trust anchors changed; emptying the caches");
    set_trust_anchors(std::move(*anchors));
  } else if (ntas_changed || next.root_key_sentinel != config_.root_key_sentinel) {
    // Cached verdicts at or below an added or removed negative trust anchor are stale, and
    // so are sentinel answers kept under the other setting.
    if (role_.index == 0) {
      LOG_INFO("reload: " << (ntas_changed ? "negative trust anchors" : "root_key_sentinel")
                          << " changed; emptying the answer cache");
    }
    answer_cache_.clear();
  }
  if (next.cache != config_.cache) {
    problems.push_back("[cache] settings take effect at the next restart");
  }
  if (next.user != config_.user || next.group != config_.group) {
    problems.push_back("[server] user and group take effect at the next restart");
  }
  next.cache = config_.cache;  // what the caches really use
  config_ = std::move(next);
  return problems;
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& l : listeners_) {
    l.udp->close();
    l.tcp->close();
  }
  // Copy: closing a connection removes it from the map.
  std::vector<TcpConnection*> conns;
  for (auto& [id, c] : connections_) conns.push_back(c);
  for (auto* c : conns) c->close();
  // Outstanding queries come back Cancelled and are dropped.
  if (upstream_) upstream_->shutdown();
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
