// libFuzzer target: any bytes as what a DNS-over-HTTPS server sends over HTTP/2
// (proxy/upstream/doh_session.h) after three queries were submitted (streams 1, 3 and 5):
// cut into pieces of sizes taken from the input itself and fed to DohSession::receive, its
// output taken after each piece (acknowledgements, window updates), and the second query
// cancelled half-way, as TlsConnection does. Nothing may crash or read out of bounds; every
// event names a query that was submitted and not cancelled, each at most once, and an
// answer is never larger than a DNS message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <vector>

#include "proxy/upstream/doh_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // "www.example. A IN", ID 0 (RFC 8484 §4.1), RD.
  static const std::vector<uint8_t> kQuery = {0,   0,   0x01, 0x00, 0,   1,   0, 0,   0,   0,
                                              0,   0,   3,    'w',  'w', 'w', 7, 'e', 'x', 'a',
                                              'm', 'p', 'l',  'e',  0,   0,   1, 0,   1};
  if (size == 0) return 0;
  const size_t piece = size_t(data[0]) + 1;
  const std::span<const uint8_t> stream(data + 1, size - 1);
  dnsp::proxy::DohSession session("dns.test", "/dns-query");
  if (!session.start()) __builtin_trap();
  for (uint16_t key : {uint16_t{1}, uint16_t{2}, uint16_t{3}}) {
    if (!session.submit(key, kQuery)) __builtin_trap();
  }
  (void)session.take_output();
  std::set<uint16_t> open = {1, 2, 3};
  std::vector<dnsp::proxy::DohSession::Event> events;
  auto check = [&] {
    for (const auto& e : events) {
      if (open.erase(e.key) != 1) __builtin_trap();  // unknown, cancelled or twice
      if (e.body.size() > dnsp::proxy::DohSession::kMaxBody) __builtin_trap();
    }
    events.clear();
  };
  for (size_t at = 0; at < stream.size(); at += piece) {
    if (at >= stream.size() / 2 && open.count(2) != 0) {
      session.cancel(2);
      open.erase(2);
    }
    const bool ok =
        session.receive(stream.subspan(at, std::min(piece, stream.size() - at)), events);
    check();
    (void)session.take_output();
    events = session.take_events();
    check();
    if (!ok) break;  // the connection closes: nothing more is read
  }
  return 0;
}
