// main(): command line and configuration, the upstream list (resolv.conf as the fallback,
// never ourselves), then one libuv loop until SIGINT or SIGTERM; SIGHUP reloads the
// configuration, SIGUSR1 logs the statistics ([metrics] listen serves them over HTTP, with
// /health and /ready). SIGTERM drains: /ready says 503 at once, queries are answered for
// [server] shutdown_grace, then those in flight finish; a second SIGTERM (or SIGINT) stops at
// once. Sockets systemd passes replace [server] listen; systemd hears READY=1, STOPPING=1,
// RELOADING=1 and WATCHDOG=1 (Type=notify). After binding, it drops to [server] user/group;
// with [dnssec] trust_anchor_state, RFC 5011 keeps the root anchor.
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/command_line.h"
#include "config/load.h"
#include "config/resolv_conf.h"
#include "proxy/anchor_updater.h"
#include "proxy/clock.h"
#include "proxy/clock_watch.h"
#include "proxy/control/control_command.h"
#include "proxy/control/control_listener.h"
#include "proxy/control/control_service.h"
#include "proxy/dnstap/writer.h"
#include "proxy/explain.h"
#include "proxy/health.h"
#include "proxy/health_check.h"
#include "proxy/listen/metrics_listener.h"
#include "proxy/local_data_watch.h"
#include "proxy/log.h"
#include "proxy/negative_anchors.h"
#include "proxy/pages/pages.h"
#include "proxy/pipeline/server.h"
#include "proxy/privileges.h"
#include "proxy/sd_notify.h"
#include "proxy/socket_activation.h"
#include "proxy/stats.h"
#include "proxy/upstream/probe.h"
#include "proxy/workers.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/explain/vocabulary.h"  // format_duration

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
    if (config::is_self(up.endpoint, cfg.listen)) {
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
    cfg.upstreams.push_back(config::plain_upstream(ns));  // resolv.conf: plain DNS
  }
  if (cfg.upstreams.empty()) {
    return std::string("no upstream configured, and ") +
           std::string(config::kDefaultResolvConfPath) +
           " names no nameserver other than this proxy. Name one with --upstream ADDR[:PORT] "
           "or [upstream] servers.";
  }
  return "";
}

// Trust anchors as configured: the built-in ones or [dnssec] trust_anchor_file.
resolver::Result<resolver::TrustAnchors, std::string> configured_anchors(
    const config::Config& cfg) {
  if (cfg.trust_anchor_file.empty()) return resolver::TrustAnchors::builtin();
  return resolver::TrustAnchors::from_file(cfg.trust_anchor_file);
}

// What the signal handlers act on: the running server and what a reload needs.
struct Daemon {
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_signal_t sighup{};
  uv_signal_t sigusr1{};
  proxy::Server* server = nullptr;    // event loop 0, on this thread
  proxy::Workers* workers = nullptr;  // the other event loops
  proxy::Shared* caches = nullptr;
  proxy::AnchorUpdater* updater = nullptr;  // stopped with the server, when there is one
  // Probes the [upstream] servers for DNSSEC breakage (proxy/upstream/probe.h), when there
  // are trust anchors to validate from.
  std::optional<proxy::UpstreamProber> prober;
  proxy::LocalDataWatch* local = nullptr;  // [local]: the table and the hosts file's watch
  config::CommandLine command_line;        // flags still override the file on reload
  config::Config config;                   // as last applied
  int64_t start_time = 0;
  std::unique_ptr<proxy::MetricsListener> metrics;
  std::vector<std::unique_ptr<proxy::MetricsListener>> retired_metrics;  // closing
  // The pages beside /metrics (proxy/pages/): the dashboard's minute-by-minute history.
  std::unique_ptr<proxy::Pages> pages;
  proxy::StatsHistory history;
  uv_timer_t history_timer{};
  bool history_open = false;
  uv_timer_t clock_timer{};  // the wall clock, looked at once a second (clock_watch.h)
  bool clock_open = false;
  int64_t time_file_written_ms = 0;  // monotonic; [dnssec] time_file is rewritten hourly
  bool hotspot_on = false;           // as last seen by observe_hotspot()
  // RFC 7646 negative trust anchors with their ends (configured and added by control),
  // looked at once a second; and `dnssec-proxy control` ([control] socket).
  proxy::NegativeAnchors ntas;
  uv_timer_t nta_timer{};
  bool nta_open = false;
  std::unique_ptr<proxy::ControlService> control_service;
  std::unique_ptr<proxy::ControlListener> control;

  // Readiness (proxy/health.h) and systemd (proxy/sd_notify.h).
  proxy::SdNotify notify;
  bool listeners_bound = false;
  bool anchors_loaded = false;
  bool draining = false;
  bool ready_sent = false;  // READY=1 told systemd
  // Under systemd: probes the upstreams until the proxy is ready, then says READY=1.
  uv_timer_t ready_timer{};
  bool ready_timer_open = false;
  uv_timer_t watchdog_timer{};  // WATCHDOG=1 every half of WATCHDOG_USEC while healthy
  bool watchdog_open = false;
  // Draining: first [server] shutdown_grace, then a watch of the queries in flight.
  uv_timer_t drain_timer{};
  bool drain_open = false;
  uint64_t drained_at_ms = 0;  // monotonic: when the listeners stopped taking queries

