// ExplainService: the daemon's side of `dnssec-proxy explain --server`. A query carrying
// the explain EDNS option (resolver/serve/explain_option.h) gets, over TCP and from loopback only,
// the report of a fresh ExplainRun with the daemon's live trust anchors (RFC 5011 updates
// included), negative trust anchors (RFC 7646), [limits] and upstreams, rendered as the
// client asked; anyone else gets REFUSED with an Extended DNS Error (RFC 8914) saying why.
// Kept out of the query path: proxy/pipeline/query_arrives.cc only hands such queries over.
// The /explain page of [metrics] listen (proxy/pages/pages.h) asks through trace(): the same
// runs, the same limit of kMaxRunning and the same same-host policy.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "proxy/address.h"
#include "proxy/explain_run.h"
#include "proxy/listen/client_ref.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/serve/client_query.h"
#include "resolver/serve/replies.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/wire/ede.h"

namespace dnsp::proxy {

// 127.0.0.0/8, ::1, and IPv4-mapped 127.0.0.0/8 (::ffff:127.0.0.1).
bool is_loopback(const sockaddr* address);
// The same IP address (ports aside); false when either is null.
bool same_ip(const sockaddr* a, const sockaddr* b);

// The two ends of a client's connection, as far as known.
struct ClientAddresses {
  std::optional<SocketAddress> peer{};   // the client's
  std::optional<SocketAddress> local{};  // ours, the one the client connected to
};

// Who may ask for a trace: nullopt, or the EDE of the REFUSED reply. Over TCP only: a
// trace is up to 64 KiB, and over UDP a forged source would make the proxy an amplifier.
// From this host only: a trace tells how the proxy is set up (upstreams, anchors), and each
// request costs a whole validation with an empty key cache. This host is a loopback peer,
// or a peer whose address is the very address it connected to: a TCP handshake from such a
// source completes only on this host (Linux drops packets from outside that claim a local
// source, accept_local=0). That second case is `kubectl exec ... --server 169.254.20.10`
// in a hostNetwork pod, where the proxy does not listen on loopback at all.
std::optional<resolver::ExtendedError> explain_refusal(resolver::Transport transport,
                                                       const ClientAddresses& client);

// What the daemon validates with now (references into the Server, read per request). What
// it does not validate and its forward zones come from `config` (proxy/split_dns.h).
struct DaemonState {
  const config::Config& config;
  const resolver::TrustAnchors& anchors;
  const resolver::Limits& limits;
  const UpstreamBoard& upstreams;  // the probes' verdicts, shown in the report
};

// What trace() gives back: the rendered report, or why there is none.
enum class TraceRefusal : uint8_t {
  None,         // `rendered` holds the report
  NotThisHost,  // explain_refusal(): the client is not on the proxy's host
  Busy,         // kMaxRunning traces already run: try again
  Failed,       // the run could not start (`message` says why)
};
struct TraceResult {
  TraceRefusal refusal = TraceRefusal::None;
  std::string message;   // why, when refused
  std::string rendered;  // the report in the format asked for
  int exit_code = 3;
  resolver::Security security = resolver::Security::Indeterminate;
};

class ExplainService {
 public:
  using TraceDone = std::function<void(TraceResult)>;
  using Send = std::function<void(const ClientRef&, std::span<const uint8_t>)>;
  // At most this many traces at once in all event loops together (`everywhere`, shared by
  // the loops' services); more get SERVFAIL with an EDE (try again).
  static constexpr size_t kMaxRunning = 4;

  ExplainService(uv_loop_t* loop, std::atomic<size_t>& everywhere, Send send);
  ExplainService(const ExplainService&) = delete;
  ExplainService& operator=(const ExplainService&) = delete;

  // A query with the explain option from `client`.
  void handle(const resolver::ClientQuery& query, const ClientRef& client,
              const ClientAddresses& addresses, const DaemonState& state);
  // The same trace for another front end (the /explain page): `done` is called once, now
  // when refused, else with the report rendered in `format` (not after stop()).
  void trace(const resolver::Question& question, resolver::ExplainFormat format,
             resolver::PageLinks links, const ClientAddresses& addresses, const DaemonState& state,
             TraceDone done);
  // Ends every run without replying; their handles close on the loop.
  void stop();

 private:
  using Deliver = std::function<void(const resolver::Report&)>;
  struct Request {
    Deliver deliver;
    std::unique_ptr<ExplainRun> run;
    bool ending = false;  // end() called; erased once its handles are closed
  };
  // Starts a run in a place already taken; "" or why it could not start (the place is then
  // given back).
  std::string start_run(const resolver::Question& question, const DaemonState& state,
                        Deliver deliver);
  void reply(uint64_t id, const resolver::Report& report);
  void end(uint64_t id);

  // Takes one of the kMaxRunning places; false when all are taken.
  bool take_place();

  uv_loop_t* loop_;
  std::atomic<size_t>& everywhere_;
  Send send_;
  std::unordered_map<uint64_t, Request> requests_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
};

}  // namespace dnsp::proxy
