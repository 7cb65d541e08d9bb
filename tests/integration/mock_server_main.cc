// mock_upstream_server: the test MockUpstream as a standalone process, for bench/soak.sh.
// Serves, on 127.0.0.1 (UDP and TCP, ephemeral port printed on stdout as "port N"):
//   ok-I.soak.test A        an answer                 slow-I.soak.test A     after 300 ms
//   silent-I.soak.test A    never answered            garbage-I.soak.test A  random octets
//   servfail-I.soak.test A  SERVFAIL                  big-I.soak.test TXT    3000 octets (TCP)
//   forged-I.soak.test A    a forged reply first      cut-I.soak.test A      a cut reply
// for I in 0..N-1 (N from the first argument, default 1000); other names get NXDOMAIN.
// Runs until SIGINT or SIGTERM. Loopback only.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "mock_upstream.h"

using namespace dnsp::test;
using dnsp::resolver::RCode;
using dnsp::resolver::RRType;

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  MockUpstream m;
  for (int i = 0; i < n; ++i) {
    const std::string s = std::to_string(i);
    auto rule = [&](const std::string& kind) {
      MockRule r;
      r.answer = {{kind + "-" + s + ".soak.test.", RRType::A, 300,
                   a_rdata("192.0.2." + std::to_string(i % 250 + 1))}};
      return r;
    };
    m.set_rule("ok-" + s + ".soak.test", RRType::A, rule("ok"));
    MockRule slow = rule("slow");
    slow.delay_ms = 300;
    m.set_rule("slow-" + s + ".soak.test", RRType::A, slow);
    MockRule silent = rule("silent");
    silent.silent = true;
    m.set_rule("silent-" + s + ".soak.test", RRType::A, silent);
    MockRule garbage = rule("garbage");
    garbage.garbage = true;
    m.set_rule("garbage-" + s + ".soak.test", RRType::A, garbage);
    MockRule servfail = rule("servfail");
    servfail.rcode = RCode::ServFail;
    servfail.answer.clear();
    m.set_rule("servfail-" + s + ".soak.test", RRType::A, servfail);
    MockRule big;
    big.answer = {{"big-" + s + ".soak.test.", RRType::TXT, 300, txt_rdata(3000)}};
    m.set_rule("big-" + s + ".soak.test", RRType::TXT, big);
    MockRule forged = rule("forged");
    forged.forge_first = MockRule::Forgery::WrongId;
    m.set_rule("forged-" + s + ".soak.test", RRType::A, forged);
    MockRule cut = rule("cut");
    cut.truncate_to = 40;
    m.set_rule("cut-" + s + ".soak.test", RRType::A, cut);
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("port %u\n", m.port());
  std::fflush(stdout);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::printf("udp queries %d, tcp queries %d\n", m.udp_queries(), m.tcp_queries());
  return 0;
}
