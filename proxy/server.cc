#include "proxy/server.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <variant>

#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/settings.h"
#include "resolver/anchors/sentinel.h"
#include "resolver/explain/vocabulary.h"  // ede_name
#include "resolver/serve/replies.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

using resolver::EdeCode;
using resolver::ExtendedError;
using resolver::RCode;

namespace {

// [cache] max_size bounds every cache: an eighth for validated keys, an eighth for the
// NSEC/NSEC3 records of RFC 8198 (when aggressive_nsec is on), the rest for answers.
size_t aggressive_share(const config::CacheSettings& c) {
  return c.aggressive_nsec ? c.max_size / 8 : 0;
}

resolver::Transport transport_of(const ClientRef& client) {
  return std::holds_alternative<TcpClient>(client) ? resolver::Transport::Tcp
                                                   : resolver::Transport::Udp;
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
  return g;
}

Server::Server(uv_loop_t* loop, config::Config config, resolver::TrustAnchors anchors,
               Shared& caches, LoopRole role)
    : loop_(loop),
      config_(std::move(config)),
      upstream_(loop, [this](UpstreamReply&& r) { on_upstream(std::move(r)); }),
      upstream_tcp_(loop, [this](UpstreamReply&& r) { on_upstream(std::move(r)); }),
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
  for (auto [channel, transport] : {std::pair{&upstream_, Upstream::Transport::Udp},
                                    std::pair{&upstream_tcp_, Upstream::Transport::Tcp}}) {
    if (auto err = channel->init(config_.upstreams, config_.upstream_timeout_ms,
                                 config_.upstream_attempts, transport);
        !err.empty()) {
      return err;
    }
  }
  for (const auto& ep : config_.listen) {
    if (auto err = open_listener(ep); !err.empty()) return err;
  }
  if (role_.index == 0) log_start_up();
  return "";
}

