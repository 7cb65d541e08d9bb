// FailoverUpstream: what make_upstream() returns. It splits the configured servers into
// runs of one transport (plain servers to a CaresUpstream, TLS servers to a TlsUpstream,
// each run in configured order) and sends a query to the first run; when that run fails
// (every one of its servers timed out, refused, or could not be authenticated), to the next.
// A query that fails everywhere gets the last run's status and every reason the runs gave,
// joined ("tls://127.0.0.1:853#dns.test: SPKI pin mismatch; ...").
//
// UpstreamTransport::Tcp (the pipeline's retry of an answer that lost DNSSEC records over
// UDP) goes, for a plain run, to a second CaresUpstream of that run made for TCP (c-ares
// channels of its own, as when the pipeline had a second upstream for it), and for a TLS run
// to the same TlsUpstream as every other query: its connections are streams already, and a
// second pool would mean a second TLS connection per server per loop.
//
// On reconfigure() (SIGHUP) new runs are built for the new servers; the old ones finish the
// queries they have (without failing over to the new ones) and are then shut down.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/upstream/upstream.h"

namespace dnsp::proxy {

class FailoverUpstream final : public Upstream {
 public:
  FailoverUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters);
  ~FailoverUpstream() override;
  FailoverUpstream(const FailoverUpstream&) = delete;
  FailoverUpstream& operator=(const FailoverUpstream&) = delete;

  // Builds the runs. "" or what went wrong; then nothing was opened and this object may be
  // destroyed at once.
  std::string init(const UpstreamSettings& settings);
  std::string reconfigure(const UpstreamSettings& settings) override;
  using Upstream::send;
  void send(std::span<const uint8_t> query, uint64_t tag, UpstreamTransport transport) override;
  void shutdown(std::function<void()> closed = {}) override;
  const std::string& servers_text() const override { return servers_text_; }

 private:
  // Servers of one transport, in configured order.
  struct Run {
    std::unique_ptr<Upstream> upstream;  // TLS: every query; plain: over UpstreamTransport::Udp
    std::unique_ptr<Upstream> over_tcp;  // plain: over UpstreamTransport::Tcp; TLS: null
    Upstream& over(UpstreamTransport transport) const {
      return transport == UpstreamTransport::Tcp && over_tcp ? *over_tcp : *upstream;
    }
  };
  // The runs made for one setting of the servers.
  struct Generation {
    std::vector<Run> runs;
    uint64_t outstanding = 0;  // queries sent to its runs and not answered yet
    bool retired = false;      // replaced by reconfigure(): shut down once drained
    bool shut = false;         // its runs were told to shut down
    size_t closing = 0;        // ... and have not all reported closed yet
  };
  // A query while more than one run may see it (kept to send it to the next run).
  struct Pending {
    Generation* generation;
    size_t run;
    UpstreamTransport transport;
    std::vector<uint8_t> query;
    uint64_t sent_ms;
    std::string details;
  };

  std::string build(const UpstreamSettings& settings, std::unique_ptr<Generation>& out);
  // The run of `servers` (all of one protocol), the generation's run number `index`.
  std::string make_run(Generation* g, size_t index, const UpstreamSettings& servers, Run& out);
  void on_reply(Generation* generation, size_t run, UpstreamReply&& reply);
  void send_to(Generation* generation, size_t run, std::span<const uint8_t> query, uint64_t tag,
               UpstreamTransport transport);
  void schedule_reap();
  void shut(Generation& g);
  // Shuts down drained retired generations and frees closed ones (from the timer, never
  // inside a run's handler).
  void reap();
  void maybe_closed();

  uv_loop_t* loop_;
  Handler handler_;
  TransportCounters* counters_;
  bool open_ = false;
  std::unique_ptr<Generation> current_;
  std::vector<std::unique_ptr<Generation>> retired_;
  std::unordered_map<uint64_t, Pending> pending_;  // tag -> query, for multi-run generations
  std::string servers_text_;
  uv_timer_t reap_timer_{};
  bool timer_open_ = false;
  bool timer_closed_ = false;
  std::function<void()> closed_;
};

}  // namespace dnsp::proxy
