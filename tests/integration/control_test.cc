// `dnssec-proxy control` end to end (issue 17): the real proxy with a [control] socket in
// front of a mock upstream serving a private root and a child zone fix.test. signed at test
// time (Ed25519, tests/resolver/test_signer.h), whose DS in the root first names a key the
// zone does not publish (bogus, EDE 9 as in the hierarchy's dsmismatch.test.) and is then
// corrected, as an operator fixes a DS at the registrar. Every command's output and exit
// status, the bogus verdict that only flush-zone clears, negative trust anchors added,
// removed and expiring under libfaketime, and who may use the socket.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../json_lite.h"
#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/name.h"
#include "tests/resolver/test_signer.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

using Bytes = std::vector<uint8_t>;

Name N(const std::string& text) { return *Name::from_text(text); }

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The root and fix.test., their keys and the mock's rules. `fix()` corrects the root's DS.
struct Zones {
  test::TestKey root_ksk{Name::root(), test::kKskFlags, 0x31};
  test::TestKey root_zsk{Name::root(), test::kZoneKeyFlags, 0x32};
  test::TestKey ksk{N("fix.test."), test::kKskFlags, 0x33};
  test::TestKey zsk{N("fix.test."), test::kZoneKeyFlags, 0x34};
  test::TestKey unpublished{N("fix.test."), test::kKskFlags, 0x35};  // the wrong DS's key
  uint32_t inception = static_cast<uint32_t>(std::time(nullptr) - 3600);
  uint32_t expiration = static_cast<uint32_t>(std::time(nullptr) + 30 * 86400);

  MockRule signed_rule(const std::string& owner, RRType type, const std::vector<Bytes>& rdatas,
                       const test::TestKey& key) const {
    MockRule r;
    for (const auto& rd : rdatas) r.answer.push_back({owner, type, 300, rd});
    r.answer.push_back(
        {owner, RRType::RRSIG, 300, key.sign(N(owner), type, 300, rdatas, inception, expiration)});
    return r;
  }
  void serve(MockUpstream& up) const {
    up.set_rule(".", RRType::DNSKEY,
                signed_rule(".", RRType::DNSKEY, {root_ksk.dnskey_rdata(), root_zsk.dnskey_rdata()},
                            root_ksk));
    up.set_rule(
        "fix.test.", RRType::DNSKEY,
        signed_rule("fix.test.", RRType::DNSKEY, {ksk.dnskey_rdata(), zsk.dnskey_rdata()}, ksk));
    up.set_rule("fix.test.", RRType::DS,
                signed_rule("fix.test.", RRType::DS, {unpublished.ds_rdata()}, root_zsk));
    up.set_rule("www.fix.test.", RRType::A,
                signed_rule("www.fix.test.", RRType::A, {a_rdata("192.0.2.7")}, zsk));
  }
  // The registrar now publishes the right DS (the root "re-signed" with it).
  void fix(MockUpstream& up) const {
    up.set_rule("fix.test.", RRType::DS,
                signed_rule("fix.test.", RRType::DS, {ksk.ds_rdata()}, root_zsk));
  }
};

// A proxy with its control socket in a directory of its own (0755, so that another user
// reaches the socket and meets its own mode), validating from the private root.
struct Setup {
  Zones zones;
  MockUpstream up;
  TempDir dir;
  std::string socket = dir.path() + "/control.sock";
  std::string config;
  std::unique_ptr<ProxyProcess> proxy;

