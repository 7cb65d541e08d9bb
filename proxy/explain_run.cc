#include "proxy/explain_run.h"

#include <utility>
#include <variant>

#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/settings.h"
#include "resolver/serve/replies.h"

namespace dnsp::proxy {
namespace {

using resolver::FetchFailure;

FetchFailure to_failure(UpstreamStatus s) {
  switch (s) {
    case UpstreamStatus::Timeout:
      return FetchFailure::Timeout;
    case UpstreamStatus::Unreachable:
      return FetchFailure::Unreachable;
    case UpstreamStatus::ServerFailed:
      return FetchFailure::ServerFailed;
    case UpstreamStatus::Answered:
    case UpstreamStatus::BadReply:
    case UpstreamStatus::Cancelled:
      break;
  }
  return FetchFailure::BadReply;
}

}  // namespace

std::vector<resolver::UpstreamProbeView> probe_views(
    const UpstreamBoard& board, const std::vector<config::UpstreamServer>& servers) {
  std::vector<resolver::UpstreamProbeView> views;
  const auto rows = board.rows();
  for (const config::UpstreamServer& server : servers) {
    const std::string name = servers_text({server});  // as UpstreamProber names it
    for (const UpstreamBoard::Row& row : rows) {
      const UpstreamHealth health = row.counters->health.load(std::memory_order_relaxed);
      if (row.name != name || health == UpstreamHealth::Unknown) continue;
      views.push_back({name, std::string(to_string(health)), row.evidence});
      break;
    }
  }
  return views;
}

ExplainSetup explain_setup(const config::Config& cfg, resolver::TrustAnchors anchors) {
  ExplainSetup s;
  s.upstreams = cfg.upstreams;
  s.tls_ca_file = cfg.tls_ca_file;
  s.upstream_timeout_ms = cfg.upstream_timeout_ms;
  s.upstream_attempts = cfg.upstream_attempts;
  s.query_timeout_ms = cfg.query_timeout_ms;
  s.limits = validation_limits(cfg.limits);  // the same work bounds as the daemon
  s.anchors = std::move(anchors);
  s.negative_anchors = negative_anchors(cfg, &s.insecure_why);  // as the daemon's Server
  s.forwards = cfg.forwards;
  return s;
}

ExplainRun::ExplainRun(uv_loop_t* loop, ExplainSetup setup, resolver::Question question, Done done)
    : loop_(loop),
      setup_(std::move(setup)),
      question_(std::move(question)),
      done_cb_(std::move(done)) {}

std::string ExplainRun::start() {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_open_ = true;
  upstreams_.resize(setup_.forwards.size() + 1);
  auto made = make_upstream(
      loop_, [this](UpstreamReply&& r) { on_reply(std::move(r)); },
      {setup_.upstreams, setup_.upstream_timeout_ms, setup_.upstream_attempts, setup_.tls_ca_file});
  if (!made) {
    done_ = true;
    return made.error();
  }
  upstreams_[0] = std::move(*made);
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) { static_cast<ExplainRun*>(t->data)->fail(FetchFailure::Deadline); },
      setup_.query_timeout_ms, 0);
  pending_ = question_.name.to_string() + " " + resolver::to_string(question_.type);
  now_ = wall_clock_now();  // again when the answer arrives: the validation's clock
  send(question_);
  return "";
}

size_t ExplainRun::route_of(const resolver::Question& q) const {
  resolver::Name parent;
  const auto zone = forward_zone_of(routing_name(q, parent), setup_.forwards);
  return zone ? *zone + 1 : 0;
}

void ExplainRun::send(const resolver::Question& q) {
  const size_t route = route_of(q);
  if (!upstreams_[route]) {
    auto made = make_upstream(loop_, [this](UpstreamReply&& r) { on_reply(std::move(r)); },
                              {servers_of(route), setup_.upstream_timeout_ms,
                               setup_.upstream_attempts, setup_.tls_ca_file});
    if (!made) {
      failure_detail_ = "[[forward]] zone " + setup_.forwards[route - 1].zone + ": " + made.error();
      fail(FetchFailure::Unreachable);
      return;
    }
    upstreams_[route] = std::move(*made);
  }
  if (route != 0) {
    LOG_DEBUG("explain: " << q.name.to_string() << " " << resolver::to_string(q.type)
                          << " goes to the forward zone " << setup_.forwards[route - 1].zone);
  }
  upstreams_[route]->send(resolver::upstream_query(q, 0), next_tag_);
}

void ExplainRun::on_reply(UpstreamReply&& reply) {
  if (done_ || reply.tag != next_tag_) return;  // late, or Cancelled at shutdown
  ++next_tag_;
  if (reply.status != UpstreamStatus::Answered) {
    failure_detail_ = std::move(reply.detail);  // a refused TLS server says why
    fail(to_failure(reply.status));
    return;
  }
  if (!validation_) {
    answer_packet_ = std::move(reply.packet);
    auto msg = resolver::Message::parse(answer_packet_);
    if (!msg) {
      fail(FetchFailure::Malformed);
      return;
    }
    answer_.emplace(std::move(*msg));
    // The same clock and the same validator as the daemon (proxy/pipeline/upstream_replies.cc
    // on_answer). Under a negative trust anchor the daemon validates nothing; explain still does,
    // to show whether the anchor is still needed (build_report keeps the daemon's verdict).
    now_ = wall_clock_now();
    validation_ =
        std::make_unique<resolver::Validation>(setup_.anchors, keys_, setup_.limits, now_);
    advance(validation_->start(question_, *answer_));
    return;
  }
  advance(validation_->resume(std::move(reply.packet)));
}

