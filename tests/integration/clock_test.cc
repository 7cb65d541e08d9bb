// A wrong system clock end to end (issue 18): the real proxy under libfaketime in front of the
// private signed hierarchy (tests/integration/hierarchy.h; every RRSIG valid from an hour
// before the run to 30 days after it). [dnssec] clock = "strict" (the default) and
// "until-synced", the EDE and log lines that name the clock, explain's cause, the time floor
// from [dnssec] time_file, and Unbound's verdict under the same clock.
#include <doctest/doctest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "harness.h"
#include "hierarchy.h"

using namespace dnsp::test;

namespace {

// Long before the hierarchy's signatures: a device without RTC that booted with an old image.
// As FAKETIME for LD_PRELOAD ("@": start there and run).
const std::string kBefore = "@2020-01-01 00:00:00";
// Ten days after the hierarchy's signatures expired.
const std::string kAfter = "+40d";

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::unique_ptr<ProxyProcess> proxy_at(const std::string& faketime,
                                       const std::vector<std::string>& extra = {}) {
  FakeClock fake(faketime);
  return start_proxy(extra);
}

#define REQUIRE_FAKETIME()                                                                    \
  do {                                                                                        \
    REQUIRE_HIERARCHY();                                                                      \
    if (access(kFaketime.c_str(), R_OK) != 0) FAIL("libfaketime missing (faketime package)"); \
  } while (0)

}  // namespace

TEST_CASE(
    "clock: strict, a clock before the signatures' inception: SERVFAIL, EDE 8 names the "
    "clock, as Unbound's SERVFAIL") {
  REQUIRE_FAKETIME();
  auto proxy = proxy_at(kBefore);
  const DigResult d = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
  INFO(d.output << "\n" << proxy->log());
  CHECK(d.status == "SERVFAIL");
  CHECK(d.ede_code == 8);
  CHECK(has(d.ede_text, ".: RRSIG over . DNSKEY"));
  CHECK(has(d.ede_text, "the system clock is probably wrong: it says 2020-01-01T00:00"));
  CHECK(has(d.ede_text, "(it is behind by about "));
  const std::string log = proxy->log();
  // At start: the clock is before the build time.
  CHECK(has(log, "clock: unverified: it says 2020-01-01T00:00"));
  CHECK(has(log, ", before the build time ("));
  CHECK(has(log, "[dnssec] clock = \"strict\": every RRSIG validity window is still checked"));
  // With the verdict: the clock is probably wrong, by how much.
  CHECK(has(log, "clock: the system clock is probably wrong: it says 2020-01-01T00:00"));
  CHECK(has(log, "answers fail with EDE 8"));

  // Unbound as a validating forwarder under the same clock: SERVFAIL too.
  auto& h = Hierarchy::get();
  TempDir dir;
  const uint16_t port = free_port();
  const std::string conf = dir.write(
      "unbound.conf", "server:\n  interface: 127.0.0.1\n  port: " + std::to_string(port) +
                          "\n  do-ip6: no\n  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n"
                          "  directory: \"" +
                          dir.path() + "\"\n  pidfile: \"" + dir.path() +
                          "/unbound.pid\"\n  logfile: \"" + dir.path() +
                          "/unbound.log\"\n  use-syslog: no\n  do-not-query-localhost: no\n"
                          "  local-zone: \"test.\" nodefault\n"
                          "  module-config: \"validator iterator\"\n  trust-anchor-file: \"" +
                          h.dir() +
                          "/root-anchor.unbound\"\n  val-bogus-ttl: 0\n  ede: yes\n"
                          "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" +
                          std::to_string(h.upstream_port()) +
                          "\nremote-control:\n  control-enable: no\n");
  // In the foreground (-d) behind the shell's &: the faketime command waits for a daemon it
  // started, and would never return.
  const RunResult started =
      run_command("LD_PRELOAD=" + kFaketime + " FAKETIME='" + kBefore + "' unbound -d -c " + conf +
                  " </dev/null >" + dir.path() + "/unbound.out 2>&1 & echo $!");
  const int unbound_pid = std::atoi(started.out.c_str());
  REQUIRE_MESSAGE(unbound_pid > 0, started.out);
  struct Stop {
    int pid;
    ~Stop() { kill(pid, SIGTERM); }
  } stop{unbound_pid};
  DigResult u;
  for (int i = 0; i < 50 && u.status.empty(); ++i) {
    u = dig(port, "+dnssec +tries=1 +time=1 www.secure-ecdsa.test A");
  }
  INFO(u.output << "\n" << read_file(dir.path() + "/unbound.log"));
  CHECK(u.status == "SERVFAIL");
}

