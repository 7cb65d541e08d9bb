// A client query arrives (the first stage of the pipeline): checked, explained, answered
// from local data ([local]), from the cache or by RFC 8198 synthesis (answers_leave.cc), coalesced
// with an identical query in flight on this loop or parked behind another loop's, or sent upstream
// as a new transaction. Prefetches start here too.
#include <utility>
#include <variant>

#include "proxy/log.h"
#include "proxy/pipeline/server.h"
#include "resolver/serve/replies.h"

namespace dnsp::proxy {

using resolver::EdeCode;
using resolver::ExtendedError;
using resolver::RCode;

void Server::handle_query(std::span<const uint8_t> packet, const ClientRef& client) {
  resolve(packet, client, Requery::No, uv_now(loop_) + config_.query_timeout_ms);
}

void Server::resolve(std::span<const uint8_t> packet, const ClientRef& client, Requery requery,
                     uint64_t deadline) {
  if (stopping_) return;
  reply_context_ = {uv_hrtime() / 1000, false, false};
  if (requery == Requery::No) {
    ++(std::holds_alternative<TcpClient>(client) ? stats_.queries_tcp : stats_.queries_udp);
    if (taps_ & kTapClientQuery) [[unlikely]]
      tap_client_query(packet, client);
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
    send_to(client, resolver::error_reply(reject->query,
                                          reject->has_question ? resolver::EchoQuestion::Yes
                                                               : resolver::EchoQuestion::No,
                                          reject->rcode, nullptr));
    return;
  }
  auto& query = std::get<resolver::ClientQuery>(check);
  if (query.explain) {  // a request for a trace, not an answer: proxy/explain_service.h
    explain_.handle(query, client, addresses_of(client),
                    {config_, anchors_, limits_, shared_.upstreams});
    return;
  }
  if (answer_locally(query, client)) return;
  if (answer_from_memory(query, packet, client)) return;
  // [server] max_queries_in_flight, all loops together: past it SERVFAIL at once rather
  // than memory without bound.
  if (group_.in_flight.load(std::memory_order_relaxed) >= config_.max_queries_in_flight) {
    ++stats_.overloaded;
    const ExtendedError ede{EdeCode::Other, "too many queries in flight; try again"};
    send_to(client,
            resolver::error_reply(query, resolver::EchoQuestion::Yes, RCode::ServFail, &ede));
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
  send_upstream(query.question, tid, UpstreamTransport::Udp);
}

bool Server::answer_locally(const resolver::ClientQuery& query, const ClientRef& client) {
  if (!local_) return false;
  // Local data is policy, answered before the cache and never forwarded; CD changes
  // nothing (there is no upstream data to hand over, RFC 4035 §3.2.2).
  auto reply = local_->reply(query, resolver::reply_limit(query, transport_of(client)));
  if (!reply) return false;
  ++stats_.local_answers;
  send_to(client, *reply);
  return true;
}

bool Server::answer_from_memory(const resolver::ClientQuery& query, std::span<const uint8_t> packet,
                                const ClientRef& client) {
  // CD queries always go upstream: the client wants the data as the upstream has it
  // (RFC 4035 §3.2.2).
  if (query.checking_disabled()) return false;
  const auto transport = transport_of(client);
  const auto hit = answer_cache_.lookup(query, packet, resolver::reply_limit(query, transport),
                                        uv_now(loop_), hit_buffer_);
  if (hit != resolver::CacheLookup::Miss) {
    ++stats_.cache_hits;
    reply_context_.cache_hit = true;
    send_to(client, hit_buffer_);
    if (hit == resolver::CacheLookup::HitRefresh) prefetch(query);
    return true;
  }
  return config_.cache.aggressive_nsec && answer_aggressively(query, client, transport);
}

namespace {

// check_local_data()'s verdict callback: warns when the name's zone is proven secure.
std::function<void(const resolver::Verdict&, const resolver::Message&)> local_zone_warning(
    const resolver::Name& owner, const std::string& origin) {
  return [owner = owner.to_string(), origin](const resolver::Verdict& verdict,
                                             const resolver::Message& answer) {
    if (verdict.security != resolver::Security::Secure) return;
    // The zone: the owner of the SOA the answer carries (the apex's own SOA, or the one of
    // a NODATA or NXDOMAIN answer, RFC 2308 §3); else what the verdict names.
    resolver::Name zone = verdict.zone;
    for (const auto& rr : answer.records()) {
      if (rr.type == resolver::RRType::SOA) zone = rr.owner;
    }
    LOG_WARN("[local] " << owner << " (" << origin << ") is inside " << zone.to_string()
                        << ", a zone signed and proven secure: clients that validate themselves "
                           "will reject the unsigned local answer. Use a name under a private "
                           "zone such as home.arpa, or serve only clients that do not validate.");
  };
}

}  // namespace

void Server::check_local_data() {
  if (!local_) return;
  size_t asked = 0;
  for (const auto& [name, node] : local_->nodes()) {
    if (node.source != resolver::LocalData::Source::Records) continue;
    // Under a private zone, an insecure forward zone or a negative trust anchor the proxy
    // validates nothing: exempt, and not asked (such names are often unknown upstream).
    if (negative_anchor_for(name) != nullptr) continue;
    if (asked++ == kMaxLocalChecks) {
      LOG_INFO("[local] checked " << kMaxLocalChecks
                                  << " local names for signed zones; not the others");
      break;
    }
    resolver::ClientQuery q;
    q.flags = resolver::flag::kRD;
    q.question = {name, resolver::RRType::SOA, resolver::RRClass::IN};
    q.has_edns = true;
    q.udp_payload = resolver::kOurUdpPayload;
    q.dnssec_ok = true;
    start_background(next_tid_++, q, false, local_zone_warning(node.owner, node.origin));
  }
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
  start_background(tid, query, true);
}

void Server::start_background(
    uint64_t tid, const resolver::ClientQuery& query, bool leads,
    std::function<void(const resolver::Verdict&, const resolver::Message&)> on_verdict) {
  add_transaction(
      tid,
      Transaction{.query = query,
                  .client = TcpClient{0},  // no connection has id 0: nothing is sent
                  .deadline = deadlines_.emplace(uv_now(loop_) + config_.query_timeout_ms, tid),
                  .leads = leads,
                  .background = true,
                  .on_verdict = std::move(on_verdict)});
  arm_deadline_timer();
  send_upstream(query.question, tid, UpstreamTransport::Udp);
}

resolver::CacheKey Server::flight_key(const resolver::ClientQuery& q) {
  auto key = resolver::CacheKey::of(q);
  // CD answers are never shared with others.
  if (q.checking_disabled()) key.shape |= resolver::CacheKey::kCheckingDisabledShape;
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

void Server::explain_for_page(const resolver::Question& question, resolver::ExplainFormat format,
                              resolver::PageLinks links, const ClientAddresses& addresses,
                              ExplainService::TraceDone done) {
  explain_.trace(question, format, links, addresses,
                 {config_, anchors_, limits_, shared_.upstreams}, std::move(done));
}

}  // namespace dnsp::proxy
