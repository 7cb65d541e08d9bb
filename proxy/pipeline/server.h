// Server: owns the listeners, the upstream channel and the transactions in flight, and
// turns each client query into a reply: check it (resolver/serve/client_query.h), ask the
// upstream, build the reply (resolver/serve/replies.h), or fail with SERVFAIL + EDE in time.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "proxy/bogus_log.h"
#include "proxy/clock_watch.h"
#include "proxy/dnstap/message.h"
#include "proxy/dnstap/writer.h"
#include "proxy/explain_service.h"
#include "proxy/listen/client_ref.h"
#include "proxy/listen/query_sink.h"
#include "proxy/listen/tcp_listener.h"
#include "proxy/listen/udp_listener.h"
#include "proxy/loop_group.h"
#include "proxy/query_log.h"
#include "proxy/socket_activation.h"
#include "proxy/split_dns.h"
#include "proxy/stats.h"
#include "proxy/upstream/upstream.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/cache/aggressive_cache.h"
#include "resolver/cache/answer_cache.h"
#include "resolver/local/local_data.h"
#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

// What every event loop shares: the caches, bounded together by [cache] max_size (an
// eighth for validated keys, an eighth for RFC 8198's NSEC/NSEC3 records when
// aggressive_nsec is on, the rest for answers; all thread-safe), and the LoopGroup
// (global limits, flights coalesced across loops).
struct Shared {
  Shared(const config::CacheSettings& settings, const config::ValidationLimits& limits);
  resolver::KeyCache keys;
  resolver::AnswerCache answers;
  resolver::AggressiveCache aggressive;  // RFC 8198 ([cache] aggressive_nsec)
  // Hashes of the questions answered by RFC 8198 synthesis lately, on any loop
  // (direct-mapped, one slot per hash; a lost race only delays caching): the second
  // synthesis of a question stores it in the answer cache.
  static constexpr size_t kSynthesisSlots = size_t{1} << 14;
  std::unique_ptr<std::atomic<uint64_t>[]> synthesised_recently {
    new std::atomic<uint64_t>[kSynthesisSlots] {}
  };
  LoopGroup loops;
  BogusLog bogus;           // the dashboard's most frequent bogus questions (proxy/pages/)
  UpstreamBoard upstreams;  // each upstream server's queries, failures, RTT (metrics, dashboard)
  // Whether the wall clock is believed ([dnssec] clock, time_file): set up by main() before
  // the loops start, observed on loop 0 (proxy/clock_watch.h), read by every loop.
  ClockWatch clock;
  // [dnstap]: the writer every loop queues its messages on (its own queue: LoopRole::index),
  // set up by main() before the loops start and closed after they stopped; nullptr: off.
  dnstap::Writer* dnstap = nullptr;
  dnstap::Origin dnstap_origin;  // identity and version in every message
  // When a loop last logged dropped dnstap messages (monotonic ms): one line a minute for
  // all loops together.
  std::atomic<uint64_t> dnstap_drops_logged_ms{0};
  // Key entries validated without RRSIG validity windows (until-synced, before the clock was
  // verified): kept apart so that they never serve a validation that checks windows, and
  // dropped as a whole once the clock is verified. Small: it lives only until NTP has run.
  resolver::KeyCache relaxed_keys{1u << 20};
  // Hotspot mode (issue 18): validation suspended until this monotonic time (ms,
  // proxy/clock.h monotonic_ms(); 0: off), for a captive portal's login. Never automatic:
  // `dnssec-proxy control hotspot` starts and ends it, and it ends by itself.
  std::atomic<uint64_t> hotspot_until_ms{0};
  bool hotspot(uint64_t now_ms) const {
    return now_ms < hotspot_until_ms.load(std::memory_order_relaxed);
  }
  Gauges gauges() const;
  // Empties every cache (answers, keys, RFC 8198 records, relaxed keys): after the clock
  // jumped back or became verified. Returns the number of entries dropped.
  size_t flush_caches();
};

