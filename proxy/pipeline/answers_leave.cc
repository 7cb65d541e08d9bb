// Replies leave here: an answer synthesised from RFC 8198 records, a stale one (RFC 8767),
// a finished verdict's reply (secure, insecure, bogus: AD, EDE, what is cached), an error,
// and the one send_to() that counts every response and picks the listener.
#include <algorithm>
#include <optional>
#include <variant>

#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/pipeline/server.h"
#include "resolver/anchors/sentinel.h"
#include "resolver/explain/vocabulary.h"  // ede_name, format_duration
#include "resolver/serve/replies.h"

namespace dnsp::proxy {

using resolver::EdeCode;
using resolver::ExtendedError;
using resolver::RCode;

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
  // Split DNS: records of a zone above a forward zone say nothing about it (the public root
  // denies corp., the private corp. exists): only the forward zone's own records count.
  if (const ForwardRoute* f = forward_for(query.question.name);
      f != nullptr && !synthesis->zone.is_subdomain_of(f->zone)) {
    return false;
  }
  LOG_DEBUG("RFC 8198 synthesis for "
            << query.question.name.to_string() << " " << resolver::to_string(query.question.type)
            << ": " << resolver::to_string(synthesis->kind) << " from records of "
            << synthesis->zone.to_string() << " held (" << synthesis->detail << ")");
  reply_context_.cache_hit = true;  // RFC 8198: from validated records held
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

void Server::complete(uint64_t tid, const resolver::Step& step) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  Transaction& t = it->second;
  const auto& finished = std::get<resolver::Finished>(step);
  const auto& verdict = finished.verdict;
  if (t.on_verdict && t.answer) t.on_verdict(verdict, t.answer->message);
  // The EDE this reply carries, if any: one policy for the daemon and explain.
  auto note = resolver::reply_ede(verdict, upstream_for(t.query.question).servers_text());
  if (verdict.security == resolver::Security::Bogus) {
    note->text += clock_note(finished);
    // Split DNS: a validated forward zone that the chain above it does not securely lead
    // to (the public parent denies a private zone, or delegates it unsigned) can never be
    // proven: say so, and what to do.
    if (const ForwardRoute* f = forward_for(t.query.question.name);
        f != nullptr && f->config.dnssec == config::ForwardDnssec::Validate) {
      if (auto words = resolver::forward_unproven_note(verdict, f->zone))
        note->text += "; " + *words;
    }
    fail_bogus(tid, t, verdict, *note);
    return;
  }
  // Validated without RRSIG validity windows ([dnssec] clock = "until-synced", the clock not
  // verified yet): proven in every other way, but not at this time, so no AD (RFC 4035
  // §3.2.3 sets AD only for data the resolver considers authentic), an EDE that says so,
  // and nothing kept in the caches that outlives the unverified clock.
  const bool time_unchecked = finished.validity_windows == resolver::ValidityWindows::NotChecked &&
                              (verdict.security == resolver::Security::Secure ||
                               verdict.security == resolver::Security::Insecure);
  if (time_unchecked && !note) {
    // RFC 8914 §4.1: 0 "Other Error", with EXTRA-TEXT. Not 6 (DNSSEC Bogus): nothing failed,
    // and clients treat 6 as a failure; not 7/8: no window was found wrong, none was
    // compared; not 5 (Indeterminate): RFC 4033 §5 means records that could not be
    // obtained. The text is what matters, and names the setting. An insecure verdict's own
    // EDE (1, 2, 27) is kept instead: a reply carries one.
    note = ExtendedError{EdeCode::Other,
                         "time not checked: signatures, chain of trust and denial were validated, "
                         "RRSIG validity periods were not, because the system clock is not "
                         "verified yet ([dnssec] clock = \"until-synced\")"};
  }
  if (t.suspended && !note) {
    // RFC 8914 §4.1: 0 "Other Error" with EXTRA-TEXT, as for the unverified clock above.
    note = ExtendedError{EdeCode::Other,
                         "validation suspended (hotspot mode, `dnssec-proxy control hotspot`): "
                         "this answer was not validated; it resumes by itself"};
    ++stats_.hotspot_answers;
  }
  if (const auto refusal = sentinel_refusal(t.query, verdict)) {
    fail(tid, RCode::ServFail, &*refusal);
    return;
  }
  count_verdict(verdict.security);
  LOG_DEBUG("query " << tid << ": " << resolver::to_string(verdict.security)
                     << (verdict.reason == resolver::Reason::None
                             ? std::string()
                             : " (" + resolver::ede_text(verdict) + ")"));
  const auto transport = transport_of(t.client);
  // RFC 4035 §3.2.3 / RFC 6840 §5.7-5.8: AD only for data we proved secure, and only when
  // the client signalled it understands it (DO or AD).
  const auto ad =
      verdict.security == resolver::Security::Secure && !time_unchecked && t.query.wants_ad()
          ? resolver::AdBit::Set
          : resolver::AdBit::Clear;
  const size_t limit = resolver::reply_limit(t.query, transport);
  // The rule (resolver/validate/proven.h): a secure reply holds only what the validation proved.
  const auto build = [&](size_t size) {
    const ExtendedError* ede = note ? &*note : nullptr;
    return verdict.security == resolver::Security::Secure
               ? resolver::secure_reply(t.query, t.answer->message, finished.proven, ad, size, ede)
               : resolver::forward_reply(t.query, t.answer->message, ad, size, ede);
  };
  auto full = build(65535);
  auto reply = full.size() <= limit ? full : build(limit);
  // Hotspot answers are kept nowhere: once validation resumes, nothing unvalidated is served.
  if (t.suspended) {
    finish(tid, std::move(reply));
    return;
  }
  // RFC 8198: the NSEC/NSEC3 records and wildcards this validation verified answer later
  // misses. Only the leader has the validation; CD answers are never validated.
  if (config_.cache.aggressive_nsec && t.validation && !time_unchecked &&
      verdict.security == resolver::Security::Secure && !t.query.checking_disabled()) {
    aggressive_cache_.learn(verdict, t.validation->evidence(), t.answer->message, key_cache_,
                            wall_clock_now());
  }
  // Validated answers (secure or provably insecure) are kept; CD data and answers we
  // could not judge are not.
  if (!t.query.checking_disabled() && !time_unchecked &&
      (verdict.security == resolver::Security::Secure ||
       verdict.security == resolver::Security::Insecure)) {
    answer_cache_.store(t.query, std::move(full), verdict.security, finished.valid_until,
                        wall_clock_now(), uv_now(loop_));
  }
  finish(tid, std::move(reply));
}

