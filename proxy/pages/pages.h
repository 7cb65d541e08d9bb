// Pages: the HttpHandler behind [metrics] listen (proxy/listen/http_handler.h) for everything
// but /metrics: "/health" and "/ready" (200 "ok" or 503 and the reason, proxy/health.h),
// "/" (the dashboard, dashboard.h) and "/explain?name=N&type=T[&format=F]" (the
// chain of trust and report of the same trace `explain --server` gives: ExplainService, with
// its limit of four at once (429 past it) and its same-host policy (403 otherwise)). Read-only
// GET pages without script; a Content-Security-Policy forbids any other resource.
#pragma once

#include <functional>

#include "proxy/explain_service.h"
#include "proxy/listen/http_handler.h"
#include "proxy/pages/dashboard.h"

namespace dnsp::proxy {

// What the pages read and ask, wired by proxy/main.cc.
struct PagesWiring {
  std::function<DashboardData()> dashboard;
  // Server::explain_for_page on loop 0.
  std::function<void(const resolver::Question&, resolver::ExplainFormat, resolver::PageLinks,
                     const ClientAddresses&, ExplainService::TraceDone)>
      explain;
  // "" when healthy / ready, else the reason for the 503 (proxy/health.h).
  std::function<std::string()> health;
  std::function<std::string()> ready;
};

class Pages final : public HttpHandler {
 public:
  explicit Pages(PagesWiring wiring) : wiring_(std::move(wiring)) {}
  void handle(const HttpRequest& request, const HttpPeer& peer, HttpReply reply) override;

 private:
  void explain(const HttpRequest& request, const HttpPeer& peer, HttpReply reply);
  PagesWiring wiring_;
};

// "Content-Security-Policy: ..." for every page: no script, no fetch, inline styles only.
extern const char* const kPageSecurityHeaders;

}  // namespace dnsp::proxy
