// ExplainRun: one explain validation driven on a libuv loop, shared by the explain command
// (on a loop of its own) and the daemon's explain service (on the daemon's loop): the
// question upstream (DO=1, CD=1) over channels of its own, routed through the [[forward]]
// zones as the daemon routes (proxy/split_dns.h: a forward zone's questions to its servers,
// its DS to the parent's), then each DS and DNSKEY the resolver::Validation asks for, until a
// verdict, an upstream failure or query_timeout_ms; then the report of resolver/explain/explain.h.
// Its KeyCache is private and starts empty, so the report shows the whole chain from the trust
// anchor down, and the daemon's caches are neither used nor changed.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/split_dns.h"
#include "proxy/upstream/upstream.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/explain/explain.h"
#include "resolver/serve/explain_option.h"
#include "resolver/validate/validation.h"
#include "resolver/verify/key_cache.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

// Everything a run validates with: the daemon's settings and live trust anchors.
struct ExplainSetup {
  std::vector<config::UpstreamServer> upstreams{};
  std::string tls_ca_file{};  // "" = the system store
  uint32_t upstream_timeout_ms = 1500;
  uint32_t upstream_attempts = 2;
  uint32_t query_timeout_ms = 5000;
  resolver::Limits limits{};
  resolver::TrustAnchors anchors{};
  // What the daemon does not validate (proxy/split_dns.h negative_anchors): negative trust
  // anchors, insecure forward zones, private zones; insecure_why[i] says why for [i].
  std::vector<resolver::Name> negative_anchors{};
  std::vector<InsecureWhy> insecure_why{};
  std::vector<config::ForwardZone> forwards{};  // [[forward]]: split DNS
  // What the daemon's probes found of the [upstream] servers (probe_views()); empty for the
  // explain command run on its own, which has no probes.
  std::vector<resolver::UpstreamProbeView> probes{};
};

// The probes' last verdicts (proxy/upstream/probe.h) on `servers`, as the board has them;
// servers never probed are left out.
std::vector<resolver::UpstreamProbeView> probe_views(
    const UpstreamBoard& board, const std::vector<config::UpstreamServer>& servers);

// The configuration's upstreams, forward zones, timeouts, [limits] and what is not validated
// (as the daemon: proxy/split_dns.h), with `anchors` (the configured ones, or those of the
// RFC 5011 state).
ExplainSetup explain_setup(const config::Config& cfg, resolver::TrustAnchors anchors);

class ExplainRun {
 public:
  using Done = std::function<void(resolver::Report)>;

  ExplainRun(uv_loop_t* loop, ExplainSetup setup, resolver::Question question, Done done);
  ExplainRun(const ExplainRun&) = delete;
  ExplainRun& operator=(const ExplainRun&) = delete;

  // Sends the question; `done` gets the report later, from a timer callback (never from
  // inside c-ares), once. "" or why the upstream channel could not be set up (then close()).
  std::string start();
  // Ends the run (`done` is not called if it has not been), closes its handles and calls
  // `closed` once the object may be destroyed. Not from inside an Upstream handler.
  void close(std::function<void()> closed);

 private:
  void on_reply(UpstreamReply&& reply);
  // Sends `q` to the servers that answer it (split DNS); fails the run when their channel
  // cannot be set up.
  void send(const resolver::Question& q);
  // Which upstream answers `q`: 0 for [upstream], 1 + i for setup_.forwards[i].
  size_t route_of(const resolver::Question& q) const;
  const std::vector<config::UpstreamServer>& servers_of(size_t route) const {
    return route == 0 ? setup_.upstreams : setup_.forwards[route - 1].servers;
  }
  void advance(resolver::Step step);
  void fail(resolver::FetchFailure f);
  void finish();  // from any callback: the report is built and delivered from the timer
  void deliver();
  void shut_upstream();  // once: a second shutdown() would report "closed" too early
  resolver::Report report() const;
  void maybe_closed();

  uv_loop_t* loop_;
  ExplainSetup setup_;
  resolver::Question question_;
  Done done_cb_;
  // By route (route_of): [0] made by start(), a forward zone's when first needed.
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  size_t upstreams_closing_ = 0;  // shut down, not closed yet
  uv_timer_t timer_{};            // the query deadline, then the report's delivery
  bool timer_open_ = false;
  bool timer_closed_ = false;
  bool upstream_shut_ = false;
  bool upstream_closed_ = false;
  bool closing_ = false;
  std::function<void()> closed_cb_;
  resolver::KeyCache keys_;
  uint64_t next_tag_ = 1;  // the tag of the one query in flight
  std::string pending_;    // that query, in words
  int64_t now_ = 0;
  std::vector<uint8_t> answer_packet_;
  std::optional<resolver::Message> answer_;
  std::unique_ptr<resolver::Validation> validation_;
  std::optional<resolver::Verdict> verdict_;
  resolver::FetchFailure failure_ = resolver::FetchFailure::None;
  std::string failure_detail_;  // UpstreamReply::detail of the failed query
  bool done_ = false;
};

// The report in `format`: the one place that picks a renderer, for `explain` run here
// (proxy/explain.cc) and for `explain --server` answered by a running proxy
// (proxy/explain_service.cc).
// `links`: HTML for the /explain page carries a link back to the dashboard.
std::string render_report(const resolver::Report& report, resolver::ExplainFormat format,
                          resolver::PageLinks links = resolver::PageLinks::None);

}  // namespace dnsp::proxy