// Which of the [server] threads event loops a server runs on. With more than one, each
// loop binds its own sockets with SO_REUSEPORT; loop 0 first checks that no other process
// holds the port (SO_REUSEPORT would otherwise share it silently).
struct LoopRole {
  size_t index = 0;
  size_t count = 1;
};

class Server final : public QuerySink {
 public:
  Server(uv_loop_t* loop, config::Config config, resolver::TrustAnchors anchors, Shared& caches,
         LoopRole role = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Sockets systemd passed (proxy/socket_activation.h), this loop's own descriptors: start()
  // serves them instead of binding [server] listen, and reload() leaves them as they are.
  void use_passed_sockets(std::vector<PassedSocket> sockets) { passed_ = std::move(sockets); }
  // Binds every listener (or adopts the passed sockets) and sets up the upstream channel;
  // "" or what went wrong. From then on a timer beats this loop's heartbeat (LoopGroup).
  std::string start();
  // /ready and READY=1 need an upstream that answers: sends ". NS" (DO, CD) to the upstreams
  // unless one has answered already (LoopGroup::upstream_answered, set by any reply to any
  // query) or a probe is out.
  void probe_upstream();
  // SIGTERM, after [server] shutdown_grace: no new queries (TCP listeners closed, UDP
  // sockets stop taking new datagrams but answer those queued; sockets systemd passed are
  // closed here and stay open in systemd, their queue kept for the next start); the queries
  // in flight go on to their answer or their deadline. stop() ends it.
  void drain();
  // Stops accepting, fails what is in flight, and closes every handle.
  void stop();
  // Validates from `anchors` from now on (RFC 5011 updates, proxy/anchor_updater.h). Keys and
  // answers validated from the old anchors are forgotten: a revoked key must not linger.
  void set_trust_anchors(resolver::TrustAnchors anchors);
  // SIGHUP: applies a newly loaded configuration. Listeners that stay are kept (no rebind),
  // new ones are opened, removed ones closed; upstreams and timeouts switch for new
  // queries; limits and negative trust anchors apply to new validations. `anchors` is set
  // when the configured trust anchors changed (then both caches are emptied); otherwise the
  // caches are kept. Cache sizes, user and group need a restart (logged). Returns the
  // problems met (a listener that cannot be bound); the rest still applies.
  std::vector<std::string> reload(config::Config next,
                                  std::optional<resolver::TrustAnchors> anchors);
  // The RFC 7646 negative trust anchors in force from now on (`dnssec-proxy control nta`,
  // an anchor that expired; proxy/negative_anchors.h): the same path as reload's, so the
  // answers cached at or below an anchor added or removed are dropped (by loop 0, the
  // caches being shared). Returns how many answers were dropped.
  size_t set_negative_trust_anchors(std::vector<config::NegativeTrustAnchor> ntas);

  // A trace for the /explain page (proxy/pages/pages.h), by this loop's ExplainService with
  // the live anchors, limits and upstreams: `done` gets the report rendered in `format`.
  void explain_for_page(const resolver::Question& question, resolver::ExplainFormat format,
                        resolver::PageLinks links, const ClientAddresses& addresses,
                        ExplainService::TraceDone done);
  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }
  // [local]: the names this loop answers itself from now on (proxy/local_data_watch.h builds
  // the table; each loop gets its own reference, on its own thread). nullptr: none.
  void set_local_data(std::shared_ptr<const resolver::LocalData> table) {
    local_ = std::move(table);
  }
  // Local data inside a signed public zone (clients that validate themselves reject it):
  // asks, through the pipeline as any query but past the local data, the SOA of each
  // [local] records name (at most kMaxLocalChecks) and logs a warning naming the record and
  // the zone when the validator proves that zone secure. Names under private zones,
  // negative trust anchors and insecure forward zones are exempt: not asked.
  // Hosts-file names are not checked (a block list would be thousands of queries).
  static constexpr size_t kMaxLocalChecks = 64;
  void check_local_data();

