// Upstream: the one interface the proxy asks upstream resolvers through. Whoever holds one
// (Server, AnchorUpdater, ExplainRun) hands it raw query packets (resolver/serve/replies.h
// upstream_query: EDNS0, DO=1, CD=1) with a tag of its own and gets exactly one
// UpstreamReply per tag back through the handler it gave, on the same event loop: the reply
// packet as the server sent it, or why there is none. Which servers are tried, in which
// order, over which transport, and how often, is the transport's business.
//
// Transports behind it: cares_upstream.h (plain DNS over UDP, and TCP, with c-ares),
// tls_upstream.h (DNS-over-TLS, RFC 7858) and failover_upstream.h (a list mixing both, tried
// in order). make_upstream() picks; DNS-over-HTTPS will join the same way.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "resolver/wire/result.h"

namespace dnsp::proxy {

enum class UpstreamStatus : uint8_t {
  Answered,      // `packet` holds the reply
  Timeout,       // no server answered in time
  Unreachable,   // connection refused or another network error
  ServerFailed,  // every server answered SERVFAIL, REFUSED, NOTIMP or FORMERR
  BadReply,      // every server answered with something unusable
  Cancelled,     // the upstream is shutting down
};

struct UpstreamReply {
  uint64_t tag;
  UpstreamStatus status;
  std::vector<uint8_t> packet;
  uint64_t elapsed_ms = 0;  // from send() to this reply (loop time)
  // When not Answered and the transport knows more than the status: the server and what
  // went wrong, in words for the EDE text and the log ("tls://127.0.0.1:853#dns.test:
  // certificate expired 2026-11-01T00:00:00Z"). "" otherwise.
  std::string detail = {};
  // When Answered by an Upstream that chose among several servers (FailoverUpstream): the
  // servers_text() of the one that answered, so that a caller can ask the others
  // (send_avoiding). "" when there was only one to ask.
  std::string server = {};
};

// Which servers, and how patiently: [upstream] servers, timeout and attempts, the CA
// store TLS servers are checked against, and how a server is picked (selection.h).
struct UpstreamSettings {
  std::vector<config::UpstreamServer> servers;
  uint32_t timeout_ms = 0;  // per attempt
  uint32_t attempts = 0;    // per server
  std::string tls_ca_file;  // "" = the system store
  config::UpstreamStrategy strategy = config::UpstreamStrategy::Order;
  bool hedge = true;  // ask the next server too when the first is slow
  static UpstreamSettings of(const config::Config& c) {
    return {c.upstreams,   c.upstream_timeout_ms, c.upstream_attempts,
            c.tls_ca_file, c.upstream_strategy,   c.upstream_hedge};
  }
  bool operator==(const UpstreamSettings&) const = default;
};

// What the last probe (probe.h) found an upstream server does with DNSSEC queries (issue
// 18). Unknown until probed; servers of [[forward]] zones and proxies without trust anchors
// are never probed.
enum class UpstreamHealth : uint8_t {
  Unknown,
  Ok,            // root DNSKEY with RRSIG over UDP and TCP, DS signed, CD accepted
  NoTcp,         // as Ok over UDP, but no answer over TCP (large answers will fail)
  DropsCd,       // answers without CD, not with it (we must send CD: RFC 4035 §3.2.2)
  StripsDnssec,  // answers without RRSIGs (or without EDNS): signed zones cannot validate
  Unreachable,   // no answer at all, or REFUSED
};
// "unknown", "ok", "no-tcp", "drops-cd", "strips-dnssec", "unreachable".
std::string_view to_string(UpstreamHealth health);
// Whether queries should avoid a server in this state while others are left.
inline bool avoid(UpstreamHealth h) {
  return h == UpstreamHealth::DropsCd || h == UpstreamHealth::StripsDnssec ||
         h == UpstreamHealth::Unreachable;
}

// What one upstream server did, summed over every event loop that asks it: queries, how
// they ended, its TLS connections, its smoothed round-trip time. Written by any loop
// (fetch_add: upstream events are not the hot path), read by the metrics listener and the
// dashboard. One entry per configured server (FailoverUpstream gives each its own
// transport): "127.0.0.1:53", "tls://127.0.0.1:853#dns.test".
struct ServerCounters {
  std::atomic<uint64_t> queries{0};        // tries sent (a retry is one more)
  std::atomic<uint64_t> answered{0};       // replies taken
  std::atomic<uint64_t> timeouts{0};       // tries that got no answer in time
  std::atomic<uint64_t> unreachable{0};    // refused connections, TLS refusals, resets
  std::atomic<uint64_t> server_failed{0};  // SERVFAIL/REFUSED/NOTIMP/FORMERR, HTTP errors
  std::atomic<uint64_t> bad_replies{0};    // unusable replies
  std::atomic<uint64_t> handshakes{0};     // TLS handshakes completed
  std::atomic<uint64_t> resumed{0};        // ... of which resumed a session
  std::atomic<uint64_t> connections{0};    // TLS connections open right now
  std::atomic<uint64_t> srtt_us{0};        // smoothed RTT (RFC 6298 §2: 1/8 of each sample)
  std::atomic<int64_t> last_answer_unix{0};
  std::atomic<int64_t> last_failure_unix{0};
  std::atomic<UpstreamHealth> health{UpstreamHealth::Unknown};  // the last probe's verdict
  void answer(uint64_t rtt_us);
  void add(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
  void sub(std::atomic<uint64_t>& c) { c.fetch_sub(1, std::memory_order_relaxed); }
};

// Every upstream server the proxy has asked, by name (servers_text of the server, or of a
// plain list): one process-wide board (proxy/pipeline/server.h Shared::upstreams) that the
// transports of every loop write to. Entries are made on first use and never removed (a
// reload that drops a server keeps its history; the names are bounded by the config).
class UpstreamBoard {
 public:
  // The counters of `name` ("tls", "https", "plain" as `transport`), made on first use.
  ServerCounters& server(const std::string& name, const char* transport);
  // A failure in words for the dashboard and logs ("certificate expired ..."), with when.
  void failed(ServerCounters& c, UpstreamStatus status, const std::string& detail);
  // A probe's verdict and its evidence in words ("answered . DNSKEY over UDP without its
  // RRSIG"). Returns whether the state changed.
  bool probed(ServerCounters& c, UpstreamHealth health, const std::string& evidence);
  struct Row {
    std::string name;
    std::string transport;
    const ServerCounters* counters;
    std::string last_failure;  // words of the last failure, "" if none
    std::string evidence;      // the last probe's, "" if never probed
  };
  std::vector<Row> rows() const;  // in the order the servers were first used