  proxy::ReadinessFacts readiness() const {
    proxy::ReadinessFacts f;
    f.listeners_bound = listeners_bound;
    f.anchors_loaded = anchors_loaded;
    f.upstream_answered = caches->loops.upstream_answered.load();
    f.draining = draining;
    for (const auto& u : config.upstreams) {
      f.upstreams += (f.upstreams.empty() ? "" : ", ") + config::to_string(u);
    }
    return f;
  }
  // /ready: "" or why not. Not ready for want of an upstream answer sends a probe, so the
  // next request can say 200.
  std::string ready_reason() {
    const proxy::ReadinessFacts f = readiness();
    if (!f.upstream_answered && !f.draining && f.listeners_bound) server->probe_upstream();
    return proxy::not_ready_reason(f);
  }
  // /health: "" or which event loops are stuck.
  std::string health_reason() const {
    const std::vector<uint64_t> beats = caches->loops.heartbeats();
    return proxy::stuck_loops(beats, proxy::monotonic_ms());
  }
  void tell_systemd(const std::string& message) {
    if (auto err = notify.send(message); !err.empty()) LOG_WARN(err);
  }
  // Under systemd (NOTIFY_SOCKET): READY=1 once ready, and the watchdog when asked for.
  void start_notify(uv_loop_t* loop) {
    if (!notify.enabled()) return;
    uv_timer_init(loop, &ready_timer);
    ready_timer.data = this;
    ready_timer_open = true;
    uv_timer_start(
        &ready_timer,
        [](uv_timer_t* t) {
          auto* d = static_cast<Daemon*>(t->data);
          if (const std::string why = d->ready_reason(); !why.empty()) return;
          d->ready_sent = true;
          d->tell_systemd("READY=1\nSTATUS=ready");
          LOG_INFO("ready: told systemd (READY=1)");
          uv_timer_stop(t);
        },
        0, 200);
    if (const uint64_t every = notify.watchdog_interval_ms(); every > 0) {
      uv_timer_init(loop, &watchdog_timer);
      watchdog_timer.data = this;
      watchdog_open = true;
      uv_timer_start(
          &watchdog_timer,
          [](uv_timer_t* t) {
            auto* d = static_cast<Daemon*>(t->data);
            // A stuck worker loop stops the watchdog: systemd restarts the proxy
            // (WatchdogSec=); loop 0 stuck stops this timer itself.
            if (const std::string stuck = d->health_reason(); !stuck.empty()) {
              LOG_ERROR("not feeding the systemd watchdog: " << stuck);
              return;
            }
            d->tell_systemd("WATCHDOG=1");
          },
          0, every);
    }
  }
  // Stops every loop now: listeners, queries in flight, timers (SIGINT, a second SIGTERM,
  // or the end of draining).
  void stop_now(uv_loop_t* loop) {
    server->stop();
    workers->stop();
    if (updater != nullptr) updater->stop();
    if (prober) prober->stop();
    if (local != nullptr) local->stop();
    set_metrics(loop, std::nullopt);
    if (control) control->close();
    close_signals();
  }
  // SIGTERM: /ready says 503 at once (draining), queries are still answered for [server]
  // shutdown_grace so that probes and load balancers turn away first; then the listeners
  // stop taking queries and those in flight get their answer or SERVFAIL by their deadline
  // (query_timeout_ms); then the loops stop and the proxy exits 0.
  void begin_drain(uv_loop_t* loop) {
    draining = true;
    if (ready_timer_open) uv_timer_stop(&ready_timer);
    tell_systemd("STOPPING=1\nSTATUS=draining");
    LOG_INFO("SIGTERM: draining: /ready says 503; answering queries for "
             << config.shutdown_grace
             << " s more ([server] shutdown_grace), then finishing those in flight (a second "
                "SIGTERM stops at once)");
    uv_timer_init(loop, &drain_timer);
    drain_timer.data = this;
    drain_open = true;
    uv_timer_start(
        &drain_timer,
        [](uv_timer_t* t) {
          auto* d = static_cast<Daemon*>(t->data);
          d->server->drain();
          d->workers->post_all([](proxy::Server& s) { s.drain(); });
          d->drained_at_ms = proxy::monotonic_ms();
          LOG_INFO("draining: no new queries; finishing " << d->caches->loops.in_flight.load()
                                                          << " in flight");
          uv_timer_start(t, &Daemon::on_drain_watch, 100, 100);
        },
        uint64_t{config.shutdown_grace} * 1000, 0);
  }
  // While draining, every 100 ms: done when nothing is in flight on any loop, at the latest
  // when every query could have met its deadline. The first 200 ms also let the UDP
  // sockets hand over the datagrams already queued (UdpListener::stop_new_datagrams).
  static void on_drain_watch(uv_timer_t* t) noexcept {
    auto* d = static_cast<Daemon*>(t->data);
    const uint64_t waited = proxy::monotonic_ms() - d->drained_at_ms;
    const bool idle = d->caches->loops.in_flight.load() == 0;
    if ((idle && waited >= 200) || waited > uint64_t{d->config.query_timeout_ms} + 1000) {
      LOG_INFO("drained: stopping");
      d->stop_now(t->loop);
    }
  }

