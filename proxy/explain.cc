#include "proxy/explain.h"

#include <unistd.h>
#include <uv.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <variant>

#include "config/load.h"
#include "config/resolv_conf.h"
#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/settings.h"
#include "proxy/upstream.h"
#include "resolver/explain.h"
#include "resolver/key_cache.h"
#include "resolver/replies.h"
#include "resolver/trust_anchor.h"
#include "resolver/validation.h"

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

// The upstreams the daemon would use: the configured ones, or else the nameservers of
// /etc/resolv.conf that are not the proxy itself (as main.cc chooses them). Explicit
// upstreams may be a running proxy: it passes CD=1 queries through unvalidated.
std::string choose_upstreams(config::Config& cfg) {
  if (!cfg.upstreams.empty()) return "";
  auto rc = config::read_resolv_conf();
  if (!rc.ok()) {
    return "no upstream configured and " + rc.error + ". Name one with --upstream ADDR[:PORT].";
  }
  for (const auto& ns : rc.nameservers) {
    if (!config::is_self(ns, cfg.listen)) cfg.upstreams.push_back(ns);
  }
  if (cfg.upstreams.empty()) {
    return std::string(config::kDefaultResolvConfPath) +
           " names no nameserver other than this proxy. Name one with --upstream ADDR[:PORT].";
  }
  return "";
}

// One explain run: the question upstream, then each record the validation needs, on a
// private loop, until a verdict, an upstream failure or the query deadline.
class Explainer {
 public:
  Explainer(const config::Config& cfg, const resolver::TrustAnchors& anchors,
            resolver::Question question)
      : cfg_(cfg),
        anchors_(anchors),
        question_(std::move(question)),
        upstream_(&loop_, [this](UpstreamReply&& r) { on_reply(std::move(r)); }) {
    limits_ = validation_limits(cfg_.limits);  // the same work bounds as the daemon
  }

  // Returns "" or why the upstream channel could not be set up.
  std::string init() {
    uv_loop_init(&loop_);
    loop_open_ = true;
    return upstream_.init(cfg_.upstreams, cfg_.upstream_timeout_ms, cfg_.upstream_attempts);
  }

  resolver::Report run() {
    uv_timer_init(&loop_, &deadline_);
    deadline_.data = this;
    uv_timer_start(
        &deadline_,
        [](uv_timer_t* t) {
          auto* self = static_cast<Explainer*>(t->data);
          self->fail(FetchFailure::Deadline);
        },
        cfg_.query_timeout_ms, 0);
    pending_ = question_.name.to_string() + " " + resolver::to_string(question_.type);
    now_ = wall_clock_now();  // again when the answer arrives: the validation's clock
    upstream_.send(resolver::upstream_query(question_, 0), next_tag_);
    uv_run(&loop_, UV_RUN_DEFAULT);  // until finish() stops it
    // Outside every c-ares callback now: the channel can go.
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
    upstream_.shutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);  // let the closed handles finish

    resolver::ExplainInput in;
    in.question = question_;
    in.now = now_;
    in.upstreams = upstream_.servers_text();
    in.answer = answer_ ? &*answer_ : nullptr;
    in.evidence = validation_ ? &validation_->evidence() : nullptr;
    in.verdict = verdict_;
    in.failure = failure_;
    in.failed_query = verdict_ ? std::string() : pending_;
    in.query_timeout_ms = cfg_.query_timeout_ms;
    in.nsec3_iteration_limit = limits_.max_nsec3_iterations;
    if (!cfg_.upstreams.empty()) {
      const auto& first = cfg_.upstreams.front();
      in.dig_server = "@" + first.address +
                      (first.port == config::kDnsPort ? "" : " -p " + std::to_string(first.port));
    }
    return resolver::build_report(in);
  }

  ~Explainer() {
    upstream_.shutdown();
    if (loop_open_) {
      uv_run(&loop_, UV_RUN_DEFAULT);  // let the closed handles finish
      uv_loop_close(&loop_);
    }
  }

 private:
  void on_reply(UpstreamReply&& reply) {
    if (done_ || reply.tag != next_tag_) return;  // late, or Cancelled at shutdown
    ++next_tag_;
    if (reply.status != UpstreamStatus::Answered) {
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
      // The same clock and the same validator as the daemon (proxy/server.cc on_answer).
      now_ = wall_clock_now();
      validation_ = std::make_unique<resolver::Validation>(anchors_, keys_, limits_, now_);
      advance(validation_->start(question_, *answer_));
      return;
    }
    advance(validation_->resume(std::move(reply.packet)));
  }

  void advance(resolver::Step step) {
    if (auto* need = std::get_if<resolver::NeedRecords>(&step)) {
      LOG_DEBUG("explain: fetching " << need->name.to_string() << " "
                                     << resolver::to_string(need->type));
      pending_ = resolver::to_string(need->type) + " " + need->name.to_string();
      resolver::Question q{need->name, need->type, resolver::RRClass::IN};
      upstream_.send(resolver::upstream_query(q, 0), next_tag_);
      return;
    }
    verdict_ = std::get<resolver::Finished>(step).verdict;
    finish();
  }

  void fail(FetchFailure f) {
    if (done_) return;
    failure_ = f;
    finish();
  }

  // Called from c-ares and timer callbacks: only stops the loop; run() tears down.
  void finish() {
    done_ = true;
    uv_timer_stop(&deadline_);
    uv_stop(&loop_);
  }

  const config::Config& cfg_;
  const resolver::TrustAnchors& anchors_;
  resolver::Question question_;
  uv_loop_t loop_{};
  bool loop_open_ = false;
  uv_timer_t deadline_{};
  Upstream upstream_;
  resolver::KeyCache keys_;
  resolver::Limits limits_;
  uint64_t next_tag_ = 1;  // the tag of the one query in flight
  std::string pending_;    // that query, in words
  int64_t now_ = 0;
  std::vector<uint8_t> answer_packet_;
  std::optional<resolver::Message> answer_;
  std::unique_ptr<resolver::Validation> validation_;
  std::optional<resolver::Verdict> verdict_;
  FetchFailure failure_ = FetchFailure::None;
  bool done_ = false;
};