TEST_CASE(
    "clock: until-synced, a clock before the floor: NOERROR, AD clear, EDE 0 \"time not "
    "checked\"; bad signatures still fail") {
  REQUIRE_FAKETIME();
  TempDir dir;
  const uint16_t metrics = free_port();
  const std::string conf = dir.write("proxy.toml",
                                     "[dnssec]\nclock = \"until-synced\"\n[metrics]\nlisten = "
                                     "\"127.0.0.1:" +
                                         std::to_string(metrics) + "\"\n");
  auto proxy = proxy_at(kBefore, {"--config", conf});
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  CHECK(has(run_command("curl -s http://127.0.0.1:" + std::to_string(metrics) + "/metrics").out,
            "\ndnssec_proxy_clock_verified 0\n"));
  const DigResult d = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
  INFO(d.output << "\n" << proxy->log());
  CHECK(d.status == "NOERROR");
  CHECK_FALSE(d.has_flag("ad"));
  CHECK(d.answer_count > 0);
  CHECK(d.ede_code == 0);
  CHECK(has(d.ede_text, "time not checked: signatures, chain of trust and denial were validated"));
  CHECK(has(proxy->log(),
            "[dnssec] clock = \"until-synced\": RRSIG validity windows are not "
            "checked (everything else is)"));
  // Asked again: the same (nothing validated without windows is cached as secure).
  const DigResult again = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(again.status == "NOERROR");
  CHECK_FALSE(again.has_flag("ad"));
  CHECK(again.ede_code == 0);
  // A signature that does not verify is bogus whatever the clock.
  const DigResult bad = dig(proxy->port(), "+dnssec www.badsig.test A");
  CHECK(bad.status == "SERVFAIL");
  CHECK(bad.ede_code == 6);
  // A denial is still proven (NXDOMAIN, AD clear).
  const DigResult nx = dig(proxy->port(), "+dnssec nx.secure-ecdsa.test A");
  CHECK(nx.status == "NXDOMAIN");
  CHECK_FALSE(nx.has_flag("ad"));
  CHECK(nx.ede_code == 0);
}

TEST_CASE(
    "clock: a clock past the signatures' expiration: strict SERVFAIL EDE 7 naming the "
    "clock; until-synced below a later time_file floor answers") {
  REQUIRE_FAKETIME();
  {
    auto proxy = proxy_at(kAfter);
    const DigResult d = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
    INFO(d.output << "\n" << proxy->log());
    CHECK(d.status == "SERVFAIL");
    CHECK(d.ede_code == 7);
    CHECK(has(d.ede_text, "the system clock is probably wrong"));
    CHECK(has(d.ede_text, "(it is ahead by about 10 days)"));
    CHECK(has(proxy->log(), "clock: the system clock is probably wrong"));
    // The clock is past the build time: verified in strict mode (only the root's signatures
    // tell), so no "unverified" line.
    CHECK_FALSE(has(proxy->log(), "clock: unverified"));
  }
  {
    // A time file written 50 days from now (as if the proxy had run then): the clock, 40 days
    // ahead, is still before it, so unverified whatever the kernel says.
    TempDir dir;
    const long later = static_cast<long>(std::time(nullptr)) + 50 * 86400;
    const std::string time_file = dir.write("time", std::to_string(later) + " later\n");
    const std::string conf = dir.write(
        "proxy.toml", "[dnssec]\nclock = \"until-synced\"\ntime_file = \"" + time_file + "\"\n");
    auto proxy = proxy_at(kAfter, {"--config", conf});
    const DigResult d = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
    INFO(d.output << "\n" << proxy->log());
    CHECK(d.status == "NOERROR");
    CHECK_FALSE(d.has_flag("ad"));
    CHECK(d.ede_code == 0);
    CHECK(has(proxy->log(), ", before the time in " + time_file));
  }
}