  // SIGINT stops at once, SIGTERM drains (a second one stops at once), SIGHUP reloads,
  // SIGUSR1 logs the statistics.
  void catch_signals(uv_loop_t* loop) {
    auto on_stop = [](uv_signal_t* s, int signum) {
      auto* d = static_cast<Daemon*>(s->data);
      if (signum == SIGTERM && !d->draining) return d->begin_drain(s->loop);
      LOG_INFO("signal " << signum << " received: shutting down");
      d->draining = true;
      d->stop_now(s->loop);
    };
    auto on_reload = [](uv_signal_t* s, int) {
      auto* d = static_cast<Daemon*>(s->data);
      // systemd 253 (Type=notify-reload): RELOADING=1 with the monotonic time, then READY=1.
      d->tell_systemd("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(proxy::monotonic_usec()));
      (void)d->reload(s->loop, "SIGHUP");
      if (d->ready_sent && !d->draining) d->tell_systemd("READY=1");
    };
    auto on_dump = [](uv_signal_t* s, int) {
      auto* d = static_cast<Daemon*>(s->data);
      // Printed whatever [log] level says: the operator asked for it.
      for (const auto& line : proxy::render_summary(d->all_stats(), d->gauges())) {
        proxy::log_line(config::LogLevel::Info, line);
      }
    };
    for (auto* s : {&sigint, &sigterm, &sighup, &sigusr1}) {
      uv_signal_init(loop, s);
      s->data = this;
    }
    uv_signal_start(&sigint, on_stop, SIGINT);
    uv_signal_start(&sigterm, on_stop, SIGTERM);
    uv_signal_start(&sighup, on_reload, SIGHUP);
    uv_signal_start(&sigusr1, on_dump, SIGUSR1);
  }

  void close_signals() {
    for (auto [timer, open] :
         {std::pair{&history_timer, &history_open}, std::pair{&ready_timer, &ready_timer_open},
          std::pair{&watchdog_timer, &watchdog_open}, std::pair{&drain_timer, &drain_open},
          std::pair{&clock_timer, &clock_open}, std::pair{&nta_timer, &nta_open}}) {
      if (!*open) continue;
      *open = false;
      uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
    }
    for (auto* s : {&sigint, &sigterm, &sighup, &sigusr1}) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(s))) {
        uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
      }
    }
  }
  // Issue 18: the time floor and [dnssec] clock, then a first look at the clock before any
  // query is validated, and one a second from then on.
  void watch_clock(uv_loop_t* loop) {
    const proxy::TimeFloor floor = proxy::time_floor(config.time_file, proxy::build_time());
    if (!floor.warning.empty()) LOG_WARN("clock: [dnssec] time_file " << floor.warning);
    caches->clock.configure(config.clock, floor.time, floor.source);
    time_file_written_ms = proxy::read_clock().monotonic_ms;
    observe_clock();
    uv_timer_init(loop, &clock_timer);
    clock_timer.data = this;
    clock_open = true;
    uv_timer_start(
        &clock_timer, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->observe_clock(); }, 1000,
        1000);
  }
  // Hotspot mode (issue 18): validation suspended for `ms` (0: ended now), for a captive
  // portal's login. The caches are emptied first, so that no bogus verdict cached before
  // keeps the portal away; nothing is cached while it lasts (answers_leave.cc).
  std::string set_hotspot(uint64_t ms) {
    const uint64_t now = proxy::monotonic_ms();
    if (ms == 0) {
      caches->hotspot_until_ms.store(0, std::memory_order_relaxed);
      observe_hotspot();
      return "hotspot mode off: validating";
    }
    const size_t dropped = caches->flush_caches();
    caches->hotspot_until_ms.store(now + ms, std::memory_order_relaxed);
    hotspot_on = true;
    const std::string words = "validation suspended for " +
                              resolver::format_duration(static_cast<int64_t>(ms / 1000)) +
                              " (hotspot mode; emptied the caches: " + std::to_string(dropped) +
                              " entries); it resumes by itself";
    LOG_WARN("hotspot: " << words);
    return words;
  }
  void observe_hotspot() {
    const bool on = caches->hotspot(proxy::monotonic_ms());
    if (hotspot_on && !on) LOG_WARN("hotspot: mode ended, validating again");
    hotspot_on = on;
  }
  void observe_clock() {
    observe_hotspot();
    const proxy::ClockReading r = proxy::read_clock();
    proxy::ClockWatch& clock = caches->clock;
    const proxy::ClockChange c = clock.observe(r);
    const std::string mode =
        "[dnssec] clock = \"" + std::string(config::to_string(clock.mode())) + "\"";
    if (c.jumped_back > 0) {
      // Key entries expire by the wall clock: after a jump back they would outlive their
      // signatures by that much (Knot Resolver's detect_time_jump does the same).
      const size_t dropped = caches->flush_caches();
      LOG_WARN("clock: the wall clock went back " << resolver::format_duration(c.jumped_back)
                                                  << " (it says " << resolver::format_utc(r.now)
                                                  << "): emptied the caches (" << dropped
                                                  << " entries), whose lifetimes were counted "
                                                     "on the old clock");
    }
    if (c.state == proxy::ClockChange::State::Unverified) {
      LOG_WARN("clock: unverified: "
               << clock.doubt(r.now, r.kernel) << "; " << mode
               << (clock.relaxed()
                       ? ": RRSIG validity windows are not checked (everything else is), and such "
                         "answers carry AD clear and EDE 0 \"time not checked\", until the "
                         "clock is verified"
                       : ": every RRSIG validity window is still checked, so answers may fail "
                         "(EDE 7 or 8, the text naming the clock) until the clock is set"));
    } else if (c.state == proxy::ClockChange::State::Verified && !c.first) {
      // What was cached while the clock was not believed (answers validated without windows,
      // or bogus for a window that was the clock's fault) must not outlive it.
      const size_t dropped = caches->flush_caches();
      LOG_INFO("clock: verified (it says "
               << resolver::format_utc(r.now) << ")"
               << (c.end_of_relaxed ? ": RRSIG validity windows are checked "
                                      "from now on"
                                    : "")
               << "; dropped " << dropped << " cached entries made while it was not");
    } else if (c.first && r.kernel == proxy::KernelClock::Unsynchronised) {
      LOG_INFO("clock: the kernel reports the clock not synchronised (adjtimex: STA_UNSYNC); "
               << mode << " does not use that: only a clock before " << clock.floor_source() << " ("
               << resolver::format_utc(clock.floor()) << ") is unverified");
    }
    if (!config.time_file.empty() && clock.verified() &&
        r.monotonic_ms - time_file_written_ms >= 3600 * 1000) {
      save_time();
      time_file_written_ms = r.monotonic_ms;
    }
  }
  // [dnssec] time_file: the time now, while the clock is believed (a clock that is not
  // must never raise the floor of the next start).
  void save_time() {
    if (config.time_file.empty()) return;
    if (!caches->clock.verified()) {
      LOG_INFO("clock: " << config.time_file << " not rewritten: the clock is not verified");
      return;
    }
    if (auto err = proxy::write_time_file(config.time_file, proxy::wall_clock_now());
        !err.empty()) {
      LOG_WARN("clock: [dnssec] time_file: " << err);
    }
  }
  std::vector<const proxy::Stats*> all_stats() const {
    std::vector<const proxy::Stats*> all{&server->stats()};
    for (const proxy::Stats* s : workers->stats()) all.push_back(s);
    return all;
  }
  proxy::Gauges gauges() const {
    proxy::Gauges g = caches->gauges();
    g.cache_max_bytes = config.cache.max_size;
    g.start_time_unix = start_time;
    g.ready = proxy::not_ready_reason(readiness()).empty();
    const std::vector<uint64_t> beats = caches->loops.heartbeats();
    g.event_loops_stuck = proxy::count_stuck_loops(beats, proxy::monotonic_ms());
    return g;
  }
  // The dashboard's upstream table: each server the board has, then the configured
  // servers no loop has set up yet.
  std::vector<proxy::UpstreamRow> upstream_rows() const {
    std::vector<proxy::UpstreamRow> rows;
    std::set<std::string> seen;
    for (const auto& r : caches->upstreams.rows()) {
      const proxy::ServerCounters& c = *r.counters;
      auto load = [](const auto& v) { return v.load(std::memory_order_relaxed); };
      proxy::UpstreamRow row;
      row.name = r.name;
      row.transport = r.transport;
      row.queries = load(c.queries);
      row.answered = load(c.answered);
      row.timeouts = load(c.timeouts);
      row.unreachable = load(c.unreachable);
      row.server_failed = load(c.server_failed);
      row.bad_replies = load(c.bad_replies);
      row.failed = row.timeouts + row.unreachable + row.server_failed + row.bad_replies;
      row.srtt_us = load(c.srtt_us);
      row.last_answer = load(c.last_answer_unix);
      row.last_failure = load(c.last_failure_unix);
      row.last_failure_text = r.last_failure;
      row.dnssec = proxy::to_string(load(c.health));
      row.dnssec_evidence = r.evidence;
      rows.push_back(std::move(row));
      seen.insert(r.name);
    }
    for (const auto& u : config.upstreams) {
      const std::string name = config::to_string(u);
      if (seen.count(name) != 0) continue;
      proxy::UpstreamRow row;
      row.name = name;
      row.transport = proxy::transport_label(u);
      rows.push_back(std::move(row));
    }
    return rows;
  }
  proxy::DashboardData dashboard() const {
    proxy::DashboardData d;
    d.version = DNSSEC_PROXY_VERSION;
    d.now = proxy::wall_clock_now();
    d.started = start_time;
    d.minutes = history.minutes(d.now, proxy::totals_of(all_stats()));
    d.upstreams = upstream_rows();
    d.bogus = caches->bogus.frequent(d.now, 20);
    return d;
  }
  // The pages of [metrics] listen and the history their chart draws, sampled every minute.
  void start_pages(uv_loop_t* loop) {
    proxy::PagesWiring wiring;
    wiring.dashboard = [this] { return dashboard(); };
    wiring.explain = [this](const resolver::Question& q, resolver::ExplainFormat f,
                            resolver::PageLinks l, const proxy::ClientAddresses& a,
                            proxy::ExplainService::TraceDone done) {
      server->explain_for_page(q, f, l, a, std::move(done));
    };
    wiring.health = [this] { return health_reason(); };
    wiring.ready = [this] { return ready_reason(); };
    pages = std::make_unique<proxy::Pages>(std::move(wiring));
    history.sample(proxy::wall_clock_now(), proxy::totals_of(all_stats()));
    uv_timer_init(loop, &history_timer);
    history_timer.data = this;
    history_open = true;
    uv_timer_start(
        &history_timer,
        [](uv_timer_t* t) {
          auto* d = static_cast<Daemon*>(t->data);
          d->history.sample(proxy::wall_clock_now(), proxy::totals_of(d->all_stats()));
        },
        60000, 60000);
  }
  std::string render_metrics() const {
    return proxy::render_prometheus(all_stats(), gauges(), DNSSEC_PROXY_VERSION,
                                    &caches->upstreams);
  }
  // Every loop validates from `anchors` from now on (RFC 5011 updates).
  void set_trust_anchors(const resolver::TrustAnchors& anchors) {
    workers->post_all([anchors](proxy::Server& s) { s.set_trust_anchors(anchors); });
    server->set_trust_anchors(anchors);
  }
  // Starts (or stops, for nullopt) the [metrics] listener; "" or what went wrong.
  std::string set_metrics(uv_loop_t* loop, const std::optional<config::Endpoint>& endpoint) {
    if (metrics) {
      metrics->close();
      retired_metrics.push_back(std::move(metrics));
    }
    if (!endpoint) return "";
    auto addr = proxy::to_socket_address(*endpoint);
    if (!addr) return "[metrics] listen: not an IP address";
    metrics = std::make_unique<proxy::MetricsListener>(
        loop, [this] { return render_metrics(); }, pages.get());
    if (auto err = metrics->start(*addr); !err.empty()) {
      metrics->close();
      retired_metrics.push_back(std::move(metrics));
      return err;
    }
    LOG_INFO("serving metrics on http://" << config::to_string(*endpoint)
                                          << "/metrics, the dashboard on / and /explain");
    return "";
  }
  // SIGHUP (and `dnssec-proxy control reload`): read the configuration again and apply
  // what can change at run time. A file with errors changes nothing: the proxy keeps running
  // as it was. Returns "" or the errors (one per line); `said` gets the warnings.
  std::string reload(uv_loop_t* loop, std::string_view why,
                     std::vector<std::string>* said = nullptr) {
    LOG_INFO(why << ": reloading the configuration");
    auto loaded = config::load(command_line);
    auto fail = [this](const std::vector<std::string>& errors) {
      std::string all;
      for (const auto& e : errors) {
        LOG_ERROR("reload: " << e);
        all += (all.empty() ? "" : "\n") + e;
      }
      LOG_ERROR("reload failed: still running with the previous configuration");
      ++server->stats().reload_failures;
      return all;
    };
    if (!loaded.ok()) return fail(loaded.errors);
    for (const auto& w : loaded.warnings) LOG_WARN("reload: " << w);
    config::Config next = std::move(loaded.config);
    if (auto err = choose_upstreams(next); !err.empty()) return fail({err});
    if (next.threads == 0) next.threads = static_cast<uint32_t>(proxy::default_thread_count());
    std::optional<resolver::TrustAnchors> anchors;
    if (updater != nullptr) {
      // RFC 5011 owns the anchors now; its state file is the truth, not the seed.
      if (next.trust_anchor_file != config.trust_anchor_file ||
          next.trust_anchor_state != config.trust_anchor_state) {
        LOG_WARN(
            "reload: [dnssec] trust_anchor_file and trust_anchor_state take effect at "
            "the next restart while RFC 5011 updates are on");
      }
    } else {
      if (!next.trust_anchor_state.empty()) {
        LOG_WARN("reload: [dnssec] trust_anchor_state takes effect at the next restart");
      }
      auto loaded_anchors = configured_anchors(next);
      if (!loaded_anchors) return fail({loaded_anchors.error()});
      anchors = std::move(*loaded_anchors);
    }
    // [local] last of what can fail: a bad record keeps everything as it was.
    const bool local_changed = !(next.local == config.local);
    if (local_changed && local != nullptr) {
      if (auto err = local->configure(next.local); !err.empty()) return fail({err});
    }
    proxy::set_log_level(next.log_level);
    if (next.clock != config.clock || next.time_file != config.time_file) {
      LOG_WARN("reload: [dnssec] clock and time_file take effect at the next restart");
      next.clock = config.clock;
      next.time_file = config.time_file;
    }
    if (next.threads != config.threads) {
      LOG_WARN("reload: [server] threads takes effect at the next restart");
      next.threads = config.threads;
    }
    if (next.control_socket != config.control_socket) {
      LOG_WARN("reload: [control] socket takes effect at the next restart");
      next.control_socket = config.control_socket;
      next.control_socket_configured = config.control_socket_configured;
    }
    // The file's negative trust anchors replace the configured ones; those added by
    // control stay (proxy/negative_anchors.h).
    for (const auto& e :
         ntas.set_configured(next.negative_trust_anchors, proxy::wall_clock_now())) {
      LOG_WARN("reload: negative trust anchor " << e.zone << " expired at "
                                                << resolver::format_utc(*e.until)
                                                << ": not used (remove it from [dnssec] "
                                                   "negative_trust_anchors)");
    }
    next.negative_trust_anchors = ntas.in_force();
    // Loop 0 first: it checks that new ports are free before the others share them.
    std::vector<std::string> problems = server->reload(next, anchors);
    workers->post_all([next, anchors](proxy::Server& s) {
      for (const auto& p : s.reload(next, anchors)) {
        if (p.starts_with("cannot")) LOG_WARN("reload: " << p);  // the rest loop 0 said
      }
    });
    if (next.metrics_listen != config.metrics_listen) {
      if (auto err = set_metrics(loop, next.metrics_listen); !err.empty()) {
        problems.push_back(err);
      }
    }
    if (prober && proxy::UpstreamSettings::of(next) != proxy::UpstreamSettings::of(config)) {
      if (auto err = prober->reconfigure(proxy::UpstreamSettings::of(next)); !err.empty()) {
        problems.push_back("upstream probes: " + err);
      }
    }
    for (const auto& p : problems) LOG_WARN("reload: " << p);
    if (local_changed) server->check_local_data();  // with the new upstreams and forwards
    if (said != nullptr) *said = problems;
    ++server->stats().reloads;
    LOG_INFO("reloaded the configuration (" << next.source << ")"
                                            << (problems.empty() ? "" : " with warnings"));
    config = std::move(next);
    return "";
  }
  // The negative trust anchors in force go to every loop (the path a reload takes). The
  // workers first, waited for (at most 2 s): when `control nta` replies, every loop
  // validates with the new list, and loop 0 drops the stale answers after the workers
  // stopped making them.
  void apply_ntas() {
    std::vector<config::NegativeTrustAnchor> list = ntas.in_force();
    config.negative_trust_anchors = list;
    struct Done {
      std::mutex mu;
      std::condition_variable cv;
      size_t count = 0;
    };
    auto done = std::make_shared<Done>();
    workers->post_all([list, done](proxy::Server& s) {
      s.set_negative_trust_anchors(list);
      std::lock_guard lock(done->mu);
      ++done->count;
      done->cv.notify_all();
    });
    {
      std::unique_lock lock(done->mu);
      const size_t all = workers->size();
      if (!done->cv.wait_for(lock, std::chrono::seconds(2), [&] { return done->count == all; })) {
        LOG_WARN("negative trust anchors: " << all - done->count << " of " << all
                                            << " worker loops have not applied the change yet "
                                               "(stuck?); they will when they run");
      }
    }
    server->set_negative_trust_anchors(std::move(list));
  }
  // RFC 7646 §2: an NTA ends. Once a second: those whose time is up are logged and gone.
  void expire_ntas() {
    const auto expired = ntas.expire(proxy::wall_clock_now());
    for (const auto& e : expired) {
      LOG_WARN("negative trust anchor " << e.zone << " expired (" << proxy::to_string(e.source)
                                        << ", until " << resolver::format_utc(*e.until)
                                        << "): answers at or below it are validated again");
    }
    if (!expired.empty()) apply_ntas();
  }
  void watch_ntas(uv_loop_t* loop) {
    uv_timer_init(loop, &nta_timer);
    nta_timer.data = this;
    nta_open = true;
    uv_timer_start(
        &nta_timer, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->expire_ntas(); }, 1000,
        1000);
  }
  // [control] socket: made before privileges are dropped, given to the proxy's account.
  // "" or why it cannot be (only when the file names the socket: the default one is
  // skipped, with a line in the log, when its directory is missing or it is in use).
  std::string start_control(uv_loop_t* loop, const std::optional<proxy::Account>& account) {
    const std::string& path = config.control_socket;
    if (path.empty()) {
      LOG_INFO("no control socket ([control] socket = \"\")");
      return "";
    }
    if (!config.control_socket_configured) {
      const std::string dir = path.substr(0, path.rfind('/'));
      if (access(dir.c_str(), F_OK) != 0) {
        LOG_INFO("no control socket: "
                 << dir
                 << " does not exist (systemd makes it with "
                    "RuntimeDirectory=dnssec-proxy; or set [control] socket)");
        return "";
      }
    }
    proxy::ControlWiring w;
    w.shared = caches;
    w.ntas = &ntas;
    w.now = [] { return proxy::wall_clock_now(); };
    w.apply_ntas = [this] { apply_ntas(); };
    w.reload = [this, loop](std::vector<std::string>& said) {
      return reload(loop, "control", &said);
    };
    w.prometheus = [this] { return render_metrics(); };
    w.forwards = [this] { return config.forwards; };
    w.upstreams = [this] { return upstream_rows(); };
    w.hotspot = [this](uint64_t ms) { return set_hotspot(ms); };
    control_service = std::make_unique<proxy::ControlService>(std::move(w));
    control = std::make_unique<proxy::ControlListener>(
        loop, [this](std::string_view line) { return control_service->handle(line); });
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    if (account) {
      uid = account->uid;
      gid = account->gid;
    }
    if (auto err = control->start(path, uid, gid); !err.empty()) {
      if (config.control_socket_configured) return err;
      LOG_WARN(err << "; running without a control socket");
      control->close();
      return "";
    }
    LOG_INFO("control socket " << path << " (dnssec-proxy control; mode 0660"
                               << (account ? ", owned by " + account->name : std::string()) << ")");
    return "";
  }
};

