// The chain of trust as a picture, end to end (issue 19): `explain --format dot|svg|html`
// locally and with --server, and the pages of [metrics] listen (the dashboard at / and
// /explain?name=N&type=T) loaded in headless Chromium through a proxy on loopback over the
// signed hierarchy (hierarchy.h): a secure name, a DS mismatch, an expired signature and an
// insecure delegation, asserted from the DOM (--dump-dom) and saved as screenshots in
// BUILD/artifacts/picture/. Chromium is required: without it these tests fail (CI installs it).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"
#include "hierarchy.h"
#include "mock_upstream.h"

using namespace dnsp::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Where screenshots go: kept after the run, for people and CI to look at.
std::string artifacts() {
  const std::string dir = std::string(DNSP_BUILD_DIR) + "/artifacts/picture";
  run_command("mkdir -p '" + dir + "'");
  return dir;
}

// Headless Chromium with a profile of its own, under a hard timeout (a hung browser must not
// hang the suite): "--dump-dom" prints the DOM after parsing; a screenshot is saved as `png`.
std::string chromium(const std::string& mode, const std::string& url) {
  static TempDir profile;
  const std::string cmd =
      "timeout -k 10 120 chromium --headless --no-sandbox --disable-gpu "
      "--no-first-run --disable-dev-shm-usage --hide-scrollbars "
      "--user-data-dir='" +
      profile.path() + "' " + mode + " '" + url + "' 2>/dev/null";
  const RunResult r = run_command(cmd);
  INFO(cmd);
  CHECK(r.exit_code == 0);
  return r.out;
}

void require_chromium() {
  if (run_command("command -v chromium").exit_code != 0) {
    FAIL("chromium is not installed (apt-get install chromium): the picture tests need it");
  }
}

std::string dump_dom(const std::string& url) { return chromium("--dump-dom", url); }

void screenshot(const std::string& url, const std::string& name, int height = 1600) {
  const std::string png = artifacts() + "/" + name;
  unlink(png.c_str());
  chromium("--screenshot='" + png + "' --window-size=1400," + std::to_string(height), url);
  struct stat st {};
  const bool written = stat(png.c_str(), &st) == 0 && st.st_size > 10000;
  CHECK_MESSAGE(written, png << " not written");
}

// A proxy over the hierarchy with [metrics] listen on 127.0.0.1; the pages' base URL.
struct PageProxy {
  TempDir dir;
  uint16_t http = free_port();
  std::unique_ptr<ProxyProcess> proxy;
  PageProxy() {
    const std::string conf =
        dir.write("proxy.toml", "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(http) + "\"\n");
    proxy = start_proxy({"--config", conf});
    REQUIRE(eventually([&] { return tcp_accepts(http); }));
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(http) + path;
  }
};

// `needles` appear in `dom` in this order.
bool in_order(const std::string& dom, const std::vector<std::string>& needles) {
  size_t at = 0;
  for (const auto& n : needles) {
    const size_t found = dom.find(n, at);
    if (found == std::string::npos) return false;
    at = found + n.size();
  }
  return true;
}

struct PageCase {
  const char* name;
  const char* verdict;
  std::vector<std::string> zones;  // data-zone of each zone box, in order
  std::vector<std::string> marks;  // what the failing part looks like in the DOM
  const char* png;
};

const PageCase kPageCases[] = {
    {"www.secure-ecdsa.test",
     "secure",
     {".", "test.", "secure-ecdsa.test."},
     {"data-zone=\"secure-ecdsa.test.\" data-security=\"secure\"", "class=\"edge ds-match good\""},
     "explain-secure.png"},
    {"www.dsmismatch.test",
     "bogus",
     {".", "test.", "dsmismatch.test."},
     {"class=\"edge ds-match bad failing\"", "matches no DNSKEY\"",
      "data-zone=\"dsmismatch.test.\" data-security=\"bogus\""},
     "explain-dsmismatch.png"},
    {"www.expired.test",
     "bogus",
     {".", "test.", "expired.test."},
     {"class=\"edge rrsig bad failing\"", "expired 10 days ago"},
     "explain-expired.png"},
    {"www.insecure.test",
     "insecure",
     {".", "test.", "insecure.test."},
     {"data-zone=\"insecure.test.\" data-security=\"insecure\"", "no DS for insecure.test. DS"},
     "explain-insecure.png"},
};

}  // namespace

