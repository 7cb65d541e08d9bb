#include "proxy/upstream.h"

#include <cstring>

#include "proxy/log.h"

namespace dnsp::proxy {

Upstream::Upstream(uv_loop_t* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}

Upstream::~Upstream() { shutdown(); }

std::string Upstream::init(const std::vector<config::Endpoint>& servers, uint32_t timeout_ms,
                           uint32_t attempts) {
  if (const int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
    return std::string("c-ares initialisation failed: ") + ares_strerror(rc);
  }
  ares_options opts{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  opts.sock_state_cb = &Upstream::on_sock_state;
  opts.sock_state_cb_data = this;
  opts.timeout = static_cast<int>(timeout_ms);
  opts.tries = static_cast<int>(attempts);
  // The channel never reads search domains or hosts files for us: ares_send only.
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  if (const int rc = ares_init_options(&channel_, &opts, mask); rc != ARES_SUCCESS) {
    channel_ = nullptr;
    return std::string("c-ares channel setup failed: ") + ares_strerror(rc);
  }
  std::string csv;
  for (const auto& s : servers) {
    if (!csv.empty()) csv += ',';
    csv += config::to_string(s);
  }
  servers_text_ = csv;
  if (const int rc = ares_set_servers_ports_csv(channel_, csv.c_str()); rc != ARES_SUCCESS) {
    return "cannot use upstream servers '" + csv + "': " + ares_strerror(rc);
  }
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_open_ = true;
  return "";
}

namespace {
// What c-ares holds for one query until its callback: the owner and the caller's tag. It
// is freed by the callback, which c-ares calls exactly once (also on ares_destroy).
struct Ticket {
  Upstream* owner;
  uint64_t tag;
};
}  // namespace

void Upstream::send(std::span<const uint8_t> query, uint64_t tag) {
  if (channel_ == nullptr) {
    handler_(UpstreamReply{tag, UpstreamStatus::Cancelled, {}});
    return;
  }
  ares_send(channel_, query.data(), static_cast<int>(query.size()), &Upstream::on_answer,
            new Ticket{this, tag});
  rearm_timer();
}

void Upstream::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                         int alen) noexcept {
  const Ticket ticket = *static_cast<Ticket*>(arg);
  delete static_cast<Ticket*>(arg);
  UpstreamReply reply{ticket.tag, UpstreamStatus::BadReply, {}};
  switch (status) {
    case ARES_SUCCESS:
      reply.status = UpstreamStatus::Answered;
      if (abuf != nullptr && alen > 0) reply.packet.assign(abuf, abuf + alen);
      break;
    case ARES_ETIMEOUT:
      reply.status = UpstreamStatus::Timeout;
      break;
    case ARES_ECONNREFUSED:
      reply.status = UpstreamStatus::Unreachable;
      break;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ENOTIMP:
      reply.status = UpstreamStatus::ServerFailed;
      break;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      reply.status = UpstreamStatus::Cancelled;
      break;
    default:
      LOG_DEBUG("upstream query failed: " << ares_strerror(status));
      reply.status = UpstreamStatus::BadReply;
      break;
  }
  ticket.owner->handler_(std::move(reply));
}

void Upstream::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) noexcept {
  auto* self = static_cast<Upstream*>(data);
  auto it = self->polls_.find(fd);
  if (readable == 0 && writable == 0) {
    if (it == self->polls_.end()) return;
    Poll* p = it->second;
    self->polls_.erase(it);
    uv_poll_stop(&p->handle);
    // Freed only in the close callback (STYLE §5).
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
             [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
    return;
  }
  Poll* p = nullptr;
  if (it == self->polls_.end()) {
    p = new Poll{};
    p->fd = fd;
    p->owner = self;
    if (uv_poll_init_socket(self->loop_, &p->handle, fd) != 0) {
      LOG_ERROR("cannot watch upstream socket " << fd);
      delete p;
      return;
    }
    p->handle.data = p;
    self->polls_.emplace(fd, p);
  } else {
    p = it->second;
  }
  const int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&p->handle, events, &Upstream::on_poll);
}

void Upstream::on_poll(uv_poll_t* handle, int status, int events) noexcept {
  auto* p = static_cast<Poll*>(handle->data);
  Upstream* self = p->owner;
  const ares_socket_t fd = p->fd;
  if (status < 0) {
    // Let c-ares see the failure on both directions (STYLE §5).
    ares_process_fd(self->channel_, fd, fd);
  } else {
    ares_process_fd(self->channel_, (events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
                    (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
  }
  self->rearm_timer();
}

void Upstream::on_timer(uv_timer_t* handle) noexcept {
  auto* self = static_cast<Upstream*>(handle->data);
  ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  self->rearm_timer();
}

void Upstream::rearm_timer() {
  if (channel_ == nullptr || !timer_open_) return;
  timeval tv{};
  timeval* next = ares_timeout(channel_, nullptr, &tv);
  if (next == nullptr) {
    uv_timer_stop(&timer_);
    return;
  }
  const uint64_t ms = static_cast<uint64_t>(next->tv_sec) * 1000 +
                      static_cast<uint64_t>(next->tv_usec + 999) / 1000;
  uv_timer_start(&timer_, &Upstream::on_timer, ms, 0);
}

void Upstream::shutdown() {
  if (channel_ != nullptr) {
    ares_channel ch = channel_;
    ares_destroy(ch);  // fails outstanding queries (Cancelled) and closes its sockets
    channel_ = nullptr;
  }
  for (auto& [fd, p] : polls_) {
    uv_poll_stop(&p->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
             [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
  }
  polls_.clear();
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

}  // namespace dnsp::proxy
