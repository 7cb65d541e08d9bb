// Health check (dnssec-proxy --health-check ADDR[:PORT]): one query to a running proxy, for
// container HEALTHCHECKs and probes that have no dig. It checks that the proxy answers at
// all; what it answers (an upstream outage gives SERVFAIL) is printed, not judged. With
// http://ADDR:PORT/PATH it asks the [metrics] listener's /health or /ready instead, for images
// without curl (proxy/health.h decides what those say).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace dnsp::proxy {

// Sends ". IN NS" with RD over UDP to `proxy` and waits up to `timeout_ms` for the reply to
// it. Prints one line ("ok: 127.0.0.1:53 answered NOERROR in 3 ms", or why not) and returns
// the exit status: 0 when a reply came, 1 when none did.
int run_health_check(const config::Endpoint& proxy, int timeout_ms = 2000);

// An HTTP/1.x response as the listener sends it (Connection: close): its status code and
// the first line of its body (the reason a 503 gives). nullopt when `response` does not
// start with a status line "HTTP/1.x NNN ...\r\n". Bytes from the network: fuzzed by
// tests/fuzz/fuzz_http_status.cc.
struct HttpStatus {
  int code = 0;
  std::string first_body_line;
};
std::optional<HttpStatus> parse_http_status(std::string_view response);

// GETs `path` from the [metrics] listener at `listener` (HTTP/1.0, Host: the address) and
// waits up to `timeout_ms` for the whole response. Prints "ok: http://127.0.0.1:9153/ready
// answered 200" or "unhealthy: ... 503: draining: SIGTERM received, stopping" and returns
// 0 for a 200, 1 otherwise.
int run_http_health_check(const config::Endpoint& listener, const std::string& path,
                          int timeout_ms = 2000);

}  // namespace dnsp::proxy
