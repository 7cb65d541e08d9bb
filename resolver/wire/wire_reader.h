// WireReader: bounds-checked reads from a received DNS packet, including compressed
// names (RFC 1035 §4.1.4). Every read returns a WireResult; nothing reads past `end`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "resolver/wire/name.h"
#include "resolver/wire/wire_error.h"

namespace dnsp::resolver {

class WireReader {
 public:
  // Reads [pos, end) of `packet`; compression pointers may point anywhere before them.
  explicit WireReader(std::span<const uint8_t> packet, size_t pos = 0)
      : packet_(packet), pos_(pos), end_(packet.size()) {}
  WireReader(std::span<const uint8_t> packet, size_t pos, size_t end)
      : packet_(packet), pos_(pos), end_(end <= packet.size() ? end : packet.size()) {}

  WireResult<uint8_t> u8();
  WireResult<uint16_t> u16();
  WireResult<uint32_t> u32();
  WireResult<std::span<const uint8_t>> bytes(size_t n);
  // A possibly compressed name. Each pointer must point strictly before the pointer
  // itself (so no loops); labels <= 63 octets; the result <= 255 octets.
  WireResult<Name> name();

  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }
  bool at_end() const { return pos_ == end_; }
  std::span<const uint8_t> packet() const { return packet_; }

 private:
  std::span<const uint8_t> packet_;
  size_t pos_;
  size_t end_;
};

inline uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t load_u32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace dnsp::resolver
