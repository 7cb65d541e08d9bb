// The client side of the control socket: connect, send one request line, read the reply
// until the proxy closes (plain blocking POSIX calls; `dnssec-proxy control` runs nothing
// else). Every failure is put in words that say what to do.
#pragma once

#include <optional>
#include <string>

#include "proxy/control/protocol.h"

namespace dnsp::proxy {

struct ControlExchange {
  std::optional<ControlReply> reply;  // nullopt: the proxy could not be asked (see error)
  std::string error;                  // "permission denied on /run/...: ..."
};

// Sends `line` (no newline) to the proxy listening on `socket_path`; waits at most
// `timeout_ms` for the whole reply.
ControlExchange control_exchange(const std::string& socket_path, const std::string& line,
                                 int timeout_ms = 30000);

}  // namespace dnsp::proxy