void Server::log_start_up() const {
  LOG_INFO("forwarding to " << upstream_.servers_text());
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
  if (next.upstreams != config_.upstreams ||
      next.upstream_timeout_ms != config_.upstream_timeout_ms ||
      next.upstream_attempts != config_.upstream_attempts) {
    for (Upstream* channel : {&upstream_, &upstream_tcp_}) {
      if (auto err = channel->reconfigure(next.upstreams, next.upstream_timeout_ms,
                                          next.upstream_attempts);
          !err.empty()) {
        problems.push_back("cannot switch upstreams: " + err);
      }
    }
    if (role_.index == 0) LOG_INFO("reload: forwarding to " << upstream_.servers_text());
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
  upstream_.shutdown();  // outstanding queries come back Cancelled and are dropped
  upstream_tcp_.shutdown();
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

void Server::park(const resolver::CacheKey& key, std::span<const uint8_t> packet,
                  const ClientRef& client, uint64_t deadline) {
  ++stats_.coalesced;
  ++group_.in_flight;
  // The other loop's flight lands by its own deadline, but nothing here should rest on
  // another loop keeping its promise: a parked query has the deadline it came with.
  const uint64_t id = next_tid_++;
  parked_[key].push_back(
      Parked{{packet.begin(), packet.end()}, client, id, deadlines_.emplace(deadline, id)});
  parked_ids_.emplace(id, key);
  arm_deadline_timer();
}

bool Server::expire_parked(Deadlines::iterator entry) {
  auto ids = parked_ids_.find(entry->second);
  if (ids == parked_ids_.end()) return false;
  const uint64_t id = ids->first;
  auto list = parked_.find(ids->second);
  parked_ids_.erase(ids);
  deadlines_.erase(entry);
  if (list == parked_.end()) return true;  // cannot happen: woken queries leave parked_ids_
  auto& queries = list->second;
  auto p =
      std::find_if(queries.begin(), queries.end(), [id](const Parked& q) { return q.id == id; });
  if (p == queries.end()) return true;  // cannot happen either
  Parked expired = std::move(*p);
  queries.erase(p);
  if (queries.empty()) parked_.erase(list);
  --group_.in_flight;
  ++stats_.deadline_missed;
  // It was a ClientQuery when parked; checked again only to build the reply.
  auto check = resolver::check_query(expired.packet);
  if (auto* query = std::get_if<resolver::ClientQuery>(&check)) {
    const ExtendedError ede = resolver::failure_ede(
        resolver::FetchFailure::Deadline, upstream_.servers_text(), config_.query_timeout_ms);
    send_to(expired.client, resolver::error_reply(*query, true, RCode::ServFail, &ede));
  }
  return true;
}

void Server::on_wake(uv_async_t* handle) noexcept {
  auto* self = static_cast<Server*>(handle->data);
  std::vector<resolver::CacheKey> landed;
  {
    std::lock_guard lock(self->landed_mu_);
    landed.swap(self->landed_);
  }
  for (const auto& key : landed) {
    auto node = self->parked_.extract(key);
    if (node.empty()) continue;
    // Asked again: now a cache hit, or (a failure: nothing cached) a flight of our own
    // that the others follow, still due by the deadline the query came with.
    for (auto& p : node.mapped()) {
      --self->group_.in_flight;
      const uint64_t deadline = p.deadline->first;
      self->deadlines_.erase(p.deadline);
      self->parked_ids_.erase(p.id);
      self->resolve(p.packet, p.client, Requery::Yes, deadline);
    }
  }
  self->arm_deadline_timer();
}

void Server::handle_query(std::span<const uint8_t> packet, const ClientRef& client,
                          Requery requery) {
  resolve(packet, client, requery, uv_now(loop_) + config_.query_timeout_ms);
}

void Server::resolve(std::span<const uint8_t> packet, const ClientRef& client, Requery requery,
                     uint64_t deadline) {
  if (stopping_) return;
  if (requery == Requery::No) {
    ++(std::holds_alternative<TcpClient>(client) ? stats_.queries_tcp : stats_.queries_udp);
  }
  auto check = resolver::check_query(packet);
  if (std::holds_alternative<resolver::DropQuery>(check)) {
    ++stats_.dropped;
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
  if (query.explain) {  // a request for a trace, not an answer: proxy/explain_service.h
    explain_.handle(query, client, addresses_of(client),
                    {config_, anchors_, limits_, negative_anchors_});
    return;
  }
  const auto transport = transport_of(client);
  // The hot path: a validated answer from memory. CD queries always go upstream: the
  // client wants the data as the upstream has it (RFC 4035 §3.2.2).
  if (!query.checking_disabled()) {
    bool refresh = false;
    if (answer_cache_.lookup(query, packet, resolver::reply_limit(query, transport), uv_now(loop_),
                             hit_buffer_, &refresh)) {
      ++stats_.cache_hits;
      send_to(client, hit_buffer_);
      if (refresh) prefetch(query);
      return;
    }
    if (config_.cache.aggressive_nsec && answer_aggressively(query, client, transport)) return;
  }
  // [server] max_queries_in_flight, all loops together: past it SERVFAIL at once rather
  // than memory without bound.
  if (group_.in_flight.load(std::memory_order_relaxed) >= config_.max_queries_in_flight) {
    ++stats_.overloaded;
    const ExtendedError ede{EdeCode::Other, "too many queries in flight; try again"};
    send_to(client, resolver::error_reply(query, true, RCode::ServFail, &ede));
    return;
  }
  const uint64_t tid = next_tid_++;
  const auto key = flight_key(query);
  if (auto leader = in_flight_.find(key); leader != in_flight_.end()) {
    // The same question is already being resolved: wait for its outcome.
    auto lt = transactions_.find(leader->second);
    if (lt != transactions_.end()) {
      ++stats_.coalesced;
      lt->second.followers.push_back(tid);
      add_transaction(tid, Transaction{.query = query,
                                       .client = client,
                                       .deadline = deadlines_.emplace(deadline, tid)});
      arm_deadline_timer();
      return;
    }
  }
  if (group_.claim(key, role_.index) == LoopGroup::Claim::Elsewhere) {
    park(key, packet, client, deadline);
    return;
  }
  in_flight_[key] = tid;
  LOG_DEBUG("query " << tid << ": " << query.question.name.to_string() << " "
                     << resolver::to_string(query.question.type));
  add_transaction(tid, Transaction{.query = query,
                                   .client = client,
                                   .deadline = deadlines_.emplace(deadline, tid),
                                   .leads = true});
  arm_deadline_timer();
  send_upstream(upstream_, resolver::upstream_query(query.question, 0), tid);
}

void Server::prefetch(const resolver::ClientQuery& query) {
  const auto key = flight_key(query);
  // Already being resolved, or busy: the entry simply expires as it would have.
  if (in_flight_.count(key) != 0 || group_.in_flight.load() >= config_.max_queries_in_flight / 2)
    return;
  if (group_.claim(key, role_.index) == LoopGroup::Claim::Elsewhere) return;
  const uint64_t tid = next_tid_++;
  ++stats_.prefetches;
  in_flight_[key] = tid;
  LOG_DEBUG("query " << tid << ": prefetching " << query.question.name.to_string() << " "
                     << resolver::to_string(query.question.type));
  add_transaction(
      tid,
      Transaction{.query = query,
                  .client = TcpClient{0},  // no connection has id 0: nothing is sent
                  .deadline = deadlines_.emplace(uv_now(loop_) + config_.query_timeout_ms, tid),
                  .leads = true,
                  .background = true});
  arm_deadline_timer();
  send_upstream(upstream_, resolver::upstream_query(query.question, 0), tid);
}

bool Server::answer_stale(uint64_t tid, const ExtendedError& failure) {
  if (!config_.cache.serve_stale) return false;
  auto it = transactions_.find(tid);
  if (it == transactions_.end() || it->second.query.checking_disabled()) return false;
  Transaction& t = it->second;
  if (t.background) return false;  // a failed prefetch: the entry just expires
  const auto transport = transport_of(t.client);
  std::vector<uint8_t> reply;
  if (!answer_cache_.lookup_stale(t.query, resolver::reply_limit(t.query, transport), uv_now(loop_),
                                  reply)) {
    return false;
  }
  ++stats_.stale_answers;
  LOG_INFO("stale: " << t.query.question.name.to_string() << " "
                     << resolver::to_string(t.query.question.type) << ": " << failure.text
                     << "; answering from the expired cache entry (RFC 8767)");
  const std::optional<resolver::CacheKey> landing = landing_key(t);
  auto followers = release_followers(t);
  finish(tid, std::move(reply));
  for (uint64_t fid : followers) {
    if (!answer_stale(fid, failure)) fail(fid, RCode::ServFail, &failure);
  }
  if (landing) group_.land(*landing);
  return true;
}

resolver::CacheKey Server::flight_key(const resolver::ClientQuery& q) {
  auto key = resolver::CacheKey::of(q);
  if (q.checking_disabled()) key.shape |= 4;  // CD answers are never shared with others
  return key;
}

std::vector<uint64_t> Server::release_followers(Transaction& t) {
  if (t.leads) {
    const auto key = flight_key(t.query);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) in_flight_.erase(it);
    t.leads = false;
  }
  return std::move(t.followers);
}

namespace {

// logfmt value: bare when it is one safe word, else quoted with \ and " escaped.
std::string logfmt_value(std::string_view v) {
  const bool bare = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return c > ' ' && c != '"' && c != '=' && c != '\\' && static_cast<unsigned char>(c) < 0x7F;
  });
  if (bare) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n') ? ' ' : c;
  }
  out += '"';
  return out;
}

}  // namespace