TEST_CASE("picture: explain --format dot|svg|html, locally and with --server") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  const std::string local =
      std::string(DNSSEC_PROXY_BINARY) +
      " explain www.dsmismatch.test A --upstream 127.0.0.1:" + std::to_string(h.upstream_port()) +
      " --trust-anchor " + h.anchor();
  const RunResult svg = run_command(local + " --format svg 2>/dev/null");
  CHECK(svg.exit_code == 2);
  CHECK(svg.out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(contains(svg.out, "class=\"edge ds-match bad failing\""));
  if (access("/usr/bin/xmllint", X_OK) == 0) {
    TempDir d;
    const std::string file = d.write("chain.svg", svg.out);
    const RunResult lint = run_command("/usr/bin/xmllint --noout '" + file + "'");
    CHECK_MESSAGE(lint.exit_code == 0, lint.out);
  }
  const RunResult dot = run_command(local + " --format dot 2>/dev/null");
  CHECK(dot.out.starts_with("digraph \"chain of trust\" {"));
  CHECK(contains(dot.out, "subgraph \"cluster_z2\""));
  CHECK(contains(dot.out, "matches no DNSKEY"));
  const RunResult json = run_command(local + " --json 2>/dev/null");
  CHECK(json.out.starts_with("{"));
  const RunResult bad = run_command(local + " --format png 2>&1");
  CHECK(bad.exit_code == 4);
  CHECK(contains(bad.out, "--format: expected text, json, dot, svg or html, got \"png\""));

  auto proxy = start_proxy();
  const RunResult html =
      run_command(std::string(DNSSEC_PROXY_BINARY) +
                  " explain www.expired.test A --format html --server 127.0.0.1:" +
                  std::to_string(proxy->port()) + " 2>/dev/null");
  CHECK(html.exit_code == 2);
  CHECK(html.out.starts_with("<!DOCTYPE html>"));
  CHECK(contains(html.out, "<span id=\"verdict\" class=\"verdict bogus\">bogus</span>"));
  CHECK(contains(html.out, "expired 10 days ago"));
  CHECK_FALSE(contains(html.out, "<script"));
  CHECK(proxy->terminate() == 0);
}

TEST_CASE("picture: /explain in Chromium: zones in order, the failing edge marked, the verdict") {
  REQUIRE_HIERARCHY();
  require_chromium();
  PageProxy p;
  for (const auto& c : kPageCases) {
    CAPTURE(c.name);
    const std::string url = p.url("/explain?name=" + std::string(c.name) + "&type=A");
    const std::string dom = dump_dom(url);
    CHECK(contains(dom, "id=\"verdict\" class=\"verdict " + std::string(c.verdict) + "\""));
    CHECK(contains(dom, "data-verdict=\"" + std::string(c.verdict) + "\""));
    std::vector<std::string> zones;
    for (const auto& z : c.zones) zones.push_back("data-zone=\"" + z + "\"");
    CHECK_MESSAGE(in_order(dom, zones), "zones out of order or missing");
    for (const auto& m : c.marks) CHECK_MESSAGE(contains(dom, m), m);
    if (std::string(c.verdict) == "secure") {
      CHECK_FALSE(contains(dom, "failing"));
    } else {
      CHECK(contains(dom, "id=\"cause\""));
    }
    CHECK(contains(dom, "<a href=\"/\">dashboard</a>"));
    screenshot(url, c.png, 1800);
  }
  CHECK(p.proxy->terminate() == 0);
}

