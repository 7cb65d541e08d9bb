// FailoverUpstream: what make_upstream() returns. It splits the configured servers into
// runs of one transport (plain servers to a CaresUpstream, TLS servers to a TlsUpstream,
// each run in configured order) and sends a query to the first run; when that run fails
// (every one of its servers timed out, refused, or could not be authenticated), to the next.
// A query that fails everywhere gets the last run's status and every reason the runs gave,
// joined ("tls://127.0.0.1:853#dns.test: SPKI pin mismatch; ...").
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
  FailoverUpstream(uv_loop_t* loop, Handler handler, UpstreamTransport transport,
                   TransportCounters* counters);
  ~FailoverUpstream() override;
  FailoverUpstream(const FailoverUpstream&) = delete;
  FailoverUpstream& operator=(const FailoverUpstream&) = delete;

  // Builds the runs. "" or what went wrong; then nothing was opened and this object may be
  // destroyed at once.
  std::string init(const UpstreamSettings& settings);
  std::string reconfigure(const UpstreamSettings& settings) override;
  void send(std::span<const uint8_t> query, uint64_t tag) override;
  void shutdown(std::function<void()> closed = {}) override;
  const std::string& servers_text() const override { return servers_text_; }

 private:
  // The runs made for one setting of the servers.
  struct Generation {
    std::vector<std::unique_ptr<Upstream>> runs;
    uint64_t outstanding = 0;  // queries sent to its runs and not answered yet
    bool retired = false;      // replaced by reconfigure(): shut down once drained
    bool shut = false;         // its runs were told to shut down
    size_t closing = 0;        // ... and have not all reported closed yet
  };
  // A query while more than one run may see it (kept to send it to the next run).
  struct Pending {
    Generation* generation;
    size_t run;
    std::vector<uint8_t> query;
    uint64_t sent_ms;
    std::string details;
  };

  std::string build(const UpstreamSettings& settings, std::unique_ptr<Generation>& out);
  void on_reply(Generation* generation, size_t run, UpstreamReply&& reply);
  void send_to(Generation* generation, size_t run, std::span<const uint8_t> query, uint64_t tag);
  void schedule_reap();
  void shut(Generation& g);
  // Shuts down drained retired generations and frees closed ones (from the timer, never
  // inside a run's handler).
  void reap();
  void maybe_closed();

  uv_loop_t* loop_;
  Handler handler_;
  UpstreamTransport transport_;
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
