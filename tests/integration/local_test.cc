// Local data (issue 17): [local] records and a hosts file answered by the proxy itself, with
// AA and without AD, before the cache and never forwarded (the mock upstream counts every
// query it sees); NODATA for other types of a local name; PTR for hosts-file addresses; the
// hosts file re-read when it changes, without SIGHUP; bad records refused with their place.
// The start-up warning for local data inside a signed public zone needs the signed
// hierarchy: it is in split_test.cc, which starts it anyway (this file stays fast).
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "mock_upstream.h"

using namespace dnsp::test;

namespace {

int64_t metric(const std::string& body, const std::string& sample) {
  const size_t at = body.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + sample.size() + 2));
}

// The [local] table with `records` (TOML strings) and what else is given.
std::string local_table(const std::vector<std::string>& records, const std::string& extra = "") {
  std::string out = "[local]\nrecords = [\n";
  for (const auto& r : records) out += "  \"" + r + "\",\n";
  return out + "]\n" + extra;
}

const std::vector<std::string> kHome = {
    "printer.home.arpa. 300 A 192.168.1.20",
    "printer.home.arpa. 300 AAAA 2001:db8::20",
    "www.home.arpa. 60 CNAME printer.home.arpa.",
    "20.1.168.192.in-addr.arpa. 300 PTR printer.home.arpa.",
};

// dig's output with every run of blanks made one space (dig aligns with tabs, or with spaces
// when a name is long).
std::string squeezed(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool blank = c == ' ' || c == '\t';
    if (blank && !out.empty() && out.back() == ' ') continue;
    out += blank ? ' ' : c;
  }
  return out;
}
bool has_record(const DigResult& d, const std::string& record) {
  return squeezed(d.output).find(record) != std::string::npos;
}