void Server::log_bogus(const Transaction& t, const resolver::Verdict& verdict,
                       const ExtendedError& ede) const {
  if (!log_enabled(LogLevel::Info)) return;
  std::string client;
  if (t.background) {
    client = "prefetch";
  } else if (const auto* udp = std::get_if<UdpClient>(&t.client)) {
    client = to_string(udp->address.get());
  } else {
    client = "tcp#" + std::to_string(std::get<TcpClient>(t.client).connection);
  }
  // One line, key=value (logfmt), stable keys: event name qname qtype zone ede ede_name text
  // client upstream. The text is the EDE the client got, word for word.
  log_line(LogLevel::Info,
           "event=bogus qname=" + logfmt_value(t.query.question.name.to_string()) +
               " qtype=" + logfmt_value(resolver::to_string(t.query.question.type)) +
               " zone=" + logfmt_value(verdict.zone.to_string()) +
               " ede=" + std::to_string(static_cast<int>(ede.code)) +
               " ede_name=" + logfmt_value(resolver::ede_name(ede.code)) +
               " text=" + logfmt_value(ede.text) + " client=" + logfmt_value(client) +
               " upstream=" + logfmt_value((t.retried ? upstream_tcp_ : upstream_).servers_text()) +
               (t.retried ? " retried=tcp" : ""));
}

