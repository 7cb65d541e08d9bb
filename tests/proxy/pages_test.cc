// proxy/listen/http_request.h, proxy/bogus_log.h and proxy/pages/: the request head as the
// [metrics] listener reads it, query parameters, the bounded bogus log, the minute history and
// the dashboard's HTML (escaped names, links to /explain, no script).
#include <doctest/doctest.h>

#include <string>

#include "proxy/bogus_log.h"
#include "proxy/listen/http_request.h"
#include "proxy/pages/dashboard.h"
#include "proxy/pages/history.h"

using namespace dnsp::proxy;
namespace resolver = dnsp::resolver;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

resolver::Question question(const char* name) {
  return {*resolver::Name::from_text(name), resolver::RRType::A, resolver::RRClass::IN};
}

}  // namespace

TEST_CASE("http request: the head is read whole, with its path, query and Host") {
  auto r = parse_http_request("GET /explain?name=a.b&type=A HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n",
                              8192);
  REQUIRE(r.status == HttpParse::Ok);
  CHECK(r.request.method == "GET");
  CHECK(r.request.path == "/explain");
  CHECK(r.request.query == "name=a.b&type=A");
  CHECK(r.request.host == "127.0.0.1:9");
  CHECK(parse_http_request("GET / HTTP/1.1\r\nHost: x", 8192).status == HttpParse::Incomplete);
  CHECK(parse_http_request("GET / HTTP/1.0\n\n", 8192).status == HttpParse::Ok);
  CHECK_FALSE(parse_http_request("GET / HTTP/1.0\n\n", 8192).request.host);
  CHECK(parse_http_request("GET /\r\n\r\n", 8192).status == HttpParse::Bad);
  CHECK(parse_http_request("GET  / HTTP/1.1\r\n\r\n", 8192).status == HttpParse::Bad);
  CHECK(parse_http_request(std::string(9000, 'a'), 8192).status == HttpParse::TooLarge);
}

TEST_CASE("http request: query parameters are percent-decoded; bad encodings are refused") {
  CHECK(query_param("name=a%3Cb%22%26&type=TXT", "name") == "a<b\"&");
  CHECK(query_param("name=a+b", "name") == "a b");
  CHECK(query_param("type=A", "name") == std::nullopt);
  CHECK(query_param("name=%G1", "name") == std::nullopt);
  CHECK(query_param("name=%4", "name") == std::nullopt);
  CHECK(query_param("name", "name") == "");
  CHECK(percent_encode("www.a<b&.") == "www.a%3Cb%26.");
  CHECK(host_allowed("localhost:9153"));
  CHECK(host_allowed("[::1]:9153"));
  CHECK_FALSE(host_allowed("attacker.example"));
}

TEST_CASE("bogus log: the most frequent of the last hour first, bounded in size") {
  BogusLog log;
  const resolver::ExtendedError ede{resolver::EdeCode::SignatureExpired, "example.: expired"};
  const auto zone = *resolver::Name::from_text("example.");
  for (int i = 0; i < 3; ++i) log.record(question("a.example."), zone, ede, 1000 + i);
  log.record(question("b.example."), zone, ede, 1100);
  auto top = log.frequent(1200, 10);
  REQUIRE(top.size() == 2);
  CHECK(top[0].name == "a.example.");
  CHECK(top[0].count == 3);
  CHECK(top[0].zone == "example.");
  CHECK(top[0].ede_code == 7);
  CHECK(top[0].ede_text == "example.: expired");
  CHECK(log.frequent(1000 + 3600 + 50, 10).size() == 1);  // a. is an hour old: gone
  for (size_t i = 0; i < BogusLog::kMaxEntries + 10; ++i) {
    log.record(question(("n" + std::to_string(i) + ".example.").c_str()), zone, ede, 2000);
  }
  CHECK(log.frequent(2000, 100000).size() == BogusLog::kMaxEntries);
}

TEST_CASE("history: per-minute differences of the counters, the current minute last") {
  StatsHistory h;
  Totals t;
  h.sample(0, t);
  t.queries = 600;
  t.secure = 10;
  h.sample(60, t);
  t.queries = 660;
  t.bogus = 2;
  const auto m = h.minutes(90, t);
  REQUIRE(m.size() == 2);
  CHECK(m[0].delta.queries == 600);
  CHECK(m[0].seconds == 60);
  CHECK(m[1].delta.queries == 60);
  CHECK(m[1].delta.bogus == 2);
  CHECK(m[1].seconds == 30);
}

TEST_CASE("dashboard: figures, chart, upstreams and escaped bogus names linked to /explain") {
  DashboardData d;
  d.version = "1.2.3";
  d.now = 1795000000;
  d.started = d.now - 3600;
  Totals t;
  t.queries = 1200;
  t.cache_hits = 300;
  t.secure = 5;
  t.bogus = 1;
  d.minutes = {{d.now, 60, t}};
  UpstreamRow plain;
  plain.name = "127.0.0.1:53";
  plain.transport = "plain";
  plain.queries = 10;
  plain.answered = 10;
  plain.srtt_us = 1500;
  plain.last_answer = d.now - 5;
  plain.dnssec = "strips-dnssec";
  plain.dnssec_evidence = "answered . DNSKEY over UDP without its RRSIG";
  UpstreamRow refused;
  refused.name = "tls://127.0.0.2:853#dns.test";
  refused.transport = "tls";
  refused.queries = 2;
  refused.failed = 2;
  refused.last_failure = d.now - 1;
  refused.last_failure_text = "tls://127.0.0.2:853#dns.test: SPKI pin mismatch <&>";
  UpstreamRow unused;
  unused.name = "https://127.0.0.3:443/dns-query#dns.test";
  unused.transport = "https";
  d.upstreams = {plain, refused, unused};
  BogusEntry b;
  b.name = "a<b\"&.example.";
  b.type = "A";
  b.zone = "example.";
  b.ede_code = 6;
  b.ede_text = "example.: <bad> & \"worse\"";
  b.count = 4;
  d.bogus = {b};
  const std::string html = render_dashboard(d);
  CHECK(contains(html, "id=\"qps\">20.0<small>"));
  CHECK(contains(html, "id=\"cache-hit-ratio\">25.0%"));
  CHECK(contains(html, "id=\"bogus\">1<small>"));
  CHECK(contains(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"verdict-chart\""));
  CHECK(contains(html,
                 "<tr><td><code>127.0.0.1:53</code></td><td>plain</td><td class=\"good\">"
                 "answering</td><td class=\"bad\" title=\"answered . DNSKEY over UDP without "
                 "its RRSIG\">strips-dnssec</td><td>10</td><td>10</td><td>0</td><td>1.5 ms</td>"
                 "</tr>"));
  CHECK(contains(html,
                 "<td class=\"bad\">failing: tls://127.0.0.2:853#dns.test: SPKI pin mismatch "
                 "&lt;&amp;&gt;</td><td>-</td><td>2</td><td>0</td><td>2</td><td>-</td>"));
  CHECK(contains(html, "<td class=\"warn\">not asked yet</td>"));
  CHECK(contains(html, "href=\"/explain?name=a%3Cb%22%26.example.&amp;type=A\""));
  CHECK(contains(html, "a&lt;b&quot;&amp;.example."));
  CHECK(contains(html, "6: example.: &lt;bad&gt; &amp; &quot;worse&quot;"));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<bad>"));
  d.bogus.clear();
  CHECK(contains(render_dashboard(d), "No bogus answers in the last hour."));
}
