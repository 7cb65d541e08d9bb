// Integration harness: runs the real build/dnssec-proxy as a child process on a free
// loopback port, and talks to it with raw sockets and with dig. Loopback only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dnsp::test {

// The sanitizer build (DNSSEC_PROXY_SANITIZE), the one CI runs: every test runs there too.
// Tests whose processes need more than ASan gives by default (LD_PRELOAD shims, libfaketime,
// a chroot without /proc or the ASan runtime) adapt with the classes below; never skip one
// (a skipped test is one CI never runs).
#ifdef DNSSEC_PROXY_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// While in scope, processes spawned in the sanitizer build get `option` added to
// ASAN_OPTIONS (nothing changes in the plain build).
class AsanOptionInScope {
 public:
  explicit AsanOptionInScope(const std::string& option) {
    if (!kSanitized) return;
    const char* old = getenv("ASAN_OPTIONS");
    if (old != nullptr) old_ = old;
    const std::string options = (old_ ? *old_ + ":" : std::string()) + option;
    setenv("ASAN_OPTIONS", options.c_str(), 1);
  }
  ~AsanOptionInScope() {
    if (!kSanitized) return;
    if (old_) {
      setenv("ASAN_OPTIONS", old_->c_str(), 1);
    } else {
      unsetenv("ASAN_OPTIONS");
    }
  }
  AsanOptionInScope(const AsanOptionInScope&) = delete;
  AsanOptionInScope& operator=(const AsanOptionInScope&) = delete;

 private:
  std::optional<std::string> old_;
};

// While in scope, processes spawned run with `library` in LD_PRELOAD. In the sanitizer build
// the ASan runtime refuses to start unless it comes first in the library list; it works
// with a preloaded library that only wraps libc calls (libfaketime, our EAGAIN shim) when
// told not to check, so those tests run there too.
class PreloadBeforeAsan {
 public:
  explicit PreloadBeforeAsan(const std::string& library) {
    setenv("LD_PRELOAD", library.c_str(), 1);
  }
  ~PreloadBeforeAsan() { unsetenv("LD_PRELOAD"); }
  PreloadBeforeAsan(const PreloadBeforeAsan&) = delete;
  PreloadBeforeAsan& operator=(const PreloadBeforeAsan&) = delete;

 private:
  AsanOptionInScope asan_{"verify_asan_link_order=0"};
};

// libfaketime's library (Debian's faketime package).
inline const std::string kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

// The process started in its scope runs with its clock shifted by libfaketime (FAKETIME
// syntax: "@2020-01-01 00:00:00" starts there, "+40d" is an offset). Only the environment of
// processes spawned meanwhile changes; this test process keeps the real clock. Under the
// sanitizers the ASan runtime is told not to insist on coming first (PreloadBeforeAsan).
class FakeClock {
 public:
  explicit FakeClock(const std::string& faketime) {
    keep_monotonic_real();
    setenv("FAKETIME", faketime.c_str(), 1);
  }
  // The time read from `file` on every call (FAKETIME_NO_CACHE): the test moves it.
  struct FromFile {
    std::string file;
  };
  explicit FakeClock(const FromFile& f) {
    keep_monotonic_real();
    setenv("FAKETIME_TIMESTAMP_FILE", f.file.c_str(), 1);
    setenv("FAKETIME_NO_CACHE", "1", 1);
  }
  ~FakeClock() {
    for (const char* v : {"FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKETIME_TIMESTAMP_FILE",
                          "FAKETIME_NO_CACHE"}) {
      unsetenv(v);
    }
  }
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

 private:
  // libuv's timers run on the monotonic clock: keep it real.
  static void keep_monotonic_real() { setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1); }
  PreloadBeforeAsan preload_{kFaketime};
};

// Waits (at most 3 s) until `pred` holds; its last answer.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// A port on 127.0.0.1 that is free for both UDP and TCP right now.
uint16_t free_port();

// True when something accepts a TCP connection on 127.0.0.1:port right now.
bool tcp_accepts(uint16_t port);

// TCP connections whose local port is `port` (the server's side, any address, IPv4 and
// IPv6) that are not yet fully closed by the server: ESTABLISHED, CLOSE_WAIT, LAST_ACK...
// Read from /proc/net/tcp{,6}; the listening socket does not count.
int server_side_tcp_connections(uint16_t port);

// A scratch directory removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct RunResult {
  int exit_code;
  std::string out;  // stdout and stderr together
};
// Runs the proxy binary to completion with `args` (for --check-config, bad configs...).
RunResult run_proxy_to_exit(const std::vector<std::string>& args, int timeout_ms = 5000);
// Runs a shell command, returning its exit code and combined output.
RunResult run_command(const std::string& command);
// curl's body of `url` followed by a line "HTTP <status>" (at most 5 s).
std::string curl(const std::string& url);
// Starts args[0] (a path) with args, stdout and stderr to `out_path`; its pid or -1.
pid_t spawn_process(const std::vector<std::string>& args, const std::string& out_path);
// Waits for `pid` up to timeout_ms: its exit code, 128+signal, or -1 on timeout.
int wait_for_exit(pid_t pid, int timeout_ms);
// The file's contents ("" when it cannot be read).
std::string read_text_file(const std::string& path);

class ProxyProcess {
 public:
  // Starts the proxy with `args` plus --listen 127.0.0.1:PORT (unless args already
  // listen) and waits until its TCP listener accepts (at most 3 s), and then until the
  // proxy has closed that probe connection (so that it counts against no TCP limit).
  explicit ProxyProcess(std::vector<std::string> args, bool add_listen = true);
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then waits; returns the exit status (or -1 on timeout) and the time taken.
  int terminate(std::chrono::milliseconds* took = nullptr);
  std::string log() const;  // what it wrote to stderr so far

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  TempDir dir_;
  std::string log_path_;
};

// One UDP exchange with 127.0.0.1:port; nullopt on timeout.
std::optional<std::vector<uint8_t>> udp_exchange(uint16_t port, const std::vector<uint8_t>& query,
                                                 int timeout_ms = 2000);

class TcpClient {
 public:
  explicit TcpClient(uint16_t port);
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  void send_raw(const std::vector<uint8_t>& bytes);
  void send_framed(const std::vector<uint8_t>& message);
  // The next length-prefixed message; nullopt on timeout or when the server closed.
  std::optional<std::vector<uint8_t>> receive(int timeout_ms = 2000);
  // True when the server closes the connection within timeout_ms.
  bool closed_by_peer(int timeout_ms);

 private:
  int fd_ = -1;
  std::vector<uint8_t> in_;
};

// dig against 127.0.0.1:port; `args` go before the name.
struct DigResult {
  std::string output;
  std::string status;  // "NOERROR", "SERVFAIL", ...
  std::string flags;   // " qr rd ra ad" as dig prints it
  bool has_flag(const std::string& f) const;
  std::optional<int> ede_code;
  std::string ede_text;
  int answer_count = -1;
};
DigResult dig(uint16_t port, const std::string& args);

}  // namespace dnsp::test
