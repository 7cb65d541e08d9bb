// UdpListener: one bound UDP socket (RFC 1035 §4.2.1). Hands each datagram to the Server
// and sends replies. Replies made while a batch of datagrams read by one recvmmsg(2) is
// being handled (cache hits, synthesised answers) leave in one sendmmsg(2) at the end of
// that batch; any other reply is sent at once, without copying when the socket takes it.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "proxy/address.h"

namespace dnsp::proxy {

class QuerySink;

class UdpListener {
 public:
  UdpListener(uv_loop_t* loop, QuerySink& sink);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds and starts receiving; returns "" or what went wrong. `receive_buffer` > 0 asks the
  // kernel for that many octets of socket receive buffer (SO_RCVBUFFORCE, which passes
  // net.core.rmem_max with CAP_NET_ADMIN, as root before privileges are dropped; else
  // SO_RCVBUF, capped by rmem_max); 0 keeps the system's default (net.core.rmem_default).
  std::string start(const SocketAddress& address, PortSharing sharing = PortSharing::Exclusive,
                    uint32_t receive_buffer = 0);
  // The socket's receive buffer as the kernel has it (SO_RCVBUF: it doubles what was asked
  // for its bookkeeping, so this is what datagrams may fill); 0 when closed.
  uint32_t receive_buffer() const;
  // Takes a socket bound by someone else (systemd socket activation) and starts receiving
  // on it; the listener owns `fd` from now on (closed with it, even on error).
  std::string adopt(int fd);
  // Draining (SIGTERM): the kernel stops handing this socket new datagrams while those
  // already queued are still read and answered. It connect()s the socket to its own
  // address: in an SO_REUSEPORT group a connected socket is skipped when the kernel picks
  // a socket for a datagram, so the group's other sockets (a new process's) get them all,
  // and none is lost in a queue that close() would throw away. A socket bound to a wildcard
  // address (0.0.0.0, ::) is closed instead: connecting it would also fix the source
  // address of its replies to the loopback one, and a datagram queued at that instant is
  // lost. "" or what went wrong (the caller closes the socket then).
  std::string stop_new_datagrams();
  // Within a receive batch: copied, sent with the batch's other replies when it ends.
  // Otherwise: sent at once when the socket takes it; copied only when it must be queued,
  // and dropped (Stats::udp_replies_dropped) when 1 MiB is queued already.
  void send(const SocketAddress& to, std::span<const uint8_t> packet);
  void close();
  const std::string& name() const { return name_; }
  // The address the socket is bound to (the port the kernel chose for port 0): where
  // clients sent their queries, for dnstap's response_address.
  const SocketAddress& local() const { return local_; }

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from,
                      unsigned flags) noexcept;
  void send_now(const SocketAddress& to, std::span<const uint8_t> packet);
  // Sends the replies held for the batch: one sendmmsg(2); what it could not take goes
  // through send_now().
  void flush();

  uv_loop_t* loop_;
  QuerySink& sink_;
  uv_udp_t handle_{};
  bool open_ = false;
  std::string name_;
  SocketAddress local_;
  // recvmmsg(2) through libuv (UV_UDP_RECVMMSG): one system call reads up to kBatch
  // datagrams, each into its own 64 KiB slot of this buffer (libuv's slot size). Allocated
  // once and never zeroed: only the pages datagrams land in become resident.
  static constexpr size_t kSlot = 65536;
  static constexpr size_t kBatch = 20;  // libuv 1.44 reads at most 20 per call
  std::unique_ptr<char[]> recv_buffer_{new char[kSlot * kBatch]};
  // Replies held while a batch is handled (at most one per datagram of it, but a full set
  // is flushed early). The vectors keep their capacity: no allocation once warm.
  bool in_batch_ = false;
  size_t held_ = 0;
  std::array<std::vector<uint8_t>, kBatch> held_packets_;
  std::array<SocketAddress, kBatch> held_to_;
  std::array<iovec, kBatch> held_iov_{};
  std::array<mmsghdr, kBatch> held_msgs_{};
};

}  // namespace dnsp::proxy
