// Where a reply goes: a UDP client (listener + address) or a TCP connection, named by id
// because the connection may close before the answer is ready.
#pragma once

#include <cstdint>
#include <variant>

#include "proxy/address.h"

namespace dnsp::proxy {

class UdpListener;

struct UdpClient {
  UdpListener* listener;  // listeners live until the loop has stopped
  SocketAddress address;
};
struct TcpClient {
  uint64_t connection;
};
using ClientRef = std::variant<UdpClient, TcpClient>;

}  // namespace dnsp::proxy