  // A FakeClock alive meanwhile shifts the proxy's clock (its environment is inherited).
  uint32_t threads;
  // `threads`: event loops; with more than one, control's changes must reach them all.
  explicit Setup(const std::string& extra_toml = "", uint32_t threads_ = 1) : threads(threads_) {
    zones.serve(up);
    chmod(dir.path().c_str(), 0755);
    config = write_config(extra_toml);
    const std::string anchors = dir.write("root.ds", zones.root_ksk.ds_anchor_text());
    proxy = std::make_unique<ProxyProcess>(
        std::vector<std::string>{"--config", config, "--upstream", up.address(), "--trust-anchor",
                                 anchors, "--log-level", "debug"});
  }
  std::string write_config(const std::string& extra_toml) const {
    return dir.write("proxy.toml", "[server]\nthreads = " + std::to_string(threads) +
                                       "\n[control]\nsocket = \"" + socket + "\"\n" + extra_toml);
  }
  RunResult control(const std::string& args) const {
    return run_command(std::string(DNSSEC_PROXY_BINARY) + " control --socket " + socket + " " +
                       args);
  }
  DigResult www() const { return dig(proxy->port(), "+dnssec www.fix.test A"); }
  bool log_has(const std::string& text) const {
    return eventually([&] { return has(proxy->log(), text); });
  }
};

}  // namespace

TEST_CASE("control: flush-zone clears a bogus verdict once the zone's DS is fixed") {
  Setup s;
  INFO(s.proxy->log());
  const DigResult bogus = s.www();
  CHECK(bogus.status == "SERVFAIL");
  CHECK(bogus.ede_code == 9);  // DNSKEY Missing: no DNSKEY matches the DS
  s.zones.fix(s.up);
  // Without a flush the verdict stays: cached as bogus ([cache] bogus_ttl, 60 s).
  CHECK(s.www().status == "SERVFAIL");
  const RunResult flushed = s.control("flush-zone fix.test");
  INFO(flushed.out);
  CHECK(flushed.exit_code == 0);
  CHECK(has(flushed.out, "flushed 1 answer, 1 key, 0 NSEC records at or below fix.test.\n"));
  const DigResult fixed = s.www();
  CHECK(fixed.status == "NOERROR");
  CHECK(fixed.has_flag("ad"));
  CHECK(has(fixed.output, "192.0.2.7"));
  CHECK(s.log_has("info: control: flush-zone fix.test."));
}

TEST_CASE("control: flush-bogus forgets bogus verdicts and keys: a fixed zone validates at once") {
  Setup s;
  INFO(s.proxy->log());
  CHECK(s.www().status == "SERVFAIL");
  s.zones.fix(s.up);
  CHECK(s.www().status == "SERVFAIL");  // cached
  const RunResult flushed = s.control("flush-bogus");
  INFO(flushed.out);
  CHECK(flushed.exit_code == 0);
  CHECK(flushed.out == "flushed 1 bogus verdict and 1 bogus key entry\n");
  const DigResult fixed = s.www();
  CHECK(fixed.status == "NOERROR");
  CHECK(fixed.has_flag("ad"));
}

TEST_CASE("control: nta add answers a bogus zone with AD clear; nta remove restores SERVFAIL") {
  // Two event loops: the kernel spreads dig's queries over both, and every one must see
  // the change by the time the command returns.
  Setup s(
      "[dnssec]\nnegative_trust_anchors = [{ zone = \"late.test\", until = "
      "\"2099-01-01T00:00:00Z\" }]\n",
      2);
  INFO(s.proxy->log());
  CHECK(s.www().status == "SERVFAIL");
  const RunResult added = s.control("nta add FIX.test --for 90m");
  INFO(added.out);
  CHECK(added.exit_code == 0);
  CHECK(has(added.out, "added the negative trust anchor fix.test. until "));
  CHECK(has(added.out, "(in 1h 30m 0s): answers at or below it are not validated"));
  // The cached bogus verdict went with the change (as a reload that adds an NTA does).
  for (int i = 0; i < 4; ++i) {  // from fresh source ports: either loop
    const DigResult insecure = s.www();
    CHECK(insecure.status == "NOERROR");
    CHECK_FALSE(insecure.has_flag("ad"));
    CHECK(has(insecure.output, "192.0.2.7"));
  }

  const RunResult listed = s.control("nta list");
  INFO(listed.out);
  CHECK(listed.exit_code == 0);
  CHECK(has(listed.out,
            "late.test.                               config   until "
            "2099-01-01T00:00:00Z (in "));
  CHECK(has(listed.out, "fix.test.                                control  until "));

  const RunResult removed = s.control("nta remove fix.test");
  CHECK(removed.exit_code == 0);
  CHECK(removed.out == "removed the negative trust anchor fix.test.: it is validated again\n");
  for (int i = 0; i < 4; ++i) CHECK(s.www().status == "SERVFAIL");
  const RunResult again = s.control("nta remove fix.test");
  CHECK(again.exit_code == 1);
  CHECK(again.out ==
        "dnssec-proxy control: no negative trust anchor for fix.test. (see "
        "dnssec-proxy control nta list)\n");
  const RunResult bad = s.control("nta add a..b");
  CHECK(bad.exit_code == 2);
  CHECK(has(bad.out, "nta add: \"a..b\" is not a domain name other than the root"));
}