TEST_CASE("clock: the clock set right empties the caches at once; set back, again") {
  REQUIRE_FAKETIME();
  // libfaketime reads the time from this file on every call (FAKETIME_NO_CACHE), so the
  // test moves the proxy's clock while it runs: frozen in 2020, then the real time ("+0").
  TempDir dir;
  const std::string stamp = dir.write("faketime", "2020-01-01 00:00:00\n");
  std::unique_ptr<ProxyProcess> proxy;
  {
    FakeClock fake(FakeClock::FromFile{stamp});
    proxy = start_proxy();
  }
  const auto wait_log = [&](const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      if (has(proxy->log(), text)) return true;
      usleep(10000);
    }
    return false;
  };
  INFO(proxy->log());
  // Bogus in 2020, and the verdict is cached ([cache] bogus_ttl, 60 s).
  CHECK(dig(proxy->port(), "+dnssec www.secure-ecdsa.test A").ede_code == 8);
  CHECK(dig(proxy->port(), "+dnssec www.secure-ecdsa.test A").ede_code == 8);
  // NTP sets the clock: verified within a second, the cached bogus verdict dropped.
  dir.write("faketime", "+0\n");
  REQUIRE(wait_log("info: clock: verified (it says "));
  CHECK(has(proxy->log(), "cached entries made while it was not"));
  const DigResult secure = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(secure.status == "NOERROR");
  CHECK(secure.has_flag("ad"));
  // The clock goes back to 2020: the secure answer cached meanwhile is not served from it.
  dir.write("faketime", "2020-01-01 00:00:00\n");
  REQUIRE(wait_log("warn: clock: the wall clock went back "));
  CHECK(has(proxy->log(), "emptied the caches"));
  const DigResult back = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
  CHECK(back.status == "SERVFAIL");
  CHECK(back.ede_code == 8);
}

TEST_CASE("clock: explain names the system clock as the cause") {
  REQUIRE_FAKETIME();
  auto& h = Hierarchy::get();
  const FakeClock fake(kBefore);
  const RunResult r = run_command(
      std::string(DNSSEC_PROXY_BINARY) +
      " explain www.secure-ecdsa.test A --no-color --upstream 127.0.0.1:" +
      std::to_string(h.upstream_port()) + " --trust-anchor " + h.anchor() + " 2>/dev/null");
  INFO(r.out);
  CHECK(r.exit_code == 2);  // bogus
  CHECK(has(r.out, "The system clock: this machine says 2020-01-01T00:00"));
  CHECK(has(r.out,
            "the clock is probably behind by at least that much; the zone is not at "
            "fault."));
  CHECK(has(r.out, "Set the clock (NTP"));
  CHECK_FALSE(has(r.out, "it was made with an inception date in the future"));
}

TEST_CASE("clock: time_file is written at exit and read at start; a later one moves the floor") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  const std::string time_file = dir.write("time", "1577836800 2020-01-01T00:00:00Z\n");
  const uint16_t metrics = free_port();
  const std::string conf = dir.write(
      "proxy.toml", "[dnssec]\ntime_file = \"" + time_file +
                        "\"\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n");
  const long before = static_cast<long>(std::time(nullptr));
  {
    auto proxy = start_proxy({"--config", conf});
    // An old file is below the build time: the clock is verified, answers as always.
    CHECK(dig(proxy->port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
    CHECK_FALSE(has(proxy->log(), "clock: unverified"));
    REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
    CHECK(has(run_command("curl -s http://127.0.0.1:" + std::to_string(metrics) + "/metrics").out,
              "\ndnssec_proxy_clock_verified 1\n"));
    CHECK(proxy->terminate() == 0);
  }
  long written = 0;
  std::istringstream(read_file(time_file)) >> written;
  CHECK(written >= before);
  CHECK(written <= static_cast<long>(std::time(nullptr)));

  // A file from the future (a clock set back since, or an attacker's NTP): the clock is
  // before it, so unverified; strict mode still validates, and the file is kept as it was.
  const long future = before + 365 * 86400;
  const std::string future_text = std::to_string(future) + " next year\n";
  dir.write("time", future_text);
  {
    auto proxy = start_proxy({"--config", conf});
    const DigResult d = dig(proxy->port(), "+dnssec www.secure-ecdsa.test A");
    INFO(proxy->log());
    CHECK(d.has_flag("ad"));
    CHECK(has(proxy->log(), ", before the time in " + time_file));
    CHECK(proxy->terminate() == 0);
    CHECK(has(proxy->log(), "clock: " + time_file + " not rewritten: the clock is not verified"));
  }
  CHECK(read_file(time_file) == future_text);
}
