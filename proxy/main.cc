// main(): command line and configuration, the upstream list (resolv.conf as the fallback,
// never ourselves), then one libuv loop until SIGINT or SIGTERM. After binding, it drops to
// [server] user/group; with [dnssec] trust_anchor_state, RFC 5011 keeps the root anchor.
#include <uv.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/command_line.h"
#include "config/load.h"
#include "config/resolv_conf.h"
#include "proxy/anchor_updater.h"
#include "proxy/clock.h"
#include "proxy/explain.h"
#include "proxy/health_check.h"
#include "proxy/log.h"
#include "proxy/privileges.h"
#include "proxy/server.h"
#include "resolver/trust_anchor.h"

#ifndef DNSSEC_PROXY_VERSION
#define DNSSEC_PROXY_VERSION "0.0.0"
#endif

namespace {

using namespace dnsp;

constexpr int kExitOk = 0;
constexpr int kExitConfig = 1;
constexpr int kExitUsage = 2;

// Chooses the upstream servers: the configured ones, or else the nameservers of
// /etc/resolv.conf that are not this proxy. Returns "" or why there are none usable.
std::string choose_upstreams(config::Config& cfg) {
  for (const auto& up : cfg.upstreams) {
    if (config::is_self(up, cfg.listen)) {
      return "upstream " + config::to_string(up) +
             " is one of this proxy's own listening addresses: it would forward queries to "
             "itself. Name a different upstream with --upstream or [upstream] servers.";
    }
  }
  if (!cfg.upstreams.empty()) return "";
  auto rc = config::read_resolv_conf();
  if (!rc.ok()) {
    return "no upstream configured and " + rc.error +
           ". Name one with --upstream ADDR[:PORT] or [upstream] servers.";
  }
  for (const auto& ns : rc.nameservers) {
    if (config::is_self(ns, cfg.listen)) {
      LOG_INFO("ignoring resolv.conf nameserver " << config::to_string(ns) << ": it is this proxy");
      continue;
    }
    cfg.upstreams.push_back(ns);
  }
  if (cfg.upstreams.empty()) {
    return std::string("no upstream configured, and ") +
           std::string(config::kDefaultResolvConfPath) +
           " names no nameserver other than this proxy. Name one with --upstream ADDR[:PORT] "
           "or [upstream] servers.";
  }
  return "";
}

struct Signals {
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  proxy::AnchorUpdater* updater = nullptr;  // stopped with the server, when there is one
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const auto explain_options = proxy::take_explain_options(args);  // --json, --no-color
  auto cl = config::parse_arguments(args);
  if (!cl.ok()) {
    for (const auto& e : cl.errors) std::cerr << "dnssec-proxy: " << e << "\n";
    return proxy::is_explain(cl.command_line) ? proxy::kExplainUsageError : kExitUsage;
  }
  if (proxy::is_explain(cl.command_line)) {
    return proxy::run_explain(cl.command_line, explain_options);
  }
  if (!explain_options.given.empty()) {
    std::cerr << "dnssec-proxy: " << explain_options.given[0]
              << ": only with the explain command; see dnssec-proxy --help\n";
    return kExitUsage;
  }
  if (cl.command_line.help) {
    std::cout << config::usage_text();
    return kExitOk;
  }
  if (cl.command_line.version) {
    std::cout << "dnssec-proxy " << DNSSEC_PROXY_VERSION << "\n";
    return kExitOk;
  }
  if (cl.command_line.health_check) return proxy::run_health_check(*cl.command_line.health_check);
  if (!cl.command_line.positional.empty()) {
    std::cerr << "dnssec-proxy: unknown command '" << cl.command_line.positional[0]
              << "' (see --help)\n";
    return kExitUsage;
  }
  auto loaded = config::load(cl.command_line);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e << "\n";
    return kExitConfig;
  }
  config::Config cfg = std::move(loaded.config);
  proxy::set_log_level(cfg.log_level);
  if (auto err = choose_upstreams(cfg); !err.empty()) {
    std::cerr << "dnssec-proxy: " << err << "\n";
    return kExitConfig;
  }
  resolver::TrustAnchors anchors = resolver::TrustAnchors::builtin();
  if (!cfg.trust_anchor_file.empty()) {
    auto loaded_anchors = resolver::TrustAnchors::from_file(cfg.trust_anchor_file);
    if (!loaded_anchors) {
      std::cerr << "dnssec-proxy: " << loaded_anchors.error() << "\n";
      return kExitConfig;
    }
    anchors = std::move(*loaded_anchors);
  }
  const proxy::AccountResult account = proxy::resolve_account(cfg.user, cfg.group);
  if (!account.error.empty()) {
    std::cerr << "dnssec-proxy: " << cfg.source << ": " << account.error << "\n";
    return kExitConfig;
  }
  if (cl.command_line.check_config) {
    std::cout << "ok\n";
    return kExitOk;
  }

  uv_loop_t* loop = uv_default_loop();
  int status = kExitOk;
  {
    const resolver::TrustAnchors configured_anchors = anchors;
    proxy::Server server(loop, cfg, std::move(anchors));
    std::optional<proxy::AnchorUpdater> updater;
    // SIGINT/SIGTERM are caught before anything binds, so that a signal that arrives while
    // the proxy starts stops it cleanly (status 0) instead of killing it.
    Signals signals;
    auto on_signal = [](uv_signal_t* s, int signum) {
      LOG_INFO("signal " << signum << " received: shutting down");
      static_cast<proxy::Server*>(s->data)->stop();
      auto* sig = static_cast<Signals*>(s->loop->data);
      if (sig->updater != nullptr) sig->updater->stop();
      uv_close(reinterpret_cast<uv_handle_t*>(&sig->sigint), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&sig->sigterm), nullptr);
    };
    loop->data = &signals;
    for (auto* s : {&signals.sigint, &signals.sigterm}) {
      uv_signal_init(loop, s);
      s->data = &server;
    }
    uv_signal_start(&signals.sigint, on_signal, SIGINT);
    uv_signal_start(&signals.sigterm, on_signal, SIGTERM);
    const auto fail_start = [&](const std::string& err) {
      LOG_ERROR(err);
      server.stop();
      if (updater) updater->stop();
      uv_close(reinterpret_cast<uv_handle_t*>(&signals.sigint), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&signals.sigterm), nullptr);
      uv_run(loop, UV_RUN_DEFAULT);
      return kExitConfig;
    };
    if (auto err = server.start(); !err.empty()) return fail_start(err);
    // The listeners are bound: nothing below needs root.
    if (account.account) {
      if (auto err = proxy::drop_privileges(*account.account); !err.empty()) {
        return fail_start("cannot drop privileges: " + err);
      }
      LOG_INFO("running as " << account.account->name);
    }
    // RFC 5011: read (or start) the state file as the account that will rewrite it.
    if (!cfg.trust_anchor_state.empty()) {
      updater.emplace(loop, cfg, [&server](resolver::TrustAnchors updated) {
        server.set_trust_anchors(std::move(updated));
      });
      if (auto err = updater->load(configured_anchors, proxy::wall_clock_now()); !err.empty()) {
        return fail_start(err);
      }
      server.set_trust_anchors(updater->anchors());
      if (auto err = updater->start(); !err.empty()) return fail_start(err);
    }
    LOG_INFO("dnssec-proxy " << DNSSEC_PROXY_VERSION << " ready (configuration: " << cfg.source
                             << ")");
    signals.updater = updater ? &*updater : nullptr;
    uv_run(loop, UV_RUN_DEFAULT);
    LOG_INFO("stopped");
  }
  uv_loop_close(loop);
  return status;
}
