// [dnstap] end to end: the real proxy writes to Debian's fstrm_capture, and BIND's
// dnstap-read reads the file back: every client query and reply (cache hits too) and every
// upstream query and reply appear with the right addresses, ports, transport, question, rcode
// and flags. A collector that never reads costs answers nothing (messages are dropped and
// counted); a collector that restarts gets the messages from then on.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "mock_upstream.h"
#include "resolver/wire/message_builder.h"

using namespace dnsp::test;
using namespace dnsp::resolver;

namespace {

// One message as `dnstap-read -y` prints it (the fields these tests look at).
struct Tapped {
  std::string identity;
  std::string version;
  std::string type;  // CLIENT_QUERY, ...
  std::string protocol;
  std::string query_address;
  std::string response_address;
  int query_port = -1;
  int response_port = -1;
  std::string status;    // of the DNS message carried
  std::string flags;     // "qr rd ra cd"
  std::string question;  // "www.example.test. IN A"
};

std::string after(const std::string& line, const std::string& prefix) {
  return line.substr(prefix.size());
}

std::string unquoted(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// dnstap-read -y FILE, one Tapped per YAML document.
std::vector<Tapped> read_taps(const std::string& file) {
  const RunResult r = run_command("dnstap-read -y '" + file + "' 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::vector<Tapped> out;
  Tapped t;
  bool open = false;
  size_t pos = 0;
  while (pos < r.out.size()) {
    size_t end = r.out.find('\n', pos);
    if (end == std::string::npos) end = r.out.size();
    const std::string line = r.out.substr(pos, end - pos);
    pos = end + 1;
    if (line == "---") {
      if (open) out.push_back(t);
      t = Tapped{};
      open = false;
      continue;
    }
    open = true;
    auto field = [&](const char* prefix, std::string& into) {
      if (line.starts_with(prefix)) into = unquoted(after(line, prefix));
    };
    field("identity: ", t.identity);
    field("version: ", t.version);
    field("  type: ", t.type);
    field("  socket_protocol: ", t.protocol);
    field("  query_address: ", t.query_address);
    field("  response_address: ", t.response_address);
    field("    status: ", t.status);
    field("    flags: ", t.flags);
    if (line.starts_with("  query_port: ")) t.query_port = std::stoi(after(line, "  query_port: "));
    if (line.starts_with("  response_port: ")) {
      t.response_port = std::stoi(after(line, "  response_port: "));
    }
    if (line.starts_with("      - '") && t.question.empty()) {
      t.question = line.substr(9, line.size() - 10);
    }
  }
  if (open) out.push_back(t);
  return out;
}

std::vector<Tapped> select(const std::vector<Tapped>& all, const std::string& type,
                           const std::string& question) {
  std::vector<Tapped> out;
  for (const auto& t : all) {
    if (t.type == type && t.question == question) out.push_back(t);
  }
  return out;
}

// fstrm_capture on a Unix socket, writing FILE; stopped (SIGTERM: the file is flushed and
// closed) by stop() or with the object. -dddd: it logs each connection's control frames.
class Capture {
 public:
  Capture(const std::string& socket, const std::string& file, const std::string& log) : log_(log) {
    pid_ = spawn_process({"/usr/bin/fstrm_capture", "-d", "-d", "-d", "-d", "-t",
                          "protobuf:dnstap.Dnstap", "-u", socket, "-w", file},
                         log);
    REQUIRE(pid_ > 0);
    REQUIRE(eventually([&] { return std::filesystem::exists(socket); }));
  }
  // Over TCP on 127.0.0.1:port.
  Capture(uint16_t port, const std::string& file, const std::string& log) : log_(log) {
    pid_ = spawn_process(
        {"/usr/bin/fstrm_capture", "-d", "-d", "-d", "-d", "-t", "protobuf:dnstap.Dnstap", "-a",
         "127.0.0.1", "-p", std::to_string(port), "-w", file},
        log);
    REQUIRE(pid_ > 0);
    // Not probed with a connection of our own (it would count as a writer): the proxy tries
    // again every second until this listens.
    REQUIRE(eventually(
        [&] { return read_text_file(log_).find("opening TCP socket") != std::string::npos; }));
  }
  ~Capture() { stop(); }
  // The n-th writer has finished the Frame Streams handshake (READY, ACCEPT, START).
  bool started(size_t n = 1) const { return count("received FSTRM_CONTROL_START") >= n; }
  // The n-th writer's connection has ended (the proxy flushed and stopped).
  bool closed(size_t n = 1) const { return count("closing (read ") >= n; }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    CHECK(wait_for_exit(pid_, 5000) == 0);
    pid_ = -1;
  }
  std::string log() const { return read_text_file(log_); }

 private:
  size_t count(const std::string& what) const {
    const std::string text = log();
    size_t n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
  }
  std::string log_;
  pid_t pid_ = -1;
};

std::vector<uint8_t> query(const std::string& name, uint16_t id, uint16_t flags = flag::kRD) {
  MessageBuilder b;
  b.set_header(id, flags);
  (void)b.add_question(*Name::from_text(name), RRType::A, RRClass::IN);
  return b.finish();
}

// A UDP client on a port of its own, so that the test knows dnstap's query_port.
class UdpClientSocket {
 public:
  UdpClientSocket() : port_(free_port()) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~UdpClientSocket() { close(fd_); }
  uint16_t port() const { return port_; }
  // The reply's RCODE, or -1 without a reply.
  int ask(uint16_t server, const std::vector<uint8_t>& q) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(fd_, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    uint8_t buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n >= 4 ? (buf[3] & 0x0F) : -1;
  }

 private:
  uint16_t port_;
  int fd_ = -1;
};

std::string proxy_config(const TempDir& dir, const MockUpstream& up, const std::string& dnstap,
                         const std::string& extra = "") {
  const std::string anchors = dir.write("no-anchors", "; validation off\n");
  return dir.write("proxy.toml", "[upstream]\nservers = [\"" + up.address() +
                                     "\"]\n[dnssec]\ntrust_anchor_file = \"" + anchors +
                                     "\"\n[dnstap]\n" + dnstap + extra);
}

MockRule a_rule(const std::string& owner) {
  MockRule r;
  r.answer = {{owner, RRType::A, 300, a_rdata("192.0.2.1")}};
  return r;
}

}  // namespace

TEST_CASE("dnstap: client queries and replies, upstream queries and replies, read back") {
  TempDir dir;
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test."));
  up.set_rule("cd.example.test", RRType::A, a_rule("cd.example.test."));
  const std::string sock = dir.path() + "/dnstap.sock";
  const std::string file = dir.path() + "/taps.fstrm";
  Capture capture(sock, file, dir.path() + "/capture.log");
  ProxyProcess proxy(
      {"--config",
       proxy_config(dir, up, "socket = \"" + sock + "\"\nidentity = \"dnstap-test\"\n")});
  REQUIRE_MESSAGE(eventually([&] { return capture.started(); }), capture.log());

  UdpClientSocket client;
  CHECK(client.ask(proxy.port(), query("www.example.test", 1)) == 0);  // miss
  CHECK(client.ask(proxy.port(), query("www.example.test", 2)) == 0);  // hit
  {
    TcpClient tcp(proxy.port());  // the same question without EDNS: a hit over TCP
    REQUIRE(tcp.connected());
    tcp.send_framed(query("www.example.test", 5));
    const auto reply = tcp.receive();
    REQUIRE(reply.has_value());
    CHECK((reply->at(3) & 0x0F) == 0);
  }
  CHECK(client.ask(proxy.port(), query("nx.example.test", 3)) == 3);  // NXDOMAIN, a miss
  CHECK(client.ask(proxy.port(), query("cd.example.test", 4, flag::kRD | flag::kCD)) == 0);
  // Stopping flushes the writer; the collector then sees the connection end.
  CHECK(proxy.terminate() == 0);
  REQUIRE_MESSAGE(eventually([&] { return capture.closed(); }), capture.log());
  capture.stop();

  const std::vector<Tapped> taps = read_taps(file);
  REQUIRE(!taps.empty());
  for (const auto& t : taps) {
    CHECK(t.identity == "dnstap-test");
    CHECK(t.version.starts_with("dnssec-proxy "));
  }
  // www: three queries (UDP miss, UDP hit, TCP hit), each with its reply.
  const auto www_q = select(taps, "CLIENT_QUERY", "www.example.test. IN A");
  const auto www_r = select(taps, "CLIENT_RESPONSE", "www.example.test. IN A");
  REQUIRE(www_q.size() == 3);
  REQUIRE(www_r.size() == 3);
  size_t over_tcp = 0;
  for (const auto* list : {&www_q, &www_r}) {
    for (const auto& t : *list) {
      CHECK(t.query_address == "127.0.0.1");
      CHECK(t.response_address == "127.0.0.1");
      CHECK(t.response_port == proxy.port());
      if (t.protocol == "TCP") {
        ++over_tcp;
        CHECK(t.query_port > 0);
      } else {
        CHECK(t.protocol == "UDP");
        CHECK(t.query_port == client.port());
      }
    }
  }
  CHECK(over_tcp == 2);  // the TCP query and its reply
  for (const auto& t : www_q) {
    CHECK(t.status == "NOERROR");
    CHECK(t.flags == "rd");
  }
  for (const auto& t : www_r) {
    CHECK(t.status == "NOERROR");
    CHECK(t.flags == "qr rd ra");
  }
  // The misses went upstream: FORWARDER_QUERY and _RESPONSE name the mock upstream.
  for (const std::string q :
       {"www.example.test. IN A", "nx.example.test. IN A", "cd.example.test. IN A"}) {
    INFO(q);
    const auto fq = select(taps, "FORWARDER_QUERY", q);
    const auto fr = select(taps, "FORWARDER_RESPONSE", q);
    REQUIRE(fq.size() == 1);
    REQUIRE(fr.size() == 1);
    for (const auto& t : {fq[0], fr[0]}) {
      CHECK(t.protocol == "UDP");
      CHECK(t.response_address == "127.0.0.1");
      CHECK(t.response_port == up.port());
    }
    CHECK(fq[0].flags.find("cd") != std::string::npos);  // DO=1, CD=1 upstream queries
    CHECK(fr[0].flags.find("qr") != std::string::npos);
  }
  CHECK(select(taps, "FORWARDER_RESPONSE", "nx.example.test. IN A")[0].status == "NXDOMAIN");
  const auto nx_r = select(taps, "CLIENT_RESPONSE", "nx.example.test. IN A");
  REQUIRE(nx_r.size() == 1);
  CHECK(nx_r[0].status == "NXDOMAIN");
  CHECK(nx_r[0].query_port == client.port());
  // CD: asked with CD, answered with CD (RFC 4035 §3.2.2), not validated.
  const auto cd_q = select(taps, "CLIENT_QUERY", "cd.example.test. IN A");
  const auto cd_r = select(taps, "CLIENT_RESPONSE", "cd.example.test. IN A");
  REQUIRE(cd_q.size() == 1);
  REQUIRE(cd_r.size() == 1);
  CHECK(cd_q[0].flags == "rd cd");
  CHECK(cd_r[0].flags == "qr rd ra cd");
  CHECK(cd_r[0].status == "NOERROR");
}

TEST_CASE("dnstap: a TCP collector gets the messages too, only the switched-on kinds") {
  TempDir dir;
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test."));
  const uint16_t port = free_port();
  const std::string file = dir.path() + "/tcp.fstrm";
  Capture capture(port, file, dir.path() + "/capture.log");
  ProxyProcess proxy(
      {"--config", proxy_config(dir, up,
                                "tcp = \"127.0.0.1:" + std::to_string(port) +
                                    "\"\nclient_queries = false\nforwarder_queries = false\n")});
  REQUIRE_MESSAGE(eventually([&] { return capture.started(); }), capture.log());
  UdpClientSocket client;
  CHECK(client.ask(proxy.port(), query("www.example.test", 1)) == 0);
  CHECK(proxy.terminate() == 0);
  REQUIRE_MESSAGE(eventually([&] { return capture.closed(); }), capture.log());
  capture.stop();
  const auto taps = read_taps(file);
  CHECK(select(taps, "CLIENT_QUERY", "www.example.test. IN A").empty());
  CHECK(select(taps, "FORWARDER_QUERY", "www.example.test. IN A").empty());
  const auto reply = select(taps, "CLIENT_RESPONSE", "www.example.test. IN A");
  REQUIRE(reply.size() == 1);
  CHECK(reply[0].query_port == client.port());
  CHECK(reply[0].version.starts_with("dnssec-proxy "));
  CHECK(select(taps, "FORWARDER_RESPONSE", "www.example.test. IN A").size() == 1);
}

TEST_CASE("dnstap: a collector that restarts gets the messages written after it is back") {
  TempDir dir;
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test."));
  const std::string sock = dir.path() + "/dnstap.sock";
  auto first =
      std::make_unique<Capture>(sock, dir.path() + "/first.fstrm", dir.path() + "/first.log");
  ProxyProcess proxy({"--config", proxy_config(dir, up, "socket = \"" + sock + "\"\n")});
  REQUIRE(eventually([&] { return first->started(); }));
  UdpClientSocket client;
  CHECK(client.ask(proxy.port(), query("www.example.test", 1)) == 0);
  first.reset();  // the collector goes away

  Capture second(sock, dir.path() + "/second.fstrm", dir.path() + "/second.log");
  // The writer notices at its next write and connects again within a second or two: keep
  // asking until the new collector has seen the handshake.
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    CHECK(client.ask(proxy.port(), query("www.example.test", static_cast<uint16_t>(i + 10))) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    back = second.started();
  }
  REQUIRE_MESSAGE(back, second.log());
  CHECK(client.ask(proxy.port(), query("after.example.test", 7)) == 3);
  CHECK(proxy.terminate() == 0);
  REQUIRE(eventually([&] { return second.closed(); }));
  second.stop();
  const auto taps = read_taps(dir.path() + "/second.fstrm");
  CHECK(select(taps, "CLIENT_QUERY", "after.example.test. IN A").size() == 1);
  const auto reply = select(taps, "CLIENT_RESPONSE", "after.example.test. IN A");
  REQUIRE(reply.size() == 1);
  CHECK(reply[0].status == "NXDOMAIN");
  CHECK(select(taps, "FORWARDER_RESPONSE", "after.example.test. IN A").size() == 1);
}

TEST_CASE("dnstap: a collector that never reads drops messages, counted, and delays no answer") {
  TempDir dir;
  MockUpstream up;
  up.set_rule("www.example.test", RRType::A, a_rule("www.example.test."));
  // Listened on, never accepted: the writer connects, sends READY and waits for ACCEPT
  // forever, so nothing leaves its queue.
  const std::string sock = dir.path() + "/stalled.sock";
  const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, sock.c_str(), sizeof sun.sun_path - 1);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
  REQUIRE(listen(listener, 8) == 0);
  const uint16_t metrics = free_port();
  ProxyProcess proxy({"--config", proxy_config(dir, up, "socket = \"" + sock + "\"\n",
                                               "[server]\nthreads = 1\n[metrics]\nlisten = "
                                               "\"127.0.0.1:" +
                                                   std::to_string(metrics) + "\"\n")});
  REQUIRE(eventually([&] { return tcp_accepts(metrics); }));
  // 400 queries, 800 client messages: more than the loop's queue of 512 holds.
  UdpClientSocket client;
  int answered = 0;
  for (int i = 0; i < 400; ++i) {
    if (client.ask(proxy.port(), query("www.example.test", static_cast<uint16_t>(i))) == 0) {
      ++answered;
    }
  }
  CHECK(answered == 400);
  const std::string body =
      run_command("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(metrics) + "/metrics")
          .out;
  INFO(body);
  std::smatch m;
  REQUIRE(std::regex_search(body, m, std::regex(R"(\ndnssec_proxy_dnstap_dropped_total (\d+)\n)")));
  const long dropped = std::stol(m[1]);
  REQUIRE(
      std::regex_search(body, m, std::regex(R"(\ndnssec_proxy_dnstap_messages_total (\d+)\n)")));
  const long queued = std::stol(m[1]);
  CHECK(dropped > 0);
  CHECK(queued <= 512);
  CHECK(queued + dropped >= 800);  // every client message, and the upstream miss's
  // Logged once (at most once a minute), saying what to look at.
  const std::string log = proxy.log();
  const size_t first = log.find("dnstap: dropped ");
  CHECK(first != std::string::npos);
  CHECK(log.find("dnstap: dropped ", first + 1) == std::string::npos);
  CHECK(log.find("is the collector running and reading?") != std::string::npos);
  // Stopping does not hang on the stalled collector: it gives up on the last messages.
  CHECK(proxy.terminate() == 0);
  CHECK(proxy.log().find("dnstap: the collector at unix:" + sock +
                         " did not take the last messages in time") != std::string::npos);
  close(listener);
}

TEST_CASE(
    "dnstap: no collector yet is said at start; a changed [dnstap] on reload waits for a restart") {
  TempDir dir;
  MockUpstream up;
  const std::string sock = dir.path() + "/dnstap.sock";
  const std::string path = proxy_config(dir, up, "socket = \"" + sock + "\"\n");
  ProxyProcess proxy({"--config", path});
  CHECK(eventually(
      [&] { return proxy.log().find("dnstap: writing CLIENT_QUERY") != std::string::npos; }));
  proxy_config(dir, up, "socket = \"" + sock + "\"\nclient_queries = false\n");
  // Nothing listens on the socket: said once at start, with the command that would.
  CHECK(proxy.log().find("warn: dnstap: no collector listens on " + sock +
                         " yet: messages are discarded until one does") != std::string::npos);
  kill(proxy.pid(), SIGHUP);
  CHECK(eventually([&] {
    return proxy.log().find("reload: [dnstap] settings take effect at the next restart") !=
           std::string::npos;
  }));
}
