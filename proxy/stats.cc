#include "proxy/stats.h"

#include <cstdio>

#include "resolver/explain/vocabulary.h"  // ede_name
#include "resolver/wire/types.h"

namespace dnsp::proxy {

void Stats::count_upstream(UpstreamStatus status, uint64_t elapsed_ms) {
  switch (status) {
    case UpstreamStatus::Answered:
      ++latency_count;
      latency_sum_ms.add(elapsed_ms);
      for (size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
        if (elapsed_ms <= kLatencyBucketsMs[i]) ++latency_buckets[i];
      }
      break;
    case UpstreamStatus::Timeout:
      ++upstream_timeouts;
      break;
    case UpstreamStatus::Unreachable:
      ++upstream_unreachable;
      break;
    case UpstreamStatus::ServerFailed:
      ++upstream_server_failed;
      break;
    case UpstreamStatus::BadReply:
      ++upstream_bad_replies;
      break;
    case UpstreamStatus::Cancelled:
      break;
  }
}

namespace {

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP dnssec_proxy_";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE dnssec_proxy_";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // `labels` is either empty or `key="value",...` without braces.
  void sample(std::string_view name, std::string_view labels, uint64_t value) {
    out_ += "dnssec_proxy_";
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void sample_text(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += "dnssec_proxy_";
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Label values must escape backslash, double quote and newline (exposition format 0.0.4).
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string seconds(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

// Sums over the servers of every event loop.
struct Totals {
  std::span<const Stats* const> all;
  uint64_t operator()(Counter Stats::*member) const {
    uint64_t total = 0;
    for (const Stats* s : all) total += (s->*member).get();
    return total;
  }
  uint64_t operator()(std::atomic<uint64_t> TransportCounters::*member) const {
    uint64_t total = 0;
    for (const Stats* s : all) total += (s->transport.*member).load(std::memory_order_relaxed);
    return total;
  }
  template <size_t N>
  uint64_t at(std::array<Counter, N> Stats::*member, size_t i) const {
    uint64_t total = 0;
    for (const Stats* s : all) total += (s->*member)[i].get();
    return total;
  }
  template <size_t N>
  uint64_t sum(std::array<Counter, N> Stats::*member) const {
    uint64_t total = 0;
    for (size_t i = 0; i < N; ++i) total += at(member, i);
    return total;
  }
};

// Per upstream server (UpstreamBoard): what each was asked and how it went.
void emit_upstreams(Exposition& e, const UpstreamBoard& board) {
  const std::vector<UpstreamBoard::Row> rows = board.rows();
  if (rows.empty()) return;
  auto label = [](const UpstreamBoard::Row& r) {
    return "upstream=\"" + label_value(r.name) + "\",transport=\"" + r.transport + "\"";
  };
  auto load = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  e.family("upstream_server_queries_total", "counter", "Tries sent to each upstream server.");
  for (const auto& r : rows)
    e.sample("upstream_server_queries_total", label(r), load(r.counters->queries));
  e.family("upstream_server_answers_total", "counter", "Replies taken from each upstream server.");
  for (const auto& r : rows)
    e.sample("upstream_server_answers_total", label(r), load(r.counters->answered));
  e.family("upstream_server_failures_total", "counter",
           "Tries that failed, by upstream server and kind (timeout, unreachable: refused, "
           "TLS refusal or reset; server_failed: SERVFAIL/REFUSED/HTTP error; bad_reply).");
  for (const auto& r : rows) {
    const ServerCounters& c = *r.counters;
    e.sample("upstream_server_failures_total", label(r) + ",kind=\"timeout\"", load(c.timeouts));
    e.sample("upstream_server_failures_total", label(r) + ",kind=\"unreachable\"",
             load(c.unreachable));
    e.sample("upstream_server_failures_total", label(r) + ",kind=\"server_failed\"",
             load(c.server_failed));
    e.sample("upstream_server_failures_total", label(r) + ",kind=\"bad_reply\"",
             load(c.bad_replies));
  }
  e.family("upstream_server_handshakes_total", "counter",
           "TLS handshakes completed with each encrypted upstream, by session resumption.");
  e.family("upstream_server_connections", "gauge", "TLS connections open to each upstream.");
  for (const auto& r : rows) {
    if (r.transport == "plain") continue;
    const ServerCounters& c = *r.counters;
    e.sample("upstream_server_handshakes_total", label(r) + ",resumed=\"false\"",
             load(c.handshakes) - load(c.resumed));
    e.sample("upstream_server_handshakes_total", label(r) + ",resumed=\"true\"", load(c.resumed));
    e.sample("upstream_server_connections", label(r), load(c.connections));
  }
  e.family("upstream_server_srtt_seconds", "gauge",
           "Smoothed round-trip time of each upstream server (RFC 6298 §2, 1/8 per sample).");
  for (const auto& r : rows) {
    char text[32];
    snprintf(text, sizeof text, "%.6f", double(load(r.counters->srtt_us)) / 1e6);
    e.sample_text("upstream_server_srtt_seconds", label(r), text);
  }
  e.family("upstream_server_state", "gauge",
           "What the last probe found each upstream server does with DNSSEC queries: 1 for "
           "its state (unknown, ok, no-tcp, drops-cd, strips-dnssec, unreachable).");
  for (const auto& r : rows) {
    const UpstreamHealth h = r.counters->health.load(std::memory_order_relaxed);
    e.sample("upstream_server_state", label(r) + ",state=\"" + std::string(to_string(h)) + "\"", 1);
  }
}

}  // namespace

std::string render_prometheus(std::span<const Stats* const> stats, const Gauges& g,
                              std::string_view version, const UpstreamBoard* board) {
  const Totals t{stats};
  Exposition e;
  e.family("build_info", "gauge", "Version of the running dnssec-proxy (value is always 1).");
  e.sample("build_info", "version=\"" + label_value(version) + "\"", 1);
  e.family("start_time_seconds", "gauge", "When the proxy started, in seconds since the epoch.");
  e.sample("start_time_seconds", "", static_cast<uint64_t>(g.start_time_unix));
  e.family("ready", "gauge",
           "1 when /ready says 200 (listeners, anchors, an upstream answered, not draining).");
  e.sample("ready", "", g.ready ? 1 : 0);
  e.family("event_loops_stuck", "gauge",
           "Event loops whose heartbeat is over 5 s old (/health 503).");
  e.sample("event_loops_stuck", "", g.event_loops_stuck);
  e.family("clock_verified", "gauge",
           "1 when the wall clock is believed: not before the time floor (build time or "
           "[dnssec] time_file) and, with clock = \"until-synced\", synchronised by NTP.");
  e.sample("clock_verified", "", g.clock_verified ? 1 : 0);
  e.family("hotspot_seconds_left", "gauge",
           "Hotspot mode: seconds until validation resumes (0: validating).");
  e.sample("hotspot_seconds_left", "", g.hotspot_seconds_left);

  e.family("queries_total", "counter", "Client queries received, by transport.");
  e.sample("queries_total", "transport=\"udp\"", t(&Stats::queries_udp));
  e.sample("queries_total", "transport=\"tcp\"", t(&Stats::queries_tcp));
  e.family("cache_hits_total", "counter", "Client queries answered from the answer cache.");
  e.sample("cache_hits_total", "", t(&Stats::cache_hits));
  e.family("local_answers_total", "counter",
           "Client queries answered from local data ([local] records and hosts file).");
  e.sample("local_answers_total", "", t(&Stats::local_answers));
  e.family("hotspot_answers_total", "counter",
           "Client queries answered without validation in hotspot mode.");
  e.sample("hotspot_answers_total", "", t(&Stats::hotspot_answers));
  e.family("coalesced_total", "counter",
           "Client queries that waited for an identical query already in flight.");
  e.sample("coalesced_total", "", t(&Stats::coalesced));
  e.family("dropped_total", "counter", "Packets dropped without a reply (undecodable).");
  e.sample("dropped_total", "", t(&Stats::dropped));
  e.family("udp_replies_dropped_total", "counter",
           "UDP replies dropped because the socket's send queue was full.");
  e.sample("udp_replies_dropped_total", "", t(&Stats::udp_replies_dropped));
  e.family("overloaded_total", "counter",
           "Queries answered SERVFAIL at once because too many were in flight.");
  e.sample("overloaded_total", "", t(&Stats::overloaded));
  e.family("deadline_missed_total", "counter",
           "Queries answered SERVFAIL because [upstream] query_timeout_ms passed.");
  e.sample("deadline_missed_total", "", t(&Stats::deadline_missed));
  e.family("stale_answers_total", "counter",
           "Expired answers served because every upstream failed (RFC 8767, EDE 3 or 19).");
  e.sample("stale_answers_total", "", t(&Stats::stale_answers));
  e.family("prefetches_total", "counter",
           "Background refreshes of cached answers asked for in the last tenth of their TTL.");
  e.sample("prefetches_total", "", t(&Stats::prefetches));
  e.family("responses_total", "counter", "Replies sent to clients, by RCODE.");
  for (size_t rc = 0; rc < size_t{16}; ++rc) {
    if (t.at(&Stats::responses_by_rcode, rc) == 0 && rc != 0 && rc != 2 && rc != 3) continue;
    e.sample("responses_total",
             "rcode=\"" + std::string(resolver::to_string(static_cast<resolver::RCode>(rc))) + "\"",
             t.at(&Stats::responses_by_rcode, rc));
  }

  e.family("answers_total", "counter",
           "Upstream answers judged by the validator (cache hits not included), by outcome.");
  e.sample("answers_total", "security=\"secure\"", t(&Stats::secure));
  e.sample("answers_total", "security=\"insecure\"", t(&Stats::insecure));
  e.sample("answers_total", "security=\"bogus\"", t.sum(&Stats::bogus_by_ede));
  e.sample("answers_total", "security=\"unchecked\"", t(&Stats::unchecked));
  e.family("bogus_total", "counter",
           "Bogus verdicts (SERVFAIL to the client), by the Extended DNS Error they carry.");
  for (size_t code = 0; code < Stats::kEdeSlots; ++code) {
    if (t.at(&Stats::bogus_by_ede, code) == 0) continue;
    const bool other = code == Stats::kEdeSlots - 1;
    const std::string name =
        other ? "Other" : std::string(resolver::ede_name(static_cast<resolver::EdeCode>(code)));
    e.sample("bogus_total",
             "ede=\"" + (other ? std::string("other") : std::to_string(code)) + "\",name=\"" +
                 label_value(name) + "\"",
             t.at(&Stats::bogus_by_ede, code));
  }

  e.family("upstream_queries_total", "counter",
           "Queries sent upstream (client questions and DS/DNSKEY fetches).");
  e.sample("upstream_queries_total", "", t(&Stats::upstream_queries));
  e.family("upstream_failures_total", "counter", "Upstream queries that got no usable answer.");
  e.sample("upstream_failures_total", "reason=\"timeout\"", t(&Stats::upstream_timeouts));
  e.sample("upstream_failures_total", "reason=\"unreachable\"", t(&Stats::upstream_unreachable));
  e.sample("upstream_failures_total", "reason=\"servfail\"", t(&Stats::upstream_server_failed));
  e.sample("upstream_failures_total", "reason=\"bad_reply\"", t(&Stats::upstream_bad_replies));
  e.family("upstream_latency_seconds", "histogram", "Time until an upstream query was answered.");
  for (size_t i = 0; i < Stats::kLatencyBucketsMs.size(); ++i) {
    e.sample("upstream_latency_seconds_bucket",
             "le=\"" + seconds(Stats::kLatencyBucketsMs[i]) + "\"",
             t.at(&Stats::latency_buckets, i));
  }
  e.sample("upstream_latency_seconds_bucket", "le=\"+Inf\"", t(&Stats::latency_count));
  e.sample_text("upstream_latency_seconds_sum", "", seconds(t(&Stats::latency_sum_ms)));
  e.sample("upstream_latency_seconds_count", "", t(&Stats::latency_count));

  e.family("upstream_tls_queries_total", "counter",
           "Queries written to DNS-over-TLS upstream connections (RFC 7858).");
  e.sample("upstream_tls_queries_total", "", t(&TransportCounters::tls_queries));
  e.family("upstream_tls_handshakes_total", "counter",
           "TLS handshakes completed with upstreams, by whether a session was resumed.");
  e.sample("upstream_tls_handshakes_total", "resumed=\"false\"",
           t(&TransportCounters::tls_handshakes) - t(&TransportCounters::tls_resumed));
  e.sample("upstream_tls_handshakes_total", "resumed=\"true\"", t(&TransportCounters::tls_resumed));
  e.family("upstream_tls_handshake_failures_total", "counter",
           "TLS upstream connections that failed before they could be used (refused "
           "certificate or pin, connection refused, handshake timed out).");
  e.sample("upstream_tls_handshake_failures_total", "",
           t(&TransportCounters::tls_handshake_failures));
  e.family("upstream_tls_connections", "gauge", "TLS upstream connections open.");
  e.sample("upstream_tls_connections", "", t(&TransportCounters::tls_connections_open));

  e.family("in_flight", "gauge", "Client queries waiting for an upstream answer or validation.");
  e.sample("in_flight", "", t(&Stats::in_flight));
  e.family("tcp_connections", "gauge", "Client TCP connections open.");
  e.sample("tcp_connections", "", t(&Stats::tcp_connections));
  e.family("cache_bytes", "gauge", "Bytes held by each cache (bounded together by max_bytes).");
  e.sample("cache_bytes", "cache=\"answers\"", g.answer_cache_bytes);
  e.sample("cache_bytes", "cache=\"keys\"", g.key_cache_bytes);
  e.sample("cache_bytes", "cache=\"nsec\"", g.aggressive_cache_bytes);
  e.family("cache_max_bytes", "gauge", "[cache] max_size.");
  e.sample("cache_max_bytes", "", g.cache_max_bytes);
  e.family("cache_entries", "gauge", "Answers held in the answer cache.");
  e.sample("cache_entries", "", g.answer_cache_entries);
  e.family("dnstap_messages_total", "counter",
           "dnstap messages queued for the collector ([dnstap]; written unless no collector "
           "is connected then).");
  e.sample("dnstap_messages_total", "", t(&Stats::dnstap_messages));
  e.family("dnstap_dropped_total", "counter",
           "dnstap messages dropped because the queue to the collector was full (stalled or "
           "slow collector); answers never wait for dnstap.");
  e.sample("dnstap_dropped_total", "", t(&Stats::dnstap_dropped));
  e.family("reloads_total", "counter", "SIGHUP reloads, by result.");
  e.sample("reloads_total", "result=\"ok\"", t(&Stats::reloads));
  e.sample("reloads_total", "result=\"failed\"", t(&Stats::reload_failures));
  if (board != nullptr) emit_upstreams(e, *board);
  return e.take();
}

std::vector<std::string> render_summary(std::span<const Stats* const> stats, const Gauges& g) {
  const Totals t{stats};
  std::vector<std::string> lines;
  const uint64_t queries = t(&Stats::queries_udp) + t(&Stats::queries_tcp);
  const uint64_t hit_pct = queries == 0 ? 0 : t(&Stats::cache_hits) * 100 / queries;
  lines.push_back(
      "statistics: queries " + std::to_string(queries) + " (udp " +
      std::to_string(t(&Stats::queries_udp)) + ", tcp " + std::to_string(t(&Stats::queries_tcp)) +
      "), cache hits " + std::to_string(t(&Stats::cache_hits)) + " (" + std::to_string(hit_pct) +
      "%), coalesced " + std::to_string(t(&Stats::coalesced)) + ", dropped " +
      std::to_string(t(&Stats::dropped)) + ", overloaded " + std::to_string(t(&Stats::overloaded)) +
      ", deadline missed " + std::to_string(t(&Stats::deadline_missed)) + ", prefetches " +
      std::to_string(t(&Stats::prefetches)) + ", stale answers " +
      std::to_string(t(&Stats::stale_answers)));
  if (stats.size() > 1) {
    std::string per_loop;
    for (const Stats* one : stats) {
      per_loop += (per_loop.empty() ? "" : ", ") +
                  std::to_string(one->queries_udp.get() + one->queries_tcp.get());
    }
    lines.push_back("statistics: queries per event loop: " + per_loop);
  }
  std::string bogus;
  for (size_t code = 0; code < Stats::kEdeSlots; ++code) {
    if (t.at(&Stats::bogus_by_ede, code) == 0) continue;
    bogus += bogus.empty() ? " (" : ", ";
    bogus +=
        "EDE " + std::to_string(code) + ": " + std::to_string(t.at(&Stats::bogus_by_ede, code));
  }
  if (!bogus.empty()) bogus += ")";
  lines.push_back("statistics: verdicts secure " + std::to_string(t(&Stats::secure)) +
                  ", insecure " + std::to_string(t(&Stats::insecure)) + ", bogus " +
                  std::to_string(t.sum(&Stats::bogus_by_ede)) + bogus + ", unchecked (CD) " +
                  std::to_string(t(&Stats::unchecked)));
  const uint64_t mean_ms =
      t(&Stats::latency_count) == 0 ? 0 : t(&Stats::latency_sum_ms) / t(&Stats::latency_count);
  lines.push_back("statistics: upstream queries " + std::to_string(t(&Stats::upstream_queries)) +
                  ", answered " + std::to_string(t(&Stats::latency_count)) + " (mean " +
                  std::to_string(mean_ms) + " ms), timeouts " +
                  std::to_string(t(&Stats::upstream_timeouts)) + ", unreachable " +
                  std::to_string(t(&Stats::upstream_unreachable)) + ", servfail " +
                  std::to_string(t(&Stats::upstream_server_failed)) + ", bad replies " +
                  std::to_string(t(&Stats::upstream_bad_replies)));
  lines.push_back("statistics: in flight " + std::to_string(t(&Stats::in_flight)) +
                  ", tcp connections " + std::to_string(t(&Stats::tcp_connections)) +
                  ", answer cache " + std::to_string(g.answer_cache_entries) + " entries / " +
                  std::to_string(g.answer_cache_bytes / 1024) + " KiB, key cache " +
                  std::to_string(g.key_cache_bytes / 1024) + " KiB, of " +
                  std::to_string(g.cache_max_bytes / 1024) + " KiB");
  return lines;
}

}  // namespace dnsp::proxy