TEST_CASE("picture: the dashboard in Chromium lists frequent bogus names linked to /explain") {
  REQUIRE_HIERARCHY();
  require_chromium();
  PageProxy p;
  CHECK(dig(p.proxy->port(), "+dnssec www.expired.test A").ede_code == 7);
  CHECK(dig(p.proxy->port(), "+dnssec www.dsmismatch.test A").ede_code == 9);
  CHECK(dig(p.proxy->port(), "+dnssec +cd www.dsmismatch.test AAAA").status == "NOERROR");
  CHECK(dig(p.proxy->port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  const std::string dom = dump_dom(p.url("/"));
  CHECK(contains(dom, "id=\"verdict-chart\""));
  CHECK(contains(dom, "<a href=\"/explain?name=www.expired.test.&amp;type=A\">"));
  CHECK(contains(dom, "<a href=\"/explain?name=www.dsmismatch.test.&amp;type=A\">"));
  CHECK(contains(dom, "dsmismatch.test.</code></td><td>1</td><td>9: "));
  CHECK(contains(dom, "id=\"bogus\">2<small>"));
  CHECK(contains(dom, "id=\"upstreams\""));
  // The upstream's own row: answering, with its queries and RTT (UpstreamBoard).
  CHECK(contains(dom, "</code></td><td>plain</td><td class=\"good\">answering</td>"));
  CHECK_FALSE(contains(dom, "not asked yet"));
  CHECK_FALSE(contains(dom, "<script"));
  screenshot(p.url("/"), "dashboard.png", 1100);
  // A link from the dashboard leads to the picture.
  CHECK(contains(dump_dom(p.url("/explain?name=www.expired.test.&type=A")),
                 "class=\"edge rrsig bad failing\""));
  CHECK(p.proxy->terminate() == 0);
}

TEST_CASE("picture: /explain past four traces is 429; bad questions 400; other hosts 403") {
  MockUpstream up;
  up.set_default_silent(true);  // each trace runs until its query deadline
  TempDir dir;
  const uint16_t http = free_port();
  const auto conf = dir.write("slow.toml",
                              "[upstream]\ntimeout_ms = 2500\nattempts = 1\n"
                              "query_timeout_ms = 3000\n[metrics]\nlisten = "
                              "\"127.0.0.1:" +
                                  std::to_string(http) + "\"\n");
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  ProxyProcess proxy({"--upstream", up.address(), "--config", conf, "--trust-anchor", anchors});
  REQUIRE(eventually([&] { return tcp_accepts(http); }));
  const std::string base = "http://127.0.0.1:" + std::to_string(http);
  const std::string curl = "curl -sS --max-time 15 -o - -w '\\nHTTP %{http_code}\\n' ";
  // Four in the background hold every place; the fifth is told to come back.
  run_command("for i in 1 2 3 4; do " + curl + "'" + base +
              "/explain?name=slow$i.example&type=A' >/dev/null 2>&1 & done; sleep 1");
  const std::string busy = run_command(curl + "-i '" + base + "/explain?name=www.example'").out;
  CHECK(contains(busy, "HTTP 429"));
  CHECK(contains(busy, "Retry-After: 5"));
  CHECK(contains(busy, "too many explain traces in progress (at most 4 at once"));
  const std::string bad = run_command(curl + "'" + base + "/explain?type=A'").out;
  CHECK(contains(bad, "HTTP 400"));
  CHECK(contains(run_command(curl + "'" + base + "/nothing'").out, "HTTP 404"));
  CHECK(contains(run_command(curl + "'" + base + "/metrics'").out, "dnssec_proxy_"));
  const std::string csp = run_command(curl + "-i '" + base + "/'").out;
  CHECK(contains(csp, "Content-Security-Policy: default-src 'none'"));
  // Escaped on the way back: a name with <, " and & in it (once the four have ended).
  const std::string odd =
      run_command("sleep 4; " + curl + "'" + base + "/explain?name=a%3Cb%22c%26d.example&type=TXT'")
          .out;
  CHECK(contains(odd, "HTTP 200"));
  CHECK(contains(odd, "a&lt;b"));
  CHECK_FALSE(contains(odd, "a<b"));
  CHECK(proxy.terminate() == 0);
}
