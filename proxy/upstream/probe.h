// Probing the [upstream] servers for what breaks DNSSEC (issue 18, "upstreams that break
// DNSSEC"): home routers and hotel resolvers that strip RRSIGs, drop queries with CD, have
// no TCP, or do not answer. Each server is asked, on its own, four questions:
//   . DNSKEY over UDP (DO, CD)      the root's keys with their RRSIG, an OPT in the reply
//   . DNSKEY over TCP (DO, CD)      the same over TCP (large answers need it)
//   com. DS over UDP (DO, CD)       a DS RRset, or its denial, with RRSIGs
//   . DNSKEY over UDP (DO, no CD)   answered when the CD one is not: the server drops CD
// judge() (sans I/O) turns the four replies into an UpstreamHealth and its evidence in
// words; UpstreamProber asks them at start, after a reload, every kIntervalMs, and sooner
// (at most every kAfterFailureMs) when the server's failure counters grew, and records the
// verdict on the UpstreamBoard, where FailoverUpstream reads it to ask such servers last
// (selection.h), and the metrics, the dashboard and the log show it. It asks through an
// Upstream of its own per server, so probes count nowhere on the board.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/upstream/upstream.h"

namespace dnsp::proxy {

// The replies to one round of probes.
struct ProbeReply {
  UpstreamStatus status = UpstreamStatus::Timeout;
  std::vector<uint8_t> packet;  // when Answered
  std::string detail;           // the transport's words when not
};
struct ProbeRound {
  ProbeReply dnskey_udp;
  ProbeReply dnskey_tcp;
  ProbeReply ds_udp;
  ProbeReply dnskey_no_cd;
};

struct ProbeVerdict {
  UpstreamHealth health = UpstreamHealth::Unknown;
  std::string evidence;  // "answered . DNSKEY over UDP without its RRSIG"
};
ProbeVerdict judge(const ProbeRound& round);

class UpstreamProber {
 public:
  static constexpr uint64_t kIntervalMs = 5 * 60 * 1000;
  static constexpr uint64_t kAfterFailureMs = 30 * 1000;
  static constexpr uint64_t kTickMs = 5 * 1000;

  UpstreamProber(uv_loop_t* loop, UpstreamBoard& board);
  ~UpstreamProber();
  UpstreamProber(const UpstreamProber&) = delete;
  UpstreamProber& operator=(const UpstreamProber&) = delete;

  // Probes the servers of `settings` now and from then on; "" or what went wrong.
  std::string start(const UpstreamSettings& settings);
  // New servers (SIGHUP): probed now; the old ones' probes are dropped.
  std::string reconfigure(const UpstreamSettings& settings);
  void stop();

 private:
  enum class Kind : uint8_t { DnskeyUdp, DnskeyTcp, DsUdp, DnskeyNoCd };
  struct Target {
    config::UpstreamServer server;
    std::string name;
    std::unique_ptr<Upstream> upstream;
    ServerCounters* counters = nullptr;
    ProbeRound round;
    int waiting = 0;  // probes of the round not answered yet
    uint64_t probed_ms = 0;
    uint64_t failures_seen = 0;  // timeouts + unreachable at the last probe
    bool probed = false;
  };
  struct Out {
    size_t generation;
    size_t target;
    Kind kind;
  };
  std::string build(const UpstreamSettings& settings);
  void tick();
  void probe(size_t index);
  void on_reply(size_t generation, UpstreamReply&& reply);
  void retire_all();

  uv_loop_t* loop_;
  UpstreamBoard& board_;
  std::vector<Target> targets_;
  struct Retired {
    std::unique_ptr<Upstream> upstream;
    std::shared_ptr<bool> closed;  // set by its shutdown() callback
  };
  std::vector<Retired> retired_;           // shut down by a reload or stop()
  std::unordered_map<uint64_t, Out> out_;  // by tag
  uint64_t next_tag_ = 1;
  size_t generation_ = 0;
  uv_timer_t timer_{};
  bool timer_open_ = false;
};

}  // namespace dnsp::proxy