int usage_error(const std::string& message) {
  std::cerr << "dnssec-proxy explain: " << message << " (see dnssec-proxy explain --help)\n";
  return kExplainUsageError;
}

}  // namespace

ExplainOptions take_explain_options(std::vector<std::string_view>& args) {
  ExplainOptions o;
  std::vector<std::string_view> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") {  // options end: keep the rest as they are
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a == "--json") {
      o.json = true;
      o.given.emplace_back(a);
    } else if (a == "--no-color") {
      o.no_color = true;
      o.given.emplace_back(a);
    } else if (a.starts_with("--server=")) {
      o.server = std::string(a.substr(9));
      o.given.emplace_back("--server");
    } else if (a == "--server") {
      o.server = i + 1 < args.size() ? std::string(args[++i]) : std::string();
      o.given.emplace_back("--server");
    } else {
      rest.push_back(a);
    }
  }
  args = std::move(rest);
  return o;
}

bool is_explain(const config::CommandLine& cl) {
  return !cl.positional.empty() && cl.positional[0] == "explain";
}

std::string explain_usage() {
  return R"(Usage: dnssec-proxy explain NAME [TYPE] [OPTIONS]

Resolve NAME (type TYPE, default A) through the configured upstream, validate the
answer as the daemon does, and show the chain of trust from the trust anchor
down: DS at each parent, the zone's DNSKEYs, which DS matches which key, which
key signs the DNSKEY RRset, the answer's RRSIGs and any NSEC/NSEC3 proof. Ends
with the verdict, the Extended DNS Error the daemon would attach, and for
anything but secure the cause and what to do.

Options:
  --config FILE, --upstream ADDR[:PORT], --trust-anchor FILE, --log-level LEVEL
                  As for the daemon (see dnssec-proxy --help).
  --json          Print one JSON object (schema: docs/explain-schema.json).
  --no-color      No colour, also when stdout is a terminal.
  --help          Show this help and exit.

Exit status: 0 secure, 1 insecure, 2 bogus, 3 could not resolve (upstream
timeout, unreachable, or an answer that cannot be validated), 4 usage or
configuration error.
)";
}

int run_explain(const config::CommandLine& cl, const ExplainOptions& options) {
  if (cl.help) {
    std::cout << explain_usage();
    return 0;
  }
  if (options.server) {
    return usage_error(
        "--server: asking a running proxy for its trace is not implemented yet; run explain "
        "with that proxy's configuration instead");
  }
  if (cl.positional.size() < 2 || cl.positional.size() > 3) {
    return usage_error("expected NAME and an optional TYPE");
  }
  auto name = resolver::Name::from_text(cl.positional[1]);
  if (!name) return usage_error("not a domain name: \"" + cl.positional[1] + "\"");
  resolver::RRType type = resolver::RRType::A;
  if (cl.positional.size() == 3) {
    auto t = resolver::parse_rr_type(cl.positional[2]);
    if (!t || *t == resolver::RRType::OPT || *t == resolver::RRType::AXFR ||
        *t == resolver::RRType::IXFR) {
      return usage_error("not a query type: \"" + cl.positional[2] + "\"");
    }
    type = *t;
  }

  auto loaded = config::load(cl);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e << "\n";
    return kExplainUsageError;
  }
  config::Config cfg = std::move(loaded.config);
  set_log_level(cfg.log_level);
  if (auto err = choose_upstreams(cfg); !err.empty()) {
    std::cerr << "dnssec-proxy explain: " << err << "\n";
    return kExplainUsageError;
  }
  resolver::TrustAnchors anchors = resolver::TrustAnchors::builtin();
  if (!cfg.trust_anchor_file.empty()) {
    auto a = resolver::TrustAnchors::from_file(cfg.trust_anchor_file);
    if (!a) {
      std::cerr << "dnssec-proxy explain: " << a.error() << "\n";
      return kExplainUsageError;
    }
    anchors = std::move(*a);
  }

  resolver::Report report;
  {
    Explainer explainer(cfg, anchors, resolver::Question{*name, type, resolver::RRClass::IN});
    if (auto err = explainer.init(); !err.empty()) {
      std::cerr << "dnssec-proxy explain: " << err << "\n";
      return kExplainUsageError;
    }
    report = explainer.run();
  }
  if (options.json) {
    std::cout << resolver::render_json(report);
  } else {
    const bool color =
        !options.no_color && std::getenv("NO_COLOR") == nullptr && isatty(STDOUT_FILENO) == 1;
    std::cout << resolver::render_text(report, color ? resolver::Color::On : resolver::Color::Off);
  }
  std::cout.flush();
  return report.exit_code;
}

}  // namespace dnsp::proxy