void Server::fail_bogus(uint64_t tid, const Transaction& t, const resolver::Verdict& verdict,
                        const ExtendedError& ede) {
  if (verdict.reason == resolver::Reason::UpstreamStripsDnssec) {
    // Nothing can be validated through such an upstream: say so where it will be seen.
    LOG_WARN(ede.text << ": configure an upstream that passes RRSIGs through (DO=1)");
  }
  stats_.count_bogus(ede.code);
  shared_.bogus.record(t.query.question, verdict.zone, ede, wall_clock_now());
  log_bogus(t, verdict, ede);
  if (!t.query.checking_disabled()) answer_cache_.store_bogus(t.query, ede, uv_now(loop_));
  fail(tid, RCode::ServFail, &ede);
}

std::string Server::clock_note(const resolver::Finished& finished) {
  using resolver::Reason;
  const auto& v = finished.verdict;
  if (v.reason != Reason::SignatureExpired && v.reason != Reason::SignatureNotYetValid) return "";
  const auto now = wall_clock_now();
  std::string note;
  if (const auto& skew = finished.clock_skew) {
    // RFC 4035 §5.3.1 failed at the root, whose operators re-sign on schedule: the clock,
    // not the zone (resolver/validate/clock_skew.h).
    const bool behind = skew->seconds > 0;
    note = "the system clock is probably wrong: it says " + resolver::format_utc(now) +
           ", but the RRSIGs over " + skew->rrset +
           (behind ? " are not valid until " : " expired ") +
           resolver::format_utc(skew->window_edge) + " (it is " + (behind ? "behind" : "ahead") +
           " by about " + resolver::format_duration(skew->seconds) + ")";
  } else if (!shared_.clock.verified()) {
    note = "the system clock is not verified: " + shared_.clock.doubt(now, KernelClock::Unknown);
  } else {
    return "";
  }
  if (shared_.clock.may_warn(now)) {
    LOG_WARN("clock: " << note << "; signatures cannot be checked until the clock is set "
                       << "(NTP), and answers fail with EDE "
                       << static_cast<int>(resolver::ede_code(v.reason))
                       << ". See [dnssec] clock and time_file in the README.");
  }
  return "; " + note;
}