TEST_CASE("control: negative trust anchors expire (RFC 7646 §2), under libfaketime") {
  if (access(kFaketime.c_str(), R_OK) != 0) FAIL("libfaketime missing (faketime package)");
  TempDir clock_dir;
  const std::string stamp = clock_dir.write("faketime", "+0\n");
  std::unique_ptr<Setup> s;
  {
    FakeClock fake(FakeClock::FromFile{stamp});
    // A configured anchor ending in 30 minutes, and one added with the default hour.
    char until[32];
    const std::time_t t = std::time(nullptr) + 1800;
    std::strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    s = std::make_unique<Setup>(
        "[dnssec]\nnegative_trust_anchors = [{ zone = \"fix.test\", "
        "until = \"" +
        std::string(until) + "\" }]\n");
  }
  INFO(s->proxy->log());
  CHECK(s->www().status == "NOERROR");
  CHECK(s->control("nta add other.test").exit_code == 0);
  CHECK(has(s->control("nta list").out,
            "other.test.                              control  "
            "until "));
  // 45 minutes later the configured one is gone, and fix.test. is validated again.
  clock_dir.write("faketime", "+2700\n");
  CHECK(s->log_has("warn: negative trust anchor fix.test. expired (config, until "));
  CHECK(s->www().status == "SERVFAIL");
  const std::string listed = s->control("nta list").out;
  CHECK_FALSE(has(listed, "fix.test."));
  CHECK(has(listed, "other.test."));
  // Past the hour: the added one too.
  clock_dir.write("faketime", "+3700\n");
  CHECK(s->log_has("warn: negative trust anchor other.test. expired (control, until "));
  CHECK(s->control("nta list").out == "no negative trust anchors\n");
}