void Server::send_upstream(Upstream& channel, std::span<const uint8_t> query, uint64_t tag) {
  ++stats_.upstream_queries;
  channel.send(query, tag);
}

void Server::on_upstream(UpstreamReply&& reply) {
  stats_.count_upstream(reply.status, reply.elapsed_ms);
  if (subqueries_.count(reply.tag) != 0) {
    on_subquery(reply.tag, std::move(reply));
  } else if (auto r = retry_tags_.find(reply.tag); r != retry_tags_.end()) {
    const uint64_t tid = r->second;
    retry_tags_.erase(r);
    on_answer(tid, std::move(reply));
  } else {
    on_answer(reply.tag, std::move(reply));
  }
}

bool Server::retry_over_tcp(uint64_t tid, const resolver::Verdict& verdict) {
  using resolver::Reason;
  if (verdict.security != resolver::Security::Bogus) return false;
  if (verdict.reason != Reason::RrsigsMissing && verdict.reason != Reason::DnskeyMissing &&
      verdict.reason != Reason::NsecMissing && verdict.reason != Reason::UpstreamStripsDnssec) {
    return false;
  }
  auto it = transactions_.find(tid);
  if (it == transactions_.end() || it->second.retried) return false;
  Transaction& t = it->second;
  LOG_INFO("query " << tid << ": " << resolver::ede_text(verdict)
                    << "; asking again over TCP before calling it bogus");
  t.retried = true;
  // What the first try learned from the missing records must not decide the second one;
  // other zones' bogus entries stay (RFC 9520).
  if (t.validation) key_cache_.forget_bogus(t.validation->bogus_key_zones());
  t.validation.reset();
  t.answer.reset();
  const uint64_t tag = next_tid_++;
  retry_tags_.emplace(tag, tid);
  send_upstream(upstream_tcp_, resolver::upstream_query(t.query.question, 0), tag);
  return true;
}

void Server::fail_upstream(uint64_t tid, UpstreamStatus status) {
  resolver::FetchFailure failure = resolver::FetchFailure::BadReply;
  switch (status) {
    case UpstreamStatus::Answered:
    case UpstreamStatus::BadReply:
      failure = resolver::FetchFailure::BadReply;
      break;
    case UpstreamStatus::Timeout:
      failure = resolver::FetchFailure::Timeout;
      break;
    case UpstreamStatus::Unreachable:
      failure = resolver::FetchFailure::Unreachable;
      break;
    case UpstreamStatus::ServerFailed:
      failure = resolver::FetchFailure::ServerFailed;
      break;
    case UpstreamStatus::Cancelled: {
      // Only stop() cancels (Upstream::shutdown), and it drops every transaction, flight and
      // follower itself. A cancel at any other time must still answer the client, land the
      // flight and wake its followers: fail() does all three.
      if (!stopping_) {
        failure = resolver::FetchFailure::Unreachable;
        break;
      }
      auto it = transactions_.find(tid);
      if (it == transactions_.end()) return;
      deadlines_.erase(it->second.deadline);
      erase_transaction(it);
      return;
    }
  }
  const ExtendedError ede =
      resolver::failure_ede(failure, upstream_.servers_text(), config_.query_timeout_ms);
  if (answer_stale(tid, ede)) return;
  fail(tid, RCode::ServFail, &ede);
}

