// What the [metrics] listener hands a request to when it is not /metrics: an HttpHandler that
// proxy/main.cc wires up (proxy/pages/pages.h: the dashboard and /explain), so this folder
// knows nothing of the pipeline. A handler may answer later (an /explain trace takes seconds):
// it calls the HttpReply it was given once, on the listener's loop.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "proxy/address.h"
#include "proxy/listen/http_request.h"

namespace dnsp::proxy {

struct HttpResponse {
  std::string status = "200 OK";  // "429 Too Many Requests"
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::string extra_headers;  // whole lines, each ending in "\r\n"
};

// Delivers the response; a reply for a connection that has closed meanwhile is dropped.
using HttpReply = std::function<void(HttpResponse)>;

// The two ends of the client's connection.
struct HttpPeer {
  std::optional<SocketAddress> peer;
  std::optional<SocketAddress> local;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // A GET or HEAD request for anything but /metrics. Calls `reply` once, now or later
  // (404 for a path it does not serve).
  virtual void handle(const HttpRequest& request, const HttpPeer& peer, HttpReply reply) = 0;
};

}  // namespace dnsp::proxy