  // QuerySink: from the listeners.
  void handle_query(std::span<const uint8_t> packet, const ClientRef& client) override;
  uint64_t next_connection_id() override { return next_connection_id_++; }
  void connection_opened(TcpConnection* c) override;
  void connection_closed(uint64_t id) override;
  void connection_freed() override { --connections_alive_; }
  // Connections not closing: those closing in this loop iteration (freed at its end) do
  // not count against tcp_max_connections, or a new one accepted then would be refused.
  // Every event loop's connections count.
  size_t open_connections() const override { return group_.tcp_connections.load(); }
  void udp_reply_dropped() override { ++stats_.udp_replies_dropped; }

 private:
  using Deadlines = std::multimap<uint64_t, uint64_t>;  // deadline (loop ms) -> transaction
  // Requery::Yes: a parked query handled again after another loop's flight landed (it was
  // counted as a query when it arrived).
  enum class Requery : uint8_t { No, Yes };
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
    bool retried = false;               // asked again after a bogus verdict (retry_bogus)
    // How the question and its DS/DNSKEY sub-queries are asked: TCP on the retry of an
    // answer whose DNSSEC records went missing.
    UpstreamTransport transport = UpstreamTransport::Udp;
    // The servers whose replies this validation used (UpstreamReply::server: known when
    // the upstream chose among several), and on the retry those it avoids.
    std::vector<std::string> sources{};
    std::vector<std::string> avoid{};
    bool background = false;  // a prefetch: nobody to answer, only the cache
    bool suspended = false;   // not validated: hotspot mode (Shared::hotspot)
    uint64_t started_us = 0;  // uv_hrtime() / 1000 when it began ([log] queries)
    // Told the verdict of a finished validation and the answer it was about (background
    // checks: check_local_data()).
    std::function<void(const resolver::Verdict&, const resolver::Message&)> on_verdict{};
  };
  // An upstream query is either a client's question or a DNSSEC sub-query (DS, DNSKEY)
  // that several validations may wait for (coalesced by name and type).
  struct SubQuery {
    resolver::Question question;
    std::vector<uint64_t> waiters;  // transaction ids
    std::string key;                // in subquery_by_key_
  };

  static resolver::Transport transport_of(const ClientRef& client) {
    return std::holds_alternative<TcpClient>(client) ? resolver::Transport::Tcp
                                                     : resolver::Transport::Udp;
  }
  void on_upstream(UpstreamReply&& reply);
  void on_answer(uint64_t tid, UpstreamReply&& reply);
  // Takes the followers of a transaction that is about to end (and unregisters it).
  std::vector<uint64_t> release_followers(Transaction& t);
  // The flight a leading transaction ends, to land (LoopGroup) once it has replied.
  static std::optional<resolver::CacheKey> landing_key(const Transaction& t) {
    return t.leads ? std::optional(flight_key(t.query)) : std::nullopt;
  }
  static resolver::CacheKey flight_key(const resolver::ClientQuery& q);
  void on_subquery(uint64_t tag, UpstreamReply&& reply);
  void advance(uint64_t tid, resolver::Step step);
  // Replies to one transaction with a finished verdict.
  void complete(uint64_t tid, const resolver::Step& step);
  // complete() for a bogus verdict: counted, logged, cached as bogus, SERVFAIL with `ede`.
  void fail_bogus(uint64_t tid, const Transaction& t, const resolver::Verdict& verdict,
                  const resolver::ExtendedError& ede);
  // For a verdict that failed on an RRSIG validity window while the clock looks wrong (a
  // root signature wholly outside now, or the clock before its floor): "; " and words that
  // name the clock, for the EDE text, and a warning in the log (at most once a minute).
  // "" otherwise.
  std::string clock_note(const resolver::Finished& finished);
  // RFC 8509: the SERVFAIL a secure answer to a root key sentinel name gets with the root
  // anchors in use, or nothing when the answer stands.
  std::optional<resolver::ExtendedError> sentinel_refusal(const resolver::ClientQuery& query,
                                                          const resolver::Verdict& verdict) const;
  void count_verdict(resolver::Security security);  // stats: secure, insecure, unchecked
  void fetch(uint64_t tid, const resolver::NeedRecords& need);
  // One more try before a bogus verdict stands: RFC 4035 §4.3-§5 verdicts that rest on
  // records that did not come back are asked again over TCP (big resolvers sometimes return
  // partial DNSSEC data over UDP), and with several upstream servers any bogus answer is
  // asked again at servers that gave none of its records (a forger or a broken server that
  // won the race, issue 18: "use the first valid answer"; Unbound retries other servers
  // likewise). True when the question went out again.
  bool retry_bogus(uint64_t tid, const resolver::Verdict& verdict);
  // `detail`: the transport's words for the failure (UpstreamReply::detail), or "".
  void fail_upstream(uint64_t tid, UpstreamStatus status, const std::string& detail);
  // RFC 8767: when the upstreams failed, answers the transaction (and its followers) from
  // an expired cache entry; false when serve-stale is off or there is none.
  bool answer_stale(uint64_t tid, const resolver::ExtendedError& failure);
  // [local]: the reply from local data when the question's name is local (AA, AD clear;
  // CD or not, the same answer). True when the client got its reply.
  bool answer_locally(const resolver::ClientQuery& query, const ClientRef& client);
  // The hot path: a validated answer from the answer cache, or one RFC 8198 synthesises
  // from validated NSEC/NSEC3 records held. True when the client got its reply.
  bool answer_from_memory(const resolver::ClientQuery& query, std::span<const uint8_t> packet,
                          const ClientRef& client);
  // Refreshes the cached answer for `query` in the background (a hit in its last tenth of
  // TTL): a transaction without a client whose verdict only goes to the cache.
  void prefetch(const resolver::ClientQuery& query);
  // Starts transaction `tid` for `query` without a client (a prefetch, a start-up check):
  // its verdict goes only to the cache and to `on_verdict`.
  void start_background(
      uint64_t tid, const resolver::ClientQuery& query, bool leads,
      std::function<void(const resolver::Verdict&, const resolver::Message&)> on_verdict = {});
  void finish(uint64_t tid, std::vector<uint8_t> packet);
  void fail(uint64_t tid, resolver::RCode rcode, const resolver::ExtendedError* ede);
  // RFC 8198: a miss answered from validated NSEC/NSEC3 records held, without asking
  // upstream ([cache] aggressive_nsec). True when the client got its reply.
  bool answer_aggressively(const resolver::ClientQuery& query, const ClientRef& client,
                           resolver::Transport transport);
  void send_to(const ClientRef& client, std::span<const uint8_t> packet);
  // [log] queries: the line for a reply about to leave, rate-limited (proxy/query_log.h).
  void log_query(const ClientRef& client, std::span<const uint8_t> packet);
  // Keeps the in-flight and TCP connection gauges current (read by the metrics listener).
  void publish_gauges() {
    stats_.in_flight.set(transactions_.size());
    stats_.tcp_connections.set(connections_.size());
  }
  // Encodes `q` as the upstream query and sends it to upstream_for(q).
  // `avoid`: servers not to ask while others are configured (Upstream::send_avoiding).
  void send_upstream(const resolver::Question& q, uint64_t tag, UpstreamTransport transport,
                     const std::vector<std::string>& avoid = {});
  // [dnstap] (dnstap_taps.cc): a message for each client query received, reply sent,
  // upstream query sent and upstream reply received, as configured. Called only when
  // their bit is in taps_, so dnstap off costs one test per event.
  enum TapBits : uint8_t {
    kTapClientQuery = 1,
    kTapClientResponse = 2,
    kTapForwarderQuery = 4,
    kTapForwarderResponse = 8,
  };
  void tap_client_query(std::span<const uint8_t> packet, const ClientRef& client);
  void tap_client_response(const ClientRef& client, std::span<const uint8_t> packet);
  void tap_forwarder_query(const resolver::Question& q, std::span<const uint8_t> packet,
                           uint64_t tag, UpstreamTransport transport);
  void tap_forwarder_response(const UpstreamReply& reply);
  // Queues the message; a full queue drops it (counted, and logged at most once a minute).
  void tap_submit(const dnstap::Event& event);
  // Protocol and both ends of a client's exchange with this proxy.
  void tap_client_ends(const ClientRef& client, dnstap::Event& event) const;
  // Split DNS ([[forward]], forwards.cc). The forward zone that holds `name` (the deepest),
  // or nullptr: [upstream].
  struct ForwardRoute {
    resolver::Name zone;
    config::ForwardZone config;
    std::unique_ptr<Upstream> upstream;
  };
  const ForwardRoute* forward_for(const resolver::Name& name) const;
  // The forward zone whose servers answer `q` (see upstream_for), or nullptr: [upstream].
  const ForwardRoute* route_for(const resolver::Question& q) const;
  // The servers upstream_for(q) asks, in order (dnstap names the first).
  const std::vector<config::UpstreamServer>& servers_for(const resolver::Question& q) const;
  // Who answers `q`: the forward zone of its name (of the parent's name for DS, which is the
  // parent zone's data, RFC 4034 §5), else [upstream].
  Upstream& upstream_for(const resolver::Question& q);
  // Makes forwards_ match `next`: a zone whose servers are unchanged keeps its upstream;
  // another gets new servers; the caches at and below each changed, added or removed zone
  // are emptied (unless `starting`). "" or what went wrong.
  std::string set_forwards(const config::Config& next, bool starting);
  // Transactions enter and leave through these, which keep the global in-flight count.
  Transaction& add_transaction(uint64_t tid, Transaction t);
  void erase_transaction(std::unordered_map<uint64_t, Transaction>::iterator it);
  // handle_query() for a query whose reply is due at `deadline` (loop ms).
  void resolve(std::span<const uint8_t> packet, const ClientRef& client, Requery requery,
               uint64_t deadline);
  // Another loop resolves this query's question: wait for it to land (LoopGroup), at most
  // until `deadline`, the query's own (then SERVFAIL, EDE 22: expire_parked()).
  void park(const resolver::CacheKey& key, std::span<const uint8_t> packet, const ClientRef& client,
            uint64_t deadline);
  // `entry` of deadlines_ is due: when it is a parked query's, removes both and answers
  // SERVFAIL (EDE 22); false when it is a transaction's (left as it was).
  bool expire_parked(Deadlines::iterator entry);
  static void on_wake(uv_async_t* handle) noexcept;
  // The structured log line of a bogus verdict (issue: operators grep and ship these).
  void log_bogus(const Transaction& t, const resolver::Verdict& verdict,
                 const resolver::ExtendedError& ede) const;
  void log_start_up() const;  // what the first loop says once the listeners are bound
  // Drops the answers cached at or below each of `names` (loop 0 only: the caches are
  // shared), logging each with `log_prefix`; returns how many.
  size_t forget_answers_below(const std::vector<resolver::Name>& names,
                              std::string_view log_prefix);
  // Binds UDP and TCP on `endpoint` and adds them to listeners_; "" or what went wrong.
  std::string open_listener(const config::Endpoint& endpoint);
  void arm_deadline_timer();
  static void on_deadline(uv_timer_t* t) noexcept;
  static void on_heartbeat(uv_timer_t* t) noexcept;

  uv_loop_t* loop_;
  config::Config config_;
  QueryLogLimiter query_log_{config_.log_queries_per_second};
  // What the next reply's query log line says beyond the reply: set when a query arrives
  // (resolve()), on a cache hit, and when a transaction finishes.
  struct ReplyContext {
    uint64_t started_us = 0;
    bool cache_hit = false;
    bool asked_upstream = false;
  } reply_context_;
  struct Listener {
    config::Endpoint endpoint;
    std::unique_ptr<UdpListener> udp;
    std::unique_ptr<TcpListener> tcp;
  };
  std::vector<Listener> listeners_;
  // Sockets systemd passed: before start(), to adopt; after, one Listener each (only its
  // udp or its tcp set), kept across reloads.
  std::vector<PassedSocket> passed_;
  std::vector<Listener> passed_listeners_;
  // Closed by a reload; kept until the server is destroyed, because transactions in flight
  // may still hold a UdpClient that points at them (their send() is then a no-op).
  std::vector<Listener> retired_listeners_;
  Stats stats_;
  std::unique_ptr<Upstream> upstream_;                        // made by start(); UDP and TCP
  std::vector<ForwardRoute> forwards_;                        // [[forward]], deepest zone first
  std::vector<std::unique_ptr<Upstream>> retired_upstreams_;  // of removed forward zones
  std::unordered_map<uint64_t, uint64_t> retry_tags_;         // upstream tag -> transaction id
  bool stopping_ = false;
  resolver::TrustAnchors anchors_;
  resolver::KeyCache& key_cache_;                // shared by every loop
  resolver::AnswerCache& answer_cache_;          // shared by every loop
  resolver::AggressiveCache& aggressive_cache_;  // shared by every loop
  Shared& shared_;
  LoopGroup& group_;
  LoopRole role_;
  // Queries parked until another loop's flight for the same question lands.
  struct Parked {
    std::vector<uint8_t> packet;
    ClientRef client;
    uint64_t id;                   // shares next_tid_ with the transactions
    Deadlines::iterator deadline;  // in deadlines_, like a transaction's
  };
  std::unordered_map<resolver::CacheKey, std::vector<Parked>, resolver::CacheKeyHash> parked_;
  std::unordered_map<uint64_t, resolver::CacheKey> parked_ids_;  // Parked::id -> its key
  uv_async_t wake_{};  // another loop's flight landed: see landed_
  bool wake_open_ = false;
  std::mutex landed_mu_;
  std::vector<resolver::CacheKey> landed_;  // guarded by landed_mu_
  std::vector<uint8_t> hit_buffer_;         // cache hits are written here: its capacity is reused
  resolver::Limits limits_;
  std::shared_ptr<const resolver::LocalData> local_;  // [local]; nullptr: none
  // RFC 7646 negative trust anchors ([dnssec] negative_trust_anchors): names at or below
  // them are not validated. Returns the one that covers `name`, or nullptr.
  const resolver::Name* negative_anchor_for(const resolver::Name& name) const;
  // With them, the insecure [[forward]] zones and the private zones in force ([dnssec]
  // private_zones): all treated alike; insecure_why_[i] says where negative_anchors_[i]
  // comes from, for the log.
  std::vector<resolver::Name> negative_anchors_;
  std::vector<InsecureWhy> insecure_why_;

  uint64_t next_tid_ = 1;  // transaction ids and sub-query tags share this counter
  std::unordered_map<uint64_t, SubQuery> subqueries_;          // by tag
  std::unordered_map<std::string, uint64_t> subquery_by_key_;  // "name/type" -> tag
  std::unordered_map<uint64_t, Transaction> transactions_;
  // Identical concurrent misses share one upstream query and one validation.
  std::unordered_map<resolver::CacheKey, uint64_t, resolver::CacheKeyHash> in_flight_;
  Deadlines deadlines_;
  uv_timer_t deadline_timer_{};
  bool timer_open_ = false;
  uv_timer_t heartbeat_timer_{};  // LoopGroup::beat, for /health (proxy/health.h)
  bool heartbeat_open_ = false;
  uint64_t probe_tag_ = 0;  // the upstream probe out (probe_upstream()), 0: none

  // [dnstap]: the TapBits of the messages this loop writes (0: dnstap off), fixed at start.
  uint8_t taps_ = 0;
  // Upstream queries out, by tag, while FORWARDER_RESPONSE is written: when and to which
  // server they went.
  struct ForwarderSent {
    dnstap::Timestamp time;
    std::optional<dnstap::Peer> server;
    dnstap::SocketProtocol protocol = dnstap::SocketProtocol::Udp;
  };
  std::unordered_map<uint64_t, ForwarderSent> forwarder_sent_;
  uint64_t dnstap_unreported_drops_ = 0;  // dropped on this loop since its last log line

  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, TcpConnection*> connections_;
  size_t connections_alive_ = 0;  // including those still closing

  // `dnssec-proxy explain --server`: queries with the explain option go there, not upstream.
  ExplainService explain_{
      loop_, group_.explain_traces,
      [this](const ClientRef& c, std::span<const uint8_t> packet) { send_to(c, packet); }};
  ClientAddresses addresses_of(const ClientRef& client) const;
};

}  // namespace dnsp::proxy
