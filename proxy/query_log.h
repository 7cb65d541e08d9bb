// [log] queries: one logfmt line per answered query (client, question, rcode, AD, cache hit,
// upstream, microseconds, EDE code), at most [log] queries_per_second lines per second and
// event loop; the lines past that are counted, and the next line that is written is preceded
// by one that says how many were suppressed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace dnsp::proxy {

// A fixed one-second window per loop: cheap, and enough to keep a flood from filling the
// disk. Pure (the clock is a parameter).
class QueryLogLimiter {
 public:
  explicit QueryLogLimiter(uint32_t per_second) : per_second_(per_second) {}
  struct Admission {
    bool write = false;       // write this line
    uint64_t suppressed = 0;  // before it: say that this many lines were not written
  };
  Admission admit(uint64_t now_ms);
  void set_rate(uint32_t per_second) { per_second_ = per_second; }

 private:
  uint32_t per_second_;
  uint64_t window_start_ms_ = 0;
  uint32_t written_ = 0;
  uint64_t suppressed_ = 0;  // not written, not reported yet
};

// What the line says beyond the reply itself.
struct QueryLogContext {
  std::string client;      // "127.0.0.1:40321" or "tcp 127.0.0.1:40321"
  bool cache_hit = false;  // answered from memory (answer cache or RFC 8198 synthesis)
  std::string upstream;    // the servers asked, "-" for a cache hit
  uint64_t microseconds = 0;
};

// The line for `reply` (the wire bytes sent): "event=query client=... qname=www.example.test.
// qtype=A rcode=NOERROR ad=1 cache=miss upstream=127.0.0.1:5300 us=812 ede=-". nullopt when
// the reply cannot be parsed (it is ours: cannot happen).
std::optional<std::string> query_log_line(std::span<const uint8_t> reply,
                                          const QueryLogContext& context);

}  // namespace dnsp::proxy
