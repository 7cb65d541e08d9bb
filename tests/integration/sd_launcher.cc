// sd_launcher: starts a program as systemd would for a .socket unit and Type=notify, for the
// lifecycle tests. It binds the sockets it is told to (before the program runs, as systemd
// does), forks, and in the child moves them to descriptors 3, 4, ... and sets LISTEN_FDS,
// LISTEN_PID (the child's own pid: set after fork, before exec), LISTEN_FDNAMES,
// NOTIFY_SOCKET and WATCHDOG_USEC, then execs the program. The parent binds the notify
// socket (a path, or an abstract name with a leading '@'), appends every datagram it
// receives to a file (one line each, newlines inside shown as '|'), passes SIGTERM, SIGHUP
// and SIGINT on to the child, and exits with the child's exit status. With --restarts N it
// keeps the sockets, as systemd keeps a .socket unit's, and starts the program again (up to
// N times) each time it exits with status 0.
//
//   sd_launcher --notify-log FILE [--notify SOCKET] [--watchdog-usec N] [--restarts N]
//               [--udp ADDR:PORT NAME]... [--tcp ADDR:PORT NAME]... -- PROGRAM ARGS...
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

pid_t child = -1;

void forward(int signum) {
  if (child > 0) kill(child, signum);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "sd_launcher: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(100);
}

int bind_inet(const std::string& address, int type) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) die("expected ADDR:PORT, got " + address);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr) != 1) {
    die("not an IPv4 address: " + address);
  }
  const int fd = socket(AF_INET, type, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind " + address);
  if (type == SOCK_STREAM && listen(fd, 128) != 0) die("listen " + address);
  return fd;
}

int bind_notify(const std::string& name) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (name.size() >= sizeof a.sun_path) die("notify socket name too long");
  std::memcpy(a.sun_path, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    a.sun_path[0] = '\0';
  } else {
    unlink(name.c_str());
    len += 1;
  }
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) die("bind " + name);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string notify_name;
  std::string notify_log;
  std::string watchdog_usec;
  int restarts = 0;
  std::vector<int> fds;
  std::vector<std::string> names;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--notify" && i + 1 < argc) {
      notify_name = argv[++i];
    } else if (arg == "--notify-log" && i + 1 < argc) {
      notify_log = argv[++i];
    } else if (arg == "--restarts" && i + 1 < argc) {
      restarts = std::atoi(argv[++i]);
    } else if (arg == "--watchdog-usec" && i + 1 < argc) {
      watchdog_usec = argv[++i];
    } else if ((arg == "--udp" || arg == "--tcp") && i + 2 < argc) {
      fds.push_back(bind_inet(argv[i + 1], arg == "--udp" ? SOCK_DGRAM : SOCK_STREAM));
      names.push_back(argv[i + 2]);
      i += 2;
    } else {
      std::fprintf(stderr, "sd_launcher: unknown argument %s\n", arg.c_str());
      return 100;
    }
  }
  if (i >= argc) {
    std::fprintf(stderr, "sd_launcher: no program after --\n");
    return 100;
  }
  const int notify_fd = notify_name.empty() ? -1 : bind_notify(notify_name);
  FILE* log = notify_log.empty() ? nullptr : std::fopen(notify_log.c_str(), "a");
  struct sigaction sa {};
  sa.sa_handler = forward;
  for (int s : {SIGTERM, SIGHUP, SIGINT}) sigaction(s, &sa, nullptr);
  const auto start_child = [&] {
    child = fork();
    if (child < 0) die("fork");
    if (child != 0) return;
    // Descriptors 3, 4, ...: first out of the way (above them all), then into place.
    std::vector<int> high;
    for (int fd : fds) high.push_back(fcntl(fd, F_DUPFD, 100));
    for (size_t k = 0; k < high.size(); ++k) {
      if (dup2(high[k], 3 + static_cast<int>(k)) < 0) die("dup2");
      close(high[k]);
    }
    for (int fd : fds) {
      if (fd >= 3 + static_cast<int>(fds.size())) close(fd);
    }
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ":") + n;
    if (!fds.empty()) {
      setenv("LISTEN_FDS", std::to_string(fds.size()).c_str(), 1);
      setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
      setenv("LISTEN_FDNAMES", joined.c_str(), 1);
    }
    if (!notify_name.empty()) setenv("NOTIFY_SOCKET", notify_name.c_str(), 1);
    if (!watchdog_usec.empty()) setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
    execv(argv[i], argv + i);
    die(std::string("exec ") + argv[i]);
  };
  start_child();
  if (restarts == 0) {
    for (int fd : fds) close(fd);  // the child holds them now
  }
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && restarts > 0) {
        --restarts;
        start_child();  // the sockets kept their queued datagrams meanwhile
        continue;
      }
      if (log != nullptr) std::fclose(log);
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    pollfd p{notify_fd, POLLIN, 0};
    if (notify_fd >= 0 && poll(&p, 1, 20) == 1) {
      char buf[4096];
      const ssize_t n = recv(notify_fd, buf, sizeof buf, 0);
      if (n > 0 && log != nullptr) {
        std::string line(buf, static_cast<size_t>(n));
        for (char& c : line) c = c == '\n' ? '|' : c;
        std::fprintf(log, "%s\n", line.c_str());
        std::fflush(log);
      }
    } else if (notify_fd < 0) {
      usleep(20000);
    }
  }
}