// Waits up to 5 s (the hosts file is looked at once a second) for `pred`.
template <class Pred>
bool within_5s(Pred pred) {
  for (int i = 0; i < 50; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

}  // namespace

TEST_CASE("local: records answer with AA and no AD, NODATA for other types, never forwarded") {
  MockUpstream up;
  TempDir dir;
  const uint16_t http = free_port();
  const std::string cfg = dir.write(
      "proxy.toml", "[upstream]\nservers = [\"" + up.address() + "\"]\n[metrics]\nlisten = " +
                        "\"127.0.0.1:" + std::to_string(http) + "\"\n" + local_table(kHome));
  ProxyProcess proxy({"--config", cfg});
  const auto a = dig(proxy.port(), "+dnssec printer.home.arpa A");
  CHECK(a.status == "NOERROR");
  CHECK(a.has_flag("aa"));
  CHECK(a.has_flag("ra"));
  CHECK_FALSE(a.has_flag("ad"));
  CHECK(a.answer_count == 1);
  CHECK(has_record(a, "printer.home.arpa. 300 IN A 192.168.1.20"));
  CHECK(a.output.find("; EDNS: version: 0") != std::string::npos);  // the client sent EDNS
  const auto aaaa = dig(proxy.port(), "printer.home.arpa AAAA");
  CHECK(aaaa.output.find("2001:db8::20") != std::string::npos);
  CHECK(aaaa.has_flag("aa"));
  // Another type of a local name: NODATA, still authoritative.
  const auto mx = dig(proxy.port(), "printer.home.arpa MX");
  CHECK(mx.status == "NOERROR");
  CHECK(mx.has_flag("aa"));
  CHECK(mx.answer_count == 0);
  // A CNAME followed through local data; PTR from records.
  const auto www = dig(proxy.port(), "www.home.arpa A");
  CHECK(www.answer_count == 2);
  CHECK(has_record(www, "www.home.arpa. 60 IN CNAME printer.home.arpa."));
  const auto ptr = dig(proxy.port(), "-x 192.168.1.20");
  CHECK(has_record(ptr, "20.1.168.192.in-addr.arpa. 300 IN PTR printer.home.arpa."));
  CHECK(ptr.has_flag("aa"));
  // CD changes nothing; over TCP the same.
  const auto cd = dig(proxy.port(), "+cd printer.home.arpa A");
  CHECK(cd.has_flag("aa"));
  CHECK(cd.has_flag("cd"));
  CHECK(cd.answer_count == 1);
  const auto tcp = dig(proxy.port(), "+tcp PRINTER.Home.Arpa A");
  CHECK(tcp.has_flag("aa"));
  CHECK(tcp.output.find("192.168.1.20") != std::string::npos);
  CHECK(up.queries_except_probes() == 0);  // nothing local went upstream
  // A name below a local name is not local: it goes upstream as usual.
  const auto below = dig(proxy.port(), "x.printer.home.arpa A");
  CHECK(below.status == "NXDOMAIN");
  CHECK_FALSE(below.has_flag("aa"));
  CHECK(up.queries_except_probes() >= 1);
  REQUIRE(eventually([&] { return tcp_accepts(http); }));
  const std::string body =
      run_command("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(http) + "/metrics")
          .out;
  CHECK(metric(body, "dnssec_proxy_local_answers_total") == 7);
  CHECK(proxy.log().find("[local] answering 3 local name(s)") != std::string::npos);
}

TEST_CASE("local: hosts file names, reverse PTR (IPv4 and IPv6), re-read when it changes") {
  MockUpstream up;
  TempDir dir;
  const std::string hosts = dir.write("hosts",
                                      "# the home network\n"
                                      "192.168.1.30\tnas.home.arpa nas\n"
                                      "2001:db8::30 nas.home.arpa\n"
                                      "fe80::1%eth0 router.home.arpa\n");
  const std::string cfg =
      dir.write("proxy.toml", "[upstream]\nservers = [\"" + up.address() + "\"]\n" +
                                  local_table({kHome[0]}, "hosts_file = \"" + hosts + "\"\n"));
  ProxyProcess proxy({"--config", cfg});
  const auto a = dig(proxy.port(), "nas.home.arpa A");
  CHECK(a.has_flag("aa"));
  CHECK(has_record(a, "nas.home.arpa. 0 IN A 192.168.1.30"));  // TTL 0
  CHECK(dig(proxy.port(), "nas A").output.find("192.168.1.30") != std::string::npos);
  CHECK(dig(proxy.port(), "nas.home.arpa AAAA").output.find("2001:db8::30") != std::string::npos);
  const auto ptr4 = dig(proxy.port(), "-x 192.168.1.30");
  CHECK(ptr4.has_flag("aa"));
  CHECK(has_record(ptr4, "30.1.168.192.in-addr.arpa. 0 IN PTR nas.home.arpa."));
  const auto ptr6 = dig(proxy.port(), "-x 2001:db8::30");
  CHECK(ptr6.has_flag("aa"));
  CHECK(has_record(ptr6,
                   "0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 0 IN "
                   "PTR nas.home.arpa."));
  CHECK(dig(proxy.port(), "printer.home.arpa A").answer_count == 1);  // records and hosts both
  CHECK(proxy.log().find(hosts + ":4: skipped: \"fe80::1%eth0\" is not an IPv4 or IPv6 address") !=
        std::string::npos);
  CHECK(up.queries_except_probes() == 0);

  // Changed on disk: answered from the new contents within a few seconds, no SIGHUP.
  dir.write("hosts", "192.168.1.31 nas.home.arpa\n192.168.1.40 tv.home.arpa\n");
  CHECK(within_5s([&] {
    return dig(proxy.port(), "nas.home.arpa A").output.find("192.168.1.31") != std::string::npos;
  }));
  CHECK(dig(proxy.port(), "tv.home.arpa A").has_flag("aa"));
  CHECK(has_record(dig(proxy.port(), "-x 192.168.1.40"), "IN PTR tv.home.arpa."));
  CHECK(proxy.log().find("[local] the hosts file " + hosts + " changed: now") != std::string::npos);
  CHECK(up.queries_except_probes() == 0);
  // Gone: its names are no longer local (asked upstream), the records stay.
  REQUIRE(std::remove(hosts.c_str()) == 0);
  CHECK(within_5s([&] { return !dig(proxy.port(), "tv.home.arpa A").has_flag("aa"); }));
  CHECK(up.queries_except_probes() >= 1);
  CHECK(dig(proxy.port(), "printer.home.arpa A").has_flag("aa"));
  // Back again: its names are answered again.
  dir.write("hosts", "192.168.1.40 tv.home.arpa\n");
  CHECK(within_5s([&] { return dig(proxy.port(), "tv.home.arpa A").has_flag("aa"); }));
}

TEST_CASE("local: a bad record names file, line and record; a reload with one keeps the old") {
  MockUpstream up;
  TempDir dir;
  const std::string head = "[upstream]\nservers = [\"" + up.address() + "\"]\n";
  const std::string bad =
      dir.write("bad.toml", head + local_table({kHome[0], "nas.home.arpa. A 192.168.1"}));
  const auto check = run_proxy_to_exit({"--config", bad, "--check-config"});
  CHECK(check.exit_code == 1);
  CHECK(check.out.find(bad + ":6: local.records[1]: bad record \"nas.home.arpa. A 192.168.1\": A: "
                             "expected an IPv4 address, got \"192.168.1\"") != std::string::npos);
  const std::string cfg = dir.write("proxy.toml", head + local_table({kHome[0]}));
  ProxyProcess proxy({"--config", cfg});
  CHECK(dig(proxy.port(), "printer.home.arpa A").output.find("192.168.1.20") != std::string::npos);
  dir.write("proxy.toml", head + local_table({"printer.home.arpa. A 192.168.1.20",
                                              "printer.home.arpa. CNAME other.home.arpa."}));
  kill(proxy.pid(), SIGHUP);
  REQUIRE(eventually([&] { return proxy.log().find("reload failed") != std::string::npos; }));
  CHECK(proxy.log().find("printer.home.arpa. would have a CNAME and other data") !=
        std::string::npos);
  CHECK(dig(proxy.port(), "printer.home.arpa A").output.find("192.168.1.20") != std::string::npos);
  dir.write("proxy.toml", head + local_table({"printer.home.arpa. A 192.168.1.21"}));
  kill(proxy.pid(), SIGHUP);
  REQUIRE(eventually(
      [&] { return proxy.log().find("reloaded the configuration") != std::string::npos; }));
  CHECK(dig(proxy.port(), "printer.home.arpa A").output.find("192.168.1.21") != std::string::npos);
  CHECK(up.queries_except_probes() == 0);
}