TEST_CASE("control: stats, forward list, upstreams, flush, flush-bogus, flush-all, reload") {
  Setup s(
      "[[forward]]\nzone = \"corp.test\"\nservers = [\"127.0.0.1:9\"]\ndnssec = "
      "\"insecure\"\n");
  INFO(s.proxy->log());
  CHECK(s.www().status == "SERVFAIL");

  const RunResult stats = s.control("stats");
  CHECK(stats.exit_code == 0);
  CHECK(has(stats.out, "# TYPE dnssec_proxy_queries_total counter\n"));
  CHECK(has(stats.out, "\ndnssec_proxy_queries_total{transport=\"udp\"} 1\n"));
  const RunResult json = s.control("stats --json");
  CHECK(json.exit_code == 0);
  const auto parsed = json::parse(json.out);
  REQUIRE_MESSAGE(parsed.has_value(), json.out);
  const std::string udp_queries = "dnssec_proxy_queries_total{transport=\"udp\"}";
  REQUIRE(parsed->has(udp_queries));
  CHECK((*parsed)[udp_queries].num() == 1);

  const RunResult forwards = s.control("forward list");
  CHECK(forwards.exit_code == 0);
  CHECK(forwards.out == "corp.test.                       insecure  127.0.0.1:9\n");

  const RunResult upstreams = s.control("upstreams");
  INFO(upstreams.out);
  CHECK(upstreams.exit_code == 0);
  CHECK(
      upstreams.out.starts_with("upstream                           transport state    dnssec    "
                                "     queries answered timeouts  unreach servfail      bad  "
                                "srtt_ms\n"));
  CHECK(has(upstreams.out, "\n" + s.up.address()));
  CHECK(has(upstreams.out, " plain     up       "));
  CHECK(has(upstreams.out, "\n127.0.0.1:9                        plain     unused   "));

  CHECK(s.control("flush www.fix.test").out == "flushed 1 answer for www.fix.test.\n");
  CHECK(s.control("flush www.fix.test").out == "flushed 0 answers for www.fix.test.\n");
  CHECK(s.www().status == "SERVFAIL");
  CHECK(has(s.control("flush-bogus").out, "flushed 1 bogus verdict and "));
  const RunResult all = s.control("flush-all");
  CHECK(all.exit_code == 0);
  CHECK(has(all.out, "flushed 0 answers, "));
  CHECK(has(all.out, " (every cache)\n"));

  // reload: the file's new forward zone is in force; a broken file changes nothing.
  s.write_config("[[forward]]\nzone = \"lab.test\"\nservers = [\"127.0.0.1:9\"]\n");
  const RunResult reloaded = s.control("reload");
  CHECK(reloaded.exit_code == 0);
  CHECK(reloaded.out == "reloaded the configuration\n");
  CHECK(s.control("forward list").out ==
        "lab.test.                        validate  127.0.0.1:9\n");
  s.write_config("[[forward]]\nzone = 7\n");
  const RunResult failed = s.control("reload");
  CHECK(failed.exit_code == 1);
  CHECK(has(failed.out,
            "dnssec-proxy control: reload failed, still running with the previous "
            "configuration: " +
                s.dir.path() + "/proxy.toml:"));
  CHECK(has(s.control("forward list").out, "lab.test."));
}

