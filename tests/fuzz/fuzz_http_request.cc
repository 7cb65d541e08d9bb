// libFuzzer target: any bytes as what a client sends to the [metrics] listener
// (proxy/listen/http_request.h): the head parsed as the listener reads it, cut at every length
// a read could end at; then the query string's parameters, percent-encoding round trips and
// the Host check. Nothing may crash or read out of bounds; a head parsed Ok stays Ok when more
// bytes follow it, and an encoded value decodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/listen/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnsp::proxy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMax = 8192;
  // The listener parses after every read: every prefix must be safe too.
  for (size_t cut = 0; cut <= input.size(); cut += 1 + cut / 8) {
    (void)parse_http_request(input.substr(0, cut), kMax);
  }
  const ParsedRequest whole = parse_http_request(input, kMax);
  if (whole.status == HttpParse::Ok) {
    const std::string more = std::string(input) + "X-Extra: 1\r\n\r\n";
    if (parse_http_request(more, kMax + 64).status != HttpParse::Ok) std::abort();
    const HttpRequest& r = whole.request;
    if (r.host) (void)host_allowed(*r.host);
    for (const char* key : {"name", "type", "format", ""}) {
      if (auto v = query_param(r.query, key)) {
        const std::string encoded = "k=" + percent_encode(*v);
        const auto back = query_param(encoded, "k");
        if (!back || *back != *v) std::abort();
      }
    }
  }
  (void)host_allowed(input);
  return 0;
}