std::optional<ExtendedError> Server::sentinel_refusal(const resolver::ClientQuery& query,
                                                      const resolver::Verdict& verdict) const {
  // RFC 8509 §3.2: a sentinel name, answered from the root anchors in use now. The
  // SERVFAIL is not cached; a kept answer is (set_trust_anchors empties the cache).
  if (verdict.security != resolver::Security::Secure || !config_.root_key_sentinel) {
    return std::nullopt;
  }
  const auto s = resolver::parse_sentinel(query.question.name, query.question.type);
  if (!s || resolver::sentinel_keeps_answer(*s, anchors_)) return std::nullopt;
  return ExtendedError{resolver::EdeCode::Other,
                       "root key sentinel (RFC 8509): key " + std::to_string(s->key_tag) +
                           (s->kind == resolver::Sentinel::Kind::IsTa ? " is not" : " is") +
                           " a root trust anchor here"};
}

void Server::count_verdict(resolver::Security security) {
  switch (security) {
    case resolver::Security::Secure:
      ++stats_.secure;
      return;
    case resolver::Security::Insecure:
      ++stats_.insecure;
      return;
    case resolver::Security::Bogus:  // counted per EDE code by fail_bogus()
    case resolver::Security::Indeterminate:
      ++stats_.unchecked;
      return;
  }
}

void Server::fail(uint64_t tid, RCode rcode, const ExtendedError* ede) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  LOG_DEBUG("query " << tid << ": " << resolver::to_string(rcode)
                     << (ede ? " (" + ede->text + ")" : std::string()));
  const std::optional<resolver::CacheKey> landing = landing_key(it->second);
  auto followers = release_followers(it->second);
  finish(tid, resolver::error_reply(it->second.query, resolver::EchoQuestion::Yes, rcode, ede));
  for (uint64_t fid : followers) fail(fid, rcode, ede);
  if (landing) group_.land(*landing);
}

void Server::finish(uint64_t tid, std::vector<uint8_t> packet) {
  auto it = transactions_.find(tid);
  if (it == transactions_.end()) return;
  const ClientRef client = it->second.client;
  const bool background = it->second.background;
  reply_context_ = {it->second.started_us, false, true};
  deadlines_.erase(it->second.deadline);
  erase_transaction(it);
  if (!background) send_to(client, std::move(packet));
}

void Server::log_query(const ClientRef& client, std::span<const uint8_t> packet) {
  const QueryLogLimiter::Admission admission = query_log_.admit(uv_now(loop_));
  if (admission.suppressed > 0) {
    LOG_INFO("event=query_log_suppressed lines=" << admission.suppressed
                                                 << " ([log] queries_per_second = "
                                                 << config_.log_queries_per_second << ")");
  }
  if (!admission.write) return;
  QueryLogContext context;
  if (const auto* udp = std::get_if<UdpClient>(&client)) {
    context.client = to_string(udp->address.get());
  } else {
    const auto peer = addresses_of(client).peer;
    context.client = "tcp:" + (peer ? to_string(peer->get()) : std::string("closed"));
  }
  context.cache_hit = reply_context_.cache_hit;
  context.upstream = reply_context_.asked_upstream && upstream_ ? upstream_->servers_text() : "-";
  const uint64_t now_us = uv_hrtime() / 1000;
  context.microseconds = reply_context_.started_us != 0 && now_us > reply_context_.started_us
                             ? now_us - reply_context_.started_us
                             : 0;
  if (auto line = query_log_line(packet, context)) LOG_INFO(*line);
}

void Server::send_to(const ClientRef& client, std::span<const uint8_t> packet) {
  stats_.count_response(packet);
  if (config_.log_queries) log_query(client, packet);
  if (taps_ & kTapClientResponse) [[unlikely]]
    tap_client_response(client, packet);
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
               " upstream=" + logfmt_value(upstream_->servers_text()) +
               (t.retried ? std::string(" retried=") +
                                (t.transport == UpstreamTransport::Tcp ? "tcp" : "udp")
                          : std::string()));
}

}  // namespace dnsp::proxy
