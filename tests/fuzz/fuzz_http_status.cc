// libFuzzer target: any bytes as the response `dnssec-proxy --health-check http://...` reads
// from a [metrics] listener (proxy/health_check.h parse_http_status). Nothing may crash or
// read out of bounds; a parsed code is three digits; the body line is printable and short.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/health_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t cut = 0; cut <= input.size(); cut += 1 + cut / 8) {
    if (const auto status = dnsp::proxy::parse_http_status(input.substr(0, cut))) {
      if (status->code < 0 || status->code > 999) std::abort();
      if (status->first_body_line.size() > 200) std::abort();
      for (char c : status->first_body_line) {
        if (c < ' ' || c >= 0x7f) std::abort();
      }
    }
  }
  return 0;
}
