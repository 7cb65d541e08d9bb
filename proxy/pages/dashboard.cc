#include "proxy/pages/dashboard.h"

#include <algorithm>
#include <cstdio>

#include "proxy/listen/http_request.h"
#include "resolver/explain/markup.h"
#include "resolver/verify/verdict.h"

namespace dnsp::proxy {
namespace {

using resolver::xml_escape;

constexpr std::string_view kStyle = R"(
body{font-family:DejaVu Sans,Liberation Sans,sans-serif;margin:1.5em;color:#24292f;max-width:80em}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
.figures{display:flex;gap:2em;flex-wrap:wrap}.figure{font-size:1.6em;font-weight:bold}
.figure small{display:block;font-size:.55em;font-weight:normal;color:#57606a}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #d0d7de;text-align:left}
.good{color:#116329}.bad{color:#a40e26}.warn{color:#7d4e00}
rect.secure{fill:#2da44e}rect.insecure{fill:#d4a72c}rect.bogus{fill:#cf222e}
code{font-family:DejaVu Sans Mono,monospace}
)";

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Totals hour_of(const DashboardData& d) {
  Totals t;
  for (const auto& m : d.minutes) t += m.delta;
  return t;
}

// Queries per second over the latest minute with at least 5 s of data.
double recent_qps(const std::vector<MinuteSample>& minutes) {
  for (auto it = minutes.rbegin(); it != minutes.rend(); ++it) {
    if (it->seconds >= 5) return static_cast<double>(it->delta.queries) / it->seconds;
  }
  return 0;
}

void figures(std::string& out, const DashboardData& d) {
  const Totals h = hour_of(d);
  const double ratio =
      h.queries == 0 ? 0 : 100.0 * static_cast<double>(h.cache_hits) / double(h.queries);
  out += "<div class=\"figures\">";
  out += "<div class=\"figure\" id=\"qps\">" + fixed(recent_qps(d.minutes), 1) +
         "<small>queries per second (last minute)</small></div>";
  out += "<div class=\"figure\" id=\"cache-hit-ratio\">" + fixed(ratio, 1) +
         "%<small>cache hit ratio (last hour)</small></div>";
  out += "<div class=\"figure good\" id=\"secure\">" + std::to_string(h.secure) +
         "<small>secure (last hour)</small></div>";
  out += "<div class=\"figure warn\" id=\"insecure\">" + std::to_string(h.insecure) +
         "<small>insecure (last hour)</small></div>";
  out += "<div class=\"figure bad\" id=\"bogus\">" + std::to_string(h.bogus) +
         "<small>bogus (last hour)</small></div></div>\n";
}

void upstream_table(std::string& out, const DashboardData& d) {
  out +=
      "<h2>Upstreams</h2>\n<table id=\"upstreams\"><tr><th>server</th><th>transport</th>"
      "<th>state</th><th>DNSSEC</th><th>queries</th><th>answered</th><th>failed</th><th>RTT</th>"
      "</tr>\n";
  for (const auto& u : d.upstreams) {
    // Failing when the last failure came after the last answer: what went wrong, in words.
    std::string state = "answering";
    std::string cls = "good";
    if (u.queries == 0) {
      state = "not asked yet";
      cls = "warn";
    } else if (u.last_failure > 0 && u.last_failure >= u.last_answer) {
      state = "failing: " + u.last_failure_text;
      cls = "bad";
    }
    char rtt[32] = "-";
    if (u.srtt_us > 0) snprintf(rtt, sizeof rtt, "%.1f ms", double(u.srtt_us) / 1000.0);
    // The probe's verdict (proxy/upstream/probe.h), its evidence on hover.
    const std::string dnssec_cls = u.dnssec == "ok"       ? "good"
                                   : u.dnssec == "no-tcp" ? "warn"
                                                          : "bad";
    const std::string dnssec = u.dnssec.empty() || u.dnssec == "unknown"
                                   ? "<td>-</td>"
                                   : "<td class=\"" + dnssec_cls + "\" title=\"" +
                                         xml_escape(u.dnssec_evidence) + "\">" +
                                         xml_escape(u.dnssec) + "</td>";
    out += "<tr><td><code>" + xml_escape(u.name) + "</code></td><td>" + xml_escape(u.transport) +
           "</td><td class=\"" + cls + "\">" + xml_escape(state) + "</td>" + dnssec + "<td>" +
           std::to_string(u.queries) + "</td><td>" + std::to_string(u.answered) + "</td><td>" +
           std::to_string(u.failed) + "</td><td>" + rtt + "</td></tr>\n";
  }
  out += "</table>\n";
}

void bogus_table(std::string& out, const DashboardData& d) {
  out += "<h2>Most frequent bogus names (last hour)</h2>\n";
  if (d.bogus.empty()) {
    out += "<p id=\"no-bogus\">No bogus answers in the last hour.</p>\n";
    return;
  }
  out +=
      "<table id=\"bogus-names\"><tr><th>name</th><th>type</th><th>zone</th><th>count</th>"
      "<th>EDE</th></tr>\n";
  for (const auto& b : d.bogus) {
    const std::string link =
        "/explain?name=" + percent_encode(b.name) + "&amp;type=" + percent_encode(b.type);
    out += "<tr><td><a href=\"" + link + "\"><code>" + xml_escape(b.name) + "</code></a></td><td>" +
           xml_escape(b.type) + "</td><td><code>" + xml_escape(b.zone) + "</code></td><td>" +
           std::to_string(b.count) + "</td><td>" + std::to_string(b.ede_code) + ": " +
           xml_escape(b.ede_text) + "</td></tr>\n";
  }
  out += "</table>\n";
}

}  // namespace

std::string verdict_chart(const std::vector<MinuteSample>& minutes) {
  constexpr double kBar = 9;
  constexpr double kHeight = 100;
  constexpr double kLeft = 44;
  uint64_t top = 1;
  for (const auto& m : minutes) {
    top = std::max(top, m.delta.secure + m.delta.insecure + m.delta.bogus);
  }
  const double width = kLeft + 60 * kBar + 10;
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"verdict-chart\" width=\"" +
                    fixed(width, 0) + "\" height=\"" + fixed(kHeight + 30, 0) +
                    "\" role=\"img\" aria-label=\"verdicts per minute, last hour\" "
                    "font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">";
  out += "<line x1=\"" + fixed(kLeft, 0) + "\" y1=\"" + fixed(kHeight, 0) + "\" x2=\"" +
         fixed(width, 0) + "\" y2=\"" + fixed(kHeight, 0) + "\" stroke=\"#57606a\"/>";
  out += "<text x=\"0\" y=\"12\">" + std::to_string(top) + "/min</text>";
  out += "<text x=\"" + fixed(kLeft, 0) + "\" y=\"" + fixed(kHeight + 16, 0) +
         "\">60 min ago</text><text x=\"" + fixed(width - 30, 0) + "\" y=\"" +
         fixed(kHeight + 16, 0) + "\">now</text>";
  const double x0 = kLeft + static_cast<double>(60 - std::min<size_t>(minutes.size(), 60)) * kBar;
  for (size_t i = 0; i < minutes.size() && i < 60; ++i) {
    const Totals& t = minutes[i].delta;
    double y = kHeight;
    const std::pair<const char*, uint64_t> parts[] = {
        {"secure", t.secure}, {"insecure", t.insecure}, {"bogus", t.bogus}};
    out += "<g><title>" + std::to_string(t.secure) + " secure, " + std::to_string(t.insecure) +
           " insecure, " + std::to_string(t.bogus) + " bogus</title>";
    for (const auto& [cls, n] : parts) {
      const double h = kHeight * static_cast<double>(n) / static_cast<double>(top);
      y -= h;
      if (n > 0) {
        out += "<rect class=\"" + std::string(cls) + "\" x=\"" +
               fixed(x0 + static_cast<double>(i) * kBar, 1) + "\" y=\"" + fixed(y, 1) +
               "\" width=\"" + fixed(kBar - 2, 0) + "\" height=\"" + fixed(h, 1) + "\"/>";
      }
    }
    out += "</g>";
  }
  out += "</svg>";
  return out;
}

std::string render_dashboard(const DashboardData& d) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>dnssec-proxy</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n";
  out += "<body>\n<h1>dnssec-proxy " + xml_escape(d.version) + "</h1>\n<p>" +
         resolver::format_utc(d.now) + ", up since " + resolver::format_utc(d.started) +
         ". <a href=\"/metrics\">/metrics</a></p>\n";
  figures(out, d);
  out += "<h2>Verdicts per minute (last hour)</h2>\n<figure>" + verdict_chart(d.minutes) +
         "<figcaption><span class=\"good\">secure</span>, <span class=\"warn\">insecure</span>, "
         "<span class=\"bad\">bogus</span></figcaption></figure>\n";
  upstream_table(out, d);
  bogus_table(out, d);
  out +=
      "<h2>Explain a name</h2>\n<form action=\"/explain\" method=\"get\">"
      "<label>name <input name=\"name\" required></label> <label>type <input name=\"type\" "
      "value=\"A\" size=\"6\"></label> <button type=\"submit\">explain</button></form>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace dnsp::proxy
