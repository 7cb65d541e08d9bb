// Server: owns the listeners, the upstream channel and the transactions in flight, and
// turns each client query into a reply: check it (resolver/client_query.h), ask the
// upstream, build the reply (resolver/replies.h), or fail with SERVFAIL + EDE in time.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "proxy/client_ref.h"
#include "proxy/tcp_listener.h"
#include "proxy/udp_listener.h"
#include "proxy/upstream.h"
#include "resolver/aggressive_cache.h"
#include "resolver/answer_cache.h"
#include "resolver/client_query.h"
#include "resolver/ede.h"
#include "resolver/key_cache.h"
#include "resolver/message.h"
#include "resolver/replies.h"
#include "resolver/rrset_verify.h"
#include "resolver/trust_anchor.h"
#include "resolver/validation.h"

namespace dnsp::proxy {

class Server {
 public:
  Server(uv_loop_t* loop, config::Config config, resolver::TrustAnchors anchors);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener and sets up the upstream channel; "" or what went wrong.
  std::string start();
  // Stops accepting, fails what is in flight, and closes every handle.
  void stop();
  // Validates from `anchors` from now on (RFC 5011 updates, proxy/anchor_updater.h). Keys and
  // answers validated from the old anchors are forgotten: a revoked key must not linger.
  void set_trust_anchors(resolver::TrustAnchors anchors);

  // From the listeners.
  void handle_query(std::span<const uint8_t> packet, const ClientRef& client);
  uint64_t next_connection_id() { return next_connection_id_++; }
  void connection_opened(TcpConnection* c);
  void connection_closed(uint64_t id);
  void connection_freed() { --connections_alive_; }
  // Connections not closing: those closing in this loop iteration (freed at its end) do
  // not count against tcp_max_connections, or a new one accepted then would be refused.
  size_t open_connections() const { return connections_.size(); }

 private:
  using Deadlines = std::multimap<uint64_t, uint64_t>;  // deadline (loop ms) -> transaction
  // The upstream's answer to a client query, kept while it is validated.
  struct Answer {
    std::vector<uint8_t> packet;
    resolver::Message message;
  };
  struct Transaction {
    resolver::ClientQuery query;
    ClientRef client;
    Deadlines::iterator deadline;
    std::shared_ptr<Answer> answer{};  // shared with the followers of this transaction
    std::unique_ptr<resolver::Validation> validation{};
    std::vector<uint64_t> followers{};  // identical queries waiting for this one's outcome
    bool leads = false;                 // registered in in_flight_ under its query's key
    bool retried = false;               // asked again over TCP after records were missing
  };
  // An upstream query is either a client's question or a DNSSEC sub-query (DS, DNSKEY)
  // that several validations may wait for (coalesced by name and type).
  struct SubQuery {
    resolver::Question question;
    std::vector<uint64_t> waiters;  // transaction ids
    std::string key;                // in subquery_by_key_
  };

  void on_upstream(UpstreamReply&& reply);
  void on_answer(uint64_t tid, UpstreamReply&& reply);
  // Takes the followers of a transaction that is about to end (and unregisters it).
  std::vector<uint64_t> release_followers(Transaction& t);
  static resolver::CacheKey flight_key(const resolver::ClientQuery& q);
  void on_subquery(uint64_t tag, UpstreamReply&& reply);
  void advance(uint64_t tid, resolver::Step step);
  // Replies to one transaction with a finished verdict.
  void complete(uint64_t tid, const resolver::Step& step);
  void fetch(uint64_t tid, const resolver::NeedRecords& need);
  // RFC 4035 §4.3-§5 verdicts that rest on records that did not come back: worth one more
  // try over TCP before calling the answer bogus (big resolvers sometimes return partial
  // DNSSEC data over UDP).
  bool retry_over_tcp(uint64_t tid, const resolver::Verdict& verdict);
  Upstream& channel_for(const Transaction& t) { return t.retried ? upstream_tcp_ : upstream_; }
  void fail_upstream(uint64_t tid, UpstreamStatus status);
  void finish(uint64_t tid, std::vector<uint8_t> packet);
  void fail(uint64_t tid, resolver::RCode rcode, const resolver::ExtendedError* ede);
  // RFC 8198: a miss answered from validated NSEC/NSEC3 records held, without asking
  // upstream ([cache] aggressive_nsec). True when the client got its reply.
  bool answer_aggressively(const resolver::ClientQuery& query, const ClientRef& client,
                           resolver::Transport transport);
  void send_to(const ClientRef& client, std::span<const uint8_t> packet);
  void arm_deadline_timer();
  static void on_deadline(uv_timer_t* t) noexcept;

  uv_loop_t* loop_;
  config::Config config_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<TcpListener>> tcp_;
  Upstream upstream_;
  Upstream upstream_tcp_;                              // the same servers over TCP, for retries
  std::unordered_map<uint64_t, uint64_t> retry_tags_;  // upstream tag -> transaction id
  bool stopping_ = false;
  resolver::TrustAnchors anchors_;
  resolver::KeyCache key_cache_;
  resolver::AnswerCache answer_cache_;
  std::vector<uint8_t> hit_buffer_;  // cache hits are written here: its capacity is reused
  resolver::AggressiveCache aggressive_cache_;  // RFC 8198, when [cache] aggressive_nsec
  resolver::Limits limits_;
  // RFC 7646 negative trust anchors ([dnssec] negative_trust_anchors): names at or below
  // them are not validated. Returns the one that covers `name`, or nullptr.
  const resolver::Name* negative_anchor_for(const resolver::Name& name) const;
  std::vector<resolver::Name> negative_anchors_;

  uint64_t next_tid_ = 1;  // transaction ids and sub-query tags share this counter
  std::unordered_map<uint64_t, SubQuery> subqueries_;          // by tag
  std::unordered_map<std::string, uint64_t> subquery_by_key_;  // "name/type" -> tag
  std::unordered_map<uint64_t, Transaction> transactions_;
  // Identical concurrent misses share one upstream query and one validation.
  std::unordered_map<resolver::CacheKey, uint64_t, resolver::CacheKeyHash> in_flight_;
  Deadlines deadlines_;
  uv_timer_t deadline_timer_{};
  bool timer_open_ = false;

  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, TcpConnection*> connections_;
  size_t connections_alive_ = 0;  // including those still closing
};

}  // namespace dnsp::proxy
