#include "proxy/upstream/upstream.h"

#include <ctime>

#include "proxy/upstream/failover_upstream.h"

namespace dnsp::proxy {

void ServerCounters::answer(uint64_t rtt_us) {
  add(answered);
  const uint64_t old = srtt_us.load(std::memory_order_relaxed);
  // RFC 6298 §2.3: SRTT <- 7/8 SRTT + 1/8 R (the first sample taken whole).
  srtt_us.store(old == 0 ? rtt_us : old - old / 8 + rtt_us / 8, std::memory_order_relaxed);
  last_answer_unix.store(static_cast<int64_t>(time(nullptr)), std::memory_order_relaxed);
}

ServerCounters& UpstreamBoard::server(const std::string& name, const char* transport) {
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.name == name) return *e.counters;
  }
  entries_.push_back({name, transport, std::make_unique<ServerCounters>(), {}, {}});
  return *entries_.back().counters;
}

void UpstreamBoard::failed(ServerCounters& c, UpstreamStatus status, const std::string& detail) {
  switch (status) {
    case UpstreamStatus::Timeout:
      c.add(c.timeouts);
      break;
    case UpstreamStatus::Unreachable:
      c.add(c.unreachable);
      break;
    case UpstreamStatus::ServerFailed:
      c.add(c.server_failed);
      break;
    case UpstreamStatus::BadReply:
      c.add(c.bad_replies);
      break;
    case UpstreamStatus::Answered:
    case UpstreamStatus::Cancelled:
      return;
  }
  c.last_failure_unix.store(static_cast<int64_t>(time(nullptr)), std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.counters.get() == &c) {
      e.last_failure =
          detail.empty()
              ? std::string(status == UpstreamStatus::Timeout ? "no answer in time" : "failed")
              : detail;
    }
  }
}

bool UpstreamBoard::probed(ServerCounters& c, UpstreamHealth health, const std::string& evidence) {
  const bool changed = c.health.exchange(health, std::memory_order_relaxed) != health;
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.counters.get() == &c) e.evidence = evidence;
  }
  return changed;
}

std::vector<UpstreamBoard::Row> UpstreamBoard::rows() const {
  std::lock_guard lock(mu_);
  std::vector<Row> rows;
  for (const Entry& e : entries_)
    rows.push_back({e.name, e.transport, e.counters.get(), e.last_failure, e.evidence});
  return rows;
}

std::string_view to_string(UpstreamHealth health) {
  switch (health) {
    case UpstreamHealth::Unknown:
      return "unknown";
    case UpstreamHealth::Ok:
      return "ok";
    case UpstreamHealth::NoTcp:
      return "no-tcp";
    case UpstreamHealth::DropsCd:
      return "drops-cd";
    case UpstreamHealth::StripsDnssec:
      return "strips-dnssec";
    case UpstreamHealth::Unreachable:
      return "unreachable";
  }
  return "unknown";
}

const char* transport_label(const config::UpstreamServer& server) {
  switch (server.protocol) {
    case config::UpstreamProtocol::Plain:
      return "plain";
    case config::UpstreamProtocol::Tls:
      return "tls";
    case config::UpstreamProtocol::Https:
      return "https";
  }
  return "plain";
}

std::string servers_text(const std::vector<config::UpstreamServer>& servers) {
  std::string text;
  for (const auto& s : servers) {
    if (!text.empty()) text += ',';
    text += config::to_string(s);
  }
  return text;
}

resolver::Result<std::unique_ptr<Upstream>, std::string> make_upstream(
    uv_loop_t* loop, Upstream::Handler handler, const UpstreamSettings& settings,
    TransportCounters* counters) {
  auto upstream = std::make_unique<FailoverUpstream>(loop, std::move(handler), counters);
  if (auto err = upstream->init(settings); !err.empty()) {
    return resolver::unexpected(std::move(err));
  }
  return std::unique_ptr<Upstream>(std::move(upstream));
}

}  // namespace dnsp::proxy
