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

ExplainSetup explain_setup(const config::Config& cfg, resolver::TrustAnchors anchors) {
  ExplainSetup s;
  s.upstreams = cfg.upstreams;
  s.tls_ca_file = cfg.tls_ca_file;
  s.upstream_timeout_ms = cfg.upstream_timeout_ms;
  s.upstream_attempts = cfg.upstream_attempts;
  s.query_timeout_ms = cfg.query_timeout_ms;
  s.limits = validation_limits(cfg.limits);  // the same work bounds as the daemon
  s.anchors = std::move(anchors);
  // As proxy/pipeline/server.cc reads them (config/ has checked that each is a name).
  for (const auto& text : cfg.negative_trust_anchors) {
    if (auto name = resolver::Name::from_text(text)) s.negative_anchors.push_back(*name);
  }
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
  auto made = make_upstream(
      loop_, [this](UpstreamReply&& r) { on_reply(std::move(r)); },
      {setup_.upstreams, setup_.upstream_timeout_ms, setup_.upstream_attempts, setup_.tls_ca_file});
  if (!made) {
    done_ = true;
    return made.error();
  }
  upstream_ = std::move(*made);
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) { static_cast<ExplainRun*>(t->data)->fail(FetchFailure::Deadline); },
      setup_.query_timeout_ms, 0);
  pending_ = question_.name.to_string() + " " + resolver::to_string(question_.type);
  now_ = wall_clock_now();  // again when the answer arrives: the validation's clock
  upstream_->send(resolver::upstream_query(question_, 0), next_tag_);
  return "";
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
    resolver::Question q{need->name, need->type, resolver::RRClass::IN};
    upstream_->send(resolver::upstream_query(q, 0), next_tag_);
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
  const auto closed = [this] {
    upstream_closed_ = true;
    maybe_closed();
  };
  if (!upstream_) return closed();  // start() failed: there was nothing to open
  upstream_->shutdown(closed);
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
  in.upstreams = servers_text(setup_.upstreams);
  in.answer = answer_ ? &*answer_ : nullptr;
  in.evidence = validation_ ? &validation_->evidence() : nullptr;
  in.verdict = verdict_;
  in.failure = failure_;
  in.failure_detail = failure_detail_;
  in.failed_query = verdict_ ? std::string() : pending_;
  in.query_timeout_ms = setup_.query_timeout_ms;
  in.nsec3_iteration_limit = setup_.limits.max_nsec3_iterations;
  if (!setup_.upstreams.empty()) {
    const auto& first = setup_.upstreams.front().endpoint;
    const config::UpstreamServer& server = setup_.upstreams.front();
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
