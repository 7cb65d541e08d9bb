// CaresUpstream: the Upstream (upstream.h) over plain DNS, UDP and TCP: c-ares channels
// driven by our libuv loop (STYLE §5). Queries are raw packets
// we encoded (resolver/serve/replies.h upstream_query: EDNS0, DO=1, CD=1) sent with ares_send,
// so replies arrive raw. c-ares handles failover between servers and retries; callers
// identify queries by a tag, never by a pointer.
//
// TCP, and what it costs an upstream (issue 22). UDP channels set ARES_FLAG_EDNS, so a UDP
// reply over 512 octets is taken whole (c-ares 1.18 otherwise treats it as truncated and
// asks again over TCP), and ARES_FLAG_IGNTC, so a reply with TC comes back to us: we ask
// again, same tag, on a TCP channel of our own. TCP channels never set ARES_FLAG_STAYOPEN:
// c-ares closes their connections as soon as the channel has no query outstanding. An idle
// connection held open blocks some upstreams whole: dnsmasq run with --no-daemon (-d) serves
// one TCP connection at a time in its only process, and answers no UDP query until that
// connection closes.
//
// Upstreams that reject EDNS (issue 14, point 5; RFC 6891 §7). With ARES_FLAG_EDNS, c-ares
// answers a FORMERR without OPT by asking the same server again without our OPT (it removes
// the query's last 11 octets: exactly our OPT) and turns EDNS off for that channel. A reply
// without OPT therefore means "this server does not do EDNS": the channel is retired (so
// EDNS is back for the next queries) and, while servers remain untried, the query goes
// again, with EDNS, to the next server (a channel whose server list starts there). When
// every server answered without OPT, that last answer stands and validation judges it (a
// signed zone is then bogus: no RRSIGs). An upstream's FORMERR never reaches the client: it
// counts as a failed server (ServerFailed).
#pragma once

#include <ares.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "crypto/random.h"
#include "proxy/upstream/upstream.h"

namespace dnsp::proxy {

class CaresUpstream final : public Upstream {
 public:
  // `counters`, when given, must outlive this; its board (if any) gets the list's queries.
  CaresUpstream(uv_loop_t* loop, Handler handler, TransportCounters* counters = nullptr);
  ~CaresUpstream() override;
  CaresUpstream(const CaresUpstream&) = delete;
  CaresUpstream& operator=(const CaresUpstream&) = delete;

  // Sets up the channel. Nothing is sent, and no libuv handle opened, until the first query:
  // an upstream dropped unused needs no shutdown(). Returns "" or an error.
  // UpstreamTransport::Tcp makes every query use TCP (c-ares ARES_FLAG_USEVC). A query sent
  // with UpstreamTransport::Tcp starts over TCP either way, on the TCP channel truncated UDP
  // replies use (FailoverUpstream keeps a CaresUpstream made for TCP instead).
  std::string init(const UpstreamSettings& settings, UpstreamTransport transport);
  std::string reconfigure(const UpstreamSettings& settings) override;
  using Upstream::send;
  void send(std::span<const uint8_t> query, uint64_t tag, UpstreamTransport transport) override;
  void shutdown(std::function<void()> closed = {}) override;
  const std::string& servers_text() const override { return servers_text_; }
  // Channels created so far (each with its own UDP sockets); for tests and logs.
  uint64_t channels_created() const { return channels_created_; }

  // Queries sent on one channel before the next query opens a new one.
  static constexpr uint32_t kQueriesPerChannel = 64;
  // The longest UDP reply taken whole (c-ares 1.18 reads at most 4096 octets of a datagram);
  // we advertise 1232 (resolver/serve/replies.h kUpstreamUdpPayload), some upstreams send more.
  static constexpr int kMaxUdpReply = 4096;

 private:
  struct Channel {
    CaresUpstream* owner;
    UpstreamTransport transport = UpstreamTransport::Udp;
    size_t start = 0;  // the index in servers_ of the first server c-ares tries
    ares_channel channel = nullptr;
    uint32_t sent = 0;                 // queries given to this channel
    uint32_t outstanding = 0;          // ... whose callback has not run yet
    std::unordered_set<uint16_t> ids;  // the IDs of those queries
  };
  struct Poll {
    uv_poll_t handle;
    ares_socket_t fd;
    Channel* channel;
  };

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) noexcept;
  static void on_poll(uv_poll_t* handle, int status, int events) noexcept;
  static void on_timer(uv_timer_t* handle) noexcept;
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf,
                        int alen) noexcept;
  void rearm_timer();
  // A new channel over `transport` whose server list starts at servers_[start] (it takes
  // that slot; the channel there before retires); "" or what went wrong.
  std::string open_channel(UpstreamTransport transport, size_t start);
  std::unique_ptr<Channel>& slot(UpstreamTransport transport, size_t start) {
    return live_[start * 2 + (transport == UpstreamTransport::Tcp ? 1 : 0)];
  }
  // Sends `packet` with a fresh random ID on the channel over `transport` that starts at
  // servers_[start], opening or rotating it as needed; the handler gets `tag` back once.
  // `edns_tried`: servers that answered this query without OPT so far.
  void send_on(UpstreamTransport transport, size_t start, std::vector<uint8_t> packet, uint64_t tag,
               uint64_t sent_ms, size_t edns_tried);
  // Destroys retired channels whose last query has ended (never from inside c-ares).
  void reap();
  void close_poll(ares_socket_t fd);

  // The addresses of `servers`, which are all plain.
  static std::vector<config::Endpoint> endpoints(
      const std::vector<config::UpstreamServer>& servers);
  // "a:53,b:53" for ares_set_servers_ports_csv, from servers[start] round to start - 1.
  static std::string servers_csv(const std::vector<config::Endpoint>& servers, size_t start = 0);

  uv_loop_t* loop_;
  Handler handler_;
  ares_options options_{};
  int option_mask_ = 0;
  UpstreamTransport transport_ =
      UpstreamTransport::Udp;  // what init() was given: every query starts there
  bool open_ = false;          // between init() and shutdown()
  std::vector<config::Endpoint> servers_;
  // The channels taking new queries, two per server (UDP, TCP) by slot(): those starting at
  // server 0 serve nearly everything; the others only queries a server answered without OPT.
  // Opened on first use.
  std::vector<std::unique_ptr<Channel>> live_;
  crypto::RandomPool random_;                      // query IDs
  std::vector<std::unique_ptr<Channel>> retired_;  // draining their last queries
  uv_timer_t timer_{};
  bool timer_open_ = false;
  std::function<void()> closed_;  // shutdown()'s callback, until the timer is closed
  std::unordered_map<ares_socket_t, Poll*> polls_;
  std::string servers_text_;
  TransportCounters* counters_ = nullptr;
  ServerCounters* board_ = nullptr;  // this list's entry on counters_->board
  uint64_t channels_created_ = 0;
  int in_ares_ = 0;  // > 0 while c-ares (and so possibly a callback) is on the stack
};

}  // namespace dnsp::proxy
