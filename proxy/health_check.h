// Health check (dnssec-proxy --health-check ADDR[:PORT]): one query to a running proxy, for
// container HEALTHCHECKs and probes that have no dig. It checks that the proxy answers at
// all; what it answers (an upstream outage gives SERVFAIL) is printed, not judged.
#pragma once

#include "config/config.h"

namespace dnsp::proxy {

// Sends ". IN NS" with RD over UDP to `proxy` and waits up to `timeout_ms` for the reply to
// it. Prints one line ("ok: 127.0.0.1:53 answered NOERROR in 3 ms", or why not) and returns
// the exit status: 0 when a reply came, 1 when none did.
int run_health_check(const config::Endpoint& proxy, int timeout_ms = 2000);

}  // namespace dnsp::proxy
