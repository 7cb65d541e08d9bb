// Real use (issue 6): the C library's resolver, dig, kdig and delv as clients; the
// container's runtime layout run unprivileged in a fresh tree; dropping root after binding
// port 53; negative trust anchors; RFC 5011 updates while a private root rolls its KSK under
// a clock shifted by libfaketime; --health-check. Loopback only; most need root.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "hierarchy.h"

using namespace dnsp::test;

namespace {

const std::string kBinary = DNSSEC_PROXY_BINARY;
const std::string kSource = DNSSEC_PROXY_SOURCE_DIR;

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool tcp_accepts(const std::string& address, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// True when nothing holds address:53 (UDP or TCP) right now.
bool port_free(const std::string& address, uint16_t port) {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    const int fd = socket(AF_INET, type, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (!ok) return false;
  }
  return true;
}

// A process (the proxy, maybe behind chroot or with libfaketime) started with `argv` and
// extra environment, its output in a log file, stopped with SIGTERM at the end.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    log_path_ = dir_.path() + "/out.log";
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> a, e;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : envs) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid_, a[0], &fa, nullptr, a.data(), e.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Daemon() {
    if (pid_ > 0 && terminate() < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_path_); }
  // Until `address`:`port` accepts TCP (at most 5 s); false if the process died first.
  bool wait_listening(const std::string& address, uint16_t port) {
    for (int i = 0; i < 500; ++i) {
      if (tcp_accepts(address, port)) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Until the log holds `text` (at most `seconds`).
  bool wait_log(const std::string& text, int seconds = 10) {
    for (int i = 0; i < seconds * 50; ++i) {
      if (log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // SIGTERM; the exit status (-1: still running after 5 s) and how long it took.
  int terminate(std::chrono::milliseconds* took = nullptr) {
    if (pid_ <= 0) return -1;
    const auto start = std::chrono::steady_clock::now();
    kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        if (took != nullptr) {
          *took = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - start);
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
};

std::string upstream() { return "127.0.0.1:" + std::to_string(Hierarchy::get().upstream_port()); }

// A /proc/PID/status line ("Uid:\t65534\t65534\t65534\t65534").
std::string status_line(pid_t pid, const std::string& key) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return line;
  }
  return "";
}

#define REQUIRE_ROOT()                                                    \
  do {                                                                    \
    if (geteuid() != 0) FAIL("needs root (port 53, chroot, unshare -m)"); \
  } while (0)

}  // namespace

TEST_CASE("real clients: glibc's resolver (getent) through a resolv.conf naming the proxy") {
  REQUIRE_HIERARCHY();
  // glibc only talks to port 53; any 127.x address will do, and 127.0.4.1 is ours.
  const std::string addr = "127.0.4.1";
  if (!port_free(addr, 53)) {
    FAIL(addr << ":53 is in use by another process: this test needs it (glibc's resolver "
                 "only asks port 53); stop that process and run it again");
  }
  TempDir dir;
  const auto conf = dir.write("proxy.toml", "[server]\nlisten = [\"" + addr + ":53\"]\n");
  Daemon proxy({kBinary, "--config", conf, "--upstream", upstream(), "--trust-anchor",
                Hierarchy::get().anchor(), "--log-level", "debug"});
  REQUIRE(proxy.wait_listening(addr, 53));
  const auto resolv =
      dir.write("resolv.conf", "nameserver " + addr + "\noptions timeout:3 attempts:1\n");
  const auto getent = [&](const std::string& name) {
    return run_command("unshare -m sh -c 'mount --bind " + resolv +
                       " /etc/resolv.conf && exec getent ahosts " + name + "'");
  };
  // A secure name resolves. glibc asks A and AAAA in parallel on one socket; both replies
  // must come back, or it would wait out its 3 s timeout.
  const auto start = std::chrono::steady_clock::now();
  const RunResult secure = getent("www.secure-ecdsa.test");
  const auto took = std::chrono::steady_clock::now() - start;
  INFO("getent:\n" << secure.out << "\nproxy log:\n" << proxy.log());
  CHECK(secure.exit_code == 0);
  CHECK(secure.out.find("192.0.2.10") != std::string::npos);
  CHECK(took < std::chrono::milliseconds(2500));
  const std::string log = proxy.log();
  CHECK(log.find(": www.secure-ecdsa.test. A\n") != std::string::npos);
  CHECK(log.find(": www.secure-ecdsa.test. AAAA\n") != std::string::npos);
  // A bogus one fails (SERVFAIL: getent exits 2, "key not found").
  const RunResult bogus = getent("www.badsig.test");
  CHECK(bogus.exit_code == 2);
  CHECK(bogus.out.find("192.0.2.20") == std::string::npos);
  // An insecure one resolves.
  CHECK(getent("www.insecure.test").out.find("192.0.2.24") != std::string::npos);
}

TEST_CASE("real clients: dig, kdig and delv see AD, CD, TC and EDE") {
  REQUIRE_HIERARCHY();
  auto& h = Hierarchy::get();
  ProxyProcess proxy({"--upstream", upstream(), "--trust-anchor", h.anchor()});
  const std::string at = "@127.0.0.1 -p " + std::to_string(proxy.port()) + " ";
  // dig
  CHECK(dig(proxy.port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  auto cd = dig(proxy.port(), "+dnssec +cd www.badsig.test A");
  CHECK(cd.status == "NOERROR");
  CHECK(cd.has_flag("cd"));
  CHECK_FALSE(cd.has_flag("ad"));
  auto tc = dig(proxy.port(), "+dnssec +ignore +bufsize=1232 big.secure-ecdsa.test TXT");
  CHECK(tc.has_flag("tc"));
  auto tcp = dig(proxy.port(), "+dnssec +tcp big.secure-ecdsa.test TXT");
  CHECK(tcp.has_flag("ad"));
  CHECK(tcp.answer_count > 10);
  auto ede = dig(proxy.port(), "+dnssec www.expired.test A");
  CHECK(ede.status == "SERVFAIL");
  CHECK(ede.ede_code == 7);
  // kdig (Knot's client) parses the same replies its own way.
  const auto k = [&](const std::string& args) {
    return run_command("kdig " + at + "+timeout=5 +retry=0 " + args).out;
  };
  const std::string k_secure = k("+dnssec www.secure-ecdsa.test A");
  INFO("kdig:\n" << k_secure);
  CHECK(k_secure.find(";; Flags: qr rd ra ad;") != std::string::npos);
  const std::string k_cd = k("+dnssec +cd www.badsig.test A");
  CHECK(k_cd.find("status: NOERROR") != std::string::npos);
  CHECK(k_cd.find(";; Flags: qr rd ra cd;") != std::string::npos);
  const std::string k_tc = k("+dnssec +notcp +ignore +bufsize=1232 big.secure-ecdsa.test TXT");
  CHECK(k_tc.find(";; Flags: qr tc ") != std::string::npos);
  const std::string k_ede = k("+dnssec www.future.test A");
  CHECK(k_ede.find("status: SERVFAIL") != std::string::npos);
  CHECK(k_ede.find(";; EDE: 8 (Signature Not Yet Valid): 'future.test.") != std::string::npos);
  // delv validates by itself (asking with CD): the proxy hands it what it needs.
  const auto delv = [&](const std::string& name) {
    return run_command("delv -a " + h.dir() + "/root-anchor.bind " + at + name + " A").out;
  };
  const std::string d_secure = delv("www.secure-ecdsa.test");
  INFO("delv:\n" << d_secure);
  CHECK(d_secure.find("; fully validated") != std::string::npos);
  CHECK(delv("www.insecure.test").find("; unsigned answer") != std::string::npos);
  const std::string d_bogus = delv("www.badsig.test");
  CHECK(d_bogus.find("resolution failed") != std::string::npos);
}

TEST_CASE("privileges: started as root to bind port 53, it runs on as [server] user and group") {
  REQUIRE_HIERARCHY();
  REQUIRE_ROOT();
  const std::string addr = "127.0.4.2";
  if (!port_free(addr, 53)) {
    FAIL(addr << ":53 is in use by another process: this test needs it (glibc's resolver "
                 "only asks port 53); stop that process and run it again");
  }
  TempDir dir;
  const auto conf = dir.write("proxy.toml", "[server]\nlisten = [\"" + addr +
                                                ":53\"]\nuser = \"nobody\"\ngroup = \"nogroup\"\n");
  Daemon proxy({kBinary, "--config", conf, "--upstream", upstream(), "--trust-anchor",
                Hierarchy::get().anchor()});
  REQUIRE(proxy.wait_listening(addr, 53));
  REQUIRE(proxy.wait_log("running as nobody"));
  INFO(proxy.log());
  CHECK(status_line(proxy.pid(), "Uid") == "Uid:\t65534\t65534\t65534\t65534");
  CHECK(status_line(proxy.pid(), "Gid") == "Gid:\t65534\t65534\t65534\t65534");
  CHECK(status_line(proxy.pid(), "Groups") == "Groups:\t65534 ");
  // It still answers, on port 53, as nobody.
  const RunResult d =
      run_command("dig @" + addr + " +dnssec +time=3 +tries=1 www.secure-ecdsa.test A");
  CHECK(d.out.find(" ad;") != std::string::npos);
  std::chrono::milliseconds took{};
  CHECK(proxy.terminate(&took) == 0);
  CHECK(took < std::chrono::milliseconds(1000));
}

TEST_CASE("privileges: an unknown user is a configuration error, before anything is bound") {
  TempDir dir;
  const auto conf = dir.write("proxy.toml", "[server]\nuser = \"no-such-user-dnsp\"\n");
  const RunResult r =
      run_proxy_to_exit({"--config", conf, "--upstream", "127.0.0.1:9", "--check-config"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("[server] user: no user \"no-such-user-dnsp\"") != std::string::npos);
  const auto group =
      dir.write("group.toml", "[server]\nuser = \"nobody\"\ngroup = \"no-such-group-dnsp\"\n");
  const RunResult g =
      run_proxy_to_exit({"--config", group, "--upstream", "127.0.0.1:9", "--check-config"});
  CHECK(g.exit_code == 1);
  CHECK(g.out.find("[server] group: no group \"no-such-group-dnsp\"") != std::string::npos);
}

// The proxy runs in the tree with /proc mounted, as in a container (runtime_tree.sh run). In
// the sanitizer build the tree gets the sanitizer runtimes besides the runtime packages'.
TEST_CASE(
    "container: the runtime layout (binary + runtime packages' libraries) runs as a non-root "
    "user") {
  REQUIRE_HIERARCHY();
  REQUIRE_ROOT();
  TempDir dir;
  const std::string tree = dir.path() + "/rootfs";
  const std::string extra = kSanitized ? "RUNTIME_TREE_EXTRA_PACKAGES='libasan8 libubsan1' " : "";
  const std::string script = kSource + "/tests/fixtures/runtime_tree.sh";
  const RunResult built = run_command(extra + script + " " + tree + " " + kBinary);
  const std::string in_tree = script + " run " + tree + " /usr/bin/dnssec-proxy";
  INFO(built.out);
  REQUIRE(built.exit_code == 0);
  // Configuration from a mounted TOML file, as the image reads it; a high port, as a
  // container without NET_BIND_SERVICE would use (mapped to 53 outside).
  const uint16_t port = free_port();
  run_command("cp " + Hierarchy::get().anchor() + " " + tree + "/etc/dnssec-proxy/root.key");
  std::ofstream(tree + "/etc/dnssec-proxy/dnssec-proxy.toml")
      << "[server]\nlisten = [\"127.0.0.1:" << port << "\"]\n[upstream]\nservers = [\""
      << upstream() << "\"]\n[dnssec]\ntrust_anchor_file = \"/etc/dnssec-proxy/root.key\"\n"
      << "trust_anchor_state = \"/var/lib/dnssec-proxy/root.state\"\n";
  Daemon proxy({script, "run", tree, "/usr/bin/dnssec-proxy"});
  REQUIRE(proxy.wait_listening("127.0.0.1", port));
  INFO(proxy.log());
  CHECK(status_line(proxy.pid(), "Uid") == "Uid:\t999\t999\t999\t999");
  CHECK(dig(port, "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
  CHECK(dig(port, "+dnssec www.badsig.test A").ede_code == 6);
  // The state file is written inside the tree, by the unprivileged user.
  CHECK(proxy.wait_log("next root DNSKEY refresh"));
  CHECK(read_file(tree + "/var/lib/dnssec-proxy/root.state").find(". VALID ") != std::string::npos);
  // The image's HEALTHCHECK: the binary asks the proxy itself.
  const RunResult health =
      run_command(in_tree + " --health-check 127.0.0.1:" + std::to_string(port));
  CHECK(health.exit_code == 0);
  CHECK(health.out.find("ok: 127.0.0.1:" + std::to_string(port) + " answered") !=
        std::string::npos);
  // `docker exec NAME dnssec-proxy control ...`: the image's /run/dnssec-proxy holds the
  // control socket, the image's user may use it.
  const RunResult control = run_command(in_tree + " control nta list");
  CHECK(control.exit_code == 0);
  CHECK(control.out == "no negative trust anchors\n");
  // `docker stop` sends SIGTERM: honoured within a second.
  std::chrono::milliseconds took{};
  CHECK(proxy.terminate(&took) == 0);
  CHECK(took < std::chrono::milliseconds(1000));
}

TEST_CASE("health check: exit 0 when the proxy answers, 1 when nothing does") {
  REQUIRE_HIERARCHY();
  ProxyProcess proxy({"--upstream", upstream(), "--trust-anchor", Hierarchy::get().anchor()});
  const RunResult ok =
      run_proxy_to_exit({"--health-check", "127.0.0.1:" + std::to_string(proxy.port())});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find(" answered NOERROR in ") != std::string::npos);
  const uint16_t nobody = free_port();
  const RunResult none =
      run_proxy_to_exit({"--health-check", "127.0.0.1:" + std::to_string(nobody)});
  CHECK(none.exit_code == 1);
  CHECK(none.out.rfind("unhealthy: 127.0.0.1:" + std::to_string(nobody), 0) == 0);
}

TEST_CASE("negative trust anchors: answers at or below one are insecure, and the log says why") {
  REQUIRE_HIERARCHY();
  TempDir dir;
  const auto conf = dir.write("nta.toml", "[dnssec]\nnegative_trust_anchors = [\"BadSig.test\"]\n");
  ProxyProcess proxy(
      {"--config", conf, "--upstream", upstream(), "--trust-anchor", Hierarchy::get().anchor()});
  auto d = dig(proxy.port(), "+dnssec www.badsig.test A");
  INFO(d.output << "\n" << proxy.log());
  CHECK(d.status == "NOERROR");
  CHECK_FALSE(d.has_flag("ad"));
  CHECK(d.answer_count > 0);
  CHECK(proxy.log().find("negative trust anchors (RFC 7646): answers at or below badsig.test. "
                         "are not validated") != std::string::npos);
  CHECK(proxy.log().find("insecure: www.badsig.test. A: not validated, at or below the negative "
                         "trust anchor badsig.test.") != std::string::npos);
  // Only that zone: its neighbours are still validated.
  CHECK(dig(proxy.port(), "+dnssec www.expired.test A").status == "SERVFAIL");
  CHECK(dig(proxy.port(), "+dnssec www.secure-ecdsa.test A").has_flag("ad"));
}

TEST_CASE("rfc5011: a private root rolls its KSK under a shifted clock; the proxy follows it") {
  REQUIRE_ROOT();
  if (access(kFaketime.c_str(), R_OK) != 0) FAIL("libfaketime missing (faketime package)");
  TempDir dir;
  const std::string roll = kSource + "/tests/fixtures/keyroll.sh ";
  const std::string zone = dir.path() + "/root";
  REQUIRE(run_command(roll + "build " + zone).exit_code == 0);
  const uint16_t knot_port = free_port();
  const RunResult started = run_command(roll + "start " + zone + " " + std::to_string(knot_port));
  REQUIRE_MESSAGE(started.exit_code == 0, started.out);
  struct Stop {
    std::string cmd;
    ~Stop() { run_command(cmd); }
  } stop_knot{roll + "stop " + zone};
  const std::string state = dir.path() + "/root.state";
  const auto conf = dir.write("proxy.toml", "[dnssec]\ntrust_anchor_state = \"" + state + "\"\n");
  // The proxy at `days` after now (0: the real clock); returns its log after one refresh and
  // one query for probe. A, which must be secure.
  const auto run_at = [&](int days) {
    const uint16_t port = free_port();
    std::optional<FakeClock> shifted;
    if (days > 0) shifted.emplace("+" + std::to_string(days) + "d");
    Daemon proxy({kBinary, "--config", conf, "--listen", "127.0.0.1:" + std::to_string(port),
                  "--upstream", "127.0.0.1:" + std::to_string(knot_port), "--trust-anchor",
                  zone + "/anchor.ds"});
    shifted.reset();  // the proxy keeps its shifted clock; dig and the test do not
    REQUIRE(proxy.wait_listening("127.0.0.1", port));
    REQUIRE_MESSAGE(proxy.wait_log("next root DNSKEY refresh"), proxy.log());
    auto d = dig(port, "+dnssec probe. A");
    INFO(d.output << "\n" << proxy.log());
    CHECK(d.status == "NOERROR");
    CHECK(d.has_flag("ad"));
    return proxy.log();
  };
  const auto state_has = [&](const std::string& text) {
    return read_file(state).find(text) != std::string::npos;
  };
  std::istringstream names(read_file(zone + "/keys/names"));
  std::string ksk1, ksk2, revoked;
  names >> ksk1 >> ksk2 >> revoked;
  const auto tag = [](const std::string& base) {
    return std::to_string(std::stoi(base.substr(7)));
  };

  // Phase 1: KSK2 is published beside KSK1; the seed (KSK1's DS) trusts KSK1 only.
  std::string log = run_at(0);
  CHECK(log.find("root key " + tag(ksk1) + " (ECDSAP256SHA256): seed DS -> Valid") !=
        std::string::npos);
  CHECK(log.find("root key " + tag(ksk2) + " (ECDSAP256SHA256): Start -> AddPend") !=
        std::string::npos);
  CHECK(state_has(". ADDPEND "));
  // 29 days on: still waiting out the add hold-down.
  log = run_at(29);
  CHECK(log.find("AddPend -> Valid") == std::string::npos);
  // 31 days on: KSK2 is trusted.
  log = run_at(31);
  CHECK(log.find("root key " + tag(ksk2) + " (ECDSAP256SHA256): AddPend -> Valid") !=
        std::string::npos);
  CHECK_FALSE(state_has(". ADDPEND "));
  // Phase 2: KSK1 is revoked (and signs that); answers now rest on KSK2 alone.
  REQUIRE(run_command(roll + "phase " + zone + " 2").exit_code == 0);
  log = run_at(32);
  CHECK(log.find("root key " + tag(ksk1) +
                 " (ECDSAP256SHA256): Valid -> Revoked (published as key " + tag(revoked)) !=
        std::string::npos);
  CHECK(state_has(". REVOKED "));
  // A proxy that kept the old anchor without RFC 5011 cannot validate anything any more.
  {
    ProxyProcess stale({"--upstream", "127.0.0.1:" + std::to_string(knot_port), "--trust-anchor",
                        zone + "/anchor.ds"});
    auto d = dig(stale.port(), "+dnssec probe. A");
    CHECK(d.status == "SERVFAIL");
    CHECK(d.ede_code.has_value());
  }
  // Phase 3: KSK1 is gone; 30 days after its revocation it is Removed for good.
  REQUIRE(run_command(roll + "phase " + zone + " 3").exit_code == 0);
  log = run_at(63);
  CHECK(log.find("Revoked -> Removed") != std::string::npos);
  CHECK(state_has(". REMOVED "));
  CHECK(state_has(". VALID "));
}
