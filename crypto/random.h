// Unpredictable numbers for the wire (RFC 5452 §9.2: query IDs an off-path attacker cannot
// guess), from OpenSSL's CSPRNG a buffer at a time: glibc 2.36's arc4random() makes one
// getrandom() system call per value, which was one system call per upstream query.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace dnsp::crypto {

// Not thread-safe: one per event loop (proxy/upstream/upstream.h keeps one per Upstream).
class RandomPool {
 public:
  uint16_t u16();

 private:
  void refill();

  std::array<uint8_t, 512> buf_{};
  size_t pos_ = sizeof(buf_);  // empty: the first call fills it
};

}  // namespace dnsp::crypto