void Server::on_answer(uint64_t tid, UpstreamReply&& reply) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;  // already answered (deadline) or shutting down
  Transaction& t = it->second;
  if (reply.status != UpstreamStatus::Answered) {
    fail_upstream(tid, reply.status);
    return;
  }
  auto answer = std::make_shared<Answer>();
  answer->packet = std::move(reply.packet);
  auto msg = resolver::Message::parse(answer->packet);
  if (!msg) {
    const ExtendedError ede{
        EdeCode::NetworkError,
        "upstream sent a malformed reply (" + std::string(resolver::to_string(msg.error())) + ")"};
    fail(tid, RCode::ServFail, &ede);
    return;
  }
  answer->message = std::move(*msg);
  t.answer = std::move(answer);
  if (t.query.checking_disabled()) {
    // RFC 4035 §3.2.2: CD set, the client validates; hand over the data as received.
    advance(tid, resolver::Finished{{resolver::Security::Indeterminate, resolver::Reason::None,
                                     t.query.question.name, "checking disabled"}});
    return;
  }
  if (const resolver::Name* nta = negative_anchor_for(t.query.question.name)) {
    // RFC 7646 §2: the operator turned validation off at and below this name.
    LOG_INFO("insecure: " << t.query.question.name.to_string() << " "
                          << resolver::to_string(t.query.question.type)
                          << ": not validated, at or below the negative trust anchor "
                          << nta->to_string() << " ([dnssec] negative_trust_anchors, RFC 7646)");
    advance(tid, resolver::Finished{resolver::negative_anchor_verdict(*nta)});
    return;
  }
  t.validation =
      std::make_unique<resolver::Validation>(anchors_, key_cache_, limits_, wall_clock_now());
  advance(tid, t.validation->start(t.query.question, t.answer->message));
}

void Server::advance(uint64_t tid, resolver::Step step) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  if (auto* need = std::get_if<resolver::NeedRecords>(&step)) {
    fetch(tid, *need);
    return;
  }
  if (retry_over_tcp(tid, std::get<resolver::Finished>(step).verdict)) return;
  // Identical queries that waited for this one get the same verdict on the same answer,
  // after it.
  const std::optional<resolver::CacheKey> landing = landing_key(it->second);
  auto followers = release_followers(it->second);
  const auto answer = it->second.answer;
  complete(tid, step);
  for (uint64_t fid : followers) {
    auto ft = transactions_.find(fid);
    if (ft == transactions_.end()) continue;  // gave up (deadline) meanwhile
    ft->second.answer = answer;
    complete(fid, step);
  }
  // After the answer is cached: loops that parked this question ask again and hit.
  if (landing) group_.land(*landing);
}

void Server::complete(uint64_t tid, const resolver::Step& step) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  Transaction& t = it->second;
  const auto& verdict = std::get<resolver::Finished>(step).verdict;
  // The EDE this reply carries, if any: one policy for the daemon and explain.
  const auto note = resolver::reply_ede(verdict, upstream_.servers_text());
  if (verdict.security == resolver::Security::Bogus) {
    const ExtendedError& ede = *note;
    if (verdict.reason == resolver::Reason::UpstreamStripsDnssec) {
      // Nothing can be validated through such an upstream: say so where it will be seen.
      LOG_WARN(ede.text << ": configure an upstream that passes RRSIGs through (DO=1)");
    }
    stats_.count_bogus(ede.code);
    log_bogus(t, verdict, ede);
    if (!t.query.checking_disabled()) answer_cache_.store_bogus(t.query, ede, uv_now(loop_));
    fail(tid, RCode::ServFail, &ede);
    return;
  }
  if (verdict.security == resolver::Security::Secure && config_.root_key_sentinel) {
    // RFC 8509 §3.2: a sentinel name, answered from the root anchors in use now. The
    // SERVFAIL is not cached; a kept answer is (set_trust_anchors empties the cache).
    if (const auto s = resolver::parse_sentinel(t.query.question.name, t.query.question.type);
        s && !resolver::sentinel_keeps_answer(*s, anchors_)) {
      const ExtendedError ede{resolver::EdeCode::Other,
                              "root key sentinel (RFC 8509): key " + std::to_string(s->key_tag) +
                                  (s->kind == resolver::Sentinel::Kind::IsTa ? " is not" : " is") +
                                  " a root trust anchor here"};
      fail(tid, RCode::ServFail, &ede);
      return;
    }
  }
  switch (verdict.security) {
    case resolver::Security::Secure:
      ++stats_.secure;
      break;
    case resolver::Security::Insecure:
      ++stats_.insecure;
      break;
    default:
      ++stats_.unchecked;
      break;
  }
  LOG_DEBUG("query " << tid << ": " << resolver::to_string(verdict.security)
                     << (verdict.reason == resolver::Reason::None
                             ? std::string()
                             : " (" + resolver::ede_text(verdict) + ")"));
  const auto transport = transport_of(t.client);
  // RFC 4035 §3.2.3 / RFC 6840 §5.7-5.8: AD only for data we proved secure, and only when
  // the client signalled it understands it (DO or AD).
  const auto ad = verdict.security == resolver::Security::Secure && t.query.wants_ad()
                      ? resolver::AdBit::Set
                      : resolver::AdBit::Clear;
  const size_t limit = resolver::reply_limit(t.query, transport);
  // The rule (resolver/validate/proven.h): a secure reply holds only what the validation proved.
  const auto& finished = std::get<resolver::Finished>(step);
  const auto build = [&](size_t size) {
    const ExtendedError* ede = note ? &*note : nullptr;
    return verdict.security == resolver::Security::Secure
               ? resolver::secure_reply(t.query, t.answer->message, finished.proven, ad, size, ede)
               : resolver::forward_reply(t.query, t.answer->message, ad, size, ede);
  };
  auto full = build(65535);
  auto reply = full.size() <= limit ? full : build(limit);
  // RFC 8198: the NSEC/NSEC3 records and wildcards this validation verified answer later
  // misses. Only the leader has the validation; CD answers are never validated.
  if (config_.cache.aggressive_nsec && t.validation &&
      verdict.security == resolver::Security::Secure && !t.query.checking_disabled()) {
    aggressive_cache_.learn(verdict, t.validation->evidence(), t.answer->message, key_cache_,
                            wall_clock_now());
  }
  // Validated answers (secure or provably insecure) are kept; CD data and answers we
  // could not judge are not.
  if (!t.query.checking_disabled() && (verdict.security == resolver::Security::Secure ||
                                       verdict.security == resolver::Security::Insecure)) {
    answer_cache_.store(t.query, std::move(full), verdict.security,
                        std::get<resolver::Finished>(step).valid_until, wall_clock_now(),
                        uv_now(loop_));
  }
  finish(tid, std::move(reply));
}

