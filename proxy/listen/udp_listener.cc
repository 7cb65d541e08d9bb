#include "proxy/listen/udp_listener.h"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/listen/query_sink.h"
#include "proxy/log.h"

namespace dnsp::proxy {
namespace {

struct SendRequest {
  uv_udp_send_t req;
  std::vector<uint8_t> packet;
};

// Replies queued for a socket whose buffer is full, at most (libuv's count of queued
// octets). Beyond, a reply is dropped, as the kernel drops a datagram when its buffer is
// full: a client retries over UDP or TCP. Without a bound a flood of queries (or of
// spoofed ones aimed at a victim) made the queue, and our memory, grow without end.
constexpr size_t kMaxSendQueue = 1 << 20;

}  // namespace

UdpListener::UdpListener(uv_loop_t* loop, QuerySink& sink) : loop_(loop), sink_(sink) {}

std::string UdpListener::start(const SocketAddress& address, PortSharing sharing,
                               uint32_t receive_buffer) {
  name_ = "udp " + to_string(address.get());
  uv_udp_init_ex(loop_, &handle_, AF_UNSPEC | UV_UDP_RECVMMSG);
  handle_.data = this;
  open_ = true;
  // libuv 1.44 cannot set SO_REUSEPORT on Linux: bind the socket ourselves.
  const int fd = bind_socket(address, SOCK_DGRAM, sharing);
  if (fd < 0) return "cannot listen on " + name_ + ": " + uv_strerror(fd);
  if (receive_buffer > 0) {
    // Queries arrive in bursts that outrun one event loop now and then; the kernel drops
    // what its buffer cannot hold (Unbound's so-rcvbuf, the same remedy). A smaller
    // buffer than asked is not an error: the caller logs what the kernel granted.
    const int size = static_cast<int>(receive_buffer);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
  }
  socklen_t len = sizeof local_.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local_.storage), &len) != 0) local_ = address;
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

uint32_t UdpListener::receive_buffer() const {
  if (!open_) return 0;
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd) != 0) return 0;
  int size = 0;
  socklen_t len = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) != 0 || size < 0) return 0;
  return static_cast<uint32_t>(size);
}

std::string UdpListener::adopt(int fd) {
  SocketAddress local;
  socklen_t len = sizeof local.storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local.storage), &len);
  name_ = "udp " + to_string(local.get());
  local_ = local;
  uv_udp_init_ex(loop_, &handle_, AF_UNSPEC | UV_UDP_RECVMMSG);
  handle_.data = this;
  open_ = true;
  if (const int rc = uv_udp_open(&handle_, fd); rc != 0) {
    ::close(fd);
    return "cannot receive on " + name_ + " (passed by systemd): " + uv_strerror(rc);
  }
  if (const int rc = uv_udp_recv_start(&handle_, &UdpListener::on_alloc, &UdpListener::on_recv);
      rc != 0) {
    return "cannot receive on " + name_ + " (passed by systemd): " + uv_strerror(rc);
  }
  return "";
}

std::string UdpListener::stop_new_datagrams() {
  if (!open_) return "";
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_), &fd) != 0) return "";
  SocketAddress local;
  socklen_t len = sizeof local.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local.storage), &len) != 0) {
    return "cannot stop " + name_ + " taking new datagrams: " + std::strerror(errno);
  }
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&local.storage);
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&local.storage);
  if (local.is_ipv6() ? IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)
                      : v4->sin_addr.s_addr == htonl(INADDR_ANY)) {
    close();
    return "";
  }
  if (::connect(fd, local.get(), len) != 0) {
    return "cannot stop " + name_ + " taking new datagrams: " + std::strerror(errno);
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
  // libuv 1.44 with recvmmsg: each datagram of a batch comes with UV_UDP_MMSG_CHUNK, then
  // one call with UV_UDP_MMSG_FREE (0, null address) ends the batch. Any call that is not
  // a chunk ends a batch too, so that no reply can wait for a batch end that never comes.
  const bool chunk = (flags & UV_UDP_MMSG_CHUNK) != 0;
  if (!chunk && self->in_batch_) {
    self->in_batch_ = false;
    self->flush();
  }
  if (flags & UV_UDP_MMSG_FREE) return;
  if (chunk) self->in_batch_ = true;
  // 0 + null address: nothing (more) to read.
  if (n <= 0 || from == nullptr) return;
  if (flags & UV_UDP_PARTIAL) return;  // larger than 64 KiB: cannot be DNS
  UdpClient client{self, {}};
  const size_t len = from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&client.address.storage, from, len);
  self->sink_.handle_query({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(n)},
                           ClientRef{client});
}

void UdpListener::send(const SocketAddress& to, std::span<const uint8_t> packet) {
  if (!open_) return;
  if (!in_batch_) {
    send_now(to, packet);
    return;
  }
  if (held_ == kBatch) flush();
  held_packets_[held_].assign(packet.begin(), packet.end());
  held_to_[held_] = to;
  ++held_;
}

void UdpListener::flush() {
  const size_t n = held_;
  held_ = 0;
  if (n == 0 || !open_) return;
  for (size_t i = 0; i < n; ++i) {
    held_iov_[i] = {held_packets_[i].data(), held_packets_[i].size()};
    msghdr& m = held_msgs_[i].msg_hdr;
    m = {};
    m.msg_name = &held_to_[i].storage;
    m.msg_namelen = held_to_[i].is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    m.msg_iov = &held_iov_[i];
    m.msg_iovlen = 1;
  }
  uv_os_fd_t fd = -1;
  size_t sent = 0;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd) == 0) {
    const int rc = ::sendmmsg(fd, held_msgs_.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    if (rc > 0) sent = static_cast<size_t>(rc);
  }
  // The rest (the socket buffer filled, or one reply failed): one by one, which queues
  // what the socket cannot take now and logs what fails.
  for (size_t i = sent; i < n; ++i) send_now(held_to_[i], held_packets_[i]);
}

void UdpListener::send_now(const SocketAddress& to, std::span<const uint8_t> packet) {
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(packet.data())),
                           static_cast<unsigned>(packet.size()));
  const int rc = uv_udp_try_send(&handle_, &b, 1, to.get());
  if (rc >= 0) return;
  if (rc != UV_EAGAIN) {
    LOG_DEBUG("reply to " << to_string(to.get()) << " failed: " << uv_strerror(rc));
    return;
  }
  // The socket buffer is full: queue it, owning the bytes until the send completes.
  if (uv_udp_get_send_queue_size(&handle_) + packet.size() > kMaxSendQueue) {
    sink_.udp_reply_dropped();
    LOG_DEBUG("reply to " << to_string(to.get()) << " dropped: " << name_
                          << " has 1 MiB of replies queued already");
    return;
  }
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
  flush();
  in_batch_ = false;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
}

}  // namespace dnsp::proxy
