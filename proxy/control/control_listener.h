// ControlListener: the Unix socket of `dnssec-proxy control` ([control] socket) on the main
// event loop. One request line per connection (proxy/control/protocol.h), handed to the
// handler, whose reply is written back before the connection closes. Bounded: a line of at
// most kMaxControlLine octets, kMaxControlConnections at once, kControlLineTimeoutMs to send
// it. The socket file is mode 0660 and owned by the proxy's account (the only access
// control: root and the proxy's group may use it); a stale file left by a dead proxy is
// replaced, a live one is an error.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dnsp::proxy {

class ControlListener {
 public:
  // The reply (protocol.h format_control_reply) to one request line.
  using Handler = std::function<std::string(std::string_view line)>;
  ControlListener(uv_loop_t* loop, Handler handler);
  ~ControlListener();
  ControlListener(const ControlListener&) = delete;
  ControlListener& operator=(const ControlListener&) = delete;

  // Binds `path` (replacing a stale socket file), sets mode 0660 and, when given, the
  // owner, and listens. "" or what went wrong, naming the path and what to do.
  std::string start(const std::string& path, std::optional<uid_t> uid, std::optional<gid_t> gid);
  // Stops listening, closes the connections and removes the socket file. The object may be
  // destroyed once the loop has run the close callbacks (closed() says so).
  void close();
  bool closed() const { return open_handles_ == 0; }

 private:
  struct Connection;
  static void on_connection(uv_stream_t* server, int status) noexcept;
  void finish(Connection* c, const std::string& reply);
  void drop(Connection* c);

  uv_loop_t* loop_;
  Handler handler_;
  uv_pipe_t pipe_{};
  bool listening_ = false;
  std::string path_;
  size_t open_handles_ = 0;
  std::vector<Connection*> connections_;
};

}  // namespace dnsp::proxy
