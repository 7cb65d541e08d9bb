#include "proxy/explain_service.h"

#include <netinet/in.h>

#include <string>
#include <utility>

#include "proxy/log.h"
#include "resolver/explain/explain.h"

namespace dnsp::proxy {

using resolver::EdeCode;
using resolver::ExtendedError;

bool is_loopback(const sockaddr* address) {
  if (address == nullptr) return false;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

bool same_ip(const sockaddr* a, const sockaddr* b) {
  if (a == nullptr || b == nullptr || a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(b)->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    return IN6_ARE_ADDR_EQUAL(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr,
                              &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr);
  }
  return false;
}

std::optional<ExtendedError> explain_refusal(resolver::Transport transport,
                                             const ClientAddresses& client) {
  const sockaddr* peer = client.peer ? client.peer->get() : nullptr;
  const sockaddr* local = client.local ? client.local->get() : nullptr;
  // RFC 8914 §4.19 Prohibited (18): "an unauthorized client"; §4.22 Not Supported (21).
  // Over UDP the text stays short: the reply to a forged source must not be much larger
  // than the query.
  if (transport != resolver::Transport::Tcp) {
    return ExtendedError{EdeCode::NotSupported, "explain: over TCP only"};
  }
  if (!is_loopback(peer) && !same_ip(peer, local)) {
    return ExtendedError{EdeCode::Prohibited,
                         "dnssec-proxy explain traces are returned to clients on the proxy's "
                         "own host only (loopback, 127.0.0.0/8 or ::1): run explain --server "
                         "in the proxy's host, container or pod"};
  }
  return std::nullopt;
}

ExplainService::ExplainService(uv_loop_t* loop, std::atomic<size_t>& everywhere, Send send)
    : loop_(loop), everywhere_(everywhere), send_(std::move(send)) {}

bool ExplainService::take_place() {
  size_t n = everywhere_.load();
  do {
    if (n >= kMaxRunning) return false;
  } while (!everywhere_.compare_exchange_weak(n, n + 1));
  return true;
}

void ExplainService::handle(const resolver::ClientQuery& query, const ClientRef& client,
                            const ClientAddresses& addresses, const DaemonState& state) {
  const auto transport = std::holds_alternative<TcpClient>(client) ? resolver::Transport::Tcp
                                                                   : resolver::Transport::Udp;
  const std::string who =
      addresses.peer ? to_string(addresses.peer->get()) : std::string("an unknown client");
  if (auto refusal = explain_refusal(transport, addresses)) {
    LOG_DEBUG("explain request from " << who << " refused: " << refusal->text);
    send_(client, resolver::error_reply(query, resolver::EchoQuestion::Yes,
                                        resolver::RCode::Refused, &*refusal));
    return;
  }
  if (!query.explain || !query.explain->well_formed) {
    const ExtendedError ede{EdeCode::Other,
                            "explain option of an unknown version or format: update the client"};
    send_(client, resolver::error_reply(query, resolver::EchoQuestion::Yes,
                                        resolver::RCode::FormErr, &ede));
    return;
  }
  if (stopping_ || !take_place()) {
    const ExtendedError ede{EdeCode::Other, "too many explain traces in progress; try again"};
    send_(client, resolver::error_reply(query, resolver::EchoQuestion::Yes,
                                        resolver::RCode::ServFail, &ede));
    return;
  }
  LOG_INFO("explain: tracing " << query.question.name.to_string() << " "
                               << resolver::to_string(query.question.type) << " for " << who);
  auto deliver = [this, query, client](const resolver::Report& report) {
    resolver::ExplainReply out;
    out.exit_code = static_cast<uint8_t>(report.exit_code);
    out.report = render_report(report, query.explain->format);
    LOG_INFO("explain: " << query.question.name.to_string() << " "
                         << resolver::to_string(query.question.type) << ": "
                         << resolver::to_string(report.verdict.security));
    send_(client, resolver::explain_reply(query, out));
  };
  if (auto err = start_run(query.question, state, std::move(deliver)); !err.empty()) {
    LOG_WARN("explain: " << err);
    const ExtendedError ede{EdeCode::Other, "explain: " + err};
    send_(client, resolver::error_reply(query, resolver::EchoQuestion::Yes,
                                        resolver::RCode::ServFail, &ede));
  }
}

void ExplainService::trace(const resolver::Question& question, resolver::ExplainFormat format,
                           resolver::PageLinks links, const ClientAddresses& addresses,
                           const DaemonState& state, TraceDone done) {
  if (auto refusal = explain_refusal(resolver::Transport::Tcp, addresses)) {
    return done({TraceRefusal::NotThisHost, refusal->text, "", resolver::kExplainUnresolved,
                 resolver::Security::Indeterminate});
  }
  if (stopping_ || !take_place()) {
    return done({TraceRefusal::Busy,
                 "too many explain traces in progress (at most " + std::to_string(kMaxRunning) +
                     " at once, explain --server included); try again in a few seconds",
                 "", resolver::kExplainUnresolved, resolver::Security::Indeterminate});
  }
  LOG_INFO("explain: tracing " << question.name.to_string() << " "
                               << resolver::to_string(question.type) << " for a page");
  auto deliver = [done, format, links](const resolver::Report& report) {
    done({TraceRefusal::None, "", render_report(report, format, links), report.exit_code,
          report.verdict.security});
  };
  if (auto err = start_run(question, state, std::move(deliver)); !err.empty()) {
    LOG_WARN("explain: " << err);
    done({TraceRefusal::Failed, "explain: " + err, "", resolver::kExplainUnresolved,
          resolver::Security::Indeterminate});
  }
}

std::string ExplainService::start_run(const resolver::Question& question, const DaemonState& state,
                                      Deliver deliver) {
  // The daemon's upstreams, forward zones and what it does not validate (explain_setup reads
  // them from its configuration as Server does), its live anchors and limits.
  ExplainSetup setup = explain_setup(state.config, state.anchors);
  setup.limits = state.limits;
  setup.probes = probe_views(state.upstreams, setup.upstreams);
  const uint64_t id = next_id_++;
  auto run = std::make_unique<ExplainRun>(
      loop_, std::move(setup), question,
      [this, id](const resolver::Report& report) { reply(id, report); });
  ExplainRun* r = run.get();
  requests_.emplace(id, Request{std::move(deliver), std::move(run)});
  if (auto err = r->start(); !err.empty()) {
    end(id);
    return err;
  }
  return "";
}

void ExplainService::reply(uint64_t id, const resolver::Report& report) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  it->second.deliver(report);
  end(id);
}

void ExplainService::end(uint64_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end() || it->second.ending) return;
  it->second.ending = true;
  --everywhere_;  // its place is free once its reply is out
  // Freed once its handles are closed (STYLE §5), not here.
  it->second.run->close([this, id] { requests_.erase(id); });
}

void ExplainService::stop() {
  stopping_ = true;
  std::vector<uint64_t> ids;
  for (const auto& [id, req] : requests_) ids.push_back(id);
  for (uint64_t id : ids) end(id);
}

}  // namespace dnsp::proxy