// The commands that do not start the daemon (explain, --help, --version, --health-check,
// usage errors): their exit status, or nullopt when the daemon is to run.
std::optional<int> run_other_command(
    const config::CommandLineResult& cl, const proxy::ExplainOptions& explain_options,
    const std::optional<std::vector<std::string>>& control_arguments) {
  if (control_arguments && proxy::is_control(cl.command_line)) {
    if (!cl.ok()) {
      for (const auto& e : cl.errors) std::cerr << "dnssec-proxy: " << e << "\n";
      return proxy::kControlUsage;
    }
    return proxy::run_control(cl.command_line, *control_arguments);
  }
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
  if (const auto& http = cl.command_line.health_check_http) {
    return proxy::run_http_health_check(http->endpoint, http->path);
  }
  if (!cl.command_line.positional.empty()) {
    std::cerr << "dnssec-proxy: unknown command '" << cl.command_line.positional[0]
              << "' (see --help)\n";
    return kExitUsage;
  }
  return std::nullopt;
}

// What the daemon needs before it binds anything, every part checked.
struct Prepared {
  config::Config config;
  resolver::TrustAnchors anchors;
  proxy::AccountResult account;
};

// Loads the configuration, picks the upstreams, reads the trust anchors and looks up the
// account: what serving needs, or the exit status (the errors printed). --check-config
// stops here.
std::variant<Prepared, int> prepare(const config::CommandLine& command_line) {
  auto loaded = config::load(command_line);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e << "\n";
    return kExitConfig;
  }
  config::Config cfg = std::move(loaded.config);
  proxy::set_log_level(cfg.log_level);
  for (const auto& w : loaded.warnings) LOG_WARN(w);
  if (auto err = choose_upstreams(cfg); !err.empty()) {
    std::cerr << "dnssec-proxy: " << err << "\n";
    return kExitConfig;
  }
  auto loaded_anchors = configured_anchors(cfg);
  if (!loaded_anchors) {
    std::cerr << "dnssec-proxy: " << loaded_anchors.error() << "\n";
    return kExitConfig;
  }
  // [local] records are parsed here too, so that --check-config and a failed start name a
  // bad one (the hosts file is read when serving starts: its problems are warnings).
  if (auto local = proxy::build_local_data({cfg.local.records, "", cfg.local.ttl}); !local) {
    std::cerr << "dnssec-proxy: " << local.error() << "\n";
    return kExitConfig;
  }
  proxy::AccountResult account = proxy::resolve_account(cfg.user, cfg.group);
  if (!account.error.empty()) {
    std::cerr << "dnssec-proxy: " << cfg.source << ": " << account.error << "\n";
    return kExitConfig;
  }
  if (command_line.check_config) {
    std::cout << "ok\n";
    return kExitOk;
  }
  if (cfg.threads == 0) cfg.threads = static_cast<uint32_t>(proxy::default_thread_count());
  return Prepared{std::move(cfg), std::move(*loaded_anchors), std::move(account)};
}