void ExplainRun::advance(resolver::Step step) {
  if (auto* need = std::get_if<resolver::NeedRecords>(&step)) {
    LOG_DEBUG("explain: fetching " << need->name.to_string() << " "
                                   << resolver::to_string(need->type));
    pending_ = resolver::to_string(need->type) + " " + need->name.to_string();
    send(resolver::Question{need->name, need->type, resolver::RRClass::IN});
    return;
  }
  verdict_ = std::get<resolver::Finished>(step).verdict;
  finish();
}

void ExplainRun::fail(FetchFailure f) {
  if (done_) return;
  failure_ = f;
  finish();
}

void ExplainRun::finish() {
  done_ = true;
  // Possibly inside c-ares now: the channel goes, and the report is built, from the timer.
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<ExplainRun*>(t->data)->deliver(); }, 0, 0);
}

void ExplainRun::shut_upstream() {
  if (upstream_shut_) return;
  upstream_shut_ = true;
  for (auto& u : upstreams_) {
    if (u) ++upstreams_closing_;
  }
  if (upstreams_closing_ == 0) {  // start() failed: there was nothing to open
    upstream_closed_ = true;
    return maybe_closed();
  }
  for (auto& u : upstreams_) {
    if (!u) continue;
    u->shutdown([this] {
      if (--upstreams_closing_ > 0) return;
      upstream_closed_ = true;
      maybe_closed();
    });
  }
}

void ExplainRun::deliver() {
  shut_upstream();
  resolver::Report r = report();
  if (auto done = std::exchange(done_cb_, nullptr)) done(std::move(r));
}

resolver::Report ExplainRun::report() const {
  resolver::ExplainInput in;
  in.question = question_;
  in.now = now_;
  // The servers the question went to: a forward zone's, or [upstream]'s.
  const size_t route = route_of(question_);
  const std::vector<config::UpstreamServer>& servers = servers_of(route);
  in.upstreams = servers_text(servers);
  if (route != 0) {
    const config::ForwardZone& f = setup_.forwards[route - 1];
    if (auto zone = resolver::Name::from_text(f.zone)) {
      in.forward = resolver::ExplainForward{*zone, f.dnssec == config::ForwardDnssec::Validate
                                                       ? resolver::ForwardPolicy::Validate
                                                       : resolver::ForwardPolicy::Insecure};
    }
  }
  in.answer = answer_ ? &*answer_ : nullptr;
  in.evidence = validation_ ? &validation_->evidence() : nullptr;
  in.verdict = verdict_;
  in.failure = failure_;
  in.failure_detail = failure_detail_;
  in.failed_query = verdict_ ? std::string() : pending_;
  in.query_timeout_ms = setup_.query_timeout_ms;
  in.nsec3_iteration_limit = setup_.limits.max_nsec3_iterations;
  if (route == 0) in.probes = setup_.probes;  // only [upstream]'s servers are probed
  if (!servers.empty()) {
    const auto& first = servers.front().endpoint;
    const config::UpstreamServer& server = servers.front();
    const bool tls = server.protocol == config::UpstreamProtocol::Tls;
    const bool https = server.protocol == config::UpstreamProtocol::Https;
    const uint16_t default_port = tls     ? config::kDotPort
                                  : https ? config::kDohPort
                                          : config::kDnsPort;
    in.dig_server = "@" + first.address +
                    (first.port == default_port ? "" : " -p " + std::to_string(first.port)) +
                    (tls ? " +tls" : "") + (https ? " +https=" + server.http_path : "");
  }
  if (const resolver::Name* nta =
          resolver::covering_negative_anchor(question_.name, setup_.negative_anchors)) {
    in.negative_anchor = *nta;
    const size_t i = static_cast<size_t>(nta - setup_.negative_anchors.data());
    if (i < setup_.insecure_why.size()) {
      in.insecure_what = setup_.insecure_why[i].what;
      in.insecure_setting = setup_.insecure_why[i].setting;
    }
  }
  return resolver::build_report(in);
}

void ExplainRun::close(std::function<void()> closed) {
  if (closing_) return;
  closing_ = true;
  done_ = true;
  done_cb_ = nullptr;
  closed_cb_ = std::move(closed);
  shut_upstream();
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
      auto* self = static_cast<ExplainRun*>(h->data);
      self->timer_closed_ = true;
      self->maybe_closed();
    });
  } else {
    timer_closed_ = true;
  }
  maybe_closed();
}

void ExplainRun::maybe_closed() {
  if (!closing_ || !timer_closed_ || !upstream_closed_) return;
  if (auto closed = std::exchange(closed_cb_, nullptr)) closed();
}

std::string render_report(const resolver::Report& report, resolver::ExplainFormat format,
                          resolver::PageLinks links) {
  switch (format) {
    case resolver::ExplainFormat::Json:
      return resolver::render_json(report);
    case resolver::ExplainFormat::TextColor:
      return resolver::render_text(report, resolver::Color::On);
    case resolver::ExplainFormat::Text:
      return resolver::render_text(report, resolver::Color::Off);
    case resolver::ExplainFormat::Dot:
      return resolver::render_dot(report);
    case resolver::ExplainFormat::Svg:
      return resolver::render_svg(report);
    case resolver::ExplainFormat::Html:
      return resolver::render_html(report, links);
  }
  return resolver::render_text(report, resolver::Color::Off);  // not reached: every format above
}

}  // namespace dnsp::proxy