void Server::fetch(uint64_t tid, const resolver::NeedRecords& need) {
  auto t = transactions_.find(tid);
  if (t == transactions_.end()) return;
  Upstream& channel = channel_for(t->second);
  const std::string key = need.name.lowercased().to_string() + "/" +
                          resolver::to_string(need.type) + (t->second.retried ? "/tcp" : "");
  if (auto it = subquery_by_key_.find(key); it != subquery_by_key_.end()) {
    subqueries_[it->second].waiters.push_back(tid);  // one fetch serves every waiter
    return;
  }
  const uint64_t tag = next_tid_++;
  resolver::Question q{need.name, need.type, resolver::RRClass::IN};
  subqueries_.emplace(tag, SubQuery{q, {tid}, key});
  subquery_by_key_.emplace(key, tag);
  LOG_DEBUG("query " << tid << ": fetching " << need.name.to_string() << " "
                     << resolver::to_string(need.type));
  send_upstream(channel, resolver::upstream_query(q, 0), tag);
}

void Server::on_subquery(uint64_t tag, UpstreamReply&& reply) {
  auto node = subqueries_.extract(tag);
  SubQuery& sub = node.mapped();
  subquery_by_key_.erase(sub.key);
  for (uint64_t tid : sub.waiters) {
    auto it = transactions_.find(tid);
    if (it == transactions_.end() || !it->second.validation) continue;
    if (reply.status != UpstreamStatus::Answered) {
      // A DS or DNSKEY that could not be fetched is an outage, not a bogus verdict.
      fail_upstream(tid, reply.status);
      continue;
    }
    advance(tid, it->second.validation->resume(reply.packet));
  }
}