// [dnstap]: the writer's I/O thread (it connects to the collector in the background) and
// what every message says it comes from. nullptr when [dnstap] is off or libfstrm refused
// (`error` says why).
std::unique_ptr<proxy::dnstap::Writer> start_dnstap(const config::Config& cfg,
                                                    proxy::Shared& caches, std::string& error) {
  if (!cfg.dnstap.enabled()) return nullptr;
  auto writer = proxy::dnstap::Writer::start(cfg.dnstap, cfg.threads, error);
  if (!writer) return nullptr;
  std::string identity = cfg.dnstap.identity;
  if (identity.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) identity = host;
  }
  caches.dnstap_origin = {identity, cfg.dnstap.version.empty()
                                        ? std::string("dnssec-proxy ") + DNSSEC_PROXY_VERSION
                                        : cfg.dnstap.version};
  caches.dnstap = writer.get();
  const auto& d = cfg.dnstap;
  LOG_INFO("dnstap: writing " << (d.client_queries ? "CLIENT_QUERY " : "")
                              << (d.client_responses ? "CLIENT_RESPONSE " : "")
                              << (d.forwarder_queries ? "FORWARDER_QUERY " : "")
                              << (d.forwarder_responses ? "FORWARDER_RESPONSE " : "") << "to "
                              << writer->destination() << " (identity \"" << identity
                              << "\"; connecting in the background, again every "
                              << proxy::dnstap::kReopenSeconds
                              << " s while no collector is there)");
  if (struct stat st{}; !d.socket.empty() && stat(d.socket.c_str(), &st) != 0) {
    // libfstrm says nothing about failed connections: say it once here.
    LOG_WARN("dnstap: no collector listens on " << d.socket << " yet: messages are discarded "
                                                << "until one does (e.g. fstrm_capture -t "
                                                << proxy::dnstap::kContentType << " -u " << d.socket
                                                << " -w FILE)");
  }
  return writer;
}

