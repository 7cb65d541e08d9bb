// libFuzzer target: any bytes as what a DNS-over-TLS server sends after the handshake
// (proxy/upstream/dot_framing.h): cut into pieces of sizes taken from the input itself, fed
// to FrameReader; each message it hands out is matched against a fixed query
// (reply_matches), and its edns-tcp-keepalive read (resolver/serve/padding.h), as
// TlsConnection and TlsUpstream do. Nothing may crash, read out of bounds or lose octets:
// the messages plus what is pending add up to what was fed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "proxy/upstream/dot_framing.h"
#include "resolver/serve/padding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // "www.example. A IN", ID 0x1234, RD.
  static const std::vector<uint8_t> kQuery = {0x12, 0x34, 0x01, 0x00, 0,   1,   0, 0,   0,   0,
                                              0,    0,    3,    'w',  'w', 'w', 7, 'e', 'x', 'a',
                                              'm',  'p',  'l',  'e',  0,   0,   1, 0,   1};
  if (size == 0) return 0;
  // The first octet sets the piece size (1..256): stream reads arrive split anywhere.
  const size_t piece = size_t(data[0]) + 1;
  const std::span<const uint8_t> stream(data + 1, size - 1);
  dnsp::proxy::FrameReader reader;
  size_t consumed = 0;  // octets handed out as messages, with their length fields
  for (size_t at = 0; at < stream.size(); at += piece) {
    reader.feed(stream.subspan(at, std::min(piece, stream.size() - at)));
    while (auto message = reader.next()) {
      consumed += 2 + message->size();
      if (dnsp::proxy::message_id(*message) == uint16_t{0x1234}) {
        (void)dnsp::proxy::reply_matches(kQuery, *message);
      }
      (void)dnsp::resolver::tcp_keepalive_timeout(*message);
    }
  }
  if (consumed + reader.pending() != stream.size()) __builtin_trap();
  return 0;
}
