// RRSIG times as 32-bit serial numbers (RFC 4034 §3.1.5) compared and resolved with RFC 1982
// serial number arithmetic: the one copy for the validity window (verify/), RFC 5011 key
// times (anchors/), the aggressive cache's expiry (cache/) and explain's report (explain/).
// In wire/, the lowest folder they all build on, because the rule belongs to the RRSIG field.
#pragma once

#include <cstdint>

namespace dnsp::resolver {

// RFC 1982 §3.2: `a` is before `b` when b - a, modulo 2^32, is below 2^31.
constexpr bool serial_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }

// The unix time a serial `value` stands for: the instant nearest `now` (within 2^31 seconds
// either way) whose low 32 bits are `value`.
constexpr int64_t serial_to_unix(uint32_t value, int64_t now) {
  return now + static_cast<int32_t>(value - static_cast<uint32_t>(now));
}

}  // namespace dnsp::resolver
