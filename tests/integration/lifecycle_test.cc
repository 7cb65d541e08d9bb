// The proxy's life as a service (issue 20): /health and /ready on the [metrics] listener,
// draining on SIGTERM ([server] shutdown_grace, then the queries in flight, then exit 0; a
// second SIGTERM stops at once), socket activation and sd_notify under a launcher of our own
// that does what systemd does (sd_launcher.cc), and a handover under dnsperf load between two
// processes sharing the port with SO_REUSEPORT ([server] reuse_port) that loses no query.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "mock_upstream.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

using std::chrono::milliseconds;

struct Http {
  int code = 0;
  std::string body;
};

Http get(uint16_t port, const std::string& path) {
  const std::string out = run_command(
                              "curl -sS --max-time 5 -o - -w '\\nHTTP %{http_code}\\n' "
                              "'http://127.0.0.1:" +
                              std::to_string(port) + path + "'")
                              .out;
  Http h;
  const size_t at = out.rfind("\nHTTP ");
  if (at == std::string::npos) return h;
  h.body = out.substr(0, at);
  if (!h.body.empty() && h.body.back() == '\n') h.body.pop_back();
  h.code = std::atoi(out.c_str() + at + 6);
  return h;
}

MockRule a_rule(const std::string& owner, const std::string& address, int delay_ms = 0) {
  MockRule r;
  r.answer = {{owner, RRType::A, 300, a_rdata(address)}};
  r.delay_ms = delay_ms;
  return r;
}

