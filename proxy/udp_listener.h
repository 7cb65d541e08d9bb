// UdpListener: one bound UDP socket (RFC 1035 §4.2.1). Hands each datagram to the Server
// and sends replies, without copying when the socket is writable at once.
#pragma once

#include <uv.h>

#include <array>
#include <span>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/address.h"

namespace dnsp::proxy {

class Server;

class UdpListener {
 public:
  UdpListener(uv_loop_t* loop, Server& server);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds and starts receiving; returns "" or what went wrong.
  std::string start(const SocketAddress& address, PortSharing sharing = PortSharing::Exclusive);
  // Sends at once when the socket takes it; copies the bytes only when it must queue them.
  void send(const SocketAddress& to, std::span<const uint8_t> packet);
  void close();
  const std::string& name() const { return name_; }

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from,
                      unsigned flags) noexcept;

  uv_loop_t* loop_;
  Server& server_;
  uv_udp_t handle_{};
  bool open_ = false;
  std::string name_;
  std::array<char, 65536> recv_buffer_{};
};

}  // namespace dnsp::proxy
