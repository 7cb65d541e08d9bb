// FailoverUpstream: what make_upstream() returns. One member per configured server (a plain
// server gets a CaresUpstream for UDP and one for TCP, a TLS or HTTPS server a TlsUpstream),
// and a ServerSelection (selection.h) that orders them for each query by [upstream]
// strategy and health. A query goes to the first server of its order; when that one fails
// (timeout, refused, TLS refused, SERVFAIL...), at once to the next; and with [upstream]
// hedge, when it has not answered after a delay adapted from its RTT, to the next one too
// (the first answer wins; a later one is dropped). A query that fails everywhere gets the
// last status and every reason the servers gave, joined ("tls://127.0.0.1:853#dns.test:
// SPKI pin mismatch; ..."). A server that answers without OPT (it does not do EDNS, RFC 6891
// §7: CaresUpstream's header) counts only when no other server gives an answer with OPT.
// One server: no selection at all, queries pass straight through (the common case).
//
// send_avoiding() (the pipeline's retry of an answer that failed validation) leaves the
// servers it names out of the query's order; when that would leave none, only the first
// named (the prime suspect), and when that too would leave none, none. Each answer names
// its server (UpstreamReply::server).
//
// UpstreamTransport::Tcp (the pipeline's retry of an answer that lost DNSSEC records over
// UDP) goes, for a plain server, to its second CaresUpstream made for TCP (c-ares channels
// of its own), and for a TLS server to the same TlsUpstream as every other query: its
// connections are streams already.
//
// On reconfigure() (SIGHUP) new members are built for the new servers; the old ones finish
// the queries they have (without failing over to the new ones) and are then shut down.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/upstream/selection.h"
#include "proxy/upstream/upstream.h"

namespace dnsp::proxy {

class FailoverUpstream final : public Upstream {
 public:
  FailoverUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters);
  ~FailoverUpstream() override;
  FailoverUpstream(const FailoverUpstream&) = delete;
  FailoverUpstream& operator=(const FailoverUpstream&) = delete;

  // Builds the members. "" or what went wrong; then nothing was opened and this object may be
  // destroyed at once.
  std::string init(const UpstreamSettings& settings);
  std::string reconfigure(const UpstreamSettings& settings) override;
  using Upstream::send;
  void send(std::span<const uint8_t> query, uint64_t tag, UpstreamTransport transport) override;
  void send_avoiding(std::span<const uint8_t> query, uint64_t tag, UpstreamTransport transport,
                     const std::vector<std::string>& suspects) override;
  void shutdown(std::function<void()> closed = {}) override;
  const std::string& servers_text() const override { return servers_text_; }

 private:
  // One configured server.
  struct Member {
    std::unique_ptr<Upstream> upstream;  // TLS: every query; plain: over UpstreamTransport::Udp
    std::unique_ptr<Upstream> over_tcp;  // plain: over UpstreamTransport::Tcp; TLS: null
    Upstream& over(UpstreamTransport transport) const {
      return transport == UpstreamTransport::Tcp && over_tcp ? *over_tcp : *upstream;
    }
  };
  // The members made for one setting of the servers.
  struct Generation {
    std::vector<Member> members;
    std::optional<ServerSelection> selection;
    std::vector<const ServerCounters*> board;  // each member's entry (probe verdicts), or null
    bool hedge = true;
    uint64_t outstanding = 0;  // tries sent to its members and not answered yet
    bool retired = false;      // replaced by reconfigure(): shut down once drained
    bool shut = false;         // its members were told to shut down
    size_t closing = 0;        // ... and have not all reported closed yet
  };
  // A query of a generation with more than one member, until its reply is given.
  struct Query {
    Generation* generation;
    uint64_t tag;  // the caller's
    UpstreamTransport transport;
    std::vector<uint8_t> packet;
    uint64_t sent_ms;
    std::vector<size_t> order;  // members to ask, in order
    size_t next = 0;            // order[next]: the next to ask
    size_t outstanding = 0;     // tries sent and not replied
    std::optional<std::multimap<uint64_t, uint64_t>::iterator> hedge;  // in hedges_
    std::optional<UpstreamReply> without_opt;  // an answer from a server without EDNS
    UpstreamStatus last = UpstreamStatus::Timeout;
    std::string details;
  };
  // One try of a Query at one member, by the tag the member was given.
  struct Try {
    uint64_t query;
    size_t member;
    uint64_t sent_ms;
  };

  std::string build(const UpstreamSettings& settings, std::unique_ptr<Generation>& out);
  // The member for `server` (settings.servers holds just it), member number `index`.
  std::string make_member(Generation* g, size_t index, const UpstreamSettings& server, Member& out);
  void on_reply(Generation* generation, size_t member, UpstreamReply&& reply);
  void on_try_reply(Generation* generation, size_t member, UpstreamReply&& reply);
  // Sends query `id` to the next member of its order (and arms its hedge).
  void try_next(uint64_t id, Query& q);
  void finish(uint64_t id, Query& q, UpstreamReply&& reply);
  void drop_hedge(Query& q);
  void arm_hedge_timer();
  void on_hedge_timer();
  void schedule_reap();
  void shut(Generation& g);
  // Shuts down drained retired generations and frees closed ones (from the timer, never
  // inside a member's handler).
  void reap();
  void maybe_closed();

  uv_loop_t* loop_;
  Handler handler_;
  TransportCounters* counters_;
  bool open_ = false;
  std::unique_ptr<Generation> current_;
  std::vector<std::unique_ptr<Generation>> retired_;
  std::unordered_map<uint64_t, Query> queries_;  // by our id, for multi-member generations
  std::unordered_map<uint64_t, Try> tries_;      // by the tag the member was given
  std::multimap<uint64_t, uint64_t> hedges_;     // when (loop ms) -> query id
  uint64_t next_id_ = 1;
  uint64_t next_try_ = 1;
  uv_timer_t hedge_timer_{};
  std::string servers_text_;
  uv_timer_t reap_timer_{};
  bool timer_open_ = false;
  int timers_closed_ = 0;  // of reap_timer_ and hedge_timer_
  std::function<void()> closed_;
};

}  // namespace dnsp::proxy