// A proxy started from a configuration file, without the harness's probe connection (the
// tests here wait for their own signs of life), reaped by the test itself.
class Proxy {
 public:
  Proxy(const TempDir& dir, const std::string& name, const std::string& toml,
        std::vector<std::string> prefix = {}) {
    const std::string config = dir.write(name + ".toml", toml);
    log_ = dir.path() + "/" + name + ".log";
    prefix.push_back(DNSSEC_PROXY_BINARY);
    prefix.push_back("--config");
    prefix.push_back(config);
    pid_ = spawn_process(prefix, log_);
    REQUIRE(pid_ > 0);
  }
  ~Proxy() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_for_exit(pid_, 5000);
    }
  }
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int signum) const { kill(pid_, signum); }
  // The exit status within `timeout_ms`, or -1.
  int wait(int timeout_ms) {
    const int code = wait_for_exit(pid_, timeout_ms);
    if (code != -1) pid_ = -1;
    return code;
  }
  std::string log() const { return read_text_file(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

std::string base_config(uint16_t listen, uint16_t metrics, const std::string& upstream,
                        const std::string& anchors, const std::string& server_extra = "",
                        int timeout_ms = 300) {
  return "[server]\nlisten = [\"127.0.0.1:" + std::to_string(listen) + "\"]\n" + server_extra +
         "[upstream]\nservers = [\"" + upstream +
         "\"]\ntimeout_ms = " + std::to_string(timeout_ms) + "\nattempts = 1\n" +
         "[dnssec]\ntrust_anchor_file = \"" + anchors +
         "\"\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics) + "\"\n";
}

bool port_is_free(uint16_t port) {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (!ok) return false;
  }
  return true;
}

// A query for `name` A with RD and id `id`, as it goes on the wire.
std::vector<uint8_t> a_query(const std::string& name, int id) {
  std::vector<uint8_t> q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    const size_t dot = name.find('.', start);
    const size_t end = dot == std::string::npos ? name.size() : dot;
    q.push_back(static_cast<uint8_t>(end - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(end));
    start = end + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  return q;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("ready: 503 with the reason while no upstream answers, /health 200 all along") {
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  const uint16_t nobody = free_port();  // nothing listens there
  Proxy proxy(dir, "dead",
              base_config(port, metrics, "127.0.0.1:" + std::to_string(nobody), anchors));
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  const Http health = get(metrics, "/health");
  CHECK(health.code == 200);
  CHECK(health.body == "ok");
  const std::string reason =
      "no upstream has answered a probe yet (127.0.0.1:" + std::to_string(nobody) +
      "); check [upstream] servers and the network";
  Http ready = get(metrics, "/ready");
  CHECK(ready.code == 503);
  CHECK(ready.body == reason);
  // The probe that request sent times out: still not ready, for the same reason.
  std::this_thread::sleep_for(milliseconds(800));
  ready = get(metrics, "/ready");
  CHECK(ready.code == 503);
  CHECK(ready.body == reason);
  CHECK(get(metrics, "/health").code == 200);
  // The same through --health-check http://, for images without curl.
  const std::string base = "http://127.0.0.1:" + std::to_string(metrics);
  const RunResult healthy = run_proxy_to_exit({"--health-check", base + "/health"});
  CHECK(healthy.exit_code == 0);
  CHECK(healthy.out == "ok: " + base + "/health answered 200\n");
  const RunResult unready = run_proxy_to_exit({"--health-check", base + "/ready"});
  CHECK(unready.exit_code == 1);
  CHECK(unready.out == "unhealthy: " + base + "/ready answered 503: " + reason + "\n");
  const std::string nothing = "http://127.0.0.1:" + std::to_string(nobody) + "/health";
  const RunResult refused = run_proxy_to_exit({"--health-check", nothing});
  CHECK(refused.exit_code == 1);
  CHECK(refused.out == "unhealthy: " + nothing + ": Connection refused\n");
}

TEST_CASE("ready: 200 once an upstream has answered a probe") {
  MockUpstream up;
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  Proxy proxy(dir, "live", base_config(port, metrics, up.address(), anchors));
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  // Nobody asked anything yet: the first /ready sends the probe (. NS, NXDOMAIN from the
  // mock still counts as an answer), a later one says 200.
  CHECK(eventually([&] { return get(metrics, "/ready").code == 200; }));
  CHECK(get(metrics, "/ready").body == "ok");
  CHECK(up.udp_queries() >= 1);
  CHECK(get(metrics, "/health").code == 200);
}

TEST_CASE("drain: after SIGTERM /ready is 503 at once, queries are answered, then exit 0") {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  up.set_rule("late.example.test", RRType::A, a_rule("late.example.test.", "192.0.2.2"));
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  Proxy proxy(dir, "drain",
              base_config(port, metrics, up.address(), anchors, "shutdown_grace = 2\n"));
  REQUIRE(eventually([&] { return tcp_accepts(port) && tcp_accepts(metrics); }));
  REQUIRE(eventually([&] { return get(metrics, "/ready").code == 200; }));
  const std::string before = get(metrics, "/metrics").body;
  CHECK(before.find("\ndnssec_proxy_ready 1\n") != std::string::npos);
  CHECK(before.find("\ndnssec_proxy_event_loops_stuck 0\n") != std::string::npos);
  proxy.signal(SIGTERM);
  const Http ready = get(metrics, "/ready");
  CHECK(ready.code == 503);
  CHECK(ready.body == "draining: SIGTERM received, stopping");
  CHECK(get(metrics, "/metrics").body.find("\ndnssec_proxy_ready 0\n") != std::string::npos);
  // Within the grace: a cached name and one that goes upstream are both answered.
  const DigResult cached = dig(port, "www.example.test A");
  CHECK(cached.status == "NOERROR");
  const DigResult miss = dig(port, "late.example.test A");
  CHECK(miss.status == "NOERROR");
  CHECK(miss.output.find("192.0.2.2") != std::string::npos);
  // Then it stops by itself: grace (2 s) + deadline (5 s), with room to spare.
  const int code = proxy.wait((2 + 5 + 3) * 1000);
  INFO(proxy.log());
  CHECK(code == 0);
  CHECK(proxy.log().find("draining: no new queries") != std::string::npos);
}

TEST_CASE("drain: a query in flight when the listeners close still gets its answer") {
  MockUpstream up;
  up.set_rule("slow.example.test", RRType::A, a_rule("slow.example.test.", "192.0.2.9", 1500));
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  Proxy proxy(dir, "inflight",
              base_config(port, metrics, up.address(), anchors, "", 3000));  // no grace
  REQUIRE(eventually([&] { return tcp_accepts(port) && tcp_accepts(metrics); }));
  std::string answer;
  std::thread client([&] {
    answer = run_command("dig @127.0.0.1 -p " + std::to_string(port) +
                         " +tries=1 +timeout=5 +tcp slow.example.test A")
                 .out;
  });
  REQUIRE(eventually([&] { return up.tcp_queries() + up.udp_queries() >= 1; }));
  proxy.signal(SIGTERM);
  client.join();
  INFO(answer);
  CHECK(answer.find("status: NOERROR") != std::string::npos);
  CHECK(answer.find("192.0.2.9") != std::string::npos);
  CHECK(proxy.wait(8000) == 0);
}

TEST_CASE("drain: a second SIGTERM stops at once, whatever the grace") {
  MockUpstream up;
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  Proxy proxy(dir, "twice",
              base_config(port, metrics, up.address(), anchors, "shutdown_grace = 120\n"));
  REQUIRE(eventually([&] { return tcp_accepts(port) && tcp_accepts(metrics); }));
  proxy.signal(SIGTERM);
  REQUIRE(eventually([&] { return proxy.log().find("draining") != std::string::npos; }));
  CHECK(dig(port, "www.example.test A").status == "NXDOMAIN");  // still answering
  proxy.signal(SIGTERM);
  // Long before the 120 s of grace would end.
  CHECK(proxy.wait(5000) == 0);
}

namespace {

// The proxy under sd_launcher: sockets passed on `dns_port` (UDP and TCP), notify socket
// `notify`, watchdog every 200 ms.
std::vector<std::string> launcher(uint16_t dns_port, const std::string& notify,
                                  const std::string& notify_log) {
  const std::string addr = "127.0.0.1:" + std::to_string(dns_port);
  return {DNSP_SD_LAUNCHER, "--notify", notify, "--notify-log", notify_log, "--watchdog-usec",
          "400000",         "--udp",    addr,   "dns",          "--tcp",    addr,
          "dns-tcp",        "--"};
}

void check_socket_activation(const std::string& notify_name) {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const std::string notify = notify_name.empty() ? dir.path() + "/notify" : notify_name;
  const std::string notify_log = dir.path() + "/notify.log";
  const uint16_t passed = free_port();
  const uint16_t configured = free_port();  // [server] listen: must stay unbound
  const uint16_t metrics = free_port();
  Proxy proxy(dir, "activated",
              base_config(configured, metrics, up.address(), anchors, "threads = 2\n"),
              launcher(passed, notify, notify_log));
  const auto notes = [&] { return read_text_file(notify_log); };
  // READY=1 once an upstream answered the probe the proxy sends by itself under systemd.
  REQUIRE(eventually([&] { return notes().find("READY=1") != std::string::npos; }));
  INFO(proxy.log());
  INFO(notes());
  CHECK(eventually([&] { return notes().find("WATCHDOG=1") != std::string::npos; }));
  // Queries on the passed sockets, UDP and TCP, on both loops.
  for (int i = 0; i < 4; ++i) {
    const DigResult udp = dig(passed, "www.example.test A");
    CHECK(udp.status == "NOERROR");
    const DigResult tcp = dig(passed, "+tcp www.example.test A");
    CHECK(tcp.status == "NOERROR");
  }
  // [server] listen is not bound.
  CHECK(port_is_free(configured));
  CHECK(proxy.log().find("[server] listen is not used") != std::string::npos);
  // SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again.
  proxy.signal(SIGHUP);
  CHECK(eventually([&] { return count_of(notes(), "READY=1") >= 2; }));
  CHECK(std::regex_search(notes(), std::regex("RELOADING=1\\|MONOTONIC_USEC=[0-9]+\n")));
  CHECK(dig(passed, "www.example.test A").status == "NOERROR");  // still on the passed sockets
  CHECK(port_is_free(configured));
  // SIGTERM: STOPPING=1, exit 0 (the launcher passes the child's status on).
  proxy.signal(SIGTERM);
  CHECK(proxy.wait(8000) == 0);
  CHECK(notes().find("STOPPING=1") != std::string::npos);
}

}  // namespace

TEST_CASE("systemd: passed sockets replace [server] listen; READY, WATCHDOG, RELOADING, STOPPING") {
  check_socket_activation("");  // a notify socket in the file system
}

TEST_CASE("systemd: an abstract notify socket (@name) is reached as well") {
  check_socket_activation("@dnssec-proxy-test-" + std::to_string(getpid()));
}

TEST_CASE("systemd: passed sockets outlive the process; the next start answers what queued") {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const std::string notify_log = dir.path() + "/notify.log";
  const uint16_t passed = free_port();
  const uint16_t configured = free_port();
  const uint16_t metrics = free_port();
  std::vector<std::string> prefix = launcher(passed, dir.path() + "/notify", notify_log);
  // Like systemd with a .socket unit: the launcher keeps the sockets and starts the proxy
  // again after it exits.
  prefix.insert(prefix.begin() + 1, {"--restarts", "1"});
  Proxy proxy(dir, "restarted",
              base_config(configured, metrics, up.address(), anchors, "threads = 2\n"), prefix);
  const auto notes = [&] { return read_text_file(notify_log); };
  REQUIRE(eventually([&] { return count_of(notes(), "READY=1") >= 1; }));
  CHECK(dig(passed, "www.example.test A").status == "NOERROR");
  // SIGTERM: the first process drains and exits 0, the launcher starts the second. A query
  // sent meanwhile waits in the socket (as systemd's sockets keep it) and is answered.
  proxy.signal(SIGTERM);
  const DigResult during = dig(passed, "www.example.test A");
  INFO(proxy.log());
  CHECK(during.status == "NOERROR");
  CHECK(eventually([&] { return count_of(notes(), "READY=1") >= 2; }));
  CHECK(notes().find("STOPPING=1") != std::string::npos);
  CHECK(count_of(proxy.log(), "(passed by systemd: dns)") == 2);  // two starts
  CHECK(dig(passed, "www.example.test A").status == "NOERROR");
  CHECK(dig(passed, "+tcp www.example.test A").status == "NOERROR");
  CHECK(port_is_free(configured));
  proxy.signal(SIGTERM);
  CHECK(proxy.wait(8000) == 0);
}

TEST_CASE("log: [log] queries writes a line per answer, at most queries_per_second a second") {
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test.", "192.0.2.1"));
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const uint16_t port = free_port();
  const uint16_t metrics = free_port();
  Proxy proxy(dir, "querylog",
              base_config(port, metrics, up.address(), anchors, "threads = 1\n") +
                  "[log]\nqueries = true\nqueries_per_second = 3\n");  // per event loop
  REQUIRE(eventually([&] { return tcp_accepts(port); }));
  CHECK(dig(port, "www.example.test A").status == "NOERROR");
  // The miss, from the upstream; then the hit from the cache.
  const std::regex miss(
      "info: event=query client=127\\.0\\.0\\.1:[0-9]+ qname=www\\.example\\.test\\. qtype=A "
      "rcode=NOERROR ad=0 cache=miss upstream=" +
      std::regex_replace(up.address(), std::regex("\\."), "\\.") + " us=[0-9]+ ede=-");
  CHECK(eventually([&] { return std::regex_search(proxy.log(), miss); }));
  std::this_thread::sleep_for(milliseconds(1100));  // a new second for the limiter
  CHECK(dig(port, "+tcp www.example.test A").status == "NOERROR");
  CHECK(eventually([&] {
    return std::regex_search(proxy.log(),
                             std::regex("event=query client=tcp:127\\.0\\.0\\.1:[0-9]+ "
                                        "qname=www\\.example\\.test\\. qtype=A rcode=NOERROR "
                                        "ad=0 cache=hit upstream=- us=[0-9]+ ede=-"));
  }));
  // A burst of 20 queries: at most 3 lines a second are written (the burst spans two
  // seconds at most), the rest counted and reported before the next line written.
  const std::string before = proxy.log();
  for (int i = 0; i < 20; ++i) REQUIRE(udp_exchange(port, a_query("www.example.test", i)));
  std::this_thread::sleep_for(milliseconds(1100));
  CHECK(dig(port, "www.example.test A").status == "NOERROR");
  REQUIRE(eventually(
      [&] { return proxy.log().find("event=query_log_suppressed") != std::string::npos; }));
  const std::string after = proxy.log().substr(before.size());
  INFO(after);
  const size_t written = count_of(after, "event=query client=");
  CHECK(written >= 3);
  CHECK(written <= 3 * 2 + 1);  // the burst's two seconds at most, and the last query
  const std::regex suppressed("event=query_log_suppressed lines=([0-9]+)");
  int total = 0;
  for (auto it = std::sregex_iterator(after.begin(), after.end(), suppressed);
       it != std::sregex_iterator(); ++it) {
    total += std::stoi((*it)[1]);
  }
  CHECK(total + static_cast<int>(written) == 21);  // every answer written or counted
}

TEST_CASE("handover: a new process beside the old (reuse_port), the old drained: no query lost") {
  MockUpstream up;
  std::string queries;
  for (int i = 0; i < 50; ++i) {
    const std::string name = "n" + std::to_string(i) + ".example.test";
    up.set_rule(name, RRType::A, a_rule(name + ".", "192.0.2." + std::to_string(i + 1)));
    queries += name + " A\n";
  }
  TempDir dir;
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  const std::string data = dir.write("queries.txt", queries);
  const uint16_t port = free_port();
  const uint16_t metrics_old = free_port();
  const uint16_t metrics_new = free_port();
  const std::string extra = "reuse_port = true\nshutdown_grace = 1\nthreads = 2\n";
  Proxy old_proxy(dir, "old", base_config(port, metrics_old, up.address(), anchors, extra));
  REQUIRE(eventually([&] { return get(metrics_old, "/ready").code == 200; }));
  // dnsperf for 6 s from 8 sockets (the kernel spreads them over the processes' sockets by
  // address and port), at a rate two shared cores keep up with.
  const std::string perf_out = dir.path() + "/dnsperf.txt";
  const pid_t perf =
      spawn_process({"/usr/bin/dnsperf", "-s", "127.0.0.1", "-p", std::to_string(port), "-d", data,
                     "-l", "6", "-c", "8", "-Q", "10000", "-t", "3"},
                    perf_out);
  REQUIRE(perf > 0);
  std::this_thread::sleep_for(milliseconds(1500));
  Proxy new_proxy(dir, "new", base_config(port, metrics_new, up.address(), anchors, extra));
  REQUIRE(eventually([&] { return get(metrics_new, "/ready").code == 200; }));
  old_proxy.signal(SIGTERM);
  CHECK(old_proxy.wait(10000) == 0);
  const int perf_status = wait_for_exit(perf, 20000);
  const std::string report = read_text_file(perf_out);
  INFO(report);
  INFO(old_proxy.log());
  REQUIRE(perf_status == 0);
  std::smatch sent, lost;
  REQUIRE(std::regex_search(report, sent, std::regex("Queries sent:\\s+([0-9]+)")));
  REQUIRE(std::regex_search(report, lost, std::regex("Queries lost:\\s+([0-9]+)")));
  CHECK(std::stoi(sent[1]) > 1000);
  CHECK(std::stoi(lost[1]) == 0);
  // The new process answered its share, and answers alone now.
  const std::string scraped = get(metrics_new, "/metrics").body;
  std::smatch udp;
  REQUIRE(std::regex_search(
      scraped, udp, std::regex("dnssec_proxy_queries_total\\{transport=\"udp\"\\} ([0-9]+)")));
  CHECK(std::stol(udp[1]) > 0);
  CHECK(dig(port, "n1.example.test A").status == "NOERROR");
}
