// Upstream: a c-ares channel driven by our libuv loop (STYLE §5). Queries are raw packets
// we encoded (resolver/replies.h upstream_query: EDNS0, DO=1, CD=1) sent with ares_send,
// so replies arrive raw. c-ares handles failover between servers, retries and the TCP
// retry of truncated replies. Callers identify queries by a tag, never by a pointer.
#pragma once

#include <ares.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace dnsp::proxy {

enum class UpstreamStatus : uint8_t {
  Answered,      // `packet` holds the reply
  Timeout,       // no server answered in time
  Unreachable,   // connection refused or another network error
  ServerFailed,  // every server answered SERVFAIL, REFUSED or NOTIMP
  BadReply,      // every server answered with something unusable
  Cancelled,     // the channel is shutting down
};

struct UpstreamReply {
  uint64_t tag;
  UpstreamStatus status;
  std::vector<uint8_t> packet;
};

class Upstream {
 public:
  using Handler = std::function<void(UpstreamReply&&)>;

  Upstream(uv_loop_t* loop, Handler handler);
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  // Sets up the channel. Nothing is sent until the first query. Returns "" or an error.
  std::string init(const std::vector<config::Endpoint>& servers, uint32_t timeout_ms,
                   uint32_t attempts);
  // Sends `query` (its ID is replaced by c-ares); the handler gets `tag` back exactly once.
  void send(std::span<const uint8_t> query, uint64_t tag);
  // Fails every outstanding query with Cancelled and releases all handles.
  void shutdown();

  const std::string& servers_text() const { return servers_text_; }

 private:
  struct Poll {
    uv_poll_t handle;
    ares_socket_t fd;
    Upstream* owner;
  };

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) noexcept;
  static void on_poll(uv_poll_t* handle, int status, int events) noexcept;
  static void on_timer(uv_timer_t* handle) noexcept;
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf,
                        int alen) noexcept;
  void rearm_timer();

  uv_loop_t* loop_;
  Handler handler_;
  ares_channel channel_ = nullptr;
  uv_timer_t timer_{};
  bool timer_open_ = false;
  std::unordered_map<ares_socket_t, Poll*> polls_;
  std::string servers_text_;
};

}  // namespace dnsp::proxy
