#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dnsp::test {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Waits for `pid` up to timeout_ms; returns its exit code, 128+signal, or -1 on timeout.
int wait_for(pid_t pid, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& args, const std::string& out_path) {
  return spawn(args, out_path);
}

int wait_for_exit(pid_t pid, int timeout_ms) { return wait_for(pid, timeout_ms); }

std::string read_text_file(const std::string& path) { return read_file(path); }

// Ports come from 20000-32767, below the kernel's ephemeral range (32768-60999 by default),
// so a port handed out here is never taken meanwhile by some process's outgoing connection
// or by the kernel's "bind to port 0"; and never the same port twice in one test process
// (a test that asks for two ports gets two, even before it binds either). The walk starts
// at a place that depends on the pid, so test processes run side by side rarely meet.
uint16_t free_port() {
  constexpr uint16_t kFirst = 20000;
  constexpr uint16_t kCount = 12768;
  static uint16_t next = static_cast<uint16_t>((static_cast<unsigned>(getpid()) * 7919U) % kCount);
  for (int attempt = 0; attempt < kCount; ++attempt) {
    const auto port = static_cast<uint16_t>(kFirst + next);
    next = static_cast<uint16_t>((next + 1) % kCount);
    auto a = loopback(port);
    const int u = socket(AF_INET, SOCK_DGRAM, 0);
    const bool udp_ok = bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const int t = socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_ok = udp_ok && bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(t);
    close(u);
    if (tcp_ok) return port;
  }
  throw std::runtime_error("no free port");
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dnsp-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = path_ + "/" + name;
  std::ofstream(p) << content;
  return p;
}

RunResult run_proxy_to_exit(const std::vector<std::string>& args, int timeout_ms) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  std::vector<std::string> full{DNSSEC_PROXY_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = spawn(full, out);
  if (pid < 0) return {-1, "spawn failed"};
  int code = wait_for(pid, timeout_ms);
  if (code == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  return {code, read_file(out)};
}

std::string curl(const std::string& url) {
  return run_command("curl -sS --max-time 5 -o - -w '\\nHTTP %{http_code}\\n' '" + url + "'").out;
}

RunResult run_command(const std::string& command) {
  RunResult r{-1, {}};
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool tcp_accepts(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  auto a = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

int server_side_tcp_connections(uint16_t port) {
  int n = 0;
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      // "  0: 0100007F:1F90 00000000:0000 0A ...": local address:port (hex), remote, state.
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      const unsigned long local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
      // 0A LISTEN; 06 TIME_WAIT and 07 CLOSE hold no server-side resources any more.
      if (local_port == port && state != "0A" && state != "06" && state != "07") ++n;
    }
  }
  return n;
}

ProxyProcess::ProxyProcess(std::vector<std::string> args, bool add_listen) {
  port_ = free_port();
  if (add_listen) {
    args.push_back("--listen");
    args.push_back("127.0.0.1:" + std::to_string(port_));
  }
  log_path_ = dir_.path() + "/proxy.log";
  std::vector<std::string> full{DNSSEC_PROXY_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  pid_ = spawn(full, log_path_);
  if (pid_ < 0) throw std::runtime_error("cannot start " DNSSEC_PROXY_BINARY);
  if (!add_listen) return;
  for (int i = 0; i < 300; ++i) {
    if (tcp_accepts(port_)) {
      if (!eventually([this] { return server_side_tcp_connections(port_) == 0; })) {
        throw std::runtime_error("the proxy did not close the probe connection; its log:\n" +
                                 log());
      }
      return;
    }
    if (!running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("proxy did not start listening; its log:\n" + log());
}

ProxyProcess::~ProxyProcess() {
  if (pid_ > 0 && terminate() == -1) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ProxyProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

int ProxyProcess::terminate(std::chrono::milliseconds* took) {
  if (pid_ <= 0) return -1;
  const auto start = std::chrono::steady_clock::now();
  kill(pid_, SIGTERM);
  const int code = wait_for(pid_, 5000);
  if (took != nullptr)
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  if (code != -1) pid_ = -1;
  return code;
}

std::string ProxyProcess::log() const { return read_file(log_path_); }

std::optional<std::vector<uint8_t>> udp_exchange(uint16_t port, const std::vector<uint8_t>& query,
                                                 int timeout_ms) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto a = loopback(port);
  sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  pollfd p{fd, POLLIN, 0};
  std::optional<std::vector<uint8_t>> out;
  if (poll(&p, 1, timeout_ms) == 1) {
    std::vector<uint8_t> buf(65536);
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      out = std::move(buf);
    }
  }
  close(fd);
  return out;
}

TcpClient::TcpClient(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  auto a = loopback(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) close(fd_);
}

void TcpClient::send_raw(const std::vector<uint8_t>& bytes) {
  (void)!write(fd_, bytes.data(), bytes.size());
}

void TcpClient::send_framed(const std::vector<uint8_t>& message) {
  std::vector<uint8_t> framed{static_cast<uint8_t>(message.size() >> 8),
                              static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  send_raw(framed);
}

std::optional<std::vector<uint8_t>> TcpClient::receive(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (in_.size() >= 2) {
      const size_t len = size_t{in_[0]} << 8 | in_[1];
      if (in_.size() >= 2 + len) {
        std::vector<uint8_t> msg(in_.begin() + 2, in_.begin() + 2 + static_cast<long>(len));
        in_.erase(in_.begin(), in_.begin() + 2 + static_cast<long>(len));
        return msg;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) != 1) return std::nullopt;
    uint8_t buf[65536];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    in_.insert(in_.end(), buf, buf + n);
  }
}

bool TcpClient::closed_by_peer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return false;
  uint8_t buf[512];
  return read(fd_, buf, sizeof buf) <= 0;
}

bool DigResult::has_flag(const std::string& f) const {
  return (" " + flags + " ").find(" " + f + " ") != std::string::npos;
}

DigResult dig(uint16_t port, const std::string& args) {
  DigResult d;
  d.output =
      run_command("dig @127.0.0.1 -p " + std::to_string(port) + " +tries=1 +timeout=5 " + args).out;
  std::smatch m;
  if (std::regex_search(d.output, m, std::regex("status: ([A-Z]+)"))) d.status = m[1];
  if (std::regex_search(d.output, m, std::regex(";; flags:([a-z ]*);"))) d.flags = m[1];
  if (std::regex_search(d.output, m, std::regex("ANSWER: ([0-9]+)")))
    d.answer_count = std::stoi(m[1]);
  if (std::regex_search(d.output, m, std::regex("; EDE: ([0-9]+)[^\\n]*?(?:: \\((.*)\\))?\\n"))) {
    d.ede_code = std::stoi(m[1]);
    d.ede_text = m[2];
  }
  return d;
}

}  // namespace dnsp::test