bool Server::answer_aggressively(const resolver::ClientQuery& query, const ClientRef& client,
                                 resolver::Transport transport) {
  // RFC 7646: below a negative trust anchor nothing is validated, so nothing is proven.
  if (negative_anchor_for(query.question.name) != nullptr) return false;
  // RFC 8509: what a sentinel name gets depends on the anchors: complete() decides it.
  if (config_.root_key_sentinel &&
      resolver::parse_sentinel(query.question.name, query.question.type)) {
    return false;
  }
  const auto now = wall_clock_now();
  // Proven from validated records: Secure, so AD as complete() sets it (RFC 6840 §5.7-5.8).
  const auto ad = query.wants_ad() ? resolver::AdBit::Set : resolver::AdBit::Clear;
  // The proof in words only for the debug line below; building it costs more than the proof.
  auto synthesis = aggressive_cache_.answer(
      query, ad, resolver::reply_limit(query, transport), now,
      log_enabled(LogLevel::Debug) ? resolver::Wording::Full : resolver::Wording::Failures);
  if (!synthesis) return false;
  LOG_DEBUG("RFC 8198 synthesis for "
            << query.question.name.to_string() << " " << resolver::to_string(query.question.type)
            << ": " << resolver::to_string(synthesis->kind) << " from records of "
            << synthesis->zone.to_string() << " held (" << synthesis->detail << ")");
  send_to(client, synthesis->fitted.empty() ? synthesis->message : synthesis->fitted);
  // A name synthesised twice lately is kept in the answer cache so that its repeats take the
  // fast path; a name asked once is not: a flood of random names under a signed zone (a
  // "water torture" attack, one use of RFC 8198) must not evict the answers clients reuse.
  const size_t h = resolver::CacheKeyHash{}(resolver::CacheKey::of(query));
  std::atomic<uint64_t>& seen = shared_.synthesised_recently[h % Shared::kSynthesisSlots];
  if (seen.load(std::memory_order_relaxed) == static_cast<uint64_t>(h)) {
    answer_cache_.store(query, std::move(synthesis->message), resolver::Security::Secure,
                        synthesis->valid_until, now, uv_now(loop_));
  } else {
    seen.store(static_cast<uint64_t>(h), std::memory_order_relaxed);
  }
  return true;
}

void Server::fail(uint64_t tid, RCode rcode, const ExtendedError* ede) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  LOG_DEBUG("query " << tid << ": " << resolver::to_string(rcode)
                     << (ede ? " (" + ede->text + ")" : std::string()));
  const std::optional<resolver::CacheKey> landing = landing_key(it->second);
  auto followers = release_followers(it->second);
  finish(tid, resolver::error_reply(it->second.query, true, rcode, ede));
  for (uint64_t fid : followers) fail(fid, rcode, ede);
  if (landing) group_.land(*landing);
}

void Server::finish(uint64_t tid, std::vector<uint8_t> packet) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  const ClientRef client = it->second.client;
  const bool background = it->second.background;
  deadlines_.erase(it->second.deadline);
  erase_transaction(it);
  if (!background) send_to(client, std::move(packet));
}

void Server::send_to(const ClientRef& client, std::span<const uint8_t> packet) {
  stats_.count_response(packet);
  if (const auto* udp = std::get_if<UdpClient>(&client)) {
    udp->listener->send(udp->address, packet);
    return;
  }
  const auto& tcp = std::get<TcpClient>(client);
  auto it = connections_.find(tcp.connection);
  if (it == connections_.end()) return;  // the client went away
  // send() may close the connection (a client not reading its replies), which erases it
  // from connections_: `it` is dead then, but the connection itself lives until its handles
  // are closed (TcpConnection::on_closed, a later loop iteration), and answered() on a
  // closing connection only counts.
  TcpConnection* connection = it->second;
  connection->send(packet);
  connection->answered();
}

void Server::arm_deadline_timer() {
  publish_gauges();  // called whenever the set of transactions changed
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
    if (self->expire_parked(self->deadlines_.begin())) continue;  // a parked query, now gone
    if (self->transactions_.count(tid) == 0) {                    // cannot happen; never loop on it
      self->deadlines_.erase(self->deadlines_.begin());
      continue;
    }
    // fail() removes the transaction and its entry here.
    const ExtendedError ede =
        resolver::failure_ede(resolver::FetchFailure::Deadline, self->upstream_.servers_text(),
                              self->config_.query_timeout_ms);
    if (self->answer_stale(tid, ede)) continue;
    ++self->stats_.deadline_missed;
    self->fail(tid, RCode::ServFail, &ede);
  }
  self->arm_deadline_timer();
}

ClientAddresses Server::addresses_of(const ClientRef& client) const {
  if (const auto* udp = std::get_if<UdpClient>(&client)) return {udp->address, std::nullopt};
  auto it = connections_.find(std::get<TcpClient>(client).connection);
  if (it == connections_.end()) return {};
  return {it->second->peer(), it->second->local()};
}

}  // namespace dnsp::proxy
