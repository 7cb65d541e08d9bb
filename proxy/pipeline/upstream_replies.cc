// An upstream reply is validated step by step: the client question's reply starts a
// Validation (unless CD or a negative trust anchor says otherwise), each NeedRecords step
// becomes a DS/DNSKEY sub-query shared by every validation waiting for it, and a verdict
// goes to answers_leave.cc. Failed upstreams and the one retry of a bogus answer (over TCP, at
// other servers) are decided here.
#include <algorithm>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/pipeline/server.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

using resolver::EdeCode;
using resolver::ExtendedError;
using resolver::RCode;

void Server::send_upstream(const resolver::Question& q, uint64_t tag, UpstreamTransport transport,
                           const std::vector<std::string>& avoid) {
  ++stats_.upstream_queries;
  const std::vector<uint8_t> query = resolver::upstream_query(q, 0);
  // Here, not in the transports: every upstream query of the pipeline passes this point.
  if (taps_ & (kTapForwarderQuery | kTapForwarderResponse)) {
    tap_forwarder_query(q, query, tag, transport);
  }
  if (avoid.empty()) {
    upstream_for(q).send(query, tag, transport);
  } else {
    upstream_for(q).send_avoiding(query, tag, transport, avoid);
  }
}

namespace {
// Notes `server` (UpstreamReply::server) among the servers a validation used.
void note_source(std::vector<std::string>& sources, const std::string& server) {
  if (!server.empty() && std::find(sources.begin(), sources.end(), server) == sources.end()) {
    sources.push_back(server);
  }
}
}  // namespace

void Server::on_upstream(UpstreamReply&& reply) {
  stats_.count_upstream(reply.status, reply.elapsed_ms);
  if (taps_ & kTapForwarderResponse) tap_forwarder_response(reply);
  // Any answer, whatever its RCODE, shows an upstream that answers: /ready, READY=1.
  if (reply.status == UpstreamStatus::Answered) group_.upstream_answered = true;
  if (reply.tag == probe_tag_ && probe_tag_ != 0) {
    probe_tag_ = 0;  // the probe's answer has no client; a failed probe is tried again later
    return;
  }
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

void Server::on_answer(uint64_t tid, UpstreamReply&& reply) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;  // already answered (deadline) or shutting down
  Transaction& t = it->second;
  if (reply.status != UpstreamStatus::Answered) {
    fail_upstream(tid, reply.status, reply.detail);
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
  // The answer's server first: the prime suspect when the verdict is bogus.
  t.sources.clear();
  note_source(t.sources, reply.server);
  if (t.query.checking_disabled()) {
    // RFC 4035 §3.2.2: CD set, the client validates; hand over the data as received.
    advance(tid, resolver::Finished{{resolver::Security::Indeterminate, resolver::Reason::None,
                                     t.query.question.name, "checking disabled"}});
    return;
  }
  if (shared_.hotspot(monotonic_ms())) {
    // Hotspot mode: the operator suspended validation for a bounded time (a captive
    // portal's login); as a negative trust anchor at the root (RFC 7646 §2), AD clear, an
    // EDE saying so, nothing cached (answers_leave.cc).
    t.suspended = true;
    advance(tid, resolver::Finished{resolver::negative_anchor_verdict(resolver::Name::root())});
    return;
  }
  if (const resolver::Name* nta = negative_anchor_for(t.query.question.name)) {
    // RFC 7646 §2: the operator turned validation off at and below this name.
    const size_t i = static_cast<size_t>(nta - negative_anchors_.data());
    LOG_INFO("insecure: " << t.query.question.name.to_string() << " "
                          << resolver::to_string(t.query.question.type)
                          << ": not validated, at or below "
                          << (i < insecure_why_.size() ? insecure_why_[i].what + " " : "")
                          << nta->to_string()
                          << (i < insecure_why_.size() ? " " + insecure_why_[i].setting : ""));
    advance(tid, resolver::Finished{resolver::negative_anchor_verdict(*nta)});
    return;
  }
  // [dnssec] clock = "until-synced" while the clock has not been verified yet
  // (proxy/clock_watch.h): RRSIG validity windows are not checked, and the keys validated so
  // are kept in a cache of their own, dropped once the clock is verified.
  const bool relaxed = shared_.clock.relaxed();
  resolver::Limits limits = limits_;
  if (relaxed) limits.validity_windows = resolver::ValidityWindows::NotChecked;
  t.validation = std::make_unique<resolver::Validation>(
      anchors_, relaxed ? shared_.relaxed_keys : key_cache_, limits, wall_clock_now());
  advance(tid, t.validation->start(t.query.question, t.answer->message));
}

void Server::advance(uint64_t tid, resolver::Step step) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  if (auto* need = std::get_if<resolver::NeedRecords>(&step)) {
    fetch(tid, *need);
    return;
  }
  if (retry_bogus(tid, std::get<resolver::Finished>(step).verdict)) return;
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

void Server::fetch(uint64_t tid, const resolver::NeedRecords& need) {
  auto t = transactions_.find(tid);
  if (t == transactions_.end()) return;
  // Shared by the validations that ask the same question the same way.
  std::string key = need.name.lowercased().to_string() + "/" + resolver::to_string(need.type) +
                    (t->second.transport == UpstreamTransport::Tcp ? "/tcp" : "");
  for (const std::string& a : t->second.avoid) key += " !" + a;
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
  send_upstream(q, tag, t->second.transport, t->second.avoid);
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
      fail_upstream(tid, reply.status, reply.detail);
      continue;
    }
    note_source(it->second.sources, reply.server);
    advance(tid, it->second.validation->resume(reply.packet));
  }
}

