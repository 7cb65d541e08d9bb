#include "encrypted_fixtures.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "hierarchy.h"

namespace dnsp::test {

std::string address(int n) {
  static const int a = 200 + static_cast<int>(getpid() % 50);
  static const int b = 16 + static_cast<int>((getpid() / 50) % 200);
  return "127." + std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(n);
}

sockaddr_in socket_address(const std::string& addr, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  return a;
}

Certs& Certs::get() {
  static Certs c;
  return c;
}

Certs::Certs() {
  const std::string d = dir.path();
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  auto leaf = [&](const std::string& name, const std::string& host, const std::string& pre,
                  const std::string& days) {
    return pre + " openssl req " + ec + " -keyout " + d + "/" + name + ".key -out " + d + "/" +
           name + ".csr -subj /CN=" + host + " && printf 'subjectAltName=DNS:" + host + "\\n' > " +
           d + "/" + name + ".ext && " + pre + " openssl x509 -req -in " + d + "/" + name +
           ".csr -CA " + d + "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial -out " + d + "/" +
           name + ".pem -days " + days + " -extfile " + d + "/" + name + ".ext";
  };
  const std::string pin = " -pubout -outform der | openssl dgst -sha256 -binary | base64";
  const std::string script =
      "set -e; openssl req -x509 " + ec + " -keyout " + d + "/ca.key -out " + d +
      "/ca.pem -days 30 -subj '/CN=dnssec-proxy test CA' && " + leaf("good", "dns.test", "", "30") +
      " && " + leaf("other", "dns.other", "", "30") + " && " +
      leaf("expired", "dns.test", "faketime -f -60d", "30") + " && openssl req -x509 " + ec +
      " -keyout " + d + "/self.key -out " + d +
      "/self.pem -days 30 -subj /CN=dns.test -addext subjectAltName=DNS:dns.test && "
      "openssl pkey -in " +
      d + "/good.key" + pin + " > " + d + "/good.pin && openssl pkey -in " + d + "/other.key" +
      pin + " > " + d + "/other.pin";
  auto r = run_command("(" + script + ") 2>&1");
  if (r.exit_code != 0) {
    why = "making certificates failed (openssl, faketime installed?):\n" + r.out;
    return;
  }
  ca = d + "/ca.pem";
  good_cert = d + "/good.pem";
  good_key = d + "/good.key";
  other_cert = d + "/other.pem";
  other_key = d + "/other.key";
  expired_cert = d + "/expired.pem";
  expired_key = d + "/expired.key";
  self_cert = d + "/self.pem";
  self_key = d + "/self.key";
  auto first_line = [](const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  };
  good_pin = first_line(d + "/good.pin");
  other_pin = first_line(d + "/other.pin");
  ok = geteuid() == 0;
  if (!ok) why = "encrypted-upstream tests need root (ports 853 and 53 on 127.x addresses)";
}

CleartextTrap::CleartextTrap(const std::string& addr) {
  const sockaddr_in a = socket_address(addr, 53);
  udp_ = socket(AF_INET, SOCK_DGRAM, 0);
  tcp_ = socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  bound_ = bind(udp_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
           bind(tcp_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
           listen(tcp_, 16) == 0;
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        char buf[4096];
        if (recv(udp_, buf, sizeof buf, 0) >= 0) ++packets_;
      }
      if (fds[1].revents & POLLIN) {
        const int fd = accept(tcp_, nullptr, nullptr);
        if (fd >= 0) {
          ++packets_;
          close(fd);
        }
      }
    }
  });
}
CleartextTrap::~CleartextTrap() {
  stop_ = true;
  thread_.join();
  close(udp_);
  close(tcp_);
}

EncryptedUnbound::EncryptedUnbound(const std::string& addr) {
  auto& h = Hierarchy::get();
  auto& c = Certs::get();
  pidfile_ = dir_.path() + "/unbound.pid";
  log_ = dir_.path() + "/unbound.log";
  const std::string conf = dir_.write(
      "unbound.conf",
      "server:\n  verbosity: 1\n  interface: " + addr + "@853\n  interface: " + addr +
          "@443\n  tls-port: 853\n  https-port: 443\n  tls-service-key: \"" + c.good_key +
          "\"\n  tls-service-pem: \"" + c.good_cert +
          "\"\n  do-daemonize: yes\n  chroot: \"\"\n  username: \"\"\n  directory: \"" +
          dir_.path() + "\"\n  pidfile: \"" + pidfile_ + "\"\n  logfile: \"" + log_ +
          "\"\n  use-syslog: no\n  do-ip6: no\n  do-not-query-localhost: no\n"
          "  module-config: \"iterator\"\n  local-zone: \"test.\" nodefault\n"
          "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" +
          std::to_string(h.upstream_port()) + "\nremote-control:\n  control-enable: no\n");
  if (run_command("unbound -c " + conf).exit_code != 0) return;
  const std::string kdig =
      "kdig @" + addr + " +tls-ca=" + c.ca + " +tls-hostname=dns.test +timeout=1 +retry=0 ";
  ready_ = eventually([&] {
    return run_command(kdig + ". SOA | grep -q NOERROR").exit_code == 0 &&
           run_command(kdig + "+https=/dns-query . SOA | grep -q NOERROR").exit_code == 0;
  });
}

EncryptedUnbound::~EncryptedUnbound() { run_command("kill $(cat " + pidfile_ + ") 2>/dev/null"); }

// A query for `name` A with ID `id`, RD set, no EDNS.
Bytes query(const std::string& name, uint16_t id) {
  Bytes q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  for (uint8_t b : {0, 0, 1, 0, 1}) q.push_back(b);
  return q;
}

// Sends one UDP query per name (IDs 0..n-1) to the proxy, at most `window` unanswered at a
// time; the rcode of each reply by ID (-1: none within timeout_ms of the last send).
std::vector<int> udp_burst(uint16_t port, const std::vector<std::string>& names, size_t window,
                           int timeout_ms) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  const sockaddr_in to = socket_address("127.0.0.1", port);
  std::vector<int> rcodes(names.size(), -1);
  size_t sent = 0;
  size_t received = 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (received < names.size() && Clock::now() < deadline) {
    while (sent < names.size() && sent - received < window) {
      const Bytes q = query(names[sent], static_cast<uint16_t>(sent));
      sendto(fd, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      ++sent;
      deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    uint8_t buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 12) continue;
    const size_t id = (size_t(buf[0]) << 8) | buf[1];
    if (id < rcodes.size() && rcodes[id] < 0) {
      rcodes[id] = buf[3] & 0x0F;
      ++received;
    }
  }
  close(fd);
  return rcodes;
}

std::string empty_anchor_file(const TempDir& dir) { return dir.write("no-anchors.ds", ""); }

// The proxy forwarding to `upstream` only, validation off (an empty anchor file).
std::unique_ptr<ProxyProcess> proxy_to(const TempDir& dir, const std::string& upstream,
                                       std::vector<std::string> extra) {
  std::vector<std::string> args = {"--upstream",     upstream,
                                   "--tls-ca-file",  Certs::get().ca,
                                   "--trust-anchor", empty_anchor_file(dir),
                                   "--threads",      "1",
                                   "--log-level",    "debug"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ProxyProcess>(args);
}

int64_t metric(const std::string& body, const std::string& sample) {
  const size_t at = body.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + sample.size() + 2));
}

}  // namespace dnsp::test