// The daemon: binds, drops privileges, starts the RFC 5011 updater, and runs the event
// loops until SIGINT/SIGTERM. Its exit status.
int serve(uv_loop_t* loop, Prepared p, const config::CommandLine& command_line) {
  // RFC 7646 §2: configured anchors whose time is up are not used.
  proxy::NegativeAnchors ntas;
  for (const auto& e :
       ntas.set_configured(p.config.negative_trust_anchors, proxy::wall_clock_now())) {
    LOG_WARN("negative trust anchor " << e.zone << " expired at " << resolver::format_utc(*e.until)
                                      << ": not used (remove it from [dnssec] "
                                         "negative_trust_anchors)");
  }
  p.config.negative_trust_anchors = ntas.in_force();
  const config::Config& cfg = p.config;
  const resolver::TrustAnchors configured = p.anchors;
  proxy::Shared caches(cfg.cache, cfg.limits);
  std::string dnstap_error;
  // Before the servers: they queue on it. Destroyed after them (closing waits at most 2 s).
  const std::unique_ptr<proxy::dnstap::Writer> dnstap = start_dnstap(cfg, caches, dnstap_error);
  if (!dnstap_error.empty()) {
    LOG_ERROR(dnstap_error);
    return kExitConfig;
  }
  proxy::Workers workers;
  proxy::Server server(loop, cfg, std::move(p.anchors), caches, proxy::LoopRole{0, cfg.threads});
  std::optional<proxy::AnchorUpdater> updater;
  Daemon daemon;
  daemon.server = &server;
  daemon.workers = &workers;
  daemon.caches = &caches;
  daemon.command_line = command_line;
  daemon.config = cfg;
  daemon.ntas = std::move(ntas);
  daemon.start_time = proxy::wall_clock_now();
  daemon.notify = proxy::SdNotify::from_environment(static_cast<long>(getpid()));
  // SIGINT/SIGTERM are caught before anything binds, so that a signal that arrives while
  // the proxy starts stops it cleanly (status 0) instead of killing it.
  daemon.catch_signals(loop);
  const auto fail_start = [&](const std::string& err) {
    LOG_ERROR(err);
    server.stop();
    workers.stop();
    if (updater) updater->stop();
    if (daemon.prober) daemon.prober->stop();
    if (daemon.local != nullptr) daemon.local->stop();
    daemon.set_metrics(loop, std::nullopt);
    if (daemon.control) daemon.control->close();
    daemon.close_signals();
    uv_run(loop, UV_RUN_DEFAULT);
    return kExitConfig;
  };
  // Socket activation (systemd's .socket unit): the passed sockets replace [server] listen.
  proxy::PassedSockets passed = proxy::take_passed_sockets();
  if (!passed.error.empty()) return fail_start(passed.error);
  server.use_passed_sockets(passed.sockets);
  daemon.watch_clock(loop);
  if (auto err = server.start(); !err.empty()) return fail_start(err);
  if (auto err = workers.start(cfg.threads, cfg, configured, caches, passed.sockets);
      !err.empty()) {
    return fail_start(err);
  }
  daemon.listeners_bound = true;
  // [local]: every loop answers the local names from now on; loop 0 watches the hosts file.
  proxy::LocalDataWatch local(loop, [&server, &workers](proxy::LocalTable table) {
    workers.post_all([table](proxy::Server& s) { s.set_local_data(table); });
    server.set_local_data(std::move(table));
  });
  daemon.local = &local;
  if (auto err = local.configure(cfg.local); !err.empty()) return fail_start(err);
  daemon.start_pages(loop);
  if (auto err = daemon.set_metrics(loop, cfg.metrics_listen); !err.empty()) {
    return fail_start(err);
  }
  if (auto err = daemon.start_control(loop, p.account.account); !err.empty()) {
    return fail_start(err);
  }
  daemon.watch_ntas(loop);
  // The listeners are bound: nothing below needs root.
  if (p.account.account) {
    if (auto err = proxy::drop_privileges(*p.account.account); !err.empty()) {
      return fail_start("cannot drop privileges: " + err);
    }
    LOG_INFO("running as " << p.account.account->name);
  }
  // RFC 5011: read (or start) the state file as the account that will rewrite it.
  if (!cfg.trust_anchor_state.empty()) {
    updater.emplace(loop, cfg, [&daemon](const resolver::TrustAnchors& updated) {
      daemon.set_trust_anchors(updated);
    });
    if (auto err = updater->load(configured, proxy::wall_clock_now()); !err.empty()) {
      return fail_start(err);
    }
    daemon.set_trust_anchors(updater->anchors());
    if (auto err = updater->start(); !err.empty()) return fail_start(err);
  }
  LOG_INFO("dnssec-proxy " << DNSSEC_PROXY_VERSION << " ready (configuration: " << cfg.source
                           << ", " << cfg.threads << (cfg.threads == 1 ? " thread)" : " threads)"));
  daemon.updater = updater ? &*updater : nullptr;
  if (!configured.empty()) {
    daemon.prober.emplace(loop, caches.upstreams);
    if (auto err = daemon.prober->start(proxy::UpstreamSettings::of(cfg)); !err.empty()) {
      return fail_start("upstream probes: " + err);
    }
  }
  daemon.anchors_loaded = true;
  server.check_local_data();  // local names inside signed zones: a warning each
  daemon.start_notify(loop);
  uv_run(loop, UV_RUN_DEFAULT);
  daemon.save_time();
  if (dnstap && !dnstap->close(proxy::dnstap::Writer::kCloseWait)) {
    LOG_WARN("dnstap: the collector at " << dnstap->destination()
                                         << " did not take the last messages in time; stopping "
                                            "without them");
  }
  LOG_INFO("stopped");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  // `control`'s own flags (--socket, --json, --for) first: the config parser knows none.
  const auto control_arguments = proxy::take_control_arguments(args);
  const auto explain_options = proxy::take_explain_options(args);  // --json, --no-color
  const auto cl = config::parse_arguments(args);
  if (auto status = run_other_command(cl, explain_options, control_arguments)) return *status;
  auto prepared = prepare(cl.command_line);
  if (auto* status = std::get_if<int>(&prepared)) return *status;
  uv_loop_t* loop = uv_default_loop();
  const int status = serve(loop, std::move(std::get<Prepared>(prepared)), cl.command_line);
  uv_loop_close(loop);
  return status;
}