 private:
  struct Entry {
    std::string name;
    std::string transport;
    std::unique_ptr<ServerCounters> counters;
    std::string last_failure;
    std::string evidence;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// What the encrypted transports count, for the metrics (proxy/stats.h holds one per event
// loop). Written by the loop that owns the transport, read by the metrics listener.
struct TransportCounters {
  // Where the transports of this loop record each server's queries (none: not recorded,
  // as for explain's and the anchor updater's own upstreams).
  UpstreamBoard* board = nullptr;
  std::atomic<uint64_t> tls_handshakes{0};          // TLS handshakes completed
  std::atomic<uint64_t> tls_resumed{0};             // ... of which resumed a session
  std::atomic<uint64_t> tls_handshake_failures{0};  // refused certificates, stalls, resets
  std::atomic<uint64_t> tls_connections_open{0};    // right now
  std::atomic<uint64_t> tls_queries{0};             // queries written to a TLS connection
  void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(std::atomic<uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
};

// How plain servers are asked. Udp: UDP first, TCP when a reply is truncated. Tcp: over TCP
// (the retry of an answer whose DNSSEC records went missing over UDP). TLS servers are asked
// on their connections either way.
enum class UpstreamTransport : uint8_t { Udp, Tcp };

class Upstream {
 public:
  using Handler = std::function<void(UpstreamReply&&)>;
  virtual ~Upstream() = default;

  // Switches to other servers or timeouts (SIGHUP reload): new queries go to the new
  // servers, queries already sent finish where they are. Returns "" or an error (then
  // nothing changed).
  virtual std::string reconfigure(const UpstreamSettings& settings) = 0;
  // Sends `query` (its ID is replaced by a fresh random one) over `transport`; the handler
  // gets `tag` back exactly once.
  virtual void send(std::span<const uint8_t> query, uint64_t tag, UpstreamTransport transport) = 0;
  void send(std::span<const uint8_t> query, uint64_t tag) {
    send(query, tag, UpstreamTransport::Udp);
  }
  // As send(), but asks none of the servers named in `avoid` (UpstreamReply::server, the
  // prime suspect first) while another one is configured; when every server is named,
  // none but the first: the pipeline's retry of an answer that failed validation. With one
  // server there is no other to ask: send().
  virtual void send_avoiding(std::span<const uint8_t> query, uint64_t tag,
                             UpstreamTransport transport, const std::vector<std::string>& avoid) {
    (void)avoid;
    send(query, tag, transport);
  }
  // Fails every outstanding query with Cancelled and releases all handles. `closed`, when
  // given, runs once the last handle is closed (at once when none was open): from then on
  // the Upstream may be destroyed. Never call it from inside a handler.
  virtual void shutdown(std::function<void()> closed = {}) = 0;
  // The servers, for logs and EDE texts ("127.0.0.1:53,[::1]:53").
  virtual const std::string& servers_text() const = 0;
};

// "plain", "tls" or "https": the board's (and the metrics') transport label of `server`.
const char* transport_label(const config::UpstreamServer& server);

// "127.0.0.1:53,tls://[::1]:853#dns.test": servers as logs and EDE texts name them.
std::string servers_text(const std::vector<config::UpstreamServer>& servers);

// The Upstream for `settings`, ready to send over either UpstreamTransport (nothing is sent
// until the first query), or what went wrong (an unreadable CA file...). Replies reach
// `handler` on `loop`. Plain servers go through c-ares, TLS servers through TlsUpstream; a
// FailoverUpstream holds them in runs, in the configured order. `counters`, when given,
// must outlive the Upstream.
resolver::Result<std::unique_ptr<Upstream>, std::string> make_upstream(
    uv_loop_t* loop, Upstream::Handler handler, const UpstreamSettings& settings,
    TransportCounters* counters = nullptr);

}  // namespace dnsp::proxy