TEST_CASE("control: permission denied outside the socket's group; no proxy; a live socket") {
  Setup s;
  INFO(s.proxy->log());
  struct stat st {};
  REQUIRE(stat(s.socket.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
  CHECK(S_ISSOCK(st.st_mode));
  // nobody is not in root's group: the socket's mode keeps it out.
  const RunResult denied = run_command("setpriv --reuid=nobody --regid=nogroup --clear-groups " +
                                       std::string(DNSSEC_PROXY_BINARY) + " control --socket " +
                                       s.socket + " flush-all");
  CHECK(denied.exit_code == 3);
  CHECK(denied.out == "dnssec-proxy control: permission denied on " + s.socket +
                          ": the control socket is for root and the proxy's group (mode 0660); "
                          "run this as root (sudo) or as a member of that group\n");
  // A second proxy on the same socket refuses to start, naming it.
  const RunResult second =
      run_proxy_to_exit({"--config", s.config, "--upstream", s.up.address(), "--listen",
                         "127.0.0.1:" + std::to_string(free_port())});
  CHECK(second.exit_code == 1);
  CHECK(has(second.out, "control socket " + s.socket +
                            " is in use: another dnssec-proxy is running with it; stop that one, "
                            "or set [control] socket to another path"));
  // Stopped: the socket is gone, and the command says no proxy runs.
  CHECK(s.proxy->terminate() == 0);
  CHECK(access(s.socket.c_str(), F_OK) != 0);
  const RunResult none = s.control("nta list");
  CHECK(none.exit_code == 3);
  CHECK(none.out == "dnssec-proxy control: no control socket at " + s.socket +
                        ": dnssec-proxy is not running, or runs with another [control] socket "
                        "(give it with --config FILE or --socket PATH)\n");
  // The command finds the socket from --config too; usage errors exit 2.
  CHECK(
      run_command(std::string(DNSSEC_PROXY_BINARY) + " control --config " + s.config + " nta list")
          .exit_code == 3);
  const RunResult usage = run_command(std::string(DNSSEC_PROXY_BINARY) + " control");
  CHECK(usage.exit_code == 2);
  CHECK(has(usage.out, "usage: dnssec-proxy control [--config FILE | --socket PATH] COMMAND"));
  const RunResult help = run_command(std::string(DNSSEC_PROXY_BINARY) + " control --help");
  CHECK(help.exit_code == 0);
  CHECK(has(help.out, "  nta add ZONE [--for TIME]"));
  CHECK(has(help.out, "3 no proxy to ask"));
}

TEST_CASE("control: a stale socket left by a dead proxy is replaced at start") {
  Setup first;
  INFO(first.proxy->log());
  // SIGKILL: no clean-up, the socket file stays with nobody listening.
  kill(first.proxy->pid(), SIGKILL);
  REQUIRE(first.proxy->terminate() == 128 + SIGKILL);
  REQUIRE(access(first.socket.c_str(), F_OK) == 0);
  CHECK(first.control("nta list").out ==
        "dnssec-proxy control: nothing listens on " + first.socket +
            ": dnssec-proxy is not running (the socket file is left from an earlier run)\n");
  ProxyProcess again({"--config", first.config, "--upstream", first.up.address()});
  INFO(again.log());
  CHECK(has(again.log(), "removed the stale control socket " + first.socket));
  CHECK(first.control("nta list").exit_code == 0);
}

namespace {

// A raw connection to the control socket; -1 when it cannot connect.
int connect_unix(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything the proxy writes until it closes (at most 3 s).
std::string read_until_closed(int fd) {
  std::string out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0) break;
    char buf[512];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("control: the socket is bounded: line length and connections at once") {
  Setup s;
  INFO(s.proxy->log());
  // A line without its end past 1024 octets: refused, the connection closed.
  const int flood = connect_unix(s.socket);
  REQUIRE(flood >= 0);
  const std::string junk(2000, 'a');
  CHECK(write(flood, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
  CHECK(read_until_closed(flood) == "error\nrequest line longer than 1024 octets\n");
  close(flood);
  // Eight idle clients hold every slot: a ninth is told so at once.
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(connect_unix(s.socket));
  const int ninth = connect_unix(s.socket);
  REQUIRE(ninth >= 0);
  CHECK(read_until_closed(ninth) == "error\nbusy: 8 control connections are open; try again\n");
  close(ninth);
  for (int fd : idle) close(fd);
  CHECK(eventually([&] { return s.control("nta list").exit_code == 0; }));
}

TEST_CASE("control: hotspot on suspends validation for a bounded time; nothing of it is kept") {
  Setup s("", 2);
  INFO(s.proxy->log());
  CHECK(s.www().status == "SERVFAIL");  // bogus (and that verdict cached)
  const RunResult on = s.control("hotspot on --for 2s");
  INFO(on.out);
  CHECK(on.exit_code == 0);
  CHECK(has(on.out, "validation suspended for 2 seconds (hotspot mode; emptied the caches"));
  for (int i = 0; i < 4; ++i) {  // from fresh source ports: either loop
    const DigResult open = s.www();
    CHECK(open.status == "NOERROR");
    CHECK_FALSE(open.has_flag("ad"));
    CHECK(open.ede_code == 0);
    CHECK(has(open.ede_text, "validation suspended (hotspot mode"));
    CHECK(has(open.output, "192.0.2.7"));
  }
  // It ends by itself; what it answered was not cached, so the bogus verdict is back.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CHECK(s.log_has("hotspot: mode ended, validating again"));
  for (int i = 0; i < 4; ++i) CHECK(s.www().status == "SERVFAIL");
  // Ended by hand, and bounded: at most a day.
  CHECK(s.control("hotspot on").exit_code == 0);
  CHECK(s.www().status == "NOERROR");
  const RunResult off = s.control("hotspot off");
  CHECK(off.exit_code == 0);
  CHECK(has(off.out, "hotspot mode off: validating"));
  CHECK(s.www().status == "SERVFAIL");
  const RunResult too_long = s.control("hotspot on --for 2d");
  CHECK(too_long.exit_code == 2);
  CHECK(has(too_long.out, "hotspot on: --for \"2d\" is not a duration from 1s to 1d"));
  const RunResult stats = s.control("stats");
  CHECK(has(stats.out, "dnssec_proxy_hotspot_answers_total 5"));
}