bool Server::retry_bogus(uint64_t tid, const resolver::Verdict& verdict) {
  using resolver::Reason;
  if (verdict.security != resolver::Security::Bogus) return false;
  auto it = transactions_.find(tid);
  if (it == transactions_.end() || it->second.retried) return false;
  Transaction& t = it->second;
  const bool missing =
      verdict.reason == Reason::RrsigsMissing || verdict.reason == Reason::DnskeyMissing ||
      verdict.reason == Reason::NsecMissing || verdict.reason == Reason::UpstreamStripsDnssec;
  // The servers that gave this validation's records (the answer's first) are known only
  // when there were others to ask (FailoverUpstream). The retry asks none of them, or when
  // that leaves no server, any but the answer's (send_avoiding).
  const bool elsewhere = !t.sources.empty();
  if (!missing && !elsewhere) return false;
  std::string also;
  for (size_t i = 1; i < t.sources.size(); ++i) also += (also.empty() ? "" : ", ") + t.sources[i];
  LOG_INFO("query " << tid << ": " << resolver::ede_text(verdict) << "; asking again"
                    << (elsewhere ? " elsewhere (the answer came from " + t.sources.front() +
                                        (also.empty() ? "" : ", records also from " + also) + ")"
                                  : std::string())
                    << (missing ? " over TCP" : "") << " before calling it bogus");
  t.retried = true;
  t.transport = missing ? UpstreamTransport::Tcp : UpstreamTransport::Udp;
  t.avoid = std::move(t.sources);
  t.sources.clear();
  // What the first try learned from the records that failed must not decide the second
  // one; other zones' bogus entries stay (RFC 9520).
  if (t.validation) {
    key_cache_.forget_bogus(t.validation->bogus_key_zones());
    shared_.relaxed_keys.forget_bogus(t.validation->bogus_key_zones());
  }
  t.validation.reset();
  t.answer.reset();
  const uint64_t tag = next_tid_++;
  retry_tags_.emplace(tag, tid);
  send_upstream(t.query.question, tag, t.transport, t.avoid);
  return true;
}

void Server::fail_upstream(uint64_t tid, UpstreamStatus status, const std::string& detail) {
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
  // A transport's own words win (a TLS server refused: which and why, issue 16).
  // The servers of the question's zone ([[forward]]) or [upstream].
  const auto t = transactions_.find(tid);
  const std::string& servers = t != transactions_.end()
                                   ? upstream_for(t->second.query.question).servers_text()
                                   : upstream_->servers_text();
  const ExtendedError ede =
      resolver::failure_ede(failure, servers, config_.query_timeout_ms, detail);
  if (answer_stale(tid, ede)) return;
  fail(tid, RCode::ServFail, &ede);
}

}  // namespace dnsp::proxy
