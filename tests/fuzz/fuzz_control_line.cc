// libFuzzer target: any bytes as what a client sends to the control socket
// (proxy/control/protocol.h): fed to the line reader in pieces as reads would cut them, the
// line parsed as the proxy parses it, and replies parsed as the client reads them. Nothing
// may crash or read out of bounds; a request that parses is formatted into a line that parses
// back to the same request, and a reply formatted is read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/control/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnsp::proxy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ControlLineReader reader;
  ControlLineReader::State state = ControlLineReader::State::Incomplete;
  for (size_t at = 0; at < size && state == ControlLineReader::State::Incomplete;) {
    const size_t n = 1 + (at % 7) * 13;
    const size_t take = n < size - at ? n : size - at;
    state = reader.feed({data + at, take});
    at += take;
  }
  if (state == ControlLineReader::State::Line && reader.line().size() >= kMaxControlLine) {
    std::abort();
  }
  for (std::string_view line : {input, reader.line()}) {
    const auto request = parse_control_request(line);
    if (request) {
      const std::string again = format_control_request(*request);
      const auto back = parse_control_request(again);
      if (!back || !(*back == *request)) std::abort();
    }
  }
  (void)parse_control_duration(input);
  if (const auto reply = parse_control_reply(input)) {
    const auto back = parse_control_reply(format_control_reply(*reply));
    if (!back || back->ok != reply->ok) std::abort();
  }
  return 0;
}
