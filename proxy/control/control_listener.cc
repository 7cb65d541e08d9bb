#include "proxy/control/control_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proxy/control/protocol.h"
#include "proxy/log.h"

namespace dnsp::proxy {

// One client: read the request line, answer once, close. Freed when both of its handles
// are closed.
struct ControlListener::Connection {
  ControlListener* owner = nullptr;
  uv_pipe_t pipe{};
  uv_timer_t timer{};
  uv_write_t write{};
  ControlLineReader reader;
  std::string reply;
  char buffer[256];
  int open_handles = 0;
  bool closing = false;
  bool answered = false;

  void close() {
    if (closing) return;
    closing = true;
    if (owner != nullptr) owner->drop(this);
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe), &Connection::on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), &Connection::on_closed);
  }
  static void on_closed(uv_handle_t* h) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles == 0) delete c;
  }
  static void on_timeout(uv_timer_t* t) noexcept { static_cast<Connection*>(t->data)->close(); }
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    buf->base = c->buffer;
    buf->len = sizeof c->buffer;
  }
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(s->data);
    if (n < 0) {
      c->close();
      return;
    }
    if (c->answered || c->owner == nullptr || n == 0) return;
    const auto state =
        c->reader.feed({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n)});
    if (state == ControlLineReader::State::Incomplete) return;
    c->answered = true;
    uv_read_stop(s);
    if (state == ControlLineReader::State::TooLong) {
      c->owner->finish(
          c, format_control_reply({false, "request line longer than " +
                                              std::to_string(kMaxControlLine) + " octets\n"}));
      return;
    }
    // The command runs here, on the main loop, before anything else is read.
    c->owner->finish(c, c->owner->handler_(c->reader.line()));
  }
  static void on_written(uv_write_t* w, int) noexcept {
    static_cast<Connection*>(w->data)->close();
  }
};

ControlListener::ControlListener(uv_loop_t* loop, Handler handler)
    : loop_(loop), handler_(std::move(handler)) {}

ControlListener::~ControlListener() = default;

namespace {

// What is at `path` now: "" when nothing (or a stale socket, removed), else why not.
std::string clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return "";
    return "cannot use control socket " + path + ": " + std::strerror(errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return "cannot use control socket " + path +
           ": a file that is not a socket is there; remove it or set [control] socket to "
           "another path";
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "cannot use control socket " + path + ": " + std::strerror(errno);
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  if (rc == 0) {
    return "control socket " + path +
           " is in use: another dnssec-proxy is running with it; stop that one, or set "
           "[control] socket to another path";
  }
  if (err != ECONNREFUSED) {
    return "cannot use control socket " + path + ": " + std::strerror(err);
  }
  // A socket nobody listens on: left by a proxy that died.
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return "cannot remove the stale control socket " + path + ": " + std::strerror(errno);
  }
  LOG_INFO("removed the stale control socket " << path << " (left by a proxy that stopped)");
  return "";
}

}  // namespace

std::string ControlListener::start(const std::string& path, std::optional<uid_t> uid,
                                   std::optional<gid_t> gid) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return "control socket " + path + ": the path is too long for a Unix socket (at most " +
           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " octets)";
  }
  if (auto err = clear_stale_socket(path); !err.empty()) return err;
  uv_pipe_init(loop_, &pipe_, 0);
  pipe_.data = this;
  listening_ = true;
  ++open_handles_;
  // Created 0600 by the umask, then opened to the group: never wider than 0660 meanwhile.
  const mode_t old_umask = umask(0177);
  int rc = uv_pipe_bind(&pipe_, path.c_str());
  umask(old_umask);
  if (rc != 0) {
    return "cannot create control socket " + path + ": " + uv_strerror(rc) +
           " (does its directory exist? systemd makes /run/dnssec-proxy with "
           "RuntimeDirectory=dnssec-proxy; or set [control] socket)";
  }
  path_ = path;
  if ((uid || gid) && chown(path.c_str(), uid ? *uid : static_cast<uid_t>(-1),
                            gid ? *gid : static_cast<gid_t>(-1)) != 0) {
    return "cannot give control socket " + path + " to the proxy's user: " + std::strerror(errno);
  }
  if (chmod(path.c_str(), 0660) != 0) {
    return "cannot set the mode of control socket " + path + ": " + std::strerror(errno);
  }
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&pipe_), 16, &on_connection);
  if (rc != 0) return "cannot listen on control socket " + path + ": " + uv_strerror(rc);
  return "";
}

void ControlListener::close() {
  if (!listening_) return;
  listening_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_),
           [](uv_handle_t* h) { --static_cast<ControlListener*>(h->data)->open_handles_; });
  if (!path_.empty()) unlink(path_.c_str());
  while (!connections_.empty()) connections_.back()->close();
}

void ControlListener::drop(Connection* c) {
  std::erase(connections_, c);
  c->owner = nullptr;
}

void ControlListener::finish(Connection* c, const std::string& reply) {
  c->reply = reply;
  uv_buf_t buf = uv_buf_init(c->reply.data(), static_cast<unsigned>(c->reply.size()));
  c->write.data = c;
  if (uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->pipe), &buf, 1,
               &Connection::on_written) != 0) {
    c->close();
  }
}

void ControlListener::on_connection(uv_stream_t* server, int status) noexcept {
  auto* self = static_cast<ControlListener*>(server->data);
  if (status < 0 || !self->listening_) return;
  auto* c = new Connection;
  c->pipe.data = c;
  c->timer.data = c;
  uv_pipe_init(self->loop_, &c->pipe, 0);
  uv_timer_init(self->loop_, &c->timer);
  c->open_handles = 2;
  c->owner = self;
  self->connections_.push_back(c);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0) {
    c->close();
    return;
  }
  if (self->connections_.size() > kMaxControlConnections) {
    c->answered = true;
    self->finish(c,
                 format_control_reply({false, "busy: " + std::to_string(kMaxControlConnections) +
                                                  " control connections are open; try again\n"}));
    return;
  }
  uv_timer_start(&c->timer, &Connection::on_timeout, kControlLineTimeoutMs, 0);
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->pipe), &Connection::on_alloc,
                    &Connection::on_read) != 0) {
    c->close();
  }
}

}  // namespace dnsp::proxy
