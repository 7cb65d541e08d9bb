#include "proxy/udp_listener.h"

#include <unistd.h>

#include <cstring>

#include "proxy/log.h"
#include "proxy/server.h"

namespace dnsp::proxy {
namespace {

struct SendRequest {
  uv_udp_send_t req;
  std::vector<uint8_t> packet;
};

}  // namespace

UdpListener::UdpListener(uv_loop_t* loop, Server& server) : loop_(loop), server_(server) {}

std::string UdpListener::start(const SocketAddress& address, PortSharing sharing) {
  name_ = "udp " + to_string(address.get());
  uv_udp_init_ex(loop_, &handle_, AF_UNSPEC | UV_UDP_RECVMMSG);
  handle_.data = this;
  open_ = true;
  // libuv 1.44 cannot set SO_REUSEPORT on Linux: bind the socket ourselves.
  const int fd = bind_socket(address, SOCK_DGRAM, sharing);
  if (fd < 0) return "cannot listen on " + name_ + ": " + uv_strerror(fd);
  if (const int rc = uv_udp_open(&handle_, fd); rc != 0) {
    ::close(fd);
    return "cannot listen on " + name_ + ": " + uv_strerror(rc);
  }
  if (const int rc = uv_udp_recv_start(&handle_, &UdpListener::on_alloc, &UdpListener::on_recv);
      rc != 0) {
    return "cannot receive on " + name_ + ": " + uv_strerror(rc);
  }
  return "";
}

void UdpListener::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  // The listener's own buffer, reused for every batch (each datagram is handled before the
  // next batch is read).
  auto* self = static_cast<UdpListener*>(h->data);
  buf->base = self->recv_buffer_.get();
  buf->len = kSlot * kBatch;
}

void UdpListener::on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from,
                          unsigned flags) noexcept {
  auto* self = static_cast<UdpListener*>(h->data);
  // 0 + null address: nothing (more) to read; with UV_UDP_MMSG_FREE: the end of a batch.
  if (n <= 0 || from == nullptr) return;
  if (flags & UV_UDP_PARTIAL) return;     // larger than 64 KiB: cannot be DNS
  UdpClient client{self, {}};
  const size_t len = from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&client.address.storage, from, len);
  self->server_.handle_query({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n)},
                             ClientRef{client});
}

void UdpListener::send(const SocketAddress& to, std::span<const uint8_t> packet) {
  if (!open_) return;
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(packet.data())),
                           static_cast<unsigned>(packet.size()));
  const int rc = uv_udp_try_send(&handle_, &b, 1, to.get());
  if (rc >= 0) return;
  if (rc != UV_EAGAIN) {
    LOG_DEBUG("reply to " << to_string(to.get()) << " failed: " << uv_strerror(rc));
    return;
  }
  // The socket buffer is full: queue it, owning the bytes until the send completes.
  auto* req = new SendRequest{{}, {packet.begin(), packet.end()}};
  req->req.data = req;
  b = uv_buf_init(reinterpret_cast<char*>(req->packet.data()),
                  static_cast<unsigned>(req->packet.size()));
  const int qrc = uv_udp_send(&req->req, &handle_, &b, 1, to.get(), [](uv_udp_send_t* r, int) {
    delete static_cast<SendRequest*>(r->data);
  });
  if (qrc != 0) delete req;
}

void UdpListener::close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
}

}  // namespace dnsp::proxy
